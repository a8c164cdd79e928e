//! The fake Discord in `support/fake_discord.rs` against the real serenity
//! client: the handshake, every payload the fake builds deserializing as
//! serenity's models, the REST answers the adapter relies on, and errors
//! arriving as serenity reports Discord's.

use crate::support;

use std::time::Duration;

use serde_json::{Value, json};
use serenity::all::{
    ApplicationId, ChannelId, Client, ClientBuilder, Command, CommandDataOptionValue, ComponentInteractionDataKind,
    Context, CreateActionRow, CreateButton, CreateCommand, CreateInteractionResponse,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateMessage, EditInteractionResponse,
    EditMessage, EventHandler, GatewayIntents, Http, HttpBuilder, Interaction, Message, MessageFlags, Ready, UserId,
};
use serenity::http::HttpError;
use support::fake_discord::{APP_ID, BOT_ID, FakeDiscord, Fault, GUILD_LOCALE, TOKEN};
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(15);
const CUSTOMER: u64 = 1_300_000_000_000_000_042;
const GUILD: u64 = 1_300_000_000_000_000_500;
const GUILD_CHANNEL: u64 = 1_300_000_000_000_000_501;

/// What the handler saw, boxed because the models are large.
#[derive(Debug)]
enum Seen {
    Ready(Box<Ready>),
    Message(Box<Message>),
    Interaction(Box<Interaction>),
}

struct Forward(mpsc::UnboundedSender<Seen>);

#[serenity::async_trait]
impl EventHandler for Forward {
    async fn ready(&self, _: Context, ready: Ready) {
        let _ = self.0.send(Seen::Ready(Box::new(ready)));
    }

    async fn message(&self, _: Context, message: Message) {
        let _ = self.0.send(Seen::Message(Box::new(message)));
    }

    async fn interaction_create(&self, _: Context, interaction: Interaction) {
        let _ = self.0.send(Seen::Interaction(Box::new(interaction)));
    }
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("an event reaches the handler")
        .expect("the handler is alive")
}

async fn next_message(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Message {
    match next(rx).await {
        Seen::Message(m) => *m,
        other => panic!("expected a message, got {other:?}"),
    }
}

async fn next_interaction(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Interaction {
    match next(rx).await {
        Seen::Interaction(i) => *i,
        other => panic!("expected an interaction, got {other:?}"),
    }
}

/// The error Discord answered, as serenity reports it.
fn discord_error(result: serenity::Result<impl std::fmt::Debug>) -> serenity::http::ErrorResponse {
    match result {
        Err(serenity::Error::Http(HttpError::UnsuccessfulRequest(e))) => e,
        other => panic!("expected Discord to refuse, got {other:?}"),
    }
}

/// Serenity's warnings, shown when a test fails.
fn log_serenity() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("serenity=info")
        .with_test_writer()
        .try_init();
}

/// A serenity client pointed at the fake (built, not started) and what its
/// handler sees.
async fn connect(fake: &FakeDiscord, intents: GatewayIntents) -> (Client, mpsc::UnboundedReceiver<Seen>) {
    let http = HttpBuilder::new(TOKEN)
        .proxy(fake.api_url())
        .ratelimiter_disabled(true)
        .build();
    let (tx, rx) = mpsc::unbounded_channel();
    let client = ClientBuilder::new_with_http(http, intents)
        .event_handler(Forward(tx))
        .await
        .unwrap();
    (client, rx)
}

#[tokio::test]
async fn serenity_connects_to_the_fake() {
    log_serenity();
    let fake = FakeDiscord::start().await;
    let intents = GatewayIntents::DIRECT_MESSAGES | GatewayIntents::GUILD_MESSAGES | GatewayIntents::GUILDS;
    let (mut client, mut rx) = connect(&fake, intents).await;
    let http = client.http.clone();
    let shards = client.shard_manager.clone();
    let run = tokio::spawn(async move { client.start().await });

    // Handshake: IDENTIFY with our token and intents, READY for the bot.
    fake.wait_ready(WAIT).await;
    let Seen::Ready(ready) = next(&mut rx).await else {
        panic!("READY first")
    };
    assert_eq!(ready.user.id.get(), BOT_ID);
    assert!(ready.user.bot);
    assert_eq!(ready.application.id.get(), APP_ID);
    let identify = fake.identify().unwrap();
    assert_eq!(identify["intents"], intents.bits());
    assert_eq!(identify["token"], format!("Bot {TOKEN}"));
    // Serenity learns the application id from READY.
    assert_eq!(http.application_id(), Some(ApplicationId::new(APP_ID)));
    assert!(
        fake.calls()
            .iter()
            .any(|c| c.method == "GET" && c.path == "/api/v10/gateway")
    );

    rest_basics(&fake, &http).await;
    received_messages(&fake, &mut rx).await;
    commands_and_interactions(&fake, &http, &mut rx).await;
    errors_and_faults(&fake, &http).await;
    resume_after_a_dropped_connection(&fake, &mut rx).await;

    // Heartbeats are acknowledged: serenity reconnects when a heartbeat is
    // still unacknowledged one interval (2 s) later, so after the second one
    // it is still on the same connection.
    let before = fake.gateway_stats();
    let after = fake.wait_gateway(|s| s.heartbeats >= before.heartbeats + 2, WAIT).await;
    assert_eq!(
        (after.connections, after.readies),
        (before.connections, before.readies),
        "{after:?}"
    );

    shards.shutdown_all().await;
    let stopped = tokio::time::timeout(WAIT, run)
        .await
        .expect("the client stops")
        .unwrap();
    assert!(stopped.is_ok(), "{stopped:?}");
}

async fn rest_basics(fake: &FakeDiscord, http: &Http) {
    let me = http.get_current_user().await.unwrap();
    assert_eq!(me.id.get(), BOT_ID);
    assert!(me.bot);
    let app = http.get_current_application_info().await.unwrap();
    assert_eq!(app.id.get(), APP_ID);
    let gateway = http.get_bot_gateway().await.unwrap();
    assert_eq!(gateway.url, fake.gateway_url());
    assert_eq!(gateway.shards, 1);

    // Sending, editing, fetching, replying, typing.
    let channel = ChannelId::new(FakeDiscord::dm_channel_id(CUSTOMER));
    let sent = channel.say(http, "hi").await.unwrap();
    assert_eq!(sent.content, "hi");
    assert_eq!(sent.author.id.get(), BOT_ID);
    assert_eq!(sent.channel_id, channel);
    let edited = channel
        .edit_message(http, sent.id, EditMessage::new().content("hi there"))
        .await
        .unwrap();
    assert_eq!(edited.content, "hi there");
    assert!(edited.edited_timestamp.is_some());
    let fetched = http.get_message(channel, sent.id).await.unwrap();
    assert_eq!(fetched.content, "hi there");
    let reply = channel
        .send_message(http, CreateMessage::new().content("a reply").reference_message(&sent))
        .await
        .unwrap();
    assert_eq!(reply.referenced_message.as_ref().unwrap().id, sent.id);
    channel.broadcast_typing(http).await.unwrap();
    let contents: Vec<Value> = fake
        .messages(channel.get())
        .iter()
        .map(|m| m["content"].clone())
        .collect();
    assert_eq!(contents, [json!("hi there"), json!("a reply")]);

    // Buttons survive the round trip.
    let with_buttons = channel
        .send_message(
            http,
            CreateMessage::new()
                .content("rate us")
                .components(vec![CreateActionRow::Buttons(vec![
                    CreateButton::new("rate:5").label("5"),
                ])]),
        )
        .await
        .unwrap();
    assert_eq!(with_buttons.components.len(), 1);

    // A DM channel per recipient, always the same.
    let dm = UserId::new(CUSTOMER).create_dm_channel(http).await.unwrap();
    assert_eq!(dm.id, channel);
    assert_eq!(dm.recipient.id.get(), CUSTOMER);

    // Uploads are stored and served back.
    let uploaded = channel
        .send_files(
            http,
            [serenity::all::CreateAttachment::bytes(b"PDF?".to_vec(), "receipt.pdf")],
            CreateMessage::new().content("your receipt"),
        )
        .await
        .unwrap();
    assert_eq!(uploaded.attachments[0].filename, "receipt.pdf");
    assert_eq!(uploaded.attachments[0].download().await.unwrap(), b"PDF?");
    let upload_call = fake
        .wait_call(|c| c.body["multipart"] == true, Duration::from_secs(1))
        .await;
    assert_eq!(upload_call.body["payload_json"]["content"], "your receipt");
    assert_eq!(upload_call.body["files"][0]["filename"], "receipt.pdf");
}

async fn received_messages(fake: &FakeDiscord, rx: &mut mpsc::UnboundedReceiver<Seen>) {
    // A DM with a photo the bot can download.
    let photo = b"\xFF\xD8\xFF\xE0 not really a jpeg".to_vec();
    let url = fake.serve_file("invoice 1.jpg", photo.clone());
    let attachment = fake.attachment(
        1_300_000_000_000_000_077,
        "invoice 1.jpg",
        "image/jpeg",
        &url,
        photo.len() as u64,
    );
    let dm = FakeDiscord::dm_channel_id(CUSTOMER);
    fake.dispatch(
        "MESSAGE_CREATE",
        fake.dm_message(dm, CUSTOMER, "halo", vec![attachment]),
    )
    .await;
    let message = next_message(rx).await;
    assert_eq!(message.content, "halo");
    assert_eq!(message.guild_id, None);
    assert_eq!(message.author.id.get(), CUSTOMER);
    assert_eq!(message.channel_id.get(), dm);
    assert_eq!(message.attachments.len(), 1);
    let attachment = &message.attachments[0];
    assert_eq!(attachment.filename, "invoice 1.jpg");
    assert_eq!(attachment.content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(attachment.size as usize, photo.len());
    assert_eq!(attachment.download().await.unwrap(), photo);

    // In a guild, mentioning the bot: content arrives.
    fake.dispatch(
        "MESSAGE_CREATE",
        fake.guild_message(GUILD, GUILD_CHANNEL, CUSTOMER, "status?", true),
    )
    .await;
    let message = next_message(rx).await;
    assert_eq!(message.guild_id.map(|g| g.get()), Some(GUILD));
    assert_eq!(message.content, format!("<@{BOT_ID}> status?"));
    assert!(message.mentions_user_id(UserId::new(BOT_ID)));
    assert!(message.member.is_some());

    // Not mentioning it, without the MESSAGE_CONTENT intent: blanked.
    fake.dispatch(
        "MESSAGE_CREATE",
        fake.guild_message(GUILD, GUILD_CHANNEL, CUSTOMER, "chatter", false),
    )
    .await;
    let message = next_message(rx).await;
    assert_eq!(message.content, "");
}

async fn commands_and_interactions(fake: &FakeDiscord, http: &Http, rx: &mut mpsc::UnboundedReceiver<Seen>) {
    http.set_application_id(ApplicationId::new(APP_ID));
    let commands = Command::set_global_commands(http, vec![CreateCommand::new("faq").description("d")])
        .await
        .unwrap();
    assert_eq!(commands.len(), 1);
    assert_eq!(commands[0].name, "faq");
    assert_eq!(commands[0].application_id.get(), APP_ID);
    assert_eq!(fake.commands()[0]["name"], "faq");
    // Discord's validation: upper case is no command name.
    let refused = Command::set_global_commands(http, vec![CreateCommand::new("FAQ").description("d")]).await;
    assert_eq!(discord_error(refused).error.code, 50035);

    // A slash command in a DM, with string options.
    fake.dispatch(
        "INTERACTION_CREATE",
        fake.slash_command(
            900,
            CUSTOMER,
            "id",
            None,
            "status",
            vec![("serial", json!("K2305N00L2345")), ("chk", json!("482"))],
        ),
    )
    .await;
    let Interaction::Command(command) = next_interaction(rx).await else {
        panic!("a command")
    };
    assert_eq!(command.data.name, "status");
    assert_eq!(command.locale, "id");
    assert_eq!(command.user.id.get(), CUSTOMER);
    assert_eq!(command.guild_id, None);
    assert_eq!(command.channel_id.get(), FakeDiscord::dm_channel_id(CUSTOMER));
    let options: Vec<(String, CommandDataOptionValue)> = command
        .data
        .options
        .iter()
        .map(|o| (o.name.clone(), o.value.clone()))
        .collect();
    assert_eq!(
        options,
        [
            (
                "serial".to_owned(),
                CommandDataOptionValue::String("K2305N00L2345".into())
            ),
            ("chk".to_owned(), CommandDataOptionValue::String("482".into())),
        ]
    );
    command
        .create_response(
            http,
            CreateInteractionResponse::Message(CreateInteractionResponseMessage::new().content("x").ephemeral(true)),
        )
        .await
        .unwrap();
    let responses = fake.interaction_responses(900);
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0]["type"], 4);
    assert_eq!(responses[0]["data"]["flags"], 64);
    let original = command.get_response(http).await.unwrap();
    assert_eq!(original.content, "x");
    assert!(original.flags.unwrap().contains(MessageFlags::EPHEMERAL));
    let edited = command
        .edit_response(http, EditInteractionResponse::new().content("y"))
        .await
        .unwrap();
    assert_eq!(edited.content, "y");
    let followup = command
        .create_followup(http, CreateInteractionResponseFollowup::new().content("more"))
        .await
        .unwrap();
    assert_eq!(followup.content, "more");
    // One response per interaction.
    let again = command
        .create_response(
            http,
            CreateInteractionResponse::Message(CreateInteractionResponseMessage::new().content("again")),
        )
        .await;
    assert_eq!(discord_error(again).error.code, 40060);
    // The ephemeral answer is not in the channel; the follow-up is.
    let dm: Vec<Value> = fake.messages(FakeDiscord::dm_channel_id(CUSTOMER));
    assert!(!dm.iter().any(|m| m["content"] == "y"));
    assert_eq!(dm.last().unwrap()["content"], "more");

    // The same in a guild: a member, the guild locale.
    fake.dispatch(
        "INTERACTION_CREATE",
        fake.slash_command(901, CUSTOMER, "en-US", Some((GUILD, GUILD_CHANNEL)), "faq", vec![]),
    )
    .await;
    let Interaction::Command(command) = next_interaction(rx).await else {
        panic!("a command")
    };
    assert_eq!(command.data.name, "faq");
    assert_eq!(command.data.id, commands[0].id);
    assert_eq!(command.guild_id.map(|g| g.get()), Some(GUILD));
    assert_eq!(command.guild_locale.as_deref(), Some(GUILD_LOCALE));
    assert_eq!(command.user.id.get(), CUSTOMER);
    assert!(command.member.as_ref().unwrap().permissions.is_some());
    // Deferred, then the first follow-up resolves the "thinking…" message.
    command.defer(http).await.unwrap();
    let resolved = command
        .create_followup(http, CreateInteractionResponseFollowup::new().content("done"))
        .await
        .unwrap();
    assert_eq!(fake.original_response(901).unwrap()["id"], resolved.id.to_string());
    assert_eq!(fake.messages(GUILD_CHANNEL).last().unwrap()["content"], "done");

    // A button and a select on the bot's last message in the DM.
    let dm = FakeDiscord::dm_channel_id(CUSTOMER);
    let menu = ChannelId::new(dm).say(http, "menu").await.unwrap();
    let on = fake.message(menu.id.get()).unwrap();
    fake.dispatch(
        "INTERACTION_CREATE",
        fake.component_press(902, CUSTOMER, "en-US", None, "rate:5", None, on.clone()),
    )
    .await;
    let Interaction::Component(press) = next_interaction(rx).await else {
        panic!("a component")
    };
    assert_eq!(press.data.custom_id, "rate:5");
    assert!(matches!(press.data.kind, ComponentInteractionDataKind::Button));
    assert_eq!(press.message.id, menu.id);
    assert_eq!(press.channel_id.get(), dm);
    assert_eq!(press.locale, "en-US");
    press
        .create_response(
            http,
            CreateInteractionResponse::UpdateMessage(CreateInteractionResponseMessage::new().content("thanks")),
        )
        .await
        .unwrap();
    assert_eq!(fake.message(menu.id.get()).unwrap()["content"], "thanks");

    fake.dispatch(
        "INTERACTION_CREATE",
        fake.component_press(
            903,
            CUSTOMER,
            "id",
            Some((GUILD, GUILD_CHANNEL)),
            "topic",
            Some(vec!["a", "b"]),
            on,
        ),
    )
    .await;
    let Interaction::Component(select) = next_interaction(rx).await else {
        panic!("a component")
    };
    assert_eq!(select.data.custom_id, "topic");
    match &select.data.kind {
        ComponentInteractionDataKind::StringSelect { values } => assert_eq!(values, &["a", "b"]),
        other => panic!("a string select, got {other:?}"),
    }
    assert_eq!(select.guild_id.map(|g| g.get()), Some(GUILD));
    assert_eq!(select.user.id.get(), CUSTOMER);
    select.defer(http).await.unwrap();
    assert_eq!(fake.interaction_responses(903)[0]["type"], 6);
}

