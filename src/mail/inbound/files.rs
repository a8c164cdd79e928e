//! Attachments: every part is walked (nested `message/rfc822` forwards too, to
//! a depth limit) and judged by its bytes, never by its declared type or name.
//! Invoices and S/N photos come as JPEG, PNG, GIF, PDF or HEIC; executables,
//! archives, files whose name claims another type, empty or oversized files
//! are refused with a reason; small inline images (signature logos) are not
//! evidence and are skipped silently. Images are then decoded and, when
//! needed, scaled down or converted (see [`super::images`]): what is stored is
//! the review copy. Names are rebuilt from a safe stem and the stored type,
//! never taken as paths.

use std::borrow::Cow;

use mail_parser::{Encoding, Message, MessagePart, MimeHeaders, PartType};
use serde::Serialize;

use super::images::{ImageLimits, Original, prepare};

#[derive(Debug, Clone)]
pub struct FileLimits {
    pub max_file_bytes: usize,
    pub max_files: usize,
    pub max_depth: usize,
    /// Inline images smaller than this are decoration (logos), not evidence.
    pub min_inline_image_bytes: usize,
    /// Decoding limits and the review copy of images.
    pub images: ImageLimits,
}

impl Default for FileLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 20 * 1024 * 1024,
            max_files: 10,
            max_depth: 3,
            min_inline_image_bytes: 15 * 1024,
            images: ImageLimits::default(),
        }
    }
}

/// A file we keep. The fields describe the stored copy: for a photo wider
/// than the review width or a HEIC, that is a JPEG made from it, and the file
/// as received is in `original`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AcceptedFile {
    pub filename: String,
    pub content_type: &'static str,
    pub bytes: u64,
    pub sha256: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    #[serde(skip)]
    pub data: Vec<u8>,
    #[serde(skip)]
    pub original: Option<Original>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedFile {
    pub filename: String,
    pub reason: FileProblem,
}

/// Why a file in a reply cannot be used. Each has a Fluent message
/// (`file-problem-*`) for the "we could not use your reply" email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileProblem {
    Executable,
    Archive,
    UnsupportedType,
    NameDoesNotMatchContent,
    Empty,
    TooLarge,
    TooManyFiles,
    NestedTooDeep,
    /// An image (or HEIC) that does not decode.
    Unreadable,
    /// An image with more pixels than we decode (refused from its header).
    ImageTooLarge,
}

impl FileProblem {
    pub const ALL: [FileProblem; 10] = [
        FileProblem::Executable,
        FileProblem::Archive,
        FileProblem::UnsupportedType,
        FileProblem::NameDoesNotMatchContent,
        FileProblem::Empty,
        FileProblem::TooLarge,
        FileProblem::TooManyFiles,
        FileProblem::NestedTooDeep,
        FileProblem::Unreadable,
        FileProblem::ImageTooLarge,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FileProblem::Executable => "executable",
            FileProblem::Archive => "archive",
            FileProblem::UnsupportedType => "unsupported_type",
            FileProblem::NameDoesNotMatchContent => "name_does_not_match_content",
            FileProblem::Empty => "empty",
            FileProblem::TooLarge => "too_large",
            FileProblem::TooManyFiles => "too_many_files",
            FileProblem::NestedTooDeep => "nested_too_deep",
            FileProblem::Unreadable => "unreadable",
            FileProblem::ImageTooLarge => "image_too_large",
        }
    }
}

/// What the bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Jpeg,
    Png,
    Gif,
    Pdf,
    Heic,
    Executable,
    Archive,
    Other,
}

impl Sniffed {
    pub fn mime(self) -> &'static str {
        match self {
            Sniffed::Jpeg => "image/jpeg",
            Sniffed::Png => "image/png",
            Sniffed::Gif => "image/gif",
            Sniffed::Pdf => "application/pdf",
            Sniffed::Heic => "image/heic",
            _ => "application/octet-stream",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Sniffed::Jpeg => "jpg",
            Sniffed::Png => "png",
            Sniffed::Gif => "gif",
            Sniffed::Pdf => "pdf",
            Sniffed::Heic => "heic",
            _ => "bin",
        }
    }

    /// File-name extensions that may honestly name this type.
    fn names(self) -> &'static [&'static str] {
        match self {
            Sniffed::Jpeg => &["jpg", "jpeg", "jpe", "jfif"],
            Sniffed::Png => &["png"],
            Sniffed::Gif => &["gif"],
            Sniffed::Pdf => &["pdf"],
            Sniffed::Heic => &["heic", "heif"],
            _ => &[],
        }
    }
}

