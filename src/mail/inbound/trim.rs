//! The customer's own words in a reply: quoted history, forwarded mail, mobile
//! signatures and signature blocks removed, for the mail clients our customers
//! use in Indonesian and English (and the other languages their clients may be
//! set to).
//!
//! Every line of the body is first classified (empty, text, `>` quote,
//! delimiter such as "-- " or "_____", mobile signature, the start of an
//! embedded email such as "On … wrote:" / "Pada … menulis:" or
//! "-----Original Message-----", an Outlook header line such as "From:" /
//! "Dari:"), then the pattern of classes decides what is kept:
//! - everything from the first delimiter on is dropped, and so are mobile
//!   signature lines ("Sent from my iPhone", "Dikirim dari iPhone saya");
//! - a reply that starts with an attribution and its quote (bottom posting)
//!   keeps what follows the quote;
//! - text followed by an attribution is cut there, unless the quote after it
//!   is followed by a lot of new text (an inline reply, kept with its quotes);
//! - text followed by a block of three or more header lines is cut there;
//! - quotes at the very end are dropped, quotes between the customer's own
//!   lines (inline replies) and quote-only bodies are kept.
//!
//! A sign-off ("Regards,", "Terima kasih,", "Salam,") and the name under it are
//! kept; the block of title / company / phone / address lines under the name is
//! not. HTML-only mail is read through its text rendering, cut where its quoted
//! part starts.

use mail_parser::Message;

/// What a line of the body is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Empty,
    Text,
    Quote,
    /// "-- ", "____", "====", "ᐧ": the rest is a signature or quoted mail.
    Delimiter,
    /// A mobile or mail-app signature line.
    Signature,
    /// The start of quoted or forwarded mail: an attribution line or a separator.
    Embedded,
    /// A header line of a quoted or forwarded mail ("From:", "Dikirim:").
    Header,
}

/// Characters that make up delimiter lines ("-- ", "________", "ᐧ").
const DELIMITER_CHARS: &[char] = &['-', '_', '=', '+', '~', '#', '*', 'ᐧ', '—', '–'];

/// Starts of mobile and mail-app signature lines (lower case).
const SIGNATURE_STARTS: &[&str] = &[
    "sent from my ",
    "sent on my ",
    "get outlook for ",
    "download outlook for ",
    "dapatkan outlook untuk ",
    "unduh outlook untuk ",
    "envoyé depuis ",
    "envoyé de mon ",
    "envoyé avec ",
    "von meinem ",
    "gesendet von ",
    "gesendet mit ",
    "diese nachricht wurde von meinem ",
    "enviado desde ",
    "enviado do meu ",
    "enviado de meu ",
    "enviado com ",
    "inviato da ",
    "inviato dal mio ",
    "verzonden met ",
    "verzonden vanaf ",
    "verstuurd vanaf ",
    "verstuurd met ",
    "sendt fra ",
    "skickat från ",
    "lähetetty ",
    "wysłane z ",
    "отправлено с ",
    "отправлено из ",
    "從我的 ",
    "从我的 ",
    "iphoneから送信",
];

/// Starts of signature lines that need a device or app word too, since "Sent
/// from the shop on Monday" and "Dikirim dari gudang …" are ordinary text.
const SIGNATURE_STARTS_WEAK: &[&str] = &[
    "sent from ",
    "sent via ",
    "sent with ",
    "sent by ",
    "sent using ",
    "dikirim dari ",
    "terkirim dari ",
    "dikirim melalui ",
    "dikirim menggunakan ",
    "dikirim via ",
    "dikirim dengan ",
];

/// Devices and mail apps named in signature lines.
const DEVICE_WORDS: &[&str] = &[
    "iphone",
    "ipad",
    "ipod",
    "android",
    "ponsel",
    "perangkat",
    "seluler",
    "smartphone",
    "mobile",
    "phone",
    "cell",
    "device",
    "samsung",
    "galaxy",
    "xiaomi",
    "redmi",
    "oppo",
    "vivo",
    "huawei",
    "realme",
    "asus",
    "nokia",
    "htc",
    "yahoo",
    "outlook",
    "gmail",
    "mail",
    "windows",
    "aplikasi",
    "blackberry",
    "tablet",
    "airmail",
    "spark",
    "proton",
    "hp ",
    "ti-",
];

/// Short lines that end with these are signatures ("Someone from mobile").
const SIGNATURE_ENDS: &[&str] = &[
    "from mobile",
    "from my mobile",
    "from my phone",
    "from my iphone",
    "from my ipad",
];

/// Separator lines that start the quoted mail of a reply, by their words
/// (between dashes or asterisks): everything from there on goes.
const REPLY_SEPARATORS: &[&str] = &[
    "original message",
    "pesan asli",
    "pesan awal",
    "ursprüngliche nachricht",
    "messaggio originale",
    "mensaje original",
    "mensagem original",
    "message d'origine",
    "oorspronkelijk bericht",
    "исходное сообщение",
    "原始邮件",
];

/// Separator lines that start a forwarded mail. A forward with nothing written
/// above it keeps the forwarded text.
const FORWARD_SEPARATORS: &[&str] = &[
    "forwarded message",
    "begin forwarded message",
    "pesan terusan",
    "pesan yang diteruskan",
    "awal pesan yang diteruskan",
    "pesan diteruskan",
    "weitergeleitete nachricht",
    "messaggio inoltrato",
    "mensaje reenviado",
    "mensagem encaminhada",
    "message transféré",
    "doorgestuurd bericht",
    "пересылаемое сообщение",
    "转发的邮件",
];

