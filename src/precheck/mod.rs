//! The invoice pre-check: the text of a re-uploaded invoice (a PDF's text
//! layer with poppler's `pdftotext`, else Tesseract OCR of the photo or of the
//! PDF's first page) read for what reviewers reject for (`domain::invoice`),
//! so the customer hears at once, not 7–14 working days later, that the file
//! lacks the product's name or shows a date outside the promotion.
//!
//! Everything here is blocking (child processes, image work): callers run it
//! in `spawn_blocking`, before their database transaction. Without Tesseract
//! the service runs as before, without pre-check, and says so once in the log.

pub mod ocr;
mod pdf;
pub mod verdict;

use std::path::PathBuf;

use crate::child;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub use verdict::{Assessment, FileFindings, InvoiceFindings, affirmative, assess};

/// How the pre-check reads files (from `[precheck]`, `config::PrecheckConfig`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreCheckSettings {
    /// Off: files go to review unread, as before the pre-check existed.
    pub enabled: bool,
    /// The `tesseract` command (Debian's `tesseract-ocr`).
    pub tesseract: PathBuf,
    /// poppler's `pdftotext` and `pdftoppm` (Debian's `poppler-utils`).
    pub pdftotext: PathBuf,
    pub pdftoppm: PathBuf,
    /// Tesseract's language data, `+`-joined (`tesseract-ocr-ind`, `-eng`).
    pub languages: String,
    /// Tesseract's page segmentation mode: 6 reads the page as one block,
    /// row by row, which keeps an invoice's item and price on one line and
    /// does not drop a table the automatic layout (3) takes for a picture.
    pub page_segmentation: String,
    /// Most time one file may take, all programs together.
    pub timeout: Duration,
    /// Images with more pixels than this are not read (checked from the header).
    pub max_pixels: u64,
    /// Photos are brought to at most / at least this many pixels on their long side.
    pub max_side: u32,
    pub min_side: u32,
    /// Text kept per file (the rest of a very long document is not read).
    pub max_text_bytes: usize,
}

impl Default for PreCheckSettings {
    fn default() -> Self {
        Self::from_config(&crate::config::PrecheckConfig::default())
    }
}

impl PreCheckSettings {
    pub fn from_config(c: &crate::config::PrecheckConfig) -> Self {
        Self {
            enabled: c.enabled,
            tesseract: c.tesseract.clone(),
            pdftotext: c.pdftotext.clone(),
            pdftoppm: c.pdftoppm.clone(),
            languages: c.languages.clone(),
            page_segmentation: c.page_segmentation.to_string(),
            timeout: Duration::from_secs(c.timeout_seconds.max(1)),
            max_pixels: c.max_pixels,
            max_side: c.max_side.max(100),
            min_side: c.min_side.min(c.max_side),
            max_text_bytes: c.max_text_bytes,
        }
    }
}

/// Where a file's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextSource {
    /// The PDF's own text layer.
    PdfText,
    /// Tesseract, on a photo or on a PDF page without text.
    Ocr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceText {
    pub source: TextSource,
    pub text: String,
}

/// Why a file's text could not be read (the file still goes to review).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("{0} is not installed")]
    EngineMissing(String),
    #[error("reading took longer than the limit")]
    TimedOut,
    #[error("{width}×{height} pixels is more than the pre-check reads")]
    TooLarge { width: u32, height: u32 },
    #[error("the image cannot be decoded: {0}")]
    Undecodable(String),
    #[error("{0}")]
    Engine(String),
    #[error("{0} files are not read")]
    NotRead(String),
}

/// The pre-check's reader, shared by the mail ingestor and the assistant.
#[derive(Debug, Clone)]
pub struct PreCheck {
    settings: Arc<PreCheckSettings>,
    /// Whether Tesseract and its languages are there, asked once.
    available: Arc<OnceLock<bool>>,
}

impl Default for PreCheck {
    fn default() -> Self {
        Self::new(PreCheckSettings::default())
    }
}

impl PreCheck {
    pub fn new(settings: PreCheckSettings) -> Self {
        Self {
            settings: Arc::new(settings),
            available: Arc::new(OnceLock::new()),
        }
    }

    /// A pre-check that never reads anything.
    pub fn off() -> Self {
        Self::new(PreCheckSettings {
            enabled: false,
            ..PreCheckSettings::default()
        })
    }

    pub fn settings(&self) -> &PreCheckSettings {
        &self.settings
    }

    /// Whether files are read: enabled, and Tesseract answers with the
    /// languages we need. Asked once per process for the same programs (the
    /// mail poller and each chat channel share the answer), and logged once.
    pub fn is_on(&self) -> bool {
        if !self.settings.enabled {
            return false;
        }
        *self.available.get_or_init(|| {
            static PROBED: Mutex<Vec<((PathBuf, String), bool)>> = Mutex::new(Vec::new());
            let key = (self.settings.tesseract.clone(), self.settings.languages.clone());
            let mut probed = PROBED.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((_, on)) = probed.iter().find(|(k, _)| *k == key) {
                return *on;
            }
            let on = self.probe_and_log();
            probed.push((key, on));
            on
        })
    }

    fn probe_and_log(&self) -> bool {
        match self.probe() {
            Ok(()) => {
                tracing::info!(languages = %self.settings.languages, "invoice pre-check is on");
                true
            }
            Err(why) => {
                tracing::warn!(
                    %why,
                    "invoice pre-check is off: files go to review without it \
                     (install tesseract-ocr, tesseract-ocr-ind, tesseract-ocr-eng and poppler-utils, \
                     see scripts/packages.sh)"
                );
                false
            }
        }
    }

    fn probe(&self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let listed = child::run(&self.settings.tesseract, &["--list-langs"], b"", deadline, 64 * 1024)
            .map_err(|e| e.to_string())?;
        let listed = String::from_utf8_lossy(&listed);
        for lang in self.settings.languages.split('+') {
            if !listed.lines().any(|l| l.trim() == lang) {
                return Err(format!("Tesseract has no '{lang}' language data"));
            }
        }
        Ok(())
    }

    /// The text of one accepted file (`content_type` as the file checks
    /// decided it). `None` when the pre-check is off. Blocking.
    pub fn read(&self, content_type: &str, data: &[u8]) -> Option<Result<InvoiceText, ReadError>> {
        if !self.is_on() {
            return None;
        }
        let deadline = Instant::now() + self.settings.timeout;
        let read = match content_type {
            "application/pdf" => pdf::text(data, &self.settings, deadline),
            "image/jpeg" | "image/png" | "image/gif" | "image/webp" => ocr::image_text(data, &self.settings, deadline)
                .map(|text| InvoiceText {
                    source: TextSource::Ocr,
                    text,
                }),
            other => Err(ReadError::NotRead(other.to_owned())),
        };
        Some(read.map(|mut t| {
            truncate(&mut t.text, self.settings.max_text_bytes);
            t
        }))
    }
}

fn truncate(text: &mut String, max: usize) {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
}
