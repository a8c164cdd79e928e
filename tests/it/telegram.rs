//! The Telegram channel end to end: the real teloxide client against the fake
//! Bot API server in `support/fake_telegram.rs`.

use crate::support;

use std::time::Duration;

use chrono::Utc;
use std::sync::Arc;

use redeemdesk::blobs::BlobStore;
use redeemdesk::channels::telegram::{self, Limits, Options, Telegram};
use redeemdesk::domain::Channel;
use redeemdesk::import::{DEMO_JSON, import_json};
use serde_json::Value;
use support::TestDb;
use support::fake_telegram::{FakeTelegram, Fault, TOKEN};

struct Harness {
    fake: FakeTelegram,
    db: TestDb,
    blobs: tempfile::TempDir,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

/// The bot connected to a fresh fake, the demo data loaded.
async fn connect() -> (FakeTelegram, TestDb, tempfile::TempDir, Telegram) {
    let db = TestDb::sqlite().await;
    import_json(&db.db, DEMO_JSON, Utc::now()).await.unwrap();
    let fake = FakeTelegram::start().await;
    let blobs = tempfile::tempdir().unwrap();
    let mut options = Options::new(BlobStore::new(blobs.path()));
    options.api_url = Some(fake.url());
    options.limits = Limits {
        per_chat_per_sec: 1000,
        overall_per_sec: 10_000,
    };
    // Short HTTP timeout: the fake's long poll waits at most 1 s.
    options.http_timeout = Duration::from_secs(3);
    let tg = Telegram::connect(TOKEN, db.db.clone(), options)
        .await
        .unwrap()
        .with_backoff(Duration::from_millis(10));
    (fake, db, blobs, tg)
}

/// Long polling.
async fn start() -> Harness {
    let (fake, db, blobs, tg) = connect().await;
    tg.setup().await.unwrap();
    let (stop, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move { tg.run_polling(rx).await });
    Harness {
        fake,
        db,
        blobs,
        stop,
        task,
    }
}

impl Harness {
    async fn stop(self) {
        self.stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("polling stops")
            .unwrap();
    }
}

#[tokio::test]
async fn start_up_registers_commands_in_both_languages_and_drops_the_webhook() {
    let h = start().await;
    assert_eq!(h.fake.calls("deleteWebhook").len(), 1);
    let commands = h.fake.calls("setMyCommands");
    assert_eq!(commands.len(), 2);
    assert!(commands[0].get("language_code").is_none_or(Value::is_null));
    assert_eq!(commands[1]["language_code"], "id");
    assert_eq!(commands[1]["commands"][0]["command"], "start");
    assert_eq!(commands[1]["commands"][0]["description"], "Menu utama");
    h.stop().await;
}

#[tokio::test]
async fn faq_in_both_languages_and_buttons() {
    let h = start().await;
    h.fake.text(100, "id", "gimana cara redeem promo?");
    let sent = h.fake.wait_for(100, 1).await;
    assert!(sent[0].contains("Cara redeem promo"), "{sent:?}");
    let body = &h.fake.calls("sendMessage")[0];
    assert_eq!(body["parse_mode"], "HTML");
    assert!(body["reply_markup"]["inline_keyboard"].is_array(), "{body}");

    h.fake.text(200, "en", "how do I redeem a promotion");
    let sent = h.fake.wait_for(200, 1).await;
    assert!(sent[0].contains("How to redeem"), "{sent:?}");

    // A button press: answered, and the topic menu comes back as a keyboard.
    let before = h.fake.calls("answerCallbackQuery").len();
    h.fake.press(200, "en", "faq");
    let sent = h.fake.wait_for(200, 2).await;
    assert!(sent[1].contains("topic"), "{sent:?}");
    assert_eq!(h.fake.calls("answerCallbackQuery").len(), before + 1);
    h.stop().await;
}

#[tokio::test]
async fn status_flow_language_switch_and_subscription() {
    let h = start().await;
    h.fake.text(300, "id", "SN saya k2305n00l2345 statusnya apa ya");
    let sent = h.fake.wait_for(300, 1).await;
    assert!(sent[0].contains("CHK"), "{sent:?}");
    h.fake.text(300, "id", "482");
    let sent = h.fake.wait_for(300, 2).await;
    assert!(
        sent[1].contains("RDM-1042") && sent[1].contains("Smart Office Rewards"),
        "{sent:?}"
    );

    h.fake.text(300, "id", "/lang en");
    h.fake.text(300, "id", "/subscribe");
    let sent = h.fake.wait_for(300, 4).await;
    assert!(
        sent[2].contains("English") && sent[3].contains("subscribed"),
        "{sent:?}"
    );
    // A settling button press replaces the message it was pressed on.
    h.fake.press(300, "id", "unsubscribe");
    let edits = h.fake.wait_for_edits(300, 1).await;
    assert!(edits[0].1.contains("unsubscribed"), "{edits:?}");
    assert_eq!(h.fake.sent_to(300).len(), 4, "edited, not sent anew");
    h.stop().await;
}

#[tokio::test]
async fn photos_hostile_text_and_groups() {
    let h = start().await;
    let jpeg: Vec<u8> = (0..250_000u32).map(|i| (i % 251) as u8).collect();
    h.fake.photo(400, "id", &jpeg);
    let sent = h.fake.wait_for(400, 1).await;
    assert!(
        sent[0].contains("email"),
        "the assistant explains where to send files: {sent:?}"
    );
    // The full-size photo (not the thumbnail) is in the blob store and on record.
    let mut tx = h.db.db.begin().await.unwrap();
    let user = tx.chat_user(Channel::Telegram, "400", Utc::now()).await.unwrap();
    let uploads = tx.chat_uploads(user.id).await.unwrap();
    drop(tx);
    assert_eq!(uploads.len(), 1, "{uploads:?}");
    assert_eq!(uploads[0].bytes, 250_000);
    let kept = BlobStore::new(h.blobs.path()).get(&uploads[0].blob_key).await.unwrap();
    assert_eq!(kept, jpeg);

    // User text comes back escaped, and HTML parse mode is on.
    h.fake.text(400, "id", "/<b>x&y</b>");
    let sent = h.fake.wait_for(400, 2).await;
    assert!(sent[1].contains("&lt;b&gt;x&amp;y"), "{sent:?}");
    assert!(!sent[1].contains("<b>"));

    let long = "tolong kak ".repeat(500);
    h.fake.text(400, "id", &long);
    let sent = h.fake.wait_for(400, 3).await;
    assert!(sent.iter().all(|t| t.encode_utf16().count() <= 4096));

    // In a group, only commands and mentions are answered.
    let ignored = h.fake.group_text(-500, 401, "halo semua");
    h.fake.wait_acknowledged(ignored).await;
    assert!(h.fake.sent_to(-500).is_empty());
    h.fake.group_text(-500, 401, "@redeemdesk_bot halo");
    let sent = h.fake.wait_for(-500, 1).await;
    assert!(sent[0].contains("Halo"), "{sent:?}");
    h.stop().await;
}

#[tokio::test]
async fn faults_lose_nothing_and_duplicate_nothing() {
    let h = start().await;
    // Each fault kind on its own chat: the one reply arrives exactly once.
    let cases = [
        (610, Fault::TooManyRequests(1), 1, 2),
        // teloxide waits 10 s after any 5xx before reading it (DELAY_ON_SERVER_ERROR):
        // one is enough to prove the retry.
        (611, Fault::ServerError, 1, 2),
        (612, Fault::Slow(Duration::from_millis(300)), 1, 1),
    ];
    for (chat, fault, n, attempts) in cases {
        h.fake.fail("sendMessage", fault, n);
        h.fake.text(chat, "id", "makasih kak");
        let sent = h.fake.wait_for(chat, 1).await;
        assert_eq!(sent.len(), 1, "{chat}: {sent:?}");
        let tried = h
            .fake
            .calls("sendMessage")
            .iter()
            .filter(|b| b["chat_id"] == chat)
            .count();
        assert_eq!(tried, attempts, "{chat}");
    }

    // getUpdates failing: polling backs off and continues.
    h.fake.fail("getUpdates", Fault::ServerError, 1);
    h.fake.text(601, "en", "thank you");
    let sent = h.fake.wait_for(601, 1).await;
    assert_eq!(sent.len(), 1);

    // 403: the user blocked the bot; marked inactive and unsubscribed.
    h.fake.text(602, "id", "/subscribe");
    h.fake.wait_for(602, 1).await;
    h.fake.fail("sendMessage", Fault::Blocked, 1);
    let update = h.fake.text(602, "id", "halo");
    h.fake.wait_acknowledged(update).await;
    let mut tx = h.db.db.begin().await.unwrap();
    let user = tx.chat_user(Channel::Telegram, "602", Utc::now()).await.unwrap();
    assert!(!user.active && !user.subscribed, "{user:?}");
    drop(tx);
    h.stop().await;
}

#[tokio::test]
async fn large_and_lying_documents_are_not_kept() {
    let h = start().await;
    // Announced over 20 MB: not even asked for.
    h.fake
        .document(700, "en", "scan.pdf", "application/pdf", b"%PDF", 25 * 1024 * 1024);
    let sent = h.fake.wait_for(700, 1).await;
    assert!(sent[0].contains("20 MB"), "{sent:?}");
    assert!(h.fake.calls("getFile").is_empty());

    // Announced small, served huge: reading stops at the limit, nothing kept,
    // and the customer still gets an answer.
    let huge = vec![7u8; 21 * 1024 * 1024];
    h.fake
        .document(701, "en", "invoice.pdf", "application/pdf", &huge, 1000);
    let sent = h.fake.wait_for(701, 1).await;
    assert!(sent[0].contains("email"), "{sent:?}");
    let mut tx = h.db.db.begin().await.unwrap();
    let user = tx.chat_user(Channel::Telegram, "701", Utc::now()).await.unwrap();
    assert!(tx.chat_uploads(user.id).await.unwrap().is_empty());
    drop(tx);

    // A normal document is kept under its own name.
    h.fake
        .document(702, "en", "faktur.pdf", "application/pdf", b"%PDF-1.7 invoice", 16);
    h.fake.wait_for(702, 1).await;
    let mut tx = h.db.db.begin().await.unwrap();
    let user = tx.chat_user(Channel::Telegram, "702", Utc::now()).await.unwrap();
    let uploads = tx.chat_uploads(user.id).await.unwrap();
    assert_eq!(uploads.len(), 1);
    assert_eq!(
        (uploads[0].filename.as_str(), uploads[0].content_type.as_str()),
        ("faktur.pdf", "application/pdf")
    );
    drop(tx);
    h.stop().await;
}

#[tokio::test]
async fn language_buttons_edit_and_fall_back_to_sending() {
    let h = start().await;
    h.fake.text(800, "id", "/lang");
    h.fake.wait_for(800, 1).await;
    h.fake.press(800, "id", "lang:en");
    let edits = h.fake.wait_for_edits(800, 1).await;
    assert!(edits[0].1.contains("English"), "{edits:?}");
    // Pressed on a message Telegram no longer has: the answer comes as a new message.
    h.fake.press(801, "en", "lang:id");
    let sent = h.fake.wait_for(801, 1).await;
    assert!(sent[0].contains("Indonesia"), "{sent:?}");
    h.stop().await;
}

#[tokio::test]
async fn dropped_responses_lose_nothing_and_duplicate_nothing() {
    let h = start().await;
    h.fake.fail("sendMessage", Fault::Dropped, 1);
    h.fake.text(900, "id", "makasih kak");
    let sent = h.fake.wait_for(900, 1).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let tried = h
        .fake
        .calls("sendMessage")
        .iter()
        .filter(|b| b["chat_id"] == 900)
        .count();
    assert_eq!(tried, 2);

    // The answer to getUpdates is lost: the same updates come again, and each
    // is answered once.
    h.fake.fail("getUpdates", Fault::Dropped, 2);
    h.fake.text(901, "en", "thank you");
    h.fake.text(902, "id", "makasih");
    assert_eq!(h.fake.wait_for(901, 1).await.len(), 1);
    assert_eq!(h.fake.wait_for(902, 1).await.len(), 1);
    h.stop().await;
}

/// The webhook on a server of our own, as `serve` mounts it.
async fn serve_webhook(tg: Telegram, secret: &str) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}{}", listener.local_addr().unwrap(), telegram::WEBHOOK_PATH);
    let tg = Arc::new(tg);
    tg.setup_webhook(&url, secret).await.unwrap();
    let router = tg.webhook_router(secret);
    let task = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, task)
}

