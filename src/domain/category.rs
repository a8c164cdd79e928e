//! Product categories (AIO, PRO DT, MB, …). The list is data — loaded from the
//! `categories` table — so a new category never needs a code change.

use std::fmt;

use super::locale::Locale;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Category(String);

impl Category {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryInfo {
    pub code: String,
    pub name_id: String,
    pub name_en: String,
}

impl CategoryInfo {
    pub fn name(&self, locale: Locale) -> &str {
        match locale {
            Locale::Id => &self.name_id,
            Locale::En => &self.name_en,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown product category {0:?}")]
pub struct CategoryError(pub String);

/// The categories the program knows. Parsing goes through it, so a `Category`
/// value is always one the catalog holds.
#[derive(Debug, Clone, Default)]
pub struct CategoryCatalog {
    entries: Vec<CategoryInfo>,
}

impl CategoryCatalog {
    pub fn new(entries: Vec<CategoryInfo>) -> Self {
        Self { entries }
    }

    /// Finds a category by code, ignoring case and treating `-`, `_` and runs of
    /// spaces alike, so `pro-dt` and `PRO  DT` both give `PRO DT`.
    pub fn parse(&self, input: &str) -> Result<Category, CategoryError> {
        let wanted = fold(input);
        self.entries
            .iter()
            .find(|e| fold(&e.code) == wanted)
            .map(|e| Category(e.code.clone()))
            .ok_or_else(|| CategoryError(input.to_owned()))
    }

    pub fn info(&self, category: &Category) -> Option<&CategoryInfo> {
        self.entries.iter().find(|e| e.code == category.0)
    }

    pub fn entries(&self) -> &[CategoryInfo] {
        &self.entries
    }
}

fn fold(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_uppercase())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
pub(crate) fn test_catalog() -> CategoryCatalog {
    let e = |code: &str| CategoryInfo {
        code: code.into(),
        name_id: code.into(),
        name_en: code.into(),
    };
    CategoryCatalog::new(
        [
            "AIO",
            "PRO DT",
            "MB",
            "PLC",
            "Desktop",
            "Monitor",
            "VGA",
            "SSD",
            "PBM",
            "Gaming Gear",
        ]
        .into_iter()
        .map(e)
        .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_codes_loosely() {
        let c = test_catalog();
        assert_eq!(c.parse("pro-dt").unwrap().as_str(), "PRO DT");
        assert_eq!(c.parse(" gaming  gear ").unwrap().as_str(), "Gaming Gear");
        assert_eq!(c.parse("aio").unwrap().as_str(), "AIO");
        assert_eq!(c.parse("Laptop"), Err(CategoryError("Laptop".into())));
    }
}
