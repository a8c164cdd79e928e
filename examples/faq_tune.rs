//! Grid search over the classifier's feature weights and training options,
//! scored on the held-out split of `data/faq/` and, when given, an extra file.
//! `cargo run --release --example faq_tune [-- EXTRA.jsonl]`

use redeemdesk::faq::eval::evaluate;
use redeemdesk::faq::features::Weights;
use redeemdesk::faq::model::TrainOptions;
use redeemdesk::faq::{Classifier, builtin_examples, is_held_out, parse_examples};

fn main() {
    let all = builtin_examples();
    let (test, train): (Vec<_>, Vec<_>) = all.into_iter().partition(|e| is_held_out(&e.text));
    let extra = std::env::args()
        .nth(1)
        .map(|f| parse_examples(&f, &std::fs::read_to_string(&f).unwrap()).unwrap());
    let grid = std::env::var("GRID").is_ok();
    let weights: Vec<(f32, f32, f32)> = if grid {
        vec![(1.0, 0.4, 0.2), (1.0, 0.8, 0.35), (0.6, 0.4, 0.35)]
    } else {
        vec![(1.0, 0.4, 0.2)]
    };
    for (word, pair, chars) in weights {
        for epochs in [30usize, 60] {
            let c = Classifier::train_with(
                &train,
                Weights { word, pair, chars },
                &TrainOptions {
                    epochs,
                    learning_rate: 0.6,
                    l2: 1e-6,
                    seed: 42,
                },
            );
            let mut c = c;
            for threshold in [0.3f32, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7] {
                c = c.with_threshold(threshold);
                let r = evaluate(&c, &test);
                let x = extra.as_ref().map(|e| evaluate(&c, e));
                println!(
                    "w{word} p{pair} c{chars} e{epochs} t{threshold}: held-out {:.3} oos {:.3} fb {:.3} | extra {:.3} oos {:.3} fb {:.3}",
                    r.accuracy,
                    r.out_of_scope_answered,
                    r.in_scope_fallback,
                    x.as_ref().map_or(0.0, |x| x.accuracy),
                    x.as_ref().map_or(0.0, |x| x.out_of_scope_answered),
                    x.as_ref().map_or(0.0, |x| x.in_scope_fallback),
                );
            }
        }
    }
}
