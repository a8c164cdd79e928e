//! Photos and documents customers send: which file a message carries, and
//! fetching it (`getFile`, then the file URL) into the blob store. Telegram lets
//! bots download files up to 20 MB; we refuse larger ones before asking, and stop
//! reading if a server sends more than it announced.

use futures::StreamExt;
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::FileId;

use super::Telegram;
use crate::assistant::MAX_CHAT_UPLOAD_BYTES;
use crate::blobs::StoredBlob;

/// Attempts to fetch one file before giving up on storing it.
const DOWNLOAD_ATTEMPTS: u32 = 3;

/// The file a message carries.
pub(super) struct IncomingFile {
    pub id: FileId,
    pub filename: String,
    pub content_type: String,
    pub size: u32,
}

impl IncomingFile {
    pub fn of(msg: &Message) -> Option<Self> {
        if let Some(photos) = msg.photo() {
            // Telegram sends every size it made; the largest is the original.
            let largest = photos.iter().max_by_key(|p| u64::from(p.width) * u64::from(p.height))?;
            return Some(Self {
                id: largest.file.id.clone(),
                filename: format!("photo-{}.jpg", msg.id.0),
                content_type: "image/jpeg".into(),
                size: largest.file.size,
            });
        }
        let doc = msg.document()?;
        Some(Self {
            id: doc.file.id.clone(),
            filename: doc
                .file_name
                .clone()
                .unwrap_or_else(|| format!("document-{}", msg.id.0)),
            content_type: doc
                .mime_type
                .as_ref()
                .map_or_else(|| "application/octet-stream".into(), |m| m.to_string()),
            size: doc.file.size,
        })
    }
}

#[derive(Debug, thiserror::Error)]
enum DownloadError {
    #[error("larger than {MAX_CHAT_UPLOAD_BYTES} bytes")]
    TooLarge,
    #[error(transparent)]
    Api(#[from] teloxide::RequestError),
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    #[error(transparent)]
    Blob(#[from] crate::blobs::BlobError),
}

impl Telegram {
    /// Fetches `file` into the blob store; `None` (logged) when it is too large
    /// or could not be fetched: the customer still gets an answer.
    pub(super) async fn download(&self, file: &IncomingFile) -> Option<StoredBlob> {
        if u64::from(file.size) > MAX_CHAT_UPLOAD_BYTES {
            return None;
        }
        for attempt in 1..=DOWNLOAD_ATTEMPTS {
            match self.fetch(file).await {
                Ok(blob) => return Some(blob),
                Err(DownloadError::TooLarge) => {
                    tracing::warn!("telegram file larger than announced; not kept");
                    return None;
                }
                Err(e) => {
                    tracing::warn!(error = %e, attempt, "telegram file download failed");
                    if attempt < DOWNLOAD_ATTEMPTS {
                        tokio::time::sleep(self.backoff(attempt)).await;
                    }
                }
            }
        }
        tracing::error!("telegram file not kept after retries");
        None
    }

    async fn fetch(&self, file: &IncomingFile) -> Result<StoredBlob, DownloadError> {
        let meta = self.bot.get_file(file.id.clone()).await?;
        if u64::from(meta.size) > MAX_CHAT_UPLOAD_BYTES {
            return Err(DownloadError::TooLarge);
        }
        let mut stream = self.bot.download_file_stream(&meta.path);
        let mut bytes = Vec::with_capacity(meta.size as usize);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            if (bytes.len() + chunk.len()) as u64 > MAX_CHAT_UPLOAD_BYTES {
                return Err(DownloadError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(self.blobs.put(&bytes).await?)
    }
}
