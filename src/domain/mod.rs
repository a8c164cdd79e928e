//! The business of promotion redemption as pure Rust: types that cannot hold
//! invalid values and rules that return typed errors. Nothing in here performs
//! I/O or names a database, chat or mail crate (a tidy test checks it).

pub mod calendar;
pub mod category;
pub mod channel;
pub mod chk;
pub mod eligibility;
pub mod email;
pub mod invoice;
pub mod locale;
pub mod product;
pub mod promotion;
pub mod reason;
pub mod redemption;
pub mod region;
pub mod serial;
pub mod time;

pub use calendar::{SupportHours, WorkCalendar};
pub use category::{Category, CategoryCatalog, CategoryInfo};
pub use channel::Channel;
pub use chk::ChkCode;
pub use eligibility::{Eligibility, Ineligibility};
pub use email::EmailAddress;
pub use locale::Locale;
pub use product::{Member, MemberId, Product, ProductId, PurchaseChannel, Recipient};
pub use promotion::{LocalizedText, PartnerStore, Promotion, PromotionId, Reward, RewardKind};
pub use reason::RejectionReason;
pub use redemption::{
    Actor, AttachmentId, Change, Event, EventKind, Redemption, RedemptionId, Status, TransitionError,
};
pub use region::Region;
pub use serial::SerialNumber;
pub use time::Timestamp;
