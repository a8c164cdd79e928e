//! Conversations with the engine, in Indonesian and English, on both backends:
//! FAQ for every intent, the status flow (serial → CHK → status, wrong CHK, rate
//! limit, already proven), language, consent, fallback, restart mid-flow.

use crate::support;

use chrono::{DateTime, Duration, Utc};
use redeemdesk::assistant::{Assistant, Content, Inbound, Outcome};
use redeemdesk::domain::{Channel, Locale};
use redeemdesk::i18n::messages as m;
use redeemdesk::i18n::{Arg, Localizer, Msg, MsgDef};
use redeemdesk::import::{DEMO_JSON, import_json};
use redeemdesk::jobs::{ChatMessage, JobKind, StaffTask};
use redeemdesk::staff::{EscalationError, escalation};
use redeemdesk::store::{Db, EscalationCause, EscalationStatus, TranscriptRole};
use support::both_backends;

/// Mid-May 2026: Smart Office Rewards is running.
fn may() -> DateTime<Utc> {
    "2026-05-15T03:00:00Z".parse().unwrap()
}

async fn demo(db: &Db) -> Assistant {
    import_json(db, DEMO_JSON, Utc::now()).await.unwrap();
    Assistant::new(db.clone())
}

struct Chat<'a> {
    assistant: &'a Assistant,
    user: String,
    hint: Option<String>,
    now: DateTime<Utc>,
    channel: Channel,
    public: bool,
}

impl<'a> Chat<'a> {
    fn new(assistant: &'a Assistant, user: &str) -> Self {
        Self {
            assistant,
            user: user.into(),
            hint: None,
            now: may(),
            channel: Channel::Telegram,
            public: false,
        }
    }

    async fn send(&self, content: Content) -> Outcome {
        let inbound = Inbound {
            channel: self.channel,
            user: self.user.clone(),
            content,
            lang_hint: self.hint.clone(),
            event_id: None,
            public: self.public,
        };
        self.assistant.handle(&inbound, self.now).await.unwrap()
    }

    async fn say(&self, text: &str) -> Outcome {
        self.send(Content::Text(text.into())).await
    }

    async fn press(&self, data: &str) -> Outcome {
        self.send(Content::Button(data.into())).await
    }
}

/// The ids of every message in the outcome, also those nested as arguments.
fn ids(o: &Outcome) -> Vec<&'static str> {
    fn walk(msg: &Msg, out: &mut Vec<&'static str>) {
        out.push(msg.def.id);
        for (_, arg) in &msg.args {
            if let Arg::Msg(inner) = arg {
                walk(inner, out);
            }
        }
    }
    let mut out = Vec::new();
    for msg in o.replies.iter().flat_map(|r| r.messages()) {
        walk(msg, &mut out);
    }
    out
}

fn has(o: &Outcome, def: MsgDef) -> bool {
    ids(o).contains(&def.id)
}

fn text(o: &Outcome) -> String {
    o.render(Localizer::builtin())
        .into_iter()
        .map(|r| r.text)
        .collect::<Vec<_>>()
        .join("\n")
}

#[track_caller]
fn expect(o: &Outcome, def: MsgDef, locale: Locale) {
    assert!(has(o, def), "expected {} in {:?}", def.id, ids(o));
    assert_eq!(o.locale, locale, "{:?}", ids(o));
}

