//! The IMAP poller against the real Dovecot of `scripts/mailstack.sh`: it
//! reads a folder, acts through the ingestor, moves each message after the
//! commit (MOVE, or COPY + delete), quarantines what it cannot read, wakes up
//! on IDLE, connects over TLS and STARTTLS, survives a crash between commit and
//! move, and runs once across replicas (PostgreSQL advisory lock).
//!
//! Each test reads its own folders (random names) of the support mailbox, so
//! tests run side by side without seeing each other's mail.

use crate::support;

use std::time::Duration;

use chrono::Utc;
use redeemdesk::blobs::BlobStore;
use redeemdesk::config::{ImapConfig, TlsMode};
use redeemdesk::domain::{EventKind, Status};
use redeemdesk::import::{DEMO_JSON, import_json};
use redeemdesk::mail::imap::{ImapSettings, LEADER_KEY, Poller, connect};
use redeemdesk::mail::inbound::ingest::{Ingestor, MailAction};
use redeemdesk::mail::outbox::MailSettings;
use redeemdesk::store::Db;
use support::TestDb;
use support::eml::{Eml, jpeg};
use support::mail::{SUPPORT, append, cert, count, eventually, unique_folder};
use tokio::sync::watch;

fn mail_settings() -> MailSettings {
    support::mail::reply_settings()
}

struct Folders {
    inbox: String,
    done: String,
    quarantine: String,
}

fn folders() -> Folders {
    let base = unique_folder("T");
    Folders {
        inbox: format!("{base}in"),
        done: format!("{base}done"),
        quarantine: format!("{base}bad"),
    }
}

fn config(f: &Folders, tls: TlsMode, port: u16) -> ImapConfig {
    ImapConfig {
        host: Some(if tls == TlsMode::None { "127.0.0.1" } else { "localhost" }.into()),
        port: Some(port),
        tls,
        username: Some(SUPPORT.0.into()),
        password: Some(SUPPORT.1.to_owned().into()),
        mailbox: f.inbox.clone(),
        processed_mailbox: f.done.clone(),
        quarantine_mailbox: f.quarantine.clone(),
        idle: true,
        poll_seconds: 1,
        ca_file: Some(cert()),
        max_message_mb: 40,
    }
}

fn ingestor(db: &Db, blobs: &tempfile::TempDir) -> Ingestor {
    Ingestor::new(db.clone(), BlobStore::new(blobs.path()), mail_settings())
}

fn start(settings: ImapSettings, ingestor: Ingestor, db: &Db) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = watch::channel(false);
    let poller = Poller::new(settings, ingestor, db.clone());
    (stop, tokio::spawn(poller.run(stopped)))
}

fn budi_reply() -> Eml {
    Eml::new(
        "Budi Santoso <budi.santoso@example.test>",
        SUPPORT.0,
        "Re: [RDM-1042] Klaim Anda",
    )
    .attach("faktur.jpg", "image/jpeg", jpeg(320, 240))
}

use support::status;

#[tokio::test]
async fn the_poller_acts_moves_quarantines_and_wakes_on_idle() {
    let db = TestDb::sqlite().await;
    import_json(&db.db, DEMO_JSON, Utc::now()).await.unwrap();
    let blobs = tempfile::tempdir().unwrap();
    let f = folders();
    append(&f.inbox, &budi_reply().build()).await;
    let ooo = Eml::new("budi.santoso@example.test", SUPPORT.0, "Out of Office: [RDM-1042]")
        .header("Auto-Submitted", Some("auto-replied"));
    append(&f.inbox, &ooo.build()).await;
    append(&f.inbox, b"garbage that is not an email, without a single header\r\n").await;
    // Over the size limit: quarantined without being read.
    let huge = Eml::new("someone@elsewhere.test", SUPPORT.0, "faktur besar").attach(
        "faktur.pdf",
        "application/pdf",
        vec![b'%'; 1_500_000],
    );
    append(&f.inbox, &huge.build()).await;

    let mut cfg = config(&f, TlsMode::None, support::mail::IMAP_PLAIN);
    cfg.max_message_mb = 1;
    let settings = ImapSettings::from_config(&cfg).unwrap().unwrap();
    let (stop, task) = start(settings, ingestor(&db.db, &blobs), &db.db);
    eventually(30, "the four messages are moved", || async {
        count(&f.inbox).await == 0 && count(&f.done).await == 2 && count(&f.quarantine).await == 2
    })
    .await;
    assert_eq!(status(&db.db, 1042).await, Status::UnderReview);
    let read = db.db.begin().await.unwrap().inbound_mail_actions().await.unwrap();
    assert_eq!(read.len(), 3, "the huge one was never read: {read:?}");

    // While the poller idles, a new message arrives: IDLE wakes it.
    let (reply_to, _) = support::mail::reject_as_staff(&db.db, 1044).await;
    let rizky =
        Eml::new("rizky.pratama@example.test", &reply_to, "Re: klaim").attach("sn.jpg", "image/jpeg", jpeg(200, 100));
    append(&f.inbox, &rizky.build()).await;
    eventually(30, "the new message is handled", || async { count(&f.done).await == 3 }).await;
    assert_eq!(status(&db.db, 1044).await, Status::UnderReview);

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("the poller stops on request")
        .unwrap();
}

