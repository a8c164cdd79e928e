//! Repository functions, written once and compiled for each backend: the parent
//! module defines `DB` (the sqlx database type) and `BACKEND`. Placeholders are
//! `$n`, which both SQLite and PostgreSQL accept. Keep SQL portable; where the
//! dialects differ, branch on `BACKEND`.

use chrono::NaiveDate;
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Row};

use super::super::records::{
    AttachmentRecord, AttachmentSource, ChatUpload, ChatUserRecord, EmailLogRecord, FailedChecks, NewAttachment,
    NewInboundMail, ProductRecord, RedemptionRecord,
};
use super::super::{Backend, Result, StoreError};
use super::{BACKEND, DB};
use crate::domain::{
    Actor, Category, CategoryCatalog, CategoryInfo, Change, Channel, ChkCode, EmailAddress, Event, EventKind, Locale,
    LocalizedText, Member, MemberId, PartnerStore, Product, ProductId, Promotion, PromotionId, PurchaseChannel,
    Recipient, Redemption, RedemptionId, Region, RejectionReason, Reward, RewardKind, SerialNumber, Status, Timestamp,
};
use crate::jobs::{ClaimedJob, JobKind, JobRecord, JobStatus, NewJob};
use crate::mail::{EmailKind, OutgoingEmail};

type Conn = <DB as sqlx::Database>::Connection;
type DbRow = <DB as sqlx::Database>::Row;

fn corrupt(table: &'static str, column: &'static str, value: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        table,
        column,
        value: value.into(),
    }
}

// ---- categories -------------------------------------------------------------

pub async fn load_categories(c: &mut Conn) -> Result<CategoryCatalog> {
    let rows = sqlx::query("SELECT code, name_id, name_en FROM categories ORDER BY code")
        .fetch_all(&mut *c)
        .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for r in rows {
        entries.push(CategoryInfo {
            code: r.try_get("code")?,
            name_id: r.try_get("name_id")?,
            name_en: r.try_get("name_en")?,
        });
    }
    Ok(CategoryCatalog::new(entries))
}

pub async fn upsert_category(c: &mut Conn, info: &CategoryInfo) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO categories (code, name_id, name_en) VALUES ($1, $2, $3)
         ON CONFLICT (code) DO UPDATE SET name_id = excluded.name_id, name_en = excluded.name_en
         WHERE categories.name_id IS DISTINCT FROM excluded.name_id
            OR categories.name_en IS DISTINCT FROM excluded.name_en",
    )
    .bind(&info.code)
    .bind(&info.name_id)
    .bind(&info.name_en)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() > 0)
}

fn category(catalog: &CategoryCatalog, table: &'static str, code: &str) -> Result<Category> {
    catalog.parse(code).map_err(|_| corrupt(table, "category", code))
}

fn region(table: &'static str, code: &str) -> Result<Region> {
    Region::parse(code).map_err(|_| corrupt(table, "region", code))
}

// ---- promotions -------------------------------------------------------------

/// A promotion with its four lists, as rows of one query: the promotion's
/// columns on every row, and one part (a category, region, reward or partner
/// store) per row, or none. A status look-up loads a promotion per claim, so
/// this is one round trip rather than one per table. Categories come joined
/// with the `categories` table, so each is parsed against the catalog entries
/// it names without loading the whole catalog. The NULLs are cast: PostgreSQL
/// types a UNION's columns from its first branch.
fn promotion_sql(one: bool) -> String {
    let filter = if one { "WHERE promotion_id = $1" } else { "" };
    let outer = if one {
        "WHERE p.id = $1"
    } else {
        "ORDER BY p.starts_on DESC, p.id"
    };
    format!(
        "SELECT p.id, p.name_id, p.name_en, p.description_id, p.description_en, p.starts_on, p.ends_on,
                p.claim_deadline, x.part, x.a, x.b, x.kind, x.amount_idr, x.gift_id, x.gift_en,
                x.category_id, x.category_en
         FROM promotions p
         LEFT JOIN (
             SELECT promotion_id AS pid, 'category' AS part, k.code AS a, CAST(NULL AS TEXT) AS b,
                    CAST(NULL AS TEXT) AS kind, CAST(NULL AS BIGINT) AS amount_idr, CAST(NULL AS TEXT) AS gift_id,
                    CAST(NULL AS TEXT) AS gift_en, k.name_id AS category_id, k.name_en AS category_en
             FROM promotion_categories JOIN categories k ON k.code = category {filter}
             UNION ALL
             SELECT promotion_id, 'region', region, NULL, NULL, NULL, NULL, NULL, NULL, NULL
             FROM promotion_regions {filter}
             UNION ALL
             SELECT promotion_id, 'reward', k.code, NULL, kind, amount_idr, gift_id, gift_en, k.name_id, k.name_en
             FROM promotion_rewards JOIN categories k ON k.code = category {filter}
             UNION ALL
             SELECT promotion_id, 'store', region, store, NULL, NULL, NULL, NULL, NULL, NULL
             FROM partner_stores {filter}
         ) x ON x.pid = p.id
         {outer}"
    )
}

static ONE_PROMOTION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| promotion_sql(true));
static ALL_PROMOTIONS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| promotion_sql(false));

pub async fn load_promotion(c: &mut Conn, id: &str) -> Result<Option<Promotion>> {
    let rows = sqlx::query(ONE_PROMOTION.as_str()).bind(id).fetch_all(&mut *c).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(promotion_from(&rows)?))
}

pub async fn list_promotions(c: &mut Conn) -> Result<Vec<Promotion>> {
    let rows = sqlx::query(ALL_PROMOTIONS.as_str()).fetch_all(&mut *c).await?;
    // Rows of one promotion are adjacent: the order is by promotion.
    let mut out = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let id: String = rows[start].try_get("id")?;
        let mut end = start + 1;
        while end < rows.len() && rows[end].try_get::<String, _>("id")? == id {
            end += 1;
        }
        out.push(promotion_from(&rows[start..end])?);
        start = end;
    }
    Ok(out)
}

/// One promotion from its rows of [`promotion_sql`] (at least one).
fn promotion_from(rows: &[DbRow]) -> Result<Promotion> {
    let row = &rows[0];
    let id: String = row.try_get("id")?;
    // The categories this promotion names, as the JOIN found them.
    let mut known = Vec::new();
    for r in rows {
        if let (Some(code), Some(name_id), Some(name_en)) = (
            r.try_get::<Option<String>, _>("a")?,
            r.try_get::<Option<String>, _>("category_id")?,
            r.try_get::<Option<String>, _>("category_en")?,
        ) {
            known.push(CategoryInfo { code, name_id, name_en });
        }
    }
    let catalog = CategoryCatalog::new(known);
    let (mut categories, mut regions, mut rewards, mut partner_stores) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in rows {
        // A promotion without any part still has its one row, with no part.
        let Some(part) = r.try_get::<Option<String>, _>("part")? else {
            continue;
        };
        let a: String = r.try_get::<Option<String>, _>("a")?.unwrap_or_default();
        match part.as_str() {
            "category" => categories.push(category(&catalog, "promotion_categories", &a)?),
            "region" => regions.push(region("promotion_regions", &a)?),
            "reward" => {
                let kind: String = r.try_get::<Option<String>, _>("kind")?.unwrap_or_default();
                let reward = match RewardKind::parse(&kind) {
                    Some(RewardKind::DigitalCode) => {
                        let amount: Option<i64> = r.try_get("amount_idr")?;
                        let amount = amount
                            .and_then(|a| u64::try_from(a).ok())
                            .ok_or_else(|| corrupt("promotion_rewards", "amount_idr", format!("{amount:?}")))?;
                        Reward::DigitalCode { amount_idr: amount }
                    }
                    Some(RewardKind::PhysicalGift) => Reward::PhysicalGift {
                        gift: LocalizedText {
                            id: r.try_get::<Option<String>, _>("gift_id")?.unwrap_or_default(),
                            en: r.try_get::<Option<String>, _>("gift_en")?.unwrap_or_default(),
                        },
                    },
                    None => return Err(corrupt("promotion_rewards", "kind", kind)),
                };
                rewards.push((category(&catalog, "promotion_rewards", &a)?, reward));
            }
            "store" => partner_stores.push(PartnerStore {
                region: region("partner_stores", &a)?,
                store: r.try_get::<Option<String>, _>("b")?.unwrap_or_default(),
            }),
            other => return Err(corrupt("promotions", "part", other)),
        }
    }
    // Put in order here, not by ORDER BY: PostgreSQL sorts text by the
    // database's collation (often linguistic: `bhinneka` before `Enter`),
    // while `save_promotion` compares with `canonical`, which sorts by code point.
    Ok(canonical(&Promotion {
        id: PromotionId::parse(&id).map_err(|_| corrupt("promotions", "id", id.clone()))?,
        name: LocalizedText {
            id: row.try_get("name_id")?,
            en: row.try_get("name_en")?,
        },
        description: LocalizedText {
            id: row.try_get("description_id")?,
            en: row.try_get("description_en")?,
        },
        starts_on: row.try_get::<NaiveDate, _>("starts_on")?,
        ends_on: row.try_get::<NaiveDate, _>("ends_on")?,
        claim_deadline: row.try_get::<NaiveDate, _>("claim_deadline")?,
        categories,
        regions,
        rewards,
        partner_stores,
    }))
}

