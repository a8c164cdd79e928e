//! Creating a campaign: the announcement rendered in both languages from the
//! promotion, the audience counted (the preview), then confirmed: one
//! recipient row per subscriber, written in the same transaction that turns
//! the campaign `sending`.

use serde::Serialize;

use super::{CampaignRecord, CampaignStatus, RecipientStatus};
use crate::domain::{Category, Channel, Locale, Promotion, Region, Timestamp};
use crate::i18n::{Localizer, Msg, messages as m};
use crate::store::{Db, StoreError};

/// Who a campaign is for, beyond "every subscriber". A chat user's regions and
/// categories are those of the products they proved they own and of the
/// member accounts they linked; a user we know nothing about is left out of a
/// filtered campaign (the dry run shows them as region `unknown`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Filters {
    #[serde(serialize_with = "as_strings")]
    pub regions: Vec<Region>,
    #[serde(serialize_with = "as_strings")]
    pub categories: Vec<Category>,
}

fn as_strings<S: serde::Serializer, T: std::fmt::Display>(values: &[T], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(values.iter().map(|v| v.to_string()))
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.regions.is_empty() && self.categories.is_empty()
    }
}

/// One line of the audience count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AudienceRow {
    pub channel: Channel,
    pub kind: super::RecipientKind,
    pub locale: Locale,
    /// The user's first known region, or `unknown`.
    pub region: String,
    pub count: i64,
}

/// The audience of a campaign, counted by channel, language and region.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Audience {
    pub rows: Vec<AudienceRow>,
}

impl Audience {
    pub fn total(&self) -> i64 {
        self.rows.iter().map(|r| r.count).sum()
    }

    /// Counts summed by a key (channel, language or region).
    pub fn by<K: Ord + Clone>(&self, key: impl Fn(&AudienceRow) -> K) -> Vec<(K, i64)> {
        let mut sums = std::collections::BTreeMap::new();
        for row in &self.rows {
            *sums.entry(key(row)).or_insert(0) += row.count;
        }
        sums.into_iter().collect()
    }

    /// "telegram 1,200 (id 900, en 300); discord 40 …" lines for people.
    pub fn describe(&self) -> String {
        let mut out = format!("Audience: {} recipient(s)\n", self.total());
        for (channel, n) in self.by(|r| r.channel.as_str()) {
            out.push_str(&format!("  {channel}: {n}\n"));
        }
        for (locale, n) in self.by(|r| r.locale.as_str()) {
            out.push_str(&format!("  language {locale}: {n}\n"));
        }
        for (region, n) in self.by(|r| r.region.clone()) {
            out.push_str(&format!("  region {region}: {n}\n"));
        }
        out
    }
}

/// A prepared, unconfirmed campaign: what will be sent, and to whom.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Draft {
    pub campaign: CampaignRecord,
    pub audience: Audience,
}

