//! The import file (`redeemdesk import FILE`): any JSON document is read and
//! checked without panicking; a set it accepts satisfies what it checked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use redeemdesk::domain::CategoryCatalog;
use redeemdesk::import::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let _ = parse(&doc, &CategoryCatalog::new(Vec::new()));
});