/// Puts a promotion in the canonical order `load_promotion` returns, so the two
/// can be compared.
fn canonical(p: &Promotion) -> Promotion {
    let mut p = p.clone();
    p.categories.sort();
    p.categories.dedup();
    p.regions.sort();
    p.regions.dedup();
    p.rewards.sort_by(|a, b| a.0.cmp(&b.0));
    p.partner_stores
        .sort_by(|a, b| (&a.region, &a.store).cmp(&(&b.region, &b.store)));
    p.partner_stores.dedup();
    p
}

pub async fn save_promotion(c: &mut Conn, promotion: &Promotion) -> Result<bool> {
    let p = canonical(promotion);
    if load_promotion(&mut *c, p.id.as_str()).await?.as_ref() == Some(&p) {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO promotions (id, name_id, name_en, description_id, description_en, starts_on, ends_on, claim_deadline)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET name_id = excluded.name_id, name_en = excluded.name_en,
             description_id = excluded.description_id, description_en = excluded.description_en,
             starts_on = excluded.starts_on, ends_on = excluded.ends_on, claim_deadline = excluded.claim_deadline",
    )
    .bind(p.id.as_str())
    .bind(&p.name.id)
    .bind(&p.name.en)
    .bind(&p.description.id)
    .bind(&p.description.en)
    .bind(p.starts_on)
    .bind(p.ends_on)
    .bind(p.claim_deadline)
    .execute(&mut *c)
    .await?;
    for table in [
        "promotion_categories",
        "promotion_regions",
        "promotion_rewards",
        "partner_stores",
    ] {
        let sql = format!("DELETE FROM {table} WHERE promotion_id = $1");
        sqlx::query(AssertSqlSafe(sql))
            .bind(p.id.as_str())
            .execute(&mut *c)
            .await?;
    }
    for cat in &p.categories {
        sqlx::query("INSERT INTO promotion_categories (promotion_id, category) VALUES ($1, $2)")
            .bind(p.id.as_str())
            .bind(cat.as_str())
            .execute(&mut *c)
            .await?;
    }
    for r in &p.regions {
        sqlx::query("INSERT INTO promotion_regions (promotion_id, region) VALUES ($1, $2)")
            .bind(p.id.as_str())
            .bind(r.as_str())
            .execute(&mut *c)
            .await?;
    }
    for (cat, reward) in &p.rewards {
        let (amount, gift_id, gift_en) = match reward {
            Reward::DigitalCode { amount_idr } => (Some(*amount_idr as i64), None, None),
            Reward::PhysicalGift { gift } => (None, Some(gift.id.as_str()), Some(gift.en.as_str())),
        };
        sqlx::query(
            "INSERT INTO promotion_rewards (promotion_id, category, kind, amount_idr, gift_id, gift_en)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(p.id.as_str())
        .bind(cat.as_str())
        .bind(reward.kind().as_str())
        .bind(amount)
        .bind(gift_id)
        .bind(gift_en)
        .execute(&mut *c)
        .await?;
    }
    for s in &p.partner_stores {
        sqlx::query("INSERT INTO partner_stores (promotion_id, region, store) VALUES ($1, $2, $3)")
            .bind(p.id.as_str())
            .bind(s.region.as_str())
            .bind(&s.store)
            .execute(&mut *c)
            .await?;
    }
    Ok(true)
}

// ---- members ----------------------------------------------------------------

fn member_from(row: &DbRow) -> Result<Member> {
    let email: String = row.try_get("email")?;
    let locale: String = row.try_get("locale")?;
    Ok(Member {
        id: row.try_get("id")?,
        email: EmailAddress::parse(&email).map_err(|_| corrupt("members", "email", email))?,
        name: row.try_get("name")?,
        locale: Locale::parse(&locale).map_err(|_| corrupt("members", "locale", locale))?,
        region: region("members", &row.try_get::<String, _>("region")?)?,
        phone: row.try_get("phone")?,
    })
}

pub async fn find_member(c: &mut Conn, id: MemberId) -> Result<Option<Member>> {
    let row = sqlx::query("SELECT id, email, name, locale, region, phone FROM members WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    row.as_ref().map(member_from).transpose()
}

pub async fn find_member_by_email(c: &mut Conn, email_key: &str) -> Result<Option<Member>> {
    let row = sqlx::query("SELECT id, email, name, locale, region, phone FROM members WHERE email_key = $1")
        .bind(email_key)
        .fetch_optional(&mut *c)
        .await?;
    row.as_ref().map(member_from).transpose()
}

pub async fn upsert_member(c: &mut Conn, m: &Member, now: Timestamp) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO members (id, email, email_key, name, locale, region, phone, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET email = excluded.email, email_key = excluded.email_key,
             name = excluded.name, locale = excluded.locale, region = excluded.region, phone = excluded.phone
         WHERE members.email IS DISTINCT FROM excluded.email
            OR members.name IS DISTINCT FROM excluded.name
            OR members.locale IS DISTINCT FROM excluded.locale
            OR members.region IS DISTINCT FROM excluded.region
            OR members.phone IS DISTINCT FROM excluded.phone",
    )
    .bind(m.id)
    .bind(m.email.as_str())
    .bind(m.email.lookup_key())
    .bind(&m.name)
    .bind(m.locale.as_str())
    .bind(m.region.as_str())
    .bind(&m.phone)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() > 0)
}

// ---- products ---------------------------------------------------------------

/// A product's columns, with the catalog entry its category names joined in:
/// parsing a product needs no separate load of the whole catalog, which on a
/// status look-up was one more round trip. A LEFT JOIN, so a product whose
/// category left the catalog is reported as corrupt rather than skipped.
const PRODUCT_FIELDS: &str = "p.id, p.serial, p.chk, p.member_id, p.category, p.model, p.purchased_on,
        p.region, p.store, p.channel, k.name_id AS category_name_id, k.name_en AS category_name_en";
const PRODUCT_FROM: &str = "FROM products p LEFT JOIN categories k ON k.code = p.category";

fn product_from(row: &DbRow) -> Result<ProductRecord> {
    let serial: String = row.try_get("serial")?;
    let chk: String = row.try_get("chk")?;
    let channel: String = row.try_get("channel")?;
    let code: String = row.try_get("category")?;
    let catalog = match (
        row.try_get::<Option<String>, _>("category_name_id")?,
        row.try_get::<Option<String>, _>("category_name_en")?,
    ) {
        (Some(name_id), Some(name_en)) => CategoryCatalog::new(vec![CategoryInfo {
            code: code.clone(),
            name_id,
            name_en,
        }]),
        _ => return Err(corrupt("products", "category", code)),
    };
    Ok(ProductRecord {
        id: row.try_get("id")?,
        product: Product {
            serial: SerialNumber::parse(&serial).map_err(|_| corrupt("products", "serial", serial))?,
            chk: ChkCode::parse(&chk).map_err(|_| corrupt("products", "chk", chk))?,
            member_id: row.try_get("member_id")?,
            category: category(&catalog, "products", &code)?,
            model: row.try_get("model")?,
            purchased_on: row.try_get("purchased_on")?,
            region: region("products", &row.try_get::<String, _>("region")?)?,
            store: row.try_get("store")?,
            channel: PurchaseChannel::parse(&channel).ok_or_else(|| corrupt("products", "channel", channel))?,
        },
    })
}

