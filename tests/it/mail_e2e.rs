//! End to end through the real binary and the real mail stack (Postfix +
//! Dovecot on loopback): staff reject a demo claim → `serve` emails the
//! rejection → the customer reads it over IMAP and replies over SMTP with the
//! invoice attached → the running service reads the reply from its mailbox,
//! resubmits the claim and emails the acknowledgement, which the customer
//! receives. Then the mail servers restart under the running service, and the
//! same round trip works again.
//!
//! This binary restarts the mail stack, so it holds a single test: cargo runs
//! test binaries one after another, and nothing else is using the stack then.

use crate::support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use mail_parser::MessageParser;
use serde_json::Value;
use support::eml::{Eml, jpeg};
use support::mail::{SMTP_PLAIN, search};

const RIZKY: (&str, &str) = ("rizky.pratama@example.test", "pass");

fn redeemdesk(database_url: &str, dir: &Path) -> Command {
    let mut cmd = support::redeemdesk(database_url, dir);
    cmd.env("REDEEMDESK_SMTP__HOST", "127.0.0.1")
        .env("REDEEMDESK_SMTP__PORT", SMTP_PLAIN.to_string())
        .env("REDEEMDESK_SMTP__TLS", "none")
        .env(
            "REDEEMDESK_SMTP__FROM",
            "MSI Indonesia Promotion <support@example.test>",
        );
    cmd
}

fn cli(url: &str, dir: &Path, args: &[&str]) -> String {
    let out = redeemdesk(url, dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn show(url: &str, dir: &Path, id: &str) -> Value {
    serde_json::from_str(&cli(url, dir, &["review", "show", id, "--json"])).unwrap()
}

/// Waits for a message in the customer's INBOX matching `query`; its raw bytes.
async fn receive(query: &str, secs: u64) -> Vec<u8> {
    for _ in 0..secs * 4 {
        if let Some(raw) = search(RIZKY.0, RIZKY.1, query).await.pop() {
            return raw;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("the customer never received a message matching {query}");
}

/// The customer answers `rejection` from their mail client: to its Reply-To,
/// In-Reply-To its Message-ID, with the corrected invoice attached. The reply's Message-ID.
async fn reply_with_invoice(rejection: &[u8]) -> String {
    let parsed = MessageParser::default().parse(rejection).unwrap();
    let reply_to = parsed
        .reply_to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap()
        .to_owned();
    assert!(reply_to.starts_with("support+"), "{reply_to}");
    let subject = format!("Re: {}", parsed.subject().unwrap());
    let parent = format!("<{}>", parsed.message_id().unwrap());
    let reply = Eml::new("Rizky Pratama <rizky.pratama@example.test>", &reply_to, &subject)
        .header("In-Reply-To", Some(&parent))
        .header("References", Some(&parent))
        .text("Baik, ini faktur yang sudah jelas.\n\nDikirim dari iPhone saya")
        .attach("IMG_2041.jpg", "image/jpeg", jpeg(1200, 900));
    let smtp = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(SMTP_PLAIN)
        .build();
    let envelope = Envelope::new(Some(RIZKY.0.parse().unwrap()), vec![reply_to.parse().unwrap()]).unwrap();
    smtp.send_raw(&envelope, &reply.build()).await.unwrap();
    reply.message_id()
}

/// One round: reject → email → reply → resubmitted → acknowledged. Returns the history's length.
async fn round_trip(url: &str, dir: &Path, round: usize) {
    cli(
        url,
        dir,
        &[
            "review",
            "reject",
            "1044",
            "--reason",
            "invoice_unreadable",
            "--as",
            "rina",
        ],
    );
    let view = show(url, dir, "1044");
    assert_eq!(view["status"], "rejected");
    let rejections: Vec<&Value> = view["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "rejection")
        .collect();
    assert_eq!(rejections.len(), round);
    let rejection_id = rejections
        .iter()
        .max_by_key(|e| e["queued_at"].as_str().unwrap().to_owned())
        .unwrap()["message_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let rejection = receive(&format!("HEADER Message-ID \"{rejection_id}\""), 90).await;
    let reply_id = reply_with_invoice(&rejection).await;

    // The service reads the reply, resubmits, and acknowledges in the same thread.
    let ack = receive(&format!("HEADER In-Reply-To \"{reply_id}\""), 60).await;
    let ack = MessageParser::default().parse(&ack).unwrap();
    assert!(ack.subject().unwrap().contains("[RDM-1044]"), "{:?}", ack.subject());
    let view = show(url, dir, "1044");
    assert_eq!(view["status"], "under_review", "round {round}: {view}");
    let resubmitted = view["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "resubmitted")
        .count();
    assert_eq!(resubmitted, round);
}

#[tokio::test]
async fn a_rejected_customer_replies_with_the_invoice_and_the_claim_goes_back_to_review() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("e2e.db").display());
    cli(&url, dir.path(), &["demo"]);
    let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
    let mut serve = redeemdesk(&url, dir.path())
        .env("REDEEMDESK_HTTP__BIND", "127.0.0.1:0")
        .env("REDEEMDESK_IMAP__HOST", "127.0.0.1")
        .env("REDEEMDESK_IMAP__PORT", support::mail::IMAP_PLAIN.to_string())
        .env("REDEEMDESK_IMAP__TLS", "none")
        .env("REDEEMDESK_IMAP__USERNAME", support::mail::SUPPORT.0)
        .env("REDEEMDESK_IMAP__PASSWORD", support::mail::SUPPORT.1)
        .env("REDEEMDESK_LOG", "info")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let log_text = || std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default();

    round_trip(&url, dir.path(), 1).await;

    // The mail servers restart under the running service.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/mailstack.sh");
    assert!(
        Command::new("bash")
            .arg(&script)
            .arg("stop")
            .status()
            .unwrap()
            .success()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        Command::new("bash")
            .arg(&script)
            .arg("start")
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success()
    );
    round_trip(&url, dir.path(), 2).await;
    assert!(
        log_text().contains("imap: connection lost; reconnecting"),
        "the poller saw the restart:\n{}",
        log_text()
    );

    Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status()
        .unwrap();
    assert!(serve.wait().unwrap().success(), "{}", log_text());
}
