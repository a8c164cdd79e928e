//! Reading an invoice's text (Tesseract OCR or a PDF's text layer) for what reviewers check:
//! the product model, the purchase date, the invoice number, the store and the serial.
//!
//! The text is noisy, so matching works on tokens (runs of letters and digits) compared
//! with OCR look-alikes folded (`O`/`0`, `I`/`l`/`|`/`1`, `S`/`5`, `B`/`8`, `Z`/`2`). Folding
//! only applies when one side mixes letters and digits: that is where OCR swaps show up,
//! and ordinary words such as `SOLO` must never equal `5010`. Every finding carries the
//! text it was read from, so a customer or reviewer can see why.

use std::ops::Range;

use chrono::NaiveDate;

/// What the member claimed about the purchase, which the invoice should back up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected<'a> {
    /// The model as the catalog names it, e.g. `MAG B650 TOMAHAWK WIFI`.
    pub model: &'a str,
    /// The serial on the product sticker, e.g. `K2305N0012345`.
    pub serial: Option<&'a str>,
    /// The store the member says they bought from, e.g. `Tokopedia - MSI Official Store`.
    pub store: Option<&'a str>,
    /// The promotion's purchase period, both ends inclusive.
    pub period: (NaiveDate, NaiveDate),
}

/// Where a finding came from: the text as it appears in the input (trimmed) and its 0-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub text: String,
    pub line: usize,
}

impl Evidence {
    fn new(text: &str, line: usize) -> Self {
        Evidence {
            text: text.trim().to_string(),
            line,
        }
    }
}

/// How much of the expected model the invoice names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelMatch {
    /// Every significant token of the model, in order, on one line or two adjacent lines.
    /// Short variant tokens that mix letters and digits (`1M`, `2X`, `12G`) are not required:
    /// invoices often abbreviate or reorder them.
    Full,
    /// Only a distinctive part: a token of 4+ characters with digits (`AM242`, `B650`, `5070`)
    /// or two adjacent model words that are not both generic (`CUBI NUC`, `B650 TOMAHAWK`).
    Partial,
}

/// Whether the store found on the invoice is the one the member named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMatch {
    /// The expected store's significant words appear on one line or two adjacent lines.
    Expected,
    /// The expected store was not found (or none was given); the evidence is the invoice's
    /// header line, so a reviewer can compare.
    Other,
}

/// Everything read from one invoice text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// The model, fully or in part; the evidence spans the matched tokens.
    pub model: Option<(ModelMatch, Evidence)>,
    /// Every date found, in reading order, including due and print dates.
    pub dates: Vec<(NaiveDate, Evidence)>,
    /// The date taken as the purchase date (one of `dates`).
    pub purchase_date: Option<(NaiveDate, Evidence)>,
    /// Whether `purchase_date` lies within the period; `None` when there is no date.
    pub in_period: Option<bool>,
    /// The invoice's own id (`FJ-000123`, `INV/20260412/MPL/1234567890`), without its label.
    pub invoice_number: Option<Evidence>,
    /// The expected store's line(s), or else the header line that looks like a store name.
    pub store: Option<(StoreMatch, Evidence)>,
    /// The expected serial as printed, when it appears.
    pub serial: Option<Evidence>,
}

/// Something the customer should fix before resubmitting. Which findings
/// amount to one is decided over all of a resubmission's files, with how
/// legible each was (`precheck::Assessment::problems`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Neither the full model nor a distinctive part of it is on the invoice.
    ModelMissing,
    /// The purchase date lies outside the promotion's period.
    DateOutsidePeriod { date: NaiveDate },
}

