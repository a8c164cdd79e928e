//! Telegram, through teloxide: long polling, commands, inline keyboards,
//! callback queries and attachments, translated to and from the assistant.
//! The adapter decides nothing; it escapes, splits, retries and reports.

mod render;

pub use render::{MAX_MESSAGE, Outgoing, messages, split};

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, ChatId, ParseMode, UpdateKind};
use tokio::sync::watch;

use crate::assistant::{Assistant, Content, Inbound};
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
    assistant: Arc<Assistant>,
    db: Db,
    username: String,
    backoff_base: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    #[error("telegram.api_url {0:?} is not a URL")]
    BadUrl(String),
    #[error("Telegram: {0}")]
    Request(#[from] RequestError),
}

/// Sending rates to stay within. Telegram publishes about 1 message per second
/// per chat and 30 per second overall; a self-hosted Bot API server or a test may
/// allow more.
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

/// Waits before each send until both the chat's and the global budget allow it.
struct Limiter {
    overall: governor::DefaultDirectRateLimiter,
    per_chat: governor::DefaultKeyedRateLimiter<i64>,
}

impl Limiter {
    fn new(limits: Limits) -> Self {
        let quota = |n: u32| governor::Quota::per_second(std::num::NonZeroU32::new(n.max(1)).expect("at least 1"));
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
enum SendOutcome {
    Sent,
    /// The user blocked the bot or deleted their account.
    Blocked,
    Failed,
}

impl Telegram {
    /// Connects (getMe) with Telegram's published limits (see [`Limits`]).
    pub async fn connect(token: &str, api_url: Option<&str>, db: Db) -> Result<Self, TelegramError> {
        Self::connect_with(
            token,
            api_url,
            db,
            Limits::default(),
            Duration::from_secs(u64::from(POLL_TIMEOUT_SECS) + 10),
        )
        .await
    }

    /// Connects with other limits and HTTP timeout (a self-hosted Bot API
    /// server, tests, benchmarks). The timeout must exceed the long-poll wait.
    pub async fn connect_with(
        token: &str,
        api_url: Option<&str>,
        db: Db,
        limits: Limits,
        http_timeout: Duration,
    ) -> Result<Self, TelegramError> {
        let client = teloxide::net::default_reqwest_settings()
            .timeout(http_timeout)
            .build()
            .map_err(|e| TelegramError::Request(RequestError::Network(std::sync::Arc::new(e))))?;
        let mut bot = Bot::with_client(token, client);
        if let Some(url) = api_url {
            let url = reqwest::Url::parse(url).map_err(|_| TelegramError::BadUrl(url.to_owned()))?;
            bot = bot.set_api_url(url);
        }
        let me = bot.get_me().await?;
        let username = me.username.clone().unwrap_or_default();
        Ok(Self {
            bot,
            limiter: Limiter::new(limits),
            assistant: Arc::new(Assistant::new(db.clone())),
            db,
            username,
            backoff_base: Duration::from_millis(500),
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
                    for update in updates {
                        offset = offset.max(update.id.0 as i32 + 1);
                        self.handle_update(update).await;
                    }
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
        let exp = self.backoff_base * 2u32.saturating_pow(attempt.min(6));
        // Jitter so many replicas don't retry in lockstep.
        let jitter = rand::random::<f64>() * 0.3 + 0.85;
        exp.mul_f64(jitter).min(Duration::from_secs(60))
    }

    /// Turns one update into an assistant event and sends its replies.
    pub async fn handle_update(&self, update: Update) {
        let (chat, inbound) = match update.kind {
            UpdateKind::Message(msg) => match self.inbound_from_message(&msg) {
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
                };
                (message.chat().id, inbound)
            }
            _ => return,
        };
        let outcome = match self.assistant.handle(&inbound, Utc::now()).await {
            Ok(o) => o,
            Err(e) => {
                tracing::error!(error = %e, "assistant failed on a Telegram update");
                let reply = crate::assistant::Reply::text(crate::i18n::messages::ERROR_INTERNAL);
                crate::assistant::Outcome {
                    locale: Locale::Id,
                    replies: vec![reply],
                }
            }
        };
        for rendered in outcome.render(Localizer::builtin()) {
            for out in messages(&rendered) {
                match self.send(chat, &out).await {
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

    fn inbound_from_message(&self, msg: &Message) -> Option<Inbound> {
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
        } else if let Some(photos) = msg.photo() {
            let largest = photos.iter().max_by_key(|p| p.width * p.height)?;
            if !msg.chat.is_private() {
                return None;
            }
            Content::Attachment {
                filename: format!("photo-{}.jpg", msg.id.0),
                content_type: "image/jpeg".into(),
                bytes: u64::from(largest.file.size),
            }
        } else if let Some(doc) = msg.document() {
            if !msg.chat.is_private() {
                return None;
            }
            Content::Attachment {
                filename: doc
                    .file_name
                    .clone()
                    .unwrap_or_else(|| format!("document-{}", msg.id.0)),
                content_type: doc
                    .mime_type
                    .as_ref()
                    .map_or_else(|| "application/octet-stream".into(), |m| m.to_string()),
                bytes: u64::from(doc.file.size),
            }
        } else {
            return None;
        };
        Some(Inbound {
            channel: Channel::Telegram,
            user: from.id.0.to_string(),
            content,
            lang_hint: from.language_code.clone(),
        })
    }

    /// In groups the bot answers commands and messages that mention it; the
    /// mention itself is removed.
    fn addressed_to_me(&self, text: &str) -> Option<String> {
        if text.starts_with('/') {
            return Some(text.to_owned());
        }
        let mention = format!("@{}", self.username);
        if !self.username.is_empty() && text.to_lowercase().contains(&mention.to_lowercase()) {
            let lower = text.to_lowercase();
            let at = lower.find(&mention.to_lowercase())?;
            return Some(
                format!("{}{}", &text[..at], &text[at + mention.len()..])
                    .trim()
                    .to_owned(),
            );
        }
        None
    }

    async fn send(&self, chat: ChatId, out: &Outgoing) -> SendOutcome {
        for attempt in 1..=MAX_SEND_ATTEMPTS {
            self.limiter.wait(chat).await;
            let mut request = self
                .bot
                .send_message(chat, out.html.clone())
                .parse_mode(ParseMode::Html);
            if let Some(k) = &out.keyboard {
                request = request.reply_markup(k.clone());
            }
            let wait = match request.await {
                Ok(_) => return SendOutcome::Sent,
                Err(RequestError::Api(
                    ApiError::BotBlocked | ApiError::UserDeactivated | ApiError::BotKicked | ApiError::ChatNotFound,
                )) => return SendOutcome::Blocked,
                Err(RequestError::RetryAfter(s)) => s.duration(),
                Err(
                    e @ (RequestError::Network(_)
                    | RequestError::InvalidJson { .. }
                    | RequestError::Api(ApiError::Unknown(_))),
                ) => {
                    tracing::warn!(error = %e, attempt, "telegram sendMessage failed; retrying");
                    self.backoff(attempt)
                }
                Err(e) => {
                    tracing::error!(error = %e, "telegram sendMessage refused");
                    return SendOutcome::Failed;
                }
            };
            tokio::time::sleep(wait).await;
        }
        SendOutcome::Failed
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
