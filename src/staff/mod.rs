//! The staff side of the review queue in chat: every claim that enters the
//! queue (new, or resubmitted with a corrected file) is posted to the staff
//! channels through the outbox, with its facts, history and files, and buttons
//! to decide it there. The decision runs the same code as the CLI
//! (`review::decide`). Platform adapters post and handle the presses; this
//! module holds what is platform-neutral: what a post says and carries, and
//! the job that posts it once per channel. `escalation` holds customers who
//! need a person.

pub mod escalation;

use std::sync::Arc;

use chrono::Utc;

use crate::blobs::BlobStore;
use crate::domain::{Channel, RedemptionId, Status, Timestamp};
use crate::jobs::{ClaimedJob, JobError, JobKind, NewJob, Performer, StaffTask};

use crate::store::{Db, StoreError, Tx};
pub use escalation::{EscalationCard, EscalationError, EscalationSettings};

/// Files a post carries at most (Discord's limit per message).
pub const MAX_FILES: usize = 10;
/// Bytes of files a post carries at most.
pub const MAX_FILE_BYTES: u64 = 24 * 1024 * 1024;

/// Queues marking claim `id`'s posts as decided, in the decision's transaction
/// (whatever decided it: the CLI, the admin API or a staff channel).
pub async fn enqueue_decided(tx: &mut Tx, id: RedemptionId, now: Timestamp) -> Result<(), StoreError> {
    let payload = serde_json::to_value(StaffTask::Decided { redemption_id: id }).expect("a staff task serialises");
    tx.enqueue_job(&NewJob::new(JobKind::StaffPost, payload, now), now)
        .await?;
    Ok(())
}

/// Queues posting claim `id` to the staff channels, in the transaction that
/// put it in the review queue.
pub async fn enqueue_post(tx: &mut Tx, id: RedemptionId, now: Timestamp) -> Result<(), StoreError> {
    let payload = serde_json::to_value(StaffTask::Claim { redemption_id: id }).expect("a staff task serialises");
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

/// A staff channel: where claims and escalations are posted, and how.
pub trait StaffChannel: Send + Sync + 'static {
    fn channel(&self) -> Channel;
    /// The chat the posts go to.
    fn chat_id(&self) -> String;
    /// Posts a claim with its files and *Approve* / *Reject* buttons; the post's message id.
    fn post<'a>(&'a self, card: &'a ClaimCard) -> BoxFuture<'a, Result<String, JobError>>;
    /// Marks an earlier claim post as decided: `label` (e.g. "✅ Approved by
    /// NAME") added to it, its buttons removed.
    fn settle<'a>(&'a self, message_id: &'a str, label: &'a str) -> BoxFuture<'a, Result<(), JobError>>;
    /// Posts an escalation; the post's message id. Agents answer under it (a
    /// reply to it on Telegram, a thread started from it on Discord, whose
    /// id is the post's).
    fn post_escalation<'a>(&'a self, card: &'a EscalationCard) -> BoxFuture<'a, Result<String, JobError>>;
    /// Adds a line under an escalation's post (in its thread on Discord, as a
    /// reply to it on Telegram).
    fn follow_up<'a>(&'a self, message_id: &'a str, text: &'a str) -> BoxFuture<'a, Result<(), JobError>>;
}

type BoxFuture<'a, T> = futures::future::BoxFuture<'a, T>;

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

impl StaffDesk {
    async fn post_claim(&self, id: RedemptionId) -> Result<(), JobError> {
        let Some((card, queued_at)) = self.card(id).await? else {
            return Ok(());
        };
        for channel in &self.channels {
            let mut tx = self.db.begin().await.map_err(transient)?;
            let posted = tx
                .staff_post_since(channel.channel(), card.id, queued_at)
                .await
                .map_err(transient)?;
            drop(tx);
            if posted.is_some() {
                continue;
            }
            let message_id = channel.post(&card).await?;
            let mut tx = self.db.begin_write().await.map_err(transient)?;
            tx.insert_staff_post(channel.channel(), &channel.chat_id(), &message_id, card.id, Utc::now())
                .await
                .map_err(transient)?;
            tx.commit().await.map_err(transient)?;
        }
        Ok(())
    }

