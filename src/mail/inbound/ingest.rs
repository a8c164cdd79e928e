//! Acting on an inbound email, in one transaction with the outbox: the same
//! code serves the IMAP poller and `mail ingest`.
//!
//! - a reply to a rejected claim with usable files: the files are stored and
//!   linked, the claim is resubmitted (back in the review queue), and the
//!   member gets the "received" email and, if they linked a chat, a chat notice;
//! - a reply about a claim that is not rejected: its current status by email;
//! - a reply with no usable file: an email listing each file's problem;
//! - auto-replies, list mail, our own mail coming back, and any message seen
//!   before: ignored, never answered;
//! - bounces: recorded (a hard bounce stops further email to that address);
//! - mail we cannot tie to a claim, or a weak handle from another sender:
//!   escalated to staff; unreadable mail: quarantined, with a staff alert.
//!
//! Every message gets a row in `inbound_mail` keyed by its Message-ID (or the
//! hash of its bytes), claimed inside the same transaction, so a message read
//! twice (a crash between the commit and the IMAP move, a replayed file) never
//! acts twice.

use serde::Serialize;

use super::matching::{self, Match};
use super::{AcceptedFile, FileLimits, InboundMail, MailKind, MatchedBy, parse};
use crate::assistant::words;
use crate::blobs::{BlobError, BlobStore, sha256_hex};
use crate::domain::{Actor, Locale, RedemptionId, Status, Timestamp};
use crate::i18n::{Localizer, Msg, messages as m};
use crate::jobs::{ChatMessage, JobKind, NewJob};
use crate::mail::compose::{self, ClaimFacts};
use crate::mail::outbox::{self, MailSettings};
use crate::precheck::{InvoiceText, PreCheck, ReadError};
use crate::store::{AttachmentSource, Db, NewAttachment, NewInboundMail, RedemptionRecord, StoreError, Tx};

/// Emails from one sender escalated to staff in an hour; the rest of that
/// hour's are quarantined (kept, for a person to look at when they can).
pub const MAX_MAIL_ESCALATIONS_PER_SENDER: i64 = 5;
/// Emails from everyone together escalated to staff in an hour: a flood from
/// ever-changing addresses fills the quarantine mailbox, not the staff channels.
pub const MAX_MAIL_ESCALATIONS: i64 = 200;

/// What was done with a message (the contract's `action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailAction {
    Resubmitted,
    AnsweredStatus,
    AskedForAttachment,
    Ignored,
    BounceRecorded,
    Quarantined,
    Escalated,
}

impl MailAction {
    pub fn as_str(self) -> &'static str {
        match self {
            MailAction::Resubmitted => "resubmitted",
            MailAction::AnsweredStatus => "answered_status",
            MailAction::AskedForAttachment => "asked_for_attachment",
            MailAction::Ignored => "ignored",
            MailAction::BounceRecorded => "bounce_recorded",
            MailAction::Quarantined => "quarantined",
            MailAction::Escalated => "escalated",
        }
    }
}

/// The outcome of ingesting one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Ingested {
    pub action: MailAction,
    pub kind: MailKind,
    pub redemption_id: Option<RedemptionId>,
    /// The message was handled before; nothing was done this time.
    pub duplicate: bool,
    /// The contract's JSON line, without `file`.
    pub report: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// The parser panicked or was cancelled (a bug; the message is kept for a retry).
    #[error("reading the message failed: {0}")]
    Parser(String),
}

/// Reads messages and acts on them.
#[derive(Debug, Clone)]
pub struct Ingestor {
    db: Db,
    blobs: BlobStore,
    settings: MailSettings,
    limits: FileLimits,
    precheck: PreCheck,
}

/// Each accepted file's text (by SHA-256), as the pre-check read it.
type Reads = Vec<(String, Result<InvoiceText, ReadError>)>;

impl Ingestor {
    pub fn new(db: Db, blobs: BlobStore, settings: MailSettings) -> Self {
        Self {
            db,
            blobs,
            settings,
            limits: FileLimits::default(),
            precheck: PreCheck::off(),
        }
    }

    /// Reads replies' files before they go to review (off unless set).
    pub fn with_precheck(mut self, precheck: PreCheck) -> Self {
        self.precheck = precheck;
        self
    }

