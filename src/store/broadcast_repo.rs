//! Campaigns, their recipients and their progress posts: compiled once per
//! backend like `repo.rs` (see store/mod.rs).

use sqlx::{AssertSqlSafe, Row};

use super::super::{Backend, Result, StoreError};
use super::{BACKEND, DB};
use crate::broadcast::{
    AudienceRow, CampaignRecord, CampaignStatus, Filters, Recipient, RecipientKind, RecipientStatus,
};
use crate::domain::{Channel, Locale, Timestamp};

type Conn = <DB as sqlx::Database>::Connection;
type DbRow = <DB as sqlx::Database>::Row;

fn corrupt(table: &'static str, column: &'static str, value: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        table,
        column,
        value: value.into(),
    }
}

/// The language a subscriber gets: the one they chose, else the one they write in.
const LOCALE: &str = "COALESCE(u.locale, u.detected_locale, 'id')";

/// A chat user's first known region: of a product they proved they own, else
/// of a member account they linked.
const REGION: &str = "COALESCE(
    (SELECT MIN(p.region) FROM chat_ownership o JOIN products p ON p.id = o.product_id WHERE o.chat_user_id = u.id),
    (SELECT MIN(m.region) FROM chat_links l JOIN members m ON m.id = l.member_id WHERE l.chat_user_id = u.id),
    'unknown')";

/// Who a campaign reaches, as a WHERE clause over `chat_users u` whose
/// filter values are bound from `$first` on: subscribed with a recorded
/// consent, still reachable (not blocked, not gone), on a platform that can
/// receive broadcasts, and in the filters' regions and categories.
fn audience_where(filters: &Filters, first: usize) -> (String, Vec<String>) {
    let mut binds = Vec::new();
    let mut placeholders = |values: Vec<String>| {
        let list = (0..values.len())
            .map(|i| format!("${}", first + binds.len() + i))
            .collect::<Vec<_>>()
            .join(", ");
        binds.extend(values);
        list
    };
    let mut sql =
        String::from("u.channel IN ('telegram', 'discord') AND u.subscribed AND u.active AND u.consent_at IS NOT NULL");
    if !filters.regions.is_empty() {
        let list = placeholders(filters.regions.iter().map(|r| r.as_str().to_owned()).collect());
        sql.push_str(&format!(
            " AND (EXISTS (SELECT 1 FROM chat_ownership o JOIN products p ON p.id = o.product_id
                           WHERE o.chat_user_id = u.id AND p.region IN ({list}))
                OR EXISTS (SELECT 1 FROM chat_links l JOIN members m ON m.id = l.member_id
                           WHERE l.chat_user_id = u.id AND m.region IN ({list})))"
        ));
    }
    if !filters.categories.is_empty() {
        let list = placeholders(filters.categories.iter().map(|c| c.as_str().to_owned()).collect());
        sql.push_str(&format!(
            " AND (EXISTS (SELECT 1 FROM chat_ownership o JOIN products p ON p.id = o.product_id
                           WHERE o.chat_user_id = u.id AND p.category IN ({list}))
                OR EXISTS (SELECT 1 FROM chat_links l JOIN products p ON p.member_id = l.member_id
                           WHERE l.chat_user_id = u.id AND p.category IN ({list})))"
        ));
    }
    (sql, binds)
}

fn join(values: impl Iterator<Item = String>) -> String {
    values.collect::<Vec<_>>().join(",")
}

fn split<T>(s: &str, parse: impl Fn(&str) -> Option<T>, column: &'static str) -> Result<Vec<T>> {
    s.split(',')
        .filter(|v| !v.is_empty())
        .map(|v| parse(v).ok_or_else(|| corrupt("campaigns", column, v)))
        .collect()
}

const CAMPAIGN_COLUMNS: &str = "id, promotion_id, status, regions, categories, text_id, text_en, created_by,
    created_at, confirmed_by, confirmed_at, finished_at";

