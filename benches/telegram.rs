//! Telegram throughput and idle memory, end to end: the real teloxide client,
//! the real assistant and SQLite, against the fake Bot API server of the tests
//! on loopback.
//!
//! `cargo bench --bench telegram` queues N text updates from many users in the
//! fake, lets the bot long-poll them, and times until every update was
//! acknowledged (the bot asks for updates past it only after its replies were
//! sent). Then it starts `redeemdesk serve` with Telegram on against the same
//! fake and reads its resident memory once it sits idle.
//!
//! Outside `cargo bench` (as `cargo test --all-targets` runs it) it only checks
//! that a few updates go through.

#[path = "../tests/it/support/fake_telegram.rs"]
#[allow(dead_code)]
mod fake_telegram;

use std::time::{Duration, Instant};

use chrono::Utc;
use fake_telegram::{FakeTelegram, TOKEN};
use redeemdesk::blobs::BlobStore;
use redeemdesk::channels::telegram::{Limits, Options, Telegram};
use redeemdesk::import::{DEMO_JSON, import_json};
use redeemdesk::store::Db;

const MESSAGES: &[(&str, &str)] = &[
    ("id", "gimana cara redeem promo?"),
    ("en", "how long does verification take"),
    ("id", "makasih kak"),
    ("id", "invoice saya ditolak katanya nama produk tidak ada, harus gimana"),
    ("en", "which promotions are running now?"),
    ("id", "/start"),
    ("en", "hello"),
    ("id", "kapan hadiahnya dikirim?"),
];

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (users, per_user) = if full { (1000, 10) } else { (10, 2) };
        throughput(users, per_user).await;
        if full {
            idle_memory().await;
        }
    });
}

async fn throughput(users: i64, per_user: usize) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    import_json(&db, DEMO_JSON, Utc::now()).await.unwrap();
    let fake = FakeTelegram::start().await;
    let mut options = Options::new(BlobStore::new(dir.path().join("blobs")));
    options.api_url = Some(fake.url());
    // The limiter raised as far as a self-hosted Bot API server allows: this
    // measures our side. Against api.telegram.org the limiter holds the bot
    // to Telegram's ~30 messages/s overall, whatever this figure is.
    options.limits = Limits {
        per_chat_per_sec: 1_000,
        overall_per_sec: 1_000_000,
    };
    let tg = Telegram::connect(TOKEN, db.clone(), options).await.unwrap();
    tg.setup().await.unwrap();

    // Warm up (classifier training, connections) before the clock starts.
    let warm = fake.text(1, "id", "halo");
    let (stop, rx) = tokio::sync::watch::channel(false);
    let polling = tokio::spawn(async move { tg.run_polling(rx).await });
    fake.wait_acknowledged(warm).await;

    let mut last = 0;
    for round in 0..per_user {
        for user in 0..users {
            let (lang, text) = MESSAGES[(user as usize + round) % MESSAGES.len()];
            last = fake.text(10_000 + user, lang, text);
        }
    }
    let n = users as usize * per_user;
    let sent_before = fake.calls("sendMessage").len();
    let started = Instant::now();
    fake.wait_acknowledged(last).await;
    let elapsed = started.elapsed();
    let sent = fake.calls("sendMessage").len() - sent_before;
    stop.send(true).unwrap();
    let _ = polling.await;
    println!(
        "telegram/throughput: {n} updates from {users} users, {sent} replies sent, in {:.2} s: {:.0} updates/s",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64()
    );
    assert!(sent >= n, "every update was answered");
}

/// `redeemdesk serve` with Telegram on (long polling against the fake), idle.
async fn idle_memory() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeTelegram::start().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_redeemdesk"))
        .arg("serve")
        .arg("--demo")
        .current_dir(dir.path())
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("REDEEMDESK_TELEGRAM__API_URL", fake.url())
        .env("REDEEMDESK_HTTP__BIND", format!("127.0.0.1:{port}"))
        .env("DATABASE_URL", "sqlite://redeemdesk.db?mode=rwc")
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    // Up once it asked for updates; then let it sit.
    let started = Instant::now();
    while fake.calls("getUpdates").is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "serve did not start polling"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l.trim_start_matches(name).trim().to_owned())
            .unwrap_or_default()
    };
    println!(
        "telegram/idle_memory: serve --demo with Telegram on, idle 5 s: VmRSS {}, VmHWM {}",
        field("VmRSS:"),
        field("VmHWM:")
    );
    child.kill().await.unwrap();
}
