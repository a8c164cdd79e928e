//! Inbound email as a plain value: [`parse`] turns raw RFC 822 bytes into an
//! [`InboundMail`] (its kind, the handles it carries, its attachments with a
//! decision per file, and the customer's own note), without touching the
//! database. What to do with it is decided elsewhere.

mod files;
mod images;
pub mod ingest;
pub mod matching;
mod signals;
pub mod trim;

pub use files::{AcceptedFile, FileLimits, FileProblem, RejectedFile, Sniffed, judge, sniff};
pub use images::{ImageLimits, Original, Prepared, prepare};

use mail_parser::{Address, HeaderValue, MessageParser};
use serde::Serialize;

use super::outbox::MailSettings;

/// What kind of email this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// A person writing to us (maybe about a claim).
    Reply,
    /// An out-of-office or other automatic answer: never answered.
    AutoReply,
    /// A delivery status notification.
    Bounce,
    /// Mailing-list traffic.
    List,
    /// A person, but nothing ties it to a claim (decided with the database).
    Unmatched,
    /// Not parseable as email.
    Malformed,
}

/// The strongest handle the message carries, as `inspect` can tell without the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    Token,
    InReplyTo,
    SubjectTag,
    Sender,
}

/// Reply tokens looked up per email (a reply carries one; a few more allow
/// for forwarding and Cc).
pub const MAX_TOKENS: usize = 8;
/// Message-IDs of In-Reply-To and References looked up per email, In-Reply-To
/// first: a reply's parent is its first.
pub const MAX_PARENT_IDS: usize = 32;

/// A failed delivery a bounce reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bounce {
    pub recipient: Option<String>,
    /// 5.x.x: the address is gone; 4.x.x: it may work later.
    pub hard: bool,
    pub status: Option<String>,
    /// The Message-ID of the email that bounced (from the returned headers),
    /// with angle brackets: a bounce acts only when it names one we sent.
    pub original_message_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboundMail {
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub subject: String,
    pub kind: MailKind,
    /// Reply tokens found in recipient addresses (To, Cc, Delivered-To, X-Original-To), in order.
    pub tokens: Vec<String>,
    /// Message-IDs from In-Reply-To and References (with angle brackets).
    pub parent_ids: Vec<String>,
    /// The redemption id of a `[RDM-<id>]` subject tag.
    pub subject_tag: Option<i64>,
    pub bounce: Option<Bounce>,
    pub accepted: Vec<AcceptedFile>,
    pub rejected: Vec<RejectedFile>,
    pub note: String,
}

impl InboundMail {
    /// The strongest handle this message carries (before checking any against the database).
    pub fn strongest_handle(&self, settings: &MailSettings) -> Option<MatchedBy> {
        if !self.tokens.is_empty() {
            Some(MatchedBy::Token)
        } else if self.parent_ids.iter().any(|id| is_our_message_id(id, settings)) {
            Some(MatchedBy::InReplyTo)
        } else if self.subject_tag.is_some() {
            Some(MatchedBy::SubjectTag)
        } else {
            None
        }
    }
}

/// Message-IDs we generate end in `@<reply domain>>`.
pub fn is_our_message_id(id: &str, settings: &MailSettings) -> bool {
    id.to_lowercase()
        .ends_with(&format!("@{}>", settings.reply_domain.to_lowercase()))
}