    pub fn with_limits(mut self, limits: FileLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Parses `raw` and acts on it. An error means nothing was committed: the
    /// caller keeps the message and tries again later.
    pub async fn ingest(&self, raw: &[u8], now: Timestamp) -> Result<Ingested, IngestError> {
        // The raw message is kept whatever happens to it, so staff can always
        // look at what came in (content-addressed: a retry writes the same key).
        // Decoding images (and converting HEIC) is CPU work that may take a
        // while: it runs off the async threads, while the raw message is written.
        // Hashing the raw message runs beside the parse too (two cores, two tasks).
        let bytes: std::sync::Arc<[u8]> = raw.into();
        let (settings, limits, for_parse) = (self.settings.clone(), self.limits.clone(), bytes.clone());
        let parsing = tokio::task::spawn_blocking(move || parse(&for_parse, &settings, &limits));
        let keeping_raw = async {
            let hashing = tokio::task::spawn_blocking(move || sha256_hex(&bytes));
            let sha256 = hashing.await.map_err(|e| IngestError::Parser(e.to_string()))?;
            let blob = self.blobs.put_hashed(raw, &sha256).await?;
            Ok::<_, IngestError>((sha256, blob))
        };
        let (mail, kept_raw) = tokio::join!(parsing, keeping_raw);
        // Shared with the pre-check's blocking task, so the files are not copied.
        let mail = std::sync::Arc::new(mail.map_err(|e| IngestError::Parser(e.to_string()))?);
        let (raw_sha256, raw_blob) = kept_raw?;
        let dedup_key = match &mail.message_id {
            Some(id) => format!("mid:{id}"),
            None => format!("sha256:{raw_sha256}"),
        };
        // The pre-check reads a reply's files (OCR takes about 0.4 s of a core
        // each) before the transaction, whatever the reply turns out to be
        // about; not for a message already acted on (a replay changes nothing).
        let reads = if self.precheck.settings().enabled
            && mail.kind == MailKind::Reply
            && !mail.accepted.is_empty()
            && self.db.begin().await?.inbound_mail_report(&dedup_key).await?.is_none()
        {
            self.read_files(mail.clone()).await?
        } else {
            None
        };

        let mut tx = self.db.begin_write().await?;
        let record = NewInboundMail {
            dedup_key: &dedup_key,
            message_id: mail.message_id.as_deref(),
            raw_sha256: &raw_sha256,
            raw_blob_key: Some(&raw_blob.key),
            from_address: mail.from.as_deref(),
            subject: &mail.subject,
            kind: kind_str(mail.kind),
        };
        let Some(row) = tx.claim_inbound_mail(&record, now).await? else {
            let before = tx.inbound_mail_report(&dedup_key).await?;
            drop(tx);
            let mut report = before.unwrap_or_else(|| report(&mail, mail.kind, None, MailAction::Ignored));
            report["action"] = serde_json::json!(MailAction::Ignored);
            tracing::info!(key = %crate::redact::addresses(&dedup_key), "inbound mail: seen before, ignored");
            return Ok(Ingested {
                action: MailAction::Ignored,
                kind: serde_json::from_value(report["kind"].clone()).unwrap_or(mail.kind),
                redemption_id: report["redemption_id"].as_i64(),
                duplicate: true,
                report,
            });
        };

        // The files the message carries are written while the transaction does
        // its reads (a fsync per file is a large part of an ingest); it commits
        // only once they are durable. Content-addressed: a file of a message
        // that turns out not to need it costs only disk, and is kept with the
        // raw message anyway.
        let keeping = futures::future::try_join_all(
            mail.accepted
                .iter()
                .flat_map(|f| {
                    [
                        Some((&f.data, &f.sha256)),
                        f.original.as_ref().map(|o| (&o.data, &o.sha256)),
                    ]
                })
                .flatten()
                .map(|(data, sha256)| self.blobs.put_hashed(data, sha256)),
        );
        let (kept, decided) = tokio::join!(keeping, self.act(&mut tx, row, &mail, reads.as_ref(), now));
        kept?;
        let decided = decided?;
        let mut report = report(&mail, decided.kind, decided.matched.as_ref(), decided.action);
        if let (Some(assessment), Some(files)) = (&decided.assessment, report["accepted_attachments"].as_array_mut()) {
            for file in files {
                let found = file["sha256"].as_str().and_then(|sha| assessment.findings_for(sha));
                if let Some(findings) = found {
                    file["findings"] = findings.contract_json();
                }
            }
        }
        tx.finish_inbound_mail(
            row,
            kind_str(decided.kind),
            decided.matched.as_ref().map(|m| matched_str(m.matched_by)),
            decided.matched.as_ref().map(|m| m.redemption_id),
            decided.matched.as_ref().is_some_and(|m| m.sender_mismatch),
            decided.action.as_str(),
            &report,
        )
        .await?;
        tx.commit().await?;
        if decided.action == MailAction::Quarantined {
            tracing::error!(
                target: "staff_alert",
                key = %crate::redact::addresses(&dedup_key),
                blob = %raw_blob.key,
                "an inbound email could not be read and was quarantined"
            );
        }
        Ok(Ingested {
            action: decided.action,
            kind: decided.kind,
            redemption_id: decided.matched.as_ref().map(|m| m.redemption_id),
            duplicate: false,
            report,
        })
    }

    /// The pre-check's reading of each file (blocking work, off the async
    /// threads); `None` when the pre-check is off.
    async fn read_files(&self, mail: std::sync::Arc<InboundMail>) -> Result<Option<Reads>, IngestError> {
        let precheck = self.precheck.clone();
        tokio::task::spawn_blocking(move || {
            mail.accepted
                .iter()
                .map(|f| Some((f.sha256.clone(), precheck.read(f.content_type, &f.data)?)))
                .collect()
        })
        .await
        .map_err(|e| IngestError::Parser(e.to_string()))
    }

    async fn act(
        &self,
        tx: &mut Tx,
        row: i64,
        mail: &InboundMail,
        reads: Option<&Reads>,
        now: Timestamp,
    ) -> Result<Decided, IngestError> {
        let plain = |kind, action| Decided {
            kind,
            matched: None,
            action,
            assessment: None,
        };
        match mail.kind {
            MailKind::Malformed | MailKind::Unmatched => return Ok(plain(mail.kind, MailAction::Quarantined)),
            MailKind::AutoReply | MailKind::List => return Ok(plain(mail.kind, MailAction::Ignored)),
            MailKind::Bounce => {
                if let Some(b) = &mail.bounce
                    && b.hard
                    && let Some(recipient) = &b.recipient
                {
                    // Anyone can write a DSN: it stops our mail to an address
                    // only when it returns an email we sent to that address.
                    let recipient = recipient.trim().to_lowercase();
                    let ours = match &b.original_message_id {
                        Some(id) => tx.email_sent(id, &recipient).await?,
                        None => false,
                    };
                    if !ours {
                        tracing::warn!("a bounce that returns no email we sent; not acted on");
                        return Ok(plain(MailKind::Bounce, MailAction::Ignored));
                    }
                    let detail = b.status.clone().unwrap_or_default();
                    tx.suppress_email(&recipient, &detail, now).await?;
                }
                return Ok(plain(MailKind::Bounce, MailAction::BounceRecorded));
            }
            MailKind::Reply => {}
        }
        if mail.from.as_deref().is_some_and(|f| self.is_ours(f)) {
            // Our own email came back to us (a forwarding loop): never answer it.
            return Ok(plain(MailKind::Reply, MailAction::Ignored));
        }
        let Some(found) = matching::find(tx, mail, now).await? else {
            if !may_escalate(tx, mail, now).await? {
                return Ok(plain(MailKind::Unmatched, MailAction::Quarantined));
            }
            let member = match &mail.from {
                Some(from) => tx.member_by_email(from).await?,
                None => None,
            };
            let why = format!(
                "email from {} that matches no claim: {}",
                mail.from.as_deref().unwrap_or("an unknown sender"),
                mail.subject
            );
            let locale = member.as_ref().map_or(Locale::Id, |m| m.locale);
            let escalation = tx
                .insert_mail_escalation(row, member.map(|m| m.id), None, &why, locale, now)
                .await?;
            crate::staff::escalation::announce(tx, escalation, now).await?;
            return Ok(plain(MailKind::Unmatched, MailAction::Escalated));
        };
        let rec = tx
            .redemption(found.redemption_id)
            .await?
            .ok_or_else(|| StoreError::Conflict(format!("redemption {} vanished", found.redemption_id)))?;
        let facts = ClaimFacts::load(tx, &rec).await?;
        if found.sender_mismatch && found.matched_by != MatchedBy::Token {
            // Anybody who saw one of our emails can quote its Message-ID: from
            // another address, that is not enough to change a claim.
            if !may_escalate(tx, mail, now).await? {
                return Ok(Decided::matched(found, MailAction::Quarantined));
            }
            let why = format!(
                "reply about RDM-{} from {}, not the member's address",
                rec.redemption.id,
                mail.from.as_deref().unwrap_or("an unknown sender")
            );
            let escalation = tx
                .insert_mail_escalation(
                    row,
                    Some(rec.member_id),
                    Some(rec.redemption.id),
                    &why,
                    facts.member.locale,
                    now,
                )
                .await?;
            crate::staff::escalation::announce(tx, escalation, now).await?;
            return Ok(Decided::matched(found, MailAction::Escalated));
        }
        if found.sender_mismatch {
            tracing::warn!(
                redemption = rec.redemption.id,
                "a reply token was used from another address; accepted and recorded"
            );
        }
        let expected = facts.expected_invoice();
        let assessment =
            reads.map(|reads| crate::precheck::assess(reads.iter().map(|(sha, r)| (sha.as_str(), r)), &expected));
        let action = match rec.redemption.status() {
            Status::Rejected if !mail.accepted.is_empty() => {
                let problems = assessment.as_ref().map(|a| a.problems()).unwrap_or_default();
                // Held files are confirmed with KIRIM; a new file with it is sent as it is too.
                let confirmed = crate::precheck::affirmative(&mail.note)
                    && tx.open_precheck_hold(rec.redemption.id).await?.is_some();
                if let Some(assessment) = assessment.as_ref().filter(|_| !problems.is_empty() && !confirmed) {
                    self.hold(tx, row, &rec, &facts, mail, assessment, now).await?;
                    let mut decided = Decided::matched(found, MailAction::AskedForAttachment);
                    decided.assessment = Some(assessment.clone());
                    return Ok(decided);
                }
                let source = Resubmission {
                    files: &mail.accepted,
                    source: AttachmentSource::Email,
                    in_reply_to: mail.message_id.as_deref(),
                    tell_linked_chats: true,
                    already_stored: true,
                    findings: assessment.as_ref(),
                };
                resubmit(tx, &self.blobs, &self.settings, rec, &facts, source, now).await?;
                MailAction::Resubmitted
            }
            Status::Rejected => {
                if crate::precheck::affirmative(&mail.note)
                    && let Some(hold) = tx.open_precheck_hold(rec.redemption.id).await?
                    && self.confirm_hold(tx, &hold, rec.clone(), &facts, mail, now).await?
                {
                    MailAction::Resubmitted
                } else {
                    self.ask_for_attachment(tx, &rec, &facts, mail, now).await?;
                    MailAction::AskedForAttachment
                }
            }
            _ => {
                self.answer_status(tx, &rec, &facts, mail, now).await?;
                MailAction::AnsweredStatus
            }
        };
        let mut decided = Decided::matched(found, action);
        decided.assessment = assessment;
        Ok(decided)
    }

    /// The pre-check found a clear miss: the files wait (in the raw message,
    /// already stored) and the customer is asked to send another file or to
    /// confirm these with KIRIM, on a fresh reply handle.
    #[allow(clippy::too_many_arguments)]
    async fn hold(
        &self,
        tx: &mut Tx,
        row: i64,
        rec: &RedemptionRecord,
        facts: &ClaimFacts,
        mail: &InboundMail,
        assessment: &crate::precheck::Assessment,
        now: Timestamp,
    ) -> Result<(), IngestError> {
        let id = rec.redemption.id;
        let problems = assessment.problems();
        tx.close_precheck_holds(id, now).await?;
        let json = serde_json::to_string(assessment).expect("an assessment serialises");
        tx.insert_precheck_hold(id, row, &json, now).await?;
        let message_id = outbox::new_message_id(&self.settings, &format!("RDM-{id}"));
        let token = outbox::issue_reply_handle(tx, id, rec.member_id, &message_id, &self.settings, now).await?;
        let claim = facts.claim(&rec.redemption);
        let email = compose::precheck_findings(
            &claim,
            &problems,
            &facts.expected_invoice(),
            &message_id,
            mail.message_id.as_deref(),
            Some(&self.settings.reply_address(&token)),
        );
        // One answer per file set: the same files sent again within the hour are not answered twice.
        let first = mail.accepted.first().map_or("", |f| f.sha256.as_str());
        outbox::enqueue(tx, &email, &format!("{id}/precheck/{first}"), Some(id), now).await?;
        tracing::info!(
            redemption = id,
            problems = problems.len(),
            "pre-check held a resubmission"
        );
        Ok(())
    }

    /// KIRIM to a held resubmission: its email is read again from the raw
    /// message (its files were stored when it came) and resubmitted with the
    /// findings it was held with. False when the held email no longer gives
    /// usable files (then the customer is asked for them).
    async fn confirm_hold(
        &self,
        tx: &mut Tx,
        hold: &crate::store::PrecheckHold,
        rec: RedemptionRecord,
        facts: &ClaimFacts,
        mail: &InboundMail,
        now: Timestamp,
    ) -> Result<bool, IngestError> {
        let Some(key) = &hold.raw_blob_key else {
            return Ok(false);
        };
        let raw = self.blobs.get(key).await?;
        let (settings, limits) = (self.settings.clone(), self.limits.clone());
        let held = tokio::task::spawn_blocking(move || parse(&raw, &settings, &limits))
            .await
            .map_err(|e| IngestError::Parser(e.to_string()))?;
        if held.accepted.is_empty() {
            return Ok(false);
        }
        let assessment: Option<crate::precheck::Assessment> = serde_json::from_str(&hold.assessment).ok();
        let source = Resubmission {
            files: &held.accepted,
            source: AttachmentSource::Email,
            in_reply_to: mail.message_id.as_deref(),
            tell_linked_chats: true,
            already_stored: true,
            findings: assessment.as_ref(),
        };
        let id = rec.redemption.id;
        resubmit(tx, &self.blobs, &self.settings, rec, facts, source, now).await?;
        tracing::info!(
            redemption = id,
            hold = hold.id,
            "held resubmission confirmed by the customer"
        );
        Ok(true)
    }

    fn is_ours(&self, address: &str) -> bool {
        let Some((local, domain)) = address.rsplit_once('@') else {
            return false;
        };
        let base = local.split('+').next().unwrap_or_default();
        domain.eq_ignore_ascii_case(&self.settings.reply_domain)
            && base.eq_ignore_ascii_case(&self.settings.reply_local)
    }

    async fn ask_for_attachment(
        &self,
        tx: &mut Tx,
        rec: &RedemptionRecord,
        facts: &ClaimFacts,
        mail: &InboundMail,
        now: Timestamp,
    ) -> Result<(), IngestError> {
        let id = rec.redemption.id;
        let message_id = outbox::new_message_id(&self.settings, &format!("RDM-{id}"));
        // A fresh handle, so answering this email reaches the claim again.
        let token = outbox::issue_reply_handle(tx, id, rec.member_id, &message_id, &self.settings, now).await?;
        let claim = facts.claim(&rec.redemption);
        let email = compose::reply_unusable(
            &claim,
            &mail.rejected,
            &message_id,
            mail.message_id.as_deref(),
            Some(&self.settings.reply_address(&token)),
        );
        outbox::enqueue(tx, &email, &id.to_string(), Some(id), now).await?;
        Ok(())
    }

    async fn answer_status(
        &self,
        tx: &mut Tx,
        rec: &RedemptionRecord,
        facts: &ClaimFacts,
        mail: &InboundMail,
        now: Timestamp,
    ) -> Result<(), IngestError> {
        let id = rec.redemption.id;
        let product = tx
            .products_of_member(rec.member_id)
            .await?
            .into_iter()
            .find(|p| p.id == rec.product_id)
            .ok_or_else(|| StoreError::Conflict(format!("redemption {id}: its product is missing")))?;
        let status = words::redemption_status(rec, Some(&facts.promotion), &product, facts.member.locale);
        let message_id = outbox::new_message_id(&self.settings, &format!("RDM-{id}"));
        let claim = facts.claim(&rec.redemption);
        let email = compose::status_answer(&claim, status, &message_id, mail.message_id.as_deref());
        outbox::enqueue(tx, &email, &id.to_string(), Some(id), now).await?;
        Ok(())
    }
}

/// Where a resubmission's files came from, and who to tell.
pub struct Resubmission<'a> {
    pub files: &'a [AcceptedFile],
    pub source: AttachmentSource,
    /// The customer's message the acknowledgement email answers, if it came by email.
    pub in_reply_to: Option<&'a str>,
    /// Tell the member's linked chats (not when the files came from that chat).
    pub tell_linked_chats: bool,
    /// The caller already wrote the files (and originals) to the blob store and
    /// makes sure they are durable before the transaction commits.
    pub already_stored: bool,
    /// What the pre-check read from the files, stored beside each for reviewers.
    pub findings: Option<&'a crate::precheck::Assessment>,
}

