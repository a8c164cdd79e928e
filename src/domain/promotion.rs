//! Promotions: what they reward, for which products, when and where.

use std::fmt;

use chrono::NaiveDate;

use super::category::Category;
use super::locale::Locale;
use super::region::Region;

/// A promotion's id is its slug (`smart-office-2026`): stable, readable in URLs and
/// in the CLI (`broadcast smart-office-2026`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PromotionId(String);

impl PromotionId {
    pub fn parse(input: &str) -> Result<Self, PromotionError> {
        let s = input.trim();
        let ok = (1..=64).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(PromotionError::BadId(input.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PromotionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LocalizedText {
    pub id: String,
    pub en: String,
}

impl LocalizedText {
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::Id => &self.id,
            Locale::En => &self.en,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reward {
    DigitalCode { amount_idr: u64 },
    PhysicalGift { gift: LocalizedText },
}

impl Reward {
    pub fn kind(&self) -> RewardKind {
        match self {
            Reward::DigitalCode { .. } => RewardKind::DigitalCode,
            Reward::PhysicalGift { .. } => RewardKind::PhysicalGift,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewardKind {
    DigitalCode,
    PhysicalGift,
}

impl RewardKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RewardKind::DigitalCode => "digital_code",
            RewardKind::PhysicalGift => "physical_gift",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "digital_code" => Some(RewardKind::DigitalCode),
            "physical_gift" => Some(RewardKind::PhysicalGift),
            _ => None,
        }
    }
}

/// A store that MSI counts as a partner in a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerStore {
    pub region: Region,
    pub store: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promotion {
    pub id: PromotionId,
    pub name: LocalizedText,
    pub description: LocalizedText,
    /// First and last day of the purchase period, inclusive, in Asia/Jakarta.
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Last day a claim may be submitted.
    pub claim_deadline: NaiveDate,
    pub categories: Vec<Category>,
    pub regions: Vec<Region>,
    pub rewards: Vec<(Category, Reward)>,
    /// When non-empty, only purchases from these stores qualify.
    pub partner_stores: Vec<PartnerStore>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromotionError {
    #[error("promotion id {0:?} must be 1-64 lower-case letters, digits or dashes")]
    BadId(String),
    #[error("the period ends ({ends_on}) before it starts ({starts_on})")]
    PeriodReversed { starts_on: NaiveDate, ends_on: NaiveDate },
    #[error("the claim deadline {deadline} is before the period starts ({starts_on})")]
    DeadlineBeforeStart { deadline: NaiveDate, starts_on: NaiveDate },
    #[error("a promotion needs at least one category")]
    NoCategories,
    #[error("a promotion needs at least one region")]
    NoRegions,
    #[error("the reward for {0} is for a category the promotion does not cover")]
    RewardOutsideCategories(Category),
    #[error("category {0} is listed twice among the rewards")]
    DuplicateReward(Category),
    #[error("a digital code reward needs an amount above zero")]
    ZeroAmount,
}

impl Promotion {
    /// Checks the rules every promotion must satisfy.
    pub fn validate(&self) -> Result<(), PromotionError> {
        if self.ends_on < self.starts_on {
            return Err(PromotionError::PeriodReversed {
                starts_on: self.starts_on,
                ends_on: self.ends_on,
            });
        }
        if self.claim_deadline < self.starts_on {
            return Err(PromotionError::DeadlineBeforeStart {
                deadline: self.claim_deadline,
                starts_on: self.starts_on,
            });
        }
        if self.categories.is_empty() {
            return Err(PromotionError::NoCategories);
        }
        if self.regions.is_empty() {
            return Err(PromotionError::NoRegions);
        }
        for (i, (category, reward)) in self.rewards.iter().enumerate() {
            if !self.categories.contains(category) {
                return Err(PromotionError::RewardOutsideCategories(category.clone()));
            }
            if self.rewards[..i].iter().any(|(c, _)| c == category) {
                return Err(PromotionError::DuplicateReward(category.clone()));
            }
            if matches!(reward, Reward::DigitalCode { amount_idr: 0 }) {
                return Err(PromotionError::ZeroAmount);
            }
        }
        Ok(())
    }

    pub fn reward_for(&self, category: &Category) -> Option<&Reward> {
        self.rewards.iter().find(|(c, _)| c == category).map(|(_, r)| r)
    }

    pub fn covers_date(&self, date: NaiveDate) -> bool {
        (self.starts_on..=self.ends_on).contains(&date)
    }
}

#[cfg(test)]
pub(crate) fn smart_office() -> Promotion {
    let cat = super::category::test_catalog();
    let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    Promotion {
        id: PromotionId::parse("smart-office-2026").unwrap(),
        name: LocalizedText {
            id: "Smart Office Rewards".into(),
            en: "Smart Office Rewards".into(),
        },
        description: LocalizedText::default(),
        starts_on: d("2026-04-01"),
        ends_on: d("2026-06-30"),
        claim_deadline: d("2026-07-31"),
        categories: vec![cat.parse("AIO").unwrap(), cat.parse("PRO DT").unwrap()],
        regions: vec![Region::parse("ID").unwrap()],
        rewards: vec![
            (cat.parse("AIO").unwrap(), Reward::DigitalCode { amount_idr: 500_000 }),
            (
                cat.parse("PRO DT").unwrap(),
                Reward::DigitalCode { amount_idr: 200_000 },
            ),
        ],
        partner_stores: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_slugs() {
        assert!(PromotionId::parse("smart-office-2026").is_ok());
        assert!(PromotionId::parse("Smart Office").is_err());
        assert!(PromotionId::parse("-x").is_err());
        assert!(PromotionId::parse("").is_err());
    }

    #[test]
    fn validation_catches_bad_promotions() {
        let good = smart_office();
        assert_eq!(good.validate(), Ok(()));

        let mut p = good.clone();
        p.ends_on = "2026-03-01".parse().unwrap();
        assert!(matches!(p.validate(), Err(PromotionError::PeriodReversed { .. })));

        let mut p = good.clone();
        p.rewards.push(p.rewards[0].clone());
        assert!(matches!(p.validate(), Err(PromotionError::DuplicateReward(_))));

        let mut p = good.clone();
        p.categories.truncate(1);
        assert!(matches!(p.validate(), Err(PromotionError::RewardOutsideCategories(_))));

        let mut p = good.clone();
        p.regions.clear();
        assert_eq!(p.validate(), Err(PromotionError::NoRegions));

        let mut p = good;
        p.rewards[0].1 = Reward::DigitalCode { amount_idr: 0 };
        assert_eq!(p.validate(), Err(PromotionError::ZeroAmount));
    }
}