/// Header names of quoted or forwarded mail (lower case, without the colon).
const HEADERS: &[&str] = &[
    // English
    "from",
    "sent",
    "date",
    "to",
    "cc",
    "bcc",
    "subject",
    "reply-to",
    "importance",
    "attachments",
    // Indonesian
    "dari",
    "dikirim",
    "terkirim",
    "tanggal",
    "kepada",
    "tembusan",
    "subjek",
    "perihal",
    "judul",
    "balas ke",
    "lampiran",
    // German, Italian, Spanish, Portuguese, French, Dutch, Nordic, Polish, Russian, Chinese
    "von",
    "gesendet",
    "an",
    "betreff",
    "datum",
    "da",
    "inviato",
    "data",
    "a",
    "oggetto",
    "risposta",
    "de",
    "enviado",
    "enviada",
    "para",
    "asunto",
    "assunto",
    "fecha",
    "envoyé",
    "à",
    "objet",
    "van",
    "verzonden",
    "aan",
    "onderwerp",
    "från",
    "skickat",
    "till",
    "ämne",
    "fra",
    "sendt",
    "til",
    "emne",
    "od",
    "wysłano",
    "do",
    "temat",
    "от",
    "отправлено",
    "кому",
    "тема",
    "дата",
    "发件人",
    "收件人",
    "发送时间",
    "主题",
    "日期",
];

/// Headers naming the sender and the subject: a header block has both.
const FROM_HEADERS: &[&str] = &[
    "from",
    "dari",
    "von",
    "da",
    "de",
    "van",
    "från",
    "fra",
    "od",
    "от",
    "发件人",
];
const SUBJECT_HEADERS: &[&str] = &[
    "subject",
    "subjek",
    "perihal",
    "judul",
    "betreff",
    "oggetto",
    "asunto",
    "assunto",
    "objet",
    "onderwerp",
    "ämne",
    "emne",
    "temat",
    "тема",
    "主题",
];

/// Verbs of attribution lines ("… wrote:") in the languages our customers'
/// mail clients use.
const WROTE: &[&str] = &[
    "wrote",
    "writes",
    "menulis",
    "schrieb",
    "a écrit",
    "schreef",
    "geschreven",
    "skrev",
    "napisał(a)",
    "napisał",
    "napisal",
    "scrisse",
    "ha scritto",
    "escribió",
    "escribio",
    "escreveu",
    "kirjoitti",
    "írta",
    "napsal",
    "написал(а)",
    "написал",
    "написала",
    "написав",
    "пише",
    "yazdı",
    "viết",
];

/// Verbs written without a space before them.
const WROTE_CJK: &[&str] = &["写道", "寫道", "のメッセージ"];

/// First words of attribution lines ("On …", "Pada …", "Le …", "Am …").
const OPENERS: &[&str] = &[
    "on", "pada", "tanggal", "le", "am", "el", "em", "il", "op", "den", "dnia", "at", "w", "в", "在", "vào",
];

/// Sign-offs kept with the name under them ("Regards,\nSarah").
const SIGN_OFFS: &[&str] = &[
    "regards",
    "best regards",
    "kind regards",
    "warm regards",
    "warmest regards",
    "with regards",
    "best wishes",
    "best",
    "br",
    "rgds",
    "thanks",
    "thanks again",
    "thanks in advance",
    "thank you",
    "thank you very much",
    "many thanks",
    "cheers",
    "sincerely",
    "yours sincerely",
    "yours truly",
    "yours faithfully",
    "respectfully",
    "salam",
    "salam hangat",
    "salam sukses",
    "salam kenal",
    "hormat saya",
    "hormat kami",
    "dengan hormat",
    "terima kasih",
    "terimakasih",
    "terima kasih banyak",
    "terima kasih atas bantuannya",
    "terima kasih sebelumnya",
    "makasih",
    "trims",
    "tks",
    "thx",
    "wassalam",
];

/// Labels of phone lines in signature blocks.
const PHONE_LABELS: &[&str] = &[
    "tel", "telp", "telepon", "telpon", "phone", "ph", "hp", "wa", "whatsapp", "mobile", "mob", "cell", "fax", "m",
    "t", "p", "o", "office", "kantor", "no", "no. hp", "no hp", "hp/wa", "wa/hp",
];

/// Lower case, whitespace collapsed.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// The line without its quote marks ("> > text" → "text").
fn unquoted(line: &str) -> &str {
    line.trim_start_matches(|c: char| c == '>' || c.is_whitespace())
}

fn is_empty(line: &str) -> bool {
    line.chars()
        .all(|c| c.is_whitespace() || c == '\u{200b}' || c == '\u{feff}' || c == '\u{200c}')
}

fn is_delimiter(l: &str) -> bool {
    !l.is_empty() && l.chars().all(|c| DELIMITER_CHARS.contains(&c) || c.is_whitespace())
}

fn is_quote(line: &str) -> bool {
    let t = line.trim_start();
    if t.starts_with('>') {
        return true;
    }
    // "C> text", as some Usenet-era clients quote.
    let letters = t.chars().take_while(char::is_ascii_alphabetic).count();
    (1..=3).contains(&letters) && t[letters..].starts_with('>')
}

/// "Sent from my iPhone", "Dikirim dari iPhone saya", "Get Outlook for iOS".
fn is_signature(l: &str) -> bool {
    let l = l.trim_start_matches(['(', '<', '[', '-', ' ']).replace(['[', ']'], "");
    if l.chars().count() > 120 {
        return false;
    }
    if SIGNATURE_STARTS.iter().any(|s| l.starts_with(s)) {
        return true;
    }
    if let Some(rest) = SIGNATURE_STARTS_WEAK.iter().find_map(|s| l.strip_prefix(s)) {
        let rest = format!("{} ", rest.trim_end_matches(['.', ')', '>']));
        return l.chars().count() <= 100 && DEVICE_WORDS.iter().any(|w| rest.contains(w));
    }
    let bare = l.trim_end_matches(['.', ')', '>', '!', ' ']);
    (bare.split_whitespace().count() <= 5 && SIGNATURE_ENDS.iter().any(|e| bare.ends_with(e)))
        || (bare.split_whitespace().count() <= 5 && bare.starts_with("from my i"))
}

