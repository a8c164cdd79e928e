//! `/broadcast` in a staff channel, whatever the platform: the request checked
//! (promotion, region and category codes, a campaign of it already being
//! sent), the draft prepared and previewed, *Confirm* / *Cancel* settled, and
//! the words staff read. The Telegram and Discord adapters only decide who is
//! in marketing, parse their own command syntax and show the result, so both
//! channels refuse, warn and confirm alike.
//!
//! Staff text is English and lives here, not in `locales/`: customers never
//! see it.

use chrono::Utc;

use super::{BroadcastError, CampaignRecord, CampaignStatus, Draft, Filters, campaign};
use crate::domain::{Channel, Region};
use crate::store::{Db, StoreError};

/// The answer to anyone outside marketing, for the command and the buttons.
pub const NOT_MARKETING: &str = "Only the marketing team can start, confirm or cancel broadcasts, and only in the staff channel or group. Nothing was done.";
/// How the command is written (Telegram's syntax; Discord has options).
pub const USAGE: &str = "Use /broadcast PROMOTION_ID [region=CODE ...] [category=CODE ...], \
     e.g. /broadcast smart-office-2026 region=ID category=AIO";

/// What a preview's button asks: its data is `<prefix>confirm:<id>` or
/// `<prefix>cancel:<id>`, the prefix the adapter's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Press {
    Confirm(i64),
    Cancel(i64),
}

impl Press {
    pub fn parse(data: &str, prefix: &str) -> Option<Press> {
        let (what, id) = data.strip_prefix(prefix)?.split_once(':')?;
        let id = id.parse::<i64>().ok().filter(|id| *id > 0)?;
        match what {
            "confirm" => Some(Press::Confirm(id)),
            "cancel" => Some(Press::Cancel(id)),
            _ => None,
        }
    }

    /// The button data for this press.
    pub fn data(self, prefix: &str) -> String {
        match self {
            Press::Confirm(id) => format!("{prefix}confirm:{id}"),
            Press::Cancel(id) => format!("{prefix}cancel:{id}"),
        }
    }

    pub fn campaign(self) -> i64 {
        match self {
            Press::Confirm(id) | Press::Cancel(id) => id,
        }
    }
}

/// `/broadcast` as typed: a promotion id and codes, not yet checked.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Request {
    pub promotion: String,
    pub regions: Vec<String>,
    pub categories: Vec<String>,
}

/// Why nothing happened, in words for the asker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A mistake in the request, or a state that forbids it (a campaign being
    /// sent, a preview already settled): tell the asker.
    Said(String),
    /// The database failed; it was logged. Try again.
    Failed,
}

impl Refusal {
    pub fn text(&self) -> String {
        match self {
            Refusal::Said(text) => text.clone(),
            Refusal::Failed => "Something went wrong; nothing was done. Try again.".to_owned(),
        }
    }

    /// A press on a preview that can do nothing any more: its buttons should go.
    pub fn is_stale(&self) -> bool {
        matches!(self, Refusal::Said(text) if text.starts_with(STALE))
    }
}

const NOTHING_PREPARED: &str = "Nothing was prepared.";
const STALE: &str = "Nothing was done: ";

fn failed(what: &str) -> impl Fn(StoreError) -> Refusal + '_ {
    move |e| {
        tracing::error!(error = %e, "/broadcast: {what} failed");
        Refusal::Failed
    }
}

/// A request whose promotion and codes hold, ready to prepare.
#[derive(Debug, Clone)]
pub struct Checked {
    pub promotion: String,
    pub filters: Filters,
    /// Earlier campaigns of the promotion that went out: confirming is the
    /// only guard against announcing twice, so the preview names them.
    pub announced: Vec<CampaignRecord>,
}

