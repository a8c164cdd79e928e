//! redeemdesk: the support desk for MSI Indonesia's promotion-redemption program.
//!
//! Start at `docs/architecture.md` for the map.

pub mod domain;
pub mod store;