impl Findings {
    /// Reads `text` for the findings `expected` asks about. Never fails: what cannot be read is `None`.
    pub fn read(text: &str, expected: &Expected) -> Findings {
        let doc = Doc::new(text);
        let hits = read_dates(&doc);
        let dates: Vec<_> = hits.iter().map(|h| (h.date, doc.evidence(h.first, h.last))).collect();
        let purchase_date = choose_purchase(&hits).map(|i| dates[i].clone());
        let (from, to) = expected.period;
        Findings {
            model: read_model(&doc, expected.model),
            in_period: purchase_date.as_ref().map(|(d, _)| (from..=to).contains(d)),
            purchase_date,
            dates,
            invoice_number: read_invoice_number(&doc, &hits),
            store: read_store(&doc, expected.store, &hits),
            serial: expected.serial.and_then(|s| read_serial(&doc, s)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens

/// A run of letters and digits; `raw` is upper-cased, offsets are bytes into the whole text.
struct Token {
    start: usize,
    end: usize,
    line: usize,
    raw: String,
}

struct Line {
    start: usize,
    end: usize,
    toks: Range<usize>,
}

/// The text cut into tokens once, so every reader sees the same boundaries.
struct Doc<'t> {
    text: &'t str,
    tokens: Vec<Token>,
    lines: Vec<Line>,
}

impl<'t> Doc<'t> {
    fn new(text: &'t str) -> Self {
        let (mut tokens, mut lines, mut offset) = (Vec::new(), Vec::new(), 0);
        for (no, raw_line) in text.split('\n').enumerate() {
            let content = raw_line.strip_suffix('\r').unwrap_or(raw_line);
            let first = tokens.len();
            tokenise(content, offset, no, &mut tokens);
            let end = offset + content.len();
            lines.push(Line {
                start: offset,
                end,
                toks: first..tokens.len(),
            });
            offset += raw_line.len() + 1;
        }
        Doc { text, tokens, lines }
    }

    /// The characters between token `a` and the next one.
    fn gap(&self, a: usize) -> &str {
        &self.text[self.tokens[a].end..self.tokens[a + 1].start]
    }

    fn evidence(&self, first: usize, last: usize) -> Evidence {
        Evidence::new(
            &self.text[self.tokens[first].start..self.tokens[last].end],
            self.tokens[first].line,
        )
    }

    fn lines_evidence(&self, lines: Range<usize>) -> Evidence {
        Evidence::new(
            &self.text[self.lines[lines.start].start..self.lines[lines.end - 1].end],
            lines.start,
        )
    }

    /// Single lines first, then pairs of adjacent lines: (line numbers, token range).
    fn windows(&self) -> Vec<(Range<usize>, Range<usize>)> {
        (1..=2)
            .flat_map(|n| (0..(self.lines.len() + 1).saturating_sub(n)).map(move |l| l..l + n))
            .map(|ls| {
                (
                    ls.clone(),
                    self.lines[ls.start].toks.start..self.lines[ls.end - 1].toks.end,
                )
            })
            .collect()
    }

    /// Whether the tokens starting at `at` spell `key`, joined across short space, hyphen or dot
    /// gaps ("AM 242", "QD-OLED"); returns the last token used. Joins never glue digits to digits
    /// unless letters came before, so the price "5.070.000" does not spell "5070".
    fn match_at(&self, at: usize, end: usize, key: &str) -> Option<usize> {
        let (mut joined, want) = (String::new(), key.chars().count());
        for i in at..end {
            if i > at && !(joinable(self.gap(i - 1)) && (has_letter(&joined) || has_letter(&self.tokens[i].raw))) {
                return None;
            }
            joined.push_str(&self.tokens[i].raw);
            let n = joined.chars().count();
            if n >= want {
                return (n == want && same(&joined, key)).then_some(i);
            }
        }
        None
    }

    fn find(&self, range: Range<usize>, key: &str) -> Option<(usize, usize)> {
        range
            .clone()
            .find_map(|i| self.match_at(i, range.end, key).map(|e| (i, e)))
    }

    /// All `keys` in order within `range`: the first and last tokens used.
    fn in_order(&self, range: Range<usize>, keys: &[String]) -> Option<(usize, usize)> {
        let (mut cursor, mut first) = (range.start, None);
        for key in keys {
            let (s, e) = self.find(cursor..range.end, key)?;
            first.get_or_insert(s);
            cursor = e + 1;
        }
        Some((first?, cursor - 1))
    }
}

/// Cuts a line into tokens. A `|` counts as a character when next to a digit, because OCR
/// reads `1` as `|` inside numbers and codes; elsewhere it is a table rule.
fn tokenise(line: &str, offset: usize, no: usize, out: &mut Vec<Token>) {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let digit_at = |i: usize| chars.get(i).is_some_and(|c| c.1.is_ascii_digit());
    let in_token =
        |i: usize| chars[i].1.is_alphanumeric() || (chars[i].1 == '|' && (digit_at(i + 1) || i > 0 && digit_at(i - 1)));
    let mut i = 0;
    while i < chars.len() {
        if !in_token(i) {
            i += 1;
            continue;
        }
        let first = i;
        while i < chars.len() && in_token(i) {
            i += 1;
        }
        let (start, end) = (chars[first].0, chars.get(i).map_or(line.len(), |c| c.0));
        out.push(Token {
            start: offset + start,
            end: offset + end,
            line: no,
            raw: line[start..end].to_uppercase(),
        });
    }
}

fn joinable(gap: &str) -> bool {
    gap.len() <= 3 && gap.chars().all(|c| matches!(c, ' ' | '-' | '.' | '_'))
}

fn has_letter(s: &str) -> bool {
    s.chars().any(char::is_alphabetic)
}

fn has_digit(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
}

/// Maps OCR look-alikes to digits (upper-cased input, so `l` arrives as `L`, as in `serial.rs`).
fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'O' => '0',
            'I' | 'L' | '|' => '1',
            'S' => '5',
            'B' => '8',
            'Z' => '2',
            other => other,
        })
        .collect()
}

/// Equal, or equal after folding when either side mixes letters and digits.
fn same(a: &str, b: &str) -> bool {
    let mixed = |s: &str| has_letter(s) && (has_digit(s) || s.contains('|'));
    a == b || ((mixed(a) || mixed(b)) && fold(a) == fold(b))
}

/// Whether `word` is one of the space-separated words of `list` (OCR-tolerant).
fn listed(list: &str, word: &str) -> bool {
    list.split_whitespace().any(|w| same(word, w))
}

