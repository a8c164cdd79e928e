//! Discord, through serenity: slash commands (registered with Indonesian
//! localizations), buttons and select menus, free text in DMs, mentions in
//! servers, and attachments, translated to and from the assistant. The gateway
//! needs no privileged intent: DMs and messages that mention the bot carry
//! their content anyway. The adapter decides nothing; it escapes, splits,
//! retries and reports. The staff channel (claims, escalations and the staff
//! commands there) is the staff's side and never reaches the assistant.

mod broadcast;
mod commands;
mod escalation;
mod files;
mod marketing;
pub mod render;
mod staff;

pub use commands::Slash;
pub use render::{MAX_MESSAGE, Outgoing, TOPIC_SELECT, escape, messages, no_mentions};
pub use staff::{DiscordStaffChannel, StaffConfig};

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serenity::all::{
    ApplicationId, ChannelId, Command, CommandInteraction, ComponentInteraction, ComponentInteractionDataKind, Context,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateMessage,
    EditInteractionResponse, EventHandler, GatewayIntents, Http, HttpBuilder, HttpError, Interaction, InteractionId,
    Message, MessageReference, Ready, RoleId, UserId,
};
use serenity::builder::Builder;
use tokio::sync::watch;

use crate::assistant::{Assistant, Content, Inbound, Outcome, Rendered};
use crate::blobs::BlobStore;
use crate::domain::{Channel, Locale};
use crate::i18n::Localizer;
use crate::store::Db;

/// Attempts per REST call before giving up on it (and logging it as lost).
pub const MAX_SEND_ATTEMPTS: u32 = 6;
/// What the bot listens to. None is privileged: no Message Content, members or
/// presences. DMs and messages that mention the bot carry their text anyway.
pub const INTENTS: GatewayIntents = GatewayIntents::GUILD_MESSAGES.union(GatewayIntents::DIRECT_MESSAGES);
/// What the bot needs in a server channel: view it, send messages and read the
/// history (to reply to a mention), embed links and attach files; in the staff
/// channel also create public threads (one per escalation) and send messages
/// in threads (the customer's follow-ups).
pub const PERMISSIONS: u64 = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 35) | (1 << 38);
/// One user's events are handled in order; different users' at once. Users
/// are spread over this many queues.
const QUEUES: usize = 64;
/// Discord's error codes the adapter acts on.
const CANNOT_MESSAGE_USER: isize = 50007;
const ALREADY_ACKNOWLEDGED: isize = 40060;
const UNKNOWN_USER: isize = 10013;

#[derive(Debug, Clone)]
pub struct Options {
    /// Another REST base that also serves `GET /api/v10/gateway` (a proxy, or
    /// a test's fake). With it, serenity's own rate limiter is off (it would
    /// bypass the proxy) and this adapter's retries handle 429s.
    pub api_url: Option<String>,
    /// Where files customers send are kept.
    pub blobs: BlobStore,
    /// For the emails the assistant sends (account-link codes).
    pub mail: crate::mail::outbox::MailSettings,
    /// Reads re-uploaded invoices before they go to review (off by default;
    /// `serve` sets it from `[precheck]`).
    pub precheck: crate::precheck::PreCheck,
    /// Discord waits 3 seconds for an interaction's answer; an answer not
    /// ready by then is deferred ("thinking…") and sent when it is.
    pub defer_after: Duration,
    /// First wait between retries; doubles each time.
    pub backoff_base: Duration,
    pub http_timeout: Duration,
    /// The staff channel and role, when staff work on Discord.
    pub staff: Option<StaffConfig>,
    /// Working hours and the promised wait, for customers who ask for a person.
    pub escalations: crate::staff::EscalationSettings,
    /// Members with this role may start broadcasts with `/broadcast`, a
    /// command of the staff channel's server (so it needs `staff` too).
    pub marketing_role: Option<RoleId>,
    /// Where every broadcast is also posted publicly (what
    /// `app::announcement_targets` gives), for the campaigns `/broadcast` makes.
    pub announcements: Vec<(Channel, String)>,
    /// The gateway shards this process runs; `None`: the one shard of an
    /// unsharded bot (`discord.shard_count` and `discord.shards` unset).
    pub shards: Option<ShardRange>,
}

