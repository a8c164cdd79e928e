//! The HTTP surface over real loopback connections: the admin API behind its
//! bearer token (and off without one), health and readiness, `/metrics` against
//! the demo data, the OpenAPI document against the router, and the log format.

use crate::support;

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::Stdio;

use chrono::Utc;
use redeemdesk::app::Application;
use redeemdesk::config::{Config, LogFormat};
use redeemdesk::domain::{Channel, Locale, RejectionReason, Timestamp};
use redeemdesk::http::{HttpState, ROUTES, Readiness};
use redeemdesk::import::{DEMO_JSON, import_json};
use redeemdesk::jobs::{JobKind, JobStatus};
use redeemdesk::review::ReviewSettings;
use redeemdesk::store::Db;
use redeemdesk::views::{redemption_view, status_view};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{Value, json};
use support::{TestDb, both_backends};

const TOKEN: &str = "admin-token-for-tests";

/// A server on 127.0.0.1, stopped (or aborted) when dropped.
struct Server {
    base: String,
    client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// How a request authenticates.
#[derive(Clone, Copy)]
enum Auth<'a> {
    None,
    Bearer(&'a str),
    Raw(&'a str),
}

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The `error` code of a JSON error body.
    fn code(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
}

impl Server {
    /// The router alone, on `db`.
    async fn router(db: Db, token: Option<&str>) -> Self {
        let mut config = Config::default();
        config.http.admin_token = token.map(SecretString::from);
        let state = HttpState::new(db, &config, Readiness::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, redeemdesk::http::router(state))
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Self::new(addr, stop, task)
    }

    /// The whole application, as `serve` runs it.
    async fn app(config: &Config) -> Self {
        let app = Application::build(config).await.unwrap();
        let addr = app.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            app.run_until(async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Self::new(addr, stop, task)
    }

    fn new(
        addr: std::net::SocketAddr,
        stop: tokio::sync::oneshot::Sender<()>,
        task: tokio::task::JoinHandle<()>,
    ) -> Self {
        Self {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            stop: Some(stop),
            task: Some(task),
        }
    }

    async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap();
    }

    async fn send(&self, method: Method, path: &str, auth: Auth<'_>, body: Option<Vec<u8>>) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        match auth {
            Auth::None => {}
            Auth::Bearer(token) => request = request.header("authorization", format!("Bearer {token}")),
            Auth::Raw(value) => request = request.header("authorization", value),
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        Reply { status, headers, text }
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, Auth::Bearer(TOKEN), None).await
    }

    async fn public(&self, path: &str) -> Reply {
        self.send(Method::GET, path, Auth::None, None).await
    }

    async fn with_json(&self, method: Method, path: &str, body: Value) -> Reply {
        self.send(method, path, Auth::Bearer(TOKEN), Some(body.to_string().into_bytes()))
            .await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

async fn demo(db: &Db) {
    import_json(db, DEMO_JSON, Utc::now()).await.unwrap();
}

/// What `review show ID --json` prints, built the way the CLI builds it.
async fn review_show(db: &Db, id: i64) -> Value {
    let mut tx = db.begin().await.unwrap();
    let rec = tx.redemption(id).await.unwrap().unwrap();
    serde_json::to_value(redemption_view(&mut tx, &rec).await.unwrap()).unwrap()
}

fn ids(queue: &Value) -> Vec<i64> {
    queue
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect()
}

fn config_for(url: &str, token: Option<&str>, blobs: &std::path::Path) -> Config {
    let mut config = Config::default();
    config.database.url = url.to_owned();
    config.http.bind = "127.0.0.1:0".into();
    config.http.admin_token = token.map(SecretString::from);
    config.storage.blob_dir = blobs.to_path_buf();
    config
}

#[tokio::test]
async fn the_token_is_required_and_checked() {
    let test_db = TestDb::sqlite().await;
    demo(&test_db.db).await;
    let server = Server::router(test_db.db.clone(), Some(TOKEN)).await;

    let none = server.send(Method::GET, "/api/v1/queue", Auth::None, None).await;
    assert_eq!(none.status, 401, "{}", none.text);
    assert_eq!(none.code(), "unauthorized");
    let challenge = none.headers["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Bearer"), "{challenge}");

    let wrong = server
        .send(Method::GET, "/api/v1/queue", Auth::Bearer("admin-token-for-test"), None)
        .await;
    assert_eq!(wrong.status, 401);
    assert!(
        wrong.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let longer = server
        .send(Method::GET, "/api/v1/queue", Auth::Bearer(&format!("{TOKEN}x")), None)
        .await;
    assert_eq!(longer.status, 401);
    let basic = server
        .send(Method::GET, "/api/v1/queue", Auth::Raw(&format!("Basic {TOKEN}")), None)
        .await;
    assert_eq!(basic.status, 401);
    // A write without the token changes nothing.
    let decide = server
        .send(
            Method::POST,
            "/api/v1/redemptions/1044/decision",
            Auth::None,
            Some(br#"{"decision": "approve", "reviewer": "eve"}"#.to_vec()),
        )
        .await;
    assert_eq!(decide.status, 401);
    assert_eq!(review_show(&test_db.db, 1044).await["status"], "under_review");

    let right = server.get("/api/v1/queue").await;
    assert_eq!(right.status, 200, "{}", right.text);
    let lowercase = server
        .send(
            Method::GET,
            "/api/v1/queue",
            Auth::Raw(&format!("bearer {TOKEN}")),
            None,
        )
        .await;
    assert_eq!(lowercase.status, 200);

    // Operations endpoints need no token.
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        let reply = server.public(path).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
    }
    // Unknown paths and methods answer in JSON too.
    let nowhere = server.get("/api/v1/nowhere").await;
    assert_eq!((nowhere.status, nowhere.code().as_str()), (404, "no_route"));
    let put = server
        .send(Method::PUT, "/api/v1/queue", Auth::Bearer(TOKEN), None)
        .await;
    assert_eq!((put.status, put.code().as_str()), (405, "method_not_allowed"));
}

#[tokio::test]
async fn without_a_token_the_admin_api_is_off() {
    let test_db = TestDb::sqlite().await;
    let blobs = tempfile::tempdir().unwrap();
    let server = Server::app(&config_for(&test_db.url, None, blobs.path())).await;
    for route in ROUTES.iter().filter(|r| r.is_admin()) {
        let path = route.path.replace("{id}", "1044");
        for auth in [Auth::None, Auth::Bearer(TOKEN), Auth::Bearer("")] {
            let reply = server
                .send(route.verb.method(), &path, auth, Some(b"{}".to_vec()))
                .await;
            assert_eq!(reply.status, 404, "{path}: {}", reply.text);
            assert_eq!(reply.code(), "disabled", "{path}");
            assert!(reply.json()["message"].as_str().unwrap().contains("admin_token"));
        }
    }
    let other = server.get("/api/v1/anything/else").await;
    assert_eq!((other.status, other.code().as_str()), (404, "disabled"));
    // The rest of the server is on.
    let health = server.public("/healthz").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json(), json!({"status": "ok", "database": "ok"}));
    server.shutdown().await;

    // A blank token is no token.
    let server = Server::app(&config_for(&test_db.url, Some("  "), blobs.path())).await;
    let reply = server
        .send(Method::GET, "/api/v1/queue", Auth::Raw("Bearer "), None)
        .await;
    assert_eq!((reply.status, reply.code().as_str()), (404, "disabled"));
    server.shutdown().await;
}

both_backends! {
    async fn reads_and_imports_over_http(db: Db) {
        let server = Server::router(db.clone(), Some(TOKEN)).await;

        // Import: the same schema and code as `redeemdesk import`.
        let first = server
            .send(Method::POST, "/api/v1/import", Auth::Bearer(TOKEN), Some(DEMO_JSON.as_bytes().to_vec()))
            .await;
        assert_eq!(first.status, 200, "{}", first.text);
        assert_eq!(first.json()["redemptions"], json!({"written": 6, "unchanged": 0}));
        let again = server
            .send(Method::POST, "/api/v1/import", Auth::Bearer(TOKEN), Some(DEMO_JSON.as_bytes().to_vec()))
            .await;
        assert_eq!(again.json()["redemptions"], json!({"written": 0, "unchanged": 6}));
        let not_json = server
            .send(Method::POST, "/api/v1/import", Auth::Bearer(TOKEN), Some(b"{promotions".to_vec()))
            .await;
        assert_eq!((not_json.status, not_json.code().as_str()), (400, "invalid_json"));
        let invalid = server
            .with_json(Method::POST, "/api/v1/import", json!({"members": [{"id": 900, "email": "not-an-address",
                "name": "X", "locale": "id", "region": "ID"}]}))
            .await;
        assert_eq!((invalid.status, invalid.code().as_str()), (400, "invalid_import"), "{}", invalid.text);
        assert_eq!(invalid.json()["field"], "email", "{}", invalid.text);
        assert!(invalid.json()["record"].as_str().unwrap().contains("members[0]"));
        let huge = vec![b' '; redeemdesk::http::IMPORT_BODY_LIMIT + 1];
        let too_big = server.send(Method::POST, "/api/v1/import", Auth::Bearer(TOKEN), Some(huge)).await;
        assert_eq!((too_big.status, too_big.code().as_str()), (413, "payload_too_large"));

        // By serial: exactly `status SERIAL --json`.
        let found = server.get("/api/v1/redemptions?serial=K2305N0012345").await;
        assert_eq!(found.status, 200, "{}", found.text);
        let expected = serde_json::to_value(status_view(&db, "K2305N0012345").await.unwrap()).unwrap();
        assert_eq!(found.json(), expected);
        let typed = server.get("/api/v1/redemptions?serial=k2305-n001-2345").await;
        assert_eq!(typed.json()["redemptions"][0]["id"], 1042, "{}", typed.text);
        let unknown = server.get("/api/v1/redemptions?serial=K2305N0099999").await;
        assert_eq!((unknown.status, unknown.code().as_str()), (404, "not_found"));
        let missing = server.get("/api/v1/redemptions").await;
        assert_eq!((missing.status, missing.json()["field"].as_str()), (400, Some("serial")));
        let bad = server.get("/api/v1/redemptions?serial=%21%21").await;
        assert_eq!((bad.status, bad.json()["field"].as_str()), (400, Some("serial")), "{}", bad.text);
        let extra = server.get("/api/v1/redemptions?serial=K2305N0012345&sort=asc").await;
        assert_eq!((extra.status, extra.json()["field"].as_str()), (400, Some("sort")));

        // By id: exactly `review show ID --json`.
        let shown = server.get("/api/v1/redemptions/1042").await;
        assert_eq!(shown.status, 200);
        assert_eq!(shown.json(), review_show(&db, 1042).await);
        let none = server.get("/api/v1/redemptions/99999").await;
        assert_eq!((none.status, none.code().as_str()), (404, "not_found"));
        let word = server.get("/api/v1/redemptions/abc").await;
        assert_eq!((word.status, word.json()["field"].as_str()), (400, Some("id")));

        // The queue: oldest first, with ages, flags and leases.
        let queue = server.get("/api/v1/queue").await;
        assert_eq!(queue.status, 200, "{}", queue.text);
        let queue = queue.json();
        assert_eq!(ids(&queue), vec![1044, 1046]);
        let settings = ReviewSettings::default();
        let now = Utc::now();
        for entry in queue.as_array().unwrap() {
            let id = entry["id"].as_i64().unwrap();
            let view = review_show(&db, id).await;
            for (key, value) in view.as_object().unwrap() {
                assert_eq!(&entry[key], value, "queue entry {id}: {key}");
            }
            let queued: Timestamp = entry["queued_at"].as_str().unwrap().parse().unwrap();
            let age = settings.calendar.working_days_between(queued, now);
            assert_eq!(entry["age_working_days"], age);
            assert_eq!(entry["overdue"], age > settings.overdue_after_days);
            assert_eq!(entry["lease"], Value::Null);
        }
        assert_eq!(queue[0]["resubmission"], false);
        assert_eq!(queue[1]["resubmission"], true);
        assert_eq!(ids(&server.get("/api/v1/queue?limit=1").await.json()), vec![1044]);
        for bad in ["0", "abc", "1001"] {
            let reply = server.get(&format!("/api/v1/queue?limit={bad}")).await;
            assert_eq!((reply.status, reply.json()["field"].as_str()), (400, Some("limit")), "{bad}");
        }
    }

    async fn decisions_and_leases_over_http(db: Db) {
        demo(&db).await;
        let server = Server::router(db.clone(), Some(TOKEN)).await;

        // Bad requests name their field and change nothing.
        for (body, field) in [
            (json!({"decision": "maybe", "reviewer": "ana"}), "decision"),
            (json!({"decision": "reject", "reviewer": "ana"}), "reason"),
            (json!({"decision": "reject", "reason": "blurry", "reviewer": "ana"}), "reason"),
            (json!({"decision": "approve", "reason": "invoice_unreadable", "reviewer": "ana"}), "reason"),
            (json!({"decision": "approve"}), "reviewer"),
            (json!({"decision": "approve", "reviewer": "  "}), "reviewer"),
            (json!({"decision": "approve", "reviewer": "ana", "reson": "x"}), "reson"),
            (json!({"decision": "approve", "reviewer": "ana", "note": 5}), "note"),
            (json!(["approve"]), "body"),
        ] {
            let reply = server.with_json(Method::POST, "/api/v1/redemptions/1044/decision", body.clone()).await;
            assert_eq!(reply.status, 400, "{body}: {}", reply.text);
            assert_eq!(reply.json()["field"], field, "{body}: {}", reply.text);
        }
        let unknown_reason = server
            .with_json(Method::POST, "/api/v1/redemptions/1044/decision",
                json!({"decision": "reject", "reason": "blurry", "reviewer": "ana"}))
            .await;
        assert!(unknown_reason.json()["message"].as_str().unwrap().contains("invoice_unreadable"));
        let big_note = "x".repeat(redeemdesk::http::BODY_LIMIT);
        let too_big = server
            .with_json(Method::POST, "/api/v1/redemptions/1044/decision",
                json!({"decision": "approve", "reviewer": "ana", "note": big_note}))
            .await;
        assert_eq!((too_big.status, too_big.code().as_str()), (413, "payload_too_large"));
        assert_eq!(review_show(&db, 1044).await["status"], "under_review");

        // Ana claims 1044; Bob can neither claim, decide nor release it.
        let claimed = server.with_json(Method::POST, "/api/v1/queue/1044/claim", json!({"reviewer": "ana"})).await;
        assert_eq!(claimed.status, 200, "{}", claimed.text);
        assert_eq!(claimed.json()["reviewer"], "ana");
        let until: Timestamp = claimed.json()["until"].as_str().unwrap().parse().unwrap();
        assert!(until > Utc::now());
        let queue = server.get("/api/v1/queue").await.json();
        assert_eq!(queue[0]["lease"], json!({"reviewer": "ana", "until": claimed.json()["until"]}));

        let bob = server.with_json(Method::POST, "/api/v1/queue/1044/claim", json!({"reviewer": "bob"})).await;
        assert_eq!((bob.status, bob.code().as_str()), (409, "leased"), "{}", bob.text);
        assert_eq!(bob.json()["reviewer"], "ana");
        let bob_decides = server
            .with_json(Method::POST, "/api/v1/redemptions/1044/decision",
                json!({"decision": "approve", "reviewer": "bob"}))
            .await;
        assert_eq!((bob_decides.status, bob_decides.code().as_str()), (409, "leased"));
        let bob_releases = server.with_json(Method::DELETE, "/api/v1/queue/1044/claim", json!({"reviewer": "bob"})).await;
        assert_eq!((bob_releases.status, bob_releases.code().as_str()), (409, "not_held"));
        assert_eq!(review_show(&db, 1044).await["status"], "under_review");

        // Ana rejects it: the decision, its history and the member's email.
        let decided = server
            .with_json(Method::POST, "/api/v1/redemptions/1044/decision", json!({
                "decision": "reject", "reason": "invoice_unreadable",
                "note": "  The photo of the invoice is blurred.  ", "reviewer": "ana"}))
            .await;
        assert_eq!(decided.status, 200, "{}", decided.text);
        let view = decided.json();
        assert_eq!(view["status"], "rejected");
        assert_eq!(view["reason"], "invoice_unreadable");
        assert_eq!(view["note"], "The photo of the invoice is blurred.");
        let last = view["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((last["kind"].as_str(), last["actor"].as_str()), (Some("rejected"), Some("staff:ana")));
        assert_eq!(view, review_show(&db, 1044).await);
        let emails = view["emails"].as_array().unwrap();
        assert_eq!(emails.len(), 1, "{view}");
        assert_eq!(emails[0]["kind"], "rejection");
        assert_eq!(emails[0]["delivery"], "queued");
        assert!(emails[0]["reply_address"].is_string());
        assert_eq!(ids(&server.get("/api/v1/queue").await.json()), vec![1046]);

        // Decided is decided; unknown ids and claims on decided claims.
        let twice = server
            .with_json(Method::POST, "/api/v1/redemptions/1044/decision",
                json!({"decision": "approve", "reviewer": "ana"}))
            .await;
        assert_eq!((twice.status, twice.code().as_str()), (409, "invalid_transition"), "{}", twice.text);
        let ghost = server
            .with_json(Method::POST, "/api/v1/redemptions/99999/decision",
                json!({"decision": "approve", "reviewer": "ana"}))
            .await;
        assert_eq!((ghost.status, ghost.code().as_str()), (404, "not_found"));
        let not_queued = server.with_json(Method::POST, "/api/v1/queue/1043/claim", json!({"reviewer": "ana"})).await;
        assert_eq!((not_queued.status, not_queued.code().as_str()), (409, "not_queued"));
        let no_claim = server.with_json(Method::POST, "/api/v1/queue/99999/claim", json!({"reviewer": "ana"})).await;
        assert_eq!((no_claim.status, no_claim.code().as_str()), (404, "not_found"));
        let no_release = server.with_json(Method::DELETE, "/api/v1/queue/99999/claim", json!({"reviewer": "ana"})).await;
        assert_eq!((no_release.status, no_release.code().as_str()), (404, "not_found"));

        // A released entry is free for the next reviewer.
        let claimed = server.with_json(Method::POST, "/api/v1/queue/1046/claim", json!({"reviewer": "ana"})).await;
        assert_eq!(claimed.status, 200);
        let released = server.with_json(Method::DELETE, "/api/v1/queue/1046/claim", json!({"reviewer": "ana"})).await;
        assert_eq!((released.status, released.json()), (200, json!({"released": true})));
        let approved = server
            .with_json(Method::POST, "/api/v1/redemptions/1046/decision",
                json!({"decision": "approve", "reviewer": "carol", "note": "ok"}))
            .await;
        assert_eq!(approved.status, 200, "{}", approved.text);
        assert_eq!(approved.json()["status"], "approved");
        assert_eq!(approved.json()["emails"].as_array().unwrap().last().unwrap()["kind"], "approved");
        assert_eq!(server.get("/api/v1/queue").await.json(), json!([]));

        // The metrics see the same database.
        let metrics = parse_metrics(&server.public("/metrics").await.text);
        assert_eq!(metrics.value("redeemdesk_review_queue_depth", &[]), 0.0);
        assert_eq!(metrics.value("redeemdesk_emails", &[("kind", "rejection"), ("delivery", "queued")]), 1.0);
        assert_eq!(metrics.value("redeemdesk_emails", &[("kind", "approved"), ("delivery", "queued")]), 1.0);
        assert_eq!(metrics.value("redeemdesk_jobs", &[("kind", "email"), ("status", "queued")]), 2.0);
        assert_eq!(metrics.value("redeemdesk_redemptions", &[("status", "rejected")]), 2.0);
        // An hour from now both emails have waited an hour past their run_at.
        let later = Utc::now() + chrono::Duration::hours(1);
        let text = redeemdesk::http::render_metrics(&db, &ReviewSettings::default(), later).await.unwrap();
        let lag = parse_metrics(&text).value("redeemdesk_outbox_lag_seconds", &[("kind", "email")]);
        assert!((3600.0..=3700.0).contains(&lag), "{lag}");
    }

    async fn metrics_match_the_demo_data(db: Db) {
        demo(&db).await;
        let now = Utc::now();
        {
            let mut tx = db.begin_write().await.unwrap();
            tx.chat_user(Channel::Telegram, "4242", now).await.unwrap();
            tx.chat_user(Channel::Discord, "777", now).await.unwrap();
            tx.deactivate_chat_user(Channel::Discord, "777", now).await.unwrap();
            assert!(tx.claim_inbound_event(Channel::Telegram, "1001", now).await.unwrap());
            assert!(tx.claim_inbound_event(Channel::Telegram, "1002", now).await.unwrap());
            assert!(tx.claim_inbound_event(Channel::Discord, "old", now - chrono::Duration::hours(30)).await.unwrap());
            tx.commit().await.unwrap();
        }
        let server = Server::router(db.clone(), Some(TOKEN)).await;
        let reply = server.public("/metrics").await;
        assert_eq!(reply.status, 200);
        let content_type = reply.headers["content-type"].to_str().unwrap();
        assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
        let m = parse_metrics(&reply.text);

        let settings = ReviewSettings::default();
        let oldest: Timestamp = "2026-05-05T08:15:00+07:00".parse().unwrap();
        let newest: Timestamp = "2026-05-12T20:31:00+07:00".parse().unwrap();
        let after = Utc::now();
        assert_eq!(m.value("redeemdesk_review_queue_depth", &[]), 2.0);
        let age = m.value("redeemdesk_review_queue_oldest_age_seconds", &[]);
        let (lo, hi) = ((now - oldest).num_seconds() as f64 - 1.0, (after - oldest).num_seconds() as f64 + 1.0);
        assert!((lo..=hi).contains(&age), "{age} not in {lo}..{hi}");
        assert_eq!(
            m.value("redeemdesk_review_queue_oldest_age_working_days", &[]),
            f64::from(settings.calendar.working_days_between(oldest, after))
        );
        let overdue = [oldest, newest]
            .iter()
            .filter(|t| settings.calendar.working_days_between(**t, after) > settings.overdue_after_days)
            .count();
        assert_eq!(m.value("redeemdesk_review_queue_overdue", &[]), overdue as f64);
        assert_eq!(m.value("redeemdesk_review_queue_claimed", &[]), 0.0);
        for (status, n) in [("under_review", 2.0), ("rejected", 1.0), ("approved", 2.0), ("reward_sent", 1.0)] {
            assert_eq!(m.value("redeemdesk_redemptions", &[("status", status)]), n, "{status}");
        }
        // The demo data holds no emails; every series is there, at 0.
        assert_eq!(m.value("redeemdesk_emails", &[("kind", "rejection"), ("delivery", "queued")]), 0.0);
        assert_eq!(m.value("redeemdesk_emails", &[("kind", "status_answer"), ("delivery", "dead")]), 0.0);
        // Jobs (whatever importing queued claims enqueues) as the outbox lists them.
        let jobs = db.begin().await.unwrap().jobs(None, 10_000).await.unwrap();
        for kind in JobKind::ALL {
            for status in JobStatus::ALL {
                let n = jobs.iter().filter(|j| j.kind == kind && j.status == status).count();
                let labels = [("kind", kind.as_str()), ("status", status.as_str())];
                assert_eq!(m.value("redeemdesk_jobs", &labels), n as f64, "{labels:?}");
            }
        }
        for kind in JobKind::ALL {
            let lag = m.value("redeemdesk_outbox_lag_seconds", &[("kind", kind.as_str())]);
            let due = jobs
                .iter()
                .filter(|j| j.kind == kind && matches!(j.status, JobStatus::Queued | JobStatus::Running) && j.run_at <= now)
                .map(|j| j.run_at)
                .min();
            match due {
                None => assert_eq!(lag, 0.0, "{kind:?}"),
                Some(oldest) => {
                    let lo = (now - oldest).num_milliseconds() as f64 / 1000.0;
                    let hi = (after - oldest).num_milliseconds() as f64 / 1000.0;
                    assert!((lo..=hi + 0.001).contains(&lag), "{kind:?}: {lag} not in {lo}..{hi}");
                }
            }
        }
        assert!(m.types["redeemdesk_inbound_mail_messages_total"] == "counter");
        assert_eq!(m.value("redeemdesk_chat_events_24h", &[("channel", "telegram")]), 2.0);
        assert_eq!(m.value("redeemdesk_chat_events_24h", &[("channel", "discord")]), 0.0);
        let user = |c: &str, a: &str, s: &str| m.value("redeemdesk_chat_users", &[("channel", c), ("active", a), ("subscribed", s)]);
        assert_eq!(user("telegram", "true", "false"), 1.0);
        assert_eq!(user("discord", "false", "false"), 1.0);
        assert_eq!(user("discord", "true", "false"), 0.0);

        // A lease shows up as claimed.
        server.with_json(Method::POST, "/api/v1/queue/1046/claim", json!({"reviewer": "ana"})).await;
        let m = parse_metrics(&server.public("/metrics").await.text);
        assert_eq!(m.value("redeemdesk_review_queue_claimed", &[]), 1.0);
    }
}

/// A scrape, checked line by line: every sample is `name{labels} value` (or
/// `name value`) of a metric that has HELP and TYPE lines before it.
struct Metrics {
    types: BTreeMap<String, String>,
    samples: BTreeMap<(String, Vec<(String, String)>), f64>,
}

impl Metrics {
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let mut key: Vec<(String, String)> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        key.sort();
        *self
            .samples
            .get(&(name.to_owned(), key.clone()))
            .unwrap_or_else(|| panic!("no sample {name}{key:?}"))
    }
}

fn parse_metrics(text: &str) -> Metrics {
    let mut helped = HashSet::new();
    let mut types = BTreeMap::new();
    let mut samples = BTreeMap::new();
    assert!(text.ends_with('\n'), "the exposition ends with a line feed");
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP name text");
            assert!(!help.is_empty(), "{line}");
            assert!(helped.insert(name.to_owned()), "HELP twice: {line}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(["counter", "gauge"].contains(&kind), "{line}");
            assert!(helped.contains(name), "TYPE before HELP: {line}");
            assert!(
                types.insert(name.to_owned(), kind.to_owned()).is_none(),
                "TYPE twice: {line}"
            );
            continue;
        }
        assert!(!line.starts_with('#') && !line.is_empty(), "unexpected line {line:?}");
        let (series, value) = line.rsplit_once(' ').expect("sample has a value");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line:?}"));
        let (name, labels) = match series.split_once('{') {
            None => (series, Vec::new()),
            Some((name, rest)) => (name, parse_labels(rest.strip_suffix('}').expect("labels end with }"))),
        };
        assert!(
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                && !name.starts_with(|c: char| c.is_ascii_digit()),
            "metric name {name:?}"
        );
        assert!(types.contains_key(name), "sample before its TYPE: {line}");
        let mut labels = labels;
        labels.sort();
        assert!(
            samples.insert((name.to_owned(), labels), value).is_none(),
            "duplicate series {line}"
        );
    }
    Metrics { types, samples }
}

