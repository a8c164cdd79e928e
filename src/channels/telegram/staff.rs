//! The staff group on Telegram (`telegram.staff_chat_id`): claims posted as
//! their staff view in a `<pre>` block with *Approve* / *Reject* buttons, and
//! their files as replies to the post (photos, PDFs as documents); *Reject*
//! turns the buttons into one per reason code. An agent may also reply to a
//! claim's post with `/approve NOTE` or `/reject CODE NOTE`. Escalations are
//! posted there too; an agent's reply to one (or to a line under it) reaches
//! the customer, and `/close` closes it. Only members of the group count as
//! staff: a press is checked with `getChatMember`, since a public group's
//! posts (and buttons) can be seen by people outside it. A decision runs
//! `review::decide` (the CLI's code) and edits the post to say who decided
//! what. Nothing said in the group ever reaches the customer assistant.
//!
//! Broadcasts start here too: `/broadcast PROMOTION_ID [region=CODE ...]
//! [category=CODE ...]` from a marketing user (`telegram.marketing_user_ids`)
//! prepares a draft (`broadcast::campaign::prepare`) and posts its preview
//! with *Confirm* / *Cancel*; `serve`'s runner sends a confirmed campaign, and
//! [`TelegramStaffChannel`] is also the [`crate::broadcast::ProgressBoard`]
//! whose message shows its progress.

use std::sync::Arc;

use chrono::Utc;
use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{
    CallbackQuery, ChatId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, InputMedia, InputMediaPhoto,
    MessageId, ParseMode, ReplyParameters, UpdateKind, User, UserId,
};

use super::{MAX_MESSAGE, Telegram, retryable};
use crate::broadcast::Draft;
use crate::broadcast::staff::{
    self as broadcast_staff, NOT_MARKETING, Prepared, Press as BroadcastPress, Request as BroadcastRequest, USAGE,
};
use crate::domain::{Actor, Channel, RedemptionId, RejectionReason};
use crate::jobs::JobError;
use crate::review::{Decision, ReviewError};
use crate::staff::escalation::{self, EscalationError};
use crate::staff::{CardFile, ClaimCard, EscalationCard};
use crate::store::StoreError;

/// Prefix of every staff button's data.
pub const PREFIX: &str = "staff:";
/// Characters of a card a post shows: Telegram allows 4,096 after parsing,
/// and the decision's label is added below it later.
const MAX_CARD: usize = 3800;
/// Telegram's limit on a callback answer's text.
const MAX_ALERT: usize = 200;
/// Photos in one album (`sendMediaGroup`).
const MAX_ALBUM: usize = 10;
/// Telegram takes photos up to 10 MB; larger images go as documents.
const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;

const NOT_STAFF: &str = "Only staff can decide claims. Nothing was changed.";
const NOT_STAFF_MESSAGE: &str = "Only members of the staff group can do this. Nothing was done.";

/// Prefix of a broadcast draft's buttons: under [`PREFIX`], so a press
/// outside the staff group is refused like any staff button's.
const BROADCAST_PREFIX: &str = "staff:bc:";
/// A preview's parts leave room for the line a confirmation adds to the last.
const MAX_DRAFT_PART: usize = MAX_MESSAGE - 300;

fn draft_keyboard(id: i64) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        InlineKeyboardButton::callback("Confirm", BroadcastPress::Confirm(id).data(BROADCAST_PREFIX)),
        InlineKeyboardButton::callback("Cancel", BroadcastPress::Cancel(id).data(BROADCAST_PREFIX)),
    ]])
}

/// `/broadcast PROMOTION_ID [region=CODE ...] [category=CODE ...]` (also
/// `/broadcast@thisbot`; several codes may also be given as `region=ID,SG`).
/// `None`: not this command; `Err`: what is wrong with it.
fn parse_broadcast(text: &str, bot_username: &str) -> Option<Result<BroadcastRequest, String>> {
    let rest = text.trim_start().strip_prefix('/')?;
    let (word, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let (name, addressee) = match word.split_once('@') {
        Some((name, to)) => (name, Some(to)),
        None => (word, None),
    };
    if addressee.is_some_and(|to| !to.eq_ignore_ascii_case(bot_username)) || !name.eq_ignore_ascii_case("broadcast") {
        return None;
    }
    let mut request = BroadcastRequest::default();
    for token in args.split_whitespace() {
        match token.split_once('=') {
            Some((key, value)) => {
                let values = value
                    .split(',')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned);
                match key.to_ascii_lowercase().as_str() {
                    "region" | "regions" => request.regions.extend(values),
                    "category" | "categories" => request.categories.extend(values),
                    _ => return Some(Err(format!("\"{key}\" is not a filter: use region= or category=."))),
                }
            }
            None if request.promotion.is_empty() => request.promotion = token.to_owned(),
            None => {
                return Some(Err(format!(
                    "\"{token}\" is not understood: give one promotion id, then filters."
                )));
            }
        }
    }
    if request.promotion.is_empty() {
        return Some(Err("Which promotion?".to_owned()));
    }
    Some(Ok(request))
}

/// The name a broadcast from Telegram is recorded under: the username, else the user id.
fn marketing_name(user: &User) -> String {
    user.username.clone().unwrap_or_else(|| user.id.0.to_string())
}

/// What a staff button asks.
#[derive(Debug, PartialEq, Eq)]
enum Press {
    Approve(RedemptionId),
    /// Show the reasons instead of *Approve* / *Reject*.
    Reject(RedemptionId),
    Reason(RedemptionId, RejectionReason),
    /// Back to *Approve* / *Reject*.
    Cancel(RedemptionId),
}

fn parse_press(data: &str) -> Option<Press> {
    let mut parts = data.strip_prefix(PREFIX)?.split(':');
    let (what, id) = (parts.next()?, parts.next()?.parse().ok()?);
    let press = match what {
        "approve" => Press::Approve(id),
        "reject" => Press::Reject(id),
        "cancel" => Press::Cancel(id),
        "reason" => Press::Reason(id, RejectionReason::parse(parts.next()?).ok()?),
        _ => return None,
    };
    parts.next().is_none().then_some(press)
}

