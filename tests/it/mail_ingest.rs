//! Acting on inbound email (`Ingestor`, the code behind the IMAP poller and
//! `mail ingest`), on both backends: a corrected invoice puts a rejected claim
//! back in the review queue with its files, event, email and chat notice; every
//! other kind of message gets exactly its documented action; nothing acts twice.

use crate::support;

use chrono::{Duration, Utc};
use redeemdesk::blobs::BlobStore;
use redeemdesk::domain::{Actor, Channel, EventKind, Status};
use redeemdesk::import::{DEMO_JSON, import_json};
use redeemdesk::jobs::JobKind;
use redeemdesk::mail::EmailKind;
use redeemdesk::mail::inbound::MailKind;
use redeemdesk::mail::inbound::ingest::{Ingestor, MAX_MAIL_ESCALATIONS, MAX_MAIL_ESCALATIONS_PER_SENDER, MailAction};
use redeemdesk::mail::outbox::MailSettings;
use redeemdesk::store::Db;
use support::both_backends;
use support::eml::{Eml, jpeg, pdf};

const BUDI: &str = "Budi Santoso <budi.santoso@example.test>";
const RIZKY: &str = "Rizky <rizky.pratama@example.test>";
const SUPPORT: &str = "support@example.test";

fn settings() -> MailSettings {
    support::mail::reply_settings()
}

