//! Persistence with sqlx on SQLite (default) and PostgreSQL (scale).
//!
//! Both backends run the same SQL: `repo.rs` is written once against a `DB` type
//! alias and compiled twice, once per backend module below, so each gets typed
//! pools and typed values (the `Any` driver cannot carry timestamps). [`Db`] and
//! [`Tx`] pick the backend at run time and hide it from callers.

pub mod leader;
mod records;

pub use leader::Leadership;

pub use records::{
    AttachmentRecord, AttachmentSource, ChatUpload, ChatUserRecord, EmailLogRecord, EscalationCause, EscalationRecord,
    EscalationStatus, FailedChecks, FraudSignals, NewAttachment, NewInboundMail, PrecheckHold, ProductRecord,
    RedemptionRecord, TranscriptLine, TranscriptRole,
};

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use crate::domain::{
    CategoryCatalog, CategoryInfo, Channel, Event, Locale, Member, MemberId, Product, ProductId, Promotion, Redemption,
    RedemptionId, Status, Timestamp,
};

/// Which SQL dialect a `repo.rs` instance was compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub mod postgres;
pub mod sqlite;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://…")]
    BadUrl(String),
    /// A stored value the domain refuses: the database was edited by hand or by a
    /// newer version. Names the table and column so it can be found.
    #[error("stored value {value:?} in {table}.{column} is not valid")]
    Corrupt {
        table: &'static str,
        column: &'static str,
        value: String,
    },
    /// Someone else changed the row first (optimistic concurrency).
    #[error("{0}")]
    Conflict(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A connection pool on either backend.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool, WriteGate),
    Postgres(PgPool),
}

/// SQLite takes one writer at a time. Writers of this process queue here, in
/// order, instead of all trying `BEGIN IMMEDIATE` and sleeping in SQLite's busy
/// handler (which wakes them in growing steps and starves throughput); the busy
/// timeout still covers writers in other processes (the CLI beside `serve`).
#[derive(Clone, Debug, Default)]
pub struct WriteGate(std::sync::Arc<tokio::sync::Mutex<()>>);

impl Db {
    /// Connects by URL: `sqlite://FILE` (created when missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                // Writers queue behind each other instead of failing at once.
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await?;
            Ok(Db::Sqlite(pool, WriteGate::default()))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            Err(StoreError::BadUrl(url.to_owned()))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(..) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies every pending migration of this backend.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite(p, _) => SQLITE_MIGRATIONS.run(p).await?,
            Db::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    /// A transaction for reading (and writing, on PostgreSQL).
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(p, _) => Tx::Sqlite(p.begin().await?, None),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// A transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a read-then-write cannot fail half way with "database
    /// is locked"; writers wait for each other within the busy timeout instead.
    pub async fn begin_write(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(p, gate) => {
                let turn = gate.0.clone().lock_owned().await;
                Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, Some(turn))
            }
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p, _) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }

    /// Cheap liveness check for `/healthz`.
    pub async fn ping(&self) -> Result<()> {
        match self {
            Db::Sqlite(p, _) => {
                sqlx::query("SELECT 1").execute(p).await?;
            }
            Db::Postgres(p) => {
                sqlx::query("SELECT 1").execute(p).await?;
            }
        }
        Ok(())
    }
}

/// An open transaction on either backend. Dropping it without `commit` rolls back.
pub enum Tx {
    /// With this process's turn to write, for a write transaction.
    Sqlite(
        sqlx::Transaction<'static, sqlx::Sqlite>,
        Option<tokio::sync::OwnedMutexGuard<()>>,
    ),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Calls the same-named function of the right backend's `repo` with the
/// transaction's connection.
macro_rules! dispatch {
    ($tx:expr, $f:ident ( $($arg:expr),* $(,)? )) => {
        match $tx {
            Tx::Sqlite(t, _) => sqlite::repo::$f(&mut **t, $($arg),*).await,
            Tx::Postgres(t) => postgres::repo::$f(&mut **t, $($arg),*).await,
        }
    };
    ($tx:expr, $m:ident :: $f:ident ( $($arg:expr),* $(,)? )) => {
        match $tx {
            Tx::Sqlite(t, _) => sqlite::$m::$f(&mut **t, $($arg),*).await,
            Tx::Postgres(t) => postgres::$m::$f(&mut **t, $($arg),*).await,
        }
    };
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t, _turn) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub async fn categories(&mut self) -> Result<CategoryCatalog> {
        dispatch!(self, load_categories())
    }