fn campaign_from(row: &DbRow, catalog: &crate::domain::CategoryCatalog) -> Result<CampaignRecord> {
    let status: String = row.try_get("status")?;
    let regions: String = row.try_get("regions")?;
    let categories: String = row.try_get("categories")?;
    Ok(CampaignRecord {
        id: row.try_get("id")?,
        promotion_id: row.try_get("promotion_id")?,
        status: CampaignStatus::parse(&status).ok_or_else(|| corrupt("campaigns", "status", status))?,
        filters: Filters {
            regions: split(&regions, |v| crate::domain::Region::parse(v).ok(), "regions")?,
            categories: split(&categories, |v| catalog.parse(v).ok(), "categories")?,
        },
        text_id: row.try_get("text_id")?,
        text_en: row.try_get("text_en")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        confirmed_by: row.try_get("confirmed_by")?,
        confirmed_at: row.try_get("confirmed_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

pub async fn insert_campaign(c: &mut Conn, record: &CampaignRecord) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO campaigns (promotion_id, status, regions, categories, text_id, text_en, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&record.promotion_id)
    .bind(record.status.as_str())
    .bind(join(record.filters.regions.iter().map(|r| r.as_str().to_owned())))
    .bind(join(record.filters.categories.iter().map(|c| c.as_str().to_owned())))
    .bind(&record.text_id)
    .bind(&record.text_en)
    .bind(&record.created_by)
    .bind(record.created_at)
    .fetch_one(&mut *c)
    .await?;
    Ok(row.try_get("id")?)
}

pub async fn campaign(c: &mut Conn, id: i64) -> Result<Option<CampaignRecord>> {
    let catalog = super::repo::load_categories(&mut *c).await?;
    let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1");
    let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *c).await?;
    row.as_ref().map(|r| campaign_from(r, &catalog)).transpose()
}

/// The newest campaigns first; of one promotion when given.
pub async fn campaigns(c: &mut Conn, promotion_id: Option<&str>, limit: i64) -> Result<Vec<CampaignRecord>> {
    let catalog = super::repo::load_categories(&mut *c).await?;
    let sql = format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE ($1 IS NULL OR promotion_id = $1) ORDER BY id DESC LIMIT $2"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(promotion_id)
        .bind(limit)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(|r| campaign_from(r, &catalog)).collect()
}

pub async fn audience_counts(c: &mut Conn, filters: &Filters) -> Result<Vec<AudienceRow>> {
    let (filter, binds) = audience_where(filters, 1);
    let sql = format!(
        "SELECT channel, locale, region, COUNT(*) AS n FROM (
             SELECT u.channel AS channel, {LOCALE} AS locale, {REGION} AS region FROM chat_users u WHERE {filter}
         ) a GROUP BY channel, locale, region ORDER BY channel, locale, region"
    );
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for b in &binds {
        query = query.bind(b);
    }
    let rows = query.fetch_all(&mut *c).await?;
    rows.iter()
        .map(|row| {
            let channel: String = row.try_get("channel")?;
            let locale: String = row.try_get("locale")?;
            Ok(AudienceRow {
                channel: Channel::parse(&channel).ok_or_else(|| corrupt("chat_users", "channel", channel))?,
                kind: RecipientKind::Direct,
                locale: Locale::parse(&locale).map_err(|_| corrupt("chat_users", "locale", locale))?,
                region: row.try_get("region")?,
                count: row.try_get("n")?,
            })
        })
        .collect()
}

/// Writes one pending recipient per subscriber the filters select; how many.
pub async fn insert_campaign_audience(
    c: &mut Conn,
    campaign_id: i64,
    filters: &Filters,
    now: Timestamp,
) -> Result<i64> {
    let (filter, binds) = audience_where(filters, 3);
    let sql = format!(
        "INSERT INTO campaign_recipients (campaign_id, chat_user_id, kind, channel, target, locale, status, updated_at)
         SELECT $1, u.id, 'direct', u.channel, u.external_id, {LOCALE}, 'pending', $2
         FROM chat_users u WHERE {filter} ORDER BY u.id"
    );
    let mut query = sqlx::query(AssertSqlSafe(sql)).bind(campaign_id).bind(now);
    for b in &binds {
        query = query.bind(b);
    }
    Ok(query.execute(&mut *c).await?.rows_affected() as i64)
}

pub async fn insert_announcement_recipient(
    c: &mut Conn,
    campaign_id: i64,
    channel: Channel,
    target: &str,
    now: Timestamp,
) -> Result<i64> {
    let done = sqlx::query(
        "INSERT INTO campaign_recipients (campaign_id, chat_user_id, kind, channel, target, locale, status, updated_at)
         VALUES ($1, NULL, 'announcement', $2, $3, 'id', 'pending', $4) ON CONFLICT DO NOTHING",
    )
    .bind(campaign_id)
    .bind(channel.as_str())
    .bind(target)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() as i64)
}

