//! Broadcasts from the Telegram staff group, end to end: the real teloxide
//! client against the fake Bot API server (`support/fake_telegram.rs`), on
//! SQLite and PostgreSQL. A marketing user's `/broadcast` posts a draft's
//! preview with *Confirm* / *Cancel*; everyone else is refused; a confirmed
//! campaign is sent by the runner to the subscribers, and its progress shows
//! in one staff-group message edited until it says it finished.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use redeemdesk::blobs::BlobStore;
use redeemdesk::broadcast::{BoardSink, CampaignStatus, ProgressBoard, Runner, RunnerOptions};
use redeemdesk::channels::telegram::{Limits, Options, Telegram, TelegramStaffChannel};
use redeemdesk::domain::{Channel, Locale};
use redeemdesk::import::import_json;
use redeemdesk::store::Db;
use serde_json::{Value, json};
use support::both_backends;
use support::fake_telegram::{FakeTelegram, TOKEN};

/// The staff group: a supergroup, as its id shows.
const STAFF: i64 = -1_001_234_567_890;
/// Mita, in marketing (`telegram.marketing_user_ids`).
const MARKETER: i64 = 9001;
/// Rina, a reviewer in the staff group, not in marketing.
const AGENT: i64 = 9003;
const NOT_MARKETING: &str = "Only the marketing team can start, confirm or cancel broadcasts, and only in the staff channel or group. Nothing was done.";

/// The bot polling the fake, with the staff group and Mita as marketing.
struct Group {
    fake: FakeTelegram,
    telegram: Arc<Telegram>,
    db: Db,
    stop: tokio::sync::watch::Sender<bool>,
    polling: tokio::task::JoinHandle<()>,
    blobs: tempfile::TempDir,
}

async fn group(db: Db) -> Group {
    let fake = FakeTelegram::start().await;
    fake.add_group(STAFF, "Redeem review", true);
    fake.set_member(STAFF, MARKETER, "administrator");
    fake.set_name(MARKETER, "Mita", Some("mita_mkt"));
    fake.set_member(STAFF, AGENT, "member");
    fake.set_name(AGENT, "Rina", Some("rina_cs"));
    let blobs = tempfile::tempdir().unwrap();
    let telegram = Arc::new(connect(&fake, &db, blobs.path(), 10_000).await);
    telegram.setup().await.unwrap();
    let (stop, rx) = tokio::sync::watch::channel(false);
    let polling = {
        let telegram = telegram.clone();
        tokio::spawn(async move { telegram.run_polling(rx).await })
    };
    Group {
        fake,
        telegram,
        db,
        stop,
        polling,
        blobs,
    }
}

/// A client of the fake with the staff group and Mita as marketing, sending
/// at most `per_sec` messages a second.
async fn connect(fake: &FakeTelegram, db: &Db, blobs: &std::path::Path, per_sec: u32) -> Telegram {
    let mut options = Options::new(BlobStore::new(blobs));
    options.api_url = Some(fake.url());
    options.limits = Limits {
        per_chat_per_sec: 1000,
        overall_per_sec: per_sec,
    };
    options.http_timeout = Duration::from_secs(3);
    options.staff_chat = Some(STAFF);
    options.marketing_users = vec![MARKETER];
    Telegram::connect(TOKEN, db.clone(), options)
        .await
        .unwrap()
        .with_backoff(Duration::from_millis(10))
}

impl Group {
    async fn stop(self) {
        self.stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(10), self.polling)
            .await
            .expect("polling stops")
            .unwrap();
    }

    /// The bot's latest message in the staff group whose text starts with `start` (waiting for it).
    async fn said(&self, start: &str) -> Value {
        self.fake
            .wait_until(&format!("a message starting {start:?}"), |f| {
                f.bot_messages(STAFF)
                    .into_iter()
                    .rev()
                    .find(|m| text_of(m).starts_with(start))
            })
            .await
    }

    /// The `n`th answer to a press that carried a text.
    async fn answer(&self, n: usize) -> Value {
        self.fake
            .wait_until("the press answered", |f| {
                let answers: Vec<Value> = f
                    .calls("answerCallbackQuery")
                    .into_iter()
                    .filter(|a| a["text"].is_string())
                    .collect();
                (answers.len() >= n).then(|| answers[n - 1].clone())
            })
            .await
    }

    async fn campaigns(&self) -> Vec<redeemdesk::broadcast::CampaignRecord> {
        self.db.begin().await.unwrap().campaigns(None, 100).await.unwrap()
    }
}

