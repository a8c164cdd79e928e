//! Images as we keep them for review: every photo is decoded once (a file
//! that does not decode is unreadable), within limits that stop decompression
//! bombs before any pixel is allocated; photos wider than the review width
//! are scaled down and stored as JPEG with the original kept beside them;
//! HEIC (iPhones) is converted to JPEG by `heif-convert` in a child process.
//! Pure apart from that child process: no database, no network. Used for
//! inbound email and meant for the chat re-upload path too.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};

use super::files::{FileProblem, Sniffed};
use crate::child::ChildError;

/// How far decoding may go, and what the review copy looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageLimits {
    /// Wider than this is refused from the header (`image_too_large`).
    pub max_width: u32,
    /// Taller than this is refused from the header (`image_too_large`).
    pub max_height: u32,
    /// Most the decoder may allocate at once, in bytes.
    pub max_alloc: u64,
    /// Most pixels (width × height, from the header) we decode.
    pub max_pixels: u64,
    /// Photos wider than this are scaled down to it for review.
    pub review_width: u32,
    /// JPEG quality of a scaled-down review copy.
    pub jpeg_quality: u8,
    /// The HEIC converter (Debian's `libheif-examples`), looked up on PATH.
    pub heif_convert: PathBuf,
    /// How long the converter may run before it is killed.
    pub heif_timeout: Duration,
}

impl Default for ImageLimits {
    fn default() -> Self {
        Self {
            max_width: 12_000,
            max_height: 12_000,
            max_alloc: 256 * 1024 * 1024,
            max_pixels: 40_000_000,
            review_width: 1600,
            jpeg_quality: 85,
            heif_convert: PathBuf::from("heif-convert"),
            heif_timeout: Duration::from_secs(20),
        }
    }
}

impl ImageLimits {
    fn decoder_limits(&self) -> Limits {
        let mut limits = Limits::default();
        limits.max_image_width = Some(self.max_width);
        limits.max_image_height = Some(self.max_height);
        limits.max_alloc = Some(self.max_alloc);
        limits
    }
}

/// The file as received, when what we store is a converted copy of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Original {
    pub content_type: &'static str,
    pub sha256: String,
    pub data: Vec<u8>,
}

/// What to store for one accepted file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The type of the stored copy (`Jpeg` for converted or scaled-down photos).
    pub kind: Sniffed,
    /// The stored copy's bytes.
    pub data: Vec<u8>,
    /// Pixel size of the stored copy as it is shown (EXIF orientation applied); `None` for PDF.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// The file as received, when `data` is a conversion of it.
    pub original: Option<Original>,
}

/// Checks and converts one file already sniffed as `kind`: images are decoded
/// (within `limits`), scaled down if wider than the review width, HEIC is
/// converted to JPEG; PDF is kept as it is. Copies `data` once (into the
/// stored copy or into [`Original`]).
pub fn prepare(kind: Sniffed, data: &[u8], limits: &ImageLimits) -> Result<Prepared, FileProblem> {
    match kind {
        Sniffed::Jpeg | Sniffed::Png | Sniffed::Gif => {
            let review = review_copy(format_of(kind), data, limits)?;
            Ok(match review {
                Review::AsReceived { width, height } => Prepared {
                    kind,
                    data: data.to_vec(),
                    width: Some(width),
                    height: Some(height),
                    original: None,
                },
                Review::Scaled { jpeg, width, height } => Prepared {
                    kind: Sniffed::Jpeg,
                    data: jpeg,
                    width: Some(width),
                    height: Some(height),
                    original: Some(original(kind, data)),
                },
            })
        }
        Sniffed::Heic => {
            let converted = heic_to_jpeg(data, limits)?;
            let (jpeg, width, height) = match review_copy(ImageFormat::Jpeg, &converted, limits)? {
                Review::AsReceived { width, height } => (converted, width, height),
                Review::Scaled { jpeg, width, height } => (jpeg, width, height),
            };
            Ok(Prepared {
                kind: Sniffed::Jpeg,
                data: jpeg,
                width: Some(width),
                height: Some(height),
                original: Some(original(kind, data)),
            })
        }
        Sniffed::Pdf => Ok(Prepared {
            kind,
            data: data.to_vec(),
            width: None,
            height: None,
            original: None,
        }),
        Sniffed::Executable => Err(FileProblem::Executable),
        Sniffed::Archive => Err(FileProblem::Archive),
        Sniffed::Other => Err(FileProblem::UnsupportedType),
    }
}

