//! Histories a host builds in a hostile order (events latest first, chains of transfers, codes
//! added one at a time) are recorded and refreshed at the cost of each change.

use promo_attribution::{
    Click, Code, CodeId, Conversion, Outcome, PartnerId, Registry, Settings, Timestamp,
};

/// A batch of events in reverse time order used to insert each at the front, shifting all the
/// others. They are appended and sorted once now; the order among events at one instant is
/// still the order they were applied in, and a failed batch still leaves nothing behind.
#[test]
fn lifecycle_events_out_of_order_are_recorded_in_time_order() {
    use promo_attribution::{Change, Lifecycle};
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(1), "SAVE10", PartnerId(1)))
        .unwrap();
    let n = 100_000i64;
    let changes: Vec<Change> = (0..n)
        .rev()
        .map(|i| {
            let at = Timestamp::from_unix_seconds(i);
            if i % 2 == 0 {
                Change::Expire {
                    code: CodeId(1),
                    at,
                }
            } else {
                Change::Reactivate {
                    code: CodeId(1),
                    at,
                }
            }
        })
        .collect();
    registry.apply(changes).unwrap();
    let events: Vec<promo_attribution::LifecycleEvent> =
        registry.events(CodeId(1)).unwrap().collect();
    assert_eq!(events.len(), n as usize);
    assert!(events.windows(2).all(|w| w[0].at < w[1].at));
    assert_eq!(events[0].action, Lifecycle::Expire);

    // Two events at one instant, applied out of order with the rest: the later one wins.
    let at = Timestamp::from_unix_seconds(10);
    registry
        .apply([
            Change::Reactivate {
                code: CodeId(1),
                at,
            },
            Change::Expire {
                code: CodeId(1),
                at: Timestamp::from_unix_seconds(5),
            },
            Change::Expire {
                code: CodeId(1),
                at,
            },
        ])
        .unwrap();
    let at_ten: Vec<Lifecycle> = registry
        .events(CodeId(1))
        .unwrap()
        .filter(|e| e.at == at)
        .map(|e| e.action)
        .collect();
    assert_eq!(
        at_ten,
        [Lifecycle::Expire, Lifecycle::Reactivate, Lifecycle::Expire]
    );

    // A failed batch takes back the events it appended, out of order or not.
    let before: Vec<promo_attribution::LifecycleEvent> =
        registry.events(CodeId(1)).unwrap().collect();
    let failed = registry.apply([
        Change::Expire {
            code: CodeId(1),
            at: Timestamp::from_unix_seconds(3),
        },
        Change::Expire {
            code: CodeId(404),
            at,
        },
    ]);
    assert!(failed.is_err());
    assert!(registry.events(CodeId(1)).unwrap().eq(before));
}

/// Events applied one call at a time, latest first: each landed before all the others, and
/// the code's list was sorted again per call (25 s for 100,000 in release). Each is recorded in
/// place now, and an engine brought up to date after each one agrees with a fresh compile.
#[test]
fn single_events_latest_first_are_recorded_in_place() {
    use promo_attribution::Lifecycle;
    use promo_attribution::decision::CodeState;
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(1), "SAVE10", PartnerId(1)))
        .unwrap();
    let mut engine = registry.compile().unwrap();
    let n = 40_000i64;
    for i in (0..n).rev() {
        let at = Timestamp::from_unix_seconds(i);
        if i % 2 == 0 {
            registry.expire(CodeId(1), at).unwrap();
        } else {
            registry.reactivate(CodeId(1), at).unwrap();
        }
        if i % 1_000 == 0 {
            engine = registry.refresh(&engine).unwrap();
        }
    }
    let events: Vec<_> = registry.events(CodeId(1)).unwrap().collect();
    assert_eq!(events.len(), n as usize);
    assert!(events.windows(2).all(|w| w[0].at < w[1].at));
    assert_eq!(events[0].action, Lifecycle::Expire);
    let compiled = registry.compile().unwrap();
    for s in [0, 1, 2, 20_001, n - 1, n + 5] {
        let at = Timestamp::from_unix_seconds(s);
        let expected = if s % 2 == 0 && s < n {
            CodeState::Expired
        } else {
            CodeState::Active
        };
        assert_eq!(engine.state(CodeId(1), at), Some(expected), "at {s}");
        assert_eq!(compiled.state(CodeId(1), at), Some(expected), "at {s}");
    }
}