async fn errors_and_faults(fake: &FakeDiscord, http: &Http) {
    let channel = ChannelId::new(FakeDiscord::dm_channel_id(CUSTOMER));
    let posted_before = fake.messages(channel.get()).len();

    fake.fault("POST", "/channels", Fault::TooManyRequests);
    let e = discord_error(channel.say(http, "hi").await);
    assert_eq!(e.status_code.as_u16(), 429);
    // Discord's 429 body has no `code`: serenity cannot decode it as an error.
    assert_eq!(e.error.code, -1);

    fake.fault(
        "POST",
        "/channels",
        Fault::Json(
            403,
            json!({"message": "Cannot send messages to this user", "code": 50007}),
        ),
    );
    let e = discord_error(channel.say(http, "hi").await);
    assert_eq!(e.status_code.as_u16(), 403);
    assert_eq!(e.error.code, 50007);

    fake.fault("POST", "/channels", Fault::ServerError);
    let e = discord_error(channel.say(http, "hi").await);
    assert_eq!(e.status_code.as_u16(), 500);

    // No answer at all: a transport error, also for calls expecting 204.
    fake.fault("POST", "/channels", Fault::Dropped);
    let dropped = channel.say(http, "hi").await;
    assert!(
        matches!(dropped, Err(serenity::Error::Http(HttpError::Request(_)))),
        "{dropped:?}"
    );
    fake.fault("POST", "/channels", Fault::Dropped);
    let dropped = channel.broadcast_typing(http).await;
    assert!(
        matches!(dropped, Err(serenity::Error::Http(HttpError::Request(_)))),
        "{dropped:?}"
    );

    fake.fault("POST", "/channels", Fault::Slow(Duration::from_millis(300)));
    let started = std::time::Instant::now();
    channel.say(http, "late").await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));

    // Faulted calls are recorded, but only the successful one was posted.
    let messages = fake.messages(channel.get());
    assert_eq!(messages.len(), posted_before + 1);
    assert_eq!(messages.last().unwrap()["content"], "late");

    // Unknown routes and messages answer like Discord.
    let e = discord_error(http.get_message(channel, serenity::all::MessageId::new(1)).await);
    assert_eq!((e.status_code.as_u16(), e.error.code), (404, 10008));
    // Serenity refuses over-long messages itself; Discord's check is there
    // for what bypasses the builders.
    let too_long = channel.say(http, "x".repeat(2001)).await;
    assert!(matches!(too_long, Err(serenity::Error::Model(_))), "{too_long:?}");
    let e = discord_error(
        http.send_message(channel, vec![], &json!({"content": "x".repeat(2001)}))
            .await,
    );
    assert_eq!((e.status_code.as_u16(), e.error.code), (400, 50035));
    assert_eq!(e.error.errors[0].path, "content");
    let e = discord_error(http.send_message(channel, vec![], &json!({"content": ""})).await);
    assert_eq!(e.error.code, 50006);
}

