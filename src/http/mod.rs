//! The HTTP server's routes: health (`/healthz`, `/readyz`), `/metrics`,
//! `/openapi.json`, and the admin API under `/api/v1` behind a bearer token
//! (`docs/admin-api.md`, `docs/operations.md`): redemptions, the review queue,
//! imports and broadcast campaigns.
//!
//! [`ROUTES`] is the one list of what is served: the router is built from it
//! and so is the OpenAPI document, so neither can list a route the other lacks.

mod admin;
mod auth;
mod campaigns;
mod error;
mod health;
mod metrics;
mod openapi;

pub use auth::configured_token;
pub use error::ApiError;
pub use health::Readiness;
pub use metrics::render as render_metrics;
pub use openapi::document as openapi_document;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::routing::{MethodFilter, MethodRouter, any, on};
use secrecy::SecretString;

use crate::config::Config;
use crate::mail::outbox::MailSettings;
use crate::review::ReviewSettings;
use crate::store::Db;

/// Request bodies of the admin API, except imports.
pub const BODY_LIMIT: usize = 64 * 1024;
/// Import documents.
pub const IMPORT_BODY_LIMIT: usize = 10 * 1024 * 1024;
/// Where the admin API lives; every path under it needs the token.
pub const ADMIN_PREFIX: &str = "/api/v1";

/// What the handlers share.
pub struct HttpState {
    pub db: Db,
    /// `None`: the admin API is off.
    pub admin_token: Option<SecretString>,
    pub review: ReviewSettings,
    pub mail: MailSettings,
    pub readiness: Readiness,
    /// Where every broadcast is also posted publicly (`app::announcement_targets`).
    pub announcements: Vec<(crate::domain::Channel, String)>,
}

pub(crate) type Shared = Arc<HttpState>;

impl HttpState {
    pub fn new(db: Db, config: &Config, readiness: Readiness) -> Self {
        Self {
            db,
            admin_token: configured_token(&config.http),
            review: ReviewSettings::from_config(&config.review),
            mail: MailSettings::from_config(&config.smtp),
            readiness,
            announcements: crate::app::announcement_targets(config),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Delete,
}

impl Verb {
    /// Lower case, as OpenAPI's path items name operations.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
            Verb::Delete => "delete",
        }
    }

    pub fn method(self) -> Method {
        match self {
            Verb::Get => Method::GET,
            Verb::Post => Method::POST,
            Verb::Delete => Method::DELETE,
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Delete => MethodFilter::DELETE,
        }
    }
}

/// Every endpoint; its `id` is the OpenAPI `operationId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Healthz,
    Readyz,
    Metrics,
    OpenApi,
    FindRedemptions,
    ShowRedemption,
    ListQueue,
    ClaimQueueEntry,
    ReleaseQueueEntry,
    DecideRedemption,
    Import,
    ListCampaigns,
    CreateCampaign,
    ShowCampaign,
    ConfirmCampaign,
    CancelCampaign,
}

