//! Broadcasts on Discord against the fake Discord (real serenity): the
//! sender's DMs in each subscriber's language and the post in the
//! announcement channel, users with closed DMs blocked and unsubscribed, the
//! marketing team's `/broadcast` with its preview and Confirm / Cancel, and
//! the progress message in the staff channel. On SQLite and PostgreSQL.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use chrono::{Days, Utc};
use redeemdesk::blobs::BlobStore;
use redeemdesk::broadcast::campaign::{self, Filters};
use redeemdesk::broadcast::{BoardSink, CampaignStatus, ProgressBoard, RecipientStatus, Runner, RunnerOptions};
use redeemdesk::channels::discord::{self, Discord, escape};
use redeemdesk::domain::{Channel, Locale};
use redeemdesk::store::Db;
use secrecy::SecretString;
use serde_json::{Value, json};
use serenity::all::{ChannelId, RoleId};
use tokio::sync::watch;

use support::both_backends;
use support::fake_discord::{BOT_ID, FakeDiscord, Fault, TOKEN};

const WAIT: Duration = Duration::from_secs(20);
const GUILD: u64 = 1_300_000_000_000_001_900;
const STAFF_CHANNEL: u64 = 1_300_000_000_000_001_950;
const STAFF_ROLE: u64 = 1_300_000_000_000_001_951;
const MARKETING_ROLE: u64 = 1_300_000_000_000_001_952;
const ANNOUNCEMENTS: u64 = 1_300_000_000_000_001_960;
const PROMO: &str = "gaming-week-test";

/// Discord users subscribed in Indonesian and English.
const SUB_ID: u64 = 1_300_000_000_000_002_001;
const SUB_EN: u64 = 1_300_000_000_000_002_002;
const SUB_EN_2: u64 = 1_300_000_000_000_002_003;
/// A Discord user who never subscribed, and one who subscribed and left.
const NEVER: u64 = 1_300_000_000_000_002_004;
const LEFT: u64 = 1_300_000_000_000_002_005;
/// A subscriber Discord keeps failing for.
const FLAKY: u64 = 1_300_000_000_000_002_006;

struct Bot {
    fake: FakeDiscord,
    discord: Arc<Discord>,
    stop: watch::Sender<bool>,
    run: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

/// The fake with the staff server's channels, and the adapter connected to it
/// (gateway running) with the staff and marketing roles and the announcement
/// channel, as `serve` configures it.
async fn bot(db: &Db) -> Bot {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .with_test_writer()
        .try_init();
    let fake = FakeDiscord::start().await;
    fake.add_guild_channel(GUILD, STAFF_CHANNEL, "redeem-review");
    fake.add_guild_channel(GUILD, ANNOUNCEMENTS, "promo-announcements");
    let dir = tempfile::tempdir().unwrap();
    let mut options = discord::Options::new(BlobStore::new(dir.path()));
    options.api_url = Some(fake.api_url());
    options.backoff_base = Duration::from_millis(5);
    options.defer_after = Duration::from_secs(10);
    options.staff = Some(discord::StaffConfig {
        channel: ChannelId::new(STAFF_CHANNEL),
        role: Some(RoleId::new(STAFF_ROLE)),
    });
    options.marketing_role = Some(RoleId::new(MARKETING_ROLE));
    options.announcements = announcements();
    let discord = Discord::connect(SecretString::from(TOKEN), db.clone(), options)
        .await
        .unwrap();
    discord.register_commands().await.unwrap();
    let discord = Arc::new(discord);
    let (stop, stopped) = watch::channel(false);
    let run = tokio::spawn(discord.clone().run(stopped));
    fake.wait_ready(WAIT).await;
    Bot {
        fake,
        discord,
        stop,
        run,
        _dir: dir,
    }
}

impl Bot {
    async fn stop(self) {
        self.stop.send_replace(true);
        tokio::time::timeout(WAIT, self.run).await.unwrap().unwrap();
    }

    /// The bot's messages in `channel`.
    fn posts(&self, channel: u64) -> Vec<Value> {
        self.fake
            .messages(channel)
            .into_iter()
            .filter(|m| m["author"]["id"].as_str().and_then(|id| id.parse::<u64>().ok()) == Some(BOT_ID))
            .collect()
    }

    fn dms(&self, user: u64) -> Vec<Value> {
        self.posts(FakeDiscord::dm_channel_id(user))
    }

