//! Telegram, through teloxide: long polling or a webhook, commands, inline
//! keyboards, callback queries and attachments, translated to and from the
//! assistant. The adapter decides nothing; it escapes, splits, retries and
//! reports. Updates from the staff group go to `staff` instead, never to the
//! assistant.

mod broadcast;
mod files;
pub mod render;
mod staff;
mod webhook;

pub use render::{MAX_MESSAGE, Outgoing, messages, split};
pub use staff::TelegramStaffChannel;
pub use webhook::{SECRET_HEADER, WEBHOOK_PATH, default_secret};

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, ChatId, MessageId, ParseMode, UpdateKind};
use tokio::sync::watch;

use crate::assistant::{Assistant, Content, Inbound, Outcome};
use crate::blobs::BlobStore;
use crate::domain::{Channel, Locale};
use crate::i18n::Localizer;
use crate::store::Db;

/// Attempts per outgoing message before giving up on it (and logging it as lost).
pub const MAX_SEND_ATTEMPTS: u32 = 6;
/// Seconds getUpdates waits on the server for new updates.
pub const POLL_TIMEOUT_SECS: u32 = 10;

pub struct Telegram {
    bot: Bot,
    limiter: Limiter,
    limits: Limits,
    assistant: Arc<Assistant>,
    db: Db,
    blobs: BlobStore,
    username: String,
    backoff_base: Duration,
    /// The staff group (`telegram.staff_chat_id`), whose updates go to `staff`.
    staff_chat: Option<ChatId>,
    /// For the emails a decision from the staff group sends.
    mail: crate::mail::outbox::MailSettings,
    /// Who may prepare and confirm broadcasts in the staff group.
    marketing_users: Vec<i64>,
    /// Where a broadcast confirmed in the staff group is also posted publicly.
    announcements: Vec<(Channel, String)>,
}

/// How to reach the Bot API and how fast to talk to it.
#[derive(Debug, Clone)]
pub struct Options {
    /// Another Bot API server (self-hosted, or a test's fake).
    pub api_url: Option<String>,
    pub limits: Limits,
    /// Must exceed the long-poll wait ([`POLL_TIMEOUT_SECS`]).
    pub http_timeout: Duration,
    /// Where photos and documents customers send are kept.
    pub blobs: BlobStore,
    /// For the emails the assistant sends (account-link codes).
    pub mail: crate::mail::outbox::MailSettings,
    /// Reads re-uploaded invoices before they go to review (off by default;
    /// `serve` sets it from `[precheck]`).
    pub precheck: crate::precheck::PreCheck,
    /// Working hours and the promised wait, for customers who ask for a person.
    pub escalations: crate::staff::EscalationSettings,
    /// The staff group's chat id (`telegram.staff_chat_id`): claims and
    /// escalations are posted there, and its updates are staff work.
    pub staff_chat: Option<i64>,
    /// Telegram user ids allowed to `/broadcast` in the staff group and to
    /// confirm or cancel its drafts (`telegram.marketing_user_ids`).
    pub marketing_users: Vec<i64>,
    /// Where every broadcast is also posted publicly (`app::announcement_targets`),
    /// for campaigns confirmed from the staff group.
    pub announcements: Vec<(Channel, String)>,
}

impl Options {
    /// Telegram's published limits and a timeout above the long-poll wait.
    pub fn new(blobs: BlobStore) -> Self {
        Self {
            api_url: None,
            limits: Limits::default(),
            http_timeout: Duration::from_secs(u64::from(POLL_TIMEOUT_SECS) + 10),
            blobs,
            mail: Default::default(),
            precheck: crate::precheck::PreCheck::off(),
            escalations: Default::default(),
            staff_chat: None,
            marketing_users: Vec::new(),
            announcements: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    #[error("telegram.api_url {0:?} is not a URL")]
    BadUrl(String),
    #[error("Telegram: {0}")]
    Request(#[from] RequestError),
}

/// Sending rates to stay within. Telegram publishes about 1 message per second
/// per chat and 30 per second overall; paid broadcasts, a self-hosted Bot API
/// server or a test may allow more (`telegram.messages_per_second`,
/// `telegram.messages_per_chat_per_second`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_chat_per_sec: u32,
    pub overall_per_sec: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_chat_per_sec: 1,
            overall_per_sec: 30,
        }
    }
}

