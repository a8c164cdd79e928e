//! A fake Discord for tests: the REST API (axum on 127.0.0.1, port 0) and the
//! gateway (tokio-tungstenite on another 127.0.0.1 port), speaking the real wire
//! format closely enough that unmodified serenity 0.12 talks to it.
//!
//! Point serenity at it with
//! `HttpBuilder::new(TOKEN).proxy(fake.api_url()).ratelimiter_disabled(true)`:
//! serenity then sends REST calls to `<api_url>/api/v10/…` and reads the gateway
//! URL from `GET /gateway`. (The proxy is ignored while serenity's own rate
//! limiter is on, so it has to be off.)
//!
//! What it models, because the adapter's behaviour depends on it:
//! - the gateway handshake (Hello → Identify → READY, heartbeats, RESUME with
//!   replay of missed events, invalid sessions), several connections over its
//!   lifetime, and ways to break the connection so serenity reconnects;
//! - intents: MESSAGE_CREATE in a DM needs DIRECT_MESSAGES, in a guild
//!   GUILD_MESSAGES; without the privileged MESSAGE_CONTENT intent a guild
//!   message that does not mention the bot arrives with its content, embeds,
//!   attachments and components blanked, exactly as Discord does;
//! - messages as stored state (edits applied, replies, uploads served back);
//! - interactions: one callback per interaction (a second gets 40060), the
//!   `@original` response and follow-ups through the interaction webhook, a
//!   deferred response being resolved by the first follow-up, modals (callback
//!   type 9, checked as Discord does) and their submits (type 5 interactions
//!   built from the modal that was opened), and (opt-in) the 3-second deadline
//!   for the first response;
//! - guild channels a test declares, and threads started from a message in
//!   them (the thread's id is the message's; messages are posted into it like
//!   any channel; an id that is a message's but no thread's is no channel);
//!   interactions in a known channel carry that channel (a thread: type 11,
//!   `parent_id`, `thread_metadata`);
//! - Discord's error bodies (`{"message", "code"}`, Invalid Form Body with
//!   `errors`), and faults injected per (method, path prefix);
//! - users whose DMs are closed to the bot (403, 50007 when posting there).
//!
//! Every HTTP request, including faulted ones and file downloads, is recorded.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

/// The bot token. Serenity sends it as `Authorization: Bot <TOKEN>`.
pub const TOKEN: &str = "fake-discord-token";
/// The bot's user id. Deliberately different from [`APP_ID`] (on real Discord
/// they are usually equal), so code that confuses the two fails in tests.
pub const BOT_ID: u64 = 1_290_000_000_000_000_001;
/// The application id: READY's `application.id`, the `{app}` in webhook and
/// command routes.
pub const APP_ID: u64 = 1_290_000_000_000_000_777;
pub const BOT_NAME: &str = "Redeemdesk";
/// The `guild_locale` of interactions in a guild (the user's own is `locale`).
pub const GUILD_LOCALE: &str = "en-US";
/// Announced in Hello. Far shorter than Discord's ~41 s so that heartbeats and
/// their acks happen during a test, long enough not to trip on a busy machine.
pub const HEARTBEAT_INTERVAL_MS: u64 = 2_000;
/// Upload limit without boosts (10 MiB); also `attachment_size_limit` in interactions.
pub const ATTACHMENT_SIZE_LIMIT: u64 = 10 * 1024 * 1024;

const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

// Gateway intents (bits of Identify's `intents`).
const INTENT_GUILD_MESSAGES: u64 = 1 << 9;
const INTENT_DIRECT_MESSAGES: u64 = 1 << 12;
const INTENT_MESSAGE_CONTENT: u64 = 1 << 15;

// Message flags.
const FLAG_SUPPRESS_EMBEDS: u64 = 1 << 2;
const FLAG_EPHEMERAL: u64 = 1 << 6;
const FLAG_LOADING: u64 = 1 << 7;
const FLAG_SUPPRESS_NOTIFICATIONS: u64 = 1 << 12;
/// A message a thread was started from.
const FLAG_HAS_THREAD: u64 = 1 << 5;

// Channel types.
const GUILD_TEXT: u64 = 0;
const GUILD_ANNOUNCEMENT: u64 = 5;
const PUBLIC_THREAD: u64 = 11;

/// Application flags in READY and application info: GATEWAY_MESSAGE_CONTENT_LIMITED
/// (an unverified bot may switch on the message content intent) and
/// APPLICATION_COMMAND_BADGE.
const APP_FLAGS: u64 = (1 << 19) | (1 << 23);

/// What a member and the bot may do in the fake guild channels: view, send,
/// embed links, attach files, read history, add reactions, external emojis,
/// use application commands, send in threads.
const PERMISSIONS: u64 =
    (1 << 6) | (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 18) | (1 << 31) | (1 << 38);

/// One HTTP request the fake received, in arrival order.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: String,
    /// The path without the query, e.g. `/api/v10/channels/5/messages`.
    pub path: String,
    /// The JSON body; `Null` if empty. A multipart body is recorded as
    /// `{"multipart": true, "payload_json": <parsed>, "files": [{"field",
    /// "filename", "content_type", "size"}], "fields": {<other text fields>}}`.
    pub body: Value,
}

/// A fault to answer a call with, instead of the normal answer.
#[derive(Debug, Clone)]
pub enum Fault {
    /// 429 with Discord's body `{"message": "You are being rate limited.",
    /// "retry_after": 0.05, "global": false}` and `Retry-After: 1` (the header
    /// is whole seconds, rounded up). Note the body has no `code`: serenity's
    /// `ErrorResponse` then reports `error.code == -1`.
    TooManyRequests,
    /// 500 `{"message": "500: Internal Server Error", "code": 0}`.
    ServerError,
    /// Any status with the given JSON body, e.g. 403
    /// `{"message": "Cannot send messages to this user", "code": 50007}`.
    Json(u16, Value),
    /// Answer normally, but only after this long.
    Slow(Duration),
    /// Close the connection without an answer; the call has no effect.
    Dropped,
}

/// Counters of the gateway's life, for tests of reconnecting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GatewayStats {
    /// WebSocket connections accepted.
    pub connections: usize,
    /// IDENTIFYs answered with READY.
    pub readies: usize,
    /// RESUMEs answered with RESUMED.
    pub resumes: usize,
    /// RESUMEs refused with an invalid session (op 9).
    pub refused_resumes: usize,
    /// Heartbeats (op 1) received and acknowledged.
    pub heartbeats: usize,
}

/// A file uploaded in a multipart body.
struct Upload {
    /// The form field, `files[<n>]`.
    field: String,
    filename: String,
    content_type: String,
    bytes: Vec<u8>,
}

/// A request body, parsed.
struct Payload {
    /// The JSON payload (for multipart: `payload_json`).
    json: Value,
    uploads: Vec<Upload>,
    /// What [`Call::body`] records.
    record: Value,
}

/// A message Discord knows of.
struct Stored {
    channel_id: u64,
    message: Value,
    /// Posted by the bot (through a channel or an interaction).
    by_bot: bool,
    /// Ephemeral interaction responses are no part of the channel's history.
    ephemeral: bool,
    deleted: bool,
}

struct InteractionState {
    token: String,
    /// The interaction type: 2 command, 3 component, 4 autocomplete, 5 modal.
    kind: u64,
    channel_id: u64,
    user: Value,
    /// The command name (commands only).
    name: String,
    /// The message a component is on.
    message_id: Option<u64>,
    owners: Value,
    /// The INTERACTION_CREATE's `d` as dispatched (a modal's submit copies
    /// where and by whom its modal was opened).
    raw: Value,
    dispatched: Instant,
    /// Accepted callback bodies; Discord accepts one.
    responses: Vec<Value>,
    original: Option<u64>,
    followups: Vec<u64>,
}

enum Outgoing {
    Text(String),
    Close(u16),
    /// Drop the TCP connection without a close frame.
    Kill,
}

struct Session {
    /// The last sequence number sent.
    seq: u64,
    /// Every dispatch of the session, `(s, frame)`, replayed on RESUME.
    log: Vec<(u64, String)>,
    intents: u64,
    /// The connection the session is on, if any: (connection number, sender).
    conn: Option<(u64, mpsc::UnboundedSender<Outgoing>)>,
}

#[derive(Default)]
struct Inner {
    api_url: String,
    gateway_url: String,
    calls: Vec<Call>,
    /// (METHOD, path prefix, queued faults), in order of first registration.
    faults: Vec<(String, String, VecDeque<Fault>)>,
    last_id: u64,
    next_file: u64,
    /// Files served by GET, by path.
    files: HashMap<String, Vec<u8>>,
    messages: Vec<Stored>,
    message_index: HashMap<u64, usize>,
    commands: Vec<Value>,
    /// Channels by id: guild channels a test declared and threads started in them.
    channels: HashMap<u64, Value>,
    guild_commands: HashMap<u64, Vec<Value>>,
    /// Command ids by (guild, name): stable across overwrites, as on Discord.
    command_ids: HashMap<(Option<u64>, String), u64>,
    interactions: HashMap<u64, InteractionState>,
    interaction_deadline: Option<Duration>,
    identify: Option<Value>,
    /// The `shard` field of every IDENTIFY answered with READY (`null` when
    /// it had none), in order.
    identified_shards: Vec<Value>,
    sessions: HashMap<String, Session>,
    current_session: Option<String>,
    /// Dispatched before any session existed: sent after the next READY.
    pending: Vec<(String, Value)>,
    /// Dispatches the session's intents did not allow.
    undelivered: Vec<(String, Value)>,
    next_session: u64,
    stats: GatewayStats,
    /// Users who closed their DMs to the bot (or blocked it): their DM channel
    /// opens, but a message there gets 403 Cannot send messages to this user.
    closed_dms: HashSet<u64>,
}

#[derive(Clone)]
pub struct FakeDiscord {
    inner: Arc<Mutex<Inner>>,
    pub rest_addr: SocketAddr,
    pub gateway_addr: SocketAddr,
}

