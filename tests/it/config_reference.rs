//! `docs/operations.md`'s configuration reference against `src/config.rs`:
//! every key of every section listed, nothing listed that does not exist, each
//! default in backquotes the built-in one, each `unset` key optional in the code.

use std::collections::BTreeMap;
use std::path::Path;

use redeemdesk::config::Config;

/// The type of each `pub` field of `pub struct NAME { … }` in `source`.
fn fields(source: &str, name: &str) -> BTreeMap<String, String> {
    let start = source
        .find(&format!("pub struct {name} {{"))
        .unwrap_or_else(|| panic!("src/config.rs has no `pub struct {name}`"));
    let body = &source[start..];
    let body = &body[..body.find("\n}").expect("the struct's end")];
    body.lines()
        .skip(1)
        .filter_map(|line| line.trim().strip_prefix("pub "))
        .filter_map(|field| field.split_once(':'))
        .map(|(key, ty)| (key.trim().to_string(), ty.trim().trim_end_matches(',').to_string()))
        .collect()
}

/// `section.key` → field type, for every key the configuration accepts.
fn keys_in_code() -> BTreeMap<String, String> {
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/config.rs")).unwrap();
    let mut keys = BTreeMap::new();
    for (section, ty) in fields(&source, "Config") {
        for (key, field_ty) in fields(&source, &ty) {
            keys.insert(format!("{section}.{key}"), field_ty);
        }
    }
    keys
}

/// `section.key` → the default column, from the reference table.
fn keys_in_docs() -> BTreeMap<String, String> {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/operations.md")).unwrap();
    let start = doc.find("## Configuration reference").expect("the section");
    let section = &doc[start + 2..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let mut keys = BTreeMap::new();
    for line in section.lines() {
        let cells: Vec<&str> = line
            .split(" | ")
            .map(|c| c.trim_matches(|c| c == '|' || c == ' '))
            .collect();
        let [key, default, _meaning, ..] = cells.as_slice() else {
            continue;
        };
        let Some(key) = key.strip_prefix('`').and_then(|k| k.strip_suffix('`')) else {
            continue;
        };
        let previous = keys.insert(key.to_string(), default.to_string());
        assert!(previous.is_none(), "{key} is listed twice");
    }
    keys
}

fn env_name(key: &str) -> String {
    let (section, field) = key.split_once('.').unwrap();
    format!("REDEEMDESK_{}__{}", section.to_uppercase(), field.to_uppercase())
}

#[test]
fn the_reference_lists_exactly_the_keys_in_the_code() {
    let code = keys_in_code();
    let docs = keys_in_docs();
    assert!(
        code.len() > 50,
        "the parser found only {} keys: has src/config.rs changed shape?",
        code.len()
    );
    let missing: Vec<&String> = code.keys().filter(|k| !docs.contains_key(*k)).collect();
    let extra: Vec<&String> = docs.keys().filter(|k| !code.contains_key(*k)).collect();
    assert!(missing.is_empty(), "keys not in docs/operations.md: {missing:?}");
    assert!(
        extra.is_empty(),
        "docs/operations.md lists keys the code does not have: {extra:?}"
    );
}

#[test]
fn each_documented_default_is_the_built_in_one() {
    let code = keys_in_code();
    let built_in = format!("{:?}", Config::load_from(None, Vec::new()).unwrap());
    for (key, default) in keys_in_docs() {
        let ty = &code[&key];
        match default.as_str() {
            "unset" => assert!(ty.starts_with("Option<"), "{key} is documented unset but is a {ty}"),
            "empty" => assert!(ty.starts_with("Vec<"), "{key} is documented empty but is a {ty}"),
            literal => {
                let value = literal
                    .strip_prefix('`')
                    .and_then(|v| v.strip_suffix('`'))
                    .unwrap_or_else(|| panic!("{key}: the default {literal:?} is not `value`, unset or empty"));
                let set = Config::load_from(None, vec![(env_name(&key), value.to_string())])
                    .unwrap_or_else(|e| panic!("{key} = {value:?} does not load: {e}"));
                assert_eq!(
                    format!("{set:?}"),
                    built_in,
                    "{key}: the documented default {value:?} is not the built-in one"
                );
            }
        }
    }
}

#[test]
fn a_wrong_default_would_be_caught() {
    // The comparison above sees a single changed value.
    let built_in = format!("{:?}", Config::load_from(None, Vec::new()).unwrap());
    let changed = Config::load_from(None, vec![(env_name("smtp.pool_size"), "5".to_string())]).unwrap();
    assert_ne!(format!("{changed:?}"), built_in);
}
