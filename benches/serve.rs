//! Cold start and idle memory of `redeemdesk serve` with every channel on:
//! Telegram (long polling) and Discord (REST and gateway) against the fakes of
//! the tests, IMAP and SMTP against the mail stack of `scripts/mailstack.sh`,
//! and HTTP.
//!
//! `cargo bench --bench serve` starts the real binary `SERVE_RUNS` times
//! (default 5) on one SQLite database: the first start creates and migrates
//! it, the later ones are restarts of a migrated database. For each it prints
//! the time from exec to the first `GET /readyz` that answers `ready` (the
//! database and Discord's gateway session up, Telegram connected) and to the
//! log line saying the FAQ classifier (trained beside start-up) is ready, then, after
//! `SERVE_SETTLE_SECONDS` (default 5) idle, the process's VmRSS, its peak
//! VmHWM and its thread count, and stops it with SIGTERM (it must exit 0).
//! `SERVE_SHOW_LOG=1` prints each start's log (`REDEEMDESK_LOG=info`).
//! `serve` gets a clean environment; `MALLOC_*`, `GLIBC_TUNABLES` and
//! `TOKIO_WORKER_THREADS` pass through, for experiments.
//!
//! The poller reads folders of its own (`bench-serve-PID-…` of the support
//! login), created by the poller and deleted at the end, so it never takes
//! mail other tests wait for. The fakes run in this process, on the same two
//! cores.
//!
//! Outside `cargo bench` (as `cargo test --all-targets` runs it) it starts
//! `serve` once and settles half a second, only to check that it gets ready.

#[path = "../tests/it/support/fake_discord.rs"]
#[allow(dead_code)]
mod fake_discord;
#[path = "../tests/it/support/fake_telegram.rs"]
#[allow(dead_code)]
mod fake_telegram;

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SMTP_PLAIN: u16 = 2525;
const IMAP_PLAIN: u16 = 1143;
const SUPPORT: (&str, &str) = ("support@example.test", "support-pass");

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let env = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let (runs, settle) = if full {
        (
            env("SERVE_RUNS", 5),
            Duration::from_secs(env("SERVE_SETTLE_SECONDS", 5)),
        )
    } else {
        (1, Duration::from_millis(500))
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(runs, settle));
}

struct Sample {
    ready: Duration,
    /// Until the log says the FAQ classifier is trained.
    trained: Duration,
    rss_kb: u64,
    /// Of `rss_kb`: the heap and stacks; the rest is mostly the binary's pages.
    anon_kb: u64,
    hwm_kb: u64,
    threads: u64,
}

