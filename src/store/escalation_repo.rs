//! Escalations, chat transcripts, staff posts about escalations and message
//! counts: compiled once per backend like `repo.rs` (see store/mod.rs).

use sqlx::Row;

use super::super::records::{EscalationCause, EscalationRecord, EscalationStatus, TranscriptLine, TranscriptRole};
use super::super::{Result, StoreError};
use super::DB;
use crate::domain::{Channel, Locale, Timestamp};

type Conn = <DB as sqlx::Database>::Connection;
type DbRow = <DB as sqlx::Database>::Row;

/// Lines of transcript kept per chat user; older ones are deleted.
pub const TRANSCRIPT_KEPT: i64 = 30;

fn corrupt(column: &'static str, value: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        table: "escalations",
        column,
        value: value.into(),
    }
}

const COLUMNS: &str = "e.id, e.cause, e.status, e.chat_user_id, u.channel, u.external_id, e.member_id,
    e.redemption_id, e.message, e.locale, e.created_at, e.closed_at, e.closed_by";

fn escalation_from(row: &DbRow) -> Result<EscalationRecord> {
    let cause: String = row.try_get("cause")?;
    let status: String = row.try_get("status")?;
    let locale: String = row.try_get("locale")?;
    let chat_user: Option<i64> = row.try_get("chat_user_id")?;
    let chat = match chat_user {
        Some(id) => {
            let channel: String = row.try_get("channel")?;
            let channel = Channel::parse(&channel).ok_or_else(|| corrupt("channel", channel))?;
            Some((id, channel, row.try_get::<String, _>("external_id")?))
        }
        None => None,
    };
    Ok(EscalationRecord {
        id: row.try_get("id")?,
        cause: EscalationCause::parse(&cause).ok_or_else(|| corrupt("cause", cause))?,
        status: EscalationStatus::parse(&status).ok_or_else(|| corrupt("status", status))?,
        chat,
        member_id: row.try_get("member_id")?,
        redemption_id: row.try_get("redemption_id")?,
        message: row.try_get("message")?,
        locale: Locale::parse(&locale).map_err(|_| corrupt("locale", locale))?,
        created_at: row.try_get("created_at")?,
        closed_at: row.try_get("closed_at")?,
        closed_by: row.try_get("closed_by")?,
    })
}

/// Records a chat user's request for a person; its ticket number.
pub async fn insert_chat_escalation(
    c: &mut Conn,
    chat_user_id: i64,
    cause: EscalationCause,
    message: &str,
    locale: Locale,
    at: Timestamp,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO escalations (chat_user_id, cause, message, locale, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(chat_user_id)
    .bind(cause.as_str())
    .bind(message)
    .bind(locale.as_str())
    .bind(at)
    .fetch_one(&mut *c)
    .await?;
    Ok(id)
}

pub async fn escalation(c: &mut Conn, id: i64) -> Result<Option<EscalationRecord>> {
    let sql =
        format!("SELECT {COLUMNS} FROM escalations e LEFT JOIN chat_users u ON u.id = e.chat_user_id WHERE e.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    row.as_ref().map(escalation_from).transpose()
}

/// The chat user's escalation that is not closed yet, if any (the newest).
pub async fn open_escalation_of(c: &mut Conn, chat_user_id: i64) -> Result<Option<EscalationRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM escalations e LEFT JOIN chat_users u ON u.id = e.chat_user_id
         WHERE e.chat_user_id = $1 AND e.status <> 'closed' ORDER BY e.id DESC LIMIT 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(chat_user_id)
        .fetch_optional(&mut *c)
        .await?;
    row.as_ref().map(escalation_from).transpose()
}

/// Escalations not closed yet, oldest first.
pub async fn open_escalations(c: &mut Conn) -> Result<Vec<EscalationRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM escalations e LEFT JOIN chat_users u ON u.id = e.chat_user_id
         WHERE e.status <> 'closed' ORDER BY e.id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *c).await?;
    rows.iter().map(escalation_from).collect()
}