/// Puts a rejected claim back in the review queue with new files, inside the
/// caller's transaction: the files are stored (a file already attached, by
/// SHA-256, is linked again rather than stored twice; an original we converted
/// or downscaled is kept beside it), the `resubmitted` event is written with the
/// attachment ids, and the "received" email (and chat notices) go in the outbox.
/// Email replies and chat re-uploads both come through here.
pub async fn resubmit(
    tx: &mut Tx,
    blobs: &BlobStore,
    settings: &MailSettings,
    mut rec: RedemptionRecord,
    facts: &ClaimFacts,
    what: Resubmission<'_>,
    now: Timestamp,
) -> Result<RedemptionRecord, IngestError> {
    let id = rec.redemption.id;
    let existing = tx.attachments(id).await?;
    let mut ids = Vec::new();
    for file in what.files {
        let findings = what.findings.and_then(|a| a.findings_for(&file.sha256));
        if let Some(same) = existing.iter().find(|a| a.attachment.sha256 == file.sha256) {
            if let Some(f) = findings {
                store_findings(tx, same.id, f, now).await?;
            }
            ids.push(same.id);
            continue;
        }
        let blob_key = if what.already_stored {
            BlobStore::key_for(&file.sha256)
        } else {
            blobs.put_hashed(&file.data, &file.sha256).await?.key
        };
        let attachment_id = tx
            .insert_attachment(
                &NewAttachment {
                    redemption_id: id,
                    filename: file.filename.clone(),
                    content_type: file.content_type.to_owned(),
                    bytes: file.bytes as i64,
                    sha256: file.sha256.clone(),
                    width: file.width.map(i64::from),
                    height: file.height.map(i64::from),
                    blob_key: Some(blob_key),
                    source: what.source,
                },
                now,
            )
            .await?;
        if let Some(f) = findings {
            store_findings(tx, attachment_id, f, now).await?;
        }
        if let Some(original) = &file.original {
            if !what.already_stored {
                blobs.put_hashed(&original.data, &original.sha256).await?;
            }
            let key = BlobStore::key_for(&original.sha256);
            tx.insert_attachment_original(
                attachment_id,
                original.content_type,
                original.data.len() as i64,
                &original.sha256,
                &key,
            )
            .await?;
        }
        ids.push(attachment_id);
    }
    let before = rec.redemption.status();
    let event = rec
        .redemption
        .resubmit(ids, Actor::Customer, now)
        .map_err(|e| StoreError::Conflict(format!("redemption {id}: {e}")))?;
    tx.record_transition(&rec.redemption, before, &event, now).await?;
    // The handle that brought this file (and every other of the claim) is
    // spent: a reply token attaches once, and a later rejection issues a new one.
    tx.spend_reply_handles(id, now).await?;
    // Whatever route the new files came by, a held email resubmission is settled.
    tx.close_precheck_holds(id, now).await?;

    let claim = facts.claim(&rec.redemption);
    let message_id = outbox::new_message_id(settings, &format!("RDM-{id}"));
    let email = compose::resubmission_received(&claim, &message_id, what.in_reply_to);
    outbox::enqueue(tx, &email, &id.to_string(), Some(id), now).await?;
    crate::staff::enqueue_post(tx, id, now).await?;

    if what.tell_linked_chats {
        let promotion = &facts.promotion.name;
        for chat in tx.linked_chats(rec.member_id).await? {
            let locale = chat.locale.or(chat.detected_locale).unwrap_or(facts.member.locale);
            let text = Localizer::builtin().render(
                locale,
                &Msg::new(m::CHAT_MAIL_RESUBMITTED)
                    .arg("id", id)
                    .arg("promotion", promotion.get(locale).to_owned()),
            );
            let message = ChatMessage {
                channel: chat.channel,
                chat_id: chat.external_id.clone(),
                text,
            };
            let payload = serde_json::to_value(&message).expect("a chat message serialises");
            tx.enqueue_job(&NewJob::new(JobKind::ChatMessage, payload, now), now)
                .await?;
        }
    }
    tracing::info!(
        redemption = id,
        files = what.files.len(),
        source = what.source.as_str(),
        "claim resubmitted"
    );
    Ok(rec)
}