/// Fresh phrasings for every intent, in both languages, with what must come back.
fn every_intent() -> Vec<(&'static str, Locale, MsgDef)> {
    use Locale::{En, Id};
    vec![
        (
            "kak gimana cara bikin akun member center msi?",
            Id,
            m::FAQ_ACCOUNT_SIGNUP,
        ),
        (
            "how do I sign up for an MSI member center account",
            En,
            m::FAQ_ACCOUNT_SIGNUP,
        ),
        (
            "cara daftarin produk baru di my products gmn ya",
            Id,
            m::FAQ_PRODUCT_REGISTER,
        ),
        ("how do I register my new product", En, m::FAQ_PRODUCT_REGISTER),
        ("kode chk 3 digit itu letaknya dimana ya kak", Id, m::FAQ_PRODUCT_SERIAL),
        (
            "where can I find the serial number and CHK code",
            En,
            m::FAQ_PRODUCT_SERIAL,
        ),
        (
            "invoice nya harus ada apa aja min? format foto apa",
            Id,
            m::FAQ_INVOICE_REQUIREMENTS,
        ),
        (
            "what must the invoice show and what file format",
            En,
            m::FAQ_INVOICE_REQUIREMENTS,
        ),
        ("gimana cara redeem promo smart office?", Id, m::FAQ_REDEEM_HOW),
        ("how do I redeem a promotion", En, m::FAQ_REDEEM_HOW),
        ("cek status redeem dimana ya", Id, m::FAQ_REDEEM_STATUS_HOWTO),
        ("where can I see my redeem history", En, m::FAQ_REDEEM_STATUS_HOWTO),
        ("tolong cek status klaim saya dong min", Id, m::STATUS_ASK_SERIAL),
        ("please check the status of my claim", En, m::STATUS_ASK_SERIAL),
        ("redeem saya ditolak, harus gimana sekarang?", Id, m::FAQ_REDEEM_FAILED),
        (
            "my redemption was rejected, what should I do now",
            En,
            m::FAQ_REDEEM_FAILED,
        ),
        ("kenapa promonya gak muncul di akun saya", Id, m::FAQ_PROMO_NOT_LISTED),
        ("why is no promotion showing in my account", En, m::FAQ_PROMO_NOT_LISTED),
        ("promo apa aja yang lagi jalan sekarang?", Id, m::PROMOS_HEADER),
        ("which promotions are running now", En, m::PROMOS_HEADER),
        ("verifikasinya berapa lama kak?", Id, m::FAQ_PROCESSING_TIME),
        ("how long does the verification take", En, m::FAQ_PROCESSING_TIME),
        ("hadiahnya dikirim kapan setelah disetujui?", Id, m::FAQ_REWARD_DELIVERY),
        (
            "when will I receive my reward after approval",
            En,
            m::FAQ_REWARD_DELIVERY,
        ),
        ("saya belum terima email apapun dari msi", Id, m::FAQ_EMAIL_NOT_RECEIVED),
        ("I never received any email from you", En, m::FAQ_EMAIL_NOT_RECEIVED),
        ("saya mau ngobrol sama cs manusia aja", Id, m::AGENT_REQUESTED),
        ("I want to talk to a real person", En, m::AGENT_REQUESTED),
        ("kabarin saya kalau ada promo baru ya", Id, m::SUBSCRIBE_DONE),
        ("notify me about new promotions", En, m::SUBSCRIBE_DONE),
        ("berhenti kirim info promo ke saya", Id, m::UNSUBSCRIBE_ALREADY),
        ("stop sending me promotion announcements", En, m::UNSUBSCRIBE_ALREADY),
        ("bisa ganti ke bahasa inggris?", En, m::LANG_SWITCHED),
        ("can we switch to Indonesian please", Id, m::LANG_SWITCHED),
        ("selamat pagi kak", Id, m::GREETING),
        ("hello there", En, m::GREETING),
        ("makasih banyak kak", Id, m::THANKS_REPLY),
        ("thank you so much", En, m::THANKS_REPLY),
        ("harga laptop msi katana berapa ya", Id, m::FALLBACK),
        (
            "where can I download the latest BIOS for my motherboard",
            En,
            m::FALLBACK,
        ),
    ]
}

/// The code in the newest link-code email in the outbox.
async fn emailed_code(db: &Db) -> Option<String> {
    let jobs = support::customer_jobs(db).await;
    let text = jobs.first()?.payload["text"].as_str()?.to_owned();
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .map(str::to_owned)
}

