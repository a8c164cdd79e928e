//! Hashed sparse features of a tokenised message: words, word pairs and the
//! character 3- and 4-grams of each word (which make typos and affixes such as
//! "-nya" or "di-" cost little).

/// Number of hash buckets (a power of two).
pub const BUCKETS: usize = 1 << 16;

/// One sparse feature vector: bucket indices with weights, L2-normalised.
#[derive(Debug, Default, Clone)]
pub struct Features {
    pub idx: Vec<u32>,
    pub val: Vec<f32>,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

#[inline]
fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

#[inline]
fn bucket(h: u64) -> u32 {
    // Fold the high bits in: FNV's low bits alone are weak.
    ((h ^ (h >> 29) ^ (h >> 47)) as usize & (BUCKETS - 1)) as u32
}

/// How much each kind of feature counts before normalisation.
#[derive(Debug, Clone, Copy)]
pub struct Weights {
    pub word: f32,
    pub pair: f32,
    pub chars: f32,
}

pub const WEIGHTS: Weights = Weights {
    word: 1.0,
    pair: 0.4,
    chars: 0.2,
};

impl Features {
    /// Builds the features of `tokens` into `self` (cleared first).
    pub fn build(&mut self, tokens: &[String]) {
        self.build_weighted(tokens, WEIGHTS)
    }

    pub fn build_weighted(&mut self, tokens: &[String], weights: Weights) {
        self.idx.clear();
        self.val.clear();
        let mut push = |h: u64, w: f32| {
            self.idx.push(bucket(h));
            self.val.push(w);
        };
        push(fnv(FNV_OFFSET, b"<bias>"), 1.0);
        for (i, t) in tokens.iter().enumerate() {
            let word = fnv(fnv(FNV_OFFSET, b"w:"), t.as_bytes());
            push(word, weights.word);
            if let Some(next) = tokens.get(i + 1) {
                let pair = fnv(fnv(fnv(FNV_OFFSET, b"b:"), t.as_bytes()), next.as_bytes());
                push(fnv(pair, b"_"), weights.pair);
            }
            if t.starts_with('<') {
                continue;
            }
            // Character n-grams over "^word$".
            let bytes = t.as_bytes();
            let mut padded = [0u8; 34];
            if bytes.len() + 2 > padded.len() {
                continue;
            }
            padded[0] = b'^';
            padded[1..=bytes.len()].copy_from_slice(bytes);
            padded[bytes.len() + 1] = b'$';
            let padded = &padded[..bytes.len() + 2];
            for n in [3usize, 4] {
                if padded.len() < n {
                    continue;
                }
                for gram in padded.windows(n) {
                    push(fnv(fnv(FNV_OFFSET, b"c:"), gram), weights.chars);
                }
            }
        }
        let norm = self.val.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            for v in &mut self.val {
                *v /= norm;
            }
        }
    }
}
