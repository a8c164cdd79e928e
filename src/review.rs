//! The review queue and its decisions. Every submission and resubmission waits
//! in the queue, oldest first, with its age in working days; a reviewer claims
//! an entry for a while (a lease) so two reviewers never decide the same claim;
//! a decision approves or rejects it. The CLI, the staff channel and the admin
//! API all call this code. The member's email about the decision is put in the
//! outbox in the same transaction as the decision: both happen, or neither.

use serde::Serialize;

use crate::domain::{
    Actor, EventKind, RedemptionId, RejectionReason, Status, Timestamp, TransitionError, WorkCalendar,
};
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
    #[error("redemption {id} is being reviewed by {by} until {until}")]
    Leased {
        id: RedemptionId,
        by: String,
        until: Timestamp,
    },
    #[error("redemption {0} is not waiting for review")]
    NotQueued(RedemptionId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How the queue is kept.
#[derive(Debug, Clone)]
pub struct ReviewSettings {
    pub calendar: WorkCalendar,
    /// Entries older than this many working days are flagged.
    pub overdue_after_days: u32,
    pub lease: chrono::Duration,
}

impl Default for ReviewSettings {
    fn default() -> Self {
        Self::from_config(&crate::config::ReviewConfig::default())
    }
}

impl ReviewSettings {
    pub fn from_config(c: &crate::config::ReviewConfig) -> Self {
        Self {
            calendar: WorkCalendar::new(c.holidays.iter().copied()),
            overdue_after_days: c.overdue_after_days,
            lease: chrono::Duration::minutes(i64::from(c.lease_minutes.max(1))),
        }
    }
}

/// One claim waiting for a decision.
#[derive(Debug, Clone)]
pub struct QueueEntry {
    pub record: RedemptionRecord,
    /// Back in the queue after a rejection (the customer sent a corrected file).
    pub resubmission: bool,
    /// Working days since it entered the queue.
    pub age_working_days: u32,
    pub overdue: bool,
    /// Who is deciding it now, and until when.
    pub lease: Option<Lease>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lease {
    pub reviewer: String,
    pub until: Timestamp,
}

/// The queue, oldest first.
pub async fn queue(
    db: &Db,
    settings: &ReviewSettings,
    now: Timestamp,
    limit: i64,
) -> Result<Vec<QueueEntry>, ReviewError> {
    let mut tx = db.begin().await?;
    let records = tx.review_queue(limit).await?;
    let leases = tx.review_leases(now).await?;
    drop(tx);
    Ok(records
        .into_iter()
        .map(|record| {
            let age = settings
                .calendar
                .working_days_between(record.redemption.queued_at(), now);
            let lease = leases
                .iter()
                .find(|(id, _, _)| *id == record.redemption.id)
                .map(|(_, reviewer, until)| Lease {
                    reviewer: reviewer.clone(),
                    until: *until,
                });
            QueueEntry {
                resubmission: record.redemption.last_rejection().is_some(),
                age_working_days: age,
                overdue: age > settings.overdue_after_days,
                lease,
                record,
            }
        })
        .collect())
}

/// Claims a queued entry for `reviewer` for the lease time (again by the same
/// reviewer: extended); refused while someone else holds it.
pub async fn claim(
    db: &Db,
    id: RedemptionId,
    reviewer: &str,
    settings: &ReviewSettings,
    now: Timestamp,
) -> Result<Lease, ReviewError> {
    let mut tx = db.begin_write().await?;
    let rec = tx.redemption(id).await?.ok_or(ReviewError::NotFound(id))?;
    if rec.redemption.status() != Status::UnderReview {
        return Err(ReviewError::NotQueued(id));
    }
    let (holder, until) = tx.lease_review(id, reviewer, now + settings.lease, now).await?;
    tx.commit().await?;
    if holder != reviewer {
        return Err(ReviewError::Leased { id, by: holder, until });
    }
    Ok(Lease {
        reviewer: holder,
        until,
    })
}

/// Gives a claimed entry back to the queue; `false` when `reviewer` held none.
pub async fn release(db: &Db, id: RedemptionId, reviewer: &str) -> Result<bool, ReviewError> {
    let mut tx = db.begin_write().await?;
    let released = tx.release_review(id, Some(reviewer)).await?;
    tx.commit().await?;
    Ok(released)
}

/// The name a lease is held under for this actor.
fn reviewer_name(actor: &Actor) -> String {
    match actor {
        Actor::Staff(name) => name.clone(),
        other => other.to_string(),
    }
}

impl ReviewError {
    /// True when the request itself is wrong (exit status 2), not the machine.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            ReviewError::NotFound(_)
                | ReviewError::Transition { .. }
                | ReviewError::Leased { .. }
                | ReviewError::NotQueued(_)
                | ReviewError::Store(StoreError::Conflict(_))
        )
    }
}