/// `a="x",b="y\"z"` → pairs, unescaping `\\`, `\"` and `\n`.
fn parse_labels(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        let name: String = chars.by_ref().take_while(|c| *c != '=').collect();
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "label name {name:?} in {text}"
        );
        assert_eq!(chars.next(), Some('"'), "label value opens with a quote in {text}");
        let mut value = String::new();
        loop {
            match chars.next().expect("label value closes") {
                '"' => break,
                '\\' => match chars.next() {
                    Some('\\') => value.push('\\'),
                    Some('"') => value.push('"'),
                    Some('n') => value.push('\n'),
                    other => panic!("bad escape {other:?} in {text}"),
                },
                c => value.push(c),
            }
        }
        pairs.push((name, value));
        match chars.next() {
            None => break,
            Some(',') => {}
            Some(c) => panic!("unexpected {c:?} after a label value in {text}"),
        }
    }
    pairs
}

/// Every `$ref` in the document.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_describes_exactly_what_is_served() {
    let test_db = TestDb::sqlite().await;
    demo(&test_db.db).await;
    let server = Server::router(test_db.db.clone(), Some(TOKEN)).await;
    let reply = server.public("/openapi.json").await;
    assert_eq!(reply.status, 200);
    let doc = reply.json();
    assert_eq!(doc, redeemdesk::http::openapi_document());
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    assert_eq!(doc["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");

    // Every route of the router is documented, once, under its operationId.
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = Vec::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            documented.push((path.clone(), method.clone()));
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path}"
            );
        }
    }
    assert_eq!(documented.len(), ROUTES.len(), "{documented:?}");
    let mut operation_ids = HashSet::new();
    for route in ROUTES {
        let op = &doc["paths"][route.path][route.verb.as_str()];
        assert_eq!(
            op["operationId"],
            route.operation.id(),
            "{} {}",
            route.verb.as_str(),
            route.path
        );
        assert!(
            operation_ids.insert(route.operation.id()),
            "operationId {} twice",
            route.operation.id()
        );
        let secured = op["security"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.get("bearerAuth").is_some());
        assert_eq!(secured, route.is_admin(), "{}", route.path);
        for param in op["parameters"].as_array().into_iter().flatten() {
            if param["in"] == "path" {
                assert!(route.path.contains(&format!("{{{}}}", param["name"].as_str().unwrap())));
            }
        }
    }

    // Every documented operation is served: never the router's own 404 or 405.
    for (path, method) in &documented {
        let concrete = path.replace("{id}", "1044");
        let reply = server
            .send(
                method.to_uppercase().parse().unwrap(),
                &concrete,
                Auth::Bearer(TOKEN),
                Some(b"{}".to_vec()),
            )
            .await;
        if reply.status >= 400 {
            let code = reply.code();
            assert!(
                !["no_route", "method_not_allowed"].contains(&code.as_str()),
                "{method} {path}: {}",
                reply.text
            );
        }
    }
    assert_eq!(server.get("/api/v1/redemptions/1/history").await.code(), "no_route");
    assert_eq!(
        server
            .send(Method::PATCH, "/api/v1/redemptions/1", Auth::Bearer(TOKEN), None)
            .await
            .code(),
        "method_not_allowed"
    );

    // Every $ref resolves.
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 20, "{all:?}");
    for r in &all {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("external $ref {r}"));
        assert!(doc.pointer(pointer).is_some(), "$ref {r} does not resolve");
    }

    // Reason codes come from the enum.
    let reasons: Vec<&str> = doc["components"]["schemas"]["RejectionReason"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(reasons, RejectionReason::ALL.map(|r| r.code()).to_vec());
}

