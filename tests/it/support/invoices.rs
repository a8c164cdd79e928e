//! Invoices drawn for the pre-check's tests and its benchmark
//! (`examples/precheck_bench.rs` includes this file): a one-page PDF with a
//! text layer written by hand (Helvetica, which poppler draws with the
//! DejaVu fonts scripts/packages.sh installs), its page rendered to pixels by
//! `pdftoppm`, and the photo a customer would take of it: tilted, rotated
//! with an EXIF tag, dim, noisy, blurred, small or heavily compressed; and a
//! scan as a PDF with no text layer at all.
//!
//! Self-contained (std and the image crate) so the benchmark can include it.

#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Stdio};

use image::{DynamicImage, GrayImage, ImageEncoder, Luma};

/// What an invoice says.
#[derive(Debug, Clone)]
pub struct Invoice {
    pub store: String,
    pub store_address: String,
    pub number: String,
    /// The date as printed, e.g. `12 April 2026`.
    pub date: String,
    /// A second, later date (due or print date) some stores add below the totals.
    pub footer_date: Option<String>,
    pub customer: String,
    /// Item lines: description and price in rupiah.
    pub items: Vec<(String, u64)>,
    pub serial: Option<String>,
    /// Indonesian labels (`Tanggal`, `No. Faktur`) or English ones.
    pub indonesian: bool,
    /// Which of the layouts (0..3).
    pub layout: u8,
}

/// How the customer's copy of it came out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quality {
    /// Rendering resolution of the page (a phone photo of an A5 page is about 150–200).
    pub dpi: u32,
    /// Tilt in degrees (a hand-held photo).
    pub skew_degrees: f32,
    /// The pixels are stored turned by this many quarter turns clockwise, with
    /// the EXIF orientation that turns them back (as phones do).
    pub exif_quarter_turns: u8,
    /// 1.0 is black on white; 0.4 is grey on grey.
    pub contrast: f32,
    /// Standard deviation of added noise, in grey levels.
    pub noise: f32,
    /// Box-blur radius in pixels.
    pub blur: u32,
    /// JPEG quality of the photo.
    pub jpeg_quality: u8,
    /// Uneven light: the page darkens towards one corner by up to this much (0–1).
    pub shadow: f32,
}

impl Quality {
    pub const CLEAN: Quality = Quality {
        dpi: 200,
        skew_degrees: 0.0,
        exif_quarter_turns: 0,
        contrast: 1.0,
        noise: 0.0,
        blur: 0,
        jpeg_quality: 92,
        shadow: 0.0,
    };
}

/// A5 in points.
const PAGE_W: f32 = 420.0;
const PAGE_H: f32 = 595.0;

fn rupiah(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    format!("Rp {out}")
}

/// Text drawn at a position, in points from the bottom left.
struct Draw {
    x: f32,
    y: f32,
    size: f32,
    bold: bool,
    text: String,
}

