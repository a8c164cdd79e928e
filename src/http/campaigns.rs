//! The admin API's broadcast campaigns (`/api/v1/campaigns`): prepare a
//! draft (the announcement in both languages and the audience it reaches),
//! confirm it (the recipients are written and `serve`'s runner sends it),
//! cancel it, and follow its progress. The same code as the command line
//! (`broadcast::campaign`); request bodies are read field by field, so every
//! refusal names its field.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::admin::{body_object, optional_string, query_params, required_string};
use super::error::ApiError;
use super::{BODY_LIMIT, Shared};
use crate::broadcast::{Audience, CampaignRecord, Filters, Progress, campaign};
use crate::domain::Region;

/// Campaigns one list shows when the caller does not say, and the most it may ask for.
pub const DEFAULT_LIST_LIMIT: i64 = 50;
pub const MAX_LIST_LIMIT: i64 = 1000;
/// Names recorded as who prepared, confirmed or cancelled a campaign.
const MAX_BY_CHARS: usize = 100;

/// `POST /api/v1/campaigns`: a draft and its preview; nothing is sent until
/// it is confirmed.
pub async fn create(
    State(state): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = body_object(body, BODY_LIMIT, &["promotion_id", "regions", "categories", "by"])?;
    let promotion_id = required_string(&body, "promotion_id")?.trim().to_owned();
    let mut filters = Filters::default();
    for code in string_list(&body, "regions")? {
        let region = Region::parse(&code).map_err(|e| ApiError::invalid("regions", e.to_string()))?;
        if !filters.regions.contains(&region) {
            filters.regions.push(region);
        }
    }
    let codes = string_list(&body, "categories")?;
    if !codes.is_empty() {
        let catalog = state.db.begin().await?.categories().await?;
        for code in codes {
            let category = catalog.parse(&code).map_err(|e| {
                let known: Vec<&str> = catalog.entries().iter().map(|c| c.code.as_str()).collect();
                ApiError::invalid("categories", format!("{e}; known: {}", known.join(", ")))
            })?;
            if !filters.categories.contains(&category) {
                filters.categories.push(category);
            }
        }
    }
    let by = actor(&body)?;
    let draft = campaign::prepare(&state.db, &promotion_id, filters, &by, &state.announcements, Utc::now()).await?;
    tracing::info!(
        campaign = draft.campaign.id,
        promotion = %draft.campaign.promotion_id,
        audience = draft.audience.total(),
        by = %by,
        "admin API: broadcast prepared"
    );
    // Read back as stored (the database's timestamp precision), so the
    // answer is exactly what `GET /api/v1/campaigns/{id}` shows from now on.
    let stored = state.db.begin().await?.campaign(draft.campaign.id).await?;
    let answer = json!({
        "campaign": stored.as_ref().unwrap_or(&draft.campaign),
        "audience": audience_json(&draft.audience),
        "preview": {"id": draft.campaign.text_id, "en": draft.campaign.text_en},
    });
    Ok((StatusCode::CREATED, Json(answer)))
}

/// `POST /api/v1/campaigns/{id}/confirm`: writes the recipients; the runner
/// in `serve` sends it from here.
pub async fn confirm(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = campaign_id(path)?;
    let body = optional_body(body, &["by"])?;
    let by = actor(&body)?;
    let recipients = campaign::confirm(&state.db, id, &by, &state.announcements, Utc::now()).await?;
    tracing::info!(campaign = id, recipients, by = %by, "admin API: broadcast confirmed");
    Ok(Json(json!({"campaign_id": id, "recipients": recipients})))
}

/// `POST /api/v1/campaigns/{id}/cancel`: nothing more is sent; the campaign
/// and its progress as they are afterwards.
pub async fn cancel(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = campaign_id(path)?;
    let body = optional_body(body, &["by"])?;
    let by = actor(&body)?;
    campaign::cancel(&state.db, id, &by, Utc::now()).await?;
    tracing::info!(campaign = id, by = %by, "admin API: broadcast cancelled");
    detail(&state, id).await.map(Json)
}

/// `GET /api/v1/campaigns/{id}`: the campaign and its recipients' progress.
pub async fn show(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = campaign_id(path)?;
    detail(&state, id).await.map(Json)
}

/// `GET /api/v1/campaigns?promotion_id=P&limit=N`: newest first.
pub async fn list(
    State(state): State<Shared>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Vec<CampaignRecord>>, ApiError> {
    let query = query_params(query, &["promotion_id", "limit"])?;
    let promotion = query.get("promotion_id").map(|p| p.trim()).filter(|p| !p.is_empty());
    let limit = match query.get("limit") {
        None => DEFAULT_LIST_LIMIT,
        Some(s) => s
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_LIST_LIMIT).contains(n))
            .ok_or_else(|| ApiError::invalid("limit", format!("must be a whole number from 1 to {MAX_LIST_LIMIT}")))?,
    };
    let mut tx = state.db.begin().await?;
    Ok(Json(tx.campaigns(promotion, limit).await?))
}

async fn detail(state: &Shared, id: i64) -> Result<Value, ApiError> {
    let record = {
        let mut tx = state.db.begin().await?;
        tx.campaign(id).await?.ok_or_else(|| not_found(id))?
    };
    let counts = campaign::counts(&state.db, id).await?;
    let progress = Progress::from_counts(id, &counts);
    Ok(json!({"campaign": record, "progress": progress}))
}

/// The audience with its total, as the preview shows it.
fn audience_json(audience: &Audience) -> Value {
    json!({"total": audience.total(), "rows": audience.rows})
}

fn not_found(id: i64) -> ApiError {
    ApiError::NotFound(format!("no campaign with id {id}"))
}

fn campaign_id(path: Result<Path<String>, PathRejection>) -> Result<i64, ApiError> {
    let Path(raw) = path.map_err(|e| ApiError::invalid("id", e.body_text()))?;
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::invalid("id", format!("{raw:?} is not a campaign id")))
}

/// A body that may be left out (or empty): no fields then.
fn optional_body(body: Result<Bytes, BytesRejection>, allowed: &[&str]) -> Result<Map<String, Value>, ApiError> {
    match &body {
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Ok(Map::new()),
        _ => body_object(body, BODY_LIMIT, allowed),
    }
}

/// An optional list of strings (`null` and a missing field are no list).
fn string_list(body: &Map<String, Value>, field: &str) -> Result<Vec<String>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
                _ => Err(ApiError::invalid(field, "must be a list of non-empty strings")),
            })
            .collect(),
        Some(_) => Err(ApiError::invalid(field, "must be a list of strings")),
    }
}

/// Who acts, as the campaign records it: `api:<by>`, or `api` without a name.
fn actor(body: &Map<String, Value>) -> Result<String, ApiError> {
    let Some(name) = optional_string(body, "by")?.map(|s| s.trim().to_owned()) else {
        return Ok("api".to_owned());
    };
    if name.is_empty() || name.chars().count() > MAX_BY_CHARS || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "by",
            format!("must be 1 to {MAX_BY_CHARS} characters, without control characters"),
        ));
    }
    Ok(format!("api:{name}"))
}