#[tokio::test]
async fn webhook_mode_checks_the_secret_and_answers_each_update_once() {
    let (fake, _db, _blobs, tg) = connect().await;
    let secret = telegram::default_secret(TOKEN);
    let (url, server) = serve_webhook(tg, &secret).await;
    assert_eq!(fake.webhook(), Some((url.clone(), Some(secret.clone()))));
    assert_eq!(fake.calls("setMyCommands").len(), 2);

    let update = fake.text(1000, "en", "how do I redeem a promotion");
    let sent = fake.wait_for(1000, 1).await;
    assert!(sent[0].contains("How to redeem"), "{sent:?}");
    assert_eq!(fake.webhook_statuses(), vec![200]);

    // Telegram thinks the delivery timed out and posts it again: no second answer.
    fake.redeliver(update).await;
    assert_eq!(fake.webhook_statuses(), vec![200, 200]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(fake.sent_to(1000).len(), 1);

    // Without the secret, or with a wrong one, or with garbage: refused, nothing said.
    let client = reqwest::Client::new();
    let forged = serde_json::json!({"update_id": 99, "message": {"message_id": 5, "date": 1, "text": "/start",
        "chat": {"id": 1001, "type": "private", "first_name": "X"},
        "from": {"id": 1001, "is_bot": false, "first_name": "X"}}});
    for secret in [None, Some("wrong")] {
        let mut request = client
            .post(&url)
            .header("content-type", "application/json")
            .body(forged.to_string());
        if let Some(s) = secret {
            request = request.header(telegram::SECRET_HEADER, s);
        }
        assert_eq!(request.send().await.unwrap().status(), 401);
    }
    let garbage = client
        .post(&url)
        .header(telegram::SECRET_HEADER, &secret)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        garbage.status(),
        200,
        "acknowledged, so Telegram does not resend it forever"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(fake.sent_to(1001).is_empty());
    assert!(fake.calls("getUpdates").is_empty(), "no polling in webhook mode");
    server.abort();
}

/// `serve` wiring: with `telegram.webhook_url` set, the application registers the
/// webhook and answers updates posted to its own HTTP server.
#[tokio::test]
async fn serve_in_webhook_mode_answers_through_its_http_server() {
    let db = TestDb::sqlite().await;
    let fake = FakeTelegram::start().await;
    let blobs = tempfile::tempdir().unwrap();
    // A free port known before start, since the URL must name it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = redeemdesk::config::Config::default();
    config.database.url = db.url.clone();
    config.http.bind = format!("127.0.0.1:{port}");
    config.storage.blob_dir = blobs.path().to_owned();
    config.telegram.token = Some(TOKEN.to_owned().into());
    config.telegram.api_url = Some(fake.url());
    config.telegram.webhook_url = Some(format!("http://127.0.0.1:{port}{}", telegram::WEBHOOK_PATH));
    config.telegram.webhook_secret = Some("s3cret_token-1".to_owned().into());
    let app = redeemdesk::app::Application::build(&config).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    assert_eq!(fake.webhook().unwrap().1.as_deref(), Some("s3cret_token-1"));
    assert!(fake.calls("deleteWebhook").is_empty());

    fake.text(1100, "id", "/start");
    let sent = fake.wait_for(1100, 2).await;
    assert!(sent[0].contains("Halo"), "{sent:?}");
    assert!(fake.calls("getUpdates").is_empty(), "no polling in webhook mode");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

fn real_jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 200) as u8, (y % 200) as u8, 120]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

