//! Measuring the classifier: accuracy overall and per intent, and how often an
//! out-of-scope message is answered as if it were in scope (the costly mistake).

use serde::Serialize;

use super::{Classifier, Example, Intent, Scratch};

#[derive(Debug, Serialize)]
pub struct Report {
    pub messages: usize,
    pub accuracy: f64,
    /// Out-of-scope messages classified as some in-scope intent, over all out-of-scope messages.
    pub out_of_scope_answered: f64,
    /// In-scope messages that fell back to out_of_scope (honest, but unhelpful).
    pub in_scope_fallback: f64,
    /// Accuracy of the detected language where the example gives one and detection decided.
    pub language_accuracy: f64,
    pub per_intent: Vec<IntentReport>,
    pub mistakes: Vec<Mistake>,
}

#[derive(Debug, Serialize)]
pub struct IntentReport {
    pub intent: &'static str,
    pub support: usize,
    pub recall: f64,
    pub precision: f64,
}

#[derive(Debug, Serialize)]
pub struct Mistake {
    pub text: String,
    pub expected: &'static str,
    pub got: &'static str,
    pub score: f32,
}

pub fn evaluate(classifier: &Classifier, examples: &[Example]) -> Report {
    let n = Intent::ALL.len();
    let mut confusion = vec![vec![0usize; n]; n];
    let mut mistakes = Vec::new();
    let (mut lang_ok, mut lang_total) = (0, 0);
    let mut scratch = Scratch::default();
    for e in examples {
        let c = classifier.classify_with(&e.text, &mut scratch);
        confusion[e.intent.index()][c.intent.index()] += 1;
        if c.intent != e.intent {
            mistakes.push(Mistake {
                text: e.text.clone(),
                expected: e.intent.id(),
                got: c.intent.id(),
                score: c.score,
            });
        }
        if let (Some(want), Some(got)) = (e.lang, c.lang) {
            lang_total += 1;
            lang_ok += usize::from(want == got);
        }
    }
    let correct: usize = (0..n).map(|i| confusion[i][i]).sum();
    let oos = Intent::OutOfScope.index();
    let oos_total: usize = confusion[oos].iter().sum();
    let oos_answered = oos_total - confusion[oos][oos];
    let in_scope_total = examples.len() - oos_total;
    let in_scope_fallback: usize = (0..n).filter(|&i| i != oos).map(|i| confusion[i][oos]).sum();
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let per_intent = Intent::ALL
        .iter()
        .map(|intent| {
            let i = intent.index();
            let support: usize = confusion[i].iter().sum();
            let predicted: usize = (0..n).map(|r| confusion[r][i]).sum();
            IntentReport {
                intent: intent.id(),
                support,
                recall: ratio(confusion[i][i], support),
                precision: ratio(confusion[i][i], predicted),
            }
        })
        .collect();
    Report {
        messages: examples.len(),
        accuracy: ratio(correct, examples.len()),
        out_of_scope_answered: ratio(oos_answered, oos_total),
        in_scope_fallback: ratio(in_scope_fallback, in_scope_total),
        language_accuracy: ratio(lang_ok, lang_total),
        per_intent,
        mistakes,
    }
}