/// Decides a file's type from its first bytes.
pub fn sniff(b: &[u8]) -> Sniffed {
    let starts = |m: &[u8]| b.starts_with(m);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        Sniffed::Jpeg
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Sniffed::Png
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Sniffed::Gif
    } else if b.len() >= 12
        && &b[4..8] == b"ftyp"
        && [&b"heic"[..], b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"].contains(&&b[8..12])
    {
        Sniffed::Heic
    } else if starts(b"MZ")
        || starts(b"\x7fELF")
        || starts(b"#!")
        || starts(&[0xCF, 0xFA, 0xED, 0xFE])
        || starts(&[0xCA, 0xFE, 0xBA, 0xBE])
    {
        Sniffed::Executable
    } else if starts(b"PK\x03\x04")
        || starts(b"Rar!")
        || starts(b"7z\xBC\xAF\x27\x1C")
        || starts(&[0x1F, 0x8B])
        || starts(b"BZh")
        || starts(&[0xFD, b'7', b'z', b'X', b'Z'])
    {
        Sniffed::Archive
    } else if b.len() >= 5 && b[..b.len().min(1024)].windows(5).any(|w| w == b"%PDF-") {
        // Readers accept "%PDF-" anywhere in the first kilobyte; checked after
        // the magic numbers, so an executable or archive that carries a PDF
        // header in its first kilobyte is what its first bytes say.
        Sniffed::Pdf
    } else {
        Sniffed::Other
    }
}

/// The last path segment of a sender's name, cleaned to a safe stem.
fn safe_stem(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
    let clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    let clean = clean.trim_matches('_').to_owned();
    if clean.is_empty() { "attachment".into() } else { clean }
}

fn extension(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    base.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())
}

struct Walk<'l> {
    limits: &'l FileLimits,
    accepted: Vec<AcceptedFile>,
    rejected: Vec<RejectedFile>,
    n: usize,
}

/// The attachments of `msg`: accepted (with bytes) and rejected (with a reason).
pub fn collect(msg: &Message, limits: &FileLimits) -> (Vec<AcceptedFile>, Vec<RejectedFile>) {
    let mut walk = Walk {
        limits,
        accepted: Vec::new(),
        rejected: Vec::new(),
        n: 0,
    };
    walk.message(msg, 0);
    (walk.accepted, walk.rejected)
}

