//! A fake Telegram Bot API server for tests: axum on 127.0.0.1 (port 0), the
//! real wire format (`POST /bot<TOKEN>/<method>` with JSON bodies, `{"ok": …}`
//! envelopes, case-insensitive method names as teloxide sends PascalCase, files
//! at `GET /file/bot<TOKEN>/<path>`), updates queued by the test and handed out
//! by `getUpdates` or, once `setWebhook` was called, posted to the webhook with
//! the secret header and retried on failure as Telegram does; everything the bot
//! sends recorded, and faults that can be injected per method.
//!
//! Groups too: chats registered with `add_group`, members with statuses for
//! `getChatMember`, messages that reply to others (`reply_to_message`, one
//! level deep as Telegram sends it), button presses on any message, HTML
//! parsed into text and entities as Telegram does (and refused when it would
//! be), edits of text and keyboards, and files sent with `sendPhoto`,
//! `sendDocument` and `sendMediaGroup` as multipart uploads.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::Notify;

pub const TOKEN: &str = "123456:TEST-TOKEN";

/// A fault to answer a method call with, instead of success.
#[derive(Debug, Clone)]
pub enum Fault {
    /// 429 with `parameters.retry_after` seconds.
    TooManyRequests(u32),
    /// 403: the user blocked the bot.
    Blocked,
    /// 500 Internal Server Error.
    ServerError,
    /// Answer normally, but only after this long.
    Slow(Duration),
    /// Close the connection without an answer; the call has no effect.
    Dropped,
    /// Any other error answer: HTTP status and description (e.g. 403,
    /// "Forbidden: bot was kicked from the group chat").
    Refused(u16, &'static str),
}

/// The bot's own user id.
pub const BOT_ID: i64 = 1;

/// A file the bot sent.
#[derive(Debug, Clone)]
pub struct SentFile {
    pub chat: i64,
    /// The message that carries it.
    pub message_id: i64,
    /// `sendPhoto`, `sendDocument` or `sendMediaGroup` (lowercase).
    pub method: String,
    /// `photo` or `document`.
    pub kind: String,
    pub filename: String,
    pub data: Vec<u8>,
    pub caption: Option<String>,
    /// The message it replies to.
    pub reply_to: Option<i64>,
}

#[derive(Default)]
struct Inner {
    updates: Vec<Value>,
    next_update_id: i64,
    next_message_id: i64,
    /// Every call the bot made: (method, body), in order.
    calls: Vec<(String, Value)>,
    /// Messages the bot sent successfully: (chat id, text).
    delivered: Vec<(i64, String)>,
    /// Every message in every chat by id: (chat id, current text as sent).
    messages: HashMap<i64, (i64, String)>,
    /// Every message by id as the Bot API shows it (text parsed, keyboard).
    message_json: HashMap<i64, Value>,
    /// Successful edits: (chat id, message id, new text).
    edits: Vec<(i64, i64, String)>,
    /// Successful keyboard edits (editMessageReplyMarkup): (chat id, message id, new markup).
    markup_edits: Vec<(i64, i64, Value)>,
    /// Group chats by id: their Chat object.
    groups: HashMap<i64, Value>,
    /// Statuses in groups: (chat, user) → "creator", "administrator", "member",
    /// "restricted", "left" or "kicked". Not listed: "left".
    members: HashMap<(i64, i64), String>,
    /// Names of users: id → (first name, username).
    names: HashMap<i64, (String, Option<String>)>,
    /// Files the bot sent, in order.
    files_sent: Vec<SentFile>,
    /// Files the bot may fetch: file_id → (path, announced size, content).
    files: HashMap<String, (String, u64, Vec<u8>)>,
    /// Set by setWebhook: (url, secret token).
    webhook: Option<(String, Option<String>)>,
    /// HTTP statuses our webhook answered, in order (0: no answer).
    webhook_statuses: Vec<u16>,
    faults: HashMap<String, VecDeque<Fault>>,
    /// Telegram's sending limits, when the test asks for them.
    limits: Option<RateLimits>,
    /// Sends refused with 429 by those limits.
    rate_limited: usize,
    /// Users who blocked the bot: sendMessage to them answers 403.
    blocked: std::collections::HashSet<i64>,
}

/// Sending limits as Telegram enforces them: a rate over all chats and one
/// per chat, each a GCRA (a leaky bucket: sends may arrive up to `tolerance`
/// early against an even schedule, no more), answered with 429 and a
/// `retry_after` when exceeded.
struct RateLimits {
    overall: Gcra,
    per_chat_period: Duration,
    per_chat: HashMap<i64, std::time::Instant>,
}

struct Gcra {
    period: Duration,
    tolerance: Duration,
    tat: Option<std::time::Instant>,
}

impl Gcra {
    /// Whether a send at `now` is allowed (and counted); else how long to wait.
    fn admit(
        period: Duration,
        tolerance: Duration,
        tat: &mut Option<std::time::Instant>,
        now: std::time::Instant,
    ) -> Result<(), Duration> {
        let theoretical = tat.map_or(now, |t| t.max(now));
        if theoretical.duration_since(now) > tolerance {
            return Err(theoretical.duration_since(now) - tolerance);
        }
        *tat = Some(theoretical + period);
        Ok(())
    }
}

#[derive(Clone)]
pub struct FakeTelegram {
    inner: Arc<Mutex<Inner>>,
    new_update: Arc<Notify>,
    pub addr: SocketAddr,
}

impl FakeTelegram {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner {
            next_update_id: 1,
            next_message_id: 1000,
            ..Inner::default()
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let fake = Self {
            inner,
            new_update: Arc::new(Notify::new()),
            addr,
        };
        let app = Router::new()
            .route("/{bot}/{method}", post(handle))
            .route("/file/{bot}/{*path}", get(download))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    /// The API base URL for `telegram.api_url` / `Bot::set_api_url`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Enforces Telegram's sending limits on sendMessage from now on:
    /// `overall` messages a second over all chats (a second's worth may come
    /// early) and `per_chat` a second in each chat (100 ms early at most).
    pub fn enforce_limits(&self, overall: u32, per_chat: u32) {
        self.inner.lock().unwrap().limits = Some(RateLimits {
            overall: Gcra {
                period: Duration::from_secs(1) / overall.max(1),
                tolerance: Duration::from_secs(1),
                tat: None,
            },
            per_chat_period: Duration::from_secs(1) / per_chat.max(1),
            per_chat: HashMap::new(),
        });
    }