async fn run(runs: u64, settle: Duration) {
    for port in [SMTP_PLAIN, IMAP_PLAIN] {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap_or_else(|e| panic!("the mail stack answers on {port} ({e}): bash scripts/mailstack.sh start"));
    }
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/serve.db?mode=rwc", dir.path().display());
    let telegram = fake_telegram::FakeTelegram::start().await;
    let discord = fake_discord::FakeDiscord::start().await;
    let folders = format!("bench-serve-{}-", std::process::id());
    let mut samples = Vec::new();
    for i in 0..runs {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(dir.path().join(format!("serve-{i}.log"))).unwrap();
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_redeemdesk"));
        command
            .arg("serve")
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABASE_URL", &url)
            .env("REDEEMDESK_HTTP__BIND", format!("127.0.0.1:{port}"))
            .env("REDEEMDESK_STORAGE__BLOB_DIR", dir.path().join("blobs"))
            .env("TELOXIDE_TOKEN", fake_telegram::TOKEN)
            .env("REDEEMDESK_TELEGRAM__API_URL", telegram.url())
            .env("DISCORD_TOKEN", fake_discord::TOKEN)
            .env("REDEEMDESK_DISCORD__API_URL", discord.api_url())
            .env("REDEEMDESK_SMTP__HOST", "127.0.0.1")
            .env("REDEEMDESK_SMTP__PORT", SMTP_PLAIN.to_string())
            .env("REDEEMDESK_SMTP__TLS", "none")
            .env(
                "REDEEMDESK_SMTP__FROM",
                "MSI Indonesia Promotion <support@example.test>",
            )
            .env("REDEEMDESK_SMTP__REPLY_DOMAIN", "example.test")
            .env("REDEEMDESK_IMAP__HOST", "127.0.0.1")
            .env("REDEEMDESK_IMAP__PORT", IMAP_PLAIN.to_string())
            .env("REDEEMDESK_IMAP__TLS", "none")
            .env("REDEEMDESK_IMAP__USERNAME", SUPPORT.0)
            .env("REDEEMDESK_IMAP__PASSWORD", SUPPORT.1)
            .env("REDEEMDESK_IMAP__MAILBOX", format!("{folders}in"))
            .env("REDEEMDESK_IMAP__PROCESSED_MAILBOX", format!("{folders}done"))
            .env("REDEEMDESK_IMAP__QUARANTINE_MAILBOX", format!("{folders}bad"))
            .env("REDEEMDESK_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true);
        // Allocator and runtime knobs pass through, for experiments.
        for (key, value) in std::env::vars_os() {
            let k = key.to_string_lossy();
            if k.starts_with("MALLOC_") || k == "GLIBC_TUNABLES" || k == "TOKIO_WORKER_THREADS" {
                command.env(&key, value);
            }
        }
        let started = Instant::now();
        let mut child = command.spawn().unwrap();
        let pid = child.id().unwrap();
        loop {
            if readyz(port)
                .await
                .is_some_and(|body| body.contains(r#""status":"ready""#))
            {
                break;
            }
            if let Some(status) = child.try_wait().unwrap() {
                let log = std::fs::read_to_string(dir.path().join(format!("serve-{i}.log"))).unwrap();
                panic!("serve exited before it was ready ({status}):\n{log}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "serve not ready within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let ready = started.elapsed();
        // The FAQ classifier trains beside start-up; chat messages that come
        // before it is done wait for it.
        let log_path = dir.path().join(format!("serve-{i}.log"));
        while !std::fs::read_to_string(&log_path)
            .unwrap_or_default()
            .contains("faq classifier trained")
        {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the classifier was not trained within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let trained = started.elapsed();
        // Every channel is doing its work: Telegram polls, Discord's session is up.
        while telegram.calls("getUpdates").is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        discord.wait_ready(Duration::from_secs(10)).await;
        tokio::time::sleep(settle).await;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .unwrap_or(0)
        };
        let sample = Sample {
            ready,
            trained,
            rss_kb: field("VmRSS:"),
            anon_kb: field("RssAnon:"),
            hwm_kb: field("VmHWM:"),
            threads: field("Threads:"),
        };
        std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        let exit = tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .expect("serve stops within 30 s of SIGTERM")
            .unwrap();
        assert!(exit.success(), "serve stopped with {exit}");
        println!(
            "serve/start {} ({}): ready in {:.0} ms, classifier trained at {:.0} ms; idle {:.1} s later VmRSS {:.1} MB ({:.1} MB anonymous), \
             VmHWM {:.1} MB, {} threads",
            i + 1,
            if i == 0 { "fresh database" } else { "restart" },
            sample.ready.as_secs_f64() * 1000.0,
            sample.trained.as_secs_f64() * 1000.0,
            settle.as_secs_f64(),
            sample.rss_kb as f64 / 1024.0,
            sample.anon_kb as f64 / 1024.0,
            sample.hwm_kb as f64 / 1024.0,
            sample.threads,
        );
        if std::env::var_os("SERVE_SHOW_LOG").is_some() {
            print!(
                "{}",
                std::fs::read_to_string(dir.path().join(format!("serve-{i}.log"))).unwrap()
            );
        }
        samples.push(sample);
    }
    if samples.len() > 1 {
        let restarts = &samples[1..];
        let ms: Vec<f64> = restarts.iter().map(|s| s.ready.as_secs_f64() * 1000.0).collect();
        let trained: Vec<f64> = restarts.iter().map(|s| s.trained.as_secs_f64() * 1000.0).collect();
        let rss: Vec<f64> = restarts.iter().map(|s| s.rss_kb as f64 / 1024.0).collect();
        let range = |v: &[f64]| {
            (
                v.iter().copied().fold(f64::INFINITY, f64::min),
                v.iter().copied().fold(0.0, f64::max),
            )
        };
        let ((ms_lo, ms_hi), (tr_lo, tr_hi), (rss_lo, rss_hi)) = (range(&ms), range(&trained), range(&rss));
        println!(
            "serve/summary: restarts ready in {ms_lo:.0}–{ms_hi:.0} ms (classifier trained at {tr_lo:.0}–{tr_hi:.0} ms), \
             idle VmRSS {rss_lo:.1}–{rss_hi:.1} MB"
        );
    }
    delete_folders(&folders).await;
}

/// `GET /readyz` over a plain TCP connection; the response, or `None` while
/// nothing answers.
async fn readyz(port: u16) -> Option<String> {
    let attempt = async {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        s.write_all(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut body = String::new();
        s.read_to_string(&mut body).await.ok()?;
        Some(body)
    };
    tokio::time::timeout(Duration::from_secs(2), attempt)
        .await
        .ok()
        .flatten()
}

/// Deletes the poller's folders this run created.
async fn delete_folders(prefix: &str) {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", IMAP_PLAIN)).await.unwrap();
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.unwrap().expect("an IMAP greeting");
    let mut session = client.login(SUPPORT.0, SUPPORT.1).await.map_err(|(e, _)| e).unwrap();
    for folder in ["in", "done", "bad"] {
        let _ = session.delete(format!("{prefix}{folder}")).await;
    }
    session.logout().await.unwrap();
}
