//! From each file's text to what the customer is told and what reviewers see:
//! findings per file (`InvoiceFindings`, stored beside the attachment), and
//! for the whole resubmission only the clear misses (`Assessment::problems`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{InvoiceText, ReadError, TextSource};
use crate::domain::invoice::{Expected, Findings, ModelMatch, Problem, StoreMatch};

/// Words of three letters or more a text needs before a missing model name
/// counts: OCR of a blurred photo or of a product photo reads next to nothing,
/// and "we could not read it" is for the reviewer, not a reason to hold a file.
const LEGIBLE_WORDS: usize = 8;

/// What one file showed. Shown to reviewers; the first five fields are the
/// `findings` of `mail ingest`'s contract.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceFindings {
    /// The model name as read (full or a distinctive part of it).
    pub model_name: Option<String>,
    pub purchase_date: Option<NaiveDate>,
    pub in_period: Option<bool>,
    pub invoice_number: Option<String>,
    pub store: Option<String>,
    /// `full` or `partial`.
    pub model_match: Option<String>,
    /// The date as printed.
    pub purchase_date_text: Option<String>,
    /// Whether `store` is the store the member named.
    pub store_is_members: Option<bool>,
    /// The product's serial, when it is printed.
    pub serial: Option<String>,
    pub text_from: Option<TextSource>,
    /// Enough text was read to judge the file.
    pub legible: bool,
    /// Why the file's text could not be read.
    pub unread: Option<String>,
}

impl InvoiceFindings {
    pub fn from_read(read: &Result<InvoiceText, ReadError>, expected: &Expected) -> Self {
        match read {
            Ok(t) => Self::from_text(t, expected),
            Err(e) => InvoiceFindings {
                unread: Some(e.to_string()),
                ..Default::default()
            },
        }
    }

    pub fn from_text(t: &InvoiceText, expected: &Expected) -> Self {
        let f = Findings::read(&t.text, expected);
        InvoiceFindings {
            model_name: f.model.as_ref().map(|(_, e)| e.text.clone()),
            model_match: f.model.as_ref().map(|(m, _)| {
                match m {
                    ModelMatch::Full => "full",
                    ModelMatch::Partial => "partial",
                }
                .to_owned()
            }),
            purchase_date: f.purchase_date.as_ref().map(|(d, _)| *d),
            purchase_date_text: f.purchase_date.as_ref().map(|(_, e)| e.text.clone()),
            in_period: f.in_period,
            invoice_number: f.invoice_number.as_ref().map(|e| e.text.clone()),
            store: f.store.as_ref().map(|(_, e)| e.text.clone()),
            store_is_members: f.store.as_ref().map(|(m, _)| *m == StoreMatch::Expected),
            serial: f.serial.as_ref().map(|e| e.text.clone()),
            text_from: Some(t.source),
            // Enough words, and the invoice's date or number among them: a
            // grainy photo's OCR yields words too, of nothing.
            legible: legible(&t.text) && (!f.dates.is_empty() || f.invoice_number.is_some()),
            unread: None,
        }
    }

    /// The contract's `findings` object.
    pub fn contract_json(&self) -> serde_json::Value {
        serde_json::json!({
            "model_name": self.model_name,
            "purchase_date": self.purchase_date,
            "in_period": self.in_period,
            "invoice_number": self.invoice_number,
            "store": self.store,
        })
    }

    /// The invoice number folded for comparing across claims (case, spaces
    /// and punctuation dropped); `None` when too short to mean anything.
    pub fn invoice_number_key(&self) -> Option<String> {
        let key: String = self
            .invoice_number
            .as_deref()?
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        (key.len() >= 5).then_some(key)
    }
}

/// Whether OCR read enough words for a missing model name to mean something.
pub fn legible(text: &str) -> bool {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 3)
        .count()
        >= LEGIBLE_WORDS
}

/// One file's findings, by the file's SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileFindings {
    pub sha256: String,
    pub findings: InvoiceFindings,
}

/// A resubmission's files judged together.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Assessment {
    pub files: Vec<FileFindings>,
}

impl Assessment {
    pub fn findings_for(&self, sha256: &str) -> Option<&InvoiceFindings> {
        self.files.iter().find(|f| f.sha256 == sha256).map(|f| &f.findings)
    }

    /// The clear misses a customer is told about before resubmitting. A
    /// resubmission often carries the invoice and a photo of the serial: the
    /// model counts as missing only when no file names it and at least one
    /// was legible, and the date as outside only when some file's purchase
    /// date is outside and none is inside. A file we could not read, or an
    /// invoice without a readable date, is left to the reviewer.
    pub fn problems(&self) -> Vec<Problem> {
        let read: Vec<&InvoiceFindings> = self.files.iter().map(|f| &f.findings).collect();
        let mut out = Vec::new();
        if read.iter().any(|f| f.legible) && read.iter().all(|f| f.model_name.is_none()) {
            out.push(Problem::ModelMissing);
        }
        if !read.iter().any(|f| f.in_period == Some(true))
            && let Some(date) = read
                .iter()
                .filter(|f| f.in_period == Some(false))
                .find_map(|f| f.purchase_date)
        {
            out.push(Problem::DateOutsidePeriod { date });
        }
        out
    }
}