/// A word of a catalog name reduced to what is compared: upper-case letters and digits.
fn key(word: &str) -> String {
    word.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Model

/// Words that name a brand, series or kind of product and so prove nothing on their own.
const GENERIC_WORDS: &str = "MSI MODERN PRESTIGE GEFORCE RTX GTX RADEON RX GAMING MONITOR LAPTOP NOTEBOOK DESKTOP PC AIO \
    WIFI WIFI6 WIFI6E WIFI7 MAG MPG MEG PRO OC INTEL AMD NVIDIA DDR4 DDR5 SERIES EDITION \
    MOTHERBOARD GRAPHICS CARD";

fn is_generic(key: &str) -> bool {
    listed(GENERIC_WORDS, key)
}

/// Variant suffixes such as `1M`, `2X`, `12G`: too short to identify anything.
fn is_minor(key: &str) -> bool {
    key.chars().count() <= 3 && has_letter(key) && has_digit(key)
}

fn read_model(doc: &Doc, model: &str) -> Option<(ModelMatch, Evidence)> {
    let keys: Vec<String> = model
        .split_whitespace()
        .map(key)
        .filter(|k| !k.is_empty() && !is_minor(k))
        .collect();
    if keys.iter().all(|k| is_generic(k)) {
        return None;
    }
    if let Some((a, b)) = doc
        .windows()
        .into_iter()
        .find_map(|(_, toks)| doc.in_order(toks, &keys))
    {
        return Some((ModelMatch::Full, doc.evidence(a, b)));
    }
    partial_model(doc, &keys)
        .or_else(|| glued_model(doc, &keys))
        .map(|(a, b)| (ModelMatch::Partial, doc.evidence(a, b)))
}

/// Two model words OCR glued together (`CubiNUC`, `RTX5070126`): a line whose
/// letters and digits, without the spaces, contain the pair (look-alikes
/// folded on both sides). Only pairs of six characters or more: shorter runs
/// turn up inside prices and numbers.
fn glued_model(doc: &Doc, keys: &[String]) -> Option<(usize, usize)> {
    let pairs: Vec<String> = keys
        .windows(2)
        .filter(|p| !(is_generic(&p[0]) && is_generic(&p[1])))
        .map(|p| fold(&format!("{}{}", p[0], p[1])))
        .filter(|k| k.chars().count() >= 6)
        .collect();
    doc.lines.iter().find_map(|line| {
        let toks = line.toks.clone();
        if toks.is_empty() {
            return None;
        }
        // The line without spaces, and where each token ended in it.
        let (mut compact, mut ends) = (String::new(), Vec::new());
        for t in &doc.tokens[toks.clone()] {
            compact.push_str(&fold(&t.raw));
            ends.push(compact.len());
        }
        let found = pairs.iter().any(|p| {
            compact.match_indices(p.as_str()).any(|(start, _)| {
                let end = start + p.len();
                // `AM242` must not match inside `AM2420`: a pair ending in a digit
                // ends where a token ends; one ending in a letter is not followed by one.
                let next = compact[end..].chars().next();
                ends.contains(&end)
                    || (!p.ends_with(|c: char| c.is_ascii_digit()) && next.is_none_or(|c| !c.is_alphabetic()))
            })
        });
        found.then_some((toks.start, toks.end - 1))
    })
}

/// The first place in the text where a distinctive token or a run of two model words appears.
fn partial_model(doc: &Doc, keys: &[String]) -> Option<(usize, usize)> {
    let singles: Vec<&String> = keys
        .iter()
        .filter(|k| k.chars().count() >= 4 && has_digit(k) && !is_generic(k))
        .collect();
    let pairs: Vec<&[String]> = keys
        .windows(2)
        .filter(|p| !(is_generic(&p[0]) && is_generic(&p[1])))
        .collect();
    let end = doc.tokens.len();
    (0..end).find_map(|i| {
        // Pairs first: the longer evidence ("B650 TOMAHAWK") says more than "B650".
        let pair = pairs
            .iter()
            .find_map(|p| doc.match_at(doc.match_at(i, end, &p[0])? + 1, end, &p[1]));
        pair.or_else(|| singles.iter().find_map(|k| doc.match_at(i, end, k)))
            .map(|e| (i, e))
    })
}

// ---------------------------------------------------------------------------------------------
// Dates

/// What a date's label says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Purchase,
    /// Due, expiry, validity, print or warranty dates: never the purchase.
    NotPurchase,
    Unlabelled,
}

struct DateHit {
    date: NaiveDate,
    first: usize,
    last: usize,
    role: Role,
}

const PURCHASE_LABELS: &str = "TANGGAL TGL TANGAL DATE DATED";
const OTHER_LABELS: &str = "TEMPO DUE BERLAKU VALID UNTIL DICETAK CETAK PRINTED PRINT EXPIRED EXPIRY EXP KEDALUWARSA \
    KADALUARSA BATAS GARANSI WARRANTY SAMPAI HINGGA";

const MONTHS: [&str; 12] = [
    "JANUARI JANUARY JAN",
    "FEBRUARI FEBRUARY PEBRUARI FEB",
    "MARET MARCH MAR",
    "APRIL APR",
    "MEI MAY",
    "JUNI JUNE JUN",
    "JULI JULY JUL",
    "AGUSTUS AUGUST AGU AGT AGS AUG",
    "SEPTEMBER SEPT SEP",
    "OKTOBER OCTOBER OKT OCT",
    "NOVEMBER NOV NOP",
    "DESEMBER DECEMBER DES DEC",
];

fn read_dates(doc: &Doc) -> Vec<DateHit> {
    let mut hits: Vec<DateHit> = Vec::new();
    for (no, line) in doc.lines.iter().enumerate() {
        let (mut i, mut label_from) = (line.toks.start, line.toks.start);
        while i < line.toks.end {
            let Some((date, last)) = date_at(doc, i, line.toks.end) else {
                i += 1;
                continue;
            };
            let mut role = role_of(doc, label_from..i, false);
            // A date alone at the start of its line is often under a column header.
            if role == Role::Unlabelled && i == line.toks.start {
                let above = doc.lines[..no].iter().rposition(|l| !l.toks.is_empty());
                if let Some(above) = above.filter(|a| hits.last().is_none_or(|h| doc.tokens[h.first].line != *a)) {
                    role = role_of(doc, doc.lines[above].toks.clone(), true);
                }
            }
            hits.push(DateHit {
                date,
                first: i,
                last,
                role,
            });
            (i, label_from) = (last + 1, last + 1);
        }
    }
    hits
}

/// The role named by the label nearest the date (the last one before it on its line, or the first
/// one of a header line above). A date word right next to a due/print word ("Due Date", "Tgl Cetak",
/// "Dicetak pada tanggal") belongs to that word.
fn role_of(doc: &Doc, toks: Range<usize>, first: bool) -> Role {
    let labels: Vec<(usize, Role)> = toks
        .filter_map(|t| {
            let word = &doc.tokens[t].raw;
            let role = if listed(OTHER_LABELS, word) {
                Role::NotPurchase
            } else {
                Role::Purchase
            };
            (role == Role::NotPurchase || listed(PURCHASE_LABELS, word)).then_some((t, role))
        })
        .collect();
    let anchor = if first { labels.first() } else { labels.last() };
    // Words belong together when close and not split by a table's column spacing.
    let together = |a: usize, b: usize| {
        let (a, b) = (a.min(b), a.max(b));
        b - a <= 2 && (a..b).all(|t| !doc.gap(t).contains("  ") && !doc.gap(t).contains('\t'))
    };
    match anchor {
        None => Role::Unlabelled,
        Some(&(t, Role::Purchase)) if labels.iter().any(|&(o, r)| r == Role::NotPurchase && together(o, t)) => {
            Role::NotPurchase
        }
        Some(&(_, role)) => role,
    }
}

