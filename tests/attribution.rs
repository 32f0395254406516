//! The attribution decision (SPEC §4–§5) on corners the shared vectors do not reach.

use std::time::Duration;

use promo_attribution::decision::{CodeHit, CodeState, NotChosen, OtherMatch};
use promo_attribution::settings::{AlwaysOwnerClicks, ClickWinner, CodeTracking, RegexAnchoring};
use promo_attribution::{
    Click, Code, CodeId, Conversion, CreditPolicy, Decision, InvalidReason, Outcome, PartnerId,
    Registry, Settings, Via,
};
use promo_attribution_testkit::t;

const AT: &str = "2026-03-10T12:00:00Z";

fn engine(settings: Settings, codes: Vec<Code>) -> promo_attribution::Engine {
    let mut registry = Registry::new(settings);
    registry.add_all(codes).unwrap();
    registry.compile().unwrap()
}

fn decide(engine: &promo_attribution::Engine, codes: &[&str], clicks: &[(u64, &str)]) -> Decision {
    let clicks: Vec<Click> = clicks
        .iter()
        .map(|&(p, at)| Click::new(PartnerId(p), t(at)))
        .collect();
    engine.attribute(&Conversion::new(t(AT)).codes(codes).clicks(&clicks))
}

pub(crate) fn by_code(partner: u64, code: u64) -> Outcome {
    Outcome::Credited {
        partner: PartnerId(partner),
        via: Via::Code(CodeId(code)),
    }
}

pub(crate) fn by_click(partner: u64) -> Outcome {
    Outcome::Credited {
        partner: PartnerId(partner),
        via: Via::Click,
    }
}

fn regex(id: u64, pattern: &str, owner: u64) -> Code {
    Code::tracking(CodeId(id), pattern, PartnerId(owner))
        .regex()
        .into()
}

#[test]
fn whole_code_anchoring_wraps_alternations_as_a_group() {
    let e = engine(Settings::default(), vec![regex(20, "SUMMER|WINTER", 3)]);
    for (entered, hit) in [
        ("SUMMER", true),
        ("WINTER", true),
        ("SUMMERX", false),
        ("XWINTER", false),
        ("SUMMERWINTER", false),
    ] {
        assert_eq!(
            decide(&e, &[entered], &[]).outcome() == by_code(3, 20),
            hit,
            "{entered}"
        );
    }
}

#[test]
fn search_anchoring_finds_a_code_anywhere() {
    let mut settings = Settings::default();
    settings.regex_anchoring = RegexAnchoring::Search;
    let e = engine(
        settings,
        vec![
            regex(20, r"SUMMER\d{2}", 3),
            regex(21, r"^WIN", 4),
            regex(22, r"(?i)fall$", 5),
        ],
    );
    for (entered, outcome) in [
        ("XXSUMMER26YY", by_code(3, 20)),
        ("SUMMER2", Outcome::Unattributed),
        ("WINTER", by_code(4, 21)),
        ("XWINTER", Outcome::Unattributed),
        ("BIG-FALL", by_code(5, 22)),
        ("FALLOUT", Outcome::Unattributed),
    ] {
        assert_eq!(decide(&e, &[entered], &[]).outcome(), outcome, "{entered}");
    }
}

#[test]
fn precedence_and_diagnostics_for_overlapping_codes() {
    let e = engine(
        Settings::default(),
        vec![
            regex(20, r"^SUM.*", 2),
            Code::tracking(CodeId(21), r"^SUMMER\d+$", PartnerId(3))
                .regex()
                .priority(5)
                .into(),
            Code::tracking(CodeId(22), r"^SUMMER1\d$", PartnerId(4))
                .regex()
                .priority(9)
                .ends_at(t("2026-03-01T00:00:00Z"))
                .into(),
            Code::tracking(CodeId(10), "summer10", PartnerId(1))
                .starts_at(t("2026-04-01T00:00:00Z"))
                .into(),
        ],
    );
    let d = decide(&e, &["SUMMER10"], &[]);
    assert_eq!(d.outcome(), by_code(3, 21));
    assert_eq!(d.entered(), &[CodeHit::Matched(CodeId(21))]);
    let mut others = d.other_matches().to_vec();
    others.sort_by_key(|o| o.code);
    let other = |code, why| OtherMatch {
        entered: 0,
        code: CodeId(code),
        why,
    };
    assert_eq!(
        others,
        [
            other(10, NotChosen::Inactive(CodeState::Pending)),
            other(20, NotChosen::Outranked),
            other(22, NotChosen::Inactive(CodeState::Expired)),
        ]
    );
}