impl Invoice {
    fn draws(&self) -> Vec<Draw> {
        let mut out = Vec::new();
        let mut put = |x: f32, y: f32, size: f32, bold: bool, text: String| out.push(Draw { x, y, size, bold, text });
        let (l_title, l_no, l_date, l_to, l_item, l_price, l_total, l_sn, l_thanks, l_due) = if self.indonesian {
            (
                "FAKTUR PENJUALAN",
                "No. Faktur",
                "Tanggal",
                "Kepada",
                "Nama Barang",
                "Harga",
                "Total",
                "S/N",
                "Terima kasih atas pembelian Anda",
                "Dicetak",
            )
        } else {
            (
                "SALES INVOICE",
                "Invoice No",
                "Date",
                "Bill to",
                "Item",
                "Price",
                "Total",
                "Serial No",
                "Thank you for your purchase",
                "Printed",
            )
        };
        let left = 34.0;
        let mut y = PAGE_H - 48.0;
        match self.layout % 3 {
            0 => {
                put(left, y, 16.0, true, self.store.clone());
                y -= 16.0;
                put(left, y, 9.0, false, self.store_address.clone());
                y -= 30.0;
                put(left, y, 13.0, true, l_title.into());
                y -= 20.0;
                put(left, y, 10.0, false, format!("{l_no}: {}", self.number));
                y -= 14.0;
                put(left, y, 10.0, false, format!("{l_date}: {}", self.date));
                y -= 14.0;
                put(left, y, 10.0, false, format!("{l_to}: {}", self.customer));
            }
            1 => {
                put(left, y, 13.0, true, l_title.into());
                put(250.0, y, 10.0, false, format!("{l_no} {}", self.number));
                y -= 16.0;
                put(250.0, y, 10.0, false, format!("{l_date} {}", self.date));
                y -= 26.0;
                put(left, y, 15.0, true, self.store.clone());
                y -= 14.0;
                put(left, y, 9.0, false, self.store_address.clone());
                y -= 20.0;
                put(left, y, 10.0, false, format!("{l_to} {}", self.customer));
            }
            _ => {
                put(left, y, 15.0, true, self.store.clone());
                y -= 14.0;
                put(left, y, 9.0, false, self.store_address.clone());
                y -= 24.0;
                put(left, y, 10.0, false, format!("{l_date} : {}", self.date));
                y -= 14.0;
                put(left, y, 10.0, false, format!("{l_no} : {}", self.number));
                y -= 14.0;
                put(left, y, 10.0, false, format!("{l_to} : {}", self.customer));
            }
        }
        y -= 30.0;
        put(left, y, 10.0, true, l_item.into());
        put(320.0, y, 10.0, true, l_price.into());
        y -= 6.0;
        put(left, y, 10.0, false, "-".repeat(62));
        let mut total = 0;
        for (item, price) in &self.items {
            y -= 16.0;
            put(left, y, 10.0, false, item.clone());
            put(320.0, y, 10.0, false, rupiah(*price));
            total += price;
        }
        if let Some(sn) = &self.serial {
            y -= 14.0;
            put(left + 10.0, y, 9.0, false, format!("{l_sn}: {sn}"));
        }
        y -= 10.0;
        put(left, y, 10.0, false, "-".repeat(62));
        y -= 16.0;
        put(230.0, y, 11.0, true, l_total.into());
        put(320.0, y, 11.0, true, rupiah(total));
        y -= 40.0;
        put(left, y, 9.0, false, l_thanks.into());
        if let Some(footer) = &self.footer_date {
            y -= 14.0;
            put(left, y, 8.0, false, format!("{l_due}: {footer}"));
        }
        out
    }

    /// The invoice as a PDF whose text can be selected (what an online store emails).
    pub fn pdf(&self) -> Vec<u8> {
        let mut content = String::new();
        for d in self.draws() {
            content.push_str(&format!(
                "BT /{} {} Tf {:.1} {:.1} Td ({}) Tj ET\n",
                if d.bold { "F2" } else { "F1" },
                d.size,
                d.x,
                d.y,
                pdf_escape(&d.text)
            ));
        }
        let objects = vec![
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] \
                 /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>"
            ),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>".to_string(),
            stream("", content.as_bytes()),
        ];
        pdf_file(objects.into_iter().map(String::into_bytes).collect())
    }

    /// The page as a greyscale image at `dpi` (poppler's `pdftoppm`).
    pub fn page(&self, dpi: u32) -> GrayImage {
        rasterize(&self.pdf(), dpi)
    }

    /// A photo of the printed invoice, as a JPEG file.
    pub fn photo(&self, q: Quality) -> Vec<u8> {
        let page = self.page(q.dpi);
        photograph(page, q)
    }

    /// A scan saved as a PDF with no text layer: one JPEG page image.
    pub fn scanned_pdf(&self, q: Quality) -> Vec<u8> {
        let img = degrade(self.page(q.dpi), q);
        let jpeg = jpeg(&DynamicImage::ImageLuma8(img.clone()), q.jpeg_quality, None);
        image_pdf(&jpeg, img.width(), img.height())
    }
}

