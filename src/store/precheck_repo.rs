//! The invoice pre-check's rows: findings beside attachments, emailed
//! resubmissions held for the customer's answer, and the look-ups behind the
//! reviewers' fraud signals. Compiled once per backend like `repo.rs`.

use sqlx::Row;

use super::super::Result;
use super::super::records::{FraudSignals, PrecheckHold};
use super::DB;
use crate::domain::{RedemptionId, Timestamp};

type Conn = <DB as sqlx::Database>::Connection;

pub async fn insert_invoice_findings(
    c: &mut Conn,
    attachment_id: i64,
    findings: &str,
    invoice_number_key: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    // A file linked again (same content) keeps its first reading.
    sqlx::query(
        "INSERT INTO invoice_findings (attachment_id, findings, invoice_number_key, checked_at)
         VALUES ($1, $2, $3, $4) ON CONFLICT (attachment_id) DO NOTHING",
    )
    .bind(attachment_id)
    .bind(findings)
    .bind(invoice_number_key)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// (attachment id, findings JSON) of a claim's files.
pub async fn invoice_findings_of(c: &mut Conn, redemption_id: RedemptionId) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT f.attachment_id, f.findings FROM invoice_findings f
         JOIN attachments a ON a.id = f.attachment_id
         WHERE a.redemption_id = $1 ORDER BY f.attachment_id",
    )
    .bind(redemption_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("attachment_id")?, r.try_get("findings")?)))
        .collect()
}

pub async fn insert_precheck_hold(
    c: &mut Conn,
    redemption_id: RedemptionId,
    inbound_mail_id: i64,
    assessment: &str,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO precheck_holds (redemption_id, inbound_mail_id, assessment, created_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(redemption_id)
    .bind(inbound_mail_id)
    .bind(assessment)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The newest open hold of a claim, with where its email's raw message is.
pub async fn open_precheck_hold(c: &mut Conn, redemption_id: RedemptionId) -> Result<Option<PrecheckHold>> {
    let row = sqlx::query(
        "SELECT h.id, h.inbound_mail_id, h.assessment, m.raw_blob_key FROM precheck_holds h
         JOIN inbound_mail m ON m.id = h.inbound_mail_id
         WHERE h.redemption_id = $1 AND h.closed_at IS NULL ORDER BY h.id DESC LIMIT 1",
    )
    .bind(redemption_id)
    .fetch_optional(&mut *c)
    .await?;
    row.map(|r| {
        Ok(PrecheckHold {
            id: r.try_get("id")?,
            inbound_mail_id: r.try_get("inbound_mail_id")?,
            assessment: r.try_get("assessment")?,
            raw_blob_key: r.try_get("raw_blob_key")?,
        })
    })
    .transpose()
}

pub async fn close_precheck_holds(c: &mut Conn, redemption_id: RedemptionId, now: Timestamp) -> Result<()> {
    sqlx::query("UPDATE precheck_holds SET closed_at = $2 WHERE redemption_id = $1 AND closed_at IS NULL")
        .bind(redemption_id)
        .bind(now)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Other members' claims with one of this claim's files or invoice numbers,
/// and other claims in the same promotion for the same serial (look-alike
/// characters folded, `products.serial_key`).
pub async fn fraud_signals(c: &mut Conn, redemption_id: RedemptionId) -> Result<FraudSignals> {
    let ids = |rows: Vec<<DB as sqlx::Database>::Row>| -> Result<Vec<RedemptionId>> {
        rows.iter().map(|r| Ok(r.try_get::<i64, _>(0)?)).collect()
    };
    let same_file = sqlx::query(
        "SELECT DISTINCT o.redemption_id FROM attachments a
         JOIN redemptions r ON r.id = a.redemption_id
         JOIN attachments o ON o.sha256 = a.sha256 AND o.redemption_id <> a.redemption_id
         JOIN redemptions ro ON ro.id = o.redemption_id
         WHERE a.redemption_id = $1 AND ro.member_id <> r.member_id
         ORDER BY o.redemption_id LIMIT 20",
    )
    .bind(redemption_id)
    .fetch_all(&mut *c)
    .await?;
    let same_invoice_number = sqlx::query(
        "SELECT DISTINCT ao.redemption_id FROM attachments a
         JOIN invoice_findings f ON f.attachment_id = a.id
         JOIN redemptions r ON r.id = a.redemption_id
         JOIN invoice_findings g ON g.invoice_number_key = f.invoice_number_key AND g.attachment_id <> f.attachment_id
         JOIN attachments ao ON ao.id = g.attachment_id
         JOIN redemptions ro ON ro.id = ao.redemption_id
         WHERE a.redemption_id = $1 AND f.invoice_number_key IS NOT NULL AND ro.member_id <> r.member_id
         ORDER BY ao.redemption_id LIMIT 20",
    )
    .bind(redemption_id)
    .fetch_all(&mut *c)
    .await?;
    let same_serial = sqlx::query(
        "SELECT r2.id FROM redemptions r
         JOIN products p ON p.id = r.product_id
         JOIN products p2 ON p2.serial_key = p.serial_key
         JOIN redemptions r2 ON r2.product_id = p2.id AND r2.promotion_id = r.promotion_id AND r2.id <> r.id
         WHERE r.id = $1 ORDER BY r2.id LIMIT 20",
    )
    .bind(redemption_id)
    .fetch_all(&mut *c)
    .await?;
    Ok(FraudSignals {
        same_file_other_member: ids(same_file)?,
        same_invoice_number_other_member: ids(same_invoice_number)?,
        same_serial_in_promotion: ids(same_serial)?,
    })
}

/// A chat user's dialogue state, read without creating or locking the row:
/// whether a file they send now is for a rejected claim (and worth OCR).
pub async fn chat_dialogue(c: &mut Conn, channel: &str, external_id: &str) -> Result<Option<serde_json::Value>> {
    let row = sqlx::query("SELECT dialogue FROM chat_users WHERE channel = $1 AND external_id = $2")
        .bind(channel)
        .bind(external_id)
        .fetch_optional(&mut *c)
        .await?;
    row.map(|r| {
        let sqlx::types::Json(dialogue): sqlx::types::Json<serde_json::Value> = r.try_get("dialogue")?;
        Ok(dialogue)
    })
    .transpose()
}