    /// Inserts or updates a category; true when something changed.
    pub async fn upsert_category(&mut self, info: &CategoryInfo) -> Result<bool> {
        dispatch!(self, upsert_category(info))
    }

    pub async fn promotion(&mut self, id: &str) -> Result<Option<Promotion>> {
        dispatch!(self, load_promotion(id))
    }

    pub async fn promotions(&mut self) -> Result<Vec<Promotion>> {
        dispatch!(self, list_promotions())
    }

    /// Writes a promotion with its categories, regions, rewards and partner stores;
    /// true when it was new or different.
    pub async fn save_promotion(&mut self, promotion: &Promotion) -> Result<bool> {
        dispatch!(self, save_promotion(promotion))
    }

    pub async fn member(&mut self, id: MemberId) -> Result<Option<Member>> {
        dispatch!(self, find_member(id))
    }

    pub async fn member_by_email(&mut self, email_key: &str) -> Result<Option<Member>> {
        dispatch!(self, find_member_by_email(email_key))
    }

    /// Inserts or updates a member; true when something changed.
    pub async fn upsert_member(&mut self, member: &Member, now: Timestamp) -> Result<bool> {
        dispatch!(self, upsert_member(member, now))
    }

    /// Inserts or updates a product by its printed serial; the id and whether
    /// something changed.
    pub async fn upsert_product(&mut self, product: &Product, now: Timestamp) -> Result<(ProductId, bool)> {
        dispatch!(self, upsert_product(product, now))
    }

    pub async fn product_by_serial(&mut self, printed: &str) -> Result<Option<ProductRecord>> {
        dispatch!(self, find_product_by_serial(printed))
    }

    /// Every product whose serial folds to this key (see `SerialNumber::match_key`).
    pub async fn products_by_serial_key(&mut self, key: &str) -> Result<Vec<ProductRecord>> {
        dispatch!(self, find_products_by_serial_key(key))
    }

    /// [`Tx::products_by_serial_key`] with each product's redemptions (as
    /// [`Tx::redemptions_of_product`] gives them), read in one statement.
    pub async fn products_with_redemptions_by_serial_key(
        &mut self,
        key: &str,
    ) -> Result<Vec<(ProductRecord, Vec<RedemptionRecord>)>> {
        dispatch!(self, find_products_with_redemptions_by_serial_key(key))
    }

    pub async fn products_of_member(&mut self, member_id: MemberId) -> Result<Vec<ProductRecord>> {
        dispatch!(self, find_products_of_member(member_id))
    }

    /// Stores a new redemption (its id chosen by the caller). Its history is not
    /// written here: add the `submitted` event (and any later ones) with
    /// [`Tx::insert_event`].
    pub async fn insert_redemption(&mut self, record: &RedemptionRecord, now: Timestamp) -> Result<()> {
        dispatch!(self, insert_redemption(record, now))
    }

    pub async fn redemption(&mut self, id: RedemptionId) -> Result<Option<RedemptionRecord>> {
        dispatch!(self, load_redemption(id))
    }

    pub async fn redemptions_of_product(&mut self, product_id: ProductId) -> Result<Vec<RedemptionRecord>> {
        dispatch!(self, redemptions_where_product(product_id))
    }

    pub async fn redemptions_of_member(&mut self, member_id: MemberId) -> Result<Vec<RedemptionRecord>> {
        dispatch!(self, redemptions_where_member(member_id))
    }

    pub async fn redemption_for(
        &mut self,
        product_id: ProductId,
        promotion_id: &str,
    ) -> Result<Option<RedemptionRecord>> {
        dispatch!(self, redemption_for(product_id, promotion_id))
    }

    /// Claims waiting for a reviewer, oldest in the queue first.
    pub async fn review_queue(&mut self, limit: i64) -> Result<Vec<RedemptionRecord>> {
        dispatch!(self, review_queue(limit))
    }

