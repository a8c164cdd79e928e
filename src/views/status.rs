//! The staff view of a serial number: the product, its owner and its redemptions.

use serde::Serialize;

use super::redemption::{RedemptionView, redemption_view};
use crate::domain::SerialNumber;
use crate::domain::serial::SerialError;
use crate::store::{Db, StoreError};

#[derive(Debug, Serialize)]
pub struct StatusView {
    /// What was asked for, as typed.
    pub query: String,
    pub product: ProductView,
    pub member: Option<MemberView>,
    pub redemptions: Vec<RedemptionView>,
}

#[derive(Debug, Serialize)]
pub struct ProductView {
    pub serial: String,
    pub chk: String,
    pub category: String,
    pub model: String,
    pub purchased_on: String,
    pub region: String,
    pub store: String,
    pub channel: &'static str,
}

#[derive(Debug, Serialize)]
pub struct MemberView {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub locale: &'static str,
    pub region: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error("serial: {0}")]
    BadSerial(#[from] SerialError),
    #[error("no product is registered with serial {0}")]
    Unknown(String),
    #[error("serial {query} could be any of {candidates}; type it exactly as printed")]
    Ambiguous { query: String, candidates: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Finds the product by serial — the exact printed form first, then by the
/// look-alike key — and builds its view.
pub async fn status_view(db: &Db, query: &str) -> Result<StatusView, StatusError> {
    let serial = SerialNumber::parse(query)?;
    let mut tx = db.begin().await?;
    // One statement for every product the serial could be, with its
    // redemptions; the one printed exactly so wins over look-alikes.
    let mut found = tx.products_with_redemptions_by_serial_key(&serial.match_key()).await?;
    let (product, records) = match found
        .iter()
        .position(|(p, _)| p.product.serial.as_str() == serial.as_str())
    {
        Some(exact) => found.swap_remove(exact),
        None => match found.len() {
            0 => return Err(StatusError::Unknown(serial.to_string())),
            1 => found.remove(0),
            _ => {
                let candidates = found
                    .iter()
                    .map(|(p, _)| p.product.serial.to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(StatusError::Ambiguous {
                    query: query.to_owned(),
                    candidates,
                });
            }
        },
    };
    let member = tx.member(product.product.member_id).await?;
    let mut redemptions = Vec::new();
    for rec in &records {
        redemptions.push(redemption_view(&mut tx, rec).await?);
    }
    let p = &product.product;
    Ok(StatusView {
        query: query.to_owned(),
        product: ProductView {
            serial: p.serial.to_string(),
            chk: p.chk.to_string(),
            category: p.category.to_string(),
            model: p.model.clone(),
            purchased_on: p.purchased_on.to_string(),
            region: p.region.to_string(),
            store: p.store.clone(),
            channel: p.channel.as_str(),
        },
        member: member.map(|m| MemberView {
            id: m.id,
            name: m.name,
            email: m.email.to_string(),
            locale: m.locale.as_str(),
            region: m.region.to_string(),
        }),
        redemptions,
    })
}