/// Waits before each send until both the chat's and the global budget allow
/// it. Sends are spaced evenly (no burst): a burst of a second's worth at the
/// start, then the steady rate, is more than the limit in the first second,
/// which Telegram answers with 429s.
struct Limiter {
    overall: governor::DefaultDirectRateLimiter,
    per_chat: governor::DefaultKeyedRateLimiter<i64>,
}

impl Limiter {
    fn new(limits: Limits) -> Self {
        let quota = |n: u32| {
            let period = std::time::Duration::from_secs(1) / n.max(1);
            governor::Quota::with_period(period)
                .expect("a positive period")
                .allow_burst(std::num::NonZeroU32::MIN)
        };
        Self {
            overall: governor::RateLimiter::direct(quota(limits.overall_per_sec)),
            per_chat: governor::RateLimiter::keyed(quota(limits.per_chat_per_sec)),
        }
    }

    async fn wait(&self, chat: ChatId) {
        self.per_chat.until_key_ready(&chat.0).await;
        self.overall.until_ready().await;
    }
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SendOutcome {
    Sent,
    /// The user blocked the bot or deleted their account.
    Blocked,
    Failed,
}

impl Telegram {
    /// Connects (getMe) and learns the bot's username (for group mentions).
    pub async fn connect(token: &str, db: Db, options: Options) -> Result<Self, TelegramError> {
        let client = teloxide::net::default_reqwest_settings()
            .timeout(options.http_timeout)
            .build()
            .map_err(|e| TelegramError::Request(RequestError::Network(std::sync::Arc::new(e))))?;
        let mut bot = Bot::with_client(token, client);
        if let Some(url) = &options.api_url {
            let url = reqwest::Url::parse(url).map_err(|_| TelegramError::BadUrl(url.to_owned()))?;
            bot = bot.set_api_url(url);
        }
        let me = bot.get_me().await?;
        let username = me.username.clone().unwrap_or_default();
        Ok(Self {
            bot,
            limiter: Limiter::new(options.limits),
            limits: options.limits,
            assistant: Arc::new(
                Assistant::new(db.clone())
                    .with_mail(options.mail.clone())
                    .with_blobs(options.blobs.clone())
                    .with_precheck(options.precheck.clone())
                    .with_escalations(options.escalations),
            ),
            db,
            blobs: options.blobs,
            username,
            backoff_base: Duration::from_millis(500),
            staff_chat: options.staff_chat.filter(|id| *id != 0).map(ChatId),
            mail: options.mail,
            marketing_users: options.marketing_users,
            announcements: options.announcements,
        })
    }

    /// Shorter waits between retries (tests).
    pub fn with_backoff(mut self, base: Duration) -> Self {
        self.backoff_base = base;
        self
    }

    pub fn username(&self) -> &str {
        &self.username
    }

    /// Polling mode: no webhook, and the command menu in both languages.
    pub async fn setup(&self) -> Result<(), TelegramError> {
        self.bot.delete_webhook().await?;
        self.set_commands().await
    }

    /// Webhook mode: Telegram posts updates to `url` with `secret` in the
    /// [`SECRET_HEADER`] header; and the command menu in both languages.
    pub async fn setup_webhook(&self, url: &str, secret: &str) -> Result<(), TelegramError> {
        let url = reqwest::Url::parse(url).map_err(|_| TelegramError::BadUrl(url.to_owned()))?;
        self.bot.set_webhook(url).secret_token(secret.to_owned()).await?;
        self.set_commands().await
    }

    async fn set_commands(&self) -> Result<(), TelegramError> {
        let localizer = Localizer::builtin();
        let commands = |locale: Locale| -> Vec<BotCommand> {
            crate::i18n::messages::COMMANDS
                .iter()
                .map(|(cmd, def)| BotCommand::new(*cmd, localizer.render(locale, &crate::i18n::Msg::new(*def))))
                .collect()
        };
        self.bot.set_my_commands(commands(Locale::En)).await?;
        self.bot
            .set_my_commands(commands(Locale::Id))
            .language_code("id")
            .await?;
        Ok(())
    }

