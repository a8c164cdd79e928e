//! Pure reading of an import document into domain values. No database here: the
//! category catalog is passed in.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::ImportError;
use crate::domain::{
    Actor, CategoryCatalog, CategoryInfo, Change, ChkCode, EmailAddress, Event, EventKind, Locale, LocalizedText,
    Member, PartnerStore, Product, Promotion, PromotionId, PurchaseChannel, Recipient, Redemption, Region,
    RejectionReason, Reward, RewardKind, SerialNumber, Status,
};

/// A whole import file, checked in itself.
#[derive(Debug, Clone, Default)]
pub struct ImportSet {
    pub categories: Vec<CategoryInfo>,
    pub promotions: Vec<Promotion>,
    pub members: Vec<Member>,
    pub products: Vec<Product>,
    pub redemptions: Vec<ImportedRedemption>,
}

/// An attachment known only by its description (the file stays in the source system).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedAttachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: i64,
    pub sha256: String,
}

#[derive(Debug, Clone)]
pub struct ImportedRedemption {
    /// Where the record sits in the file, for error messages.
    pub label: String,
    pub redemption: Redemption,
    /// The whole history, submission first. Resubmissions carry placeholder
    /// attachment ids, replaced by real ones when written.
    pub history: Vec<Event>,
    /// For each resubmission in `history` (in order), its attachments.
    pub attachments: Vec<Vec<ImportedAttachment>>,
    pub recipient: Option<Recipient>,
}

/// One JSON object with the path that leads to it, so every error can name
/// the record and the field.
struct Obj<'a> {
    label: String,
    map: &'a Map<String, Value>,
}

impl<'a> Obj<'a> {
    fn new(label: String, value: &'a Value) -> Result<Self, ImportError> {
        match value {
            Value::Object(map) => Ok(Self { label, map }),
            _ => Err(ImportError::invalid(label, "(record)", "must be a JSON object")),
        }
    }

    fn err(&self, field: &str, message: impl ToString) -> ImportError {
        ImportError::invalid(self.label.clone(), field, message)
    }

    fn opt(&self, field: &str) -> Option<&'a Value> {
        self.map.get(field).filter(|v| !v.is_null())
    }

    fn opt_str(&self, field: &str) -> Result<Option<&'a str>, ImportError> {
        match self.opt(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(self.err(field, "must be a string")),
        }
    }

    fn str(&self, field: &str) -> Result<&'a str, ImportError> {
        match self.opt_str(field)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            Some(_) => Err(self.err(field, "must not be empty")),
            None => Err(self.err(field, "is missing")),
        }
    }

    fn int(&self, field: &str) -> Result<i64, ImportError> {
        match self.opt(field) {
            Some(v) => v.as_i64().ok_or_else(|| self.err(field, "must be a whole number")),
            None => Err(self.err(field, "is missing")),
        }
    }

    fn positive_id(&self, field: &str) -> Result<i64, ImportError> {
        let id = self.int(field)?;
        if id <= 0 {
            return Err(self.err(field, "must be a positive number"));
        }
        Ok(id)
    }

    fn date(&self, field: &str) -> Result<NaiveDate, ImportError> {
        let s = self.str(field)?;
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| self.err(field, format!("{s:?} is not a real date in the form YYYY-MM-DD")))
    }

    fn time(&self, field: &str) -> Result<DateTime<Utc>, ImportError> {
        let s = self.str(field)?;
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                self.err(
                    field,
                    format!("{s:?} is not an RFC 3339 time such as 2026-04-20T10:00:00+07:00"),
                )
            })
    }

    fn array(&self, field: &str) -> Result<&'a [Value], ImportError> {
        match self.opt(field) {
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(self.err(field, "must be a list")),
            None => Err(self.err(field, "is missing")),
        }
    }

    fn opt_array(&self, field: &str) -> Result<&'a [Value], ImportError> {
        match self.opt(field) {
            None => Ok(&[]),
            Some(_) => self.array(field),
        }
    }

    fn strings(&self, field: &str) -> Result<Vec<&'a str>, ImportError> {
        self.array(field)?
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str()
                    .ok_or_else(|| self.err(&format!("{field}[{i}]"), "must be a string"))
            })
            .collect()
    }

    fn localized(&self, field: &str, required: bool) -> Result<LocalizedText, ImportError> {
        match self.opt(field) {
            None if !required => Ok(LocalizedText::default()),
            None => Err(self.err(field, "is missing")),
            Some(v) => {
                let inner = Obj::new(format!("{}.{field}", self.label), v)?;
                let get = |lang: &str| -> Result<String, ImportError> {
                    if required {
                        inner.str(lang).map(str::to_owned)
                    } else {
                        Ok(inner.opt_str(lang)?.unwrap_or("").to_owned())
                    }
                };
                Ok(LocalizedText {
                    id: get("id")?,
                    en: get("en")?,
                })
            }
        }
    }
}

