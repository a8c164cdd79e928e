//! The binary as operators use it: exit statuses, JSON output, `serve` with
//! `/healthz` and a clean shutdown on SIGTERM.

use crate::support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use support::TestDb;

fn redeemdesk(database_url: &str, dir: &Path) -> Command {
    support::redeemdesk(database_url, dir)
}

fn run(db: &TestDb, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    redeemdesk(&db.url, dir.path())
        .args(args)
        .output()
        .expect("running redeemdesk")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

async fn demo_then_status(db: TestDb) {
    let o = run(&db, &["demo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&db, &["demo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("redemptions 0/6"),
        "second demo run changes nothing: {}",
        stdout(&o)
    );

    // Typed by a customer with look-alikes: l for 1, lower case.
    let o = run(&db, &["status", "k2305n00l2345", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["product"]["serial"], "K2305N0012345");
    assert_eq!(v["product"]["model"], "Modern AM242 1M");
    let r = &v["redemptions"][0];
    assert_eq!(r["id"], 1042);
    assert_eq!(r["status"], "rejected");
    assert_eq!(r["reason"], "invoice_missing_product_name");
    assert_eq!(r["history"].as_array().unwrap().len(), 2);
    assert!(r["attachments"].is_array());
    assert!(r["emails"].is_array());
}

async fn import_errors_exit_2_and_write_nothing(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.json");
    std::fs::write(
        &file,
        r#"{"members": [{"id": 9, "email": "x@example.test", "name": "X", "locale": "id", "region": "ID"}],
            "products": [{"serial": "K2399N0077777", "chk": "12", "member_id": 9, "category": "AIO",
                          "model": "M", "purchased_on": "2026-04-12", "region": "ID", "store": "S", "channel": "retail"}]}"#,
    )
    .unwrap();
    let o = run(&db, &["import", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("products[0]") && err.contains("chk"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    // The member before the bad product was not written either.
    let o = run(&db, &["status", "K2399N0077777"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));

    let o = run(&db, &["import", "/nonexistent/file.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/file.json"));
}

async fn review_commands(db: TestDb) {
    assert!(run(&db, &["demo"]).status.success());
    let o = run(&db, &["review", "list", "--json"]);
    let queue: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let ids: Vec<_> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1044, 1046], "oldest in the queue first");
    for entry in queue.as_array().unwrap() {
        // The demo's claims were queued in April 2026: long overdue by now.
        assert!(entry["age_working_days"].as_u64().unwrap() > 14, "{entry}");
        assert_eq!(entry["overdue"], true);
        // 1046 came back after a rejection (a corrected S/N photo).
        assert_eq!(entry["resubmission"], entry["id"] == 1046, "{entry}");
        assert!(entry["lease"].is_null());
    }

    // A reviewer's claim keeps others from deciding it until it is released.
    let o = run(&db, &["review", "claim", "1044", "--as", "dewi"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&db, &["review", "list"]);
    assert!(stdout(&o).contains("claimed by dewi"), "{}", stdout(&o));
    let o = run(&db, &["review", "claim", "1044", "--as", "rina"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("dewi"), "{}", stderr(&o));
    let o = run(&db, &["review", "approve", "1044", "--as", "rina"]);
    assert_eq!(o.status.code(), Some(2), "held by dewi");
    let o = run(&db, &["review", "release", "1044", "--as", "rina"]);
    assert_eq!(o.status.code(), Some(2), "rina holds nothing");
    assert!(
        run(&db, &["review", "release", "1044", "--as", "dewi"])
            .status
            .success()
    );
    assert!(run(&db, &["review", "claim", "1044", "--as", "rina"]).status.success());

    let o = run(
        &db,
        &[
            "review",
            "reject",
            "1044",
            "--reason",
            "invoice_unreadable",
            "--note",
            "blurry",
            "--as",
            "rina",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&db, &["review", "show", "1044", "--json"]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["status"], "rejected");
    assert_eq!(v["reason"], "invoice_unreadable");
    let last = v["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "rejected");
    assert_eq!(last["actor"], "staff:rina");
    assert_eq!(last["note"], "blurry");

    let o = run(&db, &["review", "approve", "1046", "--as", "agus"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&db, &["review", "show", "1046", "--json"]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["status"], "approved");

    // Illegal moves, unknown ids and unknown reasons are bad input.
    for args in [
        &["review", "approve", "1042"][..],
        &["review", "approve", "999999"],
        &["review", "reject", "1046", "--reason", "bad_vibes"],
        &["review", "reject", "1046"],
        &["status", "12"],
        &["frobnicate"],
    ] {
        let o = run(&db, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).trim().is_empty());
    }
    // Nothing changed by the refused commands.
    let o = run(&db, &["review", "show", "1042", "--json"]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["status"], "rejected");
}

#[tokio::test]
async fn demo_then_status_sqlite() {
    demo_then_status(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn demo_then_status_postgres() {
    demo_then_status(TestDb::postgres().await).await;
}

#[tokio::test]
async fn import_errors_exit_2_and_write_nothing_sqlite() {
    import_errors_exit_2_and_write_nothing(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn import_errors_exit_2_and_write_nothing_postgres() {
    import_errors_exit_2_and_write_nothing(TestDb::postgres().await).await;
}

#[tokio::test]
async fn review_commands_sqlite() {
    review_commands(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn review_commands_postgres() {
    review_commands(TestDb::postgres().await).await;
}

#[test]
fn default_database_is_created_in_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = redeemdesk("", dir.path());
    cmd.env_remove("DATABASE_URL");
    let o = cmd.arg("migrate").output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.path().join("redeemdesk.db").exists());
}

#[test]
fn bad_configuration_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let o = redeemdesk("sqlite://x.db", dir.path())
        .env("REDEEMDESK_HTTP__BIND", "")
        .env("REDEEMDESK_IMAP__PORT", "many")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("port"), "{}", stderr(&o));
    let o = redeemdesk("mysql://nope", dir.path()).arg("migrate").output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("unsupported database URL"), "{}", stderr(&o));
}

#[test]
fn serve_answers_healthz_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = redeemdesk("sqlite://serve.db", dir.path())
        .env("REDEEMDESK_HTTP__BIND", "127.0.0.1:0")
        .env("TELOXIDE_TOKEN", "")
        .args(["serve", "--demo"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut log = Vec::new();
    let addr = loop {
        let line = lines.next().expect("serve ended before listening").unwrap();
        log.push(line.clone());
        if let Some(rest) = line.split("addr=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    assert!(log.iter().any(|l| l.contains("telegram is off")), "{log:?}");

    let mut stream = TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains(r#""database":"ok""#), "{response}");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(status.success(), "{status:?} {rest:?}");
    assert!(rest.iter().any(|l| l.contains("stopped cleanly")), "{rest:?}");
    assert!(dir.path().join("serve.db").exists());
}

/// A rejection from the command line queues the member's email (visible in
/// `review show`); `serve` with SMTP configured sends it; a dead email shows
/// in `jobs list --status dead` and `jobs retry` queues it again.
#[tokio::test]
async fn rejections_are_emailed_by_serve_and_dead_emails_show_in_the_cli() {
    let db = TestDb::sqlite().await;
    assert!(run(&db, &["demo"]).status.success());
    let o = run(
        &db,
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
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&db, &["review", "show", "1044", "--json"]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let email = &v["emails"][0];
    assert_eq!(email["kind"], "rejection");
    assert_eq!(email["to"], "rizky.pratama@example.test");
    assert_eq!(email["delivery"], "queued");
    assert!(email["sent_at"].is_null());
    assert!(
        email["reply_address"].as_str().unwrap().starts_with("redeemdesk+"),
        "the handle is listed from the moment it is queued: {email}"
    );
    let message_id = email["message_id"].as_str().unwrap().to_owned();

    // serve sends what the CLI queued.
    let dir = tempfile::tempdir().unwrap();
    let mut child = redeemdesk(&db.url, dir.path())
        .env("REDEEMDESK_HTTP__BIND", "127.0.0.1:0")
        .env("REDEEMDESK_SMTP__HOST", "127.0.0.1")
        .env("REDEEMDESK_SMTP__PORT", support::mail::SMTP_PLAIN.to_string())
        .env("REDEEMDESK_SMTP__TLS", "none")
        .env(
            "REDEEMDESK_SMTP__FROM",
            "MSI Indonesia Promotion <support@example.test>",
        )
        .args(["serve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let raw = support::mail::fetch_by_message_id("rizky.pratama@example.test", "pass", &message_id).await;
    assert_eq!(raw.len(), 1);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let o = run(&db, &["review", "show", "1044", "--json"]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["emails"][0]["delivery"], "done");
    assert!(stdout(&run(&db, &["review", "show", "1044"])).contains("email rejection to rizky.pratama@example.test"));

    // An address the server refuses for good: dead at once, listed, retried on request.
    let mut tx = db.db.begin_write().await.unwrap();
    let member = redeemdesk::domain::Member {
        id: 9,
        email: redeemdesk::domain::EmailAddress::parse("nobody-here@example.test").unwrap(),
        name: "Nobody".into(),
        locale: redeemdesk::domain::Locale::Id,
        region: redeemdesk::domain::Region::parse("ID").unwrap(),
        phone: None,
    };
    let settings = redeemdesk::mail::outbox::MailSettings::default();
    let id = redeemdesk::mail::outbox::new_message_id(&settings, "t");
    let email = redeemdesk::mail::compose::link_code(&member, "123456", "Telegram", 15, &id);
    redeemdesk::mail::outbox::enqueue(&mut tx, &email, "x", None, chrono::Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let worker = redeemdesk::jobs::Worker::new(
        db.db.clone(),
        std::sync::Arc::new(
            redeemdesk::mail::smtp::Mailer::from_config(&support::mail::smtp(redeemdesk::config::TlsMode::None))
                .unwrap(),
        ),
        redeemdesk::jobs::WorkerOptions {
            kinds: vec![redeemdesk::jobs::JobKind::Email],
            ..Default::default()
        },
    );
    worker.drain().await.unwrap();
    let o = run(&db, &["jobs", "list", "--status", "dead", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let dead: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(dead.as_array().unwrap().len(), 1, "{dead}");
    assert!(dead[0]["last_error"].as_str().unwrap().contains("550"));
    let job = dead[0]["id"].as_i64().unwrap().to_string();
    assert!(stdout(&run(&db, &["jobs", "list"])).contains("dead"));
    let o = run(&db, &["jobs", "retry", &job]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&db, &["jobs", "retry", &job]);
    assert_eq!(o.status.code(), Some(2), "only dead jobs can be retried");
    assert!(stderr(&o).contains("not dead"), "{}", stderr(&o));
}
