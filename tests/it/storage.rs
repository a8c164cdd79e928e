//! Repository tests, run on SQLite and on PostgreSQL: every test below becomes a
//! module with a `sqlite` and a `postgres` test (see `support::both_backends!`).

use crate::support;

use chrono::NaiveDate;
use redeemdesk::domain::{
    Actor, CategoryCatalog, CategoryInfo, ChkCode, EmailAddress, Event, Locale, LocalizedText, Member, MemberId,
    PartnerStore, Product, Promotion, PromotionId, PurchaseChannel, Recipient, Redemption, RedemptionId, Region,
    RejectionReason, Reward, SerialNumber, Status, Timestamp,
};
use redeemdesk::store::{
    AttachmentRecord, AttachmentSource, Backend, Db, NewAttachment, ProductRecord, RedemptionRecord, StoreError,
};
use sqlx::error::ErrorKind;
use support::{TestDb, both_backends};

// ---- fixtures ---------------------------------------------------------------

/// Whole seconds only: PostgreSQL keeps microseconds, SQLite nanoseconds.
fn at(s: &str) -> Timestamp {
    s.parse().expect("test timestamp")
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("test date")
}

fn region(code: &str) -> Region {
    Region::parse(code).unwrap()
}

fn staff(name: &str) -> Actor {
    Actor::Staff(name.to_owned())
}

async fn catalog(db: &Db) -> CategoryCatalog {
    db.begin().await.unwrap().categories().await.unwrap()
}

fn member(id: MemberId, email: &str, name: &str) -> Member {
    Member {
        id,
        email: EmailAddress::parse(email).unwrap(),
        name: name.to_owned(),
        locale: Locale::Id,
        region: region("ID"),
        phone: Some("+6281234567890".to_owned()),
    }
}

fn product(catalog: &CategoryCatalog, serial: &str, member_id: MemberId, category: &str) -> Product {
    Product {
        serial: SerialNumber::parse(serial).unwrap(),
        chk: ChkCode::parse("482").unwrap(),
        member_id,
        category: catalog.parse(category).unwrap(),
        model: "PRO AP242P".to_owned(),
        purchased_on: date("2026-04-10"),
        region: region("ID"),
        store: "Enter Komputer".to_owned(),
        channel: PurchaseChannel::Retail,
    }
}

/// Written in no particular order, with rewards of both kinds, partner stores
/// whose names mix case, and categories whose codes mix case.
fn smart_office(catalog: &CategoryCatalog) -> Promotion {
    let cat = |code| catalog.parse(code).unwrap();
    Promotion {
        id: PromotionId::parse("smart-office-2026").unwrap(),
        name: LocalizedText {
            id: "Hadiah Smart Office".into(),
            en: "Smart Office Rewards".into(),
        },
        description: LocalizedText {
            id: "Beli PC, dapat voucher".into(),
            en: "Buy a PC, get a voucher".into(),
        },
        starts_on: date("2026-04-01"),
        ends_on: date("2026-06-30"),
        claim_deadline: date("2026-07-31"),
        categories: vec![cat("PRO DT"), cat("Gaming Gear"), cat("AIO"), cat("Desktop")],
        regions: vec![region("ID-JK"), region("ID")],
        rewards: vec![
            (cat("PRO DT"), Reward::DigitalCode { amount_idr: 200_000 }),
            (
                cat("Gaming Gear"),
                Reward::PhysicalGift {
                    gift: LocalizedText {
                        id: "Tas ransel MSI".into(),
                        en: "MSI backpack".into(),
                    },
                },
            ),
            (cat("AIO"), Reward::DigitalCode { amount_idr: 500_000 }),
        ],
        partner_stores: vec![
            PartnerStore {
                region: region("ID-JK"),
                store: "Bhinneka Mangga Dua".into(),
            },
            PartnerStore {
                region: region("ID"),
                store: "bhinneka.com".into(),
            },
            PartnerStore {
                region: region("ID"),
                store: "Enter Komputer".into(),
            },
            PartnerStore {
                region: region("ID-JK"),
                store: "enterkomputer.com".into(),
            },
        ],
    }
}

fn gaming_fest(catalog: &CategoryCatalog) -> Promotion {
    Promotion {
        id: PromotionId::parse("gaming-fest-2026").unwrap(),
        name: LocalizedText {
            id: "Gaming Fest".into(),
            en: "Gaming Fest".into(),
        },
        description: LocalizedText::default(),
        starts_on: date("2026-05-01"),
        ends_on: date("2026-05-31"),
        claim_deadline: date("2026-06-30"),
        categories: vec![catalog.parse("AIO").unwrap()],
        regions: vec![region("ID")],
        rewards: vec![(
            catalog.parse("AIO").unwrap(),
            Reward::DigitalCode { amount_idr: 100_000 },
        )],
        partner_stores: vec![],
    }
}

/// The order `promotion()` hands lists back in: sorted by code, region and store.
fn sorted(p: &Promotion) -> Promotion {
    let mut p = p.clone();
    p.categories.sort();
    p.regions.sort();
    p.rewards.sort_by(|a, b| a.0.cmp(&b.0));
    p.partner_stores
        .sort_by(|a, b| (&a.region, &a.store).cmp(&(&b.region, &b.store)));
    p
}

/// A member, three of their products and the smart-office promotion, committed.
struct World {
    member: Member,
    products: Vec<ProductRecord>,
    promotion: Promotion,
}

