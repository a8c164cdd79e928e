//! `/broadcast promotion:<id> [region:<codes>] [category:<codes>]`: the
//! marketing team announces a promotion from the staff channel's server. The
//! command prepares the campaign (`broadcast::campaign::prepare`: both texts
//! and the audience) and answers with the preview and two buttons; *Confirm*
//! writes the recipients and turns the campaign `sending`, which the runner of
//! `serve` then sends; *Cancel* drops it. Only members with the marketing
//! role may do any of it; anyone else is refused privately and nothing
//! changes. A guild command of the staff server only, never the assistant's.

use serenity::all::{
    ButtonStyle, ChannelId, CommandDataOptionValue, CommandInteraction, CommandOptionType, ComponentInteraction,
    CreateActionRow, CreateButton, CreateCommand, CreateCommandOption, CreateInteractionResponse,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, EditInteractionResponse, InteractionContext,
    Member,
};
use serenity::builder::Builder;

use super::{Discord, Outgoing, Responder, escape, messages, no_mentions};
use crate::assistant::Rendered;
use crate::broadcast::Draft;
use crate::broadcast::staff::{self, Checked, NOT_MARKETING, Prepared, Press, Request};

/// The command's name.
pub const BROADCAST: &str = "broadcast";
/// Prefix of the preview's buttons' ids: `marketing:confirm:<campaign>`,
/// `marketing:cancel:<campaign>`.
pub const PREFIX: &str = "marketing:";
const PROMOTION: &str = "promotion";
const REGION: &str = "region";
const CATEGORY: &str = "category";
/// Discord refuses longer messages.
const DISCORD_LIMIT: usize = 2000;

/// The command, registered in the staff channel's server when a marketing
/// role is configured. English, like the other staff commands.
pub(super) fn command() -> CreateCommand {
    CreateCommand::new(BROADCAST)
        .description("Announce a promotion to its subscribers (a preview first, then Confirm)")
        .contexts(vec![InteractionContext::Guild])
        .add_option(
            CreateCommandOption::new(
                CommandOptionType::String,
                PROMOTION,
                "The promotion's id, e.g. smart-office-2026",
            )
            .required(true)
            .max_length(100),
        )
        .add_option(
            CreateCommandOption::new(
                CommandOptionType::String,
                REGION,
                "Only subscribers in these regions: codes, comma-separated (e.g. ID)",
            )
            .required(false)
            .max_length(200),
        )
        .add_option(
            CreateCommandOption::new(
                CommandOptionType::String,
                CATEGORY,
                "Only owners of these product categories: codes, comma-separated (e.g. AIO)",
            )
            .required(false)
            .max_length(200),
        )
}

fn buttons(campaign: i64, total: i64) -> Vec<CreateActionRow> {
    vec![CreateActionRow::Buttons(vec![
        CreateButton::new(Press::Confirm(campaign).data(PREFIX))
            .label(format!("Confirm: send to {total}"))
            .style(ButtonStyle::Success),
        CreateButton::new(Press::Cancel(campaign).data(PREFIX))
            .label("Cancel")
            .style(ButtonStyle::Secondary),
    ])]
}

/// The preview as Discord messages (escaped, split), the buttons on the last.
fn preview_parts(draft: &Draft, checked: &Checked) -> Vec<Outgoing> {
    let text = staff::preview(draft, &checked.announced);
    let mut parts = messages(
        &Rendered {
            text,
            buttons: Vec::new(),
        },
        "",
    );
    if let Some(last) = parts.last_mut() {
        last.components = buttons(draft.campaign.id, draft.audience.total());
    }
    parts
}

/// A list option: codes separated by commas or spaces.
fn codes(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `content` with `label` on a line after it, within Discord's limit.
fn with_label(content: &str, label: &str) -> String {
    let room = DISCORD_LIMIT.saturating_sub(label.chars().count() + 3);
    let mut content: String = content.chars().take(room).collect();
    if content.ends_with('\\') {
        content.pop();
    }
    format!("{content}\n\n{label}")
}

/// What the command or a button ends in.
enum Answer {
    /// Only the asker sees it.
    Private(String),
    /// The preview, for everyone in the channel.
    Preview(Vec<Outgoing>),
    /// The pressed message's new text; its buttons go.
    Update(String),
}

fn option<'a>(command: &'a CommandInteraction, name: &str) -> Option<&'a str> {
    command
        .data
        .options
        .iter()
        .find(|o| o.name == name)
        .and_then(|o| match &o.value {
            CommandDataOptionValue::String(s) => Some(s.as_str()),
            _ => None,
        })
}

