//! Status look-up latency at scale: the reads the chat's status check makes
//! for a serial (`assistant::Turn::verify` then `show`), against a database
//! holding 1,000,000 redemptions, on SQLite and on PostgreSQL.
//!
//! `cargo bench --bench lookup` seeds each database with set-based SQL (a
//! recursive CTE on SQLite, `generate_series` on PostgreSQL): 250,000
//! members, 900,000 products and 1,000,000 redemptions (every product claimed
//! for one promotion, every ninth also for a second), on top of the demo data.
//! Then, one at a time, it looks up 10,000 random serials as a customer typed
//! them (lower case, with a dash) and prints p50, p99 and max of:
//! - `chat`: in one read transaction, the products whose serial folds to the
//!   typed one's key with their redemptions (one statement), the one whose
//!   CHK matches, and each of its redemptions' promotion — what the assistant
//!   reads to answer "/status SERIAL CHK";
//! - `staff`: `views::status::status_view`, what `redeemdesk status SERIAL`
//!   shows staff (the products with their redemptions, the member, and per
//!   redemption its promotion, history, attachments and emails).
//!
//! PostgreSQL runs in a fresh database on the server of the tests
//! (`REDEEMDESK_TEST_PG_URL`, default `postgres://root@127.0.0.1:5432/test`),
//! dropped afterwards. `LOOKUP_REDEMPTIONS` (a multiple of 10),
//! `LOOKUP_SAMPLES` and `LOOKUP_BACKENDS` (`sqlite,postgres`) change the run.
//!
//! Outside `cargo bench` (as `cargo test --all-targets` runs it) it seeds
//! 1,000 redemptions and looks up 200 serials on each backend, only to check
//! that the path works.

use std::time::{Duration, Instant};

use chrono::Utc;
use rand::{Rng, SeedableRng};
use redeemdesk::domain::{ChkCode, SerialNumber};
use redeemdesk::import::{DEMO_JSON, import_json};
use redeemdesk::store::Db;

const DEFAULT_PG_ADMIN_URL: &str = "postgres://root@127.0.0.1:5432/test";

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let env = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let (redemptions, samples) = if full {
        (env("LOOKUP_REDEMPTIONS", 1_000_000), env("LOOKUP_SAMPLES", 10_000))
    } else {
        (1_000, 200)
    };
    assert!(redemptions % 10 == 0, "LOOKUP_REDEMPTIONS must be a multiple of 10");
    let backends = std::env::var("LOOKUP_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for backend in backends.split(',').map(str::trim) {
            match backend {
                "sqlite" => sqlite(redemptions, samples).await,
                "postgres" => postgres(redemptions, samples).await,
                other => panic!("LOOKUP_BACKENDS: unknown backend {other:?}"),
            }
        }
    });
}

/// The seeded shape: `products` products, of which every ninth has a second
/// redemption, so `redemptions` = products + products / 9.
fn products_for(redemptions: u64) -> u64 {
    redemptions / 10 * 9
}

fn members_for(redemptions: u64) -> u64 {
    (redemptions / 4).max(1)
}

/// The printed serial of seeded product `n` (1-based) and its CHK.
fn serial_of(n: u64) -> (String, String) {
    (format!("BN{n:010}"), format!("{:03}", n % 1000))
}

