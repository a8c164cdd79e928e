//! Review decisions: approve or reject a queued claim. The CLI calls this now;
//! the staff channel and admin API will call the same code. The member's email
//! about the decision is put in the outbox in the same transaction as the
//! decision: both happen, or neither.

use crate::domain::{Actor, EventKind, RedemptionId, RejectionReason, Status, Timestamp, TransitionError};
use crate::mail::compose::{self, ClaimFacts};
use crate::mail::outbox::{self, Enqueued, MailSettings};
use crate::store::{Db, RedemptionRecord, StoreError, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve {
        note: Option<String>,
    },
    Reject {
        reason: RejectionReason,
        note: Option<String>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("no redemption with id {0}")]
    NotFound(RedemptionId),
    #[error("redemption {id}: {source}")]
    Transition { id: RedemptionId, source: TransitionError },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ReviewError {
    /// True when the request itself is wrong (exit status 2), not the machine.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            ReviewError::NotFound(_) | ReviewError::Transition { .. } | ReviewError::Store(StoreError::Conflict(_))
        )
    }
}

/// Applies a decision in one transaction: the new status and its event are
/// written together, and only if nobody decided the claim in the meantime.
pub async fn decide(
    db: &Db,
    id: RedemptionId,
    decision: Decision,
    actor: Actor,
    mail: &MailSettings,
    now: Timestamp,
) -> Result<RedemptionRecord, ReviewError> {
    let mut tx = db.begin_write().await?;
    let mut rec = tx.redemption(id).await?.ok_or(ReviewError::NotFound(id))?;
    let before: Status = rec.redemption.status();
    let event = match decision {
        Decision::Approve { note } => rec.redemption.approve(clean(note), actor, now),
        Decision::Reject { reason, note } => rec.redemption.reject(reason, clean(note), actor, now),
    }
    .map_err(|source| ReviewError::Transition { id, source })?;
    tx.record_transition(&rec.redemption, before, &event, now).await?;
    notify_member(&mut tx, &rec, event.change.kind(), mail, now).await?;
    tx.commit().await?;
    rec.updated_at = now;
    Ok(rec)
}

/// Puts the member's email about what just happened to their claim in the
/// outbox (inside the decision's transaction). Rejection emails carry a reply
/// handle, so the corrected invoice can come back by email.
pub async fn notify_member(
    tx: &mut Tx,
    rec: &RedemptionRecord,
    what: EventKind,
    mail: &MailSettings,
    now: Timestamp,
) -> Result<Option<Enqueued>, StoreError> {
    let id = rec.redemption.id;
    let facts = ClaimFacts::load(tx, rec).await?;
    let claim = facts.claim(&rec.redemption);
    let message_id = outbox::new_message_id(mail, &format!("RDM-{id}"));
    let email = match what {
        EventKind::Rejected => {
            let Some((reason, note)) = rec.redemption.last_rejection() else {
                return Ok(None);
            };
            let token = outbox::issue_reply_handle(tx, id, rec.member_id, &message_id, mail, now).await?;
            compose::rejection(
                &claim,
                *reason,
                note.as_deref(),
                &message_id,
                &mail.reply_address(&token),
            )
        }
        EventKind::Approved => compose::approved(&claim, &message_id),
        EventKind::RewardSent => compose::reward_sent(&claim, &message_id),
        EventKind::Resubmitted => compose::resubmission_received(&claim, &message_id, None),
        _ => return Ok(None),
    };
    let scope = id.to_string();
    Ok(Some(outbox::enqueue(tx, &email, &scope, Some(id), now).await?))
}

fn clean(note: Option<String>) -> Option<String> {
    note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty())
}
