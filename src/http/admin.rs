//! The admin API's handlers (`/api/v1`): the same views, queue, leases,
//! decisions and imports as the command line, over HTTP. Request bodies are
//! JSON objects read field by field, so every refusal names its field.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::Utc;
use serde_json::{Map, Value};

use super::error::ApiError;
use super::{BODY_LIMIT, IMPORT_BODY_LIMIT, Shared};
use crate::domain::{Actor, RedemptionId, RejectionReason};
use crate::import::{ImportError, ImportReport, import_json};
use crate::review::{self, Decision, Lease};
use crate::store::{Db, StoreError};
use crate::views::{QueueItemView, RedemptionView, StatusError, StatusView, redemption_view, status_view};

/// The queue's length when the caller does not say, and the most one page holds.
pub const DEFAULT_QUEUE_LIMIT: i64 = 100;
pub const MAX_QUEUE_LIMIT: i64 = 1000;
/// Reviewer names are short labels recorded in the history.
const MAX_REVIEWER_CHARS: usize = 100;

/// The redemption as `review show ID --json` prints it; `None` when there is
/// no such redemption.
pub async fn redemption_by_id(db: &Db, id: RedemptionId) -> Result<Option<RedemptionView>, StoreError> {
    let mut tx = db.begin().await?;
    match tx.redemption(id).await? {
        Some(rec) => Ok(Some(redemption_view(&mut tx, &rec).await?)),
        None => Ok(None),
    }
}

/// `GET /api/v1/redemptions?serial=SERIAL`: what `status SERIAL --json` prints.
pub async fn find_redemptions(
    State(state): State<Shared>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<StatusView>, ApiError> {
    let query = query_params(query, &["serial"])?;
    let serial = query
        .get("serial")
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("serial", "the query parameter serial is required"))?;
    let view = status_view(&state.db, serial).await.map_err(|e| match e {
        StatusError::BadSerial(_) => ApiError::invalid("serial", e.to_string()),
        StatusError::Ambiguous { .. } => ApiError::AmbiguousSerial(e.to_string()),
        StatusError::Unknown(_) => ApiError::NotFound(e.to_string()),
        StatusError::Store(s) => s.into(),
    })?;
    Ok(Json(view))
}

/// `GET /api/v1/redemptions/{id}`: what `review show ID --json` prints.
pub async fn show_redemption(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<RedemptionView>, ApiError> {
    let id = path_id(path)?;
    redemption_by_id(&state.db, id)
        .await?
        .map(Json)
        .ok_or_else(|| not_found(id))
}

/// `GET /api/v1/queue?limit=N`: claims waiting for review, oldest first.
pub async fn list_queue(
    State(state): State<Shared>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Vec<QueueItemView>>, ApiError> {
    let query = query_params(query, &["limit"])?;
    let limit = match query.get("limit") {
        None => DEFAULT_QUEUE_LIMIT,
        Some(s) => s
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_QUEUE_LIMIT).contains(n))
            .ok_or_else(|| ApiError::invalid("limit", format!("must be a whole number from 1 to {MAX_QUEUE_LIMIT}")))?,
    };
    let entries = review::queue(&state.db, &state.review, Utc::now(), limit).await?;
    let items = crate::views::queue_view(&state.db, &entries).await?;
    Ok(Json(items))
}

