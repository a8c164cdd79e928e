//! The HTTP API's errors: one typed error per way a request can fail, each
//! answered as `{"error": "<code>", "message": "..."}` with its status (plus
//! `field`, `record`, `reviewer`/`until` where they tell the caller what to fix).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::broadcast::BroadcastError;
use crate::domain::{RedemptionId, Timestamp};
use crate::review::ReviewError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No `http.admin_token` is configured, so the admin API is off.
    #[error("the admin API is off: no http.admin_token is configured")]
    Disabled,
    /// No bearer token, or not the configured one.
    #[error("a valid bearer token is required (Authorization: Bearer <http.admin_token>)")]
    Unauthorized { token_given: bool },
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// No endpoint at this path.
    #[error("no endpoint {method} {path}; see /openapi.json")]
    NoRoute { method: String, path: String },
    #[error("{method} is not allowed on {path}; see /openapi.json")]
    MethodNotAllowed { method: String, path: String },
    /// The request is malformed; `field` names what to fix.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The serial matches several products.
    #[error("{0}")]
    AmbiguousSerial(String),
    /// An import record is invalid (the import's own error, with its record and field).
    #[error("{record}: {field}: {message}")]
    InvalidImport {
        record: String,
        field: String,
        message: String,
    },
    /// The import body is not JSON.
    #[error("{0}")]
    InvalidJson(String),
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// Another reviewer holds the claim on this redemption.
    #[error("redemption {id} is being reviewed by {reviewer} until {}", .until.to_rfc3339())]
    Leased {
        id: RedemptionId,
        reviewer: String,
        until: Timestamp,
    },
    #[error("redemption {0} is not waiting for review")]
    NotQueued(RedemptionId),
    /// The reviewer holds no claim to give back.
    #[error("{reviewer} holds no claim on redemption {id}")]
    NotHeld { id: RedemptionId, reviewer: String },
    /// The state machine refuses the decision (e.g. approving an approved claim).
    #[error("{0}")]
    Transition(String),
    /// Someone else changed the claim first.
    #[error("{0}")]
    Conflict(String),
    /// The body names a promotion that does not exist.
    #[error("{0}")]
    UnknownPromotion(String),
    /// The promotion's claims have closed: nothing to announce.
    #[error("{0}")]
    PromotionEnded(String),
    /// Our fault; the details are logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Disabled | ApiError::NotFound(_) | ApiError::NoRoute { .. } => StatusCode::NOT_FOUND,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Invalid { .. }
            | ApiError::AmbiguousSerial(_)
            | ApiError::InvalidImport { .. }
            | ApiError::InvalidJson(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Leased { .. }
            | ApiError::NotQueued(_)
            | ApiError::NotHeld { .. }
            | ApiError::Transition(_)
            | ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::UnknownPromotion(_) | ApiError::PromotionEnded(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable `error` value; listed in `docs/admin-api.md` and
    /// the OpenAPI document ([`ApiError::CODES`]).
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Disabled => "disabled",
            ApiError::Unauthorized { .. } => "unauthorized",
            ApiError::NotFound(_) => "not_found",
            ApiError::NoRoute { .. } => "no_route",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::Invalid { .. } => "invalid",
            ApiError::AmbiguousSerial(_) => "ambiguous_serial",
            ApiError::InvalidImport { .. } => "invalid_import",
            ApiError::InvalidJson(_) => "invalid_json",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::Leased { .. } => "leased",
            ApiError::NotQueued(_) => "not_queued",
            ApiError::NotHeld { .. } => "not_held",
            ApiError::Transition(_) => "invalid_transition",
            ApiError::Conflict(_) => "conflict",
            ApiError::UnknownPromotion(_) => "unknown_promotion",
            ApiError::PromotionEnded(_) => "promotion_ended",
            ApiError::Internal(_) => "internal",
        }
    }

    /// Every `error` code, for the OpenAPI document.
    pub const CODES: [&'static str; 18] = [
        "disabled",
        "unauthorized",
        "not_found",
        "no_route",
        "method_not_allowed",
        "invalid",
        "ambiguous_serial",
        "invalid_import",
        "invalid_json",
        "payload_too_large",
        "leased",
        "not_queued",
        "not_held",
        "invalid_transition",
        "conflict",
        "unknown_promotion",
        "promotion_ended",
        "internal",
    ];

    fn body(&self) -> Value {
        let message = match self {
            // Whatever went wrong inside stays in the log.
            ApiError::Internal(_) => "internal error; the server log has the details".to_owned(),
            other => other.to_string(),
        };
        let mut body = Map::new();
        body.insert("error".into(), json!(self.code()));
        body.insert("message".into(), json!(message));
        match self {
            ApiError::Invalid { field, .. } => {
                body.insert("field".into(), json!(field));
            }
            ApiError::InvalidImport { record, field, .. } => {
                body.insert("record".into(), json!(record));
                body.insert("field".into(), json!(field));
            }
            ApiError::AmbiguousSerial(_) => {
                body.insert("field".into(), json!("serial"));
            }
            ApiError::UnknownPromotion(_) | ApiError::PromotionEnded(_) => {
                body.insert("field".into(), json!("promotion_id"));
            }
            ApiError::Leased { reviewer, until, .. } => {
                body.insert("reviewer".into(), json!(reviewer));
                body.insert("until".into(), json!(until));
            }
            _ => {}
        }
        Value::Object(body)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(error = %detail, "http: request failed");
        }
        let mut response = (self.status(), axum::Json(self.body())).into_response();
        if let ApiError::Unauthorized { token_given } = self {
            // RFC 6750: say which scheme, and that a given token was refused.
            let challenge = if token_given {
                r#"Bearer realm="redeemdesk", error="invalid_token""#
            } else {
                r#"Bearer realm="redeemdesk""#
            };
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => ApiError::Conflict(m),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<ReviewError> for ApiError {
    fn from(e: ReviewError) -> Self {
        match e {
            ReviewError::NotFound(id) => ApiError::NotFound(format!("no redemption with id {id}")),
            ReviewError::Transition { .. } => ApiError::Transition(e.to_string()),
            ReviewError::Leased { id, by, until } => ApiError::Leased {
                id,
                reviewer: by,
                until,
            },
            ReviewError::NotQueued(id) => ApiError::NotQueued(id),
            ReviewError::Store(s) => s.into(),
        }
    }
}

impl From<BroadcastError> for ApiError {
    fn from(e: BroadcastError) -> Self {
        match e {
            BroadcastError::UnknownPromotion(_) => ApiError::UnknownPromotion(e.to_string()),
            BroadcastError::PromotionEnded { .. } => ApiError::PromotionEnded(e.to_string()),
            BroadcastError::UnknownCampaign(id) => ApiError::NotFound(format!("no campaign with id {id}")),
            BroadcastError::WrongStatus { .. } => ApiError::Transition(e.to_string()),
            BroadcastError::Busy { .. } | BroadcastError::LeaseLost(_) => ApiError::Conflict(e.to_string()),
            BroadcastError::Store(s) => s.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_listed_code_and_json_body() {
        let now = chrono::Utc::now();
        let all = [
            ApiError::Disabled,
            ApiError::Unauthorized { token_given: false },
            ApiError::NotFound("x".into()),
            ApiError::NoRoute {
                method: "GET".into(),
                path: "/x".into(),
            },
            ApiError::MethodNotAllowed {
                method: "PUT".into(),
                path: "/x".into(),
            },
            ApiError::invalid("f", "m"),
            ApiError::AmbiguousSerial("x".into()),
            ApiError::InvalidImport {
                record: "r".into(),
                field: "f".into(),
                message: "m".into(),
            },
            ApiError::InvalidJson("x".into()),
            ApiError::PayloadTooLarge { limit: 1 },
            ApiError::Leased {
                id: 1,
                reviewer: "ana".into(),
                until: now,
            },
            ApiError::NotQueued(1),
            ApiError::NotHeld {
                id: 1,
                reviewer: "ana".into(),
            },
            ApiError::Transition("x".into()),
            ApiError::Conflict("x".into()),
            ApiError::UnknownPromotion("x".into()),
            ApiError::PromotionEnded("x".into()),
            ApiError::Internal("secret detail".into()),
        ];
        let codes: std::collections::HashSet<&str> = all.iter().map(ApiError::code).collect();
        assert_eq!(codes.len(), all.len(), "codes are distinct");
        assert_eq!(codes, ApiError::CODES.into_iter().collect());
        for e in &all {
            let body = e.body();
            assert_eq!(body["error"], e.code());
            assert!(body["message"].is_string());
            assert!(e.status().is_client_error() || e.status().is_server_error());
        }
        assert!(
            !ApiError::Internal("secret detail".into())
                .body()
                .to_string()
                .contains("secret")
        );
    }
}
