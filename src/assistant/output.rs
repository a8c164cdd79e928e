//! What the assistant says: messages as Fluent ids with arguments, and buttons.
//! Channels render them with [`Reply::render`] and only translate the result.

use serde::Serialize;

use crate::domain::Locale;
use crate::i18n::{Localizer, Msg, MsgDef};

#[derive(Debug, Clone, PartialEq)]
pub struct Button {
    pub label: Msg,
    /// What comes back when pressed (see `input::parse_button`).
    pub data: String,
}

impl Button {
    pub fn new(label: MsgDef, data: impl Into<String>) -> Self {
        Self {
            label: Msg::new(label),
            data: data.into(),
        }
    }
}

/// One line of a reply: a message, optionally as a list item.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub msg: Msg,
    pub bullet: bool,
}

/// One chat message: paragraphs of lines, then buttons.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reply {
    pub paragraphs: Vec<Vec<Line>>,
    pub buttons: Vec<Button>,
}

impl Reply {
    pub fn text(msg: impl Into<Msg>) -> Self {
        Self::default().then(msg)
    }

    /// Starts a new paragraph with `msg`.
    pub fn then(mut self, msg: impl Into<Msg>) -> Self {
        self.paragraphs.push(vec![Line {
            msg: msg.into(),
            bullet: false,
        }]);
        self
    }

    /// Adds `msg` as a list item under the current paragraph.
    pub fn bullet(mut self, msg: impl Into<Msg>) -> Self {
        let line = Line {
            msg: msg.into(),
            bullet: true,
        };
        match self.paragraphs.last_mut() {
            Some(p) => p.push(line),
            None => self.paragraphs.push(vec![line]),
        }
        self
    }

    pub fn button(mut self, label: MsgDef, data: impl Into<String>) -> Self {
        self.buttons.push(Button::new(label, data));
        self
    }

    /// Every message in the reply, in order (for tests and logs).
    pub fn messages(&self) -> impl Iterator<Item = &Msg> {
        self.paragraphs.iter().flatten().map(|l| &l.msg)
    }

    pub fn render(&self, localizer: &Localizer, locale: Locale) -> Rendered {
        let paragraph = |lines: &Vec<Line>| {
            lines
                .iter()
                .map(|l| {
                    let text = localizer.render(locale, &l.msg);
                    if l.bullet { format!("• {text}") } else { text }
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        Rendered {
            text: self.paragraphs.iter().map(paragraph).collect::<Vec<_>>().join("\n\n"),
            buttons: self
                .buttons
                .iter()
                .map(|b| RenderedButton {
                    label: localizer.render(locale, &b.label),
                    data: b.data.clone(),
                })
                .collect(),
        }
    }
}

/// A reply as text, the shape `redeemdesk chat --json` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    pub text: String,
    pub buttons: Vec<RenderedButton>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenderedButton {
    pub label: String,
    pub data: String,
}

/// The assistant's answer to one inbound event, in the language it chose.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub locale: Locale,
    pub replies: Vec<Reply>,
    /// The event was a button press that settles the choice its message
    /// offered (a language, subscribing): a channel that can may replace that
    /// message with the reply instead of sending a new one.
    pub settles_prompt: bool,
}

impl Outcome {
    pub fn render(&self, localizer: &Localizer) -> Vec<Rendered> {
        self.replies.iter().map(|r| r.render(localizer, self.locale)).collect()
    }
}