/// Gateway shards `first..=last` of `total`: the part of a sharded bot one
/// replica runs. Discord sends each server's events to shard
/// `(guild_id >> 22) % total`, and DMs to shard 0 only, so the replicas
/// together must run every shard exactly once, each with the same `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardRange {
    pub first: u32,
    pub last: u32,
    pub total: u32,
}

impl ShardRange {
    /// From `discord.shards` (`"FIRST-LAST"` or `"N"`) and
    /// `discord.shard_count`: `None` when both are unset; all shards when only
    /// the count is set; an error naming the keys when the range is not
    /// inside `0..shard_count`.
    pub fn from_config(shards: Option<&str>, count: Option<u32>) -> Result<Option<Self>, String> {
        let total = match (shards, count) {
            (None, None) => return Ok(None),
            (Some(s), None) => {
                return Err(format!(
                    "discord.shards = {s:?} needs discord.shard_count, the number of shards over all replicas"
                ));
            }
            (_, Some(0)) => return Err("discord.shard_count must be at least 1".into()),
            (_, Some(n)) => n,
        };
        let Some(spec) = shards else {
            return Ok(Some(Self {
                first: 0,
                last: total - 1,
                total,
            }));
        };
        let number = |s: &str| {
            s.trim()
                .parse::<u32>()
                .map_err(|_| format!("discord.shards = {spec:?} is not a shard range like \"0-1\" or \"3\""))
        };
        let (first, last) = match spec.split_once('-') {
            Some((a, b)) => (number(a)?, number(b)?),
            None => {
                let n = number(spec)?;
                (n, n)
            }
        };
        if first > last {
            return Err(format!("discord.shards = {spec:?} runs backwards"));
        }
        if last >= total {
            return Err(format!(
                "discord.shards = {spec:?} is outside 0-{} (discord.shard_count = {total})",
                total - 1
            ));
        }
        Ok(Some(Self { first, last, total }))
    }
}

impl std::fmt::Display for ShardRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{} of {}", self.first, self.last, self.total)
    }
}