/// A command an agent types in the group, as a reply to a post.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Approve {
        note: Option<String>,
    },
    /// `reason` is what they typed when it is not a code.
    Reject {
        reason: Result<RejectionReason, String>,
        note: Option<String>,
    },
    Close,
}

/// `/approve note`, `/reject CODE note`, `/close` (also `/close@thisbot`);
/// anything else is not for us.
fn parse_command(text: &str, bot_username: &str) -> Option<Command> {
    let rest = text.trim_start().strip_prefix('/')?;
    let (word, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let (name, addressee) = match word.split_once('@') {
        Some((name, to)) => (name, Some(to)),
        None => (word, None),
    };
    if addressee.is_some_and(|to| !to.eq_ignore_ascii_case(bot_username)) {
        return None;
    }
    let note = |s: &str| Some(s.trim().to_owned()).filter(|n| !n.is_empty());
    match name.to_ascii_lowercase().as_str() {
        "approve" => Some(Command::Approve { note: note(args) }),
        "reject" => {
            let args = args.trim_start();
            let (code, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
            Some(Command::Reject {
                reason: RejectionReason::parse(code).map_err(|_| code.to_owned()),
                note: note(rest),
            })
        }
        "close" => Some(Command::Close),
        _ => None,
    }
}

/// `text` cut to at most `max` UTF-16 units (Telegram's measure), marked when cut.
fn cut(text: &str, max: usize) -> String {
    if text.encode_utf16().count() <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut units = 0;
    for c in text.chars() {
        units += c.len_utf16();
        if units > max.saturating_sub(1) {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// A card shown literally: escaped, in a `<pre>` block, cut to fit.
fn post_html(text: &str) -> String {
    format!(
        "<pre>{}</pre>",
        teloxide::utils::html::escape(&cut(text.trim_end(), MAX_CARD))
    )
}

/// A decided post: its card, then who decided what.
fn settled_html(text: &str, label: &str) -> String {
    format!("{}\n{}", post_html(text), teloxide::utils::html::escape(label))
}

fn decision_keyboard(id: RedemptionId) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        InlineKeyboardButton::callback("Approve", format!("{PREFIX}approve:{id}")),
        InlineKeyboardButton::callback("Reject", format!("{PREFIX}reject:{id}")),
    ]])
}

/// One button per reason code (one a row: the codes are long), and *Cancel*.
fn reason_keyboard(id: RedemptionId) -> InlineKeyboardMarkup {
    let mut rows: Vec<Vec<InlineKeyboardButton>> = RejectionReason::ALL
        .iter()
        .map(|r| {
            vec![InlineKeyboardButton::callback(
                r.code(),
                format!("{PREFIX}reason:{id}:{}", r.code()),
            )]
        })
        .collect();
    rows.push(vec![InlineKeyboardButton::callback(
        "Cancel",
        format!("{PREFIX}cancel:{id}"),
    )]);
    InlineKeyboardMarkup::new(rows)
}

/// The name a decision from Telegram is recorded under: the username, which
/// is unique, else the name shown.
fn staff_name(user: &User) -> String {
    user.username.clone().unwrap_or_else(|| user.full_name())
}

fn photo_ok(f: &CardFile) -> bool {
    matches!(f.content_type.as_str(), "image/jpeg" | "image/png" | "image/webp") && f.data.len() <= MAX_PHOTO_BYTES
}

/// What a failed call means for the outbox job that made it.
fn job_error(chat: ChatId, e: RequestError) -> JobError {
    let refused = |e: &RequestError| {
        JobError::Permanent(format!(
            "the bot may not post in the staff group {chat} (is it still a member, allowed to send messages \
             and media?): {e}"
        ))
    };
    match &e {
        RequestError::MigrateToChatId(new) => JobError::Permanent(format!(
            "the staff group {chat} became a supergroup: set telegram.staff_chat_id = {new}"
        )),
        RequestError::Api(ApiError::ChatNotFound) => JobError::Permanent(format!(
            "Telegram does not know the staff group {chat} (chat not found): check telegram.staff_chat_id and \
             that the bot was added to the group"
        )),
        RequestError::Api(
            ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::BotBlocked
            | ApiError::NotEnoughRightsToPostMessages
            | ApiError::GroupDeactivated,
        ) => refused(&e),
        RequestError::Api(ApiError::Unknown(d)) if d.starts_with("Forbidden") => refused(&e),
        RequestError::RetryAfter(_) => JobError::Transient(format!("Telegram: {e}")),
        e if retryable(e) => JobError::Transient(format!("Telegram: {e}")),
        _ => JobError::Permanent(format!("Telegram refused a staff group call: {e}")),
    }
}

fn store_error(e: StoreError) -> JobError {
    JobError::Transient(e.to_string())
}

impl Telegram {
    /// Whether an update is staff work: anything in the staff group, and any
    /// staff button wherever it was pressed (to refuse it).
    pub(super) fn is_staff_work(&self, update: &Update) -> bool {
        match &update.kind {
            UpdateKind::Message(m) => Some(m.chat.id) == self.staff_chat,
            UpdateKind::CallbackQuery(q) => {
                q.data.as_deref().is_some_and(|d| d.starts_with(PREFIX))
                    || q.message.as_ref().is_some_and(|m| Some(m.chat().id) == self.staff_chat)
            }
            _ => false,
        }
    }

    pub(super) async fn on_staff_update(&self, update: Update) {
        let event = update.id.0.to_string();
        match &update.kind {
            UpdateKind::CallbackQuery(q) => self.on_staff_press(q).await,
            UpdateKind::Message(m) => self.on_staff_message(&event, m).await,
            _ => {}
        }
    }

    /// Whether `user` is in the staff group now (owner, administrator,
    /// member, or restricted but still a member).
    async fn is_staff(&self, chat: ChatId, user: UserId) -> Result<bool, RequestError> {
        let member = self
            .retrying(None, || self.bot.get_chat_member(chat, user).send())
            .await?;
        Ok(member.kind.is_present())
    }

    /// Staff membership; `Err` holds what to tell them (`not_staff` when they are not).
    async fn check_staff(&self, chat: ChatId, user: &User, not_staff: &'static str) -> Result<(), &'static str> {
        match self.is_staff(chat, user.id).await {
            Ok(true) => Ok(()),
            Ok(false) => {
                tracing::warn!(
                    user = user.id.0,
                    "staff work attempted by someone outside the staff group"
                );
                Err(not_staff)
            }
            Err(e) => {
                tracing::error!(error = %e, "getChatMember failed; staff work refused");
                Err("Telegram did not say whether you are staff; nothing was changed. Try again.")
            }
        }
    }

    /// A press on a staff post's button.
    async fn on_staff_press(&self, q: &CallbackQuery) {
        let message = q.message.as_ref();
        let (Some(staff_chat), Some(message)) = (self.staff_chat, message) else {
            tracing::warn!("a staff button pressed outside the staff group");
            return self.answer(q, Some(NOT_STAFF), true).await;
        };
        if message.chat().id != staff_chat {
            tracing::warn!(user = q.from.id.0, "a staff button pressed outside the staff group");
            return self.answer(q, Some(NOT_STAFF), true).await;
        }
        if let Some(press) = q
            .data
            .as_deref()
            .and_then(|d| BroadcastPress::parse(d, BROADCAST_PREFIX))
        {
            return self.on_broadcast_press(q, staff_chat, message, press).await;
        }
        let Some(press) = q.data.as_deref().and_then(parse_press) else {
            return self.answer(q, None, false).await;
        };
        if let Err(refusal) = self.check_staff(staff_chat, &q.from, NOT_STAFF).await {
            return self.answer(q, Some(refusal), true).await;
        }
        let post = message.id();
        let text = message.regular_message().and_then(|m| m.text()).map(str::to_owned);
        let name = staff_name(&q.from);
        let (id, decision) = match press {
            Press::Reject(id) | Press::Cancel(id) => {
                let (keyboard, note) = match press {
                    Press::Reject(_) => (reason_keyboard(id), Some("Choose the reason the customer must fix.")),
                    _ => (decision_keyboard(id), None),
                };
                if let Err(e) = self.set_keyboard(staff_chat, post, keyboard).await {
                    tracing::error!(error = %e, redemption = id, "could not change a staff post's buttons");
                }
                return self.answer(q, note, false).await;
            }
            Press::Approve(id) => (id, Decision::Approve { note: None }),
            Press::Reason(id, reason) => (id, Decision::Reject { reason, note: None }),
        };
        match self.decide_as(id, decision, &name).await {
            Ok((label, by)) => {
                let marked = self.mark_decided(staff_chat, post, text.as_deref(), &label, &by).await;
                let note = if marked { "" } else { " (the post could not be updated)" };
                self.answer(q, Some(&format!("RDM-{id}: {label}{note}")), false).await;
            }
            Err(e) => self.answer(q, Some(&format!("Nothing changed: {e}")), true).await,
        }
    }

    /// A message in the staff group: a reply to a post acts on it; other chatter is ignored.
    async fn on_staff_message(&self, event: &str, msg: &Message) {
        let Some(staff_chat) = self.staff_chat else { return };
        let Some(from) = msg.from.as_ref() else { return };
        let text = msg.text().or(msg.caption()).unwrap_or_default();
        if let Some(request) = parse_broadcast(text, &self.username) {
            return self.on_broadcast(staff_chat, event, msg, from, request).await;
        }
        let command = parse_command(text, &self.username);
        let replied = msg.reply_to_message();
        if command.is_none() && replied.is_none() {
            return;
        }
        if from.is_bot {
            // An administrator posting anonymously writes as the group: we
            // cannot tell who they are, so nothing they say is relayed.
            let anonymous = msg.sender_chat.as_ref().is_some_and(|c| c.id == staff_chat);
            let to_escalation = match replied {
                Some(r) => escalation::find_by_post(
                    &self.db,
                    Channel::Telegram,
                    &staff_chat.0.to_string(),
                    &r.id.0.to_string(),
                )
                .await
                .is_ok(),
                None => false,
            };
            if anonymous && (command.is_some() || to_escalation) {
                self.staff_reply(
                    msg,
                    "Post as yourself (not anonymously) to work on claims and escalations.",
                )
                .await;
            }
            return;
        }
        let Some(replied) = replied else {
            let hint = match command {
                Some(Command::Close) => "Reply to the escalation's post (or a line under it) with /close.",
                _ => "Reply to a claim's post with /approve [note] or /reject CODE [note].",
            };
            return self.staff_reply(msg, hint).await;
        };
        let chat_id = staff_chat.0.to_string();
        let replied_id = replied.id.0.to_string();
        match command {
            None | Some(Command::Close) => {
                let escalation =
                    match escalation::find_by_post(&self.db, Channel::Telegram, &chat_id, &replied_id).await {
                        Ok(id) => id,
                        // A reply to anything else is the staff talking among themselves.
                        Err(EscalationError::Unknown) if command.is_none() => return,
                        Err(EscalationError::Unknown) => {
                            return self
                                .staff_reply(
                                    msg,
                                    "Reply to the escalation's post itself (or a line under it) with /close.",
                                )
                                .await;
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "could not look up an escalation post");
                            return self
                                .staff_reply(msg, "Something went wrong; nothing was done. Try again.")
                                .await;
                        }
                    };
                if !self.may_act(staff_chat, event, msg, from).await {
                    return;
                }
                if command.is_some() {
                    self.close_escalation(msg, escalation, from).await;
                } else {
                    self.relay(msg, escalation, from).await;
                }
            }
            Some(Command::Approve { note }) => {
                self.decide_by_reply(staff_chat, event, msg, from, replied, Ok(None), note)
                    .await;
            }
            Some(Command::Reject { reason, note }) => {
                self.decide_by_reply(staff_chat, event, msg, from, replied, reason.map(Some), note)
                    .await;
            }
        }
    }

    /// Staff membership and first delivery, checked before acting on a
    /// message. Telegram may deliver an update again (a webhook it thinks
    /// timed out); an agent's answer must reach the customer once. The update
    /// is remembered before acting, so a failure is said to the agent rather
    /// than retried by a redelivery.
    async fn may_act(&self, staff_chat: ChatId, event: &str, msg: &Message, from: &User) -> bool {
        if let Err(refusal) = self.check_staff(staff_chat, from, NOT_STAFF_MESSAGE).await {
            self.staff_reply(msg, refusal).await;
            return false;
        }
        self.first_delivery(event, msg).await
    }

    /// Whether this is the first delivery of update `event` (remembered now);
    /// a failure is said to the agent and counts as no.
    async fn first_delivery(&self, event: &str, msg: &Message) -> bool {
        let fresh = async {
            let mut tx = self.db.begin_write().await?;
            let fresh = tx.claim_inbound_event(Channel::Telegram, event, Utc::now()).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(fresh)
        }
        .await;
        match fresh {
            Ok(fresh) => fresh,
            Err(e) => {
                tracing::error!(error = %e, "could not record a staff group update");
                self.staff_reply(msg, "Something went wrong; nothing was done. Try again.")
                    .await;
                false
            }
        }
    }

    fn is_marketing(&self, user: &User) -> bool {
        i64::try_from(user.id.0).is_ok_and(|id| self.marketing_users.contains(&id))
    }

    /// `/broadcast …` in the staff group: a draft and its preview with
    /// *Confirm* / *Cancel*, for marketing users only.
    async fn on_broadcast(
        &self,
        staff_chat: ChatId,
        event: &str,
        msg: &Message,
        from: &User,
        request: Result<BroadcastRequest, String>,
    ) {
        if from.is_bot {
            if msg.sender_chat.as_ref().is_some_and(|c| c.id == staff_chat) {
                self.staff_reply(msg, "Post as yourself (not anonymously) to send broadcasts.")
                    .await;
            }
            return;
        }
        if !self.is_marketing(from) {
            tracing::warn!(
                user = from.id.0,
                "/broadcast from someone not in telegram.marketing_user_ids"
            );
            return self.staff_reply(msg, NOT_MARKETING).await;
        }
        let request = match request {
            Ok(r) => r,
            Err(e) => return self.staff_reply(msg, &format!("{e}\n{USAGE}")).await,
        };
        let checked = match broadcast_staff::check(&self.db, &request).await {
            Ok(checked) => checked,
            Err(refusal) => return self.staff_reply(msg, &refusal.text()).await,
        };
        if !self.first_delivery(event, msg).await {
            return;
        }
        let by = format!("telegram:{}", marketing_name(from));
        let draft = match broadcast_staff::prepare(&self.db, &checked, &by, &self.announcements).await {
            Ok(Prepared::Draft(draft)) => draft,
            Ok(Prepared::Empty(text)) => return self.staff_reply(msg, &text).await,
            Err(refusal) => return self.staff_reply(msg, &refusal.text()).await,
        };
        let preview = broadcast_staff::preview(&draft, &checked.announced);
        if let Err(e) = self.post_draft(staff_chat, msg.id, &draft, &preview).await {
            tracing::error!(error = %e, campaign = draft.campaign.id, "could not post a broadcast preview");
            let note = format!(
                "Campaign {} was prepared, but its preview could not be posted here. It stays a draft: \
                 confirm or cancel it through the admin API.",
                draft.campaign.id
            );
            self.staff_reply(msg, &note).await;
        }
    }

    /// Posts a draft's preview (in parts under Telegram's limit, the first a
    /// reply to the command), the buttons on the last part.
    async fn post_draft(
        &self,
        chat: ChatId,
        command: MessageId,
        draft: &Draft,
        preview: &str,
    ) -> Result<(), RequestError> {
        let parts = crate::channels::split::split(preview, MAX_DRAFT_PART, |_, cut| cut);
        let n = parts.len();
        for (i, part) in parts.into_iter().enumerate() {
            self.retrying(Some(chat), || {
                let mut request = self.bot.send_message(chat, part.clone());
                if i == 0 {
                    request = request.reply_parameters(ReplyParameters::new(command).allow_sending_without_reply());
                }
                if i + 1 == n {
                    request = request.reply_markup(draft_keyboard(draft.campaign.id));
                }
                request.send()
            })
            .await?;
        }
        Ok(())
    }

    /// *Confirm* or *Cancel* on a broadcast draft's preview.
    async fn on_broadcast_press(
        &self,
        q: &CallbackQuery,
        staff_chat: ChatId,
        message: &teloxide::types::MaybeInaccessibleMessage,
        press: BroadcastPress,
    ) {
        if !self.is_marketing(&q.from) {
            tracing::warn!(
                user = q.from.id.0,
                "a broadcast button pressed by someone not in telegram.marketing_user_ids"
            );
            return self.answer(q, Some(NOT_MARKETING), true).await;
        }
        let name = marketing_name(&q.from);
        let by = format!("telegram:{name}");
        let id = press.campaign();
        let post = message.id();
        match broadcast_staff::settle(&self.db, press, &name, &by, &self.announcements).await {
            Ok(label) => {
                let shown = message.regular_message().and_then(|m| m.text()).unwrap_or_default();
                let edited = self.settle_draft(staff_chat, post, shown, &label).await;
                if let Err(e) = &edited {
                    tracing::error!(error = %e, campaign = id, "could not mark a broadcast preview");
                }
                let note = if edited.is_ok() {
                    ""
                } else {
                    " (the preview could not be updated)"
                };
                self.answer(q, Some(&format!("{label}{note}")), false).await;
            }
            Err(refusal) => {
                if refusal.is_stale() {
                    // Its buttons can do nothing any more.
                    if let Err(e) = self
                        .set_keyboard(staff_chat, post, InlineKeyboardMarkup::default())
                        .await
                    {
                        tracing::warn!(error = %e, campaign = id, "could not remove a stale preview's buttons");
                    }
                }
                self.answer(q, Some(&refusal.text()), true).await;
            }
        }
    }

    /// A preview after *Confirm* or *Cancel*: its text with `label` under it, without buttons.
    async fn settle_draft(&self, chat: ChatId, post: MessageId, shown: &str, label: &str) -> Result<(), RequestError> {
        let room = MAX_MESSAGE.saturating_sub(label.encode_utf16().count() + 2);
        let shown = cut(shown.trim_end(), room);
        let text = if shown.is_empty() {
            label.to_owned()
        } else {
            format!("{shown}\n\n{label}")
        };
        let edited = self
            .retrying(Some(chat), || {
                self.bot
                    .edit_message_text(chat, post, text.clone())
                    .reply_markup(InlineKeyboardMarkup::default())
                    .send()
            })
            .await;
        match edited {
            Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// An agent's answer to an escalation, to the customer.
    async fn relay(&self, msg: &Message, escalation_id: i64, from: &User) {
        let Some(text) = msg.text() else {
            return self
                .staff_reply(msg, "Only text reaches the customer: write your answer as a message.")
                .await;
        };
        let confirmation = match escalation::reply(&self.db, escalation_id, &from.first_name, text, Utc::now()).await {
            Ok(_) => "Sent to the customer.".to_owned(),
            Err(EscalationError::Store(e)) => {
                tracing::error!(error = %e, escalation = escalation_id, "could not relay an agent's answer");
                "Something went wrong; nothing was sent. Try again.".to_owned()
            }
            Err(e) => format!("Not sent: {e}."),
        };
        self.staff_reply(msg, &confirmation).await;
    }

    async fn close_escalation(&self, msg: &Message, escalation_id: i64, from: &User) {
        let by = format!("telegram:{}", staff_name(from));
        let confirmation = match escalation::close(&self.db, escalation_id, &by, Utc::now()).await {
            Ok(true) => "Closed.".to_owned(),
            Ok(false) => format!("Escalation #{escalation_id} was already closed."),
            Err(EscalationError::Store(e)) => {
                tracing::error!(error = %e, escalation = escalation_id, "could not close an escalation");
                "Something went wrong; it is still open. Try again.".to_owned()
            }
            Err(e) => format!("Not closed: {e}."),
        };
        self.staff_reply(msg, &confirmation).await;
    }

    /// `/approve NOTE` or `/reject CODE NOTE` as a reply to a claim's post.
    #[allow(clippy::too_many_arguments)]
    async fn decide_by_reply(
        &self,
        staff_chat: ChatId,
        event: &str,
        msg: &Message,
        from: &User,
        post: &Message,
        reason: Result<Option<RejectionReason>, String>,
        note: Option<String>,
    ) {
        let claim = async {
            let mut tx = self.db.begin().await?;
            tx.claim_by_post(Channel::Telegram, &staff_chat.0.to_string(), &post.id.0.to_string())
                .await
        }
        .await;
        let id = match claim {
            Ok(Some(id)) => id,
            Ok(None) => {
                return self
                    .staff_reply(
                        msg,
                        "Reply to a claim's post with /approve [note] or /reject CODE [note].",
                    )
                    .await;
            }
            Err(e) => {
                tracing::error!(error = %e, "could not look up a claim post");
                return self
                    .staff_reply(msg, "Something went wrong; nothing changed. Try again.")
                    .await;
            }
        };
        let reason = match reason {
            Ok(reason) => reason,
            Err(code) => {
                let codes: Vec<&str> = RejectionReason::ALL.iter().map(|r| r.code()).collect();
                let what = if code.is_empty() {
                    "/reject needs a reason code".to_owned()
                } else {
                    format!("\"{code}\" is not a reason code")
                };
                let text = format!(
                    "{what}. Use /reject CODE [note], with one of: {}. Nothing changed.",
                    codes.join(", ")
                );
                return self.staff_reply(msg, &text).await;
            }
        };
        if !self.may_act(staff_chat, event, msg, from).await {
            return;
        }
        let decision = match reason {
            None => Decision::Approve { note },
            Some(reason) => Decision::Reject { reason, note },
        };
        let answer = match self.decide_as(id, decision, &staff_name(from)).await {
            Ok((label, by)) => {
                let marked = self.mark_decided(staff_chat, post.id, post.text(), &label, &by).await;
                let note = if marked { "" } else { " (the post could not be updated)" };
                format!("RDM-{id}: {label}{note}")
            }
            Err(e) => format!("Nothing changed: {e}"),
        };
        self.staff_reply(msg, &answer).await;
    }

    /// Decides as `name` (recorded as `staff:telegram:NAME`); the post's label
    /// and who decided, worded as the outbox's `Decided` task words them.
    async fn decide_as(
        &self,
        id: RedemptionId,
        decision: Decision,
        name: &str,
    ) -> Result<(String, String), ReviewError> {
        let actor = Actor::Staff(format!("telegram:{name}"));
        let fallback = (format!("Decided by {actor}"), actor.to_string());
        let rec = crate::review::decide(&self.db, id, decision, actor, &self.mail, Utc::now()).await?;
        let history = self.db.begin().await?.history(id).await?;
        Ok(crate::staff::decided_label(rec.redemption.status(), &history).unwrap_or(fallback))
    }

    /// After a decision from the group: the post shows it and loses its
    /// buttons, and is marked decided (so the outbox's `Decided` task, which
    /// the decision also queued, leaves it alone). Should that task get to
    /// the post first, both edits come out the same (the post is rebuilt
    /// from the claim, with the same label), so the second changes nothing.
    /// False when the post could not be edited.
    async fn mark_decided(&self, chat: ChatId, post: MessageId, text: Option<&str>, label: &str, by: &str) -> bool {
        let edited = match self.settle_post(chat, post, text, label).await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, "could not mark a staff post decided");
                false
            }
        };
        let recorded = async {
            let mut tx = self.db.begin_write().await?;
            tx.mark_staff_post_decided(
                Channel::Telegram,
                &chat.0.to_string(),
                &post.0.to_string(),
                by,
                Utc::now(),
            )
            .await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = recorded {
            tracing::error!(error = %e, "could not record the staff decision on its post");
        }
        edited
    }

    /// Rewrites a claim post as the claim now is (its staff view, with the
    /// decision in its history), `label` under it, and removes its buttons.
    /// A post the database does not know keeps `shown` (its text as Telegram
    /// gave it) under the label; without that, only its buttons go and the
    /// label comes as a reply.
    async fn settle_post(
        &self,
        chat: ChatId,
        post: MessageId,
        shown: Option<&str>,
        label: &str,
    ) -> Result<(), JobError> {
        let text = match self.card_text(chat, post).await? {
            Some(t) => Some(t),
            None => shown.map(str::to_owned),
        };
        let Some(text) = text else {
            // Not a claim post we know: the buttons go, the label comes as a reply.
            self.set_keyboard(chat, post, InlineKeyboardMarkup::default())
                .await
                .map_err(|e| job_error(chat, e))?;
            return self.send_plain(chat, label, Some(post)).await.map(drop);
        };
        let html = settled_html(&text, label);
        let edited = self
            .retrying(Some(chat), || {
                self.bot
                    .edit_message_text(chat, post, html.clone())
                    .parse_mode(ParseMode::Html)
                    .reply_markup(InlineKeyboardMarkup::default())
                    .send()
            })
            .await;
        match edited {
            Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
            // Deleted by someone, or no longer editable: nothing left to mark.
            Err(RequestError::Api(ApiError::MessageToEditNotFound | ApiError::MessageCantBeEdited)) => {
                tracing::warn!(
                    chat = chat.0,
                    post = post.0,
                    "a staff post to settle is gone or not editable"
                );
                Ok(())
            }
            Err(e) => Err(job_error(chat, e)),
        }
    }

    /// The staff view of the claim a post is about, as it is now.
    async fn card_text(&self, chat: ChatId, post: MessageId) -> Result<Option<String>, JobError> {
        let mut tx = self.db.begin().await.map_err(store_error)?;
        let Some(id) = tx
            .claim_by_post(Channel::Telegram, &chat.0.to_string(), &post.0.to_string())
            .await
            .map_err(store_error)?
        else {
            return Ok(None);
        };
        let Some(rec) = tx.redemption(id).await.map_err(store_error)? else {
            return Ok(None);
        };
        let view = crate::views::redemption_view(&mut tx, &rec)
            .await
            .map_err(store_error)?;
        drop(tx);
        let product = crate::views::status_view(&self.db, rec.redemption.serial.as_str())
            .await
            .ok()
            .map(|s| s.product);
        Ok(Some(crate::views::text::staff_card(product.as_ref(), &view)))
    }

    async fn set_keyboard(
        &self,
        chat: ChatId,
        post: MessageId,
        keyboard: InlineKeyboardMarkup,
    ) -> Result<(), RequestError> {
        let result = self
            .retrying(Some(chat), || {
                self.bot
                    .edit_message_reply_markup(chat, post)
                    .reply_markup(keyboard.clone())
                    .send()
            })
            .await;
        match result {
            Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Answers a button press (stopping its spinner); `alert` shows the
    /// text in a box the presser must dismiss.
    async fn answer(&self, q: &CallbackQuery, text: Option<&str>, alert: bool) {
        let result = self
            .retrying(None, || {
                let mut request = self.bot.answer_callback_query(q.id.clone());
                if let Some(text) = text {
                    request = request.text(cut(text, MAX_ALERT)).show_alert(alert);
                }
                request.send()
            })
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "answerCallbackQuery failed");
        }
    }

    /// Plain text (no markup to escape) in the staff group, as a reply when `to` is given.
    async fn send_plain(&self, chat: ChatId, text: &str, to: Option<MessageId>) -> Result<MessageId, JobError> {
        let text = cut(text, MAX_MESSAGE);
        self.retrying(Some(chat), || {
            let mut request = self.bot.send_message(chat, text.clone());
            if let Some(to) = to {
                request = request.reply_parameters(ReplyParameters::new(to).allow_sending_without_reply());
            }
            request.send()
        })
        .await
        .map(|m| m.id)
        .map_err(|e| job_error(chat, e))
    }

    /// Tells an agent something, as a reply to what they wrote.
    async fn staff_reply(&self, msg: &Message, text: &str) {
        if let Err(e) = self.send_plain(msg.chat.id, text, Some(msg.id)).await {
            tracing::error!(error = %e, "could not answer in the staff group");
        }
    }

    /// Posts a claim, then its files as replies to the post; the post's id.
    async fn post_claim(&self, chat: ChatId, card: &ClaimCard) -> Result<MessageId, JobError> {
        let html = post_html(&card.text);
        let post = self
            .retrying(Some(chat), || {
                self.bot
                    .send_message(chat, html.clone())
                    .parse_mode(ParseMode::Html)
                    .reply_markup(decision_keyboard(card.id))
                    .send()
            })
            .await
            .map_err(|e| job_error(chat, e))?;
        // The post is there from now on: a failure with its files must not
        // fail the job (its retry would post the claim twice).
        let lost = self.post_files(chat, post.id, card).await;
        if lost > 0 {
            tracing::error!(
                redemption = card.id,
                files = lost,
                "staff post without some of its files"
            );
            let note = format!(
                "{lost} file(s) of RDM-{} could not be attached here; see them with `redeemdesk review show {}`.",
                card.id, card.id
            );
            if let Err(e) = self.send_plain(chat, &note, Some(post.id)).await {
                tracing::error!(error = %e, "could not say that files are missing");
            }
        }
        Ok(post.id)
    }

    /// Sends a card's files under its post: photos (an album when several),
    /// then other files as documents; a photo Telegram refuses goes as a
    /// document. How many could not be sent.
    async fn post_files(&self, chat: ChatId, post: MessageId, card: &ClaimCard) -> usize {
        let reply = ReplyParameters::new(post).allow_sending_without_reply();
        let caption = |f: &CardFile| format!("RDM-{} · {}", card.id, f.filename);
        let (photos, others): (Vec<&CardFile>, Vec<&CardFile>) = card.files.iter().partition(|f| photo_ok(f));
        let mut as_documents = others;
        for album in photos.chunks(MAX_ALBUM) {
            let sent = match album {
                [one] => self
                    .retrying(Some(chat), || {
                        self.bot
                            .send_photo(
                                chat,
                                InputFile::memory(one.data.clone()).file_name(one.filename.clone()),
                            )
                            .caption(caption(one))
                            .reply_parameters(reply.clone())
                            .send()
                    })
                    .await
                    .map(drop),
                _ => self
                    .retrying(Some(chat), || {
                        let media = album.iter().map(|f| {
                            InputMedia::Photo(
                                InputMediaPhoto::new(InputFile::memory(f.data.clone()).file_name(f.filename.clone()))
                                    .caption(caption(f)),
                            )
                        });
                        self.bot
                            .send_media_group(chat, media)
                            .reply_parameters(reply.clone())
                            .send()
                    })
                    .await
                    .map(drop),
            };
            if let Err(e) = sent {
                tracing::warn!(error = %e, redemption = card.id, "photos refused; sending them as documents");
                as_documents.extend(album.iter().copied());
            }
        }
        let mut lost = 0;
        for f in as_documents {
            let sent = self
                .retrying(Some(chat), || {
                    self.bot
                        .send_document(chat, InputFile::memory(f.data.clone()).file_name(f.filename.clone()))
                        .caption(caption(f))
                        .reply_parameters(reply.clone())
                        .send()
                })
                .await;
            if let Err(e) = sent {
                tracing::error!(error = %e, redemption = card.id, "a file could not be sent to the staff group");
                lost += 1;
            }
        }
        lost
    }
}

/// Posts to the staff group for the outbox's staff desk.
pub struct TelegramStaffChannel {
    pub telegram: Arc<Telegram>,
    /// The staff group's chat id (`telegram.staff_chat_id`).
    pub chat: i64,
}

impl TelegramStaffChannel {
    fn chat(&self) -> ChatId {
        ChatId(self.chat)
    }
}

fn parse_message_id(id: &str) -> Result<MessageId, JobError> {
    id.parse::<i32>()
        .ok()
        .filter(|v| *v > 0)
        .map(MessageId)
        .ok_or_else(|| JobError::Permanent(format!("bad Telegram message id {id:?}")))
}

impl crate::staff::StaffChannel for TelegramStaffChannel {
    fn channel(&self) -> Channel {
        Channel::Telegram
    }

    fn chat_id(&self) -> String {
        self.chat.to_string()
    }

    fn post<'a>(&'a self, card: &'a ClaimCard) -> futures::future::BoxFuture<'a, Result<String, JobError>> {
        Box::pin(async move {
            let post = self.telegram.post_claim(self.chat(), card).await?;
            Ok(post.0.to_string())
        })
    }

    fn settle<'a>(
        &'a self,
        message_id: &'a str,
        label: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let post = parse_message_id(message_id)?;
            self.telegram.settle_post(self.chat(), post, None, label).await
        })
    }

    fn post_escalation<'a>(
        &'a self,
        card: &'a EscalationCard,
    ) -> futures::future::BoxFuture<'a, Result<String, JobError>> {
        Box::pin(async move {
            let chat = self.chat();
            let html = post_html(&card.text);
            let post = self
                .telegram
                .retrying(Some(chat), || {
                    self.telegram
                        .bot
                        .send_message(chat, html.clone())
                        .parse_mode(ParseMode::Html)
                        .send()
                })
                .await
                .map_err(|e| job_error(chat, e))?;
            Ok(post.id.0.to_string())
        })
    }

    /// A line as a reply to the escalation's post. It is remembered as one of
    /// the escalation's posts, since Telegram tells which message a reply
    /// answers but not what that message answered: an agent's reply (or
    /// `/close`) to the line then finds the escalation too.
    fn follow_up<'a>(
        &'a self,
        message_id: &'a str,
        text: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let chat = self.chat();
            let post = parse_message_id(message_id)?;
            let line = self.telegram.send_plain(chat, text, Some(post)).await?;
            let chat_id = self.chat_id();
            let remembered = async {
                let mut tx = self.telegram.db.begin_write().await?;
                if let Some(escalation) = tx.escalation_by_post(Channel::Telegram, &chat_id, message_id).await? {
                    tx.insert_escalation_post(Channel::Telegram, &chat_id, &line.0.to_string(), escalation, Utc::now())
                        .await?;
                }
                tx.commit().await
            }
            .await;
            if let Err(e) = remembered {
                // The line is there; only replies to it will not be routed.
                tracing::error!(error = %e, "could not remember an escalation's line in the staff group");
            }
            Ok(())
        })
    }
}

