//! Load script for `mail ingest` (results in docs/benchmarks.md).
//!
//! `throughput N`: N members each with a rejected claim on SQLite, each
//! replying with a different 1600×1200 JPEG. First the limit: decode every
//! attachment with the image crate and hash it with SHA-256, nothing else. Then
//! the real thing: `Ingestor::ingest` on every message (parse, checks, decode,
//! blob store with fsync, one transaction with the outbox). Prints both rates.
//!
//! `memory BYTES`: ingests one reply whose JPEG attachment is BYTES long, in a
//! fresh process, and prints the process's peak RSS (VmHWM).
//!
//! ```sh
//! cargo run --release --example ingest_bench -- throughput 200
//! cargo run --release --example ingest_bench -- memory 26214400
//! ```

use std::time::Instant;

#[path = "../tests/it/support/eml.rs"]
#[allow(dead_code)]
mod eml;

use chrono::Utc;
use redeemdesk::blobs::{BlobStore, sha256_hex};
use redeemdesk::import::import_json;
use redeemdesk::mail::inbound::ingest::{Ingestor, MailAction};
use redeemdesk::mail::outbox::MailSettings;
use redeemdesk::store::Db;

fn settings() -> MailSettings {
    MailSettings {
        reply_local: "support".into(),
        reply_domain: "example.test".into(),
        handle_ttl: chrono::Duration::days(60),
    }
}

/// A photo-like JPEG (gradients plus noise, so it compresses like a phone photo of paper).
fn photo(w: u32, h: u32, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state % 24) as u8;
        let base = 180u8.saturating_add(((x / 7 + y / 5 + seed) % 60) as u8);
        let ink = if (y / 18) % 3 == 0 && (x / 9) % 4 != 0 { 120 } else { 0 };
        let v = base.saturating_sub(ink).saturating_add(noise);
        image::Rgb([v, v.saturating_sub(4), v.saturating_sub(10)])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&image::DynamicImage::ImageRgb8(img))
        .unwrap();
    out.into_inner()
}

/// One member's reply to their rejection, with the corrected invoice attached
/// (the test suite's email builder: base64 in 76-column lines, as clients send).
fn reply(member: usize, redemption: usize, jpeg: &[u8]) -> Vec<u8> {
    eml::Eml::new(
        &format!("Member {member} <member{member}@example.test>"),
        "support@example.test",
        &format!("Re: [RDM-{redemption}] Klaim Anda"),
    )
    .text("Ini faktur yang benar.\r\n\r\nPada Sen, 30 Nov 2026 pukul 10.00 MSI <support@example.test> menulis:\r\n> ditolak")
    .attach("faktur.jpg", "image/jpeg", jpeg.to_vec())
    .build()
}

/// One promotion, `n` members, each with one product and one rejected claim.
fn data(n: usize) -> String {
    let mut members = Vec::new();
    let mut products = Vec::new();
    let mut redemptions = Vec::new();
    for i in 0..n {
        members.push(
            serde_json::json!({"id": 10_000 + i, "email": format!("member{i}@example.test"),
            "name": format!("Member {i}"), "locale": "id", "region": "ID"}),
        );
        let serial = format!("K2305N{:07}", 1_000_000 + i);
        products.push(
            serde_json::json!({"serial": serial, "chk": "482", "member_id": 10_000 + i, "category": "AIO",
            "model": "Modern AM242 1M", "purchased_on": "2026-04-12", "region": "ID", "store": "Enter Komputer",
            "channel": "retail"}),
        );
        redemptions.push(
            serde_json::json!({"id": 50_000 + i, "serial": serial, "promotion_id": "smart-office-2026",
            "submitted_at": "2026-04-20T10:00:00+07:00", "status": "rejected",
            "history": [{"at": "2026-04-29T14:12:00+07:00", "kind": "rejected", "actor": "staff:rina",
                         "reason": "invoice_missing_product_name"}]}),
        );
    }
    let demo: serde_json::Value = serde_json::from_str(redeemdesk::import::DEMO_JSON).unwrap();
    serde_json::json!({"promotions": [demo["promotions"][0].clone()], "members": members,
        "products": products, "redemptions": redemptions})
    .to_string()
}

async fn setup(n: usize) -> (tempfile::TempDir, Ingestor) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    import_json(&db, &data(n), Utc::now()).await.unwrap();
    let ingestor = Ingestor::new(db, BlobStore::new(dir.path().join("blobs")), settings());
    (dir, ingestor)
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("throughput") => {
            let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100);
            let (_dir, ingestor) = setup(n).await;
            let photos: Vec<Vec<u8>> = (0..n).map(|i| photo(1600, 1200, i as u32)).collect();
            let mails: Vec<Vec<u8>> = (0..n).map(|i| reply(i, 50_000 + i, &photos[i])).collect();
            let avg_kb = photos.iter().map(Vec::len).sum::<usize>() as f64 / n as f64 / 1024.0;

            let t = Instant::now();
            for p in &photos {
                let img = image::load_from_memory(p).unwrap();
                std::hint::black_box((img.width(), sha256_hex(p)));
            }
            let limit = n as f64 / t.elapsed().as_secs_f64();

            let t = Instant::now();
            let limits = redeemdesk::mail::inbound::FileLimits::default();
            for m in &mails {
                let mail = redeemdesk::mail::inbound::parse(m, &settings(), &limits);
                std::hint::black_box((mail.accepted.len(), sha256_hex(m)));
            }
            let parse_only = n as f64 / t.elapsed().as_secs_f64();

            let t = Instant::now();
            for m in &mails {
                let done = ingestor.ingest(m, Utc::now()).await.unwrap();
                assert_eq!(done.action, MailAction::Resubmitted);
            }
            let rate = n as f64 / t.elapsed().as_secs_f64();
            println!(
                "{n} replies, 1600x1200 JPEG of {avg_kb:.0} KB each: decode+hash {limit:.1}/s, \
                 parse (MIME, checks, decode, hashes; no storage) {parse_only:.1}/s, ingest {rate:.1}/s \
                 ({:.0} % of the limit); peak RSS {:.0} MB",
                100.0 * rate / limit,
                peak_rss_mb()
            );
        }
        Some("memory") => {
            let bytes: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(25 * 1024 * 1024);
            let (_dir, ingestor) = setup(1).await;
            // A real JPEG header and then filler up to the size: what a huge phone photo looks like on the wire.
            let mut jpeg = photo(64, 64, 1);
            jpeg.resize(bytes, 0x55);
            let mail = reply(0, 50_000, &jpeg);
            let before = peak_rss_mb();
            let done = ingestor.ingest(&mail, Utc::now()).await.unwrap();
            println!(
                "one reply of {:.1} MB with a {:.1} MB attachment: action {}, rejected {}; peak RSS {:.0} MB \
                 (before ingest {before:.0} MB)",
                mail.len() as f64 / 1048576.0,
                bytes as f64 / 1048576.0,
                done.action.as_str(),
                done.report["rejected_attachments"],
                peak_rss_mb()
            );
        }
        _ => eprintln!("usage: ingest_bench throughput N | memory BYTES"),
    }
}
