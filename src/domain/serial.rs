//! Product serial numbers as customers type them, and the key they are matched by.
//!
//! The printed form on the sticker is kept (upper case, separators dropped) so staff
//! see what the customer sees. Matching uses a second, folded key because the guide
//! itself warns that people confuse `0`/`O` and `1`/`I`/`l`.

use std::fmt;

/// Shortest and longest serial, counted without separators.
pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 25;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SerialNumber {
    printed: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SerialError {
    #[error("the serial number is empty")]
    Empty,
    #[error("the serial number has {len} characters; it needs at least {MIN_LEN}")]
    TooShort { len: usize },
    #[error("the serial number has {len} characters; it may have at most {MAX_LEN}")]
    TooLong { len: usize },
    #[error("the serial number contains {found:?} at position {position}; only letters and digits are allowed")]
    InvalidCharacter { found: char, position: usize },
}

impl SerialNumber {
    /// Parses what a person typed: spaces, dashes, dots and slashes are separators,
    /// case is ignored.
    pub fn parse(input: &str) -> Result<Self, SerialError> {
        let mut printed = String::with_capacity(input.len());
        for (position, ch) in input.trim().chars().enumerate() {
            if is_separator(ch) {
                continue;
            }
            if !ch.is_ascii_alphanumeric() {
                return Err(SerialError::InvalidCharacter { found: ch, position });
            }
            printed.push(ch.to_ascii_uppercase());
        }
        match printed.len() {
            0 => Err(SerialError::Empty),
            len if len < MIN_LEN => Err(SerialError::TooShort { len }),
            len if len > MAX_LEN => Err(SerialError::TooLong { len }),
            _ => Ok(Self { printed }),
        }
    }

    /// The form printed on the product: upper case, no separators.
    pub fn as_str(&self) -> &str {
        &self.printed
    }

    /// The key two serials are compared by: look-alike characters folded.
    pub fn match_key(&self) -> String {
        match_key(&self.printed)
    }
}

/// Folds a separator-free, upper-cased serial into its matching key.
/// `O` becomes `0`; `I` and `L` become `1` (a lower-case `l` was upper-cased to `L`).
pub fn match_key(printed: &str) -> String {
    printed
        .chars()
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

fn is_separator(ch: char) -> bool {
    ch.is_whitespace() || matches!(ch, '-' | '_' | '.' | '/' | '\u{2010}'..='\u{2015}')
}

impl fmt::Display for SerialNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.printed)
    }
}

impl std::str::FromStr for SerialNumber {
    type Err = SerialError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_printed_form_and_drops_separators() {
        let s = SerialNumber::parse(" k2305-n001 2345 ").unwrap();
        assert_eq!(s.as_str(), "K2305N0012345");
    }

    #[test]
    fn look_alikes_fold_to_the_same_key() {
        let typed = SerialNumber::parse("k2305n00l2345").unwrap();
        let real = SerialNumber::parse("K2305N0012345").unwrap();
        assert_ne!(typed, real);
        assert_eq!(typed.match_key(), real.match_key());
        let o = SerialNumber::parse("K2305NOO12345").unwrap();
        assert_eq!(o.match_key(), real.match_key());
        let i = SerialNumber::parse("K23O5N0OI2345").unwrap();
        assert_eq!(i.match_key(), real.match_key());
    }

    #[test]
    fn typed_errors() {
        assert_eq!(SerialNumber::parse("  - "), Err(SerialError::Empty));
        assert_eq!(SerialNumber::parse("K2305"), Err(SerialError::TooShort { len: 5 }));
        assert_eq!(
            SerialNumber::parse(&"A".repeat(26)),
            Err(SerialError::TooLong { len: 26 })
        );
        assert_eq!(
            SerialNumber::parse("K2305N00#2345"),
            Err(SerialError::InvalidCharacter {
                found: '#',
                position: 8
            })
        );
        assert!(matches!(
            SerialNumber::parse("K2305N0012345é"),
            Err(SerialError::InvalidCharacter { found: 'é', .. })
        ));
    }

    #[test]
    fn boundaries() {
        assert!(SerialNumber::parse(&"1".repeat(10)).is_ok());
        assert!(SerialNumber::parse(&"1".repeat(25)).is_ok());
        assert!(SerialNumber::parse(&"1".repeat(9)).is_err());
    }

    proptest! {
        #[test]
        fn parse_is_idempotent_on_printed_form(s in "[A-Za-z0-9]{10,25}") {
            let once = SerialNumber::parse(&s).unwrap();
            let twice = SerialNumber::parse(once.as_str()).unwrap();
            prop_assert_eq!(&once, &twice);
            prop_assert_eq!(once.as_str(), s.to_ascii_uppercase());
        }

        #[test]
        fn separators_and_case_never_change_the_key(
            s in "[A-Za-z0-9]{10,25}",
            seps in proptest::collection::vec(prop_oneof![Just(" "), Just("-"), Just("  ")], 0..5),
        ) {
            let mut typed = s.to_lowercase();
            for (i, sep) in seps.iter().enumerate() {
                let at = (i * 3).min(typed.len());
                typed.insert_str(at, sep);
            }
            let a = SerialNumber::parse(&s).unwrap();
            let b = SerialNumber::parse(&typed).unwrap();
            prop_assert_eq!(a.match_key(), b.match_key());
        }

        #[test]
        fn swapping_look_alikes_keeps_the_key(s in "[0-9A-Z]{10,25}", flips in proptest::collection::vec(any::<bool>(), 25)) {
            let swapped: String = s.chars().zip(flips.iter()).map(|(c, &f)| match (c, f) {
                ('0', true) => 'O',
                ('O', true) => '0',
                ('1', true) => 'l',
                ('I', true) => '1',
                (c, _) => c,
            }).collect();
            let a = SerialNumber::parse(&s).unwrap();
            let b = SerialNumber::parse(&swapped).unwrap();
            prop_assert_eq!(a.match_key(), b.match_key());
        }

        #[test]
        fn key_has_no_look_alike_letters(s in "[A-Za-z0-9]{10,25}") {
            let key = SerialNumber::parse(&s).unwrap().match_key();
            prop_assert!(!key.contains(['O', 'I', 'L']));
        }

        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,40}") {
            let _ = SerialNumber::parse(&s);
        }
    }
}
