//! Every integration test, as one test binary.
//!
//! One crate instead of one per file: the shared harness in `support` (the fake
//! Telegram, Discord and S3, the mail helpers) is compiled once, the whole
//! dependency tree is linked once, and the FAQ model is trained once per run
//! instead of once per file. Run one file's tests with its module name as the
//! filter, e.g. `cargo test --test it telegram::`.

mod support;

mod admin_api;
mod assistant;
mod blobs;
mod broadcast;
mod chat_cli;
mod cli;
mod config_reference;
mod discord;
mod discord_broadcast;
mod discord_shards;
mod email;
mod hostile_mail;
mod imap;
mod import;
mod locales;
mod mail_e2e;
mod mail_ingest;
mod mail_inspect;
mod mail_matching;
mod outbox;
mod precheck;
mod replicas;
mod storage;
mod telegram;
mod telegram_broadcast_staff;
mod telegram_staff;
mod tidy;
