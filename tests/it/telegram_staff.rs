//! The staff group on Telegram end to end: the real teloxide client against
//! the fake Bot API server (`support/fake_telegram.rs`), a real outbox worker
//! posting claims and escalations and sending emails through the real Postfix
//! + Dovecot on loopback (`scripts/mailstack.sh`), on SQLite and PostgreSQL.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use redeemdesk::blobs::BlobStore;
use redeemdesk::channels::telegram::{Limits, Options, Telegram, TelegramStaffChannel};
use redeemdesk::config::TlsMode;
use redeemdesk::domain::{Actor, Change, Channel, Status};
use redeemdesk::import::{DEMO_JSON, import_json};
use redeemdesk::jobs::{Dispatch, JobError, JobKind, JobStatus, Worker, WorkerOptions};
use redeemdesk::mail::outbox::MailSettings;
use redeemdesk::review::{self, Decision};
use redeemdesk::staff::{CardFile, ClaimCard, EscalationCard, StaffChannel, StaffDesk};
use redeemdesk::store::{Db, EscalationStatus};
use serde_json::Value;
use support::both_backends;
use support::fake_telegram::{FakeTelegram, Fault, TOKEN};
use support::mail::eventually;

/// The staff group: a supergroup, as its id shows.
const STAFF: i64 = -1_001_234_567_890;
/// Rina, an administrator of the staff group.
const AGENT: i64 = 9001;
/// Someone who is not (or no longer) in the staff group.
const OUTSIDER: i64 = 9002;
const NOT_STAFF: &str = "Only staff can decide claims. Nothing was changed.";

/// The bot against a fresh fake, with the staff group configured.
async fn connect(db: &Db, blobs: &std::path::Path) -> (FakeTelegram, Arc<Telegram>) {
    let fake = FakeTelegram::start().await;
    fake.add_group(STAFF, "Redeem review", true);
    fake.set_member(STAFF, AGENT, "administrator");
    fake.set_name(AGENT, "Rina", Some("rina_cs"));
    fake.set_member(STAFF, OUTSIDER, "left");
    let mut options = Options::new(BlobStore::new(blobs));
    options.api_url = Some(fake.url());
    options.limits = Limits {
        per_chat_per_sec: 1000,
        overall_per_sec: 10_000,
    };
    options.http_timeout = Duration::from_secs(3);
    options.mail = MailSettings::from_config(&support::mail::smtp(TlsMode::None));
    options.staff_chat = Some(STAFF);
    let telegram = Telegram::connect(TOKEN, db.clone(), options)
        .await
        .unwrap()
        .with_backoff(Duration::from_millis(10));
    (fake, Arc::new(telegram))
}

/// The demo data, the bot long-polling, and a worker performing staff posts,
/// emails and chat notices in the background.
struct Desk {
    fake: FakeTelegram,
    db: Db,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    _blobs: tempfile::TempDir,
}

async fn desk(db: Db) -> Desk {
    import_json(&db, DEMO_JSON, Utc::now()).await.unwrap();
    let blobs = tempfile::tempdir().unwrap();
    let (fake, telegram) = connect(&db, blobs.path()).await;
    telegram.setup().await.unwrap();
    let channel: Arc<dyn StaffChannel> = Arc::new(TelegramStaffChannel {
        telegram: telegram.clone(),
        chat: STAFF,
    });
    let staff = StaffDesk::new(db.clone(), BlobStore::new(blobs.path()), vec![channel]);
    let mailer = redeemdesk::mail::smtp::Mailer::from_config(&support::mail::smtp(TlsMode::None)).unwrap();
    let dispatch = Dispatch::default()
        .staff(Arc::new(staff))
        .email(Arc::new(mailer))
        .chat(Channel::Telegram, telegram.clone());
    let options = WorkerOptions {
        kinds: dispatch.kinds(),
        poll: Duration::from_millis(20),
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(100),
        ..Default::default()
    };
    let worker = Worker::new(db.clone(), Arc::new(dispatch), options);
    let (stop, rx) = tokio::sync::watch::channel(false);
    let polling = {
        let rx = rx.clone();
        tokio::spawn(async move { telegram.run_polling(rx).await })
    };
    let working = tokio::spawn(async move { worker.run(rx).await });
    Desk {
        fake,
        db,
        stop,
        tasks: vec![polling, working],
        _blobs: blobs,
    }
}

