//! Cutting a long reply into messages a platform accepts: at a paragraph, else
//! a line, else a word boundary, so no sentence is cut when it need not be.

/// Splits `text` into parts of at most `max` UTF-16 units (the unit Telegram
/// counts; Discord counts characters, never more than UTF-16 units). `keep`
/// moves a proposed cut `cut` in `part` earlier when it would break markup (an
/// HTML entity, a Markdown escape); it must return a char boundary in `1..=cut`.
pub fn split(text: &str, max: usize, keep: impl Fn(&str, usize) -> usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while utf16_len(rest) > max {
        let mut cut = byte_index_at_utf16(rest, max);
        let window = &rest[..cut];
        if let Some(i) = window
            .rfind("\n\n")
            .or_else(|| window.rfind('\n'))
            .or_else(|| window.rfind(' '))
            && i > 0
        {
            cut = i;
        }
        cut = keep(rest, cut).clamp(1, cut);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        parts.push(rest[..cut].trim_end().to_owned());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest.to_owned());
    }
    parts
}

pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

fn byte_index_at_utf16(s: &str, units: usize) -> usize {
    let mut count = 0;
    for (i, c) in s.char_indices() {
        count += c.len_utf16();
        if count > units {
            return i.max(c.len_utf8());
        }
    }
    s.len()
}
