//! Experiment: a separate in-scope / out-of-scope gate in front of the intent model.

use redeemdesk::faq::features::{Features, Weights};
use redeemdesk::faq::model::{Model, TrainOptions};
use redeemdesk::faq::{Example, Intent, builtin_examples, is_held_out, parse_examples, text};

fn feats(e: &str, w: Weights) -> Features {
    let mut toks = Vec::new();
    let mut s = String::new();
    text::tokens(e, &mut toks, &mut s);
    let mut f = Features::default();
    f.build_weighted(&toks, w);
    f
}

fn main() {
    let w = Weights {
        word: 1.0,
        pair: 0.4,
        chars: 0.2,
    };
    let all: Vec<Example> = builtin_examples()
        .into_iter()
        .filter(|e| !e.source.ends_with("faq-dev.jsonl"))
        .collect();
    let dev = parse_examples(
        "dev",
        &std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap(),
    )
    .unwrap();
    let (test, train): (Vec<_>, Vec<_>) = all.into_iter().partition(|e| is_held_out(&e.text));
    let oos = Intent::OutOfScope.index();
    let data: Vec<(Features, usize)> = train.iter().map(|e| (feats(&e.text, w), e.intent.index())).collect();
    let gate_data: Vec<(Features, usize)> = train
        .iter()
        .map(|e| (feats(&e.text, w), usize::from(e.intent == Intent::OutOfScope)))
        .collect();
    let opts = TrainOptions {
        epochs: 60,
        learning_rate: 0.6,
        l2: 1e-5,
        seed: 42,
        balanced: false,
    };
    let intent_model = Model::train(&data, 20, &opts);
    let gate = Model::train(&gate_data, 2, &TrainOptions { balanced: true, ..opts });
    for (name, set) in [("held-out", &test), ("dev", &dev)] {
        for t in [0.5f32] {
            for g in [0.3f32, 0.4, 0.5, 0.6, 0.7] {
                let (mut ok, mut oos_n, mut oos_ans, mut n) = (0, 0, 0, 0);
                let mut p = Vec::new();
                let mut q = Vec::new();
                for e in set.iter() {
                    let f = feats(&e.text, w);
                    intent_model.predict(&f, &mut p);
                    gate.predict(&f, &mut q);
                    let (best, bp) = p
                        .iter()
                        .copied()
                        .enumerate()
                        .fold((0, f32::MIN), |a, (i, x)| if x > a.1 { (i, x) } else { a });
                    let pred = if bp < t || q[1] > g { oos } else { best };
                    n += 1;
                    ok += usize::from(pred == e.intent.index());
                    if e.intent.index() == oos {
                        oos_n += 1;
                        oos_ans += usize::from(pred != oos);
                    }
                }
                println!(
                    "{name} t{t} gate>{g}: acc {:.3} oos answered {:.3}",
                    ok as f64 / n as f64,
                    oos_ans as f64 / oos_n as f64
                );
            }
        }
    }
}
