//! Broadcasts on Discord: each subscriber's DM and the post in the public
//! announcement channel ([`crate::broadcast::BroadcastSender`]), and the
//! campaign's progress message in the staff channel
//! ([`crate::broadcast::ProgressBoard`]). Messages go out with the adapter's
//! retries (5xx and network errors with backoff; a 429 waited out, by
//! serenity's rate limiter or, behind a proxy, by those retries); a user whose
//! DMs are closed to the bot is `blocked`, which unsubscribes them.

use futures::future::BoxFuture;
use serenity::all::{ChannelId, EditMessage, MessageId, UserId};
use serenity::builder::Builder;

use super::{Discord, DiscordStaffChannel, Failure, escape, no_mentions};
use crate::broadcast::{BroadcastSender, Delivery, ProgressBoard, Recipient, RecipientKind};
use crate::domain::Channel;

/// Messages in flight at once. Serenity's rate limiter keeps to Discord's
/// buckets (opening a DM channel has its own); a window this size keeps it
/// busy without leaving many `unknown` after a crash.
const WINDOW: usize = 10;

/// A snowflake as stored (user or channel id).
fn snowflake(id: &str) -> Option<u64> {
    id.trim().parse::<u64>().ok().filter(|v| *v != 0)
}

impl BroadcastSender for Discord {
    fn channel(&self) -> Channel {
        Channel::Discord
    }

    fn window(&self) -> usize {
        WINDOW
    }

    fn send<'a>(&'a self, to: &'a Recipient, text: &'a str) -> BoxFuture<'a, Delivery> {
        Box::pin(async move {
            let Some(id) = snowflake(&to.target) else {
                return Delivery::Failed(format!("not a Discord id: {:?}", to.target));
            };
            match to.kind {
                RecipientKind::Direct => match self.send_dm(UserId::new(id), text).await {
                    Ok(()) => Delivery::Sent,
                    Err(r) if r.failure == Failure::Blocked => {
                        Delivery::Blocked(format!("the user does not accept DMs from the bot: {}", r.reason))
                    }
                    Err(r) => Delivery::Failed(r.reason),
                },
                // A refusal here is the channel's set-up (the bot may not
                // post there), never a user's: failed, for staff to fix.
                RecipientKind::Announcement => match self.send_text(ChannelId::new(id), text).await {
                    Ok(()) => Delivery::Sent,
                    Err(r) => Delivery::Failed(format!("announcement channel {id}: {}", r.reason)),
                },
            }
        })
    }
}

/// The campaign's progress in the staff channel: one message, edited.
impl ProgressBoard for DiscordStaffChannel {
    fn channel(&self) -> Channel {
        Channel::Discord
    }

    fn chat_id(&self) -> String {
        self.channel.to_string()
    }

    fn post<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let message = serenity::all::CreateMessage::new()
                .content(escape(text))
                .allowed_mentions(no_mentions());
            self.discord
                .retrying_why(|| message.clone().execute(&self.discord.http, (self.channel, None)))
                .await
                .map(|m| m.id.to_string())
                .map_err(|r| r.reason)
        })
    }

    fn edit<'a>(&'a self, message_id: &'a str, text: &'a str) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let id = snowflake(message_id).ok_or_else(|| format!("not a Discord message id: {message_id:?}"))?;
            let edit = EditMessage::new().content(escape(text));
            self.discord
                .retrying_why(|| {
                    edit.clone()
                        .execute(&self.discord.http, (self.channel, MessageId::new(id), None))
                })
                .await
                .map(drop)
                .map_err(|r| r.reason)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse() {
        assert_eq!(snowflake("1290000000000000001"), Some(1_290_000_000_000_000_001));
        assert_eq!(snowflake(" 42 "), Some(42));
        assert_eq!(snowflake("0"), None);
        assert_eq!(snowflake("@someone"), None);
    }
}
