//! The Telegram channel end to end: the real teloxide client against the fake
//! Bot API server in `support/fake_telegram.rs`.

mod support;

use std::time::Duration;

use chrono::Utc;
use redeemdesk::channels::telegram::{Limits, Telegram};
use redeemdesk::domain::Channel;
use redeemdesk::import::{DEMO_JSON, import_json};
use serde_json::Value;
use support::TestDb;
use support::fake_telegram::{FakeTelegram, Fault, TOKEN};

struct Harness {
    fake: FakeTelegram,
    db: TestDb,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

async fn start() -> Harness {
    let db = TestDb::sqlite().await;
    import_json(&db.db, DEMO_JSON, Utc::now()).await.unwrap();
    let fake = FakeTelegram::start().await;
    let limits = Limits {
        per_chat_per_sec: 1000,
        overall_per_sec: 10_000,
    };
    // Short HTTP timeout: the fake's long poll waits at most 1 s.
    let tg = Telegram::connect_with(TOKEN, Some(&fake.url()), db.db.clone(), limits, Duration::from_secs(3))
        .await
        .unwrap()
        .with_backoff(Duration::from_millis(10));
    tg.setup().await.unwrap();
    let (stop, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move { tg.run_polling(rx).await });
    Harness { fake, db, stop, task }
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
    h.fake.press(300, "id", "unsubscribe");
    let sent = h.fake.wait_for(300, 5).await;
    assert!(sent[4].contains("unsubscribed"), "{sent:?}");
    h.stop().await;
}

#[tokio::test]
async fn photos_hostile_text_and_groups() {
    let h = start().await;
    h.fake.photo(400, "id", 250_000);
    let sent = h.fake.wait_for(400, 1).await;
    assert!(
        sent[0].contains("email"),
        "the assistant explains where to send files: {sent:?}"
    );

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