impl FakeDiscord {
    /// Starts the REST server and the gateway, each on its own free port.
    pub async fn start() -> Self {
        let rest = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let rest_addr = rest.local_addr().unwrap();
        let gateway_addr = gateway.local_addr().unwrap();
        let inner = Inner {
            api_url: format!("http://{rest_addr}"),
            gateway_url: format!("ws://{gateway_addr}"),
            next_file: 1,
            ..Inner::default()
        };
        let fake = Self {
            inner: Arc::new(Mutex::new(inner)),
            rest_addr,
            gateway_addr,
        };
        // Uploads are checked against Discord's limit by the fake itself, with
        // Discord's error rather than axum's.
        let app = Router::new()
            .fallback(handle)
            .layer(DefaultBodyLimit::disable())
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(rest, app).await.unwrap() });
        let gw = fake.clone();
        tokio::spawn(async move {
            loop {
                match gateway.accept().await {
                    Ok((stream, _)) => {
                        tokio::spawn(gateway_connection(gw.clone(), stream));
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
        });
        fake
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not make every later call panic too.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `http://127.0.0.1:P`, for `HttpBuilder::proxy`.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.rest_addr)
    }

    /// `ws://127.0.0.1:G`, what `GET /gateway` announces.
    pub fn gateway_url(&self) -> String {
        format!("ws://{}", self.gateway_addr)
    }

    /// Every HTTP request so far, in order (faulted ones included).
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// The first call (already made or still to come) that `pred` accepts.
    /// Panics with the list of calls if none arrives within `timeout`.
    pub async fn wait_call(&self, pred: impl Fn(&Call) -> bool, timeout: Duration) -> Call {
        let found = poll_until(timeout, || self.lock().calls.iter().find(|c| pred(c)).cloned()).await;
        found.unwrap_or_else(|| panic!("no matching call within {timeout:?}; calls: {:#?}", self.call_summary()))
    }

    /// `METHOD path` of every call, for failure messages.
    pub fn call_summary(&self) -> Vec<String> {
        self.lock()
            .calls
            .iter()
            .map(|c| format!("{} {} {}", c.method, c.path, c.body))
            .collect()
    }

    /// Waits until a session is ready: an IDENTIFY was received and answered
    /// with READY (on any connection so far).
    pub async fn wait_ready(&self, timeout: Duration) {
        self.wait_gateway(|s| s.readies > 0, timeout).await;
    }

    /// Waits until the gateway counters satisfy `pred`.
    pub async fn wait_gateway(&self, pred: impl Fn(&GatewayStats) -> bool, timeout: Duration) -> GatewayStats {
        let found = poll_until(timeout, || {
            let stats = self.lock().stats;
            pred(&stats).then_some(stats)
        })
        .await;
        found.unwrap_or_else(|| panic!("gateway never got there within {timeout:?}: {:?}", self.gateway_stats()))
    }

    pub fn gateway_stats(&self) -> GatewayStats {
        self.lock().stats
    }

    /// The `d` of the last IDENTIFY (token, intents, shard, properties, …).
    pub fn identify(&self) -> Option<Value> {
        self.lock().identify.clone()
    }

    /// The `shard` (`[id, total]`, or `null` when absent) of every IDENTIFY
    /// so far, in the order they came, from every client connected.
    pub fn identified_shards(&self) -> Vec<Value> {
        self.lock().identified_shards.clone()
    }

    /// Sends a dispatch (op 0) with the next sequence number to the current
    /// session: the one of the last IDENTIFY. While that session has no
    /// connection the event is kept and replayed when it resumes; before any
    /// session exists it is sent right after the next READY.
    ///
    /// Intents apply as on Discord: an event the session's intents do not
    /// cover is not sent (see [`Self::undelivered`]), and without
    /// MESSAGE_CONTENT a guild message not mentioning the bot loses its content.
    pub async fn dispatch(&self, event: &str, data: Value) {
        let mut inner = self.lock();
        inner.note_dispatch(event, &data);
        inner.dispatch(event, data);
    }

    /// Events [`Self::dispatch`]ed that the session's intents did not allow.
    pub fn undelivered(&self) -> Vec<(String, Value)> {
        self.lock().undelivered.clone()
    }

    /// Drops the current session's TCP connection without a close frame, as a
    /// network failure would. Serenity reconnects and RESUMEs; events
    /// dispatched meanwhile are replayed.
    pub fn kill_gateway(&self) {
        let mut inner = self.lock();
        if let Some(session) = inner.current_session_mut()
            && let Some((_, tx)) = session.conn.take()
        {
            let _ = tx.send(Outgoing::Kill);
        }
    }

    /// Closes the current session's connection with a close frame `code`.
    /// For codes after which Discord does not allow resuming (4004, 4007, 4009,
    /// 4010–4014) the session is forgotten too.
    pub fn close_gateway(&self, code: u16) {
        let mut inner = self.lock();
        let Some(id) = inner.current_session.clone() else {
            return;
        };
        if let Some(session) = inner.sessions.get_mut(&id)
            && let Some((_, tx)) = session.conn.take()
        {
            let _ = tx.send(Outgoing::Close(code));
        }
        if matches!(code, 4004 | 4007 | 4009 | 4010..=4014) {
            inner.sessions.remove(&id);
            inner.current_session = None;
        }
    }

    /// Sends op 7 (Reconnect): the client should reconnect and resume.
    pub fn request_reconnect(&self) {
        self.send_op(json!({"t": null, "s": null, "op": 7, "d": null}));
    }

    /// Sends op 9 (Invalid Session). Unless `resumable`, the session is
    /// forgotten, so the client has to IDENTIFY anew.
    pub fn invalidate_session(&self, resumable: bool) {
        self.send_op(json!({"t": null, "s": null, "op": 9, "d": resumable}));
        if !resumable {
            let mut inner = self.lock();
            if let Some(id) = inner.current_session.take() {
                inner.sessions.remove(&id);
            }
        }
    }

    fn send_op(&self, frame: Value) {
        let mut inner = self.lock();
        if let Some(session) = inner.current_session_mut()
            && let Some((_, tx)) = &session.conn
        {
            let _ = tx.send(Outgoing::Text(frame.to_string()));
        }
    }

    /// Queues `fault` for the next call of `method` whose path starts with
    /// `path_prefix` (FIFO per (method, prefix)). A prefix that does not start
    /// with `/api/` or `/attachments` is taken relative to `/api/v10`, so
    /// `fault("POST", "/channels", …)` hits `POST /api/v10/channels/…`.
    /// The faulted call is still recorded.
    pub fn fault(&self, method: &str, path_prefix: &str, fault: Fault) {
        let method = method.to_uppercase();
        let prefix = if path_prefix.starts_with("/api/") || path_prefix.starts_with("/attachments") {
            path_prefix.to_owned()
        } else {
            format!("/api/v10{path_prefix}")
        };
        let mut inner = self.lock();
        match inner.faults.iter_mut().find(|(m, p, _)| *m == method && *p == prefix) {
            Some((_, _, queue)) => queue.push_back(fault),
            None => inner.faults.push((method, prefix, VecDeque::from([fault]))),
        }
    }

    /// Serves `bytes` at `http://127.0.0.1:P/attachments/<n>/<name>` (the name
    /// percent-encoded where needed), e.g. as the URL of an [`Self::attachment`].
    pub fn serve_file(&self, name: &str, bytes: Vec<u8>) -> String {
        let mut inner = self.lock();
        let n = inner.next_file;
        inner.next_file += 1;
        let path = format!("/attachments/{n}/{}", encode_path_segment(name));
        inner.files.insert(path.clone(), bytes);
        format!("{}{path}", inner.api_url)
    }

    /// The messages the bot posted in `channel_id` that are visible there now:
    /// channel messages and non-ephemeral interaction responses and follow-ups,
    /// with edits applied and deleted ones left out, in the order posted.
    pub fn messages(&self, channel_id: u64) -> Vec<Value> {
        self.lock()
            .messages
            .iter()
            .filter(|m| m.channel_id == channel_id && m.by_bot && !m.ephemeral && !m.deleted)
            .map(|m| m.message.clone())
            .collect()
    }

    /// Any message the fake knows (the bot's, or one dispatched), as it is now.
    pub fn message(&self, id: u64) -> Option<Value> {
        let inner = self.lock();
        inner.find(id).map(|i| inner.messages[i].message.clone())
    }

    /// The callback bodies Discord accepted for the interaction (at most one:
    /// later ones are refused with 40060). For a multipart callback, the
    /// `payload_json`.
    pub fn interaction_responses(&self, interaction_id: u64) -> Vec<Value> {
        self.lock()
            .interactions
            .get(&interaction_id)
            .map(|i| i.responses.clone())
            .unwrap_or_default()
    }

    /// The interaction's `@original` response message as it is now.
    pub fn original_response(&self, interaction_id: u64) -> Option<Value> {
        let inner = self.lock();
        let id = inner.interactions.get(&interaction_id)?.original?;
        inner.find(id).map(|i| inner.messages[i].message.clone())
    }

    /// The interaction's follow-up messages as they are now.
    pub fn followups(&self, interaction_id: u64) -> Vec<Value> {
        let inner = self.lock();
        let Some(state) = inner.interactions.get(&interaction_id) else {
            return Vec::new();
        };
        state
            .followups
            .iter()
            .filter_map(|id| inner.find(*id))
            .map(|i| inner.messages[i].message.clone())
            .collect()
    }

    /// Declares a text channel of `guild` (what `GET /channels/{id}` returns,
    /// where threads can be started, and what interactions in it carry).
    pub fn add_guild_channel(&self, guild: u64, channel: u64, name: &str) -> Value {
        let value = json!({
            "id": channel.to_string(), "type": GUILD_TEXT, "guild_id": guild.to_string(), "name": name,
            "position": 0, "parent_id": null, "topic": null, "nsfw": false, "last_message_id": null,
            "rate_limit_per_user": 0, "permission_overwrites": [], "flags": 0,
            "default_auto_archive_duration": 1440, "default_thread_rate_limit_per_user": 0,
        });
        self.lock().channels.insert(channel, value.clone());
        value
    }

    /// A channel as `GET /channels/{id}` returns it: a declared guild channel
    /// or a thread started in one.
    pub fn channel(&self, id: u64) -> Option<Value> {
        self.lock().channels.get(&id).cloned()
    }

    /// The interaction's invoking member with these roles (as a member of the
    /// guild has them; only interactions in a guild have a member).
    pub fn with_roles(mut interaction: Value, roles: &[u64]) -> Value {
        assert!(
            interaction["member"].is_object(),
            "only interactions in a guild have a member"
        );
        interaction["member"]["roles"] = json!(roles.iter().map(u64::to_string).collect::<Vec<_>>());
        interaction
    }

    /// The modal the interaction was answered with (callback type 9): its `data`.
    pub fn modal(&self, interaction_id: u64) -> Option<Value> {
        let inner = self.lock();
        let state = inner.interactions.get(&interaction_id)?;
        state
            .responses
            .iter()
            .find(|r| r["type"] == 9)
            .map(|r| r["data"].clone())
    }

    /// The `d` of an INTERACTION_CREATE of type 5: the user who was shown the
    /// modal that interaction `opened_by` was answered with submits it, with
    /// `values` typed into its text inputs (by custom id; others empty). As on
    /// Discord it comes from the same place and user as the interaction that
    /// opened it, and, when a component opened it, carries that component's
    /// message as it is now.
    pub fn modal_submit(&self, interaction_id: u64, opened_by: u64, values: &[(&str, &str)]) -> Value {
        let inner = self.lock();
        let opener = inner
            .interactions
            .get(&opened_by)
            .expect("the interaction that opened the modal was dispatched");
        let modal = opener
            .responses
            .iter()
            .find(|r| r["type"] == 9)
            .map(|r| r["data"].clone())
            .expect("the interaction was answered with a modal");
        let rows: Vec<Value> = modal["components"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|row| {
                let inputs: Vec<Value> = row["components"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .map(|input| {
                        let custom_id = input["custom_id"].as_str().unwrap_or_default();
                        let value = values.iter().find(|(k, _)| *k == custom_id).map_or("", |(_, v)| *v);
                        json!({"type": 4, "custom_id": custom_id, "value": value})
                    })
                    .collect();
                json!({"type": 1, "components": inputs})
            })
            .collect();
        let mut i = opener.raw.clone();
        i["id"] = json!(interaction_id.to_string());
        i["token"] = json!(format!("fake-interaction-token-{interaction_id}"));
        i["type"] = json!(5);
        i["data"] = json!({"custom_id": modal["custom_id"], "components": rows});
        match opener.message_id.and_then(|m| inner.find(m)) {
            Some(index) if opener.kind == 3 => i["message"] = inner.messages[index].message.clone(),
            _ => {
                if let Some(map) = i.as_object_mut() {
                    map.remove("message");
                }
            }
        }
        i
    }

    /// An interaction in a declared channel or thread carries it as Discord
    /// sends it (with the app's permissions there).
    fn place(&self, interaction: &mut Value) {
        let Some(channel) = id_of(&interaction["channel_id"]) else {
            return;
        };
        if let Some(known) = self.lock().channels.get(&channel) {
            let mut partial = known.clone();
            partial["permissions"] = json!(PERMISSIONS.to_string());
            if let Some(map) = partial.as_object_mut() {
                map.remove("member");
            }
            interaction["channel"] = partial;
        }
    }

    /// The global commands as last overwritten (as Discord echoed them).
    pub fn commands(&self) -> Vec<Value> {
        self.lock().commands.clone()
    }

    /// A guild's commands as last overwritten.
    pub fn guild_commands(&self, guild_id: u64) -> Vec<Value> {
        self.lock().guild_commands.get(&guild_id).cloned().unwrap_or_default()
    }

    /// Refuses a first interaction callback that comes later than `deadline`
    /// after the dispatch, with 404 Unknown interaction (10062), as Discord
    /// does after 3 s. Off by default so that slow test machines do not fail.
    pub fn set_interaction_deadline(&self, deadline: Option<Duration>) {
        self.lock().interaction_deadline = deadline;
    }

    /// The DM channel between the bot and `user`; what `POST /users/@me/channels`
    /// returns and where DM interactions of `user` happen.
    pub fn dm_channel_id(user: u64) -> u64 {
        user + 1_000_000
    }

    /// `user` closes their DMs to the bot (privacy settings, or blocks it):
    /// `POST /users/@me/channels` still opens the DM channel, as on Discord,
    /// but posting there is refused with 403 `{"message": "Cannot send
    /// messages to this user", "code": 50007}`.
    pub fn close_dms(&self, user: u64) {
        self.lock().closed_dms.insert(user);
    }

    /// A user object as Discord sends it (a migrated user: discriminator "0").
    pub fn user(id: u64, name: &str) -> Value {
        json!({
            "id": id.to_string(), "username": name, "discriminator": "0", "global_name": name,
            "avatar": null, "public_flags": 0, "flags": 0, "banner": null, "accent_color": null,
            "avatar_decoration_data": null, "collectibles": null, "primary_guild": null, "clan": null,
        })
    }

    /// The bot's user object (bots keep a four-digit discriminator).
    pub fn bot_user() -> Value {
        json!({
            "id": BOT_ID.to_string(), "username": BOT_NAME, "discriminator": "4821", "global_name": null,
            "avatar": null, "bot": true, "public_flags": 0, "flags": 0, "banner": null, "accent_color": null,
            "avatar_decoration_data": null, "collectibles": null, "primary_guild": null, "clan": null,
        })
    }

    fn default_user(id: u64) -> Value {
        Self::user(id, &format!("user{id}"))
    }

    /// A fresh snowflake (carries the current time, like Discord's).
    pub fn new_id(&self) -> u64 {
        self.lock().next_id()
    }

    /// The `d` of a MESSAGE_CREATE from `author` in a DM channel (no
    /// `guild_id`, no `member`).
    pub fn dm_message(&self, channel_id: u64, author: u64, content: &str, attachments: Vec<Value>) -> Value {
        let id = self.new_id();
        json!({
            "type": 0, "tts": false, "timestamp": timestamp(), "pinned": false, "nonce": (id + 7).to_string(),
            "mentions": [], "mention_roles": [], "mention_everyone": false, "id": id.to_string(), "flags": 0,
            "embeds": [], "edited_timestamp": null, "content": content, "components": [], "channel_type": 1,
            "channel_id": channel_id.to_string(), "author": Self::default_user(author), "attachments": attachments,
        })
    }

    /// The `d` of a MESSAGE_CREATE in a guild text channel. With
    /// `mentions_bot`, `<@BOT_ID> ` is put in front of `content` (unless it is
    /// there already) and the bot is in `mentions`, as when a user @-mentions it.
    pub fn guild_message(
        &self,
        guild_id: u64,
        channel_id: u64,
        author: u64,
        content: &str,
        mentions_bot: bool,
    ) -> Value {
        let id = self.new_id();
        let mention = format!("<@{BOT_ID}>");
        let (content, mentions) = if mentions_bot {
            let mut bot = Self::bot_user();
            bot["member"] = member(None);
            let content = if content.contains(&mention) {
                content.to_owned()
            } else {
                format!("{mention} {content}")
            };
            (content, json!([bot]))
        } else {
            (content.to_owned(), json!([]))
        };
        json!({
            "type": 0, "tts": false, "timestamp": timestamp(), "pinned": false, "nonce": (id + 7).to_string(),
            "mentions": mentions, "mention_roles": [], "mention_everyone": false, "id": id.to_string(), "flags": 0,
            "embeds": [], "edited_timestamp": null, "content": content, "components": [], "channel_type": 0,
            "channel_id": channel_id.to_string(), "guild_id": guild_id.to_string(),
            "author": Self::default_user(author), "member": member(None), "attachments": [],
        })
    }

    /// An attachment object of a received message.
    pub fn attachment(&self, id: u64, filename: &str, content_type: &str, url: &str, size: u64) -> Value {
        json!({
            "id": id.to_string(), "filename": filename, "size": size, "url": url, "proxy_url": url,
            "content_type": content_type, "content_scan_version": 0,
        })
    }

    /// The `d` of an INTERACTION_CREATE for the chat-input command `name`. The
    /// option types follow the JSON values: string 3, integer 4, boolean 5,
    /// other number 10. In a DM (`guild` None) there is `user` and the channel
    /// is [`Self::dm_channel_id`]; in a guild (`Some((guild, channel))`) there is
    /// `member` (with `user` and `permissions`) and `guild_id`.
    pub fn slash_command(
        &self,
        interaction_id: u64,
        user: u64,
        locale: &str,
        guild: Option<(u64, u64)>,
        name: &str,
        options: Vec<(&str, Value)>,
    ) -> Value {
        let (command_id, command_guild) = self.lock().command_id(guild.map(|g| g.0), name);
        let options: Vec<Value> = options
            .into_iter()
            .map(|(name, value)| json!({"name": name, "type": option_type(&value), "value": value}))
            .collect();
        let mut data = json!({"id": command_id.to_string(), "name": name, "type": 1});
        if !options.is_empty() {
            data["options"] = json!(options);
        }
        if let Some(g) = command_guild {
            data["guild_id"] = json!(g.to_string());
        }
        let mut interaction = interaction_base(interaction_id, 2, user, locale, guild);
        interaction["data"] = data;
        self.place(&mut interaction);
        interaction
    }

    /// The `d` of an INTERACTION_CREATE for a press on a component of
    /// `message` (as the bot posted it, e.g. from [`Self::messages`]): a button
    /// (`component_type` 2), or with `values` a string select (3). The channel
    /// is the message's.
    #[allow(clippy::too_many_arguments)]
    pub fn component_press(
        &self,
        interaction_id: u64,
        user: u64,
        locale: &str,
        guild: Option<(u64, u64)>,
        custom_id: &str,
        values: Option<Vec<&str>>,
        message: Value,
    ) -> Value {
        let mut interaction = interaction_base(interaction_id, 3, user, locale, guild);
        if let Some(channel_id) = id_of(&message["channel_id"]) {
            interaction["channel_id"] = json!(channel_id.to_string());
            interaction["channel"]["id"] = json!(channel_id.to_string());
        }
        interaction["data"] = match values {
            None => json!({"custom_id": custom_id, "component_type": 2}),
            Some(values) => json!({"custom_id": custom_id, "component_type": 3, "values": values}),
        };
        interaction["message"] = message;
        self.place(&mut interaction);
        interaction
    }

    /// Applies the fault queued for this call, if any, after recording it.
    fn record(&self, method: &Method, path: &str, payload: &Payload) -> Option<Fault> {
        let mut inner = self.lock();
        inner.calls.push(Call {
            method: method.as_str().to_owned(),
            path: path.to_owned(),
            body: payload.record.clone(),
        });
        inner
            .faults
            .iter_mut()
            .find(|(m, p, q)| m == method.as_str() && path.starts_with(p.as_str()) && !q.is_empty())
            .and_then(|(_, _, q)| q.pop_front())
    }

    /// A text frame from a gateway client.
    fn on_gateway_frame(
        &self,
        conn: u64,
        tx: &mpsc::UnboundedSender<Outgoing>,
        text: &str,
        identified: &mut bool,
    ) -> Reply {
        let Ok(payload) = serde_json::from_str::<Value>(text) else {
            return Reply::Close(4002);
        };
        let d = &payload["d"];
        match payload["op"].as_u64() {
            Some(1) => {
                self.lock().stats.heartbeats += 1;
                Reply::Send(json!({"t": null, "s": null, "op": 11, "d": null}))
            }
            Some(2) => {
                if !token_ok(d["token"].as_str()) {
                    return Reply::Close(4004);
                }
                if *identified {
                    return Reply::Close(4005);
                }
                *identified = true;
                let mut inner = self.lock();
                inner.identify_session(conn, tx, d);
                Reply::Nothing
            }
            Some(6) => {
                if !token_ok(d["token"].as_str()) {
                    return Reply::Close(4004);
                }
                let mut inner = self.lock();
                if inner.resume_session(conn, tx, d) {
                    *identified = true;
                    Reply::Nothing
                } else {
                    inner.stats.refused_resumes += 1;
                    Reply::Send(json!({"t": null, "s": null, "op": 9, "d": false}))
                }
            }
            // Presence update, voice state, request guild members, soundboard.
            Some(3 | 4 | 8 | 31) => Reply::Nothing,
            _ => Reply::Close(4001),
        }
    }

    /// A gateway connection ended: its session (if any) has no connection now.
    fn detach(&self, conn: u64) {
        let mut inner = self.lock();
        for session in inner.sessions.values_mut() {
            if session.conn.as_ref().is_some_and(|(c, _)| *c == conn) {
                session.conn = None;
            }
        }
    }

    fn api(&self, method: &Method, rest: &str, payload: &Payload) -> Response {
        let segments: Vec<&str> = rest.split('/').collect();
        let mut inner = self.lock();
        inner
            .api(method.as_str(), &segments, payload)
            .unwrap_or_else(IntoResponse::into_response)
    }
}

enum Reply {
    Nothing,
    Send(Value),
    Close(u16),
}

/// Serenity sends the token with its `Bot ` prefix; Discord accepts either.
fn token_ok(token: Option<&str>) -> bool {
    token.is_some_and(|t| t.strip_prefix("Bot ").unwrap_or(t) == TOKEN)
}

/// A success, or Discord's refusal.
type ApiResult = Result<Response, Refusal>;

/// An error answer: status and Discord's JSON error body. (Small, unlike a
/// `Response`, so `Result`s stay cheap.)
struct Refusal(u16, Value);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        json_response(self.0, &self.1)
    }
}

