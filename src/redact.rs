//! Text made fit for logs: logs carry no email addresses (nor anything built
//! from one, such as a Message-ID's local part). Errors from mail servers quote
//! the recipient ("550 5.1.1 <budi@example.test>: unknown"), so anything that
//! may hold such text passes through here before it is logged.

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
    use super::addresses;

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
