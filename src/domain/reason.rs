//! Why a claim was rejected: a closed set of codes, worded later through Fluent.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectionReason {
    InvoiceMissingProductName,
    InvoiceUnreadable,
    InvoiceOutsidePeriod,
    InvoiceMissingStoreOrNumber,
    SerialPhotoMissing,
    SerialPhotoPackaging,
    SerialChkMismatch,
    ModelNotEligible,
    RegionNotEligible,
    StoreNotPartner,
    DuplicateClaim,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown reason code {0:?}; expected one of: {codes}", codes = RejectionReason::codes_list())]
pub struct ReasonError(pub String);

impl RejectionReason {
    pub const ALL: [RejectionReason; 11] = [
        Self::InvoiceMissingProductName,
        Self::InvoiceUnreadable,
        Self::InvoiceOutsidePeriod,
        Self::InvoiceMissingStoreOrNumber,
        Self::SerialPhotoMissing,
        Self::SerialPhotoPackaging,
        Self::SerialChkMismatch,
        Self::ModelNotEligible,
        Self::RegionNotEligible,
        Self::StoreNotPartner,
        Self::DuplicateClaim,
    ];

    /// The code used in the CLI, JSON, imports and the database.
    pub fn code(self) -> &'static str {
        match self {
            Self::InvoiceMissingProductName => "invoice_missing_product_name",
            Self::InvoiceUnreadable => "invoice_unreadable",
            Self::InvoiceOutsidePeriod => "invoice_outside_period",
            Self::InvoiceMissingStoreOrNumber => "invoice_missing_store_or_number",
            Self::SerialPhotoMissing => "serial_photo_missing",
            Self::SerialPhotoPackaging => "serial_photo_packaging",
            Self::SerialChkMismatch => "serial_chk_mismatch",
            Self::ModelNotEligible => "model_not_eligible",
            Self::RegionNotEligible => "region_not_eligible",
            Self::StoreNotPartner => "store_not_partner",
            Self::DuplicateClaim => "duplicate_claim",
        }
    }

    pub fn parse(code: &str) -> Result<Self, ReasonError> {
        Self::ALL
            .into_iter()
            .find(|r| r.code() == code.trim())
            .ok_or_else(|| ReasonError(code.to_owned()))
    }

    fn codes_list() -> String {
        Self::ALL.map(Self::code).join(", ")
    }
}

impl fmt::Display for RejectionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in RejectionReason::ALL {
            assert_eq!(RejectionReason::parse(r.code()).unwrap(), r);
        }
        let err = RejectionReason::parse("bad_vibes").unwrap_err();
        assert!(err.to_string().contains("invoice_unreadable"));
    }
}
