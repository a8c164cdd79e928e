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
