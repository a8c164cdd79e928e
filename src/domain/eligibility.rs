//! Whether a product qualifies for a promotion, and if not, every reason why.
//! This is what answers the guide's "why is there no promotion in my account?".

use chrono::NaiveDate;

use super::category::Category;
use super::product::Product;
use super::promotion::{Promotion, Reward};
use super::region::Region;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ineligibility {
    CategoryNotEligible {
        category: Category,
    },
    PurchasedOutsidePeriod {
        purchased_on: NaiveDate,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
    },
    RegionNotEligible {
        region: Region,
    },
    StoreNotPartner {
        store: String,
        region: Region,
    },
    ClaimWindowClosed {
        deadline: NaiveDate,
    },
}

impl Ineligibility {
    /// A stable code for JSON and for choosing the Fluent message.
    pub fn code(&self) -> &'static str {
        match self {
            Self::CategoryNotEligible { .. } => "category_not_eligible",
            Self::PurchasedOutsidePeriod { .. } => "purchased_outside_period",
            Self::RegionNotEligible { .. } => "region_not_eligible",
            Self::StoreNotPartner { .. } => "store_not_partner",
            Self::ClaimWindowClosed { .. } => "claim_window_closed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Eligibility<'p> {
    /// The product qualifies; the reward it earns, when the promotion names one.
    Eligible {
        reward: Option<&'p Reward>,
    },
    NotEligible(Vec<Ineligibility>),
}

impl Eligibility<'_> {
    pub fn is_eligible(&self) -> bool {
        matches!(self, Eligibility::Eligible { .. })
    }
}

/// Checks every rule and collects all failures, so a customer learns everything to
/// fix at once rather than one reason per round trip. `today` is the Jakarta date
/// the claim would be made on.
pub fn check<'p>(promotion: &'p Promotion, product: &Product, today: NaiveDate) -> Eligibility<'p> {
    let mut reasons = Vec::new();
    if !promotion.categories.contains(&product.category) {
        reasons.push(Ineligibility::CategoryNotEligible {
            category: product.category.clone(),
        });
    }
    if !promotion.covers_date(product.purchased_on) {
        reasons.push(Ineligibility::PurchasedOutsidePeriod {
            purchased_on: product.purchased_on,
            starts_on: promotion.starts_on,
            ends_on: promotion.ends_on,
        });
    }
    let region_ok = promotion.regions.contains(&product.region);
    if !region_ok {
        reasons.push(Ineligibility::RegionNotEligible {
            region: product.region.clone(),
        });
    }
    // Store partnership only means something inside an eligible region; outside it
    // the region reason already says everything.
    if region_ok && !promotion.partner_stores.is_empty() {
        let store = normalise_store(&product.store);
        let partner = promotion
            .partner_stores
            .iter()
            .any(|p| p.region == product.region && normalise_store(&p.store) == store);
        if !partner {
            reasons.push(Ineligibility::StoreNotPartner {
                store: product.store.clone(),
                region: product.region.clone(),
            });
        }
    }
    if today > promotion.claim_deadline {
        reasons.push(Ineligibility::ClaimWindowClosed {
            deadline: promotion.claim_deadline,
        });
    }
    if reasons.is_empty() {
        Eligibility::Eligible {
            reward: promotion.reward_for(&product.category),
        }
    } else {
        Eligibility::NotEligible(reasons)
    }
}

fn normalise_store(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::category::test_catalog;
    use crate::domain::chk::ChkCode;
    use crate::domain::product::PurchaseChannel;
    use crate::domain::promotion::{PartnerStore, smart_office};
    use crate::domain::serial::SerialNumber;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn am242() -> Product {
        Product {
            serial: SerialNumber::parse("K2305N0012345").unwrap(),
            chk: ChkCode::parse("482").unwrap(),
            member_id: 501,
            category: test_catalog().parse("AIO").unwrap(),
            model: "Modern AM242 1M".into(),
            purchased_on: d("2026-04-12"),
            region: Region::parse("ID").unwrap(),
            store: "Enter Komputer".into(),
            channel: PurchaseChannel::Retail,
        }
    }

    #[test]
    fn eligible_product_gets_its_reward() {
        let promo = smart_office();
        match check(&promo, &am242(), d("2026-05-01")) {
            Eligibility::Eligible { reward } => {
                assert_eq!(reward, Some(&Reward::DigitalCode { amount_idr: 500_000 }))
            }
            other => panic!("expected eligible, got {other:?}"),
        }
    }

    #[test]
    fn period_boundaries_are_inclusive() {
        let promo = smart_office();
        for date in ["2026-04-01", "2026-06-30"] {
            let p = Product {
                purchased_on: d(date),
                ..am242()
            };
            assert!(check(&promo, &p, d("2026-07-01")).is_eligible(), "{date}");
        }
        for date in ["2026-03-31", "2026-07-01"] {
            let p = Product {
                purchased_on: d(date),
                ..am242()
            };
            assert_eq!(
                check(&promo, &p, d("2026-07-01")),
                Eligibility::NotEligible(vec![Ineligibility::PurchasedOutsidePeriod {
                    purchased_on: d(date),
                    starts_on: d("2026-04-01"),
                    ends_on: d("2026-06-30"),
                }])
            );
        }
    }

    #[test]
    fn every_reason_is_reported_together() {
        let promo = smart_office();
        let p = Product {
            category: test_catalog().parse("VGA").unwrap(),
            purchased_on: d("2025-01-01"),
            region: Region::parse("MY").unwrap(),
            ..am242()
        };
        let Eligibility::NotEligible(reasons) = check(&promo, &p, d("2026-08-01")) else {
            panic!("must not be eligible");
        };
        let codes: Vec<_> = reasons.iter().map(Ineligibility::code).collect();
        assert_eq!(
            codes,
            [
                "category_not_eligible",
                "purchased_outside_period",
                "region_not_eligible",
                "claim_window_closed"
            ]
        );
    }

    #[test]
    fn store_must_be_a_partner_in_the_region() {
        let mut promo = smart_office();
        promo.partner_stores = vec![
            PartnerStore {
                region: Region::parse("ID").unwrap(),
                store: "Enter  komputer".into(),
            },
            PartnerStore {
                region: Region::parse("MY").unwrap(),
                store: "Toko Lain".into(),
            },
        ];
        assert!(check(&promo, &am242(), d("2026-05-01")).is_eligible());
        let p = Product {
            store: "Toko Lain".into(),
            ..am242()
        };
        assert_eq!(
            check(&promo, &p, d("2026-05-01")),
            Eligibility::NotEligible(vec![Ineligibility::StoreNotPartner {
                store: "Toko Lain".into(),
                region: Region::parse("ID").unwrap()
            }])
        );
    }
}