impl Options {
    pub fn new(blobs: BlobStore) -> Self {
        Self {
            api_url: None,
            blobs,
            mail: Default::default(),
            precheck: crate::precheck::PreCheck::off(),
            defer_after: Duration::from_millis(2000),
            backoff_base: Duration::from_millis(500),
            http_timeout: Duration::from_secs(30),
            staff: None,
            escalations: Default::default(),
            marketing_role: None,
            announcements: Vec::new(),
            shards: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DiscordError {
    #[error("discord.api_url {0:?} is not a URL")]
    BadUrl(String),
    #[error("Discord: {0}")]
    Api(#[from] serenity::Error),
    #[error("discord.staff_channel_id {0} is not a channel in a server")]
    NotInAServer(u64),
}

pub struct Discord {
    token: SecretString,
    http: Arc<Http>,
    options: Options,
    assistant: Assistant,
    db: Db,
    files: files::Files,
    bot: UserId,
    application: ApplicationId,
    localizer: &'static Localizer,
    queues: Vec<tokio::sync::Mutex<()>>,
    /// Whether the gateway session is up (for readiness checks).
    connected: watch::Sender<bool>,
}

/// Where the answer to an event goes.
enum Target<'a> {
    /// A message in a channel: a reply to `reply_to` when in a server.
    Channel {
        channel: ChannelId,
        reply_to: Option<&'a Message>,
    },
    /// An interaction's response and follow-ups.
    Interaction(Responder<'a>),
}

struct Responder<'a> {
    id: InteractionId,
    token: &'a str,
    channel: ChannelId,
    /// Only the user sees the answer (in a server).
    ephemeral: bool,
    /// A button press on a message that may be replaced by the answer.
    may_update: bool,
    /// A component press, which may be acknowledged without a message.
    component: bool,
}

/// Why a REST call did not succeed.
#[derive(Debug, PartialEq, Eq)]
enum Failure {
    /// The user does not accept messages from the bot (50007).
    Blocked,
    /// Refused for good (a 4xx other than 429), or still failing after retries.
    Lost,
}

/// A [`Failure`] with what Discord (or the network) said, for the record.
#[derive(Debug)]
struct Refused {
    failure: Failure,
    /// The HTTP status Discord answered with, if it answered.
    status: Option<u16>,
    /// Discord's status, message and code, or the network error.
    reason: String,
}

impl Refused {
    fn new(failure: Failure, error: &serenity::Error) -> Self {
        match error {
            serenity::Error::Http(HttpError::UnsuccessfulRequest(e)) => Self {
                failure,
                status: Some(e.status_code.as_u16()),
                reason: format!("{} {} (code {})", e.status_code.as_u16(), e.error.message, e.error.code),
            },
            other => Self {
                failure,
                status: None,
                reason: other.to_string(),
            },
        }
    }

    /// In a DM, a 403 (DMs closed, no mutual server left, the bot blocked) and
    /// an unknown user (10013: the account is gone) are the user's doing too.
    fn on_dm(mut self) -> Self {
        if self.status == Some(403) || self.reason.ends_with(&format!("(code {UNKNOWN_USER})")) {
            self.failure = Failure::Blocked;
        }
        self
    }
}

impl Discord {
    /// Checks the token (who am I, which application) and prepares the REST
    /// client; the gateway connects in [`Discord::run`].
    pub async fn connect(token: SecretString, db: Db, options: Options) -> Result<Self, DiscordError> {
        let api_origin = match &options.api_url {
            Some(url) => Some(reqwest::Url::parse(url).map_err(|_| DiscordError::BadUrl(url.clone()))?),
            None => None,
        };
        let http = Arc::new(build_http(&token, &options));
        let me = http.get_current_user().await?;
        let app = http.get_current_application_info().await?;
        http.set_application_id(app.id);
        let files = files::Files::new(api_origin, options.http_timeout, options.backoff_base);
        Ok(Self {
            token,
            http,
            assistant: Assistant::new(db.clone())
                .with_mail(options.mail.clone())
                .with_blobs(options.blobs.clone())
                .with_precheck(options.precheck.clone())
                .with_escalations(options.escalations.clone()),
            options,
            db,
            files,
            bot: me.id,
            application: app.id,
            localizer: Localizer::builtin(),
            queues: (0..QUEUES).map(|_| tokio::sync::Mutex::new(())).collect(),
            connected: watch::channel(false).0,
        })
    }

    pub fn bot_id(&self) -> UserId {
        self.bot
    }

    /// The URL that adds the bot to a server with the permissions it needs.
    pub fn invite_url(&self) -> String {
        format!(
            "https://discord.com/oauth2/authorize?client_id={}&scope=bot+applications.commands&permissions={PERMISSIONS}",
            self.application
        )
    }

    /// Whether the gateway session is up.
    pub fn is_connected(&self) -> bool {
        *self.connected.borrow()
    }

    /// Registers the slash commands globally, replacing what was there, and
    /// the staff commands in the staff channel's server. Customers must not
    /// lose the bot over the staff's setup, so a failure there is logged, not
    /// returned.
    pub async fn register_commands(&self) -> Result<(), DiscordError> {
        let commands = Slash::ALL.iter().map(|s| s.create(self.localizer)).collect();
        Command::set_global_commands(&self.http, commands).await?;
        if let Err(e) = self.register_staff_commands().await {
            tracing::error!(error = %e, "discord staff commands (/reply, /close) not registered");
        }
        Ok(())
    }

    /// Connects to the gateway and handles events until `shutdown` turns
    /// true; serenity reconnects and resumes by itself after a drop. Runs the
    /// shards of `Options::shards`, or the one shard of an unsharded bot.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let http = build_http(&self.token, &self.options);
        let client = serenity::all::ClientBuilder::new_with_http(http, INTENTS).event_handler(Handler(self.clone()));
        let mut client = match client.await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "discord client could not be built");
                return;
            }
        };
        let shards = client.shard_manager.clone();
        let range = self.options.shards;
        let mut running = tokio::spawn(async move {
            match range {
                // serenity's range is inclusive of its end.
                Some(r) => {
                    tracing::info!(shards = %r, "discord gateway: starting shards");
                    client.start_shard_range(r.first..r.last, r.total).await
                }
                None => client.start().await,
            }
        });
        tokio::select! {
            result = &mut running => {
                match result {
                    Ok(Ok(())) => tracing::info!("discord gateway ended"),
                    Ok(Err(e)) => tracing::error!(error = %e, "discord gateway failed"),
                    Err(e) => tracing::error!(error = %e, "discord gateway task failed"),
                }
            }
            () = async { let _ = shutdown.wait_for(|s| *s).await; } => {
                shards.shutdown_all().await;
                let _ = running.await;
            }
        }
        self.connected.send_replace(false);
        tracing::info!("discord stopped");
    }

    fn queue(&self, user: UserId) -> &tokio::sync::Mutex<()> {
        &self.queues[(user.get() % QUEUES as u64) as usize]
    }

    /// A message: in a DM, its text and files; in a server, only when it
    /// mentions the bot (the mention removed), and never its files.
    pub async fn on_message(&self, msg: &Message) {
        if msg.author.bot || msg.author.id == self.bot {
            return;
        }
        let public = msg.guild_id.is_some();
        let mut contents = Vec::new();
        if public {
            if !msg.mentions_user_id(self.bot) {
                return;
            }
            contents.push(Content::Text(self.without_mention(&msg.content)));
        } else {
            if !msg.content.trim().is_empty() {
                contents.push(Content::Text(msg.content.clone()));
            }
            for attachment in &msg.attachments {
                contents.push(Content::Attachment {
                    filename: attachment.filename.clone(),
                    content_type: attachment
                        .content_type
                        .clone()
                        .unwrap_or_else(|| "application/octet-stream".into()),
                    bytes: u64::from(attachment.size),
                    stored: self.files.fetch(attachment, &self.options.blobs).await,
                });
            }
        }
        let _turn = self.queue(msg.author.id).lock().await;
        for (n, content) in contents.into_iter().enumerate() {
            let inbound = Inbound {
                channel: Channel::Discord,
                user: msg.author.id.to_string(),
                content,
                lang_hint: None,
                event_id: Some(format!("m{}:{n}", msg.id)),
                public,
            };
            let outcome = self.think(&inbound).await;
            let target = Target::Channel {
                channel: msg.channel_id,
                reply_to: public.then_some(msg),
            };
            if self.answer(target, &outcome, msg.author.id).await == Err(Failure::Blocked) {
                return;
            }
        }
    }

    fn without_mention(&self, text: &str) -> String {
        text.replace(&format!("<@{}>", self.bot), " ")
            .replace(&format!("<@!{}>", self.bot), " ")
            .trim()
            .to_owned()
    }

    pub async fn on_interaction(&self, interaction: &Interaction) {
        match interaction {
            Interaction::Command(command) => self.on_command(command).await,
            Interaction::Component(component) => self.on_component(component).await,
            Interaction::Modal(modal) if modal.data.custom_id.starts_with(staff::PREFIX) => match self.options.staff {
                Some(staff) => self.on_staff_modal(staff, modal).await,
                None => tracing::warn!("a staff form submitted, but no staff channel is configured"),
            },
            _ => {}
        }
    }

    async fn on_command(&self, command: &CommandInteraction) {
        // Staff commands are matched before anything else: an agent's words
        // are for the customer, never for the assistant.
        if escalation::is_staff_command(&command.data.name) {
            return self.on_staff_command(command).await;
        }
        if command.data.name == marketing::BROADCAST {
            return self.on_broadcast_command(command).await;
        }
        let slash = Slash::parse(&command.data.name, self.localizer);
        let action = match slash {
            Some(slash) => slash.action(&command.data.options, self.localizer),
            None => crate::assistant::Action::UnknownCommand(format!(
                "/{}",
                command.data.name.chars().take(32).collect::<String>()
            )),
        };
        let inbound = Inbound {
            channel: Channel::Discord,
            user: command.user.id.to_string(),
            content: Content::Command(action),
            lang_hint: Some(command.locale.clone()),
            event_id: Some(format!("i{}", command.id)),
            public: false,
        };
        let responder = Responder {
            id: command.id,
            token: &command.token,
            channel: command.channel_id,
            ephemeral: command.guild_id.is_some() && slash.is_none_or(Slash::is_personal),
            may_update: false,
            component: false,
        };
        self.interact(&inbound, responder, command.user.id).await;
    }

    async fn on_component(&self, component: &ComponentInteraction) {
        if component.data.custom_id.starts_with(marketing::PREFIX) {
            return self.on_broadcast_button(component).await;
        }
        if component.data.custom_id.starts_with(staff::PREFIX) {
            match self.options.staff {
                Some(staff) => self.on_staff(staff, component).await,
                None => tracing::warn!("a staff button pressed, but no staff channel is configured"),
            }
            return;
        }
        let data = match &component.data.kind {
            ComponentInteractionDataKind::Button => component.data.custom_id.clone(),
            ComponentInteractionDataKind::StringSelect { values } if component.data.custom_id == TOPIC_SELECT => {
                values.first().cloned().unwrap_or_default()
            }
            _ => String::new(),
        };
        let in_server = component.guild_id.is_some();
        let inbound = Inbound {
            channel: Channel::Discord,
            user: component.user.id.to_string(),
            content: Content::Button(data),
            lang_hint: Some(component.locale.clone()),
            event_id: Some(format!("i{}", component.id)),
            public: false,
        };
        let responder = Responder {
            id: component.id,
            token: &component.token,
            channel: component.channel_id,
            ephemeral: in_server,
            // In a server the message may be someone else's: answer apart.
            may_update: !in_server || component.message.flags.is_some_and(|f| f.contains(ephemeral_flag())),
            component: true,
        };
        self.interact(&inbound, responder, component.user.id).await;
    }

    /// Answers an interaction within Discord's window: at once when the
    /// assistant is quick, else deferred first and completed when it is done.
    async fn interact(&self, inbound: &Inbound, responder: Responder<'_>, user: UserId) {
        let _turn = self.queue(user).lock().await;
        let work = self.think(inbound);
        tokio::pin!(work);
        let outcome = tokio::select! {
            outcome = &mut work => outcome,
            () = tokio::time::sleep(self.options.defer_after) => {
                let defer = CreateInteractionResponse::Defer(
                    CreateInteractionResponseMessage::new().ephemeral(responder.ephemeral),
                );
                let deferred = self.respond(&responder, defer).await;
                let outcome = work.await;
                if deferred.is_ok() {
                    self.complete_deferred(&responder, &outcome, user).await;
                    return;
                }
                outcome
            }
        };
        let _ = self.answer(Target::Interaction(responder), &outcome, user).await;
    }

    /// The assistant's answer, or an apology when it failed.
    async fn think(&self, inbound: &Inbound) -> Outcome {
        match self.assistant.handle(inbound, Utc::now()).await {
            Ok(o) => o,
            Err(e) => {
                tracing::error!(error = %e, "assistant failed on a Discord event");
                Outcome {
                    locale: Locale::Id,
                    replies: vec![crate::assistant::Reply::text(crate::i18n::messages::ERROR_INTERNAL)],
                    settles_prompt: false,
                }
            }
        }
    }

    fn parts(&self, outcome: &Outcome) -> Vec<Outgoing> {
        let placeholder = self.localizer.render(
            outcome.locale,
            &crate::i18n::Msg::new(crate::i18n::messages::DC_TOPIC_PLACEHOLDER),
        );
        outcome
            .render(self.localizer)
            .iter()
            .flat_map(|r: &Rendered| messages(r, &placeholder))
            .collect()
    }

    /// Sends an outcome to its target, part after part.
    async fn answer(&self, target: Target<'_>, outcome: &Outcome, user: UserId) -> Result<(), Failure> {
        let parts = self.parts(outcome);
        let result = match target {
            Target::Channel { channel, reply_to } => {
                let mut result = Ok(());
                for (i, part) in parts.iter().enumerate() {
                    let mut message = CreateMessage::new()
                        .content(part.content.clone())
                        .components(part.components.clone())
                        .allowed_mentions(no_mentions());
                    if let (0, Some(original)) = (i, reply_to) {
                        message = message.reference_message(MessageReference::from(original));
                    }
                    result = self.send(channel, message).await.map(drop);
                    if result.is_err() {
                        break;
                    }
                }
                result
            }
            Target::Interaction(responder) => {
                let Some((first, rest)) = parts.split_first() else {
                    if responder.component {
                        let _ = self.respond(&responder, CreateInteractionResponse::Acknowledge).await;
                    }
                    return Ok(());
                };
                let body = CreateInteractionResponseMessage::new()
                    .content(first.content.clone())
                    .components(first.components.clone())
                    .allowed_mentions(no_mentions())
                    .ephemeral(responder.ephemeral);
                let response = if responder.may_update && outcome.settles_prompt && rest.is_empty() {
                    CreateInteractionResponse::UpdateMessage(body)
                } else {
                    CreateInteractionResponse::Message(body)
                };
                match self.respond(&responder, response).await {
                    Ok(()) => self.follow_up(&responder, rest).await,
                    // Too late or refused: in a DM the answer can still be said.
                    Err(Failure::Lost) if !responder.ephemeral => {
                        let target = Target::Channel {
                            channel: responder.channel,
                            reply_to: None,
                        };
                        return Box::pin(self.answer(target, outcome, user)).await;
                    }
                    Err(f) => Err(f),
                }
            }
        };
        match &result {
            Err(Failure::Blocked) => self.mark_blocked(user).await,
            Err(Failure::Lost) => tracing::error!("discord reply lost after retries"),
            Ok(()) => {}
        }
        result
    }

    /// After a deferral: the first part into the "thinking…" message, the rest
    /// as follow-ups.
    async fn complete_deferred(&self, responder: &Responder<'_>, outcome: &Outcome, user: UserId) {
        let parts = self.parts(outcome);
        let result = match parts.split_first() {
            None => self
                .retrying(|| async {
                    self.http
                        .delete_original_interaction_response(responder.token)
                        .await
                        .map(drop)
                })
                .await
                .map(drop),
            Some((first, rest)) => {
                let edit = EditInteractionResponse::new()
                    .content(first.content.clone())
                    .components(first.components.clone())
                    .allowed_mentions(no_mentions());
                match self
                    .retrying(|| edit.clone().execute(&self.http, responder.token))
                    .await
                {
                    Ok(_) => self.follow_up(responder, rest).await,
                    Err(f) => Err(f),
                }
            }
        };
        match result {
            Err(Failure::Blocked) => self.mark_blocked(user).await,
            Err(Failure::Lost) => tracing::error!("discord deferred reply lost after retries"),
            Ok(()) => {}
        }
    }

    async fn follow_up(&self, responder: &Responder<'_>, parts: &[Outgoing]) -> Result<(), Failure> {
        for part in parts {
            let message = CreateInteractionResponseFollowup::new()
                .content(part.content.clone())
                .components(part.components.clone())
                .allowed_mentions(no_mentions())
                .ephemeral(responder.ephemeral);
            self.retrying(|| message.clone().execute(&self.http, (None, responder.token)))
                .await?;
        }
        Ok(())
    }

    /// The interaction's first response. Answered once only: a retry after a
    /// lost reply that Discord did get finds it acknowledged, which is success.
    async fn respond(&self, responder: &Responder<'_>, response: CreateInteractionResponse) -> Result<(), Failure> {
        self.retrying(|| async {
            match response
                .clone()
                .execute(&self.http, (responder.id, responder.token))
                .await
            {
                Err(serenity::Error::Http(HttpError::UnsuccessfulRequest(e)))
                    if e.error.code == ALREADY_ACKNOWLEDGED =>
                {
                    Ok(())
                }
                other => other,
            }
        })
        .await
    }

    async fn send(&self, channel: ChannelId, message: CreateMessage) -> Result<Message, Failure> {
        self.retrying(|| message.clone().execute(&self.http, (channel, None)))
            .await
    }

    /// Runs `call` until it succeeds, is refused for good, or runs out of
    /// attempts. 429s and 5xx and network errors are retried with backoff:
    /// with serenity's rate limiter on, it has waited out a 429 already; behind
    /// a proxy, its body tells no wait that serenity keeps, so ours applies.
    async fn retrying<T, F, Fut>(&self, call: F) -> Result<T, Failure>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = serenity::Result<T>>,
    {
        self.retrying_why(call).await.map_err(|r| r.failure)
    }

    /// [`Self::retrying`], telling what Discord (or the network) said last.
    async fn retrying_why<T, F, Fut>(&self, call: F) -> Result<T, Refused>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = serenity::Result<T>>,
    {
        let mut last = None;
        for attempt in 1..=MAX_SEND_ATTEMPTS {
            let error = match call().await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            match &error {
                serenity::Error::Http(HttpError::UnsuccessfulRequest(e)) if e.error.code == CANNOT_MESSAGE_USER => {
                    return Err(Refused::new(Failure::Blocked, &error));
                }
                serenity::Error::Http(HttpError::UnsuccessfulRequest(e))
                    if e.status_code.as_u16() == 429 || e.status_code.is_server_error() =>
                {
                    tracing::warn!(
                        status = e.status_code.as_u16(),
                        attempt,
                        "discord call failed; retrying"
                    );
                }
                serenity::Error::Http(HttpError::Request(e)) => {
                    tracing::warn!(error = %e, attempt, "discord call failed; retrying");
                }
                other => {
                    tracing::error!(error = %other, "discord refused a call");
                    return Err(Refused::new(Failure::Lost, &error));
                }
            }
            last = Some(Refused::new(Failure::Lost, &error));
            if attempt < MAX_SEND_ATTEMPTS {
                tokio::time::sleep(crate::retry::backoff(
                    self.options.backoff_base,
                    attempt + 1,
                    Duration::from_secs(60),
                ))
                .await;
            }
        }
        Err(last.unwrap_or(Refused {
            failure: Failure::Lost,
            status: None,
            reason: "no attempt was made".into(),
        }))
    }

    /// Sends `text` to `channel` as plain messages: escaped, split under the
    /// limit, each part with the adapter's retries.
    async fn send_text(&self, channel: ChannelId, text: &str) -> Result<(), Refused> {
        let rendered = Rendered {
            text: text.to_owned(),
            buttons: Vec::new(),
        };
        for part in messages(&rendered, "") {
            let create = CreateMessage::new()
                .content(part.content)
                .allowed_mentions(no_mentions());
            self.retrying_why(|| create.clone().execute(&self.http, (channel, None)))
                .await?;
        }
        Ok(())
    }

    /// Opens `user`'s DM channel and sends `text` there ([`Self::send_text`]).
    /// Marks nobody: what a refusal means is the caller's to decide.
    async fn send_dm(&self, user: UserId, text: &str) -> Result<(), Refused> {
        let dm = self
            .retrying_why(|| user.create_dm_channel(&self.http))
            .await
            .map_err(|r| r.on_dm())?;
        self.send_text(dm.id, text).await.map_err(Refused::on_dm)
    }

    /// A user who closed their DMs to the bot: inactive and unsubscribed, so
    /// notices and broadcasts stop trying.
    async fn mark_blocked(&self, user: UserId) {
        let result = async {
            let mut tx = self.db.begin_write().await?;
            tx.deactivate_chat_user(Channel::Discord, &user.to_string(), Utc::now())
                .await?;
            tx.commit().await
        }
        .await;
        match result {
            Ok(()) => tracing::info!("discord user does not accept DMs: marked inactive and unsubscribed"),
            Err(e) => tracing::error!(error = %e, "could not mark a discord user who refuses DMs"),
        }
    }
}