async fn sqlite(redemptions: u64, samples: u64) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/lookup.db?mode=rwc", dir.path().display());
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    import_json(&db, DEMO_JSON, Utc::now()).await.unwrap();
    let Db::Sqlite(pool, _) = &db else { unreachable!() };
    let (members, products) = (members_for(redemptions), products_for(redemptions));
    let started = Instant::now();
    // Timestamps and dates copied from the demo rows, so they are stored in
    // exactly the form sqlx writes them.
    let seed = [
        format!(
            "INSERT INTO members (id, email, email_key, name, locale, region, phone, created_at)
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {members})
             SELECT 1000000 + i, 'member' || i || '@bench.test', 'member' || i || '@bench.test',
                    'Member ' || i, CASE i % 2 WHEN 0 THEN 'id' ELSE 'en' END, 'ID', NULL,
                    (SELECT created_at FROM members ORDER BY id LIMIT 1)
             FROM n"
        ),
        format!(
            "INSERT INTO products (id, serial, serial_key, chk, member_id, category, model, purchased_on,
                                   region, store, channel, created_at)
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {products}),
                  t AS (SELECT purchased_on, created_at FROM products ORDER BY id LIMIT 1)
             SELECT 1000000 + i, printf('BN%010d', i), printf('BN%010d', i), printf('%03d', i % 1000),
                    1000001 + i % {members}, 'AIO', 'Modern AM242 1M', t.purchased_on, 'ID',
                    'Enter Komputer', 'retail', t.created_at
             FROM n, t"
        ),
        format!(
            "INSERT INTO redemptions (id, product_id, member_id, promotion_id, status, last_reason, last_note,
                                      submitted_at, queued_at, updated_at)
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {products}),
                  t AS (SELECT submitted_at, queued_at, updated_at FROM redemptions ORDER BY id LIMIT 1)
             SELECT 1000000 + i, 1000000 + i, 1000001 + i % {members}, 'smart-office-2026',
                    CASE WHEN i % 10 < 4 THEN 'under_review' WHEN i % 10 < 6 THEN 'rejected'
                         WHEN i % 10 < 8 THEN 'approved' ELSE 'reward_sent' END,
                    CASE WHEN i % 10 IN (4, 5) THEN 'invoice_unreadable' END, NULL,
                    t.submitted_at, t.queued_at, t.updated_at
             FROM n, t"
        ),
        format!(
            "INSERT INTO redemptions (id, product_id, member_id, promotion_id, status, last_reason, last_note,
                                      submitted_at, queued_at, updated_at)
             WITH RECURSIVE n(i) AS (SELECT 9 UNION ALL SELECT i + 9 FROM n WHERE i + 9 <= {products}),
                  t AS (SELECT submitted_at, queued_at, updated_at FROM redemptions ORDER BY id LIMIT 1)
             SELECT 3000000 + i, 1000000 + i, 1000001 + i % {members}, 'ramadan-luminary-2026', 'approved',
                    NULL, NULL, t.submitted_at, t.queued_at, t.updated_at
             FROM n, t"
        ),
    ];
    let mut tx = pool.begin().await.unwrap();
    for sql in seed {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    let seeded = started.elapsed();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM redemptions WHERE id >= 1000000")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(count as u64, redemptions);
    println!(
        "lookup/sqlite: seeded {redemptions} redemptions ({products} products, {members} members) in {:.1} s",
        seeded.as_secs_f64()
    );
    plan(&db).await;
    measure("sqlite", &db, products, samples).await;
    db.close().await;
}

