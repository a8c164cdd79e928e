//! Review decisions: approve or reject a queued claim. The CLI calls this now;
//! the staff channel and admin API will call the same code.

use crate::domain::{Actor, RedemptionId, RejectionReason, Status, Timestamp, TransitionError};
use crate::store::{Db, RedemptionRecord, StoreError};

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
    tx.commit().await?;
    rec.updated_at = now;
    Ok(rec)
}

fn clean(note: Option<String>) -> Option<String> {
    note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty())
}
