//! The repository compiled for Postgres.

pub type DB = sqlx::Postgres;
pub const BACKEND: super::Backend = super::Backend::Postgres;

#[path = "repo.rs"]
pub mod repo;
