//! What reaches the assistant from a channel, and what it decides to do with it:
//! commands and button presses are parsed here into one [`Action`] type, so every
//! channel gets the same meaning for the same command.

use crate::domain::{Channel, Locale};
use crate::faq::Intent;

/// One event from a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    pub channel: Channel,
    /// The user's id on that platform.
    pub user: String,
    pub content: Content,
    /// The platform's idea of the user's language (Telegram `language_code`,
    /// Discord `locale`), if any.
    pub lang_hint: Option<String>,
    /// The platform's id for this event (Telegram `update_id`, a Discord
    /// interaction id), when redelivery is possible: an event already handled
    /// is not answered again.
    pub event_id: Option<String>,
    /// Said where others read along (a group chat, a server channel): claims
    /// are then not looked up, and the customer is sent somewhere private.
    pub public: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Text(String),
    /// A button's `data`.
    Button(String),
    /// A photo or file; `stored` once the channel put it in the blob store
    /// (it may not: too large, or the download failed).
    Attachment {
        filename: String,
        content_type: String,
        bytes: u64,
        stored: Option<crate::blobs::StoredBlob>,
    },
    /// A command the platform parsed already (Discord's slash commands, whose
    /// options arrive as separate fields).
    Command(Action),
}

/// What the customer asked for, whatever the channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Menu,
    Help,
    FaqMenu,
    Faq(Intent),
    /// `/status [serial] [chk]` or the status button.
    Status {
        serial: Option<String>,
        chk: Option<String>,
    },
    Language(Option<Locale>),
    Promos,
    Subscribe,
    Unsubscribe,
    Agent {
        message: String,
    },
    /// `/link [email]`: link this chat to a member account by a code sent by email.
    Link {
        email: Option<String>,
    },
    /// `/verify [code]`: the code from that email.
    Verify {
        code: Option<String>,
    },
    UnknownCommand(String),
    Text(String),
    Attachment,
    /// The pre-check's question about a re-uploaded file: submit it as it
    /// is (`true`), or send another file.
    Reupload {
        submit: bool,
    },
}

/// Longest text the assistant reads from one message; the rest is ignored.
pub const MAX_TEXT_CHARS: usize = 4000;

/// Whether the assistant keeps `c` of a customer's text: not a control
/// character (newlines aside), and not an invisible formatting character that
/// could turn text around or hide it where staff read it (bidirectional
/// overrides and isolates, zero-width space, byte-order mark). Zero-width
/// joiners stay: emoji and some scripts need them.
pub fn kept_char(c: char) -> bool {
    let invisible = matches!(
        c,
        '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}'
    );
    (!c.is_control() || c == '\n') && !invisible
}

impl Content {
    pub fn action(&self) -> Action {
        match self {
            Content::Text(text) => {
                let text: String = text.chars().filter(|c| kept_char(*c)).take(MAX_TEXT_CHARS).collect();
                let trimmed = text.trim();
                match trimmed.strip_prefix('/') {
                    Some(command) if !command.is_empty() && !command.starts_with('/') => parse_command(command),
                    _ => Action::Text(trimmed.to_owned()),
                }
            }
            Content::Button(data) => parse_button(data),
            Content::Attachment { .. } => Action::Attachment,
            Content::Command(action) => action.clone(),
        }
    }
}

fn parse_command(command: &str) -> Action {
    let mut words = command.split_whitespace();
    let head = words.next().unwrap_or("");
    // Telegram appends the bot's name in groups: /status@redeemdesk_bot.
    let name = head.split('@').next().unwrap_or("").to_ascii_lowercase();
    let rest: Vec<&str> = words.collect();
    match name.as_str() {
        "start" | "menu" => Action::Menu,
        "help" | "bantuan" => Action::Help,
        "faq" => Action::FaqMenu,
        "status" | "cek" => {
            // The CHK is a trailing 3-digit word; everything before it is the serial.
            let (serial, chk) = match rest.split_last() {
                Some((last, before))
                    if !before.is_empty() && last.len() == 3 && last.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    (Some(before.join(" ")), Some((*last).to_owned()))
                }
                _ if rest.is_empty() => (None, None),
                _ => (Some(rest.join(" ")), None),
            };
            Action::Status { serial, chk }
        }
        "lang" | "language" | "bahasa" => Action::Language(rest.first().and_then(|l| Locale::parse(l).ok())),
        "promos" | "promo" => Action::Promos,
        "subscribe" | "langganan" => Action::Subscribe,
        "unsubscribe" | "berhenti" => Action::Unsubscribe,
        "agent" | "cs" | "human" => Action::Agent {
            message: rest.join(" "),
        },
        "link" | "hubungkan" => Action::Link {
            email: rest.first().map(|e| (*e).to_owned()),
        },
        "verify" | "verifikasi" => Action::Verify {
            code: rest.first().map(|c| (*c).to_owned()),
        },
        _ => Action::UnknownCommand(format!("/{}", name.chars().take(32).collect::<String>())),
    }
}

