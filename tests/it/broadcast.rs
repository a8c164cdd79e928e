//! Marketing broadcasts end to end on Telegram: the real teloxide client
//! against the fake Bot API server made to enforce Telegram's limits (30
//! messages a second overall, 1 a second per chat, 429 with `retry_after`
//! beyond), the audience by consent and filters, and the `broadcast` command
//! killed mid-campaign and run again.

use crate::support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{Days, Utc};
use redeemdesk::blobs::BlobStore;
use redeemdesk::broadcast::{CampaignStatus, Filters, RecipientStatus, Runner, RunnerOptions, campaign};
use redeemdesk::channels::telegram::{Limits, Options, Telegram};
use redeemdesk::domain::{Channel, Locale, Region};
use redeemdesk::import::import_json;
use redeemdesk::store::Db;
use support::fake_telegram::{FakeTelegram, Fault, TOKEN};
use support::{TestDb, both_backends};

const PROMO: &str = "creator-week";

/// A promotion running now, a member in Singapore with a motherboard, and a
/// member in Indonesia with an all-in-one.
fn fixture() -> String {
    let today = Utc::now().date_naive();
    let start = today.checked_sub_days(Days::new(3)).unwrap();
    let end = today.checked_add_days(Days::new(30)).unwrap();
    let deadline = today.checked_add_days(Days::new(60)).unwrap();
    serde_json::json!({
        "promotions": [{
            "id": PROMO,
            "name": {"id": "Pekan Kreator", "en": "Creator Week"},
            "description": {"id": "Cashback untuk laptop kreator MSI.", "en": "Cashback on MSI creator laptops."},
            "starts_on": start.to_string(), "ends_on": end.to_string(), "claim_deadline": deadline.to_string(),
            "categories": ["AIO", "MB"], "regions": ["ID", "SG"],
            "rewards": [{"category": "AIO", "kind": "digital_code", "amount_idr": 750000}]
        }],
        "members": [
            {"id": 801, "email": "ayu@example.test", "name": "Ayu", "locale": "id", "region": "ID"},
            {"id": 802, "email": "wei@example.test", "name": "Wei", "locale": "en", "region": "SG"}
        ],
        "products": [
            {"serial": "K2305N0077001", "chk": "111", "member_id": 801, "category": "AIO", "model": "Modern AM242",
             "purchased_on": start.to_string(), "region": "ID", "store": "Enter Komputer", "channel": "retail"},
            {"serial": "602-7E06-010B2400012345", "chk": "222", "member_id": 802, "category": "MB",
             "model": "MAG B650", "purchased_on": start.to_string(), "region": "SG", "store": "Lazada", "channel": "online"}
        ]
    })
    .to_string()
}

/// A chat user who subscribed (with consent recorded) in `locale`.
async fn subscriber(db: &Db, channel: Channel, id: &str, locale: Locale) -> i64 {
    let now = Utc::now();
    let mut tx = db.begin_write().await.unwrap();
    let mut u = tx.chat_user(channel, id, now).await.unwrap();
    u.subscribed = true;
    u.consent_at = Some(now);
    u.locale = Some(locale);
    tx.save_chat_user(&u, now).await.unwrap();
    tx.record_consent(u.id, true, now).await.unwrap();
    tx.commit().await.unwrap();
    u.id
}

/// Many Telegram subscribers at once: user ids from `first`, every other one English.
async fn subscribers(db: &Db, first: i64, n: i64) -> HashMap<i64, Locale> {
    let now = Utc::now();
    let mut tx = db.begin_write().await.unwrap();
    let mut locales = HashMap::new();
    for user in first..first + n {
        let locale = if user % 2 == 0 { Locale::Id } else { Locale::En };
        let mut u = tx.chat_user(Channel::Telegram, &user.to_string(), now).await.unwrap();
        u.subscribed = true;
        u.consent_at = Some(now);
        // Half chose their language, half only wrote in it.
        if user % 4 < 2 {
            u.locale = Some(locale);
        } else {
            u.detected_locale = Some(locale);
        }
        tx.save_chat_user(&u, now).await.unwrap();
        tx.record_consent(u.id, true, now).await.unwrap();
        locales.insert(user, locale);
    }
    tx.commit().await.unwrap();
    locales
}

