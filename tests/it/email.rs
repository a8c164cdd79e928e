//! Outbound email through the real mail stack (`scripts/mailstack.sh`:
//! Postfix + Dovecot on loopback): review decisions put the member's email in
//! the outbox with the decision, the worker sends it with lettre, and we read
//! it back over IMAP from the member's mailbox. Also each TLS mode with a
//! login, an SMTP server that is down and comes back, a permanent refusal,
//! and the loop and bounce guards.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use mail_parser::{HeaderValue, MessageParser};
use redeemdesk::config::TlsMode;
use redeemdesk::domain::{Actor, Locale, RejectionReason};
use redeemdesk::import::{DEMO_JSON, import_json};
use redeemdesk::jobs::{JobStatus, Worker, WorkerOptions};
use redeemdesk::mail::outbox::{self, Enqueued, MailSettings};
use redeemdesk::mail::smtp::Mailer;
use redeemdesk::mail::{EmailKind, OutgoingEmail};
use redeemdesk::review::{Decision, decide};
use redeemdesk::store::Db;
use support::both_backends;
use support::mail::{self, DOMAIN};

/// An English-speaking member's claim under review, beside the demo data.
const SARAH_CLAIM: &str = r#"{
  "products": [
    {"serial": "K2305N0077777", "chk": "123", "member_id": 502, "category": "AIO", "model": "Modern AM242 1M",
     "purchased_on": "2026-04-14", "region": "ID", "store": "Enter Komputer", "channel": "retail"}
  ],
  "redemptions": [
    {"id": 2001, "serial": "K2305N0077777", "promotion_id": "smart-office-2026",
     "submitted_at": "2026-04-21T10:00:00+07:00", "status": "under_review"}
  ]
}"#;

fn settings() -> MailSettings {
    MailSettings {
        reply_local: "support".into(),
        reply_domain: DOMAIN.into(),
        handle_ttl: chrono::Duration::days(60),
    }
}

fn options() -> WorkerOptions {
    WorkerOptions {
        concurrency: 4,
        poll: Duration::from_millis(20),
        lease: Duration::from_secs(60),
        backoff_base: Duration::from_millis(50),
        backoff_max: Duration::from_millis(200),
        // Only what the mailer performs (each queued claim also has a staff post).
        kinds: vec![redeemdesk::jobs::JobKind::Email],
    }
}

fn staff() -> Actor {
    Actor::parse("staff:rina").unwrap()
}

/// The emails about a redemption: (kind, message id, delivery).
async fn emails(db: &Db, id: i64) -> Vec<redeemdesk::store::EmailLogRecord> {
    db.begin().await.unwrap().emails_of_redemption(id).await.unwrap()
}

