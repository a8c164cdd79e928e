//! The import file: happy path, idempotence, and every kind of invalid record
//! refused as a whole (named record and field, nothing written), on both backends.

use crate::support;

use chrono::Utc;
use redeemdesk::import::{DEMO_JSON, ImportError, import_json};
use redeemdesk::store::Db;
use redeemdesk::views::status_view;
use serde_json::{Value, json};
use support::both_backends;

const TABLES: [&str; 10] = [
    "categories",
    "promotions",
    "promotion_categories",
    "promotion_regions",
    "promotion_rewards",
    "members",
    "products",
    "redemptions",
    "redemption_events",
    "attachments",
];

/// Row counts of every table, and the staff view of every demo serial: what
/// "nothing changed" is checked against.
async fn snapshot(db: &Db) -> (Vec<i64>, Vec<Value>) {
    let mut counts = Vec::new();
    for table in TABLES {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 = match db {
            Db::Sqlite(p, _) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(p).await.unwrap(),
            Db::Postgres(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(p).await.unwrap(),
        };
        counts.push(n);
    }
    let demo: Value = serde_json::from_str(DEMO_JSON).unwrap();
    let mut views = Vec::new();
    for p in demo["products"].as_array().unwrap() {
        let view = status_view(db, p["serial"].as_str().unwrap()).await.unwrap();
        views.push(serde_json::to_value(view).unwrap());
    }
    (counts, views)
}

fn small_file() -> Value {
    json!({
        "promotions": [{
            "id": "smart-office-2026",
            "name": {"id": "Smart Office Rewards", "en": "Smart Office Rewards"},
            "starts_on": "2026-04-01", "ends_on": "2026-06-30",
            "categories": ["AIO", "PRO DT"], "regions": ["ID"],
            "rewards": [{"category": "AIO", "kind": "digital_code", "amount_idr": 500000},
                        {"category": "PRO DT", "kind": "digital_code", "amount_idr": 200000}]
        }],
        "members": [{"id": 601, "email": "andi@example.test", "name": "Andi", "locale": "id", "region": "ID"}],
        "products": [{"serial": "K2399N0077777", "chk": "123", "member_id": 601, "category": "AIO",
                      "model": "Modern AM242 1M", "purchased_on": "2026-04-12", "region": "ID",
                      "store": "Enter Komputer", "channel": "retail"}],
        "redemptions": [{"id": 2001, "serial": "K2399N0077777", "promotion_id": "smart-office-2026",
                         "submitted_at": "2026-04-20T10:00:00+07:00", "status": "under_review"}]
    })
}

async fn import(db: &Db, doc: &Value) -> Result<redeemdesk::import::ImportReport, ImportError> {
    import_json(db, &doc.to_string(), Utc::now()).await
}

/// Imports `doc` on top of the demo data and checks it is refused as bad input,
/// naming `record` and `field`, with nothing written.
async fn refused(db: &Db, doc: Value, record: &str, field: &str) {
    import_json(db, DEMO_JSON, Utc::now()).await.unwrap();
    let before = snapshot(db).await;
    let err = import(db, &doc).await.expect_err("the file must be refused");
    assert!(err.is_bad_input(), "{err}");
    let ImportError::Invalid {
        record: r,
        field: f,
        message,
    } = &err
    else {
        panic!("expected a record error, got {err}");
    };
    assert!(
        r.starts_with(record),
        "record {r:?} should start with {record:?}: {err}"
    );
    assert_eq!(f, field, "{err}");
    assert!(!message.is_empty());
    assert_eq!(snapshot(db).await, before, "a refused import must write nothing");
}

both_backends! {
    async fn demo_data_imports_and_reimports_unchanged(db: Db) {
        let first = import_json(&db, DEMO_JSON, Utc::now()).await.unwrap();
        assert_eq!(first.promotions.written, 3);
        assert_eq!(first.members.written, 4);
        assert_eq!(first.products.written, 7);
        assert_eq!(first.redemptions.written, 6);
        let before = snapshot(&db).await;
        let second = import_json(&db, DEMO_JSON, Utc::now()).await.unwrap();
        assert_eq!(second.written(), 0, "{second:?}");
        assert_eq!(second.redemptions.unchanged, 6);
        assert_eq!(snapshot(&db).await, before);
    }

    async fn imported_history_is_kept_with_source_ids(db: Db) {
        import_json(&db, DEMO_JSON, Utc::now()).await.unwrap();
        let view = serde_json::to_value(status_view(&db, "K2306N0098765").await.unwrap()).unwrap();
        let r = &view["redemptions"][0];
        assert_eq!(r["id"], 1046);
        assert_eq!(r["status"], "under_review");
        let kinds: Vec<_> = r["history"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["submitted", "rejected", "resubmitted"]);
        assert_eq!(r["history"][1]["reason"], "serial_photo_packaging");
        assert_eq!(r["history"][1]["actor"], "staff:agus");
        let attachment_id = &r["attachments"][0]["id"];
        assert_eq!(&r["history"][2]["attachment_ids"][0], attachment_id);
        assert_eq!(r["attachments"][0]["filename"], "sn-sticker.jpg");

        let approved = serde_json::to_value(status_view(&db, "KA2M305678901").await.unwrap()).unwrap();
        assert_eq!(approved["product"]["model"], "MPG 321URX QD-OLED");
        assert_eq!(approved["redemptions"][0]["status"], "approved");
    }

    async fn a_later_file_can_refer_to_stored_records(db: Db) {
        import_json(&db, DEMO_JSON, Utc::now()).await.unwrap();
        // A product of demo member 501 and a claim on a demo promotion.
        let doc = json!({
            "products": [{"serial": "K2399N0088888", "chk": "321", "member_id": 501, "category": "PRO DT",
                          "model": "Cubi 5 12M", "purchased_on": "2026-05-01", "region": "ID",
                          "store": "Enter Komputer", "channel": "retail"}],
            "redemptions": [{"id": 3001, "serial": "K2399N0088888", "promotion_id": "smart-office-2026",
                             "submitted_at": "2026-05-02T10:00:00+07:00", "status": "rejected",
                             "reason": "invoice_unreadable", "note": "blurred photo"}]
        });
        let report = import(&db, &doc).await.unwrap();
        assert_eq!((report.products.written, report.redemptions.written), (1, 1));
        let view = serde_json::to_value(status_view(&db, "K2399N0088888").await.unwrap()).unwrap();
        assert_eq!(view["redemptions"][0]["reason"], "invoice_unreadable");
        assert_eq!(view["member"]["id"], 501);
    }

    async fn new_ids_after_import_do_not_collide(db: Db) {
        import_json(&db, DEMO_JSON, Utc::now()).await.unwrap();
        // A member inserted without an id gets one past the imported ones.
        let sql = "INSERT INTO members (email, email_key, name, locale, region, created_at)
                   VALUES ('new@example.test', 'new@example.test', 'New', 'id', 'ID', $1) RETURNING id";
        let id: i64 = match &db {
            Db::Sqlite(p, _) => sqlx::query_scalar(sql).bind(Utc::now()).fetch_one(p).await.unwrap(),
            Db::Postgres(p) => sqlx::query_scalar(sql).bind(Utc::now()).fetch_one(p).await.unwrap(),
        };
        assert!(id > 504, "{id}");
    }

    async fn impossible_date_is_refused(db: Db) {
        let mut doc = small_file();
        // The guide itself prints this date.
        doc["promotions"][0]["ends_on"] = json!("2026-06-31");
        refused(&db, doc, "promotions[0]", "ends_on").await;
    }

    async fn unknown_category_is_refused(db: Db) {
        let mut doc = small_file();
        doc["products"][0]["category"] = json!("Laptop");
        refused(&db, doc, "products[0]", "category").await;
    }

    async fn bad_chk_is_refused(db: Db) {
        let mut doc = small_file();
        doc["products"][0]["chk"] = json!("12a");
        refused(&db, doc, "products[0]", "chk").await;
    }

    async fn duplicate_serial_is_refused(db: Db) {
        let mut doc = small_file();
        let mut twin = doc["products"][0].clone();
        twin["serial"] = json!("k2399-n00-77777");
        doc["products"].as_array_mut().unwrap().push(twin);
        refused(&db, doc, "products[1]", "serial").await;
    }

    async fn look_alike_of_a_stored_serial_is_refused(db: Db) {
        let mut doc = small_file();
        // Demo serial K2305N0012345 with O for 0 and l for 1, for another member.
        doc["products"][0]["serial"] = json!("K23O5N00l2345");
        refused(&db, doc, "products[0]", "serial").await;
    }

    async fn dangling_member_is_refused(db: Db) {
        let mut doc = small_file();
        doc["products"][0]["member_id"] = json!(999);
        refused(&db, doc, "products[0]", "member_id").await;
    }

    async fn dangling_serial_is_refused(db: Db) {
        let mut doc = small_file();
        doc["redemptions"][0]["serial"] = json!("ZZ99990000000");
        refused(&db, doc, "redemptions[0]", "serial").await;
    }

    async fn dangling_promotion_is_refused(db: Db) {
        let mut doc = small_file();
        doc["redemptions"][0]["promotion_id"] = json!("no-such-promo");
        refused(&db, doc, "redemptions[0]", "promotion_id").await;
    }

    async fn bad_status_and_impossible_history_are_refused(db: Db) {
        let mut doc = small_file();
        doc["redemptions"][0]["status"] = json!("lost");
        refused(&db, doc, "redemptions[0]", "status").await;

        let mut doc = small_file();
        doc["redemptions"][0]["status"] = json!("reward_sent");
        doc["redemptions"][0]["history"] = json!([{"at": "2026-05-01T00:00:00Z", "kind": "reward_sent"}]);
        refused(&db, doc, "redemptions[0]", "history").await;
    }

    async fn rejected_without_reason_is_refused(db: Db) {
        let mut doc = small_file();
        doc["redemptions"][0]["status"] = json!("rejected");
        refused(&db, doc, "redemptions[0]", "reason").await;
    }

    async fn duplicate_claim_is_refused(db: Db) {
        let mut doc = small_file();
        let mut twin = doc["redemptions"][0].clone();
        twin["id"] = json!(2002);
        doc["redemptions"].as_array_mut().unwrap().push(twin);
        refused(&db, doc, "redemptions[1]", "serial").await;
    }

    async fn claim_duplicating_a_stored_one_is_refused(db: Db) {
        // Demo redemption 1042 already claims K2305N0012345 for smart-office-2026.
        let doc = json!({"redemptions": [{"id": 4001, "serial": "K2305N0012345",
            "promotion_id": "smart-office-2026", "submitted_at": "2026-05-02T10:00:00+07:00",
            "status": "under_review"}]});
        refused(&db, doc, "redemptions[0]", "serial").await;
    }

    async fn email_of_another_member_is_refused(db: Db) {
        let mut doc = small_file();
        doc["members"][0]["email"] = json!("BUDI.SANTOSO@example.test");
        refused(&db, doc, "members[0]", "email").await;
    }

    async fn invalid_json_is_refused(db: Db) {
        import_json(&db, DEMO_JSON, Utc::now()).await.unwrap();
        let before = snapshot(&db).await;
        let err = import_json(&db, "{\"promotions\": [", Utc::now()).await.unwrap_err();
        assert!(matches!(err, ImportError::Syntax(_)), "{err}");
        assert!(err.is_bad_input());
        assert_eq!(snapshot(&db).await, before);
    }
}
