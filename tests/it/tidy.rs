//! Conventions that check themselves: the domain stays pure, every module says
//! what it holds, and the two migration folders stay in step.

use std::fs;
use std::path::{Path, PathBuf};

use redeemdesk::broadcast::{CampaignStatus, RecipientKind, RecipientStatus};
use redeemdesk::domain::{RejectionReason, Status};
use redeemdesk::jobs::{JobKind, JobStatus};
use redeemdesk::mail::EmailKind;
use redeemdesk::store::{EscalationCause, EscalationStatus, TranscriptRole};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn domain_imports_no_io_or_platform_crate() {
    let forbidden = [
        "sqlx",
        "tokio",
        "axum",
        "teloxide",
        "serenity",
        "lettre",
        "async_imap",
        "mail_parser",
        "reqwest",
        "std::fs",
        "std::net",
        "std::process",
        "std::env",
        "crate::store",
        "crate::config",
    ];
    for file in rust_files(&root().join("src/domain")) {
        let text = fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for name in forbidden {
                let used = code.contains(&format!("{name}::")) || code.contains(&format!("use {name}"));
                assert!(
                    !used,
                    "{}:{}: the domain must not use {name}: {line}",
                    file.display(),
                    n + 1
                );
            }
        }
    }
}

#[test]
fn every_module_starts_with_a_doc_comment() {
    for file in rust_files(&root().join("src")) {
        let text = fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with("//!"),
            "{} must start with a //! comment saying what it holds",
            file.display()
        );
    }
}

#[test]
fn migration_folders_stay_in_step() {
    let names = |backend: &str| {
        let mut v: Vec<String> = fs::read_dir(root().join("migrations").join(backend))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        names("sqlite"),
        names("postgres"),
        "same versions and names in both folders"
    );
}

#[test]
fn check_constraints_list_every_code_of_the_enums() {
    for backend in ["sqlite", "postgres"] {
        let dir = root().join("migrations").join(backend);
        let sql: String = fs::read_dir(&dir)
            .unwrap()
            .map(|e| fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        for reason in RejectionReason::ALL {
            assert!(
                sql.contains(&format!("'{}'", reason.code())),
                "{backend}: CHECK misses {}",
                reason.code()
            );
        }
        for status in Status::ALL {
            assert!(
                sql.contains(&format!("'{}'", status.as_str())),
                "{backend}: CHECK misses {status}"
            );
        }
        let codes = JobKind::ALL
            .iter()
            .map(|k| k.as_str())
            .chain(JobStatus::ALL.iter().map(|s| s.as_str()))
            .chain(EmailKind::ALL.iter().map(|k| k.as_str()))
            .chain(EscalationStatus::ALL.iter().map(|k| k.as_str()))
            .chain(EscalationCause::ALL.iter().map(|k| k.as_str()))
            .chain(TranscriptRole::ALL.iter().map(|k| k.as_str()))
            .chain(CampaignStatus::ALL.iter().map(|k| k.as_str()))
            .chain(RecipientStatus::ALL.iter().map(|k| k.as_str()))
            .chain(RecipientKind::ALL.iter().map(|k| k.as_str()));
        for code in codes {
            assert!(sql.contains(&format!("'{code}'")), "{backend}: CHECK misses {code}");
        }
    }
}
