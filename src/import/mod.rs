//! `redeemdesk import FILE.json` (and the built-in demo data): promotions,
//! members, products and redemptions with their history, in the schema of
//! `docs/import.md`.
//!
//! The file is read in two steps: `parse` turns the JSON into checked domain
//! values (every error names the record and field); `apply` checks references
//! against what the database already holds and writes everything in one
//! transaction, so an invalid record leaves the database untouched.

mod apply;
mod parse;

pub use apply::{Counts, ImportReport, import_json};
pub use parse::{ImportSet, parse};

/// Why an import was refused.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not JSON at all.
    #[error("{0}")]
    Syntax(String),
    /// A record is invalid or contradicts another record or the database.
    #[error("{record}: {field}: {message}")]
    Invalid {
        record: String,
        field: String,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl ImportError {
    pub(crate) fn invalid(record: impl Into<String>, field: impl Into<String>, message: impl ToString) -> Self {
        ImportError::Invalid {
            record: record.into(),
            field: field.into(),
            message: message.to_string(),
        }
    }

    /// True when the input is at fault (exit status 2), not the machine.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, ImportError::Store(_))
    }
}

/// The demo data set: the guide's three promotions and members, products and
/// redemptions in every status.
pub const DEMO_JSON: &str = include_str!("demo.json");
