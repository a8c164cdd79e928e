//! The invoice pre-check measured on generated invoices (docs/benchmarks.md):
//! how often a missing model name and an out-of-period date are caught, how
//! often a good invoice is wrongly flagged, and the time to read one file.
//!
//! `cargo run --example precheck_bench -- [COUNT] [SEED] [unreadable]`
//! (defaults 130, 7; `unreadable` draws every invoice in the one profile
//! beyond what OCR reads, to show it is not flagged).
//! Needs scripts/packages.sh (tesseract, poppler, DejaVu fonts). Tesseract
//! runs with OMP_THREAD_LIMIT=1, one file at a time: one core per invoice.
//! Each file goes through the same steps as a customer's: the file checks
//! (`judge`, which keeps a 1600-px review copy of a photo), then the pre-check.

#[path = "../tests/it/support/invoices.rs"]
mod invoices;

use std::collections::BTreeMap;
use std::time::Instant;

use invoices::{Form, Truth};
use redeemdesk::domain::invoice::{Expected, Problem};
use redeemdesk::mail::inbound::{FileLimits, judge};
use redeemdesk::precheck::{PreCheck, assess};

#[derive(Default)]
struct Tally {
    n: usize,
    flagged: usize,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().map_or(130, |a| a.parse().expect("COUNT is a number"));
    let seed: u64 = args.next().map_or(7, |a| a.parse().expect("SEED is a number"));
    let profiles = match args.next().as_deref() {
        Some("unreadable") => vec![invoices::unreadable()],
        _ => invoices::profiles(),
    };
    let precheck = PreCheck::default();
    assert!(precheck.is_on(), "tesseract is not installed: run scripts/packages.sh");

    let cases = invoices::corpus_of(count, seed, &profiles);
    let mut by_truth: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut by_profile: BTreeMap<&str, (Tally, Vec<f64>)> = BTreeMap::new();
    let mut times = Vec::new();
    let mut misses = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let (name, data) = case.file();
        let file = judge(&name, &data, &FileLimits::default()).expect("a generated invoice passes the file checks");
        let started = Instant::now();
        let read = precheck.read(file.content_type, &file.data).expect("pre-check is on");
        let took = started.elapsed().as_secs_f64();
        if std::env::var("PRECHECK_DUMP").is_ok_and(|d| d == i.to_string()) {
            std::fs::write("/tmp/precheck-dump.bin", &data).unwrap();
            println!("--- #{i} text ---\n{:?}\n---", read.as_ref().map(|r| &r.text));
        }
        let expected = Expected {
            model: case.model,
            serial: None,
            store: Some(&case.store),
            period: case.period,
        };
        let assessment = assess([(file.sha256.as_str(), &read)], &expected);
        let problems = assessment.problems();
        let flagged = match case.truth {
            Truth::Good => !problems.is_empty(),
            Truth::ModelMissing => problems.contains(&Problem::ModelMissing),
            Truth::OutOfPeriod => problems.iter().any(|p| matches!(p, Problem::DateOutsidePeriod { .. })),
        };
        let truth = match case.truth {
            Truth::Good => "good (flagged = wrongly)",
            Truth::ModelMissing => "model missing (flagged = caught)",
            Truth::OutOfPeriod => "date out of period (flagged = caught)",
        };
        let t = by_truth.entry(truth).or_default();
        t.n += 1;
        t.flagged += usize::from(flagged);
        let (p, ptimes) = by_profile.entry(case.profile).or_default();
        p.n += 1;
        let right = flagged != (case.truth == Truth::Good);
        p.flagged += usize::from(right);
        ptimes.push(took);
        times.push(took);
        if !right {
            let f = &assessment.files[0].findings;
            misses.push(format!(
                "#{i} {:?} [{}] {} '{}' date '{}': model {:?}, date {:?} {:?}, problems {:?}",
                case.truth,
                case.profile,
                match case.form {
                    Form::Pdf => "pdf",
                    Form::ScannedPdf(_) => "scan",
                    Form::Photo(_) => "photo",
                },
                case.model,
                case.invoice.date,
                f.model_name,
                f.purchase_date_text,
                f.unread,
                problems
            ));
        }
    }
    times.sort_by(f64::total_cmp);
    let pct = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!("{count} invoices (seed {seed}), tesseract on one core\n");
    println!("| invoices | count | flagged | share |\n|---|---:|---:|---:|");
    for (truth, t) in &by_truth {
        println!(
            "| {truth} | {} | {} | {:.1}% |",
            t.n,
            t.flagged,
            100.0 * t.flagged as f64 / t.n as f64
        );
    }
    println!(
        "\nread time per file: median {:.2} s, p90 {:.2} s, max {:.2} s, mean {:.2} s\n",
        pct(0.5),
        pct(0.9),
        pct(1.0),
        times.iter().sum::<f64>() / times.len() as f64
    );
    println!("| profile | files | judged right | median read |\n|---|---:|---:|---:|");
    for (profile, (t, ptimes)) in &mut by_profile {
        ptimes.sort_by(f64::total_cmp);
        println!(
            "| {profile} | {} | {} | {:.2} s |",
            t.n,
            t.flagged,
            ptimes[ptimes.len() / 2]
        );
    }
    if !misses.is_empty() {
        println!("\njudged wrong:");
        for m in misses {
            println!("- {m}");
        }
    }
}
