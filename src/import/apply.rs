//! Writing a parsed import inside one transaction, after checking it against
//! what the database already holds.

use std::collections::HashSet;

use serde::Serialize;

use super::ImportError;
use super::parse::{ImportSet, ImportedRedemption, parse};
use crate::domain::{Change, Event, Timestamp};
use crate::store::{AttachmentSource, Db, NewAttachment, RedemptionRecord, Tx};

/// How many records of a kind were written (new or different) or already there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub written: usize,
    pub unchanged: usize,
}

impl Counts {
    fn add(&mut self, written: bool) {
        if written {
            self.written += 1
        } else {
            self.unchanged += 1
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub categories: Counts,
    pub promotions: Counts,
    pub members: Counts,
    pub products: Counts,
    pub redemptions: Counts,
}

impl ImportReport {
    pub fn written(&self) -> usize {
        [
            self.categories,
            self.promotions,
            self.members,
            self.products,
            self.redemptions,
        ]
        .iter()
        .map(|c| c.written)
        .sum()
    }
}

/// Imports a JSON document: all of it, or nothing.
pub async fn import_json(db: &Db, text: &str, now: Timestamp) -> Result<ImportReport, ImportError> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ImportError::Syntax(format!("not valid JSON: {e}")))?;
    let mut tx = db.begin_write().await?;
    let catalog = tx.categories().await?;
    let set = parse(&doc, &catalog)?;
    let report = apply(&mut tx, &set, now).await?;
    tx.sync_id_sequences().await?;
    tx.commit().await?;
    Ok(report)
}

async fn apply(tx: &mut Tx, set: &ImportSet, now: Timestamp) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    for c in &set.categories {
        report.categories.add(tx.upsert_category(c).await?);
    }
    for p in &set.promotions {
        report.promotions.add(tx.save_promotion(p).await?);
    }
    for (i, m) in set.members.iter().enumerate() {
        if let Some(owner) = tx.member_by_email(&m.email.lookup_key()).await?
            && owner.id != m.id
        {
            return Err(ImportError::invalid(
                format!("members[{i}] (id {})", m.id),
                "email",
                format!("{} already belongs to member {}", m.email, owner.id),
            ));
        }
        report.members.add(tx.upsert_member(m, now).await?);
    }
    let file_members: HashSet<i64> = set.members.iter().map(|m| m.id).collect();
    for (i, p) in set.products.iter().enumerate() {
        let label = format!("products[{i}] (serial {})", p.serial);
        if !file_members.contains(&p.member_id) && tx.member(p.member_id).await?.is_none() {
            return Err(ImportError::invalid(
                label,
                "member_id",
                format!("no member {} in the file or the database", p.member_id),
            ));
        }
        for existing in tx.products_by_serial_key(&p.serial.match_key()).await? {
            if existing.product.serial != p.serial {
                return Err(ImportError::invalid(
                    label,
                    "serial",
                    format!(
                        "differs from registered serial {} only by look-alike characters (0/O, 1/I/l)",
                        existing.product.serial
                    ),
                ));
            }
            if existing.product.member_id != p.member_id {
                return Err(ImportError::invalid(
                    label,
                    "serial",
                    format!("already registered to member {}", existing.product.member_id),
                ));
            }
        }
        report.products.add(tx.upsert_product(p, now).await?.1);
    }
    for r in &set.redemptions {
        report.redemptions.add(apply_redemption(tx, r, now).await?);
    }
    Ok(report)
}

/// Inserts a redemption with its history; false when the same redemption is
/// already stored. An existing redemption is never rewritten: after import the
/// database is where decisions happen, and a re-import must not undo them.
async fn apply_redemption(tx: &mut Tx, r: &ImportedRedemption, now: Timestamp) -> Result<bool, ImportError> {
    let red = &r.redemption;
    let err = |field: &str, message: String| ImportError::invalid(r.label.clone(), field, message);
    let product = tx.product_by_serial(red.serial.as_str()).await?.ok_or_else(|| {
        err(
            "serial",
            format!("no product with serial {} in the file or the database", red.serial),
        )
    })?;
    if tx.promotion(red.promotion_id.as_str()).await?.is_none() {
        return Err(err(
            "promotion_id",
            format!("no promotion {} in the file or the database", red.promotion_id),
        ));
    }
    if let Some(existing) = tx.redemption(red.id).await? {
        let same = existing.redemption.serial == red.serial && existing.redemption.promotion_id == red.promotion_id;
        if same {
            return Ok(false);
        }
        return Err(err(
            "id",
            format!(
                "redemption {} already exists for serial {} and promotion {}",
                red.id, existing.redemption.serial, existing.redemption.promotion_id
            ),
        ));
    }
    if let Some(other) = tx.redemption_for(product.id, red.promotion_id.as_str()).await? {
        return Err(err(
            "serial",
            format!(
                "{} already has redemption {} for {} (duplicate claim)",
                red.serial, other.redemption.id, red.promotion_id
            ),
        ));
    }
    let record = RedemptionRecord {
        redemption: red.clone(),
        product_id: product.id,
        member_id: product.product.member_id,
        recipient: r.recipient.clone(),
        updated_at: now,
    };
    tx.insert_redemption(&record, now).await?;
    let mut files = r.attachments.iter();
    for event in &r.history {
        let event = match &event.change {
            Change::Resubmitted { .. } => {
                let mut ids = Vec::new();
                for f in files.next().into_iter().flatten() {
                    let attachment = NewAttachment {
                        redemption_id: red.id,
                        filename: f.filename.clone(),
                        content_type: f.content_type.clone(),
                        bytes: f.bytes,
                        sha256: f.sha256.clone(),
                        width: None,
                        height: None,
                        blob_key: None,
                        source: AttachmentSource::Import,
                    };
                    ids.push(tx.insert_attachment(&attachment, now).await?);
                }
                Event {
                    change: Change::Resubmitted { attachment_ids: ids },
                    ..event.clone()
                }
            }
            _ => event.clone(),
        };
        tx.insert_event(red.id, &event).await?;
    }
    // A new claim waiting for review goes to the staff channels too.
    if red.status() == crate::domain::Status::UnderReview {
        crate::staff::enqueue_post(tx, red.id, now).await?;
    }
    Ok(true)
}
