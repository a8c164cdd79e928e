//! What a turn adds to the chat's transcript (the recent conversation staff
//! see on an escalation): the customer's input as they sent it, minus the
//! secrets (CHK codes, email addresses, link codes), and the bot's answers.

use super::input::{Action, Content};
use super::state::Dialogue;

/// Characters of one transcript line kept.
const MAX_CHARS: usize = 1000;

/// The customer's side of a turn, described for staff.
pub fn customer_line(content: &Content, action: &Action, dialogue: &Dialogue) -> String {
    let line = match (content, action) {
        (Content::Attachment { filename, .. }, _) => format!("[file: {filename}]"),
        (_, Action::Text(_)) if matches!(dialogue, Dialogue::AwaitingLinkCode) => "[a link code]".to_owned(),
        (_, Action::Text(text)) => scrub(text),
        (_, Action::Menu) => "/menu".to_owned(),
        (_, Action::Help) => "/help".to_owned(),
        (_, Action::FaqMenu) => "/faq".to_owned(),
        (_, Action::Faq(intent)) => format!("/faq {}", intent.id()),
        (_, Action::Status { serial, .. }) => match serial {
            Some(s) => format!("/status {}", scrub(s)),
            None => "/status".to_owned(),
        },
        (_, Action::Language(Some(l))) => format!("/lang {l}"),
        (_, Action::Language(None)) => "/lang".to_owned(),
        (_, Action::Promos) => "/promos".to_owned(),
        (_, Action::Subscribe) => "/subscribe".to_owned(),
        (_, Action::Unsubscribe) => "/unsubscribe".to_owned(),
        (_, Action::Agent { message }) if message.trim().is_empty() => "/agent".to_owned(),
        (_, Action::Agent { message }) => format!("/agent {}", scrub(message)),
        (_, Action::Link { .. }) => "/link".to_owned(),
        (_, Action::Verify { .. }) => "/verify".to_owned(),
        (_, Action::UnknownCommand(c)) => format!("/{}", c.trim_start_matches('/')),
        (_, Action::Attachment) => "[file]".to_owned(),
        (_, Action::Reupload { submit: true }) => "[submit the file as it is]".to_owned(),
        (_, Action::Reupload { submit: false }) => "[send another file]".to_owned(),
    };
    cut(&line)
}

/// Masks CHK codes (a lone group of three digits) and email addresses.
pub fn scrub(text: &str) -> String {
    let text = crate::redact::addresses(text);
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() == 3 && run.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str("•••");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

pub fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_CHARS {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(MAX_CHARS).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked() {
        assert_eq!(scrub("SN K2305N0012345 chk 482"), "SN K2305N0012345 chk •••");
        assert_eq!(
            scrub("cek 482, email budi@example.com"),
            "cek •••, email ***@example.com"
        );
        assert_eq!(scrub("tahun 2024 harga 1500"), "tahun 2024 harga 1500");
    }
}
