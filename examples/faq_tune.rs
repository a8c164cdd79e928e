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
    for (epochs, lr, l2, balanced) in [
        (60usize, 0.6f32, 1e-6f32, false),
        (60, 0.6, 1e-6, true),
        (30, 0.3, 1e-6, false),
        (60, 0.6, 1e-5, false),
        (100, 0.6, 1e-6, false),
        (60, 0.3, 0.0, true),
    ] {
        let mut c = Classifier::train_with(
            &train,
            Weights {
                word: 1.0,
                pair: 0.4,
                chars: 0.2,
            },
            &TrainOptions {
                epochs,
                learning_rate: lr,
                l2,
                seed: 42,
                balanced,
            },
        );
        for threshold in [0.4f32, 0.5, 0.6] {
            c = c.with_threshold(threshold);
            let r = evaluate(&c, &test);
            let x = extra.as_ref().map(|e| evaluate(&c, e));
            println!(
                "e{epochs} lr{lr} l2{l2} bal{balanced} t{threshold}: held-out {:.3} oos {:.3} fb {:.3} | extra {:.3} oos {:.3} fb {:.3}",
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
