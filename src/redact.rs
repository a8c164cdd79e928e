//! Text made fit for logs: logs carry no email addresses (nor anything built
//! from one, such as a Message-ID's local part) and no phone numbers. Errors
//! from mail servers quote the recipient ("550 5.1.1 <budi@example.test>:
//! unknown"), so anything that may hold such text passes through here before
//! it is logged.

/// `text` with email addresses masked as in [`addresses`] and phone numbers
/// (a word of 9 to 15 digits, maybe with `+`, `-` or `.`, starting with `+`,
/// `0` or `62`, as Indonesians write them) replaced by `[phone]`.
pub fn personal(text: &str) -> String {
    addresses(text)
        .split_inclusive(char::is_whitespace)
        .map(|word| {
            let core = word.trim_end().trim_end_matches([',', ';', ':', ')', '.', '!', '?']);
            let core = core.trim_start_matches('(');
            let digits = core.chars().filter(char::is_ascii_digit).count();
            let phone_like = core.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.'))
                && (9..=15).contains(&digits)
                && (core.starts_with('+') || core.starts_with('0') || core.starts_with("62"));
            if phone_like {
                word.replacen(core, "[phone]", 1)
            } else {
                word.to_owned()
            }
        })
        .collect()
}

/// `text` with the local part of every `local@domain` replaced by `***`.
pub fn addresses(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match word.find('@') {
            Some(at) if at > 0 && word[at + 1..].contains('.') => {
                out.push_str("***");
                out.push_str(&word[at..]);
            }
            _ => out.push_str(word),
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';' | '"' | '\'' | '(' | ')' | '[' | ']' | ':') {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::{addresses, personal};

    #[test]
    fn phone_numbers_are_masked() {
        assert_eq!(
            personal("call 0812-3456-7890 or +6281234567890, mail budi@example.test"),
            "call [phone] or [phone], mail ***@example.test"
        );
        assert_eq!(personal("hp 081234567890 ok"), "hp [phone] ok");
        assert_eq!(
            personal("RDM-1044 on 2026-05-15, 1500000"),
            "RDM-1044 on 2026-05-15, 1500000"
        );
    }

    #[test]
    fn local_parts_are_masked() {
        assert_eq!(
            addresses("SMTP refused: 550 5.1.1 <budi.santoso@example.test>: Recipient address rejected"),
            "SMTP refused: 550 5.1.1 <***@example.test>: Recipient address rejected"
        );
        assert_eq!(addresses("mid:<CAF1x2@mail.gmail.com>"), "mid:<***@mail.gmail.com>");
        assert_eq!(addresses("to a@b.c, d@e.f"), "to ***@b.c, ***@e.f");
        assert_eq!(addresses("no address @here or x@y"), "no address @here or x@y");
    }
}
