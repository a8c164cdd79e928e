//! Broadcast rate and memory, end to end: `redeemdesk broadcast PROMO --yes`
//! (the real binary, SQLite, the real teloxide client) against the fake Bot
//! API server of the tests, which enforces Telegram's limits with 429s.
//!
//! `cargo bench --bench broadcast` sends one campaign to 10,000 subscribers at
//! the configured limit (`BROADCAST_LIMIT`, default 30 messages a second, as
//! Telegram allows a bot) and prints the achieved rate as a fraction of that
//! limit, the 429s, and the sender's peak resident memory (VmHWM, sampled from
//! /proc every 20 ms). `BROADCAST_RECIPIENTS` changes the audience.
//!
//! Outside `cargo bench` (as `cargo test --all-targets` runs it) it sends to 40
//! subscribers at 200 a second, only to check that the path works.

#[path = "../tests/it/support/fake_telegram.rs"]
#[allow(dead_code)]
mod fake_telegram;

use std::time::{Duration, Instant};

use chrono::{Days, Utc};
use fake_telegram::{FakeTelegram, TOKEN};
use redeemdesk::domain::{Channel, Locale};
use redeemdesk::import::import_json;
use redeemdesk::store::Db;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let env = |name: &str, default: u32| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let (recipients, limit) = if full {
        (env("BROADCAST_RECIPIENTS", 10_000), env("BROADCAST_LIMIT", 30))
    } else {
        (40, 200)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(recipients, limit));
}

async fn run(recipients: u32, limit: u32) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bench.db?mode=rwc", dir.path().display());
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let today = Utc::now().date_naive();
    let promo = serde_json::json!({"promotions": [{
        "id": "bench-promo",
        "name": {"id": "Promo Bench", "en": "Bench Promo"},
        "description": {"id": "Uji kecepatan.", "en": "A speed test."},
        "starts_on": today.to_string(),
        "ends_on": today.checked_add_days(Days::new(30)).unwrap().to_string(),
        "claim_deadline": today.checked_add_days(Days::new(60)).unwrap().to_string(),
        "categories": ["AIO"], "regions": ["ID"],
        "rewards": [{"category": "AIO", "kind": "digital_code", "amount_idr": 500000}]
    }]});
    import_json(&db, &promo.to_string(), Utc::now()).await.unwrap();
    let now = Utc::now();
    let mut tx = db.begin_write().await.unwrap();
    for user in 0..i64::from(recipients) {
        let mut u = tx
            .chat_user(Channel::Telegram, &(1_000_000 + user).to_string(), now)
            .await
            .unwrap();
        u.subscribed = true;
        u.consent_at = Some(now);
        u.locale = Some(if user % 2 == 0 { Locale::Id } else { Locale::En });
        tx.save_chat_user(&u, now).await.unwrap();
    }
    tx.commit().await.unwrap();
    db.close().await;

    let fake = FakeTelegram::start().await;
    fake.enforce_limits(limit, 1);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_redeemdesk"))
        .args(["broadcast", "bench-promo", "--yes", "--as", "bench"])
        .current_dir(dir.path())
        .env("DATABASE_URL", &url)
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("REDEEMDESK_TELEGRAM__API_URL", fake.url())
        .env("REDEEMDESK_TELEGRAM__MESSAGES_PER_SECOND", limit.to_string())
        .env("REDEEMDESK_BROADCAST__REPORT_SECONDS", "10")
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let mut first: Option<Instant> = None;
    let mut last = Instant::now();
    let mut seen = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file)
            && let Some(kb) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_kb = peak_kb.max(kb);
        }
        let delivered = fake.delivered_len();
        if delivered > seen {
            first.get_or_insert_with(Instant::now);
            last = Instant::now();
            seen = delivered;
        }
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "broadcast failed: {status}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let delivered = fake.delivered_len();
    assert_eq!(delivered, recipients as usize, "every subscriber once");
    let counts = fake.delivered_counts();
    assert!(counts.values().all(|n| *n == 1), "someone got it twice");
    let elapsed = last.duration_since(first.unwrap()).as_secs_f64();
    // n messages over the time between the first and the last one: n-1 gaps.
    let rate = (delivered as f64 - 1.0) / elapsed;
    println!(
        "broadcast: {delivered} recipients in {elapsed:.1} s = {rate:.2} msg/s against a limit of {limit}/s \
         = {:.3} of the limit; 429s: {}; sender peak RSS {:.1} MB",
        rate / f64::from(limit),
        fake.rate_limited(),
        peak_kb as f64 / 1024.0
    );
}