async fn telegram(fake: &FakeTelegram, db: &Db, limits: Limits) -> Arc<Telegram> {
    let blobs = tempfile::tempdir().unwrap();
    let mut options = Options::new(BlobStore::new(blobs.path()));
    options.api_url = Some(fake.url());
    options.limits = limits;
    options.http_timeout = Duration::from_secs(5);
    let tg = Telegram::connect(TOKEN, db.clone(), options)
        .await
        .unwrap()
        .with_backoff(Duration::from_millis(20));
    Arc::new(tg)
}

async fn counts(db: &Db, id: i64) -> HashMap<RecipientStatus, i64> {
    campaign::counts(db, id).await.unwrap().into_iter().collect()
}

fn is_indonesian(text: &str) -> bool {
    text.contains("Promo MSI baru: Pekan Kreator") && text.contains("/unsubscribe")
}

fn is_english(text: &str) -> bool {
    text.contains("New MSI promotion: Creator Week") && text.contains("/unsubscribe")
}

both_backends! {
    /// 2,000 subscribers in two languages at Telegram's limits: each reached
    /// once in their language, almost no 429s, and those who blocked the bot
    /// unsubscribed.
    async fn two_thousand_subscribers_at_telegram_limits(db: Db) {
        import_json(&db, &fixture(), Utc::now()).await.unwrap();
        let locales = subscribers(&db, 100_000, 2_000).await;
        let fake = FakeTelegram::start().await;
        fake.enforce_limits(30, 1);
        let blocked: Vec<i64> = (100_000..102_000).step_by(100).collect();
        for user in &blocked {
            fake.block(*user);
        }
        let tg = telegram(&fake, &db, Limits::default()).await;

        let draft = campaign::prepare(&db, PROMO, Filters::default(), "test", &[], Utc::now()).await.unwrap();
        assert_eq!(draft.audience.total(), 2_000);
        let id = draft.campaign.id;
        assert_eq!(campaign::confirm(&db, id, "test", &[], Utc::now()).await.unwrap(), 2_000);

        let runner = Runner::new(db.clone(), RunnerOptions::default()).sender(tg);
        let (_stop, stop_rx) = tokio::sync::watch::channel(false);
        let progress = runner.run_campaign(id, stop_rx).await.unwrap();
        assert!(progress.done, "{progress:?}");
        assert_eq!((progress.sent, progress.blocked, progress.failed, progress.unknown), (1_980, 20, 0, 0));

        let mut seen = HashMap::new();
        for (chat, text) in fake.delivered() {
            *seen.entry(chat).or_insert(0) += 1;
            match locales[&chat] {
                Locale::Id => assert!(is_indonesian(&text), "{chat} got {text}"),
                Locale::En => assert!(is_english(&text), "{chat} got {text}"),
            }
        }
        assert_eq!(seen.len(), 1_980);
        assert!(seen.values().all(|n| *n == 1), "someone got it twice");
        assert!(blocked.iter().all(|u| !seen.contains_key(u)));
        // The pacer keeps under the limits; a 429 or two at most from timing.
        assert!(fake.rate_limited() <= 3, "{} sends hit 429", fake.rate_limited());

        let mut tx = db.begin().await.unwrap();
        for user in &blocked {
            let u = tx.chat_user(Channel::Telegram, &user.to_string(), Utc::now()).await.unwrap();
            assert!(!u.subscribed && !u.active, "{user} should be unsubscribed");
        }
        assert_eq!(tx.campaign(id).await.unwrap().unwrap().status, CampaignStatus::Done);
    }

    /// Who is in the audience: consent recorded, still reachable, on a chat
    /// platform, and in the campaign's regions and categories.
    async fn audience_follows_consent_and_filters(db: Db) {
        let now = Utc::now();
        import_json(&db, &fixture(), now).await.unwrap();
        let ayu = subscriber(&db, Channel::Telegram, "7001", Locale::Id).await;
        let wei = subscriber(&db, Channel::Discord, "7002", Locale::En).await;
        subscriber(&db, Channel::Telegram, "7003", Locale::En).await;
        let mut tx = db.begin_write().await.unwrap();
        let aio = tx.product_by_serial("K2305N0077001").await.unwrap().unwrap();
        tx.add_ownership(ayu, aio.id, now).await.unwrap();
        tx.insert_chat_link(wei, 802, now).await.unwrap();
        // Subscribed but without a recorded consent, unsubscribed, blocked,
        // and on the console: never in an audience.
        let mut legacy = tx.chat_user(Channel::Telegram, "7004", now).await.unwrap();
        legacy.subscribed = true;
        tx.save_chat_user(&legacy, now).await.unwrap();
        tx.commit().await.unwrap();
        subscriber(&db, Channel::Telegram, "7005", Locale::Id).await;
        let mut tx = db.begin_write().await.unwrap();
        let mut gone = tx.chat_user(Channel::Telegram, "7005", now).await.unwrap();
        gone.subscribed = false;
        gone.unsubscribed_at = Some(now);
        tx.save_chat_user(&gone, now).await.unwrap();
        tx.commit().await.unwrap();
        subscriber(&db, Channel::Telegram, "7006", Locale::Id).await;
        let mut tx = db.begin_write().await.unwrap();
        tx.deactivate_chat_user(Channel::Telegram, "7006", now).await.unwrap();
        tx.commit().await.unwrap();
        subscriber(&db, Channel::Console, "7007", Locale::Id).await;

        let everyone = campaign::audience(&db, &Filters::default(), &[]).await.unwrap();
        assert_eq!(everyone.total(), 3, "{everyone:?}");
        assert_eq!(everyone.by(|r| r.channel.as_str()), vec![("discord", 1), ("telegram", 2)]);
        assert_eq!(everyone.by(|r| r.locale.as_str()), vec![("en", 2), ("id", 1)]);
        assert_eq!(
            everyone.by(|r| r.region.clone()),
            vec![("ID".to_owned(), 1), ("SG".to_owned(), 1), ("unknown".to_owned(), 1)]
        );

        let catalog = db.begin().await.unwrap().categories().await.unwrap();
        let region = |r: &str| Filters { regions: vec![Region::parse(r).unwrap()], categories: vec![] };
        let category = |c: &str| Filters { regions: vec![], categories: vec![catalog.parse(c).unwrap()] };
        assert_eq!(campaign::audience(&db, &region("ID"), &[]).await.unwrap().total(), 1);
        assert_eq!(campaign::audience(&db, &region("SG"), &[]).await.unwrap().total(), 1);
        assert_eq!(campaign::audience(&db, &category("aio"), &[]).await.unwrap().total(), 1);
        assert_eq!(campaign::audience(&db, &category("MB"), &[]).await.unwrap().total(), 1);
        let both = Filters { regions: vec![Region::parse("ID").unwrap()], categories: vec![catalog.parse("MB").unwrap()] };
        assert_eq!(campaign::audience(&db, &both, &[]).await.unwrap().total(), 0);

        // Confirming writes exactly the audience the filters select, plus the
        // announcement post, and the draft's texts in both languages.
        let announce = [(Channel::Discord, "9000".to_owned())];
        let draft = campaign::prepare(&db, PROMO, region("SG"), "test", &announce, now).await.unwrap();
        assert!(is_indonesian(&draft.campaign.text_id) && is_english(&draft.campaign.text_en));
        assert_eq!(draft.audience.total(), 2);
        assert_eq!(campaign::confirm(&db, draft.campaign.id, "test", &announce, now).await.unwrap(), 2);
        assert!(matches!(
            campaign::confirm(&db, draft.campaign.id, "test", &announce, now).await,
            Err(campaign::BroadcastError::WrongStatus { .. })
        ));
        assert!(matches!(
            campaign::prepare(&db, "no-such-promo", Filters::default(), "test", &[], now).await,
            Err(campaign::BroadcastError::UnknownPromotion(_))
        ));
    }

    /// One refused message is recorded for that recipient and the campaign
    /// goes on; server errors and 429s are retried.
    async fn a_failure_never_stops_the_campaign(db: Db) {
        import_json(&db, &fixture(), Utc::now()).await.unwrap();
        subscribers(&db, 300_000, 40).await;
        let fake = FakeTelegram::start().await;
        let tg = telegram(&fake, &db, Limits { overall_per_sec: 200, per_chat_per_sec: 1 }).await;
        fake.fail("sendMessage", Fault::Refused(400, "Bad Request: message is too long"), 1);
        let draft = campaign::prepare(&db, PROMO, Filters::default(), "test", &[], Utc::now()).await.unwrap();
        campaign::confirm(&db, draft.campaign.id, "test", &[], Utc::now()).await.unwrap();
        let runner = Runner::new(db.clone(), RunnerOptions::default()).sender(tg);
        let (_stop, stop_rx) = tokio::sync::watch::channel(false);
        let first = runner.run_campaign(draft.campaign.id, stop_rx.clone()).await.unwrap();
        assert_eq!((first.sent, first.failed), (39, 1), "{first:?}");

        // Another campaign: 500s and a 429 on the way are retried.
        let again = campaign::prepare(&db, PROMO, Filters::default(), "test", &[], Utc::now()).await.unwrap();
        campaign::confirm(&db, again.campaign.id, "test", &[], Utc::now()).await.unwrap();
        fake.fail("sendMessage", Fault::ServerError, 2);
        fake.fail("sendMessage", Fault::TooManyRequests(1), 1);
        let second = runner.run_campaign(again.campaign.id, stop_rx).await.unwrap();
        assert_eq!((second.sent, second.failed), (40, 0), "{second:?}");
        let counts = counts(&db, again.campaign.id).await;
        assert_eq!(counts.get(&RecipientStatus::Sent), Some(&40));
    }

    /// A campaign someone else holds is not sent twice at once; once their
    /// claim runs out, the in-flight rows they left are `unknown`, never re-sent.
    async fn a_dead_runners_messages_are_unknown_not_resent(db: Db) {
        import_json(&db, &fixture(), Utc::now()).await.unwrap();
        subscribers(&db, 400_000, 10).await;
        let fake = FakeTelegram::start().await;
        let tg = telegram(&fake, &db, Limits { overall_per_sec: 200, per_chat_per_sec: 1 }).await;
        let draft = campaign::prepare(&db, PROMO, Filters::default(), "test", &[], Utc::now()).await.unwrap();
        let id = draft.campaign.id;
        campaign::confirm(&db, id, "test", &[], Utc::now()).await.unwrap();
        // A runner that claimed three recipients and died.
        let now = Utc::now();
        let mut tx = db.begin_write().await.unwrap();
        assert!(tx.take_campaign(id, "dead", now, now + chrono::Duration::seconds(1)).await.unwrap());
        assert_eq!(tx.claim_recipients(id, Channel::Telegram, "dead", 3, now).await.unwrap().len(), 3);
        tx.commit().await.unwrap();

        let options = RunnerOptions { lease: Duration::from_secs(3), ..Default::default() };
        let runner = Runner::new(db.clone(), options).sender(tg);
        let (_stop, stop_rx) = tokio::sync::watch::channel(false);
        assert!(matches!(
            runner.run_campaign(id, stop_rx.clone()).await,
            Err(campaign::BroadcastError::Busy { .. })
        ));
        tokio::time::sleep(Duration::from_millis(1_200)).await;
        let p = runner.run_campaign(id, stop_rx).await.unwrap();
        assert_eq!((p.sent, p.unknown, p.remaining), (7, 3, 0), "{p:?}");
        assert_eq!(fake.delivered().len(), 7);
    }
}