/// Renders page 1 of a PDF with poppler's `pdftoppm` (scripts/packages.sh installs it).
pub fn rasterize(pdf: &[u8], dpi: u32) -> GrayImage {
    let mut child = Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-gray", "-f", "1", "-l", "1", "-png", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("pdftoppm runs (run scripts/packages.sh)");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = pdf.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().expect("pdftoppm finishes");
    writer.join().expect("writer").expect("pdf written to pdftoppm");
    assert!(out.status.success(), "pdftoppm failed");
    image::load_from_memory(&out.stdout)
        .expect("pdftoppm wrote a PNG")
        .to_luma8()
}

/// Tilt, light, contrast, blur and noise, as a camera or scanner adds them.
pub fn degrade(page: GrayImage, q: Quality) -> GrayImage {
    let mut img = if q.skew_degrees.abs() > 0.01 {
        rotate_small(&page, q.skew_degrees)
    } else {
        page
    };
    if q.blur > 0 {
        img = image::imageops::blur(&img, q.blur as f32 * 0.6);
    }
    let (w, h) = img.dimensions();
    let mut rng = Lcg(0x5eed ^ (u64::from(w) * 31 + u64::from(h)));
    let lo = 255.0 * (1.0 - q.contrast) * 0.55;
    let hi = 255.0 - 255.0 * (1.0 - q.contrast) * 0.45;
    for (x, y, p) in img.enumerate_pixels_mut() {
        let v = f32::from(p.0[0]) / 255.0;
        let mut v = lo + v * (hi - lo);
        if q.shadow > 0.0 {
            let d = (x as f32 / w as f32 + y as f32 / h as f32) / 2.0;
            v *= 1.0 - q.shadow * d;
        }
        if q.noise > 0.0 {
            v += rng.gauss() * q.noise;
        }
        p.0[0] = v.clamp(0.0, 255.0) as u8;
    }
    img
}

/// The camera's JPEG: degraded, then turned and tagged with the EXIF orientation that undoes it.
pub fn photograph(page: GrayImage, q: Quality) -> Vec<u8> {
    let img = DynamicImage::ImageLuma8(degrade(page, q));
    let (stored, tag) = match q.exif_quarter_turns % 4 {
        // Pixels turned a quarter anticlockwise are shown upright by "rotate 90 CW" (6).
        1 => (img.rotate270(), Some(6u16)),
        2 => (img.rotate180(), Some(3)),
        3 => (img.rotate90(), Some(8)),
        _ => (img, None),
    };
    jpeg(&stored, q.jpeg_quality, tag)
}

/// A JPEG, with an EXIF APP1 segment holding only the orientation when `orientation` is set.
pub fn jpeg(img: &DynamicImage, quality: u8, orientation: Option<u16>) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(img.as_bytes(), img.width(), img.height(), img.color().into())
        .expect("JPEG encodes");
    let Some(orientation) = orientation else {
        return out;
    };
    // Big-endian TIFF with one IFD entry: 0x0112 Orientation, SHORT, count 1.
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&0x0112u16.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    segment.extend_from_slice(&app1);
    // Right after SOI.
    let mut tagged = out[..2].to_vec();
    tagged.extend_from_slice(&segment);
    tagged.extend_from_slice(&out[2..]);
    tagged
}

/// A one-page PDF showing a JPEG over the whole page, without any text.
pub fn image_pdf(jpeg: &[u8], width: u32, height: u32) -> Vec<u8> {
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] \
             /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>"
        )
        .into_bytes(),
        binary_stream(
            &format!(
                "/Type /XObject /Subtype /Image /Width {width} /Height {height} \
                 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode"
            ),
            jpeg,
        ),
        stream("", format!("q {PAGE_W} 0 0 {PAGE_H} 0 0 cm /Im1 Do Q").as_bytes()).into_bytes(),
    ];
    pdf_file(objects)
}

