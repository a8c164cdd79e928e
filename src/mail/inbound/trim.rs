//! The customer's own words in a reply: the body cut at the first line that
//! starts quoted history ("On … wrote:", "Pada … menulis:", Outlook's
//! "From:/Sent:" or "Dari:/Dikirim:" block, "-----Original Message-----") or a
//! signature ("-- ", "Sent from my iPhone", "Dikirim dari iPhone saya"), with
//! `>` quoted lines dropped. HTML-only mail is read through its text rendering.

use mail_parser::Message;

/// Lines that end the customer's text by themselves.
const SIGNATURE_STARTS: &[&str] = &[
    "sent from my ",
    "sent from outlook",
    "sent from mail for windows",
    "get outlook for ",
    "dikirim dari ",
    "terkirim dari ",
    "dapatkan outlook untuk ",
    "sent via ",
];

/// A line that starts a forward on its own (Apple Mail). Separators such as
/// "-----Original Message-----" are recognised by their words (`SEPARATOR_WORDS`).
const FORWARD_STARTS: &[&str] = &["begin forwarded message:"];

const HEADER_FROM: &[&str] = &[
    "from:", "dari:", "van:", "de:", "von:", "da:", "od:", "от:", "fra:", "från:",
];
const HEADER_SENT: &[&str] = &[
    "sent:",
    "dikirim:",
    "terkirim:",
    "date:",
    "tanggal:",
    "to:",
    "kepada:",
    "subject:",
    "subjek:",
    "perihal:",
    "gesendet:",
    "an:",
    "betreff:",
    "inviato:",
    "data:",
    "a:",
    "oggetto:",
    "enviado:",
    "para:",
    "asunto:",
    "envoyé:",
    "à:",
    "objet:",
    "verzonden:",
    "aan:",
    "onderwerp:",
    "risposta:",
];

/// Verbs of attribution lines ("… wrote:") in the languages customers and
/// their mail clients use.
const WROTE: &[&str] = &[
    "wrote",
    "menulis",
    "schrieb",
    "a écrit",
    "schreef",
    "skrev",
    "napisał",
    "scrisse",
    "escribió",
    "escreveu",
    "kirjoitti",
    "írta",
    "написал",
];

/// Separator lines with only these words between dashes or asterisks.
const SEPARATOR_WORDS: &[&str] = &[
    "original message",
    "pesan asli",
    "pesan awal",
    "forwarded message",
    "pesan terusan",
    "ursprüngliche nachricht",
    "messaggio originale",
    "mensaje original",
    "message d'origine",
    "oorspronkelijk bericht",
];

/// `2016-03-03 17:21 GMT+01:00 Some One <x@y>:` and similar: a date first, a colon last.
fn is_dated_attribution(l: &str) -> bool {
    let b = l.as_bytes();
    let iso = b.len() > 10 && b[..4].iter().all(u8::is_ascii_digit) && (b[4] == b'-' || b[4] == b'/');
    iso && l.ends_with(':') && (l.contains('@') || l.contains(" gmt"))
}

fn mentions_wrote(l: &str) -> bool {
    WROTE.iter().any(|w| l.contains(&format!(" {w}")))
}

fn is_attribution(line: &str, next: Option<&str>) -> bool {
    let l = line.trim().to_lowercase();
    let joined = match next {
        Some(n) => format!("{l} {}", n.trim().to_lowercase()),
        None => l.clone(),
    };
    let opens =
        |s: &str| s.starts_with("on ") || s.starts_with("pada ") || s.starts_with("le ") || s.starts_with("am ");
    // HTML rendered to text may run the quote on after the colon.
    let colon = l.ends_with(':') || l.contains(" wrote:") || l.contains(" menulis:");
    (opens(&l) && mentions_wrote(&l) && colon)
        || (opens(&l) && next.is_some() && mentions_wrote(&joined) && joined.trim_end().ends_with(':'))
        || (l.contains('@') && mentions_wrote(&l) && l.ends_with(':'))
        || (l.starts_with("----") && mentions_wrote(&l))
        || (l.starts_with("at ") && l.contains("you wrote:"))
        || is_dated_attribution(&l)
}