async fn resume_after_a_dropped_connection(fake: &FakeDiscord, rx: &mut mpsc::UnboundedReceiver<Seen>) {
    let before = fake.gateway_stats();
    fake.kill_gateway();
    // Sent while serenity is away: replayed when it resumes.
    let dm = FakeDiscord::dm_channel_id(CUSTOMER);
    fake.dispatch("MESSAGE_CREATE", fake.dm_message(dm, CUSTOMER, "still there?", vec![]))
        .await;
    let stats = fake.wait_gateway(|s| s.resumes > before.resumes, WAIT).await;
    assert_eq!(stats.connections, before.connections + 1);
    assert_eq!(stats.readies, before.readies);
    let message = next_message(rx).await;
    assert_eq!(message.content, "still there?");
}

#[tokio::test]
async fn serenity_resumes_on_reconnect_and_identifies_anew_after_a_timed_out_session() {
    log_serenity();
    let fake = FakeDiscord::start().await;
    let (mut client, mut rx) = connect(&fake, GatewayIntents::DIRECT_MESSAGES).await;
    let shards = client.shard_manager.clone();
    let run = tokio::spawn(async move { client.start().await });
    assert!(matches!(next(&mut rx).await, Seen::Ready(_)));
    let dm = FakeDiscord::dm_channel_id(CUSTOMER);

    // Op 7: reconnect and resume the same session.
    fake.request_reconnect();
    let stats = fake.wait_gateway(|s| s.resumes == 1, WAIT).await;
    assert_eq!((stats.connections, stats.readies), (2, 1));
    fake.dispatch("MESSAGE_CREATE", fake.dm_message(dm, CUSTOMER, "one", vec![]))
        .await;
    assert_eq!(next_message(&mut rx).await.content, "one");

    // Session timed out (4009): no resume, a new IDENTIFY and READY (serenity
    // waits 5 s between identifies). Events in between wait for the new session.
    fake.close_gateway(4009);
    fake.dispatch("MESSAGE_CREATE", fake.dm_message(dm, CUSTOMER, "two", vec![]))
        .await;
    let stats = fake.wait_gateway(|s| s.readies == 2, WAIT).await;
    assert_eq!(stats.resumes, 1);
    assert!(matches!(next(&mut rx).await, Seen::Ready(_)));
    assert_eq!(next_message(&mut rx).await.content, "two");

    // Intents apply: guild messages were not asked for.
    fake.dispatch(
        "MESSAGE_CREATE",
        fake.guild_message(GUILD, GUILD_CHANNEL, CUSTOMER, "hello", true),
    )
    .await;
    assert_eq!(fake.undelivered().len(), 1);

    shards.shutdown_all().await;
    let stopped = tokio::time::timeout(WAIT, run)
        .await
        .expect("the client stops")
        .unwrap();
    assert!(stopped.is_ok(), "{stopped:?}");
}

// ---------------------------------------------------------------------------
// The adapter: redeemdesk's Discord channel against the same fake.

mod adapter {
    use std::sync::Arc;
    use std::time::Duration;

    use chrono::Utc;
    use redeemdesk::blobs::BlobStore;
    use redeemdesk::channels::discord::{self, Discord, INTENTS, Slash, TOPIC_SELECT, escape};
    use redeemdesk::domain::{Channel, Locale, Status};
    use redeemdesk::i18n::messages as m;
    use redeemdesk::i18n::{Localizer, Msg, MsgDef};
    use redeemdesk::import::{DEMO_JSON, import_json};
    use redeemdesk::store::Db;
    use secrecy::SecretString;
    use serde_json::{Value, json};
    use tokio::sync::watch;

    use crate::support::fake_discord::{APP_ID, BOT_ID, FakeDiscord, Fault, TOKEN};
    use crate::support::{TestDb, both_backends, eml};

    const WAIT: Duration = Duration::from_secs(20);
    const GUILD: u64 = 1_300_000_000_000_000_900;
    const CHANNEL: u64 = 1_300_000_000_000_000_901;
    /// Discord's privileged intents: members, presences, message content.
    const PRIVILEGED: u64 = (1 << 1) | (1 << 8) | (1 << 15);

    struct Bot {
        fake: FakeDiscord,
        discord: Arc<Discord>,
        db: Db,
        blobs: BlobStore,
        stop: watch::Sender<bool>,
        run: tokio::task::JoinHandle<()>,
        _dir: tempfile::TempDir,
    }

    async fn bot(db: &Db) -> Bot {
        bot_with(db, |_| {}).await
    }

    async fn bot_with(db: &Db, tune: impl FnOnce(&mut discord::Options)) -> Bot {
        import_json(db, DEMO_JSON, Utc::now()).await.unwrap();
        let fake = FakeDiscord::start().await;
        // The staff channel is a text channel of the community's server.
        fake.add_guild_channel(GUILD, STAFF_CHANNEL, "redeem-review");
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::new(dir.path());
        let mut options = discord::Options::new(blobs.clone());
        options.api_url = Some(fake.api_url());
        options.backoff_base = Duration::from_millis(5);
        // Generous, so a slow machine never defers; the deferral test sets 0.
        options.defer_after = Duration::from_secs(10);
        tune(&mut options);
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
            db: db.clone(),
            blobs,
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

        /// Dispatches an interaction and returns the first response accepted.
        async fn interact(&self, payload: Value) -> Value {
            let id: u64 = payload["id"].as_str().unwrap().parse().unwrap();
            self.fake.dispatch("INTERACTION_CREATE", payload).await;
            eventually(|| self.fake.interaction_responses(id).first().cloned()).await
        }

        async fn slash(&self, user: u64, locale: &str, guild: bool, name: &str, options: Vec<(&str, Value)>) -> Value {
            let id = self.fake.new_id();
            let place = guild.then_some((GUILD, CHANNEL));
            self.interact(self.fake.slash_command(id, user, locale, place, name, options))
                .await
        }

        /// Sends a DM and waits for `n` messages from the bot in that DM.
        async fn dm(&self, user: u64, text: &str, attachments: Vec<Value>, n: usize) -> Vec<Value> {
            let channel = FakeDiscord::dm_channel_id(user);
            let before = self.bot_messages(channel).len();
            let message = self.fake.dm_message(channel, user, text, attachments);
            self.fake.dispatch("MESSAGE_CREATE", message).await;
            eventually(|| {
                let all = self.bot_messages(channel);
                (all.len() >= before + n).then(|| all[before..].to_vec())
            })
            .await
        }

        fn bot_messages(&self, channel: u64) -> Vec<Value> {
            self.fake
                .messages(channel)
                .into_iter()
                .filter(|m| m["author"]["id"].as_str().and_then(|id| id.parse::<u64>().ok()) == Some(BOT_ID))
                .collect()
        }
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

    /// The message as Discord shows it, up to its first variable.
    fn lead(locale: Locale, def: MsgDef) -> String {
        let mut msg = Msg::new(def);
        for arg in def.args {
            msg = msg.arg(arg, "\u{1}");
        }
        let text = Localizer::builtin().render(locale, &msg);
        let lead = text
            .split('\u{1}')
            .next()
            .unwrap()
            .trim_end_matches(['\u{2068}', '\u{2069}']);
        let escaped = escape(lead);
        escaped.trim_end().to_owned()
    }

    fn content(response: &Value) -> String {
        response["data"]["content"].as_str().unwrap_or_default().to_owned()
    }

    fn says(text: &str, locale: Locale, def: MsgDef) -> bool {
        text.contains(&lead(locale, def))
    }

    fn no_pings(data: &Value) {
        assert_eq!(data["allowed_mentions"]["parse"], json!([]), "{data}");
        assert_eq!(data["allowed_mentions"]["replied_user"], json!(false), "{data}");
    }

    #[tokio::test]
    async fn registers_localized_commands_and_needs_no_privileged_intent() {
        let db = TestDb::sqlite().await;
        let bot = bot(&db.db).await;
        let l = Localizer::builtin();
        let commands = bot.fake.commands();
        assert_eq!(commands.len(), Slash::ALL.len());
        for slash in Slash::ALL {
            let c = commands
                .iter()
                .find(|c| c["name"] == slash.name(l))
                .expect("registered");
            assert!(c["name_localizations"]["id"].is_string(), "{c}");
            assert!(c["description_localizations"]["id"].is_string(), "{c}");
        }
        let status = commands.iter().find(|c| c["name"] == "status").unwrap();
        assert_eq!(status["name_localizations"]["id"], "cek-status");
        assert_eq!(status["options"][0]["name"], "serial");
        assert_eq!(status["options"][0]["name_localizations"]["id"], "nomor-seri");
        assert_eq!(status["options"][0]["required"], true);

        let identify = bot.fake.identify().unwrap();
        let intents = identify["intents"].as_u64().unwrap();
        assert_eq!(intents, INTENTS.bits());
        assert_eq!(intents & PRIVILEGED, 0, "no privileged intent");
        assert!(bot.discord.is_connected());
        let invite = bot.discord.invite_url();
        assert!(invite.contains(&format!("client_id={APP_ID}")) && invite.contains("applications.commands"));
        bot.stop().await;
    }

    /// A command, its options, and the messages one of which must answer it.
    type Case = (&'static str, Vec<(&'static str, Value)>, Vec<MsgDef>);