async fn products_where(c: &mut Conn, condition: &str, value: Value<'_>) -> Result<Vec<ProductRecord>> {
    let sql = format!("SELECT {PRODUCT_FIELDS} {PRODUCT_FROM} WHERE p.{condition} ORDER BY p.id");
    let q = sqlx::query(AssertSqlSafe(sql));
    let q = match value {
        Value::Text(s) => q.bind(s),
        Value::Int(i) => q.bind(i),
    };
    q.fetch_all(&mut *c).await?.iter().map(product_from).collect()
}

/// The products whose serial folds to `key`, each with its redemptions (in
/// the order of [`redemptions_where_product`]), in one statement: what a
/// status look-up reads, in one round trip rather than two.
pub async fn find_products_with_redemptions_by_serial_key(
    c: &mut Conn,
    key: &str,
) -> Result<Vec<(ProductRecord, Vec<RedemptionRecord>)>> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "SELECT {PRODUCT_FIELDS}, r.* {PRODUCT_FROM}
             LEFT JOIN (SELECT id AS r_id, product_id AS r_product_id, member_id AS r_member_id,
                    promotion_id AS r_promotion_id, status AS r_status, last_reason AS r_last_reason,
                    last_note AS r_last_note, submitted_at AS r_submitted_at, queued_at AS r_queued_at,
                    updated_at AS r_updated_at, recipient_name AS r_recipient_name,
                    recipient_address AS r_recipient_address, recipient_zip AS r_recipient_zip,
                    recipient_phone AS r_recipient_phone
                 FROM redemptions) r ON r.r_product_id = p.id
             WHERE p.serial_key = $1
             ORDER BY p.id, r.r_submitted_at, r.r_id"
        )
    });
    let rows = sqlx::query(AssertSqlSafe(SQL.as_str()))
        .bind(key)
        .fetch_all(&mut *c)
        .await?;
    let mut out: Vec<(ProductRecord, Vec<RedemptionRecord>)> = Vec::new();
    for row in &rows {
        let id: ProductId = row.try_get("id")?;
        if out.last().is_none_or(|(p, _)| p.id != id) {
            out.push((product_from(row)?, Vec::new()));
        }
        // A product without redemptions has its one row, with NULLs for them.
        if row.try_get::<Option<i64>, _>("r_id")?.is_some() {
            let redemption = redemption_columns(row, "r_", "serial")?;
            out.last_mut().expect("pushed above").1.push(redemption);
        }
    }
    Ok(out)
}

enum Value<'a> {
    Text(&'a str),
    Int(i64),
}

pub async fn find_product_by_serial(c: &mut Conn, printed: &str) -> Result<Option<ProductRecord>> {
    Ok(products_where(c, "serial = $1", Value::Text(printed))
        .await?
        .into_iter()
        .next())
}

pub async fn find_products_by_serial_key(c: &mut Conn, key: &str) -> Result<Vec<ProductRecord>> {
    products_where(c, "serial_key = $1", Value::Text(key)).await
}

pub async fn find_products_of_member(c: &mut Conn, member_id: MemberId) -> Result<Vec<ProductRecord>> {
    products_where(c, "member_id = $1", Value::Int(member_id)).await
}

pub async fn upsert_product(c: &mut Conn, p: &Product, now: Timestamp) -> Result<(ProductId, bool)> {
    let done = sqlx::query(
        "INSERT INTO products (serial, serial_key, chk, member_id, category, model, purchased_on, region, store, channel, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (serial) DO UPDATE SET chk = excluded.chk, member_id = excluded.member_id,
             category = excluded.category, model = excluded.model, purchased_on = excluded.purchased_on,
             region = excluded.region, store = excluded.store, channel = excluded.channel
         WHERE products.chk IS DISTINCT FROM excluded.chk
            OR products.member_id IS DISTINCT FROM excluded.member_id
            OR products.category IS DISTINCT FROM excluded.category
            OR products.model IS DISTINCT FROM excluded.model
            OR products.purchased_on IS DISTINCT FROM excluded.purchased_on
            OR products.region IS DISTINCT FROM excluded.region
            OR products.store IS DISTINCT FROM excluded.store
            OR products.channel IS DISTINCT FROM excluded.channel",
    )
    .bind(p.serial.as_str())
    .bind(p.serial.match_key())
    .bind(p.chk.as_str())
    .bind(p.member_id)
    .bind(p.category.as_str())
    .bind(&p.model)
    .bind(p.purchased_on)
    .bind(p.region.as_str())
    .bind(&p.store)
    .bind(p.channel.as_str())
    .bind(now)
    .execute(&mut *c)
    .await?;
    let id: i64 = sqlx::query_scalar("SELECT id FROM products WHERE serial = $1")
        .bind(p.serial.as_str())
        .fetch_one(&mut *c)
        .await?;
    Ok((id, done.rows_affected() > 0))
}

// ---- redemptions ------------------------------------------------------------

const REDEMPTION_SELECT: &str = "SELECT r.id, p.serial, r.product_id, r.member_id, r.promotion_id, r.status,
        r.last_reason, r.last_note, r.submitted_at, r.queued_at, r.updated_at,
        r.recipient_name, r.recipient_address, r.recipient_zip, r.recipient_phone
    FROM redemptions r JOIN products p ON p.id = r.product_id";

fn redemption_from(row: &DbRow) -> Result<RedemptionRecord> {
    redemption_columns(row, "", "serial")
}

/// A redemption from a row whose redemption columns carry `prefix` (the
/// product look-up joins them to the product's, whose names they share), its
/// serial from the column `serial`.
fn redemption_columns(row: &DbRow, prefix: &str, serial: &str) -> Result<RedemptionRecord> {
    let col = |name: &str| format!("{prefix}{name}");
    let serial: String = row.try_get(serial)?;
    let promotion: String = row.try_get(col("promotion_id").as_str())?;
    let status: String = row.try_get(col("status").as_str())?;
    let reason: Option<String> = row.try_get(col("last_reason").as_str())?;
    let last_rejection = match reason {
        Some(code) => Some((
            RejectionReason::parse(&code).map_err(|_| corrupt("redemptions", "last_reason", code))?,
            row.try_get::<Option<String>, _>(col("last_note").as_str())?,
        )),
        None => None,
    };
    let redemption = Redemption::restore(
        row.try_get(col("id").as_str())?,
        SerialNumber::parse(&serial).map_err(|_| corrupt("products", "serial", serial))?,
        PromotionId::parse(&promotion).map_err(|_| corrupt("redemptions", "promotion_id", promotion))?,
        row.try_get(col("submitted_at").as_str())?,
        Status::parse(&status).ok_or_else(|| corrupt("redemptions", "status", status))?,
        last_rejection,
        row.try_get(col("queued_at").as_str())?,
    );
    let name: Option<String> = row.try_get(col("recipient_name").as_str())?;
    let recipient = match name {
        Some(name) => Some(Recipient {
            name,
            address: row
                .try_get::<Option<String>, _>(col("recipient_address").as_str())?
                .unwrap_or_default(),
            zip_code: row
                .try_get::<Option<String>, _>(col("recipient_zip").as_str())?
                .unwrap_or_default(),
            phone: row
                .try_get::<Option<String>, _>(col("recipient_phone").as_str())?
                .unwrap_or_default(),
        }),
        None => None,
    };
    Ok(RedemptionRecord {
        redemption,
        product_id: row.try_get(col("product_id").as_str())?,
        member_id: row.try_get(col("member_id").as_str())?,
        recipient,
        updated_at: row.try_get(col("updated_at").as_str())?,
    })
}

