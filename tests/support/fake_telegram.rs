//! A fake Telegram Bot API server for tests: axum on 127.0.0.1 (port 0), the
//! real wire format (`POST /bot<TOKEN>/<method>` with JSON bodies, `{"ok": …}`
//! envelopes, case-insensitive method names as teloxide sends PascalCase),
//! updates queued by the test, everything the bot sends recorded, and faults
//! that can be injected per method.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
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
        inner.updates.push(update);
        drop(inner);
        self.new_update.notify_waiters();
        id
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

    /// A photo from `user`.
    pub fn photo(&self, user: i64, lang: &str, bytes: u32) -> i64 {
        let photo = json!([
            {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90, "file_size": 1000},
            {"file_id": "large", "file_unique_id": "l", "width": 1280, "height": 960, "file_size": bytes}
        ]);
        self.message(user, user, lang, json!({"photo": photo, "caption": "invoice"}))
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

    /// A press of an inline button with `data`, on a message the bot sent.
    pub fn press(&self, user: i64, lang: &str, data: &str) -> i64 {
        let message = json!({
            "message_id": 1, "date": 1_780_000_000, "chat": Self::chat(user, true),
            "from": {"id": 1, "is_bot": true, "first_name": "Redeemdesk", "username": "redeemdesk_bot"},
            "text": "menu"
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
    body: String,
) -> Response {
    if bot != format!("bot{TOKEN}") {
        return envelope_error(401, "Unauthorized");
    }
    let method = method.to_lowercase();
    let body: Value = serde_json::from_str(&body).unwrap_or(json!({}));
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
        None => {}
    }
    let result = match method.as_str() {
        "getme" => json!({"id": 1, "is_bot": true, "first_name": "Redeemdesk", "username": "redeemdesk_bot",
                          "can_join_groups": true, "can_read_all_group_messages": false,
                          "supports_inline_queries": false, "has_main_web_app": false}),
        "deletewebhook" | "setmycommands" | "answercallbackquery" | "setwebhook" => json!(true),
        "getupdates" => return get_updates(fake, body).await,
        "sendmessage" | "editmessagetext" => {
            let chat = body["chat_id"].as_i64().unwrap_or_default();
            let id = {
                let mut inner = fake.inner.lock().unwrap();
                inner.next_message_id += 1;
                inner
                    .delivered
                    .push((chat, body["text"].as_str().unwrap_or_default().to_owned()));
                inner.next_message_id
            };
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

fn envelope_error(code: u16, description: &str) -> Response {
    (
        StatusCode::from_u16(code).unwrap(),
        axum::Json(json!({"ok": false, "error_code": code, "description": description})),
    )
        .into_response()
}