fn text_of(message: &Value) -> &str {
    message["text"].as_str().unwrap_or_default()
}

fn id_of(message: &Value) -> i64 {
    message["message_id"].as_i64().unwrap()
}

/// The callback data of a message's buttons, row by row.
fn buttons(message: &Value) -> Vec<String> {
    message["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().unwrap().iter())
        .map(|b| b["callback_data"].as_str().unwrap().to_owned())
        .collect()
}

/// A promotion whose claims are open: dates around today.
async fn current_promotion(db: &Db) {
    let today = redeemdesk::domain::time::jakarta_date(Utc::now());
    let day = |n: i64| (today + chrono::Duration::days(n)).to_string();
    let doc = json!({"promotions": [{
        "id": "promo-now",
        "name": {"id": "Promo Akhir Tahun", "en": "Year-End Promo"},
        "description": {"id": "Beli MSI AIO, dapat hadiah.", "en": "Buy an MSI AIO, get a reward."},
        "starts_on": day(-10), "ends_on": day(20), "claim_deadline": day(40),
        "categories": ["AIO"], "regions": ["ID"],
        "rewards": [{"category": "AIO", "kind": "digital_code", "amount_idr": 300000}],
    }]});
    import_json(db, &doc.to_string(), Utc::now()).await.unwrap();
}

/// A Telegram user of private chat `chat` who subscribed (with consent) in `locale`.
async fn subscriber(db: &Db, chat: i64, locale: Locale, subscribed: bool) {
    let now = Utc::now();
    let mut tx = db.begin_write().await.unwrap();
    let mut u = tx.chat_user(Channel::Telegram, &chat.to_string(), now).await.unwrap();
    u.subscribed = subscribed;
    u.consent_at = subscribed.then_some(now);
    u.locale = Some(locale);
    tx.save_chat_user(&u, now).await.unwrap();
    if subscribed {
        tx.record_consent(u.id, true, now).await.unwrap();
    }
    tx.commit().await.unwrap();
}

both_backends! {
    /// `/broadcast` by marketing only; Confirm and Cancel on the preview;
    /// the runner delivers and the staff group follows its progress.
    async fn marketing_broadcasts_from_the_staff_group(db: Db) {
        current_promotion(&db).await;
        subscriber(&db, 5001, Locale::En, true).await;
        subscriber(&db, 5002, Locale::Id, true).await;
        subscriber(&db, 5003, Locale::Id, false).await;
        let g = group(db.clone()).await;

        // Not in marketing: refused, nothing prepared.
        g.fake.group_text(STAFF, AGENT, "/broadcast promo-now");
        let refused = g.said("Only the marketing team").await;
        assert_eq!(text_of(&refused), NOT_MARKETING);
        assert!(g.campaigns().await.is_empty());

        // Mistakes are explained; nothing is prepared.
        g.fake.group_text(STAFF, MARKETER, "/broadcast nope");
        let unknown = g.said("promotion \"nope\" does not exist").await;
        assert!(text_of(&unknown).ends_with("Nothing was prepared."), "{unknown}");
        assert!(text_of(&unknown).contains("\"nope\" does not exist"), "{unknown}");
        g.fake.group_text(STAFF, MARKETER, "/broadcast promo-now category=TOASTER");
        let category = g.said("category: ").await;
        assert!(text_of(&category).contains("unknown product category"), "{category}");
        assert!(text_of(&category).contains("PRO-DT"), "known codes as typed: {category}");
        g.fake.group_text(STAFF, MARKETER, "/broadcast");
        let usage = g.said("Which promotion?").await;
        assert!(text_of(&usage).contains("/broadcast PROMOTION_ID"), "{usage}");
        assert!(g.campaigns().await.is_empty());

        // Region ID leaves out subscribers we know no region of: nobody to
        // send to, so the draft is cancelled at once.
        g.fake.group_text(STAFF, MARKETER, "/broadcast promo-now region=ID");
        let empty = g.said("Nobody to send to").await;
        let campaigns = g.campaigns().await;
        assert_eq!(campaigns.len(), 1, "{campaigns:?}");
        assert_eq!(campaigns[0].status, CampaignStatus::Cancelled);
        assert_eq!(campaigns[0].created_by, "telegram:mita_mkt");
        assert_eq!(campaigns[0].filters.regions.iter().map(|r| r.as_str()).collect::<Vec<_>>(), ["ID"]);
        assert!(text_of(&empty).contains(&format!("Campaign {} cancelled", campaigns[0].id)), "{empty}");

        // Mita: a draft and its preview, both languages and the audience, with buttons.
        g.fake.group_text(STAFF, MARKETER, "/broadcast promo-now");
        let preview = g.said("📣 Broadcast draft").await;
        let id = g.campaigns().await[0].id;
        assert_eq!(g.campaigns().await[0].status, CampaignStatus::Draft);
        let text = text_of(&preview);
        for part in ["Prepared by telegram:mita_mkt for every subscriber", "Promo Akhir Tahun", "Year-End Promo",
                     "--- Bahasa Indonesia ---", "--- English ---", "Audience: 2 recipient(s)"] {
            assert!(text.contains(part), "{part:?} in {text}");
        }
        assert_eq!(buttons(&preview), [format!("staff:bc:confirm:{id}"), format!("staff:bc:cancel:{id}")]);
        // Cancelled: the preview says so and loses its buttons.
        g.fake.press_on(id_of(&preview), MARKETER, &format!("staff:bc:cancel:{id}"));
        let cancelled = g.answer(1).await;
        assert!(cancelled["text"].as_str().unwrap().contains("Cancelled by mita_mkt"), "{cancelled}");
        let shown = g.fake.message_now(id_of(&preview)).unwrap();
        assert!(text_of(&shown).ends_with(&format!("✖️ Cancelled by mita_mkt: campaign {id} is not sent.")), "{shown}");
        assert!(buttons(&shown).is_empty(), "{shown}");
        assert_eq!(g.campaigns().await[0].status, CampaignStatus::Cancelled);

        // Everyone, then.
        g.fake.group_text(STAFF, MARKETER, "/broadcast promo-now");
        let preview = g
            .fake
            .wait_until("the second preview", |f| {
                f.bot_messages(STAFF)
                    .into_iter()
                    .find(|m| text_of(m).starts_with("📣 Broadcast draft") && !buttons(m).is_empty())
            })
            .await;
        let id = g.campaigns().await[0].id;
        let text = text_of(&preview);
        assert!(text.contains("for every subscriber"), "{text}");
        assert!(text.contains("Audience: 2 recipient(s)") && text.contains("telegram: 2"), "{text}");
        assert!(text.contains("language en: 1") && text.contains("language id: 1"), "{text}");

        // Rina may not confirm it.
        g.fake.press_on(id_of(&preview), AGENT, &format!("staff:bc:confirm:{id}"));
        let refused = g.answer(2).await;
        assert_eq!((refused["text"].as_str(), refused["show_alert"].as_bool()), (Some(NOT_MARKETING), Some(true)));
        assert_eq!(g.campaigns().await[0].status, CampaignStatus::Draft);

        // Mita confirms: the recipients are written and the preview says so.
        g.fake.press_on(id_of(&preview), MARKETER, &format!("staff:bc:confirm:{id}"));
        let confirmed = g.answer(3).await;
        let label = format!("✅ Confirmed by mita_mkt: sending campaign {id} to 2 recipient(s).");
        assert!(confirmed["text"].as_str().unwrap().contains(&label), "{confirmed}");
        let shown = g.fake.message_now(id_of(&preview)).unwrap();
        assert!(text_of(&shown).contains(&label), "{shown}");
        assert!(text_of(&shown).contains("Year-End Promo"), "the preview stays: {shown}");
        assert!(buttons(&shown).is_empty(), "{shown}");
        let campaign = g.campaigns().await[0].clone();
        assert_eq!(campaign.status, CampaignStatus::Sending);
        assert_eq!(campaign.confirmed_by.as_deref(), Some("telegram:mita_mkt"));

        // A second press (a stale client): nothing happens twice.
        g.fake.press_on(id_of(&preview), MARKETER, &format!("staff:bc:confirm:{id}"));
        let again = g.answer(4).await;
        assert!(again["text"].as_str().unwrap().starts_with("Nothing was done"), "{again}");
        assert_eq!(again["show_alert"], true);

        // The runner sends it; the staff group shows its progress in one message.
        let board: Arc<dyn ProgressBoard> = Arc::new(TelegramStaffChannel {
            telegram: g.telegram.clone(),
            chat: STAFF,
        });
        let options = RunnerOptions {
            report_every: Duration::from_millis(50),
            ..Default::default()
        };
        // The sender paces deliveries at 4 a second, so progress is reported
        // (and its message edited) while they are under way.
        let sender = Arc::new(connect(&g.fake, &db, g.blobs.path(), 4).await);
        let runner = Runner::new(db.clone(), options)
            .sender(sender)
            .sink(Arc::new(BoardSink::new(db.clone(), vec![board])));
        let (_stop, stop_rx) = tokio::sync::watch::channel(false);
        let progress = tokio::time::timeout(Duration::from_secs(30), runner.run_campaign(id, stop_rx))
            .await
            .expect("the campaign is sent")
            .unwrap();
        assert!(progress.done, "{progress:?}");
        assert_eq!((progress.total, progress.sent, progress.failed), (2, 2, 0), "{progress:?}");
        assert_eq!(g.campaigns().await[0].status, CampaignStatus::Done);

        let english = g.fake.sent_to(5001);
        assert_eq!(english.len(), 1, "{english:?}");
        assert!(english[0].contains("Year-End Promo") && !english[0].contains("Promo Akhir Tahun"), "{english:?}");
        let indonesian = g.fake.sent_to(5002);
        assert_eq!(indonesian.len(), 1, "{indonesian:?}");
        assert!(indonesian[0].contains("Promo Akhir Tahun"), "{indonesian:?}");
        assert!(g.fake.sent_to(5003).is_empty(), "not subscribed");

        let boards: Vec<Value> = g
            .fake
            .bot_messages(STAFF)
            .into_iter()
            .filter(|m| text_of(m).starts_with("📣 Campaign"))
            .collect();
        assert_eq!(boards.len(), 1, "one progress message: {boards:?}");
        assert!(text_of(&boards[0]).starts_with(&format!("📣 Campaign {id} finished")), "{}", boards[0]);
        assert!(text_of(&boards[0]).contains("sent 2"), "{}", boards[0]);
        let edits: Vec<String> = g
            .fake
            .edits_in(STAFF)
            .into_iter()
            .filter(|(m, _)| *m == id_of(&boards[0]))
            .map(|(_, t)| t)
            .collect();
        assert!(edits.last().is_some_and(|t| t.contains("finished")), "edited to finished: {edits:?}");

        // Announcing it again: the preview warns.
        g.fake.group_text(STAFF, MARKETER, "/broadcast@redeemdesk_bot promo-now");
        let repeat = g
            .fake
            .wait_until("the third preview", |f| {
                f.bot_messages(STAFF).into_iter().find(|m| text_of(m).contains("Announced before"))
            })
            .await;
        assert!(text_of(&repeat).contains(&format!("⚠️ Announced before: campaign {id} (done).")), "{repeat}");
        assert!(text_of(&repeat).contains("for every subscriber"), "{repeat}");

        g.stop().await;
    }
}
