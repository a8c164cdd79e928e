//! Matching a reply to its redemption against the database, on both backends:
//! token, In-Reply-To, subject tag (only from the member), sender with exactly
//! one rejected claim; forged and expired handles match nothing.

use crate::support;

use chrono::{Duration, Utc};
use redeemdesk::domain::{Actor, RejectionReason};
use redeemdesk::import::{DEMO_JSON, import_json};
use redeemdesk::mail::inbound::matching::find;
use redeemdesk::mail::inbound::{FileLimits, MatchedBy, parse};
use redeemdesk::mail::outbox::MailSettings;
use redeemdesk::review::{Decision, decide};
use support::both_backends;

fn settings() -> MailSettings {
    MailSettings {
        reply_local: "support".into(),
        reply_domain: "example.test".into(),
        handle_ttl: Duration::days(60),
    }
}

fn email(from: &str, to: &str, subject: &str, in_reply_to: Option<&str>) -> Vec<u8> {
    let mut raw = format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <m{}@example.test>\r\n",
        rand::random::<u32>()
    );
    if let Some(id) = in_reply_to {
        raw.push_str(&format!("In-Reply-To: {id}\r\n"));
    }
    raw.push_str("Content-Type: text/plain\r\n\r\nhere is the invoice\r\n");
    raw.into_bytes()
}

both_backends! {
    async fn replies_match_by_the_strongest_handle_they_carry(db: Db) {
        import_json(&db, DEMO_JSON, Utc::now()).await.unwrap();
        let now = Utc::now();
        let reject = Decision::Reject { reason: RejectionReason::InvoiceUnreadable, note: None };
        decide(&db, 1044, reject, Actor::parse("staff:rina").unwrap(), &settings(), now).await.unwrap();
        let log = db.begin().await.unwrap().emails_of_redemption(1044).await.unwrap();
        let reply_to = log[0].reply_address.clone().unwrap();
        let our_id = log[0].message_id.clone();

        let check = |raw: Vec<u8>, at| {
            let db = db.clone();
            async move {
                let mail = parse(&raw, &settings(), &FileLimits::default());
                let mut tx = db.begin().await.unwrap();
                find(&mut tx, &mail, at).await.unwrap()
            }
        };
        let rizky = "Rizky <rizky.pratama@example.test>";
        let m = check(email(rizky, &reply_to, "Re: klaim", None), now).await.unwrap();
        assert_eq!((m.redemption_id, m.member_id, m.matched_by, m.sender_mismatch), (1044, 503, MatchedBy::Token, false));

        // A valid token from someone else: accepted, and recorded as a mismatch.
        let m = check(email("x@elsewhere.test", &reply_to, "Re:", None), now).await.unwrap();
        assert!(m.sender_mismatch && m.matched_by == MatchedBy::Token);

        // A token we never issued, or one that expired: nothing.
        let forged = "support+aaaaaaaaaaaaaaaaaaaaaaaaaa@example.test";
        assert!(check(email("x@elsewhere.test", forged, "Re:", None), now).await.is_none());
        assert!(check(email("x@elsewhere.test", &reply_to, "Re:", None), now + Duration::days(61)).await.is_none());
        // Tokens are case-sensitive.
        assert!(check(email("x@elsewhere.test", &reply_to.to_uppercase(), "Re:", None), now).await.is_none());

        // Our Message-ID in In-Reply-To.
        let m = check(email("x@elsewhere.test", "support@example.test", "Re:", Some(&our_id)), now).await.unwrap();
        assert_eq!((m.redemption_id, m.matched_by), (1044, MatchedBy::InReplyTo));

        // The subject tag counts only from the claim's member.
        let m = check(email(rizky, "support@example.test", "Re: [RDM-1044] x", None), now).await.unwrap();
        assert_eq!((m.redemption_id, m.matched_by), (1044, MatchedBy::SubjectTag));
        assert!(check(email("x@elsewhere.test", "support@example.test", "Re: [RDM-1044] x", None), now).await.is_none());

        // The sender alone, when they have exactly one rejected claim (Budi: RDM-1042).
        let m = check(email("Budi <Budi.Santoso@example.test>", "support@example.test", "invoice", None), now).await.unwrap();
        assert_eq!((m.redemption_id, m.matched_by), (1042, MatchedBy::Sender));
        // Sarah has none rejected: nothing.
        assert!(check(email("sarah.wijaya@example.test", "support@example.test", "invoice", None), now).await.is_none());
    }
}