fn section<'a>(root: &Obj<'a>, name: &str) -> Result<&'a [Value], ImportError> {
    root.opt_array(name)
}

/// Reads and checks a whole document. `catalog` is the database's category
/// catalog; categories listed in the file are added to it.
pub fn parse(doc: &Value, catalog: &CategoryCatalog) -> Result<ImportSet, ImportError> {
    let root = Obj::new("file".into(), doc)?;
    let mut set = ImportSet::default();

    for (i, v) in section(&root, "categories")?.iter().enumerate() {
        let o = Obj::new(format!("categories[{i}]"), v)?;
        let code = o.str("code")?.trim().to_owned();
        let name = o.localized("name", true)?;
        set.categories.push(CategoryInfo {
            code,
            name_id: name.id,
            name_en: name.en,
        });
    }
    let mut entries = catalog.entries().to_vec();
    for c in &set.categories {
        match entries.iter_mut().find(|e| e.code == c.code) {
            Some(e) => *e = c.clone(),
            None => entries.push(c.clone()),
        }
    }
    let catalog = CategoryCatalog::new(entries);

    let mut promo_ids = HashSet::new();
    for (i, v) in section(&root, "promotions")?.iter().enumerate() {
        let p = parse_promotion(Obj::new(format!("promotions[{i}]"), v)?, &catalog)?;
        if !promo_ids.insert(p.id.clone()) {
            return Err(ImportError::invalid(
                format!("promotions[{i}]"),
                "id",
                format!("{} appears twice", p.id),
            ));
        }
        set.promotions.push(p);
    }

    let mut member_ids = HashSet::new();
    let mut emails = HashMap::new();
    for (i, v) in section(&root, "members")?.iter().enumerate() {
        let o = Obj::new(format!("members[{i}]"), v)?;
        let m = parse_member(&o)?;
        if !member_ids.insert(m.id) {
            return Err(o.err("id", format!("member {} appears twice", m.id)));
        }
        if let Some(other) = emails.insert(m.email.lookup_key(), m.id) {
            return Err(o.err("email", format!("{} is already the address of member {other}", m.email)));
        }
        set.members.push(m);
    }

    let mut serial_keys: HashMap<String, String> = HashMap::new();
    for (i, v) in section(&root, "products")?.iter().enumerate() {
        let o = Obj::new(format!("products[{i}]"), v)?;
        let p = parse_product(&o, &catalog)?;
        if let Some(earlier) = serial_keys.insert(p.serial.match_key(), p.serial.to_string()) {
            let message = if earlier == p.serial.as_str() {
                format!("duplicate serial {}", p.serial)
            } else {
                format!(
                    "serial {} differs from {earlier} only by look-alike characters (0/O, 1/I/l)",
                    p.serial
                )
            };
            return Err(o.err("serial", message));
        }
        set.products.push(p);
    }

    let mut redemption_ids = HashSet::new();
    let mut claims = HashSet::new();
    for (i, v) in section(&root, "redemptions")?.iter().enumerate() {
        let o = Obj::new(format!("redemptions[{i}]"), v)?;
        let r = parse_redemption(&o)?;
        if !redemption_ids.insert(r.redemption.id) {
            return Err(o.err("id", format!("redemption {} appears twice", r.redemption.id)));
        }
        if !claims.insert((r.redemption.serial.match_key(), r.redemption.promotion_id.clone())) {
            return Err(o.err(
                "serial",
                format!(
                    "a second claim of {} for {} (duplicate claim)",
                    r.redemption.serial, r.redemption.promotion_id
                ),
            ));
        }
        set.redemptions.push(r);
    }
    Ok(set)
}

