//! Prints every email redeemdesk sends, in Indonesian and English, for one of
//! the demo claims: the rendered examples in `docs/email.md` come from here.
//!
//! `cargo run --example render_emails`

use chrono::Utc;
use redeemdesk::domain::invoice::Problem;
use redeemdesk::domain::{Locale, RejectionReason};
use redeemdesk::import::{DEMO_JSON, import_json};
use redeemdesk::mail::OutgoingEmail;
use redeemdesk::mail::compose::{self, ClaimFacts};
use redeemdesk::mail::inbound::{FileProblem, RejectedFile};
use redeemdesk::store::Db;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!("sqlite://{}/emails.db", dir.path().display()))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    import_json(&db, DEMO_JSON, Utc::now()).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let rec = tx.redemption(1044).await.unwrap().unwrap();
    let facts = ClaimFacts::load(&mut tx, &rec).await.unwrap();
    let id = "<RDM-1044.3f9c2a7d1e5b8c40@example.test>";
    for locale in Locale::ALL {
        let mut facts = facts.clone();
        facts.member.locale = locale;
        let member = &facts.member;
        let claim = facts.claim(&rec.redemption);
        let emails = [
            compose::rejection(
                &claim,
                RejectionReason::InvoiceMissingProductName,
                Some("Please provide the invoice with your product name on it, thanks."),
                id,
                "support+k7q2m4x9p3w8z5r6t2y7u4b3na@example.com",
            ),
            compose::resubmission_received(&claim, id, None),
            compose::approved(&claim, id),
            compose::reward_sent(&claim, id),
            compose::reply_unusable(
                &claim,
                &[
                    RejectedFile {
                        filename: "invoice.zip".into(),
                        reason: FileProblem::Archive,
                    },
                    RejectedFile {
                        filename: "faktur.pdf".into(),
                        reason: FileProblem::NameDoesNotMatchContent,
                    },
                ],
                id,
                Some("<CAF=reply@mail.example.com>"),
                None,
            ),
            compose::link_code(member, "481920", "Telegram", 15, id),
        ];
        for email in emails {
            print(&email, email.kind.as_str());
        }
        let expected = facts.expected_invoice();
        let problems = [
            Problem::ModelMissing,
            Problem::DateOutsidePeriod {
                date: chrono::NaiveDate::from_ymd_opt(2026, 7, 2).unwrap(),
            },
        ];
        let precheck = compose::precheck_findings(
            &claim,
            &problems,
            &expected,
            id,
            Some("<CAF=reply@mail.example.com>"),
            None,
        );
        print(&precheck, "reply_unusable: the invoice pre-check");
    }
}

fn print(email: &OutgoingEmail, title: &str) {
    println!("#### {title} ({})\n", email.locale.as_str());
    println!("```text\nSubject: {}\n\n{}```\n", email.subject, email.text);
}
