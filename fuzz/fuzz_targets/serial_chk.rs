//! Serial numbers and CHK codes as customers type them, alone and inside a
//! sentence.
#![no_main]

use libfuzzer_sys::fuzz_target;
use redeemdesk::assistant::serial::find;
use redeemdesk::domain::serial::match_key;
use redeemdesk::domain::{ChkCode, SerialNumber};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(serial) = SerialNumber::parse(text) {
        // A parsed serial reads back as itself, and folds as its printed form does.
        assert_eq!(SerialNumber::parse(serial.as_str()).as_ref(), Ok(&serial));
        assert_eq!(serial.match_key(), match_key(serial.as_str()));
    }
    if let Ok(chk) = ChkCode::parse(text) {
        assert_eq!(ChkCode::parse(chk.as_str()).as_ref(), Ok(&chk));
        assert_eq!(chk.as_str().len(), 3);
    }
    let (serial, chk) = find(text);
    if let Some(serial) = serial {
        assert!(SerialNumber::parse(serial.as_str()).is_ok());
    }
    if let Some(chk) = chk {
        assert!(ChkCode::parse(chk.as_str()).is_ok());
    }
});