fn stream(dict: &str, data: &[u8]) -> String {
    format!(
        "<< {dict} /Length {} >>\nstream\n{}\nendstream",
        data.len(),
        String::from_utf8_lossy(data)
    )
}

fn binary_stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut out = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream");
    out
}

fn pdf_file(objects: Vec<Vec<u8>>) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn pdf_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii() => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

/// Rotation by a few degrees about the centre, white outside the page (bilinear).
fn rotate_small(img: &GrayImage, degrees: f32) -> GrayImage {
    let (w, h) = img.dimensions();
    let (s, c) = degrees.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    GrayImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let sx = c * dx + s * dy + cx;
        let sy = -s * dx + c * dy + cy;
        if sx < 0.0 || sy < 0.0 || sx >= (w - 1) as f32 || sy >= (h - 1) as f32 {
            return Luma([255]);
        }
        let (x0, y0) = (sx.floor() as u32, sy.floor() as u32);
        let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
        let p = |x, y| f32::from(img.get_pixel(x, y).0[0]);
        let top = p(x0, y0) * (1.0 - fx) + p(x0 + 1, y0) * fx;
        let bottom = p(x0, y0 + 1) * (1.0 - fx) + p(x0 + 1, y0 + 1) * fx;
        Luma([(top * (1.0 - fy) + bottom * fy) as u8])
    })
}

/// A small deterministic generator, so every run draws the same invoices.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next_u32(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
    pub fn below(&mut self, n: usize) -> usize {
        self.next_u32() as usize % n
    }
    pub fn unit(&mut self) -> f32 {
        self.next_u32() as f32 / (1u64 << 31) as f32
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn gauss(&mut self) -> f32 {
        // Sum of uniforms: close enough to normal for noise.
        (0..4).map(|_| self.unit()).sum::<f32>() - 2.0
    }
}

/// What a generated invoice is meant to show the pre-check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    /// The claimed model, a purchase date in the period.
    Good,
    /// Some other product on the invoice.
    ModelMissing,
    /// The claimed model, bought after the period.
    OutOfPeriod,
}

/// How a generated invoice reaches us.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Form {
    /// A PDF with a text layer (online stores).
    Pdf,
    /// A scan as a PDF without text.
    ScannedPdf(Quality),
    /// A phone photo (JPEG).
    Photo(Quality),
}

/// One generated invoice with what it claims and what it is.
#[derive(Debug, Clone)]
pub struct Case {
    pub invoice: Invoice,
    pub form: Form,
    pub truth: Truth,
    /// The quality profile's name, for the benchmark's breakdown.
    pub profile: &'static str,
    /// The claimed product's model and the member's store.
    pub model: &'static str,
    pub store: String,
    /// The promotion's period: 1 April – 30 June 2026.
    pub period: (chrono::NaiveDate, chrono::NaiveDate),
}

impl Case {
    /// The file as the customer sends it, with its name.
    pub fn file(&self) -> (String, Vec<u8>) {
        match self.form {
            Form::Pdf => ("invoice.pdf".into(), self.invoice.pdf()),
            Form::ScannedPdf(q) => ("scan.pdf".into(), self.invoice.scanned_pdf(q)),
            Form::Photo(q) => ("IMG_2041.jpg".into(), self.invoice.photo(q)),
        }
    }
}

pub const MODELS: &[&str] = &[
    "Modern AM242 1M",
    "Modern AM272P 1M",
    "MAG B650 TOMAHAWK WIFI",
    "GeForce RTX 5070 12G VENTUS 2X",
    "MPG 321URX QD-OLED",
    "Cubi NUC 1M",
    "Clutch GM41 Lightweight",
];

