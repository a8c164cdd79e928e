//! The FAQ intents of `shared/spec/intents.md`. Their ids are a contract.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Intent {
    AccountSignup,
    ProductRegister,
    ProductSerial,
    InvoiceRequirements,
    RedeemHow,
    RedeemStatusHowto,
    StatusLookup,
    RedeemFailed,
    PromoNotListed,
    PromoList,
    ProcessingTime,
    RewardDelivery,
    EmailNotReceived,
    HumanAgent,
    Subscribe,
    Unsubscribe,
    Language,
    Greeting,
    Thanks,
    OutOfScope,
}

impl Intent {
    pub const ALL: [Intent; 20] = [
        Self::AccountSignup,
        Self::ProductRegister,
        Self::ProductSerial,
        Self::InvoiceRequirements,
        Self::RedeemHow,
        Self::RedeemStatusHowto,
        Self::StatusLookup,
        Self::RedeemFailed,
        Self::PromoNotListed,
        Self::PromoList,
        Self::ProcessingTime,
        Self::RewardDelivery,
        Self::EmailNotReceived,
        Self::HumanAgent,
        Self::Subscribe,
        Self::Unsubscribe,
        Self::Language,
        Self::Greeting,
        Self::Thanks,
        Self::OutOfScope,
    ];

    /// The contract id, e.g. `invoice.requirements`.
    pub fn id(self) -> &'static str {
        match self {
            Self::AccountSignup => "account.signup",
            Self::ProductRegister => "product.register",
            Self::ProductSerial => "product.serial",
            Self::InvoiceRequirements => "invoice.requirements",
            Self::RedeemHow => "redeem.how",
            Self::RedeemStatusHowto => "redeem.status_howto",
            Self::StatusLookup => "status.lookup",
            Self::RedeemFailed => "redeem.failed",
            Self::PromoNotListed => "promo.not_listed",
            Self::PromoList => "promo.list",
            Self::ProcessingTime => "processing.time",
            Self::RewardDelivery => "reward.delivery",
            Self::EmailNotReceived => "email.not_received",
            Self::HumanAgent => "human.agent",
            Self::Subscribe => "subscribe",
            Self::Unsubscribe => "unsubscribe",
            Self::Language => "language",
            Self::Greeting => "greeting",
            Self::Thanks => "thanks",
            Self::OutOfScope => "out_of_scope",
        }
    }

    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.id() == id.trim())
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// The intents answered by a fixed FAQ text (the rest start a flow or an action).
    pub fn is_faq_topic(self) -> bool {
        matches!(
            self,
            Self::AccountSignup
                | Self::ProductRegister
                | Self::ProductSerial
                | Self::InvoiceRequirements
                | Self::RedeemHow
                | Self::RedeemStatusHowto
                | Self::RedeemFailed
                | Self::PromoNotListed
                | Self::ProcessingTime
                | Self::RewardDelivery
                | Self::EmailNotReceived
        )
    }
}

impl fmt::Display for Intent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_index_matches_position() {
        for (i, intent) in Intent::ALL.into_iter().enumerate() {
            assert_eq!(Intent::parse(intent.id()), Some(intent));
            assert_eq!(intent.index(), i);
        }
    }
}
