//! The slash commands: their names, descriptions and options in English with
//! Indonesian localizations (all from Fluent), and what an invocation means to
//! the assistant. Discord sends the English (base) names whatever the user's
//! language, so that is what invocations are matched by.

use std::collections::HashMap;

use serenity::all::{
    CommandDataOption, CommandDataOptionValue, CommandOptionType, CreateCommand, CreateCommandOption,
    InteractionContext,
};

use crate::assistant::Action;
use crate::domain::Locale;
use crate::i18n::messages as m;
use crate::i18n::{Localizer, Msg, MsgDef};

/// A command customers can type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slash {
    Menu,
    Faq,
    Status,
    Lang,
    Promos,
    Subscribe,
    Unsubscribe,
    Agent,
    Link,
    Verify,
}

/// An option of a command: its name and description messages, and the most
/// characters it takes (Discord enforces it in the client).
struct Opt {
    name: MsgDef,
    description: MsgDef,
    required: bool,
    max_length: u16,
    /// `lang`'s choice of language.
    languages: bool,
}

const fn opt(name: MsgDef, description: MsgDef, required: bool, max_length: u16) -> Opt {
    Opt {
        name,
        description,
        required,
        max_length,
        languages: false,
    }
}

const SERIAL: Opt = opt(m::DC_OPT_SERIAL, m::DC_OPT_SERIAL_DESC, true, 40);
const CHK: Opt = opt(m::DC_OPT_CHK, m::DC_OPT_CHK_DESC, false, 8);
const LANGUAGE: Opt = Opt {
    languages: true,
    ..opt(m::DC_OPT_LANGUAGE, m::DC_OPT_LANGUAGE_DESC, false, 2)
};
const MESSAGE: Opt = opt(m::DC_OPT_MESSAGE, m::DC_OPT_MESSAGE_DESC, false, 1000);
const EMAIL: Opt = opt(m::DC_OPT_EMAIL, m::DC_OPT_EMAIL_DESC, false, 254);
const CODE: Opt = opt(m::DC_OPT_CODE, m::DC_OPT_CODE_DESC, false, 16);

impl Slash {
    pub const ALL: [Slash; 10] = [
        Self::Menu,
        Self::Faq,
        Self::Status,
        Self::Lang,
        Self::Promos,
        Self::Subscribe,
        Self::Unsubscribe,
        Self::Agent,
        Self::Link,
        Self::Verify,
    ];

    fn messages(self) -> (MsgDef, MsgDef) {
        match self {
            Self::Menu => (m::DC_MENU, m::DC_MENU_DESC),
            Self::Faq => (m::DC_FAQ, m::DC_FAQ_DESC),
            Self::Status => (m::DC_STATUS, m::DC_STATUS_DESC),
            Self::Lang => (m::DC_LANG, m::DC_LANG_DESC),
            Self::Promos => (m::DC_PROMOS, m::DC_PROMOS_DESC),
            Self::Subscribe => (m::DC_SUBSCRIBE, m::DC_SUBSCRIBE_DESC),
            Self::Unsubscribe => (m::DC_UNSUBSCRIBE, m::DC_UNSUBSCRIBE_DESC),
            Self::Agent => (m::DC_AGENT, m::DC_AGENT_DESC),
            Self::Link => (m::DC_LINK, m::DC_LINK_DESC),
            Self::Verify => (m::DC_VERIFY, m::DC_VERIFY_DESC),
        }
    }