/// "-----Original Message-----", "Begin forwarded message:", "Pesan Asli":
/// one of `words` between dashes or asterisks, or before a colon.
fn is_separator(l: &str, words: &[&str]) -> bool {
    let bare = l.trim_matches(|c: char| DELIMITER_CHARS.contains(&c) || c.is_whitespace() || c == ':' || c == '>');
    (bare.len() < l.len()) && words.contains(&bare)
}

/// The header name of "From: …", "*Dikirim:* …" (lower case), if the line is
/// a header of a quoted or forwarded mail.
fn header_name(line: &str) -> Option<String> {
    let t = line.trim().replace('*', "").to_lowercase();
    let (name, _) = t.split_once([':', '：'])?;
    let name = name.trim();
    HEADERS.contains(&name).then(|| name.to_owned())
}

/// Do the header lines `block` make a mail's header block: three or more,
/// among them the sender and the subject (a customer's "Tanggal: …" and
/// "Toko: …" do not).
fn is_header_block(block: &[&str]) -> bool {
    let names: Vec<String> = block.iter().filter_map(|l| header_name(l)).collect();
    block.len() >= 3
        && names.iter().any(|n| FROM_HEADERS.contains(&n.as_str()))
        && names.iter().any(|n| SUBJECT_HEADERS.contains(&n.as_str()))
}

/// A 4-digit year, a time ("10:12", "10.12") or an address: attribution lines
/// carry one of them, a customer's "on Monday I wrote:" does not.
fn has_date_or_address(s: &str) -> bool {
    if s.contains('@') {
        return true;
    }
    let b = s.as_bytes();
    let digits_at = |i: usize, n: usize| i + n <= b.len() && b[i..i + n].iter().all(u8::is_ascii_digit);
    (0..b.len()).any(|i| {
        let starts = i == 0 || !b[i - 1].is_ascii_digit();
        starts
            && ((digits_at(i, 4) && !digits_at(i + 4, 1) && (b[i] == b'1' || b[i] == b'2'))
                || (digits_at(i, 1) && {
                    let j = if digits_at(i + 1, 1) { i + 2 } else { i + 1 };
                    j < b.len() && (b[j] == b':' || b[j] == b'.') && digits_at(j + 1, 2) && !digits_at(j + 3, 1)
                }))
    })
}

/// Where the last attribution verb in `s` ends, if there is one.
fn wrote_at(s: &str) -> Option<usize> {
    let mut best = None;
    for w in WROTE {
        for (i, _) in s.match_indices(w) {
            let before = s[..i].chars().next_back();
            let after = s[i + w.len()..].chars().next();
            let word_start = before.is_none_or(|c| !c.is_alphanumeric());
            let word_end = after.is_none_or(|c| !c.is_alphanumeric());
            if word_start && word_end {
                best = best.max(Some(i + w.len()));
            }
        }
    }
    for w in WROTE_CJK {
        if let Some(i) = s.rfind(w) {
            best = best.max(Some(i + w.len()));
        }
    }
    best
}

/// Does the (unquoted, lower-case) line open an attribution: "On Mon, 30 Nov
/// 2026 …", "Pada Sen, …", "2016-03-03 …", "Le 4 janv. …" — a date word first
/// and a digit somewhere.
fn opens_attribution(l: &str) -> bool {
    let l = l.trim_start_matches(|c: char| c == '-' || c == '*' || c.is_whitespace());
    let first = l.split([' ', ',']).next().unwrap_or("");
    l.chars().any(|c| c.is_ascii_digit())
        && (OPENERS.contains(&first)
            || l.starts_with('在')
            || l.chars().next().is_some_and(|c| c.is_ascii_digit())
            || is_weekday(first))
}

fn is_weekday(w: &str) -> bool {
    const DAYS: &str = "mon tue wed thu fri sat sun monday tuesday wednesday thursday friday saturday sunday \
                        sen sel rab kam jum sab min senin selasa rabu kamis jumat jum'at sabtu minggu \
                        понедельник вторник среда четверг пятница суббота воскресенье";
    let w = w.trim_end_matches(['.', ',']);
    DAYS.split_whitespace().any(|d| d == w)
}

/// `2016-03-03 17:21 GMT+01:00 Some One <x@y>:`, `2013/7/20 sam <x@y>`: a date first.
fn is_dated_attribution(s: &str) -> bool {
    let b = s.as_bytes();
    let iso = b.len() > 10 && b[..4].iter().all(u8::is_ascii_digit) && (b[4] == b'-' || b[4] == b'/');
    iso && s.len() < 250 && (s.contains(" gmt") || (s.contains('@') && (s.ends_with(':') || s.ends_with('>'))))
}

/// Is the joined (unquoted, squashed) text an attribution line?
fn is_attribution(s: &str, opened: bool) -> bool {
    if is_dated_attribution(s) {
        return true;
    }
    if s.len() > 400 || !has_date_or_address(s) {
        return false;
    }
    let Some(end) = wrote_at(s) else {
        return false;
    };
    let rest = s[end..].trim_matches(|c: char| c == ':' || c == '：' || c == '-' || c.is_whitespace());
    // "---- On …, X wrote ----" (Zoho) has no colon.
    let zoho = s.starts_with("--") && s.ends_with("--") && rest.is_empty();
    let colon = s.ends_with(':') || s.ends_with('：') || zoho;
    // The verb ends the line, or the line opens with a date ("Den 15. jun. 2016
    // kl. 20.42 skrev X:"), or German Gmail's "X schrieb am <date>:".
    let verb_last = rest.is_empty() || rest.starts_with("am ") || opened;
    // HTML rendered to text may run the quote on after "wrote:" on the same line.
    let run_on = opened && (s[end..].starts_with(':') || s[end..].starts_with(" :"));
    (colon && verb_last) || run_on
}