impl Discord {
    /// Whether `member` has the marketing role (nobody has, when none is
    /// configured) and acts in the staff channel: a role alone would let a
    /// marketer start a campaign from any channel of the server, where others
    /// watch and press.
    fn is_marketer(&self, member: Option<&Member>, channel: ChannelId) -> bool {
        let in_staff_channel = self.options.staff.as_ref().is_some_and(|s| s.channel == channel);
        match (self.options.marketing_role, member) {
            (Some(role), Some(member)) => in_staff_channel && member.roles.contains(&role),
            _ => false,
        }
    }

    /// `/broadcast`: checked (role, promotion, filters), then prepared and previewed.
    pub(super) async fn on_broadcast_command(&self, command: &CommandInteraction) {
        let responder = Responder {
            id: command.id,
            token: &command.token,
            channel: command.channel_id,
            ephemeral: false,
            may_update: false,
            component: false,
        };
        if !self.is_marketer(command.member.as_deref(), command.channel_id) {
            tracing::warn!(user = %command.user.id, "/broadcast used without the marketing role or outside the staff channel");
            return self
                .give(&responder, Answer::Private(NOT_MARKETING.into()), false)
                .await;
        }
        let request = Request {
            promotion: option(command, PROMOTION).unwrap_or_default().to_owned(),
            regions: codes(option(command, REGION)),
            categories: codes(option(command, CATEGORY)),
        };
        // Checked before the answer window starts, so a mistake is answered
        // privately and at once; preparing may take longer.
        let checked = match staff::check(&self.db, &request).await {
            Ok(checked) => checked,
            Err(refusal) => return self.give(&responder, Answer::Private(refusal.text()), false).await,
        };
        let by = format!("discord:{}", command.user.name);
        let work = async {
            match staff::prepare(&self.db, &checked, &by, &self.options.announcements).await {
                Ok(Prepared::Draft(draft)) => Answer::Preview(preview_parts(&draft, &checked)),
                Ok(Prepared::Empty(text)) => Answer::Private(text),
                Err(refusal) => Answer::Private(refusal.text()),
            }
        };
        self.within_window(&responder, work).await;
    }

    /// A press on the preview's *Confirm* or *Cancel*.
    pub(super) async fn on_broadcast_button(&self, component: &ComponentInteraction) {
        let responder = Responder {
            id: component.id,
            token: &component.token,
            channel: component.channel_id,
            ephemeral: true,
            may_update: true,
            component: true,
        };
        let Some(press) = Press::parse(&component.data.custom_id, PREFIX) else {
            return self
                .give(&responder, Answer::Private("This button is not known.".into()), false)
                .await;
        };
        if !self.is_marketer(component.member.as_ref(), component.channel_id) {
            tracing::warn!(user = %component.user.id, "a broadcast button pressed without the marketing role or outside the staff channel");
            return self
                .give(&responder, Answer::Private(NOT_MARKETING.into()), false)
                .await;
        }
        let work = async {
            let name = &component.user.name;
            let by = format!("discord:{name}");
            match staff::settle(&self.db, press, &escape(name), &by, &self.options.announcements).await {
                Ok(label) => Answer::Update(with_label(&component.message.content, &label)),
                Err(refusal) => Answer::Private(refusal.text()),
            }
        };
        self.within_window(&responder, work).await;
    }