async fn store_findings(
    tx: &mut Tx,
    attachment_id: i64,
    findings: &crate::precheck::InvoiceFindings,
    now: Timestamp,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(findings).expect("findings serialise");
    tx.insert_invoice_findings(attachment_id, &json, findings.invoice_number_key().as_deref(), now)
        .await
}

/// Whether one more email may go to the staff channels this hour (the
/// per-sender and overall limits, read in one statement).
async fn may_escalate(tx: &mut Tx, mail: &InboundMail, now: Timestamp) -> Result<bool, StoreError> {
    let from = mail.from.as_deref().unwrap_or_default();
    let (mine, everyone) = tx
        .mail_escalations_since(from, now - chrono::Duration::hours(1))
        .await?;
    if mine >= MAX_MAIL_ESCALATIONS_PER_SENDER || everyone >= MAX_MAIL_ESCALATIONS {
        tracing::warn!(
            target: "staff_alert",
            from_sender = mine,
            from_everyone = everyone,
            "too many emails for staff this hour; this one was quarantined instead"
        );
        return Ok(false);
    }
    Ok(true)
}

struct Decided {
    kind: MailKind,
    matched: Option<Match>,
    action: MailAction,
    /// What the pre-check read from the files (for the report).
    assessment: Option<crate::precheck::Assessment>,
}