    /// Long polling until `shutdown` turns true. Each update is handled to the
    /// end (replies sent) before the next offset is requested, so an update is
    /// acknowledged only after it was answered.
    pub async fn run_polling(&self, mut shutdown: watch::Receiver<bool>) {
        let mut offset: i32 = 0;
        let mut failures: u32 = 0;
        loop {
            if *shutdown.borrow() {
                break;
            }
            let request = self.bot.get_updates().offset(offset).timeout(POLL_TIMEOUT_SECS);
            let updates = tokio::select! {
                r = request.send() => r,
                _ = shutdown.changed() => break,
            };
            match updates {
                Ok(updates) => {
                    failures = 0;
                    if let Some(last) = updates.iter().map(|u| u.id.0 as i32).max() {
                        offset = offset.max(last + 1);
                    }
                    self.handle_batch(updates).await;
                }
                Err(e) => {
                    failures += 1;
                    let wait = match &e {
                        RequestError::RetryAfter(s) => s.duration(),
                        _ => self.backoff(failures),
                    };
                    tracing::warn!(error = %e, wait_ms = wait.as_millis() as u64, "telegram getUpdates failed");
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {},
                        _ = shutdown.changed() => break,
                    }
                }
            }
        }
        tracing::info!("telegram polling stopped");
    }

    fn backoff(&self, attempt: u32) -> Duration {
        crate::retry::backoff(self.backoff_base, attempt + 1, Duration::from_secs(60))
    }

    /// Handles a batch of updates: one chat's updates in order, different
    /// chats concurrently (the database and the rate limiter arbitrate).
    pub async fn handle_batch(&self, updates: Vec<Update>) {
        let mut by_chat: BTreeMap<i64, Vec<Update>> = BTreeMap::new();
        for update in updates {
            let key = update.chat().map_or(i64::MIN, |c| c.id.0);
            by_chat.entry(key).or_default().push(update);
        }
        futures::future::join_all(by_chat.into_values().map(|updates| async move {
            for update in updates {
                self.handle_update(update).await;
            }
        }))
        .await;
    }

    /// Turns one update into an assistant event and sends its replies.
    pub async fn handle_update(&self, update: Update) {
        if self.is_staff_work(&update) {
            return self.on_staff_update(update).await;
        }
        let event_id = update.id.0.to_string();
        let mut pressed: Option<MessageId> = None;
        let (chat, mut inbound) = match update.kind {
            UpdateKind::Message(msg) => match self.inbound_from_message(&msg).await {
                Some(i) => (msg.chat.id, i),
                None => return,
            },
            UpdateKind::CallbackQuery(q) => {
                // Stop the button's spinner whatever happens next.
                if let Err(e) = self.bot.answer_callback_query(q.id.clone()).await {
                    tracing::warn!(error = %e, "answerCallbackQuery failed");
                }
                let (Some(data), Some(message)) = (q.data.clone(), q.message.as_ref()) else {
                    return;
                };
                let inbound = Inbound {
                    channel: Channel::Telegram,
                    user: q.from.id.0.to_string(),
                    content: Content::Button(data),
                    lang_hint: q.from.language_code.clone(),
                    event_id: None,
                    public: !message.chat().is_private(),
                };
                pressed = Some(message.id());
                (message.chat().id, inbound)
            }
            _ => return,
        };
        inbound.event_id = Some(event_id);
        let outcome = match self.assistant.handle(&inbound, Utc::now()).await {
            Ok(o) => o,
            Err(e) => {
                tracing::error!(error = %e, "assistant failed on a Telegram update");
                let reply = crate::assistant::Reply::text(crate::i18n::messages::ERROR_INTERNAL);
                Outcome {
                    locale: Locale::Id,
                    replies: vec![reply],
                    settles_prompt: false,
                }
            }
        };
        let rendered = outcome.render(Localizer::builtin());
        // A settled choice replaces the message whose buttons offered it, so
        // stale buttons don't linger; anything longer goes as new messages.
        if let (Some(message_id), true, [only]) = (pressed, outcome.settles_prompt, rendered.as_slice())
            && let [out] = messages(only).as_slice()
        {
            match self.deliver(chat, out, Some(message_id)).await {
                SendOutcome::Sent => return,
                SendOutcome::Blocked => return self.mark_blocked(&inbound.user).await,
                // Too old to edit, or unchanged: say it as a new message.
                SendOutcome::Failed => {}
            }
        }
        for rendered in rendered {
            for out in messages(&rendered) {
                match self.deliver(chat, &out, None).await {
                    SendOutcome::Sent => {}
                    SendOutcome::Blocked => {
                        self.mark_blocked(&inbound.user).await;
                        return;
                    }
                    SendOutcome::Failed => {
                        tracing::error!(chat = chat.0, "telegram reply lost after retries");
                    }
                }
            }
        }
    }