    /// The user blocks the bot: messages to their chat are refused with 403.
    pub fn block(&self, user: i64) {
        self.inner.lock().unwrap().blocked.insert(user);
    }

    /// Sends refused with 429 by [`FakeTelegram::enforce_limits`].
    pub fn rate_limited(&self) -> usize {
        self.inner.lock().unwrap().rate_limited
    }

    /// Messages delivered to each chat: (chat, count), for duplicate checks.
    pub fn delivered_counts(&self) -> HashMap<i64, usize> {
        let mut counts = HashMap::new();
        for (chat, _) in &self.inner.lock().unwrap().delivered {
            *counts.entry(*chat).or_insert(0) += 1;
        }
        counts
    }

    /// How many messages were delivered (cheap, for polling).
    pub fn delivered_len(&self) -> usize {
        self.inner.lock().unwrap().delivered.len()
    }

    /// Every message delivered: (chat, text as sent).
    pub fn delivered(&self) -> Vec<(i64, String)> {
        self.inner.lock().unwrap().delivered.clone()
    }

    /// Queues the next `n` calls of `method` to fail with `fault`.
    pub fn fail(&self, method: &str, fault: Fault, n: usize) {
        let mut inner = self.inner.lock().unwrap();
        let q = inner.faults.entry(method.to_lowercase()).or_default();
        for _ in 0..n {
            q.push_back(fault.clone());
        }
    }

    fn push_update(&self, body: Value) -> i64 {
        let mut inner = self.inner.lock().unwrap();
        let id = inner.next_update_id;
        inner.next_update_id += 1;
        let mut update = body;
        update["update_id"] = json!(id);
        inner.updates.push(update.clone());
        let webhook = inner.webhook.clone();
        drop(inner);
        match webhook {
            Some((url, secret)) => {
                let fake = self.clone();
                tokio::spawn(async move { fake.post_to_webhook(&url, secret.as_deref(), &update).await });
            }
            None => self.new_update.notify_waiters(),
        }
        id
    }