impl Desk {
    async fn stop(self) {
        self.stop.send(true).unwrap();
        for task in self.tasks {
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("polling and the worker stop")
                .unwrap();
        }
    }

    async fn status(&self, id: i64) -> Status {
        let mut tx = self.db.begin().await.unwrap();
        tx.redemption(id).await.unwrap().unwrap().redemption.status()
    }

    /// The post about claim `id` in the staff group (waiting for it).
    async fn post(&self, id: i64) -> Value {
        let marker = format!("[RDM-{id}]");
        self.fake
            .wait_until(&format!("the post about RDM-{id}"), |f| {
                f.bot_messages(STAFF)
                    .into_iter()
                    .find(|m| m["text"].as_str().is_some_and(|t| t.contains(&marker)))
            })
            .await
    }

    /// The bot's message in the staff group whose text starts with `start` (waiting for it).
    async fn said(&self, start: &str) -> Value {
        self.fake
            .wait_until(&format!("a message starting {start:?}"), |f| {
                f.bot_messages(STAFF)
                    .into_iter()
                    .rev()
                    .find(|m| m["text"].as_str().is_some_and(|t| t.starts_with(start)))
            })
            .await
    }

    /// The answer to the last press with a text.
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

    /// Waits until no staff task is waiting or running.
    async fn staff_tasks_done(&self) {
        let db = self.db.clone();
        eventually(30, "staff tasks done", || {
            let db = db.clone();
            async move {
                let jobs = db.begin().await.unwrap().jobs(None, 10_000).await.unwrap();
                jobs.iter()
                    .filter(|j| j.kind == JobKind::StaffPost)
                    .all(|j| matches!(j.status, JobStatus::Done | JobStatus::Dead))
            }
        })
        .await;
    }
}

fn id_of(message: &Value) -> i64 {
    message["message_id"].as_i64().unwrap()
}

fn text_of(message: &Value) -> &str {
    message["text"].as_str().unwrap_or_default()
}

fn real_jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 200) as u8, (y % 200) as u8, 120]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

/// Budi (private chat `chat`) proves he owns the serial of his rejected claim
/// RDM-1042 and sends a new photo of the invoice: back in the queue.
async fn resubmit_1042(d: &Desk, chat: i64, photo: &[u8]) {
    d.fake.text(chat, "id", "status K2305N0012345");
    d.fake.wait_for(chat, 1).await;
    d.fake.text(chat, "id", "482");
    d.fake.wait_for(chat, 2).await;
    d.fake.photo(chat, "id", photo);
    d.fake.wait_for(chat, 3).await;
    assert_eq!(d.status(1042).await, Status::UnderReview);
}

