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
    let extra = std::env::args().nth(1).map(|f| parse_examples(&f, &std::fs::read_to_string(&f).unwrap()).unwrap());
    for word in [1.0f32, 0.6] {
        for pair in [0.8f32, 0.4] {
            for chars in [0.35f32, 0.2, 0.5] {
                for epochs in [30usize, 60] {
                    for lr in [0.6f32, 1.2] {
                        let c = Classifier::train_with(
                            &train,
                            Weights { word, pair, chars },
                            &TrainOptions { epochs, learning_rate: lr, l2: 1e-6, seed: 42 },
                        );
                        let r = evaluate(&c, &test);
                        let x = extra.as_ref().map(|e| evaluate(&c, e));
                        println!(
                            "w{word} p{pair} c{chars} e{epochs} lr{lr}: held-out {:.3} oos {:.3} | extra {:.3} oos {:.3}",
                            r.accuracy,
                            r.out_of_scope_answered,
                            x.as_ref().map_or(0.0, |x| x.accuracy),
                            x.as_ref().map_or(0.0, |x| x.out_of_scope_answered),
                        );
                    }
                }
            }
        }
    }
}