/// Applies a decision in one transaction: the new status and its event are
/// written together, and only if nobody decided the claim in the meantime and
/// no other reviewer holds it; the decision ends any lease on it.
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
    if let Some((by, until)) = tx.review_lease(id, now).await?
        && by != reviewer_name(&actor)
    {
        return Err(ReviewError::Leased { id, by, until });
    }
    let before: Status = rec.redemption.status();
    let event = match decision {
        Decision::Approve { note } => rec.redemption.approve(clean(note), actor, now),
        Decision::Reject { reason, note } => rec.redemption.reject(reason, clean(note), actor, now),
    }
    .map_err(|source| ReviewError::Transition { id, source })?;
    tx.record_transition(&rec.redemption, before, &event, now).await?;
    // Handles redeem once: whatever this decision was, no earlier email's
    // handle may reach the claim any more (a rejection issues a fresh one below).
    tx.spend_reply_handles(id, now).await?;
    tx.release_review(id, None).await?;
    notify_member(&mut tx, &rec, event.change.kind(), mail, now).await?;
    // Its posts in the staff channels show who decided what (also when the
    // decision came from the CLI or the API).
    crate::staff::enqueue_decided(&mut tx, id, now).await?;
    tx.commit().await?;
    rec.updated_at = now;
    Ok(rec)
}

/// Puts the member's email about what just happened to their claim in the
/// outbox (inside the decision's transaction), and a notice in their linked
/// chats. Rejection emails carry a reply
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
    let enqueued = outbox::enqueue(tx, &email, &scope, Some(id), now).await?;
    notify_chats(tx, rec, &facts, what, now).await?;
    Ok(Some(enqueued))
}

/// A short notice of a decision in every chat linked to the member's account,
/// in that chat's language, through the outbox.
async fn notify_chats(
    tx: &mut Tx,
    rec: &RedemptionRecord,
    facts: &ClaimFacts,
    what: EventKind,
    now: Timestamp,
) -> Result<(), StoreError> {
    use crate::i18n::{Localizer, Msg, messages as m};
    let def = match what {
        EventKind::Approved => m::CHAT_DECISION_APPROVED,
        EventKind::Rejected => m::CHAT_DECISION_REJECTED,
        _ => return Ok(()),
    };
    let id = rec.redemption.id;
    for chat in tx.linked_chats(rec.member_id).await? {
        let locale = chat.locale.or(chat.detected_locale).unwrap_or(facts.member.locale);
        let mut msg = Msg::new(def)
            .arg("id", id)
            .arg("promotion", facts.promotion.name.get(locale).to_owned());
        if let Some((reason, _)) = rec.redemption.last_rejection().filter(|_| what == EventKind::Rejected) {
            msg = msg.arg("reason", Msg::new(crate::assistant::words::reason(*reason)));
        }
        let message = crate::jobs::ChatMessage {
            channel: chat.channel,
            chat_id: chat.external_id.clone(),
            text: Localizer::builtin().render(locale, &msg),
        };
        let payload = serde_json::to_value(&message).expect("a chat message serialises");
        tx.enqueue_job(
            &crate::jobs::NewJob::new(crate::jobs::JobKind::ChatMessage, payload, now),
            now,
        )
        .await?;
    }
    Ok(())
}

fn clean(note: Option<String>) -> Option<String> {
    note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty())
}