both_backends! {
    /// Claims are posted with their files; staff approve and reject with a
    /// reason; the member's email goes out through SMTP, linked chats get a
    /// notice, and the post shows who decided.
    async fn staff_decide_claims_in_the_telegram_group(db: Db) {
        let d = desk(db).await;
        // The demo's two queued claims.
        let post_1044 = d.post(1044).await;
        d.post(1046).await;
        let card = text_of(&post_1044);
        assert!(card.contains("S1B4A2500123") && card.contains("Cubi NUC 1M") && card.contains("bought"), "{card}");
        assert!(!card.contains("CHK") && !card.contains("731") && !card.contains("@example.test"), "{card}");
        assert_eq!(post_1044["entities"][0]["type"], "pre", "shown as a block: {post_1044}");
        let keyboard = &post_1044["reply_markup"]["inline_keyboard"];
        assert_eq!(keyboard[0][0]["callback_data"], "staff:approve:1044");
        assert_eq!(keyboard[0][1]["callback_data"], "staff:reject:1044");

        // Budi re-uploads his invoice in chat: the resubmission comes with the photo.
        let photo = real_jpeg(640, 480);
        resubmit_1042(&d, 4100, &photo).await;
        let post_1042 = d.post(1042).await;
        assert!(!text_of(&post_1042).contains("@example.test"), "no contact details: {post_1042}");
        let files = d
            .fake
            .wait_until("the photo under the post", |f| {
                let files = f.files_in(STAFF);
                (!files.is_empty()).then_some(files)
            })
            .await;
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!((files[0].method.as_str(), files[0].kind.as_str()), ("sendphoto", "photo"));
        assert_eq!(files[0].reply_to, Some(id_of(&post_1042)), "a reply to the post");
        assert_eq!(files[0].data, photo);
        assert!(files[0].caption.as_deref().unwrap().starts_with("RDM-1042"));

        // Rizky's account is linked to a Telegram chat: a decision is told there too.
        let rizky_chat = 4200;
        {
            let mut tx = d.db.begin_write().await.unwrap();
            let user = tx.chat_user(Channel::Telegram, &rizky_chat.to_string(), Utc::now()).await.unwrap();
            tx.insert_chat_link(user.id, 503, Utc::now()).await.unwrap();
            tx.commit().await.unwrap();
        }

        // Someone outside the staff group (a public group's buttons can be
        // pressed by anyone who sees it): refused, nothing changes.
        d.fake.press_on(id_of(&post_1044), OUTSIDER, "staff:approve:1044");
        let refused = d.answer(1).await;
        assert_eq!(refused["text"], NOT_STAFF);
        assert_eq!(refused["show_alert"], true);
        // A staff button pressed in a private chat: refused too.
        d.fake.press(AGENT, "en", "staff:approve:1044");
        let refused = d.answer(2).await;
        assert_eq!((refused["text"].as_str(), refused["show_alert"].as_bool()), (Some(NOT_STAFF), Some(true)));
        assert_eq!(d.status(1044).await, Status::UnderReview);
        let member_calls = d.fake.calls("getChatMember");
        assert_eq!(member_calls.len(), 1, "the private press is refused before asking: {member_calls:?}");
        assert_eq!((member_calls[0]["chat_id"].as_i64(), member_calls[0]["user_id"].as_i64()), (Some(STAFF), Some(OUTSIDER)));

        // Rina approves: decided, the post shows it without buttons.
        d.fake.press_on(id_of(&post_1044), AGENT, "staff:approve:1044");
        let done = d.answer(3).await;
        assert_eq!(done["text"], "RDM-1044: ✅ Approved by telegram:rina_cs");
        assert_eq!(d.status(1044).await, Status::Approved);
        let post = d.fake.message_now(id_of(&post_1044)).unwrap();
        assert!(text_of(&post).contains("[RDM-1044]") && text_of(&post).contains("S1B4A2500123"), "the card stays: {post}");
        assert_eq!(post["entities"][0]["type"], "pre");
        assert!(text_of(&post).ends_with("✅ Approved by telegram:rina_cs"), "{post}");
        assert!(post.get("reply_markup").is_none(), "no buttons left: {post}");
        assert!(!text_of(&post).contains("@example.test"), "no contact details: {post}");
        let history = d.db.begin().await.unwrap().history(1044).await.unwrap();
        assert_eq!(history.last().unwrap().actor.to_string(), "staff:telegram:rina_cs");

        // The approval email reaches Rizky's mailbox through SMTP, once.
        let approved = {
            let db = d.db.clone();
            eventually(30, "the approval email sent", || {
                let db = db.clone();
                async move {
                    let emails = db.begin().await.unwrap().emails_of_redemption(1044).await.unwrap();
                    emails.iter().any(|e| e.kind.as_str() == "approved" && e.delivery == JobStatus::Done)
                }
            })
            .await;
            let emails = d.db.begin().await.unwrap().emails_of_redemption(1044).await.unwrap();
            emails.into_iter().find(|e| e.kind.as_str() == "approved").unwrap()
        };
        let raw = support::mail::fetch_by_message_id("rizky.pratama@example.test", "pass", &approved.message_id).await;
        assert_eq!(raw.len(), 1, "delivered once to the member's mailbox");
        // The notice in his linked chat.
        let notice = d.fake.wait_for(rizky_chat, 1).await;
        assert!(notice[0].contains("RDM-1044"), "{notice:?}");
        // The decision's Decided task finds the post marked: no second edit.
        d.staff_tasks_done().await;
        let edits: Vec<_> = d.fake.edits_in(STAFF).into_iter().filter(|(id, _)| *id == id_of(&post_1044)).collect();
        assert_eq!(edits.len(), 1, "{edits:?}");

        // Reject the resubmission: the buttons become the reasons (and back on Cancel).
        let post_id = id_of(&post_1042);
        d.fake.press_on(post_id, AGENT, "staff:reject:1042");
        let reasons = d
            .fake
            .wait_until("the reasons", |f| f.markup_edits_in(STAFF).into_iter().find(|(id, _)| *id == post_id))
            .await
            .1;
        let rows = reasons["inline_keyboard"].as_array().unwrap();
        assert_eq!(rows.len(), 12, "{reasons}");
        assert_eq!(rows[1][0]["text"], "invoice_unreadable");
        assert_eq!(rows[1][0]["callback_data"], "staff:reason:1042:invoice_unreadable");
        assert_eq!(rows[11][0]["callback_data"], "staff:cancel:1042");
        d.fake.press_on(post_id, AGENT, "staff:cancel:1042");
        d.fake
            .wait_until("the buttons back", |f| (f.markup_edits_in(STAFF).len() >= 2).then_some(()))
            .await;
        let now = d.fake.message_now(post_id).unwrap();
        assert_eq!(now["reply_markup"]["inline_keyboard"][0][0]["callback_data"], "staff:approve:1042");
        assert_eq!(d.status(1042).await, Status::UnderReview);
        d.fake.press_on(post_id, AGENT, "staff:reject:1042");
        d.fake
            .wait_until("the reasons again", |f| (f.markup_edits_in(STAFF).len() >= 3).then_some(()))
            .await;
        d.fake.press_on(post_id, AGENT, "staff:reason:1042:invoice_unreadable");
        let mut n = 4;
        let done = loop {
            let a = d.answer(n).await;
            if a["text"].as_str().unwrap().starts_with("RDM-1042") {
                break a;
            }
            n += 1;
        };
        assert_eq!(done["text"], "RDM-1042: ❌ Rejected by telegram:rina_cs: invoice_unreadable");
        assert_eq!(d.status(1042).await, Status::Rejected);
        let post = d.fake.message_now(post_id).unwrap();
        assert!(text_of(&post).ends_with("❌ Rejected by telegram:rina_cs: invoice_unreadable"), "{post}");
        assert!(post.get("reply_markup").is_none(), "{post}");
        // Budi's rejection email, with the reason, through SMTP.
        let db = d.db.clone();
        eventually(30, "the rejection email sent", || {
            let db = db.clone();
            async move {
                let emails = db.begin().await.unwrap().emails_of_redemption(1042).await.unwrap();
                emails.iter().any(|e| e.kind.as_str() == "rejection" && e.delivery == JobStatus::Done)
            }
        })
        .await;
        let emails = d.db.begin().await.unwrap().emails_of_redemption(1042).await.unwrap();
        let rejection = emails.iter().rev().find(|e| e.kind.as_str() == "rejection").unwrap();
        let raw = support::mail::fetch_by_message_id("budi.santoso@example.test", "pass", &rejection.message_id).await;
        assert_eq!(raw.len(), 1);
        d.stop().await;
    }

    /// A press refused by the review rules (another reviewer's lease, a claim
    /// already decided) says why and changes nothing; a decision made from the
    /// CLI edits the post through the outbox's Decided task.
    async fn refusals_and_decisions_made_elsewhere(db: Db) {
        let d = desk(db).await;
        let post_1044 = d.post(1044).await;
        let post_1046 = d.post(1046).await;
        let settings = review::ReviewSettings::default();
        review::claim(&d.db, 1044, "andi", &settings, Utc::now()).await.unwrap();
        d.fake.press_on(id_of(&post_1044), AGENT, "staff:approve:1044");
        let refused = d.answer(1).await;
        let text = refused["text"].as_str().unwrap();
        assert!(text.starts_with("Nothing changed") && text.contains("andi"), "{text}");
        assert_eq!(refused["show_alert"], true);
        assert_eq!(d.status(1044).await, Status::UnderReview);
        assert!(d.fake.message_now(id_of(&post_1044)).unwrap()["reply_markup"].is_object(), "buttons stay");

        // From the CLI's code path: the worker edits the Telegram post.
        review::decide(&d.db, 1046, Decision::Approve { note: None }, Actor::Staff("rina".into()), &MailSettings::default(), Utc::now())
            .await
            .unwrap();
        let post = d
            .fake
            .wait_until("the post settled", |f| {
                f.message_now(id_of(&post_1046)).filter(|m| text_of(m).ends_with("✅ Approved by rina"))
            })
            .await;
        assert!(post.get("reply_markup").is_none(), "{post}");
        assert!(text_of(&post).contains("[RDM-1046]"), "the card is still there: {post}");
        assert_eq!(post["entities"][0]["type"], "pre");

        // A press on the decided claim's stale buttons (a second phone): refused.
        d.fake.press_on(id_of(&post_1046), AGENT, "staff:approve:1046");
        let refused = d.answer(2).await;
        assert!(refused["text"].as_str().unwrap().starts_with("Nothing changed"), "{refused}");
        d.stop().await;
    }

    /// `/approve NOTE` and `/reject CODE NOTE` as replies to a claim's post.
    async fn decisions_with_a_note_by_reply(db: Db) {
        let d = desk(db).await;
        let post_1044 = d.post(1044).await;
        let post_1046 = d.post(1046).await;

        // Not a reply: told how.
        d.fake.group_text(STAFF, AGENT, "/approve looks fine");
        let hint = d.said("Reply to a claim's post").await;
        assert_eq!(hint["reply_to_message"]["from"]["id"], AGENT);

        // An unknown reason code: the valid ones are listed, nothing changes.
        d.fake.group_reply(STAFF, AGENT, id_of(&post_1046), "/reject blurry photo");
        let listed = d.said("\"blurry\" is not a reason code").await;
        assert!(text_of(&listed).contains("invoice_unreadable") && text_of(&listed).contains("duplicate_claim"), "{listed}");
        assert_eq!(d.status(1046).await, Status::UnderReview);

        d.fake.group_reply(STAFF, AGENT, id_of(&post_1044), "/approve@redeemdesk_bot Invoice checked by phone with the store");
        let done = d.said("RDM-1044:").await;
        assert_eq!(text_of(&done), "RDM-1044: ✅ Approved by telegram:rina_cs");
        let history = d.db.begin().await.unwrap().history(1044).await.unwrap();
        let last = history.last().unwrap();
        assert_eq!(last.change, Change::Approved { note: Some("Invoice checked by phone with the store".into()) });
        assert_eq!(last.actor.to_string(), "staff:telegram:rina_cs");
        let post = d.fake.message_now(id_of(&post_1044)).unwrap();
        assert!(text_of(&post).ends_with("✅ Approved by telegram:rina_cs") && post.get("reply_markup").is_none(), "{post}");

        d.fake.group_reply(STAFF, AGENT, id_of(&post_1046), "/reject serial_photo_packaging Still the box, not the sticker");
        let done = d.said("RDM-1046:").await;
        assert_eq!(text_of(&done), "RDM-1046: ❌ Rejected by telegram:rina_cs: serial_photo_packaging");
        let rec = d.db.begin().await.unwrap().redemption(1046).await.unwrap().unwrap();
        assert_eq!(rec.redemption.status(), Status::Rejected);
        assert_eq!(
            rec.redemption.last_rejection().map(|(r, n)| (r.code(), n.clone())),
            Some(("serial_photo_packaging", Some("Still the box, not the sticker".to_owned())))
        );
        // Someone outside the group (it can happen in a discussion group): refused.
        d.fake.group_reply(STAFF, OUTSIDER, id_of(&post_1044), "/approve");
        d.said("Only members of the staff group").await;
        d.stop().await;
    }

    /// A customer asks for a person; the agent answers under the post, the
    /// customer's next message comes back under it, and `/close` ends it.
    async fn escalations_round_trip_through_the_staff_group(db: Db) {
        let d = desk(db).await;
        d.post(1044).await;
        let customer = 4300;
        d.fake.text(customer, "en", "/agent");
        let opened = d.fake.wait_for(customer, 1).await;
        assert!(opened[0].contains("ticket #"), "{opened:?}");
        let post = d.said("Escalation #").await;
        assert!(text_of(&post).contains("asked for a person") && text_of(&post).contains("Language: English"), "{post}");
        assert_eq!(post["entities"][0]["type"], "pre");
        let ticket: i64 = text_of(&post)["Escalation #".len()..].split(' ').next().unwrap().parse().unwrap();

        // Chatter in the group, even addressed to the bot, never reaches the assistant.
        let before = d.fake.sent_to(STAFF).len();
        d.fake.group_text(STAFF, AGENT, "@redeemdesk_bot halo, lunch at 12?");
        let chatter = d.fake.group_text(STAFF, AGENT, "see you at lunch");
        d.fake.wait_acknowledged(chatter).await;
        assert_eq!(d.fake.sent_to(STAFF).len(), before, "{:?}", d.fake.sent_to(STAFF));

        // Rina answers as a reply to the post: it reaches the customer in English.
        d.fake.group_reply(STAFF, AGENT, id_of(&post), "Hi, I am checking your invoice now.");
        let confirmed = d.said("Sent to the customer.").await;
        assert_eq!(confirmed["reply_to_message"]["text"], "Hi, I am checking your invoice now.", "{confirmed}");
        let got = d
            .fake
            .wait_until("the answer in the customer's chat", |f| {
                f.sent_to(customer).into_iter().find(|t| t.starts_with("💬"))
            })
            .await;
        assert_eq!(got, "💬 Rina (MSI customer service): Hi, I am checking your invoice now.");

        // A photo is not relayed; the agent is told.
        d.fake.group_photo_reply(STAFF, AGENT, id_of(&post));
        d.said("Only text reaches the customer").await;

        // An administrator posting anonymously: not relayed, asked to post as themselves.
        d.fake.group_anonymous_reply(STAFF, id_of(&post), "Anonymous answer");
        d.said("Post as yourself").await;

        // Someone outside the group cannot answer customers.
        d.fake.group_reply(STAFF, OUTSIDER, id_of(&post), "I can help too");
        d.said("Only members of the staff group").await;

        // The customer writes again: it comes back under the post.
        d.fake.text(customer, "en", "Thanks, the serial sticker is on the back");
        let line = d.said("customer: Thanks, the serial sticker").await;
        assert_eq!(line["reply_to_message"]["message_id"], id_of(&post));

        // /close as a reply to something that is not the post or a line under it.
        d.fake.group_reply(STAFF, AGENT, id_of(&confirmed), "/close");
        d.said("Reply to the escalation's post itself").await;
        // /close as a reply to the customer's line under the post.
        let before = d.fake.sent_to(customer).len();
        d.fake.group_reply(STAFF, AGENT, id_of(&line), "/close");
        d.said("Closed.").await;
        let closed = d.fake.wait_for(customer, before + 1).await;
        assert!(closed.last().unwrap().contains(&format!("Ticket #{ticket} is now closed")), "{closed:?}");
        let e = d.db.begin().await.unwrap().escalation(ticket).await.unwrap().unwrap();
        assert_eq!(e.status, EscalationStatus::Closed);
        assert_eq!(e.closed_by.as_deref(), Some("telegram:rina_cs"));
        d.said("Closed by telegram:rina_cs.").await;
        // Again: already closed.
        d.fake.group_reply(STAFF, AGENT, id_of(&post), "/close");
        d.said(&format!("Escalation #{ticket} was already closed.")).await;

        // An Indonesian customer gets the answer in Indonesian.
        let budi = 4301;
        d.fake.text(budi, "id", "/agent");
        d.fake.wait_for(budi, 1).await;
        let post = d
            .fake
            .wait_until("the second escalation", |f| {
                f.bot_messages(STAFF).into_iter().find(|m| {
                    text_of(m).starts_with("Escalation #") && !text_of(m).starts_with(&format!("Escalation #{ticket} "))
                })
            })
            .await;
        assert!(text_of(&post).contains("Language: Indonesian"), "{post}");
        d.fake.group_reply(STAFF, AGENT, id_of(&post), "Halo Kak, sedang kami cek.");
        let got = d
            .fake
            .wait_until("the answer in Indonesian", |f| f.sent_to(budi).into_iter().find(|t| t.starts_with("💬")))
            .await;
        assert_eq!(got, "💬 Rina (CS MSI): Halo Kak, sedang kami cek.");
        d.stop().await;
    }

    /// The staff channel itself: files (an album of photos, PDFs as
    /// documents, photos Telegram refuses as documents), escalation lines,
    /// and what a failure means for the job.
    async fn the_staff_channel_posts_files_and_classifies_failures(db: Db) {
        let blobs = tempfile::tempdir().unwrap();
        let (fake, telegram) = connect(&db, blobs.path()).await;
        let channel = TelegramStaffChannel {
            telegram: telegram.clone(),
            chat: STAFF,
        };
        let file = |name: &str, content_type: &str, data: Vec<u8>| CardFile {
            filename: name.into(),
            content_type: content_type.into(),
            data,
        };
        let jpeg = real_jpeg(320, 240);
        let card = ClaimCard {
            id: 7,
            text: "  [RDM-7] <Promo> & \"more\"\n".repeat(300),
            files: vec![
                file("nota.jpg", "image/jpeg", jpeg.clone()),
                file("sn.jpg", "image/jpeg", jpeg.clone()),
                file("faktur.pdf", "application/pdf", b"%PDF-1.7 invoice".to_vec()),
            ],
        };
        let post: i64 = channel.post(&card).await.unwrap().parse().unwrap();
        let shown = fake.message_now(post).unwrap();
        let text = text_of(&shown);
        assert!(text.starts_with("[RDM-7] <Promo> & \"more\""), "escaped, then shown literally: {text}");
        assert!(text.ends_with('…') && text.encode_utf16().count() <= 4096, "cut to fit");
        let files = fake.files_in(STAFF);
        assert_eq!(files.len(), 3, "{files:?}");
        assert!(files.iter().all(|f| f.reply_to == Some(post)));
        assert_eq!(
            files.iter().map(|f| (f.method.as_str(), f.kind.as_str(), f.filename.as_str())).collect::<Vec<_>>(),
            vec![
                ("sendmediagroup", "photo", "nota.jpg"),
                ("sendmediagroup", "photo", "sn.jpg"),
                ("senddocument", "document", "faktur.pdf")
            ]
        );
        assert_eq!(files[2].data, b"%PDF-1.7 invoice");

        // One photo: sendPhoto. Photos Telegram refuses: sent as documents.
        fake.fail("sendPhoto", Fault::Refused(400, "Bad Request: PHOTO_INVALID_DIMENSIONS"), 1);
        let card = ClaimCard { id: 8, text: "[RDM-8]".into(), files: vec![file("wide.jpg", "image/jpeg", jpeg.clone())] };
        channel.post(&card).await.unwrap();
        let files = fake.files_in(STAFF);
        assert_eq!((files[3].method.as_str(), files[3].filename.as_str()), ("senddocument", "wide.jpg"));
        assert_eq!(fake.calls("sendPhoto").len(), 1);

        // A decision made elsewhere on a post the database does not know:
        // the buttons go, and the label comes as a reply.
        channel.settle(&post.to_string(), "✅ Approved by rina").await.unwrap();
        assert!(fake.message_now(post).unwrap().get("reply_markup").is_none());
        let label = fake.bot_messages(STAFF).into_iter().last().unwrap();
        assert_eq!((text_of(&label), label["reply_to_message"]["message_id"].as_i64()), ("✅ Approved by rina", Some(post)));
        // Settling again: nothing to change, still fine.
        channel.settle(&post.to_string(), "✅ Approved by rina").await.unwrap();

        // An escalation and a line under it.
        let card = EscalationCard { id: 3, text: "Escalation #3 (asked for a person)\n<b>hi</b>".into() };
        let posted = channel.post_escalation(&card).await.unwrap();
        assert_eq!(text_of(&fake.message_now(posted.parse().unwrap()).unwrap()), card.text);
        channel.follow_up(&posted, "customer: <still> waiting & hoping").await.unwrap();
        let line = fake.bot_messages(STAFF).into_iter().last().unwrap();
        assert_eq!(text_of(&line), "customer: <still> waiting & hoping");
        assert_eq!(line["reply_to_message"]["message_id"].as_i64(), posted.parse().ok());

        // 429 and a lost answer are retried within the job; what never works is permanent.
        fake.fail("sendMessage", Fault::TooManyRequests(1), 1);
        fake.fail("sendMessage", Fault::Dropped, 1);
        channel.post(&ClaimCard { id: 9, text: "[RDM-9]".into(), files: vec![] }).await.unwrap();
        fake.fail("sendMessage", Fault::Dropped, 6);
        let lost = channel.post(&ClaimCard { id: 10, text: "[RDM-10]".into(), files: vec![] }).await;
        assert!(matches!(lost, Err(JobError::Transient(_))), "{lost:?}");
        fake.fail("sendMessage", Fault::Refused(403, "Forbidden: bot was kicked from the supergroup chat"), 1);
        let kicked = channel.post(&ClaimCard { id: 11, text: "[RDM-11]".into(), files: vec![] }).await;
        assert!(matches!(&kicked, Err(JobError::Permanent(m)) if m.contains("may not post in the staff group")), "{kicked:?}");
        fake.fail("sendMessage", Fault::Refused(400, "Bad Request: chat not found"), 1);
        let unknown = channel.post(&ClaimCard { id: 12, text: "[RDM-12]".into(), files: vec![] }).await;
        assert!(matches!(&unknown, Err(JobError::Permanent(m)) if m.contains("telegram.staff_chat_id")), "{unknown:?}");
    }
}