impl Inner {
    fn next_id(&mut self) -> u64 {
        let ms = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
        let id = (ms.saturating_sub(DISCORD_EPOCH_MS) << 22).max(self.last_id + 1);
        self.last_id = id;
        id
    }

    fn find(&self, id: u64) -> Option<usize> {
        self.message_index
            .get(&id)
            .copied()
            .filter(|&i| !self.messages[i].deleted)
    }

    fn store(&mut self, channel_id: u64, message: Value, by_bot: bool, ephemeral: bool) {
        let Some(id) = id_of(&message["id"]) else { return };
        if self.message_index.contains_key(&id) {
            return;
        }
        self.message_index.insert(id, self.messages.len());
        self.messages.push(Stored {
            channel_id,
            message,
            by_bot,
            ephemeral,
            deleted: false,
        });
    }

    fn current_session_mut(&mut self) -> Option<&mut Session> {
        let id = self.current_session.clone()?;
        self.sessions.get_mut(&id)
    }

    /// The command id for `name`: a registered guild command's, else a
    /// registered (or remembered) global one's. Also returns the guild if it is
    /// a guild command.
    fn command_id(&mut self, guild: Option<u64>, name: &str) -> (u64, Option<u64>) {
        if let Some(g) = guild
            && let Some(id) = self.command_ids.get(&(Some(g), name.to_owned()))
        {
            return (*id, Some(g));
        }
        if let Some(id) = self.command_ids.get(&(None, name.to_owned())) {
            return (*id, None);
        }
        let id = self.next_id();
        self.command_ids.insert((None, name.to_owned()), id);
        (id, None)
    }

