//! The terminal as a chat channel: `redeemdesk chat`. One stdin line is one
//! message; typing a button's data (`faq`, `lang:en`, `faq:redeem.how`, …)
//! presses that button.

use std::io::{BufRead, Write};

use chrono::Utc;

use crate::assistant::{Assistant, Content, Inbound, Rendered, is_button_data};
use crate::domain::Channel;
use crate::i18n::Localizer;

pub struct ConsoleOptions {
    pub user: String,
    pub lang_hint: Option<String>,
    pub json: bool,
}

/// Runs the conversation until end of input.
pub async fn run(
    assistant: &Assistant,
    options: &ConsoleOptions,
    input: impl BufRead,
    mut output: impl Write,
) -> anyhow::Result<()> {
    let localizer = Localizer::builtin();
    for line in input.lines() {
        let line = line?;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let content = if is_button_data(text) {
            Content::Button(text.to_owned())
        } else {
            Content::Text(text.to_owned())
        };
        let inbound = Inbound {
            channel: Channel::Console,
            user: options.user.clone(),
            content,
            lang_hint: options.lang_hint.clone(),
            event_id: None,
            public: false,
        };
        let rendered = match assistant.handle(&inbound, Utc::now()).await {
            Ok(outcome) => outcome.render(localizer),
            Err(e) => {
                tracing::error!(error = %e, "assistant failed");
                let locale = inbound
                    .lang_hint
                    .as_deref()
                    .and_then(|l| crate::domain::Locale::parse(l).ok());
                vec![
                    crate::assistant::Reply::text(crate::i18n::messages::ERROR_INTERNAL)
                        .render(localizer, locale.unwrap_or_default()),
                ]
            }
        };
        for r in rendered {
            write_reply(&mut output, &r, options.json)?;
        }
        output.flush()?;
    }
    Ok(())
}

fn write_reply(out: &mut impl Write, r: &Rendered, json: bool) -> std::io::Result<()> {
    if json {
        let line = serde_json::to_string(r).expect("a rendered reply serialises");
        return writeln!(out, "{line}");
    }
    writeln!(out, "{}", r.text)?;
    if !r.buttons.is_empty() {
        let buttons: Vec<String> = r
            .buttons
            .iter()
            .map(|b| format!("[{}] ({})", b.label, b.data))
            .collect();
        writeln!(out, "{}", buttons.join("  "))?;
    }
    writeln!(out)
}
