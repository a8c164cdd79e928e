//! One redemption with its promotion, history, attachments and email handles.

use serde::Serialize;

use crate::domain::{Change, Event, Promotion, Reward, Status};
use crate::store::{AttachmentRecord, RedemptionRecord, StoreError, Tx};

#[derive(Debug, Serialize)]
pub struct RedemptionView {
    pub id: i64,
    pub serial: String,
    pub promotion_id: String,
    pub promotion_name: Option<String>,
    pub status: &'static str,
    /// The rejection reason code while the status is `rejected`, else null.
    pub reason: Option<&'static str>,
    /// The reviewer's note with that rejection.
    pub note: Option<String>,
    pub submitted_at: String,
    /// When the claim last entered the review queue.
    pub queued_at: String,
    pub updated_at: String,
    pub reward: Option<RewardView>,
    pub recipient: Option<RecipientView>,
    pub history: Vec<EventView>,
    pub attachments: Vec<AttachmentView>,
    /// Other claims that share this one's files, invoice numbers or serial.
    pub fraud_signals: crate::store::FraudSignals,
    /// The emails about this redemption, oldest first, and how delivery went.
    pub emails: Vec<crate::store::EmailLogRecord>,
}

#[derive(Debug, Serialize)]
pub struct RewardView {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_idr: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gift: Option<GiftView>,
}

#[derive(Debug, Serialize)]
pub struct GiftView {
    pub id: String,
    pub en: String,
}

#[derive(Debug, Serialize)]
pub struct RecipientView {
    pub name: String,
    pub address: String,
    pub zip_code: String,
    pub phone: String,
}

#[derive(Debug, Serialize)]
pub struct EventView {
    pub at: String,
    pub kind: &'static str,
    pub actor: String,
    pub reason: Option<&'static str>,
    pub note: Option<String>,
    pub attachment_ids: Vec<i64>,
}

#[derive(Debug, Serialize)]
pub struct AttachmentView {
    pub id: i64,
    pub filename: String,
    pub content_type: String,
    pub bytes: i64,
    pub sha256: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub source: &'static str,
    pub stored: bool,
    /// What the invoice pre-check read from the file; null when it was not read.
    pub findings: Option<crate::precheck::InvoiceFindings>,
}

fn event_view(e: &Event) -> EventView {
    let (reason, note, attachment_ids) = match &e.change {
        Change::Submitted => (None, None, vec![]),
        Change::Rejected { reason, note } => (Some(reason.code()), note.clone(), vec![]),
        Change::Resubmitted { attachment_ids } => (None, None, attachment_ids.clone()),
        Change::Approved { note } | Change::RewardSent { note } => (None, note.clone(), vec![]),
    };
    EventView {
        at: e.at.to_rfc3339(),
        kind: e.change.kind().as_str(),
        actor: e.actor.to_string(),
        reason,
        note,
        attachment_ids,
    }
}

fn attachment_view(a: &AttachmentRecord) -> AttachmentView {
    let x = &a.attachment;
    AttachmentView {
        id: a.id,
        filename: x.filename.clone(),
        content_type: x.content_type.clone(),
        bytes: x.bytes,
        sha256: x.sha256.clone(),
        width: x.width,
        height: x.height,
        source: x.source.as_str(),
        stored: x.blob_key.is_some(),
        findings: None,
    }
}

/// Builds the view of one stored redemption, reading its promotion, category,
/// history and attachments in the same transaction.
pub async fn redemption_view(tx: &mut Tx, rec: &RedemptionRecord) -> Result<RedemptionView, StoreError> {
    let r = &rec.redemption;
    let promotion: Option<Promotion> = tx.promotion(r.promotion_id.as_str()).await?;
    let product = tx.product_by_serial(r.serial.as_str()).await?;
    let reward = match (&promotion, &product) {
        (Some(p), Some(prod)) => p.reward_for(&prod.product.category).map(|reward| match reward {
            Reward::DigitalCode { amount_idr } => RewardView {
                kind: "digital_code",
                amount_idr: Some(*amount_idr),
                gift: None,
            },
            Reward::PhysicalGift { gift } => RewardView {
                kind: "physical_gift",
                amount_idr: None,
                gift: Some(GiftView {
                    id: gift.id.clone(),
                    en: gift.en.clone(),
                }),
            },
        }),
        _ => None,
    };
    let (reason, note) = match (r.status(), r.last_rejection()) {
        (Status::Rejected, Some((reason, note))) => (Some(reason.code()), note.clone()),
        _ => (None, None),
    };
    let history = tx.history(r.id).await?.iter().map(event_view).collect();
    let mut attachments: Vec<AttachmentView> = tx.attachments(r.id).await?.iter().map(attachment_view).collect();
    for (attachment_id, json) in tx.invoice_findings(r.id).await? {
        if let Some(a) = attachments.iter_mut().find(|a| a.id == attachment_id) {
            // Findings of an older shape are shown as not read rather than failing the view.
            a.findings = serde_json::from_str(&json).ok();
        }
    }
    let fraud_signals = tx.fraud_signals(r.id).await?;
    let emails = tx.emails_of_redemption(r.id).await?;
    Ok(RedemptionView {
        id: r.id,
        serial: r.serial.to_string(),
        promotion_id: r.promotion_id.to_string(),
        promotion_name: promotion.map(|p| p.name.en),
        status: r.status().as_str(),
        reason,
        note,
        submitted_at: r.submitted_at.to_rfc3339(),
        queued_at: r.queued_at().to_rfc3339(),
        updated_at: rec.updated_at.to_rfc3339(),
        reward,
        recipient: rec.recipient.as_ref().map(|x| RecipientView {
            name: x.name.clone(),
            address: x.address.clone(),
            zip_code: x.zip_code.clone(),
            phone: x.phone.clone(),
        }),
        history,
        attachments,
        fraud_signals,
        emails,
    })
}
