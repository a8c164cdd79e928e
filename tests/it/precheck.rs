//! The invoice pre-check with the real Tesseract and poppler (installed by
//! scripts/packages.sh): invoices drawn here (`support::invoices`) in the
//! forms customers send them are read for their findings; a hostile or
//! oversized file is bounded; without Tesseract nothing changes; and the
//! email and chat flows hold a clear miss for the customer's answer, on both
//! backends, with the findings and fraud signals shown to reviewers.

use crate::support;

use chrono::{NaiveDate, Utc};
use redeemdesk::assistant::{Assistant, Content, Inbound, Outcome};
use redeemdesk::blobs::BlobStore;
use redeemdesk::domain::invoice::{Expected, Problem};
use redeemdesk::domain::{Channel, Status};
use redeemdesk::i18n::messages as m;
use redeemdesk::import::{DEMO_JSON, import_json};
use redeemdesk::mail::EmailKind;
use redeemdesk::mail::inbound::ingest::{Ingestor, MailAction};
use redeemdesk::mail::inbound::{FileLimits, judge};
use redeemdesk::precheck::{PreCheck, PreCheckSettings, ReadError, TextSource, assess};
use redeemdesk::store::Db;
use support::both_backends;
use support::eml::Eml;
use support::invoices::{Invoice, Quality};

const BUDI: &str = "Budi Santoso <budi.santoso@example.test>";
const RIZKY: &str = "Rizky <rizky.pratama@example.test>";
const SUPPORT: &str = "support@example.test";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Claim 1042 of the demo: Budi's Modern AM242 1M from Enter Komputer, Smart Office Rewards.
fn expected() -> Expected<'static> {
    Expected {
        model: "Modern AM242 1M",
        serial: Some("K2305N0012345"),
        store: Some("Enter Komputer"),
        period: (day(2026, 4, 1), day(2026, 6, 30)),
    }
}

/// An invoice from Enter Komputer for `item`, dated as printed.
fn invoice(item: &str, date: &str, number: &str) -> Invoice {
    Invoice {
        store: "Enter Komputer".into(),
        store_address: "Mangga Dua Mall Lt. 3 No. 12, Jakarta".into(),
        number: number.into(),
        date: date.into(),
        footer_date: None,
        customer: "Budi Santoso".into(),
        items: vec![(item.into(), 9_499_000), ("Mouse pad XL".into(), 99_000)],
        serial: None,
        indonesian: true,
        layout: 0,
    }
}

fn good(date: &str) -> Invoice {
    invoice("MSI Modern AM242 1M", date, "FJ-2026-00417")
}

/// Reads a file as a customer's would be: the file checks, then the pre-check.
fn read(
    name: &str,
    data: &[u8],
    precheck: &PreCheck,
) -> (Result<redeemdesk::precheck::InvoiceText, ReadError>, String) {
    let file = judge(name, data, &FileLimits::default()).expect("the file passes the file checks");
    (
        precheck
            .read(file.content_type, &file.data)
            .expect("the pre-check is on"),
        file.sha256,
    )
}