#[test]
fn inactive_diagnostic_prefers_the_exact_code() {
    let e = engine(
        Settings::default(),
        vec![
            Code::tracking(CodeId(20), r"^SAVE\d+$", PartnerId(2))
                .regex()
                .ends_at(t("2026-01-01T00:00:00Z"))
                .into(),
            Code::tracking(CodeId(10), "SAVE10", PartnerId(1))
                .starts_at(t("2026-06-01T00:00:00Z"))
                .into(),
        ],
    );
    let d = decide(&e, &["save10", "SAVE11"], &[]);
    assert_eq!(
        d.entered(),
        &[
            CodeHit::Inactive {
                code: CodeId(10),
                state: CodeState::Pending
            },
            CodeHit::Inactive {
                code: CodeId(20),
                state: CodeState::Expired
            },
        ]
    );
}

#[test]
fn restricted_codes() {
    let codes = || {
        vec![
            Code::tracking(CodeId(10), "SAVE10", PartnerId(1)).into(),
            Code::restricted(CodeId(30), "STAFF50")
                .starts_at(t("2026-03-01T00:00:00Z"))
                .into(),
            Code::restricted(CodeId(31), "OLDSTAFF")
                .until(t("2026-01-01T00:00:00Z"))
                .into(),
            regex(20, r"^STAFF\d+$", 2),
        ]
    };
    let e = engine(Settings::default(), codes());
    // A regex tracking code matching a restricted text: the hit reports the restriction, the
    // regex owner would be credited, and the restriction invalidates it.
    let d = decide(&e, &["STAFF50"], &[]);
    assert_eq!(d.entered(), &[CodeHit::Restricted(CodeId(30))]);
    assert_eq!(
        d.outcome(),
        Outcome::Invalid {
            partner: PartnerId(2),
            reason: InvalidReason::RestrictedCode
        }
    );
    assert_eq!(d.code(), Some(CodeId(20)));
    // An inactive restricted code is only a diagnostic.
    let d = decide(&e, &["SAVE10", "oldstaff"], &[]);
    assert_eq!(d.outcome(), by_code(1, 10));
    assert_eq!(
        d.entered()[1],
        CodeHit::Inactive {
            code: CodeId(31),
            state: CodeState::Expired
        }
    );
    // A restricted code with nobody to credit leaves the order unattributed.
    assert_eq!(
        decide(&e, &["staff50", "nothing"], &[]).outcome(),
        Outcome::Unattributed
    );

    // With tracking disabled, restricted codes do not invalidate.
    let mut settings = Settings::default();
    settings.tracking = CodeTracking::Disabled;
    let e = engine(settings, codes());
    let d = decide(&e, &["SAVE10", "STAFF50"], &[(7, "2026-03-09T00:00:00Z")]);
    assert_eq!(d.outcome(), by_click(7));
    assert_eq!(
        d.entered(),
        &[
            CodeHit::Matched(CodeId(10)),
            CodeHit::Restricted(CodeId(30))
        ]
    );
    assert!(
        d.other_matches()
            .iter()
            .all(|o| o.why == NotChosen::TrackingDisabled)
    );
    assert_eq!(d.other_matches().len(), 2);
}