async fn seed(db: &Db) -> World {
    let catalog = catalog(db).await;
    let member = member(7, "budi@example.test", "Budi Santoso");
    let promotion = smart_office(&catalog);
    let now = at("2026-04-15T00:00:00Z");
    let mut tx = db.begin_write().await.unwrap();
    tx.upsert_member(&member, now).await.unwrap();
    let mut products = Vec::new();
    for serial in ["K2305N0012345", "K2305N0012346", "K2305N0012347"] {
        let product = product(&catalog, serial, member.id, "AIO");
        let (id, _) = tx.upsert_product(&product, now).await.unwrap();
        products.push(ProductRecord { id, product });
    }
    tx.save_promotion(&promotion).await.unwrap();
    tx.commit().await.unwrap();
    World {
        member,
        products,
        promotion,
    }
}

/// Files a claim as the desk does: the redemption row, then its `submitted` event.
async fn submit(
    db: &Db,
    id: RedemptionId,
    product: &ProductRecord,
    promotion: &PromotionId,
    now: Timestamp,
) -> Redemption {
    let (redemption, event) = Redemption::submit(
        id,
        product.product.serial.clone(),
        promotion.clone(),
        now,
        Actor::Customer,
    );
    let record = RedemptionRecord {
        redemption: redemption.clone(),
        product_id: product.id,
        member_id: product.product.member_id,
        recipient: None,
        updated_at: now,
    };
    let mut tx = db.begin_write().await.unwrap();
    tx.insert_redemption(&record, now).await.unwrap();
    tx.insert_event(id, &event).await.unwrap();
    tx.commit().await.unwrap();
    redemption
}

/// Saves a transition the caller just made on `r` (which was `expected` before).
async fn record(db: &Db, r: &Redemption, expected: Status, event: &Event) {
    let mut tx = db.begin_write().await.unwrap();
    tx.record_transition(r, expected, event, event.at).await.unwrap();
    tx.commit().await.unwrap();
}

async fn queue_ids(db: &Db, limit: i64) -> Vec<RedemptionId> {
    let queue = db.begin().await.unwrap().review_queue(limit).await.unwrap();
    queue.iter().map(|r| r.redemption.id).collect()
}

// Raw SQL straight on the pool, bypassing the repository.

async fn raw_execute(db: &Db, sql: &str) -> Result<u64, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match db {
        Db::Sqlite(pool, _) => sqlx::query(sql).execute(pool).await.map(|done| done.rows_affected()),
        Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|done| done.rows_affected()),
    }
}

async fn raw_i64(db: &Db, sql: &str) -> Result<i64, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match db {
        Db::Sqlite(pool, _) => sqlx::query_scalar(sql).fetch_one(pool).await,
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
    }
}

async fn count(db: &Db, table: &str) -> i64 {
    raw_i64(db, &format!("SELECT COUNT(*) FROM {table}")).await.unwrap()
}

fn error_kind(err: &sqlx::Error) -> Option<ErrorKind> {
    err.as_database_error().map(|e| e.kind())
}

// ---- tests ------------------------------------------------------------------

