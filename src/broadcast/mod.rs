//! Marketing broadcasts: a campaign announces one promotion to every chat user
//! who subscribed, in their language, at the platforms' limits.
//!
//! The life of a campaign: [`campaign::prepare`] renders the announcement in
//! both languages and counts the audience (a `draft`: the preview);
//! [`campaign::confirm`] writes one recipient row per subscriber and turns it
//! `sending`; a [`runner::Runner`] (in `serve`, or the `broadcast` command in the
//! foreground) holds the campaign's lease and sends through a
//! [`BroadcastSender`] per platform. Each recipient row is marked `sending`
//! before its message goes out and gets its outcome after, so a crash leaves at
//! most the in-flight rows undecided; the next runner records those as
//! `unknown` and never sends them again.

pub mod campaign;
pub mod command;
pub mod progress;
pub mod runner;
pub mod staff;

pub use campaign::{Audience, AudienceRow, BroadcastError, Draft, Filters};
pub use progress::{BoardSink, Progress, ProgressBoard, ProgressSink, TerminalSink};
pub use runner::{Runner, RunnerOptions, Watched};

use futures::future::BoxFuture;
use serde::Serialize;

use crate::domain::{Channel, Locale, Timestamp};

/// Where a campaign is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    /// Rendered and counted, waiting for confirmation.
    Draft,
    /// Confirmed: recipients written, being sent.
    Sending,
    /// Every recipient has an outcome.
    Done,
    /// Stopped by a person; what was not sent stays unsent.
    Cancelled,
}

impl CampaignStatus {
    pub const ALL: [CampaignStatus; 4] = [Self::Draft, Self::Sending, Self::Done, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Sending => "sending",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One recipient's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientStatus {
    Pending,
    /// Handed to a sender; the outcome is not recorded yet.
    Sending,
    Sent,
    /// The platform did not take it after the sender's retries.
    Failed,
    /// The user blocked the bot, closed their DMs or is gone: unsubscribed.
    Blocked,
    /// It was being sent when its runner died: it may or may not have arrived,
    /// so it is not sent again.
    Unknown,
}

impl RecipientStatus {
    pub const ALL: [RecipientStatus; 6] = [
        Self::Pending,
        Self::Sending,
        Self::Sent,
        Self::Failed,
        Self::Blocked,
        Self::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Blocked => "blocked",
            Self::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the recipient still waits for a message.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::Sending)
    }
}

/// A subscriber's direct message, or the post in a public announcement channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientKind {
    Direct,
    Announcement,
}

impl RecipientKind {
    pub const ALL: [RecipientKind; 2] = [Self::Direct, Self::Announcement];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Announcement => "announcement",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A campaign as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignRecord {
    pub id: i64,
    pub promotion_id: String,
    pub status: CampaignStatus,
    pub filters: Filters,
    /// The announcement exactly as it is sent, per language.
    pub text_id: String,
    pub text_en: String,
    pub created_by: String,
    pub created_at: Timestamp,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}

impl CampaignRecord {
    pub fn text(&self, locale: Locale) -> &str {
        match locale {
            Locale::Id => &self.text_id,
            Locale::En => &self.text_en,
        }
    }
}

/// One message to deliver, as a sender sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub id: i64,
    pub chat_user_id: Option<i64>,
    pub kind: RecipientKind,
    pub channel: Channel,
    /// The platform's user id (direct) or channel id (announcement).
    pub target: String,
    pub locale: Locale,
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Refused for good because of the user (blocked the bot, closed DMs,
    /// deleted the account): they are unsubscribed.
    Blocked(String),
    /// Not delivered after the sender's own retries; recorded, and the
    /// campaign goes on.
    Failed(String),
}

/// Sends broadcast messages on one platform, holding that platform's limits
/// (pacing, `retry_after`) and retrying what is worth retrying; it never
/// returns before the outcome is known.
pub trait BroadcastSender: Send + Sync + 'static {
    fn channel(&self) -> Channel;
    /// Messages handed to the sender at once (waiting at its pacer): enough to
    /// keep it at its rate, few enough that a crash leaves few `unknown`.
    fn window(&self) -> usize;
    /// Delivers `text` to `to`. For an announcement, `text` holds both
    /// languages.
    fn send<'a>(&'a self, to: &'a Recipient, text: &'a str) -> BoxFuture<'a, Delivery>;
}
