//! An email as the outbox keeps it: rendered and addressed when the decision
//! was made (so it says what was decided, and the reply address staff see is
//! the one the customer gets), sent later by the outbox worker.

use serde::{Deserialize, Serialize};

use crate::domain::Locale;

/// The automated emails we send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    Rejection,
    ResubmissionReceived,
    Approved,
    RewardSent,
    /// "We could not use your reply" (inbound mail).
    ReplyUnusable,
    /// A one-time code to link a chat account to a member.
    LinkCode,
    /// The current status of a claim, answering a reply about a claim that is not rejected.
    StatusAnswer,
}

impl EmailKind {
    pub const ALL: [EmailKind; 7] = [
        EmailKind::Rejection,
        EmailKind::ResubmissionReceived,
        EmailKind::Approved,
        EmailKind::RewardSent,
        EmailKind::ReplyUnusable,
        EmailKind::LinkCode,
        EmailKind::StatusAnswer,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Emails answering something sent to us: held back by the loop guard when
    /// one like it went out within the hour. The others follow a state change.
    pub fn loop_guarded(self) -> bool {
        matches!(
            self,
            EmailKind::ReplyUnusable | EmailKind::StatusAnswer | EmailKind::LinkCode
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EmailKind::Rejection => "rejection",
            EmailKind::ResubmissionReceived => "resubmission_received",
            EmailKind::Approved => "approved",
            EmailKind::RewardSent => "reward_sent",
            EmailKind::ReplyUnusable => "reply_unusable",
            EmailKind::LinkCode => "link_code",
            EmailKind::StatusAnswer => "status_answer",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingEmail {
    pub kind: EmailKind,
    pub to: String,
    pub to_name: Option<String>,
    pub locale: Locale,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Ours, with angle brackets; stored so replies can be matched by it.
    pub message_id: String,
    /// The reply handle's address, `<local>+<token>@<reply domain>` (rejections).
    pub reply_to: Option<String>,
    /// The message this one answers (an email reply we processed).
    pub in_reply_to: Option<String>,
}
