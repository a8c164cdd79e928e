//! Leader election among the replicas that share one database.
//!
//! Why: a few tasks must run in exactly one process at a time. The IMAP poller
//! is one: a mailbox has no rows to lock, and two pollers would fetch the same
//! messages, race to move them after commit and double every connection to the
//! mail server. (Outbox jobs and campaign recipients need no leader: their
//! rows are claimed with `FOR UPDATE SKIP LOCKED`.)
//!
//! How, on PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`)
//! taken on a connection detached from the pool. Detached, so the lock can never
//! go back to the pool with the connection and stay held by whatever borrows it
//! next; and the lock lives exactly as long as that session: when the process
//! dies, even by SIGKILL, the server ends the session and the lock is free. A
//! keeper task pings the lock's connection every [`CHECK_EVERY`] (each ping
//! bounded by [`CHECK_TIMEOUT`]) and reports the lead lost at the first failure,
//! so the leader stops within about 4 s of losing its session; the session asks
//! the server for TCP keepalives (10 s idle, 3 probes 5 s apart) so that a
//! leader that vanished without closing its socket (power loss, partition) frees
//! the lock within about 25 s. Followers ask again every [`RETRY_EVERY`].
//!
//! On SQLite the database is one process's file: the caller always leads.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{oneshot, watch};

use super::{Db, Result};

/// How often the leader checks that its lock's session is alive.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);
/// How long one check may take before the lead counts as lost.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// How often a follower tries to take the lead.
pub const RETRY_EVERY: Duration = Duration::from_secs(3);

/// Server-side keepalives of the lock's session: a leader that disappears
/// without closing its socket loses the lock after about idle + count × interval.
const KEEPALIVES: &str = "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3";

/// Keys this process leads right now (a count per key), for the metrics.
static HELD: Mutex<BTreeMap<i64, usize>> = Mutex::new(BTreeMap::new());

/// Whether this process currently leads `key` (see [`Db::try_lead`]).
pub fn leads(key: i64) -> bool {
    HELD.lock()
        .map(|held| held.get(&key).is_some_and(|n| *n > 0))
        .unwrap_or(false)
}

/// Counts `key` as led while it lives.
struct Held(i64);

impl Held {
    fn new(key: i64) -> Self {
        if let Ok(mut held) = HELD.lock() {
            *held.entry(key).or_insert(0) += 1;
        }
        Held(key)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Ok(mut held) = HELD.lock()
            && let Some(n) = held.get_mut(&self.0)
        {
            *n = n.saturating_sub(1);
        }
    }
}

/// Held while this process leads (see [`Db::try_lead`]); dropping it gives the
/// lead up (the lock is released right away, not when the connection times out).
pub struct Leadership {
    kind: Kind,
}

enum Kind {
    /// SQLite: nothing to lose.
    Single { _held: Held },
    /// PostgreSQL: the keeper task owns the lock's connection.
    Lock {
        /// Turns true when the lock's session failed.
        lost: watch::Receiver<bool>,
        /// Dropped (or sent) to make the keeper unlock and close.
        _release: oneshot::Sender<()>,
    },
}

impl Db {
    /// Tries to become the one holder of `key` among every process sharing this
    /// database; `None` while another holds it. See the module documentation.
    pub async fn try_lead(&self, key: i64) -> Result<Option<Leadership>> {
        let pool = match self {
            Db::Sqlite(..) => {
                return Ok(Some(Leadership {
                    kind: Kind::Single { _held: Held::new(key) },
                }));
            }
            Db::Postgres(pool) => pool,
        };
        use sqlx::Connection as _;
        let mut conn = pool.acquire().await?.detach();
        let got = async {
            sqlx::raw_sql(KEEPALIVES).execute(&mut conn).await?;
            sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1)")
                .bind(key)
                .fetch_one(&mut conn)
                .await
        }
        .await;
        match got {
            Ok(true) => {}
            Ok(false) => {
                let _ = conn.close().await;
                return Ok(None);
            }
            Err(e) => {
                let _ = conn.close().await;
                return Err(e.into());
            }
        }
        let (lost_tx, lost) = watch::channel(false);
        let (release, released) = oneshot::channel();
        tokio::spawn(keep(conn, key, Held::new(key), lost_tx, released));
        Ok(Some(Leadership {
            kind: Kind::Lock {
                lost,
                _release: release,
            },
        }))
    }
}

/// Owns the lock's connection: pings it until it fails (the lead is lost) or
/// the [`Leadership`] is dropped (unlocks and closes).
async fn keep(
    mut conn: sqlx::PgConnection,
    key: i64,
    held: Held,
    lost: watch::Sender<bool>,
    mut released: oneshot::Receiver<()>,
) {
    use sqlx::Connection as _;
    loop {
        tokio::select! {
            _ = &mut released => break,
            () = tokio::time::sleep(CHECK_EVERY) => {}
        }
        let alive = tokio::time::timeout(CHECK_TIMEOUT, sqlx::query("SELECT 1").execute(&mut conn)).await;
        if !matches!(alive, Ok(Ok(_))) {
            drop(held);
            let _ = lost.send(true);
            // A session that may still be alive somewhere must not linger: drop
            // the socket rather than wait for a polite close.
            drop(conn);
            return;
        }
    }
    drop(held);
    let unlocked = tokio::time::timeout(CHECK_TIMEOUT, async {
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(key)
            .execute(&mut conn)
            .await;
        conn.close().await
    })
    .await;
    if !matches!(unlocked, Ok(Ok(()))) {
        tracing::debug!(
            key,
            "leadership: the lock's session did not close cleanly; the server frees it"
        );
    }
}

impl Leadership {
    /// Whether the lead still holds, as of the keeper's last check.
    pub async fn holds(&mut self) -> bool {
        match &self.kind {
            Kind::Single { .. } => true,
            Kind::Lock { lost, .. } => !*lost.borrow(),
        }
    }

    /// Completes when the lead is lost (never on SQLite).
    pub async fn lost(&mut self) {
        match &mut self.kind {
            Kind::Single { .. } => std::future::pending().await,
            Kind::Lock { lost, .. } => {
                // An error means the keeper ended without saying: lost too.
                let _ = lost.wait_for(|l| *l).await;
            }
        }
    }
}

impl std::fmt::Debug for Leadership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.kind {
            Kind::Lock { .. } => "Leadership(advisory lock)",
            Kind::Single { .. } => "Leadership(single process)",
        })
    }
}

/// Waits until this process leads `key`, asking every [`RETRY_EVERY`] (sooner
/// after a database error is logged), and logs when another replica leads.
/// `None` when `shutdown` turns true first. `role` names the work in the logs.
pub async fn acquire(db: &Db, key: i64, role: &str, shutdown: &mut watch::Receiver<bool>) -> Option<Leadership> {
    let mut told = false;
    loop {
        if *shutdown.borrow() {
            return None;
        }
        match db.try_lead(key).await {
            Ok(Some(lead)) => {
                tracing::info!(role, "leadership: this replica now leads");
                return Some(lead);
            }
            Ok(None) if !told => {
                told = true;
                tracing::info!(role, retry_every = ?RETRY_EVERY, "leadership: another replica leads; standing by");
            }
            Ok(None) => tracing::debug!(role, "leadership: another replica still leads"),
            Err(e) => tracing::warn!(role, error = %e, "leadership: cannot reach the database"),
        }
        tokio::select! {
            () = tokio::time::sleep(RETRY_EVERY) => {}
            changed = shutdown.changed() => if changed.is_err() { return None; },
        }
    }
}
