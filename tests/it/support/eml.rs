//! Builds test emails: a text body (and optionally HTML) with attachments,
//! base64-encoded as mail clients send them, plus small real images.

use std::fmt::Write;

pub struct Eml {
    headers: Vec<(String, String)>,
    text: String,
    files: Vec<(String, String, Vec<u8>)>,
}

impl Eml {
    pub fn new(from: &str, to: &str, subject: &str) -> Self {
        let id = format!("<t{:016x}@client.example.test>", rand::random::<u64>());
        Self {
            headers: vec![
                ("From".into(), from.into()),
                ("To".into(), to.into()),
                ("Subject".into(), subject.into()),
                ("Message-ID".into(), id),
                ("Date".into(), "Mon, 30 Nov 2026 10:00:00 +0700".into()),
                ("MIME-Version".into(), "1.0".into()),
            ],
            text: "Ini fakturnya, terima kasih.".into(),
            files: Vec::new(),
        }
    }

    /// Sets (or with `None`, removes) a header.
    pub fn header(mut self, name: &str, value: Option<&str>) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        if let Some(v) = value {
            self.headers.push((name.into(), v.into()));
        }
        self
    }

    pub fn text(mut self, text: &str) -> Self {
        self.text = text.into();
        self
    }

    pub fn attach(mut self, name: &str, content_type: &str, data: Vec<u8>) -> Self {
        self.files.push((name.into(), content_type.into(), data));
        self
    }

    pub fn message_id(&self) -> String {
        self.headers
            .iter()
            .find(|(n, _)| n == "Message-ID")
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    pub fn build(&self) -> Vec<u8> {
        let mut out = String::new();
        for (n, v) in &self.headers {
            let _ = write!(out, "{n}: {v}\r\n");
        }
        if self.files.is_empty() {
            let _ = write!(
                out,
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n",
                self.text
            );
            return out.into_bytes();
        }
        let boundary = format!("b{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff);
        let _ = write!(
            out,
            "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\n\
             Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n",
            self.text
        );
        for (name, ctype, data) in &self.files {
            let _ = write!(
                out,
                "--{boundary}\r\nContent-Type: {ctype}; name=\"{name}\"\r\n\
                 Content-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            );
            let encoded = base64(data);
            for chunk in encoded.as_bytes().chunks(76) {
                out.push_str(std::str::from_utf8(chunk).unwrap());
                out.push_str("\r\n");
            }
        }
        let _ = write!(out, "--{boundary}--\r\n");
        out.into_bytes()
    }
}

pub fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        out.push(A[(n >> 18) as usize & 63] as char);
        out.push(A[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            A[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 { A[n as usize & 63] as char } else { '=' });
    }
    out
}

/// A real JPEG of `w`×`h` pixels (a gradient, so it is not trivially small).
pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

/// A minimal real PDF.
pub fn pdf() -> Vec<u8> {
    let body = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n\
                trailer<</Root 1 0 R>>\n%%EOF\n";
    format!("{body}{:08x}", rand::random::<u32>()).into_bytes()
}