    /// Runs `work` within Discord's 3-second window: its answer at once when
    /// quick; else the interaction is deferred first (publicly for a command,
    /// silently for a button) and the answer completes it.
    async fn within_window(&self, responder: &Responder<'_>, work: impl Future<Output = Answer>) {
        tokio::pin!(work);
        // A zero `defer_after` always defers (tokio's timer would only fire
        // at its next tick, after a fast answer).
        let early = if self.options.defer_after.is_zero() {
            None
        } else {
            tokio::select! {
                answer = &mut work => Some(answer),
                () = tokio::time::sleep(self.options.defer_after) => None,
            }
        };
        if let Some(answer) = early {
            return self.give(responder, answer, false).await;
        }
        let defer = if responder.component {
            CreateInteractionResponse::Acknowledge
        } else {
            CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new())
        };
        let deferred = self.respond(responder, defer).await.is_ok();
        let answer = work.await;
        self.give(responder, answer, deferred).await;
    }

    /// Gives the answer: as the interaction's response, or after a deferral
    /// into the deferred message (a private answer then as a follow-up).
    async fn give(&self, responder: &Responder<'_>, answer: Answer, deferred: bool) {
        let sent = match answer {
            Answer::Private(text) => {
                let text = escape(&text);
                if deferred && !responder.component {
                    // The "thinking…" message is public: it says the outcome.
                    let edit = EditInteractionResponse::new()
                        .content(text)
                        .allowed_mentions(no_mentions());
                    self.retrying(|| edit.clone().execute(&self.http, responder.token))
                        .await
                        .map(drop)
                } else if deferred {
                    let message = CreateInteractionResponseFollowup::new()
                        .content(text)
                        .ephemeral(true)
                        .allowed_mentions(no_mentions());
                    self.retrying(|| message.clone().execute(&self.http, (None, responder.token)))
                        .await
                        .map(drop)
                } else {
                    let body = CreateInteractionResponseMessage::new()
                        .content(text)
                        .ephemeral(true)
                        .allowed_mentions(no_mentions());
                    self.respond(responder, CreateInteractionResponse::Message(body)).await
                }
            }
            Answer::Update(content) => {
                if deferred {
                    let edit = EditInteractionResponse::new()
                        .content(content)
                        .components(Vec::new())
                        .allowed_mentions(no_mentions());
                    self.retrying(|| edit.clone().execute(&self.http, responder.token))
                        .await
                        .map(drop)
                } else {
                    let body = CreateInteractionResponseMessage::new()
                        .content(content)
                        .components(Vec::new())
                        .allowed_mentions(no_mentions());
                    self.respond(responder, CreateInteractionResponse::UpdateMessage(body))
                        .await
                }
            }
            Answer::Preview(parts) => {
                let Some((first, rest)) = parts.split_first() else {
                    return;
                };
                let first_sent = if deferred {
                    let edit = EditInteractionResponse::new()
                        .content(first.content.clone())
                        .components(first.components.clone())
                        .allowed_mentions(no_mentions());
                    self.retrying(|| edit.clone().execute(&self.http, responder.token))
                        .await
                        .map(drop)
                } else {
                    let body = CreateInteractionResponseMessage::new()
                        .content(first.content.clone())
                        .components(first.components.clone())
                        .allowed_mentions(no_mentions());
                    self.respond(responder, CreateInteractionResponse::Message(body)).await
                };
                match first_sent {
                    Ok(()) => self.follow_up(responder, rest).await,
                    Err(f) => Err(f),
                }
            }
        };
        if let Err(f) = sent {
            tracing::error!(failure = ?f, "the answer to a broadcast command or button was lost");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_ids_parse() {
        let parse = |id: &str| Press::parse(id, PREFIX);
        assert_eq!(parse("marketing:confirm:12"), Some(Press::Confirm(12)));
        assert_eq!(parse("marketing:cancel:7"), Some(Press::Cancel(7)));
        assert_eq!(parse("staff:approve:1"), None);
    }

    #[test]
    fn the_command_fits_discord() {
        let json = serde_json::to_value(command()).unwrap();
        assert_eq!(json["name"], BROADCAST);
        assert!((1..=100).contains(&json["description"].as_str().unwrap().chars().count()));
        assert_eq!(json["contexts"], serde_json::json!([0]));
        let options = json["options"].as_array().unwrap();
        assert_eq!(options.len(), 3);
        assert_eq!(options[0]["name"], PROMOTION);
        assert_eq!(options[0]["required"], true);
        for o in options {
            assert!(
                (1..=100).contains(&o["description"].as_str().unwrap().chars().count()),
                "{o}"
            );
        }
        assert!(!super::super::escalation::is_staff_command(BROADCAST));
        let l = crate::i18n::Localizer::builtin();
        for slash in super::super::Slash::ALL {
            assert_ne!(slash.name(l), BROADCAST);
        }
    }

    #[test]
    fn labels_fit_and_codes_split() {
        let long = "x".repeat(1990);
        let labelled = with_label(&long, "✅ Confirmed by someone: sending campaign 1 to 3 recipient(s).");
        assert!(labelled.chars().count() <= DISCORD_LIMIT);
        assert!(labelled.ends_with("recipient(s)."));
        assert_eq!(codes(Some("ID, my ,  sg")), ["ID", "my", "sg"]);
        assert!(codes(None).is_empty());
    }
}
