//! Escalations: a customer who needs a person (they asked, or the assistant
//! did not understand twice in a row) or an email the service could not act
//! on. Each is posted to the staff channels with the customer's language, the
//! serials they proved they own and their recent transcript; an agent answers
//! under the post (a Telegram reply, a Discord thread) and the answer reaches
//! the customer's chat through the outbox; closing it tells the customer. The
//! customer's own follow-ups go to the post while it is open.

use crate::domain::{Locale, SupportHours, Timestamp};
use crate::i18n::{Localizer, Msg, messages as m};
use crate::jobs::{ChatMessage, JobKind, NewJob, StaffTask};
use crate::store::{
    ChatUserRecord, Db, EscalationCause, EscalationRecord, EscalationStatus, StoreError, TranscriptRole, Tx,
};

/// Lines of the transcript a post shows.
pub const TRANSCRIPT_SHOWN: i64 = 12;
/// Characters of one transcript line a post shows.
const LINE_CHARS: usize = 300;

/// When agents answer, and how soon, as the customer is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationSettings {
    pub hours: SupportHours,
    /// What to promise during working hours.
    pub expected_wait_minutes: u32,
}

impl Default for EscalationSettings {
    fn default() -> Self {
        Self {
            hours: SupportHours::default(),
            expected_wait_minutes: 60,
        }
    }
}

impl EscalationSettings {
    pub fn from_config(support: &crate::config::SupportConfig, review: &crate::config::ReviewConfig) -> Self {
        Self {
            hours: SupportHours {
                calendar: crate::domain::WorkCalendar::new(review.holidays.iter().copied()),
                opens: support.opens,
                closes: support.closes,
            },
            expected_wait_minutes: support.expected_wait_minutes,
        }
    }

    /// What the customer is told about the wait, at `now`.
    pub fn wait(&self, now: Timestamp) -> Msg {
        match self.hours.next_opening(now) {
            None => Msg::new(m::AGENT_WAIT_OPEN).arg("minutes", i64::from(self.expected_wait_minutes)),
            Some(when) => Msg::new(m::AGENT_WAIT_CLOSED)
                .arg("opens", self.hours.opens.format("%H:%M").to_string())
                .arg("closes", self.hours.closes.format("%H:%M").to_string())
                .arg("date", crate::assistant::words::date(when.date_naive()))
                .arg("time", when.format("%H:%M").to_string()),
        }
    }
}

/// Opens an escalation for a chat user, in the turn's transaction, and queues
/// its post to the staff channels. Its ticket number.
pub async fn open_from_chat(
    tx: &mut Tx,
    user: &ChatUserRecord,
    cause: EscalationCause,
    message: &str,
    locale: Locale,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let id = tx.insert_chat_escalation(user.id, cause, message, locale, now).await?;
    enqueue(tx, StaffTask::Escalation { escalation_id: id }, now).await?;
    Ok(id)
}

/// Queues posting an escalation opened elsewhere (an email) to the staff channels.
pub async fn announce(tx: &mut Tx, escalation_id: i64, now: Timestamp) -> Result<(), StoreError> {
    enqueue(tx, StaffTask::Escalation { escalation_id }, now).await
}

/// Queues a line for the staff under an escalation's post.
pub async fn follow_up(tx: &mut Tx, escalation_id: i64, text: String, now: Timestamp) -> Result<(), StoreError> {
    enqueue(tx, StaffTask::FollowUp { escalation_id, text }, now).await
}

async fn enqueue(tx: &mut Tx, task: StaffTask, now: Timestamp) -> Result<(), StoreError> {
    let payload = serde_json::to_value(&task).expect("a staff task serialises");
    tx.enqueue_job(&NewJob::new(JobKind::StaffPost, payload, now), now)
        .await?;
    Ok(())
}

/// What a staff post about an escalation says.
#[derive(Debug, Clone)]
pub struct EscalationCard {
    pub id: i64,
    pub text: String,
}

