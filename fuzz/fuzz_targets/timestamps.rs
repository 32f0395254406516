//! Instants from text: never a panic, and what parses prints back as text that parses to the
//! same instant.

#![no_main]

use libfuzzer_sys::fuzz_target;
use promo_attribution::Timestamp;

fuzz_target!(|text: &str| {
    let Ok(at) = text.parse::<Timestamp>() else {
        return;
    };
    let printed = at.to_string();
    assert_eq!(
        printed.parse::<Timestamp>().ok(),
        Some(at),
        "{text:?} printed {printed:?}"
    );
    assert!(Timestamp::MIN <= at && at <= Timestamp::MAX);
});