fn original(kind: Sniffed, data: &[u8]) -> Original {
    Original {
        content_type: kind.mime(),
        sha256: crate::blobs::sha256_hex(data),
        data: data.to_vec(),
    }
}

fn format_of(kind: Sniffed) -> ImageFormat {
    match kind {
        Sniffed::Png => ImageFormat::Png,
        Sniffed::Gif => ImageFormat::Gif,
        _ => ImageFormat::Jpeg,
    }
}

enum Review {
    /// Narrow enough: store the bytes as received.
    AsReceived { width: u32, height: u32 },
    /// Scaled down to the review width and encoded as JPEG.
    Scaled { jpeg: Vec<u8>, width: u32, height: u32 },
}

/// Limits hit are `image_too_large`; anything else the decoder refuses is `unreadable`.
fn problem(e: ImageError) -> FileProblem {
    match e {
        ImageError::Limits(_) => FileProblem::ImageTooLarge,
        _ => FileProblem::Unreadable,
    }
}

fn reader<'a>(data: &'a [u8], format: ImageFormat, limits: &ImageLimits) -> ImageReader<Cursor<&'a [u8]>> {
    let mut reader = ImageReader::with_format(Cursor::new(data), format);
    reader.limits(limits.decoder_limits());
    reader
}

/// Decodes `data` (once, after checking the header's size) and decides what to store.
fn review_copy(format: ImageFormat, data: &[u8], limits: &ImageLimits) -> Result<Review, FileProblem> {
    // The header alone: a bomb is refused before a single pixel is allocated.
    let (width, height) = reader(data, format, limits).into_dimensions().map_err(problem)?;
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(FileProblem::ImageTooLarge);
    }
    let mut decoder = reader(data, format, limits).into_decoder().map_err(problem)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    limits
        .decoder_limits()
        .reserve(decoder.total_bytes())
        .map_err(problem)?;
    // Decoding it all is how we know the file is readable, even when it is kept as is.
    let bitmap = DynamicImage::from_decoder(decoder).map_err(problem)?;
    let turned = matches!(
        orientation,
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH
    );
    let (shown_w, shown_h) = if turned { (height, width) } else { (width, height) };
    if shown_w <= limits.review_width {
        return Ok(Review::AsReceived {
            width: shown_w,
            height: shown_h,
        });
    }
    let new_w = limits.review_width;
    let new_h = ((u64::from(shown_h) * u64::from(new_w) + u64::from(shown_w) / 2) / u64::from(shown_w)).max(1) as u32;
    // Scale first, then turn the small copy: the big bitmap is never copied.
    let (raw_w, raw_h) = if turned { (new_h, new_w) } else { (new_w, new_h) };
    // The triangle filter's first pass holds width × new height in f32 (12 bytes a
    // pixel): from more than twice the size, an area average down to twice the
    // size comes first, so the big bitmap can go before that pass.
    let halfway = if width > 2 * raw_w && height > 2 * raw_h {
        let box_averaged = bitmap.thumbnail_exact(2 * raw_w, 2 * raw_h);
        drop(bitmap);
        box_averaged
    } else {
        bitmap
    };
    let mut small = halfway.resize_exact(raw_w, raw_h, FilterType::Triangle);
    drop(halfway);
    small.apply_orientation(orientation);
    let jpeg = encode_jpeg(&small, limits.jpeg_quality)?;
    Ok(Review::Scaled {
        jpeg,
        width: new_w,
        height: new_h,
    })
}