    #[tokio::test]
    async fn every_slash_command_in_both_languages() {
        let db = TestDb::sqlite().await;
        let bot = bot(&db.db).await;
        for (user, discord_locale, locale) in [(7001, "id", Locale::Id), (7002, "en-US", Locale::En)] {
            let other = match locale {
                Locale::Id => Locale::En,
                Locale::En => Locale::Id,
            };
            let cases: Vec<Case> = vec![
                ("menu", vec![], vec![m::GREETING]),
                ("faq", vec![], vec![m::FAQ_MENU]),
                (
                    "status",
                    vec![("serial", json!("K2305N0012345")), ("chk", json!("482"))],
                    vec![m::STATUS_PRODUCT],
                ),
                ("lang", vec![], vec![m::LANG_ASK]),
                ("promos", vec![], vec![m::PROMOS_HEADER, m::PROMOS_NONE]),
                ("subscribe", vec![], vec![m::SUBSCRIBE_DONE]),
                ("unsubscribe", vec![], vec![m::UNSUBSCRIBE_DONE]),
                (
                    "agent",
                    vec![("message", json!("tolong dibantu"))],
                    vec![m::AGENT_REQUESTED],
                ),
                ("link", vec![], vec![m::LINK_ASK_EMAIL]),
                ("verify", vec![], vec![m::VERIFY_NO_CODE]),
            ];
            assert_eq!(cases.len(), Slash::ALL.len());
            for (name, options, expected) in cases {
                let slash = Slash::parse(name, Localizer::builtin()).unwrap();
                let response = bot.slash(user, discord_locale, true, name, options).await;
                assert_eq!(response["type"], 4, "{name}: answered at once");
                let text = content(&response);
                assert!(
                    expected.iter().any(|d| says(&text, locale, *d)),
                    "{name} in {locale}: {text}"
                );
                assert!(
                    !expected.iter().any(|d| says(&text, other, *d))
                        || lead(locale, expected[0]) == lead(other, expected[0]),
                    "{name} in the wrong language: {text}"
                );
                // Personal answers only the asker sees; the FAQ, promotions and menu are for all.
                let ephemeral = response["data"]["flags"].as_u64().unwrap_or(0) & 64 != 0;
                let personal = !matches!(name, "menu" | "faq" | "promos");
                assert_eq!(ephemeral, personal, "{name}: {response}");
                assert_eq!(slash.is_personal(), personal);
                no_pings(&response["data"]);
            }
        }
        // The status answer in full: the rejected claim, privately.
        let response = bot
            .slash(
                7003,
                "id",
                true,
                "status",
                vec![("serial", json!("k2305n00l2345")), ("chk", json!("482"))],
            )
            .await;
        let parts = std::iter::once(content(&response))
            .chain(
                bot.fake
                    .followups(last_interaction(&bot))
                    .iter()
                    .map(|f| f["content"].as_str().unwrap_or("").to_owned()),
            )
            .collect::<Vec<_>>()
            .join("\n");
        assert!(parts.contains("RDM-1042"), "{parts}");
        assert!(says(&parts, Locale::Id, m::STATUS_REJECTED_NEXT), "{parts}");
        bot.stop().await;
    }

    /// The id of the last interaction answered.
    fn last_interaction(bot: &Bot) -> u64 {
        bot.fake
            .calls()
            .iter()
            .rev()
            .find_map(|c| {
                c.path
                    .strip_prefix("/api/v10/interactions/")?
                    .split('/')
                    .next()?
                    .parse()
                    .ok()
            })
            .unwrap()
    }

    #[tokio::test]
    async fn dm_conversation_with_select_menu_and_buttons() {
        let db = TestDb::sqlite().await;
        let bot = bot(&db.db).await;
        let user = 7101;
        // Free text in a DM: a FAQ answer, in the language of the message.
        let replies = bot.dm(user, "how do I redeem a promotion?", vec![], 1).await;
        let text = replies[0]["content"].as_str().unwrap();
        assert!(says(text, Locale::En, m::FAQ_REDEEM_HOW), "{text}");
        no_pings(
            &bot.fake
                .calls()
                .iter()
                .rev()
                .find(|c| c.method == "POST" && c.path.ends_with("/messages"))
                .unwrap()
                .body,
        );

        // /faq: the topics as a select menu; choosing one answers it.
        let response = bot.slash(user, "en-US", false, "faq", vec![]).await;
        assert_eq!(
            response["data"]["flags"].as_u64().unwrap_or(0) & 64,
            0,
            "a DM needs no ephemeral"
        );
        let select = &response["data"]["components"][0]["components"][0];
        assert_eq!(select["type"], 3);
        assert_eq!(select["custom_id"], TOPIC_SELECT);
        let id = last_interaction(&bot);
        let posted = bot.fake.original_response(id).unwrap();
        let press = bot.fake.component_press(
            bot.fake.new_id(),
            user,
            "en-US",
            None,
            TOPIC_SELECT,
            Some(vec!["faq:invoice.requirements"]),
            posted.clone(),
        );
        let answer = bot.interact(press).await;
        assert_eq!(answer["type"], 4);
        assert!(
            says(&content(&answer), Locale::En, m::FAQ_INVOICE_REQUIREMENTS),
            "{answer}"
        );

        // /lang, then the button for Indonesian: the choice replaces its prompt.
        let response = bot.slash(user, "en-US", false, "lang", vec![]).await;
        let buttons = &response["data"]["components"][0]["components"];
        assert_eq!(buttons[0]["custom_id"], "lang:id", "{response}");
        let id = last_interaction(&bot);
        let prompt = bot.fake.original_response(id).unwrap();
        let press = bot
            .fake
            .component_press(bot.fake.new_id(), user, "en-US", None, "lang:id", None, prompt);
        let answer = bot.interact(press).await;
        assert_eq!(answer["type"], 7, "the prompt is replaced: {answer}");
        assert!(says(&content(&answer), Locale::Id, m::LANG_SWITCHED), "{answer}");
        // The stored choice now beats the client's English.
        let replies = bot.dm(user, "terima kasih", vec![], 1).await;
        assert!(
            says(replies[0]["content"].as_str().unwrap(), Locale::Id, m::THANKS_REPLY),
            "{replies:?}"
        );
        bot.stop().await;
    }

    #[tokio::test]
    async fn a_press_on_someone_elses_public_message_is_answered_privately() {
        let db = TestDb::sqlite().await;
        let bot = bot(&db.db).await;
        let response = bot.slash(7201, "id", true, "faq", vec![]).await;
        assert_eq!(
            response["data"]["flags"].as_u64().unwrap_or(0) & 64,
            0,
            "FAQ is public in a server"
        );
        let posted = bot.fake.messages(CHANNEL).last().cloned().unwrap();
        let press = bot.fake.component_press(
            bot.fake.new_id(),
            7202,
            "en-US",
            Some((GUILD, CHANNEL)),
            TOPIC_SELECT,
            Some(vec!["faq:processing.time"]),
            posted,
        );
        let answer = bot.interact(press).await;
        assert_eq!(answer["type"], 4, "not an update of the shared message");
        assert_eq!(
            answer["data"]["flags"].as_u64().unwrap() & 64,
            64,
            "only the presser sees it"
        );
        assert!(says(&content(&answer), Locale::En, m::FAQ_PROCESSING_TIME), "{answer}");
        bot.stop().await;
    }

    #[tokio::test]
    async fn hostile_text_is_escaped_and_pings_nobody() {
        let db = TestDb::sqlite().await;
        let bot = bot(&db.db).await;
        // An unknown command is repeated back: shown literally.
        let replies = bot.dm(7301, "/**pwn**_x_||y|| @everyone", vec![], 1).await;
        let text = replies[0]["content"].as_str().unwrap();
        assert!(text.contains(r"\*\*pwn\*\*\_x\_\|\|y\|\|"), "{text}");
        assert!(!text.contains("**pwn**"), "{text}");
        let sent = bot
            .fake
            .calls()
            .into_iter()
            .rev()
            .find(|c| c.method == "POST" && c.path.ends_with("/messages"))
            .unwrap();
        no_pings(&sent.body);

        // In a server: only mentions are answered, as a reply, pinging no one.
        let ignored = bot
            .fake
            .guild_message(GUILD, CHANNEL, 7302, "@everyone halo semua", false);
        bot.fake.dispatch("MESSAGE_CREATE", ignored).await;
        let hostile = bot.fake.guild_message(
            GUILD,
            CHANNEL,
            7302,
            &format!("<@{BOT_ID}> @everyone @here **halo** min, cara redeem gimana?"),
            true,
        );
        let hostile_id = hostile["id"].as_str().unwrap().to_owned();
        bot.fake.dispatch("MESSAGE_CREATE", hostile).await;
        let reply = eventually(|| bot.bot_messages(CHANNEL).first().cloned()).await;
        assert_eq!(
            reply["message_reference"]["message_id"], hostile_id,
            "a reply to the mention"
        );
        assert!(!reply["content"].as_str().unwrap().contains("@everyone"));
        let sent = bot
            .fake
            .calls()
            .into_iter()
            .rev()
            .find(|c| c.method == "POST" && c.path == format!("/api/v10/channels/{CHANNEL}/messages"))
            .unwrap();
        no_pings(&sent.body);
        assert_eq!(
            bot.bot_messages(CHANNEL).len(),
            1,
            "the message without a mention was not answered"
        );

        // A serial said in public is not looked up.
        let public = bot
            .fake
            .guild_message(GUILD, CHANNEL, 7302, &format!("<@{BOT_ID}> K2305N0012345 482"), true);
        bot.fake.dispatch("MESSAGE_CREATE", public).await;
        let reply = eventually(|| bot.bot_messages(CHANNEL).get(1).cloned()).await;
        let text = reply["content"].as_str().unwrap();
        assert!(says(text, Locale::Id, m::PRIVATE_ONLY_DISCORD), "{text}");
        assert!(!text.contains("RDM-1042"));
        bot.stop().await;
    }

