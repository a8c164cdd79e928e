//! What kind of sender wrote: an auto-responder (by the union of the known
//! signals; `X-Auto-Response-Suppress` alone is not one, since Exchange puts it
//! on ordinary mail), a mailing list, or a mail server reporting a failed
//! delivery (RFC 3464 `multipart/report; report-type=delivery-status`).

use mail_parser::{Message, MimeHeaders};

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
    for part in &msg.parts {
        let Some(pct) = part.content_type() else { continue };
        let sub = pct.subtype().unwrap_or_default().to_ascii_lowercase();
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
    })
}
