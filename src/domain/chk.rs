//! The 3-digit CHK code printed next to the serial on the product sticker.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChkCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChkError {
    #[error("the CHK code must be exactly 3 digits, got {len} characters")]
    WrongLength { len: usize },
    #[error("the CHK code must be digits only, found {found:?}")]
    NotADigit { found: char },
}

impl ChkCode {
    pub fn parse(input: &str) -> Result<Self, ChkError> {
        let trimmed = input.trim();
        if let Some(found) = trimmed.chars().find(|c| !c.is_ascii_digit()) {
            return Err(ChkError::NotADigit { found });
        }
        let len = trimmed.chars().count();
        if len != 3 {
            return Err(ChkError::WrongLength { len });
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChkCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_three_digits() {
        assert_eq!(ChkCode::parse(" 482 ").unwrap().as_str(), "482");
        assert_eq!(ChkCode::parse("007").unwrap().as_str(), "007");
    }

    #[test]
    fn refuses_everything_else() {
        assert_eq!(ChkCode::parse("48"), Err(ChkError::WrongLength { len: 2 }));
        assert_eq!(ChkCode::parse("4821"), Err(ChkError::WrongLength { len: 4 }));
        assert_eq!(ChkCode::parse("4a2"), Err(ChkError::NotADigit { found: 'a' }));
        assert_eq!(ChkCode::parse(""), Err(ChkError::WrongLength { len: 0 }));
        assert_eq!(ChkCode::parse("٤٨٢"), Err(ChkError::NotADigit { found: '٤' }));
    }
}