    async fn inbound_from_message(&self, msg: &Message) -> Option<Inbound> {
        let from = msg.from.as_ref()?;
        if from.is_bot {
            return None;
        }
        let content = if let Some(text) = msg.text() {
            let text = if msg.chat.is_private() {
                Some(text.to_owned())
            } else {
                self.addressed_to_me(text)
            };
            Content::Text(text?)
        } else {
            // Files only in private chats: a group is no place for invoices.
            if !msg.chat.is_private() {
                return None;
            }
            let file = files::IncomingFile::of(msg)?;
            let stored = self.download(&file).await;
            Content::Attachment {
                filename: file.filename,
                content_type: file.content_type,
                bytes: u64::from(file.size),
                stored,
            }
        };
        Some(Inbound {
            channel: Channel::Telegram,
            user: from.id.0.to_string(),
            content,
            lang_hint: from.language_code.clone(),
            event_id: None,
            public: !msg.chat.is_private(),
        })
    }

    /// In groups the bot answers commands and messages that mention it; the
    /// mention itself is removed.
    fn addressed_to_me(&self, text: &str) -> Option<String> {
        addressed_to(text, &self.username)
    }

    /// Sends `out` to `chat`, or puts it in place of message `edit`, retrying
    /// what can be retried.
    async fn deliver(&self, chat: ChatId, out: &Outgoing, edit: Option<MessageId>) -> SendOutcome {
        let result = self
            .retrying(Some(chat), || async move {
                match edit {
                    None => {
                        let mut request = self
                            .bot
                            .send_message(chat, out.html.clone())
                            .parse_mode(ParseMode::Html);
                        if let Some(k) = &out.keyboard {
                            request = request.reply_markup(k.clone());
                        }
                        request.await.map(drop)
                    }
                    Some(message_id) => {
                        let mut request = self
                            .bot
                            .edit_message_text(chat, message_id, out.html.clone())
                            .parse_mode(ParseMode::Html);
                        if let Some(k) = &out.keyboard {
                            request = request.reply_markup(k.clone());
                        }
                        request.await.map(drop)
                    }
                }
            })
            .await;
        match result {
            Ok(()) => SendOutcome::Sent,
            Err(RequestError::Api(
                ApiError::BotBlocked | ApiError::UserDeactivated | ApiError::BotKicked | ApiError::ChatNotFound,
            )) => SendOutcome::Blocked,
            Err(e) => {
                if edit.is_none() {
                    tracing::error!(error = %e, "telegram sendMessage refused");
                }
                SendOutcome::Failed
            }
        }
    }