/// A line that ends a sentence ("…interesting."), which an attribution wrapped
/// over several lines never contains before its last line.
fn ends_sentence(l: &str) -> bool {
    let mut cs = l.trim_end().chars().rev();
    matches!(cs.next(), Some('.' | '!' | '?')) && cs.next().is_some_and(char::is_alphabetic)
}

/// The attribution (as a range of lines) that ends at line `j`, if any. An
/// attribution may be wrapped over up to six lines; the window starts at the
/// nearest line that opens one ("On …", "Pada …"), else it is the shortest
/// window that reads as an attribution.
fn attribution_ending_at(unq: &[String], j: usize) -> Option<usize> {
    let last = unq[j].trim_end();
    let candidate = last.ends_with(':') || last.ends_with('：') || last.ends_with('>') || last.ends_with("--");
    let candidate = candidate || last.contains(" gmt") || last.contains(':') && opens_attribution(last);
    if !candidate {
        return None;
    }
    let lowest = j.saturating_sub(5);
    let mut shortest = None;
    let mut k = j;
    loop {
        // A wrapped attribution has no sentence end and no colon before its last line.
        if k < j && (ends_sentence(&unq[k]) || unq[k].ends_with(':') || unq[k].ends_with('：')) {
            break;
        }
        let joined = squash(&unq[k..=j].join(" "));
        let opened = opens_attribution(&unq[k]);
        if is_attribution(&joined, opened) {
            if opened {
                return Some(k);
            }
            shortest = shortest.or(Some(k));
        }
        if k == lowest {
            break;
        }
        k -= 1;
    }
    shortest
}

/// The class of every line.
fn classify(lines: &[&str]) -> Vec<Kind> {
    let unq: Vec<String> = lines.iter().map(|l| unquoted(l).trim_end().to_lowercase()).collect();
    let mut kinds = Vec::with_capacity(lines.len());
    // Markdown code blocks are the customer's text, "####" and all.
    let mut code = Vec::with_capacity(lines.len());
    let mut in_code = false;
    for (line, u) in lines.iter().zip(&unq) {
        let t = line.trim().to_lowercase();
        let fence = t.starts_with("```");
        code.push(in_code || fence);
        if fence {
            in_code = !in_code;
        }
        kinds.push(if is_empty(line) {
            Kind::Empty
        } else if code[code.len() - 1] {
            Kind::Text
        } else if is_delimiter(&t) || is_separator(u, REPLY_SEPARATORS) {
            Kind::Delimiter
        } else if is_signature(&t) {
            Kind::Signature
        } else if is_separator(u, FORWARD_SEPARATORS) || u == "begin forwarded message:" {
            Kind::Embedded
        } else if !t.starts_with('>') && header_name(line).is_some() {
            Kind::Header
        } else if is_quote(line) {
            Kind::Quote
        } else {
            Kind::Text
        });
    }
    // Attributions, possibly wrapped over several lines.
    for j in 0..lines.len() {
        if let Some(k) = attribution_ending_at(&unq, j)
            && !code[k..=j].contains(&true)
        {
            kinds[k..=j].fill(Kind::Embedded);
        }
    }
    // A header value wrapped onto the next line ("Subject: Some subject that\n
    // spans over 2 lines\nTo: …") belongs to the header block.
    for i in 1..lines.len().saturating_sub(1) {
        if kinds[i] == Kind::Text
            && kinds[i - 1] == Kind::Header
            && (kinds[i + 1] == Kind::Header || (kinds[i + 1] == Kind::Text && kinds.get(i + 2) == Some(&Kind::Header)))
        {
            kinds[i] = Kind::Header;
        }
    }
    // Header blocks (blank lines between headers allowed) without a sender and
    // a subject are the customer's text.
    let mut i = 0;
    while i < lines.len() {
        if kinds[i] != Kind::Header {
            i += 1;
            continue;
        }
        let mut end = i + 1;
        while end < lines.len()
            && (kinds[end] == Kind::Header || (kinds[end] == Kind::Empty && kinds.get(end + 1) == Some(&Kind::Header)))
        {
            end += 1;
        }
        let block: Vec<&str> = (i..end)
            .filter(|&h| kinds[h] == Kind::Header)
            .map(|h| lines[h])
            .collect();
        let kind = if is_header_block(&block) {
            Kind::Header
        } else {
            Kind::Text
        };
        for k in &mut kinds[i..end] {
            if *k == Kind::Header || kind == Kind::Header {
                *k = kind;
            }
        }
        i = end;
    }
    kinds
}