fn parse_promotion(o: Obj<'_>, catalog: &CategoryCatalog) -> Result<Promotion, ImportError> {
    let id = PromotionId::parse(o.str("id")?).map_err(|e| o.err("id", e))?;
    let o = Obj {
        label: format!("{} ({id})", o.label),
        map: o.map,
    };
    let category = |field: &str, code: &str| catalog.parse(code).map_err(|e| o.err(field, e));
    let categories = o
        .strings("categories")?
        .into_iter()
        .enumerate()
        .map(|(i, c)| category(&format!("categories[{i}]"), c))
        .collect::<Result<Vec<_>, _>>()?;
    let regions = o
        .strings("regions")?
        .into_iter()
        .enumerate()
        .map(|(i, r)| Region::parse(r).map_err(|e| o.err(&format!("regions[{i}]"), e)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut rewards = Vec::new();
    for (i, v) in o.opt_array("rewards")?.iter().enumerate() {
        let r = Obj::new(format!("{}.rewards[{i}]", o.label), v)?;
        let cat = catalog.parse(r.str("category")?).map_err(|e| r.err("category", e))?;
        let kind = r.str("kind")?;
        let reward = match RewardKind::parse(kind) {
            Some(RewardKind::DigitalCode) => {
                let amount = r.int("amount_idr")?;
                if amount <= 0 {
                    return Err(r.err("amount_idr", "must be above zero"));
                }
                Reward::DigitalCode {
                    amount_idr: amount as u64,
                }
            }
            Some(RewardKind::PhysicalGift) => Reward::PhysicalGift {
                gift: r.localized("gift", true)?,
            },
            None => {
                return Err(r.err("kind", format!("{kind:?} is not digital_code or physical_gift")));
            }
        };
        rewards.push((cat, reward));
    }
    let mut partner_stores = Vec::new();
    for (i, v) in o.opt_array("partner_stores")?.iter().enumerate() {
        let s = Obj::new(format!("{}.partner_stores[{i}]", o.label), v)?;
        partner_stores.push(PartnerStore {
            region: Region::parse(s.str("region")?).map_err(|e| s.err("region", e))?,
            store: s.str("store")?.trim().to_owned(),
        });
    }
    let starts_on = o.date("starts_on")?;
    let ends_on = o.date("ends_on")?;
    let claim_deadline = if o.opt("claim_deadline").is_some() {
        o.date("claim_deadline")?
    } else {
        ends_on
    };
    let promotion = Promotion {
        id,
        name: o.localized("name", true)?,
        description: o.localized("description", false)?,
        starts_on,
        ends_on,
        claim_deadline,
        categories,
        regions,
        rewards,
        partner_stores,
    };
    promotion.validate().map_err(|e| {
        use crate::domain::promotion::PromotionError as E;
        let field = match &e {
            E::BadId(_) => "id",
            E::PeriodReversed { .. } => "ends_on",
            E::DeadlineBeforeStart { .. } => "claim_deadline",
            E::NoCategories => "categories",
            E::NoRegions => "regions",
            E::RewardOutsideCategories(_) | E::DuplicateReward(_) | E::ZeroAmount => "rewards",
        };
        o.err(field, e)
    })?;
    Ok(promotion)
}

fn parse_member(o: &Obj<'_>) -> Result<Member, ImportError> {
    let id = o.positive_id("id")?;
    let o = Obj {
        label: format!("{} (id {id})", o.label),
        map: o.map,
    };
    Ok(Member {
        id,
        email: EmailAddress::parse(o.str("email")?).map_err(|e| o.err("email", e))?,
        name: o.str("name")?.trim().to_owned(),
        locale: match o.opt_str("locale")? {
            Some(l) => Locale::parse(l).map_err(|e| o.err("locale", e))?,
            None => Locale::default(),
        },
        region: Region::parse(o.str("region")?).map_err(|e| o.err("region", e))?,
        phone: o
            .opt_str("phone")?
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty()),
    })
}

fn parse_product(o: &Obj<'_>, catalog: &CategoryCatalog) -> Result<Product, ImportError> {
    let serial = SerialNumber::parse(o.str("serial")?).map_err(|e| o.err("serial", e))?;
    let o = Obj {
        label: format!("{} (serial {serial})", o.label),
        map: o.map,
    };
    let channel = o.str("channel")?;
    Ok(Product {
        serial,
        chk: ChkCode::parse(o.str("chk")?).map_err(|e| o.err("chk", e))?,
        member_id: o.positive_id("member_id")?,
        category: catalog.parse(o.str("category")?).map_err(|e| o.err("category", e))?,
        model: o.str("model")?.trim().to_owned(),
        purchased_on: o.date("purchased_on")?,
        region: Region::parse(o.str("region")?).map_err(|e| o.err("region", e))?,
        store: o.str("store")?.trim().to_owned(),
        channel: PurchaseChannel::parse(channel)
            .ok_or_else(|| o.err("channel", format!("{channel:?} is not retail, online or reseller")))?,
    })
}

fn parse_redemption(o: &Obj<'_>) -> Result<ImportedRedemption, ImportError> {
    let id = o.positive_id("id")?;
    let o = Obj {
        label: format!("{} (id {id})", o.label),
        map: o.map,
    };
    let serial = SerialNumber::parse(o.str("serial")?).map_err(|e| o.err("serial", e))?;
    let promotion_id = PromotionId::parse(o.str("promotion_id")?).map_err(|e| o.err("promotion_id", e))?;
    let submitted_at = o.time("submitted_at")?;
    let status_text = o.str("status")?;
    let status = Status::parse(status_text).ok_or_else(|| {
        o.err(
            "status",
            format!("{status_text:?} is not under_review, rejected, approved or reward_sent"),
        )
    })?;
    let reason = o
        .opt_str("reason")?
        .map(|r| RejectionReason::parse(r).map_err(|e| o.err("reason", e)))
        .transpose()?;
    let note = o.opt_str("note")?.map(str::to_owned);

    let mut history = vec![Event {
        at: submitted_at,
        actor: Actor::Customer,
        change: Change::Submitted,
    }];
    let mut attachments = Vec::new();
    if o.opt("history").is_some() {
        let mut placeholder = 0;
        for (i, v) in o.array("history")?.iter().enumerate() {
            let e = Obj::new(format!("{}.history[{i}]", o.label), v)?;
            let (event, files) = parse_event(&e, &mut placeholder)?;
            if let Some(files) = files {
                attachments.push(files);
            }
            history.push(event);
        }
    } else {
        // No history given: derive the shortest one that reaches the status.
        let at = if o.opt("decided_at").is_some() {
            o.time("decided_at")?
        } else {
            submitted_at
        };
        let ev = |change| Event {
            at,
            actor: Actor::Import,
            change,
        };
        match status {
            Status::UnderReview => {}
            Status::Rejected => {
                let reason = reason.ok_or_else(|| o.err("reason", "is required for a rejected redemption"))?;
                history.push(ev(Change::Rejected {
                    reason,
                    note: note.clone(),
                }));
            }
            Status::Approved => history.push(ev(Change::Approved { note: note.clone() })),
            Status::RewardSent => {
                history.push(ev(Change::Approved { note: None }));
                history.push(ev(Change::RewardSent { note: note.clone() }));
            }
        }
    }
    let redemption = Redemption::replay(id, serial, promotion_id, &history).map_err(|e| o.err("history", e))?;
    if redemption.status() != status {
        return Err(o.err(
            "status",
            format!("is {status} but the history ends in {}", redemption.status()),
        ));
    }
    if let (Some(given), Some((last, _))) = (reason, redemption.last_rejection())
        && given != *last
    {
        return Err(o.err(
            "reason",
            format!("is {given} but the history's last rejection is {last}"),
        ));
    }
    let recipient = match o.opt("recipient") {
        None => None,
        Some(v) => {
            let r = Obj::new(format!("{}.recipient", o.label), v)?;
            let recipient = Recipient {
                name: r.str("name")?.trim().to_owned(),
                address: r.str("address")?.trim().to_owned(),
                zip_code: r.str("zip_code")?.trim().to_owned(),
                phone: r.str("phone")?.trim().to_owned(),
            };
            recipient.validate().map_err(|e| r.err("(recipient)", e))?;
            Some(recipient)
        }
    };
    Ok(ImportedRedemption {
        label: o.label.clone(),
        redemption,
        history,
        attachments,
        recipient,
    })
}

fn parse_event(e: &Obj<'_>, placeholder: &mut i64) -> Result<(Event, Option<Vec<ImportedAttachment>>), ImportError> {
    let at = e.time("at")?;
    let actor = match e.opt_str("actor")? {
        None => Actor::Import,
        Some(a) => Actor::parse(a)
            .ok_or_else(|| e.err("actor", format!("{a:?} is not customer, system, import or staff:NAME")))?,
    };
    let note = e.opt_str("note")?.map(str::to_owned);
    let kind_text = e.str("kind")?;
    let kind =
        EventKind::parse(kind_text).ok_or_else(|| e.err("kind", format!("{kind_text:?} is not an event kind")))?;
    let mut files = None;
    let change = match kind {
        EventKind::Submitted => {
            return Err(e.err("kind", "the submission is given by submitted_at, not in history"));
        }
        EventKind::Rejected => Change::Rejected {
            reason: RejectionReason::parse(e.str("reason")?).map_err(|err| e.err("reason", err))?,
            note,
        },
        EventKind::Resubmitted => {
            let mut list = Vec::new();
            let mut ids = Vec::new();
            for (i, v) in e.array("attachments")?.iter().enumerate() {
                let a = Obj::new(format!("{}.attachments[{i}]", e.label), v)?;
                let bytes = a.int("bytes")?;
                if bytes < 0 {
                    return Err(a.err("bytes", "must not be negative"));
                }
                let sha256 = a.str("sha256")?.to_ascii_lowercase();
                if sha256.len() != 64 || !sha256.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(a.err("sha256", "must be 64 hexadecimal characters"));
                }
                list.push(ImportedAttachment {
                    filename: a.str("filename")?.to_owned(),
                    content_type: a.str("content_type")?.to_owned(),
                    bytes,
                    sha256,
                });
                *placeholder += 1;
                ids.push(*placeholder);
            }
            files = Some(list);
            Change::Resubmitted { attachment_ids: ids }
        }
        EventKind::Approved => Change::Approved { note },
        EventKind::RewardSent => Change::RewardSent { note },
    };
    Ok((Event { at, actor, change }, files))
}
