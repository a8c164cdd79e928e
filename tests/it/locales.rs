//! Every message the code can show exists in both locales with exactly the
//! variables the code passes, no locale has messages the code never uses, and
//! every message renders without a Fluent error.

use std::collections::{BTreeMap, BTreeSet};

use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};
use redeemdesk::domain::Locale;
use redeemdesk::i18n::{Localizer, Msg, SOURCES, messages};

fn variables(pattern: &Pattern<&str>, out: &mut BTreeSet<String>) {
    for element in &pattern.elements {
        if let PatternElement::Placeable { expression } = element {
            expression_variables(expression, out);
        }
    }
}

fn expression_variables(e: &Expression<&str>, out: &mut BTreeSet<String>) {
    match e {
        Expression::Inline(i) => inline_variables(i, out),
        Expression::Select { selector, variants } => {
            inline_variables(selector, out);
            for v in variants {
                variables(&v.value, out);
            }
        }
    }
}

fn inline_variables(e: &InlineExpression<&str>, out: &mut BTreeSet<String>) {
    match e {
        InlineExpression::VariableReference { id } => {
            out.insert(id.name.to_owned());
        }
        InlineExpression::Placeable { expression } => expression_variables(expression, out),
        _ => {}
    }
}

/// message id → variable names, per locale file.
fn parse_locale(file: &str, text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let resource = fluent_syntax::parser::parse(text).unwrap_or_else(|(_, errors)| panic!("{file}: {errors:?}"));
    let mut out = BTreeMap::new();
    for entry in &resource.body {
        match entry {
            Entry::Message(m) => {
                let mut vars = BTreeSet::new();
                if let Some(value) = &m.value {
                    variables(value, &mut vars);
                }
                assert!(
                    out.insert(m.id.name.to_owned(), vars).is_none(),
                    "{file}: {} defined twice",
                    m.id.name
                );
            }
            Entry::Term(t) => panic!("{file}: term -{} is not used by the code", t.id.name),
            Entry::Junk { content } => panic!("{file}: unparsable: {content}"),
            _ => {}
        }
    }
    out
}

#[test]
fn every_message_exists_in_both_locales_with_the_same_variables() {
    let expected: BTreeMap<String, BTreeSet<String>> = messages::ALL
        .iter()
        .map(|d| (d.id.to_owned(), d.args.iter().map(|a| a.to_string()).collect()))
        .collect();
    assert_eq!(
        expected.len(),
        messages::ALL.len(),
        "a message id is declared twice in i18n/messages.rs"
    );
    for locale in Locale::ALL {
        let mut defined = BTreeMap::new();
        for (l, file, text) in SOURCES {
            if *l == locale {
                defined.extend(parse_locale(file, text));
            }
        }
        for (id, vars) in &expected {
            let got = defined
                .get(id)
                .unwrap_or_else(|| panic!("{locale}: message {id} is missing"));
            assert_eq!(
                got, vars,
                "{locale}: message {id} has variables {got:?}, the code passes {vars:?}"
            );
        }
        let orphans: Vec<_> = defined.keys().filter(|id| !expected.contains_key(*id)).collect();
        assert!(orphans.is_empty(), "{locale}: messages no code uses: {orphans:?}");
    }
}

#[test]
fn every_message_renders_cleanly_in_both_locales() {
    let localizer = Localizer::builtin();
    for locale in Locale::ALL {
        for def in messages::ALL {
            let mut msg = Msg::new(*def);
            for arg in def.args {
                msg = msg.arg(arg, format!("<{arg}>"));
            }
            let text = localizer.render(locale, &msg);
            assert!(!text.trim().is_empty(), "{locale}: {} renders empty", def.id);
            assert_ne!(text, def.id, "{locale}: {} is missing", def.id);
            for arg in def.args {
                assert!(
                    text.contains(&format!("<{arg}>")),
                    "{locale}: {} does not show ${arg}: {text}",
                    def.id
                );
            }
            assert!(
                !text.contains('\u{2068}'),
                "{locale}: {}: isolation marks leak into chat text",
                def.id
            );
        }
    }
}

#[test]
fn code_refers_to_messages_only_through_the_catalog() {
    // A Fluent id written as a string literal elsewhere would escape the checks above.
    let ids: Vec<&str> = messages::ALL.iter().map(|d| d.id).collect();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.ends_with("i18n/messages.rs") || path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for id in &ids {
                // Ids that are also ordinary words (e.g. "greeting") only count inside Msg::new.
                let literal = format!("Msg::new(\"{id}\"");
                assert!(
                    !text.contains(&literal),
                    "{}: use the catalog constant for {id}",
                    path.display()
                );
            }
        }
    }
}
