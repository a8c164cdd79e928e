//! The conversation engine every channel shares. A channel turns a platform
//! event into an [`Inbound`], calls [`Assistant::handle`], and renders the
//! [`Outcome`]: messages as Fluent ids with arguments, and buttons. Nothing here
//! knows Telegram, Discord or the terminal.
//!
//! Each event is handled in one database transaction: the user's dialogue
//! state, language, consent, proven products and rate-limit counters live in the
//! database, so a restart (or another replica) continues where we left off.

mod input;
mod output;
pub mod serial;
mod state;
mod transcript;
pub(crate) mod words;

pub use input::{Action, Content, Inbound, MAX_TEXT_CHARS, is_button_data, kept_char, parse_button};
pub use output::{Button, Line, Outcome, Rendered, RenderedButton, Reply};
pub use state::Dialogue;

use chrono::Duration;

use crate::domain::time::jakarta_date;
use crate::domain::{ChkCode, Locale, Promotion, SerialNumber, Timestamp};
use crate::faq::{Classifier, Intent};
use crate::i18n::messages as m;
use crate::mail::outbox::MailSettings;
use crate::staff::EscalationSettings;
use crate::store::{
    ChatUserRecord, Db, EscalationCause, ProductRecord, RedemptionRecord, StoreError, TranscriptRole, Tx,
};

mod link;

/// Failed ownership checks (serial + CHK) allowed per user per window.
pub const MAX_FAILED_CHECKS: i64 = 5;
pub const FAILED_CHECK_WINDOW_MINUTES: i64 = 60;
/// Failed ownership checks allowed across all users per window: per-user
/// limits alone let someone with many chat accounts probe CHK codes (1,000 of
/// them per serial). Well above honest typos at the program's volume; while it
/// holds, owners still see the products they proved before.
pub const MAX_FAILED_CHECKS_ALL_USERS: i64 = 300;
/// Messages one chat user may send per minute; past it the assistant says so
/// once and reads nothing more until the minute is over. A person typing, or
/// sending a few photos, stays far below it; a script does not.
pub const MAX_MESSAGES_PER_MINUTE: i32 = 30;
/// Largest file a customer can send in chat (Telegram bots can download up to 20 MB).
pub const MAX_CHAT_UPLOAD_BYTES: u64 = 20 * 1024 * 1024;
/// "Did not understand" answers in a row that open an escalation.
pub const FALLBACKS_TO_ESCALATE: i32 = 2;
/// How long after an escalation was opened the customer's messages still go
/// to the agent rather than the assistant (one an agent forgot to close must
/// not swallow the chat for ever).
pub const FORWARD_DAYS: i64 = 7;

#[derive(Debug, thiserror::Error)]
pub enum AssistantError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blob(#[from] crate::blobs::BlobError),
    #[error("checking a file failed: {0}")]
    FileCheck(String),
}

impl From<crate::mail::inbound::ingest::IngestError> for AssistantError {
    fn from(e: crate::mail::inbound::ingest::IngestError) -> Self {
        use crate::mail::inbound::ingest::IngestError;
        match e {
            IngestError::Store(e) => AssistantError::Store(e),
            IngestError::Blob(e) => AssistantError::Blob(e),
            IngestError::Parser(e) => AssistantError::FileCheck(e),
        }
    }
}

/// What the checks made of a file sent in chat.
type Checked = Result<crate::mail::inbound::AcceptedFile, crate::mail::inbound::FileProblem>;

/// A file sent in chat, checked, and read by the pre-check when it is on.
struct Upload {
    checked: Checked,
    read: Option<Result<crate::precheck::InvoiceText, crate::precheck::ReadError>>,
}

pub struct Assistant {
    db: Db,
    mail: MailSettings,
    /// Where chat uploads are kept; without it, files cannot be re-uploaded to a claim.
    blobs: Option<crate::blobs::BlobStore>,
    escalation: EscalationSettings,
    precheck: crate::precheck::PreCheck,
}

/// Everything one event's handling needs, inside its transaction.
struct Turn<'a> {
    channel: crate::domain::Channel,
    mail: &'a MailSettings,
    tx: Tx,
    user: ChatUserRecord,
    locale: Locale,
    dialogue: Dialogue,
    now: Timestamp,
    classifier: &'a Classifier,
    blobs: Option<&'a crate::blobs::BlobStore>,
    /// Others read along: claims are not looked up here.
    public: bool,
    escalation: &'a EscalationSettings,
    /// The user's "did not understand" answers in a row before this turn.
    fallbacks_before: i32,
    /// What this turn was about, for the metrics (an intent id or a command).
    handled_as: String,
}