async fn postgres(redemptions: u64, samples: u64) {
    let admin_url = std::env::var("REDEEMDESK_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_ADMIN_URL.to_owned());
    let admin = sqlx::PgPool::connect(&admin_url).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {admin_url} is not reachable ({e}); start it or set REDEEMDESK_TEST_PG_URL")
    });
    let name = format!("redeemdesk_lookup_{}", std::process::id());
    sqlx::query(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
        .execute(&admin)
        .await
        .unwrap();
    let (base, _) = admin_url.rsplit_once('/').expect("a database URL names a database");
    let url = format!("{base}/{name}");
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    import_json(&db, DEMO_JSON, Utc::now()).await.unwrap();
    let Db::Postgres(pool) = &db else { unreachable!() };
    let (members, products) = (members_for(redemptions), products_for(redemptions));
    let started = Instant::now();
    let seed = [
        format!(
            "INSERT INTO members (id, email, email_key, name, locale, region, phone, created_at)
             SELECT 1000000 + i, 'member' || i || '@bench.test', 'member' || i || '@bench.test',
                    'Member ' || i, CASE i % 2 WHEN 0 THEN 'id' ELSE 'en' END, 'ID', NULL, now()
             FROM generate_series(1, {members}) AS i"
        ),
        format!(
            "INSERT INTO products (id, serial, serial_key, chk, member_id, category, model, purchased_on,
                                   region, store, channel, created_at)
             SELECT 1000000 + i, 'BN' || lpad(i::text, 10, '0'), 'BN' || lpad(i::text, 10, '0'),
                    lpad((i % 1000)::text, 3, '0'), 1000001 + i % {members}, 'AIO', 'Modern AM242 1M',
                    DATE '2026-04-12', 'ID', 'Enter Komputer', 'retail', now()
             FROM generate_series(1, {products}) AS i"
        ),
        format!(
            "INSERT INTO redemptions (id, product_id, member_id, promotion_id, status, last_reason, last_note,
                                      submitted_at, queued_at, updated_at)
             SELECT 1000000 + i, 1000000 + i, 1000001 + i % {members}, 'smart-office-2026',
                    CASE WHEN i % 10 < 4 THEN 'under_review' WHEN i % 10 < 6 THEN 'rejected'
                         WHEN i % 10 < 8 THEN 'approved' ELSE 'reward_sent' END,
                    CASE WHEN i % 10 IN (4, 5) THEN 'invoice_unreadable' END, NULL,
                    TIMESTAMPTZ '2026-04-20 03:00:00+00', TIMESTAMPTZ '2026-04-20 03:00:00+00', now()
             FROM generate_series(1, {products}) AS i"
        ),
        format!(
            "INSERT INTO redemptions (id, product_id, member_id, promotion_id, status, last_reason, last_note,
                                      submitted_at, queued_at, updated_at)
             SELECT 3000000 + i, 1000000 + i, 1000001 + i % {members}, 'ramadan-luminary-2026', 'approved',
                    NULL, NULL, TIMESTAMPTZ '2026-03-02 12:30:00+00', TIMESTAMPTZ '2026-03-02 12:30:00+00', now()
             FROM generate_series(9, {products}, 9) AS i"
        ),
    ];
    let mut tx = pool.begin().await.unwrap();
    for sql in seed {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    // What autovacuum does shortly after a bulk load (statistics for the
    // planner, the visibility map), done now so that it does not run during
    // the measurement.
    sqlx::query("VACUUM ANALYZE").execute(pool).await.unwrap();
    let seeded = started.elapsed();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM redemptions WHERE id >= 1000000")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(count as u64, redemptions);
    println!(
        "lookup/postgres: seeded {redemptions} redemptions ({products} products, {members} members) \
         in {:.1} s (with VACUUM ANALYZE)",
        seeded.as_secs_f64()
    );
    plan(&db).await;
    measure("postgres", &db, products, samples).await;
    db.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!(r#"DROP DATABASE "{name}" WITH (FORCE)"#)))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
}

/// Prints how the database runs the look-up's big-table query (the shape of
/// `find_products_with_redemptions_by_serial_key`).
async fn plan(db: &Db) {
    let queries = [
        "SELECT p.id, r.r_id FROM products p LEFT JOIN categories k ON k.code = p.category
         LEFT JOIN (SELECT id AS r_id, product_id AS r_product_id, submitted_at AS r_submitted_at
                    FROM redemptions) r ON r.r_product_id = p.id
         WHERE p.serial_key = 'BN0000000009' ORDER BY p.id, r.r_submitted_at, r.r_id",
    ];
    for q in queries {
        let lines: Vec<String> = match db {
            Db::Sqlite(pool, _) => {
                sqlx::query_as::<_, (i64, i64, i64, String)>(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {q}")))
                    .fetch_all(pool)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| r.3)
                    .collect()
            }
            Db::Postgres(pool) => sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(format!("EXPLAIN {q}")))
                .fetch_all(pool)
                .await
                .unwrap(),
        };
        println!("  plan: {}", lines.join(" | "));
    }
}