    #[tokio::test]
    async fn rate_limits_and_server_errors_delay_replies_but_lose_none() {
        let db = TestDb::sqlite().await;
        let bot = bot(&db.db).await;
        bot.fake.fault("POST", "/interactions", Fault::TooManyRequests);
        bot.fake.fault("POST", "/interactions", Fault::TooManyRequests);
        bot.fake.fault("POST", "/interactions", Fault::ServerError);
        let response = bot.slash(7401, "id", true, "faq", vec![]).await;
        assert!(says(&content(&response), Locale::Id, m::FAQ_MENU));
        let tries = bot
            .fake
            .calls()
            .iter()
            .filter(|c| c.path.contains("/interactions/"))
            .count();
        assert_eq!(tries, 4, "three refusals, then the answer");

        let channel = FakeDiscord::dm_channel_id(7402);
        bot.fake
            .fault("POST", &format!("/channels/{channel}/messages"), Fault::TooManyRequests);
        bot.fake
            .fault("POST", &format!("/channels/{channel}/messages"), Fault::Dropped);
        let replies = bot.dm(7402, "halo", vec![], 1).await;
        assert!(!replies.is_empty());
        bot.stop().await;
    }

    #[tokio::test]
    async fn slow_answers_are_deferred_then_completed() {
        let db = TestDb::sqlite().await;
        let bot = bot_with(&db.db, |o| o.defer_after = Duration::ZERO).await;
        let response = bot
            .slash(
                7501,
                "en-US",
                true,
                "status",
                vec![("serial", json!("K2305N0012345")), ("chk", json!("482"))],
            )
            .await;
        assert_eq!(response["type"], 5, "deferred: {response}");
        assert_eq!(
            response["data"]["flags"].as_u64().unwrap() & 64,
            64,
            "deferred privately"
        );
        let id = last_interaction(&bot);
        let done = eventually(|| {
            bot.fake
                .original_response(id)
                .filter(|m| !m["content"].as_str().unwrap_or("").is_empty())
        })
        .await;
        assert!(
            says(done["content"].as_str().unwrap(), Locale::En, m::STATUS_PRODUCT),
            "{done}"
        );
        bot.stop().await;
    }

    both_backends! {
        async fn closed_dms_mark_the_user_unsubscribed(db: Db) {
            let bot = bot(&db).await;
            let user = 7601u64;
            let response = bot.slash(user, "id", false, "subscribe", vec![]).await;
            assert!(says(&content(&response), Locale::Id, m::SUBSCRIBE_DONE));
            let channel = FakeDiscord::dm_channel_id(user);
            bot.fake.fault(
                "POST",
                &format!("/channels/{channel}/messages"),
                Fault::Json(403, json!({"message": "Cannot send messages to this user", "code": 50007})),
            );
            let message = bot.fake.dm_message(channel, user, "halo", vec![]);
            bot.fake.dispatch("MESSAGE_CREATE", message).await;
            let db2 = bot.db.clone();
            eventually_async(|| {
                let db = db2.clone();
                async move {
                    let mut tx = db.begin().await.unwrap();
                    let u = tx.chat_user(Channel::Discord, &user.to_string(), Utc::now()).await.unwrap();
                    (!u.active && !u.subscribed).then_some(())
                }
            })
            .await;
            bot.stop().await;
        }

        async fn invoice_photos_in_a_dm_resubmit_a_rejected_claim(db: Db) {
            let bot = bot(&db).await;
            let user = 7701u64;
            // Budi proves the serial in a DM: his rejected claim is shown.
            let response = bot
                .slash(user, "id", false, "status", vec![("serial", json!("K2305N0012345")), ("chk", json!("482"))])
                .await;
            assert!(says(&content(&response), Locale::Id, m::STATUS_PRODUCT), "{response}");
            // The corrected invoice, as a photo.
            let url = bot.fake.serve_file("invoice.jpg", eml::jpeg(800, 600));
            let size = eml::jpeg(800, 600).len() as u64;
            let attachment = bot.fake.attachment(bot.fake.new_id(), "invoice.jpg", "image/jpeg", &url, size);
            let replies = bot.dm(user, "", vec![attachment], 1).await;
            let text = replies[0]["content"].as_str().unwrap();
            assert!(text.contains("RDM-1042"), "{text}");
            assert!(says(text, Locale::Id, m::REUPLOAD_RECEIVED), "{text}");
            let mut tx = db.begin().await.unwrap();
            let claim = tx.redemption(1042).await.unwrap().unwrap();
            assert_eq!(claim.redemption.status(), Status::UnderReview);
            drop(tx);

            // Too large, or from elsewhere than Discord: not fetched, still answered.
            let big = bot.fake.attachment(bot.fake.new_id(), "huge.pdf", "application/pdf", &url, 30 * 1024 * 1024);
            let replies = bot.dm(user, "", vec![big], 1).await;
            assert!(says(replies[0]["content"].as_str().unwrap(), Locale::Id, m::ATTACHMENT_TOO_LARGE));
            let elsewhere = bot.fake.attachment(bot.fake.new_id(), "a.jpg", "image/jpeg", "http://169.254.169.254/a.jpg", 10);
            let fetched_before = bot.fake.calls().iter().filter(|c| c.path.starts_with("/attachments")).count();
            let replies = bot.dm(user, "", vec![elsewhere], 1).await;
            assert!(says(replies[0]["content"].as_str().unwrap(), Locale::Id, m::ATTACHMENT_RECEIVED));
            let fetched_after = bot.fake.calls().iter().filter(|c| c.path.starts_with("/attachments")).count();
            assert_eq!(fetched_before, fetched_after);
            let _ = &bot.blobs;
            bot.stop().await;
        }
    }

    const STAFF_CHANNEL: u64 = 1_300_000_000_000_000_950;
    const STAFF_ROLE: u64 = 1_300_000_000_000_000_951;