    /// Remembers what a dispatch tells the fake: received messages (so replies
    /// and fetches find them) and interactions (so callbacks are accepted).
    fn note_dispatch(&mut self, event: &str, data: &Value) {
        match event {
            "MESSAGE_CREATE" => {
                if let Some(channel_id) = id_of(&data["channel_id"]) {
                    let by_bot = id_of(&data["author"]["id"]) == Some(BOT_ID);
                    self.store(channel_id, data.clone(), by_bot, false);
                }
            }
            "INTERACTION_CREATE" => self.register_interaction(data),
            _ => {}
        }
    }

    fn register_interaction(&mut self, d: &Value) {
        let (Some(id), Some(token)) = (id_of(&d["id"]), d["token"].as_str()) else {
            return;
        };
        let user = if d["member"].is_object() {
            d["member"]["user"].clone()
        } else {
            d["user"].clone()
        };
        let channel_id = id_of(&d["channel_id"]).unwrap_or_default();
        let message_id = id_of(&d["message"]["id"]);
        if message_id.is_some() {
            let by_bot = id_of(&d["message"]["author"]["id"]) == Some(BOT_ID);
            let ephemeral = d["message"]["flags"].as_u64().unwrap_or(0) & FLAG_EPHEMERAL != 0;
            let message_channel = id_of(&d["message"]["channel_id"]).unwrap_or(channel_id);
            self.store(message_channel, d["message"].clone(), by_bot, ephemeral);
        }
        self.interactions.insert(
            id,
            InteractionState {
                token: token.to_owned(),
                kind: d["type"].as_u64().unwrap_or(0),
                channel_id,
                user,
                name: d["data"]["name"].as_str().unwrap_or_default().to_owned(),
                message_id,
                owners: d["authorizing_integration_owners"].clone(),
                raw: d.clone(),
                dispatched: Instant::now(),
                responses: Vec::new(),
                original: None,
                followups: Vec::new(),
            },
        );
    }

    fn dispatch(&mut self, event: &str, data: Value) {
        let Some(id) = self.current_session.clone() else {
            self.pending.push((event.to_owned(), data));
            return;
        };
        let Some(intents) = self.sessions.get(&id).map(|s| s.intents) else {
            return;
        };
        if !intents_allow(event, &data, intents) {
            self.undelivered.push((event.to_owned(), data));
            return;
        }
        let data = without_content_unless_allowed(event, data, intents);
        if let Some(session) = self.sessions.get_mut(&id) {
            session.send_dispatch(event, data);
        }
    }

    fn identify_session(&mut self, conn: u64, tx: &mpsc::UnboundedSender<Outgoing>, d: &Value) {
        self.identify = Some(d.clone());
        self.identified_shards.push(d["shard"].clone());
        self.next_session += 1;
        let session_id = format!("fake-session-{}", self.next_session);
        let mut session = Session {
            seq: 0,
            log: Vec::new(),
            intents: d["intents"].as_u64().unwrap_or(0),
            conn: Some((conn, tx.clone())),
        };
        let shard = if d["shard"].is_array() {
            d["shard"].clone()
        } else {
            json!([0, 1])
        };
        let mut user = FakeDiscord::bot_user();
        for (k, v) in [
            ("verified", json!(true)),
            ("mfa_enabled", json!(false)),
            ("email", Value::Null),
            ("locale", json!("en-US")),
        ] {
            user[k] = v;
        }
        session.send_dispatch(
            "READY",
            json!({
                "v": 10, "user_settings": {}, "user": user, "guilds": [], "session_id": session_id,
                "session_type": "normal", "resume_gateway_url": self.gateway_url, "shard": shard,
                "application": {"id": APP_ID.to_string(), "flags": APP_FLAGS},
                "private_channels": [], "relationships": [], "presences": [], "guild_join_requests": [],
                "geo_ordered_rtc_regions": ["singapore"], "auth": {},
                "_trace": ["[\"gateway-fake\",{\"micros\":0}]"],
            }),
        );
        self.sessions.insert(session_id.clone(), session);
        self.current_session = Some(session_id);
        self.stats.readies += 1;
        for (event, data) in std::mem::take(&mut self.pending) {
            self.dispatch(&event, data);
        }
    }

    /// Resumes the session named in the RESUME on this connection: replays the
    /// dispatches after the client's `seq`, then RESUMED. False if unknown.
    fn resume_session(&mut self, conn: u64, tx: &mpsc::UnboundedSender<Outgoing>, d: &Value) -> bool {
        let Some(session) = d["session_id"].as_str().and_then(|id| self.sessions.get_mut(id)) else {
            return false;
        };
        let seq = d["seq"].as_u64().unwrap_or(0);
        // A session lives on one connection: a stale one is cut off.
        if let Some((_, old)) = session.conn.take() {
            let _ = old.send(Outgoing::Kill);
        }
        for (_, frame) in session.log.iter().filter(|(s, _)| *s > seq) {
            let _ = tx.send(Outgoing::Text(frame.clone()));
        }
        session.conn = Some((conn, tx.clone()));
        session.send_dispatch("RESUMED", json!({"_trace": ["[\"gateway-fake\",{\"micros\":0}]"]}));
        self.stats.resumes += 1;
        true
    }