/// The post's text: who, why, language, proven serials, what they wrote and
/// the recent transcript. Staff-facing, in English; the customer's own words
/// are quoted as they wrote them.
pub async fn card(tx: &mut Tx, e: &EscalationRecord) -> Result<EscalationCard, StoreError> {
    use std::fmt::Write;
    let mut text = String::new();
    let why = match e.cause {
        EscalationCause::Asked => "asked for a person",
        EscalationCause::Fallbacks => "the assistant did not understand twice",
        EscalationCause::Email => "an email that needs a person",
    };
    let _ = writeln!(text, "Escalation #{} ({why})", e.id);
    let language = match e.locale {
        Locale::Id => "Indonesian",
        Locale::En => "English",
    };
    let _ = writeln!(text, "Language: {language}");
    if let Some((user, channel, _)) = &e.chat {
        let _ = writeln!(text, "From: {channel} chat");
        let serials: Vec<String> = tx
            .owned_products(*user)
            .await?
            .iter()
            .map(|p| format!("{} ({})", p.product.serial, p.product.model))
            .collect();
        let serials = if serials.is_empty() {
            "none".to_owned()
        } else {
            serials.join(", ")
        };
        let _ = writeln!(text, "Verified serials: {serials}");
    } else {
        let _ = writeln!(text, "From: email");
    }
    if let Some(r) = e.redemption_id {
        let _ = writeln!(text, "Claim: RDM-{r}");
    }
    if !e.message.trim().is_empty() {
        let _ = writeln!(text, "Message: {}", cut(&e.message));
    }
    if let Some((user, _, _)) = &e.chat {
        let lines = tx.transcript(*user, TRANSCRIPT_SHOWN).await?;
        if !lines.is_empty() {
            let _ = writeln!(text, "\nRecent conversation:");
            for line in lines {
                let who = match line.role {
                    TranscriptRole::Customer => "customer",
                    TranscriptRole::Bot => "bot",
                    TranscriptRole::Agent => "agent",
                };
                let when = line.at.with_timezone(&crate::domain::time::jakarta()).format("%H:%M");
                let _ = writeln!(text, "[{when}] {who}: {}", cut(&line.text));
            }
        }
    }
    let _ = write!(
        text,
        "\n{}",
        if e.chat.is_some() {
            "Answer in this post's thread (Discord: /reply) or as a reply to it (Telegram); /close when done."
        } else {
            "Answer from the support mailbox; /close here when done."
        }
    );
    Ok(EscalationCard { id: e.id, text })
}

fn cut(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= LINE_CHARS {
        return one_line;
    }
    let mut out: String = one_line.chars().take(LINE_CHARS).collect();
    out.push('…');
    out
}

#[derive(Debug, thiserror::Error)]
pub enum EscalationError {
    #[error("this post is not an escalation")]
    Unknown,
    #[error("escalation #{0} is closed")]
    Closed(i64),
    #[error("escalation #{0} came by email: answer it from the support mailbox")]
    ByEmail(i64),
    #[error("there is nothing to send")]
    Empty,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which escalation a staff post (Telegram: the post replied to; Discord: the
/// thread, whose id is its starting post's) is about.
pub async fn find_by_post(
    db: &Db,
    channel: crate::domain::Channel,
    chat_id: &str,
    message_id: &str,
) -> Result<i64, EscalationError> {
    let mut tx = db.begin().await?;
    tx.escalation_by_post(channel, chat_id, message_id)
        .await?
        .ok_or(EscalationError::Unknown)
}

/// An agent's answer: to the customer's chat through the outbox, in the
/// transcript, and the escalation marked answered. Returns the customer's
/// platform, for the agent's confirmation.
pub async fn reply(
    db: &Db,
    escalation_id: i64,
    agent: &str,
    text: &str,
    now: Timestamp,
) -> Result<crate::domain::Channel, EscalationError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(EscalationError::Empty);
    }
    let mut tx = db.begin_write().await?;
    let e = tx.escalation(escalation_id).await?.ok_or(EscalationError::Unknown)?;
    if e.status == EscalationStatus::Closed {
        return Err(EscalationError::Closed(e.id));
    }
    let Some((user, channel, external_id)) = e.chat.clone() else {
        return Err(EscalationError::ByEmail(e.id));
    };
    let msg = Msg::new(m::CHAT_AGENT_REPLY)
        .arg("agent", agent.to_owned())
        .arg("text", text.to_owned());
    tell(&mut tx, channel, &external_id, e.locale, &msg, now).await?;
    tx.append_transcript(user, TranscriptRole::Agent, text, now).await?;
    tx.set_escalation_status(e.id, EscalationStatus::Answered, None, now)
        .await?;
    tx.commit().await?;
    Ok(channel)
}

/// Closes an escalation: the customer is told (chat escalations) and the
/// other staff channels see it under their post. False when it was already closed.
pub async fn close(db: &Db, escalation_id: i64, agent: &str, now: Timestamp) -> Result<bool, EscalationError> {
    let mut tx = db.begin_write().await?;
    let e = tx.escalation(escalation_id).await?.ok_or(EscalationError::Unknown)?;
    if !tx
        .set_escalation_status(e.id, EscalationStatus::Closed, Some(agent), now)
        .await?
    {
        return Ok(false);
    }
    if let Some((_, channel, external_id)) = &e.chat {
        let msg = Msg::new(m::CHAT_ESCALATION_CLOSED).arg("ticket", e.id);
        tell(&mut tx, *channel, external_id, e.locale, &msg, now).await?;
    }
    follow_up(&mut tx, e.id, format!("Closed by {agent}."), now).await?;
    tx.commit().await?;
    Ok(true)
}

/// A message to the customer's chat, rendered in their language, through the outbox.
async fn tell(
    tx: &mut Tx,
    channel: crate::domain::Channel,
    external_id: &str,
    locale: Locale,
    msg: &Msg,
    now: Timestamp,
) -> Result<(), StoreError> {
    let message = ChatMessage {
        channel,
        chat_id: external_id.to_owned(),
        text: Localizer::builtin().render(locale, msg),
    };
    let payload = serde_json::to_value(&message).expect("a chat message serialises");
    tx.enqueue_job(&NewJob::new(JobKind::ChatMessage, payload, now), now)
        .await?;
    Ok(())
}
