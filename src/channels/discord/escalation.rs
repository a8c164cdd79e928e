//! Escalations in the Discord staff channel, from the agents' side. Each
//! escalation is posted there with a thread started from its post (`staff.rs`);
//! agents answer in that thread with `/reply text:…`, which relays the text to
//! the customer's chat through the outbox, and end it with `/close`, which
//! tells the customer. Both are guild commands of the staff channel's server
//! only (customers elsewhere never see them), are never handed to the
//! assistant, and work only for members with the staff role, only in an
//! escalation's thread; anything else is refused privately and changes nothing.

use chrono::Utc;
use serenity::all::{
    Channel as DiscordChannel, CommandDataOptionValue, CommandInteraction, CommandOptionType, CreateCommand,
    CreateCommandOption, CreateInteractionResponse, CreateInteractionResponseMessage, EditInteractionResponse,
    InteractionContext,
};
use serenity::builder::Builder;

use super::{Discord, DiscordError, Responder, StaffConfig, messages, no_mentions};
use crate::assistant::Rendered;
use crate::domain::Channel;
use crate::staff::escalation::{self, EscalationError};

/// `/reply text:…`: the agent's answer to the customer.
pub const REPLY: &str = "reply";
/// `/close`: the escalation is done; the customer is told.
pub const CLOSE: &str = "close";
/// `/reply`'s one option.
const TEXT: &str = "text";
/// Characters of one answer: the thread shows it after the agent's name, and
/// the customer's chat after a line of its own, both within Discord's 2,000.
const MAX_REPLY: u16 = 1500;

/// Whether an invocation is a staff command (and so never the assistant's).
pub(super) fn is_staff_command(name: &str) -> bool {
    name == REPLY || name == CLOSE
}

/// The staff commands, registered in the staff channel's server only. English:
/// staff work in English, and these never reach customers.
pub(super) fn commands() -> Vec<CreateCommand> {
    vec![
        CreateCommand::new(REPLY)
            .description("Answer the customer of this escalation (use it in the escalation's thread)")
            .contexts(vec![InteractionContext::Guild])
            .add_option(
                CreateCommandOption::new(CommandOptionType::String, TEXT, "What the customer receives")
                    .required(true)
                    .max_length(MAX_REPLY),
            ),
        CreateCommand::new(CLOSE)
            .description("Close this escalation; the customer is told (use it in the escalation's thread)")
            .contexts(vec![InteractionContext::Guild]),
    ]
}

/// What a staff command answers: in the thread for everyone, or only to the agent.
struct Answer {
    text: String,
    public: bool,
}

impl Answer {
    fn private(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            public: false,
        }
    }

    fn public(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            public: true,
        }
    }
}

fn responder(command: &CommandInteraction, ephemeral: bool) -> Responder<'_> {
    Responder {
        id: command.id,
        token: &command.token,
        channel: command.channel_id,
        ephemeral,
        may_update: false,
        component: false,
    }
}

impl Discord {
    /// Registers `/reply` and `/close` in the staff channel's server (a bulk
    /// overwrite of that server's commands): the server is the channel's
    /// `guild_id`. Nothing to do without a staff channel.
    /// With a marketing role, `/broadcast` is registered there too.
    pub async fn register_staff_commands(&self) -> Result<(), DiscordError> {
        let Some(staff) = self.options.staff else {
            if self.options.marketing_role.is_some() {
                tracing::warn!(
                    "discord.marketing_role_id is set, but /broadcast needs discord.staff_channel_id: its server is where the command lives"
                );
            }
            return Ok(());
        };
        let guild = match self.http.get_channel(staff.channel).await? {
            DiscordChannel::Guild(c) => c.guild_id,
            _ => return Err(DiscordError::NotInAServer(staff.channel.get())),
        };
        let mut commands = commands();
        if self.options.marketing_role.is_some() {
            commands.push(super::marketing::command());
        }
        guild.set_commands(&self.http, commands).await?;
        tracing::info!(guild = %guild, "discord staff commands registered");
        Ok(())
    }