/// The staff group shows a campaign's progress in one message, edited as it goes.
impl crate::broadcast::ProgressBoard for TelegramStaffChannel {
    fn channel(&self) -> Channel {
        Channel::Telegram
    }

    fn chat_id(&self) -> String {
        self.chat.to_string()
    }

    fn post<'a>(&'a self, text: &'a str) -> futures::future::BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let post = self
                .telegram
                .send_plain(self.chat(), text, None)
                .await
                .map_err(|e| e.to_string())?;
            Ok(post.0.to_string())
        })
    }

    fn edit<'a>(&'a self, message_id: &'a str, text: &'a str) -> futures::future::BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let chat = self.chat();
            let post = parse_message_id(message_id).map_err(|e| e.to_string())?;
            let text = cut(text, MAX_MESSAGE);
            let edited = self
                .telegram
                .retrying(Some(chat), || {
                    self.telegram.bot.edit_message_text(chat, post, text.clone()).send()
                })
                .await;
            match edited {
                Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
                Err(e) => Err(job_error(chat, e).to_string()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_commands_parse() {
        let bot = "redeemdesk_bot";
        assert_eq!(parse_broadcast("/approve", bot), None);
        assert_eq!(parse_broadcast("/broadcast@other_bot x", bot), None);
        assert_eq!(
            parse_broadcast(
                "/broadcast@Redeemdesk_Bot promo-1 region=ID,sg category=PRO-DT category=AIO",
                bot
            ),
            Some(Ok(BroadcastRequest {
                promotion: "promo-1".into(),
                regions: vec!["ID".into(), "sg".into()],
                categories: vec!["PRO-DT".into(), "AIO".into()],
            }))
        );
        assert!(matches!(parse_broadcast("/broadcast", bot), Some(Err(_))));
        assert!(matches!(parse_broadcast("/broadcast region=ID", bot), Some(Err(_))));
        assert!(matches!(parse_broadcast("/broadcast p q", bot), Some(Err(_))));
        assert!(matches!(parse_broadcast("/broadcast p colour=red", bot), Some(Err(_))));
    }

    #[test]
    fn long_previews_are_split_under_the_limit() {
        let campaign = crate::broadcast::CampaignRecord {
            id: 7,
            promotion_id: "p".into(),
            status: crate::broadcast::CampaignStatus::Draft,
            filters: Default::default(),
            text_id: "kata ".repeat(900),
            text_en: "word ".repeat(900),
            created_by: "telegram:mita".into(),
            created_at: Utc::now(),
            confirmed_by: None,
            confirmed_at: None,
            finished_at: None,
        };
        let draft = Draft {
            campaign,
            audience: Default::default(),
        };
        let mut done = draft.campaign.clone();
        done.id = 3;
        done.status = crate::broadcast::CampaignStatus::Done;
        let text = broadcast_staff::preview(&draft, &[done]);
        assert!(text.contains("Announced before: campaign 3 (done)."), "{text}");
        let parts = crate::channels::split::split(&text, MAX_DRAFT_PART, |_, cut| cut);
        assert!(parts.len() >= 2);
        assert!(parts.iter().all(|p| p.encode_utf16().count() <= MAX_DRAFT_PART));
        assert!(parts.last().unwrap().contains("Confirm sends it"));
    }

    #[test]
    fn broadcast_buttons_parse_and_fit() {
        for (data, press) in [
            (format!("{BROADCAST_PREFIX}confirm:7"), Some(BroadcastPress::Confirm(7))),
            (format!("{BROADCAST_PREFIX}cancel:7"), Some(BroadcastPress::Cancel(7))),
            (format!("{BROADCAST_PREFIX}send:7"), None),
            (format!("{BROADCAST_PREFIX}confirm:x"), None),
            (format!("{BROADCAST_PREFIX}confirm:0"), None),
        ] {
            assert_eq!(BroadcastPress::parse(&data, BROADCAST_PREFIX), press, "{data}");
        }
        // Not a claim button: the claim buttons' parser leaves it alone.
        assert_eq!(parse_press(&format!("{BROADCAST_PREFIX}confirm:7")), None);
        for button in draft_keyboard(i64::MAX).inline_keyboard.iter().flatten() {
            let teloxide::types::InlineKeyboardButtonKind::CallbackData(data) = &button.kind else {
                panic!("a callback button");
            };
            assert!(data.len() <= 64, "{data}");
            assert!(BroadcastPress::parse(data, BROADCAST_PREFIX).is_some(), "{data}");
        }
    }

    #[test]
    fn presses_parse() {
        assert_eq!(parse_press("staff:approve:1044"), Some(Press::Approve(1044)));
        assert_eq!(parse_press("staff:reject:7"), Some(Press::Reject(7)));
        assert_eq!(parse_press("staff:cancel:7"), Some(Press::Cancel(7)));
        assert_eq!(
            parse_press("staff:reason:7:invoice_unreadable"),
            Some(Press::Reason(7, RejectionReason::InvoiceUnreadable))
        );
        assert_eq!(parse_press("staff:reason:7:bad_vibes"), None);
        assert_eq!(parse_press("staff:reason:7"), None);
        assert_eq!(parse_press("staff:approve:x"), None);
        assert_eq!(parse_press("staff:approve:1:2"), None);
        assert_eq!(parse_press("approve:1"), None);
    }

    #[test]
    fn button_data_fits_telegrams_64_bytes() {
        let keyboard = reason_keyboard(i64::MAX);
        for button in keyboard.inline_keyboard.iter().flatten() {
            let teloxide::types::InlineKeyboardButtonKind::CallbackData(data) = &button.kind else {
                panic!("a callback button");
            };
            assert!(data.len() <= 64, "{data}");
            assert!(parse_press(data).is_some(), "{data}");
        }
        assert_eq!(keyboard.inline_keyboard.len(), RejectionReason::ALL.len() + 1);
    }

    #[test]
    fn commands_parse() {
        let bot = "redeemdesk_bot";
        assert_eq!(
            parse_command("/approve  looks good ", bot),
            Some(Command::Approve {
                note: Some("looks good".into())
            })
        );
        assert_eq!(
            parse_command("/approve@Redeemdesk_Bot", bot),
            Some(Command::Approve { note: None })
        );
        assert_eq!(parse_command("/approve@other_bot ok", bot), None);
        assert_eq!(
            parse_command("/reject invoice_unreadable blurry photo", bot),
            Some(Command::Reject {
                reason: Ok(RejectionReason::InvoiceUnreadable),
                note: Some("blurry photo".into())
            })
        );
        assert_eq!(
            parse_command("/reject blurry", bot),
            Some(Command::Reject {
                reason: Err("blurry".into()),
                note: None
            })
        );
        assert_eq!(
            parse_command("/reject", bot),
            Some(Command::Reject {
                reason: Err(String::new()),
                note: None
            })
        );
        assert_eq!(parse_command("/close", bot), Some(Command::Close));
        assert_eq!(parse_command("/start", bot), None);
        assert_eq!(parse_command("thanks /close", bot), None);
    }

    #[test]
    fn posts_escape_and_fit() {
        let html = post_html("RDM-1 <b>&</b>");
        assert_eq!(html, "<pre>RDM-1 &lt;b&gt;&amp;&lt;/b&gt;</pre>");
        let long = "é".repeat(10_000);
        let html = settled_html(&long, "✅ Approved by rina");
        let shown = html.replace("<pre>", "").replace("</pre>", "");
        assert!(shown.encode_utf16().count() <= 4096);
        assert!(
            shown.ends_with("…\n✅ Approved by rina"),
            "{}",
            &shown[shown.len() - 40..]
        );
        assert_eq!(cut("😀😀😀", 4), "😀…");
    }
}