#[tokio::test]
async fn readiness_follows_the_database() {
    let test_db = TestDb::postgres().await;
    let blobs = tempfile::tempdir().unwrap();
    let mut config = config_for(&test_db.url, Some(TOKEN), blobs.path());
    // IMAP configured against a closed port: it reports "configured" and does not fail readiness.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    config.imap.host = Some("127.0.0.1".into());
    config.imap.port = Some(closed.local_addr().unwrap().port());
    drop(closed);
    config.imap.tls = redeemdesk::config::TlsMode::None;
    config.imap.username = Some("nobody".into());
    config.imap.password = Some(SecretString::from("nothing"));
    let server = Server::app(&config).await;

    let ready = server.public("/readyz").await;
    assert_eq!(ready.status, 200, "{}", ready.text);
    assert_eq!(
        ready.json(),
        json!({"status": "ready", "checks": {"database": "ok", "telegram": "off", "discord": "off", "imap": "configured"}})
    );
    assert_eq!(server.public("/healthz").await.status, 200);

    // The database goes away under the running server.
    let admin_url =
        std::env::var("REDEEMDESK_TEST_PG_URL").unwrap_or_else(|_| support::DEFAULT_PG_ADMIN_URL.to_owned());
    let name = test_db
        .url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    {
        use sqlx::Connection;
        let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(r#"DROP DATABASE "{name}" WITH (FORCE)"#)))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
    }
    let not_ready = server.public("/readyz").await;
    assert_eq!(not_ready.status, 503, "{}", not_ready.text);
    assert_eq!(not_ready.json()["status"], "not_ready");
    assert_eq!(not_ready.json()["checks"]["database"], "unreachable");
    let health = server.public("/healthz").await;
    assert_eq!(
        (health.status, health.json()["database"].as_str()),
        (503, Some("unreachable"))
    );
    assert_eq!(server.public("/metrics").await.status, 503);
    let queue = server.get("/api/v1/queue").await;
    assert_eq!((queue.status, queue.code().as_str()), (500, "internal"));
    server.shutdown().await;
}

#[test]
fn the_log_format_is_configured_in_the_log_section() {
    let env = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    assert_eq!(Config::load_from(None, env(&[])).unwrap().log.format, LogFormat::Text);
    let json_env = env(&[("REDEEMDESK_LOG__FORMAT", "json"), ("REDEEMDESK_LOG", "debug")]);
    assert_eq!(Config::load_from(None, json_env).unwrap().log.format, LogFormat::Json);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("redeemdesk.toml");
    std::fs::write(&file, "[log]\nformat = \"json\"\n").unwrap();
    assert_eq!(
        Config::load_from(Some(&file), env(&[])).unwrap().log.format,
        LogFormat::Json
    );
    let err = Config::load_from(None, env(&[("REDEEMDESK_LOG__FORMAT", "xml")])).unwrap_err();
    assert!(err.to_string().contains("xml"), "{err}");
    let err = Config::load_from(None, env(&[("REDEEMDESK_LOG__COLOUR", "yes")])).unwrap_err();
    assert!(err.to_string().contains("colour"), "{err}");
}

/// `serve` with `log.format = "json"` writes one JSON object per line, and
/// says in one line that the admin API is off.
#[test]
fn serve_logs_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = support::redeemdesk("sqlite://serve.db", dir.path())
        .env("REDEEMDESK_HTTP__BIND", "127.0.0.1:0")
        .env("REDEEMDESK_LOG__FORMAT", "json")
        .env_remove("REDEEMDESK_LOG")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let listening = loop {
        let Some(Ok(line)) = lines.next() else {
            let _ = child.kill();
            panic!("serve ended before listening: {seen:?}");
        };
        let value: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            let _ = child.kill();
            panic!("not a JSON line ({e}): {line}")
        });
        seen.push(value.clone());
        if value["message"] == "http listening" {
            break value;
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(listening["level"], "INFO");
    assert!(
        listening["addr"].as_str().unwrap().starts_with("127.0.0.1:"),
        "{listening}"
    );
    assert!(listening["timestamp"].is_string());
    let off: Vec<&Value> = seen
        .iter()
        .filter(|l| {
            l["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("admin API is off")
        })
        .collect();
    assert_eq!(off.len(), 1, "{seen:?}");
}

/// A promotion whose claims are open (dates around today), next to the
/// demo's, which ended.
async fn current_promotion(db: &Db) {
    let today = redeemdesk::domain::time::jakarta_date(Utc::now());
    let day = |n: i64| (today + chrono::Duration::days(n)).to_string();
    let doc = json!({"promotions": [{
        "id": "promo-now",
        "name": {"id": "Promo Akhir Tahun", "en": "Year-End Promo"},
        "description": {"id": "Beli MSI AIO, dapat hadiah.", "en": "Buy an MSI AIO, get a reward."},
        "starts_on": day(-10), "ends_on": day(20), "claim_deadline": day(40),
        "categories": ["AIO", "PRO DT"], "regions": ["ID"],
        "rewards": [{"category": "AIO", "kind": "digital_code", "amount_idr": 300000}],
    }]});
    import_json(db, &doc.to_string(), Utc::now()).await.unwrap();
}

/// A chat user who subscribed (with consent) unless `subscribed` is false,
/// linked to demo member `member` when given (its region and products).
async fn chat_user(db: &Db, channel: Channel, id: &str, locale: Option<Locale>, member: Option<i64>, subscribed: bool) {
    let now = Utc::now();
    let mut tx = db.begin_write().await.unwrap();
    let mut u = tx.chat_user(channel, id, now).await.unwrap();
    u.subscribed = subscribed;
    u.consent_at = subscribed.then_some(now);
    u.locale = locale;
    tx.save_chat_user(&u, now).await.unwrap();
    if subscribed {
        tx.record_consent(u.id, true, now).await.unwrap();
    }
    if let Some(member) = member {
        tx.insert_chat_link(u.id, member, now).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// The audience's counts summed by one of its row's fields.
fn audience_by(audience: &Value, key: &str) -> BTreeMap<String, i64> {
    let mut sums = BTreeMap::new();
    for row in audience["rows"].as_array().unwrap() {
        *sums.entry(row[key].as_str().unwrap().to_owned()).or_insert(0) += row["count"].as_i64().unwrap();
    }
    sums
}

both_backends! {
    /// Drafts with their audience and filters, confirmation, cancellation,
    /// progress and the list, over HTTP.
    async fn campaigns_over_http(db: Db) {
        demo(&db).await;
        current_promotion(&db).await;
        // Budi (member 501: AIO and MB, region ID) in English; Siti (502:
        // a monitor) in Indonesian; someone we know nothing about; Rizky (503:
        // PRO DT) on Discord; and one who never subscribed.
        chat_user(&db, Channel::Telegram, "5001", Some(Locale::En), Some(501), true).await;
        chat_user(&db, Channel::Telegram, "5002", Some(Locale::Id), Some(502), true).await;
        chat_user(&db, Channel::Telegram, "5003", None, None, true).await;
        chat_user(&db, Channel::Discord, "7001", Some(Locale::Id), Some(503), true).await;
        chat_user(&db, Channel::Telegram, "5004", Some(Locale::Id), Some(504), false).await;
        let server = Server::router(db.clone(), Some(TOKEN)).await;

        // Without the token: nothing.
        let anonymous = server
            .send(Method::POST, "/api/v1/campaigns", Auth::None, Some(br#"{"promotion_id": "promo-now"}"#.to_vec()))
            .await;
        assert_eq!((anonymous.status, anonymous.code().as_str()), (401, "unauthorized"));
        assert_eq!(server.send(Method::GET, "/api/v1/campaigns", Auth::None, None).await.status, 401);
        assert!(db.begin().await.unwrap().campaigns(None, 10).await.unwrap().is_empty());

        // Every subscriber: the draft, its audience and both texts.
        let all = server
            .with_json(Method::POST, "/api/v1/campaigns", json!({"promotion_id": "promo-now", "by": "mita"}))
            .await;
        assert_eq!(all.status, 201, "{}", all.text);
        let all = all.json();
        let campaign = &all["campaign"];
        assert_eq!(campaign["status"], "draft");
        assert_eq!(campaign["promotion_id"], "promo-now");
        assert_eq!(campaign["created_by"], "api:mita");
        assert_eq!(campaign["filters"], json!({"regions": [], "categories": []}));
        assert_eq!(campaign["confirmed_at"], Value::Null);
        assert_eq!(all["audience"]["total"], 4, "{all}");
        assert_eq!(audience_by(&all["audience"], "channel"), BTreeMap::from([("discord".into(), 1), ("telegram".into(), 3)]));
        assert_eq!(audience_by(&all["audience"], "locale"), BTreeMap::from([("en".into(), 1), ("id".into(), 3)]));
        assert_eq!(audience_by(&all["audience"], "region"), BTreeMap::from([("ID".into(), 3), ("unknown".into(), 1)]));
        assert!(all["preview"]["id"].as_str().unwrap().contains("Promo Akhir Tahun"), "{all}");
        assert!(all["preview"]["en"].as_str().unwrap().contains("Year-End Promo"), "{all}");
        assert_eq!(all["preview"]["id"], campaign["text_id"]);
        assert_eq!(all["preview"]["en"], campaign["text_en"]);
        let all_id = campaign["id"].as_i64().unwrap();

        // Filters: a region, a category (as typed), both.
        let in_id = server
            .with_json(Method::POST, "/api/v1/campaigns", json!({"promotion_id": "promo-now", "regions": ["id"]}))
            .await;
        assert_eq!(in_id.status, 201, "{}", in_id.text);
        assert_eq!(in_id.json()["campaign"]["filters"]["regions"], json!(["ID"]));
        assert_eq!(in_id.json()["campaign"]["created_by"], "api");
        assert_eq!(in_id.json()["audience"]["total"], 3);
        let aio = server
            .with_json(Method::POST, "/api/v1/campaigns", json!({"promotion_id": "promo-now", "categories": ["aio"]}))
            .await;
        assert_eq!(aio.json()["audience"]["total"], 1, "{}", aio.text);
        assert_eq!(aio.json()["campaign"]["filters"]["categories"], json!(["AIO"]));
        let pro = server
            .with_json(Method::POST, "/api/v1/campaigns",
                json!({"promotion_id": "promo-now", "regions": ["ID"], "categories": ["pro-dt", "PRO DT"]}))
            .await;
        assert_eq!(pro.json()["campaign"]["filters"]["categories"], json!(["PRO DT"]), "{}", pro.text);
        assert_eq!(audience_by(&pro.json()["audience"], "channel"), BTreeMap::from([("discord".into(), 1)]));
        let nowhere = server
            .with_json(Method::POST, "/api/v1/campaigns", json!({"promotion_id": "promo-now", "regions": ["SG"]}))
            .await;
        assert_eq!(nowhere.json()["audience"], json!({"total": 0, "rows": []}));

        // Refusals name their field and prepare nothing.
        let before = db.begin().await.unwrap().campaigns(None, 100).await.unwrap().len();
        for (body, status, code, field) in [
            (json!({"promotion_id": "nope"}), 422, "unknown_promotion", "promotion_id"),
            (json!({"promotion_id": "smart-office-2026"}), 422, "promotion_ended", "promotion_id"),
            (json!({}), 400, "invalid", "promotion_id"),
            (json!({"promotion_id": "promo-now", "regions": ["!!"]}), 400, "invalid", "regions"),
            (json!({"promotion_id": "promo-now", "regions": "ID"}), 400, "invalid", "regions"),
            (json!({"promotion_id": "promo-now", "categories": ["TOASTER"]}), 400, "invalid", "categories"),
            (json!({"promotion_id": "promo-now", "region": ["ID"]}), 400, "invalid", "region"),
            (json!({"promotion_id": "promo-now", "by": 7}), 400, "invalid", "by"),
        ] {
            let reply = server.with_json(Method::POST, "/api/v1/campaigns", body.clone()).await;
            assert_eq!((reply.status, reply.code().as_str()), (status, code), "{body}: {}", reply.text);
            assert_eq!(reply.json()["field"], field, "{body}: {}", reply.text);
        }
        let toaster = server
            .with_json(Method::POST, "/api/v1/campaigns", json!({"promotion_id": "promo-now", "categories": ["TOASTER"]}))
            .await;
        assert!(toaster.json()["message"].as_str().unwrap().contains("AIO"), "known categories listed: {}", toaster.text);
        let ended = server
            .with_json(Method::POST, "/api/v1/campaigns", json!({"promotion_id": "smart-office-2026"}))
            .await;
        assert!(ended.json()["message"].as_str().unwrap().contains("2026-07-31"), "{}", ended.text);
        assert_eq!(db.begin().await.unwrap().campaigns(None, 100).await.unwrap().len(), before);

        // A draft has no recipients yet.
        let shown = server.get(&format!("/api/v1/campaigns/{all_id}")).await;
        assert_eq!(shown.status, 200, "{}", shown.text);
        assert_eq!(shown.json()["campaign"], all["campaign"]);
        assert_eq!(shown.json()["progress"]["total"], 0);

        // Confirm: one recipient per subscriber; not twice.
        let confirmed = server
            .with_json(Method::POST, &format!("/api/v1/campaigns/{all_id}/confirm"), json!({"by": "rudi"}))
            .await;
        assert_eq!(confirmed.status, 200, "{}", confirmed.text);
        assert_eq!(confirmed.json(), json!({"campaign_id": all_id, "recipients": 4}));
        let again = server
            .with_json(Method::POST, &format!("/api/v1/campaigns/{all_id}/confirm"), json!({"by": "rudi"}))
            .await;
        assert_eq!((again.status, again.code().as_str()), (409, "invalid_transition"), "{}", again.text);
        let shown = server.get(&format!("/api/v1/campaigns/{all_id}")).await.json();
        assert_eq!(shown["campaign"]["status"], "sending");
        assert_eq!(shown["campaign"]["confirmed_by"], "api:rudi");
        assert!(shown["campaign"]["confirmed_at"].is_string());
        let progress = &shown["progress"];
        assert_eq!(progress["campaign_id"], all_id);
        assert_eq!((progress["total"].as_i64(), progress["remaining"].as_i64()), (Some(4), Some(4)), "{shown}");
        assert_eq!((progress["sent"].as_i64(), progress["done"].as_bool()), (Some(0), Some(false)));

        // The region draft, confirmed without a body.
        let in_id = in_id.json()["campaign"]["id"].as_i64().unwrap();
        let bare = server
            .send(Method::POST, &format!("/api/v1/campaigns/{in_id}/confirm"), Auth::Bearer(TOKEN), None)
            .await;
        assert_eq!(bare.status, 200, "{}", bare.text);
        assert_eq!(bare.json()["recipients"], 3);
        assert_eq!(server.get(&format!("/api/v1/campaigns/{in_id}")).await.json()["campaign"]["confirmed_by"], "api");

        // Cancel: a campaign being sent, then a draft; not twice.
        let cancelled = server
            .with_json(Method::POST, &format!("/api/v1/campaigns/{all_id}/cancel"), json!({"by": "mita"}))
            .await;
        assert_eq!(cancelled.status, 200, "{}", cancelled.text);
        assert_eq!(cancelled.json()["campaign"]["status"], "cancelled");
        assert!(cancelled.json()["campaign"]["finished_at"].is_string());
        assert_eq!(cancelled.json()["progress"]["total"], 4);
        let twice = server
            .send(Method::POST, &format!("/api/v1/campaigns/{all_id}/cancel"), Auth::Bearer(TOKEN), None)
            .await;
        assert_eq!((twice.status, twice.code().as_str()), (409, "invalid_transition"), "{}", twice.text);
        let aio_id = aio.json()["campaign"]["id"].as_i64().unwrap();
        let dropped = server
            .send(Method::POST, &format!("/api/v1/campaigns/{aio_id}/cancel"), Auth::Bearer(TOKEN), None)
            .await;
        assert_eq!(dropped.json()["campaign"]["status"], "cancelled", "{}", dropped.text);
        let too_late = server
            .send(Method::POST, &format!("/api/v1/campaigns/{aio_id}/confirm"), Auth::Bearer(TOKEN), None)
            .await;
        assert_eq!((too_late.status, too_late.code().as_str()), (409, "invalid_transition"));

        // Unknown and malformed ids.
        for (method, path) in [
            (Method::GET, "/api/v1/campaigns/99999"),
            (Method::POST, "/api/v1/campaigns/99999/confirm"),
            (Method::POST, "/api/v1/campaigns/99999/cancel"),
        ] {
            let reply = server.send(method, path, Auth::Bearer(TOKEN), None).await;
            assert_eq!((reply.status, reply.code().as_str()), (404, "not_found"), "{path}: {}", reply.text);
        }
        let word = server.get("/api/v1/campaigns/abc").await;
        assert_eq!((word.status, word.json()["field"].as_str()), (400, Some("id")));
        let typo = server
            .with_json(Method::POST, &format!("/api/v1/campaigns/{in_id}/cancel"), json!({"who": "mita"}))
            .await;
        assert_eq!((typo.status, typo.json()["field"].as_str()), (400, Some("who")));

        // The list: newest first, by promotion, limited.
        let list = server.get("/api/v1/campaigns").await;
        assert_eq!(list.status, 200, "{}", list.text);
        let listed = ids(&list.json());
        assert_eq!(listed.len(), 5);
        assert!(listed.windows(2).all(|w| w[0] > w[1]), "{listed:?}");
        assert_eq!(listed[4], all_id);
        assert_eq!(list.json()[4]["status"], "cancelled");
        assert_eq!(ids(&server.get("/api/v1/campaigns?promotion_id=promo-now&limit=2").await.json()), listed[..2]);
        assert_eq!(server.get("/api/v1/campaigns?promotion_id=smart-office-2026").await.json(), json!([]));
        for bad in ["limit=0", "limit=x", "status=draft"] {
            let reply = server.get(&format!("/api/v1/campaigns?{bad}")).await;
            assert_eq!(reply.status, 400, "{bad}: {}", reply.text);
        }
    }
}