    /// Posts an update to the webhook as Telegram does: retried (here quickly)
    /// until the bot answers 2xx, at most 5 times.
    async fn post_to_webhook(&self, url: &str, secret: Option<&str>, update: &Value) {
        let client = reqwest::Client::new();
        for _ in 0..5 {
            let mut request = client
                .post(url)
                .header("content-type", "application/json")
                .body(update.to_string());
            if let Some(secret) = secret {
                request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
            }
            let status = match request.send().await {
                Ok(r) => r.status().as_u16(),
                Err(_) => 0,
            };
            self.inner.lock().unwrap().webhook_statuses.push(status);
            if (200..300).contains(&status) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Posts update `update_id` to the webhook once more, as Telegram does when
    /// it thinks the first delivery timed out.
    pub async fn redeliver(&self, update_id: i64) {
        let (update, webhook) = {
            let inner = self.inner.lock().unwrap();
            let update = inner
                .updates
                .iter()
                .find(|u| u["update_id"] == update_id)
                .cloned()
                .expect("a known update");
            (update, inner.webhook.clone().expect("a webhook is set"))
        };
        self.post_to_webhook(&webhook.0, webhook.1.as_deref(), &update).await;
    }

    /// The HTTP statuses the webhook answered, in order (0: no answer).
    pub fn webhook_statuses(&self) -> Vec<u16> {
        self.inner.lock().unwrap().webhook_statuses.clone()
    }

    /// The webhook set with setWebhook: (url, secret token).
    pub fn webhook(&self) -> Option<(String, Option<String>)> {
        self.inner.lock().unwrap().webhook.clone()
    }

    fn user(&self, user: i64, lang: &str) -> Value {
        let inner = self.inner.lock().unwrap();
        user_json(&inner, user, Some(lang))
    }

    fn chat(&self, chat: i64, private: bool) -> Value {
        let inner = self.inner.lock().unwrap();
        if private {
            json!({"id": chat, "type": "private", "first_name": format!("User{chat}")})
        } else {
            chat_json(&inner, chat)
        }
    }

    /// Registers a group chat (a supergroup when `supergroup`, as staff groups
    /// usually are: their ids start with -100).
    pub fn add_group(&self, chat: i64, title: &str, supergroup: bool) {
        let kind = if supergroup { "supergroup" } else { "group" };
        self.inner
            .lock()
            .unwrap()
            .groups
            .insert(chat, json!({"id": chat, "type": kind, "title": title}));
    }

    /// Sets `user`'s status in group `chat`, as getChatMember reports it:
    /// "creator", "administrator", "member", "restricted" (still a member),
    /// "left" or "kicked".
    pub fn set_member(&self, chat: i64, user: i64, status: &str) {
        self.inner
            .lock()
            .unwrap()
            .members
            .insert((chat, user), status.to_owned());
    }

    /// Gives `user` a first name and a username (otherwise "User<id>" and none).
    pub fn set_name(&self, user: i64, first_name: &str, username: Option<&str>) {
        self.inner
            .lock()
            .unwrap()
            .names
            .insert(user, (first_name.to_owned(), username.map(str::to_owned)));
    }

    /// A text message from `user` in their private chat.
    pub fn text(&self, user: i64, lang: &str, text: &str) -> i64 {
        self.message(user, user, lang, json!({"text": text}))
    }

    /// A text message in a group chat.
    pub fn group_text(&self, group: i64, user: i64, text: &str) -> i64 {
        self.message(group, user, "id", json!({"text": text}))
    }

    /// A text message in a group chat replying to message `reply_to`.
    pub fn group_reply(&self, group: i64, user: i64, reply_to: i64, text: &str) -> i64 {
        let replied = self.replied(reply_to);
        self.message(group, user, "en", json!({"text": text, "reply_to_message": replied}))
    }

    /// An administrator's anonymous reply in a group: Telegram sends it from
    /// its `GroupAnonymousBot` user, with the group as `sender_chat`.
    pub fn group_anonymous_reply(&self, group: i64, reply_to: i64, text: &str) -> i64 {
        let replied = self.replied(reply_to);
        let message = {
            let mut inner = self.inner.lock().unwrap();
            inner.next_message_id += 1;
            let message = json!({
                "message_id": inner.next_message_id, "date": 1_780_000_000, "chat": chat_json(&inner, group),
                "from": {"id": 1_087_968_824i64, "is_bot": true, "first_name": "Group", "username": "GroupAnonymousBot"},
                "sender_chat": chat_json(&inner, group), "text": text, "reply_to_message": replied,
            });
            let id = inner.next_message_id;
            inner.message_json.insert(id, message.clone());
            message
        };
        self.push_update(json!({"message": message}))
    }

    /// A photo in a group chat replying to message `reply_to`.
    pub fn group_photo_reply(&self, group: i64, user: i64, reply_to: i64) -> i64 {
        let replied = self.replied(reply_to);
        let photo = json!([{"file_id": "agent-photo", "file_unique_id": "ap", "width": 90, "height": 90,
                            "file_size": 1000}]);
        self.message(group, user, "en", json!({"photo": photo, "reply_to_message": replied}))
    }

    /// A message as it appears in `reply_to_message`: without its own reply
    /// (Telegram does not nest them).
    fn replied(&self, id: i64) -> Value {
        let mut message = self
            .inner
            .lock()
            .unwrap()
            .message_json
            .get(&id)
            .cloned()
            .unwrap_or_else(|| panic!("no message {id} to reply to"));
        if let Some(m) = message.as_object_mut() {
            m.remove("reply_to_message");
        }
        message
    }

    /// Makes `content` downloadable as `file_id`, announcing `size` bytes.
    fn add_file(&self, file_id: &str, path: &str, size: u64, content: Vec<u8>) {
        self.inner
            .lock()
            .unwrap()
            .files
            .insert(file_id.to_owned(), (path.to_owned(), size, content));
    }

    /// A photo from `user` (Telegram sends a thumbnail and the full size).
    pub fn photo(&self, user: i64, lang: &str, content: &[u8]) -> i64 {
        let id = format!("photo-{user}-{}", content.len());
        self.add_file(&format!("{id}-s"), "photos/s.jpg", 1000, vec![0; 1000]);
        self.add_file(&id, &format!("photos/{id}.jpg"), content.len() as u64, content.to_vec());
        let photo = json!([
            {"file_id": format!("{id}-s"), "file_unique_id": "s", "width": 90, "height": 90, "file_size": 1000},
            {"file_id": id, "file_unique_id": "l", "width": 1280, "height": 960, "file_size": content.len()}
        ]);
        self.message(user, user, lang, json!({"photo": photo, "caption": "invoice"}))
    }

    /// A document from `user`. `announced` is the size the update claims (a
    /// liar can claim less than it serves).
    pub fn document(&self, user: i64, lang: &str, name: &str, mime: &str, content: &[u8], announced: u64) -> i64 {
        let id = format!("doc-{user}-{name}");
        self.add_file(&id, &format!("documents/{name}"), announced, content.to_vec());
        let doc = json!({"file_id": id, "file_unique_id": format!("u-{id}"), "file_name": name,
                         "mime_type": mime, "file_size": announced});
        self.message(user, user, lang, json!({"document": doc}))
    }

    /// Queues a message from `user` in `chat` (their private chat when the
    /// ids are equal); a user who writes in a group is in it.
    fn message(&self, chat: i64, user: i64, lang: &str, content: Value) -> i64 {
        let private = chat == user;
        let chat_value = self.chat(chat, private);
        let from = self.user(user, lang);
        let message = {
            let mut inner = self.inner.lock().unwrap();
            inner.next_message_id += 1;
            let message_id = inner.next_message_id;
            let mut message = json!({
                "message_id": message_id,
                "date": 1_780_000_000,
                "chat": chat_value,
                "from": from,
            });
            for (k, v) in content.as_object().unwrap() {
                message[k] = v.clone();
            }
            if !private {
                inner.members.entry((chat, user)).or_insert_with(|| "member".to_owned());
            }
            inner.message_json.insert(message_id, message.clone());
            message
        };
        self.push_update(json!({"message": message}))
    }

    /// A press of an inline button with `data`, on the last message the bot
    /// sent to `user` (or an old one Telegram no longer has, if none).
    pub fn press(&self, user: i64, lang: &str, data: &str) -> i64 {
        let (message_id, text) = {
            let inner = self.inner.lock().unwrap();
            inner
                .messages
                .iter()
                .filter(|(_, (chat, _))| *chat == user)
                .max_by_key(|(id, _)| **id)
                .map_or((1, "menu".to_owned()), |(id, (_, t))| (*id, t.clone()))
        };
        let message = json!({
            "message_id": message_id, "date": 1_780_000_000, "chat": self.chat(user, true),
            "from": bot_user(), "text": text
        });
        let id = format!("cq-{user}-{}", self.inner.lock().unwrap().next_update_id);
        let from = self.user(user, lang);
        self.push_update(json!({"callback_query": {
            "id": id, "from": from, "chat_instance": "ci", "data": data, "message": message
        }}))
    }

    /// A press by `user` of the button with `data` on message `message_id`
    /// (as Telegram shows it now: text, entities, keyboard). A message
    /// Telegram does not know comes as an inaccessible one (date 0).
    pub fn press_on(&self, message_id: i64, user: i64, data: &str) -> i64 {
        let (message, id) = {
            let inner = self.inner.lock().unwrap();
            let message = inner
                .message_json
                .get(&message_id)
                .cloned()
                .unwrap_or_else(|| json!({"message_id": message_id, "date": 0, "chat": chat_json(&inner, -1)}));
            (message, format!("cq-{user}-{}", inner.next_update_id))
        };
        let from = self.user(user, "en");
        self.push_update(json!({"callback_query": {
            "id": id, "from": from, "chat_instance": "ci-group", "data": data, "message": message
        }}))
    }

    /// Message `id` as the Bot API shows it now (text parsed, keyboard), if it exists.
    pub fn message_now(&self, id: i64) -> Option<Value> {
        self.inner.lock().unwrap().message_json.get(&id).cloned()
    }

    /// The messages the bot sent to `chat` as the Bot API shows them now, in order.
    pub fn bot_messages(&self, chat: i64) -> Vec<Value> {
        let inner = self.inner.lock().unwrap();
        let mut messages: Vec<Value> = inner
            .message_json
            .values()
            .filter(|m| m["chat"]["id"] == chat && m["from"]["id"] == BOT_ID)
            .cloned()
            .collect();
        messages.sort_by_key(|m| m["message_id"].as_i64());
        messages
    }

    /// The files the bot sent to `chat`, in order.
    pub fn files_in(&self, chat: i64) -> Vec<SentFile> {
        let inner = self.inner.lock().unwrap();
        inner.files_sent.iter().filter(|f| f.chat == chat).cloned().collect()
    }

    /// The keyboard edits the bot made in `chat`: (message id, new markup), in order.
    pub fn markup_edits_in(&self, chat: i64) -> Vec<(i64, Value)> {
        let inner = self.inner.lock().unwrap();
        inner
            .markup_edits
            .iter()
            .filter(|(c, _, _)| *c == chat)
            .map(|(_, id, m)| (*id, m.clone()))
            .collect()
    }

    /// Waits (up to 40 s) until `probe` finds something, and returns it.
    pub async fn wait_until<T>(&self, what: &str, probe: impl Fn(&Self) -> Option<T>) -> T {
        for _ in 0..800 {
            if let Some(v) = probe(self) {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "timed out waiting for {what}; calls: {:?}",
            self.inner
                .lock()
                .unwrap()
                .calls
                .iter()
                .map(|(m, _)| m.clone())
                .collect::<Vec<_>>()
        );
    }

    /// Every call of `method` the bot made, with its JSON body.
    pub fn calls(&self, method: &str) -> Vec<Value> {
        let inner = self.inner.lock().unwrap();
        inner
            .calls
            .iter()
            .filter(|(m, _)| m == &method.to_lowercase())
            .map(|(_, b)| b.clone())
            .collect()
    }

    /// The texts delivered to `chat` (answered with success), in order.
    pub fn sent_to(&self, chat: i64) -> Vec<String> {
        let inner = self.inner.lock().unwrap();
        inner
            .delivered
            .iter()
            .filter(|(c, _)| *c == chat)
            .map(|(_, t)| t.clone())
            .collect()
    }

    /// The edits the bot made in `chat`: (message id, new text), in order.
    pub fn edits_in(&self, chat: i64) -> Vec<(i64, String)> {
        let inner = self.inner.lock().unwrap();
        inner
            .edits
            .iter()
            .filter(|(c, _, _)| *c == chat)
            .map(|(_, id, t)| (*id, t.clone()))
            .collect()
    }

    /// Waits until the bot made at least `n` edits in `chat`.
    pub async fn wait_for_edits(&self, chat: i64, n: usize) -> Vec<(i64, String)> {
        for _ in 0..800 {
            if self.edits_in(chat).len() >= n {
                return self.edits_in(chat);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chat {chat} got edits {:?}, expected {n}", self.edits_in(chat));
    }

    /// Waits until `chat` received at least `n` messages (or panics after 40 s).
    pub async fn wait_for(&self, chat: i64, n: usize) -> Vec<String> {
        for _ in 0..800 {
            let sent = self.sent_to(chat);
            if sent.len() >= n {
                // Give a possible extra (duplicate) message the chance to show up.
                tokio::time::sleep(Duration::from_millis(50)).await;
                return self.sent_to(chat);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "chat {chat} got {:?}, expected at least {n} messages; calls: {:?}",
            self.sent_to(chat),
            self.inner
                .lock()
                .unwrap()
                .calls
                .iter()
                .map(|(m, _)| m.clone())
                .collect::<Vec<_>>()
        );
    }

    /// Waits until the bot has asked for updates past `update_id` (it handled it).
    pub async fn wait_acknowledged(&self, update_id: i64) {
        for _ in 0..800 {
            let acked = self
                .calls("getUpdates")
                .iter()
                .any(|b| b["offset"].as_i64().unwrap_or(0) > update_id);
            if acked {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("update {update_id} was never acknowledged");
    }
}

/// Counts a send against the limits; how long to wait when it is over them.
fn over_limit(fake: &FakeTelegram, chat: i64) -> Option<Duration> {
    let mut inner = fake.inner.lock().unwrap();
    let inner = &mut *inner;
    let limits = inner.limits.as_mut()?;
    let now = std::time::Instant::now();
    let chat_tat = limits.per_chat.get(&chat).copied();
    let mut chat_next = chat_tat;
    let verdict = Gcra::admit(limits.per_chat_period, Duration::from_millis(100), &mut chat_next, now).and_then(|()| {
        Gcra::admit(
            limits.overall.period,
            limits.overall.tolerance,
            &mut limits.overall.tat,
            now,
        )
    });
    match verdict {
        Ok(()) => {
            if let Some(t) = chat_next {
                limits.per_chat.insert(chat, t);
            }
            None
        }
        Err(wait) => {
            inner.rate_limited += 1;
            Some(wait)
        }
    }
}

async fn handle(
    State(fake): State<FakeTelegram>,
    Path((bot, method)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if bot != format!("bot{TOKEN}") {
        return envelope_error(401, "Unauthorized");
    }
    let method = method.to_lowercase();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // Methods that carry files (sendPhoto, sendDocument, sendMediaGroup,
    // setWebhook's certificate) come as multipart.
    let (body, uploads): (Value, HashMap<String, Upload>) = match content_type.split_once("boundary=") {
        Some((_, boundary)) if content_type.starts_with("multipart/form-data") => multipart(&body, boundary),
        _ => (serde_json::from_slice(&body).unwrap_or(json!({})), HashMap::new()),
    };
    if method == "sendmessage"
        && let Some(wait) = over_limit(&fake, body["chat_id"].as_i64().unwrap_or_default())
    {
        let secs = wait.as_secs_f64().ceil().max(1.0) as u32;
        return (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"ok": false, "error_code": 429,
                "description": format!("Too Many Requests: retry after {secs}"),
                "parameters": {"retry_after": secs}})),
        )
            .into_response();
    }
    let fault = {
        let mut inner = fake.inner.lock().unwrap();
        inner.calls.push((method.clone(), body.clone()));
        inner.faults.get_mut(&method).and_then(|q| q.pop_front())
    };
    match fault {
        Some(Fault::TooManyRequests(secs)) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(json!({"ok": false, "error_code": 429,
                    "description": format!("Too Many Requests: retry after {secs}"),
                    "parameters": {"retry_after": secs}})),
            )
                .into_response();
        }
        Some(Fault::Blocked) => return envelope_error(403, "Forbidden: bot was blocked by the user"),
        Some(Fault::ServerError) => return envelope_error(500, "Internal Server Error"),
        Some(Fault::Slow(d)) => tokio::time::sleep(d).await,
        Some(Fault::Dropped) => return dropped(),
        Some(Fault::Refused(code, description)) => return envelope_error(code, description),
        None => {}
    }
    let result = match method.as_str() {
        "getme" => json!({"id": BOT_ID, "is_bot": true, "first_name": "Redeemdesk", "username": "redeemdesk_bot",
                          "can_join_groups": true, "can_read_all_group_messages": false,
                          "supports_inline_queries": false, "has_main_web_app": false}),
        "setmycommands" => json!(true),
        "answercallbackquery" => {
            let text = body["text"].as_str().unwrap_or_default();
            if text.encode_utf16().count() > 200 {
                return envelope_error(400, "Bad Request: MESSAGE_TOO_LONG");
            }
            json!(true)
        }
        "deletewebhook" => {
            fake.inner.lock().unwrap().webhook = None;
            json!(true)
        }
        "setwebhook" => {
            let url = body["url"].as_str().unwrap_or_default().to_owned();
            let secret = body["secret_token"].as_str().map(str::to_owned);
            fake.inner.lock().unwrap().webhook = Some((url, secret));
            json!(true)
        }
        "getupdates" => {
            if fake.inner.lock().unwrap().webhook.is_some() {
                return envelope_error(409, "Conflict: can't use getUpdates method while webhook is active");
            }
            return get_updates(fake, body).await;
        }
        "getfile" => {
            let id = body["file_id"].as_str().unwrap_or_default();
            let file = fake.inner.lock().unwrap().files.get(id).cloned();
            match file {
                None => return envelope_error(400, "Bad Request: invalid file_id"),
                Some((_, size, _)) if size > 20 * 1024 * 1024 => {
                    return envelope_error(400, "Bad Request: file is too big");
                }
                Some((path, size, _)) => {
                    json!({"file_id": id, "file_unique_id": format!("u-{id}"), "file_size": size, "file_path": path})
                }
            }
        }
        "getchatmember" => {
            let chat = body["chat_id"].as_i64().unwrap_or_default();
            let user = body["user_id"].as_i64().unwrap_or_default();
            let inner = fake.inner.lock().unwrap();
            if !inner.groups.contains_key(&chat) {
                return envelope_error(400, "Bad Request: chat not found");
            }
            let status = inner
                .members
                .get(&(chat, user))
                .cloned()
                .unwrap_or_else(|| "left".to_owned());
            member_json(user_json(&inner, user, None), &status)
        }
        "sendmessage" => {
            let chat = body["chat_id"].as_i64().unwrap_or_default();
            if fake.inner.lock().unwrap().blocked.contains(&chat) {
                return envelope_error(403, "Forbidden: bot was blocked by the user");
            }
            let raw = body["text"].as_str().unwrap_or_default().to_owned();
            let (text, entities) = match parsed_text(&body, "text", 4096) {
                Ok(t) => t,
                Err(e) => return envelope_error(400, &e),
            };
            if text.is_empty() {
                return envelope_error(400, "Bad Request: message text is empty");
            }
            if let Err(e) = check_keyboard(&body) {
                return envelope_error(400, &e);
            }
            let mut inner = fake.inner.lock().unwrap();
            let reply_to = match reply_target(&inner, &body, chat) {
                Ok(r) => r,
                Err(e) => return envelope_error(400, &e),
            };
            let mut message = new_message(&mut inner, chat, reply_to);
            message["text"] = json!(text);
            if !entities.is_empty() {
                message["entities"] = json!(entities);
            }
            if body["reply_markup"]["inline_keyboard"].is_array() {
                message["reply_markup"] = body["reply_markup"].clone();
            }
            let id = message["message_id"].as_i64().unwrap();
            inner.delivered.push((chat, raw.clone()));
            inner.messages.insert(id, (chat, raw));
            inner.message_json.insert(id, message.clone());
            message
        }
        "editmessagetext" => {
            let chat = body["chat_id"].as_i64().unwrap_or_default();
            let id = body["message_id"].as_i64().unwrap_or_default();
            let raw = body["text"].as_str().unwrap_or_default().to_owned();
            let (text, entities) = match parsed_text(&body, "text", 4096) {
                Ok(t) => t,
                Err(e) => return envelope_error(400, &e),
            };
            if let Err(e) = check_keyboard(&body) {
                return envelope_error(400, &e);
            }
            // Without a reply_markup, an edit removes the keyboard.
            let markup = keyboard_of(&body);
            let mut inner = fake.inner.lock().unwrap();
            let Some(mut message) = inner.message_json.get(&id).cloned().filter(|m| m["chat"]["id"] == chat) else {
                return envelope_error(400, "Bad Request: message to edit not found");
            };
            if message["from"]["id"] != BOT_ID {
                return envelope_error(400, "Bad Request: message can't be edited");
            }
            let old = inner.messages.get(&id).map(|(_, t)| t.clone()).unwrap_or_default();
            if old == raw && keyboard_of(&message) == markup {
                return not_modified();
            }
            message["text"] = json!(text);
            set_or_remove(
                &mut message,
                "entities",
                (!entities.is_empty()).then(|| json!(entities)),
            );
            set_or_remove(&mut message, "reply_markup", markup);
            message["edit_date"] = json!(1_780_000_100);
            inner.messages.insert(id, (chat, raw.clone()));
            inner.message_json.insert(id, message.clone());
            inner.edits.push((chat, id, raw));
            message
        }
        "editmessagereplymarkup" => {
            let chat = body["chat_id"].as_i64().unwrap_or_default();
            let id = body["message_id"].as_i64().unwrap_or_default();
            if let Err(e) = check_keyboard(&body) {
                return envelope_error(400, &e);
            }
            let markup = keyboard_of(&body);
            let mut inner = fake.inner.lock().unwrap();
            let Some(mut message) = inner.message_json.get(&id).cloned().filter(|m| m["chat"]["id"] == chat) else {
                return envelope_error(400, "Bad Request: message to edit not found");
            };
            if keyboard_of(&message) == markup {
                return not_modified();
            }
            set_or_remove(&mut message, "reply_markup", markup.clone());
            inner.message_json.insert(id, message.clone());
            inner
                .markup_edits
                .push((chat, id, markup.unwrap_or(json!({"inline_keyboard": []}))));
            message
        }
        "sendphoto" | "senddocument" => {
            let kind = if method == "sendphoto" { "photo" } else { "document" };
            let chat = body["chat_id"].as_i64().unwrap_or_default();
            let Some(upload) = body[kind]
                .as_str()
                .and_then(|a| a.strip_prefix("attach://"))
                .and_then(|a| uploads.get(a))
            else {
                return envelope_error(400, "Bad Request: wrong file identifier/HTTP URL specified");
            };
            let (caption, entities) = match parsed_text(&body, "caption", 1024) {
                Ok(t) => t,
                Err(e) => return envelope_error(400, &e),
            };
            let mut inner = fake.inner.lock().unwrap();
            let reply_to = match reply_target(&inner, &body, chat) {
                Ok(r) => r,
                Err(e) => return envelope_error(400, &e),
            };
            file_message(
                &mut inner, chat, reply_to, &method, kind, upload, &caption, &entities, None,
            )
        }
        "sendmediagroup" => {
            let chat = body["chat_id"].as_i64().unwrap_or_default();
            let media = body["media"].as_array().cloned().unwrap_or_default();
            if !(2..=10).contains(&media.len()) {
                return envelope_error(400, "Bad Request: wrong number of media in the album");
            }
            let mut inner = fake.inner.lock().unwrap();
            let reply_to = match reply_target(&inner, &body, chat) {
                Ok(r) => r,
                Err(e) => return envelope_error(400, &e),
            };
            let group = format!("album-{}", inner.next_message_id + 1);
            let mut messages = Vec::new();
            for item in &media {
                let kind = item["type"].as_str().unwrap_or_default();
                if !matches!(kind, "photo" | "video" | "document" | "audio") {
                    return envelope_error(400, "Bad Request: wrong media type");
                }
                let Some(upload) = item["media"]
                    .as_str()
                    .and_then(|a| a.strip_prefix("attach://"))
                    .and_then(|a| uploads.get(a))
                else {
                    return envelope_error(400, "Bad Request: wrong file identifier/HTTP URL specified");
                };
                let (caption, entities) = match parsed_text(item, "caption", 1024) {
                    Ok(t) => t,
                    Err(e) => return envelope_error(400, &e),
                };
                messages.push(file_message(
                    &mut inner,
                    chat,
                    reply_to.clone(),
                    &method,
                    kind,
                    upload,
                    &caption,
                    &entities,
                    Some(&group),
                ));
            }
            json!(messages)
        }
        _ => return envelope_error(404, "Not Found: method not found"),
    };
    axum::Json(json!({"ok": true, "result": result})).into_response()
}

fn bot_user() -> Value {
    json!({"id": BOT_ID, "is_bot": true, "first_name": "Redeemdesk", "username": "redeemdesk_bot"})
}

fn user_json(inner: &Inner, user: i64, lang: Option<&str>) -> Value {
    let (first_name, username) = inner
        .names
        .get(&user)
        .cloned()
        .unwrap_or_else(|| (format!("User{user}"), None));
    let mut u = json!({"id": user, "is_bot": false, "first_name": first_name});
    if let Some(username) = username {
        u["username"] = json!(username);
    }
    if let Some(lang) = lang {
        u["language_code"] = json!(lang);
    }
    u
}

/// A chat as messages show it: a registered group, an unregistered one
/// (negative id), or a private chat.
fn chat_json(inner: &Inner, chat: i64) -> Value {
    if let Some(group) = inner.groups.get(&chat) {
        return group.clone();
    }
    if chat < 0 {
        json!({"id": chat, "type": "group", "title": "MSI fans"})
    } else {
        json!({"id": chat, "type": "private", "first_name": "User"})
    }
}

/// A ChatMember object of each status, with the fields the Bot API sends.
fn member_json(user: Value, status: &str) -> Value {
    match status {
        "creator" => json!({"status": "creator", "user": user, "is_anonymous": false}),
        "administrator" => json!({"status": "administrator", "user": user, "can_be_edited": false,
            "is_anonymous": false, "can_manage_chat": true, "can_delete_messages": true,
            "can_manage_video_chats": true, "can_restrict_members": true, "can_promote_members": false,
            "can_change_info": true, "can_invite_users": true, "can_post_stories": false,
            "can_edit_stories": false, "can_delete_stories": false, "can_pin_messages": true}),
        "member" => json!({"status": "member", "user": user}),
        "restricted" | "restricted-left" => json!({"status": "restricted", "user": user,
            "is_member": status == "restricted", "can_send_messages": true, "can_send_audios": true,
            "can_send_documents": true, "can_send_photos": true, "can_send_videos": true,
            "can_send_video_notes": true, "can_send_voice_notes": true, "can_send_polls": true,
            "can_send_other_messages": true, "can_add_web_page_previews": true, "can_change_info": false,
            "can_invite_users": false, "can_pin_messages": false, "can_manage_topics": false, "until_date": 0}),
        "kicked" => json!({"status": "kicked", "user": user, "until_date": 0}),
        _ => json!({"status": "left", "user": user}),
    }
}

/// A new message from the bot in `chat` (id, date, chat, sender, reply).
fn new_message(inner: &mut Inner, chat: i64, reply_to: Option<Value>) -> Value {
    inner.next_message_id += 1;
    let mut message = json!({"message_id": inner.next_message_id, "date": 1_780_000_000,
                             "chat": chat_json(inner, chat), "from": bot_user()});
    if let Some(replied) = reply_to {
        message["reply_to_message"] = replied;
    }
    message
}

/// A message carrying an uploaded file, recorded as sent.
#[allow(clippy::too_many_arguments)]
fn file_message(
    inner: &mut Inner,
    chat: i64,
    reply_to: Option<Value>,
    method: &str,
    kind: &str,
    upload: &Upload,
    caption: &str,
    entities: &[Value],
    album: Option<&str>,
) -> Value {
    let replied = reply_to.as_ref().and_then(|r| r["message_id"].as_i64());
    let mut message = new_message(inner, chat, reply_to);
    let id = message["message_id"].as_i64().unwrap();
    let file_id = format!("sent-{id}");
    if kind == "photo" {
        message["photo"] = json!([
            {"file_id": format!("{file_id}-s"), "file_unique_id": format!("u{id}s"), "width": 90, "height": 90,
             "file_size": 1000},
            {"file_id": file_id, "file_unique_id": format!("u{id}"), "width": 1280, "height": 960,
             "file_size": upload.data.len()}
        ]);
    } else {
        message[kind] = json!({"file_id": file_id, "file_unique_id": format!("u{id}"),
            "file_name": upload.filename, "mime_type": upload.content_type, "file_size": upload.data.len()});
    }
    if !caption.is_empty() {
        message["caption"] = json!(caption);
    }
    if !entities.is_empty() {
        message["caption_entities"] = json!(entities);
    }
    if let Some(album) = album {
        message["media_group_id"] = json!(album);
    }
    inner.message_json.insert(id, message.clone());
    inner.files_sent.push(SentFile {
        chat,
        message_id: id,
        method: method.to_owned(),
        kind: kind.to_owned(),
        filename: upload.filename.clone(),
        data: upload.data.clone(),
        caption: (!caption.is_empty()).then(|| caption.to_owned()),
        reply_to: replied,
    });
    message
}

/// The message a send replies to (`reply_parameters`, or the older
/// `reply_to_message_id`), as `reply_to_message` shows it. (Here and below,
/// `Err` is the description of a 400 answer.)
fn reply_target(inner: &Inner, body: &Value, chat: i64) -> Result<Option<Value>, String> {
    let id = body["reply_parameters"]["message_id"]
        .as_i64()
        .or_else(|| body["reply_to_message_id"].as_i64());
    let Some(id) = id else { return Ok(None) };
    match inner.message_json.get(&id).filter(|m| m["chat"]["id"] == chat) {
        Some(m) => {
            let mut m = m.clone();
            if let Some(o) = m.as_object_mut() {
                o.remove("reply_to_message");
            }
            Ok(Some(m))
        }
        None if body["reply_parameters"]["allow_sending_without_reply"] == true => Ok(None),
        None => Err("Bad Request: message to be replied not found".to_owned()),
    }
}

/// The text of `field` as Telegram keeps it: HTML parsed into text and
/// entities when `parse_mode` is HTML, leading and trailing whitespace
/// dropped, at most `max` UTF-16 units.
fn parsed_text(body: &Value, field: &str, max: usize) -> Result<(String, Vec<Value>), String> {
    let raw = body[field].as_str().unwrap_or_default();
    let (text, entities) = if body["parse_mode"] == "HTML" {
        parse_html(raw).map_err(|e| format!("Bad Request: can't parse entities: {e}"))?
    } else {
        (raw.to_owned(), Vec::new())
    };
    let trimmed = text.trim_start();
    let shift = utf16_len(&text[..text.len() - trimmed.len()]);
    let text = trimmed.trim_end().to_owned();
    let entities = entities
        .into_iter()
        .map(|mut e| {
            let offset = e["offset"].as_u64().unwrap_or(0) as usize;
            e["offset"] = json!(offset.saturating_sub(shift));
            e
        })
        .collect();
    if utf16_len(&text) > max {
        let what = if field == "caption" {
            "message caption is too long"
        } else {
            "message is too long"
        };
        return Err(format!("Bad Request: {what}"));
    }
    Ok((text, entities))
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Telegram's HTML: the tags it supports become entities (offsets and
/// lengths in UTF-16 units), the four named entities and numeric ones are
/// decoded; an unsupported or unbalanced tag is refused.
fn parse_html(html: &str) -> Result<(String, Vec<Value>), String> {
    const TAGS: [(&str, &str); 16] = [
        ("b", "bold"),
        ("strong", "bold"),
        ("i", "italic"),
        ("em", "italic"),
        ("u", "underline"),
        ("ins", "underline"),
        ("s", "strikethrough"),
        ("strike", "strikethrough"),
        ("del", "strikethrough"),
        ("code", "code"),
        ("pre", "pre"),
        ("a", "text_link"),
        ("tg-spoiler", "spoiler"),
        ("span", "spoiler"),
        ("blockquote", "blockquote"),
        ("tg-emoji", "custom_emoji"),
    ];
    let mut text = String::new();
    let mut entities = Vec::new();
    let mut open: Vec<(String, usize)> = Vec::new();
    let mut i = 0;
    while i < html.len() {
        let rest = &html[i..];
        let c = rest.chars().next().unwrap();
        if c == '<' {
            let end = rest.find('>').ok_or(format!("Unclosed start tag at byte offset {i}"))?;
            let tag = &rest[1..end];
            if let Some(name) = tag.strip_prefix('/') {
                let name = name.trim().to_lowercase();
                let Some((opened, at)) = open.pop() else {
                    return Err(format!("Unexpected end tag at byte offset {i}"));
                };
                if opened != name {
                    return Err(format!(
                        "Can't find end tag corresponding to start tag \"{opened}\" at byte offset {i}"
                    ));
                }
                let kind = TAGS.iter().find(|(t, _)| *t == name).unwrap().1;
                let length = utf16_len(&text) - at;
                if length > 0 {
                    entities.push(json!({"type": kind, "offset": at, "length": length}));
                }
            } else {
                let name = tag.split_whitespace().next().unwrap_or_default().to_lowercase();
                if !TAGS.iter().any(|(t, _)| *t == name) {
                    return Err(format!("Unsupported start tag \"{name}\" at byte offset {i}"));
                }
                open.push((name, utf16_len(&text)));
            }
            i += end + 1;
        } else if c == '&' {
            let decoded = rest.find(';').filter(|e| *e <= 10).and_then(|e| {
                let name = &rest[1..e];
                let c = match name {
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "amp" => Some('&'),
                    "quot" => Some('"'),
                    _ => name
                        .strip_prefix('#')
                        .and_then(|n| n.parse::<u32>().ok())
                        .and_then(char::from_u32),
                };
                c.map(|c| (c, e + 1))
            });
            match decoded {
                Some((c, len)) => {
                    text.push(c);
                    i += len;
                }
                None => {
                    text.push('&');
                    i += 1;
                }
            }
        } else {
            text.push(c);
            i += c.len_utf8();
        }
    }
    if let Some((name, _)) = open.pop() {
        return Err(format!("Can't find end tag corresponding to start tag \"{name}\""));
    }
    Ok((text, entities))
}

/// An inline keyboard in a request or a message; `None` when absent or empty
/// (an empty keyboard is how a bot removes one).
fn keyboard_of(value: &Value) -> Option<Value> {
    value["reply_markup"]["inline_keyboard"]
        .as_array()
        .filter(|rows| rows.iter().any(|r| r.as_array().is_some_and(|r| !r.is_empty())))
        .map(|_| value["reply_markup"].clone())
}

/// Telegram refuses callback data longer than 64 bytes.
fn check_keyboard(body: &Value) -> Result<(), String> {
    let rows = body["reply_markup"]["inline_keyboard"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for button in rows.iter().filter_map(Value::as_array).flatten() {
        let data = button["callback_data"].as_str().unwrap_or_default();
        if data.len() > 64 || button["text"].as_str().unwrap_or_default().is_empty() {
            return Err("Bad Request: BUTTON_DATA_INVALID".to_owned());
        }
    }
    Ok(())
}

fn set_or_remove(message: &mut Value, key: &str, value: Option<Value>) {
    match value {
        Some(v) => message[key] = v,
        None => {
            if let Some(m) = message.as_object_mut() {
                m.remove(key);
            }
        }
    }
}

fn not_modified() -> Response {
    envelope_error(
        400,
        "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
    )
}

async fn get_updates(fake: FakeTelegram, body: Value) -> Response {
    let offset = body["offset"].as_i64().unwrap_or(0);
    let timeout = body["timeout"].as_u64().unwrap_or(0).min(1);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    loop {
        let notified = fake.new_update.notified();
        let pending: Vec<Value> = {
            let inner = fake.inner.lock().unwrap();
            inner
                .updates
                .iter()
                .filter(|u| u["update_id"].as_i64().unwrap_or(0) >= offset)
                .take(100)
                .cloned()
                .collect()
        };
        if !pending.is_empty() || tokio::time::Instant::now() >= deadline {
            return axum::Json(json!({"ok": true, "result": pending})).into_response();
        }
        let _ = tokio::time::timeout_at(deadline, notified).await;
    }
}

/// A file part of a multipart upload.
#[derive(Debug, Clone)]
struct Upload {
    filename: String,
    content_type: String,
    data: Vec<u8>,
}

/// A multipart/form-data body: its text fields as a JSON object (values that
/// parse as JSON keep their type, as the Bot API reads them), and its file
/// parts by field name (what `attach://NAME` refers to).
fn multipart(body: &[u8], boundary: &str) -> (Value, HashMap<String, Upload>) {
    let boundary = format!("--{}", boundary.trim_matches('"'));
    let mut fields = serde_json::Map::new();
    let mut uploads = HashMap::new();
    for part in split_bytes(body, boundary.as_bytes()) {
        let Some(head_end) = find_bytes(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..head_end]);
        let mut value = &part[head_end + 4..];
        value = value.strip_suffix(b"\r\n").unwrap_or(value);
        let param = |key: &str| {
            head.split(&format!("{key}=\""))
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .map(str::to_owned)
        };
        let Some(name) = param(" name").or_else(|| param(";name")) else {
            continue;
        };
        match param("filename") {
            Some(filename) => {
                let content_type = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .starts_with("content-type:")
                            .then(|| l.split_once(':').unwrap().1.trim().to_owned())
                    })
                    .filter(|t| t != "application/octet-stream")
                    .unwrap_or_else(|| mime_of(&filename).to_owned());
                uploads.insert(
                    name,
                    Upload {
                        filename,
                        content_type,
                        data: value.to_vec(),
                    },
                );
            }
            None => {
                let text = String::from_utf8_lossy(value).into_owned();
                let parsed = serde_json::from_str(&text).unwrap_or_else(|_| json!(text));
                fields.insert(name, parsed);
            }
        }
    }
    (Value::Object(fields), uploads)
}

/// What Telegram makes of an upload without a type: its file name's extension.
fn mime_of(filename: &str) -> &'static str {
    match filename.rsplit('.').next().map(str::to_ascii_lowercase).as_deref() {
        Some("pdf") => "application/pdf",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

fn find_bytes(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn split_bytes<'a>(mut body: &'a [u8], separator: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    while let Some(at) = find_bytes(body, separator) {
        parts.push(&body[..at]);
        body = &body[at + separator.len()..];
    }
    parts.push(body);
    parts
}

async fn download(State(fake): State<FakeTelegram>, Path((bot, path)): Path<(String, String)>) -> Response {
    if bot != format!("bot{TOKEN}") {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let content = {
        let inner = fake.inner.lock().unwrap();
        inner
            .files
            .values()
            .find(|(p, _, _)| *p == path)
            .map(|(_, _, c)| c.clone())
    };
    match content {
        Some(c) => c.into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Headers go out, then the connection breaks before the body: the client
/// never gets an answer it can read.
fn dropped() -> Response {
    let broken = futures::stream::once(async { Err::<axum::body::Bytes, _>(std::io::Error::other("dropped")) });
    Response::new(axum::body::Body::from_stream(broken))
}

fn envelope_error(code: u16, description: &str) -> Response {
    (
        StatusCode::from_u16(code).unwrap(),
        axum::Json(json!({"ok": false, "error_code": code, "description": description})),
    )
        .into_response()
}