both_backends! {
    async fn migration_seeds_the_categories(db: Db) {
        let catalog = catalog(&db).await;
        let mut codes: Vec<&str> = catalog.entries().iter().map(|c| c.code.as_str()).collect();
        codes.sort_unstable();
        let mut expected = ["AIO", "PRO DT", "MB", "PLC", "Desktop", "Monitor", "VGA", "SSD", "PBM", "Gaming Gear"];
        expected.sort_unstable();
        assert_eq!(codes, expected);

        let pro_dt = catalog.parse("pro-dt").unwrap();
        let info = catalog.info(&pro_dt).unwrap();
        assert_eq!((info.name_id.as_str(), info.name_en.as_str()), ("Desktop bisnis / Mini PC", "Business desktop / Mini PC"));
    }

    async fn upsert_category_reports_changes(db: Db) {
        let laptop = CategoryInfo { code: "NB".into(), name_id: "Laptop".into(), name_en: "Notebook".into() };
        let mut tx = db.begin_write().await.unwrap();
        assert!(tx.upsert_category(&laptop).await.unwrap(), "new category");
        assert!(!tx.upsert_category(&laptop).await.unwrap(), "same category again");
        let renamed = CategoryInfo { name_en: "Laptop".into(), ..laptop };
        assert!(tx.upsert_category(&renamed).await.unwrap(), "renamed category");
        tx.commit().await.unwrap();

        let catalog = catalog(&db).await;
        assert_eq!(catalog.entries().len(), 11);
        assert_eq!(catalog.info(&catalog.parse("nb").unwrap()), Some(&renamed));
    }

    async fn promotions_round_trip(db: Db) {
        let catalog = catalog(&db).await;
        let promotion = smart_office(&catalog);
        let mut tx = db.begin_write().await.unwrap();
        assert!(tx.save_promotion(&promotion).await.unwrap(), "a new promotion is a change");
        tx.commit().await.unwrap();

        let mut tx = db.begin().await.unwrap();
        let loaded = tx.promotion("smart-office-2026").await.unwrap().expect("saved promotion");
        assert_eq!(loaded, sorted(&promotion));
        assert_eq!(
            loaded.reward_for(&catalog.parse("Gaming Gear").unwrap()),
            Some(&Reward::PhysicalGift { gift: LocalizedText { id: "Tas ransel MSI".into(), en: "MSI backpack".into() } })
        );
        assert_eq!(loaded.reward_for(&catalog.parse("Desktop").unwrap()), None);
        assert_eq!(tx.promotion("no-such-promotion").await.unwrap(), None);
    }

    async fn save_promotion_reports_whether_anything_changed(db: Db) {
        let catalog = catalog(&db).await;
        let promotion = smart_office(&catalog);
        let mut tx = db.begin_write().await.unwrap();
        assert!(tx.save_promotion(&promotion).await.unwrap());
        assert!(!tx.save_promotion(&promotion).await.unwrap(), "saving the same promotion again");
        let reordered = sorted(&promotion);
        assert!(!tx.save_promotion(&reordered).await.unwrap(), "the same promotion in another order");

        let mut changed = promotion.clone();
        changed.claim_deadline = date("2026-08-15");
        assert!(tx.save_promotion(&changed).await.unwrap(), "new deadline");
        changed.rewards[0].1 = Reward::DigitalCode { amount_idr: 250_000 };
        assert!(tx.save_promotion(&changed).await.unwrap(), "new amount");
        changed.partner_stores.truncate(1);
        changed.categories.retain(|c| c.as_str() != "Desktop");
        assert!(tx.save_promotion(&changed).await.unwrap(), "fewer stores and categories");
        assert!(!tx.save_promotion(&changed).await.unwrap());
        tx.commit().await.unwrap();

        let loaded = db.begin().await.unwrap().promotion("smart-office-2026").await.unwrap().unwrap();
        assert_eq!(loaded, sorted(&changed), "rows no longer in the promotion are gone");
    }

    async fn promotions_are_listed_latest_first(db: Db) {
        let catalog = catalog(&db).await;
        let mut tx = db.begin_write().await.unwrap();
        tx.save_promotion(&smart_office(&catalog)).await.unwrap();
        tx.save_promotion(&gaming_fest(&catalog)).await.unwrap();
        tx.commit().await.unwrap();

        let listed = db.begin().await.unwrap().promotions().await.unwrap();
        assert_eq!(listed, vec![sorted(&gaming_fest(&catalog)), sorted(&smart_office(&catalog))]);
    }

    async fn members_round_trip(db: Db) {
        let budi = member(7, "Budi.Santoso@Example.TEST", "Budi Santoso");
        let mut tx = db.begin_write().await.unwrap();
        assert!(tx.upsert_member(&budi, at("2026-04-01T00:00:00Z")).await.unwrap(), "new member");
        assert!(!tx.upsert_member(&budi, at("2026-04-02T00:00:00Z")).await.unwrap(), "unchanged member");
        let renamed = Member { name: "Budi S.".into(), phone: None, ..budi.clone() };
        assert!(tx.upsert_member(&renamed, at("2026-04-03T00:00:00Z")).await.unwrap(), "changed member");
        tx.commit().await.unwrap();

        let mut tx = db.begin().await.unwrap();
        assert_eq!(tx.member(7).await.unwrap(), Some(renamed.clone()));
        assert_eq!(tx.member(8).await.unwrap(), None);
        let typed = EmailAddress::parse("BUDI.SANTOSO@example.test").unwrap();
        assert_eq!(tx.member_by_email(&typed.lookup_key()).await.unwrap(), Some(renamed));
        assert_eq!(
            tx.member_by_email(budi.email.as_str()).await.unwrap(),
            None,
            "lookups go by the folded key, not the address as written"
        );
    }

    async fn products_round_trip_and_match_look_alike_serials(db: Db) {
        let catalog = catalog(&db).await;
        let now = at("2026-04-15T00:00:00Z");
        let mut tx = db.begin_write().await.unwrap();
        tx.upsert_member(&member(7, "budi@example.test", "Budi"), now).await.unwrap();
        tx.upsert_member(&member(8, "sari@example.test", "Sari"), now).await.unwrap();
        let real = product(&catalog, "K2305N0012345", 7, "AIO");
        let (id, changed) = tx.upsert_product(&real, now).await.unwrap();
        assert!(changed, "new product");
        assert_eq!(tx.upsert_product(&real, now).await.unwrap(), (id, false), "unchanged product");
        let moved = Product { store: "bhinneka.com".into(), channel: PurchaseChannel::Online, ..real.clone() };
        assert_eq!(tx.upsert_product(&moved, now).await.unwrap(), (id, true), "changed product keeps its id");
        // Another sticker whose serial only differs by look-alikes, and one of another member.
        let twin = product(&catalog, "K2305NOO12345", 7, "Monitor");
        let (twin_id, _) = tx.upsert_product(&twin, now).await.unwrap();
        let other = product(&catalog, "T1234567890", 8, "VGA");
        let (other_id, _) = tx.upsert_product(&other, now).await.unwrap();
        tx.commit().await.unwrap();

        let mut tx = db.begin().await.unwrap();
        let moved = ProductRecord { id, product: moved };
        let twin = ProductRecord { id: twin_id, product: twin };
        assert_eq!(tx.product_by_serial("K2305N0012345").await.unwrap(), Some(moved.clone()));
        assert_eq!(tx.product_by_serial("K2305N00l2345").await.unwrap(), None, "exact lookup is exact");

        let typed = SerialNumber::parse("k2305n00l2345").unwrap();
        assert_eq!(typed.as_str(), "K2305N00L2345");
        let found = tx.products_by_serial_key(&typed.match_key()).await.unwrap();
        assert_eq!(found, vec![moved.clone(), twin.clone()]);
        assert_eq!(tx.products_by_serial_key("NOTHING1234").await.unwrap(), vec![]);

        assert_eq!(tx.products_of_member(7).await.unwrap(), vec![moved, twin]);
        let others = tx.products_of_member(8).await.unwrap();
        assert_eq!(others, vec![ProductRecord { id: other_id, product: other }]);
        assert_eq!(tx.products_of_member(9).await.unwrap(), vec![]);
    }

    async fn redemptions_round_trip_with_their_history(db: Db) {
        let w = seed(&db).await;
        let p = &w.products[0];
        let submitted_at = at("2026-04-20T03:00:00Z");
        let (redemption, submitted) =
            Redemption::submit(1042, p.product.serial.clone(), w.promotion.id.clone(), submitted_at, Actor::Customer);
        let claim = RedemptionRecord {
            redemption,
            product_id: p.id,
            member_id: w.member.id,
            recipient: Some(Recipient {
                name: "Budi Santoso".into(),
                address: "Jl. Sudirman 1, Jakarta".into(),
                zip_code: "12190".into(),
                phone: "+6281234567890".into(),
            }),
            updated_at: submitted_at,
        };
        let mut tx = db.begin_write().await.unwrap();
        tx.insert_redemption(&claim, submitted_at).await.unwrap();
        tx.insert_event(1042, &submitted).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(db.begin().await.unwrap().redemption(1042).await.unwrap(), Some(claim.clone()));

        // Rejected, resubmitted with new files, approved, reward sent.
        let mut r = claim.redemption.clone();
        let rejected = r
            .reject(RejectionReason::SerialPhotoPackaging, Some("photo shows the box".into()), staff("rina"), at("2026-04-21T02:00:00Z"))
            .unwrap();
        record(&db, &r, Status::UnderReview, &rejected).await;
        let mut tx = db.begin_write().await.unwrap();
        let file = NewAttachment {
            redemption_id: 1042,
            filename: "serial.jpg".into(),
            content_type: "image/jpeg".into(),
            bytes: 48_213,
            sha256: "5e".repeat(32),
            width: Some(1600),
            height: Some(1200),
            blob_key: Some("sha256/5e5e".into()),
            source: AttachmentSource::Email,
        };
        let file_id = tx.insert_attachment(&file, at("2026-04-22T01:00:00Z")).await.unwrap();
        tx.commit().await.unwrap();
        let resubmitted = r.resubmit(vec![file_id], Actor::Customer, at("2026-04-22T01:00:00Z")).unwrap();
        record(&db, &r, Status::Rejected, &resubmitted).await;
        let approved = r.approve(Some("serial matches".into()), staff("dewi"), at("2026-04-23T04:00:00Z")).unwrap();
        record(&db, &r, Status::UnderReview, &approved).await;
        let sent = r.mark_reward_sent(None, Actor::System, at("2026-04-24T05:00:00Z")).unwrap();
        record(&db, &r, Status::Approved, &sent).await;

        let mut tx = db.begin().await.unwrap();
        let history = tx.history(1042).await.unwrap();
        assert_eq!(history, vec![submitted, rejected, resubmitted, approved, sent]);
        let stored = tx.redemption(1042).await.unwrap().unwrap();
        assert_eq!(stored.redemption, r);
        assert_eq!(stored.redemption.status(), Status::RewardSent);
        assert_eq!(
            stored.redemption.last_rejection(),
            Some(&(RejectionReason::SerialPhotoPackaging, Some("photo shows the box".into())))
        );
        assert_eq!(stored.redemption.queued_at(), at("2026-04-22T01:00:00Z"));
        assert_eq!(stored.redemption.submitted_at, submitted_at);
        assert_eq!(stored.updated_at, at("2026-04-24T05:00:00Z"));
        assert_eq!(stored.recipient, claim.recipient);
        let replayed = Redemption::replay(1042, p.product.serial.clone(), w.promotion.id.clone(), &history).unwrap();
        assert_eq!(replayed, stored.redemption, "status and history agree");
        assert_eq!(tx.history(9999).await.unwrap(), vec![]);
        assert_eq!(tx.redemption(9999).await.unwrap(), None);
    }

    async fn redemptions_are_found_by_product_member_and_promotion(db: Db) {
        let w = seed(&db).await;
        let catalog = catalog(&db).await;
        let fest = gaming_fest(&catalog);
        let mut tx = db.begin_write().await.unwrap();
        tx.save_promotion(&fest).await.unwrap();
        tx.commit().await.unwrap();
        let (p0, p1) = (&w.products[0], &w.products[1]);
        let a = submit(&db, 1, p0, &fest.id, at("2026-05-10T00:00:00Z")).await;
        let b = submit(&db, 2, p0, &w.promotion.id, at("2026-04-20T00:00:00Z")).await;
        let c = submit(&db, 3, p1, &w.promotion.id, at("2026-04-25T00:00:00Z")).await;

        let mut tx = db.begin().await.unwrap();
        let ids = |records: Vec<RedemptionRecord>| records.into_iter().map(|r| r.redemption).collect::<Vec<_>>();
        assert_eq!(ids(tx.redemptions_of_product(p0.id).await.unwrap()), vec![b.clone(), a.clone()], "oldest first");
        assert_eq!(ids(tx.redemptions_of_product(p1.id).await.unwrap()), vec![c.clone()]);
        assert_eq!(ids(tx.redemptions_of_product(w.products[2].id).await.unwrap()), vec![]);
        // The status look-up's one statement: each product with the same
        // redemptions in the same order, also a product with none.
        for p in &w.products {
            let found = tx
                .products_with_redemptions_by_serial_key(&p.product.serial.match_key())
                .await
                .unwrap();
            let mine = found.iter().find(|(q, _)| q.id == p.id).expect("the product itself");
            assert_eq!(&mine.0, p);
            let alone = tx.redemptions_of_product(p.id).await.unwrap();
            assert_eq!(mine.1, alone, "{}", p.product.serial);
        }
        let found = tx
            .products_with_redemptions_by_serial_key(&p0.product.serial.match_key())
            .await
            .unwrap();
        let of_p0 = &found.iter().find(|(q, _)| q.id == p0.id).unwrap().1;
        assert_eq!(ids(of_p0.clone()), vec![b.clone(), a.clone()], "oldest first");
        assert_eq!(tx.products_with_redemptions_by_serial_key("NOTHING1234").await.unwrap(), vec![]);
        assert_eq!(ids(tx.redemptions_of_member(w.member.id).await.unwrap()), vec![b.clone(), c, a.clone()]);
        assert_eq!(ids(tx.redemptions_of_member(8).await.unwrap()), vec![]);

        let found = tx.redemption_for(p0.id, "gaming-fest-2026").await.unwrap().unwrap();
        assert_eq!((found.redemption, found.product_id, found.member_id), (a, p0.id, w.member.id));
        let found = tx.redemption_for(p0.id, "smart-office-2026").await.unwrap().unwrap();
        assert_eq!(found.redemption, b);
        assert_eq!(tx.redemption_for(w.products[2].id, "smart-office-2026").await.unwrap(), None);
    }

    async fn a_second_claim_for_the_same_product_and_promotion_is_refused(db: Db) {
        let w = seed(&db).await;
        let first = submit(&db, 1, &w.products[0], &w.promotion.id, at("2026-04-20T00:00:00Z")).await;
        let (again, _) = Redemption::submit(
            2,
            first.serial.clone(),
            first.promotion_id.clone(),
            at("2026-04-21T00:00:00Z"),
            Actor::Customer,
        );
        let now = at("2026-04-21T00:00:00Z");
        let record = RedemptionRecord {
            redemption: again,
            product_id: w.products[0].id,
            member_id: w.member.id,
            recipient: None,
            updated_at: now,
        };
        let mut tx = db.begin_write().await.unwrap();
        let err = tx.insert_redemption(&record, now).await.unwrap_err();
        let StoreError::Sqlx(err) = &err else { panic!("expected a database error, got {err}") };
        assert_eq!(error_kind(err), Some(ErrorKind::UniqueViolation), "{err}");
        drop(tx);
        assert_eq!(count(&db, "redemptions").await, 1);
    }

    async fn review_queue_serves_the_oldest_first(db: Db) {
        let w = seed(&db).await;
        let promo = &w.promotion.id;
        submit(&db, 1, &w.products[0], promo, at("2026-04-20T10:00:00Z")).await;
        let mut two = submit(&db, 2, &w.products[1], promo, at("2026-04-20T09:00:00Z")).await;
        submit(&db, 3, &w.products[2], promo, at("2026-04-20T11:00:00Z")).await;
        assert_eq!(queue_ids(&db, 10).await, vec![2, 1, 3]);

        let rejected = two.reject(RejectionReason::InvoiceUnreadable, None, staff("rina"), at("2026-04-20T11:30:00Z")).unwrap();
        record(&db, &two, Status::UnderReview, &rejected).await;
        assert_eq!(queue_ids(&db, 10).await, vec![1, 3], "rejected claims leave the queue");

        let resubmitted = two.resubmit(vec![99], Actor::Customer, at("2026-04-20T12:00:00Z")).unwrap();
        record(&db, &two, Status::Rejected, &resubmitted).await;
        assert_eq!(queue_ids(&db, 10).await, vec![1, 3, 2], "a resubmitted claim joins the back of the queue");
        assert_eq!(queue_ids(&db, 2).await, vec![1, 3]);

        let queue = db.begin().await.unwrap().review_queue(10).await.unwrap();
        let back = &queue[2].redemption;
        assert_eq!((back.submitted_at, back.queued_at()), (at("2026-04-20T09:00:00Z"), at("2026-04-20T12:00:00Z")));
    }

    async fn sub_second_timestamps_round_trip_and_order(db: Db) {
        // Milliseconds survive both backends (PostgreSQL keeps microseconds); on
        // SQLite they are text, which must still sort in time order.
        let w = seed(&db).await;
        let promo = &w.promotion.id;
        let times = [
            at("2026-04-20T10:00:00.5Z"),
            at("2026-04-20T10:00:00Z"),
            at("2026-04-20T10:00:00.25Z"),
        ];
        let mut submitted = Vec::new();
        for (i, (product, time)) in w.products.iter().zip(times).enumerate() {
            submitted.push(submit(&db, i as i64 + 1, product, promo, time).await);
        }
        assert_eq!(queue_ids(&db, 10).await, vec![2, 3, 1]);
        let mut tx = db.begin().await.unwrap();
        for r in &submitted {
            let stored = tx.redemption(r.id).await.unwrap().unwrap();
            assert_eq!(&stored.redemption, r);
            assert_eq!(tx.history(r.id).await.unwrap()[0].at, r.submitted_at);
        }
    }

    async fn stale_transitions_conflict_and_write_nothing(db: Db) {
        let w = seed(&db).await;
        let r = submit(&db, 1, &w.products[0], &w.promotion.id, at("2026-04-20T03:00:00Z")).await;

        // Two reviewers open the same claim; the first one approves it.
        let (mut first, mut second) = (r.clone(), r);
        let approved = first.approve(None, staff("rina"), at("2026-04-21T03:00:00Z")).unwrap();
        record(&db, &first, Status::UnderReview, &approved).await;

        // The second one still sees it under review and rejects it.
        let rejected =
            second.reject(RejectionReason::InvoiceUnreadable, None, staff("dewi"), at("2026-04-21T03:05:00Z")).unwrap();
        let mut tx = db.begin_write().await.unwrap();
        let err = tx.record_transition(&second, Status::UnderReview, &rejected, rejected.at).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "expected a conflict, got {err:?}");
        // Committing anyway proves the failed attempt left nothing behind.
        tx.commit().await.unwrap();

        let mut tx = db.begin().await.unwrap();
        let stored = tx.redemption(1).await.unwrap().unwrap();
        assert_eq!(stored.redemption, first);
        assert_eq!(stored.redemption.last_rejection(), None);
        assert_eq!(stored.updated_at, at("2026-04-21T03:00:00Z"));
        let history = tx.history(1).await.unwrap();
        assert_eq!(history.iter().map(|e| e.change.kind().as_str()).collect::<Vec<_>>(), ["submitted", "approved"]);
    }

    async fn attachments_round_trip(db: Db) {
        let w = seed(&db).await;
        submit(&db, 1, &w.products[0], &w.promotion.id, at("2026-04-20T03:00:00Z")).await;
        submit(&db, 2, &w.products[1], &w.promotion.id, at("2026-04-20T04:00:00Z")).await;
        let invoice = NewAttachment {
            redemption_id: 1,
            filename: "faktur.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: 182_044,
            sha256: "a1".repeat(32),
            width: None,
            height: None,
            blob_key: Some("sha256/a1a1".into()),
            source: AttachmentSource::MemberCenter,
        };
        let mut tx = db.begin_write().await.unwrap();
        let mut expected = Vec::new();
        for (i, source) in AttachmentSource::ALL.into_iter().enumerate() {
            let attachment = NewAttachment {
                filename: format!("file-{i}.jpg"),
                width: Some(800 + i as i64),
                height: Some(600),
                blob_key: (i % 2 == 0).then(|| format!("sha256/{i}")),
                source,
                ..invoice.clone()
            };
            let now = at("2026-04-21T00:00:00Z") + chrono::Duration::minutes(i as i64);
            let id = tx.insert_attachment(&attachment, now).await.unwrap();
            expected.push(AttachmentRecord { id, attachment, created_at: now });
        }
        let other_id = tx.insert_attachment(&NewAttachment { redemption_id: 2, ..invoice.clone() }, at("2026-04-21T09:00:00Z")).await.unwrap();
        tx.commit().await.unwrap();

        assert!(expected.windows(2).all(|w| w[0].id < w[1].id), "ids grow");
        let mut tx = db.begin().await.unwrap();
        assert_eq!(tx.attachments(1).await.unwrap(), expected);
        let others = tx.attachments(2).await.unwrap();
        assert_eq!(others.iter().map(|a| (a.id, &a.attachment)).collect::<Vec<_>>(), vec![(other_id, &NewAttachment { redemption_id: 2, ..invoice })]);
        assert_eq!(tx.attachments(3).await.unwrap(), vec![]);
    }

    async fn check_constraints_refuse_bad_rows(db: Db) {
        let w = seed(&db).await;
        submit(&db, 1, &w.products[0], &w.promotion.id, at("2026-04-20T03:00:00Z")).await;
        let product = "(SELECT id FROM products WHERE serial = 'K2305N0012346')";
        let redemption = |status: &str, reason: &str| {
            format!(
                "INSERT INTO redemptions (id, product_id, member_id, promotion_id, status, last_reason, submitted_at, queued_at, updated_at)
                 VALUES (2, {product}, 7, 'smart-office-2026', {status}, {reason},
                         '2026-04-20T03:00:00+00:00', '2026-04-20T03:00:00+00:00', '2026-04-20T03:00:00+00:00')"
            )
        };
        let product_row = |chk: &str, channel: &str| {
            format!(
                "INSERT INTO products (serial, serial_key, chk, member_id, category, model, purchased_on, region, store, channel, created_at)
                 VALUES ('X1234567890', 'X1234567890', {chk}, 7, 'AIO', 'm', '2026-04-10', 'ID', 's', {channel}, '2026-04-20T03:00:00+00:00')"
            )
        };
        let event = |kind: &str, actor: &str, reason: &str| {
            format!(
                "INSERT INTO redemption_events (redemption_id, at, kind, actor, reason)
                 VALUES (1, '2026-04-21T03:00:00+00:00', {kind}, {actor}, {reason})"
            )
        };
        let reward = |kind: &str, amount: &str, gift: &str| {
            format!(
                "INSERT INTO promotion_rewards (promotion_id, category, kind, amount_idr, gift_id, gift_en)
                 VALUES ('smart-office-2026', 'MB', {kind}, {amount}, {gift}, {gift})"
            )
        };
        let attachment = |bytes: &str, source: &str| {
            format!(
                "INSERT INTO attachments (redemption_id, filename, content_type, bytes, sha256, source, created_at)
                 VALUES (1, 'f.jpg', 'image/jpeg', {bytes}, 'x', {source}, '2026-04-21T03:00:00+00:00')"
            )
        };
        let cases = [
            ("redemptions", "unknown status", redemption("'lost'", "NULL")),
            ("redemptions", "rejected without a reason", redemption("'rejected'", "NULL")),
            ("redemptions", "unknown reason", redemption("'rejected'", "'bad_vibes'")),
            ("products", "CHK with a letter", product_row("'48a'", "'retail'")),
            ("products", "CHK of 4 digits", product_row("'4821'", "'retail'")),
            ("products", "unknown channel", product_row("'482'", "'mall'")),
            (
                "members",
                "unknown locale",
                "INSERT INTO members (id, email, email_key, name, locale, region, created_at)
                 VALUES (9, 'a@x.test', 'a@x.test', 'A', 'fr', 'ID', '2026-04-20T03:00:00+00:00')"
                    .to_owned(),
            ),
            ("redemption_events", "rejection without a reason", event("'rejected'", "'staff:rina'", "NULL")),
            ("redemption_events", "approval with a reason", event("'approved'", "'staff:rina'", "'invoice_unreadable'")),
            ("redemption_events", "unknown kind", event("'lost'", "'system'", "NULL")),
            ("redemption_events", "staff without a name", event("'approved'", "'staff:'", "NULL")),
            ("redemption_events", "unknown actor", event("'approved'", "'robot'", "NULL")),
            ("promotion_rewards", "digital code of zero", reward("'digital_code'", "0", "NULL")),
            ("promotion_rewards", "gift without a name", reward("'physical_gift'", "NULL", "NULL")),
            ("promotion_rewards", "unknown reward kind", reward("'cashback'", "1000", "NULL")),
            ("attachments", "negative size", attachment("-1", "'email'")),
            ("attachments", "unknown source", attachment("10", "'fax'")),
            (
                "promotions",
                "period ending before it starts",
                "INSERT INTO promotions (id, name_id, name_en, starts_on, ends_on, claim_deadline)
                 VALUES ('backwards', 'x', 'x', '2026-05-01', '2026-04-01', '2026-06-01')"
                    .to_owned(),
            ),
        ];
        for (table, what, sql) in cases {
            let before = count(&db, table).await;
            let err = raw_execute(&db, &sql).await.expect_err(&format!("{table}: {what} was accepted"));
            assert_eq!(error_kind(&err), Some(ErrorKind::CheckViolation), "{table}: {what}: {err}");
            assert_eq!(count(&db, table).await, before, "{table}: {what} left a row");
        }
        // The same rows with good values go in, so the refusals above were the checks.
        raw_execute(&db, &redemption("'rejected'", "'invoice_unreadable'")).await.unwrap();
        raw_execute(&db, &product_row("'482'", "'online'")).await.unwrap();
        raw_execute(&db, &event("'rejected'", "'staff:rina'", "'invoice_unreadable'")).await.unwrap();
        raw_execute(&db, &reward("'physical_gift'", "NULL", "'Tas'")).await.unwrap();
        raw_execute(&db, &attachment("0", "'chat'")).await.unwrap();
    }

    async fn dropping_a_transaction_rolls_it_back(db: Db) {
        let catalog = catalog(&db).await;
        let now = at("2026-04-15T00:00:00Z");
        let mut tx = db.begin_write().await.unwrap();
        tx.upsert_member(&member(7, "budi@example.test", "Budi"), now).await.unwrap();
        tx.upsert_product(&product(&catalog, "K2305N0012345", 7, "AIO"), now).await.unwrap();
        tx.save_promotion(&smart_office(&catalog)).await.unwrap();
        assert!(tx.member(7).await.unwrap().is_some(), "visible inside the transaction");
        drop(tx);

        let mut tx = db.begin().await.unwrap();
        assert_eq!(tx.member(7).await.unwrap(), None);
        assert_eq!(tx.product_by_serial("K2305N0012345").await.unwrap(), None);
        assert_eq!(tx.promotions().await.unwrap(), vec![]);
        drop(tx);

        // And the same work committed stays.
        let w = seed(&db).await;
        assert_eq!(db.begin().await.unwrap().member(7).await.unwrap(), Some(w.member));
    }

    async fn generated_ids_continue_after_imported_ones(db: Db) {
        let now = at("2026-04-15T00:00:00Z");
        let mut tx = db.begin_write().await.unwrap();
        for id in [1, 2, 501] {
            tx.upsert_member(&member(id, &format!("m{id}@example.test"), "Imported"), now).await.unwrap();
        }
        tx.commit().await.unwrap();
        let insert = "INSERT INTO members (email, email_key, name, locale, region, created_at)
                      VALUES ('new@example.test', 'new@example.test', 'New', 'id', 'ID', '2026-04-16T00:00:00+00:00')
                      RETURNING id";
        if db.backend() == Backend::Postgres {
            // The identity sequence knows nothing of the imported ids yet.
            let err = raw_i64(&db, insert).await.expect_err("generated id 1 collides with imported member 1");
            assert_eq!(error_kind(&err), Some(ErrorKind::UniqueViolation), "{err}");
        }

        let mut tx = db.begin_write().await.unwrap();
        tx.sync_id_sequences().await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(raw_i64(&db, insert).await.unwrap(), 502);
        let member = db.begin().await.unwrap().member(502).await.unwrap().unwrap();
        assert_eq!(member.email.as_str(), "new@example.test");
    }
}

