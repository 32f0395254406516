//! Hostile input (issue 15): what an attacker or a careless brand hands the crate stays cheap,
//! and what the crate says about it stays short and unambiguous.

use crate::attribution::{by_click, by_code};
use promo_attribution::decision::{CodeHit, NotChosen, OtherMatch};
use promo_attribution::{
    Click, Code, CodeId, Conversion, ExceptionList, InvalidReason, Outcome, PartnerId, Payout,
    Registry, Settings, Timestamp, Via,
};

/// A cell or code of a megabyte.
fn huge() -> String {
    "A".repeat(1 << 20)
}

/// A message about a huge input quotes at most about a hundred characters of it.
fn assert_short(message: &str) {
    assert!(
        message.len() < 500,
        "{} bytes: {}…",
        message.len(),
        &message[..600.min(message.len())]
    );
}

#[test]
fn messages_quote_at_most_a_hundred_characters_of_the_input() {
    let mut registry = Registry::default();
    let err = registry
        .add(Code::tracking(CodeId(1), huge(), PartnerId(1)))
        .unwrap_err();
    assert_short(&err.to_string());
    assert!(
        err.to_string().contains(&format!("({} bytes)", 1 << 20)),
        "{err}"
    );

    let err = registry
        .add(Code::tracking(CodeId(2), format!("({}", huge()), PartnerId(1)).regex())
        .unwrap_err();
    assert_short(&err.to_string());

    let err = huge().parse::<Timestamp>().unwrap_err();
    assert_short(&err.to_string());
    let err = format!("2026-03-10T12:00:00Z{}", huge())
        .parse::<Timestamp>()
        .unwrap_err();
    assert_short(&err.to_string());

    let err = registry
        .add_exception_list(ExceptionList::new(huge(), Payout::Fixed(0)).match_expression("("))
        .unwrap_err();
    assert_short(&err.to_string());
}

#[cfg(feature = "csv")]
#[test]
fn bulk_messages_quote_at_most_a_hundred_characters_of_a_cell() {
    use promo_attribution::bulk::Upload;
    const HEADER: &str = "Promo Code,Program Id,Media Id,Type,Credit Rule,Match Mode,Deal Id,\
                          Active Start Date,Active End Date,Timezone";
    let empty = Registry::default();
    let big = huge();
    let rows = [
        format!("{big},1,2,TRACKING,ALWAYS,LI,,,,"),
        format!("SAVE,{big},2,TRACKING,ALWAYS,LI,,,,"),
        format!("SAVE,1,2,{big},ALWAYS,LI,,,,"),
        format!("SAVE,1,2,TRACKING,ALWAYS,LI,,{big},,"),
        format!("SAVE,1,2,TRACKING,ALWAYS,LI,,2026-03-10T12:00:00{big},,"),
        format!("SAVE,1,2,TRACKING,ALWAYS,LI,,,,{big}"),
    ];
    for row in &rows {
        let upload = Upload::review(format!("{HEADER}\n{row}\n"), |_| Some(&empty));
        assert!(!upload.problems().is_empty());
        for problem in upload.problems() {
            assert_short(&problem.to_string());
        }
    }
    let upload = Upload::review(
        format!("{HEADER},{big}\nSAVE,1,2,TRACKING,ALWAYS,LI,,,,,\n"),
        |_| Some(&empty),
    );
    assert!(!upload.problems().is_empty());
    for problem in upload.problems() {
        assert_short(&problem.to_string());
    }
}

/// Whether a spreadsheet would run the cell as a formula.
fn runs_as_formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

