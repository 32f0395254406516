//! Monitoring: sightings of codes in the wild, and the page scan against a naive scan.

use promo_attribution::decision::{CodeHit, CodeState};
use promo_attribution::monitoring::{PageScanner, Sighting, Violation};
use promo_attribution::{Code, CodeId, PartnerId, Registry, Timestamp};
use promo_attribution_testkit::t;
use proptest::prelude::*;

/// (text, promoted by, hit, owner, violation)
type Case<'a> = (
    &'a str,
    Option<u64>,
    CodeHit,
    Option<u64>,
    Option<Violation>,
);

#[test]
fn sightings_are_judged_at_their_instant() {
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(10), "JANE15", PartnerId(1)))
        .unwrap();
    registry
        .add(
            Code::tracking(CodeId(11), "WINTER25", PartnerId(2)).ends_at(t("2026-03-01T00:00:00Z")),
        )
        .unwrap();
    registry
        .add(
            Code::tracking(CodeId(12), "SUMMER", PartnerId(2)).starts_at(t("2026-06-01T00:00:00Z")),
        )
        .unwrap();
    registry
        .add(Code::tracking(CodeId(13), r"^POD-\d{2}$", PartnerId(5)).regex())
        .unwrap();
    registry
        .add(Code::restricted(CodeId(30), "STAFF50"))
        .unwrap();
    registry
        .add(Code::restricted(CodeId(31), "OLDSTAFF").until(t("2026-01-01T00:00:00Z")))
        .unwrap();
    let engine = registry.compile().unwrap();
    let at = t("2026-03-10T12:00:00Z");
    let expired = |code| CodeHit::Inactive {
        code: CodeId(code),
        state: CodeState::Expired,
    };

    let cases: [Case<'_>; 11] = [
        (
            "JANE15",
            Some(1),
            CodeHit::Matched(CodeId(10)),
            Some(1),
            None,
        ),
        (
            " jane15 ",
            None,
            CodeHit::Matched(CodeId(10)),
            Some(1),
            None,
        ),
        (
            "JANE15",
            Some(7),
            CodeHit::Matched(CodeId(10)),
            Some(1),
            Some(Violation::NotAuthorized),
        ),
        (
            "WINTER25",
            Some(2),
            expired(11),
            Some(2),
            Some(Violation::Expired),
        ),
        (
            "WINTER25",
            None,
            expired(11),
            Some(2),
            Some(Violation::Expired),
        ),
        // Promoting another partner's code outranks its being expired.
        (
            "winter25",
            Some(7),
            expired(11),
            Some(2),
            Some(Violation::NotAuthorized),
        ),
        (
            "SUMMER",
            Some(2),
            CodeHit::Inactive {
                code: CodeId(12),
                state: CodeState::Pending,
            },
            Some(2),
            Some(Violation::Expired),
        ),
        (
            "POD-42",
            Some(1),
            CodeHit::Matched(CodeId(13)),
            Some(5),
            Some(Violation::NotAuthorized),
        ),
        (
            "staff50",
            Some(1),
            CodeHit::Restricted(CodeId(30)),
            None,
            Some(Violation::Restricted),
        ),
        ("OLDSTAFF", None, expired(31), None, None),
        ("NOSUCH", Some(1), CodeHit::Unknown, None, None),
    ];
    for (text, by, hit, owner, violation) in cases {
        let mut sighting = Sighting::new(text, at);
        if let Some(by) = by {
            sighting = sighting.promoted_by(PartnerId(by));
        }
        let check = engine.check_sighting(&sighting);
        assert_eq!(check.hit, hit, "{text:?} by {by:?}");
        assert_eq!(check.owner, owner.map(PartnerId), "{text:?} by {by:?}");
        assert_eq!(check.violation, violation, "{text:?} by {by:?}");
    }
}

const EXACT: &[&str] = &["AB", "ab-1", "B", "ÉTÉ", "AB B", "BA"];
const REGEX: &[&str] = &[r"A\d+", r"(?i)x[a-z]", r"É\d"];
const PIECES: &[&str] = &[
    "AB", "ab", "B", "été", "ÉTÉ", "-1", "A12", "xy", "É7", "BA", " ", ", ", "!", "-", "_", "Z",
];

