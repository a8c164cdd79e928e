//! Attachments: every part is walked (nested `message/rfc822` forwards too, to
//! a depth limit) and judged by its bytes, never by its declared type or name.
//! Invoices and S/N photos come as JPEG, PNG, GIF, PDF or HEIC; executables,
//! archives, files whose name claims another type, empty or oversized files
//! are refused with a reason; small inline images (signature logos) are not
//! evidence and are skipped silently. Names are rebuilt from a safe stem and
//! the real type, never taken as paths.

use mail_parser::{Message, MessagePart, MimeHeaders, PartType};
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct FileLimits {
    pub max_file_bytes: usize,
    pub max_files: usize,
    pub max_depth: usize,
    /// Inline images smaller than this are decoration (logos), not evidence.
    pub min_inline_image_bytes: usize,
}

impl Default for FileLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 20 * 1024 * 1024,
            max_files: 10,
            max_depth: 3,
            min_inline_image_bytes: 15 * 1024,
        }
    }
}

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
}

impl FileProblem {
    pub const ALL: [FileProblem; 8] = [
        FileProblem::Executable,
        FileProblem::Archive,
        FileProblem::UnsupportedType,
        FileProblem::NameDoesNotMatchContent,
        FileProblem::Empty,
        FileProblem::TooLarge,
        FileProblem::TooManyFiles,
        FileProblem::NestedTooDeep,
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
    fn mime(self) -> &'static str {
        match self {
            Sniffed::Jpeg => "image/jpeg",
            Sniffed::Png => "image/png",
            Sniffed::Gif => "image/gif",
            Sniffed::Pdf => "application/pdf",
            Sniffed::Heic => "image/heic",
            _ => "application/octet-stream",
        }
    }

    fn extension(self) -> &'static str {
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
    } else if b.len() >= 5 && b[..b.len().min(1024)].windows(5).any(|w| w == b"%PDF-") {
        Sniffed::Pdf
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
                        self.reject(part, FileProblem::NestedTooDeep);
                    }
                }
                PartType::Multipart(_) => {}
                PartType::Text(_) | PartType::Html(_) if part.attachment_name().is_none() && !is_attachment(part) => {}
                _ => self.file(part),
            }
        }
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
        let data = part.contents();
        let declared_name = self.name(part);
        let kind = sniff(data);
        let inline = !is_attachment(part) && part.content_id().is_some();
        if inline
            && matches!(kind, Sniffed::Jpeg | Sniffed::Png | Sniffed::Gif)
            && data.len() < self.limits.min_inline_image_bytes
        {
            return; // a logo in a signature
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
        let sha256 = crate::blobs::sha256_hex(data);
        if self.accepted.iter().any(|a| a.sha256 == sha256) {
            return; // the same file twice in one message
        }
        self.accepted.push(AcceptedFile {
            filename: format!("{}.{}", safe_stem(&declared_name), kind.extension()),
            content_type: kind.mime(),
            bytes: data.len() as u64,
            sha256,
            width: None,
            height: None,
            data: data.to_vec(),
        });
    }
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
        assert_eq!(sniff(b"hello"), Sniffed::Other);
    }

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_stem("../../etc/passwd"), "passwd");
        assert_eq!(safe_stem("C:\\Users\\budi\\Faktur Mei 2026.pdf"), "Faktur_Mei_2026");
        assert_eq!(safe_stem("...."), "attachment");
        assert_eq!(extension("invoice.PDF").as_deref(), Some("pdf"));
    }
}
