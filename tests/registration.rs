//! Registration rules (SPEC §3): what is rejected, with which kind, and what the message names.

use promo_attribution::decision::CodeState;
use promo_attribution::{
    Code, CodeId, Contract, ErrorKind, PartnerId, Registry, Timestamp, Window,
};
use promo_attribution_testkit::t;

struct Case {
    name: &'static str,
    existing: fn() -> Vec<Code>,
    add: fn() -> Code,
    kind: Option<ErrorKind>,
    /// Text the message must contain.
    message: &'static str,
}

fn none() -> Vec<Code> {
    Vec::new()
}

fn save10() -> Vec<Code> {
    vec![
        Code::tracking(CodeId(10), "SAVE10", PartnerId(1))
            .ends_at(t("2026-02-01T00:00:00Z"))
            .into(),
    ]
}

const CASES: &[Case] = &[
    Case {
        name: "plain exact code",
        existing: none,
        add: || Code::tracking(CodeId(1), "SAVE10", PartnerId(1)).into(),
        kind: None,
        message: "",
    },
    Case {
        name: "blank code",
        existing: none,
        add: || Code::tracking(CodeId(1), " \t ", PartnerId(1)).into(),
        kind: Some(ErrorKind::EmptyCode),
        message: "code 1 \"\": code is empty after trimming white space",
    },
    Case {
        name: "code of 257 bytes",
        existing: none,
        add: || Code::tracking(CodeId(1), "X".repeat(257), PartnerId(1)).into(),
        kind: Some(ErrorKind::CodeTooLong),
        message: "code is 257 bytes long, the limit is 256 bytes",
    },
    Case {
        name: "code of 256 bytes after trimming",
        existing: none,
        add: || Code::tracking(CodeId(1), format!("  {}  ", "X".repeat(256)), PartnerId(1)).into(),
        kind: None,
        message: "",
    },
    Case {
        name: "control character inside",
        existing: none,
        add: || Code::tracking(CodeId(7), "SAVE\n10", PartnerId(1)).into(),
        kind: Some(ErrorKind::ControlCharacter),
        message: "code 7 \"SAVE\\n10\": code contains the control character '\\n' at byte 4",
    },
    Case {
        name: "window ends before it starts",
        existing: none,
        add: || {
            Code::tracking(CodeId(1), "SAVE10", PartnerId(1))
                .window(Window::between(
                    t("2026-03-01T00:00:00Z"),
                    t("2026-02-01T00:00:00Z"),
                ))
                .into()
        },
        kind: Some(ErrorKind::InvalidWindow),
        message: "window [2026-03-01T00:00:00Z, 2026-02-01T00:00:00Z) does not end after it starts",
    },
    Case {
        name: "empty window",
        existing: none,
        add: || {
            Code::restricted(CodeId(1), "STAFF")
                .window(Window::between(
                    t("2026-03-01T00:00:00Z"),
                    t("2026-03-01T00:00:00Z"),
                ))
                .into()
        },
        kind: Some(ErrorKind::InvalidWindow),
        message: "does not end after it starts",
    },
    Case {
        name: "duplicate id across kinds",
        existing: save10,
        add: || Code::restricted(CodeId(10), "STAFF").into(),
        kind: Some(ErrorKind::DuplicateId),
        message: "code 10 \"STAFF\": duplicate id: code 10 \"SAVE10\" is already registered under it",
    },
    Case {
        name: "same text, overlapping schedule, other case",
        existing: save10,
        add: || Code::tracking(CodeId(11), "save10", PartnerId(2)).into(),
        kind: Some(ErrorKind::DuplicateCode),
        message: "duplicate code: code 10 \"SAVE10\" has the same text",
    },
    Case {
        name: "restricted code clashing with a tracking code",
        existing: save10,
        add: || Code::restricted(CodeId(30), "Save10").into(),
        kind: Some(ErrorKind::DuplicateCode),
        message: "code 10",
    },
    Case {
        name: "reuse once the old schedule ended",
        existing: save10,
        add: || {
            Code::tracking(CodeId(11), "save10", PartnerId(2))
                .starts_at(t("2026-02-01T00:00:00Z"))
                .into()
        },
        kind: None,
        message: "",
    },
    Case {
        name: "unicode case folding finds the duplicate",
        existing: || vec![Code::tracking(CodeId(1), "ÉTÉ20", PartnerId(1)).into()],
        add: || Code::tracking(CodeId(2), "été20", PartnerId(2)).into(),
        kind: Some(ErrorKind::DuplicateCode),
        message: "ÉTÉ20",
    },
    Case {
        name: "regex does not clash with an exact code of the same text",
        existing: save10,
        add: || {
            Code::tracking(CodeId(20), "SAVE10", PartnerId(2))
                .regex()
                .into()
        },
        kind: None,
        message: "",
    },
    Case {
        name: "regex syntax error with position",
        existing: none,
        add: || {
            Code::tracking(CodeId(20), "SUMMER(", PartnerId(1))
                .regex()
                .into()
        },
        kind: Some(ErrorKind::InvalidRegex),
        message: "code 20 \"SUMMER(\": invalid regex at byte 6: unclosed group",
    },
    Case {
        name: "look-behind",
        existing: none,
        add: || {
            Code::tracking(CodeId(20), "(?<=A)B", PartnerId(1))
                .regex()
                .into()
        },
        kind: Some(ErrorKind::UnsupportedRegex),
        message: "unsupported regex at byte 0: look-around",
    },
    Case {
        name: "back-reference",
        existing: none,
        add: || {
            Code::tracking(CodeId(20), r"(A)\1", PartnerId(1))
                .regex()
                .into()
        },
        kind: Some(ErrorKind::UnsupportedRegex),
        message: "backreferences are not supported",
    },
    Case {
        name: "catch-all",
        existing: none,
        add: || {
            Code::tracking(CodeId(20), ".*", PartnerId(1))
                .regex()
                .into()
        },
        kind: Some(ErrorKind::MatchesEmpty),
        message: "regex matches the empty string",
    },
    Case {
        name: "optional everything",
        existing: none,
        add: || {
            Code::tracking(CodeId(20), "(SUMMER)?", PartnerId(1))
                .regex()
                .into()
        },
        kind: Some(ErrorKind::MatchesEmpty),
        message: "",
    },
    Case {
        name: "huge repetition",
        existing: none,
        add: || {
            Code::tracking(CodeId(20), r"\w{1000}", PartnerId(1))
                .regex()
                .into()
        },
        kind: Some(ErrorKind::RegexTooLarge),
        message: "exceeds the limit of 262144 bytes",
    },
    Case {
        name: "deep nesting",
        existing: none,
        add: || {
            Code::tracking(
                CodeId(20),
                format!("{}A{}", "(".repeat(100), ")".repeat(100)),
                PartnerId(1),
            )
            .regex()
            .into()
        },
        kind: Some(ErrorKind::InvalidRegex),
        message: "nest",
    },
];

