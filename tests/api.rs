//! The public surface itself: thread safety, the sentences types print, and conversions.

use promo_attribution::conflicts::{Availability, Collision, Conflict};
use promo_attribution::monitoring::{PageScanner, Sighting, SightingCheck, Violation};
use promo_attribution::reports::{ActionRow, LeakAlert, LeakMonitor, PerformanceReport};
use promo_attribution::{
    Attribution, BulkError, Catalog, Code, CodeId, Conversion, Decision, Engine, EnteredCodes,
    Error, InvalidReason, MemoryUsage, Outcome, PartnerId, Registry, Settings, Timestamp, Via,
    Window,
};

fn assert_thread_safe<T: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}

#[test]
fn public_types_are_send_sync_and_unwind_safe() {
    assert_thread_safe::<Engine>();
    assert_thread_safe::<Registry>();
    assert_thread_safe::<Decision>();
    assert_thread_safe::<Attribution>();
    assert_thread_safe::<Catalog>();
    assert_thread_safe::<Conversion<'static>>();
    assert_thread_safe::<EnteredCodes<'static>>();
    assert_thread_safe::<Error>();
    assert_thread_safe::<BulkError>();
    assert_thread_safe::<Code>();
    assert_thread_safe::<Settings>();
    assert_thread_safe::<Timestamp>();
    assert_thread_safe::<Window>();
    assert_thread_safe::<PageScanner>();
    assert_thread_safe::<PerformanceReport>();
    assert_thread_safe::<LeakMonitor>();
    assert_thread_safe::<ActionRow>();
    assert_thread_safe::<Availability>();
    assert_thread_safe::<Conflict>();
    assert_thread_safe::<Sighting<'static>>();
    assert_thread_safe::<SightingCheck>();
    assert_thread_safe::<MemoryUsage>();
    #[cfg(feature = "csv")]
    assert_thread_safe::<promo_attribution::bulk::Upload>();
}

#[test]
fn outcomes_and_reasons_print_as_sentences_and_names() {
    let cases = [
        (
            Outcome::Credited {
                partner: PartnerId(1),
                via: Via::Code(CodeId(10)),
            },
            "credited partner 1 via code 10",
        ),
        (
            Outcome::Credited {
                partner: PartnerId(2),
                via: Via::Click,
            },
            "credited partner 2 via click",
        ),
        (
            Outcome::Invalid {
                partner: PartnerId(2),
                reason: InvalidReason::PartnerNotActive,
            },
            "invalid for partner 2: partner_not_active",
        ),
        (Outcome::Unattributed, "unattributed"),
    ];
    for (outcome, shown) in cases {
        assert_eq!(outcome.to_string(), shown);
    }
    for reason in [
        InvalidReason::CodeOwnedByOtherPartner,
        InvalidReason::RestrictedCode,
        InvalidReason::PartnerNotActive,
    ] {
        assert_eq!(reason.to_string(), reason.as_str());
    }
    for violation in [
        Violation::Restricted,
        Violation::NotAuthorized,
        Violation::Expired,
    ] {
        assert_eq!(violation.to_string(), violation.as_str());
    }
}

#[test]
fn leak_alerts_print_as_sentences() {
    let day = Timestamp::from_unix_seconds(1_773_100_800);
    let cases = [
        (
            LeakAlert::NoOwnerClick {
                code: CodeId(10),
                owner: PartnerId(1),
                uses: 30,
                without_owner_click: 28,
            },
            "code 10 of partner 1: 28 of 30 uses without a click by the owner",
        ),
        (
            LeakAlert::UsageSpike {
                code: CodeId(10),
                day,
                uses: 45,
                baseline: 3.125,
            },
            "code 10: 45 uses on the day from 2026-03-10T00:00:00Z, against a baseline of 3.1 a day",
        ),
        (
            LeakAlert::UnknownCodeBurst {
                hour: day,
                unknown: 120,
                baseline: 4.25,
            },
            "120 unknown codes in the hour from 2026-03-10T00:00:00Z, against a baseline of 4.2 an hour",
        ),
    ];
    for (alert, shown) in cases {
        assert_eq!(alert.to_string(), shown);
    }
}

#[test]
fn timestamps_convert_to_and_from_jiff() {
    let t: Timestamp = "2026-03-10T12:00:00.250Z".parse().unwrap();
    let j = jiff::Timestamp::from(t);
    assert_eq!(j.to_string(), "2026-03-10T12:00:00.25Z");
    assert_eq!(Timestamp::from(j), t);
    assert_eq!(format!("{t:?}"), "Timestamp(2026-03-10T12:00:00.250Z)");
}

#[test]
fn collisions_and_conflicts_print_what_they_are() {
    let collision = Collision::Regex {
        code: CodeId(2),
        owner: PartnerId(2),
        example: "SUMMER26".into(),
    };
    assert_eq!(
        collision.to_string(),
        r#"regex code 2 of partner 2 matches "SUMMER26""#
    );
    let conflict = Conflict::RegexOverlap {
        winner: CodeId(1),
        loser: CodeId(2),
        example: "P0000".into(),
    };
    assert_eq!(
        conflict.to_string(),
        r#"regex codes 1 and 2 of different partners both match "P0000"; code 1 wins it"#
    );
}

#[cfg(feature = "serde")]
#[test]
fn what_a_code_request_page_serves_serialises() {
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(1), "JANE15", PartnerId(1)))
        .unwrap();
    registry
        .add(Code::tracking(CodeId(2), r"^J\w+$", PartnerId(2)).regex())
        .unwrap();
    let engine = registry.compile().unwrap();
    let availability = engine
        .check_available("jane15", PartnerId(3), Window::ALWAYS)
        .unwrap();
    assert_eq!(
        serde_json::to_value(&availability).unwrap(),
        serde_json::json!({"collisions": [
            {"kind": "exact", "code": 1, "owner": 1},
            {"kind": "regex", "code": 2, "owner": 2, "example": "JANE15"},
        ]})
    );
    assert_eq!(
        serde_json::to_value(engine.conflicts()).unwrap(),
        serde_json::json!([
            {"kind": "exact_shadows_regex", "exact": 1, "regex": 2, "example": "JANE15"},
        ])
    );
    let usage = serde_json::to_value(engine.memory_usage()).unwrap();
    assert!(usage["exact_index"].as_u64().unwrap() > 0, "{usage}");
}

#[cfg(feature = "csv")]
#[test]
fn a_failing_writer_is_an_io_error_with_its_source() {
    use promo_attribution::bulk::export_csv_to;
    use promo_attribution::{ErrorKind, ProgramId};

    struct Broken;
    impl std::io::Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(1), "SAVE10", PartnerId(1)))
        .unwrap();
    let err = export_csv_to(Broken, [(ProgramId(1), &registry)]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert_eq!(err.to_string(), "writing failed: disk full");
    assert_eq!(err.io_kind(), Some(std::io::ErrorKind::Other));
}

#[test]
fn instants_move_by_durations_and_saturate() {
    use std::time::Duration;
    let t = Timestamp::from_unix_seconds(100);
    assert_eq!(
        t + Duration::from_millis(1_500),
        Timestamp::from_unix_millis(101_500)
    );
    assert_eq!(
        t - Duration::from_secs(200),
        Timestamp::from_unix_seconds(-100)
    );
    assert_eq!(Timestamp::MIN - Duration::from_secs(1), Timestamp::MIN);
    assert_eq!(Timestamp::MAX + Duration::MAX, Timestamp::MAX);
}