/// The lines to keep, as indices into the body's lines.
fn select(kinds: &[Kind]) -> Vec<usize> {
    use Kind::*;
    // Everything from the first delimiter on is a signature or quoted mail.
    let end = kinds.iter().position(|k| *k == Delimiter).unwrap_or(kinds.len());
    // Mobile signatures go, wherever they are.
    let mut keep: Vec<usize> = (0..end).filter(|&i| kinds[i] != Signature).collect();
    let pat = |keep: &[usize]| keep.iter().map(|&i| kinds[i]).collect::<Vec<_>>();

    let p = pat(&keep);
    let first = p.iter().position(|k| *k != Empty).unwrap_or(p.len());
    match p.get(first) {
        // Nothing but the headers of the mail replied to: nothing new.
        Some(Header) => return Vec::new(),
        // A reply under the quote (bottom posting), or a forward with nothing
        // above it: the attribution or forward header and its quote go.
        Some(Embedded) => {
            let text = p[first..]
                .iter()
                .position(|k| *k == Text)
                .map_or(p.len(), |t| first + t);
            keep.drain(..text);
        }
        _ => {}
    }

    // Text, then an attribution ("On … wrote:").
    let p = pat(&keep);
    let after_text = |t: usize| {
        let b = t + 1 + p[t + 1..].iter().take_while(|k| **k == Empty).count();
        (p[t] == Text && p.get(b) == Some(&Embedded)).then_some(b)
    };
    if let Some(t) = (0..p.len()).find(|&t| after_text(t).is_some_and(|b| !p[b..].contains(&Quote))) {
        // No quote after it: the rest is the quoted mail, unquoted (Outlook, phones).
        keep.truncate(t + 1);
    } else if let Some((t, rest)) = (0..p.len()).find_map(|t| {
        let b = after_text(t)?;
        let rest = b
            + 1
            + p[b + 1..]
                .iter()
                .take_while(|k| matches!(k, Empty | Quote | Embedded | Header))
                .count();
        p[rest..].iter().all(|k| matches!(k, Text | Empty)).then_some((t, rest))
    }) {
        // A quote, then a few lines (a signature, a footer): cut at the
        // attribution. Much new text after the quote is an inline reply, kept
        // with its quotes.
        if p[rest..].iter().filter(|k| **k == Text).count() < 7 {
            keep.truncate(t + 1);
        }
    }

    // A quote (with its attributions) ending the mail after some text goes.
    let p = pat(&keep);
    if let Some(t) = p.iter().rposition(|k| *k == Text)
        && t + 1 < p.len()
        && p[t + 1..].iter().all(|k| matches!(k, Empty | Quote | Embedded))
    {
        keep.truncate(t + 1);
    }
    keep.retain(|&i| kinds[i] != Embedded);

    // Text, then a header block: a quoted or forwarded mail.
    let p = pat(&keep);
    if let Some(t) = (0..p.len()).find(|&t| {
        let h = t + 1 + p[t + 1..].iter().take_while(|k| matches!(k, Empty | Quote)).count();
        p[t] == Text && p.get(h) == Some(&Header)
    }) {
        keep.truncate(t + 1);
    }
    // Header blocks left (a forward with nothing above it) go.
    keep.retain(|&i| kinds[i] != Header);

    // Quotes at the end, after the customer's text.
    let p = pat(&keep);
    if p.contains(&Text)
        && let Some(q) = p.iter().rposition(|k| !matches!(k, Empty | Quote))
    {
        keep.truncate(q + 1);
    }
    keep
}

/// "Regards,", "Terima kasih,", "Salam hangat": a sign-off on its own line.
fn is_sign_off(l: &str) -> bool {
    let l = l.trim().trim_end_matches([',', '.', '!', ' ', '-']).to_lowercase();
    let l = squash(&l);
    l.chars().count() <= 40
        && SIGN_OFFS
            .iter()
            .any(|s| l == *s || l.strip_prefix(s).is_some_and(|r| r.starts_with(' ')))
        && l.split_whitespace().count() <= 5
}

/// "Budi Santoso", "//Jef", "Sarah": a short line without digits or sentence
/// punctuation.
fn is_name(l: &str) -> bool {
    let t = l.trim();
    let words = t.split_whitespace().count();
    (1..=5).contains(&words)
        && t.chars().count() <= 50
        && !t.chars().any(|c| c.is_ascii_digit() || c == '@' || c == ':')
        && !t.ends_with(['.', '?', '!', ','])
        && !is_quote(t)
}

/// An e-mail address, a web address or a phone number.
fn is_contact(l: &str) -> bool {
    let t = l.trim().to_lowercase();
    if t.contains("http://") || t.contains("https://") || t.contains("www.") {
        return true;
    }
    if t.split_whitespace().any(|w| {
        w.split_once('@')
            .is_some_and(|(a, d)| !a.is_empty() && d.contains('.') && !d.ends_with('.'))
    }) {
        return true;
    }
    // "Telp: 021-555 1234", "HP/WA 0812 3456 7890", "+62 812-3456-7890".
    let (label, number) = match t.split_once(':') {
        Some((a, b)) if a.chars().count() <= 15 => (a.trim().trim_end_matches('.'), b.trim()),
        _ => {
            let first = t.split_whitespace().next().unwrap_or("");
            let l = first.trim_end_matches('.');
            if PHONE_LABELS.contains(&l) {
                (l, t[first.len()..].trim())
            } else {
                ("", t.as_str())
            }
        }
    };
    let digits = number.chars().filter(char::is_ascii_digit).count();
    let shaped = number
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().,/".contains(c) || c == 'x' || c == 'e');
    let labelled = !label.is_empty() && label.split(['/', ' ', '.']).any(|w| PHONE_LABELS.contains(&w));
    shaped && (8..=16).contains(&digits) && (labelled || number.starts_with(['+', '0', '(']))
}

/// A line of a signature block: short, no question, no postscript.
fn is_signature_detail(l: &str) -> bool {
    let t = l.trim();
    let lower = t.to_lowercase();
    t.chars().count() <= 80
        && !t.ends_with('?')
        && !is_quote(t)
        && !["ps", "p.s", "nb", "n.b", "catatan", "note"]
            .iter()
            .any(|p| lower.strip_prefix(p).is_some_and(|r| r.starts_with([':', '.', ' '])))
        && (!ends_sentence(t) || t.split_whitespace().count() <= 6)
}

