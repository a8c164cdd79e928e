//! The repository compiled for Sqlite.

pub type DB = sqlx::Sqlite;
pub const BACKEND: super::Backend = super::Backend::Sqlite;

#[path = "repo.rs"]
pub mod repo;