fn token_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// Every exact code at every position where it occurs ignoring case between non-token
/// characters, plus every maximal token a regex code matches whole.
fn naive_spans(page: &str) -> Vec<(usize, usize)> {
    let lower = |s: &str| s.to_lowercase();
    let mut spans = Vec::new();
    let starts: Vec<usize> = page.char_indices().map(|(i, _)| i).collect();
    for &start in &starts {
        for code in EXACT {
            let Some(candidate) = page.get(start..).and_then(|rest| {
                let n = code.chars().count();
                let end = rest.char_indices().nth(n).map_or(rest.len(), |(i, _)| i);
                (rest.chars().count() >= n).then(|| &rest[..end])
            }) else {
                continue;
            };
            let end = start + candidate.len();
            let bounded = !page[..start].chars().next_back().is_some_and(token_char)
                && !page[end..].chars().next().is_some_and(token_char);
            if lower(candidate) == lower(code) && bounded {
                spans.push((start, end));
            }
        }
    }
    let regexes: Vec<regex::Regex> = REGEX
        .iter()
        .map(|p| regex::Regex::new(&format!("^(?:{p})$")).unwrap())
        .collect();
    let mut i = 0;
    while i < page.len() {
        let c = page[i..].chars().next().unwrap();
        if token_char(c) {
            let end = page[i..]
                .find(|c: char| !token_char(c))
                .map_or(page.len(), |n| i + n);
            if regexes.iter().any(|r| r.is_match(&page[i..end])) {
                spans.push((i, end));
            }
            i = end;
        } else {
            i += c.len_utf8();
        }
    }
    spans.sort_unstable();
    spans.dedup();
    spans
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_page_scan_agrees_with_a_naive_scan(pieces in prop::collection::vec(0..PIECES.len(), 0..24)) {
        let mut registry = Registry::default();
        for (i, code) in EXACT.iter().enumerate() {
            registry.add(Code::tracking(CodeId(i as u64), *code, PartnerId(1))).unwrap();
        }
        for (i, pattern) in REGEX.iter().enumerate() {
            registry.add(Code::tracking(CodeId(100 + i as u64), *pattern, PartnerId(2)).regex()).unwrap();
        }
        let engine = registry.compile().unwrap();
        let scanner = PageScanner::new(&engine).unwrap();
        let page: String = pieces.iter().map(|&i| PIECES[i]).collect();
        let found = scanner.scan(&page, Timestamp::from_unix_seconds(0));
        let spans: Vec<(usize, usize)> = found.iter().map(|f| (f.start, f.end)).collect();
        prop_assert_eq!(&spans, &naive_spans(&page), "page {:?}", page);
        for f in &found {
            prop_assert!(matches!(f.hit, CodeHit::Matched(_)), "{:?} at {:?}", f.hit, &page[f.start..f.end]);
        }
    }
}

mod leaks {
    use promo_attribution::reports::{LeakAlert, LeakMonitor, LeakThresholds};
    use promo_attribution::{
        Click, Code, CodeId, Conversion, Engine, PartnerId, Registry, Timestamp,
    };
    use proptest::prelude::*;

    const DAY: i64 = 86_400;
    const START: i64 = 1_773_014_400; // a Monday, 00:00 UTC
    const ENTERED: &[&str] = &["JANE15", "SAVE10", "nope", "guess1", ""];

    fn engine() -> Engine {
        let mut registry = Registry::default();
        registry
            .add(Code::tracking(CodeId(10), "JANE15", PartnerId(1)))
            .unwrap();
        registry
            .add(Code::tracking(CodeId(11), "SAVE10", PartnerId(2)))
            .unwrap();
        registry.compile().unwrap()
    }

    fn feed(
        monitor: &mut LeakMonitor,
        engine: &Engine,
        at: i64,
        codes: &[&str],
        clicker: Option<u64>,
    ) {
        let clicks: Vec<Click> = clicker
            .map(|p| Click::new(PartnerId(p), Timestamp::from_unix_seconds(at)))
            .into_iter()
            .collect();
        let order = Conversion::new(Timestamp::from_unix_seconds(at))
            .codes(codes)
            .clicks(&clicks);
        monitor.add(engine, &order, &engine.attribute(&order));
    }

