//! Instants from text: never a panic; what parses prints back as text that parses to the same
//! instant, and jiff (read on its own) reads it too; and against jiff, differentially: any text
//! of at most 100 bytes that jiff reads as an instant in range reads here as that instant,
//! floored to the millisecond (towards the past, before the epoch too), and one out of range or
//! unread is an error here as well.

#![no_main]

use libfuzzer_sys::fuzz_target;
use promo_attribution::Timestamp;

fuzz_target!(|text: &str| {
    let ours = text.parse::<Timestamp>();
    if text.len() <= 100 {
        let expected = text.parse::<jiff::Timestamp>().ok().and_then(|t| {
            let millis = i64::try_from(t.as_nanosecond().div_euclid(1_000_000)).ok()?;
            let (min, max) = (
                Timestamp::MIN.as_unix_millis(),
                Timestamp::MAX.as_unix_millis(),
            );
            (min..=max).contains(&millis).then_some(millis)
        });
        assert_eq!(
            ours.as_ref().ok().map(|t| t.as_unix_millis()),
            expected,
            "{text:?}"
        );
    }
    let Ok(at) = ours else {
        return;
    };
    let printed = at.to_string();
    assert_eq!(
        printed.parse::<Timestamp>().ok(),
        Some(at),
        "{text:?} printed {printed:?}"
    );
    let by_jiff = printed
        .parse::<jiff::Timestamp>()
        .unwrap_or_else(|e| panic!("{text:?} printed {printed:?}, which jiff does not read: {e}"));
    assert_eq!(by_jiff.as_millisecond(), at.as_unix_millis(), "{printed:?}");
    assert!(Timestamp::MIN <= at && at <= Timestamp::MAX);
});
