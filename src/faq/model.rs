//! Multinomial logistic regression over hashed features, trained with AdaGrad.
//! Small enough to train at start-up from the examples in `data/faq/`.

use super::features::{BUCKETS, Features};

pub struct Model {
    classes: usize,
    /// `BUCKETS × classes`, row-major: a feature's weights are adjacent.
    weights: Vec<f32>,
}

#[derive(Debug, Clone, Copy)]
pub struct TrainOptions {
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
    pub seed: u64,
    /// Weigh each class's examples inversely to its size, so a large class
    /// (out_of_scope has the most examples) does not crowd out small ones.
    pub balanced: bool,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            epochs: 60,
            learning_rate: 0.6,
            l2: 1e-5,
            seed: 42,
            balanced: false,
        }
    }
}

impl Model {
    pub fn train(examples: &[(Features, usize)], classes: usize, opts: &TrainOptions) -> Self {
        let mut weights = vec![0f32; BUCKETS * classes];
        let mut grad_sq = vec![1e-6f32; BUCKETS * classes];
        let mut order: Vec<usize> = (0..examples.len()).collect();
        let mut rng = opts.seed | 1;
        let mut probs = vec![0f32; classes];
        let mut counts = vec![0usize; classes];
        for (_, label) in examples {
            counts[*label] += 1;
        }
        let class_weight: Vec<f32> = counts
            .iter()
            .map(|&n| {
                if opts.balanced && n > 0 {
                    examples.len() as f32 / (classes as f32 * n as f32)
                } else {
                    1.0
                }
            })
            .collect();
        for _ in 0..opts.epochs {
            // Fisher–Yates with a small xorshift: deterministic runs, no rand needed.
            for i in (1..order.len()).rev() {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                order.swap(i, (rng % (i as u64 + 1)) as usize);
            }
            for &e in &order {
                let (f, label) = &examples[e];
                scores(&weights, classes, f, &mut probs);
                softmax(&mut probs);
                probs[*label] -= 1.0;
                let cw = class_weight[*label];
                for (&i, &v) in f.idx.iter().zip(&f.val) {
                    let v = v * cw;
                    let row = i as usize * classes..(i as usize + 1) * classes;
                    let w = &mut weights[row.clone()];
                    let acc = &mut grad_sq[row];
                    for ((w, acc), err) in w.iter_mut().zip(acc.iter_mut()).zip(&probs) {
                        let g = err * v + opts.l2 * *w;
                        *acc += g * g;
                        *w -= opts.learning_rate * g / acc.sqrt();
                    }
                }
            }
        }
        Self { classes, weights }
    }

    /// Class probabilities for `f`, written into `probs` (resized to the class count).
    pub fn predict(&self, f: &Features, probs: &mut Vec<f32>) {
        probs.clear();
        probs.resize(self.classes, 0.0);
        scores(&self.weights, self.classes, f, probs);
        softmax(probs);
    }
}

#[inline]
fn scores(weights: &[f32], classes: usize, f: &Features, out: &mut [f32]) {
    out.iter_mut().for_each(|s| *s = 0.0);
    for (&i, &v) in f.idx.iter().zip(&f.val) {
        let row = &weights[i as usize * classes..(i as usize + 1) * classes];
        for (s, w) in out.iter_mut().zip(row) {
            *s += w * v;
        }
    }
}

fn softmax(s: &mut [f32]) {
    let max = s.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in s.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    for x in s.iter_mut() {
        *x /= sum;
    }
}