#[cfg(feature = "csv")]
#[test]
fn downloads_and_rejected_rows_hold_no_formula_and_read_back_unchanged() {
    use promo_attribution::ProgramId;
    use promo_attribution::bulk::{Upload, export_csv};
    let texts = [
        "=HYPERLINK(\"http://x\")",
        "-10OFF",
        "+1",
        "@SUM(A1)",
        "'=x",
        "'SAVE",
    ];
    let mut registry = Registry::default();
    for (i, text) in (1..).zip(texts) {
        registry
            .add(Code::tracking(CodeId(i), text, PartnerId(1)).label(format!("={text}")))
            .unwrap();
    }
    let file = export_csv([(ProgramId(7), &registry)]).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(file.as_bytes());
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            assert!(!runs_as_formula(cell), "{cell:?} in\n{file}");
        }
    }
    let mut copy = Registry::default();
    Upload::review(&file, |_| Some(&copy))
        .apply([(ProgramId(7), &mut copy)])
        .unwrap();
    assert_eq!(
        copy.codes().collect::<Vec<_>>(),
        registry.codes().collect::<Vec<_>>()
    );

    // Rows handed back for fixing are guarded too, and read as they did.
    let file = "Promo Code,Program Id,Media Id,Type,Credit Rule,Match Mode\n\
                -10OFF,7,101,TRACKING,SOMETIMES,LI\n\
                '=x,7,101,TRACKING,SOMETIMES,LI\n";
    let upload = Upload::review(file, |_| Some(&copy));
    assert_eq!(upload.rejected_lines(), [2, 3]);
    let rejected = upload.rejected_csv();
    assert_eq!(
        rejected,
        "Promo Code,Program Id,Media Id,Type,Credit Rule,Match Mode\n\
         '-10OFF,7,101,TRACKING,SOMETIMES,LI\n\
         '=x,7,101,TRACKING,SOMETIMES,LI\n"
    );
}