/// A chain of transfers of one code, each brought into an engine: the refresh rebuilt the
/// code's whole timeline every time (1.6 s for 10,000). It folds in the one new change now,
/// into lists shared in chunks with the engine before; a transfer recorded before the others
/// builds them again, and both agree with a fresh compile.
#[test]
fn a_chain_of_transfers_refreshes_at_the_cost_of_each() {
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(1), "SAVE10", PartnerId(1)))
        .unwrap();
    let mut engine = registry.compile().unwrap();
    let n = 20_000u64;
    let second = |i: u64| Timestamp::from_unix_seconds(1_000 + i as i64);
    for i in 0..n {
        registry
            .transfer(CodeId(1), PartnerId(100 + i), second(i))
            .unwrap();
        engine = registry.refresh(&engine).unwrap();
    }
    // One out of order, and one at the instant of the last.
    registry
        .transfer(CodeId(1), PartnerId(7), second(10))
        .unwrap();
    registry
        .transfer(CodeId(1), PartnerId(8), second(n - 1))
        .unwrap();
    let engine = registry.refresh(&engine).unwrap();
    let compiled = registry.compile().unwrap();
    for (s, owner) in [
        (0, 1),
        (1_000, 100),
        (1_010, 7),
        (1_011, 111),
        (1_000 + n - 1, 8),
    ] {
        let at = Timestamp::from_unix_seconds(s as i64);
        assert_eq!(
            engine.owner_at(CodeId(1), at),
            Some(PartnerId(owner)),
            "at {s}"
        );
        assert_eq!(
            compiled.owner_at(CodeId(1), at),
            Some(PartnerId(owner)),
            "at {s}"
        );
    }
}

/// With the clicks of always-owners ignored, each transfer went over every code the partner
/// ever held to compute its periods again (5.9 ms a transfer at 100,000 codes). Each code's
/// spans move in and out of a count now; the clicks left out are the same as after a fresh
/// compile.
#[test]
fn transfers_among_many_always_codes_of_one_owner_move_only_their_spans() {
    use promo_attribution::CreditPolicy;
    use promo_attribution::settings::AlwaysOwnerClicks;
    let mut settings = Settings::default();
    settings.always_owner_clicks = AlwaysOwnerClicks::Ignore;
    let mut registry = Registry::new(settings);
    let n = 20_000u64;
    registry
        .add_all((0..n).map(|i| {
            Code::tracking(CodeId(i), format!("OWNED{i}"), PartnerId(1))
                .credit(CreditPolicy::Always)
        }))
        .unwrap();
    let mut engine = registry.compile().unwrap();
    let at = Timestamp::from_unix_seconds(1_000);
    // All but one of partner 1's codes go to partner 2, one call and one refresh each.
    for i in 1..n {
        registry.transfer(CodeId(i), PartnerId(2), at).unwrap();
        if i % 4 == 0 || i == n - 1 {
            engine = registry.refresh(&engine).unwrap();
        }
    }
    // Then the last one to partner 3, from a later instant.
    let later = Timestamp::from_unix_seconds(2_000);
    registry.transfer(CodeId(0), PartnerId(3), later).unwrap();
    let engine = registry.refresh(&engine).unwrap();
    let compiled = registry.compile().unwrap();
    for (s, clicker, ignored) in [
        (500, 1, true),
        (1_500, 1, true),
        (2_500, 1, false),
        (500, 2, false),
        (1_500, 2, true),
        (2_500, 3, true),
        (1_500, 3, false),
    ] {
        let t = Timestamp::from_unix_seconds(s);
        let clicks = [Click::new(
            PartnerId(clicker),
            Timestamp::from_unix_seconds(s - 1),
        )];
        let order = Conversion::new(t).clicks(&clicks);
        let decision = engine.attribute(&order);
        assert_eq!(
            decision,
            compiled.attribute(&order),
            "at {s}, clicks of {clicker}"
        );
        let credited_by_click = matches!(
            decision.outcome(),
            Outcome::Credited { partner, .. } if partner == PartnerId(clicker)
        );
        assert_eq!(
            !credited_by_click, ignored,
            "at {s}, clicks of {clicker}: {decision}"
        );
    }
}