/// PostgreSQL sorts text by the database's collation, which is often linguistic
/// (`bhinneka.com` before `Enter Komputer`); saving an unchanged promotion must
/// still report no change, and lists come back in the same order as on SQLite.
#[tokio::test]
async fn promotions_do_not_depend_on_the_postgres_collation() {
    let test_db =
        TestDb::postgres_with("TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'")
            .await;
    let db = &test_db.db;
    let collation = raw_i64(db, "SELECT COUNT(*) WHERE 'a' < 'B'").await.unwrap();
    assert_eq!(collation, 1, "the test database should sort text linguistically");

    let promotion = smart_office(&catalog(db).await);
    let mut tx = db.begin_write().await.unwrap();
    assert!(tx.save_promotion(&promotion).await.unwrap());
    assert!(
        !tx.save_promotion(&promotion).await.unwrap(),
        "saving the same promotion again"
    );
    assert_eq!(
        tx.promotion("smart-office-2026").await.unwrap(),
        Some(sorted(&promotion))
    );
}

#[test]
fn test_database_urls_keep_the_server_and_options() {
    use support::with_database;
    assert_eq!(
        with_database("postgres://root@127.0.0.1:5432/test", "x"),
        "postgres://root@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/test?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgresql://h:5432", "x"), "postgresql://h:5432/x");
}

