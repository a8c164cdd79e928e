//! Members' email addresses: checked at the edge, compared case-insensitively.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the email address is empty")]
    Empty,
    #[error("the email address is longer than 254 characters")]
    TooLong,
    #[error("the email address needs exactly one '@' with text on both sides")]
    BadShape,
    #[error("the email address contains a character that is not allowed: {0:?}")]
    BadCharacter(char),
    #[error("the domain of the email address is not valid")]
    BadDomain,
}

impl EmailAddress {
    /// A pragmatic check: one `@`, a non-empty local part, a dotted domain made of
    /// letters, digits and hyphens, and no whitespace or control characters (which
    /// would allow header injection). The domain is lower-cased; the local part kept.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.len() > 254 {
            return Err(EmailError::TooLong);
        }
        if let Some(c) = s.chars().find(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(c, '<' | '>' | ',' | ';' | '"' | '(' | ')' | '[' | ']' | '\\')
        }) {
            return Err(EmailError::BadCharacter(c));
        }
        let (local, domain) = s.split_once('@').ok_or(EmailError::BadShape)?;
        if local.is_empty() || domain.is_empty() || domain.contains('@') || local.len() > 64 {
            return Err(EmailError::BadShape);
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(EmailError::BadDomain);
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used to find a member by address.
    pub fn lookup_key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses() {
        let e = EmailAddress::parse(" Budi.Santoso@Example.TEST ").unwrap();
        assert_eq!(e.as_str(), "Budi.Santoso@example.test");
        assert_eq!(e.lookup_key(), "budi.santoso@example.test");
        assert!(EmailAddress::parse("a+tag@sub.example.co.id").is_ok());
    }

    #[test]
    fn refuses_broken_or_hostile_addresses() {
        assert_eq!(EmailAddress::parse(""), Err(EmailError::Empty));
        assert_eq!(EmailAddress::parse("budi"), Err(EmailError::BadShape));
        assert_eq!(EmailAddress::parse("@example.test"), Err(EmailError::BadShape));
        assert_eq!(EmailAddress::parse("a@b@example.test"), Err(EmailError::BadShape));
        assert_eq!(EmailAddress::parse("a@localhost"), Err(EmailError::BadDomain));
        assert_eq!(EmailAddress::parse("a@-x.test"), Err(EmailError::BadDomain));
        assert_eq!(
            EmailAddress::parse("a@x.test\r\nBcc: evil@x.test"),
            Err(EmailError::BadCharacter('\r'))
        );
        assert_eq!(EmailAddress::parse("a b@x.test"), Err(EmailError::BadCharacter(' ')));
    }
}