impl Draft {
    /// The preview a person confirms: both texts and the audience.
    pub fn preview(&self) -> String {
        format!(
            "Campaign {} for promotion {}\n\n--- Bahasa Indonesia ---\n{}\n\n--- English ---\n{}\n\n{}",
            self.campaign.id,
            self.campaign.promotion_id,
            self.campaign.text_id,
            self.campaign.text_en,
            self.audience.describe()
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BroadcastError {
    #[error("promotion {0:?} does not exist")]
    UnknownPromotion(String),
    #[error("promotion {id} ended: claims closed on {deadline}; there is nothing to announce")]
    PromotionEnded { id: String, deadline: chrono::NaiveDate },
    #[error("campaign {0} does not exist")]
    UnknownCampaign(i64),
    #[error("campaign {id} is {status}, not {expected}")]
    WrongStatus {
        id: i64,
        status: &'static str,
        expected: &'static str,
    },
    #[error("campaign {id} is being sent by {runner} (its claim holds until {until})")]
    Busy { id: i64, runner: String, until: Timestamp },
    #[error("campaign {0}: another process took it over")]
    LeaseLost(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The announcement of `p` in `locale`, from Fluent.
pub fn render(p: &Promotion, locale: Locale) -> String {
    use crate::assistant::words;
    let localizer = Localizer::builtin();
    let categories = p.categories.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ");
    let rewards = if p.rewards.is_empty() {
        localizer.render(locale, &Msg::new(m::REWARD_UNSPECIFIED))
    } else {
        p.rewards
            .iter()
            .map(|(category, r)| {
                let msg = Msg::new(m::REWARD_FOR_CATEGORY)
                    .arg("category", category.as_str())
                    .arg("reward", words::reward(Some(r), locale));
                localizer.render(locale, &msg)
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let msg = Msg::new(m::BROADCAST_ANNOUNCEMENT)
        .arg("name", p.name.get(locale))
        .arg("description", p.description.get(locale))
        .arg("start", words::date(p.starts_on))
        .arg("end", words::date(p.ends_on))
        .arg("deadline", words::date(p.claim_deadline))
        .arg("categories", categories)
        .arg("rewards", rewards);
    localizer.render(locale, &msg)
}

/// Renders the announcement, counts the audience and stores a draft.
pub async fn prepare(
    db: &Db,
    promotion_id: &str,
    filters: Filters,
    by: &str,
    announcements: &[(Channel, String)],
    now: Timestamp,
) -> Result<Draft, BroadcastError> {
    let mut tx = db.begin_write().await?;
    let promotion = tx
        .promotion(promotion_id)
        .await?
        .ok_or_else(|| BroadcastError::UnknownPromotion(promotion_id.to_owned()))?;
    let today = crate::domain::time::jakarta_date(now);
    if promotion.claim_deadline < today {
        return Err(BroadcastError::PromotionEnded {
            id: promotion_id.to_owned(),
            deadline: promotion.claim_deadline,
        });
    }
    let record = CampaignRecord {
        id: 0,
        promotion_id: promotion.id.to_string(),
        status: CampaignStatus::Draft,
        filters,
        text_id: render(&promotion, Locale::Id),
        text_en: render(&promotion, Locale::En),
        created_by: by.to_owned(),
        created_at: now,
        confirmed_by: None,
        confirmed_at: None,
        finished_at: None,
    };
    let id = tx.insert_campaign(&record).await?;
    let audience = audience_of(&mut tx, &record.filters, announcements).await?;
    tx.commit().await?;
    Ok(Draft {
        campaign: CampaignRecord { id, ..record },
        audience,
    })
}

/// The audience `filters` select today, with the announcement posts.
pub async fn audience(db: &Db, filters: &Filters, announcements: &[(Channel, String)]) -> Result<Audience, StoreError> {
    let mut tx = db.begin().await?;
    audience_of(&mut tx, filters, announcements).await
}

async fn audience_of(
    tx: &mut crate::store::Tx,
    filters: &Filters,
    announcements: &[(Channel, String)],
) -> Result<Audience, StoreError> {
    let mut rows = tx.audience_counts(filters).await?;
    for (channel, _) in announcements {
        rows.push(AudienceRow {
            channel: *channel,
            kind: super::RecipientKind::Announcement,
            locale: Locale::Id,
            region: "announcement channel".to_owned(),
            count: 1,
        });
    }
    Ok(Audience { rows })
}

/// Confirms a draft: writes its recipients (the subscribers its filters select
/// now, and a post in each announcement channel) and turns it `sending`. The
/// number of recipients written.
pub async fn confirm(
    db: &Db,
    id: i64,
    by: &str,
    announcements: &[(Channel, String)],
    now: Timestamp,
) -> Result<i64, BroadcastError> {
    let mut tx = db.begin_write().await?;
    let campaign = tx.campaign(id).await?.ok_or(BroadcastError::UnknownCampaign(id))?;
    if campaign.status != CampaignStatus::Draft {
        return Err(BroadcastError::WrongStatus {
            id,
            status: campaign.status.as_str(),
            expected: CampaignStatus::Draft.as_str(),
        });
    }
    let mut written = tx.insert_campaign_audience(id, &campaign.filters, now).await?;
    for (channel, target) in announcements {
        written += tx.insert_announcement_recipient(id, *channel, target, now).await?;
    }
    tx.start_campaign(id, by, now).await?;
    tx.commit().await?;
    tracing::info!(campaign = id, recipients = written, by, "broadcast confirmed");
    Ok(written)
}

/// Stops a draft or a campaign being sent: nothing more is sent (what is in
/// flight finishes).
pub async fn cancel(db: &Db, id: i64, by: &str, now: Timestamp) -> Result<(), BroadcastError> {
    let mut tx = db.begin_write().await?;
    let campaign = tx.campaign(id).await?.ok_or(BroadcastError::UnknownCampaign(id))?;
    if !matches!(campaign.status, CampaignStatus::Draft | CampaignStatus::Sending) {
        return Err(BroadcastError::WrongStatus {
            id,
            status: campaign.status.as_str(),
            expected: "draft or sending",
        });
    }
    tx.finish_campaign(id, CampaignStatus::Cancelled, now).await?;
    tx.commit().await?;
    tracing::info!(campaign = id, by, "broadcast cancelled");
    Ok(())
}

/// Recipients of a campaign by status.
pub async fn counts(db: &Db, id: i64) -> Result<Vec<(RecipientStatus, i64)>, StoreError> {
    let mut tx = db.begin().await?;
    tx.campaign_counts(id).await
}