/// Other things people buy (and send the invoice of by mistake).
const OTHER_ITEMS: &[&str] = &[
    "Logitech Pebble Mouse M350",
    "Keyboard Rexus Legionare MX5",
    "Kabel HDMI 2.1 2 meter",
    "SSD Samsung 990 PRO 1TB",
    "Monitor LG 24MP400 24 inch",
    "Router TP-Link Archer AX23",
    "Flashdisk Sandisk 64GB",
];

const STORES: &[(&str, &str)] = &[
    ("Bhinneka", "Jl. Gunung Sahari Raya No. 73C, Jakarta Pusat"),
    ("Enter Komputer", "Mangga Dua Mall Lt. 3 No. 12, Jakarta"),
    ("Jaya Komputer Mangga Dua", "Harco Mangga Dua Blok C No. 8, Jakarta"),
    ("MSI Official Store Tokopedia", "Tokopedia, Jakarta Selatan"),
    ("Galaxy Computer Surabaya", "Hi-Tech Mall Lt. 2 No. 41, Surabaya"),
];

const CUSTOMERS: &[&str] = &[
    "Budi Santoso",
    "Siti Rahmawati",
    "Andi Wijaya",
    "Dewi Lestari",
    "Rizky Pratama",
];

const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A date as stores print it, in one of six formats.
pub fn print_date(d: chrono::NaiveDate, format: usize, indonesian: bool) -> String {
    use chrono::Datelike;
    let (day, month, year) = (d.day(), d.month() as usize, d.year());
    let long = if indonesian { MONTHS_ID } else { MONTHS_EN };
    match format % 6 {
        0 => format!("{day:02}/{month:02}/{year}"),
        1 => format!("{day} {} {year}", long[month - 1]),
        2 => format!("{day:02}-{}-{:02}", &MONTHS_EN[month - 1][..3], year % 100),
        3 => format!("{year}-{month:02}-{day:02}"),
        4 => format!("{day:02}-{month:02}-{year}"),
        _ => format!("{day} {} {year}", &long[month - 1][..3]),
    }
}

/// The quality profiles, from a clean PDF to a poor photo.
pub fn profiles() -> Vec<(&'static str, Form)> {
    let q = Quality::CLEAN;
    vec![
        ("pdf with text", Form::Pdf),
        (
            "scanned pdf, no text",
            Form::ScannedPdf(Quality {
                dpi: 200,
                noise: 4.0,
                ..q
            }),
        ),
        ("photo, clean", Form::Photo(Quality { dpi: 170, ..q })),
        (
            "photo, tilted 2-3°",
            Form::Photo(Quality {
                dpi: 180,
                skew_degrees: 2.5,
                noise: 3.0,
                ..q
            }),
        ),
        (
            "photo, EXIF-rotated",
            Form::Photo(Quality {
                dpi: 170,
                exif_quarter_turns: 1,
                ..q
            }),
        ),
        (
            "photo, low contrast",
            Form::Photo(Quality {
                dpi: 180,
                contrast: 0.45,
                ..q
            }),
        ),
        (
            "photo, noisy",
            Form::Photo(Quality {
                dpi: 180,
                noise: 14.0,
                jpeg_quality: 70,
                ..q
            }),
        ),
        (
            "photo, shadow",
            Form::Photo(Quality {
                dpi: 180,
                shadow: 0.55,
                ..q
            }),
        ),
        ("photo, soft focus", Form::Photo(Quality { dpi: 200, blur: 1, ..q })),
        (
            "photo, small (110 dpi)",
            Form::Photo(Quality {
                dpi: 110,
                jpeg_quality: 80,
                ..q
            }),
        ),
        (
            "photo, JPEG q35",
            Form::Photo(Quality {
                dpi: 170,
                jpeg_quality: 35,
                ..q
            }),
        ),
        (
            "photo, poor (tilt, dim, noise, shadow)",
            Form::Photo(Quality {
                dpi: 160,
                skew_degrees: -1.5,
                contrast: 0.6,
                noise: 8.0,
                shadow: 0.35,
                jpeg_quality: 60,
                exif_quarter_turns: 3,
                ..q
            }),
        ),
        (
            "photo, very poor (blurred, dim, grainy, tilted, 110 dpi)",
            Form::Photo(Quality {
                dpi: 110,
                skew_degrees: 3.5,
                contrast: 0.45,
                noise: 12.0,
                blur: 1,
                shadow: 0.4,
                jpeg_quality: 45,
                ..q
            }),
        ),
    ]
}