/// Codes added one at a time, each brought into an engine: every refresh indexed all the codes
/// added since the last full compile again (8.5 ms for one refresh after 12,000 steps). They go
/// into matchers of halving sizes now, each code indexed again a logarithmic number of times;
/// regex codes added later still outrank by priority across them, and removed ones stay out.
#[test]
fn codes_added_one_at_a_time_are_indexed_a_few_times_each() {
    let mut registry = Registry::default();
    registry
        .add_all(
            (0..70_000u64).map(|i| Code::tracking(CodeId(i), format!("BASE{i}"), PartnerId(1))),
        )
        .unwrap();
    registry
        .add(Code::tracking(CodeId(900_000), r"^SPRING\d+$", PartnerId(2)).regex())
        .unwrap();
    let mut engine = registry.compile().unwrap();
    let n = 8_000u64;
    for i in 0..n {
        let id = CodeId(100_000 + i);
        if i % 100 == 7 {
            let code = Code::tracking(id, format!(r"^SPRING{i}\d*$"), PartnerId(10 + i))
                .regex()
                .priority(i as i32 % 5);
            registry.add(code).unwrap();
        } else {
            registry
                .add(Code::tracking(id, format!("ADDED{i}"), PartnerId(10 + i)))
                .unwrap();
        }
        if i % 1_000 == 3 {
            registry
                .remove(CodeId(100_000 + i - 1), Timestamp::UNIX_EPOCH)
                .ok();
        }
        let plan = registry.refresh_plan(&engine);
        assert!(!plan.compiles_in_full(), "{plan:?} after {i} codes added");
        engine = registry.refresh(&engine).unwrap();
    }
    let compiled = registry.compile().unwrap();
    let at = Timestamp::from_unix_seconds(1_000);
    for text in [
        "ADDED0",
        "ADDED1002",
        "ADDED7999",
        "BASE5",
        "SPRING107",
        "SPRING7",
        "SPRING9",
    ] {
        let codes = [text];
        let order = Conversion::new(at).codes(&codes);
        assert_eq!(
            engine.attribute(&order),
            compiled.attribute(&order),
            "{text}"
        );
    }
}

/// A schedule of codes sharing one text (one a day): the exact index places each after the
/// last of its text instead of probing past all of them, and each order finds the one in
/// effect.
#[test]
fn many_exact_codes_sharing_one_text_compile_and_resolve() {
    use promo_attribution::decision::CodeHit;
    use promo_attribution::{Conversion, Window};
    let day = 86_400;
    let n = 5_000i64;
    let mut registry = Registry::default();
    let codes: Vec<Code> = (0..n)
        .map(|i| {
            Code::tracking(CodeId(i as u64), "DAILY", PartnerId(1 + i as u64 % 7))
                .window(Window {
                    from: Some(Timestamp::from_unix_seconds(i * day)),
                    until: Some(Timestamp::from_unix_seconds((i + 1) * day)),
                })
                .into()
        })
        .collect();
    registry.add_all(codes).unwrap();
    let engine = registry.compile().unwrap();
    for i in [0, 1, 2_500, n - 1] {
        let at = Timestamp::from_unix_seconds(i * day + 3_600);
        let decision = engine.attribute(&Conversion::new(at).codes(&["daily"]));
        assert_eq!(decision.entered()[0], CodeHit::Matched(CodeId(i as u64)));
    }
}