#[test]
fn policies_between_entered_codes() {
    let e = engine(
        Settings::default(),
        vec![
            Code::tracking(CodeId(10), "WIN", PartnerId(1))
                .credit(CreditPolicy::IfWinner)
                .into(),
            Code::tracking(CodeId(11), "INV", PartnerId(2))
                .credit(CreditPolicy::IfInvolved)
                .into(),
            Code::tracking(CodeId(12), "ALW", PartnerId(3)).into(),
        ],
    );
    let clicks = [(2, "2026-03-01T00:00:00Z"), (1, "2026-03-05T00:00:00Z")];
    // Involved beats winner; always beats both.
    assert_eq!(
        decide(&e, &["WIN", "INV"], &clicks).outcome(),
        by_code(2, 11)
    );
    assert_eq!(
        decide(&e, &["WIN", "INV", "ALW"], &clicks).outcome(),
        by_code(3, 12)
    );
    // The same code twice: the second is superseded.
    let d = decide(&e, &["alw", "ALW"], &[]);
    assert_eq!(d.outcome(), by_code(3, 12));
    assert_eq!(
        d.other_matches(),
        &[OtherMatch {
            entered: 1,
            code: CodeId(12),
            why: NotChosen::Superseded
        }]
    );
    // No click: neither conditional code can be met; the first unmet code is named.
    let d = decide(&e, &["INV", "WIN"], &[]);
    assert_eq!((d.outcome(), d.code()), (Outcome::Unattributed, None));
    let d = decide(&e, &["INV", "WIN"], &[(9, "2026-03-05T00:00:00Z")]);
    assert_eq!(
        d.outcome(),
        Outcome::Invalid {
            partner: PartnerId(9),
            reason: InvalidReason::CodeOwnedByOtherPartner
        }
    );
    assert_eq!(d.code(), Some(CodeId(11)));
    assert!(
        d.other_matches()
            .iter()
            .all(|o| o.why == NotChosen::PolicyUnmet)
    );
}

#[test]
fn clicks_lookback_ties_and_suppression() {
    let mut settings = Settings::default();
    settings.lookback = Duration::from_secs(86_400);
    let e = engine(settings.clone(), vec![]);
    // The lookback bound is inclusive at both ends.
    assert_eq!(
        decide(&e, &[], &[(1, "2026-03-09T12:00:00Z")]).outcome(),
        by_click(1)
    );
    assert_eq!(
        decide(&e, &[], &[(1, "2026-03-09T11:59:59.999Z")]).outcome(),
        Outcome::Unattributed
    );
    assert_eq!(decide(&e, &[], &[(1, AT)]).outcome(), by_click(1));
    // Equal instants: last-click takes the later in the input, first-click the earlier.
    let tie = [(1, "2026-03-10T00:00:00Z"), (2, "2026-03-10T00:00:00Z")];
    assert_eq!(decide(&e, &[], &tie).outcome(), by_click(2));
    settings.click_winner = ClickWinner::FirstClick;
    assert_eq!(
        decide(&engine(settings.clone(), vec![]), &[], &tie).outcome(),
        by_click(1)
    );

    // Suppressing the clicks of partners who own an active always code.
    let mut settings = Settings::default();
    settings.always_owner_clicks = AlwaysOwnerClicks::Ignore;
    let codes = || {
        vec![
            Code::tracking(CodeId(10), "EMMA", PartnerId(1)).into(),
            Code::tracking(CodeId(11), "OLD", PartnerId(2))
                .ends_at(t("2026-01-01T00:00:00Z"))
                .into(),
            Code::tracking(CodeId(12), "INV", PartnerId(3))
                .credit(CreditPolicy::IfInvolved)
                .into(),
        ]
    };
    let e = engine(settings, codes());
    let clicks = [(3, "2026-03-08T00:00:00Z"), (1, "2026-03-09T00:00:00Z")];
    let d = decide(&e, &[], &clicks);
    assert_eq!(
        (d.outcome(), d.click_winner()),
        (by_click(3), Some(PartnerId(3)))
    );
    // Partner 2's always code has ended: its clicks count.
    assert_eq!(
        decide(&e, &[], &[(2, "2026-03-09T00:00:00Z")]).outcome(),
        by_click(2)
    );
    let e = engine(Settings::default(), codes());
    assert_eq!(decide(&e, &[], &clicks).outcome(), by_click(1));
}