fn ephemeral_flag() -> serenity::all::MessageFlags {
    serenity::all::MessageFlags::EPHEMERAL
}

fn build_http(token: &SecretString, options: &Options) -> Http {
    let mut builder = HttpBuilder::new(token.expose_secret()).default_allowed_mentions(no_mentions());
    if let Some(url) = &options.api_url {
        // serenity's rate limiter builds its requests without the proxy.
        builder = builder.proxy(url.trim_end_matches('/')).ratelimiter_disabled(true);
    }
    builder = builder.client(
        reqwest::Client::builder()
            .timeout(options.http_timeout)
            .build()
            .expect("a plain reqwest client builds"),
    );
    builder.build()
}

struct Handler(Arc<Discord>);

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        self.0.connected.send_replace(true);
        // `id/total`: with several shards (here or on other replicas), one line each.
        let shard = ready
            .shard
            .map(|s| format!("{}/{}", s.id.0, s.total))
            .unwrap_or_default();
        tracing::info!(bot = %ready.user.name, servers = ready.guilds.len(), shard, "discord is connected");
    }

    async fn message(&self, _ctx: Context, msg: Message) {
        self.0.on_message(&msg).await;
    }

    async fn interaction_create(&self, _ctx: Context, interaction: Interaction) {
        self.0.on_interaction(&interaction).await;
    }
}