#[tokio::test]
async fn a_photo_sent_in_the_status_flow_of_a_rejected_claim_resubmits_it() {
    let h = start().await;
    h.fake.text(410, "id", "status K2305N0012345");
    h.fake.wait_for(410, 1).await;
    h.fake.text(410, "id", "482");
    let sent = h.fake.wait_for(410, 2).await;
    assert!(sent[1].contains("RDM-1042") && sent[1].contains("📎"), "{sent:?}");
    h.fake.photo(410, "id", &real_jpeg(640, 480));
    let sent = h.fake.wait_for(410, 3).await;
    assert!(sent[2].contains("terlampir"), "{sent:?}");
    let rec = h.db.db.begin().await.unwrap().redemption(1042).await.unwrap().unwrap();
    assert_eq!(rec.redemption.status(), redeemdesk::domain::Status::UnderReview);
    let files = h.db.db.begin().await.unwrap().attachments(1042).await.unwrap();
    let chat_file = files
        .iter()
        .find(|a| a.attachment.source == redeemdesk::store::AttachmentSource::Chat)
        .unwrap();
    assert_eq!(chat_file.attachment.width, Some(640));
    h.stop().await;
}

/// Chat notices (a claim resubmitted by email) are outbox jobs the Telegram
/// adapter performs: delivered through 429s, dead when the user blocked the bot.
#[tokio::test]
async fn chat_notices_from_the_outbox_reach_telegram() {
    use redeemdesk::jobs::{ChatMessage, Dispatch, JobKind, JobStatus, NewJob, Worker, WorkerOptions};
    let (fake, db, _blobs, tg) = connect().await;
    let tg = std::sync::Arc::new(tg);
    let enqueue = |chat: i64, text: &str| {
        let db = db.db.clone();
        let message = ChatMessage {
            channel: Channel::Telegram,
            chat_id: chat.to_string(),
            text: text.into(),
        };
        async move {
            let mut tx = db.begin_write().await.unwrap();
            tx.chat_user(Channel::Telegram, &chat.to_string(), Utc::now())
                .await
                .unwrap();
            let job = NewJob::new(
                JobKind::ChatMessage,
                serde_json::to_value(&message).unwrap(),
                Utc::now(),
            );
            let id = tx.enqueue_job(&job, Utc::now()).await.unwrap();
            tx.commit().await.unwrap();
            id
        }
    };
    let dispatch = Dispatch::default().chat(Channel::Telegram, tg.clone());
    let options = WorkerOptions {
        kinds: dispatch.kinds(),
        poll: Duration::from_millis(20),
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
        ..Default::default()
    };
    assert_eq!(
        options.kinds,
        vec![JobKind::ChatMessage],
        "no email performer: email jobs are not claimed"
    );
    let worker = Worker::new(db.db.clone(), std::sync::Arc::new(dispatch), options);

    fake.fail("sendMessage", Fault::TooManyRequests(1), 1);
    let delivered = enqueue(420, "RDM-1042 <diterima> & sedang diverifikasi").await;
    worker.drain().await.unwrap();
    let sent = fake.wait_for(420, 1).await;
    assert_eq!(
        sent[0], "RDM-1042 &lt;diterima&gt; &amp; sedang diverifikasi",
        "escaped for HTML mode"
    );

    fake.fail("sendMessage", Fault::Blocked, 1);
    let blocked = enqueue(421, "halo").await;
    worker.drain().await.unwrap();
    let mut tx = db.db.begin().await.unwrap();
    assert_eq!(tx.job(delivered).await.unwrap().unwrap().status, JobStatus::Done);
    assert_eq!(tx.job(blocked).await.unwrap().unwrap().status, JobStatus::Dead);
    let user = tx.chat_user(Channel::Telegram, "421", Utc::now()).await.unwrap();
    assert!(!user.active, "a user who blocked the bot is marked inactive");
}