/// Button data, as the assistant itself wrote it: `menu`, `faq`, `faq:<intent>`,
/// `status`, `promos`, `lang`, `lang:<id|en>`, `subscribe`, `unsubscribe`, `agent`.
pub fn parse_button(data: &str) -> Action {
    match data.split_once(':') {
        Some(("faq", intent)) => Intent::parse(intent)
            .filter(|i| i.is_faq_topic())
            .map_or(Action::FaqMenu, Action::Faq),
        Some(("lang", l)) => Action::Language(Locale::parse(l).ok()),
        Some(("reupload", "submit")) => Action::Reupload { submit: true },
        Some(("reupload", "other")) => Action::Reupload { submit: false },
        _ => match data {
            "menu" => Action::Menu,
            "faq" => Action::FaqMenu,
            "status" => Action::Status {
                serial: None,
                chk: None,
            },
            "promos" => Action::Promos,
            "lang" => Action::Language(None),
            "subscribe" => Action::Subscribe,
            "unsubscribe" => Action::Unsubscribe,
            "agent" => Action::Agent { message: String::new() },
            _ => Action::Menu,
        },
    }
}

/// Whether `text` is button data the assistant hands out (the console lets
/// people type it to "press" a button).
pub fn is_button_data(text: &str) -> bool {
    matches!(
        text,
        "menu" | "faq" | "status" | "promos" | "lang" | "subscribe" | "unsubscribe" | "agent"
    ) || text.strip_prefix("faq:").is_some_and(|i| Intent::parse(i).is_some())
        || matches!(text, "lang:id" | "lang:en" | "reupload:submit" | "reupload:other")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_formatting_is_dropped() {
        // A right-to-left override would show "faktur.exe" as "faktur\u{202E}exe.jpg"
        // in a staff post; a zero-width space hides a word from search.
        let Action::Text(t) = text("faktur\u{202E}gpj.exe ok\u{200B}e\u{FEFF}\u{2066}x\u{2069} 👨\u{200D}💻\nlagi")
        else {
            panic!("text");
        };
        assert_eq!(t, "fakturgpj.exe okex 👨\u{200D}💻\nlagi");
    }

    fn text(s: &str) -> Action {
        Content::Text(s.into()).action()
    }

    #[test]
    fn commands_mean_the_same_everywhere() {
        assert_eq!(text("/start"), Action::Menu);
        assert_eq!(
            text("/status@redeemdesk_bot"),
            Action::Status {
                serial: None,
                chk: None
            }
        );
        assert_eq!(
            text("/status K2305N0012345 482"),
            Action::Status {
                serial: Some("K2305N0012345".into()),
                chk: Some("482".into())
            }
        );
        assert_eq!(
            text("/status K2305 N001 2345"),
            Action::Status {
                serial: Some("K2305 N001 2345".into()),
                chk: None
            }
        );
        assert_eq!(text("/lang en"), Action::Language(Some(Locale::En)));
        assert_eq!(text("/lang"), Action::Language(None));
        assert_eq!(
            text("/agent tolong dong"),
            Action::Agent {
                message: "tolong dong".into()
            }
        );
        assert_eq!(text("/rm -rf"), Action::UnknownCommand("/rm".into()));
        assert_eq!(text("/"), Action::Text("/".into()));
        assert_eq!(text("  halo\u{0} min  "), Action::Text("halo min".into()));
    }

    #[test]
    fn buttons() {
        assert_eq!(
            parse_button("faq:invoice.requirements"),
            Action::Faq(Intent::InvoiceRequirements)
        );
        assert_eq!(parse_button("faq:greeting"), Action::FaqMenu);
        assert_eq!(parse_button("lang:en"), Action::Language(Some(Locale::En)));
        assert_eq!(parse_button("garbage"), Action::Menu);
        assert!(is_button_data("faq:redeem.how"));
        assert!(!is_button_data("faq:nope"));
    }
}