/// Moves an escalation on; closing records when and by whom. Returns false
/// when it was already closed (nothing changes then).
pub async fn set_escalation_status(
    c: &mut Conn,
    id: i64,
    status: EscalationStatus,
    by: Option<&str>,
    at: Timestamp,
) -> Result<bool> {
    let closing = status == EscalationStatus::Closed;
    let done = sqlx::query(
        "UPDATE escalations SET status = $1,
             closed_at = CASE WHEN $2 THEN $3 ELSE closed_at END,
             closed_by = CASE WHEN $2 THEN $4 ELSE closed_by END
         WHERE id = $5 AND status <> 'closed'",
    )
    .bind(status.as_str())
    .bind(closing)
    .bind(at)
    .bind(by)
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Remembers a post made in a staff channel about an escalation.
pub async fn insert_escalation_post(
    c: &mut Conn,
    channel: Channel,
    chat_id: &str,
    message_id: &str,
    escalation_id: i64,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO staff_posts (channel, chat_id, message_id, escalation_id, posted_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(channel.as_str())
    .bind(chat_id)
    .bind(message_id)
    .bind(escalation_id)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The post of escalation `escalation_id` in `channel`: (chat id, message id).
pub async fn escalation_post(c: &mut Conn, channel: Channel, escalation_id: i64) -> Result<Option<(String, String)>> {
    let row = sqlx::query(
        "SELECT chat_id, message_id FROM staff_posts WHERE channel = $1 AND escalation_id = $2 ORDER BY id LIMIT 1",
    )
    .bind(channel.as_str())
    .bind(escalation_id)
    .fetch_optional(&mut *c)
    .await?;
    row.map(|r| Ok((r.try_get("chat_id")?, r.try_get("message_id")?)))
        .transpose()
}

/// What a staff post is about: (claim, escalation), exactly one of them set;
/// `None` for a message that is not a post of ours.
pub async fn staff_post_subject(
    c: &mut Conn,
    channel: Channel,
    chat_id: &str,
    message_id: &str,
) -> Result<Option<(Option<crate::domain::RedemptionId>, Option<i64>)>> {
    let row = sqlx::query(
        "SELECT redemption_id, escalation_id FROM staff_posts WHERE channel = $1 AND chat_id = $2 AND message_id = $3",
    )
    .bind(channel.as_str())
    .bind(chat_id)
    .bind(message_id)
    .fetch_optional(&mut *c)
    .await?;
    row.map(|r| Ok((r.try_get("redemption_id")?, r.try_get("escalation_id")?)))
        .transpose()
}

/// Claim posts not yet marked decided: (channel, chat id, message id).
pub async fn undecided_claim_posts(
    c: &mut Conn,
    redemption_id: crate::domain::RedemptionId,
) -> Result<Vec<(Channel, String, String)>> {
    let rows = sqlx::query(
        "SELECT channel, chat_id, message_id FROM staff_posts
         WHERE redemption_id = $1 AND decided_at IS NULL ORDER BY id",
    )
    .bind(redemption_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            let channel: String = r.try_get("channel")?;
            Ok((
                Channel::parse(&channel).ok_or_else(|| corrupt("channel", channel))?,
                r.try_get("chat_id")?,
                r.try_get("message_id")?,
            ))
        })
        .collect()
}

/// Adds a line to a chat's transcript, forgetting lines beyond the newest
/// [`TRANSCRIPT_KEPT`].
pub async fn append_transcript(
    c: &mut Conn,
    chat_user_id: i64,
    role: TranscriptRole,
    text: &str,
    at: Timestamp,
) -> Result<()> {
    sqlx::query("INSERT INTO chat_transcript (chat_user_id, role, text, at) VALUES ($1, $2, $3, $4)")
        .bind(chat_user_id)
        .bind(role.as_str())
        .bind(text)
        .bind(at)
        .execute(&mut *c)
        .await?;
    sqlx::query(
        "DELETE FROM chat_transcript WHERE chat_user_id = $1 AND id < (
             SELECT id FROM chat_transcript WHERE chat_user_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)",
    )
    .bind(chat_user_id)
    .bind(TRANSCRIPT_KEPT - 1)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The newest `limit` lines of a chat's transcript, oldest first.
pub async fn transcript(c: &mut Conn, chat_user_id: i64, limit: i64) -> Result<Vec<TranscriptLine>> {
    let rows =
        sqlx::query("SELECT role, text, at FROM chat_transcript WHERE chat_user_id = $1 ORDER BY id DESC LIMIT $2")
            .bind(chat_user_id)
            .bind(limit)
            .fetch_all(&mut *c)
            .await?;
    let mut lines = rows
        .iter()
        .map(|r| {
            let role: String = r.try_get("role")?;
            Ok(TranscriptLine {
                role: TranscriptRole::parse(&role).ok_or_else(|| StoreError::Corrupt {
                    table: "chat_transcript",
                    column: "role",
                    value: role,
                })?,
                text: r.try_get("text")?,
                at: r.try_get("at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    lines.reverse();
    Ok(lines)
}

/// Counts a message handled, by channel and what it was about.
pub async fn count_message(c: &mut Conn, channel: Channel, intent: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO chat_message_counts (channel, intent, count) VALUES ($1, $2, 1)
         ON CONFLICT (channel, intent) DO UPDATE SET count = chat_message_counts.count + 1",
    )
    .bind(channel.as_str())
    .bind(intent)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Messages handled: (channel, intent, count).
pub async fn message_counts(c: &mut Conn) -> Result<Vec<(Channel, String, i64)>> {
    let rows = sqlx::query("SELECT channel, intent, count FROM chat_message_counts ORDER BY channel, intent")
        .fetch_all(&mut *c)
        .await?;
    rows.iter()
        .map(|r| {
            let channel: String = r.try_get("channel")?;
            Ok((
                Channel::parse(&channel).ok_or_else(|| corrupt("channel", channel))?,
                r.try_get("intent")?,
                r.try_get("count")?,
            ))
        })
        .collect()
}