#[test]
fn action_rows_hold_no_formula_and_tell_one_code_from_two() {
    use promo_attribution::Conversion;
    use promo_attribution::reports::ActionRow;
    let engine = Registry::default().compile().unwrap();
    let at: Timestamp = "2026-03-10T12:00:00Z".parse().unwrap();
    let row = |codes: &[&str]| {
        let order = Conversion::new(at).codes(codes);
        ActionRow::new(&engine, "=order", &order, &engine.attribute(&order)).fields()
    };
    let fields = row(&["=HYPERLINK(\"http://x\")"]);
    for field in &fields {
        assert!(!runs_as_formula(field), "{field:?}");
    }
    assert_eq!(fields[0], "'=order");
    assert_eq!(fields[7], "'=HYPERLINK(\"http://x\")");

    let one = row(&["SAVE10|STAFF50"])[7].clone();
    let two = row(&["SAVE10", "STAFF50"])[7].clone();
    assert_ne!(one, two);
    assert_eq!(two, "SAVE10|STAFF50");
    assert_eq!(one, r"SAVE10\|STAFF50");
    assert_ne!(row(&[r"A\", "B"])[7], row(&[r"A\|B"])[7]);
}

/// A family of codes under one prefix, each its own partner's: `^P\d{4}-<i>$`.
fn family(n: u64) -> Registry {
    let mut registry = Registry::default();
    let codes: Vec<Code> = (0..n)
        .map(|i| {
            Code::tracking(CodeId(i), format!(r"^P\d{{4}}-{i}$"), PartnerId(i))
                .regex()
                .into()
        })
        .collect();
    registry.add_all(codes).unwrap();
    registry
}

/// Two thousand codes of one family took 116 s (release) and ten thousand 1.6 GB: every pair was listed,
/// then a product built for each. Their suffixes tell them apart now.
#[test]
fn a_family_of_codes_is_told_apart_without_a_product_per_pair() {
    use promo_attribution::conflicts::Conflict;
    let mut registry = family(1_500);
    assert_eq!(registry.compile().unwrap().conflicts(), []);
    // One code that does overlap some of the family: found, and only those.
    registry
        .add(Code::tracking(CodeId(9_999), r"^P\d{4}-1\d$", PartnerId(9_999)).regex())
        .unwrap();
    let conflicts = registry.compile().unwrap().conflicts();
    let losers: Vec<u64> = conflicts
        .iter()
        .map(|c| match c {
            Conflict::RegexOverlap { winner, loser, .. } => {
                assert!(winner.0 < 20, "{c}");
                assert_eq!(loser.0, 9_999, "{c}");
                winner.0
            }
            other => panic!("{other}"),
        })
        .collect();
    assert_eq!(losers, (10..20).collect::<Vec<_>>());
}

#[test]
fn past_its_budget_the_conflict_report_lists_what_it_did_not_compare() {
    use promo_attribution::conflicts::Conflict;
    let mut registry = Registry::default();
    for i in 0..5u64 {
        registry
            .add(Code::tracking(CodeId(i), format!(r"^P\d*{i}\d*$"), PartnerId(i)).regex())
            .unwrap();
    }
    let engine = registry.compile().unwrap();
    let all = engine.conflicts();
    assert_eq!(all.len(), 10, "{all:?}");
    assert!(
        all.iter()
            .all(|c| matches!(c, Conflict::RegexOverlap { .. }))
    );
    // A budget for a few pairs: those found are kept, the rest are named as unchecked.
    let some = engine.conflicts_within(12);
    let unchecked: Vec<u64> = some
        .iter()
        .filter_map(|c| match c {
            Conflict::RegexOverlapUnchecked { regex } => Some(regex.0),
            _ => None,
        })
        .collect();
    let found = some.len() - unchecked.len();
    assert!((1..10).contains(&found), "{some:?}");
    assert!(!unchecked.is_empty(), "{some:?}");
    assert_eq!(*unchecked.last().unwrap(), 4);
    assert_eq!(engine.conflicts_within(0).len(), 5);
}

#[cfg(feature = "csv")]
#[test]
fn an_upload_past_the_last_id_says_no_ids_are_left() {
    use promo_attribution::bulk::Upload;
    use promo_attribution::{ErrorKind, ProgramId};
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(u64::MAX), "LAST", PartnerId(1)))
        .unwrap();
    let file = "Promo Code,Program Id,Media Id,Type,Credit Rule,Match Mode\n\
                SAVE10,7,101,TRACKING,ALWAYS,LI\n\
                SAVE20,7,101,TRACKING,ALWAYS,LI\n";
    let upload = Upload::review(file, |_| Some(&registry));
    let problems: Vec<(Option<u64>, ErrorKind)> = upload
        .problems()
        .iter()
        .map(|p| (p.line(), p.kind()))
        .collect();
    assert_eq!(
        problems,
        [
            (Some(2), ErrorKind::CapacityExceeded),
            (Some(3), ErrorKind::CapacityExceeded)
        ]
    );
    assert!(
        upload.problems()[0]
            .to_string()
            .contains("no code ids are left"),
        "{}",
        upload.problems()[0]
    );
    assert_eq!(upload.rejected_lines(), [2, 3]);
    assert!(upload.apply([(ProgramId(7), &mut registry)]).is_err());
    assert_eq!(registry.len(), 1);
}

/// Regex collisions come best first, as the documentation says: priority, then registration,
/// whichever spelling of the text each one matched.
#[test]
fn check_available_lists_regex_collisions_in_precedence_order() {
    use promo_attribution::Window;
    use promo_attribution::conflicts::Collision;
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(1), "^save.*$", PartnerId(1)).regex())
        .unwrap();
    registry
        .add(
            Code::tracking(CodeId(2), "^SAVE.*$", PartnerId(2))
                .regex()
                .priority(5),
        )
        .unwrap();
    registry
        .add(
            Code::tracking(CodeId(3), "^Save.*$", PartnerId(3))
                .regex()
                .priority(1),
        )
        .unwrap();
    let engine = registry.compile().unwrap();
    let taken = engine
        .check_available("Save1", PartnerId(9), Window::ALWAYS)
        .unwrap();
    let order: Vec<u64> = taken
        .collisions()
        .iter()
        .map(|c| match c {
            Collision::Regex { code, .. } => code.0,
            other => panic!("{other}"),
        })
        .collect();
    assert_eq!(order, [2, 3, 1]);
}