/// Beyond what OCR reads: a blurred, grainy, dim 100-dpi photo. The
/// benchmark counts it apart: the pre-check must not flag what it cannot
/// read (the reviewer decides), and cannot catch anything in it.
pub fn unreadable() -> (&'static str, Form) {
    (
        "photo, unreadable (blur 2, grain 18, contrast 0.4, 100 dpi)",
        Form::Photo(Quality {
            dpi: 100,
            skew_degrees: 3.5,
            contrast: 0.4,
            noise: 18.0,
            blur: 2,
            shadow: 0.4,
            jpeg_quality: 45,
            ..Quality::CLEAN
        }),
    )
}

/// `n` invoices: about three in five good, one in five without the claimed
/// model, one in five bought after the period; every profile and date
/// format in turn.
pub fn corpus(n: usize, seed: u64) -> Vec<Case> {
    corpus_of(n, seed, &profiles())
}

/// `n` invoices as [`corpus`] makes them, in the given quality profiles.
pub fn corpus_of(n: usize, seed: u64, profiles: &[(&'static str, Form)]) -> Vec<Case> {
    let mut rng = Lcg(seed);
    let start = chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
    let end = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    (0..n)
        .map(|i| {
            let truth = match i % 5 {
                1 => Truth::ModelMissing,
                3 => Truth::OutOfPeriod,
                _ => Truth::Good,
            };
            let (profile, form) = profiles[i % profiles.len()];
            let model = *rng.pick(MODELS);
            let (store, address) = *rng.pick(STORES);
            let indonesian = rng.below(3) > 0;
            let date = match truth {
                Truth::OutOfPeriod => end + chrono::Duration::days(3 + rng.below(60) as i64),
                _ => start + chrono::Duration::days(rng.below(91) as i64),
            };
            let item = match truth {
                Truth::ModelMissing => rng.pick(OTHER_ITEMS).to_string(),
                _ => format!("MSI {model}"),
            };
            let mut items = vec![(item, 1_000_000 + rng.below(20) as u64 * 500_000)];
            if rng.below(3) == 0 {
                items.push((
                    rng.pick(OTHER_ITEMS).to_string(),
                    99_000 + rng.below(10) as u64 * 50_000,
                ));
            }
            let number = match rng.below(3) {
                0 => format!("FJ-2026-{:05}", rng.below(99_999)),
                1 => format!(
                    "INV/2026{:02}/{}/{}",
                    4 + rng.below(3),
                    "MPL",
                    100_000 + rng.below(899_999)
                ),
                _ => format!("SO{}", 2_600_000 + rng.below(99_999)),
            };
            let footer_date = (rng.below(4) == 0).then(|| print_date(date + chrono::Duration::days(1), 0, indonesian));
            let invoice = Invoice {
                store: store.to_string(),
                store_address: address.to_string(),
                number,
                date: print_date(date, i / profiles.len() + i, indonesian),
                footer_date,
                customer: rng.pick(CUSTOMERS).to_string(),
                items,
                serial: (rng.below(3) == 0).then(|| format!("K23{:02}N{:07}", rng.below(12), rng.below(9_999_999))),
                indonesian,
                layout: rng.below(3) as u8,
            };
            Case {
                invoice,
                form,
                truth,
                profile,
                model,
                store: store.to_string(),
                period: (start, end),
            }
        })
        .collect()
}