    /// `/reply` or `/close`. The role is checked before anything is read, so
    /// a refusal is immediate and private.
    pub(super) async fn on_staff_command(&self, command: &CommandInteraction) {
        let closing = command.data.name == CLOSE;
        let nothing = if closing {
            "Nothing was changed."
        } else {
            "Nothing was sent."
        };
        let Some(staff) = self.options.staff else {
            let answer = Answer::private(format!("Staff commands are not set up on this bot. {nothing}"));
            return self.send_answer(command, answer).await;
        };
        if !super::staff::has_role(staff, command.member.as_deref()) {
            tracing::warn!(user = %command.user.id, command = %command.data.name, "a staff command used by someone without the staff role");
            let answer = Answer::private(format!("Only staff can answer escalations. {nothing}"));
            return self.send_answer(command, answer).await;
        }
        let work = self.run_staff_command(staff, command, nothing);
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
        let answer = match early {
            Some(answer) => answer,
            None => {
                // Too slow for Discord's 3-second window: "thinking…" first,
                // visible as the answer will most likely be (an answer in the
                // thread for /reply, private for /close). A refusal after it
                // shows in the thread, which only staff see anyway.
                let defer =
                    CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new().ephemeral(closing));
                let deferred = self.respond(&responder(command, closing), defer).await;
                let answer = work.await;
                match (deferred, answer) {
                    (Ok(()), Some(answer)) => return self.complete_staff_deferred(command, closing, answer).await,
                    (_, answer) => answer,
                }
            }
        };
        if let Some(answer) = answer {
            self.send_answer(command, answer).await;
        }
    }

    /// Finds the escalation of the thread the command was used in, then acts.
    /// `None` when there is nothing to answer (an interaction seen before).
    async fn run_staff_command(
        &self,
        staff: StaffConfig,
        command: &CommandInteraction,
        nothing: &str,
    ) -> Option<Answer> {
        let thread = command.channel_id.to_string();
        let id = match escalation::find_by_post(&self.db, Channel::Discord, &staff.channel.to_string(), &thread).await {
            Ok(id) => id,
            Err(EscalationError::Unknown) => {
                return Some(Answer::private(format!(
                    "Use /{} in the thread of an escalation's post. {nothing}",
                    command.data.name
                )));
            }
            Err(e) => {
                tracing::error!(error = %e, "could not look up an escalation thread");
                return Some(Answer::private(format!("Something went wrong. {nothing}")));
            }
        };
        if command.data.name == CLOSE {
            return Some(self.close_escalation(id, command).await);
        }
        // Claimed first: a redelivered interaction must never relay the
        // answer twice. A failure after the claim is told to the agent, whose
        // next /reply is a new interaction.
        match self.claim_interaction(command).await {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => {
                tracing::error!(error = %e, "could not record a staff command");
                return Some(Answer::private(format!("Something went wrong. {nothing}")));
            }
        }
        Some(self.reply_to_customer(id, command).await)
    }

    async fn claim_interaction(&self, command: &CommandInteraction) -> Result<bool, crate::store::StoreError> {
        let mut tx = self.db.begin_write().await?;
        let fresh = tx
            .claim_inbound_event(Channel::Discord, &format!("i{}", command.id), Utc::now())
            .await?;
        tx.commit().await?;
        Ok(fresh)
    }

    /// `/reply`: the text goes to the customer through the outbox; the
    /// answer, for everyone in the thread, is what was sent and by whom, so
    /// the thread reads as the conversation with no second message to lose.
    async fn reply_to_customer(&self, id: i64, command: &CommandInteraction) -> Answer {
        let text = command
            .data
            .options
            .iter()
            .find(|o| o.name == TEXT)
            .and_then(|o| match &o.value {
                CommandDataOptionValue::String(s) => Some(s.as_str()),
                _ => None,
            })
            .unwrap_or_default();
        // The name customers see: the server nickname, else the Discord name.
        let agent = match command.member.as_deref() {
            Some(member) => member.display_name(),
            None => command.user.display_name(),
        };
        match escalation::reply(&self.db, id, agent, text, Utc::now()).await {
            Ok(to) => {
                tracing::info!(escalation = id, to = %to, "an agent answered an escalation from Discord");
                Answer::public(format!("{agent} → customer: {}", text.trim()))
            }
            Err(EscalationError::Store(e)) => {
                tracing::error!(escalation = id, error = %e, "could not relay an agent's answer");
                Answer::private("Something went wrong. Nothing was sent.")
            }
            Err(e) => Answer::private(format!("Nothing was sent: {e}.")),
        }
    }

    /// `/close`: the customer is told, and every staff channel's post gets
    /// "Closed by NAME." through the outbox, so this answer is the agent's only.
    async fn close_escalation(&self, id: i64, command: &CommandInteraction) -> Answer {
        // Who closed it, as decisions from Discord name the reviewer: the
        // Discord username, which is unique and stable.
        match escalation::close(&self.db, id, &command.user.name, Utc::now()).await {
            Ok(true) => {
                tracing::info!(escalation = id, "an agent closed an escalation from Discord");
                Answer::private(format!("Escalation #{id} is closed."))
            }
            Ok(false) => Answer::private(format!("Escalation #{id} was already closed. Nothing was changed.")),
            Err(EscalationError::Store(e)) => {
                tracing::error!(escalation = id, error = %e, "could not close an escalation");
                Answer::private("Something went wrong. Nothing was changed.")
            }
            Err(e) => Answer::private(format!("Nothing was changed: {e}.")),
        }
    }

    /// The answer as the interaction's response (escaped, split under the
    /// limit; later parts as follow-ups).
    async fn send_answer(&self, command: &CommandInteraction, answer: Answer) {
        let responder = responder(command, !answer.public);
        let parts = messages(
            &Rendered {
                text: answer.text,
                buttons: Vec::new(),
            },
            "",
        );
        let Some((first, rest)) = parts.split_first() else {
            return;
        };
        let body = CreateInteractionResponseMessage::new()
            .content(first.content.clone())
            .ephemeral(responder.ephemeral)
            .allowed_mentions(no_mentions());
        let sent = match self.respond(&responder, CreateInteractionResponse::Message(body)).await {
            Ok(()) => self.follow_up(&responder, rest).await,
            Err(f) => Err(f),
        };
        if let Err(f) = sent {
            tracing::error!(failure = ?f, "the answer to a staff command was lost");
        }
    }

    /// After a deferral: the answer into the "thinking…" message.
    async fn complete_staff_deferred(&self, command: &CommandInteraction, ephemeral: bool, answer: Answer) {
        let responder = responder(command, ephemeral);
        let parts = messages(
            &Rendered {
                text: answer.text,
                buttons: Vec::new(),
            },
            "",
        );
        let Some((first, rest)) = parts.split_first() else {
            return;
        };
        let edit = EditInteractionResponse::new()
            .content(first.content.clone())
            .allowed_mentions(no_mentions());
        let sent = match self
            .retrying(|| edit.clone().execute(&self.http, responder.token))
            .await
        {
            Ok(_) => self.follow_up(&responder, rest).await,
            Err(f) => Err(f),
        };
        if let Err(f) = sent {
            tracing::error!(failure = ?f, "the deferred answer to a staff command was lost");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_commands_fit_discord() {
        let json = serde_json::to_value(commands()).unwrap();
        let names: Vec<&str> = json
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, [REPLY, CLOSE]);
        for c in json.as_array().unwrap() {
            let d = c["description"].as_str().unwrap().chars().count();
            assert!((1..=100).contains(&d), "{c}");
            // Only in servers: never in a DM with the bot.
            assert_eq!(c["contexts"], serde_json::json!([0]));
        }
        assert_eq!(json[0]["options"][0]["name"], TEXT);
        assert_eq!(json[0]["options"][0]["required"], true);
        assert!(is_staff_command("reply") && is_staff_command("close") && !is_staff_command("agent"));
        // No customer command has a staff command's name, in either language.
        let l = crate::i18n::Localizer::builtin();
        for slash in super::super::Slash::ALL {
            assert!(!is_staff_command(&slash.name(l)));
        }
    }
}