/// Every matched code used to scan every click: 20,000 codes and 50,000 clicks made a billion
/// comparisons.
#[test]
fn the_leak_monitor_looks_clicks_up_once_per_order() {
    use promo_attribution::reports::LeakMonitor;
    // A program that judges every code entered, however many: the monitor's cost is the test.
    let mut settings = Settings::default();
    settings.max_entered_codes = usize::MAX;
    let mut registry = Registry::new(settings);
    registry
        .add(Code::tracking(CodeId(1), "SAVE10", PartnerId(1)))
        .unwrap();
    let engine = registry.compile().unwrap();
    let at: Timestamp = "2026-03-10T12:00:00Z".parse().unwrap();
    let codes = vec!["SAVE10"; 20_000];
    let mut clicks: Vec<Click> = (2..50_000u64)
        .map(|p| Click::new(PartnerId(p), at))
        .collect();
    let order = Conversion::new(at).codes(&codes).clicks(&clicks);
    let mut monitor = LeakMonitor::new();
    monitor.add(&engine, &order, &engine.attribute(&order));
    assert_eq!(monitor.uses(CodeId(1)), Some((20_000, 20_000)));
    clicks.push(Click::new(PartnerId(1), at));
    let order = Conversion::new(at).codes(&codes).clicks(&clicks);
    monitor.add(&engine, &order, &engine.attribute(&order));
    assert_eq!(monitor.uses(CodeId(1)), Some((40_000, 20_000)));
}

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
                .into()
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
            (0..70_000u64)
                .map(|i| Code::tracking(CodeId(i), format!("BASE{i}"), PartnerId(1)).into()),
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

#[cfg(feature = "serde")]
#[test]
fn a_sub_millisecond_lookback_and_non_finite_thresholds_round_trip_through_serde() {
    use promo_attribution::Settings;
    use promo_attribution::reports::LeakThresholds;
    use std::time::Duration;
    let mut settings = Settings::default();
    for lookback in [
        Duration::from_micros(1_500),
        Duration::from_nanos(1),
        Duration::from_secs(30 * 86_400),
        Duration::from_secs(30 * 86_400) + Duration::from_nanos(7),
    ] {
        settings.lookback = lookback;
        let json = serde_json::to_string(&settings).unwrap();
        let back: Settings = serde_json::from_str(&json).unwrap();
        assert_eq!(back.lookback, lookback, "{json}");
    }
    let mut thresholds = LeakThresholds::default();
    for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.25] {
        thresholds.spike_factor = x;
        thresholds.no_owner_click_share = x;
        let json = serde_json::to_string(&thresholds).unwrap();
        let back: LeakThresholds = serde_json::from_str(&json).unwrap();
        assert_eq!(back.spike_factor.to_bits(), x.to_bits(), "{json}");
        assert_eq!(back.no_owner_click_share.to_bits(), x.to_bits(), "{json}");
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

/// Codes `A`, `AA`, … `A`×200 over a page of long runs of `A`: every run is one place a code
/// may start, walked at most 200 characters, not 200 overlapping hits per character.
#[test]
fn the_page_scanner_walks_nested_codes_once_per_start() {
    use promo_attribution::monitoring::PageScanner;
    let mut registry = Registry::default();
    let codes: Vec<Code> = (1..=200u64)
        .map(|n| Code::tracking(CodeId(n), "A".repeat(n as usize), PartnerId(n)).into())
        .collect();
    registry.add_all(codes).unwrap();
    let engine = registry.compile().unwrap();
    let scanner = PageScanner::new(&engine).unwrap();
    let run = "a".repeat(200_000);
    let page = format!("{run} aaa, {run} Ä {}!", "A".repeat(200));
    let found: Vec<(usize, usize)> = scanner
        .scan(&page, Timestamp::from_unix_seconds(0))
        .iter()
        .map(|f| (f.start, f.end))
        .collect();
    let aaa = run.len() + 1;
    let last = page.len() - 201;
    assert_eq!(found, [(aaa, aaa + 3), (last, last + 200)]);
}

/// Found by the `attribute` fuzz target: final sigma `ς` folds as `σ` does (Unicode simple case
/// folding), so it is an exact code `Σ`. The engine was right; the naive reference, which
/// lower-cased, was not (`tests/reference.rs` now folds both ways).
#[test]
fn final_sigma_matches_an_exact_code_of_capital_sigma() {
    use promo_attribution::Conversion;
    use promo_attribution::decision::CodeHit;
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(1), "ΣΑΛΟΣ", PartnerId(1)))
        .unwrap();
    let engine = registry.compile().unwrap();
    let at = Timestamp::from_unix_seconds(0);
    for entered in ["σαλο\u{3c2}", "\u{3c3}αλο\u{3c3}", "ΣΑΛΟΣ"] {
        let decision = engine.attribute(&Conversion::new(at).codes(&[entered]));
        assert_eq!(
            decision.entered()[0],
            CodeHit::Matched(CodeId(1)),
            "{entered}"
        );
    }
}

