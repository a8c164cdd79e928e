//! What staff see: serialisable views of products and redemptions, shared by
//! `status`, `review show` and, later, the admin API. Field names are part of
//! the JSON contract (`shared/spec/contracts.md`): extend, never rename.

mod queue;
mod redemption;
mod status;
pub mod text;

pub use queue::{QueueItemView, queue_view};
pub use redemption::{RedemptionView, redemption_view};
pub use status::{ProductView, StatusError, StatusView, status_view};