    /// Leases claim `id` to `reviewer` until `until` unless someone else holds
    /// an unexpired lease; returns the lease that holds afterwards.
    pub async fn lease_review(
        &mut self,
        id: RedemptionId,
        reviewer: &str,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<(String, Timestamp)> {
        dispatch!(self, lease_review(id, reviewer, until, now))
    }

    /// The unexpired lease on claim `id`: (reviewer, until).
    pub async fn review_lease(&mut self, id: RedemptionId, now: Timestamp) -> Result<Option<(String, Timestamp)>> {
        dispatch!(self, review_lease(id, now))
    }

    /// Every unexpired lease: (claim, reviewer, until).
    pub async fn review_leases(&mut self, now: Timestamp) -> Result<Vec<(RedemptionId, String, Timestamp)>> {
        dispatch!(self, review_leases(now))
    }

    /// Ends the lease on claim `id` held by `reviewer` (anyone's when `None`).
    pub async fn release_review(&mut self, id: RedemptionId, reviewer: Option<&str>) -> Result<bool> {
        dispatch!(self, release_review(id, reviewer))
    }

    /// Remembers a post made in a staff channel about a claim.
    pub async fn insert_staff_post(
        &mut self,
        channel: Channel,
        chat_id: &str,
        message_id: &str,
        redemption_id: RedemptionId,
        now: Timestamp,
    ) -> Result<i64> {
        dispatch!(
            self,
            insert_staff_post(channel, chat_id, message_id, redemption_id, now)
        )
    }

    /// The post about claim `redemption_id` in `channel` made at or after `since`.
    pub async fn staff_post_since(
        &mut self,
        channel: Channel,
        redemption_id: RedemptionId,
        since: Timestamp,
    ) -> Result<Option<(String, String)>> {
        dispatch!(self, staff_post_since(channel, redemption_id, since))
    }

    /// Records who decided from a staff post.
    pub async fn mark_staff_post_decided(
        &mut self,
        channel: Channel,
        chat_id: &str,
        message_id: &str,
        by: &str,
        now: Timestamp,
    ) -> Result<()> {
        dispatch!(self, mark_staff_post_decided(channel, chat_id, message_id, by, now))
    }

    /// Saves a redemption's new status after a transition, and the event it
    /// produced, if the stored status is still `expected`; otherwise someone else
    /// decided first and nothing is written.
    pub async fn record_transition(
        &mut self,
        redemption: &Redemption,
        expected: Status,
        event: &Event,
        now: Timestamp,
    ) -> Result<()> {
        dispatch!(self, record_transition(redemption, expected, event, now))
    }

    /// Appends an event to a redemption's history as it is (imports, first submission).
    pub async fn insert_event(&mut self, redemption_id: RedemptionId, event: &Event) -> Result<()> {
        dispatch!(self, insert_event(redemption_id, event))
    }

    pub async fn history(&mut self, redemption_id: RedemptionId) -> Result<Vec<Event>> {
        dispatch!(self, load_events(redemption_id))
    }

    pub async fn insert_attachment(&mut self, attachment: &NewAttachment, now: Timestamp) -> Result<i64> {
        dispatch!(self, insert_attachment(attachment, now))
    }

    pub async fn attachments(&mut self, redemption_id: RedemptionId) -> Result<Vec<AttachmentRecord>> {
        dispatch!(self, attachments_of(redemption_id))
    }

    /// The pre-check's findings (JSON) for an attachment; a file linked again keeps its first.
    pub async fn insert_invoice_findings(
        &mut self,
        attachment_id: i64,
        findings: &str,
        invoice_number_key: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        dispatch!(
            self,
            precheck_repo::insert_invoice_findings(attachment_id, findings, invoice_number_key, now)
        )
    }

    /// (attachment id, findings JSON) of a claim's files that were read.
    pub async fn invoice_findings(&mut self, redemption_id: RedemptionId) -> Result<Vec<(i64, String)>> {
        dispatch!(self, precheck_repo::invoice_findings_of(redemption_id))
    }

    pub async fn insert_precheck_hold(
        &mut self,
        redemption_id: RedemptionId,
        inbound_mail_id: i64,
        assessment: &str,
        now: Timestamp,
    ) -> Result<()> {
        dispatch!(
            self,
            precheck_repo::insert_precheck_hold(redemption_id, inbound_mail_id, assessment, now)
        )
    }

    pub async fn open_precheck_hold(&mut self, redemption_id: RedemptionId) -> Result<Option<PrecheckHold>> {
        dispatch!(self, precheck_repo::open_precheck_hold(redemption_id))
    }

    pub async fn close_precheck_holds(&mut self, redemption_id: RedemptionId, now: Timestamp) -> Result<()> {
        dispatch!(self, precheck_repo::close_precheck_holds(redemption_id, now))
    }

    /// A chat user's dialogue state, without creating or locking the row.
    pub async fn chat_dialogue(&mut self, channel: Channel, external_id: &str) -> Result<Option<serde_json::Value>> {
        dispatch!(self, precheck_repo::chat_dialogue(channel.as_str(), external_id))
    }

    /// Other claims sharing this claim's files, invoice numbers or serial (see `FraudSignals`).
    pub async fn fraud_signals(&mut self, redemption_id: RedemptionId) -> Result<FraudSignals> {
        dispatch!(self, precheck_repo::fraud_signals(redemption_id))
    }

    /// The chat user for a platform identity, created on first contact. On
    /// PostgreSQL the row stays locked (`FOR UPDATE`) until this transaction
    /// ends, which serialises the handling of one user's events across replicas.
    pub async fn chat_user(&mut self, channel: Channel, external_id: &str, now: Timestamp) -> Result<ChatUserRecord> {
        dispatch!(self, chat_user(channel, external_id, now))
    }

    pub async fn save_chat_user(&mut self, user: &ChatUserRecord, now: Timestamp) -> Result<()> {
        dispatch!(self, save_chat_user(user, now))
    }

    /// Appends a subscribe / unsubscribe to the user's consent history.
    pub async fn record_consent(&mut self, chat_user_id: i64, subscribed: bool, at: Timestamp) -> Result<()> {
        dispatch!(self, record_consent(chat_user_id, subscribed, at))
    }

    /// Products the chat user proved they own (serial + CHK).
    pub async fn owned_products(&mut self, chat_user_id: i64) -> Result<Vec<ProductRecord>> {
        dispatch!(self, owned_products(chat_user_id))
    }

    pub async fn add_ownership(&mut self, chat_user_id: i64, product_id: ProductId, at: Timestamp) -> Result<()> {
        dispatch!(self, add_ownership(chat_user_id, product_id, at))
    }

    pub async fn add_ownership_failure(&mut self, chat_user_id: i64, at: Timestamp) -> Result<()> {
        dispatch!(self, add_ownership_failure(chat_user_id, at))
    }

    /// How many ownership checks the user, and everyone, failed since `since`, and the oldest of them.
    pub async fn ownership_failures_since(&mut self, chat_user_id: i64, since: Timestamp) -> Result<FailedChecks> {
        dispatch!(self, ownership_failures_since(chat_user_id, since))
    }

    /// Marks a chat identity inactive and unsubscribed (it blocked the bot or left).
    pub async fn deactivate_chat_user(&mut self, channel: Channel, external_id: &str, at: Timestamp) -> Result<()> {
        dispatch!(self, deactivate_chat_user(channel, external_id, at))
    }

    /// Records that a platform event is being handled; false when it already was.
    pub async fn claim_inbound_event(&mut self, channel: Channel, event_id: &str, at: Timestamp) -> Result<bool> {
        dispatch!(self, claim_inbound_event(channel, event_id, at))
    }

    /// Forgets handled events received before `before`.
    pub async fn prune_inbound_events(&mut self, before: Timestamp) -> Result<u64> {
        dispatch!(self, prune_inbound_events(before))
    }

    /// Keeps a file a chat user sent (already in the blob store); its id.
    pub async fn insert_chat_upload(&mut self, chat_user_id: i64, upload: &ChatUpload, at: Timestamp) -> Result<i64> {
        dispatch!(self, insert_chat_upload(chat_user_id, upload, at))
    }

    /// The files a chat user sent, oldest first.
    pub async fn chat_uploads(&mut self, chat_user_id: i64) -> Result<Vec<ChatUpload>> {
        dispatch!(self, chat_uploads(chat_user_id))
    }

    // ---- the outbox ----

    /// Adds a job, to be performed after this transaction commits.
    pub async fn enqueue_job(&mut self, job: &crate::jobs::NewJob, now: Timestamp) -> Result<i64> {
        dispatch!(self, enqueue_job(job, now))
    }

    /// Claims up to `limit` due jobs under `lease` until `lease_until`.
    pub async fn claim_jobs(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        lease: &str,
        limit: i64,
        kinds: &[crate::jobs::JobKind],
    ) -> Result<Vec<crate::jobs::ClaimedJob>> {
        dispatch!(self, claim_jobs(now, lease_until, lease, limit, kinds))
    }

    /// Dead-letters running jobs whose last attempt's lease expired; their ids.
    pub async fn bury_expired_jobs(&mut self, now: Timestamp) -> Result<Vec<i64>> {
        dispatch!(self, bury_expired_jobs(now))
    }

    pub async fn complete_job(&mut self, id: i64, lease: &str, now: Timestamp) -> Result<bool> {
        dispatch!(self, complete_job(id, lease, now))
    }

    pub async fn fail_job(
        &mut self,
        id: i64,
        lease: &str,
        now: Timestamp,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<bool> {
        dispatch!(self, fail_job(id, lease, now, error, retry_at))
    }

    pub async fn jobs(
        &mut self,
        status: Option<crate::jobs::JobStatus>,
        limit: i64,
    ) -> Result<Vec<crate::jobs::JobRecord>> {
        dispatch!(self, jobs(status, limit))
    }

    pub async fn job(&mut self, id: i64) -> Result<Option<crate::jobs::JobRecord>> {
        dispatch!(self, job(id))
    }

    pub async fn retry_job(&mut self, id: i64, now: Timestamp) -> Result<bool> {
        dispatch!(self, retry_job(id, now))
    }

    // ---- outbound email ----

    pub async fn insert_reply_handle(
        &mut self,
        token: &str,
        redemption: RedemptionId,
        member: MemberId,
        message_id: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        dispatch!(
            self,
            insert_reply_handle(token, redemption, member, message_id, now, expires_at)
        )
    }

    /// Spends every unspent reply handle of `redemption` (single-redemption
    /// handles): a spent handle matches nothing.
    pub async fn spend_reply_handles(&mut self, redemption: RedemptionId, now: Timestamp) -> Result<u64> {
        dispatch!(self, spend_reply_handles(redemption, now))
    }

    /// (redemption, member, message id, expires at) of an unspent reply handle.
    pub async fn reply_handle(&mut self, token: &str) -> Result<Option<(RedemptionId, MemberId, String, Timestamp)>> {
        dispatch!(self, reply_handle(token))
    }

    /// (token, redemption, member, expires at) of the unspent handle our email `message_id` carried.
    pub async fn reply_handle_by_message_id(
        &mut self,
        message_id: &str,
    ) -> Result<Option<(String, RedemptionId, MemberId, Timestamp)>> {
        dispatch!(self, reply_handle_by_message_id(message_id))
    }

    /// Whether we sent the email `message_id` to `address_key` (bounces act only then).
    pub async fn email_sent(&mut self, message_id: &str, address_key: &str) -> Result<bool> {
        dispatch!(self, email_sent(message_id, address_key))
    }

    pub async fn email_suppressed(&mut self, address_key: &str) -> Result<bool> {
        dispatch!(self, email_suppressed(address_key))
    }

    pub async fn suppress_email(&mut self, address_key: &str, detail: &str, at: Timestamp) -> Result<()> {
        dispatch!(self, suppress_email(address_key, detail, at))
    }

    pub async fn email_sent_since(
        &mut self,
        address_key: &str,
        kind: crate::mail::EmailKind,
        scope: &str,
        since: Timestamp,
    ) -> Result<bool> {
        dispatch!(self, email_sent_since(address_key, kind, scope, since))
    }

    pub async fn insert_email_log(
        &mut self,
        address_key: &str,
        email: &crate::mail::OutgoingEmail,
        scope: &str,
        job_id: i64,
        redemption: Option<RedemptionId>,
        now: Timestamp,
    ) -> Result<()> {
        dispatch!(
            self,
            insert_email_log(address_key, email, scope, job_id, redemption, now)
        )
    }

    pub async fn emails_of_redemption(&mut self, redemption: RedemptionId) -> Result<Vec<EmailLogRecord>> {
        dispatch!(self, emails_of_redemption(redemption))
    }

    // ---- account links ----

    /// Issues a link code, closing any open one of this chat user; its id.
    pub async fn insert_link_code(
        &mut self,
        chat_user_id: i64,
        member: MemberId,
        code_hash: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<i64> {
        dispatch!(self, insert_link_code(chat_user_id, member, code_hash, now, expires_at))
    }

    /// The chat user's open link code: (id, member, hash, tries, expires at).
    pub async fn open_link_code(
        &mut self,
        chat_user_id: i64,
    ) -> Result<Option<(i64, MemberId, String, i32, Timestamp)>> {
        dispatch!(self, open_link_code(chat_user_id))
    }

    pub async fn add_link_code_try(&mut self, id: i64) -> Result<i32> {
        dispatch!(self, add_link_code_try(id))
    }

    pub async fn close_link_code(&mut self, id: i64, now: Timestamp) -> Result<()> {
        dispatch!(self, close_link_code(id, now))
    }

    pub async fn insert_chat_link(&mut self, chat_user_id: i64, member: MemberId, now: Timestamp) -> Result<()> {
        dispatch!(self, insert_chat_link(chat_user_id, member, now))
    }

    pub async fn linked_members(&mut self, chat_user_id: i64) -> Result<Vec<MemberId>> {
        dispatch!(self, linked_members(chat_user_id))
    }

    /// The active chat users linked to a member.
    pub async fn linked_chats(&mut self, member: MemberId) -> Result<Vec<ChatUserRecord>> {
        dispatch!(self, linked_chats(member))
    }

    /// Claims a message's dedup key: the new row's id, or None if it was handled before.
    pub async fn claim_inbound_mail(&mut self, mail: &NewInboundMail<'_>, now: Timestamp) -> Result<Option<i64>> {
        dispatch!(self, claim_inbound_mail(mail, now))
    }

    /// Records what was done with a claimed message.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_inbound_mail(
        &mut self,
        id: i64,
        kind: &str,
        matched_by: Option<&str>,
        redemption_id: Option<RedemptionId>,
        sender_mismatch: bool,
        action: &str,
        report: &serde_json::Value,
    ) -> Result<()> {
        dispatch!(
            self,
            finish_inbound_mail(id, kind, matched_by, redemption_id, sender_mismatch, action, report)
        )
    }

    /// The report recorded for a message handled before.
    pub async fn inbound_mail_report(&mut self, dedup_key: &str) -> Result<Option<serde_json::Value>> {
        dispatch!(self, inbound_mail_report(dedup_key))
    }

    /// Emails escalated to staff since `since`: (from this sender, from everyone).
    pub async fn mail_escalations_since(&mut self, from: &str, since: Timestamp) -> Result<(i64, i64)> {
        dispatch!(self, mail_escalations_since(from, since))
    }

    /// (Message-ID, action) of every handled message, oldest first.
    pub async fn inbound_mail_actions(&mut self) -> Result<Vec<(Option<String>, String)>> {
        dispatch!(self, inbound_mail_actions())
    }

    /// Puts an email that needs a person in the staff queue.
    pub async fn insert_mail_escalation(
        &mut self,
        inbound_mail_id: i64,
        member_id: Option<MemberId>,
        redemption_id: Option<RedemptionId>,
        message: &str,
        locale: Locale,
        at: Timestamp,
    ) -> Result<i64> {
        dispatch!(
            self,
            insert_mail_escalation(inbound_mail_id, member_id, redemption_id, message, locale, at)
        )
    }

    /// Keeps the original of an attachment that was converted or downscaled for review.
    pub async fn insert_attachment_original(
        &mut self,
        attachment_id: i64,
        content_type: &str,
        bytes: i64,
        sha256: &str,
        blob_key: &str,
    ) -> Result<()> {
        dispatch!(
            self,
            insert_attachment_original(attachment_id, content_type, bytes, sha256, blob_key)
        )
    }

    /// Open escalations from email: (inbound mail id, redemption, message).
    pub async fn open_mail_escalations(&mut self) -> Result<Vec<(i64, Option<RedemptionId>, String)>> {
        dispatch!(self, open_mail_escalations())
    }

    /// After rows were inserted with explicit ids, moves PostgreSQL's identity
    /// sequences past them so generated ids never collide. No-op on SQLite.
    pub async fn sync_id_sequences(&mut self) -> Result<()> {
        dispatch!(self, sync_id_sequences())
    }

    // ---- escalations, transcripts, message counts (escalation_repo.rs) ----

    /// Records a chat user's request for a person; its ticket number.
    pub async fn insert_chat_escalation(
        &mut self,
        chat_user_id: i64,
        cause: EscalationCause,
        message: &str,
        locale: Locale,
        at: Timestamp,
    ) -> Result<i64> {
        dispatch!(
            self,
            escalation_repo::insert_chat_escalation(chat_user_id, cause, message, locale, at)
        )
    }

    pub async fn escalation(&mut self, id: i64) -> Result<Option<EscalationRecord>> {
        dispatch!(self, escalation_repo::escalation(id))
    }

    /// The chat user's escalation that is not closed yet, if any.
    pub async fn open_escalation_of(&mut self, chat_user_id: i64) -> Result<Option<EscalationRecord>> {
        dispatch!(self, escalation_repo::open_escalation_of(chat_user_id))
    }

    /// Escalations not closed yet, oldest first.
    pub async fn open_escalations(&mut self) -> Result<Vec<EscalationRecord>> {
        dispatch!(self, escalation_repo::open_escalations())
    }

    /// Moves an escalation on (closing records when and by whom); false when
    /// it was already closed.
    pub async fn set_escalation_status(
        &mut self,
        id: i64,
        status: EscalationStatus,
        by: Option<&str>,
        at: Timestamp,
    ) -> Result<bool> {
        dispatch!(self, escalation_repo::set_escalation_status(id, status, by, at))
    }

    /// Remembers a post made in a staff channel about an escalation.
    pub async fn insert_escalation_post(
        &mut self,
        channel: Channel,
        chat_id: &str,
        message_id: &str,
        escalation_id: i64,
        now: Timestamp,
    ) -> Result<()> {
        dispatch!(
            self,
            escalation_repo::insert_escalation_post(channel, chat_id, message_id, escalation_id, now)
        )
    }

    /// The post of an escalation in a staff channel: (chat id, message id).
    pub async fn escalation_post(&mut self, channel: Channel, escalation_id: i64) -> Result<Option<(String, String)>> {
        dispatch!(self, escalation_repo::escalation_post(channel, escalation_id))
    }

    /// Which escalation a staff post (or the Discord thread started from it) is about.
    pub async fn escalation_by_post(
        &mut self,
        channel: Channel,
        chat_id: &str,
        message_id: &str,
    ) -> Result<Option<i64>> {
        Ok(dispatch!(self, escalation_repo::staff_post_subject(channel, chat_id, message_id))?.and_then(|(_, e)| e))
    }

    /// Which claim a staff post is about.
    pub async fn claim_by_post(
        &mut self,
        channel: Channel,
        chat_id: &str,
        message_id: &str,
    ) -> Result<Option<RedemptionId>> {
        Ok(dispatch!(self, escalation_repo::staff_post_subject(channel, chat_id, message_id))?.and_then(|(r, _)| r))
    }

    /// A claim's posts not yet marked decided: (channel, chat id, message id).
    pub async fn undecided_claim_posts(
        &mut self,
        redemption_id: RedemptionId,
    ) -> Result<Vec<(Channel, String, String)>> {
        dispatch!(self, escalation_repo::undecided_claim_posts(redemption_id))
    }

    /// Adds a line to a chat's recent transcript.
    pub async fn append_transcript(
        &mut self,
        chat_user_id: i64,
        role: TranscriptRole,
        text: &str,
        at: Timestamp,
    ) -> Result<()> {
        dispatch!(self, escalation_repo::append_transcript(chat_user_id, role, text, at))
    }

    /// The newest `limit` lines of a chat's transcript, oldest first.
    pub async fn transcript(&mut self, chat_user_id: i64, limit: i64) -> Result<Vec<TranscriptLine>> {
        dispatch!(self, escalation_repo::transcript(chat_user_id, limit))
    }

    /// Counts a message handled, by channel and what it was about.
    pub async fn count_message(&mut self, channel: Channel, intent: &str) -> Result<()> {
        dispatch!(self, escalation_repo::count_message(channel, intent))
    }

    /// Messages handled: (channel, intent, count).
    pub async fn message_counts(&mut self) -> Result<Vec<(Channel, String, i64)>> {
        dispatch!(self, escalation_repo::message_counts())
    }
}

/// Campaigns and their recipients (see `crate::broadcast`).
impl Tx {
    pub async fn insert_campaign(&mut self, record: &crate::broadcast::CampaignRecord) -> Result<i64> {
        dispatch!(self, broadcast_repo::insert_campaign(record))
    }

    pub async fn campaign(&mut self, id: i64) -> Result<Option<crate::broadcast::CampaignRecord>> {
        dispatch!(self, broadcast_repo::campaign(id))
    }

    /// The newest campaigns first; of one promotion when given.
    pub async fn campaigns(
        &mut self,
        promotion_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<crate::broadcast::CampaignRecord>> {
        dispatch!(self, broadcast_repo::campaigns(promotion_id, limit))
    }

    /// Subscribers the filters select, counted by channel, language and region.
    pub async fn audience_counts(
        &mut self,
        filters: &crate::broadcast::Filters,
    ) -> Result<Vec<crate::broadcast::AudienceRow>> {
        dispatch!(self, broadcast_repo::audience_counts(filters))
    }

    pub async fn insert_campaign_audience(
        &mut self,
        campaign_id: i64,
        filters: &crate::broadcast::Filters,
        now: Timestamp,
    ) -> Result<i64> {
        dispatch!(
            self,
            broadcast_repo::insert_campaign_audience(campaign_id, filters, now)
        )
    }

    pub async fn insert_announcement_recipient(
        &mut self,
        campaign_id: i64,
        channel: Channel,
        target: &str,
        now: Timestamp,
    ) -> Result<i64> {
        dispatch!(
            self,
            broadcast_repo::insert_announcement_recipient(campaign_id, channel, target, now)
        )
    }

    pub async fn start_campaign(&mut self, id: i64, by: &str, now: Timestamp) -> Result<()> {
        dispatch!(self, broadcast_repo::start_campaign(id, by, now))
    }

    pub async fn finish_campaign(
        &mut self,
        id: i64,
        status: crate::broadcast::CampaignStatus,
        now: Timestamp,
    ) -> Result<()> {
        dispatch!(self, broadcast_repo::finish_campaign(id, status, now))
    }

    pub async fn campaign_counts(&mut self, id: i64) -> Result<Vec<(crate::broadcast::RecipientStatus, i64)>> {
        dispatch!(self, broadcast_repo::campaign_counts(id))
    }

    /// Takes a campaign being sent for `runner` until `until`, unless someone else holds it.
    pub async fn take_campaign(&mut self, id: i64, runner: &str, now: Timestamp, until: Timestamp) -> Result<bool> {
        dispatch!(self, broadcast_repo::take_campaign(id, runner, now, until))
    }

    pub async fn campaign_runner(&mut self, id: i64) -> Result<Option<(String, Timestamp)>> {
        dispatch!(self, broadcast_repo::campaign_runner(id))
    }

    pub async fn release_campaign(&mut self, id: i64, runner: &str) -> Result<()> {
        dispatch!(self, broadcast_repo::release_campaign(id, runner))
    }

    pub async fn campaigns_to_run(&mut self, now: Timestamp) -> Result<Vec<i64>> {
        dispatch!(self, broadcast_repo::campaigns_to_run(now))
    }

    /// Another runner's unfinished sends become `unknown`; how many.
    pub async fn settle_abandoned(&mut self, id: i64, runner: &str, now: Timestamp) -> Result<i64> {
        dispatch!(self, broadcast_repo::settle_abandoned(id, runner, now))
    }

    pub async fn pending_channels(&mut self, id: i64) -> Result<Vec<Channel>> {
        dispatch!(self, broadcast_repo::pending_channels(id))
    }

    pub async fn claim_recipients(
        &mut self,
        id: i64,
        channel: Channel,
        runner: &str,
        limit: i64,
        now: Timestamp,
    ) -> Result<Vec<crate::broadcast::Recipient>> {
        dispatch!(self, broadcast_repo::claim_recipients(id, channel, runner, limit, now))
    }

    pub async fn record_delivery(
        &mut self,
        recipient_id: i64,
        status: crate::broadcast::RecipientStatus,
        error: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        dispatch!(self, broadcast_repo::record_delivery(recipient_id, status, error, now))
    }

    pub async fn campaign_post(&mut self, id: i64, channel: Channel, chat_id: &str) -> Result<Option<String>> {
        dispatch!(self, broadcast_repo::campaign_post(id, channel, chat_id))
    }

    pub async fn insert_campaign_post(
        &mut self,
        id: i64,
        channel: Channel,
        chat_id: &str,
        message_id: &str,
    ) -> Result<()> {
        dispatch!(
            self,
            broadcast_repo::insert_campaign_post(id, channel, chat_id, message_id)
        )
    }
}