    #[test]
    fn a_leaking_code_and_a_guessing_burst_raise_alerts() {
        let engine = engine();
        let mut monitor = LeakMonitor::new();
        for day in 0..7 {
            // JANE15: 10 uses a day through jane's own clicks; from Thursday, 60 more without.
            for i in 0..10 {
                feed(
                    &mut monitor,
                    &engine,
                    START + day * DAY + i * 60,
                    &["JANE15"],
                    Some(1),
                );
            }
            if day >= 3 {
                for i in 0..60 {
                    feed(
                        &mut monitor,
                        &engine,
                        START + day * DAY + 3_600 + i * 60,
                        &["jane15"],
                        Some(2),
                    );
                }
            }
            // SAVE10: steady, always with couponhub's click.
            for i in 0..20 {
                feed(
                    &mut monitor,
                    &engine,
                    START + day * DAY + i * 60,
                    &["SAVE10"],
                    Some(2),
                );
            }
            // A few unknown codes every hour, and a burst on Saturday at 03:00.
            for hour in 0..24 {
                feed(
                    &mut monitor,
                    &engine,
                    START + day * DAY + hour * 3_600,
                    &["nope"],
                    None,
                );
            }
            if day == 5 {
                for i in 0..80 {
                    feed(
                        &mut monitor,
                        &engine,
                        START + day * DAY + 3 * 3_600 + i,
                        &["guess1"],
                        None,
                    );
                }
            }
        }
        let alerts = monitor.alerts(&LeakThresholds::default());
        let day = |d: i64| Timestamp::from_unix_seconds(START + d * DAY);
        // 240 of 310 uses had no click by jane: 77 %, under the default 80 %.
        assert_eq!(monitor.uses(CodeId(10)), Some((310, 240)));
        assert_eq!(
            alerts,
            [
                LeakAlert::UsageSpike {
                    code: CodeId(10),
                    day: day(3),
                    uses: 70,
                    baseline: 10.0
                },
                LeakAlert::UnknownCodeBurst {
                    hour: Timestamp::from_unix_seconds(START + 5 * DAY + 3 * 3_600),
                    unknown: 81,
                    baseline: 1.0,
                },
            ]
        );
        let mut stricter = LeakThresholds::default();
        stricter.no_owner_click_share = 0.75;
        assert!(
            monitor
                .alerts(&stricter)
                .contains(&LeakAlert::NoOwnerClick {
                    code: CodeId(10),
                    owner: PartnerId(1),
                    uses: 310,
                    without_owner_click: 240,
                })
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        #[test]
        fn monitors_merge_like_one_fed_everything(
            orders in prop::collection::vec((0i64..10 * DAY, prop::collection::vec(0..ENTERED.len(), 0..3), prop::option::of(1u64..3)), 0..60),
            cut in any::<prop::sample::Index>(),
            cut2 in any::<prop::sample::Index>(),
        ) {
            let engine = engine();
            let feed_all = |orders: &[(i64, Vec<usize>, Option<u64>)]| {
                let mut monitor = LeakMonitor::new();
                for (at, codes, clicker) in orders {
                    let texts: Vec<&str> = codes.iter().map(|&i| ENTERED[i]).collect();
                    feed(&mut monitor, &engine, START + at, &texts, *clicker);
                }
                monitor
            };
            let whole = feed_all(&orders);
            let (mut a, mut b) = (cut.index(orders.len() + 1), cut2.index(orders.len() + 1));
            if a > b { std::mem::swap(&mut a, &mut b); }
            let (x, y, z) = (feed_all(&orders[..a]), feed_all(&orders[a..b]), feed_all(&orders[b..]));
            // (x + y) + z and x + (z + y): associative and commutative.
            let mut left = x.clone();
            left.merge(&y);
            left.merge(&z);
            let mut right = z.clone();
            right.merge(&y);
            let mut right_total = x;
            right_total.merge(&right);
            prop_assert_eq!(&left, &whole);
            prop_assert_eq!(&right_total, &whole);
            // No lost counts: every JANE15 entry is a use.
            let jane = orders.iter().flat_map(|(_, c, _)| c).filter(|&&i| i == 0).count() as u64;
            prop_assert_eq!(whole.uses(CodeId(10)).map_or(0, |u| u.0), jane);
        }
    }
}
