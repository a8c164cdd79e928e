//! Finding a serial number (and maybe a CHK code) in whatever a customer typed:
//! "SN saya K2305N0012345 statusnya apa ya", "s/n: k2305-n001-2345 chk 482".

use crate::domain::{ChkCode, SerialNumber};
use crate::faq::text::looks_like_serial;

/// The first serial-looking token (or run of digit-bearing tokens, for serials
/// typed with spaces) and a separate 3-digit CHK code, if present.
pub fn find(text: &str) -> (Option<SerialNumber>, Option<ChkCode>) {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '"' | '\'' | '?' | '!' | '.'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut serial = None;
    let mut used = (0, 0);
    'outer: for i in 0..words.len() {
        // Longest run first: "K2305 N001 2345" before "K2305".
        for len in (1..=4).rev() {
            let Some(run) = words.get(i..i + len) else {
                continue;
            };
            if len > 1
                && !run
                    .iter()
                    .all(|w| w.bytes().any(|b| b.is_ascii_digit()) && w.len() >= 3)
            {
                continue;
            }
            let joined: String = run.concat();
            if looks_like_serial(&joined)
                && let Ok(s) = SerialNumber::parse(&joined)
            {
                serial = Some(s);
                used = (i, i + len);
                break 'outer;
            }
        }
    }
    // The last 3-digit word outside the serial: "… chk 482".
    let chk = words
        .iter()
        .enumerate()
        .rev()
        .filter(|(i, _)| !(used.0..used.1).contains(i))
        .find_map(|(_, w)| ChkCode::parse(w.trim_start_matches('#')).ok());
    (serial, chk)
}

/// A message that is nothing but a serial (for when we asked for one), also
/// one without letters.
pub fn whole(text: &str) -> Option<SerialNumber> {
    let t = text.trim();
    let t = t
        .strip_prefix("SN")
        .or_else(|| t.strip_prefix("sn"))
        .unwrap_or(t)
        .trim_start_matches([':', ' ']);
    SerialNumber::parse(t).ok()
}

/// A 3-digit CHK code anywhere in `text`.
pub fn chk(text: &str) -> Option<ChkCode> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|w| w.len() == 3)
        .find_map(|w| ChkCode::parse(w).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_serials_in_chat_text() {
        let (s, c) = find("SN saya K2305N0012345 statusnya apa ya");
        assert_eq!(s.unwrap().as_str(), "K2305N0012345");
        assert_eq!(c, None);
        let (s, c) = find("s/n: k2305-n001-2345, chk 482");
        assert_eq!(s.unwrap().as_str(), "K2305N0012345");
        assert_eq!(c.unwrap().as_str(), "482");
        let (s, _) = find("tolong cek K2305 N001 2345 ya kak");
        assert_eq!(s.unwrap().as_str(), "K2305N0012345");
        let (s, _) = find("beli rtx 4070 ventus 3 hari lalu");
        assert_eq!(s, None);
        assert_eq!(find("").0, None);
    }

    #[test]
    fn whole_message_serials_and_chk() {
        assert_eq!(whole("1234567890").unwrap().as_str(), "1234567890");
        assert_eq!(whole("SN: K2305N0012345").unwrap().as_str(), "K2305N0012345");
        assert_eq!(chk("chk nya 482 kak").unwrap().as_str(), "482");
        assert_eq!(chk("4821"), None);
    }
}
