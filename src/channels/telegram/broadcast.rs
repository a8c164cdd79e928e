//! Telegram as a broadcast sender: the bot's own pacer (shared with replies,
//! since Telegram counts all of a bot's messages) and retries, one private
//! chat per subscriber.

use futures::future::BoxFuture;
use teloxide::types::ChatId;

use super::{SendOutcome, Telegram, render};
use crate::broadcast::{BroadcastSender, Delivery, Recipient};
use crate::domain::Channel;

impl BroadcastSender for Telegram {
    fn channel(&self) -> Channel {
        Channel::Telegram
    }

    /// About one second of sending: the pacer always has the next message
    /// ready, and a crash leaves at most this many `unknown`.
    fn window(&self) -> usize {
        (self.limits.overall_per_sec as usize).clamp(4, 512)
    }

    fn send<'a>(&'a self, to: &'a Recipient, text: &'a str) -> BoxFuture<'a, Delivery> {
        Box::pin(async move {
            let Ok(chat) = to.target.parse::<i64>() else {
                return Delivery::Failed(format!("bad Telegram chat id {:?}", to.target));
            };
            let escaped = teloxide::utils::html::escape(text);
            for html in render::split(&escaped, render::MAX_MESSAGE) {
                let out = render::Outgoing { html, keyboard: None };
                match self.deliver(ChatId(chat), &out, None).await {
                    SendOutcome::Sent => {}
                    SendOutcome::Blocked => {
                        return Delivery::Blocked("the user blocked the bot or is gone".into());
                    }
                    SendOutcome::Failed => {
                        return Delivery::Failed("Telegram did not take the message after retries".into());
                    }
                }
            }
            Delivery::Sent
        })
    }
}