async fn setup(db: &Db) -> (Ingestor, tempfile::TempDir) {
    import_json(db, DEMO_JSON, Utc::now()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    (Ingestor::new(db.clone(), BlobStore::new(dir.path()), settings()), dir)
}

/// Rejects `id` as staff would: the reply address and Message-ID of the rejection email.
async fn reject(db: &Db, id: i64) -> (String, String) {
    support::mail::reject_as_staff(db, id).await
}

async fn emails(db: &Db, id: i64) -> Vec<EmailKind> {
    db.begin()
        .await
        .unwrap()
        .emails_of_redemption(id)
        .await
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect()
}

both_backends! {
    async fn a_corrected_invoice_puts_the_claim_back_in_review_once(db: Db) {
        let (ingest, blobs) = setup(&db).await;
        // Budi's chat is linked to his member account: he hears about it there too.
        let mut tx = db.begin_write().await.unwrap();
        let chat = tx.chat_user(Channel::Telegram, "777001", Utc::now()).await.unwrap();
        tx.insert_chat_link(chat.id, 501, Utc::now()).await.unwrap();
        tx.commit().await.unwrap();

        let invoice = jpeg(800, 600);
        let mail = Eml::new(BUDI, SUPPORT, "Re: [RDM-1042] Klaim Anda")
            .text("Halo, ini faktur yang baru.\n\nPada Sen, 30 Nov 2026 MSI menulis:\n> klaim ditolak")
            .attach("../../Faktur Baru.jpg", "image/jpeg", invoice.clone())
            .attach("S-N.pdf", "application/pdf", pdf());
        let done = ingest.ingest(&mail.build(), Utc::now()).await.unwrap();
        assert_eq!((done.action, done.kind, done.redemption_id), (MailAction::Resubmitted, MailKind::Reply, Some(1042)));
        assert_eq!(done.report["matched_by"], "subject_tag");
        assert_eq!(done.report["note"], "Halo, ini faktur yang baru.");
        assert_eq!(done.report["accepted_attachments"][0]["filename"], "Faktur_Baru.jpg");
        assert_eq!(done.report["accepted_attachments"][0]["width"], 800);

        let mut tx = db.begin().await.unwrap();
        let rec = tx.redemption(1042).await.unwrap().unwrap();
        assert_eq!(rec.redemption.status(), Status::UnderReview);
        let history = tx.history(1042).await.unwrap();
        let last = history.last().unwrap();
        assert_eq!((last.change.kind(), last.actor.clone()), (EventKind::Resubmitted, Actor::Customer));
        let files = tx.attachments(1042).await.unwrap();
        let emailed: Vec<_> = files.iter().filter(|a| a.attachment.blob_key.is_some()).collect();
        assert_eq!(emailed.len(), 2);
        let jpeg_file = emailed.iter().find(|a| a.attachment.content_type == "image/jpeg").unwrap();
        let stored = BlobStore::new(blobs.path()).get(jpeg_file.attachment.blob_key.as_deref().unwrap()).await.unwrap();
        assert_eq!(stored, invoice, "the invoice is kept byte for byte");
        // In the review queue, with the "received" email and a chat notice in the outbox.
        assert!(tx.review_queue(50).await.unwrap().iter().any(|r| r.redemption.id == 1042));
        drop(tx);
        assert_eq!(emails(&db, 1042).await, vec![EmailKind::ResubmissionReceived]);
        let jobs = db.begin().await.unwrap().jobs(None, 50).await.unwrap();
        let notice = jobs.iter().find(|j| j.kind == JobKind::ChatMessage).expect("a chat notice");
        assert_eq!(notice.payload["chat_id"], "777001");
        assert!(notice.payload["text"].as_str().unwrap().contains("RDM-1042"));

        // The same message again (a crash before the IMAP move, a replayed file): nothing happens.
        let again = ingest.ingest(&mail.build(), Utc::now()).await.unwrap();
        assert!(again.duplicate);
        assert_eq!((again.action, again.redemption_id), (MailAction::Ignored, Some(1042)));
        assert_eq!(db.begin().await.unwrap().history(1042).await.unwrap().len(), history.len());
        assert_eq!(emails(&db, 1042).await.len(), 1);
    }

    async fn a_token_reply_resubmits_and_the_same_file_is_not_stored_twice(db: Db) {
        let (ingest, _blobs) = setup(&db).await;
        let (reply_to, _) = reject(&db, 1044).await;
        let invoice = pdf();
        let first = Eml::new(RIZKY, &reply_to, "Re: klaim").attach("faktur.pdf", "application/pdf", invoice.clone());
        let done = ingest.ingest(&first.build(), Utc::now()).await.unwrap();
        assert_eq!((done.action, done.report["matched_by"].as_str()), (MailAction::Resubmitted, Some("token")));

        // Rejected again; he sends the very same PDF in a new message.
        let (reply_to, _) = reject(&db, 1044).await;
        let second = Eml::new(RIZKY, &reply_to, "Re: klaim lagi").attach("faktur (1).pdf", "application/pdf", invoice);
        let done = ingest.ingest(&second.build(), Utc::now()).await.unwrap();
        assert_eq!(done.action, MailAction::Resubmitted);
        let mut tx = db.begin().await.unwrap();
        let emailed = tx.attachments(1044).await.unwrap().into_iter().filter(|a| a.attachment.blob_key.is_some()).count();
        assert_eq!(emailed, 1, "de-duplicated by SHA-256 within the claim");
        let history = tx.history(1044).await.unwrap();
        let kinds: Vec<_> = history.iter().map(|e| e.change.kind()).collect();
        assert_eq!(kinds.iter().filter(|k| **k == EventKind::Resubmitted).count(), 2);
    }

    async fn a_reply_handle_attaches_once_and_never_again(db: Db) {
        let (ingest, _blobs) = setup(&db).await;
        let files = |db: &Db| {
            let db = db.clone();
            async move { db.begin().await.unwrap().attachments(1044).await.unwrap().len() }
        };
        let status = |db: &Db| {
            let db = db.clone();
            async move { db.begin().await.unwrap().redemption(1044).await.unwrap().unwrap().redemption.status() }
        };
        let (first_address, first_id) = reject(&db, 1044).await;
        let used = Eml::new(RIZKY, &first_address, "Re: klaim").attach("faktur.jpg", "image/jpeg", jpeg(64, 64));
        let done = ingest.ingest(&used.build(), Utc::now()).await.unwrap();
        assert_eq!((done.action, done.report["matched_by"].as_str()), (MailAction::Resubmitted, Some("token")));
        let attached = files(&db).await;

        // The same handle, leaked, from someone else while the claim is in review:
        // spent, so it matches nothing (no status of the claim goes anywhere).
        let leaked = Eml::new("someone@elsewhere.test", &first_address, "Re: klaim").attach("lain.jpg", "image/jpeg", jpeg(65, 64));
        let done = ingest.ingest(&leaked.build(), Utc::now()).await.unwrap();
        assert_eq!((done.action, done.redemption_id), (MailAction::Escalated, None));

        // Rejected again: the old handle and the old email's Message-ID still reach nothing.
        let (second_address, _) = reject(&db, 1044).await;
        let replayed = Eml::new("someone@elsewhere.test", &first_address, "Re: klaim").attach("lagi.jpg", "image/jpeg", jpeg(66, 64));
        let done = ingest.ingest(&replayed.build(), Utc::now()).await.unwrap();
        assert_eq!((done.action, done.redemption_id), (MailAction::Escalated, None));
        let quoted = Eml::new("someone@elsewhere.test", SUPPORT, "Re: klaim")
            .header("In-Reply-To", Some(&first_id))
            .attach("kutip.jpg", "image/jpeg", jpeg(67, 64));
        let done = ingest.ingest(&quoted.build(), Utc::now()).await.unwrap();
        assert_eq!((done.action, done.redemption_id), (MailAction::Escalated, None));
        assert_eq!(status(&db).await, Status::Rejected);
        assert_eq!(files(&db).await, attached, "no file reached the claim through a spent handle");

        // The new handle works, once.
        let fixed = Eml::new(RIZKY, &second_address, "Re: klaim").attach("faktur2.jpg", "image/jpeg", jpeg(68, 64));
        let done = ingest.ingest(&fixed.build(), Utc::now()).await.unwrap();
        assert_eq!((done.action, done.report["matched_by"].as_str()), (MailAction::Resubmitted, Some("token")));
        let again = Eml::new("someone@elsewhere.test", &second_address, "Re: klaim").attach("faktur3.jpg", "image/jpeg", jpeg(69, 64));
        assert_eq!(ingest.ingest(&again.build(), Utc::now()).await.unwrap().action, MailAction::Escalated);
        assert_eq!(status(&db).await, Status::UnderReview);
    }

    async fn a_flood_of_unmatched_mail_reaches_staff_only_up_to_the_limits(db: Db) {
        let (ingest, _blobs) = setup(&db).await;
        let now = Utc::now();
        let mail = |from: &str, n: i64| Eml::new(from, SUPPORT, &format!("tolong {n}")).text("halo, ada yang bisa bantu?").build();
        let mut actions = Vec::new();
        for n in 0..MAX_MAIL_ESCALATIONS_PER_SENDER + 2 {
            actions.push(ingest.ingest(&mail("spam@elsewhere.test", n), now).await.unwrap().action);
        }
        let mut expected = vec![MailAction::Escalated; MAX_MAIL_ESCALATIONS_PER_SENDER as usize];
        expected.extend([MailAction::Quarantined; 2]);
        assert_eq!(actions, expected, "one sender: five an hour, the rest quarantined");
        // Another sender still reaches staff; an hour on, the first one does again.
        assert_eq!(ingest.ingest(&mail("other@elsewhere.test", 0), now).await.unwrap().action, MailAction::Escalated);
        let later = now + Duration::minutes(61);
        assert_eq!(ingest.ingest(&mail("spam@elsewhere.test", 99), later).await.unwrap().action, MailAction::Escalated);

        // Everyone together, each from a new address.
        let t = now + Duration::hours(3);
        for n in 0..MAX_MAIL_ESCALATIONS {
            let done = ingest.ingest(&mail(&format!("s{n}@elsewhere.test"), n), t).await.unwrap();
            assert_eq!(done.action, MailAction::Escalated, "mail {n}");
        }
        let over = ingest.ingest(&mail("one-more@elsewhere.test", 0), t).await.unwrap();
        assert_eq!(over.action, MailAction::Quarantined);
        let escalations = db.begin().await.unwrap().open_mail_escalations().await.unwrap().len() as i64;
        assert_eq!(escalations, MAX_MAIL_ESCALATIONS_PER_SENDER + 2 + MAX_MAIL_ESCALATIONS);
        // Every one of them is kept, with its action.
        let recorded = db.begin().await.unwrap().inbound_mail_actions().await.unwrap();
        assert_eq!(recorded.iter().filter(|(_, a)| a == "quarantined").count(), 3);
    }

    async fn a_reply_without_a_usable_file_gets_each_problem_and_a_fresh_handle(db: Db) {
        let (ingest, _blobs) = setup(&db).await;
        let (reply_to, _) = reject(&db, 1044).await;
        let mail = Eml::new(RIZKY, &reply_to, "Re: klaim")
            .attach("faktur.pdf.exe", "application/pdf", b"MZ\x90\x00\x03rest of a program".to_vec())
            .attach("invoice.zip", "application/zip", b"PK\x03\x04zipped".to_vec());
        let done = ingest.ingest(&mail.build(), Utc::now()).await.unwrap();
        assert_eq!(done.action, MailAction::AskedForAttachment);
        let reasons: Vec<_> = done.report["rejected_attachments"].as_array().unwrap().iter().map(|r| r["reason"].clone()).collect();
        assert_eq!(reasons, vec!["executable", "archive"]);
        let rec = db.begin().await.unwrap().redemption(1044).await.unwrap().unwrap();
        assert_eq!(rec.redemption.status(), Status::Rejected, "still waiting for a document");
        let log = db.begin().await.unwrap().emails_of_redemption(1044).await.unwrap();
        let unusable = log.iter().find(|e| e.kind == EmailKind::ReplyUnusable).unwrap();
        let fresh = unusable.reply_address.clone().unwrap();
        assert_ne!(fresh, reply_to);

        // Answering that email with the invoice works.
        let fixed = Eml::new(RIZKY, &fresh, "Re: Re: klaim").attach("faktur.jpg", "image/jpeg", jpeg(64, 64));
        assert_eq!(ingest.ingest(&fixed.build(), Utc::now()).await.unwrap().action, MailAction::Resubmitted);

        // No attachment at all: asked for one.
        let (reply_to, _) = reject(&db, 1044).await;
        let bare = Eml::new(RIZKY, &reply_to, "Re: klaim").text("Sudah saya kirim kemarin kok.");
        assert_eq!(ingest.ingest(&bare.build(), Utc::now()).await.unwrap().action, MailAction::AskedForAttachment);
    }

    async fn a_reply_about_a_claim_in_another_state_gets_its_status(db: Db) {
        let (ingest, _blobs) = setup(&db).await;
        let mail = Eml::new("sarah.wijaya@example.test", SUPPORT, "Re: [RDM-1043] approved?")
            .attach("again.jpg", "image/jpeg", jpeg(64, 64));
        let done = ingest.ingest(&mail.build(), Utc::now()).await.unwrap();
        assert_eq!((done.action, done.redemption_id), (MailAction::AnsweredStatus, Some(1043)));
        assert_eq!(emails(&db, 1043).await, vec![EmailKind::StatusAnswer]);
        let rec = db.begin().await.unwrap().redemption(1043).await.unwrap().unwrap();
        assert_eq!(rec.redemption.status(), Status::Approved, "a reply never changes an approved claim");
        let jobs = db.begin().await.unwrap().jobs(None, 10).await.unwrap();
        let text = jobs[0].payload["text"].as_str().unwrap();
        assert!(text.contains("RDM-1043") && text.contains("approved"), "{text}");
    }

    async fn machines_lists_and_bounces_are_never_answered(db: Db) {
        let (ingest, _blobs) = setup(&db).await;
        let ooo = Eml::new(BUDI, SUPPORT, "Balasan Otomatis: [RDM-1042] Klaim Anda").header("Auto-Submitted", Some("auto-replied"));
        let done = ingest.ingest(&ooo.build(), Utc::now()).await.unwrap();
        assert_eq!((done.kind, done.action), (MailKind::AutoReply, MailAction::Ignored));
        let list = Eml::new(BUDI, SUPPORT, "[RDM-1042] newsletter").header("List-Id", Some("<promo.example.test>"));
        let done = ingest.ingest(&list.build(), Utc::now()).await.unwrap();
        assert_eq!((done.kind, done.action), (MailKind::List, MailAction::Ignored));
        // Our own address writing to us (a forwarding loop).
        let ours = Eml::new("support+abc@example.test", SUPPORT, "Re: [RDM-1042]");
        assert_eq!(ingest.ingest(&ours.build(), Utc::now()).await.unwrap().action, MailAction::Ignored);

        // A bounce acts only when it returns an email we sent to that address:
        // Dewi's rejection email (RDM-1046) bounced.
        assert!(support::customer_jobs(&db).await.is_empty(), "no machine was answered");
        let (_, sent_id) = reject(&db, 1046).await;
        let jobs_before = db.begin().await.unwrap().jobs(None, 100).await.unwrap().len();
        let dsn = |n: u32, recipient: &str, returned_id: &str| {
            format!(
                "From: MAILER-DAEMON@mx.example.test\r\nTo: {SUPPORT}\r\nSubject: Undelivered Mail Returned to Sender\r\n\
                 Message-ID: <bounce{n}@mx.example.test>\r\nMIME-Version: 1.0\r\n\
                 Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
                 --B\r\nContent-Type: text/plain\r\n\r\nThe mail system could not deliver your message.\r\n\
                 --B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.test\r\n\r\n\
                 Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
                 --B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@example.test\r\n\
                 Message-ID: {returned_id}\r\nSubject: klaim\r\n\r\n--B--\r\n"
            )
        };
        // Forged: an email we never sent, ours sent to someone else, no returned headers at all.
        for (n, raw) in [
            (1, dsn(1, "dewi.lestari@example.test", "<never-sent@example.test>")),
            (2, dsn(2, "sarah.wijaya@example.test", &sent_id)),
            (3, dsn(3, "dewi.lestari@example.test", &sent_id).replace("Message-ID: <RDM", "X-Other: <RDM")),
        ] {
            let done = ingest.ingest(raw.as_bytes(), Utc::now()).await.unwrap();
            assert_eq!((done.kind, done.action), (MailKind::Bounce, MailAction::Ignored), "forged bounce {n}");
        }
        let mut tx = db.begin().await.unwrap();
        assert!(!tx.email_suppressed("dewi.lestari@example.test").await.unwrap());
        assert!(!tx.email_suppressed("sarah.wijaya@example.test").await.unwrap());
        drop(tx);
        // The genuine one, the returned headers folded as some servers do.
        let genuine = dsn(4, "Dewi.Lestari@example.test", &sent_id).replace("Message-ID: <", "Message-ID:\r\n <");
        let done = ingest.ingest(genuine.as_bytes(), Utc::now()).await.unwrap();
        assert_eq!((done.kind, done.action), (MailKind::Bounce, MailAction::BounceRecorded));
        assert!(db.begin().await.unwrap().email_suppressed("dewi.lestari@example.test").await.unwrap());
        let jobs_after = db.begin().await.unwrap().jobs(None, 100).await.unwrap().len();
        assert_eq!(jobs_after, jobs_before, "no bounce is answered");

        let rec = db.begin().await.unwrap().redemption(1042).await.unwrap().unwrap();
        assert_eq!(rec.redemption.status(), Status::Rejected);
    }

    async fn strangers_and_weak_handles_from_other_senders_go_to_staff(db: Db) {
        let (ingest, _blobs) = setup(&db).await;
        let (_, rejection_id) = reject(&db, 1044).await;
        let invoice = || jpeg(64, 64);

        // No handle at all, from nobody we know.
        let stranger = Eml::new("someone@elsewhere.test", SUPPORT, "klaim saya").attach("f.jpg", "image/jpeg", invoice());
        let done = ingest.ingest(&stranger.build(), Utc::now()).await.unwrap();
        assert_eq!((done.kind, done.action, done.redemption_id), (MailKind::Unmatched, MailAction::Escalated, None));
        // A subject tag from a stranger is not a handle.
        let tagged = Eml::new("someone@elsewhere.test", SUPPORT, "Re: [RDM-1044]").attach("f.jpg", "image/jpeg", invoice());
        let done = ingest.ingest(&tagged.build(), Utc::now()).await.unwrap();
        assert_eq!((done.kind, done.action, done.redemption_id), (MailKind::Unmatched, MailAction::Escalated, None));
        // Our Message-ID quoted from another address: escalated, the claim untouched.
        let quoted = Eml::new("someone@elsewhere.test", SUPPORT, "Re: klaim")
            .header("In-Reply-To", Some(&rejection_id))
            .attach("f.jpg", "image/jpeg", invoice());
        let done = ingest.ingest(&quoted.build(), Utc::now()).await.unwrap();
        assert_eq!((done.action, done.redemption_id), (MailAction::Escalated, Some(1044)));
        assert_eq!(done.report["matched_by"], "in_reply_to");
        // A forged token matches nothing.
        let forged = Eml::new("someone@elsewhere.test", "support+aaaaaaaaaaaaaaaaaaaaaaaaaa@example.test", "Re:")
            .attach("f.jpg", "image/jpeg", invoice());
        assert_eq!(ingest.ingest(&forged.build(), Utc::now()).await.unwrap().action, MailAction::Escalated);

        let rec = db.begin().await.unwrap().redemption(1044).await.unwrap().unwrap();
        assert_eq!(rec.redemption.status(), Status::Rejected);
        let open = db.begin().await.unwrap().open_mail_escalations().await.unwrap();
        assert_eq!(open.len(), 4);
        assert_eq!(open[2].1, Some(1044));
        // Each goes to the staff channels, as an email escalation.
        let jobs = db.begin().await.unwrap().jobs(None, 1000).await.unwrap();
        let posted: Vec<i64> = jobs
            .iter()
            .filter_map(|j| match redeemdesk::jobs::StaffTask::from_payload(&j.payload) {
                Ok(redeemdesk::jobs::StaffTask::Escalation { escalation_id }) => Some(escalation_id),
                _ => None,
            })
            .collect();
        assert_eq!(posted.len(), 4, "{posted:?}");
        let mut tx = db.begin().await.unwrap();
        let e = tx.escalation(posted[0]).await.unwrap().unwrap();
        assert_eq!(e.cause, redeemdesk::store::EscalationCause::Email);
        let card = redeemdesk::staff::escalation::card(&mut tx, &e).await.unwrap();
        assert!(card.text.contains("From: email") && card.text.contains("support mailbox"), "{}", card.text);
    }

    async fn unreadable_mail_is_quarantined_and_mail_without_an_id_is_deduplicated_by_hash(db: Db) {
        let (ingest, _blobs) = setup(&db).await;
        let done = ingest.ingest(b"\x00\x01\x02 not an email at all", Utc::now()).await.unwrap();
        assert_eq!((done.kind, done.action), (MailKind::Malformed, MailAction::Quarantined));

        let no_id = Eml::new("someone@elsewhere.test", SUPPORT, "hello").header("Message-ID", None).build();
        assert_eq!(ingest.ingest(&no_id, Utc::now()).await.unwrap().action, MailAction::Escalated);
        let again = ingest.ingest(&no_id, Utc::now()).await.unwrap();
        assert!(again.duplicate);
        assert_eq!(again.action, MailAction::Ignored);
        assert_eq!(db.begin().await.unwrap().open_mail_escalations().await.unwrap().len(), 1);
        let actions = db.begin().await.unwrap().inbound_mail_actions().await.unwrap();
        assert_eq!(actions.iter().map(|(_, a)| a.as_str()).collect::<Vec<_>>(), vec!["quarantined", "escalated"]);
    }
}
