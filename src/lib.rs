//! redeemdesk: the support desk for MSI Indonesia's promotion-redemption program.
//!
//! Start at `docs/architecture.md` for the map.

pub mod app;
pub mod assistant;
pub mod blobs;
pub mod broadcast;
pub mod channels;
pub mod child;
pub mod cli;
pub mod config;
pub mod domain;
pub mod faq;
pub mod http;
pub mod i18n;
pub mod import;
pub mod jobs;
pub mod mail;
pub mod precheck;
pub mod redact;
pub mod retry;
pub mod review;
pub mod staff;
pub mod store;
pub mod views;