/// Where the customer's text ends, as a line index.
fn cut(lines: &[&str]) -> usize {
    for (i, line) in lines.iter().enumerate() {
        let l = line.trim().to_lowercase();
        // The signature separator "-- " (many clients drop its trailing space).
        if l == "--" {
            return i;
        }
        if SIGNATURE_STARTS.iter().any(|s| l.starts_with(s)) && l.len() < 80 {
            return i;
        }
        if FORWARD_STARTS.iter().any(|s| l.starts_with(s)) {
            return i;
        }
        let words = l.trim_matches(|c: char| c == '-' || c == '*' || c == '_' || c.is_whitespace());
        if words.len() < l.len() && SEPARATOR_WORDS.contains(&words) {
            return i;
        }
        if is_attribution(line, lines.get(i + 1).copied()) {
            return i;
        }
        // Outlook: a "From:" (or "Dari:") line followed soon by "Sent:" / "Dikirim:" / "To:"
        // (bold in rich text: "*From:*").
        let plain = l.replace('*', "");
        if HEADER_FROM.iter().any(|h| plain.starts_with(h)) {
            let soon = lines
                .iter()
                .skip(i + 1)
                .take(4)
                .map(|n| n.trim().to_lowercase().replace('*', ""));
            if soon.filter(|n| HEADER_SENT.iter().any(|h| n.starts_with(h))).count() >= 1 {
                // A rule line just above belongs to the quote too.
                if i > 0 && lines[i - 1].trim().chars().all(|c| c == '_' || c == '-') && !lines[i - 1].trim().is_empty()
                {
                    return i - 1;
                }
                return i;
            }
        }
    }
    lines.len()
}

/// The customer's new text in `body`.
pub fn note_of(body: &str) -> String {
    let body = body.replace("\r\n", "\n");
    let lines: Vec<&str> = body.lines().collect();
    let end = cut(&lines);
    let kept: Vec<&str> = lines[..end]
        .iter()
        .copied()
        .filter(|l| !l.trim_start().starts_with('>'))
        // Gmail's tracking mark and similar lone symbols.
        .filter(|l| l.trim() != "ᐧ")
        .collect();
    let text = kept.join("\n");
    // Collapse runs of blank lines and trim.
    let mut out = String::new();
    let mut blank = 0;
    for line in text.trim().lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.trim().to_owned()
}

/// Where quoted history starts in an HTML body (Gmail, Outlook, Apple Mail,
/// Yahoo): everything from there on is not the customer's new text.
const HTML_QUOTE_MARKERS: &[&str] = &[
    "<blockquote",
    "class=\"gmail_quote",
    "id=\"divrplyfwdmsg",
    "id=\"appendonsend",
    "class=\"yahoo_quoted",
    "id=\"mail-editor-reference-message-container",
];

/// The customer's new text in a parsed message: the plain-text body, or for
/// HTML-only mail the HTML before its quoted part, rendered as text.
pub fn note(msg: &Message) -> String {
    if (msg.text_body_count() == 0 || msg.text_bodies().all(|p| p.is_text_html()))
        && let Some(html) = msg.html_bodies().next().and_then(|p| p.text_contents())
    {
        let lower = html.to_lowercase();
        let cut = HTML_QUOTE_MARKERS
            .iter()
            .filter_map(|m| lower.find(m))
            .min()
            .unwrap_or(html.len());
        // `find` on the lower-cased copy: cut on a char boundary of the original.
        let cut = (0..=cut.min(html.len()))
            .rev()
            .find(|i| html.is_char_boundary(*i))
            .unwrap_or(0);
        return note_of(&mail_parser::decoders::html::html_to_text(&html[..cut]));
    }
    msg.body_text(0).map(|b| note_of(&b)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail_indonesian_and_english() {
        let id = "Ini invoice yang benar kak.\n\nPada Sen, 4 Mei 2026 pukul 10.00 MSI Promo <support+x@example.test>\nmenulis:\n> Halo Budi,\n> klaim Anda ditolak";
        assert_eq!(note_of(id), "Ini invoice yang benar kak.");
        let en = "Attached is the invoice.\n\nOn Mon, May 4, 2026 at 10:00 AM MSI Promo <support@example.test> wrote:\n> Hello";
        assert_eq!(note_of(en), "Attached is the invoice.");
    }

    #[test]
    fn outlook_blocks_and_phone_signatures() {
        let outlook = "Berikut saya lampirkan.\n\n________________________________\nDari: MSI Promo <support@example.test>\nDikirim: Senin, 4 Mei 2026 10.00\nKepada: Budi\nSubjek: [RDM-1044]";
        assert_eq!(note_of(outlook), "Berikut saya lampirkan.");
        let en = "Here you go\r\n\r\nFrom: MSI Promo\r\nSent: Monday\r\nTo: me\r\n";
        assert_eq!(note_of(en), "Here you go");
        assert_eq!(
            note_of("Sudah saya kirim ulang\n\nDikirim dari iPhone saya"),
            "Sudah saya kirim ulang"
        );
        assert_eq!(note_of("ok\n-- \nBudi Santoso\n0812"), "ok");
    }
}