    /// Makes a Bot API call, within `chat`'s sending budget when it sends into
    /// a chat; again after a 429 (when Telegram says) and after network and
    /// server errors (with backoff), at most [`MAX_SEND_ATTEMPTS`] times. A
    /// refusal (4xx) comes back at once: asking again changes nothing.
    async fn retrying<T, F, Fut>(&self, chat: Option<ChatId>, mut call: F) -> Result<T, RequestError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, RequestError>>,
    {
        let mut attempt = 1;
        loop {
            if let Some(chat) = chat {
                self.limiter.wait(chat).await;
            }
            let error = match call().await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            let wait = match &error {
                _ if attempt >= MAX_SEND_ATTEMPTS => return Err(error),
                RequestError::RetryAfter(s) => s.duration(),
                e if retryable(e) => {
                    tracing::warn!(error = %e, attempt, "telegram call failed; retrying");
                    self.backoff(attempt)
                }
                _ => return Err(error),
            };
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn mark_blocked(&self, user: &str) {
        let result = async {
            let mut tx = self.db.begin_write().await?;
            tx.deactivate_chat_user(Channel::Telegram, user, Utc::now()).await?;
            tx.commit().await
        }
        .await;
        match result {
            Ok(()) => tracing::info!("telegram user blocked the bot: marked inactive and unsubscribed"),
            Err(e) => tracing::error!(error = %e, "could not mark a blocked telegram user"),
        }
    }
}

/// Worth asking again: the network, a garbled answer, or a server error
/// (teloxide names only the errors it knows; a 5xx arrives as an unknown one,
/// while 4xx descriptions start with what was refused).
fn retryable(e: &RequestError) -> bool {
    match e {
        RequestError::Network(_) | RequestError::InvalidJson { .. } => true,
        RequestError::Api(ApiError::Unknown(description)) => !is_refusal(description),
        _ => false,
    }
}

/// A 4xx answer's description (Telegram starts each with its status text).
fn is_refusal(description: &str) -> bool {
    ["Bad Request", "Forbidden", "Unauthorized", "Not Found", "Conflict"]
        .iter()
        .any(|p| description.starts_with(p))
}

/// The outbox's performer for chat messages to Telegram users (a notice that
/// an emailed invoice was received, and later broadcasts): sent at the
/// platform's pace with the adapter's retries; a user who blocked the bot is
/// marked inactive and the job ends for good.
impl crate::jobs::Performer for Telegram {
    fn perform<'a>(
        &'a self,
        job: &'a crate::jobs::ClaimedJob,
    ) -> futures::future::BoxFuture<'a, Result<(), crate::jobs::JobError>> {
        use crate::jobs::{ChatMessage, JobError};
        Box::pin(async move {
            let message: ChatMessage = serde_json::from_value(job.payload.clone())
                .map_err(|e| JobError::Permanent(format!("not a chat message: {e}")))?;
            if message.channel != Channel::Telegram {
                return Err(JobError::Permanent(format!("{} is not Telegram", message.channel)));
            }
            let chat: i64 = message
                .chat_id
                .parse()
                .map_err(|_| JobError::Permanent(format!("bad Telegram chat id {:?}", message.chat_id)))?;
            let out = render::Outgoing {
                html: teloxide::utils::html::escape(&message.text),
                keyboard: None,
            };
            match self.deliver(ChatId(chat), &out, None).await {
                SendOutcome::Sent => Ok(()),
                SendOutcome::Blocked => {
                    self.mark_blocked(&message.chat_id).await;
                    Err(JobError::Permanent("the user blocked the bot".into()))
                }
                SendOutcome::Failed => Err(JobError::Transient("Telegram did not take the message".into())),
            }
        })
    }
}

/// A group message meant for the bot `username`: a command, or text that
/// mentions `@username` (case-insensitive), returned without the mention.
/// Usernames are ASCII, so the search folds ASCII case only: folding all of
/// Unicode can change a text's length ("İ" lower-cases to two characters) and
/// put the cut past the end.
pub fn addressed_to(text: &str, username: &str) -> Option<String> {
    if text.starts_with('/') {
        return Some(text.to_owned());
    }
    if username.is_empty() {
        return None;
    }
    let mention = format!("@{}", username.to_ascii_lowercase());
    let at = text.to_ascii_lowercase().find(&mention)?;
    Some(
        format!("{}{}", &text[..at], &text[at + mention.len()..])
            .trim()
            .to_owned(),
    )
}

#[cfg(test)]
mod mention_tests {
    use super::addressed_to;

    #[test]
    fn mentions_are_found_and_cut_out() {
        assert_eq!(
            addressed_to("halo @RedeemBot cek status", "redeembot").as_deref(),
            Some("halo  cek status")
        );
        assert_eq!(addressed_to("/status X", "redeembot").as_deref(), Some("/status X"));
        assert_eq!(addressed_to("halo semua", "redeembot"), None);
        assert_eq!(addressed_to("halo @redeembot", ""), None);
    }

    /// Found by reading: full Unicode lower-casing made "İ" two characters
    /// long and the cut fell past the end of the text (a panic that stopped
    /// Telegram polling).
    #[test]
    fn text_that_changes_length_when_lower_cased_does_not_panic() {
        assert_eq!(addressed_to("İ@redeembot", "RedeemBot").as_deref(), Some("İ"));
        assert_eq!(
            addressed_to("İİİİ x@redeembotİ", "redeembot").as_deref(),
            Some("İİİİ xİ")
        );
        assert_eq!(addressed_to("ẞ@redeembot", "redeembot").as_deref(), Some("ẞ"));
    }
}
