//! What kind of sender wrote: an auto-responder (by the union of the known
//! signals; `X-Auto-Response-Suppress` alone is not one, since Exchange puts it
//! on ordinary mail), a mailing list, or a mail server reporting a failed
//! delivery (RFC 3464 `multipart/report; report-type=delivery-status`).

use mail_parser::{Message, MimeHeaders, PartType};

use super::Bounce;

const AUTO_SUBJECTS: &[&str] = &[
    "automatic reply",
    "auto reply",
    "autoreply",
    "auto-reply",
    "out of office",
    "out of the office",
    "autosvar",
    "abwesenheitsnotiz",
    "réponse automatique",
    "balasan otomatis",
    "balasan automatis",
    "jawaban otomatis",
    "sedang cuti",
    "di luar kantor",
];

const ROBOT_SENDERS: &[&str] = &[
    "mailer-daemon",
    "postmaster",
    "no-reply",
    "noreply",
    "do-not-reply",
    "donotreply",
];

fn raw<'a>(msg: &'a Message, name: &'static str) -> Option<&'a str> {
    msg.header_raw(name).map(str::trim)
}

pub fn is_auto_reply(msg: &Message, from: Option<&str>, subject: &str) -> bool {
    if let Some(v) = raw(msg, "Auto-Submitted")
        && !v.eq_ignore_ascii_case("no")
    {
        return true;
    }
    if raw(msg, "X-Autoreply").is_some() || raw(msg, "X-Autorespond").is_some() {
        return true;
    }
    if let Some(p) = raw(msg, "Precedence") {
        let p = p.to_ascii_lowercase();
        if ["bulk", "junk", "list", "auto_reply"].contains(&p.as_str()) {
            return true;
        }
    }
    if let Some(from) = from {
        let local = from.split('@').next().unwrap_or_default();
        if ROBOT_SENDERS.iter().any(|r| local.starts_with(r)) {
            return true;
        }
    }
    let s = subject.trim().to_lowercase();
    AUTO_SUBJECTS
        .iter()
        .any(|p| s.starts_with(p) || s.contains(&format!(": {p}")))
}

pub fn is_list(msg: &Message) -> bool {
    raw(msg, "List-Id").is_some() || raw(msg, "List-Unsubscribe").is_some()
}

/// The failed delivery a DSN reports, if this is one.
pub fn bounce(msg: &Message) -> Option<Bounce> {
    let ct = msg.root_part().content_type()?;
    let is_report = ct.ctype().eq_ignore_ascii_case("multipart")
        && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
        && ct
            .attribute("report-type")
            .is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"));
    if !is_report {
        return None;
    }
    // The machine-readable part: "Final-Recipient", "Action", "Status" fields.
    let mut recipient = None;
    let mut status = None;
    let mut failed = false;
    let mut original_message_id = None;
    for part in &msg.parts {
        let Some(pct) = part.content_type() else { continue };
        let sub = pct.subtype().unwrap_or_default().to_ascii_lowercase();
        if original_message_id.is_none() {
            original_message_id = returned_message_id(part, &sub);
        }
        if !(pct.ctype().eq_ignore_ascii_case("message")
            && (sub == "delivery-status" || sub == "global-delivery-status"))
        {
            continue;
        }
        let text = String::from_utf8_lossy(part.contents()).into_owned();
        for line in text.lines() {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "final-recipient" | "original-recipient" if recipient.is_none() => {
                    let addr = value.rsplit(';').next().unwrap_or(value).trim();
                    recipient = Some(addr.trim_matches(|c| c == '<' || c == '>').to_lowercase());
                }
                "action" => failed |= value.eq_ignore_ascii_case("failed"),
                "status" if status.is_none() => status = Some(value.to_owned()),
                _ => {}
            }
        }
    }
    let hard = failed && status.as_deref().is_some_and(|s| s.starts_with('5'));
    Some(Bounce {
        recipient,
        hard,
        status,
        original_message_id,
    })
}

/// The Message-ID of the returned message a DSN part carries (its third part:
/// the whole message, or only its headers), with angle brackets. This is what
/// ties a bounce to an email we really sent.
fn returned_message_id(part: &mail_parser::MessagePart, subtype: &str) -> Option<String> {
    let id = match &part.body {
        PartType::Message(inner) => inner.message_id().map(str::to_owned),
        _ if matches!(subtype, "rfc822-headers" | "global-headers") => {
            let text = String::from_utf8_lossy(part.contents());
            // Only the header block; a folded value continues on the next line.
            let mut lines = text.split("\n").map(|l| l.trim_end_matches('\r'));
            let mut found = None;
            while let Some(line) = lines.next() {
                if line.is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.trim().eq_ignore_ascii_case("message-id")
                {
                    let mut value = value.trim().to_owned();
                    if value.is_empty() {
                        value = lines.next().unwrap_or_default().trim().to_owned();
                    }
                    found = Some(value);
                    break;
                }
            }
            found
        }
        _ => None,
    }?;
    let bare = id.trim().trim_start_matches('<').trim_end_matches('>').trim();
    (!bare.is_empty() && bare.len() <= 250 && !bare.contains(|c: char| c.is_whitespace() || c.is_control()))
        .then(|| format!("<{bare}>"))
}

#[cfg(test)]
mod tests {
    use mail_parser::MessageParser;

    use super::bounce;

    fn dsn(third_part: &str) -> String {
        format!(
            "From: MAILER-DAEMON@mx.example.test\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
             --B\r\nContent-Type: text/plain\r\n\r\nUndeliverable.\r\n\
             --B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n\
             Final-Recipient: rfc822; a@example.test\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
             --B\r\n{third_part}\r\n--B--\r\n"
        )
    }

    fn returned(raw: &str) -> Option<String> {
        let msg = MessageParser::default().parse(raw.as_bytes()).unwrap();
        bounce(&msg).unwrap().original_message_id
    }

    #[test]
    fn a_bounce_names_the_email_it_returns() {
        let whole = "Content-Type: message/rfc822\r\n\r\nFrom: s@example.test\r\nMessage-ID: <RDM-1.ab@example.test>\r\n\r\nbody";
        assert_eq!(returned(&dsn(whole)).as_deref(), Some("<RDM-1.ab@example.test>"));
        let headers =
            "Content-Type: text/rfc822-headers\r\n\r\nSubject: x\r\nmessage-id:\r\n   <RDM-2.cd@example.test>\r\n";
        assert_eq!(returned(&dsn(headers)).as_deref(), Some("<RDM-2.cd@example.test>"));
        // Only the header block counts, and a value must look like an id.
        let in_body = "Content-Type: text/rfc822-headers\r\n\r\nSubject: x\r\n\r\nMessage-ID: <late@example.test>\r\n";
        assert_eq!(returned(&dsn(in_body)), None);
        let junk = "Content-Type: text/rfc822-headers\r\n\r\nMessage-ID: <a b\u{1}>\r\n";
        assert_eq!(returned(&dsn(junk)), None);
        assert_eq!(
            returned(&dsn("Content-Type: text/plain\r\n\r\nMessage-ID: <x@y>")),
            None
        );
    }
}