/// `POST /api/v1/queue/{id}/claim` `{"reviewer": "ana"}`: the lease.
pub async fn claim(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Lease>, ApiError> {
    let id = path_id(path)?;
    let body = body_object(body, BODY_LIMIT, &["reviewer"])?;
    let reviewer = reviewer(&body)?;
    let lease = review::claim(&state.db, id, &reviewer, &state.review, Utc::now()).await?;
    Ok(Json(lease))
}

/// `DELETE /api/v1/queue/{id}/claim` `{"reviewer": "ana"}`: gives the entry back.
pub async fn release(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = path_id(path)?;
    let body = body_object(body, BODY_LIMIT, &["reviewer"])?;
    let reviewer = reviewer(&body)?;
    let mut tx = state.db.begin().await?;
    if tx.redemption(id).await?.is_none() {
        return Err(not_found(id));
    }
    drop(tx);
    if review::release(&state.db, id, &reviewer).await? {
        Ok(Json(serde_json::json!({"released": true})))
    } else {
        Err(ApiError::NotHeld { id, reviewer })
    }
}

/// `POST /api/v1/redemptions/{id}/decision`: approve or reject; the redemption
/// as it is afterwards.
pub async fn decide(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<RedemptionView>, ApiError> {
    let id = path_id(path)?;
    let body = body_object(body, BODY_LIMIT, &["decision", "reason", "note", "reviewer"])?;
    let reviewer = reviewer(&body)?;
    let note = optional_string(&body, "note")?;
    let decision = match required_string(&body, "decision")?.as_str() {
        "approve" => {
            if optional_string(&body, "reason")?.is_some() {
                return Err(ApiError::invalid("reason", "only a rejection has a reason"));
            }
            Decision::Approve { note }
        }
        "reject" => {
            let code = required_string(&body, "reason")?;
            let reason = RejectionReason::parse(&code).map_err(|e| ApiError::invalid("reason", e.to_string()))?;
            Decision::Reject { reason, note }
        }
        other => {
            return Err(ApiError::invalid(
                "decision",
                format!("expected \"approve\" or \"reject\", not {other:?}"),
            ));
        }
    };
    let what = match &decision {
        Decision::Approve { .. } => "approve",
        Decision::Reject { .. } => "reject",
    };
    review::decide(
        &state.db,
        id,
        decision,
        Actor::Staff(reviewer.clone()),
        &state.mail,
        Utc::now(),
    )
    .await?;
    tracing::info!(redemption = id, reviewer = %reviewer, decision = what, "admin API: decided");
    // Read back as stored (the database's timestamp precision), so the answer
    // is exactly what `review show` prints from now on.
    redemption_by_id(&state.db, id)
        .await?
        .map(Json)
        .ok_or_else(|| not_found(id))
}

/// `POST /api/v1/import`: the import document of `redeemdesk import FILE.json`.
pub async fn import(
    State(state): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ImportReport>, ApiError> {
    let bytes = body.map_err(|e| body_error(e, IMPORT_BODY_LIMIT))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| ApiError::invalid("body", "is not UTF-8 text"))?;
    let report = import_json(&state.db, text, Utc::now()).await.map_err(|e| match e {
        ImportError::Syntax(m) => ApiError::InvalidJson(m),
        ImportError::Invalid { record, field, message } => ApiError::InvalidImport { record, field, message },
        ImportError::Store(s) => s.into(),
    })?;
    tracing::info!(written = report.written(), "admin API: imported");
    Ok(Json(report))
}

fn not_found(id: RedemptionId) -> ApiError {
    ApiError::NotFound(format!("no redemption with id {id}"))
}

fn path_id(path: Result<Path<String>, PathRejection>) -> Result<RedemptionId, ApiError> {
    let Path(raw) = path.map_err(|e| ApiError::invalid("id", e.body_text()))?;
    raw.trim()
        .parse::<RedemptionId>()
        .map_err(|_| ApiError::invalid("id", format!("{raw:?} is not a redemption id")))
}

pub(super) fn query_params(
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    allowed: &[&str],
) -> Result<HashMap<String, String>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    if let Some(unknown) = query.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ApiError::invalid(unknown.clone(), "unknown query parameter"));
    }
    Ok(query)
}

pub(super) fn body_error(e: BytesRejection, limit: usize) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge { limit }
    } else {
        ApiError::invalid("body", e.body_text())
    }
}

/// The body as a JSON object with no fields but `allowed` (a typo is an error,
/// not a silently missing value).
pub(super) fn body_object(
    body: Result<Bytes, BytesRejection>,
    limit: usize,
    allowed: &[&str],
) -> Result<Map<String, Value>, ApiError> {
    let bytes = body.map_err(|e| body_error(e, limit))?;
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|e| ApiError::invalid("body", format!("not valid JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    };
    if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ApiError::invalid(
            unknown.clone(),
            format!("unknown field; expected {}", allowed.join(", ")),
        ));
    }
    Ok(map)
}

pub(super) fn optional_string(body: &Map<String, Value>, field: &str) -> Result<Option<String>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid(field, "must be a string")),
    }
}

pub(super) fn required_string(body: &Map<String, Value>, field: &str) -> Result<String, ApiError> {
    optional_string(body, field)?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::invalid(field, "is required"))
}

/// The reviewer's name as leases and the history record it.
fn reviewer(body: &Map<String, Value>) -> Result<String, ApiError> {
    let name = required_string(body, "reviewer")?.trim().to_owned();
    if name.chars().count() > MAX_REVIEWER_CHARS || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "reviewer",
            format!("must be at most {MAX_REVIEWER_CHARS} characters, without control characters"),
        ));
    }
    Ok(name)
}