impl Assistant {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            mail: MailSettings::default(),
            blobs: None,
            escalation: EscalationSettings::default(),
            precheck: crate::precheck::PreCheck::off(),
        }
    }

    /// Reads re-uploaded invoices before they go to review (off unless set).
    pub fn with_precheck(mut self, precheck: crate::precheck::PreCheck) -> Self {
        self.precheck = precheck;
        self
    }

    /// Working hours and the wait customers are promised when they ask for a person.
    pub fn with_escalations(mut self, settings: EscalationSettings) -> Self {
        self.escalation = settings;
        self
    }

    /// The blob store the channel keeps uploads in: files sent during the
    /// status flow of a rejected claim are then checked and resubmitted.
    pub fn with_blobs(mut self, blobs: crate::blobs::BlobStore) -> Self {
        self.blobs = Some(blobs);
        self
    }

    /// A chat upload through the same checks as an email attachment, then the
    /// pre-check's reading, off the async threads and before the transaction
    /// (decoding and OCR take a while).
    async fn check_upload(&self, inbound: &Inbound) -> Result<Option<Upload>, AssistantError> {
        let (
            Content::Attachment {
                filename,
                stored: Some(blob),
                ..
            },
            Some(blobs),
        ) = (&inbound.content, &self.blobs)
        else {
            return Ok(None);
        };
        let data = blobs.get(&blob.key).await?;
        let name = filename.clone();
        let limits = crate::mail::inbound::FileLimits::default();
        // OCR (about 0.4 s of a core) only for a file that is for a rejected claim.
        let precheck = if self.precheck.settings().enabled && self.awaits_reupload(inbound).await? {
            self.precheck.clone()
        } else {
            crate::precheck::PreCheck::off()
        };
        let upload = tokio::task::spawn_blocking(move || {
            let checked = crate::mail::inbound::judge(&name, &data, &limits);
            let read = match &checked {
                Ok(file) => precheck.read(file.content_type, &file.data),
                Err(_) => None,
            };
            Upload { checked, read }
        })
        .await
        .map_err(|e| AssistantError::FileCheck(e.to_string()))?;
        Ok(Some(upload))
    }

    /// Whether this chat user was asked for a claim's corrected file (read
    /// outside the handling transaction; the turn decides again inside it).
    async fn awaits_reupload(&self, inbound: &Inbound) -> Result<bool, AssistantError> {
        let dialogue = self
            .db
            .begin()
            .await?
            .chat_dialogue(inbound.channel, &inbound.user)
            .await?;
        Ok(dialogue.map(|d| Dialogue::from_json(&d)).is_some_and(|d| {
            matches!(
                d,
                Dialogue::AwaitingReupload { .. } | Dialogue::ConfirmingReupload { .. }
            )
        }))
    }

    /// The settings for emails the assistant sends (account-link codes).
    pub fn with_mail(mut self, mail: MailSettings) -> Self {
        self.mail = mail;
        self
    }

    /// Handles one event at time `now`.
    pub async fn handle(&self, inbound: &Inbound, now: Timestamp) -> Result<Outcome, AssistantError> {
        let upload = self.check_upload(inbound).await?;
        // Before the transaction: right after start-up the classifier may
        // still be training (`Classifier::train_in_background`).
        let classifier = Classifier::shared_async().await;
        let mut tx = self.db.begin_write().await?;
        if let Some(event_id) = &inbound.event_id {
            if !tx.claim_inbound_event(inbound.channel, event_id, now).await? {
                tracing::info!(channel = %inbound.channel, event_id, "event redelivered; already handled");
                tx.commit().await?;
                return Ok(Outcome {
                    locale: Locale::default(),
                    replies: Vec::new(),
                    settles_prompt: false,
                });
            }
            // Now and then, forget events old enough never to come back.
            if rand::random::<u16>().is_multiple_of(1000) {
                tx.prune_inbound_events(now - Duration::days(3)).await?;
            }
        }
        let user = tx.chat_user(inbound.channel, &inbound.user, now).await?;
        let dialogue = Dialogue::from_json(&user.dialogue);
        let action = inbound.content.action();
        let settles_prompt = matches!(inbound.content, Content::Button(_))
            && matches!(
                action,
                Action::Language(Some(_)) | Action::Subscribe | Action::Unsubscribe
            );
        let locale = choose_locale(&user, inbound.lang_hint.as_deref(), &action);
        let mut user = user;
        // The flood limit, counted on the chat user's row (read and saved anyway).
        match user.burst_start {
            Some(start) if start <= now && now - start < Duration::minutes(1) => user.burst_count += 1,
            _ => {
                user.burst_start = Some(now);
                user.burst_count = 1;
            }
        }
        if user.burst_count > MAX_MESSAGES_PER_MINUTE {
            let first = user.burst_count == MAX_MESSAGES_PER_MINUTE + 1;
            if first {
                tracing::warn!(channel = %inbound.channel, user = user.id, "chat user over {MAX_MESSAGES_PER_MINUTE} messages a minute; not read until the minute is over");
            }
            tx.save_chat_user(&user, now).await?;
            tx.commit().await?;
            return Ok(Outcome {
                locale,
                replies: if first {
                    vec![Reply::text(m::CHAT_SLOW_DOWN)]
                } else {
                    Vec::new()
                },
                settles_prompt: false,
            });
        }
        let fallbacks_before = user.fallbacks;
        user.fallbacks = 0;
        let customer_line = transcript::customer_line(&inbound.content, &action, &dialogue);
        if let Action::Text(text) = &action
            && let Some(detected) = crate::faq::lang::detect(text)
        {
            user.detected_locale = Some(detected);
        }
        let mut turn = Turn {
            channel: inbound.channel,
            mail: &self.mail,
            tx,
            user,
            locale,
            dialogue,
            now,
            classifier,
            blobs: self.blobs.as_ref(),
            public: inbound.public,
            escalation: &self.escalation,
            fallbacks_before,
            handled_as: action_label(&action),
        };
        let replies = match &inbound.content {
            Content::Attachment {
                filename,
                content_type,
                bytes,
                stored,
            } => {
                turn.attachment(filename, content_type, *bytes, stored.as_ref(), upload)
                    .await?
            }
            _ => turn.act(action).await?,
        };
        turn.user.dialogue = turn.dialogue.to_json();
        turn.tx.save_chat_user(&turn.user, now).await?;
        let locale = turn.locale;
        turn.record(&customer_line, &replies).await?;
        turn.tx.commit().await?;
        Ok(Outcome {
            locale,
            replies,
            settles_prompt,
        })
    }
}