/// Prefers a labelled purchase date, then the earliest unlabelled one, then the first of any.
fn choose_purchase(hits: &[DateHit]) -> Option<usize> {
    let unlabelled = hits.iter().enumerate().filter(|(_, h)| h.role == Role::Unlabelled);
    hits.iter()
        .position(|h| h.role == Role::Purchase)
        .or_else(|| unlabelled.min_by_key(|(_, h)| h.date).map(|(i, _)| i))
        .or_else(|| (!hits.is_empty()).then_some(0))
}

/// A date starting at token `i` (ending before `end`), and its last token.
fn date_at(doc: &Doc, i: usize, end: usize) -> Option<(NaiveDate, usize)> {
    if i + 2 >= end {
        return None;
    }
    let t = |n: usize| doc.tokens[i + n].raw.as_str();
    let soft = |n: usize| {
        let gap = doc.gap(i + n);
        !gap.is_empty() && gap.len() <= 3 && gap.chars().all(|c| matches!(c, ' ' | '-' | '.' | '/' | ','))
    };
    let numeric = || numeric_date(doc, i, end);
    let day_month_year = || {
        let ((day, dd), month, (year, yd)) = (number(t(0))?, month(t(1))?, number(t(2))?);
        (dd <= 2 && soft(0) && soft(1)).then_some(())?;
        NaiveDate::from_ymd_opt(full_year(year, yd)?, month, day)
    };
    let month_day_year = || {
        let (month, (day, dd), (year, yd)) = (month(t(0))?, number(t(1))?, number(t(2))?);
        (dd <= 2 && soft(0) && soft(1)).then_some(())?;
        NaiveDate::from_ymd_opt(full_year(year, yd)?, month, day)
    };
    // OCR splits a month after a capital with a descender or a wide kerning: `27 J ul 2026`.
    let day_split_month_year = || {
        (i + 3 < end && t(1).len() <= 2 && doc.gap(i + 1) == " ").then_some(())?;
        let joined = format!("{}{}", t(1), t(2));
        let ((day, dd), month, (year, yd)) = (number(t(0))?, month(&joined)?, number(t(3))?);
        (dd <= 2 && soft(0) && soft(2)).then_some(())?;
        NaiveDate::from_ymd_opt(full_year(year, yd)?, month, day)
    };
    numeric()
        .or_else(day_month_year)
        .or_else(month_day_year)
        .map(|d| (d, i + 2))
        .or_else(|| day_split_month_year().map(|d| (d, i + 3)))
}

/// `12/04/2026`, `12-04-26`, `12.04.2026`, `2026-04-12`: day first as in Indonesia, month first
/// only when day first is impossible (`04/25/2026`).
fn numeric_date(doc: &Doc, i: usize, end: usize) -> Option<NaiveDate> {
    let sep = |t: usize| {
        let gap = doc.gap(t);
        let mut marks = gap.chars().filter(|c| !c.is_whitespace());
        let mark = marks.next().filter(|c| matches!(c, '/' | '-' | '.'))?;
        (marks.next().is_none() && gap.len() <= 3).then_some(mark)
    };
    let mark = sep(i).filter(|m| sep(i + 1) == Some(*m))?;
    // Part of a longer chain such as "INV/2026/04/12/0001": an id, not a date.
    let glued = |t: usize| doc.gap(t).len() == 1 && sep(t) == Some(mark) && has_digit(&doc.tokens[t].raw);
    if (i > 0 && doc.tokens[i - 1].line == doc.tokens[i].line && glued(i - 1)) || (i + 3 < end && glued(i + 2)) {
        return None;
    }
    let ((a, ad), (b, bd), (c, cd)) = (
        number(&doc.tokens[i].raw)?,
        number(&doc.tokens[i + 1].raw)?,
        number(&doc.tokens[i + 2].raw)?,
    );
    if ad == 4 {
        let year = full_year(a, 4).filter(|_| bd <= 2 && cd <= 2)?;
        return NaiveDate::from_ymd_opt(year, b, c);
    }
    let year = full_year(c, cd).filter(|_| ad <= 2 && bd <= 2)?;
    NaiveDate::from_ymd_opt(year, b, a).or_else(|| NaiveDate::from_ymd_opt(year, a, b))
}

/// A token read as a number of at most 4 digits, with OCR look-alikes folded (`l2` is 12,
/// `2O26` is 2026) and English ordinals accepted (`12TH`); with its digit count.
fn number(raw: &str) -> Option<(u32, usize)> {
    let ordinal = ["ST", "ND", "RD", "TH"].iter().find_map(|s| raw.strip_suffix(s));
    let core = ordinal
        .filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or(raw);
    if core.len() > 4 || !has_digit(core) {
        return None;
    }
    fold(core).parse().ok().map(|v| (v, core.len()))
}

fn month(raw: &str) -> Option<u32> {
    let word = raw.replace('0', "O");
    let month = MONTHS
        .iter()
        .position(|names| names.split_whitespace().any(|n| n == word))?;
    Some(month as u32 + 1)
}

