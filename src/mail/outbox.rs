//! Putting emails in the outbox, inside the caller's transaction, behind two
//! guards: nothing to an address that hard-bounced, and at most one answer
//! (status, unusable reply, link code) of the same kind about the same thing
//! to the same address per hour (so an auto-responder answering our emails
//! cannot start a loop). Also the
//! reply handles rejection emails carry, and our Message-IDs.

use chrono::Duration;

use crate::domain::{MemberId, RedemptionId, Timestamp};
use crate::jobs::{JobKind, NewJob};
use crate::store::{StoreError, Tx};

use super::OutgoingEmail;

/// One automated email of a kind about one thing per address per this long.
pub const GUARD_WINDOW_MINUTES: i64 = 60;

/// Settings email composition needs at decision time.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// The local part of `smtp.from`: replies go to `<reply_local>+<token>@<reply_domain>`.
    pub reply_local: String,
    /// `smtp.reply_domain`, else the domain of `smtp.from`; also our Message-IDs' domain.
    pub reply_domain: String,
    /// How long a reply handle stays valid.
    pub handle_ttl: Duration,
}

impl MailSettings {
    /// From `[smtp]`; without `smtp.from`, placeholders (`redeemdesk@redeemdesk.invalid`)
    /// that are replaced by nothing: configure SMTP before emails are sent.
    pub fn from_config(smtp: &crate::config::SmtpConfig) -> Self {
        let address = smtp.from.as_deref().map(|f| {
            let inner = f.rsplit_once('<').map_or(f, |(_, a)| a.trim_end_matches('>'));
            inner.trim().to_owned()
        });
        let (local, domain) = address
            .as_deref()
            .and_then(|a| a.split_once('@'))
            .map(|(l, d)| (l.split('+').next().unwrap_or(l).to_owned(), d.to_lowercase()))
            .unwrap_or_else(|| ("redeemdesk".into(), "redeemdesk.invalid".into()));
        Self {
            reply_local: local,
            reply_domain: smtp.reply_domain.clone().unwrap_or(domain),
            handle_ttl: Duration::days(i64::from(smtp.reply_handle_days)),
        }
    }

    /// The Reply-To address of a reply handle.
    pub fn reply_address(&self, token: &str) -> String {
        format!("{}+{}@{}", self.reply_local, token, self.reply_domain)
    }
}

impl Default for MailSettings {
    fn default() -> Self {
        Self::from_config(&crate::config::SmtpConfig::default())
    }
}

/// What became of an email we asked to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    Queued {
        job_id: i64,
    },
    /// The address hard-bounced before.
    Suppressed,
    /// The same kind of email about the same thing went to this address within the hour.
    Throttled,
}

/// A random token of 130 bits as 26 lower-case base32 characters (5 bits each): safe in an
/// email local part, case-insensitive, unguessable.
pub fn new_token() -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    (0..26)
        .map(|_| ALPHABET[rand::random_range(0..32usize)] as char)
        .collect()
}

/// A new Message-ID of ours (with angle brackets).
pub fn new_message_id(settings: &MailSettings, tag: &str) -> String {
    format!("<{tag}.{:016x}@{}>", rand::random::<u64>(), settings.reply_domain)
}

/// Issues a reply handle for a rejection email and returns its token.
pub async fn issue_reply_handle(
    tx: &mut Tx,
    redemption: RedemptionId,
    member: MemberId,
    message_id: &str,
    settings: &MailSettings,
    now: Timestamp,
) -> Result<String, StoreError> {
    let token = new_token();
    tx.insert_reply_handle(&token, redemption, member, message_id, now, now + settings.handle_ttl)
        .await?;
    Ok(token)
}

/// Whether an email of `kind` about `scope` went to `address_key` within the
/// loop guard's window (an email like it would be held back).
pub async fn sent_within_guard(
    tx: &mut Tx,
    address_key: &str,
    kind: super::EmailKind,
    scope: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let since = now - Duration::minutes(GUARD_WINDOW_MINUTES);
    tx.email_sent_since(address_key, kind, scope, since).await
}

/// Puts `email` in the outbox unless a guard stops it. `scope` is what it is
/// about (a redemption id), or "" when it is about the address itself.
pub async fn enqueue(
    tx: &mut Tx,
    email: &OutgoingEmail,
    scope: &str,
    redemption: Option<RedemptionId>,
    now: Timestamp,
) -> Result<Enqueued, StoreError> {
    let key = email.to.trim().to_lowercase();
    if tx.email_suppressed(&key).await? {
        tracing::warn!(
            kind = email.kind.as_str(),
            "email not sent: the address hard-bounced before"
        );
        return Ok(Enqueued::Suppressed);
    }
    if email.kind.loop_guarded() && sent_within_guard(tx, &key, email.kind, scope, now).await? {
        tracing::warn!(
            kind = email.kind.as_str(),
            scope,
            "email not sent: the same one went out within the hour"
        );
        return Ok(Enqueued::Throttled);
    }
    let payload = serde_json::to_value(email).expect("an email serialises");
    let job_id = tx.enqueue_job(&NewJob::new(JobKind::Email, payload, now), now).await?;
    tx.insert_email_log(&key, email, scope, job_id, redemption, now).await?;
    Ok(Enqueued::Queued { job_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_addresses_come_from_the_sender() {
        let mut smtp = crate::config::SmtpConfig {
            from: Some("MSI Promo <redeem+x@Support.Example.test>".into()),
            ..Default::default()
        };
        let s = MailSettings::from_config(&smtp);
        assert_eq!(s.reply_address("Tok"), "redeem+Tok@support.example.test");
        smtp.reply_domain = Some("replies.example.test".into());
        assert_eq!(
            MailSettings::from_config(&smtp).reply_address("T"),
            "redeem+T@replies.example.test"
        );
        assert_eq!(
            MailSettings::default().reply_address("T"),
            "redeemdesk+T@redeemdesk.invalid"
        );
    }

    #[test]
    fn tokens_are_long_distinct_and_address_safe() {
        let a = new_token();
        let b = new_token();
        assert_eq!(a.len(), 26);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c)));
    }
}