    /// Dispatches an interaction and returns the first response accepted.
    async fn interact(&self, payload: Value) -> Value {
        let id: u64 = payload["id"].as_str().unwrap().parse().unwrap();
        self.fake.dispatch("INTERACTION_CREATE", payload).await;
        eventually(|| self.fake.interaction_responses(id).first().cloned()).await
    }
}

fn announcements() -> Vec<(Channel, String)> {
    vec![(Channel::Discord, ANNOUNCEMENTS.to_string())]
}

async fn eventually<T>(mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A promotion running now, its claims open for two more months.
async fn import_promotion(db: &Db) {
    let today = redeemdesk::domain::time::jakarta_date(Utc::now());
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let doc = json!({
        "promotions": [{
            "id": PROMO,
            "name": {"id": "Pekan Gaming MSI", "en": "MSI Gaming Week"},
            "description": {
                "id": "Beli laptop gaming MSI, dapatkan voucher!",
                "en": "Buy an MSI gaming laptop, get a voucher!"
            },
            "starts_on": day(today - Days::new(10)),
            "ends_on": day(today + Days::new(30)),
            "claim_deadline": day(today + Days::new(60)),
            "categories": ["AIO"],
            "regions": ["ID"],
            "rewards": [{"category": "AIO", "kind": "digital_code", "amount_idr": 300000}]
        }]
    });
    redeemdesk::import::import_json(db, &doc.to_string(), Utc::now())
        .await
        .unwrap();
}

/// A chat user, subscribed (with consent) in `locale` or not subscribed.
async fn user(db: &Db, channel: Channel, id: &str, subscribed: Option<Locale>) {
    let now = Utc::now();
    let mut tx = db.begin_write().await.unwrap();
    let mut u = tx.chat_user(channel, id, now).await.unwrap();
    if let Some(locale) = subscribed {
        u.subscribed = true;
        u.consent_at = Some(now);
        u.locale = Some(locale);
        tx.save_chat_user(&u, now).await.unwrap();
        tx.record_consent(u.id, true, now).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// A user who subscribed, then unsubscribed.
async fn unsubscribed(db: &Db, channel: Channel, id: &str) {
    user(db, channel, id, Some(Locale::En)).await;
    let now = Utc::now();
    let mut tx = db.begin_write().await.unwrap();
    let mut u = tx.chat_user(channel, id, now).await.unwrap();
    u.subscribed = false;
    u.unsubscribed_at = Some(now);
    tx.save_chat_user(&u, now).await.unwrap();
    tx.record_consent(u.id, false, now).await.unwrap();
    tx.commit().await.unwrap();
}

/// Three Discord subscribers (id, en, en), one who never subscribed, one who
/// left; and two Telegram subscribers the Discord sender must leave alone.
async fn audience(db: &Db) {
    user(db, Channel::Discord, &SUB_ID.to_string(), Some(Locale::Id)).await;
    user(db, Channel::Discord, &SUB_EN.to_string(), Some(Locale::En)).await;
    user(db, Channel::Discord, &SUB_EN_2.to_string(), Some(Locale::En)).await;
    user(db, Channel::Discord, &NEVER.to_string(), None).await;
    unsubscribed(db, Channel::Discord, &LEFT.to_string()).await;
    user(db, Channel::Telegram, "5001", Some(Locale::Id)).await;
    user(db, Channel::Telegram, "5002", Some(Locale::En)).await;
}

fn options() -> RunnerOptions {
    RunnerOptions {
        lease: Duration::from_secs(30),
        report_every: Duration::from_millis(50),
        poll: Duration::from_millis(50),
    }
}

/// Prepares and confirms a campaign of [`PROMO`] with the announcement channel.
async fn confirmed_campaign(db: &Db) -> redeemdesk::broadcast::CampaignRecord {
    let now = Utc::now();
    let draft = campaign::prepare(db, PROMO, Filters::default(), "test", &announcements(), now)
        .await
        .unwrap();
    campaign::confirm(db, draft.campaign.id, "test", &announcements(), now)
        .await
        .unwrap();
    draft.campaign
}

async fn counts(db: &Db, id: i64) -> Vec<(RecipientStatus, i64)> {
    let mut counts = campaign::counts(db, id).await.unwrap();
    counts.retain(|(_, n)| *n > 0);
    counts.sort_by_key(|(s, _)| s.as_str());
    counts
}

async fn chat_user(db: &Db, channel: Channel, id: u64) -> redeemdesk::store::ChatUserRecord {
    let mut tx = db.begin_write().await.unwrap();
    let u = tx.chat_user(channel, &id.to_string(), Utc::now()).await.unwrap();
    tx.commit().await.unwrap();
    u
}

/// What a DM or post says for `text`: escaped as the adapter sends it.
fn shown(text: &str) -> String {
    escape(text).trim().to_owned()
}

both_backends! {
    /// Each Discord subscriber gets one DM in their language (a 429 and a 500
    /// on the way are waited out), the announcement channel one post with both
    /// languages; non-subscribers nothing, and Telegram's recipients stay
    /// pending for Telegram's sender.
    async fn subscribers_get_one_dm_in_their_language_and_the_channel_one_post(db: Db) {
        import_promotion(&db).await;
        audience(&db).await;
        let bot = bot(&db).await;
        let campaign = confirmed_campaign(&db).await;
        bot.fake.fault(
            "POST",
            &format!("/channels/{}/messages", FakeDiscord::dm_channel_id(SUB_EN)),
            Fault::TooManyRequests,
        );
        bot.fake.fault("POST", "/users/@me/channels", Fault::ServerError);

        let runner = Runner::new(db.clone(), options()).sender(bot.discord.clone());
        let (_stop, stop) = watch::channel(false);
        let progress = runner.run_campaign(campaign.id, stop).await.unwrap();
        assert_eq!((progress.sent, progress.failed, progress.blocked), (4, 0, 0), "{progress:?}");
        assert_eq!(progress.remaining, 2, "Telegram's two are not Discord's to send");
        assert!(!progress.done);
        assert_eq!(
            counts(&db, campaign.id).await,
            [(RecipientStatus::Pending, 2), (RecipientStatus::Sent, 4)]
        );

        // One post in the announcement channel, with both languages.
        let posts = bot.posts(ANNOUNCEMENTS);
        assert_eq!(posts.len(), 1, "{posts:?}");
        let post = posts[0]["content"].as_str().unwrap();
        assert_eq!(post, shown(&format!("{}\n\n— — —\n\n{}", campaign.text_id, campaign.text_en)));
        assert!(post.contains("Pekan Gaming MSI") && post.contains("MSI Gaming Week"), "{post}");

        // One DM each, in their language.
        for (user, locale) in [(SUB_ID, Locale::Id), (SUB_EN, Locale::En), (SUB_EN_2, Locale::En)] {
            let dms = bot.dms(user);
            assert_eq!(dms.len(), 1, "{user}: {dms:?}");
            assert_eq!(dms[0]["content"].as_str().unwrap(), shown(campaign.text(locale)));
        }
        assert!(bot.dms(SUB_ID)[0]["content"].as_str().unwrap().contains("Pekan Gaming MSI"));
        assert!(bot.dms(SUB_EN)[0]["content"].as_str().unwrap().contains("MSI Gaming Week"));
        // Nothing for those who did not subscribe or left: not even a DM channel.
        for user in [NEVER, LEFT] {
            assert!(bot.dms(user).is_empty(), "{user}");
            assert!(
                !bot.fake
                    .calls()
                    .iter()
                    .any(|c| c.path == "/api/v10/users/@me/channels"
                        && c.body["recipient_id"].to_string().contains(&user.to_string()))
            );
        }
        // The 429 was answered once and the message then delivered once.
        let tries = bot
            .fake
            .calls()
            .iter()
            .filter(|c| c.path == format!("/api/v10/channels/{}/messages", FakeDiscord::dm_channel_id(SUB_EN)))
            .count();
        assert_eq!(tries, 2);
        // Every request asked that nobody be pinged.
        for call in bot.fake.calls().iter().filter(|c| c.method == "POST" && c.path.ends_with("/messages")) {
            assert_eq!(call.body["allowed_mentions"]["parse"], json!([]), "{call:?}");
        }

        // Run again: nothing is sent twice.
        let (_stop, stop) = watch::channel(false);
        runner.run_campaign(campaign.id, stop).await.unwrap();
        assert_eq!(bot.posts(ANNOUNCEMENTS).len(), 1);
        assert_eq!(bot.dms(SUB_ID).len(), 1);
        bot.stop().await;
    }

    /// A user whose DMs are closed (50007), and one whose DM is refused with
    /// another 403, end `blocked` and unsubscribed; one Discord keeps failing
    /// for ends `failed` and stays subscribed. The campaign finishes.
    async fn closed_dms_are_blocked_and_unsubscribed(db: Db) {
        import_promotion(&db).await;
        user(&db, Channel::Discord, &SUB_ID.to_string(), Some(Locale::Id)).await;
        user(&db, Channel::Discord, &SUB_EN.to_string(), Some(Locale::En)).await;
        user(&db, Channel::Discord, &SUB_EN_2.to_string(), Some(Locale::En)).await;
        user(&db, Channel::Discord, &FLAKY.to_string(), Some(Locale::En)).await;
        let bot = bot(&db).await;
        let campaign = confirmed_campaign(&db).await;
        bot.fake.close_dms(SUB_EN);
        bot.fake.fault(
            "POST",
            &format!("/channels/{}/messages", FakeDiscord::dm_channel_id(SUB_EN_2)),
            Fault::Json(403, json!({"message": "Missing Access", "code": 50001})),
        );
        for _ in 0..discord::MAX_SEND_ATTEMPTS {
            bot.fake.fault(
                "POST",
                &format!("/channels/{}/messages", FakeDiscord::dm_channel_id(FLAKY)),
                Fault::ServerError,
            );
        }

        let runner = Runner::new(db.clone(), options()).sender(bot.discord.clone());
        let (_stop, stop) = watch::channel(false);
        let progress = runner.run_campaign(campaign.id, stop).await.unwrap();
        assert!(progress.done, "{progress:?}");
        assert_eq!(
            counts(&db, campaign.id).await,
            [
                (RecipientStatus::Blocked, 2),
                (RecipientStatus::Failed, 1),
                (RecipientStatus::Sent, 2),
            ]
        );
        let mut tx = db.begin().await.unwrap();
        assert_eq!(tx.campaign(campaign.id).await.unwrap().unwrap().status, CampaignStatus::Done);
        drop(tx);
        for blocked in [SUB_EN, SUB_EN_2] {
            let u = chat_user(&db, Channel::Discord, blocked).await;
            assert!(!u.subscribed && !u.active, "{u:?}");
            assert!(bot.dms(blocked).is_empty());
        }
        // Closed DMs are no outage: refused at once, not retried.
        let tries = bot
            .fake
            .calls()
            .iter()
            .filter(|c| c.path == format!("/api/v10/channels/{}/messages", FakeDiscord::dm_channel_id(SUB_EN)))
            .count();
        assert_eq!(tries, 1);
        let failed = chat_user(&db, Channel::Discord, FLAKY).await;
        assert!(failed.subscribed && failed.active, "a failure is no refusal: {failed:?}");
        let fine = chat_user(&db, Channel::Discord, SUB_ID).await;
        assert!(fine.subscribed && fine.active);
        assert_eq!(bot.dms(SUB_ID).len(), 1);
        bot.stop().await;
    }

    /// `/broadcast` is the marketing team's: refused without the role and for
    /// mistakes (privately); with it, the preview with Confirm / Cancel.
    /// Cancel drops the draft; Confirm writes the recipients and the campaign
    /// is `sending`, and the preview says who confirmed it.
    async fn marketing_prepares_and_confirms_with_broadcast(db: Db) {
        import_promotion(&db).await;
        audience(&db).await;
        let bot = bot(&db).await;
        // Registered beside the staff commands, in the staff server only.
        let names: Vec<Value> = bot.fake.guild_commands(GUILD).iter().map(|c| c["name"].clone()).collect();
        assert_eq!(names, [json!("reply"), json!("close"), json!("broadcast")]);
        assert!(bot.fake.commands().iter().all(|c| c["name"] != "broadcast"));

        let command = |user: u64, roles: &[u64], options: Vec<(&str, Value)>| {
            let c = bot.fake.slash_command(
                bot.fake.new_id(),
                user,
                "en-US",
                Some((GUILD, STAFF_CHANNEL)),
                "broadcast",
                options,
            );
            FakeDiscord::with_roles(c, roles)
        };
        let ephemeral = |r: &Value| r["data"]["flags"].as_u64().unwrap_or(0) & 64 != 0;
        let text = |r: &Value| r["data"]["content"].as_str().unwrap_or_default().to_owned();
        let campaigns = || {
            let db = db.clone();
            async move { db.begin().await.unwrap().campaigns(Some(PROMO), 10).await.unwrap() }
        };

        // Staff without the marketing role: refused, nothing prepared.
        let refused = bot.interact(command(8001, &[STAFF_ROLE], vec![("promotion", json!(PROMO))])).await;
        assert!(ephemeral(&refused), "{refused}");
        assert!(text(&refused).contains("Only the marketing team"), "{refused}");
        assert!(campaigns().await.is_empty());
        // The marketing role in another channel of the server: refused too.
        let elsewhere = FakeDiscord::with_roles(
            bot.fake.slash_command(
                bot.fake.new_id(),
                8002,
                "en-US",
                Some((GUILD, STAFF_CHANNEL + 1)),
                "broadcast",
                vec![("promotion", json!(PROMO))],
            ),
            &[MARKETING_ROLE],
        );
        let refused = bot.interact(elsewhere).await;
        assert!(ephemeral(&refused) && text(&refused).contains("Only the marketing team"), "{refused}");
        assert!(campaigns().await.is_empty());

        // Mistakes are answered privately.
        let marketer = 8002u64;
        for (options, says) in [
            (vec![("promotion", json!("no-such-promo"))], "does not exist"),
            (vec![("promotion", json!(PROMO)), ("region", json!("1X"))], "region"),
            (vec![("promotion", json!(PROMO)), ("category", json!("toaster"))], "category"),
        ] {
            let answer = bot.interact(command(marketer, &[MARKETING_ROLE], options)).await;
            assert!(ephemeral(&answer), "{answer}");
            assert!(text(&answer).contains(says), "{says}: {answer}");
        }
        assert!(campaigns().await.is_empty());

        // A preview, then Cancel.
        let (id, button_message) = preview(&bot, command(marketer, &[MARKETING_ROLE], vec![("promotion", json!(PROMO))])).await;
        let press = |user: u64, roles: &[u64], custom: &str, message: Value| {
            let p = bot.fake.component_press(
                bot.fake.new_id(),
                user,
                "en-US",
                Some((GUILD, STAFF_CHANNEL)),
                custom,
                None,
                message,
            );
            FakeDiscord::with_roles(p, roles)
        };
        let cancelled = bot
            .interact(press(marketer, &[MARKETING_ROLE], &format!("marketing:cancel:{id}"), button_message))
            .await;
        assert_eq!(cancelled["type"], 7, "{cancelled}");
        assert!(text(&cancelled).contains(&format!("Cancelled by user{marketer}")), "{cancelled}");
        let status = |id: i64| {
            let db = db.clone();
            async move { db.begin().await.unwrap().campaign(id).await.unwrap().unwrap() }
        };
        assert_eq!(status(id).await.status, CampaignStatus::Cancelled);

        // Another preview: Confirm by someone without the role is refused;
        // by the marketing team, the campaign is sending with its recipients.
        let (id, button_message) = preview(&bot, command(marketer, &[MARKETING_ROLE], vec![("promotion", json!(PROMO))])).await;
        let confirm = format!("marketing:confirm:{id}");
        let refused = bot.interact(press(8001, &[STAFF_ROLE], &confirm, button_message.clone())).await;
        assert!(ephemeral(&refused), "{refused}");
        assert!(text(&refused).contains("Only the marketing team"), "{refused}");
        assert_eq!(status(id).await.status, CampaignStatus::Draft);

        let other = 8003u64;
        let confirmed = bot.interact(press(other, &[MARKETING_ROLE], &confirm, button_message.clone())).await;
        assert_eq!(confirmed["type"], 7, "{confirmed}");
        let campaign = status(id).await;
        assert_eq!(campaign.status, CampaignStatus::Sending);
        assert_eq!(campaign.created_by, format!("discord:user{marketer}"));
        assert_eq!(campaign.confirmed_by.as_deref(), Some(format!("discord:user{other}").as_str()));
        // Three Discord and two Telegram subscribers, and the announcement post.
        assert_eq!(counts(&db, id).await, [(RecipientStatus::Pending, 6)]);
        let edited = bot.fake.message(button_message["id"].as_str().unwrap().parse().unwrap()).unwrap();
        let edited_text = edited["content"].as_str().unwrap();
        assert!(
            edited_text.contains(&format!("Confirmed by user{other}: sending campaign {id} to 6 recipient(s)")),
            "{edited_text}"
        );
        assert_eq!(edited["components"], json!([]), "the buttons go");

        // Pressed again (a stale client): refused, nothing changes.
        let again = bot.interact(press(other, &[MARKETING_ROLE], &confirm, button_message)).await;
        assert!(ephemeral(&again) && text(&again).contains("Nothing was done"), "{again}");
        // While it is being sent, no second campaign of the promotion.
        let busy = bot.interact(command(marketer, &[MARKETING_ROLE], vec![("promotion", json!(PROMO))])).await;
        assert!(ephemeral(&busy) && text(&busy).contains("being sent"), "{busy}");
        assert_eq!(campaigns().await.len(), 2);
        bot.stop().await;
    }

    /// While a campaign is sent, the staff channel shows one progress message,
    /// edited as it goes, that ends "finished".
    async fn progress_is_one_edited_message_in_the_staff_channel(db: Db) {
        import_promotion(&db).await;
        for (i, user_id) in [SUB_ID, SUB_EN, SUB_EN_2].into_iter().enumerate() {
            let locale = if i == 0 { Locale::Id } else { Locale::En };
            user(&db, Channel::Discord, &user_id.to_string(), Some(locale)).await;
        }
        let bot = bot(&db).await;
        let campaign = confirmed_campaign(&db).await;
        // Slow enough that a report or two comes while it sends.
        for _ in 0..3 {
            bot.fake.fault("POST", "/users/@me/channels", Fault::Slow(Duration::from_millis(150)));
        }
        let board: Arc<dyn ProgressBoard> = Arc::new(discord::DiscordStaffChannel {
            discord: bot.discord.clone(),
            channel: ChannelId::new(STAFF_CHANNEL),
        });
        assert_eq!(board.chat_id(), STAFF_CHANNEL.to_string());
        let runner = Runner::new(db.clone(), options())
            .sender(bot.discord.clone())
            .sink(Arc::new(BoardSink::new(db.clone(), vec![board])));
        let (_stop, stop) = watch::channel(false);
        let progress = runner.run_campaign(campaign.id, stop).await.unwrap();
        assert!(progress.done && progress.sent == 4, "{progress:?}");

        let posts = bot.posts(STAFF_CHANNEL);
        assert_eq!(posts.len(), 1, "{posts:?}");
        let text = posts[0]["content"].as_str().unwrap();
        assert!(text.contains(&format!("Campaign {} finished", campaign.id)), "{text}");
        assert!(text.contains("4/4"), "{text}");
        assert!(!posts[0]["edited_timestamp"].is_null(), "posted once, then edited: {}", posts[0]);
        let edits = bot
            .fake
            .calls()
            .iter()
            .filter(|c| c.method == "PATCH" && c.path.starts_with(&format!("/api/v10/channels/{STAFF_CHANNEL}/messages/")))
            .count();
        assert!(edits >= 1);
        // Remembered, so a restarted runner edits the same message.
        let mut tx = db.begin().await.unwrap();
        let remembered = tx
            .campaign_post(campaign.id, Channel::Discord, &STAFF_CHANNEL.to_string())
            .await
            .unwrap();
        assert_eq!(remembered.as_deref(), posts[0]["id"].as_str());
        drop(tx);
        bot.stop().await;
    }
}

/// Runs `/broadcast` with the role: a public preview with both texts and the
/// audience, the buttons on its last message. The campaign's id and that message.
async fn preview(bot: &Bot, command: Value) -> (i64, Value) {
    let interaction: u64 = command["id"].as_str().unwrap().parse().unwrap();
    let answer = bot.interact(command).await;
    assert_eq!(answer["type"], 4, "{answer}");
    assert_eq!(
        answer["data"]["flags"].as_u64().unwrap_or(0) & 64,
        0,
        "for the channel: {answer}"
    );
    assert_eq!(answer["data"]["allowed_mentions"]["parse"], json!([]));
    let first = answer["data"]["content"].as_str().unwrap().to_owned();
    assert!(first.starts_with("📣 Broadcast draft"), "{first}");
    let mut messages = vec![bot.fake.original_response(interaction).unwrap()];
    messages.extend(bot.fake.followups(interaction));
    let whole: String = messages
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("\n");
    for part in [
        "Bahasa Indonesia",
        "Pekan Gaming MSI",
        "English",
        "MSI Gaming Week",
        "Audience: 6 recipient",
    ] {
        assert!(whole.contains(part), "{part}: {whole}");
    }
    let last = messages.last().unwrap().clone();
    let fits = |m: &Value| m["content"].as_str().is_some_and(|c| c.chars().count() <= 2000);
    assert!(messages.iter().all(fits), "{messages:?}");
    let buttons = &last["components"][0]["components"];
    let id: i64 = buttons[0]["custom_id"]
        .as_str()
        .unwrap()
        .strip_prefix("marketing:confirm:")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(buttons[0]["label"], "Confirm: send to 6");
    assert_eq!(buttons[1]["custom_id"], format!("marketing:cancel:{id}"));
    (id, last)
}
