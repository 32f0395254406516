//! Hostile and degenerate orders: no panic, a clear diagnostic, and work linear in the input,
//! up to the program's per-order limits.

use crate::attribution::{by_click, by_code};
use promo_attribution::decision::{CodeHit, NotChosen, OtherMatch};
use promo_attribution::{
    Click, Code, CodeId, Conversion, ExceptionList, InvalidReason, Outcome, PartnerId, Payout,
    Registry, Settings, Timestamp, Via,
};

/// Found by the `attribute` fuzz target: final sigma `ς` folds as `σ` does (Unicode simple case
/// folding), so it is an exact code `Σ`. The engine was right; the naive reference, which
/// lower-cased, was not (`promo_attribution_testkit::reference` now folds both ways).
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

fn program() -> promo_attribution::Engine {
    program_with(Settings::default())
}

fn program_with(settings: Settings) -> promo_attribution::Engine {
    let mut registry = Registry::new(settings);
    let mut codes: Vec<Code> = (0..1_000u64)
        .map(|i| Code::tracking(CodeId(i), format!("CODE{i}"), PartnerId(i % 10)).into())
        .collect();
    codes.push(
        Code::tracking(CodeId(5_000), r"^SUMMER\d+$", PartnerId(3))
            .regex()
            .into(),
    );
    codes.push(
        Code::tracking(CodeId(5_001), r"^.*(SALE)$", PartnerId(4))
            .regex()
            .into(),
    );
    registry.add_all(codes).unwrap();
    registry.compile().unwrap()
}

const AT: Timestamp = Timestamp::from_unix_seconds(1_773_144_000);

#[test]
fn ten_thousand_entered_codes() {
    // A program without per-order limits (SPEC §12): every code is judged, so the work is
    // linear in them or the suite crawls.
    let mut settings = Settings::default();
    settings.max_entered_codes = usize::MAX;
    settings.max_other_matches = usize::MAX;
    let e = program_with(settings);
    let texts: Vec<String> = (0..10_000).map(|i| format!("code{}", i % 2_000)).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let d = e.attribute(&Conversion::new(AT).codes(&refs));
    assert_eq!(d.entered().len(), 10_000);
    assert_eq!(
        d.outcome(),
        Outcome::Credited {
            partner: PartnerId(0),
            via: Via::Code(CodeId(0))
        }
    );
    assert_eq!(d.entered()[1_500], CodeHit::Unknown);
    // 5,000 matched entries lost to the first: all listed as superseded.
    assert_eq!(d.other_matches().len(), 4_999);
}

#[test]
fn a_megabyte_entered_code() {
    let e = program();
    let huge = "SUMMER".repeat(200_000);
    let padded = format!("{}CODE1{}", " ".repeat(500_000), " ".repeat(500_000));
    let d = e.attribute(&Conversion::new(AT).codes(&[&huge, &padded, "\u{0}\u{7f}", "😀"]));
    assert_eq!(
        d.entered(),
        &[
            CodeHit::TooLong,
            CodeHit::Matched(CodeId(1)),
            CodeHit::Unknown,
            CodeHit::Unknown
        ]
    );
}

#[test]
fn a_code_at_the_length_limit_is_looked_up() {
    let e = program();
    let at_limit = format!("SUMMER{}", "9".repeat(250));
    let over = format!("SUMMER{}", "9".repeat(251));
    let d = e.attribute(&Conversion::new(AT).codes(&[at_limit.as_str(), over.as_str()]));
    assert_eq!(
        d.entered(),
        &[CodeHit::Matched(CodeId(5_000)), CodeHit::TooLong]
    );
}

#[test]
fn a_hundred_thousand_clicks_with_far_future_and_far_past_ones() {
    let e = program();
    let mut clicks: Vec<Click> = (0..100_000i64)
        .map(|i| {
            Click::new(
                PartnerId(i as u64 % 97),
                Timestamp::from_unix_millis(AT.as_unix_millis() - i * 1_000),
            )
        })
        .collect();
    clicks.push(Click::new(PartnerId(500), Timestamp::MAX));
    clicks.push(Click::new(PartnerId(501), Timestamp::MIN));
    let d = e.attribute(&Conversion::new(AT).clicks(&clicks));
    assert_eq!(
        d.outcome(),
        Outcome::Credited {
            partner: PartnerId(0),
            via: Via::Click
        }
    );
    // Extreme order instants saturate instead of overflowing.
    for at in [Timestamp::MIN, Timestamp::MAX] {
        let d = e.attribute(&Conversion::new(at).clicks(&clicks).codes(&["CODE1"]));
        assert_eq!(d.entered(), &[CodeHit::Matched(CodeId(1))]);
    }
}

#[test]
fn an_empty_registry() {
    let e = Registry::default().compile().unwrap();
    assert!(e.is_empty());
    let d = e.attribute(&Conversion::new(AT).codes(&["ANY", ""]));
    assert_eq!(
        (d.outcome(), d.entered()),
        (
            Outcome::Unattributed,
            &[CodeHit::Unknown, CodeHit::Empty][..]
        )
    );
}

#[test]
fn regex_matching_is_linear_on_pathological_input() {
    let mut registry = Registry::default();
    // Catastrophic for a backtracking engine; linear here.
    registry
        .add(Code::tracking(CodeId(1), "^(a+)+$", PartnerId(1)).regex())
        .unwrap();
    registry
        .add(Code::tracking(CodeId(2), "^(a|aa)+b$", PartnerId(2)).regex())
        .unwrap();
    let e = registry.compile().unwrap();
    let attack = format!("{}!", "a".repeat(255));
    let d = e.attribute(&Conversion::new(AT).codes(&[attack.as_str()]));
    assert_eq!(d.entered(), &[CodeHit::Unknown]);
}
