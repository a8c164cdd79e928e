//! An invoice photo to text: decoded within pixel limits, turned upright by
//! its EXIF orientation, cleaned up (uneven light flattened, contrast
//! stretched, small photos enlarged), then read by Tesseract in a child process.

use std::io::Cursor;
use std::time::Instant;

use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, ImageDecoder, ImageReader, Limits};

use super::{PreCheckSettings, ReadError};
use crate::child::{self, ChildError};

/// Reads the text of an encoded image (JPEG, PNG, GIF, WebP).
pub fn image_text(data: &[u8], settings: &PreCheckSettings, deadline: Instant) -> Result<String, ReadError> {
    let gray = decode_upright(data, settings)?;
    let prepared = prepare(gray, settings);
    tesseract(&prepared, settings, deadline)
}

/// Decodes with the pixel limit checked from the header, and applies the EXIF orientation.
pub fn decode_upright(data: &[u8], settings: &PreCheckSettings) -> Result<GrayImage, ReadError> {
    let reader = ImageReader::new(Cursor::new(data))
        .with_guessed_format()
        .map_err(|e| ReadError::Undecodable(e.to_string()))?;
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| ReadError::Undecodable(e.to_string()))?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > settings.max_pixels {
        return Err(ReadError::TooLarge { width: w, height: h });
    }
    let mut limits = Limits::default();
    limits.max_alloc = Some(settings.max_pixels * 4 + 1024 * 1024);
    decoder
        .set_limits(limits)
        .map_err(|e| ReadError::Undecodable(e.to_string()))?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| ReadError::Undecodable(e.to_string()))?;
    img.apply_orientation(orientation);
    Ok(img.to_luma8())
}

/// The clean-up before OCR. Text should end up 20–40 px tall: photos are
/// brought to between `min_side` and `max_side` on their long side; the
/// light is flattened by dividing by the local background (a box mean, so a
/// shadow across the page does not swallow the text under Tesseract's global
/// threshold), then the contrast is stretched from the 1st to the 99th percentile.
pub fn prepare(img: GrayImage, settings: &PreCheckSettings) -> GrayImage {
    let (w, h) = img.dimensions();
    let long = w.max(h);
    let img = if long > settings.max_side {
        let f = settings.max_side as f32 / long as f32;
        image::imageops::resize(&img, scaled(w, f), scaled(h, f), FilterType::Triangle)
    } else if long < settings.min_side {
        let f = (settings.min_side as f32 / long as f32).min(3.0);
        image::imageops::resize(&img, scaled(w, f), scaled(h, f), FilterType::CatmullRom)
    } else {
        img
    };
    stretch(flatten(img))
}

fn scaled(n: u32, f: f32) -> u32 {
    ((n as f32 * f).round() as u32).max(1)
}

/// Divides each pixel by the brightest of its neighbourhood's local means
/// (paper is the bright part), so paper becomes white whatever the light.
fn flatten(img: GrayImage) -> GrayImage {
    let (w, h) = img.dimensions();
    let (wu, hu) = (w as usize, h as usize);
    if wu < 8 || hu < 8 {
        return img;
    }
    // Integral image of the grey levels.
    let mut sum = vec![0u64; (wu + 1) * (hu + 1)];
    for y in 0..hu {
        let mut row = 0u64;
        for x in 0..wu {
            row += u64::from(img.as_raw()[y * wu + x]);
            sum[(y + 1) * (wu + 1) + x + 1] = sum[y * (wu + 1) + x + 1] + row;
        }
    }
    // A window a few text lines tall: larger than a letter, smaller than a shadow's edge.
    let r = (w.max(h) / 40).max(8) as usize;
    let mean = |x: usize, y: usize| {
        let (x0, y0) = (x.saturating_sub(r), y.saturating_sub(r));
        let (x1, y1) = ((x + r + 1).min(wu), (y + r + 1).min(hu));
        let s = sum[y1 * (wu + 1) + x1] + sum[y0 * (wu + 1) + x0] - sum[y0 * (wu + 1) + x1] - sum[y1 * (wu + 1) + x0];
        s as f32 / ((x1 - x0) * (y1 - y0)) as f32
    };
    let mut out = img.clone();
    for (x, y, p) in out.enumerate_pixels_mut() {
        // Text pulls the local mean down; the paper around it is brighter than
        // the mean, hence the extra headroom.
        let background = (mean(x as usize, y as usize) * 1.15).clamp(16.0, 255.0);
        p.0[0] = (f32::from(p.0[0]) / background * 255.0).clamp(0.0, 255.0) as u8;
    }
    out
}

fn stretch(mut img: GrayImage) -> GrayImage {
    let mut histogram = [0u64; 256];
    for p in img.as_raw() {
        histogram[usize::from(*p)] += 1;
    }
    let total: u64 = histogram.iter().sum();
    let percentile = |q: f64| {
        let target = (total as f64 * q) as u64;
        let mut seen = 0;
        for (level, n) in histogram.iter().enumerate() {
            seen += n;
            if seen > target {
                return level as f32;
            }
        }
        255.0
    };
    let (lo, hi) = (percentile(0.01), percentile(0.99));
    if hi - lo < 8.0 {
        return img;
    }
    for p in img.pixels_mut() {
        p.0[0] = ((f32::from(p.0[0]) - lo) / (hi - lo) * 255.0).clamp(0.0, 255.0) as u8;
    }
    img
}

/// Tesseract reads a PGM from stdin and writes plain text to stdout.
pub fn tesseract(img: &GrayImage, settings: &PreCheckSettings, deadline: Instant) -> Result<String, ReadError> {
    let mut pgm = format!("P5\n{} {}\n255\n", img.width(), img.height()).into_bytes();
    pgm.extend_from_slice(img.as_raw());
    let out = child::run(
        &settings.tesseract,
        &[
            "stdin",
            "stdout",
            "-l",
            &settings.languages,
            "--oem",
            "1",
            "--psm",
            &settings.page_segmentation,
        ],
        &pgm,
        deadline,
        settings.max_text_bytes * 4,
    )
    .map_err(|e| match e {
        ChildError::Missing(p) => ReadError::EngineMissing(p),
        ChildError::TimedOut { .. } => ReadError::TimedOut,
        other => ReadError::Engine(other.to_string()),
    })?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}
