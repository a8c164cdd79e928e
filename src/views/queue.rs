//! The review queue as staff see it: each waiting claim's full view plus its
//! place in the queue (age in working days, overdue, resubmission, who holds it).

use serde::Serialize;

use super::redemption::{RedemptionView, redemption_view};
use crate::review::{Lease, QueueEntry};
use crate::store::{Db, StoreError};

#[derive(Debug, Serialize)]
pub struct QueueItemView {
    #[serde(flatten)]
    pub redemption: RedemptionView,
    pub age_working_days: u32,
    pub overdue: bool,
    pub resubmission: bool,
    /// The reviewer deciding it now, or null.
    pub lease: Option<Lease>,
}

pub async fn queue_view(db: &Db, entries: &[QueueEntry]) -> Result<Vec<QueueItemView>, StoreError> {
    let mut tx = db.begin().await?;
    let mut items = Vec::with_capacity(entries.len());
    for e in entries {
        items.push(QueueItemView {
            redemption: redemption_view(&mut tx, &e.record).await?,
            age_working_days: e.age_working_days,
            overdue: e.overdue,
            resubmission: e.resubmission,
            lease: e.lease.clone(),
        });
    }
    Ok(items)
}
