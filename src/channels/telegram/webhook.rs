//! Webhook mode: Telegram posts each update to `WEBHOOK_PATH` on the service's
//! own HTTP server, with the secret we gave `setWebhook` in a header. Anything
//! without the right secret is refused before it is parsed. An update is
//! answered before we reply 200, so Telegram redelivers it if we fail midway;
//! the assistant recognises a redelivered update by its id and stays quiet.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use teloxide::types::Update;

use super::Telegram;

/// Where the service's HTTP server takes Telegram's updates; the public
/// `telegram.webhook_url` must reach it.
pub const WEBHOOK_PATH: &str = "/telegram/webhook";
/// The header Telegram carries the secret token in.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// A secret derived from the bot token, for when none is configured: stable
/// across restarts and replicas, and useless to anyone without the token.
pub fn default_secret(token: &str) -> String {
    crate::blobs::sha256_hex(format!("redeemdesk telegram webhook {token}").as_bytes())[..48].to_owned()
}

#[derive(Clone)]
struct Hook {
    telegram: Arc<Telegram>,
    secret: Arc<str>,
}

impl Telegram {
    /// The route Telegram posts updates to, for the service's router.
    pub fn webhook_router(self: Arc<Self>, secret: &str) -> Router {
        Router::new().route(WEBHOOK_PATH, post(receive)).with_state(Hook {
            telegram: self,
            secret: secret.into(),
        })
    }
}

/// Compares without stopping at the first difference, so timing tells nothing.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len() && given.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

async fn receive(State(hook): State<Hook>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let given = headers.get(SECRET_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    if !same_secret(given, hook.secret.as_bytes()) {
        tracing::warn!("telegram webhook call without the right secret token refused");
        return StatusCode::UNAUTHORIZED;
    }
    let update: Update = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => {
            // It carried the secret, so it came from Telegram: an error status
            // would only make Telegram send it again and again. Log it (a
            // protocol change we need to know about) and acknowledge it.
            tracing::error!(error = %e, "telegram webhook body is not an update we can read; acknowledged and dropped");
            return StatusCode::OK;
        }
    };
    hook.telegram.handle_update(update).await;
    StatusCode::OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"", b"abc"));
    }

    #[test]
    fn default_secret_is_stable_and_allowed_by_telegram() {
        let s = default_secret("123:ABC");
        assert_eq!(s, default_secret("123:ABC"));
        assert_ne!(s, default_secret("123:ABD"));
        assert_eq!(s.len(), 48);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
    }
}