pub async fn insert_redemption(c: &mut Conn, rec: &RedemptionRecord, now: Timestamp) -> Result<()> {
    let r = &rec.redemption;
    let (reason, note) = match r.last_rejection() {
        Some((reason, note)) => (Some(reason.code()), note.as_deref()),
        None => (None, None),
    };
    let recipient = rec.recipient.as_ref();
    sqlx::query(
        "INSERT INTO redemptions (id, product_id, member_id, promotion_id, status, last_reason, last_note,
             submitted_at, queued_at, updated_at, recipient_name, recipient_address, recipient_zip, recipient_phone)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(r.id)
    .bind(rec.product_id)
    .bind(rec.member_id)
    .bind(r.promotion_id.as_str())
    .bind(r.status().as_str())
    .bind(reason)
    .bind(note)
    .bind(r.submitted_at)
    .bind(r.queued_at())
    .bind(now)
    .bind(recipient.map(|x| x.name.as_str()))
    .bind(recipient.map(|x| x.address.as_str()))
    .bind(recipient.map(|x| x.zip_code.as_str()))
    .bind(recipient.map(|x| x.phone.as_str()))
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn load_redemption(c: &mut Conn, id: RedemptionId) -> Result<Option<RedemptionRecord>> {
    let sql = format!("{REDEMPTION_SELECT} WHERE r.id = $1");
    let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *c).await?;
    row.as_ref().map(redemption_from).transpose()
}

pub async fn redemptions_where_product(c: &mut Conn, product_id: ProductId) -> Result<Vec<RedemptionRecord>> {
    let sql = format!("{REDEMPTION_SELECT} WHERE r.product_id = $1 ORDER BY r.submitted_at, r.id");
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(product_id)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(redemption_from).collect()
}

pub async fn redemptions_where_member(c: &mut Conn, member_id: MemberId) -> Result<Vec<RedemptionRecord>> {
    let sql = format!("{REDEMPTION_SELECT} WHERE r.member_id = $1 ORDER BY r.submitted_at, r.id");
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(member_id)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(redemption_from).collect()
}

pub async fn redemption_for(
    c: &mut Conn,
    product_id: ProductId,
    promotion_id: &str,
) -> Result<Option<RedemptionRecord>> {
    let sql = format!("{REDEMPTION_SELECT} WHERE r.product_id = $1 AND r.promotion_id = $2");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(product_id)
        .bind(promotion_id)
        .fetch_optional(&mut *c)
        .await?;
    row.as_ref().map(redemption_from).transpose()
}

pub async fn review_queue(c: &mut Conn, limit: i64) -> Result<Vec<RedemptionRecord>> {
    let sql = format!("{REDEMPTION_SELECT} WHERE r.status = 'under_review' ORDER BY r.queued_at, r.id LIMIT $1");
    let rows = sqlx::query(AssertSqlSafe(sql)).bind(limit).fetch_all(&mut *c).await?;
    rows.iter().map(redemption_from).collect()
}

/// Leases claim `id` to `reviewer` until `until`, unless another reviewer
/// holds an unexpired lease; returns the lease that holds afterwards.
pub async fn lease_review(
    c: &mut Conn,
    id: RedemptionId,
    reviewer: &str,
    until: Timestamp,
    now: Timestamp,
) -> Result<(String, Timestamp)> {
    sqlx::query(
        "INSERT INTO review_leases (redemption_id, reviewer, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (redemption_id) DO UPDATE SET reviewer = excluded.reviewer, expires_at = excluded.expires_at
         WHERE review_leases.reviewer = excluded.reviewer OR review_leases.expires_at <= $4",
    )
    .bind(id)
    .bind(reviewer)
    .bind(until)
    .bind(now)
    .execute(&mut *c)
    .await?;
    let row = sqlx::query("SELECT reviewer, expires_at FROM review_leases WHERE redemption_id = $1")
        .bind(id)
        .fetch_one(&mut *c)
        .await?;
    Ok((row.try_get("reviewer")?, row.try_get("expires_at")?))
}

/// The unexpired lease on claim `id`, if any.
pub async fn review_lease(c: &mut Conn, id: RedemptionId, now: Timestamp) -> Result<Option<(String, Timestamp)>> {
    let row =
        sqlx::query("SELECT reviewer, expires_at FROM review_leases WHERE redemption_id = $1 AND expires_at > $2")
            .bind(id)
            .bind(now)
            .fetch_optional(&mut *c)
            .await?;
    row.map(|r| Ok((r.try_get("reviewer")?, r.try_get("expires_at")?)))
        .transpose()
}

/// Every unexpired lease: (claim, reviewer, until).
pub async fn review_leases(c: &mut Conn, now: Timestamp) -> Result<Vec<(RedemptionId, String, Timestamp)>> {
    let rows = sqlx::query("SELECT redemption_id, reviewer, expires_at FROM review_leases WHERE expires_at > $1")
        .bind(now)
        .fetch_all(&mut *c)
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("redemption_id")?,
                r.try_get("reviewer")?,
                r.try_get("expires_at")?,
            ))
        })
        .collect()
}

/// Ends the lease on claim `id` (held by `reviewer`, or by anyone when `None`).
pub async fn release_review(c: &mut Conn, id: RedemptionId, reviewer: Option<&str>) -> Result<bool> {
    let done = sqlx::query("DELETE FROM review_leases WHERE redemption_id = $1 AND ($2 IS NULL OR reviewer = $2)")
        .bind(id)
        .bind(reviewer)
        .execute(&mut *c)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn record_transition(
    c: &mut Conn,
    r: &Redemption,
    expected: Status,
    event: &Event,
    now: Timestamp,
) -> Result<()> {
    let (reason, note) = match r.last_rejection() {
        Some((reason, note)) => (Some(reason.code()), note.as_deref()),
        None => (None, None),
    };
    let done = sqlx::query(
        "UPDATE redemptions SET status = $1, last_reason = $2, last_note = $3, queued_at = $4, updated_at = $5
         WHERE id = $6 AND status = $7",
    )
    .bind(r.status().as_str())
    .bind(reason)
    .bind(note)
    .bind(r.queued_at())
    .bind(now)
    .bind(r.id)
    .bind(expected.as_str())
    .execute(&mut *c)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict(format!(
            "redemption {} is no longer {expected}: someone else changed it first",
            r.id
        )));
    }
    insert_event(c, r.id, event).await
}