#[test]
fn registration_rules() {
    let mut names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), CASES.len(), "case names are unique");

    for case in CASES {
        let mut registry = Registry::default();
        for code in (case.existing)() {
            registry.add(code).unwrap();
        }
        let before = registry.len();
        let result = registry.add((case.add)());
        match (result, case.kind) {
            (Ok(()), None) => assert_eq!(registry.len(), before + 1, "{}", case.name),
            (Err(err), Some(kind)) => {
                assert_eq!(err.kind(), kind, "{}: {err}", case.name);
                assert!(
                    err.to_string().contains(case.message),
                    "{}: {err}",
                    case.name
                );
                assert_eq!(registry.len(), before, "{}: nothing added", case.name);
                assert!(registry.compile().is_ok(), "{}", case.name);
            }
            (Ok(()), Some(kind)) => panic!("{}: accepted, expected {kind:?}", case.name),
            (Err(err), None) => panic!("{}: rejected: {err}", case.name),
        }
    }
}

#[test]
fn code_text_is_stored_trimmed() {
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(1), "  SAVE10\t", PartnerId(1)))
        .unwrap();
    assert_eq!(registry.get(CodeId(1)).unwrap().text(), "SAVE10");
}

#[test]
fn batch_reports_every_bad_row_and_adds_nothing() {
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(1), "KEEP", PartnerId(1)))
        .unwrap();
    let mut batch: Vec<Code> = Vec::new();
    for i in 0..10_000u64 {
        let text = if i % 250 == 7 {
            String::new()
        } else {
            format!("CODE{i}")
        };
        batch.push(Code::tracking(CodeId(100 + i), text, PartnerId(i % 7)).into());
    }
    // A duplicate inside the batch is reported at its second occurrence.
    batch.push(Code::tracking(CodeId(99_999), "code42", PartnerId(3)).into());
    let err = registry.add_all(batch).unwrap_err();
    assert_eq!(err.errors().len(), 41);
    assert!(
        err.errors()[..40]
            .iter()
            .all(|e| e.kind() == ErrorKind::EmptyCode)
    );
    let last = &err.errors()[40];
    assert_eq!(
        (last.kind(), last.row(), last.conflicting_code()),
        (ErrorKind::DuplicateCode, Some(10_000), Some(CodeId(142)))
    );
    assert!(
        last.to_string()
            .starts_with("row 10000: code 99999 \"code42\": duplicate code"),
        "{last}"
    );
    assert_eq!(
        err.to_string().split(';').next(),
        Some("41 of 10001 rows rejected, nothing was added")
    );
    assert_eq!(registry.len(), 1);
    // The rolled-back texts are free again.
    registry
        .add(Code::tracking(CodeId(2), "CODE42", PartnerId(1)))
        .unwrap();
}

