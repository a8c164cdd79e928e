//! Measures reply trimming on a corpus laid out as `emails/NAME.txt` (a body
//! as sent) and `trimmed/NAME.txt` (the customer's own text): the share of
//! bodies whose note equals the expected text (whitespace-normalised).
//!
//! `cargo run --release --example trim_eval -- ../shared/data/email-reply-trimmer/test [--show]`

use redeemdesk::mail::inbound::trim::note_of;

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("a corpus folder"));
    let show = args.any(|a| a == "--show");
    let mut names: Vec<_> = std::fs::read_dir(dir.join("emails"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    let (mut n, mut ok) = (0, 0);
    for name in names {
        let Ok(expected) = std::fs::read_to_string(dir.join("trimmed").join(&name)) else {
            continue;
        };
        let body = std::fs::read_to_string(dir.join("emails").join(&name)).unwrap();
        n += 1;
        let got = note_of(&body);
        if norm(&got) == norm(&expected) {
            ok += 1;
        } else if show {
            println!(
                "--- {}\nexpected: {:?}\n     got: {:?}",
                name.to_string_lossy(),
                norm(&expected),
                norm(&got)
            );
        }
    }
    println!("{ok}/{n} notes exact ({:.1} %)", 100.0 * ok as f64 / n.max(1) as f64);
}