#[test]
fn contracts() {
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))
        .unwrap();
    registry
        .set_contract(
            PartnerId(1),
            promo_attribution::Window::starting_at(t("2026-03-10T12:00:00.001Z")),
        )
        .unwrap();
    let e = registry.compile().unwrap();
    let d = decide(&e, &["SAVE10"], &[]);
    assert_eq!(
        d.outcome(),
        Outcome::Invalid {
            partner: PartnerId(1),
            reason: InvalidReason::PartnerNotActive
        }
    );
    assert_eq!(
        d.to_string(),
        "invalid for partner 1: partner_not_active (code 10)"
    );
    // Restricted comes before the contract check.
    registry.add(Code::restricted(CodeId(30), "STAFF")).unwrap();
    let d = decide(&registry.compile().unwrap(), &["SAVE10", "STAFF"], &[]);
    assert_eq!(
        d.outcome(),
        Outcome::Invalid {
            partner: PartnerId(1),
            reason: InvalidReason::RestrictedCode
        }
    );
}

#[test]
fn unicode_entered_codes() {
    let e = engine(
        Settings::default(),
        vec![
            Code::tracking(CodeId(1), "ÉTÉ20", PartnerId(1)).into(),
            Code::tracking(CodeId(2), "STRAẞE", PartnerId(2)).into(),
            Code::tracking(CodeId(3), "KELVIN", PartnerId(3)).into(),
        ],
    );
    for (entered, code) in [
        ("été20", Some(1)),
        ("Été20", Some(1)),
        ("straße", Some(2)),
        ("STRASSE", None),
        ("\u{212A}elvin", Some(3)),
    ] {
        let want = code.map_or(CodeHit::Unknown, |c| CodeHit::Matched(CodeId(c)));
        assert_eq!(decide(&e, &[entered], &[]).entered(), &[want], "{entered}");
    }
}

#[test]
fn engine_reports_code_states() {
    let mut registry = Registry::default();
    registry
        .add(
            Code::tracking(CodeId(1), "A", PartnerId(1))
                .starts_at(t("2026-01-01T00:00:00Z"))
                .ends_at(t("2026-12-01T00:00:00Z")),
        )
        .unwrap();
    registry
        .expire(CodeId(1), t("2026-05-01T00:00:00Z"))
        .unwrap();
    registry
        .reactivate(CodeId(1), t("2026-06-01T00:00:00Z"))
        .unwrap();
    let e = registry.compile().unwrap();
    for (at, state) in [
        ("2025-12-31T23:59:59Z", CodeState::Pending),
        ("2026-01-01T00:00:00Z", CodeState::Active),
        ("2026-05-01T00:00:00Z", CodeState::Expired),
        ("2026-06-01T00:00:00Z", CodeState::Active),
        ("2026-12-01T00:00:00Z", CodeState::Expired),
    ] {
        assert_eq!(e.state(CodeId(1), t(at)), Some(state), "{at}");
    }
    assert_eq!(e.state(CodeId(2), t(AT)), None);
}

/// Exact code "A" of partner 1 and regex code `^B.$` of partner 2.
fn one_exact_one_regex() -> promo_attribution::Engine {
    engine(
        Settings::default(),
        vec![
            Code::tracking(CodeId(1), "A", PartnerId(1)).into(),
            regex(2, "^B.$", 2),
        ],
    )
}

#[test]
fn engines_are_shared_across_threads() {
    let e = one_exact_one_regex();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let e = e.clone();
            std::thread::spawn(move || {
                (0..1_000).all(|_| decide(&e, &["a", "BX"], &[]).outcome() == by_code(1, 1))
            })
        })
        .collect();
    assert!(handles.into_iter().all(|h| h.join().unwrap()));
}

#[test]
fn engine_debug_is_a_summary() {
    let e = one_exact_one_regex();
    let shown = format!("{e:?}");
    assert!(
        shown.starts_with(
            "Engine { revision: 1, codes: 2, exact_codes: 1, regex_codes: 1, contracts: 0, settings: Settings {"
        ),
        "{shown}"
    );
}
