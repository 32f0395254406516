//! The compact binary snapshot: it gives back the registry it was written from, the trusting
//! read gives what the validating one gives, and damage is an error, never another registry.

use promo_attribution::{Code, CodeId, ErrorKind, PartnerId, Registry, Timestamp, Window};
use proptest::prelude::*;

use crate::properties::{attribute, build, clicks_of, order, program};

/// Everything a registry holds, in a comparable form.
fn contents(registry: &Registry) -> impl PartialEq + std::fmt::Debug {
    let mut contracts: Vec<_> = registry.contracts().collect();
    contracts.sort_by_key(|(p, _)| *p);
    let codes: Vec<_> = registry
        .codes()
        .map(|c| {
            let terms: Vec<_> = (0..12)
                .map(|step| registry.terms_at(c.id(), Timestamp::from_unix_seconds(step * 10)))
                .collect();
            (
                c.clone(),
                registry.events(c.id()).unwrap().collect::<Vec<_>>(),
                terms,
            )
        })
        .collect();
    (
        registry.settings().clone(),
        codes,
        contracts,
        registry.exception_lists().cloned().collect::<Vec<_>>(),
        registry.revision(),
        registry.history().to_vec(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn snapshots_read_back_the_same_registry_both_ways(
        program in program(),
        orders in prop::collection::vec(order(), 1..4),
    ) {
        let registry = build(&program);
        let bytes = registry.to_bytes();
        let trusted = Registry::from_bytes(&bytes).unwrap();
        let validated = Registry::from_bytes_validated(&bytes).unwrap();
        prop_assert_eq!(contents(&trusted), contents(&registry));
        prop_assert_eq!(contents(&validated), contents(&registry));
        prop_assert_eq!(trusted.to_bytes(), bytes.clone());
        prop_assert_eq!(validated.to_bytes(), bytes.clone());
        // Through JSON too: the history shares each code still as added, as the original's
        // does, so the binary snapshot is the same bytes.
        #[cfg(feature = "serde")]
        {
            let json = serde_json::to_string(&registry).unwrap();
            let json: Registry = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(json.to_bytes(), bytes.clone());
        }
        let (engine, back) = (registry.compile().unwrap(), trusted.compile().unwrap());
        for order in &orders {
            let clicks = clicks_of(order);
            prop_assert_eq!(attribute(&back, order, &clicks), attribute(&engine, order, &clicks));
        }
        // Removed codes keep their ids retired.
        let mut trusted = trusted;
        for id in (0..14).map(CodeId) {
            if registry.get(id).is_none() && registry.history().iter().any(|e| e.code_id() == Some(id)) {
                let err = trusted.add(Code::tracking(id, "ZZZ", PartnerId(1))).unwrap_err();
                prop_assert_eq!(err.kind(), ErrorKind::DuplicateId);
            }
        }
    }

    #[test]
    fn damage_is_an_error_never_another_registry(
        program in program(),
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let registry = build(&program);
        let bytes = registry.to_bytes();
        let cut = cut.index(bytes.len());
        let err = Registry::from_bytes(&bytes[..cut]).unwrap_err();
        prop_assert_eq!(err.kind(), ErrorKind::InvalidSnapshot);
        let mut flipped = bytes.clone();
        flipped[flip.index(bytes.len())] ^= 1 << bit;
        prop_assert_eq!(Registry::from_bytes(&flipped).unwrap_err().kind(), ErrorKind::InvalidSnapshot);
        prop_assert_eq!(Registry::from_bytes_validated(&flipped).unwrap_err().kind(), ErrorKind::InvalidSnapshot);
    }
}

#[test]
fn another_format_or_no_snapshot_at_all_says_so() {
    let mut registry = Registry::default();
    registry
        .add(
            Code::tracking(CodeId(1), "SAVE10", PartnerId(1))
                .window(Window::between(Timestamp::MIN, Timestamp::MAX)),
        )
        .unwrap();
    let mut bytes = registry.to_bytes();
    assert_eq!(
        Registry::from_bytes(&bytes).unwrap().get(CodeId(1)),
        registry.get(CodeId(1))
    );
    bytes[8] = 9;
    let err = Registry::from_bytes(&bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid snapshot: snapshot format 9 is not one this version reads (it reads formats 1 to 4)"
    );
    let err = Registry::from_bytes(b"{\"format\": 2}").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid snapshot: not a registry snapshot (no PROMOREG header)"
    );
}

/// A snapshot written by the previous version (format 2, before the per-order limits of SPEC
/// §12) reads back with the limits at their defaults and everything else as written:
/// `tests/data/format2.snapshot` holds codes 10 (`BOB15`, expired on 2026-05-01), 11
/// (`^SUMMER\d+$`) and 12 (restricted `STAFF`), under first-click settings that lock after 45
/// days with clawback.
#[test]
fn a_snapshot_of_the_previous_format_reads_with_default_limits() {
    use promo_attribution::Settings;
    use promo_attribution::settings::{Clawback, ClickWinner};
    let registry = Registry::from_bytes(include_bytes!("data/format2.snapshot")).unwrap();
    let mut expected = Settings::default();
    expected.click_winner = ClickWinner::FirstClick;
    expected.lock_after = Some(std::time::Duration::from_secs(45 * 86_400));
    expected.clawback = Clawback::Enabled;
    assert_eq!(registry.settings(), &expected);
    assert_eq!(registry.len(), 3);
    assert_eq!(registry.revision(), 4);
    assert_eq!(registry.get(CodeId(11)).unwrap().text(), r"^SUMMER\d+$");
    assert_eq!(registry.events(CodeId(10)).unwrap().len(), 1);
    // Written again, it is the current format, and reads back the same.
    let again = Registry::from_bytes(&registry.to_bytes()).unwrap();
    assert_eq!(contents(&again), contents(&registry));
}