/// The binary's `broadcast` as marketing runs it: killed with SIGKILL mid-campaign
/// and run again, every subscriber gets the announcement at most once, and all
/// but the few in flight at the kill get it.
#[tokio::test]
async fn killed_mid_campaign_and_restarted_sends_nobody_twice() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.db.clone();
    import_json(&db, &fixture(), Utc::now()).await.unwrap();
    subscribers(&db, 500_000, 300).await;
    let fake = FakeTelegram::start().await;
    fake.enforce_limits(30, 1);
    let dir = tempfile::tempdir().unwrap();
    let command = || {
        let mut cmd = support::redeemdesk(&test_db.url, dir.path());
        cmd.args(["broadcast", PROMO, "--yes", "--as", "marketing"])
            .env("TELOXIDE_TOKEN", TOKEN)
            .env("REDEEMDESK_TELEGRAM__API_URL", fake.url())
            .env("REDEEMDESK_BROADCAST__LEASE_SECONDS", "2")
            .env("REDEEMDESK_BROADCAST__REPORT_SECONDS", "1")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd
    };
    let mut first = command().spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while fake.delivered().len() < 100 {
        assert!(std::time::Instant::now() < deadline, "the first run never got going");
        assert!(first.try_wait().unwrap().is_none(), "the first run ended early");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let at_kill = fake.delivered().len();
    assert!(at_kill < 300, "killed too late to mean anything");

    let mut second = command();
    let second = tokio::task::spawn_blocking(move || second.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(
        second.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert!(stdout.contains("Resuming"), "{stdout}");

    let counts_by_chat = fake.delivered_counts();
    assert!(counts_by_chat.values().all(|n| *n == 1), "a subscriber got it twice");
    let id = db.begin().await.unwrap().campaigns(Some(PROMO), 10).await.unwrap()[0].id;
    let counts = counts(&db, id).await;
    let sent = counts.get(&RecipientStatus::Sent).copied().unwrap_or(0);
    let unknown = counts.get(&RecipientStatus::Unknown).copied().unwrap_or(0);
    assert_eq!(sent + unknown, 300, "{counts:?}");
    // Only what was in flight at the kill: at most one window (a second's worth).
    assert!(unknown <= 30, "{counts:?}");
    assert!(counts_by_chat.len() as i64 >= sent);
    assert_eq!(
        db.begin().await.unwrap().campaign(id).await.unwrap().unwrap().status,
        CampaignStatus::Done
    );
}

/// `--dry-run` shows both texts and the audience and stores nothing; bad
/// input is a usage error naming what was wrong; a finished promotion needs
/// `--again`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_previews_checks_and_refuses() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.db.clone();
    import_json(&db, &fixture(), Utc::now()).await.unwrap();
    subscribers(&db, 600_000, 4).await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        support::redeemdesk(&test_db.url, dir.path())
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let out = run(&["broadcast", PROMO, "--dry-run"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(is_indonesian(&stdout) && is_english(&stdout), "{stdout}");
    assert!(
        stdout.contains("Audience: 4 recipient(s)") && stdout.contains("telegram: 4"),
        "{stdout}"
    );
    assert!(
        stdout.contains("language en: 2") && stdout.contains("region unknown: 4"),
        "{stdout}"
    );
    assert!(db.begin().await.unwrap().campaigns(None, 10).await.unwrap().is_empty());

    for (args, names) in [
        (vec!["broadcast", "no-such-promo", "--dry-run"], "PROMOTION_ID"),
        (
            vec!["broadcast", PROMO, "--region", "Indonesia Raya", "--dry-run"],
            "--region",
        ),
        (
            vec!["broadcast", PROMO, "--category", "toaster", "--dry-run"],
            "--category",
        ),
        // No chat channel configured: nobody to send to.
        (vec!["broadcast", PROMO, "--yes"], "TELOXIDE_TOKEN"),
    ] {
        let out = run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(names), "{args:?}: {stderr}");
    }

    // Without --yes and without a terminal to ask at, nothing is sent.
    let fake = FakeTelegram::start().await;
    let with_telegram = |args: &[&str]| {
        support::redeemdesk(&test_db.url, dir.path())
            .args(args)
            .env("TELOXIDE_TOKEN", TOKEN)
            .env("REDEEMDESK_TELEGRAM__API_URL", fake.url())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let out = with_telegram(&["broadcast", PROMO]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
    assert!(fake.delivered().is_empty());

    let out = with_telegram(&["broadcast", PROMO, "--yes"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(fake.delivered().len(), 4);
    let out = with_telegram(&["broadcast", PROMO, "--yes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--again"));
    assert_eq!(fake.delivered().len(), 4);
}