both_backends! {
    async fn linking_a_member_account_by_emailed_code(db: Db) {
        let assistant = demo(&db).await;
        let chat = Chat::new(&assistant, "linker");
        expect(&chat.say("/link").await, m::LINK_ASK_EMAIL, Locale::Id);
        assert!(!has(&chat.say("halo kak").await, m::LINK_CODE_SENT), "not an address: answered as chat");
        expect(&chat.say("/link budi-at-example").await, m::LINK_BAD_EMAIL, Locale::Id);
        let o = chat.say("Budi.Santoso@example.test").await;
        expect(&o, m::LINK_CODE_SENT, Locale::Id);
        let code = emailed_code(&db).await.expect("a code email is in the outbox");
        let jobs = support::customer_jobs(&db).await;
        assert_eq!(jobs[0].payload["to"], "budi.santoso@example.test");
        assert_eq!(jobs[0].payload["kind"], "link_code");

        // Asking again within the hour sends nothing new; the first code still works.
        expect(&chat.say("/link budi.santoso@example.test").await, m::LINK_CODE_SENT, Locale::Id);
        assert_eq!(support::customer_jobs(&db).await.len(), 1);

        let wrong = if code == "000000" { "111111" } else { "000000" };
        let o = chat.say(&format!("/verify {wrong}")).await;
        expect(&o, m::VERIFY_WRONG, Locale::Id);
        assert!(text(&o).contains('4'), "{}", text(&o));
        let o = chat.say(&code).await;
        expect(&o, m::LINK_DONE, Locale::Id);
        assert!(text(&o).contains("b***@example.test"), "{}", text(&o));

        // Linked: Budi's claims without a CHK.
        let o = chat.say("/status K2305N0012345").await;
        expect(&o, m::STATUS_PRODUCT, Locale::Id);
        expect(&chat.say("/verify 123456").await, m::VERIFY_NO_CODE, Locale::Id);
    }

    async fn link_codes_resist_probing_guessing_and_age(db: Db) {
        let assistant = demo(&db).await;
        // Unknown address: the same answer, and no email.
        let stranger = Chat::new(&assistant, "stranger");
        expect(&stranger.say("/link nobody@example.test").await, m::LINK_CODE_SENT, Locale::Id);
        assert!(support::customer_jobs(&db).await.is_empty());
        expect(&stranger.say("/verify 123456").await, m::VERIFY_NO_CODE, Locale::Id);

        // Five wrong tries and the code is gone, even the right one.
        let guesser = Chat::new(&assistant, "guesser");
        guesser.say("/link sarah.wijaya@example.test").await;
        let code = emailed_code(&db).await.unwrap();
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for _ in 0..4 {
            expect(&guesser.say(&format!("/verify {wrong}")).await, m::VERIFY_WRONG, Locale::Id);
        }
        expect(&guesser.say(&format!("/verify {wrong}")).await, m::VERIFY_LOCKED, Locale::Id);
        expect(&guesser.say(&format!("/verify {code}")).await, m::VERIFY_NO_CODE, Locale::Id);

        // After 15 minutes the code has expired.
        let slow = Chat::new(&assistant, "slow");
        slow.say("/link dewi.lestari@example.test").await;
        let code = emailed_code(&db).await.unwrap();
        let mut later = Chat::new(&assistant, "slow");
        later.now = slow.now + Duration::minutes(16);
        expect(&later.say(&format!("/verify {code}")).await, m::VERIFY_EXPIRED, Locale::Id);
        let status = later.say("/status K2306N0098765").await;
        expect(&status, m::STATUS_ASK_CHK, Locale::Id);
    }

    async fn redelivered_events_are_answered_once(db: Db) {
        let assistant = demo(&db).await;
        let event = |id: &str| Inbound {
            channel: Channel::Telegram,
            user: "redelivered".into(),
            content: Content::Text("/start".into()),
            lang_hint: None,
            event_id: Some(id.into()),
            public: false,
        };
        let first = assistant.handle(&event("77"), may()).await.unwrap();
        assert!(has(&first, m::GREETING));
        let again = assistant.handle(&event("77"), may()).await.unwrap();
        assert!(again.replies.is_empty(), "a redelivered event is not answered twice");
        let next = assistant.handle(&event("78"), may()).await.unwrap();
        assert!(has(&next, m::GREETING));
    }

    async fn stored_attachments_are_kept_for_the_user(db: Db) {
        let assistant = demo(&db).await;
        let chat = Chat::new(&assistant, "uploader");
        let blob = redeemdesk::blobs::StoredBlob { key: "sha256/ab/ab00".into(), sha256: "ab00".into(), bytes: 3 };
        let o = chat
            .send(Content::Attachment {
                filename: "invoice.jpg".into(),
                content_type: "image/jpeg".into(),
                bytes: 3,
                stored: Some(blob.clone()),
            })
            .await;
        expect(&o, m::ATTACHMENT_RECEIVED, Locale::Id);
        let mut tx = db.begin().await.unwrap();
        let user = tx.chat_user(Channel::Telegram, "uploader", may()).await.unwrap();
        let uploads = tx.chat_uploads(user.id).await.unwrap();
        assert_eq!(uploads.len(), 1);
        assert_eq!(uploads[0].blob_key, blob.key);
        assert_eq!(uploads[0].filename, "invoice.jpg");
    }

    async fn choices_made_with_buttons_settle_their_prompt(db: Db) {
        let assistant = demo(&db).await;
        let chat = Chat::new(&assistant, "chooser");
        assert!(chat.press("lang:en").await.settles_prompt);
        assert!(chat.press("subscribe").await.settles_prompt);
        assert!(!chat.press("menu").await.settles_prompt);
        assert!(!chat.say("/lang en").await.settles_prompt, "a typed command has no prompt to replace");
    }

    async fn faq_for_every_intent_in_both_languages(db: Db) {
        let assistant = demo(&db).await;
        for (i, (message, locale, expected)) in every_intent().into_iter().enumerate() {
            // A new user each time, so no stored language or state interferes.
            let chat = Chat::new(&assistant, &format!("user-{i}"));
            let o = chat.say(message).await;
            assert!(has(&o, expected), "{message:?}: expected {} got {:?}", expected.id, ids(&o));
            assert_eq!(o.locale, locale, "{message:?}");
            assert!(!text(&o).is_empty());
        }
    }

    async fn faq_topics_through_buttons(db: Db) {
        let assistant = demo(&db).await;
        let chat = Chat::new(&assistant, "buttons");
        let menu = chat.say("/faq").await;
        let buttons: Vec<String> = menu.replies[0].buttons.iter().map(|b| b.data.clone()).collect();
        assert_eq!(buttons.iter().filter(|b| b.starts_with("faq:")).count(), 11);
        for data in buttons.iter().filter(|b| b.starts_with("faq:")) {
            let o = chat.press(data).await;
            assert!(ids(&o)[0].starts_with("faq-"), "{data}: {:?}", ids(&o));
        }
    }

    async fn status_flow_serial_then_chk(db: Db) {
        let assistant = demo(&db).await;
        let chat = Chat::new(&assistant, "budi");
        // Look-alikes and free text around the serial.
        let o = chat.say("SN saya k2305n00l2345 statusnya apa ya").await;
        expect(&o, m::STATUS_ASK_CHK, Locale::Id);
        let o = chat.say("482").await;
        expect(&o, m::STATUS_REJECTED, Locale::Id);
        assert!(has(&o, m::STATUS_REJECTED_NEXT));
        assert!(has(&o, m::REASON_INVOICE_MISSING_PRODUCT_NAME));
        let t = text(&o);
        assert!(t.contains("RDM-1042") && t.contains("Smart Office Rewards") && t.contains("20 April 2026"), "{t}");

        // Proven now: the next look-up needs no CHK, /status alone lists it.
        let o = chat.say("K2305N0012345").await;
        expect(&o, m::STATUS_REJECTED, Locale::Id);
        let o = chat.say("/status").await;
        expect(&o, m::STATUS_PRODUCT, Locale::Id);
    }

    async fn claims_are_never_looked_up_in_public(db: Db) {
        let assistant = demo(&db).await;
        let mut group = Chat::new(&assistant, "budi");
        group.public = true;
        // A serial, the status command or button, or the intent: sent somewhere private.
        for text in ["SN saya K2305N0012345 482", "/status K2305N0012345 482", "cek status redeem saya"] {
            let o = group.say(text).await;
            expect(&o, m::PRIVATE_ONLY, Locale::Id);
            assert!(!has(&o, m::STATUS_REJECTED), "{text}");
        }
        expect(&group.press("status").await, m::PRIVATE_ONLY, Locale::Id);
        expect(&group.say("/link budi.santoso@example.test").await, m::PRIVATE_ONLY, Locale::Id);
        // Questions are still answered there.
        assert!(!has(&group.say("apa syarat invoice?").await, m::PRIVATE_ONLY));

        // A flow started in private is not continued in public.
        let private = Chat::new(&assistant, "budi");
        expect(&private.say("/status").await, m::STATUS_ASK_SERIAL, Locale::Id);
        expect(&group.say("K2305N0012345").await, m::PRIVATE_ONLY, Locale::Id);
        expect(&private.say("K2305N0012345").await, m::STATUS_ASK_CHK, Locale::Id);

        let mut server = Chat::new(&assistant, "4242");
        server.channel = Channel::Discord;
        server.public = true;
        expect(&server.say("K2305N0012345 482").await, m::PRIVATE_ONLY_DISCORD, Locale::Id);
    }

    async fn status_in_english_with_serial_and_chk_together(db: Db) {
        let assistant = demo(&db).await;
        let chat = Chat::new(&assistant, "sarah");
        let o = chat.say("what's the status of my claim? serial KA2M305678901 chk 215").await;
        expect(&o, m::STATUS_APPROVED_DIGITAL, Locale::En);
        let t = text(&o);
        assert!(t.contains("Rp300,000") && t.contains("30 March 2026"), "{t}");
        let o = chat.say("/status 602V5123456789 118").await;
        expect(&o, m::STATUS_REWARD_SENT, Locale::En);
        let o = chat.say("/status M4101A0054321 903").await;
        expect(&o, m::STATUS_APPROVED_GIFT, Locale::En);
        assert!(text(&o).contains("MSI gaming backpack"));
        let o = chat.say("/status S1B4A2500123 731").await;
        expect(&o, m::STATUS_UNDER_REVIEW, Locale::En);
    }

    async fn wrong_chk_and_unknown_serial_look_the_same(db: Db) {
        let assistant = demo(&db).await;
        let chat = Chat::new(&assistant, "probe");
        let wrong = chat.say("/status K2305N0012345 999").await;
        expect(&wrong, m::STATUS_NO_MATCH, Locale::Id);
        let unknown = chat.say("/status ZZ9999N9999999 482").await;
        expect(&unknown, m::STATUS_NO_MATCH, Locale::Id);
        assert_eq!(text(&wrong), text(&unknown));
        assert!(!text(&unknown).contains("ZZ9999N9999999"));
        // After a wrong CHK the right one still works (attempt 3 of 5).
        let o = chat.say("/status K2305N0012345 482").await;
        expect(&o, m::STATUS_REJECTED, Locale::Id);
    }

    async fn failed_checks_are_rate_limited(db: Db) {
        let assistant = demo(&db).await;
        let mut chat = Chat::new(&assistant, "attacker");
        for i in 0..5 {
            let o = chat.say(&format!("/status K2305N0012345 {:03}", 100 + i)).await;
            expect(&o, m::STATUS_NO_MATCH, Locale::Id);
        }
        // The sixth attempt is refused, even with the right CHK, without a look-up.
        let o = chat.say("/status K2305N0012345 482").await;
        expect(&o, m::STATUS_RATE_LIMITED, Locale::Id);
        assert!(text(&o).contains("60"), "{}", text(&o));
        // Another user is not affected.
        let other = Chat::new(&assistant, "someone-else");
        expect(&other.say("/status K2305N0012345 482").await, m::STATUS_REJECTED, Locale::Id);
        // An hour later the window has passed.
        chat.now = may() + Duration::minutes(61);
        expect(&chat.say("/status K2305N0012345 482").await, m::STATUS_REJECTED, Locale::Id);
    }

    /// Many accounts, each under its own limit, together probing CHK codes:
    /// once everyone's failures reach the global limit, nobody can prove a new
    /// serial until the window moves; products proven before still show.
    async fn failed_checks_of_all_users_together_are_limited(db: Db) {
        use redeemdesk::assistant::{MAX_FAILED_CHECKS, MAX_FAILED_CHECKS_ALL_USERS};
        let assistant = demo(&db).await;
        let owner = Chat::new(&assistant, "owner-before");
        expect(&owner.say("/status K2305N0012345 482").await, m::STATUS_REJECTED, Locale::Id);
        let accounts = MAX_FAILED_CHECKS_ALL_USERS / (MAX_FAILED_CHECKS - 1);
        for a in 0..accounts {
            let bot = Chat::new(&assistant, &format!("sybil-{a}"));
            for i in 0..MAX_FAILED_CHECKS - 1 {
                let o = bot.say(&format!("/status K2305N0012345 {:03}", 100 + i)).await;
                expect(&o, m::STATUS_NO_MATCH, Locale::Id);
            }
        }
        // A newcomer with the right CHK is refused, without a look-up.
        let newcomer = Chat::new(&assistant, "newcomer");
        let o = newcomer.say("/status K2305N0012345 482").await;
        expect(&o, m::STATUS_RATE_LIMITED, Locale::Id);
        assert!(text(&o).contains("60"), "{}", text(&o));
        // The owner who proved the serial before still sees it.
        expect(&owner.say("/status K2305N0012345").await, m::STATUS_REJECTED, Locale::Id);
        // An hour later the window has passed for everyone.
        let mut newcomer = newcomer;
        newcomer.now = may() + Duration::minutes(61);
        expect(&newcomer.say("/status K2305N0012345 482").await, m::STATUS_REJECTED, Locale::Id);
    }

    /// Thousands of messages from one user within a minute: the first
    /// `MAX_MESSAGES_PER_MINUTE` are answered, the next one gets "slow down",
    /// the rest nothing; nobody else is affected, and a minute later the user
    /// is read again.
    async fn a_flood_from_one_user_is_cut_off_for_the_minute(db: Db) {
        use redeemdesk::assistant::MAX_MESSAGES_PER_MINUTE;
        let assistant = demo(&db).await;
        let mut flood = Chat::new(&assistant, "flooder");
        let mut answered = 0;
        let mut told = 0;
        let mut silent = 0;
        for i in 0..2_000 {
            flood.now = may() + Duration::milliseconds(i * 25);
            let o = flood.say(&format!("halo {i} <b>x</b> @everyone")).await;
            if o.replies.is_empty() {
                silent += 1;
            } else if has(&o, m::CHAT_SLOW_DOWN) {
                told += 1;
            } else {
                answered += 1;
            }
        }
        assert_eq!((answered, told, silent), (MAX_MESSAGES_PER_MINUTE, 1, 2_000 - MAX_MESSAGES_PER_MINUTE - 1));
        let other = Chat::new(&assistant, "bystander");
        assert!(!has(&other.say("halo").await, m::CHAT_SLOW_DOWN));
        flood.now = may() + Duration::milliseconds(2_000 * 25) + Duration::seconds(61);
        let o = flood.say("cara redeem gimana?").await;
        assert!(!o.replies.is_empty() && !has(&o, m::CHAT_SLOW_DOWN), "{:?}", ids(&o));
    }

    async fn eligibility_reasons_for_a_proven_product(db: Db) {
        let assistant = demo(&db).await;
        let chat = Chat::new(&assistant, "budi-mb");
        // A motherboard bought in January, no redemption: Smart Office runs in May
        // but takes only AIO and PRO DT, and the purchase is outside its period.
        let o = chat.say("/status 7D75B1230987 306").await;
        expect(&o, m::STATUS_NO_REDEMPTIONS, Locale::Id);
        assert!(has(&o, m::ELIGIBILITY_NOT) && has(&o, m::INELIG_CATEGORY) && has(&o, m::INELIG_PERIOD));
        let t = text(&o);
        assert!(t.contains("5 Januari 2026") && t.contains("1 April 2026") && t.contains("30 Juni 2026"), "{t}");
        // The FAQ "why no promotion?" now answers with the same concrete reasons.
        let o = chat.say("kenapa promo smart office gak muncul di akun saya?").await;
        assert!(has(&o, m::FAQ_PROMO_NOT_LISTED) && has(&o, m::INELIG_CATEGORY), "{:?}", ids(&o));
    }

    async fn restart_in_the_middle_of_a_flow(db: Db) {
        {
            let assistant = demo(&db).await;
            let chat = Chat::new(&assistant, "restart");
            expect(&chat.say("/status").await, m::STATUS_ASK_SERIAL, Locale::Id);
            expect(&chat.say("K2306N0098765").await, m::STATUS_ASK_CHK, Locale::Id);
        }
        // A new engine, as after a restart of the process: the state is in the database.
        let assistant = Assistant::new(db.clone());
        let chat = Chat::new(&assistant, "restart");
        let o = chat.say("559").await;
        expect(&o, m::STATUS_UNDER_REVIEW, Locale::Id);
    }

    async fn language_choice_hint_and_detection(db: Db) {
        let assistant = demo(&db).await;
        // No choice, no hint: the message's language.
        let chat = Chat::new(&assistant, "lang");
        expect(&chat.say("hello").await, m::GREETING, Locale::En);
        expect(&chat.say("halo kak").await, m::GREETING, Locale::Id);
        // Unclear message, no hint: Indonesian.
        expect(&chat.say("K").await, m::FALLBACK, Locale::Id);
        // The platform's hint beats detection.
        let mut hinted = Chat::new(&assistant, "hinted");
        hinted.hint = Some("en-GB".into());
        expect(&hinted.say("halo kak").await, m::GREETING, Locale::En);
        // A stored choice beats both.
        expect(&hinted.say("/lang id").await, m::LANG_SWITCHED, Locale::Id);
        expect(&hinted.say("hello").await, m::GREETING, Locale::Id);
        // Buttons switch too; without a choice the assistant asks.
        let o = hinted.say("/lang").await;
        expect(&o, m::LANG_ASK, Locale::Id);
        assert_eq!(o.replies[0].buttons.iter().map(|b| b.data.as_str()).collect::<Vec<_>>(), ["lang:id", "lang:en"]);
        expect(&hinted.press("lang:en").await, m::LANG_SWITCHED, Locale::En);
        expect(&hinted.say("selamat pagi").await, m::GREETING, Locale::En);
    }

    async fn subscribe_and_unsubscribe_store_consent(db: Db) {
        let assistant = demo(&db).await;
        let chat = Chat::new(&assistant, "fan");
        expect(&chat.say("/unsubscribe").await, m::UNSUBSCRIBE_ALREADY, Locale::Id);
        expect(&chat.say("/subscribe").await, m::SUBSCRIBE_DONE, Locale::Id);
        expect(&chat.press("subscribe").await, m::SUBSCRIBE_ALREADY, Locale::Id);
        let mut tx = db.begin().await.unwrap();
        let user = tx.chat_user(Channel::Telegram, "fan", may()).await.unwrap();
        assert!(user.subscribed);
        assert_eq!(user.consent_at, Some(may()));
        drop(tx);
        expect(&chat.say("tolong berhenti kirim promo ke saya").await, m::UNSUBSCRIBE_DONE, Locale::Id);
        let mut tx = db.begin().await.unwrap();
        let user = tx.chat_user(Channel::Telegram, "fan", may()).await.unwrap();
        assert!(!user.subscribed);
        assert_eq!(user.unsubscribed_at, Some(may()));
        assert_eq!(user.consent_at, Some(may()), "the time of consent is kept");
    }

    async fn fallback_commands_attachments_and_hostile_text(db: Db) {
        let assistant = demo(&db).await;
        let chat = Chat::new(&assistant, "odd");
        let o = chat.say("asdkjh qwe zzz").await;
        expect(&o, m::FALLBACK, Locale::Id);
        assert!(o.replies[0].buttons.iter().any(|b| b.data == "agent"), "the fallback offers a person");
        expect(&chat.say("/frobnicate now").await, m::UNKNOWN_COMMAND, Locale::Id);
        assert!(text(&chat.say("/frobnicate").await).contains("/frobnicate"));
        let o = chat
            .send(Content::Attachment {
                filename: "invoice.jpg".into(),
                content_type: "image/jpeg".into(),
                bytes: 1024,
                stored: None,
            })
            .await;
        expect(&o, m::ATTACHMENT_RECEIVED, Locale::Id);
        let o = chat
            .send(Content::Attachment {
                filename: "scan.pdf".into(),
                content_type: "application/pdf".into(),
                bytes: 21 * 1024 * 1024,
                stored: None,
            })
            .await;
        expect(&o, m::ATTACHMENT_TOO_LARGE, Locale::Id);
        assert!(text(&o).contains("20 MB"), "{}", text(&o));
        let huge = "tolong ".repeat(50_000);
        let _ = chat.say(&huge).await;
        let _ = chat.say("\u{0}\u{1b}[31m<script>alert(1)</script> @everyone").await;
        expect(&chat.say("/start").await, m::GREETING, Locale::Id);
    }

    async fn asking_for_a_person_opens_one_escalation_at_a_time(db: Db) {
        let assistant = demo(&db).await;
        let chat = Chat::new(&assistant, "angry");
        // Friday 10:00 in Jakarta: agents are at work.
        let first = chat.say("/agent klaim saya kok lama banget").await;
        expect(&first, m::AGENT_REQUESTED, Locale::Id);
        assert!(has(&first, m::AGENT_WAIT_OPEN), "{:?}", ids(&first));
        assert!(text(&first).contains("#1") && text(&first).contains("60 menit"), "{}", text(&first));
        let again = chat.press("agent").await;
        expect(&again, m::AGENT_ALREADY_OPEN, Locale::Id);
        assert!(text(&again).contains("#1"), "{}", text(&again));
        assert_eq!(staff_tasks(&db).await.iter().filter(|t| matches!(t, StaffTask::Escalation { .. })).count(), 1);

        // While it is open, what they write goes to the agent.
        let o = chat.say("halo, masih lama ya kak?").await;
        expect(&o, m::AGENT_FORWARDED, Locale::Id);
        assert!(staff_tasks(&db).await.contains(&StaffTask::FollowUp {
            escalation_id: 1,
            text: "customer: halo, masih lama ya kak?".into()
        }));
        // Commands still reach the assistant.
        expect(&chat.say("/menu").await, m::GREETING, Locale::Id);

        // The agent answers and closes; the customer hears both in their chat.
        let channel = escalation::reply(&db, 1, "Sari", "Halo Kak, kami cek dulu ya.", may()).await.unwrap();
        assert_eq!(channel, Channel::Telegram);
        assert!(escalation::reply(&db, 1, "Sari", "   ", may()).await.is_err(), "nothing to send");
        assert!(escalation::close(&db, 1, "Sari", may()).await.unwrap());
        assert!(!escalation::close(&db, 1, "Sari", may()).await.unwrap(), "closing twice changes nothing");
        assert!(matches!(
            escalation::reply(&db, 1, "Sari", "one more", may()).await,
            Err(EscalationError::Closed(1))
        ));
        let said: Vec<String> = chat_messages(&db).await.into_iter().map(|m| m.text).collect();
        assert!(said.iter().any(|t| t.contains("Sari") && t.contains("kami cek dulu")), "{said:?}");
        assert!(said.iter().any(|t| t.contains("#1") && t.contains("ditutup")), "{said:?}");
        let mut tx = db.begin().await.unwrap();
        let e = tx.escalation(1).await.unwrap().unwrap();
        assert_eq!(e.status, EscalationStatus::Closed);
        assert_eq!(e.closed_by.as_deref(), Some("Sari"));
        let lines = tx.transcript(e.chat.as_ref().unwrap().0, 50).await.unwrap();
        assert!(lines.iter().any(|l| l.role == TranscriptRole::Agent && l.text.contains("kami cek dulu")));
        drop(tx);

        // Closed: the assistant answers again, and a new request opens a new ticket.
        assert!(!has(&chat.say("halo").await, m::AGENT_FORWARDED));
        assert!(text(&chat.say("/agent").await).contains("#2"));
    }

    async fn two_fallbacks_in_a_row_bring_a_person(db: Db) {
        let assistant = demo(&db).await;
        let chat = Chat::new(&assistant, "lost");
        expect(&chat.say("asdkjh qwe zzz").await, m::FALLBACK, Locale::Id);
        // Something understood in between breaks the row.
        expect(&chat.say("/menu").await, m::GREETING, Locale::Id);
        expect(&chat.say("blorp qwx zzkj").await, m::FALLBACK, Locale::Id);
        let o = chat.say("vvqx plugh xyzzy").await;
        expect(&o, m::AGENT_AFTER_FALLBACKS, Locale::Id);
        let mut tx = db.begin().await.unwrap();
        let e = tx.escalation(1).await.unwrap().unwrap();
        assert_eq!(e.cause, EscalationCause::Fallbacks);
        let card = escalation::card(&mut tx, &e).await.unwrap();
        assert!(card.text.contains("did not understand"), "{}", card.text);
        assert!(card.text.contains("blorp qwx zzkj") && card.text.contains("vvqx plugh xyzzy"), "{}", card.text);
        drop(tx);

        // Never in a group: others read along, and nobody asked.
        let mut group = Chat::new(&assistant, "groupie");
        group.public = true;
        for text in ["asdkjh qwe zzz", "blorp qwx zzkj", "vvqx plugh xyzzy"] {
            expect(&group.say(text).await, m::FALLBACK, Locale::Id);
        }
    }

    async fn outside_working_hours_the_customer_is_told_when(db: Db) {
        let assistant = demo(&db).await;
        let mut chat = Chat::new(&assistant, "night owl");
        chat.hint = Some("en".into());
        // Friday 15 May 2026, 20:00 in Jakarta: next are Monday 18 May, 08:00.
        chat.now = "2026-05-15T13:00:00Z".parse().unwrap();
        let o = chat.say("/agent").await;
        expect(&o, m::AGENT_REQUESTED, Locale::En);
        assert!(has(&o, m::AGENT_WAIT_CLOSED), "{:?}", ids(&o));
        let said = text(&o);
        assert!(said.contains("18 May 2026") && said.contains("08:00"), "{said}");
    }

    async fn staff_see_the_transcript_without_secrets(db: Db) {
        let assistant = demo(&db).await;
        let chat = Chat::new(&assistant, "budi");
        let _ = chat.say("cek status SN K2305N0012345 chk 482").await;
        let _ = chat.say("email saya budi.santoso@example.com").await;
        let _ = chat.say("saya mau bicara dengan CS").await;
        let mut tx = db.begin().await.unwrap();
        let e = tx.open_escalations().await.unwrap().pop().expect("an escalation");
        let card = escalation::card(&mut tx, &e).await.unwrap();
        assert!(card.text.contains("K2305N0012345"), "{}", card.text);
        assert!(card.text.contains("Verified serials: K2305N0012345"), "{}", card.text);
        assert!(!card.text.contains("482"), "the CHK never reaches staff: {}", card.text);
        assert!(!card.text.contains("budi.santoso@"), "{}", card.text);
        assert!(card.text.contains("Language: Indonesian") && card.text.contains("customer: "), "{}", card.text);
        assert!(card.text.contains("bot: "), "{}", card.text);
    }

    async fn messages_are_counted_by_channel_and_intent(db: Db) {
        let assistant = demo(&db).await;
        let chat = Chat::new(&assistant, "counter");
        let _ = chat.say("/start").await;
        let _ = chat.say("/start").await;
        let _ = chat.say("promo apa saja yang sedang berlangsung?").await;
        let counts = db.begin().await.unwrap().message_counts().await.unwrap();
        assert!(counts.contains(&(Channel::Telegram, "command:menu".into(), 2)), "{counts:?}");
        assert!(counts.contains(&(Channel::Telegram, "promo.list".into(), 1)), "{counts:?}");
    }
}

