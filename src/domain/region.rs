//! Sales regions, as MSI's Member Center names them (`ID` for Indonesia).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("region code {0:?} is not valid: use 2 to 10 letters, digits or dashes, such as \"ID\"")]
pub struct RegionError(pub String);

impl Region {
    pub fn parse(input: &str) -> Result<Self, RegionError> {
        let code = input.trim().to_ascii_uppercase();
        let ok = (2..=10).contains(&code.len())
            && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && code.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        if ok {
            Ok(Self(code))
        } else {
            Err(RegionError(input.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes() {
        assert_eq!(Region::parse("id").unwrap().as_str(), "ID");
        assert_eq!(Region::parse("ID-JK").unwrap().as_str(), "ID-JK");
        assert!(Region::parse("").is_err());
        assert!(Region::parse("I").is_err());
        assert!(Region::parse("Indonesia Raya").is_err());
        assert!(Region::parse("1D").is_err());
    }
}
