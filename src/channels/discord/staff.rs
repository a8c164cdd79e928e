//! The staff channel on Discord: claims posted with their files (images show
//! inline, PDFs attached) and *Approve* / *Reject* buttons; *Reject* asks for a
//! reason with a select menu only the presser sees, then for an optional note
//! to the customer in a modal. Only members with the configured staff role may
//! decide; anyone else is refused and nothing changes. A decision runs
//! `review::decide` (the CLI's code: lease check, the customer's email through
//! the outbox) and edits the post to say who decided what. Escalations are
//! posted here too, each with a thread for the agents' `/reply` and `/close`
//! (`escalation.rs`).

use serenity::all::{
    ActionRowComponent, AutoArchiveDuration, ButtonStyle, ChannelId, ComponentInteraction,
    ComponentInteractionDataKind, CreateActionRow, CreateAttachment, CreateButton, CreateInputText,
    CreateInteractionResponse, CreateInteractionResponseMessage, CreateMessage, CreateModal, CreateSelectMenu,
    CreateSelectMenuKind, CreateSelectMenuOption, CreateThread, EditMessage, InputTextStyle, InteractionId, Member,
    MessageId, ModalInteraction, RoleId, User,
};
use serenity::builder::Builder;

use super::{Discord, Failure, no_mentions};
use crate::domain::{Actor, Channel, Locale, RejectionReason};
use crate::i18n::Msg;
use crate::jobs::JobError;
use crate::review::{Decision, ReviewError};
use crate::staff::{ClaimCard, EscalationCard};

/// Prefix of every staff component's id.
pub const PREFIX: &str = "staff:";
/// Discord's limit on a message's text.
const MAX_TEXT: usize = 1900;
/// The note modal's one text input.
const NOTE_INPUT: &str = "note";
/// Characters of a note (it goes into the rejection email).
const MAX_NOTE: u16 = 1000;

/// Where staff work on Discord.
#[derive(Debug, Clone, Copy)]
pub struct StaffConfig {
    pub channel: ChannelId,
    /// Members with this role may decide; without it nobody may (from Discord).
    pub role: Option<RoleId>,
}

/// What a staff component asks.
#[derive(Debug, PartialEq, Eq)]
enum Press {
    Approve(i64),
    Reject(i64),
    /// The reason chosen for rejecting claim `id`, asked from post `post`.
    Reason {
        id: i64,
        post: u64,
    },
    /// The note modal submitted: reject claim `id` (post `post`) for `reason`.
    Note {
        id: i64,
        reason: RejectionReason,
        post: u64,
    },
}

fn parse(custom_id: &str) -> Option<Press> {
    let rest = custom_id.strip_prefix(PREFIX)?;
    let mut parts = rest.split(':');
    let (what, id) = (parts.next()?, parts.next()?.parse().ok()?);
    let press = match what {
        "approve" => Press::Approve(id),
        "reject" => Press::Reject(id),
        "reason" => Press::Reason {
            id,
            post: parts.next()?.parse().ok()?,
        },
        "note" => Press::Note {
            id,
            reason: RejectionReason::parse(parts.next()?).ok()?,
            post: parts.next()?.parse().ok()?,
        },
        _ => return None,
    };
    parts.next().is_none().then_some(press)
}

/// The parts of a staff interaction (a press, or the note modal's submit) that
/// deciding and answering need.
struct Asker<'a> {
    id: InteractionId,
    token: &'a str,
    channel: ChannelId,
    user: &'a User,
    member: Option<&'a Member>,
    /// The note modal's submit, opened from the reason menu: the answer
    /// replaces the menu, which has served its purpose.
    replaces_menu: bool,
}

impl<'a> Asker<'a> {
    fn component(c: &'a ComponentInteraction) -> Self {
        Self {
            id: c.id,
            token: &c.token,
            channel: c.channel_id,
            user: &c.user,
            member: c.member.as_ref(),
            replaces_menu: false,
        }
    }

