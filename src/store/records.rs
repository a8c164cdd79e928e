//! Rows as the store hands them out: domain values plus the keys that tie them.

use crate::domain::{AttachmentId, MemberId, Product, ProductId, Recipient, Redemption, RedemptionId, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRecord {
    pub id: ProductId,
    pub product: Product,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedemptionRecord {
    pub redemption: Redemption,
    pub product_id: ProductId,
    pub member_id: MemberId,
    pub recipient: Option<Recipient>,
    pub updated_at: Timestamp,
}

/// Where an attachment came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentSource {
    Email,
    Chat,
    Import,
    MemberCenter,
}

impl AttachmentSource {
    pub const ALL: [AttachmentSource; 4] = [Self::Email, Self::Chat, Self::Import, Self::MemberCenter];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Chat => "chat",
            Self::Import => "import",
            Self::MemberCenter => "member_center",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub redemption_id: RedemptionId,
    pub filename: String,
    pub content_type: String,
    pub bytes: i64,
    pub sha256: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub blob_key: Option<String>,
    pub source: AttachmentSource,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRecord {
    pub id: AttachmentId,
    pub attachment: NewAttachment,
    pub created_at: Timestamp,
}

/// A person on a chat platform, as the assistant remembers them.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatUserRecord {
    pub id: i64,
    pub channel: crate::domain::Channel,
    pub external_id: String,
    /// The language the user chose explicitly.
    pub locale: Option<crate::domain::Locale>,
    /// The language their last message was written in, when it told.
    pub detected_locale: Option<crate::domain::Locale>,
    /// The assistant's dialogue state, as JSON (the store does not interpret it).
    pub dialogue: serde_json::Value,
    pub subscribed: bool,
    pub consent_at: Option<Timestamp>,
    pub unsubscribed_at: Option<Timestamp>,
    pub active: bool,
    /// The assistant's "did not understand" answers in a row (two open an escalation).
    pub fallbacks: i32,
    /// When the current minute of messages began, and how many came in it (the flood limit).
    pub burst_start: Option<Timestamp>,
    pub burst_count: i32,
}

/// A file a customer sent in chat, kept in the blob store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatUpload {
    pub filename: String,
    pub content_type: String,
    pub bytes: u64,
    pub sha256: String,
    pub blob_key: String,
}

/// An email about a redemption and how its delivery went (the contract's
/// handle fields: `kind`, `reply_address`, `message_id`, `sent_at`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EmailLogRecord {
    pub kind: crate::mail::EmailKind,
    pub to: String,
    /// The Reply-To handle address (rejections), else null.
    pub reply_address: Option<String>,
    pub message_id: String,
    pub subject: String,
    pub queued_at: Timestamp,
    /// The outbox job's status: queued, running, done (sent) or dead.
    pub delivery: crate::jobs::JobStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// When the SMTP server took it; null until then.
    pub sent_at: Option<Timestamp>,
}

/// A message read from the mailbox, as first recorded (before acting on it).
#[derive(Debug, Clone, Copy)]
pub struct NewInboundMail<'a> {
    /// `mid:<Message-ID>`, or `sha256:<raw hash>` for a message without one.
    pub dedup_key: &'a str,
    pub message_id: Option<&'a str>,
    pub raw_sha256: &'a str,
    pub raw_blob_key: Option<&'a str>,
    pub from_address: Option<&'a str>,
    pub subject: &'a str,
    pub kind: &'a str,
}

/// Where an escalation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationStatus {
    /// Waiting for an agent.
    Open,
    /// An agent has answered; the conversation goes on until it is closed.
    Answered,
    Closed,
}

impl EscalationStatus {
    pub const ALL: [EscalationStatus; 3] = [Self::Open, Self::Answered, Self::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Answered => "answered",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Why an escalation was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationCause {
    /// The customer asked for a person (`/agent`, the button, or in words).
    Asked,
    /// The assistant did not understand twice in a row.
    Fallbacks,
    /// An email the service could not act on.
    Email,
}

impl EscalationCause {
    pub const ALL: [EscalationCause; 3] = [Self::Asked, Self::Fallbacks, Self::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asked => "asked",
            Self::Fallbacks => "fallbacks",
            Self::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// An escalation as staff handle it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationRecord {
    pub id: i64,
    pub cause: EscalationCause,
    pub status: EscalationStatus,
    /// The chat it came from (chat escalations): the chat user's row, platform and id there.
    pub chat: Option<(i64, crate::domain::Channel, String)>,
    pub member_id: Option<crate::domain::MemberId>,
    pub redemption_id: Option<crate::domain::RedemptionId>,
    /// What the customer wrote, or why the email needs a person.
    pub message: String,
    pub locale: crate::domain::Locale,
    pub created_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    pub closed_by: Option<String>,
}

/// Who said a line of a chat's transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TranscriptRole {
    Customer,
    Bot,
    Agent,
}

impl TranscriptRole {
    pub const ALL: [TranscriptRole; 3] = [Self::Customer, Self::Bot, Self::Agent];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Bot => "bot",
            Self::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A line of a chat's recent transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptLine {
    pub role: TranscriptRole,
    pub text: String,
    pub at: Timestamp,
}

/// Failed ownership checks (serial + CHK) in a window: one user's and everyone's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailedChecks {
    pub mine: i64,
    pub my_oldest: Option<Timestamp>,
    pub everyone: i64,
    pub oldest: Option<Timestamp>,
}

/// An emailed resubmission the pre-check held for the customer's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrecheckHold {
    pub id: i64,
    pub inbound_mail_id: i64,
    /// JSON of `precheck::Assessment`.
    pub assessment: String,
    /// The held email's raw message in the blob store.
    pub raw_blob_key: Option<String>,
}

/// What reviewers are warned about on a claim (each a list of other claims).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FraudSignals {
    /// Another member's claim carries one of this claim's files (same SHA-256).
    pub same_file_other_member: Vec<RedemptionId>,
    /// Another member's claim has an invoice with the same number.
    pub same_invoice_number_other_member: Vec<RedemptionId>,
    /// The same serial (look-alikes folded) is claimed again in this promotion.
    pub same_serial_in_promotion: Vec<RedemptionId>,
}

impl FraudSignals {
    pub fn is_empty(&self) -> bool {
        self.same_file_other_member.is_empty()
            && self.same_invoice_number_other_member.is_empty()
            && self.same_serial_in_promotion.is_empty()
    }
}
