//! Members and the products they registered, with the recipient details a
//! physical gift is shipped to.

use chrono::NaiveDate;

use super::category::Category;
use super::chk::ChkCode;
use super::email::EmailAddress;
use super::locale::Locale;
use super::region::Region;
use super::serial::SerialNumber;

pub type MemberId = i64;
pub type ProductId = i64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: MemberId,
    pub email: EmailAddress,
    pub name: String,
    pub locale: Locale,
    pub region: Region,
    pub phone: Option<String>,
}

/// Where the product was bought, as the registration form asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurchaseChannel {
    Retail,
    Online,
    Reseller,
}

impl PurchaseChannel {
    pub const ALL: [PurchaseChannel; 3] = [Self::Retail, Self::Online, Self::Reseller];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Retail => "retail",
            Self::Online => "online",
            Self::Reseller => "reseller",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

/// A registered product: the facts eligibility is decided on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub serial: SerialNumber,
    pub chk: ChkCode,
    pub member_id: MemberId,
    pub category: Category,
    pub model: String,
    pub purchased_on: NaiveDate,
    pub region: Region,
    pub store: String,
    pub channel: PurchaseChannel,
}

/// Where a physical gift goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub name: String,
    pub address: String,
    pub zip_code: String,
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecipientError {
    #[error("the recipient's {0} is empty")]
    Missing(&'static str),
    #[error("the zip code must be 5 digits")]
    BadZip,
    #[error("the phone number must be 8-15 digits, optionally starting with +")]
    BadPhone,
}

impl Recipient {
    pub fn validate(&self) -> Result<(), RecipientError> {
        for (field, value) in [("name", &self.name), ("address", &self.address)] {
            if value.trim().is_empty() {
                return Err(RecipientError::Missing(field));
            }
        }
        // Indonesian postal codes have five digits.
        if self.zip_code.len() != 5 || !self.zip_code.chars().all(|c| c.is_ascii_digit()) {
            return Err(RecipientError::BadZip);
        }
        let digits = self.phone.strip_prefix('+').unwrap_or(&self.phone);
        if !(8..=15).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(RecipientError::BadPhone);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipient_checks() {
        let mut r = Recipient {
            name: "Budi".into(),
            address: "Jl. Sudirman 1, Jakarta".into(),
            zip_code: "12190".into(),
            phone: "+6281234567890".into(),
        };
        assert_eq!(r.validate(), Ok(()));
        r.zip_code = "1219".into();
        assert_eq!(r.validate(), Err(RecipientError::BadZip));
        r.zip_code = "12190".into();
        r.phone = "08-123".into();
        assert_eq!(r.validate(), Err(RecipientError::BadPhone));
        r.phone = "081234567890".into();
        r.name = " ".into();
        assert_eq!(r.validate(), Err(RecipientError::Missing("name")));
    }

    #[test]
    fn channels_parse() {
        assert_eq!(PurchaseChannel::parse("online"), Some(PurchaseChannel::Online));
        assert_eq!(PurchaseChannel::parse("mall"), None);
    }
}