    fn modal(m: &'a ModalInteraction) -> Self {
        Self {
            id: m.id,
            token: &m.token,
            channel: m.channel_id,
            user: &m.user,
            member: m.member.as_ref(),
            replaces_menu: m.message.is_some(),
        }
    }
}

/// Whether `member` has the staff role (nobody has, when none is configured).
pub(super) fn has_role(staff: StaffConfig, member: Option<&Member>) -> bool {
    match (staff.role, member) {
        (Some(role), Some(member)) => member.roles.contains(&role),
        _ => false,
    }
}

/// The note modal for rejecting claim `id` for `reason`, asked from post `post`.
fn note_modal(id: i64, reason: RejectionReason, post: u64) -> CreateModal {
    let placeholder = format!(
        "Reason: {}. What you write here goes into the rejection email.",
        reason.code()
    );
    let input = CreateInputText::new(
        InputTextStyle::Paragraph,
        "Note for the customer (optional)",
        NOTE_INPUT,
    )
    .required(false)
    .max_length(MAX_NOTE)
    .placeholder(placeholder.chars().take(100).collect::<String>());
    CreateModal::new(
        format!("{PREFIX}note:{id}:{}:{post}", reason.code()),
        format!("Reject RDM-{id}"),
    )
    .components(vec![CreateActionRow::InputText(input)])
}