/// Where the customer's text ends when it closes with a signature block: the
/// lines under the name, after a sign-off ("Terima kasih,\nBudi\nPT Maju
/// Jaya\nTelp 021-555 1234") or after a blank line when they carry a phone,
/// an address or a web address. The sign-off and the name stay.
fn signature_block(lines: &[&str]) -> usize {
    let filled: Vec<usize> = (0..lines.len()).filter(|&i| !is_empty(lines[i])).collect();
    if filled.is_empty() {
        return lines.len();
    }
    // The name under a sign-off, in the last ten lines.
    for (n, &s) in filled.iter().enumerate().rev().take(10) {
        if n == 0 || !is_sign_off(lines[s]) {
            continue;
        }
        let Some(&name) = filled.get(n + 1) else {
            break;
        };
        let details = &filled[n + 2..];
        if is_name(lines[name])
            && !details.is_empty()
            && details.len() <= 8
            && details.iter().all(|&d| is_signature_detail(lines[d]))
        {
            return name + 1;
        }
        break;
    }
    // No sign-off: a name after a blank line, then contact details.
    for (n, &name) in filled.iter().enumerate().rev().take(7) {
        // "Kirim ke alamat ini:" above a name and address: the customer's text.
        let blank_before = n > 0 && filled[n - 1] + 1 < name && !lines[filled[n - 1]].trim_end().ends_with(':');
        let details = &filled[n + 1..];
        let capitalised = lines[name]
            .split_whitespace()
            .all(|w| w.chars().next().is_some_and(|c| c.is_uppercase() || !c.is_alphabetic()));
        let tight = filled[n..].windows(2).all(|w| w[1] - w[0] <= 2);
        if blank_before
            && capitalised
            && tight
            && is_name(lines[name])
            && !details.is_empty()
            && details.iter().all(|&d| is_signature_detail(lines[d]))
            && details.iter().any(|&d| is_contact(lines[d]))
        {
            return name + 1;
        }
    }
    lines.len()
}

