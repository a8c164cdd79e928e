//! A PDF's text: its text layer when it has one (`pdftotext`), else OCR of
//! its first page rendered by `pdftoppm` (a scan saved as PDF).

use std::time::Instant;

use image::GrayImage;

use super::{InvoiceText, PreCheckSettings, ReadError, TextSource, ocr};
use crate::child::{self, ChildError};

/// Fewer letters than this in the text layer: it is a scan, read the page image.
const MIN_LAYER_LETTERS: usize = 20;
/// Pages whose text layer is read; an invoice is one or two.
const PAGES: &str = "3";

pub fn text(data: &[u8], settings: &PreCheckSettings, deadline: Instant) -> Result<InvoiceText, ReadError> {
    let engine = |e: ChildError| match e {
        ChildError::Missing(p) => ReadError::EngineMissing(p),
        ChildError::TimedOut { .. } => ReadError::TimedOut,
        other => ReadError::Engine(other.to_string()),
    };
    let layer = child::run(
        &settings.pdftotext,
        &["-layout", "-enc", "UTF-8", "-f", "1", "-l", PAGES, "-", "-"],
        data,
        deadline,
        settings.max_text_bytes * 8,
    );
    let layer = match layer {
        Ok(out) => String::from_utf8_lossy(&out).into_owned(),
        // A long text layer is still a text layer: keep what fits.
        Err(ChildError::TooMuchOutput { .. }) => String::new(),
        Err(e) => return Err(engine(e)),
    };
    if layer.chars().filter(|c| c.is_alphabetic()).count() >= MIN_LAYER_LETTERS {
        return Ok(InvoiceText {
            source: TextSource::PdfText,
            text: layer,
        });
    }
    // No text layer: render page 1 no larger than the OCR wants (a huge
    // MediaBox cannot make a huge image) and read it.
    // Raw PGM out: poppler's PNG encoder takes seconds on a full page.
    let side = settings.max_side.to_string();
    let pgm = child::run(
        &settings.pdftoppm,
        &["-f", "1", "-l", "1", "-gray", "-scale-to", &side, "-"],
        data,
        deadline,
        64 * 1024 * 1024,
    )
    .map_err(engine)?;
    let page = parse_pgm(&pgm).ok_or_else(|| ReadError::Engine("pdftoppm wrote no page image".into()))?;
    let text = ocr::tesseract(&ocr::prepare(page, settings), settings, deadline)?;
    Ok(InvoiceText {
        source: TextSource::Ocr,
        text,
    })
}

/// A binary greyscale PNM (`P5`, 8 bits), as `pdftoppm -gray` writes it.
fn parse_pgm(data: &[u8]) -> Option<GrayImage> {
    let mut fields = Vec::new();
    let mut at = 0;
    // Magic, width, height, maxval: whitespace-separated, then one whitespace byte.
    while fields.len() < 4 {
        while data.get(at)?.is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !data.get(at)?.is_ascii_whitespace() {
            at += 1;
        }
        fields.push(std::str::from_utf8(&data[start..at]).ok()?);
    }
    at += 1;
    let (w, h): (u32, u32) = (fields[1].parse().ok()?, fields[2].parse().ok()?);
    if fields[0] != "P5" || fields[3] != "255" {
        return None;
    }
    let len = (w as usize).checked_mul(h as usize)?;
    GrayImage::from_raw(w, h, data.get(at..at.checked_add(len)?)?.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgm() {
        let img = parse_pgm(b"P5\n3 2\n255\n\x00\x01\x02\x03\x04\x05").unwrap();
        assert_eq!(img.dimensions(), (3, 2));
        assert_eq!(img.get_pixel(2, 1).0, [5]);
        assert!(parse_pgm(b"P5\n3 2\n255\n\x00").is_none());
        assert!(parse_pgm(b"P6\n1 1\n255\n\x00\x00\x00").is_none());
        assert!(parse_pgm(b"").is_none());
    }
}
