//! Liveness (`/healthz`: the process answers and reaches its database) and
//! readiness (`/readyz`: the database and every configured channel are up, so
//! the instance can take traffic). See `docs/operations.md`.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use super::Shared;
use crate::channels::discord::Discord;

/// How long a readiness probe waits for the database before calling it down.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(3);

/// What `serve` started, for `/readyz`.
#[derive(Clone, Default)]
pub struct Readiness {
    /// Telegram is configured; `serve` starts only after `Telegram::connect`
    /// succeeded, so it counts as connected.
    pub telegram: bool,
    /// The Discord adapter, whose gateway session may come and go.
    pub discord: Option<Arc<Discord>>,
    /// The IMAP poller is configured. It reports no connection state, so it
    /// never fails readiness (`docs/operations.md`).
    pub imap: bool,
}

/// Keeps the JSON `tests/it/cli.rs` and existing probes read:
/// `{"status": "ok", "database": "ok"}`, or 503 when the database is unreachable.
pub async fn healthz(State(state): State<Shared>) -> (StatusCode, Json<serde_json::Value>) {
    match state.db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(serde_json::json!({"status": "ok", "database": "ok"})),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable", "database": "unreachable"})),
            )
        }
    }
}

/// The `/readyz` body: `status` is `ready` or `not_ready`; each check's state.
#[derive(Debug, Serialize)]
pub struct ReadyView {
    pub status: &'static str,
    pub checks: Checks,
}

#[derive(Debug, Serialize)]
pub struct Checks {
    /// `ok` or `unreachable`.
    pub database: &'static str,
    /// `connected` or `off`.
    pub telegram: &'static str,
    /// `connected`, `disconnected` or `off`.
    pub discord: &'static str,
    /// `configured` or `off`.
    pub imap: &'static str,
}

pub async fn readyz(State(state): State<Shared>) -> (StatusCode, Json<ReadyView>) {
    let database_ok = match tokio::time::timeout(DATABASE_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database unreachable");
            false
        }
        Err(_) => {
            tracing::warn!(timeout = ?DATABASE_TIMEOUT, "readiness: database did not answer in time");
            false
        }
    };
    let r = &state.readiness;
    let discord_ok = r.discord.as_ref().is_none_or(|d| d.is_connected());
    let checks = Checks {
        database: if database_ok { "ok" } else { "unreachable" },
        telegram: if r.telegram { "connected" } else { "off" },
        discord: match &r.discord {
            None => "off",
            Some(_) if discord_ok => "connected",
            Some(_) => "disconnected",
        },
        imap: if r.imap { "configured" } else { "off" },
    };
    let ready = database_ok && discord_ok;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(ReadyView {
            status: if ready { "ready" } else { "not_ready" },
            checks,
        }),
    )
}