fn header_text(msg: &mail_parser::Message, name: &str) -> String {
    match msg.header(name) {
        Some(HeaderValue::Text(t)) => t.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

both_backends! {
    async fn decisions_email_the_member_in_their_language(db: Db) {
        import_json(&db, DEMO_JSON, Utc::now()).await.unwrap();
        import_json(&db, SARAH_CLAIM, Utc::now()).await.unwrap();
        let now = Utc::now();
        // Rizky (Indonesian) rejected, Sarah (English) rejected, Dewi (Indonesian) approved.
        let reject = |reason, note: &str| Decision::Reject { reason, note: Some(note.into()) };
        decide(&db, 1044, reject(RejectionReason::InvoiceMissingProductName, "Nama produk <tidak> terlihat & buram"), staff(), &settings(), now).await.unwrap();
        decide(&db, 2001, reject(RejectionReason::SerialPhotoPackaging, ""), staff(), &settings(), now).await.unwrap();
        decide(&db, 1046, Decision::Approve { note: None }, staff(), &settings(), now).await.unwrap();

        // Queued with the decision, not sent yet.
        let queued = emails(&db, 1044).await;
        assert_eq!(queued.len(), 1);
        assert_eq!((queued[0].kind, queued[0].delivery), (EmailKind::Rejection, JobStatus::Queued));

        let mailer = Mailer::from_config(&mail::smtp(TlsMode::None)).unwrap();
        let worker = Worker::new(db.clone(), Arc::new(mailer), options());
        assert_eq!(worker.drain().await.unwrap(), 3);
        let sent = emails(&db, 1044).await;
        assert_eq!(sent[0].delivery, JobStatus::Done);

        // Rizky's rejection, read back from his mailbox.
        let raw = mail::fetch_by_message_id("rizky.pratama@example.test", "pass", &sent[0].message_id).await;
        assert_eq!(raw.len(), 1, "delivered exactly once");
        let msg = MessageParser::default().parse(&raw[0]).unwrap();
        let subject = msg.subject().unwrap();
        assert!(subject.starts_with("[RDM-1044]"), "{subject}");
        assert!(subject.contains("Smart Office Rewards"), "{subject}");
        assert_eq!(header_text(&msg, "Content-Language"), "id");
        assert_eq!(header_text(&msg, "Auto-Submitted"), "auto-generated");
        assert_eq!(format!("<{}>", msg.message_id().unwrap()), sent[0].message_id);
        let from = msg.from().unwrap().first().unwrap();
        assert_eq!(from.address().unwrap(), "support@example.test");
        let reply_to = msg.reply_to().unwrap().first().unwrap().address().unwrap().to_string();
        let token = reply_to
            .strip_prefix("support+")
            .and_then(|r| r.strip_suffix("@example.test"))
            .unwrap_or_else(|| panic!("reply-to {reply_to}"));
        assert_eq!(token.len(), 26);
        assert_eq!(sent[0].reply_address.as_deref(), Some(reply_to.as_str()), "staff see the same handle");
        assert!(sent[0].sent_at.is_some());
        let handle = db.begin().await.unwrap().reply_handle(token).await.unwrap().expect("the handle is stored");
        assert_eq!((handle.0, handle.1), (1044, 503));
        assert_eq!(handle.2, sent[0].message_id);
        assert!(handle.3 > Utc::now() + chrono::Duration::days(59));
        let text = msg.body_text(0).unwrap();
        assert!(text.contains("Halo Rizky Pratama"), "{text}");
        assert!(text.contains("Cubi NUC 1M"), "{text}");
        assert!(text.contains("S1B4A2500123"), "{text}");
        assert!(text.contains("nama/model produk"), "the reason in words: {text}");
        assert!(text.contains("Balas email ini"), "how to fix: {text}");
        assert!(text.contains("Nama produk <tidak> terlihat & buram"), "the note, as written: {text}");
        let html = msg.body_html(0).unwrap();
        assert!(html.contains("Nama produk &lt;tidak&gt; terlihat &amp; buram"), "escaped in HTML: {html}");
        assert!(html.contains("lang=\"id\""));

        // Sarah's, in English.
        let sarah = emails(&db, 2001).await;
        let raw = mail::fetch_by_message_id("sarah.wijaya@example.test", "pass", &sarah[0].message_id).await;
        assert_eq!(raw.len(), 1);
        let msg = MessageParser::default().parse(&raw[0]).unwrap();
        assert!(msg.subject().unwrap().starts_with("[RDM-2001]"));
        assert_eq!(header_text(&msg, "Content-Language"), "en");
        let text = msg.body_text(0).unwrap();
        assert!(text.contains("Hello Sarah Wijaya"), "{text}");
        assert!(text.contains("packaging"), "{text}");
        assert!(text.contains("Reply to this email with the corrected invoice attached"), "{text}");
        assert!(!text.contains("Note from our team"), "an empty note is left out");

        // Dewi's approval: the reward and when it comes.
        let dewi = emails(&db, 1046).await;
        let raw = mail::fetch_by_message_id("dewi.lestari@example.test", "pass", &dewi[0].message_id).await;
        let msg = MessageParser::default().parse(&raw[0]).unwrap();
        let text = msg.body_text(0).unwrap();
        assert!(msg.subject().unwrap().contains("disetujui"), "{:?}", msg.subject());
        assert!(text.contains("Digital Code"), "{text}");
        assert!(text.contains("akhir periode promosi"), "{text}");
        assert!(msg.reply_to().is_none(), "only rejections carry a reply handle");
    }

    async fn guards_stop_loops_and_bounced_addresses(db: Db) {
        import_json(&db, DEMO_JSON, Utc::now()).await.unwrap();
        let now = Utc::now();
        let email = |to: &str| OutgoingEmail {
            kind: EmailKind::StatusAnswer,
            to: to.into(),
            to_name: None,
            locale: Locale::Id,
            subject: "x".into(),
            text: "x".into(),
            html: "x".into(),
            message_id: outbox::new_message_id(&settings(), "t"),
            reply_to: None,
            in_reply_to: None,
        };
        let mut tx = db.begin_write().await.unwrap();
        let first = outbox::enqueue(&mut tx, &email("budi@example.test"), "", None, now).await.unwrap();
        assert!(matches!(first, Enqueued::Queued { .. }));
        // The same kind to the same address within the hour (an auto-responder loop): held back.
        let again = outbox::enqueue(&mut tx, &email("BUDI@example.test"), "", None, now + chrono::Duration::minutes(30)).await.unwrap();
        assert_eq!(again, Enqueued::Throttled);
        let later = outbox::enqueue(&mut tx, &email("budi@example.test"), "", None, now + chrono::Duration::minutes(61)).await.unwrap();
        assert!(matches!(later, Enqueued::Queued { .. }));
        // About another claim, it is another email.
        let other = outbox::enqueue(&mut tx, &email("budi@example.test"), "1044", Some(1044), now).await.unwrap();
        assert!(matches!(other, Enqueued::Queued { .. }));
        // Emails that follow a decision are never held back: a second rejection within the hour is news.
        let decided = |to: &str| OutgoingEmail { kind: EmailKind::Rejection, ..email(to) };
        for _ in 0..2 {
            let sent = outbox::enqueue(&mut tx, &decided("budi@example.test"), "1042", Some(1042), now).await.unwrap();
            assert!(matches!(sent, Enqueued::Queued { .. }));
        }
        // A hard-bounced address gets nothing.
        tx.suppress_email("gone@example.test", "550 5.1.1 user unknown", now).await.unwrap();
        let bounced = outbox::enqueue(&mut tx, &email("Gone@example.test"), "", None, now).await.unwrap();
        assert_eq!(bounced, Enqueued::Suppressed);
        tx.commit().await.unwrap();
        let jobs = support::customer_jobs(&db).await;
        assert_eq!(jobs.len(), 5);
    }
}

/// Sends one email to `customer1` through `mailer` (drained by a worker) and
/// returns its Message-ID.
async fn send_one(db: &Db, mailer: Mailer, to: &str) -> String {
    let member = redeemdesk::domain::Member {
        id: 1,
        email: redeemdesk::domain::EmailAddress::parse(to).unwrap(),
        name: "Pelanggan Satu".into(),
        locale: Locale::Id,
        region: redeemdesk::domain::Region::parse("ID").unwrap(),
        phone: None,
    };
    let message_id = outbox::new_message_id(&settings(), "test");
    let email = redeemdesk::mail::compose::link_code(&member, "481920", "Telegram", 15, &message_id);
    let mut tx = db.begin_write().await.unwrap();
    outbox::enqueue(&mut tx, &email, &message_id, None, Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let worker = Worker::new(db.clone(), Arc::new(mailer), options());
    worker.drain().await.unwrap();
    message_id
}

#[tokio::test]
async fn starttls_and_implicit_tls_with_a_login() {
    for mode in [TlsMode::Starttls, TlsMode::Tls] {
        let db = support::TestDb::sqlite().await;
        let mailer = Mailer::from_config(&mail::smtp(mode)).unwrap();
        let id = send_one(&db.db, mailer, "customer1@example.test").await;
        let raw = mail::fetch_by_message_id("customer1@example.test", "pass", &id).await;
        assert_eq!(raw.len(), 1, "{mode:?}");
        let msg = MessageParser::default().parse(&raw[0]).unwrap();
        assert!(msg.body_text(0).unwrap().contains("481920"));
    }
}

#[tokio::test]
async fn plain_smtp_only_on_loopback_and_tls_needs_a_trusted_certificate() {
    let mut cfg = mail::smtp(TlsMode::None);
    cfg.host = Some("smtp.example.com".into());
    let err = Mailer::from_config(&cfg).err().expect("refused");
    assert!(err.to_string().contains("loopback"), "{err}");

    // Without the stack's certificate, TLS fails, and the email waits for a retry.
    let db = support::TestDb::sqlite().await;
    let mut cfg = mail::smtp(TlsMode::Tls);
    cfg.ca_file = None;
    let id = send_one(&db.db, Mailer::from_config(&cfg).unwrap(), "customer2@example.test").await;
    let jobs = db.db.begin().await.unwrap().jobs(None, 10).await.unwrap();
    assert_eq!(jobs[0].status, JobStatus::Queued, "{:?}", jobs[0].last_error);
    assert!(
        mail::search("customer2@example.test", "pass", &format!("HEADER Message-ID \"{id}\""))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_permanent_refusal_is_dead_lettered_at_once() {
    let db = support::TestDb::sqlite().await;
    let mailer = Mailer::from_config(&mail::smtp(TlsMode::None)).unwrap();
    send_one(&db.db, mailer, "nobody-here@example.test").await;
    let jobs = db.db.begin().await.unwrap().jobs(None, 10).await.unwrap();
    assert_eq!((jobs[0].status, jobs[0].attempts), (JobStatus::Dead, 1));
    assert!(
        jobs[0].last_error.as_deref().unwrap().contains("550"),
        "{:?}",
        jobs[0].last_error
    );
}

/// Forwards a loopback port to the stack's SMTP port: down (nothing listens)
/// until started.
async fn forward(port: u16) -> tokio::task::JoinHandle<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    tokio::spawn(async move {
        loop {
            let (mut inbound, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut outbound = tokio::net::TcpStream::connect(("127.0.0.1", mail::SMTP_PLAIN))
                    .await
                    .unwrap();
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    })
}

/// Plain SMTP settings pointing at a free loopback port nobody listens on
/// (yet: `forward(port)` brings the real server there), with a short timeout.
fn smtp_nobody_listens_on() -> (redeemdesk::config::SmtpConfig, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cfg = mail::smtp(TlsMode::None);
    cfg.port = Some(port);
    cfg.timeout_seconds = 2;
    (cfg, port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emails_wait_while_the_smtp_server_is_down_and_all_arrive_once_it_is_back() {
    let db = support::TestDb::sqlite().await;
    let (cfg, port) = smtp_nobody_listens_on();
    let member = |n: u32| redeemdesk::domain::Member {
        id: i64::from(n),
        email: redeemdesk::domain::EmailAddress::parse(&format!("customer{n}@example.test")).unwrap(),
        name: format!("Pelanggan {n}"),
        locale: Locale::En,
        region: redeemdesk::domain::Region::parse("ID").unwrap(),
        phone: None,
    };
    let mut ids = Vec::new();
    let mut tx = db.db.begin_write().await.unwrap();
    for n in 3..=5 {
        let message_id = outbox::new_message_id(&settings(), "down");
        let email = redeemdesk::mail::compose::link_code(&member(n), "111222", "Discord", 15, &message_id);
        outbox::enqueue(&mut tx, &email, &message_id, None, Utc::now())
            .await
            .unwrap();
        ids.push((n, message_id));
    }
    tx.commit().await.unwrap();

    let worker = Worker::new(db.db.clone(), Arc::new(Mailer::from_config(&cfg).unwrap()), options());
    worker.drain().await.unwrap();
    let jobs = db.db.begin().await.unwrap().jobs(None, 10).await.unwrap();
    assert!(
        jobs.iter().all(|j| j.status == JobStatus::Queued && j.attempts == 1),
        "{jobs:?}"
    );

    // The server comes back: the retries deliver everything, once.
    let proxy = forward(port).await;
    for _ in 0..200 {
        worker.drain().await.unwrap();
        let jobs = db.db.begin().await.unwrap().jobs(None, 10).await.unwrap();
        if jobs.iter().all(|j| j.status == JobStatus::Done) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for (n, id) in ids {
        let raw = mail::fetch_by_message_id(&format!("customer{n}@example.test"), "pass", &id).await;
        assert_eq!(raw.len(), 1, "customer{n}");
    }
    proxy.abort();
}

/// SMTP down for most of an hour: the service's own retry schedule (the
/// default `WorkerOptions`: 30 s doubling, capped, 8 attempts) carries it and
/// the email arrives once when the server is back. The clock is moved on by
/// making each retry due as soon as it is planned (as time would), so the test
/// does not wait the hour; what it checks is how long the schedule waited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_smtp_outage_of_most_of_an_hour_is_carried_by_the_retry_schedule() {
    let db = support::TestDb::sqlite().await;
    let (cfg, port) = smtp_nobody_listens_on();
    let member = redeemdesk::domain::Member {
        id: 2,
        email: redeemdesk::domain::EmailAddress::parse("customer2@example.test").unwrap(),
        name: "Pelanggan 2".into(),
        locale: Locale::Id,
        region: redeemdesk::domain::Region::parse("ID").unwrap(),
        phone: None,
    };
    let message_id = outbox::new_message_id(&settings(), "outage");
    let email = redeemdesk::mail::compose::link_code(&member, "333444", "Telegram", 15, &message_id);
    let mut tx = db.db.begin_write().await.unwrap();
    outbox::enqueue(&mut tx, &email, &message_id, None, Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let options = WorkerOptions {
        kinds: vec![redeemdesk::jobs::JobKind::Email],
        ..WorkerOptions::default()
    };
    let worker = Worker::new(db.db.clone(), Arc::new(Mailer::from_config(&cfg).unwrap()), options);
    let Db::Sqlite(pool, _) = &db.db else {
        unreachable!("a SQLite test database")
    };
    let mut waited = chrono::Duration::zero();
    let mut failed = 0;
    while waited < chrono::Duration::minutes(45) {
        let tried_at = Utc::now();
        worker.drain().await.unwrap();
        let job = db.db.begin().await.unwrap().jobs(None, 10).await.unwrap().remove(0);
        assert_eq!(
            job.status,
            JobStatus::Queued,
            "still waiting after {failed} failures: {job:?}"
        );
        failed = job.attempts;
        waited += job.run_at - tried_at;
        // Time passes: the planned retry is due now.
        sqlx::query("UPDATE jobs SET run_at = $1 WHERE id = $2")
            .bind(Utc::now())
            .bind(job.id)
            .execute(pool)
            .await
            .unwrap();
    }
    assert!(
        failed < redeemdesk::jobs::DEFAULT_MAX_ATTEMPTS,
        "{failed} attempts used"
    );

    // The server is back: the next attempt delivers, once.
    let proxy = forward(port).await;
    worker.drain().await.unwrap();
    let job = db.db.begin().await.unwrap().jobs(None, 10).await.unwrap().remove(0);
    assert_eq!(job.status, JobStatus::Done, "{job:?}");
    let raw = mail::fetch_by_message_id("customer2@example.test", "pass", &message_id).await;
    assert_eq!(raw.len(), 1);
    eprintln!(
        "SMTP refused for {} planned minutes over {failed} attempts; delivered on attempt {}",
        waited.num_minutes(),
        job.attempts
    );
    proxy.abort();
}

/// The account-linking flow with the real mail stack: the code travels by
/// email and comes back through chat.
#[tokio::test]
async fn a_chat_links_to_a_member_with_the_code_from_the_real_email() {
    use redeemdesk::assistant::{Assistant, Content, Inbound};
    use redeemdesk::domain::Channel;
    let db = support::TestDb::sqlite().await;
    import_json(&db.db, DEMO_JSON, Utc::now()).await.unwrap();
    let assistant = Assistant::new(db.db.clone()).with_mail(settings());
    let say = |text: &str| Inbound {
        channel: Channel::Telegram,
        user: "tg-link".into(),
        content: Content::Text(text.into()),
        lang_hint: Some("en".into()),
        event_id: None,
        public: false,
    };
    assistant
        .handle(&say("/link sarah.wijaya@example.test"), Utc::now())
        .await
        .unwrap();
    let worker = Worker::new(
        db.db.clone(),
        Arc::new(Mailer::from_config(&mail::smtp(TlsMode::None)).unwrap()),
        options(),
    );
    assert_eq!(worker.drain().await.unwrap(), 1);
    let job = support::customer_jobs(&db.db).await.remove(0);
    assert_eq!(job.status, JobStatus::Done);
    let message_id = job.payload["message_id"].as_str().unwrap().to_owned();
    let raw = mail::fetch_by_message_id("sarah.wijaya@example.test", "pass", &message_id).await;
    let msg = MessageParser::default().parse(&raw[0]).unwrap();
    assert_eq!(header_text(&msg, "Content-Language"), "en");
    let text = msg.body_text(0).unwrap().to_string();
    assert!(text.contains("Telegram"), "{text}");
    let code = text
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("a 6-digit code in the email")
        .to_owned();
    let done = assistant
        .handle(&say(&format!("/verify {code}")), Utc::now())
        .await
        .unwrap();
    let rendered = done.render(redeemdesk::i18n::Localizer::builtin());
    assert!(
        rendered[0].text.contains("linked to s***@example.test"),
        "{}",
        rendered[0].text
    );
}

/// "We could not use your reply" names each file and its problem, in the member's language.
#[tokio::test]
async fn the_unusable_reply_email_lists_every_file_problem() {
    use redeemdesk::mail::compose::{ClaimFacts, reply_unusable};
    use redeemdesk::mail::inbound::{FileProblem, RejectedFile};
    let db = support::TestDb::sqlite().await;
    import_json(&db.db, DEMO_JSON, Utc::now()).await.unwrap();
    let mut tx = db.db.begin().await.unwrap();
    let rec = tx.redemption(1042).await.unwrap().unwrap();
    let facts = ClaimFacts::load(&mut tx, &rec).await.unwrap();
    let problems: Vec<RejectedFile> = FileProblem::ALL
        .iter()
        .map(|p| RejectedFile {
            filename: format!("file-{}.bin", p.code()),
            reason: *p,
        })
        .collect();
    for locale in [Locale::Id, Locale::En] {
        let mut facts = facts.clone();
        facts.member.locale = locale;
        let claim = facts.claim(&rec.redemption);
        let email = reply_unusable(&claim, &problems, "<x@example.test>", Some("<r@example.test>"), None);
        assert!(email.subject.starts_with("[RDM-1042]"));
        for p in &problems {
            assert!(
                email.text.contains(&format!("{}: ", p.filename)),
                "{locale:?}: {}",
                email.text
            );
        }
        assert_eq!(email.in_reply_to.as_deref(), Some("<r@example.test>"));
        let none = reply_unusable(&claim, &[], "<y@example.test>", None, None);
        assert!(none.text.contains(if locale == Locale::Id {
            "tidak ada lampirannya"
        } else {
            "no attachment"
        }));
    }
}
