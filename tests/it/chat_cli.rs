//! `redeemdesk chat --json` and `redeemdesk faq classify` as the contract
//! describes them, through the real binary.

use crate::support;

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;
use support::TestDb;

fn run(db_url: &str, args: &[&str], stdin: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_redeemdesk"))
        .current_dir(dir.path())
        .env("DATABASE_URL", db_url)
        .env_remove("REDEEMDESK_LOG")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[tokio::test]
async fn chat_json_follows_the_contract() {
    let db = TestDb::sqlite().await;
    let (code, _, err) = run(&db.url, &["demo"], "");
    assert_eq!(code, 0, "{err}");
    let input =
        "halo min\nfaq\nfaq:invoice.requirements\nSN saya k2305n00l2345 statusnya apa ya\n482\nlang:en\n/status\n";
    let (code, stdout, err) = run(&db.url, &["chat", "--json", "--user", "budi"], input);
    assert_eq!(code, 0, "{err}");
    let lines = json_lines(&stdout);
    for l in &lines {
        let obj = l.as_object().unwrap();
        assert_eq!(obj.keys().collect::<Vec<_>>(), ["buttons", "text"], "{l}");
        assert!(l["text"].as_str().is_some_and(|t| !t.is_empty()));
        for b in l["buttons"].as_array().unwrap() {
            assert!(b["label"].is_string() && b["data"].is_string(), "{b}");
        }
    }
    let texts: Vec<&str> = lines.iter().map(|l| l["text"].as_str().unwrap()).collect();
    assert!(texts[0].contains("Halo Kak"), "{texts:?}");
    // The menu's buttons carry data the console accepts back.
    assert!(
        lines[1]["buttons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["data"] == "faq")
    );
    assert!(
        texts.iter().any(|t| t.contains("1600")),
        "the invoice answer: {texts:?}"
    );
    assert!(texts.iter().any(|t| t.contains("CHK")), "asks for the CHK: {texts:?}");
    assert!(
        texts.iter().any(|t| t.contains("RDM-1042")),
        "shows the status: {texts:?}"
    );
    let last = texts.last().unwrap();
    assert!(
        last.contains("RDM-1042") && last.contains("Status for"),
        "English after lang:en: {last}"
    );

    // The same user continues in a second process: state and language persisted.
    let (_, stdout, _) = run(&db.url, &["chat", "--json", "--user", "budi"], "hello\n");
    assert!(
        json_lines(&stdout)[0]["text"].as_str().unwrap().contains("Hi"),
        "{stdout}"
    );
}

#[tokio::test]
async fn chat_plain_text_and_lang_hint() {
    let db = TestDb::sqlite().await;
    let (_, stdout, err) = run(&db.url, &["chat", "--lang", "en"], "/help\n\n");
    assert!(stdout.contains("/status"), "{stdout} {err}");
    assert!(
        stdout.contains("[") && stdout.contains("(menu)"),
        "buttons are shown: {stdout}"
    );
    let (code, _, err) = run(&db.url, &["chat", "--lang", "fr"], "");
    assert_eq!(code, 2, "{err}");
}

#[test]
fn faq_classify_prints_one_json_line_per_message() {
    let input = "gimana cara redeem promo?\nwhere do I find the CHK code\nhalo min\n\nSN saya K2305N0012345 statusnya apa ya\nharga rtx 5090 berapa\n";
    let (code, stdout, err) = run("sqlite://unused.db", &["faq", "classify"], input);
    assert_eq!(code, 0, "{err}");
    let lines = json_lines(&stdout);
    assert_eq!(lines.len(), 6, "one line per input line, also the empty one");
    for (l, text) in lines.iter().zip(input.lines()) {
        assert_eq!(
            l.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["intent", "lang", "score", "text"]
        );
        assert_eq!(l["text"], text);
        let score = l["score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&score), "{l}");
        assert!(l["lang"] == "id" || l["lang"] == "en", "{l}");
        assert!(
            redeemdesk::faq::Intent::parse(l["intent"].as_str().unwrap()).is_some(),
            "{l}"
        );
    }
    let intents: Vec<&str> = lines.iter().map(|l| l["intent"].as_str().unwrap()).collect();
    assert_eq!(
        intents,
        [
            "redeem.how",
            "product.serial",
            "greeting",
            "out_of_scope",
            "status.lookup",
            "out_of_scope"
        ]
    );
    assert_eq!(lines[1]["lang"], "en");
    assert_eq!(lines[0]["lang"], "id");
}
