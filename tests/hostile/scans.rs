//! Scans over many codes — the conflict report, availability checks, the leak monitor, the page
//! scanner — stay cheap on families of codes built to make them quadratic.

use promo_attribution::{
    Click, Code, CodeId, Conversion, PartnerId, Registry, Settings, Timestamp,
};

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