/// `serve` wiring: with `telegram.staff_chat_id` set, the application's worker
/// posts queued claims to the group, and presses there are staff work.
mod serve_posts_to_the_staff_group {
    use super::*;

    async fn run(db: support::TestDb) {
        import_json(&db.db, DEMO_JSON, Utc::now()).await.unwrap();
        let fake = FakeTelegram::start().await;
        fake.add_group(STAFF, "Redeem review", true);
        fake.set_member(STAFF, AGENT, "member");
        let blobs = tempfile::tempdir().unwrap();
        let mut config = redeemdesk::config::Config::default();
        config.database.url = db.url.clone();
        config.http.bind = "127.0.0.1:0".into();
        config.storage.blob_dir = blobs.path().to_owned();
        config.telegram.token = Some(TOKEN.to_owned().into());
        config.telegram.api_url = Some(fake.url());
        config.telegram.staff_chat_id = Some(STAFF);
        let app = redeemdesk::app::Application::build(&config).await.unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        let post = fake
            .wait_until("the post about RDM-1044", |f| {
                f.bot_messages(STAFF)
                    .into_iter()
                    .find(|m| text_of(m).contains("[RDM-1044]"))
            })
            .await;
        fake.press_on(id_of(&post), AGENT, "staff:approve:1044");
        let db_ = db.db.clone();
        eventually(30, "RDM-1044 approved from the group", || {
            let db = db_.clone();
            async move {
                let rec = db.begin().await.unwrap().redemption(1044).await.unwrap().unwrap();
                rec.redemption.status() == Status::Approved
            }
        })
        .await;
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn sqlite() {
        run(support::TestDb::sqlite().await).await;
    }

    #[tokio::test]
    async fn postgres() {
        run(support::TestDb::postgres().await).await;
    }
}