pub async fn insert_event(c: &mut Conn, redemption_id: RedemptionId, e: &Event) -> Result<()> {
    let (reason, note, attachments) = match &e.change {
        Change::Submitted => (None, None, Vec::new()),
        Change::Rejected { reason, note } => (Some(reason.code()), note.as_deref(), Vec::new()),
        Change::Resubmitted { attachment_ids } => (None, None, attachment_ids.clone()),
        Change::Approved { note } | Change::RewardSent { note } => (None, note.as_deref(), Vec::new()),
    };
    sqlx::query(
        "INSERT INTO redemption_events (redemption_id, at, kind, actor, reason, note, attachment_ids)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(redemption_id)
    .bind(e.at)
    .bind(e.change.kind().as_str())
    .bind(e.actor.to_string())
    .bind(reason)
    .bind(note)
    .bind(Json(attachments))
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn load_events(c: &mut Conn, redemption_id: RedemptionId) -> Result<Vec<Event>> {
    let rows = sqlx::query(
        "SELECT at, kind, actor, reason, note, attachment_ids FROM redemption_events
         WHERE redemption_id = $1 ORDER BY id",
    )
    .bind(redemption_id)
    .fetch_all(&mut *c)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let kind: String = row.try_get("kind")?;
        let actor: String = row.try_get("actor")?;
        let note: Option<String> = row.try_get("note")?;
        let change = match EventKind::parse(&kind) {
            Some(EventKind::Submitted) => Change::Submitted,
            Some(EventKind::Rejected) => {
                let code: Option<String> = row.try_get("reason")?;
                let code = code.unwrap_or_default();
                Change::Rejected {
                    reason: RejectionReason::parse(&code).map_err(|_| corrupt("redemption_events", "reason", code))?,
                    note,
                }
            }
            Some(EventKind::Resubmitted) => {
                let Json(attachment_ids): Json<Vec<i64>> = row.try_get("attachment_ids")?;
                Change::Resubmitted { attachment_ids }
            }
            Some(EventKind::Approved) => Change::Approved { note },
            Some(EventKind::RewardSent) => Change::RewardSent { note },
            None => return Err(corrupt("redemption_events", "kind", kind)),
        };
        out.push(Event {
            at: row.try_get("at")?,
            actor: Actor::parse(&actor).ok_or_else(|| corrupt("redemption_events", "actor", actor))?,
            change,
        });
    }
    Ok(out)
}

// ---- attachments ------------------------------------------------------------

pub async fn insert_attachment(c: &mut Conn, a: &NewAttachment, now: Timestamp) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO attachments (redemption_id, filename, content_type, bytes, sha256, width, height, blob_key, source, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(a.redemption_id)
    .bind(&a.filename)
    .bind(&a.content_type)
    .bind(a.bytes)
    .bind(&a.sha256)
    .bind(a.width)
    .bind(a.height)
    .bind(&a.blob_key)
    .bind(a.source.as_str())
    .bind(now)
    .fetch_one(&mut *c)
    .await?;
    Ok(id)
}

pub async fn attachments_of(c: &mut Conn, redemption_id: RedemptionId) -> Result<Vec<AttachmentRecord>> {
    let rows = sqlx::query(
        "SELECT id, redemption_id, filename, content_type, bytes, sha256, width, height, blob_key, source, created_at
         FROM attachments WHERE redemption_id = $1 ORDER BY id",
    )
    .bind(redemption_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|row| {
            let source: String = row.try_get("source")?;
            Ok(AttachmentRecord {
                id: row.try_get("id")?,
                attachment: NewAttachment {
                    redemption_id: row.try_get("redemption_id")?,
                    filename: row.try_get("filename")?,
                    content_type: row.try_get("content_type")?,
                    bytes: row.try_get("bytes")?,
                    sha256: row.try_get("sha256")?,
                    width: row.try_get("width")?,
                    height: row.try_get("height")?,
                    blob_key: row.try_get("blob_key")?,
                    source: AttachmentSource::parse(&source).ok_or_else(|| corrupt("attachments", "source", source))?,
                },
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
}

// ---- maintenance ------------------------------------------------------------

pub async fn sync_id_sequences(c: &mut Conn) -> Result<()> {
    if BACKEND == Backend::Postgres {
        for table in ["members", "products", "redemptions", "attachments", "redemption_events"] {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            );
            sqlx::query(AssertSqlSafe(sql)).execute(&mut *c).await?;
        }
    }
    Ok(())
}

// ---- chat users (the assistant) -----------------------------------------------

const CHAT_USER_COLUMNS: &str = "id, channel, external_id, locale, detected_locale, dialogue, subscribed, consent_at, unsubscribed_at, active, fallbacks, burst_start, burst_count";

fn chat_user_from(row: &DbRow) -> Result<ChatUserRecord> {
    let channel: String = row.try_get("channel")?;
    let locale: Option<String> = row.try_get("locale")?;
    let detected: Option<String> = row.try_get("detected_locale")?;
    let Json(dialogue): Json<serde_json::Value> = row.try_get("dialogue")?;
    Ok(ChatUserRecord {
        id: row.try_get("id")?,
        channel: Channel::parse(&channel).ok_or_else(|| corrupt("chat_users", "channel", channel))?,
        external_id: row.try_get("external_id")?,
        locale: locale
            .map(|l| Locale::parse(&l).map_err(|_| corrupt("chat_users", "locale", l)))
            .transpose()?,
        detected_locale: detected
            .map(|l| Locale::parse(&l).map_err(|_| corrupt("chat_users", "detected_locale", l)))
            .transpose()?,
        dialogue,
        subscribed: row.try_get("subscribed")?,
        consent_at: row.try_get("consent_at")?,
        unsubscribed_at: row.try_get("unsubscribed_at")?,
        active: row.try_get("active")?,
        fallbacks: row.try_get("fallbacks")?,
        burst_start: row.try_get("burst_start")?,
        burst_count: row.try_get("burst_count")?,
    })
}

/// The chat user for a platform identity, created on first contact.
pub async fn chat_user(c: &mut Conn, channel: Channel, external_id: &str, now: Timestamp) -> Result<ChatUserRecord> {
    sqlx::query(
        "INSERT INTO chat_users (channel, external_id, created_at, updated_at) VALUES ($1, $2, $3, $3)
         ON CONFLICT (channel, external_id) DO NOTHING",
    )
    .bind(channel.as_str())
    .bind(external_id)
    .bind(now)
    .execute(&mut *c)
    .await?;
    // PostgreSQL: the row stays locked until the transaction ends, so one chat
    // user's events are handled one after another even when they reach two
    // replicas (or two requests of one) at once: the dialogue state read here
    // is the one the previous event saved. SQLite: the write transaction
    // already holds the only write lock.
    let lock = match BACKEND {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    let sql = format!("SELECT {CHAT_USER_COLUMNS} FROM chat_users WHERE channel = $1 AND external_id = $2{lock}");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(channel.as_str())
        .bind(external_id)
        .fetch_one(&mut *c)
        .await?;
    chat_user_from(&row)
}

pub async fn save_chat_user(c: &mut Conn, u: &ChatUserRecord, now: Timestamp) -> Result<()> {
    sqlx::query(
        "UPDATE chat_users SET locale = $1, dialogue = $2, subscribed = $3, consent_at = $4,
             unsubscribed_at = $5, active = $6, updated_at = $7, detected_locale = $9, fallbacks = $10,
             burst_start = $11, burst_count = $12
         WHERE id = $8",
    )
    .bind(u.locale.map(Locale::as_str))
    .bind(Json(&u.dialogue))
    .bind(u.subscribed)
    .bind(u.consent_at)
    .bind(u.unsubscribed_at)
    .bind(u.active)
    .bind(now)
    .bind(u.id)
    .bind(u.detected_locale.map(Locale::as_str))
    .bind(u.fallbacks)
    .bind(u.burst_start)
    .bind(u.burst_count)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn record_consent(c: &mut Conn, chat_user_id: i64, subscribed: bool, at: Timestamp) -> Result<()> {
    sqlx::query("INSERT INTO consent_events (chat_user_id, kind, at) VALUES ($1, $2, $3)")
        .bind(chat_user_id)
        .bind(if subscribed { "subscribed" } else { "unsubscribed" })
        .bind(at)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn owned_products(c: &mut Conn, chat_user_id: i64) -> Result<Vec<ProductRecord>> {
    let sql = format!(
        "SELECT {PRODUCT_FIELDS} {PRODUCT_FROM} JOIN chat_ownership o ON o.product_id = p.id
         WHERE o.chat_user_id = $1 ORDER BY o.proven_at, p.id"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(chat_user_id)
        .fetch_all(&mut *c)
        .await?;
    let mut owned = rows.iter().map(product_from).collect::<Result<Vec<ProductRecord>>>()?;
    // A chat user linked to a member (by a code sent to the member's email)
    // owns all of that member's products, also those registered later.
    for member in linked_members(c, chat_user_id).await? {
        for p in find_products_of_member(c, member).await? {
            if !owned.iter().any(|o| o.id == p.id) {
                owned.push(p);
            }
        }
    }
    Ok(owned)
}

pub async fn add_ownership(c: &mut Conn, chat_user_id: i64, product_id: ProductId, at: Timestamp) -> Result<()> {
    sqlx::query(
        "INSERT INTO chat_ownership (chat_user_id, product_id, proven_at) VALUES ($1, $2, $3)
         ON CONFLICT (chat_user_id, product_id) DO NOTHING",
    )
    .bind(chat_user_id)
    .bind(product_id)
    .bind(at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn add_ownership_failure(c: &mut Conn, chat_user_id: i64, at: Timestamp) -> Result<()> {
    sqlx::query("INSERT INTO ownership_failures (chat_user_id, at) VALUES ($1, $2)")
        .bind(chat_user_id)
        .bind(at)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// The failed ownership checks since `since`: this user's and everyone's,
/// how many and the oldest of each, in one statement. The rows scanned stay
/// few: once a limit is reached no failure is recorded until the window moves.
pub async fn ownership_failures_since(c: &mut Conn, chat_user_id: i64, since: Timestamp) -> Result<FailedChecks> {
    let row = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN chat_user_id = $1 THEN 1 ELSE 0 END), 0) AS mine,
                MIN(CASE WHEN chat_user_id = $1 THEN at END) AS my_oldest,
                COUNT(*) AS everyone, MIN(at) AS oldest
         FROM ownership_failures WHERE at > $2",
    )
    .bind(chat_user_id)
    .bind(since)
    .fetch_one(&mut *c)
    .await?;
    Ok(FailedChecks {
        mine: row.try_get("mine")?,
        my_oldest: row.try_get("my_oldest")?,
        everyone: row.try_get("everyone")?,
        oldest: row.try_get("oldest")?,
    })
}

/// The platform told us the user blocked the bot or left: stop writing to them.
pub async fn deactivate_chat_user(c: &mut Conn, channel: Channel, external_id: &str, at: Timestamp) -> Result<()> {
    let row = sqlx::query(
        "UPDATE chat_users SET active = FALSE, subscribed = FALSE,
             unsubscribed_at = CASE WHEN subscribed THEN $3 ELSE unsubscribed_at END, updated_at = $3
         WHERE channel = $1 AND external_id = $2 RETURNING id, CASE WHEN unsubscribed_at = $3 THEN 1 ELSE 0 END AS was_subscribed",
    )
    .bind(channel.as_str())
    .bind(external_id)
    .bind(at)
    .fetch_optional(&mut *c)
    .await?;
    if let Some(row) = row {
        let id: i64 = row.try_get("id")?;
        // Only a user who was subscribed gets an "unsubscribed" in their consent history.
        let was_subscribed: i32 = row.try_get("was_subscribed")?;
        if was_subscribed == 1 {
            record_consent(c, id, false, at).await?;
        }
    }
    Ok(())
}

/// Records that a platform event is being handled; false when it already was
/// (the platform delivered it again).
pub async fn claim_inbound_event(c: &mut Conn, channel: Channel, event_id: &str, at: Timestamp) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO inbound_events (channel, event_id, received_at) VALUES ($1, $2, $3)
         ON CONFLICT (channel, event_id) DO NOTHING",
    )
    .bind(channel.as_str())
    .bind(event_id)
    .bind(at)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets handled events received before `before` (platforms stop redelivering
/// within a day).
pub async fn prune_inbound_events(c: &mut Conn, before: Timestamp) -> Result<u64> {
    let done = sqlx::query("DELETE FROM inbound_events WHERE received_at < $1")
        .bind(before)
        .execute(&mut *c)
        .await?;
    Ok(done.rows_affected())
}

pub async fn insert_chat_upload(c: &mut Conn, chat_user_id: i64, u: &ChatUpload, at: Timestamp) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO chat_uploads (chat_user_id, filename, content_type, bytes, sha256, blob_key, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(chat_user_id)
    .bind(&u.filename)
    .bind(&u.content_type)
    .bind(i64::try_from(u.bytes).unwrap_or(i64::MAX))
    .bind(&u.sha256)
    .bind(&u.blob_key)
    .bind(at)
    .fetch_one(&mut *c)
    .await?;
    Ok(id)
}

/// The files a chat user sent, oldest first.
pub async fn chat_uploads(c: &mut Conn, chat_user_id: i64) -> Result<Vec<ChatUpload>> {
    let rows = sqlx::query(
        "SELECT filename, content_type, bytes, sha256, blob_key FROM chat_uploads WHERE chat_user_id = $1 ORDER BY id",
    )
    .bind(chat_user_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            let bytes: i64 = r.try_get("bytes")?;
            Ok(ChatUpload {
                filename: r.try_get("filename")?,
                content_type: r.try_get("content_type")?,
                bytes: u64::try_from(bytes).unwrap_or_default(),
                sha256: r.try_get("sha256")?,
                blob_key: r.try_get("blob_key")?,
            })
        })
        .collect()
}

// ---- the outbox (jobs) ----

pub async fn enqueue_job(c: &mut Conn, job: &NewJob, now: Timestamp) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at)
         VALUES ($1, $2, 'queued', 0, $3, $4, $5, $5) RETURNING id",
    )
    .bind(job.kind.as_str())
    .bind(job.payload.to_string())
    .bind(job.max_attempts)
    .bind(job.run_at)
    .bind(now)
    .fetch_one(&mut *c)
    .await?;
    Ok(id)
}

/// Claims up to `limit` due jobs (queued and due, or running with an expired
/// lease and attempts left) for the holder of `lease`. PostgreSQL skips rows
/// another transaction is claiming; SQLite has one writer at a time.
pub async fn claim_jobs(
    c: &mut Conn,
    now: Timestamp,
    lease_until: Timestamp,
    lease: &str,
    limit: i64,
    kinds: &[JobKind],
) -> Result<Vec<ClaimedJob>> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    // Kinds are our own enum's names, never input: safe to inline.
    let kinds = kinds
        .iter()
        .map(|k| format!("'{}'", k.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let lock = match BACKEND {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease = $3, lease_until = $2, updated_at = $1
         WHERE id IN (
             SELECT id FROM jobs
             WHERE kind IN ({kinds})
               AND ((status = 'queued' AND run_at <= $1)
                 OR (status = 'running' AND lease_until < $1 AND attempts < max_attempts))
             ORDER BY run_at, id LIMIT $4{lock})
         RETURNING id, kind, payload, attempts, max_attempts"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(now)
        .bind(lease_until)
        .bind(lease)
        .bind(limit)
        .fetch_all(&mut *c)
        .await?;
    let mut jobs = rows
        .iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let payload: String = r.try_get("payload")?;
            Ok(ClaimedJob {
                id: r.try_get("id")?,
                kind: JobKind::parse(&kind).ok_or_else(|| corrupt("jobs", "kind", &kind))?,
                payload: serde_json::from_str(&payload).map_err(|_| corrupt("jobs", "payload", &payload))?,
                attempt: r.try_get("attempts")?,
                max_attempts: r.try_get("max_attempts")?,
                lease: lease.to_owned(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

/// Running jobs whose lease expired on their last attempt: dead. Their ids.
pub async fn bury_expired_jobs(c: &mut Conn, now: Timestamp) -> Result<Vec<i64>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "UPDATE jobs SET status = 'dead', lease = NULL, lease_until = NULL, updated_at = $1,
             last_error = 'the worker of the last attempt never reported back'
         WHERE status = 'running' AND lease_until < $1 AND attempts >= max_attempts RETURNING id",
    )
    .bind(now)
    .fetch_all(&mut *c)
    .await?;
    Ok(ids)
}

/// Records success; false if `lease` no longer holds the job.
pub async fn complete_job(c: &mut Conn, id: i64, lease: &str, now: Timestamp) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'done', lease = NULL, lease_until = NULL, last_error = NULL, updated_at = $3, done_at = $3
         WHERE id = $1 AND lease = $2 AND status = 'running'",
    )
    .bind(id)
    .bind(lease)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failure: queued again at `retry_at`, or dead when `None`. False if
/// `lease` no longer holds the job.
pub async fn fail_job(
    c: &mut Conn,
    id: i64,
    lease: &str,
    now: Timestamp,
    error: &str,
    retry_at: Option<Timestamp>,
) -> Result<bool> {
    let status = if retry_at.is_some() { "queued" } else { "dead" };
    let error: String = error.chars().take(2000).collect();
    let done = sqlx::query(
        "UPDATE jobs SET status = $4, run_at = COALESCE($5, run_at), lease = NULL, lease_until = NULL,
             last_error = $6, updated_at = $3
         WHERE id = $1 AND lease = $2 AND status = 'running'",
    )
    .bind(id)
    .bind(lease)
    .bind(now)
    .bind(status)
    .bind(retry_at)
    .bind(error)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Jobs in `status` (all when `None`), newest first.
pub async fn jobs(c: &mut Conn, status: Option<JobStatus>, limit: i64) -> Result<Vec<JobRecord>> {
    let rows = sqlx::query(
        "SELECT id, kind, payload, status, attempts, max_attempts, run_at, last_error, created_at, updated_at
         FROM jobs WHERE ($1 IS NULL OR status = $1) ORDER BY id DESC LIMIT $2",
    )
    .bind(status.map(JobStatus::as_str))
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(job_record).collect()
}

pub async fn job(c: &mut Conn, id: i64) -> Result<Option<JobRecord>> {
    let row = sqlx::query(
        "SELECT id, kind, payload, status, attempts, max_attempts, run_at, last_error, created_at, updated_at
         FROM jobs WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(job_record).transpose()
}

fn job_record(r: &DbRow) -> Result<JobRecord> {
    let kind: String = r.try_get("kind")?;
    let status: String = r.try_get("status")?;
    let payload: String = r.try_get("payload")?;
    Ok(JobRecord {
        id: r.try_get("id")?,
        kind: JobKind::parse(&kind).ok_or_else(|| corrupt("jobs", "kind", &kind))?,
        status: JobStatus::parse(&status).ok_or_else(|| corrupt("jobs", "status", &status))?,
        attempts: r.try_get("attempts")?,
        max_attempts: r.try_get("max_attempts")?,
        run_at: r.try_get("run_at")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        payload: serde_json::from_str(&payload).map_err(|_| corrupt("jobs", "payload", &payload))?,
    })
}

/// A dead job back in the queue with a fresh set of attempts; false if it
/// is not dead.
pub async fn retry_job(c: &mut Conn, id: i64, now: Timestamp) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'queued', attempts = 0, run_at = $2, updated_at = $2 WHERE id = $1 AND status = 'dead'",
    )
    .bind(id)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

// ---- outbound email ----

pub async fn insert_reply_handle(
    c: &mut Conn,
    token: &str,
    redemption: RedemptionId,
    member: MemberId,
    message_id: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO reply_handles (token, redemption_id, member_id, message_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token)
    .bind(redemption)
    .bind(member)
    .bind(message_id)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Spends every unspent reply handle of `redemption`; how many there were.
pub async fn spend_reply_handles(c: &mut Conn, redemption: RedemptionId, now: Timestamp) -> Result<u64> {
    let done = sqlx::query("UPDATE reply_handles SET spent_at = $2 WHERE redemption_id = $1 AND spent_at IS NULL")
        .bind(redemption)
        .bind(now)
        .execute(&mut *c)
        .await?;
    Ok(done.rows_affected())
}

/// The reply handle with this token: (redemption, member, message id, expires at).
pub async fn reply_handle(c: &mut Conn, token: &str) -> Result<Option<(RedemptionId, MemberId, String, Timestamp)>> {
    let row = sqlx::query(
        "SELECT redemption_id, member_id, message_id, expires_at FROM reply_handles
             WHERE token = $1 AND spent_at IS NULL",
    )
    .bind(token)
    .fetch_optional(&mut *c)
    .await?;
    row.map(|r| {
        Ok((
            r.try_get::<RedemptionId, _>("redemption_id")?,
            r.try_get::<MemberId, _>("member_id")?,
            r.try_get("message_id")?,
            r.try_get("expires_at")?,
        ))
    })
    .transpose()
}

pub async fn email_suppressed(c: &mut Conn, address_key: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM email_suppressions WHERE address_key = $1")
        .bind(address_key)
        .fetch_one(&mut *c)
        .await?;
    Ok(n > 0)
}

/// Stops all email to an address (it hard-bounced).
pub async fn suppress_email(c: &mut Conn, address_key: &str, detail: &str, at: Timestamp) -> Result<()> {
    sqlx::query(
        "INSERT INTO email_suppressions (address_key, reason, detail, at) VALUES ($1, 'hard_bounce', $2, $3)
         ON CONFLICT (address_key) DO UPDATE SET detail = excluded.detail, at = excluded.at",
    )
    .bind(address_key)
    .bind(detail)
    .bind(at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn email_sent_since(
    c: &mut Conn,
    address_key: &str,
    kind: EmailKind,
    scope: &str,
    since: Timestamp,
) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM email_log WHERE address_key = $1 AND kind = $2 AND scope = $3 AND queued_at >= $4",
    )
    .bind(address_key)
    .bind(kind.as_str())
    .bind(scope)
    .bind(since)
    .fetch_one(&mut *c)
    .await?;
    Ok(n > 0)
}

/// Whether we sent the email with this Message-ID to this (lower-cased) address.
pub async fn email_sent(c: &mut Conn, message_id: &str, address_key: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM email_log WHERE message_id = $1 AND address_key = $2")
        .bind(message_id)
        .bind(address_key)
        .fetch_one(&mut *c)
        .await?;
    Ok(n > 0)
}

pub async fn insert_email_log(
    c: &mut Conn,
    address_key: &str,
    email: &OutgoingEmail,
    scope: &str,
    job_id: i64,
    redemption: Option<RedemptionId>,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO email_log (address_key, kind, scope, job_id, message_id, redemption_id, subject, queued_at, reply_address)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(address_key)
    .bind(email.kind.as_str())
    .bind(scope)
    .bind(job_id)
    .bind(&email.message_id)
    .bind(redemption)
    .bind(&email.subject)
    .bind(now)
    .bind(&email.reply_to)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The emails about a redemption, oldest first, with their delivery state.
pub async fn emails_of_redemption(c: &mut Conn, redemption: RedemptionId) -> Result<Vec<EmailLogRecord>> {
    let rows = sqlx::query(
        "SELECT l.kind, l.address_key, l.message_id, l.reply_address, l.subject, l.queued_at, j.status, j.attempts,
                j.last_error, j.done_at
         FROM email_log l JOIN jobs j ON j.id = l.job_id
         WHERE l.redemption_id = $1 ORDER BY l.id",
    )
    .bind(redemption)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(EmailLogRecord {
                kind: {
                    let kind: String = r.try_get("kind")?;
                    EmailKind::parse(&kind).ok_or_else(|| corrupt("email_log", "kind", kind))?
                },
                to: r.try_get("address_key")?,
                reply_address: r.try_get("reply_address")?,
                message_id: r.try_get("message_id")?,
                subject: r.try_get("subject")?,
                queued_at: r.try_get("queued_at")?,
                // Every logged email has its job (same transaction, never deleted).
                delivery: {
                    let status: String = r.try_get("status")?;
                    JobStatus::parse(&status).ok_or_else(|| corrupt("jobs", "status", status))?
                },
                attempts: r.try_get("attempts")?,
                last_error: r.try_get("last_error")?,
                sent_at: r.try_get("done_at")?,
            })
        })
        .collect()
}

// ---- account links ----

/// Issues a link code (closing any open one of this chat user); its id.
pub async fn insert_link_code(
    c: &mut Conn,
    chat_user_id: i64,
    member: MemberId,
    code_hash: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<i64> {
    sqlx::query("UPDATE link_codes SET closed_at = $2 WHERE chat_user_id = $1 AND closed_at IS NULL")
        .bind(chat_user_id)
        .bind(now)
        .execute(&mut *c)
        .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO link_codes (chat_user_id, member_id, code_hash, tries, created_at, expires_at)
         VALUES ($1, $2, $3, 0, $4, $5) RETURNING id",
    )
    .bind(chat_user_id)
    .bind(member)
    .bind(code_hash)
    .bind(now)
    .bind(expires_at)
    .fetch_one(&mut *c)
    .await?;
    Ok(id)
}

/// The chat user's open link code: (id, member, hash, tries, expires at).
pub async fn open_link_code(
    c: &mut Conn,
    chat_user_id: i64,
) -> Result<Option<(i64, MemberId, String, i32, Timestamp)>> {
    let row = sqlx::query(
        "SELECT id, member_id, code_hash, tries, expires_at FROM link_codes
         WHERE chat_user_id = $1 AND closed_at IS NULL ORDER BY id DESC LIMIT 1",
    )
    .bind(chat_user_id)
    .fetch_optional(&mut *c)
    .await?;
    row.map(|r| {
        Ok((
            r.try_get("id")?,
            r.try_get("member_id")?,
            r.try_get("code_hash")?,
            r.try_get("tries")?,
            r.try_get("expires_at")?,
        ))
    })
    .transpose()
}

/// Counts a wrong try; the tries so far.
pub async fn add_link_code_try(c: &mut Conn, id: i64) -> Result<i32> {
    let tries: i32 = sqlx::query_scalar("UPDATE link_codes SET tries = tries + 1 WHERE id = $1 RETURNING tries")
        .bind(id)
        .fetch_one(&mut *c)
        .await?;
    Ok(tries)
}

pub async fn close_link_code(c: &mut Conn, id: i64, now: Timestamp) -> Result<()> {
    sqlx::query("UPDATE link_codes SET closed_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn insert_chat_link(c: &mut Conn, chat_user_id: i64, member: MemberId, now: Timestamp) -> Result<()> {
    sqlx::query(
        "INSERT INTO chat_links (chat_user_id, member_id, linked_at) VALUES ($1, $2, $3)
         ON CONFLICT (chat_user_id, member_id) DO NOTHING",
    )
    .bind(chat_user_id)
    .bind(member)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The members this chat user is linked to.
pub async fn linked_members(c: &mut Conn, chat_user_id: i64) -> Result<Vec<MemberId>> {
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT member_id FROM chat_links WHERE chat_user_id = $1 ORDER BY linked_at")
            .bind(chat_user_id)
            .fetch_all(&mut *c)
            .await?;
    Ok(ids)
}

/// The reply handle of the email with this Message-ID: (token, redemption, member, expires at).
pub async fn reply_handle_by_message_id(
    c: &mut Conn,
    message_id: &str,
) -> Result<Option<(String, RedemptionId, MemberId, Timestamp)>> {
    let row = sqlx::query(
        "SELECT token, redemption_id, member_id, expires_at FROM reply_handles
             WHERE message_id = $1 AND spent_at IS NULL",
    )
    .bind(message_id)
    .fetch_optional(&mut *c)
    .await?;
    row.map(|r| {
        Ok((
            r.try_get("token")?,
            r.try_get("redemption_id")?,
            r.try_get("member_id")?,
            r.try_get("expires_at")?,
        ))
    })
    .transpose()
}

// ---- inbound mail -----------------------------------------------------------

/// Claims `dedup_key` for a message being handled now: the new row's id, or
/// None when the message was handled before (its key is taken). Written with
/// action `ignored` and an empty report; [`finish_inbound_mail`] fills them in
/// inside the same transaction.
pub async fn claim_inbound_mail(c: &mut Conn, m: &NewInboundMail<'_>, now: Timestamp) -> Result<Option<i64>> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO inbound_mail (dedup_key, message_id, raw_sha256, raw_blob_key, from_address, subject, kind,
             action, report, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'ignored', '{}', $8)
         ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
    )
    .bind(m.dedup_key)
    .bind(m.message_id)
    .bind(m.raw_sha256)
    .bind(m.raw_blob_key)
    .bind(m.from_address)
    .bind(m.subject)
    .bind(m.kind)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    Ok(id)
}

/// Records what was done with a claimed message.
#[allow(clippy::too_many_arguments)]
pub async fn finish_inbound_mail(
    c: &mut Conn,
    id: i64,
    kind: &str,
    matched_by: Option<&str>,
    redemption_id: Option<RedemptionId>,
    sender_mismatch: bool,
    action: &str,
    report: &serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "UPDATE inbound_mail SET kind = $2, matched_by = $3, redemption_id = $4, sender_mismatch = $5,
             action = $6, report = $7 WHERE id = $1",
    )
    .bind(id)
    .bind(kind)
    .bind(matched_by)
    .bind(redemption_id)
    .bind(sender_mismatch)
    .bind(action)
    .bind(report.to_string())
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The report recorded for a message handled before, by its dedup key.
pub async fn inbound_mail_report(c: &mut Conn, dedup_key: &str) -> Result<Option<serde_json::Value>> {
    let report: Option<String> = sqlx::query_scalar("SELECT report FROM inbound_mail WHERE dedup_key = $1")
        .bind(dedup_key)
        .fetch_optional(&mut *c)
        .await?;
    report
        .map(|r| serde_json::from_str(&r).map_err(|_| corrupt("inbound_mail", "report", r)))
        .transpose()
}

/// Emails escalated to staff since `since`: (from this sender, from everyone).
pub async fn mail_escalations_since(c: &mut Conn, from: &str, since: Timestamp) -> Result<(i64, i64)> {
    let row = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN from_address = $1 THEN 1 ELSE 0 END), 0) AS mine, COUNT(*) AS everyone
         FROM inbound_mail WHERE action = 'escalated' AND received_at > $2",
    )
    .bind(from)
    .bind(since)
    .fetch_one(&mut *c)
    .await?;
    Ok((row.try_get("mine")?, row.try_get("everyone")?))
}

/// Every handled message's action, oldest first (for tests and the CLI).
pub async fn inbound_mail_actions(c: &mut Conn) -> Result<Vec<(Option<String>, String)>> {
    let rows = sqlx::query("SELECT message_id, action FROM inbound_mail ORDER BY id")
        .fetch_all(&mut *c)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("message_id")?, r.try_get("action")?)))
        .collect()
}

/// An email that needs a person: goes to the staff queue with the chat escalations.
pub async fn insert_mail_escalation(
    c: &mut Conn,
    inbound_mail_id: i64,
    member_id: Option<MemberId>,
    redemption_id: Option<RedemptionId>,
    message: &str,
    locale: Locale,
    at: Timestamp,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO escalations (source, cause, inbound_mail_id, member_id, redemption_id, message, locale, created_at)
         VALUES ('email', 'email', $1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(inbound_mail_id)
    .bind(member_id)
    .bind(redemption_id)
    .bind(message)
    .bind(locale.as_str())
    .bind(at)
    .fetch_one(&mut *c)
    .await?;
    Ok(id)
}

/// Open escalations from email: (inbound mail id, redemption, message).
pub async fn open_mail_escalations(c: &mut Conn) -> Result<Vec<(i64, Option<RedemptionId>, String)>> {
    let rows = sqlx::query(
        "SELECT inbound_mail_id, redemption_id, message FROM escalations
         WHERE source = 'email' AND status = 'open' ORDER BY id",
    )
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("inbound_mail_id")?,
                r.try_get("redemption_id")?,
                r.try_get("message")?,
            ))
        })
        .collect()
}