/// SPEC §12: an order of 10,000 entered codes, each matched by all of 100 regex codes. Without
/// the limits the decision judged every code and kept every loser (10,000 × 99 other
/// matches); under them it judges 32 codes and keeps 256 other matches, counting the rest.
#[test]
fn an_order_of_ten_thousand_codes_is_judged_up_to_the_program_limits() {
    let mut registry = Registry::default();
    for i in 0..100 {
        registry
            .add(Code::tracking(CodeId(i), format!(r"HOT\d*(?:X{i}Y)?"), PartnerId(i)).regex())
            .unwrap();
    }
    let engine = registry.compile().unwrap();
    let entered: Vec<String> = (0..10_000).map(|i| format!("HOT{i}")).collect();
    let at: Timestamp = "2026-03-10T12:00:00Z".parse().unwrap();
    let decision = engine.attribute(&Conversion::new(at).codes(&entered));

    let judged = Settings::DEFAULT_MAX_ENTERED_CODES;
    assert_eq!(decision.entered().len(), 10_000);
    assert!(
        decision.entered()[..judged]
            .iter()
            .all(|hit| *hit == CodeHit::Matched(CodeId(0)))
    );
    assert!(
        decision.entered()[judged..]
            .iter()
            .all(|hit| *hit == CodeHit::NotJudged)
    );
    let kept = Settings::DEFAULT_MAX_OTHER_MATCHES;
    assert_eq!(decision.other_matches().len(), kept);
    // Each judged code matched all 100: the first wins it, 99 are outranked; and the first
    // entered supersedes the 31 other judged codes that matched code 0.
    assert_eq!(
        decision.other_matches_left_out(),
        judged * 99 + (judged - 1) - kept
    );
    assert_eq!(
        decision.other_matches()[..3],
        [1, 2, 3].map(|code| OtherMatch {
            entered: 0,
            code: CodeId(code),
            why: NotChosen::Outranked,
        })
    );
    assert_eq!(
        decision.outcome(),
        Outcome::Credited {
            partner: PartnerId(0),
            via: Via::Code(CodeId(0)),
        }
    );
    assert_eq!(
        engine.attribute_batch(&[Conversion::new(at).codes(&entered)])[0],
        decision.attribution()
    );
}

