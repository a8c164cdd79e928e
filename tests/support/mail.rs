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
