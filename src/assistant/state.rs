//! Where a conversation stands between two messages. Stored as JSON in
//! `chat_users.dialogue`, so a flow survives a restart.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Dialogue {
    #[default]
    Idle,
    /// We asked for a serial number.
    AwaitingSerial,
    /// We have a serial and asked for the CHK code that proves ownership.
    AwaitingChk { serial: String },
    /// We asked for the email address of the member account to link.
    AwaitingEmail,
    /// We emailed a link code and wait for it.
    AwaitingLinkCode,
    /// We showed a rejected claim of a product this user proved they own: a
    /// photo or document sent now is the corrected file for it.
    AwaitingReupload { redemption: i64 },
    /// The invoice pre-check found a clear miss in the file sent for a
    /// rejected claim; we asked whether to submit it as it is (the file is in
    /// the blob store, its findings here) or to wait for another.
    ConfirmingReupload {
        redemption: i64,
        blob_key: String,
        filename: String,
        assessment: crate::precheck::Assessment,
    },
}

impl Dialogue {
    /// Reads a stored state; anything unreadable (an older format) starts over.
    pub fn from_json(value: &serde_json::Value) -> Self {
        serde_json::from_value(value.clone()).unwrap_or_default()
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a dialogue state always serialises")
    }
}