async fn measure(backend: &str, db: &Db, products: u64, samples: u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261130);
    let picks: Vec<u64> = (0..samples).map(|_| rng.random_range(1..=products)).collect();
    // Warm the pool's connections and prepared statements, as a running
    // service has them.
    for &n in picks.iter().take(100) {
        chat_lookup(db, n).await;
    }
    // The floor the machine sets: `Db::ping` (`SELECT 1` on a connection
    // from the pool, which checks it first), timed the same way.
    let mut floor = Vec::with_capacity(picks.len());
    for _ in &picks {
        let started = Instant::now();
        db.ping().await.unwrap();
        floor.push(started.elapsed());
    }
    report(backend, "ping", &mut floor);
    let mut chat = Vec::with_capacity(picks.len());
    for &n in &picks {
        let started = Instant::now();
        chat_lookup(db, n).await;
        chat.push(started.elapsed());
    }
    report(backend, "chat", &mut chat);
    // Where the chat look-up's time goes, step by step.
    let mut steps: [Vec<Duration>; 4] = Default::default();
    for &n in &picks {
        for (i, d) in chat_steps(db, n).await.into_iter().enumerate() {
            steps[i].push(d);
        }
    }
    for (name, times) in [
        "chat:begin",
        "chat:products+redemptions",
        "chat:promotions",
        "chat:commit",
    ]
    .into_iter()
    .zip(&mut steps)
    {
        report(backend, name, times);
    }
    let mut staff = Vec::with_capacity(picks.len());
    for &n in &picks {
        let (printed, _) = serial_of(n);
        let started = Instant::now();
        let view = redeemdesk::views::status_view(db, &printed).await.unwrap();
        staff.push(started.elapsed());
        assert_eq!(view.redemptions.len(), if n.is_multiple_of(9) { 2 } else { 1 });
    }
    report(backend, "staff", &mut staff);
}

/// What `/status SERIAL CHK` reads: the serial as typed (lower case, a dash),
/// the products it could be, the one whose CHK matches, its redemptions and
/// their promotions.
async fn chat_lookup(db: &Db, n: u64) {
    let (printed, chk) = serial_of(n);
    let typed = format!("{}-{}", &printed[..6], &printed[6..]).to_lowercase();
    let serial = SerialNumber::parse(&typed).unwrap();
    let chk = ChkCode::parse(&chk).unwrap();
    let mut tx = db.begin().await.unwrap();
    let (_, redemptions) = tx
        .products_with_redemptions_by_serial_key(&serial.match_key())
        .await
        .unwrap()
        .into_iter()
        .find(|(p, _)| p.product.chk == chk)
        .expect("the seeded product");
    assert_eq!(redemptions.len(), if n.is_multiple_of(9) { 2 } else { 1 });
    for r in &redemptions {
        let promotion = tx.promotion(r.redemption.promotion_id.as_str()).await.unwrap();
        assert!(promotion.is_some());
    }
    tx.commit().await.unwrap();
}

/// [`chat_lookup`] timed step by step: starting the transaction, the
/// products with their redemptions, the promotions and the commit.
async fn chat_steps(db: &Db, n: u64) -> [Duration; 4] {
    let (printed, chk) = serial_of(n);
    let serial = SerialNumber::parse(&printed).unwrap();
    let chk = ChkCode::parse(&chk).unwrap();
    let t0 = Instant::now();
    let mut tx = db.begin().await.unwrap();
    let t1 = Instant::now();
    let (_, redemptions) = tx
        .products_with_redemptions_by_serial_key(&serial.match_key())
        .await
        .unwrap()
        .into_iter()
        .find(|(p, _)| p.product.chk == chk)
        .expect("the seeded product");
    let t2 = Instant::now();
    for r in &redemptions {
        tx.promotion(r.redemption.promotion_id.as_str()).await.unwrap();
    }
    let t3 = Instant::now();
    tx.commit().await.unwrap();
    let t4 = Instant::now();
    [t1 - t0, t2 - t1, t3 - t2, t4 - t3]
}

fn report(backend: &str, what: &str, times: &mut [Duration]) {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "lookup/{backend}/{what}: {} look-ups: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        times.len(),
        ms(at(0.50)),
        ms(at(0.99)),
        ms(times[times.len() - 1]),
    );
}