/// Builds the assessment of files whose texts were read (files not read at
/// all, with the pre-check off, are left out).
pub fn assess<'a>(
    reads: impl IntoIterator<Item = (&'a str, &'a Result<InvoiceText, ReadError>)>,
    expected: &Expected,
) -> Assessment {
    Assessment {
        files: reads
            .into_iter()
            .map(|(sha256, read)| FileFindings {
                sha256: sha256.to_owned(),
                findings: InvoiceFindings::from_read(read, expected),
            })
            .collect(),
    }
}

/// Whether a customer's note says "submit it as it is" (the pre-check email
/// asks for KIRIM or SUBMIT): a yes-word and no no-word.
pub fn affirmative(note: &str) -> bool {
    const YES: &[&str] = &[
        "kirim",
        "submit",
        "ya",
        "yes",
        "iya",
        "lanjut",
        "lanjutkan",
        "ok",
        "oke",
        "okay",
        "setuju",
        "confirm",
        "konfirmasi",
        "proceed",
        "send",
    ];
    const NO: &[&str] = &[
        "tidak", "tdk", "gak", "nggak", "jangan", "batal", "no", "not", "cancel", "don't", "dont",
    ];
    let words: Vec<String> = note
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    // A long message is something else than a confirmation.
    if words.is_empty() || words.len() > 30 {
        return false;
    }
    words.iter().any(|w| YES.contains(&w.as_str())) && !words.iter().any(|w| NO.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected() -> Expected<'static> {
        Expected {
            model: "Modern AM242 1M",
            serial: None,
            store: Some("Bhinneka"),
            period: (
                NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
            ),
        }
    }

    fn ocr(text: &str) -> Result<InvoiceText, ReadError> {
        Ok(InvoiceText {
            source: TextSource::Ocr,
            text: text.into(),
        })
    }

    const GOOD: &str = "BHINNEKA\nFAKTUR PENJUALAN\nNo. Faktur: FJ-2026-00417\nTanggal: 12 April 2026\n\
                        Nama Barang Harga\nMSI Modern AM242 1M Rp 9.499.000\nTotal Rp 9.499.000\nTerima kasih";
    const NO_MODEL: &str = "BHINNEKA\nFAKTUR PENJUALAN\nNo. Faktur: FJ-2026-00417\nTanggal: 12 April 2026\n\
                            Nama Barang Harga\nMouse wireless hitam Rp 99.000\nTotal Rp 99.000\nTerima kasih";
    const LATE: &str = "BHINNEKA\nFAKTUR PENJUALAN\nNo. Faktur: FJ-2026-00417\nTanggal: 02/08/2026\n\
                        Nama Barang Harga\nMSI Modern AM242 1M Rp 9.499.000\nTotal Rp 9.499.000\nTerima kasih";

    #[test]
    fn clear_misses_only() {
        let e = expected();
        let (good, no_model, late, blur) = (ocr(GOOD), ocr(NO_MODEL), ocr(LATE), ocr("~ .. ii"));
        assert!(assess([("a", &good)], &e).problems().is_empty());
        assert_eq!(assess([("a", &no_model)], &e).problems(), vec![Problem::ModelMissing]);
        assert_eq!(
            assess([("a", &late)], &e).problems(),
            vec![Problem::DateOutsidePeriod {
                date: NaiveDate::from_ymd_opt(2026, 8, 2).unwrap()
            }]
        );
        // Nothing legible: the reviewer decides.
        assert!(assess([("a", &blur)], &e).problems().is_empty());
        let missing: Result<InvoiceText, ReadError> = Err(ReadError::TimedOut);
        assert!(assess([("a", &missing)], &e).problems().is_empty());
        // The invoice and a serial photo: the invoice names the model.
        assert!(assess([("a", &good), ("b", &blur)], &e).problems().is_empty());
        let f = &assess([("a", &good)], &e).files[0].findings;
        assert_eq!(f.model_name.as_deref(), Some("Modern AM242"));
        assert_eq!(f.invoice_number_key().as_deref(), Some("FJ202600417"));
        assert_eq!(f.store_is_members, Some(true));
        assert_eq!(
            f.contract_json(),
            serde_json::json!({"model_name": "Modern AM242", "purchase_date": "2026-04-12",
                "in_period": true, "invoice_number": "FJ-2026-00417", "store": "BHINNEKA"})
        );
    }

    #[test]
    fn confirmations() {
        for yes in [
            "KIRIM",
            "ya kirim saja",
            "Yes, submit it as it is",
            "ok lanjut",
            "Kirim.",
        ] {
            assert!(affirmative(yes), "{yes}");
        }
        for no in [
            "",
            "tidak, saya kirim file lain",
            "no",
            "what does this mean?",
            "jangan kirim dulu",
        ] {
            assert!(!affirmative(no), "{no}");
        }
    }
}
