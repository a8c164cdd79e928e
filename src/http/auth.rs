//! The admin API's gate: `Authorization: Bearer <http.admin_token>`, compared
//! in constant time; without a configured token the admin API is off.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::Shared;
use super::error::ApiError;

/// The configured admin token, if it is one: a blank token would let an empty
/// `Bearer` header in, so it counts as none.
pub fn configured_token(config: &crate::config::HttpConfig) -> Option<SecretString> {
    config
        .admin_token
        .as_ref()
        .filter(|t| !t.expose_secret().trim().is_empty())
        .cloned()
}

/// Lets a request through only with the right bearer token.
pub async fn require_token(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let Some(expected) = &state.admin_token else {
        return ApiError::Disabled.into_response();
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer);
    match given {
        Some(token) if same_token(token, expected.expose_secret()) => next.run(request).await,
        Some(_) => ApiError::Unauthorized { token_given: true }.into_response(),
        None => ApiError::Unauthorized { token_given: false }.into_response(),
    }
}

/// The token of an `Authorization: Bearer <token>` value (the scheme is case-insensitive).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Compares digests of both, so neither the length nor the first differing
/// byte of the real token shows in how long a refusal takes.
fn same_token(given: &str, expected: &str) -> bool {
    let (a, b) = (Sha256::digest(given.as_bytes()), Sha256::digest(expected.as_bytes()));
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_values() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("s3cret", "s3cret"));
        assert!(!same_token("s3cres", "s3cret"));
        assert!(!same_token("s3cre", "s3cret"));
        assert!(!same_token("", "s3cret"));
    }

    #[test]
    fn blank_tokens_are_none() {
        let mut c = crate::config::HttpConfig::default();
        assert!(configured_token(&c).is_none());
        c.admin_token = Some(SecretString::from("  "));
        assert!(configured_token(&c).is_none());
        c.admin_token = Some(SecretString::from("t"));
        assert!(configured_token(&c).is_some());
    }
}