both_backends! {
    /// Two reviewers never decide the same claim: a lease keeps others out until
    /// it expires or is released, and a decision ends it.
    async fn review_leases_keep_two_reviewers_apart(db: Db) {
        use redeemdesk::domain::Actor;
        use redeemdesk::review::{self, Decision, ReviewError, ReviewSettings};
        let now: chrono::DateTime<chrono::Utc> = "2026-05-04T03:00:00Z".parse().unwrap();
        redeemdesk::import::import_json(&db, redeemdesk::import::DEMO_JSON, now).await.unwrap();
        let settings = ReviewSettings::default();
        let mail = redeemdesk::mail::outbox::MailSettings::default();

        // Rizky (1044's member) linked a Telegram chat: decisions are told there too.
        let mut tx = db.begin_write().await.unwrap();
        let chat = tx.chat_user(redeemdesk::domain::Channel::Telegram, "5150", now).await.unwrap();
        let member = tx.redemption(1044).await.unwrap().unwrap().member_id;
        tx.insert_chat_link(chat.id, member, now).await.unwrap();
        tx.commit().await.unwrap();

        let lease = review::claim(&db, 1044, "ana", &settings, now).await.unwrap();
        assert_eq!(lease.until, now + settings.lease);
        // The same reviewer again: extended.
        let later = now + chrono::Duration::minutes(5);
        assert_eq!(review::claim(&db, 1044, "ana", &settings, later).await.unwrap().until, later + settings.lease);
        match review::claim(&db, 1044, "budi", &settings, later).await {
            Err(ReviewError::Leased { by, .. }) => assert_eq!(by, "ana"),
            other => panic!("expected a lease conflict, got {other:?}"),
        }
        let approve = Decision::Approve { note: None };
        let decided = review::decide(&db, 1044, approve.clone(), Actor::Staff("budi".into()), &mail, later).await;
        assert!(matches!(decided, Err(ReviewError::Leased { .. })), "{decided:?}");

        let queue = review::queue(&db, &settings, later, 10).await.unwrap();
        let entry = queue.iter().find(|e| e.record.redemption.id == 1044).unwrap();
        assert_eq!(entry.lease.as_ref().unwrap().reviewer, "ana");
        assert!(!entry.resubmission);

        // Expired: anyone may take it; the decision ends the lease.
        let expired = later + settings.lease + chrono::Duration::seconds(1);
        review::claim(&db, 1044, "budi", &settings, expired).await.unwrap();
        review::decide(&db, 1044, approve, Actor::Staff("budi".into()), &mail, expired).await.unwrap();
        let mut tx = db.begin().await.unwrap();
        assert_eq!(tx.review_lease(1044, expired).await.unwrap(), None);
        let jobs = tx.jobs(None, 100).await.unwrap();
        let notices: Vec<_> = jobs
            .iter()
            .filter(|j| j.kind == redeemdesk::jobs::JobKind::ChatMessage)
            .map(|j| j.payload.clone())
            .collect();
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert_eq!(notices[0]["chat_id"], "5150");
        assert!(notices[0]["text"].as_str().unwrap().contains("RDM-1044"), "{}", notices[0]);
        drop(tx);
        assert!(matches!(
            review::claim(&db, 1044, "ana", &settings, expired).await,
            Err(ReviewError::NotQueued(1044))
        ));
        assert!(matches!(review::claim(&db, 999, "ana", &settings, expired).await, Err(ReviewError::NotFound(999))));

        // Age in working days, and the overdue flag.
        let queue = review::queue(&db, &settings, "2026-05-04T03:00:00Z".parse().unwrap(), 10).await.unwrap();
        let entry = &queue[0];
        assert_eq!(entry.record.redemption.id, 1046);
        let strict = ReviewSettings { overdue_after_days: 0, ..ReviewSettings::default() };
        let aged = review::queue(&db, &strict, "2026-05-04T03:00:00Z".parse().unwrap(), 10).await.unwrap();
        assert_eq!(aged[0].overdue, aged[0].age_working_days > 0);
    }
}
