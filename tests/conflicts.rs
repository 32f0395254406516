//! Code requests (`check_available`) and the conflict report (SPEC §3 rule 6).

use promo_attribution::conflicts::{Collision, Conflict};
use promo_attribution::settings::RegexAnchoring;
use promo_attribution::{Code, CodeId, ErrorKind, PartnerId, Registry, Settings, Window};
use promo_attribution_testkit::t;
use proptest::prelude::*;

fn program() -> Registry {
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(1), "JANE15", PartnerId(1)))
        .unwrap();
    registry
        .add(Code::tracking(CodeId(2), r"^SUMMER\d+$", PartnerId(2)).regex())
        .unwrap();
    registry
        .add(Code::tracking(CodeId(3), r"^maya\d+$", PartnerId(2)).regex())
        .unwrap();
    registry
        .add(Code::restricted(CodeId(4), "STAFF50").until(t("2027-01-01T00:00:00Z")))
        .unwrap();
    registry
        .add(Code::tracking(CodeId(5), "WINTER25", PartnerId(3)).ends_at(t("2026-03-01T00:00:00Z")))
        .unwrap();
    registry
}

#[test]
fn check_available_names_every_collision() {
    let engine = program().compile().unwrap();
    let after_winter = Window::starting_at(t("2026-03-01T00:00:00Z"));
    let cases: &[(&str, u64, Window, &[Collision])] = &[
        ("JOHN20", 1, Window::ALWAYS, &[]),
        (
            "Jane15",
            4,
            Window::ALWAYS,
            &[Collision::Exact {
                code: CodeId(1),
                owner: PartnerId(1),
            }],
        ),
        // The owner asking again for its own code is still a duplicate.
        (
            "JANE15",
            1,
            Window::ALWAYS,
            &[Collision::Exact {
                code: CodeId(1),
                owner: PartnerId(1),
            }],
        ),
        (
            "staff50",
            1,
            Window::ALWAYS,
            &[Collision::Restricted { code: CodeId(4) }],
        ),
        // The restriction ends in 2027: a code for afterwards is free.
        (
            "STAFF50",
            1,
            Window::starting_at(t("2027-01-01T00:00:00Z")),
            &[],
        ),
        (
            "WINTER25",
            1,
            Window::ALWAYS,
            &[Collision::Exact {
                code: CodeId(5),
                owner: PartnerId(3),
            }],
        ),
        ("WINTER25", 1, after_winter, &[]),
        // Regex codes are case-sensitive; a customer may type the suggestion in any case.
        (
            "summer2026",
            1,
            Window::ALWAYS,
            &[Collision::Regex {
                code: CodeId(2),
                owner: PartnerId(2),
                example: "SUMMER2026".into(),
            }],
        ),
        (
            "MAYA99",
            1,
            Window::ALWAYS,
            &[Collision::Regex {
                code: CodeId(3),
                owner: PartnerId(2),
                example: "maya99".into(),
            }],
        ),
        // Partner 2's own regex is no collision for partner 2.
        ("SUMMER1", 2, Window::ALWAYS, &[]),
        (
            "  JANE15  ",
            2,
            Window::ALWAYS,
            &[Collision::Exact {
                code: CodeId(1),
                owner: PartnerId(1),
            }],
        ),
        (
            "Maya7",
            4,
            Window::ALWAYS,
            &[Collision::Regex {
                code: CodeId(3),
                owner: PartnerId(2),
                example: "maya7".into(),
            }],
        ),
    ];
    for (text, partner, window, expected) in cases {
        let got = engine
            .check_available(text, PartnerId(*partner), *window)
            .unwrap();
        assert_eq!(got.collisions(), *expected, "{text} for partner {partner}");
        assert_eq!(got.is_available(), expected.is_empty());
    }
}

#[test]
fn check_available_rejects_what_could_never_be_registered() {
    let engine = program().compile().unwrap();
    for (text, kind) in [
        ("   ", ErrorKind::EmptyCode),
        ("SAVE\n10", ErrorKind::ControlCharacter),
        (&*"A".repeat(300), ErrorKind::CodeTooLong),
    ] {
        let err = engine
            .check_available(text, PartnerId(1), Window::ALWAYS)
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{text:?}");
        assert!(err.to_string().starts_with("suggested code"), "{err}");
    }
    let backwards = Window::between(t("2026-02-01T00:00:00Z"), t("2026-01-01T00:00:00Z"));
    let err = engine
        .check_available("OK", PartnerId(1), backwards)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidWindow);
}