#[test]
fn batch_of_valid_rows_is_added_in_order() {
    let mut registry = Registry::default();
    registry
        .add_all([
            Code::from(Code::tracking(CodeId(3), "A", PartnerId(1))),
            Code::from(Code::restricted(CodeId(1), "B")),
            Code::from(Code::tracking(CodeId(2), "^C\\d$", PartnerId(1)).regex()),
        ])
        .unwrap();
    let ids: Vec<CodeId> = registry.codes().map(|c| c.id()).collect();
    assert_eq!(ids, [CodeId(3), CodeId(1), CodeId(2)]);
}

#[test]
fn lifecycle_events_need_a_known_code_and_keep_time_order() {
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(1), "A", PartnerId(1)))
        .unwrap();
    let err = registry
        .expire(CodeId(9), t("2026-01-01T00:00:00Z"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownCode);
    assert_eq!(
        err.to_string(),
        "code 9: no code with this id is registered"
    );
    registry
        .reactivate(CodeId(1), t("2026-03-01T00:00:00Z"))
        .unwrap();
    registry
        .expire(CodeId(1), t("2026-02-01T00:00:00Z"))
        .unwrap();
    let instants: Vec<Timestamp> = registry.events(CodeId(1)).unwrap().map(|e| e.at).collect();
    assert_eq!(
        instants,
        [t("2026-02-01T00:00:00Z"), t("2026-03-01T00:00:00Z")]
    );
}

#[test]
fn contract_windows_are_validated() {
    let mut registry = Registry::default();
    let bad = Window::between(t("2026-03-01T00:00:00Z"), t("2026-01-01T00:00:00Z"));
    let err = registry.set_contract(PartnerId(4), bad).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidWindow);
    assert!(
        err.to_string().starts_with("contract of partner 4: window"),
        "{err}"
    );
    assert_eq!(registry.contract(PartnerId(4)), None);
    registry.set_contract(PartnerId(4), Window::ALWAYS).unwrap();
    assert_eq!(
        registry.remove_contract(PartnerId(4)),
        Some(Contract::new(Window::ALWAYS))
    );
}

#[test]
fn compiled_engines_are_snapshots() {
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(1), "A", PartnerId(1)))
        .unwrap();
    let engine = registry.compile().unwrap();
    registry
        .add(Code::tracking(CodeId(2), "B", PartnerId(1)))
        .unwrap();
    assert_eq!((engine.len(), registry.compile().unwrap().len()), (1, 2));
    assert!(engine.code(CodeId(2)).is_none());
    // Engines share the registry's definitions and id index; a change after compiling must
    // leave what an engine sees as it was.
    assert_eq!(engine.code(CodeId(1)).map(Code::text), Some("A"));
    let later = registry.compile().unwrap();
    assert_eq!(later.code(CodeId(2)).map(Code::text), Some("B"));
    registry
        .expire(CodeId(1), Timestamp::from_unix_seconds(0))
        .unwrap();
    let at = Timestamp::from_unix_seconds(10);
    assert_eq!(engine.state(CodeId(1), at), Some(CodeState::Active));
    assert_eq!(later.state(CodeId(1), at), Some(CodeState::Active));
    assert_eq!(
        registry.compile().unwrap().state(CodeId(1), at),
        Some(CodeState::Expired)
    );
}