/// Checks a request against the database without writing anything: quick,
/// so that a platform with a short answer window (Discord's 3 s) can refuse
/// at once and privately.
pub async fn check(db: &Db, request: &Request) -> Result<Checked, Refusal> {
    let promotion = request.promotion.trim().to_owned();
    if promotion.is_empty() {
        return Err(Refusal::Said(format!("Which promotion? {USAGE}")));
    }
    let filters = filters(db, request).await?;
    let (found, earlier) = async {
        let mut tx = db.begin().await?;
        let found = tx.promotion(&promotion).await?;
        let earlier = tx.campaigns(Some(&promotion), 50).await?;
        Ok::<_, StoreError>((found, earlier))
    }
    .await
    .map_err(failed("reading the promotion"))?;
    let Some(found) = found else {
        let e = BroadcastError::UnknownPromotion(promotion);
        return Err(Refusal::Said(format!("{e}. {NOTHING_PREPARED}")));
    };
    if found.claim_deadline < crate::domain::time::jakarta_date(Utc::now()) {
        let e = BroadcastError::PromotionEnded {
            id: promotion,
            deadline: found.claim_deadline,
        };
        return Err(Refusal::Said(format!("{e}. {NOTHING_PREPARED}")));
    }
    if let Some(open) = earlier.iter().find(|c| c.status == CampaignStatus::Sending) {
        return Err(Refusal::Said(format!(
            "Campaign {} of {promotion} is being sent; wait for it to finish. {NOTHING_PREPARED}",
            open.id
        )));
    }
    let announced = earlier
        .into_iter()
        .filter(|c| c.status == CampaignStatus::Done)
        .collect();
    Ok(Checked {
        promotion,
        filters,
        announced,
    })
}

/// What a checked `/broadcast` led to.
#[derive(Debug)]
pub enum Prepared {
    /// A draft to preview (with [`preview`]).
    Draft(Box<Draft>),
    /// Nobody matched and no announcement channel is set: the campaign was
    /// cancelled at once. The text says so.
    Empty(String),
}

/// Prepares the draft of a checked request (`campaign::prepare`), recorded
/// as `by` (e.g. `telegram:mita_mkt`).
pub async fn prepare(
    db: &Db,
    checked: &Checked,
    by: &str,
    announcements: &[(Channel, String)],
) -> Result<Prepared, Refusal> {
    let now = Utc::now();
    let promotion = checked.promotion.as_str();
    let draft = match campaign::prepare(db, promotion, checked.filters.clone(), by, announcements, now).await {
        Ok(draft) => draft,
        Err(BroadcastError::Store(e)) => return Err(failed("preparing the campaign")(e)),
        Err(e) => return Err(Refusal::Said(format!("{e}. {NOTHING_PREPARED}"))),
    };
    let id = draft.campaign.id;
    let audience = draft.audience.total();
    tracing::info!(
        campaign = id,
        promotion,
        audience,
        by,
        "broadcast prepared in a staff channel"
    );
    if audience == 0 {
        if let Err(e) = campaign::cancel(db, id, by, now).await {
            tracing::error!(campaign = id, error = %e, "could not cancel an empty campaign");
        }
        return Ok(Prepared::Empty(format!(
            "Nobody to send to: no subscriber matches, and no announcement channel is set. Campaign {id} cancelled."
        )));
    }
    Ok(Prepared::Draft(Box::new(draft)))
}

/// The request's codes checked: regions by their own rules, categories
/// against the catalog (its codes listed when one is unknown).
async fn filters(db: &Db, request: &Request) -> Result<Filters, Refusal> {
    let mut filters = Filters::default();
    for code in &request.regions {
        let region = Region::parse(code).map_err(|e| Refusal::Said(format!("region: {e}. {NOTHING_PREPARED}")))?;
        if !filters.regions.contains(&region) {
            filters.regions.push(region);
        }
    }
    if request.categories.is_empty() {
        return Ok(filters);
    }
    let catalog = async { db.begin().await?.categories().await }
        .await
        .map_err(failed("reading the categories"))?;
    for code in &request.categories {
        let category = catalog.parse(code).map_err(|e| {
            // Codes with spaces are typed with dashes: PRO-DT.
            let known: Vec<String> = catalog.entries().iter().map(|c| c.code.replace(' ', "-")).collect();
            Refusal::Said(format!(
                "category: {e}; known: {}. {NOTHING_PREPARED}",
                known.join(", ")
            ))
        })?;
        if !filters.categories.contains(&category) {
            filters.categories.push(category);
        }
    }
    Ok(filters)
}