/// The staff tasks in the outbox, oldest first.
async fn staff_tasks(db: &Db) -> Vec<StaffTask> {
    let jobs = db.begin().await.unwrap().jobs(None, 10_000).await.unwrap();
    let mut tasks: Vec<StaffTask> = jobs
        .into_iter()
        .filter(|j| j.kind == JobKind::StaffPost)
        .map(|j| StaffTask::from_payload(&j.payload).unwrap())
        .collect();
    tasks.reverse();
    tasks
}

/// The chat messages in the outbox.
async fn chat_messages(db: &Db) -> Vec<ChatMessage> {
    let jobs = db.begin().await.unwrap().jobs(None, 10_000).await.unwrap();
    jobs.into_iter()
        .filter(|j| j.kind == JobKind::ChatMessage)
        .map(|j| serde_json::from_value(j.payload).unwrap())
        .collect()
}

/// A file a customer sends in chat, as the channel keeps it.
async fn upload(blobs: &redeemdesk::blobs::BlobStore, name: &str, data: &[u8]) -> Content {
    let stored = blobs.put(data).await.unwrap();
    Content::Attachment {
        filename: name.into(),
        content_type: "application/octet-stream".into(),
        bytes: stored.bytes,
        stored: Some(stored),
    }
}

fn small_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(120, 80, |x, y| image::Rgb([(x * 2) as u8, (y * 3) as u8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

both_backends! {
    /// The status flow of a rejected claim takes the corrected file in chat:
    /// checked like an email attachment, then the claim goes back to review.
    async fn a_rejected_claim_takes_its_corrected_file_in_chat(db: Db) {
        import_json(&db, DEMO_JSON, Utc::now()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let blobs = redeemdesk::blobs::BlobStore::new(dir.path());
        let assistant = Assistant::new(db.clone()).with_blobs(blobs.clone());
        let chat = Chat::new(&assistant, "budi-chat");

        // Before proving ownership, a file is just thanked for.
        let o = chat.send(upload(&blobs, "faktur.jpg", &small_jpeg()).await).await;
        expect(&o, m::ATTACHMENT_RECEIVED, Locale::Id);

        chat.say("cek status K2305N0012345").await;
        let o = chat.say("482").await;
        assert!(has(&o, m::STATUS_REJECTED) && has(&o, m::STATUS_REUPLOAD_HINT), "{:?}", ids(&o));

        // A program is refused with its reason; the claim waits for a usable file.
        let o = chat.send(upload(&blobs, "faktur.jpg.exe", b"MZ\x90\x00 a program").await).await;
        expect(&o, m::REUPLOAD_UNUSABLE, Locale::Id);
        assert!(has(&o, m::FILE_PROBLEM_EXECUTABLE), "{:?}", ids(&o));
        let rec = db.begin().await.unwrap().redemption(1042).await.unwrap().unwrap();
        assert_eq!(rec.redemption.status(), redeemdesk::domain::Status::Rejected);

        // The real photo: attached, resubmitted, acknowledged in chat and by email.
        let resubmissions = |h: &[redeemdesk::domain::Event]| {
            h.iter().filter(|e| e.change.kind() == redeemdesk::domain::EventKind::Resubmitted).count()
        };
        let before = resubmissions(&db.begin().await.unwrap().history(1042).await.unwrap());
        let photo = small_jpeg();
        let o = chat.send(upload(&blobs, "photo-77.jpg", &photo).await).await;
        expect(&o, m::REUPLOAD_RECEIVED, Locale::Id);
        let mut tx = db.begin().await.unwrap();
        let rec = tx.redemption(1042).await.unwrap().unwrap();
        assert_eq!(rec.redemption.status(), redeemdesk::domain::Status::UnderReview);
        let files = tx.attachments(1042).await.unwrap();
        let from_chat: Vec<_> =
            files.iter().filter(|a| a.attachment.source == redeemdesk::store::AttachmentSource::Chat).collect();
        assert_eq!(from_chat.len(), 1);
        assert_eq!((from_chat[0].attachment.width, from_chat[0].attachment.height), (Some(120), Some(80)));
        let emails = tx.emails_of_redemption(1042).await.unwrap();
        assert_eq!(emails.len(), 1);
        assert_eq!(emails[0].kind, redeemdesk::mail::EmailKind::ResubmissionReceived);
        drop(tx);

        // The flow is over: another file changes nothing.
        let o = chat.send(upload(&blobs, "again.jpg", &photo).await).await;
        expect(&o, m::ATTACHMENT_RECEIVED, Locale::Id);
        let history = db.begin().await.unwrap().history(1042).await.unwrap();
        assert_eq!(resubmissions(&history), before + 1);
    }
}
