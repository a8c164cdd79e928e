//! The repository compiled for Sqlite.

pub type DB = sqlx::Sqlite;
pub const BACKEND: super::Backend = super::Backend::Sqlite;

// The same file is compiled once per backend on purpose (see store/mod.rs).
#[allow(clippy::duplicate_mod)]
#[path = "repo.rs"]
pub mod repo;

#[allow(clippy::duplicate_mod)]
#[path = "escalation_repo.rs"]
pub mod escalation_repo;

#[allow(clippy::duplicate_mod)]
#[path = "broadcast_repo.rs"]
pub mod broadcast_repo;

#[allow(clippy::duplicate_mod)]
#[path = "precheck_repo.rs"]
pub mod precheck_repo;
