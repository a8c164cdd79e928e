//! A chat message as the assistant reads it (commands, buttons, free text),
//! the FAQ classifier and language detection on it, and what the adapters do
//! to text before a platform sees it (Discord's escaping, Telegram's split)
//! or after (a group message's mention of the bot).
#![no_main]

use libfuzzer_sys::fuzz_target;
use redeemdesk::assistant::{Action, Content, MAX_TEXT_CHARS, parse_button};
use redeemdesk::channels::{discord, telegram};
use redeemdesk::faq::{Classifier, lang};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let action = Content::Text(text.to_owned()).action();
    if let Action::Text(t) = &action {
        assert!(t.chars().count() <= MAX_TEXT_CHARS);
        assert!(t.chars().all(|c| !c.is_control() || c == '\n'), "{t:?}");
    }
    let _ = parse_button(text);
    let _ = Classifier::shared().classify(text);
    let _ = lang::detect(text);

    let escaped = discord::render::escape(text);
    for mention in ["@everyone", "@here"] {
        assert!(!escaped.contains(mention), "{escaped:?}");
    }
    if let Some(rest) = telegram::addressed_to(text, "RedeemBot") {
        assert!(rest.len() <= text.len());
    }
    for part in telegram::render::split(text, 4096) {
        assert!(part.encode_utf16().count() <= 4096);
    }
});
