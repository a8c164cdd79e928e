//! Every customer-facing word comes from the Fluent files in `locales/{id,en}/`.
//! Code refers to messages only through the [`MsgDef`] constants of
//! [`messages`], which name each message's id and its variables; a test checks
//! that both locales define exactly these ids with exactly these variables.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use crate::domain::Locale;

pub mod messages;

/// The Fluent sources, compiled into the binary so it runs from anywhere.
pub const SOURCES: &[(Locale, &str, &str)] = &[
    (
        Locale::Id,
        "locales/id/main.ftl",
        include_str!("../../locales/id/main.ftl"),
    ),
    (
        Locale::En,
        "locales/en/main.ftl",
        include_str!("../../locales/en/main.ftl"),
    ),
];

/// A message id with the names of the variables it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgDef {
    pub id: &'static str,
    pub args: &'static [&'static str],
}

/// A message to render: its definition and argument values.
#[derive(Debug, Clone, PartialEq)]
pub struct Msg {
    pub def: MsgDef,
    pub args: Vec<(&'static str, Arg)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    Number(i64),
    /// Another message, rendered in the same locale first (e.g. a reason's text).
    Msg(Box<Msg>),
}

impl Msg {
    pub fn new(def: MsgDef) -> Self {
        Self { def, args: Vec::new() }
    }

    /// Adds a variable. Naming one the message does not declare is a bug, caught
    /// in debug builds and by the locale tests.
    pub fn arg(mut self, name: &'static str, value: impl Into<Arg>) -> Self {
        debug_assert!(
            self.def.args.contains(&name),
            "message {} has no variable {name}",
            self.def.id
        );
        self.args.push((name, value.into()));
        self
    }
}

impl From<MsgDef> for Msg {
    fn from(def: MsgDef) -> Self {
        Msg::new(def)
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_owned())
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Arg::Number(n)
    }
}

impl From<Msg> for Arg {
    fn from(m: Msg) -> Self {
        Arg::Msg(Box::new(m))
    }
}

impl From<MsgDef> for Arg {
    fn from(d: MsgDef) -> Self {
        Arg::Msg(Box::new(Msg::new(d)))
    }
}

pub struct Localizer {
    id: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct LocaleError {
    pub file: String,
    pub message: String,
}

impl Localizer {
    /// The localizer for the built-in locale files, built once.
    pub fn builtin() -> &'static Localizer {
        static SHARED: OnceLock<Localizer> = OnceLock::new();
        SHARED.get_or_init(|| Localizer::from_sources(SOURCES).unwrap_or_else(|e| panic!("built-in locales: {e}")))
    }

    pub fn from_sources(sources: &[(Locale, &str, &str)]) -> Result<Self, LocaleError> {
        let mut id = new_bundle(Locale::Id);
        let mut en = new_bundle(Locale::En);
        for (locale, file, text) in sources {
            let resource = FluentResource::try_new(text.to_string()).map_err(|(_, errors)| LocaleError {
                file: file.to_string(),
                message: format!("{errors:?}"),
            })?;
            let bundle = match locale {
                Locale::Id => &mut id,
                Locale::En => &mut en,
            };
            bundle.add_resource(resource).map_err(|errors| LocaleError {
                file: file.to_string(),
                message: format!("{errors:?}"),
            })?;
        }
        Ok(Self { id, en })
    }

    fn bundle(&self, locale: Locale) -> &FluentBundle<FluentResource> {
        match locale {
            Locale::Id => &self.id,
            Locale::En => &self.en,
        }
    }

    /// Renders a message. A missing message or variable is a bug that the locale
    /// tests catch; at run time it is logged and the id shown rather than panicking.
    pub fn render(&self, locale: Locale, msg: &Msg) -> String {
        let bundle = self.bundle(locale);
        let Some(pattern) = bundle.get_message(msg.def.id).and_then(|m| m.value()) else {
            tracing::error!(id = msg.def.id, %locale, "missing Fluent message");
            return msg.def.id.to_owned();
        };
        let mut args = FluentArgs::new();
        for (name, value) in &msg.args {
            let v = match value {
                Arg::Text(s) => FluentValue::from(s.clone()),
                Arg::Number(n) => FluentValue::from(*n),
                Arg::Msg(inner) => FluentValue::from(self.render(locale, inner)),
            };
            args.set(*name, v);
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
        if !errors.is_empty() {
            tracing::error!(id = msg.def.id, %locale, ?errors, "Fluent formatting errors");
        }
        text.into_owned()
    }
}

fn new_bundle(locale: Locale) -> FluentBundle<FluentResource> {
    let langid: unic_langid::LanguageIdentifier = match locale {
        Locale::Id => unic_langid::langid!("id"),
        Locale::En => unic_langid::langid!("en"),
    };
    let mut bundle = FluentBundle::new_concurrent(vec![langid]);
    // Chat platforms show the Unicode isolation marks as junk.
    bundle.set_use_isolating(false);
    bundle
}
