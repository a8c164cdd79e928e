//! Files customers attach in a DM (invoice photos, PDFs), fetched from
//! Discord's CDN into the blob store. Only Discord's own CDN hosts (or the
//! configured API base, for proxies and tests) are fetched from: an attachment
//! URL is data from the network, and the bot must not be made to fetch anything
//! else. Larger than the chat limit is refused before and while reading.

use std::time::Duration;

use serenity::all::Attachment;

use crate::assistant::MAX_CHAT_UPLOAD_BYTES;
use crate::blobs::{BlobStore, StoredBlob};

/// Attempts to fetch one file before giving up on storing it.
const DOWNLOAD_ATTEMPTS: u32 = 3;
/// Where Discord serves attachments from.
const CDN_HOSTS: [&str; 2] = ["cdn.discordapp.com", "media.discordapp.net"];

pub(super) struct Files {
    client: reqwest::Client,
    /// The configured API base (scheme, host, port), also trusted for files.
    api_origin: Option<reqwest::Url>,
    backoff_base: Duration,
}

#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("larger than {MAX_CHAT_UPLOAD_BYTES} bytes")]
    TooLarge,
    #[error("HTTP {0}")]
    Status(reqwest::StatusCode),
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    #[error(transparent)]
    Blob(#[from] crate::blobs::BlobError),
}

impl Files {
    pub fn new(api_origin: Option<reqwest::Url>, timeout: Duration, backoff_base: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a plain reqwest client builds");
        Self {
            client,
            api_origin,
            backoff_base,
        }
    }

    /// Whether `url` is one the bot may fetch an attachment from.
    pub fn trusted(&self, url: &str) -> bool {
        let Ok(url) = reqwest::Url::parse(url) else {
            return false;
        };
        if url.scheme() == "https" && url.host_str().is_some_and(|h| CDN_HOSTS.contains(&h)) {
            return true;
        }
        self.api_origin.as_ref().is_some_and(|api| {
            api.scheme() == url.scheme()
                && api.host_str() == url.host_str()
                && api.port_or_known_default() == url.port_or_known_default()
        })
    }

    /// Fetches `attachment` into `blobs`; `None` (logged) when it is too large,
    /// from an untrusted place, or could not be fetched: the customer still
    /// gets an answer.
    pub async fn fetch(&self, attachment: &Attachment, blobs: &BlobStore) -> Option<StoredBlob> {
        if u64::from(attachment.size) > MAX_CHAT_UPLOAD_BYTES {
            return None;
        }
        if !self.trusted(&attachment.url) {
            tracing::warn!("discord attachment from an untrusted host; not fetched");
            return None;
        }
        for attempt in 1..=DOWNLOAD_ATTEMPTS {
            match self.get(&attachment.url, blobs).await {
                Ok(blob) => return Some(blob),
                Err(FetchError::TooLarge) => {
                    tracing::warn!("discord attachment larger than announced; not kept");
                    return None;
                }
                Err(FetchError::Status(s)) if s.is_client_error() && s != reqwest::StatusCode::TOO_MANY_REQUESTS => {
                    tracing::warn!(status = s.as_u16(), "discord attachment refused");
                    return None;
                }
                Err(e) => {
                    tracing::warn!(error = %e, attempt, "discord attachment download failed");
                    if attempt < DOWNLOAD_ATTEMPTS {
                        tokio::time::sleep(crate::retry::backoff(
                            self.backoff_base,
                            attempt + 1,
                            Duration::from_secs(10),
                        ))
                        .await;
                    }
                }
            }
        }
        tracing::error!("discord attachment not kept after retries");
        None
    }

    async fn get(&self, url: &str, blobs: &BlobStore) -> Result<StoredBlob, FetchError> {
        let mut response = self.client.get(url).send().await?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status()));
        }
        if response.content_length().is_some_and(|n| n > MAX_CHAT_UPLOAD_BYTES) {
            return Err(FetchError::TooLarge);
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if (bytes.len() + chunk.len()) as u64 > MAX_CHAT_UPLOAD_BYTES {
                return Err(FetchError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(blobs.put(&bytes).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_discords_cdn_and_the_configured_api_are_trusted() {
        let files = Files::new(
            Some(reqwest::Url::parse("http://127.0.0.1:8080").unwrap()),
            Duration::from_secs(1),
            Duration::from_millis(1),
        );
        assert!(files.trusted("https://cdn.discordapp.com/attachments/1/2/invoice.jpg"));
        assert!(files.trusted("https://media.discordapp.net/attachments/1/2/a.png"));
        assert!(files.trusted("http://127.0.0.1:8080/attachments/1/a.pdf"));
        assert!(!files.trusted("http://cdn.discordapp.com/attachments/1/2/a.jpg"));
        assert!(!files.trusted("http://127.0.0.1:9999/a.pdf"));
        assert!(!files.trusted("https://cdn.discordapp.com.evil.test/a.jpg"));
        assert!(!files.trusted("http://169.254.169.254/latest/meta-data"));
        assert!(!files.trusted("file:///etc/passwd"));
        assert!(!files.trusted("not a url"));
    }
}