/// The user's stored choice, else the platform's hint, else the language of the
/// message, else the language of their earlier messages, else Indonesian.
fn choose_locale(user: &ChatUserRecord, hint: Option<&str>, action: &Action) -> Locale {
    if let Some(l) = user.locale {
        return l;
    }
    if let Some(l) = hint.and_then(|h| Locale::parse(h).ok()) {
        return l;
    }
    if let Action::Text(text) | Action::Agent { message: text } = action
        && let Some(l) = crate::faq::lang::detect(text)
    {
        return l;
    }
    user.detected_locale.unwrap_or_default()
}

/// What an action is, for the metrics: text is labelled by its intent later.
fn action_label(action: &Action) -> String {
    match action {
        Action::Menu => "command:menu",
        Action::Help => "command:help",
        Action::FaqMenu => "command:faq",
        Action::Faq(_) => "command:faq_topic",
        Action::Status { .. } => "command:status",
        Action::Language(_) => "command:lang",
        Action::Promos => "command:promos",
        Action::Subscribe => "command:subscribe",
        Action::Unsubscribe => "command:unsubscribe",
        Action::Agent { .. } => "command:agent",
        Action::Link { .. } => "command:link",
        Action::Verify { .. } => "command:verify",
        Action::UnknownCommand(_) => "command:unknown",
        Action::Text(_) => "text",
        Action::Attachment => "attachment",
        Action::Reupload { .. } => "button:reupload",
    }
    .to_owned()
}

fn menu() -> Reply {
    Reply::text(m::MENU_PROMPT)
        .button(m::BTN_FAQ, "faq")
        .button(m::BTN_STATUS, "status")
        .button(m::BTN_PROMOS, "promos")
        .button(m::BTN_AGENT, "agent")
        .button(m::BTN_LANG, "lang")
}

fn faq_menu() -> Reply {
    let mut reply = Reply::text(m::FAQ_MENU);
    for intent in Intent::ALL {
        if let Some((_, label)) = words::faq(intent) {
            reply = reply.button(label, format!("faq:{}", intent.id()));
        }
    }
    reply.button(m::BTN_MENU, "menu")
}

fn fallback() -> Reply {
    Reply::text(m::FALLBACK)
        .button(m::BTN_FAQ, "faq")
        .button(m::BTN_AGENT, "agent")
}

