//! A fake Telegram Bot API server for tests: axum on 127.0.0.1 (port 0), the
//! real wire format (`POST /bot<TOKEN>/<method>` with JSON bodies, `{"ok": …}`
//! envelopes, case-insensitive method names as teloxide sends PascalCase, files
//! at `GET /file/bot<TOKEN>/<path>`), updates queued by the test and handed out
//! by `getUpdates` or, once `setWebhook` was called, posted to the webhook with
//! the secret header and retried on failure as Telegram does; everything the bot
//! sends recorded, and faults that can be injected per method.

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
    /// Every message in every chat by id: (chat id, current text).
    messages: HashMap<i64, (i64, String)>,
    /// Successful edits: (chat id, message id, new text).
    edits: Vec<(i64, i64, String)>,
    /// Files the bot may fetch: file_id → (path, announced size, content).
    files: HashMap<String, (String, u64, Vec<u8>)>,
    /// Set by setWebhook: (url, secret token).
    webhook: Option<(String, Option<String>)>,
    /// HTTP statuses our webhook answered, in order (0: no answer).
    webhook_statuses: Vec<u16>,
    faults: HashMap<String, VecDeque<Fault>>,
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

    fn user(user: i64, lang: &str) -> Value {
        json!({"id": user, "is_bot": false, "first_name": format!("User{user}"), "language_code": lang})
    }

    fn chat(chat: i64, private: bool) -> Value {
        if private {
            json!({"id": chat, "type": "private", "first_name": format!("User{chat}")})
        } else {
            json!({"id": chat, "type": "group", "title": "MSI fans"})
        }
    }

    /// A text message from `user` in their private chat.
    pub fn text(&self, user: i64, lang: &str, text: &str) -> i64 {
        self.message(user, user, lang, json!({"text": text}))
    }

    /// A text message in a group chat.
    pub fn group_text(&self, group: i64, user: i64, text: &str) -> i64 {
        self.message(group, user, "id", json!({"text": text}))
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

    fn message(&self, chat: i64, user: i64, lang: &str, content: Value) -> i64 {
        let message_id = {
            let mut inner = self.inner.lock().unwrap();
            inner.next_message_id += 1;
            inner.next_message_id
        };
        let mut message = json!({
            "message_id": message_id,
            "date": 1_780_000_000,
            "chat": Self::chat(chat, chat == user),
            "from": Self::user(user, lang),
        });
        for (k, v) in content.as_object().unwrap() {
            message[k] = v.clone();
        }
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
            "message_id": message_id, "date": 1_780_000_000, "chat": Self::chat(user, true),
            "from": {"id": 1, "is_bot": true, "first_name": "Redeemdesk", "username": "redeemdesk_bot"},
            "text": text
        });
        let id = format!("cq-{user}-{}", self.inner.lock().unwrap().next_update_id);
        self.push_update(json!({"callback_query": {
            "id": id, "from": Self::user(user, lang), "chat_instance": "ci", "data": data, "message": message
        }}))
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

async fn handle(
    State(fake): State<FakeTelegram>,
    Path((bot, method)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    body: String,
) -> Response {
    if bot != format!("bot{TOKEN}") {
        return envelope_error(401, "Unauthorized");
    }
    let method = method.to_lowercase();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // Methods that may carry files (setWebhook's certificate) come as multipart.
    let body: Value = match content_type.split_once("boundary=") {
        Some((_, boundary)) if content_type.starts_with("multipart/form-data") => multipart_fields(&body, boundary),
        _ => serde_json::from_str(&body).unwrap_or(json!({})),
    };
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
        None => {}
    }
    let result = match method.as_str() {
        "getme" => json!({"id": 1, "is_bot": true, "first_name": "Redeemdesk", "username": "redeemdesk_bot",
                          "can_join_groups": true, "can_read_all_group_messages": false,
                          "supports_inline_queries": false, "has_main_web_app": false}),
        "setmycommands" | "answercallbackquery" => json!(true),
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
        "sendmessage" => {
            let chat = body["chat_id"].as_i64().unwrap_or_default();
            let text = body["text"].as_str().unwrap_or_default().to_owned();
            let id = {
                let mut inner = fake.inner.lock().unwrap();
                inner.next_message_id += 1;
                let id = inner.next_message_id;
                inner.delivered.push((chat, text.clone()));
                inner.messages.insert(id, (chat, text));
                id
            };
            json!({"message_id": id, "date": 1_780_000_000,
                   "chat": {"id": chat, "type": "private", "first_name": "User"},
                   "from": {"id": 1, "is_bot": true, "first_name": "Redeemdesk", "username": "redeemdesk_bot"},
                   "text": body["text"]})
        }
        "editmessagetext" => {
            let chat = body["chat_id"].as_i64().unwrap_or_default();
            let id = body["message_id"].as_i64().unwrap_or_default();
            let text = body["text"].as_str().unwrap_or_default().to_owned();
            let mut inner = fake.inner.lock().unwrap();
            match inner.messages.get(&id) {
                Some((c, _)) if *c != chat => return envelope_error(400, "Bad Request: message to edit not found"),
                None => return envelope_error(400, "Bad Request: message to edit not found"),
                Some((_, old)) if *old == text => {
                    return envelope_error(
                        400,
                        "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
                    );
                }
                Some(_) => {}
            }
            inner.messages.insert(id, (chat, text.clone()));
            inner.edits.push((chat, id, text));
            json!({"message_id": id, "date": 1_780_000_000,
                   "chat": {"id": chat, "type": "private", "first_name": "User"},
                   "from": {"id": 1, "is_bot": true, "first_name": "Redeemdesk", "username": "redeemdesk_bot"},
                   "text": body["text"]})
        }
        _ => return envelope_error(404, "Not Found: method not found"),
    };
    axum::Json(json!({"ok": true, "result": result})).into_response()
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

/// The text fields of a multipart/form-data body, as a JSON object (values
/// that parse as JSON keep their type, as the Bot API reads them).
fn multipart_fields(body: &str, boundary: &str) -> Value {
    let boundary = boundary.trim_matches('"');
    let mut fields = serde_json::Map::new();
    for part in body.split(&format!("--{boundary}")) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(name) = head.split("name=\"").nth(1).and_then(|rest| rest.split('"').next()) else {
            continue;
        };
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        let parsed = serde_json::from_str(value).unwrap_or_else(|_| json!(value));
        fields.insert(name.to_owned(), parsed);
    }
    Value::Object(fields)
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