fn addresses(a: Option<&Address>) -> Vec<String> {
    a.map(|a| a.iter().filter_map(|x| x.address()).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The token of `<local>+<token>@<domain>`, if the address is one of ours.
/// Tokens are case-sensitive; the local part and domain are not.
pub fn token_of(address: &str, settings: &MailSettings) -> Option<String> {
    let address = address.trim().trim_start_matches('<').trim_end_matches('>');
    let (local, domain) = address.rsplit_once('@')?;
    if !domain.eq_ignore_ascii_case(&settings.reply_domain) {
        return None;
    }
    let (base, token) = local.split_once('+')?;
    if !base.eq_ignore_ascii_case(&settings.reply_local) || token.is_empty() {
        return None;
    }
    token
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        .then(|| token.to_owned())
}

/// `[RDM-1042]` anywhere in the subject.
pub fn subject_tag(subject: &str) -> Option<i64> {
    // ASCII folding keeps byte offsets: full Unicode upper-casing does not
    // ("ŉ" becomes two characters) and the cut fell off the text.
    let upper = subject.to_ascii_uppercase();
    let at = upper.find("[RDM-")?;
    let rest = &subject[at + 5..];
    let end = rest.find(']')?;
    rest[..end].trim().parse().ok()
}

fn header_text(v: &HeaderValue) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// Parses raw email. Never fails: what cannot be read is `malformed`.
pub fn parse(raw: &[u8], settings: &MailSettings, limits: &FileLimits) -> InboundMail {
    let malformed = || InboundMail {
        message_id: None,
        from: None,
        subject: String::new(),
        kind: MailKind::Malformed,
        tokens: Vec::new(),
        parent_ids: Vec::new(),
        subject_tag: None,
        bounce: None,
        accepted: Vec::new(),
        rejected: Vec::new(),
        note: String::new(),
    };
    // mail-parser has `debug_assert!`s that hostile MIME can reach (found by
    // fuzzing: "Invalid part ID"); release builds skip them, debug builds
    // panic. Either way such a message is one we cannot read safely.
    let Ok(Some(msg)) = std::panic::catch_unwind(|| MessageParser::default().parse(raw)) else {
        return malformed();
    };
    // Something with neither a sender nor a single header we know is not email.
    if msg.headers().is_empty() || (msg.from().is_none() && msg.message_id().is_none() && msg.subject().is_none()) {
        return malformed();
    }
    let from = msg
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(str::to_lowercase);
    let subject = msg.subject().unwrap_or_default().to_owned();

    let mut recipients = addresses(msg.to());
    recipients.extend(addresses(msg.cc()));
    for name in ["Delivered-To", "X-Original-To"] {
        for v in msg.header_values(name) {
            recipients.extend(header_text(v));
            if let Some(a) = v.as_address() {
                recipients.extend(addresses(Some(a)));
            }
        }
    }
    // Each handle costs a look-up in `matching::find`: a hostile email with
    // thousands of recipients or References gets the first few looked at.
    let mut tokens: Vec<String> = Vec::new();
    for r in &recipients {
        if tokens.len() == MAX_TOKENS {
            break;
        }
        if let Some(t) = token_of(r, settings)
            && !tokens.contains(&t)
        {
            tokens.push(t);
        }
    }
    let mut parent_ids = Vec::new();
    'ids: for v in [msg.in_reply_to(), msg.references()] {
        for id in header_text(v) {
            if parent_ids.len() == MAX_PARENT_IDS {
                break 'ids;
            }
            let id = format!("<{}>", id.trim().trim_start_matches('<').trim_end_matches('>'));
            if !parent_ids.contains(&id) {
                parent_ids.push(id);
            }
        }
    }

    let bounce = signals::bounce(&msg);
    let kind = if bounce.is_some() {
        MailKind::Bounce
    } else if signals::is_auto_reply(&msg, from.as_deref(), &subject) {
        MailKind::AutoReply
    } else if signals::is_list(&msg) {
        MailKind::List
    } else {
        MailKind::Reply
    };

    let (accepted, rejected) = if kind == MailKind::Reply {
        files::collect(&msg, limits)
    } else {
        (Vec::new(), Vec::new())
    };
    let note = if kind == MailKind::Reply {
        trim::note(&msg)
    } else {
        String::new()
    };
    InboundMail {
        message_id: msg.message_id().map(|id| format!("<{id}>")),
        from,
        subject_tag: subject_tag(&subject),
        subject,
        kind,
        tokens,
        parent_ids,
        bounce,
        accepted,
        rejected,
        note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> MailSettings {
        MailSettings {
            reply_local: "support".into(),
            reply_domain: "example.test".into(),
            handle_ttl: chrono::Duration::days(60),
        }
    }

    #[test]
    fn tokens_are_ours_and_case_sensitive() {
        let s = settings();
        assert_eq!(token_of("Support+AbC123@Example.test", &s).as_deref(), Some("AbC123"));
        assert_eq!(token_of("support+x@other.test", &s), None);
        assert_eq!(token_of("sales+x@example.test", &s), None);
        assert_eq!(token_of("support@example.test", &s), None);
        assert_eq!(token_of("support+a b@example.test", &s), None);
    }

    #[test]
    fn subject_tags() {
        assert_eq!(subject_tag("Re: [RDM-1042] Klaim Anda"), Some(1042));
        assert_eq!(subject_tag("RE: [rdm-7]"), Some(7));
        assert_eq!(subject_tag("[RDM-x]"), None);
        assert_eq!(subject_tag("hello"), None);
        // Found by reading: text that grows when upper-cased used to panic.
        assert_eq!(subject_tag("ŉ[RDM-é]"), None);
        assert_eq!(subject_tag("ŉŉŉ Re: [RDM-1042]"), Some(1042));
    }

    #[test]
    fn handles_looked_up_are_capped() {
        let to: Vec<String> = (0..5000).map(|i| format!("support+tok{i:05}@example.test")).collect();
        let refs: Vec<String> = (0..5000).map(|i| format!("<r{i}@x.test>")).collect();
        let raw = format!(
            "From: a@b.test\r\nTo: {}\r\nIn-Reply-To: <parent@x.test>\r\nReferences: {}\r\n\
             Message-ID: <m@b.test>\r\nSubject: hi\r\n\r\nbody\r\n",
            to.join(", "),
            refs.join(" ")
        );
        let m = parse(raw.as_bytes(), &settings(), &FileLimits::default());
        assert_eq!(m.tokens.len(), MAX_TOKENS);
        assert_eq!(m.tokens[0], "tok00000");
        assert_eq!(m.parent_ids.len(), MAX_PARENT_IDS);
        assert_eq!(m.parent_ids[0], "<parent@x.test>", "In-Reply-To first");
    }

    #[test]
    fn a_message_that_trips_the_parsers_assertion_does_not_panic() {
        // Found by the `mail_parse` fuzz target (a mutation of one of our fixtures).
        let raw = include_bytes!("../../../tests/fixtures/fuzz/mail-parser-part-id.eml");
        let m = parse(raw, &settings(), &FileLimits::default());
        if cfg!(debug_assertions) {
            assert_eq!(m.kind, MailKind::Malformed);
        }
    }

    #[test]
    fn garbage_is_malformed() {
        let m = parse(b"\x00\x01\x02 not an email", &settings(), &FileLimits::default());
        assert_eq!(m.kind, MailKind::Malformed);
    }
}