#[tokio::test]
async fn without_move_it_copies_and_deletes_and_creates_missing_folders() {
    let db = TestDb::sqlite().await;
    import_json(&db.db, DEMO_JSON, Utc::now()).await.unwrap();
    let blobs = tempfile::tempdir().unwrap();
    let f = folders();
    append(&f.inbox, &budi_reply().build()).await;
    assert_eq!(count(&f.done).await, 0, "the processed folder does not exist yet");
    let mut settings = ImapSettings::from_config(&config(&f, TlsMode::None, support::mail::IMAP_PLAIN))
        .unwrap()
        .unwrap();
    settings.prefer_move = false;
    settings.idle = false;
    let (stop, task) = start(settings, ingestor(&db.db, &blobs), &db.db);
    eventually(30, "the message is copied and deleted", || async {
        count(&f.inbox).await == 0 && count(&f.done).await == 1
    })
    .await;
    stop.send(true).unwrap();
    task.await.unwrap();
    assert_eq!(status(&db.db, 1042).await, Status::UnderReview);
}

#[tokio::test]
async fn a_crash_between_the_commit_and_the_move_does_not_resubmit_twice() {
    let db = TestDb::sqlite().await;
    import_json(&db.db, DEMO_JSON, Utc::now()).await.unwrap();
    let blobs = tempfile::tempdir().unwrap();
    let f = folders();
    let raw = budi_reply().build();
    append(&f.inbox, &raw).await;
    // A previous run committed the ingest of this very message, then died before moving it.
    let first = ingestor(&db.db, &blobs).ingest(&raw, Utc::now()).await.unwrap();
    assert_eq!(first.action, MailAction::Resubmitted);

    let settings = ImapSettings::from_config(&config(&f, TlsMode::None, support::mail::IMAP_PLAIN))
        .unwrap()
        .unwrap();
    let (stop, task) = start(settings, ingestor(&db.db, &blobs), &db.db);
    eventually(30, "the message is moved", || async { count(&f.done).await == 1 }).await;
    stop.send(true).unwrap();
    task.await.unwrap();

    let history = db.db.begin().await.unwrap().history(1042).await.unwrap();
    let resubmissions = history
        .iter()
        .filter(|e| e.change.kind() == EventKind::Resubmitted)
        .count();
    assert_eq!(resubmissions, 1);
    let emails = db.db.begin().await.unwrap().emails_of_redemption(1042).await.unwrap();
    assert_eq!(emails.len(), 1, "one acknowledgement");
    let actions = db.db.begin().await.unwrap().inbound_mail_actions().await.unwrap();
    assert_eq!(actions.len(), 1, "one record of the message");
}

#[tokio::test]
async fn it_connects_over_tls_and_starttls_and_refuses_plain_text_off_loopback() {
    let f = folders();
    for (tls, port) in [(TlsMode::Tls, 1993), (TlsMode::Starttls, support::mail::IMAP_PLAIN)] {
        let settings = ImapSettings::from_config(&config(&f, tls, port)).unwrap().unwrap();
        let mut session = connect(&settings).await.unwrap_or_else(|e| panic!("{tls:?}: {e}"));
        session.select("INBOX").await.unwrap();
        session.logout().await.unwrap();
    }
    let mut off = config(&f, TlsMode::None, 143);
    off.host = Some("mail.example.test".into());
    let err = ImapSettings::from_config(&off).unwrap_err();
    assert!(err.to_string().contains("loopback"), "{err}");
    // A wrong password is an error, not a hang.
    let mut wrong = config(&f, TlsMode::None, support::mail::IMAP_PLAIN);
    wrong.password = Some("nope".to_owned().into());
    let settings = ImapSettings::from_config(&wrong).unwrap().unwrap();
    assert!(connect(&settings).await.is_err());
}

#[tokio::test]
async fn one_poller_leads_across_replicas_on_postgres() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("redeemdesk=debug")
        .try_init();
    let db = TestDb::postgres().await;
    import_json(&db.db, DEMO_JSON, Utc::now()).await.unwrap();
    // Two replicas: two pools on the same database.
    let other = Db::connect(&db.url).await.unwrap();
    let lead = db
        .db
        .try_lead(LEADER_KEY)
        .await
        .unwrap()
        .expect("the first replica leads");
    assert!(other.try_lead(LEADER_KEY).await.unwrap().is_none(), "only one leads");
    drop(lead);
    let mut taken = None;
    for _ in 0..50 {
        taken = other.try_lead(LEADER_KEY).await.unwrap();
        if taken.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(taken.is_some(), "the lead passes on when its holder lets go");
    drop(taken);

    // Both replicas run a poller on the same folder: every message is handled once.
    let blobs = tempfile::tempdir().unwrap();
    let f = folders();
    let settings = ImapSettings::from_config(&config(&f, TlsMode::None, support::mail::IMAP_PLAIN))
        .unwrap()
        .unwrap();
    let (stop_a, a) = start(settings.clone(), ingestor(&db.db, &blobs), &db.db);
    let (stop_b, b) = start(settings, ingestor(&other, &blobs), &other);
    for i in 0..6 {
        let m = Eml::new(
            &format!("stranger{i}@elsewhere.test"),
            SUPPORT.0,
            &format!("question {i}"),
        );
        append(&f.inbox, &m.build()).await;
    }
    eventually(40, "all six are handled", || async { count(&f.done).await == 6 }).await;
    stop_a.send(true).unwrap();
    stop_b.send(true).unwrap();
    a.await.unwrap();
    b.await.unwrap();
    let actions = db.db.begin().await.unwrap().inbound_mail_actions().await.unwrap();
    assert_eq!(actions.len(), 6);
    assert!(actions.iter().all(|(_, a)| a == "escalated"));
    other.close().await;
}