#[test]
fn conflict_report_of_a_program() {
    let mut registry = program();
    registry
        .add(
            Code::tracking(CodeId(6), r"^SUMMER2\d$", PartnerId(4))
                .regex()
                .priority(1),
        )
        .unwrap();
    registry
        .add(Code::tracking(CodeId(7), r"^STAFF\d{2}$", PartnerId(5)).regex())
        .unwrap();
    // Same owner as code 2: never a conflict.
    registry
        .add(Code::tracking(CodeId(8), r"^SUMMER.*$", PartnerId(2)).regex())
        .unwrap();
    // Disjoint schedules: never compete.
    registry
        .add(
            Code::tracking(CodeId(9), r"^SUMMER\d{3}$", PartnerId(6))
                .regex()
                .starts_at(t("2030-01-01T00:00:00Z")),
        )
        .unwrap();
    registry
        .add(
            Code::tracking(CodeId(10), r"^SUMMER\d{3}$", PartnerId(7))
                .regex()
                .ends_at(t("2029-01-01T00:00:00Z")),
        )
        .unwrap();
    registry
        .add(Code::tracking(CodeId(11), "MAYA7", PartnerId(8)))
        .unwrap();
    let conflicts = registry.compile().unwrap().conflicts();
    let rendered: Vec<String> = conflicts.iter().map(ToString::to_string).collect();
    assert_eq!(
        rendered,
        [
            r#"exact code 11 shadows regex code 3 of another partner: "maya7" matches both and credits the exact code's owner"#,
            r#"regex codes 2 and 9 of different partners both match "SUMMER000"; code 2 wins it"#,
            r#"regex codes 2 and 10 of different partners both match "SUMMER000"; code 2 wins it"#,
            r#"regex codes 6 and 2 of different partners both match "SUMMER20"; code 6 wins it"#,
            r#"regex codes 6 and 8 of different partners both match "SUMMER20"; code 6 wins it"#,
            r#"regex codes 8 and 9 of different partners both match "SUMMER000"; code 8 wins it"#,
            r#"regex codes 8 and 10 of different partners both match "SUMMER000"; code 8 wins it"#,
            r#"restricted code 4 shadows regex code 7: orders carrying "STAFF50" are invalid"#,
        ]
    );
    // Codes 9 and 10 match the same texts, but their schedules never meet.
    assert!(!conflicts.iter().any(|c| matches!(
        c,
        Conflict::RegexOverlap {
            winner: CodeId(9),
            loser: CodeId(10),
            ..
        } | Conflict::RegexOverlap {
            winner: CodeId(10),
            loser: CodeId(9),
            ..
        }
    )));
}

#[test]
fn undecidable_pairs_are_reported_as_unknown() {
    let mut registry = {
        let mut settings = Settings::default();
        settings.regex_anchoring = RegexAnchoring::Search;
        Registry::new(settings)
    };
    registry
        .add(Code::tracking(CodeId(1), r"\bSAVE\b", PartnerId(1)).regex())
        .unwrap();
    registry
        .add(Code::tracking(CodeId(2), "SAVE", PartnerId(2)).regex())
        .unwrap();
    let conflicts = registry.compile().unwrap().conflicts();
    assert!(
        matches!(
            &conflicts[..],
            [Conflict::RegexOverlapUnknown {
                winner: CodeId(1),
                loser: CodeId(2),
                ..
            }]
        ),
        "{conflicts:?}"
    );
}

/// Patterns over a tiny alphabet, so that overlaps are common and brute force is cheap.
fn pattern() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        Just("A".to_owned()),
        Just("B".to_owned()),
        Just("É".to_owned()),
        Just("[AB]".to_owned()),
        Just("[^A]".to_owned()),
        Just(".".to_owned()),
        Just("(?i:a)".to_owned()),
    ];
    atom.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4).prop_map(|v| v.concat()),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("(?:{a}|{b})")),
            (
                inner.clone(),
                prop_oneof![Just("?"), Just("*"), Just("+"), Just("{2}"), Just("{1,2}")]
            )
                .prop_map(|(a, op)| format!("(?:{a}){op}")),
        ]
    })
}

/// Every text over the alphabet up to `max` characters.
fn texts(max: usize) -> Vec<String> {
    texts_over(&["A", "B", "a", "É", "C"], max)
}