    fn api(&mut self, method: &str, segments: &[&str], p: &Payload) -> ApiResult {
        match (method, segments) {
            ("GET", ["gateway"]) => Ok(ok(json!({"url": self.gateway_url}))),
            ("GET", ["gateway", "bot"]) => Ok(ok(json!({
                "url": self.gateway_url, "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1},
            }))),
            ("GET", ["users", "@me"]) => {
                let mut user = FakeDiscord::bot_user();
                for (k, v) in [
                    ("verified", json!(true)),
                    ("mfa_enabled", json!(false)),
                    ("email", Value::Null),
                    ("locale", json!("en-US")),
                    ("premium_type", json!(0)),
                    ("bio", json!("")),
                ] {
                    user[k] = v;
                }
                Ok(ok(user))
            }
            ("POST", ["users", "@me", "channels"]) => self.create_dm(p),
            ("GET", ["oauth2", "applications", "@me"]) => Ok(ok(application_info())),
            (_, ["applications", app, rest @ ..]) => {
                if *app != APP_ID.to_string() {
                    return Err(error(404, "Unknown Application", 10002));
                }
                match (method, rest) {
                    ("GET", ["commands"]) => Ok(ok(json!(self.commands))),
                    ("PUT", ["commands"]) => self.put_commands(None, p),
                    ("GET", ["guilds", guild, "commands"]) => {
                        let guild = parse_id(guild)?;
                        Ok(ok(json!(self.guild_commands.get(&guild).cloned().unwrap_or_default())))
                    }
                    ("PUT", ["guilds", guild, "commands"]) => self.put_commands(Some(parse_id(guild)?), p),
                    _ => Err(not_found()),
                }
            }
            ("POST", ["interactions", id, token, "callback"]) => self.interaction_callback(id, token, p),
            (_, ["webhooks", app, token, rest @ ..]) => self.webhook(method, app, token, rest, p),
            ("GET", ["channels", channel]) => {
                let channel_id = parse_id(channel)?;
                self.channels
                    .get(&channel_id)
                    .map(|c| ok(c.clone()))
                    .ok_or_else(unknown_channel)
            }
            ("POST", ["channels", channel, "messages", message, "threads"]) => {
                self.start_thread(parse_id(channel)?, parse_id(message)?, &p.json)
            }
            ("POST", ["channels", channel, "messages"]) => {
                let channel_id = parse_id(channel)?;
                // Snowflakes are unique: a message's id is no channel's,
                // unless a thread was started from that message.
                if !self.channels.contains_key(&channel_id) && self.find(channel_id).is_some() {
                    return Err(unknown_channel());
                }
                if self
                    .closed_dms
                    .iter()
                    .any(|user| FakeDiscord::dm_channel_id(*user) == channel_id)
                {
                    return Err(error(403, "Cannot send messages to this user", 50007));
                }
                let id = self.next_id();
                let mut msg = self.compose(id, channel_id, &p.json, &p.uploads)?;
                msg["flags"] =
                    json!(p.json["flags"].as_u64().unwrap_or(0) & (FLAG_SUPPRESS_EMBEDS | FLAG_SUPPRESS_NOTIFICATIONS));
                check_message(&msg)?;
                self.store(channel_id, msg.clone(), true, false);
                if let Some(thread) = self
                    .channels
                    .get_mut(&channel_id)
                    .filter(|c| c["type"] == PUBLIC_THREAD)
                {
                    thread["last_message_id"] = json!(id.to_string());
                    for counter in ["message_count", "total_message_sent"] {
                        thread[counter] = json!(thread[counter].as_u64().unwrap_or(0) + 1);
                    }
                }
                Ok(ok(msg))
            }
            (_, ["channels", channel, "messages", id]) => {
                let channel_id = parse_id(channel)?;
                let index = self
                    .find(parse_id(id)?)
                    .filter(|&i| self.messages[i].channel_id == channel_id)
                    .ok_or_else(unknown_message)?;
                match method {
                    "GET" => Ok(ok(self.messages[index].message.clone())),
                    "PATCH" => {
                        if !self.messages[index].by_bot {
                            return Err(error(403, "Cannot edit a message authored by another user", 50005));
                        }
                        Ok(ok(self.edit(index, &p.json, &p.uploads)?))
                    }
                    "DELETE" => {
                        self.messages[index].deleted = true;
                        Ok(no_content())
                    }
                    _ => Err(method_not_allowed()),
                }
            }
            ("POST", ["channels", channel, "typing"]) => {
                parse_id(channel)?;
                Ok(no_content())
            }
            _ => Err(not_found()),
        }
    }

