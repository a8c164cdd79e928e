//! Multinomial logistic regression over hashed features, trained with AdaGrad.
//! Small enough to train at start-up from the examples in `data/faq/`.

use super::features::{BUCKETS, Features};

pub struct Model {
    classes: usize,
    /// For each of the `BUCKETS` feature buckets, its row in `weights`, or
    /// [`NO_ROW`]. Training only ever moves the weights of buckets its examples
    /// use, so most rows stay exactly zero; keeping only the others makes the
    /// model a fraction of its dense size, with the same scores.
    row_of: Vec<u32>,
    /// `rows × classes`, row-major: a feature's weights are adjacent.
    weights: Vec<f32>,
}

const NO_ROW: u32 = u32::MAX;

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
        drop(grad_sq);
        Self::compact(classes, &weights)
    }

    /// Keeps the rows of `dense` (`BUCKETS × classes`) that are not all zero.
    fn compact(classes: usize, dense: &[f32]) -> Self {
        let mut row_of = vec![NO_ROW; BUCKETS];
        let mut weights = Vec::new();
        for (bucket, row) in dense.chunks_exact(classes).enumerate() {
            if row.iter().any(|&w| w != 0.0) {
                row_of[bucket] = (weights.len() / classes) as u32;
                weights.extend_from_slice(row);
            }
        }
        weights.shrink_to_fit();
        Self {
            classes,
            row_of,
            weights,
        }
    }

    /// Feature buckets with weights (the rest score zero).
    pub fn rows(&self) -> usize {
        self.weights.len() / self.classes.max(1)
    }

    /// Class probabilities for `f`, written into `probs` (resized to the class count).
    pub fn predict(&self, f: &Features, probs: &mut Vec<f32>) {
        probs.clear();
        probs.resize(self.classes, 0.0);
        for (&i, &v) in f.idx.iter().zip(&f.val) {
            let row = self.row_of[i as usize];
            if row == NO_ROW {
                continue;
            }
            let row = row as usize;
            for (s, w) in probs
                .iter_mut()
                .zip(&self.weights[row * self.classes..(row + 1) * self.classes])
            {
                *s += w * v;
            }
        }
        softmax(probs);
    }
}

/// The scores of `f` under dense `weights` (training's).
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

#[cfg(test)]
mod tests {
    use super::*;

    fn features(pairs: &[(u32, f32)]) -> Features {
        let mut f = Features::default();
        for &(i, v) in pairs {
            f.idx.push(i);
            f.val.push(v);
        }
        f
    }

    #[test]
    fn the_compact_model_scores_as_the_dense_one() {
        let classes = 3;
        let mut dense = vec![0f32; BUCKETS * classes];
        for (bucket, w) in [
            (7usize, [0.5, -1.0, 0.25]),
            (900, [2.0, 0.0, -0.5]),
            (65_535, [0.0, 0.0, 1.5]),
        ] {
            dense[bucket * classes..(bucket + 1) * classes].copy_from_slice(&w);
        }
        let model = Model::compact(classes, &dense);
        assert_eq!(model.rows(), 3);
        for f in [
            features(&[(7, 0.6), (900, 0.8)]),
            features(&[(8, 1.0)]),
            features(&[(65_535, 0.3), (7, 0.1), (12, 0.9)]),
        ] {
            let mut want = vec![0f32; classes];
            scores(&dense, classes, &f, &mut want);
            softmax(&mut want);
            let mut got = Vec::new();
            model.predict(&f, &mut got);
            assert_eq!(got, want);
        }
    }

    #[test]
    fn training_keeps_only_the_buckets_its_examples_use() {
        let examples = vec![
            (features(&[(1, 1.0), (2, 0.5)]), 0),
            (features(&[(3, 1.0)]), 1),
            (features(&[(2, 0.2), (4, 1.0)]), 1),
        ];
        let model = Model::train(&examples, 2, &TrainOptions::default());
        assert_eq!(model.rows(), 4);
        let mut probs = Vec::new();
        model.predict(&features(&[(3, 1.0)]), &mut probs);
        assert!(probs[1] > probs[0]);
    }
}
