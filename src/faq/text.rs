//! Turning a chat message into normalised word tokens: lower case, ASCII,
//! repeated letters collapsed, informal Indonesian and common typos mapped to one
//! spelling, serial numbers and numbers replaced by placeholders.

/// Placeholder token for something that looks like a product serial number.
pub const SERIAL: &str = "<serial>";
/// Placeholder for a 3-digit number (a CHK code, often).
pub const NUM3: &str = "<num3>";
/// Placeholder for any other number.
pub const NUM: &str = "<num>";

/// Splits and normalises `text` into `out` (cleared first). Reusing `out` and
/// `scratch` keeps classification free of per-call allocation in the hot path.
pub fn tokens(text: &str, out: &mut Vec<String>, scratch: &mut String) {
    out.clear();
    for raw in text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '/' || c == '\'')) {
        let raw = raw.trim_matches(|c| c == '-' || c == '/' || c == '\'');
        if raw.is_empty() {
            continue;
        }
        if looks_like_serial(raw) {
            out.push(SERIAL.to_owned());
            continue;
        }
        // Inner dashes and slashes split words ("s/n" stays one word, "e-mail" too).
        let keep_joined = matches!(
            raw.to_ascii_lowercase().as_str(),
            "s/n" | "e-mail" | "sign-up" | "log-in"
        );
        if keep_joined {
            push_word(raw, out, scratch);
        } else {
            for part in raw.split(['-', '/', '\'']) {
                if !part.is_empty() {
                    push_word(part, out, scratch);
                }
            }
        }
    }
}

fn push_word(word: &str, out: &mut Vec<String>, scratch: &mut String) {
    scratch.clear();
    let mut last = '\0';
    let mut run = 0;
    for c in word.chars().flat_map(char::to_lowercase) {
        let c = fold_accent(c);
        if !(c.is_ascii_alphanumeric() || c == '/' || c == '-') {
            continue;
        }
        if c == last {
            run += 1;
        } else {
            run = 1;
            last = c;
        }
        // "tolonggg", "haloooo": runs of three or more letters collapse to one.
        if run == 3 && c.is_ascii_alphabetic() {
            scratch.pop();
            continue;
        }
        if run > 3 && c.is_ascii_alphabetic() {
            continue;
        }
        scratch.push(c);
    }
    if scratch.is_empty() {
        return;
    }
    if scratch.bytes().all(|b| b.is_ascii_digit()) {
        out.push(if scratch.len() == 3 { NUM3 } else { NUM }.to_owned());
        return;
    }
    out.push(canonical(scratch).unwrap_or(scratch.as_str()).to_owned());
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' => 'a',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        other => other,
    }
}

/// A token that could be a serial: 10–25 letters and digits with at least three
/// digits and one letter, optionally with dashes inside.
pub fn looks_like_serial(raw: &str) -> bool {
    let mut len = 0;
    let mut digits = 0;
    let mut letters = 0;
    for c in raw.chars() {
        match c {
            '-' => continue,
            c if c.is_ascii_digit() => digits += 1,
            c if c.is_ascii_alphabetic() => letters += 1,
            _ => return false,
        }
        len += 1;
    }
    (10..=25).contains(&len) && digits >= 3 && letters >= 1
}