    /// `POST /channels/{channel}/messages/{message}/threads`: a public thread
    /// whose id is the message's, in a guild text or announcement channel;
    /// one per message. The message then shows its thread.
    fn start_thread(&mut self, channel_id: u64, message_id: u64, body: &Value) -> ApiResult {
        let parent = self.channels.get(&channel_id).cloned().ok_or_else(unknown_channel)?;
        if !matches!(parent["type"].as_u64(), Some(GUILD_TEXT | GUILD_ANNOUNCEMENT)) {
            return Err(error(400, "Cannot execute action on this channel type", 50024));
        }
        let index = self
            .find(message_id)
            .filter(|&i| self.messages[i].channel_id == channel_id)
            .ok_or_else(unknown_message)?;
        if self.channels.contains_key(&message_id) {
            return Err(error(400, "A thread has already been created for this message", 160004));
        }
        let name = body["name"].as_str().unwrap_or_default();
        if !(1..=100).contains(&name.chars().count()) {
            return Err(invalid_form(
                &["name"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            ));
        }
        let archive = match body.get("auto_archive_duration").filter(|v| !v.is_null()) {
            None => parent["default_auto_archive_duration"].as_u64().unwrap_or(1440),
            Some(v) => v.as_u64().unwrap_or(0),
        };
        if !matches!(archive, 60 | 1440 | 4320 | 10080) {
            return Err(invalid_form(
                &["auto_archive_duration"],
                "BASE_TYPE_CHOICES",
                "Value must be one of {60, 1440, 4320, 10080}.",
            ));
        }
        let at = timestamp();
        let thread = json!({
            "id": message_id.to_string(), "type": PUBLIC_THREAD, "guild_id": parent["guild_id"],
            "parent_id": channel_id.to_string(), "owner_id": BOT_ID.to_string(), "name": name,
            "last_message_id": null, "rate_limit_per_user": body["rate_limit_per_user"].as_u64().unwrap_or(0),
            "flags": 0, "message_count": 0, "member_count": 1, "total_message_sent": 0,
            "thread_metadata": {
                "archived": false, "archive_timestamp": at, "auto_archive_duration": archive, "locked": false,
                "create_timestamp": at,
            },
        });
        self.channels.insert(message_id, thread.clone());
        let message = &mut self.messages[index].message;
        message["thread"] = thread.clone();
        message["flags"] = json!(message["flags"].as_u64().unwrap_or(0) | FLAG_HAS_THREAD);
        // The creator has joined it: the answer carries its thread member.
        let mut answer = thread;
        answer["member"] = json!({
            "id": message_id.to_string(), "user_id": BOT_ID.to_string(), "join_timestamp": at, "flags": 1,
        });
        Ok(json_response(201, &answer))
    }

    fn create_dm(&mut self, p: &Payload) -> ApiResult {
        let Some(recipient) = id_of(&p.json["recipient_id"]) else {
            return Err(invalid_form(
                &["recipient_id"],
                "BASE_TYPE_REQUIRED",
                "This field is required",
            ));
        };
        let channel_id = FakeDiscord::dm_channel_id(recipient);
        let last = self
            .messages
            .iter()
            .rev()
            .find(|m| m.channel_id == channel_id && !m.deleted)
            .map_or(Value::Null, |m| m.message["id"].clone());
        Ok(ok(json!({
            "id": channel_id.to_string(), "type": 1, "last_message_id": last, "flags": 0,
            "recipients": [FakeDiscord::default_user(recipient)],
        })))
    }

    /// Bulk overwrite, echoing the commands with what Discord fills in. Names
    /// and descriptions are checked as Discord does, since localized texts can
    /// easily break the limits.
    fn put_commands(&mut self, guild: Option<u64>, p: &Payload) -> ApiResult {
        let Some(list) = p.json.as_array() else {
            return Err(invalid_form(&[], "BASE_TYPE_ARRAY", "Must be an array."));
        };
        let mut echoed = Vec::new();
        for (i, c) in list.iter().enumerate() {
            let index = i.to_string();
            let name = c["name"].as_str().unwrap_or_default();
            let kind = c["type"].as_u64().unwrap_or(1);
            let description = c["description"].as_str().unwrap_or_default();
            let name_ok = (1..=32).contains(&name.chars().count())
                && (kind != 1
                    || name
                        .chars()
                        .all(|ch| ch == '-' || ch == '_' || (ch.is_alphanumeric() && !ch.is_uppercase())));
            if !name_ok {
                return Err(invalid_form(
                    &[&index, "name"],
                    "APPLICATION_COMMAND_INVALID_NAME",
                    "Command name is invalid",
                ));
            }
            if kind == 1 && !(1..=100).contains(&description.chars().count()) {
                return Err(invalid_form(
                    &[&index, "description"],
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 100 in length.",
                ));
            }
            let key = (guild, name.to_owned());
            let id = match self.command_ids.get(&key) {
                Some(id) => *id,
                None => {
                    let id = self.next_id();
                    self.command_ids.insert(key, id);
                    id
                }
            };
            let version = self.next_id();
            let field = |k: &str, default: Value| c.get(k).cloned().unwrap_or(default);
            let mut command = json!({
                "id": id.to_string(), "application_id": APP_ID.to_string(), "version": version.to_string(),
                "default_member_permissions": field("default_member_permissions", Value::Null),
                "type": kind, "name": name, "name_localizations": field("name_localizations", Value::Null),
                "description": description,
                "description_localizations": field("description_localizations", Value::Null),
                "contexts": field("contexts", Value::Null),
                "integration_types": field("integration_types", json!([0])), "nsfw": field("nsfw", json!(false)),
            });
            if guild.is_none() {
                command["dm_permission"] = field("dm_permission", json!(true));
            }
            if let Some(options) = c["options"].as_array().filter(|o| !o.is_empty()) {
                command["options"] = json!(options);
            }
            if let Some(g) = guild {
                command["guild_id"] = json!(g.to_string());
            }
            echoed.push(command);
        }
        match guild {
            Some(g) => {
                self.guild_commands.insert(g, echoed.clone());
            }
            None => self.commands = echoed.clone(),
        }
        Ok(ok(json!(echoed)))
    }

    fn interaction_callback(&mut self, id: &str, token: &str, p: &Payload) -> ApiResult {
        let unknown = || error(404, "Unknown interaction", 10062);
        let id: u64 = id.parse().map_err(|_| unknown())?;
        let deadline = self.interaction_deadline;
        let state = self
            .interactions
            .get(&id)
            .filter(|s| s.token == token)
            .ok_or_else(unknown)?;
        if !state.responses.is_empty() {
            return Err(error(400, "Interaction has already been acknowledged.", 40060));
        }
        if deadline.is_some_and(|d| state.dispatched.elapsed() > d) {
            return Err(unknown());
        }
        let (kind, component_message) = (state.kind, state.message_id);
        let data = &p.json["data"];
        let original = match p.json["type"].as_u64() {
            Some(1) if kind == 1 => None,
            Some(4) => Some(self.interaction_message(id, data, &p.uploads, Respond::Original)?),
            Some(5) if matches!(kind, 2 | 3 | 5) => Some(self.interaction_message(id, data, &[], Respond::Deferred)?),
            Some(6) if kind == 3 || (kind == 5 && component_message.is_some()) => component_message,
            Some(7) if kind == 3 || (kind == 5 && component_message.is_some()) => {
                let index = component_message
                    .and_then(|m| self.find(m))
                    .ok_or_else(unknown_message)?;
                self.edit(index, data, &p.uploads)?;
                component_message
            }
            Some(8) if kind == 4 => None,
            Some(9) if matches!(kind, 2 | 3) => {
                check_modal(data)?;
                None
            }
            _ => {
                return Err(invalid_form(
                    &["type"],
                    "INTERACTION_RESPONSE_TYPE_INVALID",
                    "Invalid interaction response type for this interaction.",
                ));
            }
        };
        let state = self.interactions.get_mut(&id).ok_or_else(unknown)?;
        state.responses.push(p.json.clone());
        state.original = original;
        Ok(no_content())
    }

    /// A message created by an interaction response or follow-up; returns its id.
    fn interaction_message(
        &mut self,
        interaction: u64,
        data: &Value,
        uploads: &[Upload],
        how: Respond,
    ) -> Result<u64, Refusal> {
        let state = self.interactions.get(&interaction).ok_or_else(unknown_webhook)?;
        let (channel_id, kind, user, name, owners, component_message) = (
            state.channel_id,
            state.kind,
            state.user.clone(),
            state.name.clone(),
            state.owners.clone(),
            state.message_id,
        );
        let id = self.next_id();
        let empty = json!({});
        let mut msg = self.compose(
            id,
            channel_id,
            if how == Respond::Deferred { &empty } else { data },
            uploads,
        )?;
        let mut flags =
            data["flags"].as_u64().unwrap_or(0) & (FLAG_SUPPRESS_EMBEDS | FLAG_EPHEMERAL | FLAG_SUPPRESS_NOTIFICATIONS);
        if how == Respond::Deferred {
            flags = (flags & FLAG_EPHEMERAL) | FLAG_LOADING;
        }
        msg["flags"] = json!(flags);
        msg["webhook_id"] = json!(APP_ID.to_string());
        msg["application_id"] = json!(APP_ID.to_string());
        msg["type"] = json!(if kind == 2 && how != Respond::Followup { 20 } else { 0 });
        let mut metadata = json!({
            "id": interaction.to_string(), "type": kind, "user": user, "authorizing_integration_owners": owners,
        });
        match (kind, component_message) {
            (2, _) => metadata["name"] = json!(name),
            (3, Some(m)) => metadata["interacted_message_id"] = json!(m.to_string()),
            _ => metadata = Value::Null,
        }
        if !metadata.is_null() {
            msg["interaction_metadata"] = metadata;
        }
        if how != Respond::Deferred {
            check_message(&msg)?;
        }
        self.store(channel_id, msg, true, flags & FLAG_EPHEMERAL != 0);
        Ok(id)
    }

    /// The interaction webhook: `@original` and follow-ups.
    fn webhook(&mut self, method: &str, app: &str, token: &str, rest: &[&str], p: &Payload) -> ApiResult {
        if app != APP_ID.to_string() {
            return Err(unknown_webhook());
        }
        // The webhook exists once the interaction was responded to.
        let interaction = self
            .interactions
            .iter()
            .find(|(_, s)| s.token == token && !s.responses.is_empty())
            .map(|(id, _)| *id)
            .ok_or_else(unknown_webhook)?;
        let state = &self.interactions[&interaction];
        let (original, followups) = (state.original, state.followups.clone());
        match (method, rest) {
            ("POST", []) => {
                // The first follow-up after a deferred response resolves the
                // "thinking…" message instead of posting a new one.
                if let Some(index) = original
                    .and_then(|o| self.find(o))
                    .filter(|&i| self.messages[i].message["flags"].as_u64().unwrap_or(0) & FLAG_LOADING != 0)
                {
                    return Ok(ok(self.edit(index, &p.json, &p.uploads)?));
                }
                let id = self.interaction_message(interaction, &p.json, &p.uploads, Respond::Followup)?;
                if let Some(state) = self.interactions.get_mut(&interaction) {
                    state.followups.push(id);
                }
                let index = self.find(id).ok_or_else(unknown_message)?;
                Ok(ok(self.messages[index].message.clone()))
            }
            (_, ["messages", which]) => {
                let id = if *which == "@original" {
                    original.ok_or_else(unknown_message)?
                } else {
                    let id = parse_id(which)?;
                    if Some(id) != original && !followups.contains(&id) {
                        return Err(unknown_message());
                    }
                    id
                };
                let index = self.find(id).ok_or_else(unknown_message)?;
                match method {
                    "GET" => Ok(ok(self.messages[index].message.clone())),
                    "PATCH" => Ok(ok(self.edit(index, &p.json, &p.uploads)?)),
                    "DELETE" => {
                        self.messages[index].deleted = true;
                        Ok(no_content())
                    }
                    _ => Err(method_not_allowed()),
                }
            }
            _ => Err(not_found()),
        }
    }

    /// A message by the bot from a create body (content, embeds, components,
    /// uploads, reply reference, nonce).
    fn compose(&mut self, id: u64, channel_id: u64, data: &Value, uploads: &[Upload]) -> Result<Value, Refusal> {
        let attachments = self.attachments(channel_id, data, uploads, &[]);
        let mut msg = json!({
            "id": id.to_string(), "channel_id": channel_id.to_string(), "author": FakeDiscord::bot_user(),
            "content": data["content"].as_str().unwrap_or_default(), "timestamp": timestamp(),
            "edited_timestamp": null, "tts": data["tts"].as_bool().unwrap_or(false), "mention_everyone": false,
            "mentions": [], "mention_roles": [], "attachments": attachments, "embeds": embeds(&data["embeds"]),
            "pinned": false, "type": 0, "flags": 0,
            "components": data["components"].as_array().cloned().unwrap_or_default(),
        });
        if let Some(nonce) = data.get("nonce").filter(|n| !n.is_null()) {
            msg["nonce"] = nonce.clone();
        }
        if let Some(reference) = data.get("message_reference").filter(|r| r.is_object()) {
            let referenced = id_of(&reference["message_id"]).and_then(|r| self.find(r));
            if referenced.is_none() && reference["fail_if_not_exists"].as_bool() != Some(false) {
                return Err(invalid_form(
                    &["message_reference"],
                    "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                    "Unknown message",
                ));
            }
            if let Some(index) = referenced {
                let target = &self.messages[index];
                let mut reference = json!({
                    "type": 0, "channel_id": target.channel_id.to_string(), "message_id": target.message["id"],
                });
                if let Some(guild) = target.message.get("guild_id") {
                    reference["guild_id"] = guild.clone();
                }
                msg["type"] = json!(19);
                msg["message_reference"] = reference;
                msg["referenced_message"] = target.message.clone();
            }
        }
        Ok(msg)
    }

    /// Applies an edit body to a stored message, as Discord's PATCH does:
    /// fields present replace (null clears), the attachment list keeps only the
    /// listed existing ones plus new uploads, and a "thinking…" state ends.
    fn edit(&mut self, index: usize, data: &Value, uploads: &[Upload]) -> Result<Value, Refusal> {
        let mut msg = self.messages[index].message.clone();
        let channel_id = self.messages[index].channel_id;
        if let Some(content) = data.get("content") {
            msg["content"] = json!(content.as_str().unwrap_or_default());
        }
        if let Some(e) = data.get("embeds") {
            msg["embeds"] = embeds(e);
        }
        if let Some(c) = data.get("components") {
            msg["components"] = json!(c.as_array().cloned().unwrap_or_default());
        }
        if data.get("attachments").is_some() || !uploads.is_empty() {
            let existing = msg["attachments"].as_array().cloned().unwrap_or_default();
            msg["attachments"] = json!(self.attachments(channel_id, data, uploads, &existing));
        }
        let old = msg["flags"].as_u64().unwrap_or(0);
        let mut flags = old & !FLAG_LOADING;
        if let Some(new) = data["flags"].as_u64() {
            // Only embed suppression can change on an existing message.
            flags = (flags & !FLAG_SUPPRESS_EMBEDS) | (new & FLAG_SUPPRESS_EMBEDS);
        }
        msg["flags"] = json!(flags);
        // Resolving a "thinking…" response is no edit in Discord's eyes.
        if old & FLAG_LOADING == 0 {
            msg["edited_timestamp"] = json!(timestamp());
        }
        check_message(&msg)?;
        self.messages[index].message = msg.clone();
        Ok(msg)
    }

    /// The attachments of a created or edited message. `data.attachments` lists
    /// existing ones to keep (by snowflake id) and new ones (by the index `n`
    /// of the upload `files[n]`); uploads not listed are attached too.
    fn attachments(&mut self, channel_id: u64, data: &Value, uploads: &[Upload], existing: &[Value]) -> Vec<Value> {
        let mut out = Vec::new();
        let mut used = HashSet::new();
        match data.get("attachments").and_then(Value::as_array) {
            None => out.extend(existing.iter().cloned()),
            Some(listed) => {
                for a in listed {
                    let Some(key) = id_of(&a["id"]) else { continue };
                    if let Some(kept) = existing.iter().find(|e| id_of(&e["id"]) == Some(key)) {
                        out.push(kept.clone());
                    } else if let Some(upload) = uploads.iter().find(|u| u.field == format!("files[{key}]")) {
                        used.insert(upload.field.clone());
                        let attachment = self.upload_attachment(channel_id, upload, a);
                        out.push(attachment);
                    }
                }
            }
        }
        for upload in uploads.iter().filter(|u| !used.contains(&u.field)) {
            let attachment = self.upload_attachment(channel_id, upload, &Value::Null);
            out.push(attachment);
        }
        out
    }

    /// Stores an uploaded file where its attachment URL serves it.
    fn upload_attachment(&mut self, channel_id: u64, upload: &Upload, listed: &Value) -> Value {
        let id = self.next_id();
        let filename = listed["filename"].as_str().unwrap_or(&upload.filename).to_owned();
        let path = format!("/attachments/{channel_id}/{id}/{}", encode_path_segment(&filename));
        self.files.insert(path.clone(), upload.bytes.clone());
        let url = format!("{}{path}", self.api_url);
        let mut attachment = json!({
            "id": id.to_string(), "filename": filename, "size": upload.bytes.len(), "url": url, "proxy_url": url,
            "content_type": upload.content_type, "content_scan_version": 0,
        });
        if let Some(description) = listed.get("description").filter(|d| !d.is_null()) {
            attachment["description"] = description.clone();
        }
        attachment
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Respond {
    /// Callback type 4.
    Original,
    /// Callback type 5: an empty "thinking…" message.
    Deferred,
    Followup,
}

impl Session {
    fn send_dispatch(&mut self, event: &str, data: Value) {
        self.seq += 1;
        let frame = json!({"t": event, "s": self.seq, "op": 0, "d": data}).to_string();
        self.log.push((self.seq, frame.clone()));
        if let Some((_, tx)) = &self.conn {
            let _ = tx.send(Outgoing::Text(frame));
        }
    }
}

/// Whether Discord would send `event` to a session with `intents` (for the
/// events the fake models: messages and typing).
fn intents_allow(event: &str, data: &Value, intents: u64) -> bool {
    let in_guild = data.get("guild_id").is_some_and(|g| !g.is_null());
    let needed = match event {
        "MESSAGE_CREATE" | "MESSAGE_UPDATE" | "MESSAGE_DELETE" => {
            if in_guild {
                INTENT_GUILD_MESSAGES
            } else {
                INTENT_DIRECT_MESSAGES
            }
        }
        "TYPING_START" => {
            if in_guild {
                1 << 11
            } else {
                1 << 14
            }
        }
        _ => 0,
    };
    intents & needed == needed
}

/// Without MESSAGE_CONTENT, Discord blanks content, embeds, attachments,
/// components and polls of guild messages, except the bot's own and those
/// mentioning it. DMs are not affected.
fn without_content_unless_allowed(event: &str, mut data: Value, intents: u64) -> Value {
    let in_guild = data.get("guild_id").is_some_and(|g| !g.is_null());
    if !matches!(event, "MESSAGE_CREATE" | "MESSAGE_UPDATE") || !in_guild || intents & INTENT_MESSAGE_CONTENT != 0 {
        return data;
    }
    let own = id_of(&data["author"]["id"]) == Some(BOT_ID);
    let mentioned = data["mentions"]
        .as_array()
        .is_some_and(|m| m.iter().any(|u| id_of(&u["id"]) == Some(BOT_ID)));
    if !own && !mentioned {
        data["content"] = json!("");
        data["embeds"] = json!([]);
        data["attachments"] = json!([]);
        data["components"] = json!([]);
        if let Some(map) = data.as_object_mut() {
            map.remove("poll");
        }
    }
    data
}

/// The parts of an interaction common to commands and components.
fn interaction_base(id: u64, kind: u64, user_id: u64, locale: &str, guild: Option<(u64, u64)>) -> Value {
    let user = FakeDiscord::default_user(user_id);
    let mut i = json!({
        "id": id.to_string(), "application_id": APP_ID.to_string(), "type": kind,
        "token": format!("fake-interaction-token-{id}"), "version": 1, "locale": locale,
        "app_permissions": PERMISSIONS.to_string(), "entitlements": [], "entitlement_sku_ids": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    });
    match guild {
        None => {
            let channel = FakeDiscord::dm_channel_id(user_id);
            i["channel_id"] = json!(channel.to_string());
            i["channel"] = json!({
                "id": channel.to_string(), "type": 1, "flags": 0, "last_message_id": null, "recipients": [user],
            });
            i["user"] = user;
            i["context"] = json!(1);
            // Installed to a guild, used in a DM with the bot: guild id "0".
            i["authorizing_integration_owners"] = json!({"0": "0"});
        }
        Some((guild, channel)) => {
            i["guild_id"] = json!(guild.to_string());
            i["guild_locale"] = json!(GUILD_LOCALE);
            i["guild"] = json!({"id": guild.to_string(), "locale": GUILD_LOCALE, "features": []});
            i["channel_id"] = json!(channel.to_string());
            i["channel"] = json!({
                "id": channel.to_string(), "type": 0, "name": "support", "guild_id": guild.to_string(),
                "permissions": PERMISSIONS.to_string(), "parent_id": null, "position": 0, "flags": 0,
                "nsfw": false, "last_message_id": null, "topic": null, "rate_limit_per_user": 0,
            });
            i["member"] = member(Some(user));
            i["context"] = json!(0);
            i["authorizing_integration_owners"] = json!({"0": guild.to_string()});
        }
    }
    i
}

/// A guild member object; with `user` as in interactions (which also carry
/// the member's `permissions` in the channel), without as in messages.
fn member(user: Option<Value>) -> Value {
    let mut m = json!({
        "roles": [], "premium_since": null, "pending": false, "nick": null, "mute": false,
        "joined_at": "2024-01-15T08:00:00.000000+00:00", "flags": 0, "deaf": false,
        "communication_disabled_until": null, "banner": null, "avatar": null, "unusual_dm_activity_until": null,
    });
    if let Some(user) = user {
        m["user"] = user;
        m["permissions"] = json!(PERMISSIONS.to_string());
    }
    m
}

fn application_info() -> Value {
    json!({
        "id": APP_ID.to_string(), "name": BOT_NAME, "icon": null, "description": "", "summary": "",
        "type": null, "bot": FakeDiscord::bot_user(), "is_monetized": false, "is_verified": false,
        "is_discoverable": false, "bot_public": false, "bot_require_code_grant": false,
        "verify_key": "5c3b0f27b1b04a1e8e7a0c1f2d3e4f5061728394a5b6c7d8e9f00112233445566",
        "flags": APP_FLAGS, "hook": true, "storefront_available": false, "redirect_uris": [],
        "interactions_endpoint_url": null, "role_connections_verification_url": null,
        "owner": FakeDiscord::user(1_290_000_000_000_000_999, "owner"), "team": null,
        "approximate_guild_count": 1, "approximate_user_install_count": 0, "interactions_event_types": [],
        "interactions_version": 1, "explicit_content_filter": 0, "integration_types_config": {"0": {}},
    })
}

/// Discord's option types for a value: string 3, integer 4, boolean 5, number 10.
fn option_type(value: &Value) -> u64 {
    match value {
        Value::Bool(_) => 5,
        Value::Number(n) if n.is_i64() || n.is_u64() => 4,
        Value::Number(_) => 10,
        _ => 3,
    }
}

/// Embeds as Discord returns them: `type` "rich" filled in.
fn embeds(value: &Value) -> Value {
    let list = value.as_array().cloned().unwrap_or_default();
    json!(
        list.into_iter()
            .map(|mut e| {
                if e.get("type").is_none_or(Value::is_null) {
                    e["type"] = json!("rich");
                }
                e
            })
            .collect::<Vec<_>>()
    )
}

/// Discord's checks of a message about to exist.
fn check_message(msg: &Value) -> Result<(), Refusal> {
    let content = msg["content"].as_str().unwrap_or_default();
    if content.chars().count() > 2000 {
        return Err(invalid_form(
            &["content"],
            "BASE_TYPE_MAX_LENGTH",
            "Must be 2000 or fewer in length.",
        ));
    }
    let none = |k: &str| msg[k].as_array().is_none_or(Vec::is_empty);
    if content.is_empty() && none("embeds") && none("attachments") && none("components") && msg.get("poll").is_none() {
        return Err(error(400, "Cannot send an empty message", 50006));
    }
    Ok(())
}

/// A snowflake in JSON: a string, or (from some clients) a number.
fn id_of(value: &Value) -> Option<u64> {
    match value {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

fn parse_id(segment: &str) -> Result<u64, Refusal> {
    segment.parse().map_err(|_| {
        invalid_form(
            &["id"],
            "NUMBER_TYPE_COERCE",
            &format!("Value \"{segment}\" is not snowflake."),
        )
    })
}

/// Discord's timestamp format, e.g. `2025-06-01T12:00:00.123000+00:00`.
fn timestamp() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

fn encode_path_segment(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn poll_until<T>(timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(found) = probe() {
            return Some(found);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---- REST -------------------------------------------------------------------

async fn handle(
    State(fake): State<FakeDiscord>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let payload = parse_body(&headers, &body);
    match fake.record(&method, &path, &payload) {
        Some(Fault::TooManyRequests) => return rate_limited(),
        Some(Fault::ServerError) => return error(500, "500: Internal Server Error", 0).into_response(),
        Some(Fault::Json(status, body)) => return json_response(status, &body),
        Some(Fault::Slow(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::Dropped) => return dropped(),
        None => {}
    }
    if let Some(rest) = path.strip_prefix("/api/v10/") {
        // Interaction callbacks and webhooks are authorized by the token in
        // the URL; the gateway URL is public.
        let public = rest == "gateway" || rest.starts_with("interactions/") || rest.starts_with("webhooks/");
        let authorized =
            headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some(format!("Bot {TOKEN}").as_str());
        if !public && !authorized {
            return error(401, "401: Unauthorized", 0).into_response();
        }
        if body.len() as u64 > ATTACHMENT_SIZE_LIMIT {
            return error(413, "Request entity too large", 40005).into_response();
        }
        return fake.api(&method, rest, &payload);
    }
    if method == Method::GET && path.starts_with("/attachments/") {
        let file = fake.lock().files.get(&path).cloned();
        return match file {
            Some(bytes) => ([(header::CONTENT_TYPE, content_type_of(&path))], bytes).into_response(),
            None => (StatusCode::NOT_FOUND, "This content is no longer available.").into_response(),
        };
    }
    not_found().into_response()
}

fn parse_body(headers: &HeaderMap, body: &[u8]) -> Payload {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("multipart/form-data")
        && let Some((_, boundary)) = content_type.split_once("boundary=")
    {
        return parse_multipart(body, boundary.trim_matches('"'));
    }
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body).unwrap_or_else(|_| json!(String::from_utf8_lossy(body)))
    };
    Payload {
        record: json.clone(),
        json,
        uploads: Vec::new(),
    }
}

/// A multipart/form-data body as serenity sends it: `files[n]` parts and a
/// `payload_json` text part. Works on bytes, since files are binary.
fn parse_multipart(body: &[u8], boundary: &str) -> Payload {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut uploads = Vec::new();
    let mut fields = serde_json::Map::new();
    let mut payload_json = Value::Null;
    let mut at = find(body, &delimiter, 0);
    while let Some(start) = at {
        let after = start + delimiter.len();
        if body[after..].starts_with(b"--") {
            break;
        }
        let next = find(body, &delimiter, after);
        let part = &body[after..next.unwrap_or(body.len())];
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        if let Some(split) = find(part, b"\r\n\r\n", 0) {
            let head = String::from_utf8_lossy(&part[..split]).to_string();
            let content = &part[split + 4..];
            let name = quoted_after(&head, "name=\"").unwrap_or_default();
            match quoted_after(&head, "filename=\"") {
                Some(filename) => {
                    let content_type = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.trim()
                                .eq_ignore_ascii_case("content-type")
                                .then(|| v.trim().to_owned())
                        })
                        .unwrap_or_else(|| "application/octet-stream".to_owned());
                    uploads.push(Upload {
                        field: name,
                        filename,
                        content_type,
                        bytes: content.to_vec(),
                    });
                }
                None if name == "payload_json" => {
                    payload_json = serde_json::from_slice(content).unwrap_or(Value::Null);
                }
                None => {
                    fields.insert(name, json!(String::from_utf8_lossy(content)));
                }
            }
        }
        at = next;
    }
    let files: Vec<Value> = uploads
        .iter()
        .map(|u| json!({"field": u.field, "filename": u.filename, "content_type": u.content_type, "size": u.bytes.len()}))
        .collect();
    Payload {
        record: json!({"multipart": true, "payload_json": payload_json, "files": files, "fields": fields}),
        json: payload_json,
        uploads,
    }
}

fn quoted_after(head: &str, marker: &str) -> Option<String> {
    // `name="` must not match inside `filename="`.
    let mut rest = head;
    while let Some(at) = rest.find(marker) {
        let preceded_by_letter = at > 0 && rest.as_bytes()[at - 1].is_ascii_alphabetic();
        let value = &rest[at + marker.len()..];
        if !preceded_by_letter {
            return value.split('"').next().map(str::to_owned);
        }
        rest = value;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn content_type_of(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or_default().to_ascii_lowercase();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn json_response(status: u16, body: &Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn ok(body: Value) -> Response {
    json_response(200, &body)
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

fn error(status: u16, message: &str, code: u64) -> Refusal {
    Refusal(status, json!({"message": message, "code": code}))
}

fn not_found() -> Refusal {
    error(404, "404: Not Found", 0)
}

fn method_not_allowed() -> Refusal {
    error(405, "405: Method Not Allowed", 0)
}

fn unknown_message() -> Refusal {
    error(404, "Unknown Message", 10008)
}

fn unknown_channel() -> Refusal {
    error(404, "Unknown Channel", 10003)
}

/// Discord's checks of a modal (callback type 9): a custom id and title, one
/// to five action rows of one text input each, within Discord's lengths.
fn check_modal(data: &Value) -> Result<(), Refusal> {
    let length = |v: &Value, range: std::ops::RangeInclusive<usize>| {
        v.as_str().is_some_and(|s| range.contains(&s.chars().count()))
    };
    let bad = |path: &[&str]| invalid_form(path, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.");
    if !length(&data["custom_id"], 1..=100) {
        return Err(invalid_form(
            &["data", "custom_id"],
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 100 in length.",
        ));
    }
    if !length(&data["title"], 1..=45) {
        return Err(bad(&["data", "title"]));
    }
    let rows = data["components"].as_array().cloned().unwrap_or_default();
    if !(1..=5).contains(&rows.len()) {
        return Err(invalid_form(
            &["data", "components"],
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 5 in length.",
        ));
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r.to_string();
        let inputs = row["components"].as_array().cloned().unwrap_or_default();
        if row["type"] != 1 || inputs.len() != 1 {
            return Err(invalid_form(
                &["data", "components", &r],
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            ));
        }
        let input = &inputs[0];
        let at = |field: &'static str| ["data", "components", r.as_str(), "components", "0", field];
        if input["type"] != 4 {
            return Err(invalid_form(
                &at("type"),
                "UNION_TYPE_CHOICES",
                "Value of field \"type\" must be one of (4,).",
            ));
        }
        if !length(&input["custom_id"], 1..=100) {
            return Err(invalid_form(
                &at("custom_id"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            ));
        }
        if !matches!(input["style"].as_u64(), Some(1 | 2)) {
            return Err(invalid_form(
                &at("style"),
                "BASE_TYPE_CHOICES",
                "Value must be one of {1, 2}.",
            ));
        }
        if !length(&input["label"], 1..=45) {
            return Err(bad(&at("label")));
        }
        if input.get("placeholder").is_some_and(|p| !p.is_null()) && !length(&input["placeholder"], 0..=100) {
            return Err(invalid_form(
                &at("placeholder"),
                "BASE_TYPE_MAX_LENGTH",
                "Must be 100 or fewer in length.",
            ));
        }
        let max = input["max_length"].as_u64();
        if max.is_some_and(|m| !(1..=4000).contains(&m)) {
            return Err(invalid_form(
                &at("max_length"),
                "NUMBER_TYPE_MAX",
                "Int value should be less than or equal to 4000.",
            ));
        }
    }
    Ok(())
}

fn unknown_webhook() -> Refusal {
    error(404, "Unknown Webhook", 10015)
}

/// 400 Invalid Form Body (50035) with one error at `path` in `errors`.
fn invalid_form(path: &[&str], code: &str, message: &str) -> Refusal {
    let mut errors = json!({"_errors": [{"code": code, "message": message}]});
    for key in path.iter().rev() {
        errors = json!({ *key: errors });
    }
    Refusal(
        400,
        json!({"message": "Invalid Form Body", "code": 50035, "errors": errors}),
    )
}

fn rate_limited() -> Response {
    let mut response = json_response(
        429,
        &json!({"message": "You are being rate limited.", "retry_after": 0.05, "global": false}),
    );
    let headers = response.headers_mut();
    for (name, value) in [
        ("retry-after", "1"),
        ("x-ratelimit-scope", "user"),
        ("x-ratelimit-limit", "5"),
        ("x-ratelimit-remaining", "0"),
        ("x-ratelimit-reset-after", "0.050"),
        ("x-ratelimit-bucket", "fake-bucket"),
    ] {
        headers.insert(name, value.parse().unwrap());
    }
    response
}

/// A body that fails before its first byte: hyper gives up on the connection
/// before the status line is flushed, so the client gets no answer at all.
fn dropped() -> Response {
    let broken = futures::stream::once(async { Err::<Bytes, _>(std::io::Error::other("dropped")) });
    Response::new(axum::body::Body::from_stream(broken))
}

// ---- Gateway ----------------------------------------------------------------

/// One WebSocket connection: Hello first, then whatever the client and the
/// fake's session send, until either side ends it.
async fn gateway_connection(fake: FakeDiscord, stream: TcpStream) {
    // Serenity connects to `<url>?v=10`; any path and query are fine.
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let conn = {
        let mut inner = fake.lock();
        inner.stats.connections += 1;
        inner.stats.connections as u64
    };
    let hello = json!({"t": null, "s": null, "op": 10,
        "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS, "_trace": ["[\"gateway-fake\",{\"micros\":0}]"]}});
    if sink.send(WsMessage::Text(hello.to_string())).await.is_err() {
        return;
    }
    let mut identified = false;
    loop {
        tokio::select! {
            incoming = source.next() => {
                let text = match incoming {
                    Some(Ok(WsMessage::Text(text))) => text,
                    // Serenity sends text only; Discord rejects what it cannot decode.
                    Some(Ok(WsMessage::Binary(_))) => {
                        let _ = sink.send(close_frame(4002)).await;
                        continue;
                    }
                    // Pings and the closing handshake are answered by tungstenite.
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => break,
                };
                match fake.on_gateway_frame(conn, &tx, &text, &mut identified) {
                    Reply::Nothing => {}
                    Reply::Send(frame) => {
                        if sink.send(WsMessage::Text(frame.to_string())).await.is_err() {
                            break;
                        }
                    }
                    Reply::Close(code) => {
                        let _ = sink.send(close_frame(code)).await;
                    }
                }
            }
            outgoing = rx.recv() => match outgoing {
                Some(Outgoing::Text(frame)) => {
                    if sink.send(WsMessage::Text(frame)).await.is_err() {
                        break;
                    }
                }
                // Keep reading: the client answers the close frame, then the
                // stream ends.
                Some(Outgoing::Close(code)) => {
                    let _ = sink.send(close_frame(code)).await;
                }
                Some(Outgoing::Kill) | None => break,
            },
        }
    }
    fake.detach(conn);
}

fn close_frame(code: u16) -> WsMessage {
    let reason = match code {
        4001 => "Unknown opcode.",
        4002 => "Error while decoding payload.",
        4004 => "Authentication failed.",
        4005 => "Already authenticated.",
        4007 => "Invalid seq.",
        4009 => "Session timed out.",
        _ => "",
    };
    WsMessage::Close(Some(CloseFrame {
        code: code.into(),
        reason: reason.into(),
    }))
}