pub async fn start_campaign(c: &mut Conn, id: i64, by: &str, now: Timestamp) -> Result<()> {
    sqlx::query("UPDATE campaigns SET status = 'sending', confirmed_by = $2, confirmed_at = $3 WHERE id = $1")
        .bind(id)
        .bind(by)
        .bind(now)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn finish_campaign(c: &mut Conn, id: i64, status: CampaignStatus, now: Timestamp) -> Result<()> {
    sqlx::query("UPDATE campaigns SET status = $2, finished_at = $3, runner = NULL, runner_until = NULL WHERE id = $1")
        .bind(id)
        .bind(status.as_str())
        .bind(now)
        .execute(&mut *c)
        .await?;
    Ok(())
}

fn recipient_counts(rows: &[DbRow]) -> Result<Vec<(RecipientStatus, i64)>> {
    rows.iter()
        .map(|row| {
            let status: String = row.try_get("status")?;
            Ok((
                RecipientStatus::parse(&status).ok_or_else(|| corrupt("campaign_recipients", "status", status))?,
                row.try_get("n")?,
            ))
        })
        .collect()
}

pub async fn campaign_counts(c: &mut Conn, id: i64) -> Result<Vec<(RecipientStatus, i64)>> {
    let rows = sqlx::query(
        "SELECT status, COUNT(*) AS n FROM campaign_recipients WHERE campaign_id = $1 GROUP BY status ORDER BY status",
    )
    .bind(id)
    .fetch_all(&mut *c)
    .await?;
    recipient_counts(&rows)
}

/// Takes the campaign for `runner` until `until` when it is being sent and
/// nobody else holds it (or their claim ran out). Whether it was taken.
pub async fn take_campaign(c: &mut Conn, id: i64, runner: &str, now: Timestamp, until: Timestamp) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE campaigns SET runner = $2, runner_until = $4
         WHERE id = $1 AND status = 'sending' AND (runner IS NULL OR runner = $2 OR runner_until < $3)",
    )
    .bind(id)
    .bind(runner)
    .bind(now)
    .bind(until)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Who holds a campaign, and until when.
pub async fn campaign_runner(c: &mut Conn, id: i64) -> Result<Option<(String, Timestamp)>> {
    let row = sqlx::query("SELECT runner, runner_until FROM campaigns WHERE id = $1 AND runner IS NOT NULL")
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    row.map(|r| Ok((r.try_get("runner")?, r.try_get("runner_until")?)))
        .transpose()
}

/// Gives a campaign up (the runner stops; another may take it at once).
pub async fn release_campaign(c: &mut Conn, id: i64, runner: &str) -> Result<()> {
    sqlx::query("UPDATE campaigns SET runner = NULL, runner_until = NULL WHERE id = $1 AND runner = $2")
        .bind(id)
        .bind(runner)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Campaigns being sent that nobody holds now.
pub async fn campaigns_to_run(c: &mut Conn, now: Timestamp) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT id FROM campaigns WHERE status = 'sending' AND (runner IS NULL OR runner_until < $1) ORDER BY id",
    )
    .bind(now)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}

