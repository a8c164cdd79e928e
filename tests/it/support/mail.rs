//! The real mail stack of `scripts/mailstack.sh` (Postfix + Dovecot on
//! loopback): SMTP settings for each TLS mode, and reading a mailbox back over
//! IMAP. Messages stay in the mailboxes between runs, so tests find theirs by
//! a Message-ID they made.

use std::path::PathBuf;
use std::time::Duration;

use futures::StreamExt;
use redeemdesk::config::{SmtpConfig, TlsMode};

pub const DOMAIN: &str = "example.test";
pub const SMTP_PLAIN: u16 = 2525;
pub const SMTP_STARTTLS: u16 = 2587;
pub const SMTP_TLS: u16 = 2465;
pub const IMAP_PLAIN: u16 = 1143;
pub const SUPPORT: (&str, &str) = ("support@example.test", "support-pass");

/// The stack's certificate (to trust for STARTTLS and TLS).
pub fn cert() -> PathBuf {
    let base = std::env::var("REDEEMDESK_MAIL_DIR").unwrap_or_else(|_| "/tmp/redeemdesk-mail".into());
    PathBuf::from(base).join("tls/cert.pem")
}

/// How to reach the stack's SMTP server in `tls` mode.
pub fn smtp(tls: TlsMode) -> SmtpConfig {
    let mut cfg = SmtpConfig {
        host: Some("127.0.0.1".into()),
        tls,
        from: Some("MSI Indonesia Promotion <support@example.test>".into()),
        reply_domain: Some(DOMAIN.into()),
        timeout_seconds: 10,
        ..SmtpConfig::default()
    };
    match tls {
        TlsMode::None => cfg.port = Some(SMTP_PLAIN),
        TlsMode::Starttls | TlsMode::Tls => {
            cfg.port = Some(if tls == TlsMode::Tls { SMTP_TLS } else { SMTP_STARTTLS });
            // TLS ports want a login, and the name on the certificate.
            cfg.host = Some("localhost".into());
            cfg.username = Some(SUPPORT.0.into());
            cfg.password = Some(SUPPORT.1.to_owned().into());
            cfg.ca_file = Some(cert());
        }
    }
    cfg
}

/// Every message in `user`'s INBOX with this Message-ID (raw RFC 822), waiting
/// up to 20 s for at least one to arrive.
pub async fn fetch_by_message_id(user: &str, password: &str, message_id: &str) -> Vec<Vec<u8>> {
    for _ in 0..100 {
        let found = search(user, password, &format!("HEADER Message-ID \"{message_id}\"")).await;
        if !found.is_empty() {
            // A duplicate would arrive right behind the first: look once more.
            tokio::time::sleep(Duration::from_millis(300)).await;
            return search(user, password, &format!("HEADER Message-ID \"{message_id}\"")).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no message {message_id} reached {user}");
}

pub async fn search(user: &str, password: &str, query: &str) -> Vec<Vec<u8>> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", IMAP_PLAIN))
        .await
        .expect("the mail stack runs (bash scripts/mailstack.sh start)");
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.unwrap().expect("an IMAP greeting");
    let mut session = client.login(user, password).await.map_err(|(e, _)| e).unwrap();
    session.select("INBOX").await.unwrap();
    let uids = session.uid_search(query).await.unwrap();
    let mut out = Vec::new();
    if !uids.is_empty() {
        let set = uids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        let mut fetches = session.uid_fetch(set, "BODY.PEEK[]").await.unwrap();
        while let Some(f) = fetches.next().await {
            if let Some(body) = f.unwrap().body() {
                out.push(body.to_vec());
            }
        }
    }
    session.logout().await.unwrap();
    out
}

/// A logged-in IMAP session (plain, loopback) as `user`.
pub async fn imap(user: &str, password: &str) -> async_imap::Session<tokio::net::TcpStream> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", IMAP_PLAIN))
        .await
        .expect("the mail stack runs (bash scripts/mailstack.sh start)");
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.unwrap().expect("an IMAP greeting");
    client.login(user, password).await.map_err(|(e, _)| e).unwrap()
}

/// A folder name no other test uses.
pub fn unique_folder(prefix: &str) -> String {
    format!("{prefix}{:08x}", rand::random::<u32>())
}

/// Puts `raw` into `folder` of the support mailbox (as if it had been delivered there).
pub async fn append(folder: &str, raw: &[u8]) {
    let mut s = imap(SUPPORT.0, SUPPORT.1).await;
    let _ = s.create(folder).await;
    s.append(folder, None, None, raw).await.unwrap();
    s.logout().await.unwrap();
}

/// How many messages `folder` of the support mailbox holds (0 if it does not exist).
pub async fn count(folder: &str) -> u32 {
    let mut s = imap(SUPPORT.0, SUPPORT.1).await;
    let n = s.examine(folder).await.map(|m| m.exists).unwrap_or(0);
    s.logout().await.unwrap();
    n
}

/// Waits up to `secs` seconds for `check` to hold.
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..secs * 5 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// The reply settings every mail test uses (`support+TOKEN@example.test`, 60-day handles).
pub fn reply_settings() -> redeemdesk::mail::outbox::MailSettings {
    redeemdesk::mail::outbox::MailSettings {
        reply_local: "support".into(),
        reply_domain: "example.test".into(),
        handle_ttl: chrono::Duration::days(60),
    }
}

/// Rejects claim `id` as staff would (`review::decide`), and returns the
/// rejection email's reply address (with its fresh token) and Message-ID.
pub async fn reject_as_staff(db: &redeemdesk::store::Db, id: i64) -> (String, String) {
    use redeemdesk::domain::{Actor, RejectionReason};
    use redeemdesk::mail::EmailKind;
    use redeemdesk::review::{Decision, decide};
    let decision = Decision::Reject {
        reason: RejectionReason::InvoiceUnreadable,
        note: None,
    };
    decide(
        db,
        id,
        decision,
        Actor::parse("staff:rina").unwrap(),
        &reply_settings(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let log = db.begin().await.unwrap().emails_of_redemption(id).await.unwrap();
    let last = log.iter().rev().find(|e| e.kind == EmailKind::Rejection).unwrap();
    (last.reply_address.clone().unwrap(), last.message_id.clone())
}