/// One spelling for the many ways customers write the same word.
fn canonical(word: &str) -> Option<&'static str> {
    Some(match word {
        "gmn" | "gmna" | "gimana" | "gmana" | "bgmn" | "bgaimana" | "bagaimana" | "gimna" => "gimana",
        "sy" | "aku" | "ak" | "gw" | "gue" | "gua" | "sya" | "saya" => "saya",
        "udh" | "udah" | "sdh" | "dah" | "uda" | "sudah" => "sudah",
        "blm" | "blom" | "lom" | "belom" | "belum" => "belum",
        "gk" | "ga" | "gak" | "nggak" | "ngga" | "enggak" | "engga" | "tdk" | "gaada" | "kagak" | "tidak" => "tidak",
        "yg" | "yang" => "yang",
        "dgn" | "dg" | "dengan" => "dengan",
        "krn" | "krna" | "karna" | "karena" => "karena",
        "utk" | "untk" | "buat" | "untuk" => "untuk",
        "bgt" | "banget" => "banget",
        "tp" | "tpi" | "tapi" => "tapi",
        "jg" | "juga" => "juga",
        "klo" | "kalo" | "kl" | "kalau" => "kalau",
        "aja" | "saja" => "saja",
        "min" | "mimin" | "admin" | "minn" => "admin",
        "ka" | "kak" | "kakak" | "kk" => "kak",
        "thx" | "tq" | "ty" | "tks" | "thanks" | "thank" | "makasih" | "mksh" | "makasi" | "trims" | "trimakasih"
        | "terimakasih" | "maksih" => "makasih",
        "brp" | "berapa" | "brapa" => "berapa",
        "knp" | "kenapa" | "napa" | "ngapa" | "mengapa" => "kenapa",
        "dr" | "dari" => "dari",
        "sm" | "sama" => "sama",
        "lg" | "lagi" => "lagi",
        "skrg" | "skrng" | "skr" | "sekarang" => "sekarang",
        "hr" | "hari" => "hari",
        "mgg" | "mingu" | "minggu" => "minggu",
        "bln" | "bulan" => "bulan",
        "pls" | "plz" | "please" | "plis" => "please",
        "msh" | "masi" | "masih" => "masih",
        "tlg" | "tolong" | "tlong" => "tolong",
        "emg" | "emang" | "memang" => "memang",
        "bs" | "bisa" | "bsa" => "bisa",
        "mo" | "mau" => "mau",
        "dmn" | "dimana" => "dimana",
        "gmail" | "email" | "e-mail" | "imel" | "emel" | "surel" => "email",
        "invoice" | "invoce" | "invois" | "invoise" | "invoic" | "inv" | "faktur" | "nota" | "struk" | "kwitansi"
        | "receipt" => "invoice",
        "redeem" | "redem" | "reedem" | "redeeem" | "ridim" | "redeemnya" | "redemnya" => "redeem",
        "klaim" | "claim" | "kalim" | "klaimnya" | "claimnya" => "klaim",
        "promo" | "promosi" | "promonya" | "promosinya" | "promotion" | "promotions" | "promos" => "promo",
        "sn" | "s/n" | "serial" | "serialnya" | "snnya" => "serial",
        "statusnya" | "status" | "statsu" | "stat" => "status",
        "hadiah" | "hadiahnya" | "reward" | "rewardnya" | "rewards" | "gift" | "gifts" => "hadiah",
        "daftar" | "register" | "registrasi" | "regis" | "mendaftar" | "mendaftarkan" | "didaftarkan" => "daftar",
        "halo" | "hallo" | "helo" | "hello" | "hai" | "hi" | "hy" | "hey" | "hei" => "halo",
        "ok" | "oke" | "okay" | "okey" | "okee" | "sip" | "siap" => "oke",
        "u" | "you" => "you",
        "ur" | "your" => "your",
        "r" | "are" => "are",
        "pake" | "pakai" => "pakai",
        "ngecek" | "cek" | "check" | "mengecek" | "dicek" | "cekin" => "cek",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        let mut out = Vec::new();
        tokens(s, &mut out, &mut String::new());
        out
    }

    #[test]
    fn normalises_informal_indonesian() {
        assert_eq!(
            toks("Gmn cara redem, sy udh upload invoce!!"),
            ["gimana", "cara", "redeem", "saya", "sudah", "upload", "invoice"]
        );
        assert_eq!(toks("tolonggg kaaak"), ["tolong", "kak"]);
    }

    #[test]
    fn serials_and_numbers_become_placeholders() {
        assert_eq!(
            toks("SN saya K2305N0012345 chk 482"),
            ["serial", "saya", SERIAL, "chk", NUM3]
        );
        assert_eq!(toks("sn: k2305-n001-2345, 14 hari"), ["serial", SERIAL, NUM, "hari"]);
        assert!(!looks_like_serial("terimakasihbanyak"));
        assert!(looks_like_serial("602V5123456789"));
    }

    #[test]
    fn odd_input_does_not_panic() {
        assert!(toks("").is_empty());
        assert!(toks("🙏🙏 ??? \u{0}\u{202e}").is_empty());
        let _ = toks(&"ä".repeat(10_000));
    }
}