/// Recipients another runner marked `sending` and never finished: that runner
/// is gone, and whether their message arrived cannot be known, so they become
/// `unknown` and are not sent again. How many.
pub async fn settle_abandoned(c: &mut Conn, id: i64, runner: &str, now: Timestamp) -> Result<i64> {
    let done = sqlx::query(
        "UPDATE campaign_recipients SET status = 'unknown', updated_at = $3,
             error = 'its runner stopped while sending it; not sent again'
         WHERE campaign_id = $1 AND status = 'sending' AND (runner IS NULL OR runner <> $2)",
    )
    .bind(id)
    .bind(runner)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() as i64)
}

/// Channels with recipients still pending.
pub async fn pending_channels(c: &mut Conn, id: i64) -> Result<Vec<Channel>> {
    let rows = sqlx::query(
        "SELECT DISTINCT channel FROM campaign_recipients WHERE campaign_id = $1 AND status = 'pending' ORDER BY channel",
    )
    .bind(id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            let channel: String = r.try_get("channel")?;
            Channel::parse(&channel).ok_or_else(|| corrupt("campaign_recipients", "channel", channel))
        })
        .collect()
}

/// Marks up to `limit` pending recipients on `channel` as `sending` for
/// `runner`, which must hold the campaign; them, in order.
pub async fn claim_recipients(
    c: &mut Conn,
    id: i64,
    channel: Channel,
    runner: &str,
    limit: i64,
    now: Timestamp,
) -> Result<Vec<Recipient>> {
    let lock = match BACKEND {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE campaign_recipients SET status = 'sending', runner = $3, updated_at = $5
         WHERE id IN (
             SELECT r.id FROM campaign_recipients r
             WHERE r.campaign_id = $1 AND r.channel = $2 AND r.status = 'pending'
               AND EXISTS (SELECT 1 FROM campaigns c WHERE c.id = $1 AND c.status = 'sending' AND c.runner = $3)
             ORDER BY r.id LIMIT $4{lock})
         RETURNING id, chat_user_id, kind, channel, target, locale"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .bind(channel.as_str())
        .bind(runner)
        .bind(limit)
        .bind(now)
        .fetch_all(&mut *c)
        .await?;
    let mut recipients = rows
        .iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let channel: String = r.try_get("channel")?;
            let locale: String = r.try_get("locale")?;
            Ok(Recipient {
                id: r.try_get("id")?,
                chat_user_id: r.try_get("chat_user_id")?,
                kind: RecipientKind::parse(&kind).ok_or_else(|| corrupt("campaign_recipients", "kind", kind))?,
                channel: Channel::parse(&channel).ok_or_else(|| corrupt("campaign_recipients", "channel", channel))?,
                target: r.try_get("target")?,
                locale: Locale::parse(&locale).map_err(|_| corrupt("campaign_recipients", "locale", locale))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    recipients.sort_by_key(|r| r.id);
    Ok(recipients)
}

/// Records a recipient's outcome (also over `unknown`: an answer that came
/// after all is better than none).
pub async fn record_delivery(
    c: &mut Conn,
    recipient_id: i64,
    status: RecipientStatus,
    error: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE campaign_recipients SET status = $2, error = $3, updated_at = $4
         WHERE id = $1 AND status IN ('sending', 'unknown')",
    )
    .bind(recipient_id)
    .bind(status.as_str())
    .bind(error)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The progress message of a campaign in a staff chat.
pub async fn campaign_post(c: &mut Conn, id: i64, channel: Channel, chat_id: &str) -> Result<Option<String>> {
    let row =
        sqlx::query("SELECT message_id FROM campaign_posts WHERE campaign_id = $1 AND channel = $2 AND chat_id = $3")
            .bind(id)
            .bind(channel.as_str())
            .bind(chat_id)
            .fetch_optional(&mut *c)
            .await?;
    row.map(|r| Ok(r.try_get("message_id")?)).transpose()
}

pub async fn insert_campaign_post(
    c: &mut Conn,
    id: i64,
    channel: Channel,
    chat_id: &str,
    message_id: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO campaign_posts (campaign_id, channel, chat_id, message_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (campaign_id, channel, chat_id) DO UPDATE SET message_id = excluded.message_id",
    )
    .bind(id)
    .bind(channel.as_str())
    .bind(chat_id)
    .bind(message_id)
    .execute(&mut *c)
    .await?;
    Ok(())
}