/// Years the program can meet: two digits mean 20YY; four must be in this century.
fn full_year(value: u32, digits: usize) -> Option<i32> {
    match digits {
        2 => Some(2000 + value as i32),
        4 if (2000..2100).contains(&value) => Some(value as i32),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Invoice number, store, serial

/// Labels before an invoice id, as token words; longer labels first so "INVOICE NO" wins over "INVOICE".
const INVOICE_LABELS: &str = "NO FAKTUR, NOMOR FAKTUR, NO INVOICE, NOMOR INVOICE, INVOICE NO, INVOICE NUMBER, NO NOTA, \
    NOMOR NOTA, NOTA NO, NO TRANSAKSI, NOMOR TRANSAKSI, NO ORDER, ORDER NO, NO PESANAN, \
    NOMOR PESANAN, INVOICE, INV, FAKTUR, NOTA";

fn read_invoice_number(doc: &Doc, dates: &[DateHit]) -> Option<Evidence> {
    let date_starts: Vec<usize> = dates.iter().map(|d| doc.tokens[d.first].start).collect();
    let valid = |start: usize, line: usize| {
        // OCR puts a space beside a separator now and then (`FJ -2026-00417`): rejoined.
        let mut parts = doc.text[start..doc.lines[line].end].split_whitespace();
        let mut chunk = parts.next()?.to_owned();
        for part in parts {
            if !(chunk.ends_with(['-', '/']) || part.starts_with(['-', '/'])) {
                break;
            }
            chunk.push_str(part);
        }
        let id = chunk.trim_end_matches(['.', ',', ';', ':', ')']);
        (id.chars().count() >= 4 && has_digit(id) && !date_starts.contains(&start)).then(|| Evidence::new(id, line))
    };
    let labelled = |i: usize| {
        let line_no = doc.tokens[i].line;
        let line = &doc.lines[line_no];
        INVOICE_LABELS.split(',').find_map(|label| {
            let label: Vec<&str> = label.split_whitespace().collect();
            let last = i + label.len() - 1;
            let fits = last < line.toks.end
                && label.iter().enumerate().all(|(n, w)| same(&doc.tokens[i + n].raw, w))
                && (i..last).all(|t| doc.gap(t).len() <= 3);
            let after = doc.tokens[last.min(doc.tokens.len() - 1)].end;
            // "INV/2026/..." is the id itself, read below.
            if !fits || (label[0] == "INV" && doc.text[after..].starts_with(['/', '-'])) {
                return None;
            }
            let rest = &doc.text[after..line.end];
            let skip = rest.len() - rest.trim_start_matches([' ', '\t', ':', '#', '.', '-', '=']).len();
            if rest.trim().is_empty() && label.len() > 1 {
                // Label and value in two rows of a table: take the next line's first chunk.
                let next = doc.lines.get(line_no + 1)?;
                let text = &doc.text[next.start..next.end];
                return valid(next.start + text.len() - text.trim_start().len(), line_no + 1);
            }
            valid(after + skip, line_no)
        })
    };
    // Marketplace ids such as "INV/20260412/MPL/1234567890" stand alone without a label.
    let bare = |i: usize| {
        let t = &doc.tokens[i];
        let starts_chunk = t.start == 0 || doc.text[..t.start].ends_with([' ', '\t', ':', '\n']);
        let rest = doc.text.get(t.start + 3..)?;
        let inv = doc
            .text
            .get(t.start..t.start + 3)
            .is_some_and(|p| p.eq_ignore_ascii_case("INV"));
        (starts_chunk && inv && rest.starts_with(|c: char| matches!(c, '/' | '-') || c.is_ascii_digit()))
            .then(|| valid(t.start, t.line))?
    };
    (0..doc.tokens.len())
        .find_map(labelled)
        .or_else(|| (0..doc.tokens.len()).find_map(bare))
}

/// Words in store names that every store has, so they cannot tell stores apart.
const STORE_NOISE: &str = "TOKO STORE OFFICIAL PT CV TBK";

/// Words of a document title or caption, which head an invoice but do not name the store.
const TITLE_WORDS: &str = "INVOICE FAKTUR NOTA PENJUALAN KWITANSI RECEIPT STRUK TAX PAJAK BUKTI PEMBAYARAN PEMBELIAN SALES \
    ORDER TAGIHAN DITERBITKAN ATAS NAMA BILL OF";

fn read_store(doc: &Doc, expected: Option<&str>, dates: &[DateHit]) -> Option<(StoreMatch, Evidence)> {
    let found = expected
        .and_then(|s| find_store(doc, s))
        .map(|e| (StoreMatch::Expected, e));
    found.or_else(|| store_header(doc, dates).map(|e| (StoreMatch::Other, e)))
}

/// A store such as "Tokopedia - MSI Official Store" is a platform and a shop: each part must be
/// found somewhere. The evidence is the part found with the most of its words (noise included),
/// so "Penjual : MSI Official Store" beats a product line that merely says "MSI".
fn find_store(doc: &Doc, store: &str) -> Option<Evidence> {
    let segments: Vec<Vec<String>> = store
        .replace(" - ", "|")
        .split(['|', '/', ',', '@'])
        .map(|s| {
            s.split_whitespace()
                .map(key)
                .filter(|k| !k.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|words| words.iter().any(|w| !listed(STORE_NOISE, w)))
        .collect();
    let mut best: Option<(usize, Range<usize>)> = None;
    for words in &segments {
        let mut seg_best: Option<(usize, Range<usize>)> = None;
        for (lines, toks) in doc.windows() {
            let found = |k: &&String| doc.find(toks.clone(), k).is_some();
            if words.iter().filter(|w| !listed(STORE_NOISE, w)).all(|w| found(&w)) {
                let score = words.iter().filter(found).count();
                if seg_best.as_ref().is_none_or(|(s, _)| score > *s) {
                    seg_best = Some((score, lines));
                }
            }
        }
        let seg_best = seg_best?;
        if best.as_ref().is_none_or(|(s, _)| seg_best.0 > *s) {
            best = Some(seg_best);
        }
    }
    best.map(|(_, lines)| doc.lines_evidence(lines))
}

/// The first of the first three non-empty lines that reads like a shop name: mostly letters,
/// no date, not just a document title.
fn store_header(doc: &Doc, dates: &[DateHit]) -> Option<Evidence> {
    let dated = |no: usize| dates.iter().any(|d| doc.tokens[d.first].line == no);
    let non_empty = doc.lines.iter().enumerate().filter(|(_, l)| !l.toks.is_empty()).take(3);
    non_empty
        .filter(|&(no, l)| {
            let text = &doc.text[l.start..l.end];
            let letters = text.chars().filter(|c| c.is_alphabetic()).count();
            let visible = text.chars().filter(|c| !c.is_whitespace()).count();
            let title = doc.tokens[l.toks.clone()].iter().all(|t| listed(TITLE_WORDS, &t.raw));
            letters >= 3 && letters * 2 >= visible && !dated(no) && !title
        })
        .map(|(no, _)| doc.lines_evidence(no..no + 1))
        .next()
}

fn read_serial(doc: &Doc, serial: &str) -> Option<Evidence> {
    let wanted = key(serial);
    if wanted.is_empty() {
        return None;
    }
    doc.lines
        .iter()
        .find_map(|l| doc.find(l.toks.clone(), &wanted))
        .map(|(a, b)| doc.evidence(a, b))
}

#[cfg(test)]
mod tests {
    use chrono::Datelike;

    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn ev(text: &str, line: usize) -> Evidence {
        Evidence {
            text: text.to_string(),
            line,
        }
    }

    /// Reads `text` for `model` (and optional serial and store) in the period April 2026.
    fn read(text: &str, model: &str, serial: Option<&str>, store: Option<&str>) -> Findings {
        let period = (day(2026, 4, 1), day(2026, 4, 30));
        let expected = Expected {
            model,
            serial,
            store,
            period,
        };
        Findings::read(text, &expected)
    }

    fn dates_in(text: &str) -> Vec<NaiveDate> {
        read(text, "X", None, None).dates.into_iter().map(|(d, _)| d).collect()
    }

    fn purchase(text: &str) -> Option<NaiveDate> {
        read(text, "X", None, None).purchase_date.map(|(d, _)| d)
    }

    fn model(text: &str, model: &str) -> Option<ModelMatch> {
        read(text, model, None, None).model.map(|(m, _)| m)
    }

    fn invoice(text: &str) -> Option<String> {
        read(text, "X", None, None).invoice_number.map(|e| e.text)
    }

    const RETAIL_NOTA: &str = "ENTER KOMPUTER
Harco Mangga Dua Lt. 3 No. 12, Jakarta
Telp. (021) 612-3456
NOTA PENJUALAN
No. Nota : EK-2604-00123        Tgl : 12/04/2026
Kepada : Budi Santoso
Qty  Nama Barang                         Harga        Jumlah
1    MSI MODERN AM242 1M-012ID  AIO      Rp 9.499.000 Rp 9.499.000
     SN: K2305N0012345
Total                                   Rp 9.499.000
Jatuh Tempo : 12/05/2026";

    #[test]
    fn indonesian_retail_nota() {
        let f = read(
            RETAIL_NOTA,
            "Modern AM242 1M",
            Some("K2305N0012345"),
            Some("Enter Komputer"),
        );
        assert_eq!(f.model, Some((ModelMatch::Full, ev("MODERN AM242", 7))));
        assert_eq!(dates_in(RETAIL_NOTA), [day(2026, 4, 12), day(2026, 5, 12)]);
        assert_eq!(f.purchase_date, Some((day(2026, 4, 12), ev("12/04/2026", 4))));
        assert_eq!(f.in_period, Some(true));
        assert_eq!(f.invoice_number, Some(ev("EK-2604-00123", 4)));
        assert_eq!(f.store, Some((StoreMatch::Expected, ev("ENTER KOMPUTER", 0))));
        assert_eq!(f.serial, Some(ev("K2305N0012345", 8)));
    }

    #[test]
    fn english_ecommerce_invoice() {
        let text = "MSI Store Indonesia\nInvoice\nInvoice No: INV-ID-2026-000451\nDue Date: May 12, 2026
Invoice Date: April 12, 2026\nBill To: Rina Wijaya\nDescription                          Qty   Unit Price
MAG B650 TOMAHAWK WIFI Motherboard    1    IDR 3,899,000\nPrinted on 14 Apr 2026";
        let f = read(text, "MAG B650 TOMAHAWK WIFI", Some("K2305N0012345"), Some("Blibli"));
        assert_eq!(f.model, Some((ModelMatch::Full, ev("MAG B650 TOMAHAWK WIFI", 7))));
        assert_eq!(f.dates.len(), 3);
        assert_eq!(f.purchase_date, Some((day(2026, 4, 12), ev("April 12, 2026", 4))));
        assert_eq!(f.invoice_number, Some(ev("INV-ID-2026-000451", 2)));
        // Blibli is nowhere: the header line is reported for comparison.
        assert_eq!(f.store, Some((StoreMatch::Other, ev("MSI Store Indonesia", 0))));
        assert_eq!(f.serial, None);
    }

    #[test]
    fn tokopedia_invoice() {
        let text = "INVOICE\nINV/20260412/MPL/3456789012\nDITERBITKAN ATAS NAMA\nPenjual : MSI Official Store
UNTUK\nPembeli : Andi Pratama\nTanggal Pembelian : 12 April 2026
Alamat Pengiriman : Jl. Kebon Jeruk No. 5, Jakarta Barat\nINFO PRODUK  JUMLAH  HARGA SATUAN  TOTAL HARGA
MSI GeForce RTX 5070 12G VENTUS 2X OC Graphics Card\n1  Rp12.499.000  Rp12.499.000
Silakan hubungi Tokopedia Care apabila kamu membutuhkan bantuan.";
        let (gpu, store) = ("GeForce RTX 5070 12G VENTUS 2X", Some("Tokopedia - MSI Official Store"));
        let f = read(text, gpu, None, store);
        assert_eq!(f.model, Some((ModelMatch::Full, ev("GeForce RTX 5070 12G VENTUS", 9))));
        assert_eq!(f.purchase_date, Some((day(2026, 4, 12), ev("12 April 2026", 6))));
        assert_eq!(f.invoice_number, Some(ev("INV/20260412/MPL/3456789012", 1)));
        assert_eq!(
            f.store,
            Some((StoreMatch::Expected, ev("Penjual : MSI Official Store", 3)))
        );
        // Without "Tokopedia" anywhere the platform half is missing, and no line reads like a shop name.
        assert_eq!(read(&text.replace("Tokopedia", "kami"), gpu, None, store).store, None);
    }

    #[test]
    fn noisy_photo_ocr() {
        let text = "ENTER  K0MPUTER\nTgl: l2 /04/ 2O26    No.Faktur:FJ-000123\n1 MSI M0dern AM 242 1M-O12ID
5/N: K23O5N 0012345\nJatuh Tempo 12-05-2026";
        let f = read(
            text,
            "Modern AM242 1M",
            Some("K2305N0012345"),
            Some("Toko Enter Komputer"),
        );
        assert_eq!(f.model, Some((ModelMatch::Full, ev("M0dern AM 242", 2))));
        assert_eq!(f.purchase_date, Some((day(2026, 4, 12), ev("l2 /04/ 2O26", 1))));
        assert_eq!(f.invoice_number, Some(ev("FJ-000123", 1)));
        assert_eq!(f.store, Some((StoreMatch::Expected, ev("ENTER  K0MPUTER", 0))));
        assert_eq!(f.serial, Some(ev("K23O5N 0012345", 3)));
    }

    #[test]
    fn partial_model_matches() {
        let f = read("1x MOBO B650 TOMAHAWK", "MAG B650 TOMAHAWK WIFI", None, None);
        assert_eq!(f.model, Some((ModelMatch::Partial, ev("B650 TOMAHAWK", 0))));
        let (full, partial) = (Some(ModelMatch::Full), Some(ModelMatch::Partial));
        for (text, name, want) in [
            ("Mobo MSI B-650 ddr5", "MAG B650 TOMAHAWK WIFI", partial),
            ("PC AIO AM-242 putih", "Modern AM242 1M", partial),
            ("MSI CUBI NUC 1M-054BID", "Cubi NUC 1M", full),
            ("Mini PC Cubi 5", "Cubi NUC 1M", None),
            ("MSI MPG 321URX\nQD-OLED Monitor", "MPG 321URX QD-OLED", full), // split over two lines
            ("Monitor 321URX", "MPG 321URX QD-OLED", partial),
            // Words OCR glued together.
            ("MSI CubiNUC IM Rp 2:500:000.", "Cubi NUC 1M", partial),
            ("MSI ModernAM242 IM", "Modern AM242 1M", partial),
            ("MSI GeForce RTX5070 12G", "GeForce RTX 5070 12G VENTUS 2X", partial),
        ] {
            assert_eq!(model(text, name), want, "{text}");
        }
    }

    #[test]
    fn other_models_and_generic_words_never_match() {
        for text in
            "MSI Modern AM272P 7M|Modern AM24 1M|Modern AM2420|Modern XAM242|MSI Modern Gaming|ModernAM2420".split('|')
        {
            assert_eq!(model(text, "Modern AM242 1M"), None, "{text}");
        }
        for text in
            "MSI GeForce RTX Gaming Monitor Laptop|Total Rp 5.070.000|GeForce RTX 5060 VENTUS 2X|RTX50701".split('|')
        {
            assert_eq!(model(text, "GeForce RTX 5070 12G VENTUS 2X"), None, "{text}");
        }
    }

    #[test]
    fn due_and_print_dates_are_not_the_purchase_date() {
        let text = "Jatuh Tempo: 01/04/2026\nDicetak pada tanggal 02/04/2026\nTotal 20/04/2026\nBerlaku s/d 03/04/2026";
        assert_eq!(dates_in(text).len(), 4);
        for (text, want) in [
            (text, day(2026, 4, 20)),
            ("Due Date 30 Apr 2026 | Tgl. Transaksi 05 Apr 2026", day(2026, 4, 5)),
            ("Tgl Cetak 30/04/2026\n15/04/2026", day(2026, 4, 15)),
            ("Tanggal      Jatuh Tempo\n10/04/2026   10/05/2026", day(2026, 4, 10)), // header row above
            ("Tanggal Jatuh Tempo\n10/05/2026\nKasir 11/04/2026", day(2026, 4, 11)),
            ("Jatuh tempo 10/05/2026\nDicetak 09/05/2026", day(2026, 5, 10)), // only due dates: the first
        ] {
            assert_eq!(purchase(text), Some(want), "{text}");
        }
    }

    #[test]
    fn date_formats_and_rejections() {
        let april = "12/04/2026; 12-04-2026; 12.04.2026; 2026-04-12; 12/04/26; 12 April 2026; 12 Apr 2026; \
            12-Apr-26; april 12, 2026; APR 12TH 2026; 12 /04/ 2026; l2/04/2O26; Tgl.12 Apr. 2026; Tgl/12/04/2026; |2/04/2026; \
            12 A pril 2026; 12-A pr-26";
        for text in april.split("; ") {
            assert_eq!(dates_in(text), [day(2026, 4, 12)], "{text}");
        }
        let months = [
            day(2026, 8, 12),
            day(2026, 8, 1),
            day(2026, 11, 3),
            day(2026, 12, 9),
            day(2026, 10, 1),
        ];
        assert_eq!(
            dates_in("12 Agu 2026, 1 Agt 2026, 3 Nop 2026, 9 Des 26, 1 0ktober 2026"),
            months
        );
        assert_eq!(
            dates_in("27 J ul 2026 and 1 J un 26"),
            [day(2026, 7, 27), day(2026, 6, 1)]
        );
        assert_eq!(
            dates_in("04/25/2026"),
            [day(2026, 4, 25)],
            "month first only when day first is impossible"
        );
        for text in
            "31/02/2026|INV/2026/04/12/0001|1/12/04/2026|Rp 1.250.000|14.30.00|12/04/1985|0812-3456-7890".split('|')
        {
            assert_eq!(dates_in(text), [], "{text}");
        }
    }

    #[test]
    fn every_day_of_2026_round_trips_in_every_format() {
        let long: Vec<&str> = "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"
            .split(' ')
            .collect();
        let short: Vec<&str> = "Jan Feb Mar Apr Mei Jun Jul Agu Sep Okt Nov Des".split(' ').collect();
        let mut d = day(2026, 1, 1);
        while d.year() == 2026 {
            let (m, numeric) = (
                d.month0() as usize,
                ["%d/%m/%Y", "%-d-%-m-%y", "%d.%m.%Y", "%Y-%m-%d", "%d-%b-%y"],
            );
            let mut texts: Vec<String> = numeric.iter().map(|f| d.format(f).to_string()).collect();
            texts.push(d.format("%B %-d, %Y").to_string());
            texts.push(format!("{} {} {}", d.day(), long[m], d.year()));
            texts.push(format!("{:02} {} {}", d.day(), short[m].to_uppercase(), d.year()));
            for text in texts {
                let f = read(&format!("Tanggal: {text}"), "X", None, None);
                assert_eq!(f.purchase_date, Some((d, ev(&text, 0))), "{text}");
            }
            d = d.succ_opt().unwrap();
        }
    }

    #[test]
    fn the_period_bounds_are_inclusive() {
        let f = read("Modern AM242\nTanggal 31 Maret 2026", "Modern AM242 1M", None, None);
        assert_eq!(f.in_period, Some(false));
        let f = read("Modern AM242\nTanggal 30 April 2026", "Modern AM242 1M", None, None);
        assert_eq!(f.in_period, Some(true));
        let f = read("Modern AM242\nTanggal 01/04/2026", "Modern AM242 1M", None, None);
        assert_eq!(f.in_period, Some(true), "the first day counts");
        let f = read("", "Modern AM242 1M", Some("K2305N0012345"), Some("Enter Komputer"));
        assert_eq!(f, Findings::default());
        let f = read("Tanggal 30 April 2026", "Modern AM242 1M", None, None);
        assert_eq!((f.model, f.in_period), (None, Some(true)));
    }

    #[test]
    fn invoice_numbers() {
        assert_eq!(invoice("Invoice #: 12345678").as_deref(), Some("12345678"));
        assert_eq!(
            invoice("Nomor Faktur FJ/2026/04/00123.").as_deref(),
            Some("FJ/2026/04/00123")
        );
        assert_eq!(
            invoice("No. Invoice: INV/2026/04/00123").as_deref(),
            Some("INV/2026/04/00123")
        );
        assert_eq!(invoice("No. Transaksi\n  TRX-99871 ").as_deref(), Some("TRX-99871"));
        assert_eq!(invoice("pesanan INV-0042 selesai").as_deref(), Some("INV-0042"));
        assert_eq!(invoice("N0. Nota: 0042/EK").as_deref(), Some("0042/EK"));
        assert_eq!(
            invoice("No. Faktur: FJ -2026-00417 Tanggal").as_deref(),
            Some("FJ-2026-00417")
        );
        assert_eq!(invoice("Invoice Date: 12/04/2026\nNo. Faktur: 12"), None);
        assert_eq!(invoice("INVOICE\nInvoice ini sah"), None);
        assert_eq!(invoice("Jl. Sudirman No. 1234, INVENTARIS 2026"), None);
    }

    #[test]
    fn store_and_serial_edge_cases() {
        let serial = Some("K2305N0012345");
        let f = read(
            "NOTA\nCV. Maju Jaya Computer\nJl. Veteran 7",
            "X",
            serial,
            Some("Enter Komputer"),
        );
        assert_eq!(f.store, Some((StoreMatch::Other, ev("CV. Maju Jaya Computer", 1))));
        assert_eq!(read("INVOICE\n12/04/2026\n#### 123", "X", serial, None).store, None);
        let f = read(
            "Enter\nKomputer\nS/N : K2305-N001-2345\nSN K2305N0012346",
            "X",
            serial,
            Some("PT Enter Komputer"),
        );
        assert_eq!(f.serial, Some(ev("K2305-N001-2345", 2)));
        assert_eq!(
            f.store,
            Some((StoreMatch::Expected, ev("Enter\nKomputer", 0))),
            "adjacent lines"
        );
        assert_eq!(read("SN K2305N00123456 / K2305N001234", "X", serial, None).serial, None);
    }

    #[test]
    fn odd_input_never_panics() {
        let texts = [
            "ı\u{131}nv/1",
            "Ünïcödé ß 12 Mei",
            "|||| 1|2/0|/2026 ||",
            "\r\n\r\n",
            "INV",
            "No. Faktur",
            "ＡＭ２４２",
        ];
        for text in texts {
            let _ = read(text, "Modern AM242", Some("ABC"), Some("Toko"));
        }
    }
}