/// The customer's new text in `body`.
pub fn note_of(body: &str) -> String {
    let body = body.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = body.lines().collect();
    let kinds = classify(&lines);
    let kept: Vec<&str> = select(&kinds).into_iter().map(|i| lines[i]).collect();
    let kept = &kept[..signature_block(&kept)];
    // Collapse runs of blank lines and trim.
    let mut out = String::new();
    let mut blank = 0;
    for line in kept.join("\n").trim().lines() {
        if is_empty(line) {
            blank += 1;
            if blank > 1 {
                continue;
            }
            out.push('\n');
            continue;
        }
        blank = 0;
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.trim().to_owned()
}

/// Where quoted history starts in an HTML body (Gmail, Outlook, Apple Mail,
/// Yahoo, Thunderbird): everything from there on is not the customer's new text.
const HTML_QUOTE_MARKERS: &[&str] = &[
    "<blockquote",
    "class=\"gmail_quote",
    "class=\"gmail_attr",
    "class=\"gmail_signature",
    "divrplyfwdmsg",
    "id=\"appendonsend",
    "class=\"yahoo_quoted",
    "id=\"yahoo_quoted",
    "class=\"moz-cite-prefix",
    "class=\"moz-forward-container",
    "id=\"mail-editor-reference-message-container",
    "class=\"outlookmessageheader",
    "id=\"stopspelling",
    "name=\"_mailendcompose",
];

/// The customer's new text in a parsed message: the plain-text body, or for
/// HTML-only mail the HTML before its quoted part, rendered as text.
pub fn note(msg: &Message) -> String {
    if (msg.text_body_count() == 0 || msg.text_bodies().all(|p| p.is_text_html()))
        && let Some(html) = msg.html_bodies().next().and_then(|p| p.text_contents())
    {
        // ASCII lower case keeps the byte offsets of the original.
        let lower = html.to_ascii_lowercase();
        let cut = HTML_QUOTE_MARKERS
            .iter()
            .filter_map(|m| lower.find(m))
            .min()
            .unwrap_or(html.len());
        // The marker's tag starts at the `<` before it.
        let cut = lower[..cut]
            .rfind('<')
            .filter(|_| !lower[cut..].starts_with('<'))
            .unwrap_or(cut);
        return note_of(&mail_parser::decoders::html::html_to_text(&html[..cut]));
    }
    msg.body_text(0).map(|b| note_of(&b)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed_note(raw: &str) -> String {
        let msg = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
        note(&msg)
    }

    #[test]
    fn gmail_indonesian_attribution_also_wrapped() {
        let one = "Baik kak, ini saya kirim ulang fotonya.\n\nPada Sen, 30 Nov 2026 pukul 10.12 MSI Redemption \
                   <support+k7q2@example.test> menulis:\n\n> Halo Budi,\n>\n> Mohon kirim ulang foto nomor seri.\n";
        assert_eq!(note_of(one), "Baik kak, ini saya kirim ulang fotonya.");
        let wrapped = "Ok kak, terima kasih infonya\n\nPada tanggal Sen, 30 Nov 2026 10.12, MSI Redemption <\n\
                       support@example.test> menulis:\n\n> Halo,\n> ---\n> MSI Redemption";
        assert_eq!(note_of(wrapped), "Ok kak, terima kasih infonya");
        let verb_alone = "Ini invoice yang benar kak.\n\nPada Sen, 4 Mei 2026 pukul 10.00 MSI Promo <support@example.test>\n\
                          menulis:\n> Halo Budi,\n> klaim Anda ditolak";
        assert_eq!(note_of(verb_alone), "Ini invoice yang benar kak.");
    }

    #[test]
    fn gmail_english_attribution_also_wrapped() {
        let en = "Attached is the invoice.\n\nOn Mon, Nov 30, 2026 at 10:12 AM MSI Redemption <support@example.test> \
                  wrote:\n> Hello";
        assert_eq!(note_of(en), "Attached is the invoice.");
        let wrapped =
            "Attached.\n\nOn Mon, Nov 30, 2026 at 10:12 AM MSI Redemption <support@example.test>\nwrote:\n\n> Hi";
        assert_eq!(note_of(wrapped), "Attached.");
        // A customer's own "… wrote … :" without a date or an address is text.
        let own = "On Monday I wrote to your colleague about it:\nshe said it was fine.";
        assert_eq!(note_of(own), own);
    }

    #[test]
    fn outlook_indonesian_header_block() {
        let rule = "Berikut saya lampirkan.\n\n________________________________\nDari: MSI Redemption \
                    <support@example.test>\nDikirim: Senin, 30 November 2026 10.12\nKepada: Budi\nSubjek: [RDM-1044]";
        assert_eq!(note_of(rule), "Berikut saya lampirkan.");
        // Without the rule line, and bold as rich text renders it; the quoted mail is not quoted.
        let bold = "Invoice terlampir.\n\n*Dari:* MSI Redemption <support@example.test>\n*Dikirim:* Senin, 30 November \
                    2026 10:12\n*Kepada:* budi@example.test\n*Subjek:* RE: [RDM-1044] Klaim\n\nHalo Budi, mohon lampirkan \
                    invoice.";
        assert_eq!(note_of(bold), "Invoice terlampir.");
        // The customer's own "Tanggal: / Dari: / Kepada:" list is not a header block (no subject).
        let list = "Data pembelian saya:\nTanggal: 3 Nov 2026\nDari: Toko ABC\nKepada: Budi\n\nMohon dicek.";
        assert_eq!(note_of(list), list);
    }

    #[test]
    fn outlook_english_blocks() {
        let en = "Here you go\r\n\r\nFrom: MSI Promo\r\nSent: Monday\r\nTo: me\r\nSubject: Re: claim\r\n\r\nHello";
        assert_eq!(note_of(en), "Here you go");
        let original = "Thanks!\n\n-----Original Message-----\nFrom: MSI <support@example.test>\nSent: Monday\n\nHello";
        assert_eq!(note_of(original), "Thanks!");
        // Nothing but the mail replied to: no note.
        let empty = "*From:* MSI Redemption <support@example.test>\n*Sent:* Monday, November 30, 2026 10:12 AM\n\
                     *To:* Sarah\n*Subject:* [RDM-2001]\n\nHello Sarah, please send the invoice.";
        assert_eq!(note_of(empty), "");
    }

    #[test]
    fn phone_and_app_signatures() {
        let iphone = "Sudah saya upload ulang ya kak\n\nDikirim dari iPhone saya\n\n> Pada 30 Nov 2026, pukul 10.12, \
                      MSI Redemption <support@example.test> menulis:\n>\n> Halo Budi,";
        assert_eq!(note_of(iphone), "Sudah saya upload ulang ya kak");
        let yahoo = "Nomor serinya K2211N0012345 kak.\nDikirim dari Yahoo Mail di Android\n\n  Pada Sen, 30 Nov 2026 \
                     pada 10:12, MSI Redemption<support@example.test> menulis:   Halo Budi, mohon kirim nomor seri.";
        assert_eq!(note_of(yahoo), "Nomor serinya K2211N0012345 kak.");
        let outlook = "Halo kak, foto nota terlampir.\n\n\nDapatkan Outlook untuk Android<https://aka.ms/x>\n\
                       ________________________________\nFrom: MSI Redemption <support@example.test>";
        assert_eq!(note_of(outlook), "Halo kak, foto nota terlampir.");
        assert_eq!(
            note_of("Here it is.\n\nSent from my Galaxy\n\n-------- Original message --------"),
            "Here it is."
        );
        assert_eq!(note_of("Done\n\nGet Outlook for iOS<https://aka.ms/o0ukef>"), "Done");
        // Ordinary text that starts like a signature stays.
        let own = "Dikirim dari gudang Jakarta kemarin, resi menyusul.";
        assert_eq!(note_of(own), own);
        assert_eq!(note_of("ok\n-- \nBudi Santoso\n0812"), "ok");
    }

    #[test]
    fn sign_off_and_name_stay_signature_block_goes() {
        assert_eq!(
            note_of("Sudah saya lengkapi kak.\n\nTerima kasih,\nBudi"),
            "Sudah saya lengkapi kak.\n\nTerima kasih,\nBudi"
        );
        let id = "Berikut invoice yang sudah diperbaiki.\n\nHormat saya,\nBudi Santoso\nPurchasing Manager\nPT Maju Jaya \
                  Abadi\nTelp: 021-555 1234\nHP/WA: 0812-3456-7890\nwww.majujaya.co.id";
        assert_eq!(
            note_of(id),
            "Berikut invoice yang sudah diperbaiki.\n\nHormat saya,\nBudi Santoso"
        );
        let en = "Attached is the invoice.\n\nBest regards,\nSarah Wijaya\nSenior Buyer | ACME Corp\nM: +62 812 3456 \
                  7890\nsarah.wijaya@acme.example\n\n-----Original Message-----\nFrom: MSI";
        assert_eq!(note_of(en), "Attached is the invoice.\n\nBest regards,\nSarah Wijaya");
        // No sign-off: the block under the name goes when it carries contact details.
        let bare = "Please check again.\n\nLisa Chen\nAccount Manager\nContoso Ltd.\nPhone: +65 6123 4567";
        assert_eq!(note_of(bare), "Please check again.\n\nLisa Chen");
        // An address the customer gives on purpose stays.
        let address = "Hadiahnya tolong dikirim ke alamat ini ya kak:\n\nBudi Santoso\nJl. Merdeka No. 5, Bandung\n\
                       0812 3456 7890";
        assert_eq!(note_of(address), address);
        // A postscript after the name stays.
        let ps = "Sudah kak.\n\nSalam,\nRina\nNB: invoice asli menyusul";
        assert_eq!(note_of(ps), ps);
    }

    #[test]
    fn forwards_and_quotes() {
        let fwd = "Ini kak.\n\n---------- Pesan yang diteruskan ---------\nDari: Toko Komputer <toko@example.test>\n\
                   Date: Sen, 30 Nov 2026 pukul 09.00\nSubject: Invoice pembelian\nTo: <budi@example.test>\n\n\n\
                   Terlampir invoice pembelian Anda.";
        assert_eq!(note_of(fwd), "Ini kak.");
        let apple =
            "Thanks, that worked!\n\nCheers,\nTom\n\nBegin forwarded message:\n\nFrom: MSI <support@example.test>";
        assert_eq!(note_of(apple), "Thanks, that worked!\n\nCheers,\nTom");
        // Answers between the quoted lines are kept with them; the quote at the end goes.
        let inline = "> Mohon kirim foto nomor seri.\n\nIni fotonya kak.\n\n> Dan foto invoice.\n\nInvoice menyusul \
                      besok.\n\nPada Sen, 30 Nov 2026 pukul 10.12 MSI Redemption <support@example.test> menulis:\n\
                      > Mohon kirim foto nomor seri.";
        assert_eq!(
            note_of(inline),
            "> Mohon kirim foto nomor seri.\n\nIni fotonya kak.\n\n> Dan foto invoice.\n\nInvoice menyusul besok."
        );
        // Written under the quote.
        let bottom =
            "On Mon, Nov 30, 2026 at 10:12 AM MSI <support@example.test> wrote:\n> Which store?\n\nThe Jakarta one.";
        assert_eq!(note_of(bottom), "The Jakarta one.");
        let mailtrack =
            "Thank you for the update.\n\nSarah\nᐧ\n\nOn Mon, Nov 30, 2026 at 10:12 AM MSI <s@example.test> wrote:";
        assert_eq!(note_of(mailtrack), "Thank you for the update.\n\nSarah");
    }

    #[test]
    fn html_only_replies() {
        let gmail = "From: budi@example.test\r\nSubject: Re: [RDM-1]\r\nMIME-Version: 1.0\r\nContent-Type: text/html; \
                     charset=UTF-8\r\n\r\n<div dir=\"ltr\">Ini invoice-nya kak.<br><br>Terima kasih,<br>Budi</div><br>\
                     <div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">Pada Sen, 30 Nov 2026 pukul 10.12 \
                     MSI Redemption &lt;support@example.test&gt; menulis:<br></div><blockquote class=\"gmail_quote\">\
                     Halo</blockquote></div>\r\n";
        assert_eq!(parsed_note(gmail), "Ini invoice-nya kak.\n\nTerima kasih,\nBudi");
        let outlook = "From: sarah@example.test\r\nSubject: RE: [RDM-2]\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\
                       \r\n<html><body><div>Please see the attached invoice.</div><div id=\"appendonsend\"></div><hr>\
                       <div id=\"divRplyFwdMsg\"><b>From:</b> MSI<br><b>Sent:</b> Monday<br><b>To:</b> Sarah<br>\
                       <b>Subject:</b> x</div><div>Hello Sarah</div></body></html>\r\n";
        assert_eq!(parsed_note(outlook), "Please see the attached invoice.");
        let desktop = "From: budi@example.test\r\nSubject: RE: [RDM-3]\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\
                       \r\n<html><body><p>Sudah saya kirim ulang.</p><div style=\"border-top:solid #E1E1E1 1.0pt\"><p>\
                       <b>Dari:</b> MSI Redemption &lt;support@example.test&gt;<br><b>Dikirim:</b> Senin, 30 November \
                       2026 10.12<br><b>Kepada:</b> Budi<br><b>Subjek:</b> RE: [RDM-3]</p></div><p>Halo Budi</p>\
                       </body></html>\r\n";
        assert_eq!(parsed_note(desktop), "Sudah saya kirim ulang.");
    }

    #[test]
    fn attachment_only_replies_have_no_note() {
        let id = "From: budi@example.test\r\nSubject: Re: [RDM-4]\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; \
                  boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n\r\n\r\nDikirim dari \
                  iPhone saya\r\n\r\n> Pada 30 Nov 2026, pukul 10.12, MSI <support@example.test> menulis:\r\n> Halo\r\n\
                  --b\r\nContent-Type: image/jpeg; name=\"sn.jpg\"\r\nContent-Disposition: attachment; \
                  filename=\"sn.jpg\"\r\nContent-Transfer-Encoding: base64\r\n\r\n/9j/4AAQ\r\n--b--\r\n";
        assert_eq!(parsed_note(id), "");
        let en = "From: sarah@example.test\r\nSubject: Re: [RDM-5]\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; \
                  boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nOn Mon, Nov 30, 2026 at 10:12 AM MSI \
                  <support@example.test> wrote:\r\n> Hello Sarah\r\n--b\r\nContent-Type: application/pdf; \
                  name=\"invoice.pdf\"\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\n\
                  Content-Transfer-Encoding: base64\r\n\r\nJVBERi0x\r\n--b--\r\n";
        assert_eq!(parsed_note(en), "");
        let only_attachment = "From: a@example.test\r\nSubject: Re: [RDM-6]\r\nMIME-Version: 1.0\r\nContent-Type: \
                               application/pdf; name=\"invoice.pdf\"\r\nContent-Disposition: attachment\r\n\
                               Content-Transfer-Encoding: base64\r\n\r\nJVBERi0x\r\n";
        assert_eq!(parsed_note(only_attachment), "");
    }

    #[test]
    fn other_languages_and_code() {
        let de = "Okay.\n\nMax Mustermann <max@example.test> schrieb am Mo., 30.\nNov. 2026 um 10:12 Uhr:\n\n> Hallo";
        assert_eq!(note_of(de), "Okay.");
        let fr = "C'est super !\nLe 30 nov. 2026 10:12, \"MSI\"\n<support@example.test>\na écrit :\n\n> Bonjour";
        assert_eq!(note_of(fr), "C'est super !");
        let nl = "Prima\n\nOp 30 nov. 2026 om 10:12 heeft MSI <support@example.test> het volgende geschreven:\n\n> Hoi";
        assert_eq!(note_of(nl), "Prima");
        let code = "Log:\n```\n####\n--\n```\nThat is all.";
        assert_eq!(note_of(code), code);
    }
}