/// The outbox's performer for chat messages to Discord users (a notice that an
/// emailed invoice was received, and later broadcasts): the user's DM channel
/// is opened and the message sent with the adapter's retries; a user who does
/// not accept DMs is marked inactive and the job ends for good.
impl crate::jobs::Performer for Discord {
    fn perform<'a>(
        &'a self,
        job: &'a crate::jobs::ClaimedJob,
    ) -> futures::future::BoxFuture<'a, Result<(), crate::jobs::JobError>> {
        use crate::jobs::{ChatMessage, JobError};
        Box::pin(async move {
            let message: ChatMessage = serde_json::from_value(job.payload.clone())
                .map_err(|e| JobError::Permanent(format!("not a chat message: {e}")))?;
            if message.channel != Channel::Discord {
                return Err(JobError::Permanent(format!("{} is not Discord", message.channel)));
            }
            let user = message
                .chat_id
                .parse::<u64>()
                .ok()
                .filter(|id| *id != 0)
                .map(UserId::new)
                .ok_or_else(|| JobError::Permanent(format!("bad Discord user id {:?}", message.chat_id)))?;
            match self.send_dm(user, &message.text).await {
                Ok(()) => Ok(()),
                Err(r) if r.failure == Failure::Blocked => {
                    self.mark_blocked(user).await;
                    Err(JobError::Permanent("the user does not accept DMs from the bot".into()))
                }
                Err(r) => Err(JobError::Transient(format!(
                    "Discord did not take the message: {}",
                    r.reason
                ))),
            }
        })
    }
}