    both_backends! {
        /// Claims entering the queue are posted to the staff channel (a
        /// resubmission with its file); staff approve and reject there with
        /// the CLI's code; anyone else is refused and nothing changes.
        async fn staff_decide_claims_in_the_staff_channel(db: Db) {
            use redeemdesk::jobs::{Dispatch, Worker, WorkerOptions};
            let bot = bot_with(&db, |o| {
                o.staff = Some(discord::StaffConfig {
                    channel: serenity::all::ChannelId::new(STAFF_CHANNEL),
                    role: Some(serenity::all::RoleId::new(STAFF_ROLE)),
                })
            })
            .await;
            let staff: Vec<Arc<dyn redeemdesk::staff::StaffChannel>> = vec![Arc::new(discord::DiscordStaffChannel {
                discord: bot.discord.clone(),
                channel: serenity::all::ChannelId::new(STAFF_CHANNEL),
            })];
            let desk = redeemdesk::staff::StaffDesk::new(db.clone(), bot.blobs.clone(), staff);
            // Emails go through the real Postfix + Dovecot (scripts/mailstack.sh).
            let mailer = redeemdesk::mail::smtp::Mailer::from_config(&crate::support::mail::smtp(
                redeemdesk::config::TlsMode::None,
            ))
            .unwrap();
            let dispatch = Dispatch::default().staff(Arc::new(desk)).email(Arc::new(mailer));
            let options = WorkerOptions {
                kinds: dispatch.kinds(),
                poll: Duration::from_millis(20),
                ..Default::default()
            };
            let worker = Worker::new(db.clone(), Arc::new(dispatch), options);

            // The demo's two queued claims, posted once however often the worker runs.
            worker.drain().await.unwrap();
            worker.drain().await.unwrap();
            let posts = bot.fake.messages(STAFF_CHANNEL);
            assert_eq!(posts.len(), 2, "{posts:?}");
            // Jobs run concurrently: the posts' order is not fixed.
            let about = |posts: &[Value], id: &str| {
                posts
                    .iter()
                    .find(|p| p["content"].as_str().unwrap_or("").contains(id))
                    .cloned()
                    .unwrap_or_else(|| panic!("no post about {id}: {posts:?}"))
            };
            let post_1044 = about(&posts, "RDM-1044");
            about(&posts, "RDM-1046");
            assert_eq!(post_1044["components"][0]["components"][0]["custom_id"], "staff:approve:1044");
            let card = post_1044["content"].as_str().unwrap();
            assert!(card.contains("S1B4A2500123") && card.contains("bought") && card.contains("region"), "{card}");
            assert!(!card.contains("CHK") && !card.contains("@example.test"), "no CHK nor contact details: {card}");

            // Budi re-uploads his invoice in a DM: the resubmission is posted with the photo.
            let user = 7901u64;
            bot.slash(user, "id", false, "status", vec![("serial", json!("K2305N0012345")), ("chk", json!("482"))])
                .await;
            let photo = eml::jpeg(640, 480);
            let url = bot.fake.serve_file("nota.jpg", photo.clone());
            let file = bot.fake.attachment(bot.fake.new_id(), "nota.jpg", "image/jpeg", &url, photo.len() as u64);
            bot.dm(user, "", vec![file], 1).await;
            worker.drain().await.unwrap();
            let posts = bot.fake.messages(STAFF_CHANNEL);
            assert_eq!(posts.len(), 3);
            let resubmitted = about(&posts, "RDM-1042");
            assert_eq!(resubmitted["attachments"].as_array().unwrap().len(), 1, "{resubmitted}");
            assert!(resubmitted["attachments"][0]["filename"].as_str().unwrap().ends_with(".jpg"));

            // Someone without the staff role: refused, nothing changes.
            let press = |id: u64, user: u64, staff: bool, custom: &str, values: Option<Vec<&str>>, message: Value| {
                let mut p = bot.fake.component_press(id, user, "en-US", Some((GUILD, STAFF_CHANNEL)), custom, values, message);
                if staff {
                    p["member"]["roles"] = json!([STAFF_ROLE.to_string()]);
                }
                p
            };
            let refused = bot
                .interact(press(bot.fake.new_id(), 8001, false, "staff:approve:1044", None, post_1044.clone()))
                .await;
            assert_eq!(refused["data"]["flags"].as_u64().unwrap() & 64, 64);
            let status = |id: i64| {
                let db = db.clone();
                async move { db.begin().await.unwrap().redemption(id).await.unwrap().unwrap().redemption.status() }
            };
            assert_eq!(status(1044).await, Status::UnderReview);

            // Staff approve: decided, the customer's email queued, the post edited.
            let done = bot
                .interact(press(bot.fake.new_id(), 8002, true, "staff:approve:1044", None, post_1044.clone()))
                .await;
            assert!(content(&done).contains("Approved"), "{done}");
            assert_eq!(status(1044).await, Status::Approved);
            let post = bot.fake.message(post_1044["id"].as_str().unwrap().parse().unwrap()).unwrap();
            assert!(post["content"].as_str().unwrap().contains("Approved by"), "{post}");
            assert_eq!(post["components"], json!([]));
            worker.drain().await.unwrap();
            let mut tx = db.begin().await.unwrap();
            let emails = tx.emails_of_redemption(1044).await.unwrap();
            drop(tx);
            let approved = emails.iter().find(|e| e.kind.as_str() == "approved").expect("an approval email");
            let raw = crate::support::mail::fetch_by_message_id(
                "rizky.pratama@example.test",
                "pass",
                &approved.message_id,
            )
            .await;
            assert_eq!(raw.len(), 1, "delivered once through SMTP to the member's mailbox");

            // Reject the resubmission: a reason menu only the presser sees, a
            // note modal left empty, then decided.
            let menu = bot
                .interact(press(bot.fake.new_id(), 8002, true, "staff:reject:1042", None, resubmitted.clone()))
                .await;
            assert_eq!(menu["data"]["flags"].as_u64().unwrap() & 64, 64);
            let select = menu["data"]["components"][0]["components"][0].clone();
            let custom = select["custom_id"].as_str().unwrap().to_owned();
            assert_eq!(select["options"].as_array().unwrap().len(), 11);
            let menu_message = bot.fake.original_response(last_interaction(&bot)).unwrap();
            let chosen = bot.fake.new_id();
            let modal = bot
                .interact(press(chosen, 8002, true, &custom, Some(vec!["invoice_unreadable"]), menu_message))
                .await;
            assert_eq!(modal["type"], 9, "{modal}");
            let decided = bot.interact(bot.fake.modal_submit(bot.fake.new_id(), chosen, &[])).await;
            assert!(content(&decided).contains("Rejected"), "{decided}");
            assert_eq!(status(1042).await, Status::Rejected);
            let post = bot.fake.message(resubmitted["id"].as_str().unwrap().parse().unwrap()).unwrap();
            assert!(post["content"].as_str().unwrap().contains("invoice_unreadable"), "{post}");
            bot.stop().await;
        }
    }

    /// A bot with the staff channel and role, and an outbox worker as `serve`
    /// runs it: staff posts to Discord, emails through the real Postfix +
    /// Dovecot (scripts/mailstack.sh), chat messages to Discord users.
    async fn staff_bot(db: &Db) -> (Bot, redeemdesk::jobs::Worker) {
        staff_bot_with(db, |_| {}).await
    }

    async fn staff_bot_with(db: &Db, tune: impl FnOnce(&mut discord::Options)) -> (Bot, redeemdesk::jobs::Worker) {
        use redeemdesk::jobs::{Dispatch, Worker, WorkerOptions};
        let bot = bot_with(db, |o| {
            o.staff = Some(discord::StaffConfig {
                channel: serenity::all::ChannelId::new(STAFF_CHANNEL),
                role: Some(serenity::all::RoleId::new(STAFF_ROLE)),
            });
            tune(o);
        })
        .await;
        let staff: Vec<Arc<dyn redeemdesk::staff::StaffChannel>> = vec![Arc::new(discord::DiscordStaffChannel {
            discord: bot.discord.clone(),
            channel: serenity::all::ChannelId::new(STAFF_CHANNEL),
        })];
        let desk = redeemdesk::staff::StaffDesk::new(db.clone(), bot.blobs.clone(), staff);
        let mailer =
            redeemdesk::mail::smtp::Mailer::from_config(&crate::support::mail::smtp(redeemdesk::config::TlsMode::None))
                .unwrap();
        let dispatch = Dispatch::default()
            .staff(Arc::new(desk))
            .email(Arc::new(mailer))
            .chat(Channel::Discord, bot.discord.clone());
        let options = WorkerOptions {
            kinds: dispatch.kinds(),
            poll: Duration::from_millis(20),
            ..Default::default()
        };
        let worker = Worker::new(db.clone(), Arc::new(dispatch), options);
        (bot, worker)
    }

    /// `customer` asks for a person with `/agent` in a DM; once the worker
    /// ran, the escalation's post is in the staff channel with its thread.
    /// The ticket and the post's (and thread's) id.
    async fn escalate(bot: &Bot, worker: &redeemdesk::jobs::Worker, customer: u64, message: &str) -> (i64, u64) {
        let asked = bot
            .slash(customer, "id", false, "agent", vec![("message", json!(message))])
            .await;
        let said = if asked["type"] == 5 {
            // Deferred: the answer is the "thinking…" message, completed.
            let id = last_interaction(bot);
            eventually(|| bot.fake.original_response(id).filter(|m| m["content"] != "")).await["content"].clone()
        } else {
            asked["data"]["content"].clone()
        };
        assert!(says(said.as_str().unwrap(), Locale::Id, m::AGENT_REQUESTED), "{said}");
        worker.drain().await.unwrap();
        let post = bot
            .fake
            .messages(STAFF_CHANNEL)
            .into_iter()
            .find(|p| p["content"].as_str().unwrap_or("").contains("Escalation #"))
            .expect("the escalation is posted to the staff channel");
        let text = post["content"].as_str().unwrap();
        assert!(text.contains(message), "{text}");
        let ticket: i64 = text
            .split("Escalation #")
            .nth(1)
            .unwrap()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap();
        let post_id: u64 = post["id"].as_str().unwrap().parse().unwrap();
        (ticket, post_id)
    }

    /// A staff command typed in `channel` of the server by `user`, with the
    /// staff role or not (server nickname "Rina").
    fn staff_command(bot: &Bot, user: u64, staff: bool, channel: u64, name: &str, text: Option<&str>) -> Value {
        let options = text.map(|t| vec![("text", json!(t))]).unwrap_or_default();
        let mut command =
            bot.fake
                .slash_command(bot.fake.new_id(), user, "en-US", Some((GUILD, channel)), name, options);
        command["member"]["nick"] = json!("Rina");
        if staff {
            command = FakeDiscord::with_roles(command, &[STAFF_ROLE]);
        }
        command
    }

    fn ephemeral(response: &Value) -> bool {
        response["data"]["flags"].as_u64().unwrap_or(0) & 64 != 0
    }

    fn rendered(locale: Locale, msg: &Msg) -> String {
        escape(&Localizer::builtin().render(locale, msg))
    }

    async fn escalation(db: &Db, id: i64) -> redeemdesk::store::EscalationRecord {
        db.begin().await.unwrap().escalation(id).await.unwrap().unwrap()
    }