/// "every subscriber", or the regions and categories a campaign is for.
pub fn filters_line(filters: &Filters) -> String {
    if filters.is_empty() {
        return "every subscriber".to_owned();
    }
    let mut parts = Vec::new();
    if !filters.regions.is_empty() {
        let codes: Vec<&str> = filters.regions.iter().map(Region::as_str).collect();
        parts.push(format!("regions {}", codes.join(", ")));
    }
    if !filters.categories.is_empty() {
        let codes: Vec<&str> = filters.categories.iter().map(|c| c.as_str()).collect();
        parts.push(format!("categories {}", codes.join(", ")));
    }
    parts.join(" · ")
}

/// The preview staff confirm: who prepared it, for whom, a warning when the
/// promotion was announced before, both texts and the audience counts.
pub fn preview(draft: &Draft, announced: &[CampaignRecord]) -> String {
    let warning = if announced.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = announced
            .iter()
            .map(|c| format!("campaign {} ({})", c.id, c.status.as_str()))
            .collect();
        format!("\n⚠️ Announced before: {}.", names.join(", "))
    };
    format!(
        "📣 Broadcast draft\nPrepared by {} for {}.{warning}\n\n{}\n\nConfirm sends it to the {} recipient(s) counted \
         above; Cancel drops it. Only the marketing team can press either.",
        draft.campaign.created_by,
        filters_line(&draft.campaign.filters),
        draft.preview().trim_end(),
        draft.audience.total()
    )
}

/// Settles a press by `name` (shown) recorded as `by`: the line that goes
/// under the preview.
pub async fn settle(
    db: &Db,
    press: Press,
    name: &str,
    by: &str,
    announcements: &[(Channel, String)],
) -> Result<String, Refusal> {
    let now = Utc::now();
    let result = match press {
        Press::Confirm(id) => campaign::confirm(db, id, by, announcements, now)
            .await
            .map(|n| format!("✅ Confirmed by {name}: sending campaign {id} to {n} recipient(s).")),
        Press::Cancel(id) => campaign::cancel(db, id, by, now)
            .await
            .map(|()| format!("✖️ Cancelled by {name}: campaign {id} is not sent.")),
    };
    match result {
        Ok(label) => {
            tracing::info!(campaign = press.campaign(), by, "{label}");
            Ok(label)
        }
        Err(BroadcastError::Store(e)) => Err(failed("a broadcast button")(e)),
        Err(e) => Err(Refusal::Said(format!("{STALE}{e}."))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presses_parse_and_round_trip() {
        assert_eq!(
            Press::parse("staff:bc:confirm:12", "staff:bc:"),
            Some(Press::Confirm(12))
        );
        assert_eq!(Press::parse("marketing:cancel:7", "marketing:"), Some(Press::Cancel(7)));
        for bad in [
            "marketing:confirm:x",
            "marketing:confirm:0",
            "marketing:send:1",
            "staff:bc:confirm:1",
        ] {
            assert_eq!(Press::parse(bad, "marketing:"), None, "{bad}");
        }
        for press in [Press::Confirm(3), Press::Cancel(9)] {
            assert_eq!(Press::parse(&press.data("p:"), "p:"), Some(press));
        }
    }

    #[test]
    fn stale_refusals_are_told_apart() {
        assert!(Refusal::Said(format!("{STALE}campaign 3 is done, not draft.")).is_stale());
        assert!(!Refusal::Said("region: bad.".into()).is_stale());
        assert!(!Refusal::Failed.is_stale());
    }
}
