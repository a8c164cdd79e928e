//! Domain values as messages: dates, amounts, rewards, reasons, statuses,
//! promotions and eligibility. Every word comes from Fluent; only number
//! formatting happens here.

use chrono::{Datelike, NaiveDate};

use crate::domain::eligibility::{Eligibility, Ineligibility};
use crate::domain::{Locale, Promotion, RejectionReason, Reward, Status};
use crate::faq::Intent;
use crate::i18n::messages as m;
use crate::i18n::{Msg, MsgDef};
use crate::store::{ProductRecord, RedemptionRecord};

use super::output::Reply;

pub fn date(d: NaiveDate) -> Msg {
    Msg::new(m::DATE)
        .arg("day", d.day().to_string())
        .arg("month", m::month(d.month()))
        .arg("year", d.year().to_string())
}

/// "Rp500.000" in Indonesian, "Rp500,000" in English.
pub fn rupiah(amount: u64, locale: Locale) -> String {
    let digits = amount.to_string();
    let sep = match locale {
        Locale::Id => '.',
        Locale::En => ',',
    };
    let mut out = String::from("Rp");
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

pub fn reward(r: Option<&Reward>, locale: Locale) -> Msg {
    match r {
        Some(Reward::DigitalCode { amount_idr }) => {
            Msg::new(m::REWARD_DIGITAL_CODE).arg("amount", rupiah(*amount_idr, locale))
        }
        Some(Reward::PhysicalGift { gift }) => Msg::new(m::REWARD_PHYSICAL_GIFT).arg("gift", gift.get(locale)),
        None => Msg::new(m::REWARD_UNSPECIFIED),
    }
}

pub fn reason(r: RejectionReason) -> MsgDef {
    match r {
        RejectionReason::InvoiceMissingProductName => m::REASON_INVOICE_MISSING_PRODUCT_NAME,
        RejectionReason::InvoiceUnreadable => m::REASON_INVOICE_UNREADABLE,
        RejectionReason::InvoiceOutsidePeriod => m::REASON_INVOICE_OUTSIDE_PERIOD,
        RejectionReason::InvoiceMissingStoreOrNumber => m::REASON_INVOICE_MISSING_STORE_OR_NUMBER,
        RejectionReason::SerialPhotoMissing => m::REASON_SERIAL_PHOTO_MISSING,
        RejectionReason::SerialPhotoPackaging => m::REASON_SERIAL_PHOTO_PACKAGING,
        RejectionReason::SerialChkMismatch => m::REASON_SERIAL_CHK_MISMATCH,
        RejectionReason::ModelNotEligible => m::REASON_MODEL_NOT_ELIGIBLE,
        RejectionReason::RegionNotEligible => m::REASON_REGION_NOT_ELIGIBLE,
        RejectionReason::StoreNotPartner => m::REASON_STORE_NOT_PARTNER,
        RejectionReason::DuplicateClaim => m::REASON_DUPLICATE_CLAIM,
    }
}

/// The FAQ answer and its menu label, for the intents answered by a fixed text.
pub fn faq(intent: Intent) -> Option<(MsgDef, MsgDef)> {
    Some(match intent {
        Intent::AccountSignup => (m::FAQ_ACCOUNT_SIGNUP, m::TOPIC_ACCOUNT_SIGNUP),
        Intent::ProductRegister => (m::FAQ_PRODUCT_REGISTER, m::TOPIC_PRODUCT_REGISTER),
        Intent::ProductSerial => (m::FAQ_PRODUCT_SERIAL, m::TOPIC_PRODUCT_SERIAL),
        Intent::InvoiceRequirements => (m::FAQ_INVOICE_REQUIREMENTS, m::TOPIC_INVOICE_REQUIREMENTS),
        Intent::RedeemHow => (m::FAQ_REDEEM_HOW, m::TOPIC_REDEEM_HOW),
        Intent::RedeemStatusHowto => (m::FAQ_REDEEM_STATUS_HOWTO, m::TOPIC_REDEEM_STATUS_HOWTO),
        Intent::RedeemFailed => (m::FAQ_REDEEM_FAILED, m::TOPIC_REDEEM_FAILED),
        Intent::PromoNotListed => (m::FAQ_PROMO_NOT_LISTED, m::TOPIC_PROMO_NOT_LISTED),
        Intent::ProcessingTime => (m::FAQ_PROCESSING_TIME, m::TOPIC_PROCESSING_TIME),
        Intent::RewardDelivery => (m::FAQ_REWARD_DELIVERY, m::TOPIC_REWARD_DELIVERY),
        Intent::EmailNotReceived => (m::FAQ_EMAIL_NOT_RECEIVED, m::TOPIC_EMAIL_NOT_RECEIVED),
        _ => return None,
    })
}

pub fn promotion_item(p: &Promotion, locale: Locale) -> Msg {
    let categories = p.categories.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ");
    let rewards: Vec<Msg> = p
        .rewards
        .iter()
        .map(|(category, r)| {
            Msg::new(m::REWARD_FOR_CATEGORY)
                .arg("category", category.as_str())
                .arg("reward", reward(Some(r), locale))
        })
        .collect();
    let localizer = crate::i18n::Localizer::builtin();
    let rewards = if rewards.is_empty() {
        localizer.render(locale, &Msg::new(m::REWARD_UNSPECIFIED))
    } else {
        rewards
            .iter()
            .map(|r| localizer.render(locale, r))
            .collect::<Vec<_>>()
            .join("; ")
    };
    Msg::new(m::PROMO_ITEM)
        .arg("name", p.name.get(locale))
        .arg("start", date(p.starts_on))
        .arg("end", date(p.ends_on))
        .arg("categories", categories)
        .arg("rewards", rewards)
}

/// One redemption's status in words, with what to do next where there is something.
pub fn redemption_status(
    rec: &RedemptionRecord,
    promotion: Option<&Promotion>,
    product: &ProductRecord,
    locale: Locale,
) -> Vec<Msg> {
    let r = &rec.redemption;
    let name = promotion.map_or_else(|| r.promotion_id.to_string(), |p| p.name.get(locale).to_owned());
    let submitted = date(crate::domain::time::jakarta_date(r.submitted_at));
    let prize = promotion.and_then(|p| p.reward_for(&product.product.category));
    match r.status() {
        Status::UnderReview => vec![
            Msg::new(m::STATUS_UNDER_REVIEW)
                .arg("id", r.id)
                .arg("promotion", name)
                .arg("date", submitted),
        ],
        Status::Rejected => {
            let why = r
                .last_rejection()
                .map_or(m::REASON_INVOICE_UNREADABLE, |(code, _)| reason(*code));
            vec![
                Msg::new(m::STATUS_REJECTED)
                    .arg("id", r.id)
                    .arg("promotion", name)
                    .arg("date", submitted)
                    .arg("reason", why),
                Msg::new(m::STATUS_REJECTED_NEXT),
            ]
        }
        Status::Approved => match prize {
            Some(gift @ Reward::PhysicalGift { .. }) => vec![
                Msg::new(m::STATUS_APPROVED_GIFT)
                    .arg("id", r.id)
                    .arg("promotion", name)
                    .arg("reward", reward(Some(gift), locale)),
            ],
            other => {
                let end = promotion.map_or_else(
                    || date(crate::domain::time::jakarta_date(r.submitted_at)),
                    |p| date(p.ends_on),
                );
                vec![
                    Msg::new(m::STATUS_APPROVED_DIGITAL)
                        .arg("id", r.id)
                        .arg("promotion", name)
                        .arg("reward", reward(other, locale))
                        .arg("end", end),
                ]
            }
        },
        Status::RewardSent => vec![
            Msg::new(m::STATUS_REWARD_SENT)
                .arg("id", r.id)
                .arg("promotion", name)
                .arg("reward", reward(prize, locale)),
        ],
    }
}

/// What a product can still claim, added to `reply`: for each promotion,
/// eligible with its reward, or not with every concrete reason as a list.
pub fn eligibility(
    mut reply: Reply,
    product: &ProductRecord,
    promotions: &[Promotion],
    today: NaiveDate,
    locale: Locale,
) -> Reply {
    let p = &product.product;
    reply = reply.then(Msg::new(m::ELIGIBILITY_HEADER).arg("model", p.model.as_str()));
    for promo in promotions {
        let name = promo.name.get(locale).to_owned();
        match crate::domain::eligibility::check(promo, p, today) {
            Eligibility::Eligible { reward: r } => {
                reply = reply.then(
                    Msg::new(m::ELIGIBILITY_ELIGIBLE)
                        .arg("promotion", name)
                        .arg("reward", reward(r, locale)),
                );
            }
            Eligibility::NotEligible(reasons) => {
                reply = reply.then(Msg::new(m::ELIGIBILITY_NOT).arg("promotion", name));
                for why in &reasons {
                    reply = reply.bullet(ineligibility(why));
                }
            }
        }
    }
    reply
}

fn ineligibility(why: &Ineligibility) -> Msg {
    match why {
        Ineligibility::CategoryNotEligible { category } => {
            Msg::new(m::INELIG_CATEGORY).arg("category", category.as_str())
        }
        Ineligibility::PurchasedOutsidePeriod {
            purchased_on,
            starts_on,
            ends_on,
        } => Msg::new(m::INELIG_PERIOD)
            .arg("purchased", date(*purchased_on))
            .arg("start", date(*starts_on))
            .arg("end", date(*ends_on)),
        Ineligibility::RegionNotEligible { region } => Msg::new(m::INELIG_REGION).arg("region", region.as_str()),
        Ineligibility::StoreNotPartner { store, region } => Msg::new(m::INELIG_STORE)
            .arg("store", store.as_str())
            .arg("region", region.as_str()),
        Ineligibility::ClaimWindowClosed { deadline } => Msg::new(m::INELIG_DEADLINE).arg("deadline", date(*deadline)),
    }
}

/// What the invoice pre-check found missing, as the customer is told it.
pub fn precheck_problem(problem: &crate::domain::invoice::Problem, expected: &crate::domain::invoice::Expected) -> Msg {
    use crate::domain::invoice::Problem;
    match problem {
        Problem::ModelMissing => Msg::new(m::PRECHECK_MODEL_MISSING).arg("model", expected.model.to_owned()),
        Problem::DateOutsidePeriod { date: d } => Msg::new(m::PRECHECK_DATE_OUTSIDE)
            .arg("date", date(*d))
            .arg("from", date(expected.period.0))
            .arg("to", date(expected.period.1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupiah_per_locale() {
        assert_eq!(rupiah(500_000, Locale::Id), "Rp500.000");
        assert_eq!(rupiah(1_250_000, Locale::En), "Rp1,250,000");
        assert_eq!(rupiah(900, Locale::Id), "Rp900");
    }
}
