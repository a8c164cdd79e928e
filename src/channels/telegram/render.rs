//! Rendered assistant replies as Telegram messages: HTML-escaped text split
//! under Telegram's 4,096-character limit, buttons as an inline keyboard.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::assistant::Rendered;

/// Telegram refuses longer messages (counted in UTF-16 code units after entity
/// parsing; escaping only lengthens, so we count the escaped text, with margin).
pub const MAX_MESSAGE: usize = 4000;

/// One Telegram message to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub html: String,
    pub keyboard: Option<InlineKeyboardMarkup>,
}

/// Escapes a reply and splits it; the keyboard goes on the last part.
pub fn messages(reply: &Rendered) -> Vec<Outgoing> {
    let escaped = teloxide::utils::html::escape(&reply.text);
    let parts = split(&escaped, MAX_MESSAGE);
    let keyboard = keyboard(reply);
    let n = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, html)| Outgoing {
            html,
            keyboard: if i + 1 == n { keyboard.clone() } else { None },
        })
        .collect()
}

fn keyboard(reply: &Rendered) -> Option<InlineKeyboardMarkup> {
    if reply.buttons.is_empty() {
        return None;
    }
    // Two buttons a row reads well on phones.
    let rows: Vec<Vec<InlineKeyboardButton>> = reply
        .buttons
        .chunks(2)
        .map(|row| {
            row.iter()
                .map(|b| InlineKeyboardButton::callback(b.label.clone(), b.data.clone()))
                .collect()
        })
        .collect();
    Some(InlineKeyboardMarkup::new(rows))
}

/// Splits at paragraph, then line, then word boundaries, never inside an HTML
/// entity, each part at most `max` UTF-16 units.
pub fn split(text: &str, max: usize) -> Vec<String> {
    crate::channels::split::split(text, max, |part, cut| {
        // Never cut "&amp;" in half.
        match part[..cut].rfind('&') {
            Some(amp) if !part[amp..cut].contains(';') => amp.max(1),
            _ => cut,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assistant::RenderedButton;

    #[test]
    fn escapes_and_puts_keyboard_last() {
        let r = Rendered {
            text: "<b>hi</b> & \"you\"".into(),
            buttons: vec![RenderedButton {
                label: "FAQ".into(),
                data: "faq".into(),
            }],
        };
        let out = messages(&r);
        assert_eq!(out.len(), 1);
        // Quotes need no escaping in Telegram HTML text.
        assert_eq!(out[0].html, "&lt;b&gt;hi&lt;/b&gt; &amp; \"you\"");
        assert!(out[0].keyboard.is_some());
    }

    #[test]
    fn splits_long_text_under_the_limit() {
        let text = format!("{}\n\n{}", "a ".repeat(3000), "é&b ".repeat(2000));
        let escaped = teloxide::utils::html::escape(&text);
        let parts = split(&escaped, MAX_MESSAGE);
        assert!(parts.len() >= 3);
        for p in &parts {
            assert!(p.encode_utf16().count() <= MAX_MESSAGE);
            assert!(
                !p.ends_with("&am") && !p.ends_with('&'),
                "entity cut: {}",
                &p[p.len() - 5..]
            );
        }
        let joined: String = parts.concat().split_whitespace().collect();
        let original: String = escaped.split_whitespace().collect();
        assert_eq!(joined, original, "nothing lost");
    }
}