impl Decided {
    fn matched(found: Match, action: MailAction) -> Self {
        Self {
            kind: MailKind::Reply,
            matched: Some(found),
            action,
            assessment: None,
        }
    }
}

fn kind_str(kind: MailKind) -> &'static str {
    match kind {
        MailKind::Reply => "reply",
        MailKind::AutoReply => "auto_reply",
        MailKind::Bounce => "bounce",
        MailKind::List => "list",
        MailKind::Unmatched => "unmatched",
        MailKind::Malformed => "malformed",
    }
}

fn matched_str(m: MatchedBy) -> &'static str {
    match m {
        MatchedBy::Token => "token",
        MatchedBy::InReplyTo => "in_reply_to",
        MatchedBy::SubjectTag => "subject_tag",
        MatchedBy::Sender => "sender",
    }
}

/// The contract's JSON line for a message (without `file`).
fn report(mail: &InboundMail, kind: MailKind, matched: Option<&Match>, action: MailAction) -> serde_json::Value {
    serde_json::json!({
        "message_id": mail.message_id,
        "kind": kind,
        "matched_by": matched.map(|m| m.matched_by),
        "redemption_id": matched.map(|m| m.redemption_id),
        "action": action,
        "accepted_attachments": mail.accepted,
        "rejected_attachments": mail.rejected,
        "note": mail.note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_schema() {
        assert_eq!(kind_str(MailKind::AutoReply), "auto_reply");
        assert_eq!(matched_str(MatchedBy::InReplyTo), "in_reply_to");
        assert_eq!(
            serde_json::to_value(MailAction::AskedForAttachment).unwrap(),
            serde_json::json!(MailAction::AskedForAttachment.as_str())
        );
    }
}
