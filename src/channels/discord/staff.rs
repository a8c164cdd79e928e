//! The staff channel on Discord: claims posted with their files (images show
//! inline, PDFs attached) and *Approve* / *Reject* buttons; *Reject* asks for a
//! reason with a select menu only the presser sees. Only members with the
//! configured staff role may decide; anyone else is refused and nothing
//! changes. A decision runs `review::decide` (the CLI's code: lease check,
//! the customer's email through the outbox) and edits the post to say who
//! decided what.

use serenity::all::{
    AutoArchiveDuration, ButtonStyle, ChannelId, ComponentInteraction, ComponentInteractionDataKind, CreateActionRow,
    CreateAttachment, CreateButton, CreateInteractionResponse, CreateInteractionResponseMessage, CreateMessage,
    CreateSelectMenu, CreateSelectMenuKind, CreateSelectMenuOption, CreateThread, EditMessage, MessageId, RoleId,
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
}

fn parse(custom_id: &str, kind: &ComponentInteractionDataKind) -> Option<Press> {
    let rest = custom_id.strip_prefix(PREFIX)?;
    let mut parts = rest.split(':');
    let (what, id) = (parts.next()?, parts.next()?.parse().ok()?);
    match what {
        "approve" => Some(Press::Approve(id)),
        "reject" => Some(Press::Reject(id)),
        "reason" => {
            let post = parts.next()?.parse().ok()?;
            Some(Press::Reason { id, post })
        }
        _ => None,
    }
    .filter(|_| !matches!(kind, ComponentInteractionDataKind::Unknown(_)))
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
        let Some(press) = parse(&component.data.custom_id, &component.data.kind) else {
            return self.staff_reply(component, "This button is not known.").await;
        };
        let allowed = match (staff.role, &component.member) {
            (Some(role), Some(member)) => member.roles.contains(&role),
            _ => false,
        };
        if !allowed || component.channel_id != staff.channel {
            tracing::warn!(user = %component.user.id, "a staff button pressed by someone without the staff role");
            return self
                .staff_reply(component, "Only staff can decide claims. Nothing was changed.")
                .await;
        }
        let reviewer = component.user.name.clone();
        match press {
            Press::Approve(id) => {
                let outcome = self.decide(id, Decision::Approve { note: None }, &reviewer).await;
                self.after_decision(
                    component,
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
                let _ = self
                    .respond_to(component, CreateInteractionResponse::Message(body))
                    .await;
            }
            Press::Reason { id, post } => {
                let reason = match &component.data.kind {
                    ComponentInteractionDataKind::StringSelect { values } => {
                        values.first().and_then(|v| RejectionReason::parse(v).ok())
                    }
                    _ => None,
                };
                let Some(reason) = reason else {
                    return self.staff_reply(component, "Choose one of the listed reasons.").await;
                };
                let outcome = self
                    .decide(id, Decision::Reject { reason, note: None }, &reviewer)
                    .await;
                let label = format!("❌ Rejected by {reviewer}: {}", reason.code());
                self.after_decision(component, id, MessageId::new(post), outcome, &label)
                    .await;
            }
        }
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
        component: &ComponentInteraction,
        id: i64,
        post: MessageId,
        outcome: Result<(), ReviewError>,
        label: &str,
    ) {
        match outcome {
            Ok(()) => {
                let edited = self.mark_post(component.channel_id, post, label).await;
                if let Err(e) = async {
                    let mut tx = self.db.begin_write().await?;
                    tx.mark_staff_post_decided(
                        Channel::Discord,
                        &component.channel_id.to_string(),
                        &post.to_string(),
                        &component.user.name,
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
                self.staff_reply(component, &format!("RDM-{id}: {label}{note}")).await;
            }
            Err(e) => {
                self.staff_reply(component, &format!("Nothing changed: {e}")).await;
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

    /// An answer only the presser sees.
    async fn staff_reply(&self, component: &ComponentInteraction, text: &str) {
        let body = CreateInteractionResponseMessage::new()
            .content(super::escape(text))
            .ephemeral(true)
            .allowed_mentions(no_mentions());
        let _ = self
            .respond_to(component, CreateInteractionResponse::Message(body))
            .await;
    }

    async fn respond_to(
        &self,
        component: &ComponentInteraction,
        response: CreateInteractionResponse,
    ) -> Result<(), Failure> {
        self.retrying(|| {
            response
                .clone()
                .execute(&self.http, (component.id, component.token.as_str()))
        })
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
        let button = ComponentInteractionDataKind::Button;
        assert_eq!(parse("staff:approve:1044", &button), Some(Press::Approve(1044)));
        assert_eq!(parse("staff:reject:7", &button), Some(Press::Reject(7)));
        assert_eq!(
            parse("staff:reason:7:99", &button),
            Some(Press::Reason { id: 7, post: 99 })
        );
        assert_eq!(parse("staff:reason:7", &button), None);
        assert_eq!(parse("staff:approve:x", &button), None);
        assert_eq!(parse("approve:1", &button), None);
    }
}