/// The note typed in the modal, if any.
fn note_of(modal: &ModalInteraction) -> Option<String> {
    modal
        .data
        .components
        .iter()
        .flat_map(|row| &row.components)
        .find_map(|c| match c {
            ActionRowComponent::InputText(input) if input.custom_id == NOTE_INPUT => input.value.clone(),
            _ => None,
        })
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The post's text: the staff view, shown literally, cut to fit.
fn post_text(card: &ClaimCard) -> String {
    let text = format!("```\n{}\n```", card.text.replace("```", "'''"));
    if text.chars().count() <= MAX_TEXT {
        return text;
    }
    let cut: String = card.text.chars().take(MAX_TEXT - 20).collect();
    format!("```\n{}\n…\n```", cut.replace("```", "'''"))
}

fn buttons(id: i64) -> Vec<CreateActionRow> {
    vec![CreateActionRow::Buttons(vec![
        CreateButton::new(format!("{PREFIX}approve:{id}"))
            .label("Approve")
            .style(ButtonStyle::Success),
        CreateButton::new(format!("{PREFIX}reject:{id}"))
            .label("Reject")
            .style(ButtonStyle::Danger),
    ])]
}

impl Discord {
    /// Posts an escalation to the staff channel and starts its thread (where
    /// agents answer with `/reply`); the post's message id, which is also the
    /// thread's.
    pub(super) async fn post_escalation(&self, channel: ChannelId, card: &EscalationCard) -> Result<String, JobError> {
        let text = format!("```\n{}\n```", cut(&card.text).replace("```", "'''"));
        let message = CreateMessage::new().content(text).allowed_mentions(no_mentions());
        let post = match self.send(channel, message).await {
            Ok(m) => m,
            Err(Failure::Blocked) => {
                return Err(JobError::Permanent("the bot may not post in the staff channel".into()));
            }
            Err(Failure::Lost) => return Err(JobError::Transient("Discord did not take the escalation".into())),
        };
        let thread =
            CreateThread::new(format!("Escalation #{}", card.id)).auto_archive_duration(AutoArchiveDuration::OneWeek);
        if let Err(f) = self
            .retrying(|| channel.create_thread_from_message(&self.http, post.id, thread.clone()))
            .await
        {
            // The post is there: a retry would post it twice. Agents can still
            // start the thread by hand; the follow-ups will fail until then.
            tracing::error!(escalation = card.id, failure = ?f, "could not start the escalation's thread");
        }
        Ok(post.id.to_string())
    }

    /// Posts a claim to the staff channel; the post's message id.
    pub(super) async fn post_claim(&self, channel: ChannelId, card: &ClaimCard) -> Result<String, JobError> {
        let files: Vec<CreateAttachment> = card
            .files
            .iter()
            .map(|f| CreateAttachment::bytes(f.data.clone(), f.filename.clone()))
            .collect();
        let message = CreateMessage::new()
            .content(post_text(card))
            .add_files(files)
            .components(buttons(card.id))
            .allowed_mentions(no_mentions());
        match self.send(channel, message).await {
            Ok(m) => Ok(m.id.to_string()),
            Err(Failure::Blocked) => Err(JobError::Permanent("the bot may not post in the staff channel".into())),
            Err(Failure::Lost) => Err(JobError::Transient("Discord did not take the staff post".into())),
        }
    }

    /// A press on a staff post or on the reason menu.
    pub(super) async fn on_staff(&self, staff: StaffConfig, component: &ComponentInteraction) {
        let asker = Asker::component(component);
        let press = parse(&component.data.custom_id)
            .filter(|_| !matches!(component.data.kind, ComponentInteractionDataKind::Unknown(_)));
        let Some(press) = press else {
            return self.staff_reply(&asker, "This button is not known.").await;
        };
        if !self.may_decide(staff, &asker) {
            return self
                .staff_reply(&asker, "Only staff can decide claims. Nothing was changed.")
                .await;
        }
        let reviewer = component.user.name.clone();
        match press {
            Press::Approve(id) => {
                let outcome = self.decide(id, Decision::Approve { note: None }, &reviewer).await;
                self.after_decision(
                    &asker,
                    staff.channel,
                    id,
                    component.message.id,
                    outcome,
                    &format!("✅ Approved by {reviewer}"),
                )
                .await;
            }
            Press::Reject(id) => {
                let options = RejectionReason::ALL
                    .iter()
                    .map(|r| {
                        let text = self
                            .localizer
                            .render(Locale::En, &Msg::new(crate::assistant::words::reason(*r)));
                        CreateSelectMenuOption::new(r.code(), r.code())
                            .description(text.chars().take(100).collect::<String>())
                    })
                    .collect();
                let menu = CreateSelectMenu::new(
                    format!("{PREFIX}reason:{id}:{}", component.message.id),
                    CreateSelectMenuKind::String { options },
                )
                .placeholder("Reason for rejecting");
                let body = CreateInteractionResponseMessage::new()
                    .content(format!("Reject RDM-{id}: choose the reason the customer must fix."))
                    .components(vec![CreateActionRow::SelectMenu(menu)])
                    .ephemeral(true)
                    .allowed_mentions(no_mentions());
                let _ = self.respond_to(&asker, CreateInteractionResponse::Message(body)).await;
            }
            Press::Reason { id, post } => {
                let reason = match &component.data.kind {
                    ComponentInteractionDataKind::StringSelect { values } => {
                        values.first().and_then(|v| RejectionReason::parse(v).ok())
                    }
                    _ => None,
                };
                let Some(reason) = reason else {
                    return self.staff_reply(&asker, "Choose one of the listed reasons.").await;
                };
                // Decided on the modal's submit, with the note if one is typed.
                let modal = note_modal(id, reason, post);
                let _ = self.respond_to(&asker, CreateInteractionResponse::Modal(modal)).await;
            }
            Press::Note { .. } => self.staff_reply(&asker, "This button is not known.").await,
        }
    }

    /// The note modal submitted: the claim is rejected for the reason chosen
    /// before, with the note. The same checks as a press.
    pub(super) async fn on_staff_modal(&self, staff: StaffConfig, modal: &ModalInteraction) {
        let mut asker = Asker::modal(modal);
        // Refusals are answers of their own; only an outcome replaces the menu.
        let replaces_menu = std::mem::replace(&mut asker.replaces_menu, false);
        let Some(Press::Note { id, reason, post }) = parse(&modal.data.custom_id) else {
            return self.staff_reply(&asker, "This form is not known.").await;
        };
        if !self.may_decide(staff, &asker) {
            return self
                .staff_reply(&asker, "Only staff can decide claims. Nothing was changed.")
                .await;
        }
        asker.replaces_menu = replaces_menu;
        let reviewer = modal.user.name.clone();
        let decision = Decision::Reject {
            reason,
            note: note_of(modal),
        };
        let outcome = self.decide(id, decision, &reviewer).await;
        let label = format!("❌ Rejected by {reviewer}: {}", reason.code());
        self.after_decision(&asker, staff.channel, id, MessageId::new(post), outcome, &label)
            .await;
    }

    /// Staff role, in the staff channel.
    fn may_decide(&self, staff: StaffConfig, asker: &Asker<'_>) -> bool {
        let allowed = has_role(staff, asker.member) && asker.channel == staff.channel;
        if !allowed {
            tracing::warn!(user = %asker.user.id, "a staff button pressed by someone without the staff role");
        }
        allowed
    }

    async fn decide(&self, id: i64, decision: Decision, reviewer: &str) -> Result<(), ReviewError> {
        crate::review::decide(
            &self.db,
            id,
            decision,
            Actor::Staff(format!("discord:{reviewer}")),
            &self.options.mail,
            chrono::Utc::now(),
        )
        .await
        .map(drop)
    }

    /// Tells the presser how it went and, when decided, marks the post.
    async fn after_decision(
        &self,
        asker: &Asker<'_>,
        channel: ChannelId,
        id: i64,
        post: MessageId,
        outcome: Result<(), ReviewError>,
        label: &str,
    ) {
        match outcome {
            Ok(()) => {
                let edited = self.mark_post(channel, post, label).await;
                if let Err(e) = async {
                    let mut tx = self.db.begin_write().await?;
                    tx.mark_staff_post_decided(
                        Channel::Discord,
                        &channel.to_string(),
                        &post.to_string(),
                        &asker.user.name,
                        chrono::Utc::now(),
                    )
                    .await?;
                    tx.commit().await
                }
                .await
                {
                    tracing::error!(error = %e, redemption = id, "could not record the staff decision on its post");
                }
                let note = if edited { "" } else { " (the post could not be updated)" };
                self.staff_reply(asker, &format!("RDM-{id}: {label}{note}")).await;
            }
            Err(e) => {
                self.staff_reply(asker, &format!("Nothing changed: {e}")).await;
            }
        }
    }

    /// Replaces the post's buttons with who decided what.
    async fn mark_post(&self, channel: ChannelId, post: MessageId, label: &str) -> bool {
        let current = self
            .retrying(|| async { self.http.get_message(channel, post).await })
            .await;
        let content = match current {
            Ok(m) => format!("{}\n{label}", m.content),
            Err(_) => label.to_owned(),
        };
        let edit = EditMessage::new().content(content).components(Vec::new());
        self.retrying(|| edit.clone().execute(&self.http, (channel, post, None)))
            .await
            .is_ok()
    }

    /// An answer only the presser sees (after the note modal: in place of
    /// the reason menu, which goes).
    async fn staff_reply(&self, asker: &Asker<'_>, text: &str) {
        let body = CreateInteractionResponseMessage::new()
            .content(super::escape(text))
            .allowed_mentions(no_mentions());
        let response = if asker.replaces_menu {
            CreateInteractionResponse::UpdateMessage(body.components(Vec::new()))
        } else {
            CreateInteractionResponse::Message(body.ephemeral(true))
        };
        let _ = self.respond_to(asker, response).await;
    }

    async fn respond_to(&self, asker: &Asker<'_>, response: CreateInteractionResponse) -> Result<(), Failure> {
        self.retrying(|| response.clone().execute(&self.http, (asker.id, asker.token)))
            .await
    }
}

/// Posts to the staff channel for the outbox's staff desk.
pub struct DiscordStaffChannel {
    pub discord: std::sync::Arc<Discord>,
    pub channel: ChannelId,
}

impl crate::staff::StaffChannel for DiscordStaffChannel {
    fn channel(&self) -> Channel {
        Channel::Discord
    }

    fn chat_id(&self) -> String {
        self.channel.to_string()
    }

    fn post<'a>(&'a self, card: &'a ClaimCard) -> futures::future::BoxFuture<'a, Result<String, JobError>> {
        Box::pin(self.discord.post_claim(self.channel, card))
    }

    fn settle<'a>(
        &'a self,
        message_id: &'a str,
        label: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let post = parse_id(message_id)?;
            if self.discord.mark_post(self.channel, MessageId::new(post), label).await {
                Ok(())
            } else {
                Err(JobError::Transient(
                    "Discord did not take the edit of the staff post".into(),
                ))
            }
        })
    }

    fn post_escalation<'a>(
        &'a self,
        card: &'a EscalationCard,
    ) -> futures::future::BoxFuture<'a, Result<String, JobError>> {
        Box::pin(self.discord.post_escalation(self.channel, card))
    }

    fn follow_up<'a>(
        &'a self,
        message_id: &'a str,
        text: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            // A thread started from a message has the message's id.
            let thread = ChannelId::new(parse_id(message_id)?);
            let message = CreateMessage::new()
                .content(super::escape(&cut(text)))
                .allowed_mentions(no_mentions());
            match self.discord.send(thread, message).await {
                Ok(_) => Ok(()),
                Err(Failure::Blocked) => Err(JobError::Permanent(
                    "the bot may not post in the escalation's thread".into(),
                )),
                Err(Failure::Lost) => Err(JobError::Transient("Discord did not take the follow-up".into())),
            }
        })
    }
}