    /// Marks every post of a decided claim not marked yet with the decision
    /// that ended its stay in the queue (its last event).
    async fn settle_claim(&self, id: RedemptionId) -> Result<(), JobError> {
        let mut tx = self.db.begin().await.map_err(transient)?;
        let Some(rec) = tx.redemption(id).await.map_err(transient)? else {
            return Err(JobError::Permanent(format!("no redemption {id}")));
        };
        let posts = tx.undecided_claim_posts(id).await.map_err(transient)?;
        let history = tx.history(id).await.map_err(transient)?;
        drop(tx);
        let Some((label, by)) = decided_label(rec.redemption.status(), &history) else {
            return Ok(());
        };
        for (platform, chat_id, message_id) in posts {
            let Some(channel) = self
                .channels
                .iter()
                .find(|c| c.channel() == platform && c.chat_id() == chat_id)
            else {
                continue;
            };
            channel.settle(&message_id, &label).await?;
            let mut tx = self.db.begin_write().await.map_err(transient)?;
            tx.mark_staff_post_decided(platform, &chat_id, &message_id, &by, Utc::now())
                .await
                .map_err(transient)?;
            tx.commit().await.map_err(transient)?;
        }
        Ok(())
    }

    async fn post_escalation(&self, id: i64) -> Result<(), JobError> {
        let mut tx = self.db.begin().await.map_err(transient)?;
        let Some(e) = tx.escalation(id).await.map_err(transient)? else {
            return Err(JobError::Permanent(format!("no escalation {id}")));
        };
        let card = escalation::card(&mut tx, &e).await.map_err(transient)?;
        drop(tx);
        for channel in &self.channels {
            let mut tx = self.db.begin().await.map_err(transient)?;
            let posted = tx.escalation_post(channel.channel(), id).await.map_err(transient)?;
            drop(tx);
            if posted.is_some() {
                continue;
            }
            let message_id = channel.post_escalation(&card).await?;
            let mut tx = self.db.begin_write().await.map_err(transient)?;
            tx.insert_escalation_post(channel.channel(), &channel.chat_id(), &message_id, id, Utc::now())
                .await
                .map_err(transient)?;
            tx.commit().await.map_err(transient)?;
        }
        Ok(())
    }

    /// A line under the escalation's post in each channel that has one. A
    /// channel without the post yet is a transient failure: the post job runs
    /// first, so this one waits for it.
    async fn follow_up(&self, id: i64, text: &str) -> Result<(), JobError> {
        for channel in &self.channels {
            let mut tx = self.db.begin().await.map_err(transient)?;
            let post = tx.escalation_post(channel.channel(), id).await.map_err(transient)?;
            drop(tx);
            let Some((_, message_id)) = post else {
                return Err(JobError::Transient(format!(
                    "escalation {id} is not posted to {} yet",
                    channel.channel()
                )));
            };
            channel.follow_up(&message_id, text).await?;
        }
        Ok(())
    }
}

fn transient(e: StoreError) -> JobError {
    JobError::Transient(e.to_string())
}

/// "✅ Approved by NAME" / "❌ Rejected by NAME: CODE" for a claim no longer
/// in the queue, from its history, with who decided; `None` while it still is.
pub fn decided_label(status: Status, history: &[crate::domain::Event]) -> Option<(String, String)> {
    use crate::domain::Change;
    if status == Status::UnderReview {
        return None;
    }
    let decision = history
        .iter()
        .rev()
        .find(|e| matches!(e.change, Change::Approved { .. } | Change::Rejected { .. }))?;
    let by = decision.actor.to_string();
    let by = by.strip_prefix("staff:").unwrap_or(&by);
    let label = match &decision.change {
        Change::Rejected { reason, .. } => format!("❌ Rejected by {by}: {}", reason.code()),
        _ => format!("✅ Approved by {by}"),
    };
    Some((label, by.to_owned()))
}

impl Performer for StaffDesk {
    fn perform<'a>(&'a self, job: &'a ClaimedJob) -> futures::future::BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let task = StaffTask::from_payload(&job.payload)
                .map_err(|e| JobError::Permanent(format!("not a staff task: {e}")))?;
            match task {
                StaffTask::Claim { redemption_id } => self.post_claim(redemption_id).await,
                StaffTask::Decided { redemption_id } => self.settle_claim(redemption_id).await,
                StaffTask::Escalation { escalation_id } => self.post_escalation(escalation_id).await,
                StaffTask::FollowUp { escalation_id, text } => self.follow_up(escalation_id, &text).await,
            }
        })
    }
}