    both_backends! {
        /// A customer's `/agent` becomes a post with a thread; an agent's
        /// `/reply` there reaches the customer's DM, the customer's answer
        /// comes back into the thread, `/close` tells the customer and closes
        /// it, and a reply after that is refused.
        async fn escalations_are_answered_and_closed_from_their_thread(db: Db) {
            use redeemdesk::store::EscalationStatus;
            let (bot, worker) = staff_bot(&db).await;
            // /reply and /close are the staff channel's server's own commands.
            let names: Vec<Value> = bot.fake.guild_commands(GUILD).iter().map(|c| c["name"].clone()).collect();
            assert_eq!(names, [json!("reply"), json!("close")]);
            let reply_command = &bot.fake.guild_commands(GUILD)[0];
            assert_eq!(reply_command["options"][0]["name"], "text");
            assert_eq!(reply_command["options"][0]["required"], true);
            assert!(bot.fake.commands().iter().all(|c| c["name"] != "reply" && c["name"] != "close"));
            assert!(bot.fake.calls().iter().any(|c| c.method == "GET"
                && c.path == format!("/api/v10/channels/{STAFF_CHANNEL}")));

            let customer = 7961u64;
            let (ticket, thread) = escalate(&bot, &worker, customer, "Klaim saya belum ada kabar").await;
            let channel = bot.fake.channel(thread).expect("a thread was started from the post");
            assert_eq!(channel["type"], 11);
            assert_eq!(channel["parent_id"], STAFF_CHANNEL.to_string());
            assert_eq!(channel["name"], format!("Escalation #{ticket}"));
            assert_eq!(bot.fake.message(thread).unwrap()["thread"]["id"], thread.to_string());

            // The agent answers in the thread: the thread shows what went to whom.
            let agent = 8101u64;
            let answer = "Halo Kak, klaim Kakak sedang kami cek (1-2 hari kerja).";
            let answered = bot.interact(staff_command(&bot, agent, true, thread, "reply", Some(answer))).await;
            assert_eq!(answered["type"], 4, "{answered}");
            assert!(!ephemeral(&answered), "{answered}");
            assert_eq!(content(&answered), escape(&format!("Rina → customer: {answer}")));
            no_pings(&answered["data"]);
            let dm = FakeDiscord::dm_channel_id(customer);
            let before = bot.bot_messages(dm).len();
            worker.drain().await.unwrap();
            let sent = bot.bot_messages(dm);
            assert_eq!(sent.len(), before + 1, "{sent:?}");
            let expected = Msg::new(m::CHAT_AGENT_REPLY).arg("agent", "Rina").arg("text", answer);
            let expected = rendered(Locale::Id, &expected);
            assert_eq!(sent[before]["content"], expected);
            assert_eq!(escalation(&db, ticket).await.status, EscalationStatus::Answered);

            // The customer writes back in the DM: it goes to the thread.
            let replies = bot.dm(customer, "Baik, saya tunggu ya", vec![], 1).await;
            assert!(says(replies[0]["content"].as_str().unwrap(), Locale::Id, m::AGENT_FORWARDED), "{replies:?}");
            worker.drain().await.unwrap();
            let in_thread: Vec<String> = bot
                .fake
                .messages(thread)
                .iter()
                .map(|m| m["content"].as_str().unwrap_or("").to_owned())
                .collect();
            assert_eq!(in_thread.len(), 2, "{in_thread:?}");
            assert!(in_thread[0].starts_with("Rina → customer:"), "{in_thread:?}");
            assert_eq!(in_thread[1], "customer: Baik, saya tunggu ya");
            assert!(bot.fake.calls().iter().any(|c| c.method == "POST"
                && c.path == format!("/api/v10/channels/{thread}/messages")));

            // /close: only the agent sees the confirmation; the customer is told.
            let closed = bot.interact(staff_command(&bot, agent, true, thread, "close", None)).await;
            assert!(ephemeral(&closed), "{closed}");
            assert_eq!(content(&closed), format!("Escalation #{ticket} is closed."));
            let before = bot.bot_messages(dm).len();
            worker.drain().await.unwrap();
            let sent = bot.bot_messages(dm);
            assert_eq!(sent.len(), before + 1, "{sent:?}");
            assert_eq!(
                sent[before]["content"],
                rendered(Locale::Id, &Msg::new(m::CHAT_ESCALATION_CLOSED).arg("ticket", ticket))
            );
            let closed = escalation(&db, ticket).await;
            assert_eq!(closed.status, EscalationStatus::Closed);
            assert_eq!(closed.closed_by.as_deref(), Some(format!("user{agent}").as_str()));
            let last = bot.fake.messages(thread).last().cloned().unwrap();
            assert_eq!(last["content"], format!("Closed by user{agent}."));

            // A reply after closing is refused, and nothing reaches the customer.
            let again = bot.interact(staff_command(&bot, agent, true, thread, "reply", Some("Masih ada?"))).await;
            assert!(ephemeral(&again), "{again}");
            assert!(content(&again).contains("is closed"), "{again}");
            worker.drain().await.unwrap();
            assert_eq!(bot.bot_messages(dm).len(), before + 1);
            // A second /close changes nothing either.
            let twice = bot.interact(staff_command(&bot, agent, true, thread, "close", None)).await;
            assert!(ephemeral(&twice) && content(&twice).contains("already closed"), "{twice}");
            bot.stop().await;
        }

        /// `/reply` from someone without the staff role, or outside an
        /// escalation's thread, is refused privately and sends nothing; the
        /// commands never reach the assistant.
        async fn only_staff_answer_escalations_and_only_in_their_thread(db: Db) {
            use redeemdesk::store::EscalationStatus;
            let (bot, worker) = staff_bot(&db).await;
            let customer = 7962u64;
            let (ticket, thread) = escalate(&bot, &worker, customer, "Tolong dibantu").await;
            let dm = FakeDiscord::dm_channel_id(customer);
            let before = bot.bot_messages(dm).len();

            let outsider = 8201u64;
            let refused = bot.interact(staff_command(&bot, outsider, false, thread, "reply", Some("Hai"))).await;
            assert!(ephemeral(&refused), "{refused}");
            assert!(content(&refused).contains("Only staff"), "{refused}");
            let refused = bot.interact(staff_command(&bot, outsider, false, thread, "close", None)).await;
            assert!(ephemeral(&refused) && content(&refused).contains("Only staff"), "{refused}");
            // Staff, but in the staff channel itself rather than the thread.
            let elsewhere = bot.interact(staff_command(&bot, 8102, true, STAFF_CHANNEL, "reply", Some("Hai"))).await;
            assert!(ephemeral(&elsewhere), "{elsewhere}");
            assert!(content(&elsewhere).contains("thread"), "{elsewhere}");
            // From a DM (the commands are not even offered there): refused too.
            let id = bot.fake.new_id();
            let dm_command = bot.fake.slash_command(id, outsider, "en-US", None, "reply", vec![("text", json!("Hai"))]);
            let from_dm = bot.interact(dm_command).await;
            assert!(content(&from_dm).contains("Only staff"), "{from_dm}");

            // An email escalation is answered from the support mailbox, not its thread.
            let by_email = {
                let now = Utc::now();
                let mut tx = db.begin_write().await.unwrap();
                let mail = redeemdesk::store::NewInboundMail {
                    dedup_key: "mid:<question-1@example.test>",
                    message_id: Some("<question-1@example.test>"),
                    raw_sha256: "0000",
                    raw_blob_key: None,
                    from_address: None,
                    subject: "Pertanyaan promo",
                    kind: "unmatched",
                };
                let mail = tx.claim_inbound_mail(&mail, now).await.unwrap().unwrap();
                let id = tx
                    .insert_mail_escalation(mail, Some(503), None, "Pertanyaan promo", Locale::Id, now)
                    .await
                    .unwrap();
                redeemdesk::staff::escalation::announce(&mut tx, id, now).await.unwrap();
                tx.commit().await.unwrap();
                id
            };
            worker.drain().await.unwrap();
            let email_post = bot
                .fake
                .messages(STAFF_CHANNEL)
                .into_iter()
                .find(|p| p["content"].as_str().unwrap_or("").contains(&format!("Escalation #{by_email} ")))
                .expect("the email escalation is posted");
            let email_thread: u64 = email_post["id"].as_str().unwrap().parse().unwrap();
            let refused = bot.interact(staff_command(&bot, 8102, true, email_thread, "reply", Some("Hai"))).await;
            assert!(ephemeral(&refused), "{refused}");
            assert!(content(&refused).contains("came by email"), "{refused}");

            worker.drain().await.unwrap();
            assert_eq!(bot.bot_messages(dm).len(), before, "nothing reached the customer");
            assert!(bot.fake.messages(thread).is_empty(), "nothing in the thread");
            assert_eq!(escalation(&db, ticket).await.status, EscalationStatus::Open);
            // The assistant never saw them: it records every turn it handles.
            for user in [outsider, 8102] {
                let mut tx = db.begin_write().await.unwrap();
                let record = tx.chat_user(Channel::Discord, &user.to_string(), Utc::now()).await.unwrap();
                assert!(tx.transcript(record.id, 10).await.unwrap().is_empty(), "user {user}");
            }
            bot.stop().await;
        }

        /// *Reject* → reason → a modal for an optional note; its submit
        /// rejects with the note, which is in the history and the email.
        async fn a_rejection_from_discord_carries_the_note_typed_in_its_modal(db: Db) {
            use redeemdesk::domain::Change;
            let (bot, worker) = staff_bot(&db).await;
            worker.drain().await.unwrap();
            let post = bot
                .fake
                .messages(STAFF_CHANNEL)
                .into_iter()
                .find(|p| p["content"].as_str().unwrap_or("").contains("RDM-1044"))
                .unwrap();
            let post_id: u64 = post["id"].as_str().unwrap().parse().unwrap();
            let press = |user: u64, staff: bool, custom: &str, values: Option<Vec<&str>>, message: Value| {
                let id = bot.fake.new_id();
                let place = Some((GUILD, STAFF_CHANNEL));
                let p = bot.fake.component_press(id, user, "en-US", place, custom, values, message);
                if staff { FakeDiscord::with_roles(p, &[STAFF_ROLE]) } else { p }
            };
            let status = || {
                let db = db.clone();
                async move { db.begin().await.unwrap().redemption(1044).await.unwrap().unwrap().redemption.status() }
            };
            let menu = bot.interact(press(8002, true, "staff:reject:1044", None, post.clone())).await;
            let custom = menu["data"]["components"][0]["components"][0]["custom_id"].as_str().unwrap().to_owned();
            let menu_message = bot.fake.original_response(last_interaction(&bot)).unwrap();

            // The reason chosen: a modal asks for the note; nothing is decided yet.
            let select = press(8002, true, &custom, Some(vec!["invoice_unreadable"]), menu_message);
            let select_id: u64 = select["id"].as_str().unwrap().parse().unwrap();
            let asked = bot.interact(select).await;
            assert_eq!(asked["type"], 9, "{asked}");
            let modal = bot.fake.modal(select_id).unwrap();
            assert_eq!(modal["title"], "Reject RDM-1044");
            let input = &modal["components"][0]["components"][0];
            assert_eq!(input["label"], "Note for the customer (optional)");
            assert_eq!(input["style"], 2);
            assert_eq!(input["required"], false);
            assert_eq!(status().await, Status::UnderReview);

            // The same form submitted by someone without the role: refused.
            let mut forged = bot.fake.modal_submit(bot.fake.new_id(), select_id, &[("note", "approved, honest")]);
            forged["member"]["roles"] = json!([]);
            let refused = bot.interact(forged).await;
            assert!(ephemeral(&refused) && content(&refused).contains("Only staff"), "{refused}");
            assert_eq!(status().await, Status::UnderReview);

            let note = "Mohon kirim ulang foto nota dengan cap toko terlihat jelas.";
            let submitted = bot.interact(bot.fake.modal_submit(bot.fake.new_id(), select_id, &[("note", note)])).await;
            // The outcome replaces the reason menu.
            assert_eq!(submitted["type"], 7, "{submitted}");
            assert!(content(&submitted).contains("Rejected by user8002: invoice\\_unreadable"), "{submitted}");
            assert_eq!(submitted["data"]["components"], json!([]));
            assert_eq!(status().await, Status::Rejected);
            let mut tx = db.begin().await.unwrap();
            let history = tx.history(1044).await.unwrap();
            drop(tx);
            let last = history.last().unwrap();
            assert_eq!(
                last.change,
                Change::Rejected {
                    reason: redeemdesk::domain::RejectionReason::InvoiceUnreadable,
                    note: Some(note.into()),
                }
            );
            assert_eq!(last.actor.to_string(), "staff:discord:user8002");
            let edited = bot.fake.message(post_id).unwrap();
            let text = edited["content"].as_str().unwrap();
            assert!(text.contains("❌ Rejected by user8002: invoice_unreadable"), "{text}");
            assert_eq!(edited["components"], json!([]));

            // The rejection email carries the note.
            worker.drain().await.unwrap();
            let mut tx = db.begin().await.unwrap();
            let emails = tx.emails_of_redemption(1044).await.unwrap();
            drop(tx);
            let rejected = emails.iter().find(|e| e.kind.as_str() == "rejection").expect("a rejection email");
            let raw =
                crate::support::mail::fetch_by_message_id("rizky.pratama@example.test", "pass", &rejected.message_id)
                    .await;
            assert_eq!(raw.len(), 1);
            let parsed = mail_parser::MessageParser::default().parse(&raw[0]).unwrap();
            let body = parsed.body_text(0).unwrap();
            assert!(body.contains(note), "{body}");
            bot.stop().await;
        }

        /// A claim decided elsewhere (the CLI's code, as `review approve`
        /// runs it): the worker marks its Discord post, once.
        async fn a_decision_made_outside_discord_marks_the_post(db: Db) {
            let (bot, worker) = staff_bot(&db).await;
            worker.drain().await.unwrap();
            let post = bot
                .fake
                .messages(STAFF_CHANNEL)
                .into_iter()
                .find(|p| p["content"].as_str().unwrap_or("").contains("RDM-1046"))
                .unwrap();
            let post_id: u64 = post["id"].as_str().unwrap().parse().unwrap();
            assert_eq!(post["components"][0]["components"][0]["custom_id"], "staff:approve:1046");
            redeemdesk::review::decide(
                &db,
                1046,
                redeemdesk::review::Decision::Approve { note: None },
                redeemdesk::domain::Actor::Staff("rina".into()),
                &Default::default(),
                Utc::now(),
            )
            .await
            .unwrap();
            worker.drain().await.unwrap();
            worker.drain().await.unwrap();
            let edited = bot.fake.message(post_id).unwrap();
            let text = edited["content"].as_str().unwrap();
            assert!(text.ends_with("\n✅ Approved by rina"), "{text}");
            assert!(text.contains("RDM-1046"), "the card is kept: {text}");
            assert_eq!(edited["components"], json!([]));
            let edits = bot
                .fake
                .calls()
                .iter()
                .filter(|c| {
                    c.method == "PATCH" && c.path == format!("/api/v10/channels/{STAFF_CHANNEL}/messages/{post_id}")
                })
                .count();
            assert_eq!(edits, 1);
            bot.stop().await;
        }
    }