/// A code entered past `max_entered_codes` takes no part in the decision: it neither credits,
/// restricts nor prices the sale; below the limit, the same codes do.
#[test]
fn codes_past_the_entered_limit_neither_credit_restrict_nor_price() {
    let program = |max_entered_codes: usize| {
        let mut settings = Settings::default();
        settings.max_entered_codes = max_entered_codes;
        let mut registry = Registry::new(settings);
        registry
            .add(Code::tracking(CodeId(1), "BOB15", PartnerId(1)))
            .unwrap();
        registry.add(Code::restricted(CodeId(2), "STAFF")).unwrap();
        registry
            .add_exception_list(ExceptionList::new("promo", Payout::Fixed(700)).codes(["FREESHIP"]))
            .unwrap();
        registry.compile().unwrap()
    };
    let at: Timestamp = "2026-03-10T12:00:00Z".parse().unwrap();
    let click = [Click::new(PartnerId(3), at)];
    let cases: [(&[&str], usize, Outcome, u64); 6] = [
        // Under the limit: the restricted code invalidates, the list prices.
        (&["BOB15", "STAFF"], 2, invalid(1), 0),
        (&["BOB15", "FREESHIP"], 2, by_code(1, 1), 700),
        // Past it: the code left unjudged does neither.
        (&["BOB15", "STAFF"], 1, by_code(1, 1), 0),
        (&["BOB15", "FREESHIP"], 1, by_code(1, 1), 0),
        // A tracking code past the limit does not credit: the click decides.
        (&["NOPE", "BOB15"], 1, by_click(3), 0),
        // No code judged at all.
        (&["BOB15"], 0, by_click(3), 0),
    ];
    for (codes, max, outcome, payout) in cases {
        let engine = program(max);
        let order = Conversion::new(at).codes(codes).clicks(&click);
        let decision = engine.attribute(&order);
        assert_eq!(decision.outcome(), outcome, "{codes:?} judging {max}");
        assert_eq!(decision.payout(), payout, "{codes:?} judging {max}");
        assert_eq!(decision.entered().len(), codes.len());
        assert!(
            decision.entered()[max.min(codes.len())..]
                .iter()
                .all(|hit| *hit == CodeHit::NotJudged),
            "{codes:?} judging {max}: {:?}",
            decision.entered()
        );
        assert_eq!(engine.attribute_batch(&[order])[0], decision.attribution());
    }
}

fn invalid(partner: u64) -> Outcome {
    Outcome::Invalid {
        partner: PartnerId(partner),
        reason: InvalidReason::RestrictedCode,
    }
}

/// Labels, list names and history notes are kept in every snapshot for good: past their
/// limits they are refused, naming what is too long, and nothing changes.
#[test]
fn labels_names_and_notes_past_their_limits_are_refused_and_change_nothing() {
    use promo_attribution::limits::{MAX_LABEL_LEN, MAX_NOTE_LEN};
    use promo_attribution::{Change, ErrorKind};
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(1), "BOB15", PartnerId(1)).label("A".repeat(MAX_LABEL_LEN)))
        .unwrap();
    let before = registry.to_bytes();

    let long = "A".repeat(MAX_LABEL_LEN + 1);
    let err = registry
        .add(Code::tracking(CodeId(2), "SAVE10", PartnerId(1)).label(long.clone()))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TextTooLong);
    assert_eq!(err.code_id(), Some(CodeId(2)));
    assert!(
        err.to_string()
            .ends_with("label is 1025 bytes long, the limit is 1024 bytes"),
        "{err}"
    );

    let err = registry
        .apply([Change::SetLabel {
            code: CodeId(1),
            label: Some(huge()),
        }])
        .unwrap_err();
    assert_eq!(err.errors()[0].kind(), ErrorKind::TextTooLong);
    assert_eq!(err.errors()[0].code_id(), Some(CodeId(1)));
    assert_short(&err.to_string());

    let err = registry
        .add_exception_list(ExceptionList::new(long, Payout::Fixed(0)).codes(["FREE"]))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TextTooLong);
    assert_short(&err.to_string());

    let expire = Change::Expire {
        code: CodeId(1),
        at: "2026-03-10T12:00:00Z".parse().unwrap(),
    };
    let err = registry
        .apply_with_note([expire.clone()], "N".repeat(MAX_NOTE_LEN + 1))
        .unwrap_err();
    assert_eq!(err.errors()[0].kind(), ErrorKind::TextTooLong);
    assert!(err.to_string().contains("note is 4097 bytes long"), "{err}");
    assert_eq!(registry.to_bytes(), before, "a refused change left a trace");

    registry
        .apply_with_note([expire], "N".repeat(MAX_NOTE_LEN))
        .unwrap();
}
