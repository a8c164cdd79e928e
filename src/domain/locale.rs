//! The two languages redeemdesk speaks.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    /// Indonesian: the default when nothing else is known.
    #[default]
    Id,
    En,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language {0:?}; use \"id\" or \"en\"")]
pub struct LocaleError(pub String);

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::Id, Locale::En];

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Id => "id",
            Locale::En => "en",
        }
    }

    /// Parses a language code or tag such as `id`, `in`, `id-ID`, `en-GB`.
    pub fn parse(input: &str) -> Result<Self, LocaleError> {
        let lower = input.trim().to_ascii_lowercase();
        let primary = lower.split(['-', '_']).next().unwrap_or("");
        match primary {
            // `in` is the withdrawn ISO 639 code some Android phones still send.
            "id" | "in" | "ind" => Ok(Locale::Id),
            "en" | "eng" => Ok(Locale::En),
            _ => Err(LocaleError(input.to_owned())),
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Locale {
    type Err = LocaleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags() {
        assert_eq!(Locale::parse("id").unwrap(), Locale::Id);
        assert_eq!(Locale::parse("in").unwrap(), Locale::Id);
        assert_eq!(Locale::parse("en-GB").unwrap(), Locale::En);
        assert_eq!(Locale::parse("ID_id").unwrap(), Locale::Id);
        assert!(Locale::parse("fr").is_err());
        assert_eq!(Locale::default(), Locale::Id);
    }
}