/// The active chat users linked to a member (to tell them in chat what happened by email).
pub async fn linked_chats(c: &mut Conn, member: MemberId) -> Result<Vec<ChatUserRecord>> {
    let sql = format!(
        "SELECT {CHAT_USER_COLUMNS} FROM chat_users
         WHERE active AND id IN (SELECT chat_user_id FROM chat_links WHERE member_id = $1) ORDER BY id"
    );
    let rows = sqlx::query(AssertSqlSafe(sql)).bind(member).fetch_all(&mut *c).await?;
    rows.iter().map(chat_user_from).collect()
}

/// Keeps the original of an attachment that was converted or downscaled for review.
pub async fn insert_attachment_original(
    c: &mut Conn,
    attachment_id: i64,
    content_type: &str,
    bytes: i64,
    sha256: &str,
    blob_key: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO attachment_originals (attachment_id, content_type, bytes, sha256, blob_key)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(attachment_id)
    .bind(content_type)
    .bind(bytes)
    .bind(sha256)
    .bind(blob_key)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Remembers a post made in a staff channel about a claim.
pub async fn insert_staff_post(
    c: &mut Conn,
    channel: Channel,
    chat_id: &str,
    message_id: &str,
    redemption_id: RedemptionId,
    now: Timestamp,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO staff_posts (channel, chat_id, message_id, redemption_id, posted_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(channel.as_str())
    .bind(chat_id)
    .bind(message_id)
    .bind(redemption_id)
    .bind(now)
    .fetch_one(&mut *c)
    .await?;
    Ok(row.try_get("id")?)
}

/// Whether claim `redemption_id` was posted to `channel` at or after `since`
/// (its current stay in the queue): the post's (chat id, message id).
pub async fn staff_post_since(
    c: &mut Conn,
    channel: Channel,
    redemption_id: RedemptionId,
    since: Timestamp,
) -> Result<Option<(String, String)>> {
    let row = sqlx::query(
        "SELECT chat_id, message_id FROM staff_posts
         WHERE channel = $1 AND redemption_id = $2 AND posted_at >= $3 ORDER BY id DESC LIMIT 1",
    )
    .bind(channel.as_str())
    .bind(redemption_id)
    .bind(since)
    .fetch_optional(&mut *c)
    .await?;
    row.map(|r| Ok((r.try_get("chat_id")?, r.try_get("message_id")?)))
        .transpose()
}

/// Records who decided from a staff post.
pub async fn mark_staff_post_decided(
    c: &mut Conn,
    channel: Channel,
    chat_id: &str,
    message_id: &str,
    by: &str,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE staff_posts SET decided_by = $1, decided_at = $2 WHERE channel = $3 AND chat_id = $4 AND message_id = $5",
    )
    .bind(by)
    .bind(now)
    .bind(channel.as_str())
    .bind(chat_id)
    .bind(message_id)
    .execute(&mut *c)
    .await?;
    Ok(())
}
