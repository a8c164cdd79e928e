//! Linking a chat account to a member: `/link EMAIL` emails a 6-digit code
//! (through the outbox) to the member's address, `/verify CODE` proves the chat
//! user reads that mailbox. A linked chat user owns all the member's products
//! (no CHK needed). The reply to `/link` is the same whether or not the address
//! belongs to a member, so nobody can probe for accounts; codes live 15 minutes
//! and allow 5 tries; only a hash is stored.

use chrono::Duration;

use super::{AssistantError, Dialogue, Reply, Turn};
use crate::domain::{Channel, EmailAddress};
use crate::i18n::Msg;
use crate::i18n::messages as m;
use crate::mail::{compose, outbox};

pub const CODE_MINUTES: i64 = 15;
pub const MAX_TRIES: i32 = 5;

fn hash(chat_user_id: i64, code: &str) -> String {
    crate::blobs::sha256_hex(format!("redeemdesk link {chat_user_id} {code}").as_bytes())
}

/// Six digits, as the code email sends.
pub fn looks_like_code(text: &str) -> bool {
    let t = text.trim();
    t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit())
}

/// `budi.santoso@example.test` → `b***@example.test`.
fn masked(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => "***".into(),
    }
}

/// The channel's name as the email shows it (customer-facing, so from Fluent).
fn channel_name(c: Channel) -> Msg {
    Msg::new(match c {
        Channel::Telegram => m::CHANNEL_TELEGRAM,
        Channel::Discord => m::CHANNEL_DISCORD,
        Channel::Console => m::CHANNEL_CONSOLE,
    })
}

impl Turn<'_> {
    pub(super) async fn link(&mut self, email: Option<&str>) -> Result<Reply, AssistantError> {
        let Some(email) = email else {
            self.dialogue = Dialogue::AwaitingEmail;
            return Ok(Reply::text(m::LINK_ASK_EMAIL));
        };
        let Ok(address) = EmailAddress::parse(email) else {
            self.dialogue = Dialogue::AwaitingEmail;
            return Ok(Reply::text(m::LINK_BAD_EMAIL));
        };
        self.dialogue = Dialogue::AwaitingLinkCode;
        if let Some(member) = self.tx.member_by_email(&address.lookup_key()).await? {
            let scope = format!("chat:{}", self.user.id);
            let key = member.email.lookup_key();
            // One code email per chat user and address an hour: the earlier code
            // stays valid, and nobody can flood a member's inbox from chat.
            if !outbox::sent_within_guard(&mut self.tx, &key, crate::mail::EmailKind::LinkCode, &scope, self.now)
                .await?
            {
                let code = format!("{:06}", rand::random_range(0..1_000_000u32));
                self.tx
                    .insert_link_code(
                        self.user.id,
                        member.id,
                        &hash(self.user.id, &code),
                        self.now,
                        self.now + Duration::minutes(CODE_MINUTES),
                    )
                    .await?;
                let message_id = outbox::new_message_id(self.mail, "link");
                let email = compose::link_code(&member, &code, channel_name(self.channel), CODE_MINUTES, &message_id);
                outbox::enqueue(&mut self.tx, &email, &scope, None, self.now).await?;
            }
        }
        Ok(Reply::text(
            Msg::new(m::LINK_CODE_SENT)
                .arg("email", address.as_str().to_owned())
                .arg("minutes", CODE_MINUTES),
        ))
    }

    pub(super) async fn verify_link(&mut self, code: Option<&str>) -> Result<Reply, AssistantError> {
        let Some((id, member, stored, tries, expires_at)) = self.tx.open_link_code(self.user.id).await? else {
            self.dialogue = Dialogue::Idle;
            return Ok(Reply::text(m::VERIFY_NO_CODE));
        };
        let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
            self.dialogue = Dialogue::AwaitingLinkCode;
            return Ok(Reply::text(m::VERIFY_ASK_CODE));
        };
        if expires_at < self.now {
            self.tx.close_link_code(id, self.now).await?;
            self.dialogue = Dialogue::Idle;
            return Ok(Reply::text(m::VERIFY_EXPIRED));
        }
        if tries >= MAX_TRIES {
            self.tx.close_link_code(id, self.now).await?;
            self.dialogue = Dialogue::Idle;
            return Ok(Reply::text(m::VERIFY_LOCKED));
        }
        if hash(self.user.id, code) != stored {
            let tries = self.tx.add_link_code_try(id).await?;
            if tries >= MAX_TRIES {
                self.tx.close_link_code(id, self.now).await?;
                self.dialogue = Dialogue::Idle;
                return Ok(Reply::text(m::VERIFY_LOCKED));
            }
            return Ok(Reply::text(
                Msg::new(m::VERIFY_WRONG).arg("left", i64::from(MAX_TRIES - tries)),
            ));
        }
        self.tx.close_link_code(id, self.now).await?;
        self.tx.insert_chat_link(self.user.id, member, self.now).await?;
        self.dialogue = Dialogue::Idle;
        let email = self
            .tx
            .member(member)
            .await?
            .map(|mb| masked(mb.email.as_str()))
            .unwrap_or_default();
        let products = self.tx.products_of_member(member).await?.len() as i64;
        Ok(Reply::text(
            Msg::new(m::LINK_DONE).arg("email", email).arg("products", products),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_masks() {
        assert!(looks_like_code(" 012345 "));
        assert!(!looks_like_code("12345"));
        assert!(!looks_like_code("12a456"));
        assert_eq!(masked("budi.santoso@example.test"), "b***@example.test");
        assert_ne!(hash(1, "123456"), hash(2, "123456"));
    }
}
