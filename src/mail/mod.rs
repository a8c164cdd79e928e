//! Email. `inbound` parses what customers send us (kind, handles,
//! attachments, their note); `outgoing` is what an email job carries; `compose` renders each email
//! from Fluent in the member's language (plain text and HTML from the same
//! paragraphs); `outbox` puts emails in the outbox inside the caller's
//! transaction, behind the loop and bounce guards; `smtp` sends them with
//! lettre as the outbox's performer.

pub mod compose;
pub mod imap;
pub mod inbound;
pub mod outbox;
mod outgoing;
pub mod smtp;

pub use outgoing::{EmailKind, OutgoingEmail};