impl Turn<'_> {
    /// A file sent in chat: kept (when the channel could store it) for the
    /// re-upload flow, and the customer told where a claim's documents go.
    async fn attachment(
        &mut self,
        filename: &str,
        content_type: &str,
        bytes: u64,
        stored: Option<&crate::blobs::StoredBlob>,
        upload: Option<Upload>,
    ) -> Result<Vec<Reply>, AssistantError> {
        match stored {
            Some(blob) => {
                let upload = crate::store::ChatUpload {
                    filename: filename.to_owned(),
                    content_type: content_type.to_owned(),
                    bytes: blob.bytes,
                    sha256: blob.sha256.clone(),
                    blob_key: blob.key.clone(),
                };
                self.tx.insert_chat_upload(self.user.id, &upload, self.now).await?;
            }
            None if bytes > MAX_CHAT_UPLOAD_BYTES => {
                return Ok(vec![Reply::text(
                    crate::i18n::Msg::new(m::ATTACHMENT_TOO_LARGE)
                        .arg("mb", (MAX_CHAT_UPLOAD_BYTES / (1024 * 1024)) as i64),
                )]);
            }
            None => {}
        }
        let waiting = match &self.dialogue {
            Dialogue::AwaitingReupload { redemption } | Dialogue::ConfirmingReupload { redemption, .. } => {
                Some(*redemption)
            }
            _ => None,
        };
        if let (Some(redemption), Some(upload), Some(blob)) = (waiting, upload, stored) {
            return self.reupload(redemption, upload, blob, filename).await;
        }
        Ok(vec![Reply::text(m::ATTACHMENT_RECEIVED)])
    }

    /// A file sent for a rejected claim shown in this chat: if the user still
    /// owns it and it is still rejected, the file goes to the claim and the claim
    /// back to review (the same code as an emailed invoice).
    async fn reupload(
        &mut self,
        redemption: i64,
        upload: Upload,
        blob: &crate::blobs::StoredBlob,
        filename: &str,
    ) -> Result<Vec<Reply>, AssistantError> {
        use crate::i18n::Msg;
        let Some(rec) = self.rejected_claim_of_user(redemption).await? else {
            self.dialogue = Dialogue::Idle;
            return Ok(vec![Reply::text(m::ATTACHMENT_RECEIVED)]);
        };
        let file = match upload.checked {
            Ok(file) => file,
            Err(problem) => {
                // Still waiting for a usable file.
                self.dialogue = Dialogue::AwaitingReupload { redemption };
                return Ok(vec![Reply::text(
                    Msg::new(m::REUPLOAD_UNUSABLE)
                        .arg("id", redemption)
                        .arg("problem", Msg::new(crate::mail::compose::file_problem(problem))),
                )]);
            }
        };
        let facts = crate::mail::compose::ClaimFacts::load(&mut self.tx, &rec).await?;
        let expected = facts.expected_invoice();
        let assessment = upload
            .read
            .as_ref()
            .map(|read| crate::precheck::assess([(file.sha256.as_str(), read)], &expected));
        let problems = assessment.as_ref().map(|a| a.problems()).unwrap_or_default();
        if let Some(assessment) = assessment.as_ref().filter(|_| !problems.is_empty()) {
            self.dialogue = Dialogue::ConfirmingReupload {
                redemption,
                blob_key: blob.key.clone(),
                filename: filename.to_owned(),
                assessment: assessment.clone(),
            };
            let mut reply = Reply::text(Msg::new(m::REUPLOAD_PRECHECK).arg("id", redemption));
            for p in &problems {
                reply = reply.bullet(words::precheck_problem(p, &expected));
            }
            return Ok(vec![
                reply
                    .then(m::REUPLOAD_PRECHECK_CHOICE)
                    .button(m::BTN_SUBMIT_AS_IS, "reupload:submit")
                    .button(m::BTN_SEND_ANOTHER, "reupload:other"),
            ]);
        }
        self.submit_reupload(rec, &facts, file, assessment.as_ref()).await
    }

    /// The rejected claim `redemption`, if this chat user still owns its product.
    async fn rejected_claim_of_user(
        &mut self,
        redemption: i64,
    ) -> Result<Option<crate::store::RedemptionRecord>, AssistantError> {
        let rec = self.tx.redemption(redemption).await?;
        let owned = self.tx.owned_products(self.user.id).await?;
        Ok(rec.filter(|r| {
            r.redemption.status() == crate::domain::Status::Rejected && owned.iter().any(|p| p.id == r.product_id)
        }))
    }

    /// The answer to the pre-check's question: the held file goes to review
    /// as it is (checked again from the blob store), or we wait for another.
    async fn reupload_choice(&mut self, submit: bool) -> Result<Vec<Reply>, AssistantError> {
        use crate::i18n::Msg;
        let Dialogue::ConfirmingReupload {
            redemption,
            blob_key,
            filename,
            assessment,
        } = self.dialogue.clone()
        else {
            // A button from an earlier question: nothing is waiting.
            return Ok(vec![menu()]);
        };
        if !submit {
            self.dialogue = Dialogue::AwaitingReupload { redemption };
            return Ok(vec![Reply::text(
                Msg::new(m::REUPLOAD_SEND_ANOTHER).arg("id", redemption),
            )]);
        }
        let (Some(rec), Some(blobs)) = (self.rejected_claim_of_user(redemption).await?, self.blobs) else {
            self.dialogue = Dialogue::Idle;
            return Ok(vec![menu()]);
        };
        let data = blobs.get(&blob_key).await?;
        let limits = crate::mail::inbound::FileLimits::default();
        let checked = tokio::task::spawn_blocking(move || crate::mail::inbound::judge(&filename, &data, &limits))
            .await
            .map_err(|e| AssistantError::FileCheck(e.to_string()))?;
        let Ok(file) = checked else {
            self.dialogue = Dialogue::AwaitingReupload { redemption };
            return Ok(vec![Reply::text(
                Msg::new(m::REUPLOAD_SEND_ANOTHER).arg("id", redemption),
            )]);
        };
        let facts = crate::mail::compose::ClaimFacts::load(&mut self.tx, &rec).await?;
        self.submit_reupload(rec, &facts, file, Some(&assessment)).await
    }

    /// Attaches the file and puts the claim back in review (the same code as an emailed invoice).
    async fn submit_reupload(
        &mut self,
        rec: crate::store::RedemptionRecord,
        facts: &crate::mail::compose::ClaimFacts,
        file: crate::mail::inbound::AcceptedFile,
        findings: Option<&crate::precheck::Assessment>,
    ) -> Result<Vec<Reply>, AssistantError> {
        use crate::i18n::Msg;
        let redemption = rec.redemption.id;
        let Some(blobs) = self.blobs else {
            return Ok(vec![Reply::text(m::ATTACHMENT_RECEIVED)]);
        };
        let promotion = facts.promotion.name.get(self.locale).to_owned();
        let what = crate::mail::inbound::ingest::Resubmission {
            files: std::slice::from_ref(&file),
            source: crate::store::AttachmentSource::Chat,
            in_reply_to: None,
            tell_linked_chats: false,
            already_stored: false,
            findings,
        };
        crate::mail::inbound::ingest::resubmit(&mut self.tx, blobs, self.mail, rec, facts, what, self.now).await?;
        self.dialogue = Dialogue::Idle;
        Ok(vec![
            Reply::text(
                Msg::new(m::REUPLOAD_RECEIVED)
                    .arg("id", redemption)
                    .arg("promotion", promotion),
            )
            .button(m::BTN_MENU, "menu"),
        ])
    }

    /// Where to look up a claim instead of a group or server channel.
    fn private_only(&self) -> Reply {
        Reply::text(match self.channel {
            crate::domain::Channel::Discord => m::PRIVATE_ONLY_DISCORD,
            _ => m::PRIVATE_ONLY,
        })
    }

    async fn act(&mut self, action: Action) -> Result<Vec<Reply>, AssistantError> {
        if self.public
            && matches!(
                action,
                Action::Status { .. } | Action::Link { .. } | Action::Verify { .. }
            )
        {
            return Ok(vec![self.private_only()]);
        }
        Ok(match action {
            Action::Menu => {
                self.dialogue = Dialogue::Idle;
                vec![Reply::text(m::GREETING), menu()]
            }
            Action::Help => vec![Reply::text(m::HELP).button(m::BTN_MENU, "menu")],
            Action::FaqMenu => vec![faq_menu()],
            Action::Faq(intent) => vec![self.answer(intent).await?],
            Action::Status { serial, chk } => self.status_command(serial, chk).await?,
            Action::Language(choice) => vec![self.language(choice)],
            Action::Promos => vec![self.promos().await?],
            Action::Subscribe => vec![self.subscribe(true).await?],
            Action::Unsubscribe => vec![self.subscribe(false).await?],
            Action::Agent { message } => self.agent(&message, EscalationCause::Asked).await?,
            Action::Link { email } => vec![self.link(email.as_deref()).await?],
            Action::Verify { code } => vec![self.verify_link(code.as_deref()).await?],
            Action::UnknownCommand(command) => {
                vec![Reply::text(
                    crate::i18n::Msg::new(m::UNKNOWN_COMMAND).arg("command", command),
                )]
            }
            Action::Attachment => vec![Reply::text(m::ATTACHMENT_RECEIVED)],
            Action::Reupload { submit } => self.reupload_choice(submit).await?,
            Action::Text(text) => self.text(&text).await?,
        })
    }

    /// Free text: continue the flow we are in, else a serial anywhere starts the
    /// status look-up, else the FAQ classifier decides.
    async fn text(&mut self, text: &str) -> Result<Vec<Reply>, AssistantError> {
        let (found_serial, found_chk) = serial::find(text);
        // A serial, a CHK, an email or a code said in public goes no further.
        let awaiting_secret = matches!(
            self.dialogue,
            Dialogue::AwaitingSerial
                | Dialogue::AwaitingChk { .. }
                | Dialogue::AwaitingEmail
                | Dialogue::AwaitingLinkCode
        );
        if self.public && (found_serial.is_some() || awaiting_secret) {
            return Ok(vec![self.private_only()]);
        }
        if self.dialogue == Dialogue::Idle
            && let Some(replies) = self.forward_to_agent(text).await?
        {
            return Ok(replies);
        }
        match self.dialogue.clone() {
            // "Kirim" / "yes" typed instead of pressing the button.
            Dialogue::ConfirmingReupload { .. } if crate::precheck::affirmative(text) => {
                return self.reupload_choice(true).await;
            }
            Dialogue::AwaitingChk { serial } if found_serial.is_none() => {
                if let Some(chk) = serial::chk(text) {
                    return match SerialNumber::parse(&serial) {
                        Ok(serial) => self.verify(serial, chk).await,
                        // A state written by an older version: start the look-up over.
                        Err(_) => self.status_command(None, None).await,
                    };
                }
                let c = self.classifier.classify(text);
                if c.intent == Intent::OutOfScope || text.chars().count() <= 8 {
                    return Ok(vec![Reply::text(m::STATUS_BAD_CHK)]);
                }
                // A question in the middle of the flow: answer it, keep waiting for the CHK.
                return self.intent(c.intent, text).await;
            }
            Dialogue::AwaitingEmail if text.contains('@') && !text.trim().contains(' ') => {
                return Ok(vec![self.link(Some(text.trim())).await?]);
            }
            Dialogue::AwaitingLinkCode if link::looks_like_code(text) => {
                return Ok(vec![self.verify_link(Some(text.trim())).await?]);
            }
            Dialogue::AwaitingSerial if found_serial.is_none() => {
                if let Some(s) = serial::whole(text) {
                    return self.lookup(s, found_chk).await;
                }
                let c = self.classifier.classify(text);
                if c.intent == Intent::OutOfScope || c.intent == Intent::StatusLookup {
                    return Ok(vec![Reply::text(m::STATUS_BAD_SERIAL)]);
                }
                self.dialogue = Dialogue::Idle;
                return self.intent(c.intent, text).await;
            }
            _ => {}
        }
        if let Some(s) = found_serial {
            return self.lookup(s, found_chk).await;
        }
        let c = self.classifier.classify(text);
        self.intent(c.intent, text).await
    }

    async fn intent(&mut self, intent: Intent, text: &str) -> Result<Vec<Reply>, AssistantError> {
        if self.handled_as == "text" {
            self.handled_as = intent.id().to_owned();
        }
        Ok(match intent {
            Intent::Greeting => vec![Reply::text(m::GREETING), menu()],
            Intent::Thanks => vec![Reply::text(m::THANKS_REPLY)],
            Intent::StatusLookup if self.public => vec![self.private_only()],
            Intent::StatusLookup => self.status_command(None, None).await?,
            Intent::PromoList => vec![self.promos().await?],
            Intent::HumanAgent => self.agent(text, EscalationCause::Asked).await?,
            Intent::Subscribe => vec![self.subscribe(true).await?],
            Intent::Unsubscribe => vec![self.subscribe(false).await?],
            Intent::Language => vec![self.language(language_named_in(text))],
            Intent::OutOfScope => self.fallback(text).await?,
            topic => vec![self.answer(topic).await?],
        })
    }

    /// "Did not understand": the second time in a row (in a private chat),
    /// a person is asked to help.
    async fn fallback(&mut self, text: &str) -> Result<Vec<Reply>, AssistantError> {
        self.user.fallbacks = self.fallbacks_before + 1;
        if self.user.fallbacks < FALLBACKS_TO_ESCALATE || self.public {
            return Ok(vec![fallback()]);
        }
        self.user.fallbacks = 0;
        self.agent(text, EscalationCause::Fallbacks).await
    }

    /// A FAQ answer. "Why is no promotion listed?" also gets the concrete reasons
    /// for each product this user proved they own.
    async fn answer(&mut self, intent: Intent) -> Result<Reply, AssistantError> {
        let Some((answer, _)) = words::faq(intent) else {
            return Ok(fallback());
        };
        let mut reply = Reply::text(answer);
        if intent == Intent::PromoNotListed {
            let promotions = self.claimable_promotions().await?;
            let owned = if promotions.is_empty() {
                Vec::new()
            } else {
                self.tx.owned_products(self.user.id).await?
            };
            for product in owned {
                reply = words::eligibility(reply, &product, &promotions, self.today(), self.locale);
            }
        }
        Ok(reply.button(m::BTN_FAQ, "faq").button(m::BTN_AGENT, "agent"))
    }

    fn today(&self) -> chrono::NaiveDate {
        jakarta_date(self.now)
    }

    fn language(&mut self, choice: Option<Locale>) -> Reply {
        match choice {
            Some(locale) => {
                self.user.locale = Some(locale);
                self.locale = locale;
                Reply::text(m::LANG_SWITCHED).button(m::BTN_MENU, "menu")
            }
            None => Reply::text(m::LANG_ASK)
                .button(m::BTN_LANG_ID, "lang:id")
                .button(m::BTN_LANG_EN, "lang:en"),
        }
    }

    async fn promos(&mut self) -> Result<Reply, AssistantError> {
        let today = self.today();
        let running: Vec<Promotion> = self
            .tx
            .promotions()
            .await?
            .into_iter()
            .filter(|p| p.covers_date(today))
            .collect();
        if running.is_empty() {
            return Ok(Reply::text(m::PROMOS_NONE).button(m::BTN_SUBSCRIBE, "subscribe"));
        }
        let mut reply = Reply::text(m::PROMOS_HEADER);
        for p in &running {
            reply = reply.then(words::promotion_item(p, self.locale));
        }
        Ok(reply
            .button(m::BTN_SUBSCRIBE, "subscribe")
            .button(m::BTN_STATUS, "status"))
    }

    /// Promotions a claim could still be made for today.
    async fn claimable_promotions(&mut self) -> Result<Vec<Promotion>, AssistantError> {
        let today = self.today();
        Ok(self
            .tx
            .promotions()
            .await?
            .into_iter()
            .filter(|p| p.starts_on <= today && today <= p.claim_deadline)
            .collect())
    }

    async fn subscribe(&mut self, on: bool) -> Result<Reply, AssistantError> {
        if self.user.subscribed == on {
            return Ok(Reply::text(if on {
                m::SUBSCRIBE_ALREADY
            } else {
                m::UNSUBSCRIBE_ALREADY
            }));
        }
        self.user.subscribed = on;
        if on {
            self.user.consent_at = Some(self.now);
        } else {
            self.user.unsubscribed_at = Some(self.now);
        }
        self.tx.record_consent(self.user.id, on, self.now).await?;
        Ok(Reply::text(if on { m::SUBSCRIBE_DONE } else { m::UNSUBSCRIBE_DONE }))
    }

    /// The customer needs a person: an escalation posted to the staff (one
    /// at a time: while one is open, what they add goes to it).
    async fn agent(&mut self, message: &str, cause: EscalationCause) -> Result<Vec<Reply>, AssistantError> {
        use crate::i18n::Msg;
        if let Some(open) = self.tx.open_escalation_of(self.user.id).await? {
            if !message.trim().is_empty() {
                crate::staff::escalation::follow_up(
                    &mut self.tx,
                    open.id,
                    format!("customer: {}", transcript::scrub(message)),
                    self.now,
                )
                .await?;
            }
            return Ok(vec![Reply::text(
                Msg::new(m::AGENT_ALREADY_OPEN).arg("ticket", open.id),
            )]);
        }
        let ticket = crate::staff::escalation::open_from_chat(
            &mut self.tx,
            &self.user,
            cause,
            &transcript::scrub(message),
            self.locale,
            self.now,
        )
        .await?;
        let opened = match cause {
            EscalationCause::Fallbacks => m::AGENT_AFTER_FALLBACKS,
            _ => m::AGENT_REQUESTED,
        };
        Ok(vec![
            Reply::text(Msg::new(opened).arg("ticket", ticket))
                .then(self.escalation.wait(self.now))
                .button(m::BTN_MENU, "menu"),
        ])
    }

    /// Free text while an escalation is open (and recent): it goes to the
    /// agent, not the assistant.
    async fn forward_to_agent(&mut self, text: &str) -> Result<Option<Vec<Reply>>, AssistantError> {
        if self.public {
            return Ok(None);
        }
        let Some(open) = self.tx.open_escalation_of(self.user.id).await? else {
            return Ok(None);
        };
        if self.now - open.created_at > Duration::days(FORWARD_DAYS) {
            return Ok(None);
        }
        crate::staff::escalation::follow_up(
            &mut self.tx,
            open.id,
            format!("customer: {}", transcript::scrub(text)),
            self.now,
        )
        .await?;
        self.handled_as = "escalation:forwarded".to_owned();
        Ok(Some(vec![Reply::text(
            crate::i18n::Msg::new(m::AGENT_FORWARDED).arg("ticket", open.id),
        )]))
    }

    /// Writes the turn to the transcript and counts it.
    async fn record(&mut self, customer: &str, replies: &[Reply]) -> Result<(), AssistantError> {
        let localizer = crate::i18n::Localizer::builtin();
        self.tx
            .append_transcript(self.user.id, TranscriptRole::Customer, customer, self.now)
            .await?;
        let said: Vec<String> = replies.iter().map(|r| r.render(localizer, self.locale).text).collect();
        if !said.is_empty() {
            let text = transcript::cut(&crate::redact::addresses(&said.join("\n")));
            self.tx
                .append_transcript(self.user.id, TranscriptRole::Bot, &text, self.now)
                .await?;
        }
        self.tx.count_message(self.channel, &self.handled_as).await?;
        Ok(())
    }

    /// `/status`, the status button, or a status question without a serial.
    async fn status_command(
        &mut self,
        serial: Option<String>,
        chk: Option<String>,
    ) -> Result<Vec<Reply>, AssistantError> {
        match serial {
            Some(typed) => match SerialNumber::parse(&typed) {
                Ok(s) => {
                    let chk = chk.and_then(|c| ChkCode::parse(&c).ok());
                    self.lookup(s, chk).await
                }
                Err(_) => {
                    self.dialogue = Dialogue::AwaitingSerial;
                    Ok(vec![Reply::text(m::STATUS_BAD_SERIAL)])
                }
            },
            None => {
                // Products already proven need no serial: show them all.
                let owned = self.tx.owned_products(self.user.id).await?;
                if !owned.is_empty() {
                    self.dialogue = Dialogue::Idle;
                    let mut replies = Vec::new();
                    for p in &owned {
                        let redemptions = self.tx.redemptions_of_product(p.id).await?;
                        replies.push(self.show(p, redemptions).await?);
                    }
                    return Ok(replies);
                }
                self.dialogue = Dialogue::AwaitingSerial;
                Ok(vec![Reply::text(m::STATUS_ASK_SERIAL)])
            }
        }
    }

    /// A serial was given: show it if this user proved ownership before, else
    /// check the CHK (given now, or asked for).
    async fn lookup(&mut self, serial: SerialNumber, chk: Option<ChkCode>) -> Result<Vec<Reply>, AssistantError> {
        let key = serial.match_key();
        let owned = self.tx.owned_products(self.user.id).await?;
        if let Some(p) = owned.iter().find(|p| p.product.serial.match_key() == key) {
            self.dialogue = Dialogue::Idle;
            let redemptions = self.tx.redemptions_of_product(p.id).await?;
            return Ok(vec![self.show(p, redemptions).await?]);
        }
        match chk {
            Some(chk) => self.verify(serial, chk).await,
            None => {
                let reply = Reply::text(crate::i18n::Msg::new(m::STATUS_ASK_CHK).arg("serial", serial.as_str()));
                self.dialogue = Dialogue::AwaitingChk {
                    serial: serial.to_string(),
                };
                Ok(vec![reply])
            }
        }
    }

    /// Serial + CHK: the proof of ownership. An unknown serial and a wrong CHK get
    /// the same answer, and failures are rate-limited, so serials cannot be probed.
    async fn verify(&mut self, serial: SerialNumber, chk: ChkCode) -> Result<Vec<Reply>, AssistantError> {
        let window_start = self.now - Duration::minutes(FAILED_CHECK_WINDOW_MINUTES);
        let failed = self.tx.ownership_failures_since(self.user.id, window_start).await?;
        let limited_since = if failed.mine >= MAX_FAILED_CHECKS {
            Some(failed.my_oldest)
        } else if failed.everyone >= MAX_FAILED_CHECKS_ALL_USERS {
            tracing::warn!(
                failures = failed.everyone,
                "ownership checks refused for everyone: {MAX_FAILED_CHECKS_ALL_USERS} failed in \
                 {FAILED_CHECK_WINDOW_MINUTES} min (serials being probed?)"
            );
            Some(failed.oldest)
        } else {
            None
        };
        if let Some(oldest) = limited_since {
            let free_at = oldest.unwrap_or(self.now) + Duration::minutes(FAILED_CHECK_WINDOW_MINUTES);
            let minutes = ((free_at - self.now).num_seconds() + 59) / 60;
            self.dialogue = Dialogue::Idle;
            return Ok(vec![
                Reply::text(crate::i18n::Msg::new(m::STATUS_RATE_LIMITED).arg("minutes", minutes.max(1)))
                    .button(m::BTN_AGENT, "agent"),
            ]);
        }
        // The redemptions come with the candidates (one statement): a look-up
        // that matches needs them, and one that does not costs no more.
        let candidates = self
            .tx
            .products_with_redemptions_by_serial_key(&serial.match_key())
            .await?;
        match candidates.into_iter().find(|(p, _)| p.product.chk == chk) {
            Some((product, redemptions)) => {
                self.tx.add_ownership(self.user.id, product.id, self.now).await?;
                self.dialogue = Dialogue::Idle;
                Ok(vec![self.show(&product, redemptions).await?])
            }
            None => {
                self.tx.add_ownership_failure(self.user.id, self.now).await?;
                self.dialogue = Dialogue::AwaitingChk {
                    serial: serial.to_string(),
                };
                Ok(vec![
                    Reply::text(m::STATUS_NO_MATCH)
                        .button(m::BTN_FAQ, "faq:product.serial")
                        .button(m::BTN_AGENT, "agent"),
                ])
            }
        }
    }

    /// Every redemption of a proven product; with none, what it could claim.
    async fn show(
        &mut self,
        product: &ProductRecord,
        redemptions: Vec<RedemptionRecord>,
    ) -> Result<Reply, AssistantError> {
        let p = &product.product;
        let mut reply = Reply::text(
            crate::i18n::Msg::new(m::STATUS_PRODUCT)
                .arg("model", p.model.as_str())
                .arg("serial", p.serial.as_str()),
        );
        for rec in &redemptions {
            let promotion = self.tx.promotion(rec.redemption.promotion_id.as_str()).await?;
            for msg in words::redemption_status(rec, promotion.as_ref(), product, self.locale) {
                reply = reply.then(msg);
            }
            // A rejected claim can take its corrected file right here (chats that carry files).
            if rec.redemption.status() == crate::domain::Status::Rejected
                && self.blobs.is_some()
                && self.channel != crate::domain::Channel::Console
            {
                reply = reply.then(crate::i18n::Msg::new(m::STATUS_REUPLOAD_HINT).arg("id", rec.redemption.id));
                self.dialogue = Dialogue::AwaitingReupload {
                    redemption: rec.redemption.id,
                };
            }
        }
        if redemptions.is_empty() {
            reply = reply.then(m::STATUS_NO_REDEMPTIONS);
            // What it could claim instead: the answer to "why is there no promotion?".
            let open = self.claimable_promotions().await?;
            if !open.is_empty() {
                reply = words::eligibility(reply, product, &open, self.today(), self.locale);
            }
        }
        Ok(reply.button(m::BTN_MENU, "menu"))
    }
}

/// "english please", "bahasa indonesia aja": the language a message names.
fn language_named_in(text: &str) -> Option<Locale> {
    let lower = text.to_lowercase();
    let english = ["english", "inggris", "eng "].iter().any(|w| lower.contains(w))
        || lower.trim() == "eng"
        || lower.trim() == "en";
    let indonesian = ["indonesia", "indo", "bahasa aja"].iter().any(|w| lower.contains(w)) || lower.trim() == "id";
    match (english, indonesian) {
        (true, false) => Some(Locale::En),
        (false, true) => Some(Locale::Id),
        _ => None,
    }
}
