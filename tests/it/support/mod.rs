//! Shared harness for integration tests: a fresh, migrated database on either
//! backend, removed again when the test ends (also when it panics).
//!
//! PostgreSQL tests need a server: set `REDEEMDESK_TEST_PG_URL` to an admin URL
//! (default `postgres://root@127.0.0.1:5432/test`). Each test creates its own
//! database there and drops it afterwards. An unreachable server fails the test;
//! it is never skipped.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use redeemdesk::store::Db;
use sqlx::{Connection, PgConnection};
use tempfile::TempDir;

pub mod eml;
pub mod fake_discord;
pub mod fake_s3;
pub mod fake_telegram;
pub mod invoices;
pub mod mail;
pub mod outage;
pub mod pg_server;

/// The stored status of claim `id`.
pub async fn status(db: &redeemdesk::store::Db, id: i64) -> redeemdesk::domain::Status {
    db.begin()
        .await
        .unwrap()
        .redemption(id)
        .await
        .unwrap()
        .unwrap()
        .redemption
        .status()
}

/// The `redeemdesk` binary with `DATABASE_URL` set, run in `dir`, with none of
/// the caller's `REDEEMDESK_*` settings or chat tokens leaking in.
pub fn redeemdesk(database_url: &str, dir: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_redeemdesk"));
    for (name, _) in std::env::vars() {
        if name.starts_with("REDEEMDESK_") {
            cmd.env_remove(name);
        }
    }
    cmd.current_dir(dir)
        .env("DATABASE_URL", database_url)
        .env_remove("TELOXIDE_TOKEN")
        .env_remove("DISCORD_TOKEN");
    cmd
}

/// The outbox's jobs for customers (emails, chat messages), newest first:
/// everything but the staff-channel posts that each queued claim also gets.
pub async fn customer_jobs(db: &Db) -> Vec<redeemdesk::jobs::JobRecord> {
    let jobs = db.begin().await.unwrap().jobs(None, 10_000).await.unwrap();
    jobs.into_iter()
        .filter(|j| j.kind != redeemdesk::jobs::JobKind::StaffPost)
        .collect()
}

pub const DEFAULT_PG_ADMIN_URL: &str = "postgres://root@127.0.0.1:5432/test";

/// A fresh, migrated database. Dropping it removes the database.
pub struct TestDb {
    pub db: Db,
    /// The URL of this test database, e.g. for `DATABASE_URL` of the binary.
    pub url: String,
    // Declared after `db` so the pool goes before the files or database it uses.
    _cleanup: Cleanup,
}

enum Cleanup {
    /// The directory holding the SQLite file; deleted on drop.
    Sqlite(TempDir),
    Postgres(DropDatabase),
}

/// Drops a PostgreSQL test database when it goes out of scope.
struct DropDatabase {
    admin_url: String,
    name: String,
}

impl TestDb {
    /// A fresh SQLite database file in a temporary directory.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("creating a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("redeemdesk.db").display());
        let db = Db::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
        db.migrate().await.unwrap_or_else(|e| panic!("migrating {url}: {e}"));
        TestDb {
            db,
            url,
            _cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// A fresh database on the PostgreSQL server named by `REDEEMDESK_TEST_PG_URL`.
    pub async fn postgres() -> Self {
        Self::postgres_with("").await
    }

    /// Like [`TestDb::postgres`], with options for `CREATE DATABASE`, such as a
    /// collation other than the server's default.
    pub async fn postgres_with(create_options: &str) -> Self {
        let admin_url = std::env::var("REDEEMDESK_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_ADMIN_URL.to_owned());
        Self::postgres_on(&admin_url, create_options).await
    }

    /// A fresh database on the server of `admin_url` (a test's own server).
    pub async fn postgres_on(admin_url: &str, create_options: &str) -> Self {
        let admin_url = admin_url.to_owned();
        let name = unique_database_name();
        let mut admin = PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL tests need a server, but connecting to {admin_url} failed: {e}\n\
                 Start PostgreSQL or set REDEEMDESK_TEST_PG_URL to an admin URL of a reachable server."
            )
        });
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            r#"CREATE DATABASE "{name}" {create_options}"#
        )))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("creating test database {name} on {admin_url}: {e}"));
        let _ = admin.close().await;

        // From here on the guard drops the database, also if connecting or
        // migrating fails.
        let guard = DropDatabase { admin_url, name };
        let url = with_database(&guard.admin_url, &guard.name);
        let db = Db::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
        db.migrate().await.unwrap_or_else(|e| panic!("migrating {url}: {e}"));
        TestDb {
            db,
            url,
            _cleanup: Cleanup::Postgres(guard),
        }
    }
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        // Drop cannot await, and usually runs inside the test's runtime, which must
        // not be blocked on: drop the database from a thread with its own runtime.
        // `WITH (FORCE)` cuts the connections the test's pool may still hold.
        let admin_url = self.admin_url.clone();
        let sql = format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name);
        let outcome = std::thread::spawn(move || -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await?;
                admin.close().await?;
                Ok(())
            })
        })
        .join();
        let failure = match outcome {
            Ok(Ok(())) => return,
            Ok(Err(e)) => e.to_string(),
            Err(_) => "the cleanup thread panicked".to_owned(),
        };
        let message = format!("could not drop test database {}: {failure}", self.name);
        // Panicking while the test already panics would abort the whole run.
        if std::thread::panicking() {
            eprintln!("{message}");
        } else {
            panic!("{message}");
        }
    }
}

/// `rd_test_<pid>_<counter>_<random hex>`: unique across parallel tests and runs.
fn unique_database_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("rd_test_{}_{n}_{:016x}", std::process::id(), rand::random::<u64>())
}

/// The admin URL with its database replaced by `name` (query string kept).
pub fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// Turns `async fn name(db: Db) { … }` into a module `name` with two tests,
/// `name::sqlite` and `name::postgres`, each running the body on a fresh database.
///
/// ```ignore
/// both_backends! {
///     async fn categories_are_seeded(db: Db) {
///         let mut tx = db.begin().await.unwrap();
///         assert_eq!(tx.categories().await.unwrap().entries().len(), 10);
///     }
/// }
/// ```
#[allow(unused_macros)] // not every test binary uses it
macro_rules! both_backends {
    ($(
        $(#[$meta:meta])*
        async fn $name:ident($db:ident: Db) $body:block
    )*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($db: ::redeemdesk::store::Db) $body

            #[tokio::test]
            async fn sqlite() {
                let test_db = crate::support::TestDb::sqlite().await;
                run(test_db.db.clone()).await;
            }

            #[tokio::test]
            async fn postgres() {
                let test_db = crate::support::TestDb::postgres().await;
                run(test_db.db.clone()).await;
            }
        }
    )*};
}
#[allow(unused_imports)]
pub(crate) use both_backends;