/// What, the file, where its text came from, model found, purchase date, in period.
type Case = (
    &'static str,
    (&'static str, Vec<u8>),
    TextSource,
    bool,
    Option<NaiveDate>,
    Option<bool>,
);

#[test]
fn rendered_invoices_are_read_with_their_findings() {
    let precheck = PreCheck::default();
    assert!(precheck.is_on(), "tesseract with ind and eng (scripts/packages.sh)");
    let q = Quality::CLEAN;
    let photo = |inv: &Invoice, q: Quality| ("IMG_0412.jpg", inv.photo(q));
    let in_april = day(2026, 4, 12);
    // (what, file, where the text came from, model found, purchase date, in period)
    let cases: Vec<Case> = vec![
        (
            "PDF with a text layer",
            ("faktur.pdf", good("12 April 2026").pdf()),
            TextSource::PdfText,
            true,
            Some(in_april),
            Some(true),
        ),
        (
            "scanned PDF without text",
            (
                "scan.pdf",
                good("12/04/2026").scanned_pdf(Quality {
                    dpi: 200,
                    noise: 4.0,
                    ..q
                }),
            ),
            TextSource::Ocr,
            true,
            Some(in_april),
            Some(true),
        ),
        (
            "clean photo",
            photo(&good("12-Apr-26"), Quality { dpi: 170, ..q }),
            TextSource::Ocr,
            true,
            Some(in_april),
            Some(true),
        ),
        (
            "photo turned by its EXIF orientation",
            photo(
                &good("2026-04-12"),
                Quality {
                    dpi: 170,
                    exif_quarter_turns: 1,
                    ..q
                },
            ),
            TextSource::Ocr,
            true,
            Some(in_april),
            Some(true),
        ),
        (
            "photo upside down (EXIF)",
            photo(
                &good("12 Apr 2026"),
                Quality {
                    dpi: 170,
                    exif_quarter_turns: 2,
                    ..q
                },
            ),
            TextSource::Ocr,
            true,
            Some(in_april),
            Some(true),
        ),
        (
            "tilted photo",
            photo(
                &good("12-04-2026"),
                Quality {
                    dpi: 180,
                    skew_degrees: 2.5,
                    noise: 3.0,
                    ..q
                },
            ),
            TextSource::Ocr,
            true,
            Some(in_april),
            Some(true),
        ),
        (
            "dim photo in uneven light",
            photo(
                &good("12 Mei 2026"),
                Quality {
                    dpi: 180,
                    contrast: 0.45,
                    shadow: 0.4,
                    ..q
                },
            ),
            TextSource::Ocr,
            true,
            Some(day(2026, 5, 12)),
            Some(true),
        ),
        (
            "another product's invoice",
            photo(
                &invoice("Logitech Pebble Mouse M350", "12/04/2026", "FJ-2026-00417"),
                Quality { dpi: 170, ..q },
            ),
            TextSource::Ocr,
            false,
            Some(in_april),
            Some(true),
        ),
        (
            "bought after the period",
            photo(
                &good("02 Agustus 2026"),
                Quality {
                    dpi: 170,
                    noise: 6.0,
                    ..q
                },
            ),
            TextSource::Ocr,
            true,
            Some(day(2026, 8, 2)),
            Some(false),
        ),
        (
            "bought after the period, PDF",
            ("faktur.pdf", good("02-Aug-26").pdf()),
            TextSource::PdfText,
            true,
            Some(day(2026, 8, 2)),
            Some(false),
        ),
    ];
    for (what, (name, data), source, model, date, in_period) in cases {
        let (text, sha256) = read(name, &data, &precheck);
        let text = text.unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(text.source, source, "{what}");
        let assessment = assess([(sha256.as_str(), &Ok(text.clone()))], &expected());
        let f = &assessment.files[0].findings;
        let context = format!("{what}: {f:?}\n{}", text.text);
        assert!(f.legible, "{context}");
        assert_eq!(f.model_name.is_some(), model, "{context}");
        if model {
            assert!(
                f.model_name.as_deref().unwrap().to_uppercase().contains("AM242"),
                "{context}"
            );
        }
        assert_eq!((f.purchase_date, f.in_period), (date, in_period), "{context}");
        assert_eq!(f.invoice_number_key().as_deref(), Some("FJ202600417"), "{context}");
        assert_eq!(f.store_is_members, Some(true), "{context}");
        let problems = assessment.problems();
        let want: Vec<Problem> = [
            (!model).then_some(Problem::ModelMissing),
            (in_period == Some(false)).then(|| Problem::DateOutsidePeriod { date: date.unwrap() }),
        ]
        .into_iter()
        .flatten()
        .collect();
        assert_eq!(problems, want, "{context}");
    }
}

#[test]
fn hostile_and_oversized_files_are_bounded() {
    let q = Quality::CLEAN;
    let photo = good("12/04/2026").photo(Quality { dpi: 170, ..q });
    // More pixels than allowed: refused from the header, nothing decoded.
    let small = PreCheck::new(PreCheckSettings {
        max_pixels: 100_000,
        ..PreCheckSettings::default()
    });
    assert!(matches!(
        small.read("image/jpeg", &photo),
        Some(Err(ReadError::TooLarge { .. }))
    ));
    // A deadline shorter than the OCR: the child is killed, an error comes back.
    let hurried = PreCheck::new(PreCheckSettings {
        timeout: std::time::Duration::from_millis(30),
        ..PreCheckSettings::default()
    });
    assert_eq!(hurried.read("image/jpeg", &photo), Some(Err(ReadError::TimedOut)));
    let precheck = PreCheck::default();
    // Not an image at all, and a PDF that is not one.
    assert!(matches!(
        precheck.read("image/png", b"\x89PNG\r\n\x1a\nnot really"),
        Some(Err(ReadError::Undecodable(_)))
    ));
    assert!(matches!(
        precheck.read("application/pdf", b"%PDF-1.4 garbage"),
        Some(Err(ReadError::Engine(_)))
    ));
    // A page 5 metres wide with no text: rendered no larger than the OCR wants, read, empty.
    let blank = support::invoices::image_pdf(
        &support::invoices::jpeg(&image::DynamicImage::new_luma8(64, 64), 80, None),
        64,
        64,
    )
    .to_vec();
    let huge = String::from_utf8_lossy(&blank).replace("/MediaBox [0 0 420 595]", "/MediaBox [0 0 14400 14400]");
    let huge = huge.into_bytes();
    assert_ne!(huge, blank, "the page was made larger");
    let read = precheck.read("application/pdf", &huge).unwrap();
    assert!(read.is_ok_and(|t| t.text.trim().is_empty()));
    // A file type the pre-check does not read.
    assert!(matches!(
        precheck.read("image/heic", b"x"),
        Some(Err(ReadError::NotRead(_)))
    ));
}

#[test]
fn without_tesseract_there_is_no_precheck() {
    let missing = PreCheck::new(PreCheckSettings {
        tesseract: "/nonexistent/tesseract".into(),
        ..PreCheckSettings::default()
    });
    assert!(!missing.is_on());
    assert_eq!(missing.read("application/pdf", &good("12/04/2026").pdf()), None);
    let no_language = PreCheck::new(PreCheckSettings {
        languages: "ind+xyz".into(),
        ..PreCheckSettings::default()
    });
    assert!(
        !no_language.is_on(),
        "a language Tesseract lacks turns the pre-check off"
    );
    assert!(!PreCheck::off().is_on());
}

async fn setup(db: &Db, precheck: PreCheck) -> (Ingestor, tempfile::TempDir) {
    import_json(db, DEMO_JSON, Utc::now()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ingestor =
        Ingestor::new(db.clone(), BlobStore::new(dir.path()), support::mail::reply_settings()).with_precheck(precheck);
    (ingestor, dir)
}

use support::status;

/// The last pre-check email about `id`: its reply address and subject.
async fn precheck_email(db: &Db, id: i64) -> (String, String) {
    let mut tx = db.begin().await.unwrap();
    let log = tx.emails_of_redemption(id).await.unwrap();
    let last = log
        .iter()
        .rev()
        .find(|e| e.kind == EmailKind::ReplyUnusable)
        .expect("the pre-check email");
    (last.reply_address.clone().unwrap(), last.subject.clone())
}

/// A product registered before look-alike serials were refused (`import`
/// refuses them now): K23O5N0012345, O for 0 of Budi's, Sarah's, claimed in
/// the same promotion as claim `id`. Written with SQL, as no code path of
/// ours can write it any more.
async fn look_alike_claim(db: &Db, id: i64) {
    let now = Utc::now();
    let product = "INSERT INTO products (serial, serial_key, chk, member_id, category, model, purchased_on, region, store, channel, created_at)
        SELECT 'K23O5N0012345', serial_key, '111', 502, category, model, purchased_on, region, store, channel, created_at
        FROM products WHERE serial = 'K2305N0012345'";
    let claim = "INSERT INTO redemptions (id, product_id, member_id, promotion_id, status, submitted_at, queued_at, updated_at)
        SELECT $1, id, 502, 'smart-office-2026', 'under_review', $2, $2, $2 FROM products WHERE serial = 'K23O5N0012345'";
    match db {
        Db::Sqlite(p, _) => {
            sqlx::query(product).execute(p).await.unwrap();
            sqlx::query(claim).bind(id).bind(now).execute(p).await.unwrap();
        }
        Db::Postgres(p) => {
            sqlx::query(product).execute(p).await.unwrap();
            sqlx::query(claim).bind(id).bind(now).execute(p).await.unwrap();
        }
    }
}

async fn view(db: &Db, id: i64) -> serde_json::Value {
    let mut tx = db.begin().await.unwrap();
    let rec = tx.redemption(id).await.unwrap().unwrap();
    serde_json::to_value(redeemdesk::views::redemption_view(&mut tx, &rec).await.unwrap()).unwrap()
}

both_backends! {
    /// An emailed invoice without the model is held: the customer is told
    /// at once, in their language, and confirms it with KIRIM; the reviewer
    /// sees the findings beside the file.
    async fn an_emailed_invoice_without_the_model_waits_for_the_customer(db: Db) {
        let (ingest, _blobs) = setup(&db, PreCheck::default()).await;
        // 1042 is rejected in the demo; Budi answers from his own address.
        let wrong = invoice("Logitech Pebble Mouse M350", "12/04/2026", "FJ-2026-00417").photo(Quality { dpi: 170, ..Quality::CLEAN });
        let mail = Eml::new(BUDI, SUPPORT, "Re: [RDM-1042] Klaim Anda").text("Ini invoicenya.").attach("faktur.jpg", "image/jpeg", wrong);
        let done = ingest.ingest(&mail.build(), Utc::now()).await.unwrap();
        assert_eq!(done.action, MailAction::AskedForAttachment);
        let findings = &done.report["accepted_attachments"][0]["findings"];
        assert_eq!(findings["model_name"], serde_json::Value::Null, "{findings}");
        assert_eq!((findings["purchase_date"].as_str(), findings["in_period"].as_bool()), (Some("2026-04-12"), Some(true)));
        assert_eq!(findings["store"], "Enter Komputer");
        assert_eq!(status(&db, 1042).await, Status::Rejected, "held, not resubmitted");
        let (hold_reply_to, subject) = precheck_email(&db, 1042).await;
        assert!(subject.contains("Mohon cek invoice"), "Budi reads Indonesian: {subject}");
        let body = &db.begin().await.unwrap().jobs(None, 100).await.unwrap().into_iter()
            .rev().find(|j| j.payload["subject"] == subject.as_str()).unwrap().payload["text"];
        assert!(body.as_str().unwrap().contains("Modern AM242 1M") && body.as_str().unwrap().contains("KIRIM"), "{body}");

        // A question, not a confirmation: asked again for the file, still held.
        let unsure = Eml::new(BUDI, &hold_reply_to, "Re: cek invoice").text("Maksudnya bagaimana? Tidak paham.");
        let done = ingest.ingest(&unsure.build(), Utc::now()).await.unwrap();
        assert_eq!(done.action, MailAction::AskedForAttachment);
        assert_eq!(status(&db, 1042).await, Status::Rejected);

        // KIRIM: the held file goes to review as it is, with what was read from it.
        let (hold_reply_to, _) = precheck_email(&db, 1042).await;
        let confirm = Eml::new(BUDI, &hold_reply_to, "Re: cek invoice").text("KIRIM");
        let done = ingest.ingest(&confirm.build(), Utc::now()).await.unwrap();
        assert_eq!(done.action, MailAction::Resubmitted);
        assert_eq!(status(&db, 1042).await, Status::UnderReview);
        let v = view(&db, 1042).await;
        let file = v["attachments"].as_array().unwrap().iter().find(|a| a["filename"] == "faktur.jpg").unwrap();
        assert_eq!(file["findings"]["model_name"], serde_json::Value::Null);
        assert_eq!(file["findings"]["legible"], true);
        assert_eq!(file["findings"]["text_from"], "ocr");
        // The same confirmation again changes nothing.
        let again = ingest.ingest(&Eml::new(BUDI, &hold_reply_to, "Re: cek invoice").text("kirim").build(), Utc::now()).await.unwrap();
        assert_ne!(again.action, MailAction::Resubmitted);
    }

    /// A held invoice replaced by a good one: straight to review, no question.
    async fn another_file_after_the_question_goes_straight_to_review(db: Db) {
        let (ingest, _blobs) = setup(&db, PreCheck::default()).await;
        let late = good("02/08/2026").pdf();
        let mail = Eml::new(BUDI, SUPPORT, "Re: [RDM-1042] Klaim Anda").attach("faktur-lama.pdf", "application/pdf", late);
        let done = ingest.ingest(&mail.build(), Utc::now()).await.unwrap();
        assert_eq!(done.action, MailAction::AskedForAttachment);
        assert_eq!(done.report["accepted_attachments"][0]["findings"]["in_period"], false);
        let (hold_reply_to, _) = precheck_email(&db, 1042).await;
        let body = db.begin().await.unwrap().jobs(None, 100).await.unwrap().into_iter().rev()
            .find(|j| j.payload["subject"].as_str().is_some_and(|s| s.contains("cek invoice"))).unwrap().payload["text"].clone();
        assert!(body.as_str().unwrap().contains("2 Agustus 2026"), "the date as read, in Indonesian: {body}");

        let right = good("12 April 2026").pdf();
        let mail = Eml::new(BUDI, &hold_reply_to, "Re: cek invoice").text("Ini yang benar").attach("faktur.pdf", "application/pdf", right);
        let done = ingest.ingest(&mail.build(), Utc::now()).await.unwrap();
        assert_eq!(done.action, MailAction::Resubmitted);
        let findings = &done.report["accepted_attachments"][0]["findings"];
        assert_eq!(findings["model_name"], "Modern AM242");
        assert_eq!(findings["in_period"], true);
        let v = view(&db, 1042).await;
        let files = v["attachments"].as_array().unwrap();
        assert!(files.iter().all(|f| f["filename"] != "faktur-lama.pdf"), "the held file was never attached: {files:?}");
        let file = files.iter().find(|f| f["filename"] == "faktur.pdf").unwrap();
        assert_eq!(file["findings"]["invoice_number"], "FJ-2026-00417");
        assert_eq!(file["findings"]["text_from"], "pdf_text");
        // An old KIRIM now finds nothing held.
        let stale = Eml::new(BUDI, &hold_reply_to, "Re").text("kirim");
        assert_ne!(ingest.ingest(&stale.build(), Utc::now()).await.unwrap().action, MailAction::Resubmitted);
    }

    /// The same invoice file or number on another member's claim, and the
    /// same serial (look-alikes folded) claimed twice in a promotion, are
    /// shown to reviewers.
    async fn reviewers_see_fraud_signals(db: Db) {
        let (ingest, _blobs) = setup(&db, PreCheck::default()).await;
        look_alike_claim(&db, 2001).await;
        let pdf = good("12 April 2026").pdf();
        let mail = Eml::new(BUDI, SUPPORT, "Re: [RDM-1042]").attach("faktur.pdf", "application/pdf", pdf.clone());
        assert_eq!(ingest.ingest(&mail.build(), Utc::now()).await.unwrap().action, MailAction::Resubmitted);
        // Rizky sends Budi's invoice for his own claim; then the same invoice number in another file.
        // It names Budi's model, not Rizky's: held, and Rizky sends it anyway.
        let (to_rizky, _) = support::mail::reject_as_staff(&db, 1044).await;
        let mail = Eml::new(RIZKY, &to_rizky, "Re").attach("nota.pdf", "application/pdf", pdf);
        assert_eq!(ingest.ingest(&mail.build(), Utc::now()).await.unwrap().action, MailAction::AskedForAttachment);
        let (hold_reply_to, _) = precheck_email(&db, 1044).await;
        let confirm = Eml::new(RIZKY, &hold_reply_to, "Re: cek invoice").text("ya kirim saja");
        assert_eq!(ingest.ingest(&confirm.build(), Utc::now()).await.unwrap().action, MailAction::Resubmitted);
        let v = view(&db, 1044).await;
        assert_eq!(v["fraud_signals"]["same_file_other_member"], serde_json::json!([1042]), "{}", v["fraud_signals"]);
        assert_eq!(v["fraud_signals"]["same_invoice_number_other_member"], serde_json::json!([1042]));
        let v = view(&db, 1042).await;
        assert_eq!(v["fraud_signals"]["same_file_other_member"], serde_json::json!([1044]));
        assert_eq!(v["fraud_signals"]["same_serial_in_promotion"], serde_json::json!([2001]));
        let text = redeemdesk::views::text::redemption(&redeemdesk::views::redemption_view(
            &mut db.begin().await.unwrap(),
            &db.begin().await.unwrap().redemption(1042).await.unwrap().unwrap(),
        ).await.unwrap());
        assert!(text.contains("the same file is on another member's claim: RDM-1044"), "{text}");
        assert!(text.contains("the same serial is claimed again in this promotion: RDM-2001"), "{text}");
        assert!(text.contains("pre-check (PDF text): model \"Modern AM242\""), "{text}");
    }

    /// Without Tesseract the service works as before: the file goes to review unread.
    async fn without_tesseract_a_reply_is_resubmitted_unread(db: Db) {
        let missing = PreCheck::new(PreCheckSettings { tesseract: "/nonexistent/tesseract".into(), ..Default::default() });
        let (ingest, _blobs) = setup(&db, missing).await;
        let wrong = invoice("Logitech Pebble Mouse M350", "12/04/2026", "FJ-1").pdf();
        let mail = Eml::new(BUDI, SUPPORT, "Re: [RDM-1042]").attach("faktur.pdf", "application/pdf", wrong);
        let done = ingest.ingest(&mail.build(), Utc::now()).await.unwrap();
        assert_eq!(done.action, MailAction::Resubmitted);
        assert!(done.report["accepted_attachments"][0].get("findings").is_none());
        let v = view(&db, 1042).await;
        assert!(v["attachments"].as_array().unwrap().iter().all(|a| a["findings"].is_null()));
    }

    /// In chat: the re-uploaded photo is read; a date outside the period is
    /// told at once with the choice; "send another" waits, a good file goes
    /// through; "submit as it is" sends a held file as it is.
    async fn a_chat_reupload_is_checked_before_it_goes_to_review(db: Db) {
        import_json(&db, DEMO_JSON, Utc::now()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::new(dir.path());
        let assistant = Assistant::new(db.clone()).with_blobs(blobs.clone()).with_precheck(PreCheck::default());
        let may: chrono::DateTime<Utc> = "2026-05-15T03:00:00Z".parse().unwrap();
        let send = |content: Content| {
            let assistant = &assistant;
            async move {
                let inbound = Inbound {
                    channel: Channel::Telegram,
                    user: "budi-chat".into(),
                    content,
                    lang_hint: Some("en".into()),
                    event_id: None,
                    public: false,
                };
                assistant.handle(&inbound, may).await.unwrap()
            }
        };
        let upload = |name: &'static str, data: Vec<u8>| {
            let blobs = blobs.clone();
            async move {
                let stored = blobs.put(&data).await.unwrap();
                Content::Attachment { filename: name.into(), content_type: "image/jpeg".into(), bytes: stored.bytes, stored: Some(stored) }
            }
        };
        let ids = |o: &Outcome| o.replies.iter().flat_map(|r| r.messages().map(|m| m.def.id)).collect::<Vec<_>>();
        let rendered = |o: &Outcome| {
            o.replies.iter().map(|r| r.render(redeemdesk::i18n::Localizer::builtin(), o.locale).text).collect::<Vec<_>>().join("\n")
        };
        send(Content::Text("status K2305N0012345".into())).await;
        let o = send(Content::Text("482".into())).await;
        assert!(ids(&o).contains(&m::STATUS_REUPLOAD_HINT.id), "{:?}", ids(&o));

        let q = Quality { dpi: 170, ..Quality::CLEAN };
        let late = good("02 Aug 2026").photo(q);
        let o = send(upload("late.jpg", late).await).await;
        assert!(ids(&o).contains(&m::REUPLOAD_PRECHECK.id), "{:?}", ids(&o));
        let text = rendered(&o);
        assert!(text.contains("2 August 2026") && text.contains("outside the promotion period"), "{text}");
        let buttons: Vec<_> = o.replies.iter().flat_map(|r| r.buttons.iter().map(|b| b.data.clone())).collect();
        assert_eq!(buttons, ["reupload:submit", "reupload:other"]);
        assert_eq!(status(&db, 1042).await, Status::Rejected);

        // "Send another file": we wait; the good invoice goes through, with its findings.
        let o = send(Content::Button("reupload:other".into())).await;
        assert!(ids(&o).contains(&m::REUPLOAD_SEND_ANOTHER.id), "{:?}", ids(&o));
        let o = send(upload("faktur.jpg", good("12 Apr 2026").photo(q)).await).await;
        assert!(ids(&o).contains(&m::REUPLOAD_RECEIVED.id), "{:?}", ids(&o));
        assert_eq!(status(&db, 1042).await, Status::UnderReview);
        let v = view(&db, 1042).await;
        let file = v["attachments"].as_array().unwrap().iter().find(|a| a["source"] == "chat").unwrap().clone();
        assert_eq!(file["findings"]["in_period"], true, "{file}");
        assert_eq!(file["findings"]["purchase_date"], "2026-04-12");

        // Rejected again; this time the customer submits the flagged file as it is.
        support::mail::reject_as_staff(&db, 1042).await;
        send(Content::Text("status K2305N0012345".into())).await;
        let wrong = invoice("Logitech Pebble Mouse M350", "12/04/2026", "FJ-2026-00417").photo(q);
        let o = send(upload("mouse.jpg", wrong).await).await;
        assert!(rendered(&o).contains("(Modern AM242 1M) cannot be found"), "{}", rendered(&o));
        let o = send(Content::Button("reupload:submit".into())).await;
        assert!(ids(&o).contains(&m::REUPLOAD_RECEIVED.id), "{:?}", ids(&o));
        assert_eq!(status(&db, 1042).await, Status::UnderReview);
        let v = view(&db, 1042).await;
        let mouse = v["attachments"].as_array().unwrap().iter().rev().find(|a| a["source"] == "chat").unwrap().clone();
        assert_eq!(mouse["findings"]["model_name"], serde_json::Value::Null, "{mouse}");
        // A stale button afterwards does nothing but show the menu.
        let o = send(Content::Button("reupload:submit".into())).await;
        assert!(ids(&o).contains(&m::MENU_PROMPT.id), "{:?}", ids(&o));
    }
}

/// Through the binary: `mail ingest` prints each accepted attachment's
/// findings (the contract's line), and `review show` shows them under the file.
#[test]
fn mail_ingest_and_review_show_carry_the_findings() {
    let dir = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| {
        let out = support::redeemdesk("sqlite://precheck.db", dir.path())
            .env("REDEEMDESK_SMTP__FROM", "MSI Promo <support@example.test>")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    cli(&["demo"]);
    let eml = dir.path().join("reply.eml");
    let mail = Eml::new(BUDI, SUPPORT, "Re: [RDM-1042] Klaim Anda").attach(
        "faktur.pdf",
        "application/pdf",
        good("12 April 2026").pdf(),
    );
    std::fs::write(&eml, mail.build()).unwrap();
    let line: serde_json::Value = serde_json::from_str(cli(&["mail", "ingest", eml.to_str().unwrap()]).trim()).unwrap();
    assert_eq!(line["action"], "resubmitted", "{line}");
    assert_eq!(
        line["accepted_attachments"][0]["findings"],
        serde_json::json!({"model_name": "Modern AM242", "purchase_date": "2026-04-12", "in_period": true,
            "invoice_number": "FJ-2026-00417", "store": "Enter Komputer"})
    );
    let shown = cli(&["review", "show", "1042"]);
    assert!(
        shown.contains("pre-check (PDF text): model \"Modern AM242\" (full)"),
        "{shown}"
    );
    assert!(
        shown.contains("date 2026-04-12 (in period); invoice no. \"FJ-2026-00417\""),
        "{shown}"
    );
    assert!(shown.contains("store \"Enter Komputer\" (the member's)"), "{shown}");
}

/// `serve` without Tesseract starts and serves, saying once that the
/// pre-check is off; with it, that it is on.
#[test]
fn serve_says_once_whether_the_precheck_is_on() {
    use std::io::{BufRead, BufReader};
    let log_of = |tesseract: &str| {
        let dir = tempfile::tempdir().unwrap();
        let mut child = support::redeemdesk("sqlite://serve.db", dir.path())
            .env("REDEEMDESK_HTTP__BIND", "127.0.0.1:0")
            .env("REDEEMDESK_PRECHECK__TESSERACT", tesseract)
            .env("TELOXIDE_TOKEN", "")
            .args(["serve", "--demo"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut log = Vec::new();
        loop {
            let line = lines.next().expect("serve ended before listening").unwrap();
            let listening = line.contains("addr=");
            log.push(line);
            if listening {
                break;
            }
        }
        std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(child.wait().unwrap().success(), "{log:?}");
        log.extend(lines.map_while(Result::ok));
        log
    };
    let off = log_of("/nonexistent/tesseract");
    let said: Vec<_> = off.iter().filter(|l| l.contains("invoice pre-check is off")).collect();
    assert_eq!(said.len(), 1, "{off:?}");
    assert!(
        said[0].contains("scripts/packages.sh"),
        "it says what to install: {}",
        said[0]
    );
    let on = log_of("tesseract");
    assert_eq!(
        on.iter().filter(|l| l.contains("invoice pre-check is on")).count(),
        1,
        "{on:?}"
    );
}