/// Every text over `alphabet` up to `max` characters.
fn texts_over(alphabet: &[&str], max: usize) -> Vec<String> {
    let mut all = vec![String::new()];
    let mut frontier = vec![String::new()];
    for _ in 0..max {
        frontier = frontier
            .iter()
            .flat_map(|p| alphabet.iter().map(move |c| format!("{p}{c}")))
            .collect();
        all.extend(frontier.iter().cloned());
    }
    all
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The DFA product against brute force over every short text: an example must match both
    /// patterns, "no conflict" must mean no short text matches both, and the example is no
    /// longer than the shortest the brute force finds.
    #[test]
    fn regex_overlap_agrees_with_brute_force(a in pattern(), b in pattern(), search in any::<bool>()) {
        let mut settings = Settings::default();
        settings.regex_anchoring = if search { RegexAnchoring::Search } else { RegexAnchoring::WholeCode };
        let mut registry = Registry::new(settings);
        // Patterns matching the empty string are rejected at registration; skip those cases.
        if registry.add(Code::tracking(CodeId(1), &a, PartnerId(1)).regex()).is_err()
            || registry.add(Code::tracking(CodeId(2), &b, PartnerId(2)).regex()).is_err()
        {
            return Ok(());
        }
        let anchor = |p: &str| if search { p.to_owned() } else { format!("^(?:{p})$") };
        let (ra, rb) = (regex::Regex::new(&anchor(&a)).unwrap(), regex::Regex::new(&anchor(&b)).unwrap());
        let shortest = texts(5).into_iter().find(|s| ra.is_match(s) && rb.is_match(s));

        let conflicts = registry.compile().unwrap().conflicts();
        match (&conflicts[..], shortest) {
            ([], None) => {}
            ([Conflict::RegexOverlap { example, .. }], found) => {
                prop_assert!(ra.is_match(example) && rb.is_match(example), "{example:?}");
                if let Some(found) = found {
                    prop_assert!(example.len() <= found.len(), "{example:?} longer than {found:?}");
                }
            }
            (other, found) => prop_assert!(false, "{other:?}, brute force found {found:?}"),
        }
    }
}

/// A pattern with a literal prefix and suffix drawn from a few that extend one another, so
/// that the candidate pairs the report lists by either end are put to the test.
fn family_pattern() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just(""), Just("P"), Just("PA"), Just("Q"), Just("PAB")],
        pattern(),
        prop_oneof![Just(""), Just("-1"), Just("1"), Just("-11"), Just("B")],
    )
        .prop_map(|(prefix, core, suffix)| format!("{prefix}(?:{core}){suffix}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Several codes at once: every pair brute force finds a shared short text for is
    /// reported (the candidate pairs leave none out), and every pair reported shares its
    /// example.
    #[test]
    fn the_report_misses_no_overlapping_pair(patterns in proptest::collection::vec(family_pattern(), 2..7)) {
        let mut registry = Registry::default();
        let mut kept = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            let id = CodeId(i as u64);
            if registry.add(Code::tracking(id, p, PartnerId(i as u64)).regex()).is_ok() {
                kept.push((id, regex::Regex::new(&format!("^(?:{p})$")).unwrap()));
            }
        }
        let texts = texts_over(&["A", "B", "É", "P", "-", "1"], 5);
        let conflicts = registry.compile().unwrap().conflicts();
        let mut reported = std::collections::HashSet::new();
        for conflict in &conflicts {
            match conflict {
                Conflict::RegexOverlap { winner, loser, example } => {
                    let matches = |id: CodeId| kept.iter().any(|(k, r)| *k == id && r.is_match(example));
                    prop_assert!(matches(*winner) && matches(*loser), "{example:?} for {winner}/{loser}");
                    reported.insert((winner.0.min(loser.0), winner.0.max(loser.0)));
                }
                Conflict::RegexOverlapUnknown { winner, loser, .. } => {
                    reported.insert((winner.0.min(loser.0), winner.0.max(loser.0)));
                }
                other => prop_assert!(false, "{other:?}"),
            }
        }
        for (i, (a, ra)) in kept.iter().enumerate() {
            for (b, rb) in &kept[i + 1..] {
                if let Some(text) = texts.iter().find(|t| ra.is_match(t) && rb.is_match(t)) {
                    prop_assert!(
                        reported.contains(&(a.0.min(b.0), a.0.max(b.0))),
                        "{a} and {b} both match {text:?}, not reported: {conflicts:?}"
                    );
                }
            }
        }
    }
}