/// JPEG has no alpha: transparent pixels go on white, as a viewer shows them.
fn encode_jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, FileProblem> {
    let mut out = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    let written = if image.color().has_alpha() {
        let rgba = image.to_rgba8();
        let rgb = image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
            let [r, g, b, a] = rgba.get_pixel(x, y).0;
            let a = u16::from(a);
            let over = |c: u8| ((u16::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
            image::Rgb([over(r), over(g), over(b)])
        });
        drop(rgba);
        encoder.encode_image(&rgb)
    } else if !image.color().has_color() {
        encoder.encode_image(&image.to_luma8())
    } else {
        encoder.encode_image(&image.to_rgb8())
    };
    written.map_err(|e| {
        tracing::warn!(error = %e, "could not encode a review copy as JPEG");
        FileProblem::Unreadable
    })?;
    Ok(out)
}

/// A fresh private directory under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<Self> {
        use std::os::unix::fs::DirBuilderExt;
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        loop {
            let n = N.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!("redeemdesk-heic-{}-{n}-{nanos}", std::process::id()));
            match std::fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Ok(Self(path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// HEIC to JPEG (quality 90) with `heif-convert`. A HEVC decoder is a large
/// attack surface and a hostile HEIC is easy to send: running it in a child
/// process, without a shell, in a throw-away directory and under a timeout
/// keeps a crash, a hang or a memory blow-up out of our own process.
fn heic_to_jpeg(data: &[u8], limits: &ImageLimits) -> Result<Vec<u8>, FileProblem> {
    let unreadable = |what: &str, detail: String| {
        tracing::warn!(%detail, "HEIC conversion failed: {what}");
        FileProblem::Unreadable
    };
    let dir = TempDir::new().map_err(|e| unreadable("no temporary directory", e.to_string()))?;
    let input = dir.path().join("in.heic");
    let output = dir.path().join("out.jpg");
    std::fs::write(&input, data).map_err(|e| unreadable("cannot write the input", e.to_string()))?;
    let (input_arg, output_arg) = (input.to_string_lossy(), output.to_string_lossy());
    let deadline = Instant::now() + limits.heif_timeout;
    match crate::child::run(
        &limits.heif_convert,
        &["-q", "90", &input_arg, &output_arg],
        b"",
        deadline,
        64 * 1024,
    ) {
        Ok(_) => {}
        Err(ChildError::Missing(_)) => {
            tracing::warn!(
                program = %limits.heif_convert.display(),
                "heif-convert is missing (install Debian's libheif-examples, see scripts/packages.sh): \
                 HEIC photos are refused as unreadable"
            );
            return Err(FileProblem::Unreadable);
        }
        Err(e @ ChildError::TimedOut { .. }) => {
            return Err(unreadable("heif-convert timed out and was killed", e.to_string()));
        }
        Err(e) => return Err(unreadable("heif-convert refused the file", e.to_string())),
    }
    // A file with several top-level images gives out-1.jpg, out-2.jpg…: the first is kept.
    let first = dir.path().join("out-1.jpg");
    std::fs::read(&output)
        .or_else(|_| std::fs::read(&first))
        .map_err(|e| unreadable("heif-convert wrote no JPEG", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::inbound::sniff;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/images")
                .join(name),
        )
        .unwrap()
    }

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x / 7 + y / 5) % 256) as u8])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
            .encode_image(&img)
            .unwrap();
        out
    }

    fn dimensions(data: &[u8]) -> (u32, u32) {
        ImageReader::new(Cursor::new(data))
            .with_guessed_format()
            .unwrap()
            .into_dimensions()
            .unwrap()
    }

    #[test]
    fn a_wide_photo_is_scaled_down_and_the_original_kept() {
        let data = jpeg(3000, 2000);
        let p = prepare(sniff(&data), &data, &ImageLimits::default()).unwrap();
        assert_eq!(p.kind, Sniffed::Jpeg);
        assert_eq!((p.width, p.height), (Some(1600), Some(1067)));
        assert_eq!(dimensions(&p.data), (1600, 1067));
        assert!(p.data.len() < data.len());
        let original = p.original.unwrap();
        assert_eq!(original.content_type, "image/jpeg");
        assert_eq!(original.data, data);
        assert_eq!(original.sha256, crate::blobs::sha256_hex(&data));
    }

    #[test]
    fn a_wide_png_becomes_a_jpeg() {
        // More than twice the review width: averaged down to twice it first, then filtered.
        let img = image::RgbaImage::from_fn(3600, 900, |x, _| image::Rgba([200, 10, 10, (x % 256) as u8]));
        let mut data = Vec::new();
        img.write_to(&mut Cursor::new(&mut data), ImageFormat::Png).unwrap();
        let p = prepare(Sniffed::Png, &data, &ImageLimits::default()).unwrap();
        assert_eq!(p.kind, Sniffed::Jpeg);
        assert_eq!((p.width, p.height), (Some(1600), Some(400)));
        assert_eq!(sniff(&p.data), Sniffed::Jpeg);
        assert_eq!(p.original.unwrap().content_type, "image/png");
    }

    #[test]
    fn a_small_photo_is_kept_as_received_with_its_size() {
        for (name, kind, size) in [
            ("photo.jpg", Sniffed::Jpeg, (400, 300)),
            ("invoice.png", Sniffed::Png, (320, 200)),
        ] {
            let data = fixture(name);
            let p = prepare(sniff(&data), &data, &ImageLimits::default()).unwrap();
            assert_eq!(p.kind, kind, "{name}");
            assert_eq!(p.data, data, "{name}");
            assert_eq!((p.width, p.height), (Some(size.0), Some(size.1)), "{name}");
            assert_eq!(p.original, None, "{name}");
        }
        let data = jpeg(1600, 900);
        let p = prepare(Sniffed::Jpeg, &data, &ImageLimits::default()).unwrap();
        assert_eq!((p.width, p.height, p.original), (Some(1600), Some(900), None));
    }

    #[test]
    fn a_corrupt_photo_is_unreadable() {
        let data = fixture("photo.jpg");
        assert_eq!(
            prepare(Sniffed::Jpeg, &data[..200], &ImageLimits::default()),
            Err(FileProblem::Unreadable)
        );
        let mut garbage = data[..20].to_vec();
        garbage.extend(std::iter::repeat_n(0x5A, 4000));
        assert_eq!(
            prepare(Sniffed::Jpeg, &garbage, &ImageLimits::default()),
            Err(FileProblem::Unreadable)
        );
        let png = fixture("invoice.png");
        assert_eq!(
            prepare(Sniffed::Png, &png[..png.len() - 40], &ImageLimits::default()),
            Err(FileProblem::Unreadable)
        );
        assert_eq!(
            prepare(Sniffed::Gif, b"GIF89a\x01", &ImageLimits::default()),
            Err(FileProblem::Unreadable)
        );
    }

    /// A PNG whose header claims `width` × `height`, with a valid CRC and one tiny IDAT.
    fn png_header(width: u32, height: u32) -> Vec<u8> {
        fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
            out.extend((data.len() as u32).to_be_bytes());
            let start = out.len();
            out.extend(kind);
            out.extend(data);
            out.extend(crc32(&out[start..]).to_be_bytes());
        }
        let mut ihdr = Vec::new();
        ihdr.extend(width.to_be_bytes());
        ihdr.extend(height.to_be_bytes());
        ihdr.extend([8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        chunk(&mut out, b"IHDR", &ihdr);
        chunk(&mut out, b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        chunk(&mut out, b"IEND", &[]);
        out
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn a_bomb_is_refused_from_its_header() {
        let limits = ImageLimits::default();
        let bomb = png_header(50_000, 50_000);
        assert_eq!(sniff(&bomb), Sniffed::Png);
        assert_eq!(prepare(Sniffed::Png, &bomb, &limits), Err(FileProblem::ImageTooLarge));
        // Within 12000 px each way but over 40 megapixels.
        assert_eq!(
            prepare(Sniffed::Png, &png_header(8000, 6000), &limits),
            Err(FileProblem::ImageTooLarge)
        );
        // The same check, from the header, is what refuses it: with room for it the data is too short.
        let roomy = ImageLimits {
            max_pixels: u64::MAX,
            max_alloc: u64::MAX,
            ..ImageLimits::default()
        };
        assert_eq!(
            prepare(Sniffed::Png, &png_header(100, 100), &roomy),
            Err(FileProblem::Unreadable)
        );
    }

    #[test]
    fn pdf_is_kept_as_is() {
        let pdf = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n";
        let p = prepare(Sniffed::Pdf, pdf, &ImageLimits::default()).unwrap();
        assert_eq!(
            (p.kind, p.width, p.height, p.original),
            (Sniffed::Pdf, None, None, None)
        );
        assert_eq!(p.data, pdf);
        assert_eq!(
            prepare(Sniffed::Archive, b"PK\x03\x04", &ImageLimits::default()),
            Err(FileProblem::Archive)
        );
    }

    /// Needs `heif-convert` (scripts/packages.sh installs it): fails without it, on purpose.
    #[test]
    fn heic_becomes_a_jpeg_with_the_original_kept() {
        let data = fixture("sn.heic");
        assert_eq!(sniff(&data), Sniffed::Heic);
        let p = prepare(Sniffed::Heic, &data, &ImageLimits::default())
            .expect("heif-convert converts the fixture (run scripts/packages.sh)");
        assert_eq!(p.kind, Sniffed::Jpeg);
        assert_eq!(sniff(&p.data), Sniffed::Jpeg);
        assert_eq!((p.width, p.height), (Some(64), Some(48)));
        assert_eq!(dimensions(&p.data), (64, 48));
        let original = p.original.unwrap();
        assert_eq!(original.content_type, "image/heic");
        assert_eq!(original.data, data);
    }

    #[test]
    fn a_broken_heic_or_a_missing_converter_is_unreadable() {
        let stub = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\x01\x01\x01\x01";
        assert_eq!(
            prepare(Sniffed::Heic, stub, &ImageLimits::default()),
            Err(FileProblem::Unreadable)
        );
        let missing = ImageLimits {
            heif_convert: PathBuf::from("heif-convert-not-installed-here"),
            ..ImageLimits::default()
        };
        assert_eq!(
            prepare(Sniffed::Heic, &fixture("sn.heic"), &missing),
            Err(FileProblem::Unreadable)
        );
    }

    #[test]
    fn a_hanging_converter_is_killed() {
        // `sleep 5` stands in for a converter that hangs: it gets the arguments and never answers in time.
        let dir = TempDir::new().unwrap();
        let script = dir.path().join("hang");
        // Written by a child process, so no file descriptor of ours can make it "text file busy".
        let made = std::process::Command::new("sh")
            .arg("-c")
            .arg("printf '#!/bin/sh\\nexec sleep 5\\n' > \"$1\" && chmod 755 \"$1\"")
            .arg("sh")
            .arg(&script)
            .status()
            .unwrap();
        assert!(made.success());
        let limits = ImageLimits {
            heif_convert: script,
            heif_timeout: Duration::from_millis(200),
            ..ImageLimits::default()
        };
        let started = Instant::now();
        assert_eq!(
            prepare(Sniffed::Heic, &fixture("sn.heic"), &limits),
            Err(FileProblem::Unreadable)
        );
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(200) && took < Duration::from_secs(3),
            "{took:?}"
        );
    }
}