fn parse_id(id: &str) -> Result<u64, JobError> {
    id.parse::<u64>()
        .ok()
        .filter(|v| *v != 0)
        .ok_or_else(|| JobError::Permanent(format!("bad Discord message id {id:?}")))
}

/// Text cut to fit one Discord message.
fn cut(text: &str) -> String {
    if text.chars().count() <= MAX_TEXT {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(MAX_TEXT - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_ids_parse() {
        assert_eq!(parse("staff:approve:1044"), Some(Press::Approve(1044)));
        assert_eq!(parse("staff:reject:7"), Some(Press::Reject(7)));
        assert_eq!(parse("staff:reason:7:99"), Some(Press::Reason { id: 7, post: 99 }));
        assert_eq!(
            parse("staff:note:7:invoice_unreadable:99"),
            Some(Press::Note {
                id: 7,
                reason: RejectionReason::InvoiceUnreadable,
                post: 99
            })
        );
        assert_eq!(parse("staff:note:7:no_such_reason:99"), None);
        assert_eq!(parse("staff:reason:7"), None);
        assert_eq!(parse("staff:reason:7:99:1"), None);
        assert_eq!(parse("staff:approve:x"), None);
        assert_eq!(parse("approve:1"), None);
    }

    #[test]
    fn the_note_modal_fits_discord_for_every_reason() {
        for reason in RejectionReason::ALL {
            let modal = serde_json::to_value(note_modal(1_000_000, reason, u64::MAX)).unwrap();
            let custom_id = modal["custom_id"].as_str().unwrap();
            assert!(custom_id.len() <= 100, "{custom_id}");
            assert_eq!(
                parse(custom_id),
                Some(Press::Note {
                    id: 1_000_000,
                    reason,
                    post: u64::MAX
                })
            );
            assert!(modal["title"].as_str().unwrap().chars().count() <= 45);
            let input = &modal["components"][0]["components"][0];
            assert_eq!(input["type"], 4);
            assert_eq!(input["style"], 2, "a paragraph");
            assert_eq!(input["required"], false);
            assert!(input["label"].as_str().unwrap().chars().count() <= 45);
            assert!(input["placeholder"].as_str().unwrap().chars().count() <= 100);
        }
    }
}