impl Walk<'_> {
    fn message(&mut self, msg: &Message, depth: usize) {
        for (i, part) in msg.parts.iter().enumerate() {
            // The root of a multipart and the message's own body texts are not files.
            if i == 0 && part.is_multipart() {
                continue;
            }
            match &part.body {
                PartType::Message(inner) => {
                    if depth + 1 < self.limits.max_depth {
                        self.message(inner, depth + 1);
                    } else {
                        self.too_deep(part, inner);
                    }
                }
                PartType::Multipart(_) => {}
                _ if is_body_text(part) => {}
                _ => self.file(part),
            }
        }
    }

    /// A forward nested deeper than we walk: the files inside it (at any
    /// depth, without opening them) are refused by name, so the customer knows
    /// what to attach directly; the forwarded mail itself when it holds none.
    fn too_deep(&mut self, part: &MessagePart, inner: &Message) {
        let mut names = Vec::new();
        let mut pending = vec![inner];
        while let Some(msg) = pending.pop() {
            for p in &msg.parts {
                match &p.body {
                    PartType::Message(deeper) => pending.push(deeper),
                    PartType::Multipart(_) => {}
                    _ if is_body_text(p) => {}
                    _ => {
                        let data = part_bytes(p);
                        if !self.is_logo(p, &data) && names.len() < self.limits.max_files {
                            names.push(p.attachment_name().map(str::to_owned));
                        }
                    }
                }
            }
        }
        if names.is_empty() {
            return self.reject(part, FileProblem::NestedTooDeep);
        }
        for (k, name) in names.into_iter().enumerate() {
            let filename = name.unwrap_or_else(|| format!("attachment-{}", self.n + k + 1));
            self.rejected.push(RejectedFile {
                filename: safe_display(&filename),
                reason: FileProblem::NestedTooDeep,
            });
        }
    }

    /// An inline image this small is a logo in a signature, not evidence.
    fn is_logo(&self, part: &MessagePart, data: &[u8]) -> bool {
        let inline = !is_attachment(part) && part.content_id().is_some();
        inline
            && matches!(sniff(data), Sniffed::Jpeg | Sniffed::Png | Sniffed::Gif)
            && data.len() < self.limits.min_inline_image_bytes
    }

    fn name(&self, part: &MessagePart) -> String {
        part.attachment_name()
            .map_or_else(|| format!("attachment-{}", self.n + 1), str::to_owned)
    }

    fn reject(&mut self, part: &MessagePart, reason: FileProblem) {
        let filename = self.name(part);
        self.rejected.push(RejectedFile {
            filename: safe_display(&filename),
            reason,
        });
    }

    fn file(&mut self, part: &MessagePart) {
        let data = part_bytes(part);
        let data: &[u8] = &data;
        let declared_name = self.name(part);
        let kind = sniff(data);
        if self.is_logo(part, data) {
            return;
        }
        self.n += 1;
        if self.n > self.limits.max_files {
            return self.reject(part, FileProblem::TooManyFiles);
        }
        if data.is_empty() {
            return self.reject(part, FileProblem::Empty);
        }
        if data.len() > self.limits.max_file_bytes {
            return self.reject(part, FileProblem::TooLarge);
        }
        match kind {
            Sniffed::Executable => return self.reject(part, FileProblem::Executable),
            Sniffed::Archive => return self.reject(part, FileProblem::Archive),
            Sniffed::Other => return self.reject(part, FileProblem::UnsupportedType),
            _ => {}
        }
        if let Some(ext) = part.attachment_name().and_then(extension)
            && !kind.names().contains(&ext.as_str())
        {
            return self.reject(part, FileProblem::NameDoesNotMatchContent);
        }
        // The same file twice in one message is kept once; checking the bytes
        // as received first spares decoding it again.
        let received = crate::blobs::sha256_hex(data);
        let seen = |sha: &str, accepted: &[AcceptedFile]| {
            accepted
                .iter()
                .any(|a| a.sha256 == sha || a.original.as_ref().is_some_and(|o| o.sha256 == sha))
        };
        if seen(&received, &self.accepted) {
            return;
        }
        let prepared = match prepare(kind, data, &self.limits.images) {
            Ok(prepared) => prepared,
            Err(problem) => return self.reject(part, problem),
        };
        let sha256 = if prepared.original.is_none() {
            received
        } else {
            crate::blobs::sha256_hex(&prepared.data)
        };
        if self.accepted.iter().any(|a| a.sha256 == sha256) {
            return;
        }
        self.accepted.push(AcceptedFile {
            filename: format!("{}.{}", safe_stem(&declared_name), prepared.kind.extension()),
            content_type: prepared.kind.mime(),
            bytes: prepared.data.len() as u64,
            sha256,
            width: prepared.width,
            height: prepared.height,
            data: prepared.data,
            original: prepared.original,
        });
    }
}

/// Judges one file on its own (a photo or document sent in chat) with the same
/// checks as an email attachment: type by content, name against content,
/// limits, decoding, the 1600-px review copy and HEIC conversion.
pub fn judge(name: &str, data: &[u8], limits: &FileLimits) -> Result<AcceptedFile, FileProblem> {
    if data.is_empty() {
        return Err(FileProblem::Empty);
    }
    if data.len() > limits.max_file_bytes {
        return Err(FileProblem::TooLarge);
    }
    let kind = sniff(data);
    match kind {
        Sniffed::Executable => return Err(FileProblem::Executable),
        Sniffed::Archive => return Err(FileProblem::Archive),
        Sniffed::Other => return Err(FileProblem::UnsupportedType),
        _ => {}
    }
    if let Some(ext) = extension(name)
        && !kind.names().contains(&ext.as_str())
    {
        return Err(FileProblem::NameDoesNotMatchContent);
    }
    let prepared = prepare(kind, data, &limits.images)?;
    Ok(AcceptedFile {
        filename: format!("{}.{}", safe_stem(name), prepared.kind.extension()),
        content_type: prepared.kind.mime(),
        bytes: prepared.data.len() as u64,
        sha256: crate::blobs::sha256_hex(&prepared.data),
        width: prepared.width,
        height: prepared.height,
        data: prepared.data,
        original: prepared.original,
    })
}