impl Operation {
    pub fn id(self) -> &'static str {
        match self {
            Operation::Healthz => "healthz",
            Operation::Readyz => "readyz",
            Operation::Metrics => "metrics",
            Operation::OpenApi => "openapi",
            Operation::FindRedemptions => "findRedemptionsBySerial",
            Operation::ShowRedemption => "showRedemption",
            Operation::ListQueue => "listReviewQueue",
            Operation::ClaimQueueEntry => "claimQueueEntry",
            Operation::ReleaseQueueEntry => "releaseQueueEntry",
            Operation::DecideRedemption => "decideRedemption",
            Operation::Import => "importData",
            Operation::ListCampaigns => "listCampaigns",
            Operation::CreateCampaign => "createCampaign",
            Operation::ShowCampaign => "showCampaign",
            Operation::ConfirmCampaign => "confirmCampaign",
            Operation::CancelCampaign => "cancelCampaign",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub verb: Verb,
    /// axum's path syntax, which is also OpenAPI's: `{id}`.
    pub path: &'static str,
    pub operation: Operation,
}

impl Route {
    /// Under `/api/v1`: needs the admin token.
    pub fn is_admin(&self) -> bool {
        self.path.starts_with(ADMIN_PREFIX)
    }
}

const fn route(verb: Verb, path: &'static str, operation: Operation) -> Route {
    Route { verb, path, operation }
}

/// Everything the server answers (besides Telegram's webhook, mounted by `serve`).
pub const ROUTES: &[Route] = &[
    route(Verb::Get, "/healthz", Operation::Healthz),
    route(Verb::Get, "/readyz", Operation::Readyz),
    route(Verb::Get, "/metrics", Operation::Metrics),
    route(Verb::Get, "/openapi.json", Operation::OpenApi),
    route(Verb::Get, "/api/v1/redemptions", Operation::FindRedemptions),
    route(Verb::Get, "/api/v1/redemptions/{id}", Operation::ShowRedemption),
    route(
        Verb::Post,
        "/api/v1/redemptions/{id}/decision",
        Operation::DecideRedemption,
    ),
    route(Verb::Get, "/api/v1/queue", Operation::ListQueue),
    route(Verb::Post, "/api/v1/queue/{id}/claim", Operation::ClaimQueueEntry),
    route(Verb::Delete, "/api/v1/queue/{id}/claim", Operation::ReleaseQueueEntry),
    route(Verb::Post, "/api/v1/import", Operation::Import),
    route(Verb::Get, "/api/v1/campaigns", Operation::ListCampaigns),
    route(Verb::Post, "/api/v1/campaigns", Operation::CreateCampaign),
    route(Verb::Get, "/api/v1/campaigns/{id}", Operation::ShowCampaign),
    route(Verb::Post, "/api/v1/campaigns/{id}/confirm", Operation::ConfirmCampaign),
    route(Verb::Post, "/api/v1/campaigns/{id}/cancel", Operation::CancelCampaign),
];

fn method_router(operation: Operation, filter: MethodFilter) -> MethodRouter<Shared> {
    match operation {
        Operation::Healthz => on(filter, health::healthz),
        Operation::Readyz => on(filter, health::readyz),
        Operation::Metrics => on(filter, metrics::metrics),
        Operation::OpenApi => on(filter, openapi::openapi),
        Operation::FindRedemptions => on(filter, admin::find_redemptions),
        Operation::ShowRedemption => on(filter, admin::show_redemption),
        Operation::ListQueue => on(filter, admin::list_queue),
        Operation::ClaimQueueEntry => on(filter, admin::claim),
        Operation::ReleaseQueueEntry => on(filter, admin::release),
        Operation::DecideRedemption => on(filter, admin::decide),
        Operation::Import => on(filter, admin::import).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        Operation::ListCampaigns => on(filter, campaigns::list),
        Operation::CreateCampaign => on(filter, campaigns::create),
        Operation::ShowCampaign => on(filter, campaigns::show),
        Operation::ConfirmCampaign => on(filter, campaigns::confirm),
        Operation::CancelCampaign => on(filter, campaigns::cancel),
    }
}

/// The service's router, from [`ROUTES`]. Without an admin token every path
/// under `/api/v1` answers 404 `disabled`.
pub fn router(state: HttpState) -> Router {
    let state: Shared = Arc::new(state);
    let mut public = Router::new();
    let mut admin = Router::new();
    for r in ROUTES {
        let handler = method_router(r.operation, r.verb.filter());
        if r.is_admin() {
            admin = admin.route(r.path, handler);
        } else {
            public = public.route(r.path, handler);
        }
    }
    let admin = if state.admin_token.is_some() {
        admin.route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::require_token))
    } else {
        Router::new()
            .route(ADMIN_PREFIX, any(disabled))
            .route(&format!("{ADMIN_PREFIX}/{{*rest}}"), any(disabled))
    };
    public
        .merge(admin)
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

async fn disabled() -> ApiError {
    ApiError::Disabled
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::NoRoute {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
}