    fn options(self) -> &'static [Opt] {
        match self {
            Self::Status => &[SERIAL, CHK],
            Self::Lang => &[LANGUAGE],
            Self::Agent => &[MESSAGE],
            Self::Link => &[EMAIL],
            Self::Verify => &[CODE],
            _ => &[],
        }
    }

    /// The base (English) name Discord sends in invocations.
    pub fn name(self, localizer: &Localizer) -> String {
        text(localizer, Locale::En, self.messages().0)
    }

    /// The command a base name invokes.
    pub fn parse(name: &str, localizer: &Localizer) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name(localizer) == name)
    }

    /// Whether the answer concerns only the asker (a claim, their settings):
    /// then, in a server, only they see it.
    pub fn is_personal(self) -> bool {
        !matches!(self, Self::Faq | Self::Promos | Self::Menu)
    }

    /// The registration: English with Indonesian localizations.
    pub fn create(self, localizer: &Localizer) -> CreateCommand {
        let (name, description) = self.messages();
        let mut command = CreateCommand::new(text(localizer, Locale::En, name))
            .description(text(localizer, Locale::En, description))
            .name_localized("id", text(localizer, Locale::Id, name))
            .description_localized("id", text(localizer, Locale::Id, description))
            .contexts(vec![InteractionContext::Guild, InteractionContext::BotDm]);
        for o in self.options() {
            let mut option =
                CreateCommandOption::new(CommandOptionType::String, text(localizer, Locale::En, o.name), {
                    text(localizer, Locale::En, o.description)
                })
                .name_localized("id", text(localizer, Locale::Id, o.name))
                .description_localized("id", text(localizer, Locale::Id, o.description))
                .required(o.required)
                .max_length(o.max_length);
            if o.languages {
                for (locale, label) in [(Locale::Id, m::BTN_LANG_ID), (Locale::En, m::BTN_LANG_EN)] {
                    option = option.add_string_choice_localized(
                        text(localizer, Locale::En, label),
                        locale.as_str(),
                        [("id", text(localizer, Locale::Id, label))],
                    );
                }
            }
            command = command.add_option(option);
        }
        command
    }

    /// What an invocation with these options asks the assistant.
    pub fn action(self, options: &[CommandDataOption], localizer: &Localizer) -> Action {
        let given: HashMap<&str, String> = options
            .iter()
            .filter_map(|o| match &o.value {
                CommandDataOptionValue::String(s) => Some((o.name.as_str(), clean(s))),
                _ => None,
            })
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let get = |o: &Opt| given.get(text(localizer, Locale::En, o.name).as_str()).cloned();
        match self {
            Self::Menu => Action::Menu,
            Self::Faq => Action::FaqMenu,
            Self::Status => Action::Status {
                serial: get(&SERIAL),
                chk: get(&CHK),
            },
            Self::Lang => Action::Language(get(&LANGUAGE).and_then(|l| Locale::parse(&l).ok())),
            Self::Promos => Action::Promos,
            Self::Subscribe => Action::Subscribe,
            Self::Unsubscribe => Action::Unsubscribe,
            Self::Agent => Action::Agent {
                message: get(&MESSAGE).unwrap_or_default(),
            },
            Self::Link => Action::Link { email: get(&EMAIL) },
            Self::Verify => Action::Verify { code: get(&CODE) },
        }
    }
}

fn text(localizer: &Localizer, locale: Locale, def: MsgDef) -> String {
    localizer.render(locale, &Msg::new(def))
}

/// An option's value as the assistant reads typed text: no control or
/// invisible formatting characters (nor newlines), trimmed, bounded.
fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '\n' && crate::assistant::kept_char(*c))
        .take(crate::assistant::MAX_TEXT_CHARS)
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Discord's rule for command and option names (lower case where the script
    /// has case, 1–32 characters).
    fn valid_name(s: &str) -> bool {
        let n = s.chars().count();
        (1..=32).contains(&n) && s.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') && s.to_lowercase() == s
    }

    #[test]
    fn names_and_descriptions_fit_discord_in_both_languages() {
        let l = Localizer::builtin();
        let mut english = std::collections::HashSet::new();
        for slash in Slash::ALL {
            for locale in Locale::ALL {
                let (name, description) = slash.messages();
                assert!(valid_name(&text(l, locale, name)), "{slash:?} {locale}");
                let d = text(l, locale, description);
                assert!((1..=100).contains(&d.chars().count()), "{slash:?} {locale}: {d}");
                for o in slash.options() {
                    assert!(valid_name(&text(l, locale, o.name)), "{slash:?} option {locale}");
                    assert!((1..=100).contains(&text(l, locale, o.description).chars().count()));
                }
            }
            assert!(english.insert(slash.name(l)), "two commands named {}", slash.name(l));
            assert_eq!(Slash::parse(&slash.name(l), l), Some(slash));
        }
        assert_eq!(Slash::parse("nope", l), None);
    }

    #[test]
    fn registration_carries_indonesian_localizations() {
        let l = Localizer::builtin();
        let json = serde_json::to_value(Slash::Status.create(l)).unwrap();
        assert_eq!(json["name"], "status");
        assert_eq!(json["name_localizations"]["id"], text(l, Locale::Id, m::DC_STATUS));
        assert_eq!(json["options"][0]["required"], true);
        assert_eq!(
            json["options"][0]["name_localizations"]["id"],
            text(l, Locale::Id, m::DC_OPT_SERIAL)
        );
        let lang = serde_json::to_value(Slash::Lang.create(l)).unwrap();
        assert_eq!(lang["options"][0]["choices"][0]["value"], "id");
        assert_eq!(lang["options"][0]["choices"][1]["value"], "en");
    }
}