/// The message's own text (or HTML) body, which is not a file. A part that
/// only became text because mail-parser could not decode it (see
/// [`part_bytes`]) is a file if it says it is one of another type.
fn is_body_text(part: &MessagePart) -> bool {
    let declared_other = part.content_type().is_some_and(|ct| {
        !["text", "multipart", "message"]
            .iter()
            .any(|t| ct.ctype().eq_ignore_ascii_case(t))
    });
    matches!(part.body, PartType::Text(_) | PartType::Html(_))
        && part.attachment_name().is_none()
        && !is_attachment(part)
        && !(declared_other && undecoded_base64(part).is_some())
}

/// The bytes of a file part. A multipart whose closing boundary is missing
/// (a message cut off in transit) may leave its last part as it was sent,
/// still base64 text: that is decoded here.
fn part_bytes<'p>(part: &'p MessagePart) -> Cow<'p, [u8]> {
    match undecoded_base64(part) {
        Some(data) => Cow::Owned(data),
        None => Cow::Borrowed(part.contents()),
    }
}

/// The decoded contents of a part that declares `Content-Transfer-Encoding:
/// base64` but that mail-parser did not decode, if they are base64 text.
fn undecoded_base64(part: &MessagePart) -> Option<Vec<u8>> {
    let declared = part.content_transfer_encoding()?;
    if !declared.trim().eq_ignore_ascii_case("base64")
        || part.encoding == Encoding::Base64
        || !matches!(
            part.body,
            PartType::Text(_) | PartType::Html(_) | PartType::Binary(_) | PartType::InlineBinary(_)
        )
    {
        return None;
    }
    decode_base64(part.contents())
}

/// Standard base64 (RFC 4648) as MIME wraps it: whitespace and line breaks are
/// skipped, `=` padding ends the data, a trailing partial group is dropped.
/// `None` when the text holds anything else (it is not base64 after all).
fn decode_base64(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits, mut padded) = (0u32, 0u32, false);
    for &c in text {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padded = true;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => return None,
        };
        if padded {
            return None; // data after the padding
        }
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn is_attachment(part: &MessagePart) -> bool {
    part.content_disposition().is_some_and(|d| d.is_attachment())
}