    /// An answer not ready within `defer_after`: "thinking…" in the thread
    /// first, then the answer in its place.
    #[tokio::test]
    async fn a_slow_reply_is_deferred_then_shown_in_the_thread() {
        let db = TestDb::sqlite().await;
        let (bot, worker) = staff_bot_with(&db.db, |o| o.defer_after = Duration::ZERO).await;
        let (_, thread) = escalate(&bot, &worker, 7963, "Halo").await;
        let command = staff_command(&bot, 8103, true, thread, "reply", Some("Sebentar ya, Kak."));
        let id: u64 = command["id"].as_str().unwrap().parse().unwrap();
        let deferred = bot.interact(command).await;
        assert_eq!(deferred["type"], 5, "{deferred}");
        assert!(!ephemeral(&deferred), "{deferred}");
        let answer = eventually(|| bot.fake.original_response(id).filter(|m| m["content"] != "")).await;
        assert_eq!(answer["content"], escape("Rina → customer: Sebentar ya, Kak."));
        assert_eq!(
            answer["flags"].as_u64().unwrap() & (64 | 128),
            0,
            "public and no longer thinking"
        );
        worker.drain().await.unwrap();
        let dm = bot.bot_messages(FakeDiscord::dm_channel_id(7963));
        assert!(
            dm.last().unwrap()["content"]
                .as_str()
                .unwrap()
                .contains("Sebentar ya, Kak."),
            "{dm:?}"
        );
        bot.stop().await;
    }

    async fn eventually_async<T, F, Fut>(probe: F) -> T
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(v) = probe().await {
                return v;
            }
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    #[tokio::test]
    async fn notices_reach_discord_users_through_the_outbox() {
        use redeemdesk::jobs::{ChatMessage, Dispatch, JobKind, JobStatus, NewJob, Worker, WorkerOptions};
        let db = TestDb::sqlite().await;
        let bot = bot(&db.db).await;
        let enqueue = |user: u64, text: &str| {
            let db = db.db.clone();
            let message = ChatMessage {
                channel: Channel::Discord,
                chat_id: user.to_string(),
                text: text.into(),
            };
            async move {
                let mut tx = db.begin_write().await.unwrap();
                tx.chat_user(Channel::Discord, &user.to_string(), Utc::now())
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
        let dispatch = Dispatch::default().chat(Channel::Discord, bot.discord.clone());
        let options = WorkerOptions {
            kinds: dispatch.kinds(),
            poll: Duration::from_millis(20),
            backoff_base: Duration::from_millis(10),
            backoff_max: Duration::from_millis(50),
            ..Default::default()
        };
        let worker = Worker::new(db.db.clone(), Arc::new(dispatch), options);
        let delivered = enqueue(7801, "RDM-1042 **diterima** @everyone").await;
        worker.drain().await.unwrap();
        let sent = bot.bot_messages(FakeDiscord::dm_channel_id(7801));
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0]["content"], "RDM-1042 \\*\\*diterima\\*\\* @\u{200B}everyone");

        bot.fake.fault(
            "POST",
            "/users/@me/channels",
            Fault::Json(
                403,
                json!({"message": "Cannot send messages to this user", "code": 50007}),
            ),
        );
        let refused = enqueue(7802, "halo").await;
        worker.drain().await.unwrap();
        let mut tx = db.db.begin().await.unwrap();
        assert_eq!(tx.job(delivered).await.unwrap().unwrap().status, JobStatus::Done);
        assert_eq!(tx.job(refused).await.unwrap().unwrap().status, JobStatus::Dead);
        let user = tx.chat_user(Channel::Discord, "7802", Utc::now()).await.unwrap();
        assert!(!user.active && !user.subscribed, "{user:?}");
        drop(tx);
        bot.stop().await;
    }
}

/// `redeemdesk serve` with `DISCORD_TOKEN` and `discord.api_url` from the
/// environment: it registers the commands, connects, answers a DM, and stops
/// cleanly on SIGTERM; a token Discord refuses stops it with a clear error.
#[tokio::test]
async fn serve_runs_discord_from_the_environment() {
    let fake = FakeDiscord::start().await;
    let db = support::TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let serve = |token: &str| {
        support::redeemdesk(&db.url, dir.path())
            .env("DISCORD_TOKEN", token)
            .env("REDEEMDESK_DISCORD__API_URL", fake.api_url())
            .env("REDEEMDESK_HTTP__BIND", "127.0.0.1:0")
            .args(["serve", "--demo"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };

    // Waited for off the runtime's thread: the fake must keep answering.
    let refused = serve("not-the-token");
    let refused = tokio::task::spawn_blocking(move || refused.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("discord") && stderr.contains("401"), "{stderr}");

    let mut child = serve(TOKEN);
    fake.wait_ready(WAIT).await;
    assert_eq!(fake.commands().len(), redeemdesk::channels::discord::Slash::ALL.len());
    let user = 1_300_000_000_000_000_077;
    let channel = FakeDiscord::dm_channel_id(user);
    fake.dispatch("MESSAGE_CREATE", fake.dm_message(channel, user, "halo", vec![]))
        .await;
    fake.wait_call(
        |c| c.method == "POST" && c.path == format!("/api/v10/channels/{channel}/messages"),
        WAIT,
    )
    .await;
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success());
}
