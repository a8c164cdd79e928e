//! The staff side of the review queue in chat: every claim that enters the
//! queue (new, or resubmitted with a corrected file) is posted to the staff
//! channels through the outbox, with its facts, history and files, and buttons
//! to decide it there. The decision runs the same code as the CLI
//! (`review::decide`). Platform adapters post and handle the presses; this
//! module holds what is platform-neutral: what a post says and carries, and
//! the job that posts it once per channel.

use std::sync::Arc;

use chrono::Utc;

use crate::blobs::BlobStore;
use crate::domain::{Channel, RedemptionId, Status, Timestamp};
use crate::jobs::{ClaimedJob, JobError, JobKind, NewJob, Performer, StaffPost};
use crate::store::{Db, StoreError, Tx};

/// Files a post carries at most (Discord's limit per message).
pub const MAX_FILES: usize = 10;
/// Bytes of files a post carries at most.
pub const MAX_FILE_BYTES: u64 = 24 * 1024 * 1024;

/// Queues posting claim `id` to the staff channels, in the transaction that
/// put it in the review queue.
pub async fn enqueue_post(tx: &mut Tx, id: RedemptionId, now: Timestamp) -> Result<(), StoreError> {
    let payload = serde_json::to_value(StaffPost { redemption_id: id }).expect("a staff post serialises");
    tx.enqueue_job(&NewJob::new(JobKind::StaffPost, payload, now), now)
        .await?;
    Ok(())
}

/// What a staff post about a claim says and carries.
#[derive(Debug, Clone)]
pub struct ClaimCard {
    pub id: RedemptionId,
    /// The staff view: the product (model, category, purchase date, store,
    /// region) and the claim (promotion, status, history, files).
    pub text: String,
    /// Its stored files, newest first.
    pub files: Vec<CardFile>,
}

#[derive(Debug, Clone)]
pub struct CardFile {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

impl CardFile {
    pub fn is_image(&self) -> bool {
        self.content_type.starts_with("image/")
    }
}

/// A staff channel's way of posting a card; returns the post's message id.
pub trait StaffChannel: Send + Sync + 'static {
    fn channel(&self) -> Channel;
    /// The chat the posts go to.
    fn chat_id(&self) -> String;
    fn post<'a>(&'a self, card: &'a ClaimCard) -> futures::future::BoxFuture<'a, Result<String, JobError>>;
}

/// The outbox's performer for staff posts: each configured staff channel gets
/// the post once per stay in the queue (a channel already posted to is skipped
/// on a retry), and a claim decided before its post went out is not posted.
pub struct StaffDesk {
    db: Db,
    blobs: BlobStore,
    channels: Vec<Arc<dyn StaffChannel>>,
}

impl StaffDesk {
    pub fn new(db: Db, blobs: BlobStore, channels: Vec<Arc<dyn StaffChannel>>) -> Self {
        Self { db, blobs, channels }
    }

    pub fn is_empty(&self) -> bool {
        self.channels.is_empty()
    }

    async fn card(&self, id: RedemptionId) -> Result<Option<(ClaimCard, Timestamp)>, JobError> {
        let store = |e: StoreError| JobError::Transient(e.to_string());
        let mut tx = self.db.begin().await.map_err(store)?;
        let Some(rec) = tx.redemption(id).await.map_err(store)? else {
            return Err(JobError::Permanent(format!("no redemption {id}")));
        };
        if rec.redemption.status() != Status::UnderReview {
            return Ok(None);
        }
        let view = crate::views::redemption_view(&mut tx, &rec).await.map_err(store)?;
        drop(tx);
        let mut files = Vec::new();
        let mut total = 0u64;
        for a in view.attachments.iter().rev().filter(|a| a.stored).take(MAX_FILES) {
            if total + a.bytes as u64 > MAX_FILE_BYTES {
                break;
            }
            match self.blobs.get(&BlobStore::key_for(&a.sha256)).await {
                Ok(data) => {
                    total += data.len() as u64;
                    files.push(CardFile {
                        filename: a.filename.clone(),
                        content_type: a.content_type.clone(),
                        data,
                    });
                }
                Err(e) => tracing::warn!(redemption = id, attachment = a.id, error = %e, "staff post without a file"),
            }
        }
        let product = crate::views::status_view(&self.db, rec.redemption.serial.as_str())
            .await
            .ok()
            .map(|s| s.product);
        let card = ClaimCard {
            id,
            text: crate::views::text::staff_card(product.as_ref(), &view),
            files,
        };
        Ok(Some((card, rec.redemption.queued_at())))
    }
}

impl Performer for StaffDesk {
    fn perform<'a>(&'a self, job: &'a ClaimedJob) -> futures::future::BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let post: StaffPost = serde_json::from_value(job.payload.clone())
                .map_err(|e| JobError::Permanent(format!("not a staff post: {e}")))?;
            let Some((card, queued_at)) = self.card(post.redemption_id).await? else {
                return Ok(());
            };
            let store = |e: StoreError| JobError::Transient(e.to_string());
            for channel in &self.channels {
                let mut tx = self.db.begin().await.map_err(store)?;
                let posted = tx
                    .staff_post_since(channel.channel(), card.id, queued_at)
                    .await
                    .map_err(store)?;
                drop(tx);
                if posted.is_some() {
                    continue;
                }
                let message_id = channel.post(&card).await?;
                let mut tx = self.db.begin_write().await.map_err(store)?;
                tx.insert_staff_post(channel.channel(), &channel.chat_id(), &message_id, card.id, Utc::now())
                    .await
                    .map_err(store)?;
                tx.commit().await.map_err(store)?;
            }
            Ok(())
        })
    }
}