/// A sender's file name as we show it back: no paths, no control characters.
fn safe_display(name: &str) -> String {
    name.rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_goes_by_bytes() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Sniffed::Jpeg);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Sniffed::Png);
        assert_eq!(sniff(b"%PDF-1.7\n"), Sniffed::Pdf);
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0"), Sniffed::Heic);
        assert_eq!(sniff(b"MZ\x90\0"), Sniffed::Executable);
        assert_eq!(sniff(b"PK\x03\x04"), Sniffed::Archive);
        assert_eq!(sniff(b"junk\n%PDF-1.4\n"), Sniffed::Pdf);
        assert_eq!(sniff(b"MZ\x90\0 %PDF-1.4\n"), Sniffed::Executable);
        assert_eq!(sniff(b"PK\x03\x04 faktur.pdf %PDF-1.4\n"), Sniffed::Archive);
        assert_eq!(sniff(b"hello"), Sniffed::Other);
    }

    fn base64(data: &[u8]) -> String {
        const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for (i, chunk) in data.chunks(3).enumerate() {
            if i > 0 && i % 19 == 0 {
                out.push_str("\r\n");
            }
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (j, &b)| n | u32::from(b) << (16 - 8 * j));
            for j in 0..4 {
                out.push(if j <= chunk.len() {
                    ABC[(n >> (18 - 6 * j) & 63) as usize] as char
                } else {
                    '='
                });
            }
        }
        out
    }

    /// A reply with these attachments, and what `collect` makes of them.
    fn collect_files(files: &[(&str, &[u8])], limits: &FileLimits) -> (Vec<AcceptedFile>, Vec<RejectedFile>) {
        let mut raw = String::from(
            "From: budi@example.test\r\nSubject: Re: [RDM-1042]\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n\
             Content-Type: text/plain\r\n\r\nfiles\r\n",
        );
        for (name, data) in files {
            raw.push_str(&format!(
                "--b1\r\nContent-Type: application/octet-stream\r\n\
                 Content-Disposition: attachment; filename=\"{name}\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
                base64(data)
            ));
        }
        raw.push_str("--b1--\r\n");
        let msg = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
        collect(&msg, limits)
    }

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x / 8) as u8, (y / 8) as u8, 90]));
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
            .encode_image(&img)
            .unwrap();
        out
    }

    #[test]
    fn a_wide_photo_is_stored_as_its_review_copy() {
        let wide = jpeg(2400, 1800);
        let small = jpeg(800, 600);
        let (accepted, rejected) = collect_files(
            &[("IMG 1.JPG", &wide), ("copy.jpg", &wide), ("sn.jpeg", &small)],
            &FileLimits::default(),
        );
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(accepted.len(), 2, "the same photo twice is kept once");
        let a = &accepted[0];
        assert_eq!((a.filename.as_str(), a.content_type), ("IMG_1.jpg", "image/jpeg"));
        assert_eq!((a.width, a.height), (Some(1600), Some(1200)));
        assert_eq!(a.bytes, a.data.len() as u64);
        assert_eq!(a.sha256, crate::blobs::sha256_hex(&a.data));
        let original = a.original.as_ref().unwrap();
        assert_eq!(original.data, wide);
        assert_eq!(original.sha256, crate::blobs::sha256_hex(&wide));
        let b = &accepted[1];
        assert_eq!(
            (b.filename.as_str(), b.width, b.height),
            ("sn.jpg", Some(800), Some(600))
        );
        assert_eq!((&b.data, &b.original), (&small, &None));
        assert_eq!(b.sha256, crate::blobs::sha256_hex(&small));
        let json = serde_json::to_value(a).unwrap();
        let mut keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["bytes", "content_type", "filename", "height", "sha256", "width"]);
    }

    #[test]
    fn size_and_type_are_checked_before_decoding() {
        let tight = FileLimits {
            max_file_bytes: 1000,
            ..FileLimits::default()
        };
        // Not a JPEG past its first bytes: refused for its size, never decoded.
        let mut big = vec![0xFF, 0xD8, 0xFF, 0xE0];
        big.resize(5000, 0x5A);
        let (accepted, rejected) = collect_files(&[("big.jpg", &big), ("bad.jpg", &big[..900])], &tight);
        assert!(accepted.is_empty());
        let reasons: Vec<FileProblem> = rejected.iter().map(|r| r.reason).collect();
        assert_eq!(reasons, [FileProblem::TooLarge, FileProblem::Unreadable]);
        let (_, rejected) = collect_files(&[("photo.pdf", &jpeg(10, 10))], &FileLimits::default());
        assert_eq!(rejected[0].reason, FileProblem::NameDoesNotMatchContent);
    }

    #[test]
    fn problems_have_codes() {
        let codes: Vec<&str> = FileProblem::ALL.iter().map(|p| p.code()).collect();
        assert!(codes.contains(&"unreadable") && codes.contains(&"image_too_large"));
        for p in FileProblem::ALL {
            assert_eq!(serde_json::to_value(p).unwrap(), p.code());
        }
    }

    #[test]
    fn base64_is_decoded_as_mime_wraps_it() {
        for n in 0..40usize {
            let data: Vec<u8> = (0..n).map(|i| (i * 37 % 256) as u8).collect();
            assert_eq!(decode_base64(base64(&data).as_bytes()), Some(data), "{n} bytes");
        }
        assert_eq!(decode_base64(b"aGVs\r\nbG8=\r\n"), Some(b"hello".to_vec()));
        assert_eq!(decode_base64(b"  \t\r\n"), Some(Vec::new()));
        // Not base64 text: a decoded file, or something after the padding.
        assert_eq!(decode_base64(&[0xFF, 0xD8, 0xFF]), None);
        assert_eq!(decode_base64(b"aGVsbG8=aGVs"), None);
        assert_eq!(decode_base64(b"%PDF-1.7"), None);
    }

    /// A multipart cut off before its closing boundary: mail-parser keeps the
    /// last part as the base64 text it was sent as; the file is still read.
    #[test]
    fn a_part_left_base64_by_a_missing_closing_boundary_is_decoded() {
        let photo = jpeg(64, 48);
        let head = "From: a@example.test\r\nSubject: Re: [RDM-7]\r\nMIME-Version: 1.0\r\n\
                    Content-Type: multipart/mixed; boundary=\"cut\"\r\n\r\n--cut\r\n\
                    Content-Type: text/plain\r\n\r\nfoto\r\n--cut\r\n";
        for (headers, name) in [
            (
                "Content-Type: image/jpeg; name=\"sn.jpg\"\r\nContent-Disposition: attachment; filename=\"sn.jpg\"\r\n",
                "sn.jpg",
            ),
            // No name and no disposition: a file all the same, not body text.
            ("Content-Type: image/jpeg\r\n", "attachment-1.jpg"),
        ] {
            let raw = format!(
                "{head}{headers}Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
                base64(&photo)
            );
            let msg = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
            let (accepted, rejected) = collect(&msg, &FileLimits::default());
            assert!(rejected.is_empty(), "{rejected:?}");
            assert_eq!(accepted.len(), 1);
            assert_eq!(accepted[0].filename, name);
            assert_eq!(accepted[0].data, photo);
            assert_eq!(accepted[0].sha256, crate::blobs::sha256_hex(&photo));
        }
        // A text body cut off the same way is no file.
        let raw = format!(
            "From: a@example.test\r\nSubject: Re: [RDM-7]\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"cut\"\r\n\r\n--cut\r\nContent-Type: text/plain\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            base64(b"Halo kak, ini fotonya.")
        );
        let msg = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
        assert_eq!(collect(&msg, &FileLimits::default()), (Vec::new(), Vec::new()));
    }

    /// `levels` forwards, each as a `message/rfc822` attachment, the innermost
    /// holding `file` (or only text).
    fn forwarded(levels: usize, file: Option<&[u8]>) -> String {
        let mut inner = String::from("From: toko@example.test\r\nSubject: Invoice\r\nMIME-Version: 1.0\r\n");
        match file {
            Some(data) => inner.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"in\"\r\n\r\n--in\r\nContent-Type: text/plain\r\n\r\n\
                 Terlampir.\r\n--in\r\nContent-Type: image/jpeg; name=\"INV-1.jpg\"\r\n\
                 Content-Disposition: attachment; filename=\"INV-1.jpg\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--in--\r\n",
                base64(data)
            )),
            None => inner.push_str("Content-Type: text/plain\r\n\r\nTerlampir.\r\n"),
        }
        for level in (0..levels).rev() {
            let b = format!("lvl{level}");
            inner = format!(
                "From: a@example.test\r\nSubject: Fwd: Invoice\r\nMIME-Version: 1.0\r\n\
                 Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n--{b}\r\nContent-Type: text/plain\r\n\r\n\
                 fwd\r\n--{b}\r\nContent-Type: message/rfc822; name=\"fwd{level}.eml\"\r\n\
                 Content-Disposition: attachment; filename=\"fwd{level}.eml\"\r\n\r\n{inner}\r\n--{b}--\r\n"
            );
        }
        inner
    }

    #[test]
    fn files_nested_too_deep_are_refused_by_their_own_name() {
        let photo = jpeg(64, 48);
        let limits = FileLimits::default();
        let run = |raw: String| {
            let msg = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
            collect(&msg, &limits)
        };
        let (accepted, rejected) = run(forwarded(limits.max_depth - 1, Some(&photo)));
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(accepted[0].data, photo);
        for levels in [limits.max_depth, limits.max_depth + 1] {
            let (accepted, rejected) = run(forwarded(levels, Some(&photo)));
            assert!(accepted.is_empty());
            assert_eq!(
                rejected,
                [RejectedFile {
                    filename: "INV-1.jpg".into(),
                    reason: FileProblem::NestedTooDeep
                }],
                "{levels} levels"
            );
        }
        // Nothing but text down there: the forward is named.
        let (_, rejected) = run(forwarded(limits.max_depth, None));
        assert_eq!(rejected.len(), 1);
        assert_eq!(
            (rejected[0].filename.as_str(), rejected[0].reason),
            ("fwd2.eml", FileProblem::NestedTooDeep)
        );
    }

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_stem("../../etc/passwd"), "passwd");
        assert_eq!(safe_stem("C:\\Users\\budi\\Faktur Mei 2026.pdf"), "Faktur_Mei_2026");
        assert_eq!(safe_stem("...."), "attachment");
        assert_eq!(extension("invoice.PDF").as_deref(), Some("pdf"));
    }
}
