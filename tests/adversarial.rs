//! Hostile and degenerate orders: no panic, a clear diagnostic, and work linear in the input.
//! (No timing assertions: sizes are chosen so that a quadratic path would make the suite crawl,
//! which review and CI notice, without making the suite flaky.)

use promo_attribution::decision::CodeHit;
use promo_attribution::{
    Click, Code, CodeId, Conversion, Outcome, PartnerId, Registry, Settings, Timestamp, Via,
};

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
