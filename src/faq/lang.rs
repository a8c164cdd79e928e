//! Which language a message is written in. Chat messages are short and mixed,
//! where statistical detectors guess badly ("halo min" comes out English), so
//! common function words of each language decide first; `whatlang` only breaks
//! ties on longer text.

use crate::domain::Locale;

const INDONESIAN: &[&str] = &[
    "saya",
    "kak",
    "admin",
    "gimana",
    "apa",
    "apakah",
    "yang",
    "dan",
    "di",
    "ke",
    "dari",
    "tidak",
    "belum",
    "sudah",
    "bisa",
    "mau",
    "ini",
    "itu",
    "ya",
    "dong",
    "sih",
    "kok",
    "nih",
    "deh",
    "tolong",
    "mohon",
    "terima",
    "kasih",
    "makasih",
    "selamat",
    "pagi",
    "siang",
    "sore",
    "malam",
    "berapa",
    "lama",
    "kapan",
    "kenapa",
    "dimana",
    "mana",
    "cara",
    "untuk",
    "dengan",
    "karena",
    "atau",
    "juga",
    "lagi",
    "sama",
    "ada",
    "akan",
    "harus",
    "boleh",
    "minta",
    "tanya",
    "punya",
    "saja",
    "banget",
    "kalau",
    "tapi",
    "hadiah",
    "hari",
    "minggu",
    "bulan",
    "kerja",
    "masih",
    "sekarang",
    "gak",
    "nya",
    "pakai",
    "bahasa",
    "mas",
    "mbak",
    "gan",
    "bro",
    "nggak",
    "kah",
    "lah",
    "kami",
    "kamu",
    "anda",
    "bagaimana",
    "mengapa",
    "sudahkah",
    "tetapi",
    "agar",
    "supaya",
    "jadi",
    "terus",
    "lalu",
    "sampai",
    "sampe",
    "udah",
    "dapat",
    "dapet",
    "kirim",
    "dikirim",
    "gagal",
    "ditolak",
    "tunggu",
    "nunggu",
    "produk",
    "daftar",
    "klaim",
    "cek",
    "permisi",
    "halo",
    "oke",
    "siap",
    "baik",
    "tahu",
    "tau",
    "gitu",
    "begitu",
    "gmn",
    "sy",
    "udh",
    "blm",
    "gk",
    "ga",
    "yg",
    "dgn",
    "min",
    "aja",
    "bgt",
    "tdk",
    "sdh",
    "utk",
    "krn",
    "gw",
    "gue",
    "aku",
    "knp",
    "brp",
    "kalo",
    "klo",
    "tp",
    "jg",
    "dah",
    "lg",
    "skrg",
    "hadiahnya",
    "promonya",
    "mksh",
    "makasi",
    "tolongin",
    "gimana",
    "ngga",
    "engga",
    "kakak",
    "mimin",
    "tlg",
    "emang",
    "gmna",
    "ka",
    "tuh",
];

const ENGLISH: &[&str] = &[
    "i", "my", "me", "you", "your", "the", "a", "an", "is", "are", "was", "were", "do", "does", "did", "how", "what",
    "where", "when", "why", "which", "can", "could", "would", "should", "will", "to", "of", "for", "in", "on", "with",
    "not", "no", "yes", "please", "hello", "hi", "hey", "it", "this", "that", "have", "has", "been", "get", "got",
    "received", "still", "yet", "about", "and", "or", "but", "there", "any", "we", "our", "they", "need", "want",
    "long", "check", "find", "send", "sent", "rejected", "wait", "waiting", "register", "claim", "thank", "thanks",
    "email", "english", "language", "receive", "know", "tell", "help", "person", "human", "agent", "show", "stop",
    "why", "if", "just", "am", "be", "it's", "i'm", "don't", "doesn't", "didn't",
];

/// The language of `text` when the words give it away; `None` when they don't.
pub fn detect(text: &str) -> Option<Locale> {
    let (mut id, mut en) = (0usize, 0usize);
    for word in text.split(|c: char| !(c.is_alphanumeric() || c == '\'')) {
        if word.is_empty() || word.len() > 12 {
            continue;
        }
        if INDONESIAN.iter().any(|w| w.eq_ignore_ascii_case(word)) {
            id += 1;
        }
        if ENGLISH.iter().any(|w| w.eq_ignore_ascii_case(word)) {
            en += 1;
        }
    }
    if id > en {
        return Some(Locale::Id);
    }
    if en > id {
        return Some(Locale::En);
    }
    if text.chars().count() < 20 {
        return None;
    }
    let info = whatlang::detect(text)?;
    if !info.is_reliable() {
        return None;
    }
    match info.lang() {
        whatlang::Lang::Ind => Some(Locale::Id),
        whatlang::Lang::Eng => Some(Locale::En),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_chat_messages() {
        assert_eq!(detect("halo min"), Some(Locale::Id));
        assert_eq!(detect("gmn cara redeem"), Some(Locale::Id));
        assert_eq!(detect("how do I redeem?"), Some(Locale::En));
        assert_eq!(detect("thanks!"), Some(Locale::En));
        assert_eq!(detect("K2305N0012345"), None);
    }
}
