//! Raw bytes as an inbound email: MIME parsing, classification (reply,
//! auto-reply, bounce, list), handle extraction, attachment extraction with
//! each file's verdict (sniffing, image decoding limits) and quote stripping.
#![no_main]

use libfuzzer_sys::fuzz_target;
use redeemdesk::mail::inbound::{FileLimits, MAX_PARENT_IDS, MAX_TOKENS, parse, trim};
use redeemdesk::mail::outbox::MailSettings;

fuzz_target!(|data: &[u8]| {
    let settings = MailSettings {
        reply_local: "support".into(),
        reply_domain: "example.test".into(),
        handle_ttl: chrono::Duration::days(60),
    };
    let limits = FileLimits::default();
    let mail = parse(data, &settings, &limits);
    // What the limits promise, whatever the input.
    assert!(mail.accepted.len() <= limits.max_files, "{} files accepted", mail.accepted.len());
    for file in &mail.accepted {
        assert!(file.data.len() <= limits.max_file_bytes);
        assert_eq!(file.bytes as usize, file.data.len());
        // Accepted names are safe to put on a path: ASCII letters, digits, `-`, `_` and one dot.
        assert!(
            file.filename.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')),
            "{:?}",
            file.filename
        );
        assert!(!file.filename.contains(".."), "{:?}", file.filename);
    }
    for token in &mail.tokens {
        assert!(!token.is_empty());
    }
    // Each handle costs a database look-up: bounded whatever the headers hold.
    assert!(mail.tokens.len() <= MAX_TOKENS);
    assert!(mail.parent_ids.len() <= MAX_PARENT_IDS);
    if let Some(b) = &mail.bounce
        && let Some(id) = &b.original_message_id
    {
        assert!(id.starts_with('<') && id.ends_with('>') && !id.contains(char::is_whitespace), "{id:?}");
    }
    // The quote stripper on the same bytes read as text.
    let _ = trim::note_of(&String::from_utf8_lossy(data));
});
