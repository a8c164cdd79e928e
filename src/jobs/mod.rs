//! The transactional outbox. Anything user-visible that must follow a committed
//! change (an email now; chat notifications and broadcast messages later) is a
//! row in `jobs`, written in the same transaction as the change, so the change
//! and the promise to act on it commit or vanish together. Workers
//! ([`worker::Worker`]) claim due rows under a lease, perform them and record
//! the outcome; failures retry with backoff until a job is dead-lettered.

pub mod worker;

pub use worker::{Dispatch, Performer, Worker, WorkerOptions};

use serde::{Deserialize, Serialize};

use crate::domain::Timestamp;

/// What a job does; each kind has one performer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Send one email (payload: [`crate::mail::OutgoingEmail`]).
    Email,
    /// Send one chat message (payload: [`ChatMessage`]).
    ChatMessage,
    /// Post a claim or an escalation to the staff channels (payload: [`StaffTask`]).
    StaffPost,
}

impl JobKind {
    pub const ALL: [JobKind; 3] = [JobKind::Email, JobKind::ChatMessage, JobKind::StaffPost];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Email => "email",
            JobKind::ChatMessage => "chat_message",
            JobKind::StaffPost => "staff_post",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A chat message as the outbox keeps it: rendered in the chat user's language
/// when the change was made, sent later by that channel's performer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub channel: crate::domain::Channel,
    /// The platform's chat id (Telegram chat, Discord DM channel).
    pub chat_id: String,
    pub text: String,
}

/// Something staff must see or change in their channels. Performed for every
/// configured staff channel; what was already posted is remembered
/// (`staff_posts`), so a retry never posts twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum StaffTask {
    /// A claim entered the review queue (new, or resubmitted with a corrected
    /// file): post it with its files and buttons.
    Claim { redemption_id: crate::domain::RedemptionId },
    /// A claim was decided (from any place): its posts show who decided what
    /// and lose their buttons.
    Decided { redemption_id: crate::domain::RedemptionId },
    /// A customer (or an email) needs a person: post the escalation.
    Escalation { escalation_id: i64 },
    /// More of an escalation's conversation for staff (the customer's
    /// follow-up, or that it was closed), under its post.
    FollowUp { escalation_id: i64, text: String },
}

impl StaffTask {
    /// Reads a job's payload; a payload written before tasks were tagged is a claim.
    pub fn from_payload(payload: &serde_json::Value) -> Result<Self, serde_json::Error> {
        #[derive(Deserialize)]
        struct Untagged {
            redemption_id: crate::domain::RedemptionId,
        }
        if payload.get("task").is_none()
            && let Ok(Untagged { redemption_id }) = serde_json::from_value(payload.clone())
        {
            return Ok(StaffTask::Claim { redemption_id });
        }
        serde_json::from_value(payload.clone())
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for `run_at`.
    Queued,
    /// Claimed by a worker whose lease runs until `lease_until`.
    Running,
    Done,
    /// Failed for good: too many attempts, or a permanent error. Needs a person.
    Dead,
}

impl JobStatus {
    pub const ALL: [JobStatus; 4] = [JobStatus::Queued, JobStatus::Running, JobStatus::Done, JobStatus::Dead];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Attempts before a job is dead-lettered, unless it says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 8;

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub kind: JobKind,
    pub payload: serde_json::Value,
    pub max_attempts: i32,
    /// Not before this instant.
    pub run_at: Timestamp,
}

impl NewJob {
    pub fn new(kind: JobKind, payload: serde_json::Value, now: Timestamp) -> Self {
        Self {
            kind,
            payload,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            run_at: now,
        }
    }
}

/// A job a worker holds: only the holder of `lease` may record its outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: JobKind,
    pub payload: serde_json::Value,
    /// This attempt's number, from 1.
    pub attempt: i32,
    pub max_attempts: i32,
    pub lease: String,
}

/// A job as the CLI shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobRecord {
    pub id: i64,
    pub kind: JobKind,
    pub status: JobStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: Timestamp,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub payload: serde_json::Value,
}

/// Why a job failed, which decides whether it is tried again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Might work later (server down, 4xx SMTP reply, timeout): retried.
    #[error("{0}")]
    Transient(String),
    /// Will never work (bad payload, 5xx SMTP reply): dead-lettered at once.
    #[error("{0}")]
    Permanent(String),
}
