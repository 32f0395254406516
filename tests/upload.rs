//! Bulk upload and download (SPEC §6): review, all-or-nothing apply, line and column of every
//! problem, and the download that uploads back unchanged.

use promo_attribution::bulk::{Upload, export_csv};
use promo_attribution::{
    Code, CodeId, CreditPolicy, ErrorKind, MatchMode, PartnerId, ProgramId, Registry, Timestamp,
    Window,
};
use promo_attribution_testkit::t;

const SAMPLE: &str = include_str!("../examples/data/codes.csv");
const SEEDED: &str = include_str!("../examples/data/codes_with_errors.csv");

const HEADER: &str = "Promo Code,Program Id,Media Id,Type,Credit Rule,Match Mode,Deal Id,\
                      Active Start Date,Active End Date,Timezone";

fn file(rows: &[&str]) -> String {
    let mut out = format!("{HEADER}\n");
    for row in rows {
        out.push_str(row);
        out.push('\n');
    }
    out
}

/// (line, column, kind) of every problem, in order.
fn problems(upload: &Upload) -> Vec<(Option<u64>, Option<String>, ErrorKind)> {
    upload
        .problems()
        .iter()
        .map(|p| (p.line(), p.column().map(str::to_owned), p.kind()))
        .collect()
}

#[test]
fn the_sample_file_imports_cleanly_into_two_programs() {
    let mut programs = [
        (ProgramId(4210), Registry::default()),
        (ProgramId(5177), Registry::default()),
    ];
    let upload = Upload::review(SAMPLE, |p| {
        programs.iter().find(|(id, _)| *id == p).map(|(_, r)| r)
    });
    assert!(upload.is_clean(), "{:#?}", upload.problems());
    assert_eq!(upload.programs(), [ProgramId(4210), ProgramId(5177)]);
    let added = upload
        .apply(programs.iter_mut().map(|(id, r)| (*id, r)))
        .unwrap();
    assert_eq!(added, 21);
    assert_eq!(programs[0].1.len(), 15);
    assert_eq!(programs[1].1.len(), 6);
    // Ids are assigned per program in file order, from 1.
    let first = programs[1].1.get(CodeId(1)).unwrap();
    assert_eq!(first.text(), "GRILL20");

    let registry = &programs[0].1;
    let jane = registry
        .codes()
        .find(|c| c.text() == "JANE-SUMMER")
        .unwrap();
    let Code::Tracking(jane) = jane else { panic!() };
    assert_eq!(jane.owner, PartnerId(88001));
    assert_eq!(jane.deal, Some(5501));
    // Midnight in New York, on daylight time in June and September.
    assert_eq!(jane.window.from, Some(t("2026-06-01T04:00:00Z")));
    assert_eq!(jane.window.until, Some(t("2026-09-01T04:00:00Z")));
    let summer = registry
        .codes()
        .find(|c| c.text() == "^(SUMMER).*")
        .unwrap();
    let Code::Tracking(summer) = summer else {
        panic!()
    };
    assert_eq!(
        (summer.credit, summer.match_mode),
        (CreditPolicy::IfInvolved, MatchMode::Regex)
    );
}

#[test]
fn dst_gaps_move_forward_and_folds_take_the_earlier_instant() {
    let upload = Upload::review(SAMPLE, |_| None);
    let smoke = upload
        .rows()
        .iter()
        .find(|r| r.code().text() == "SMOKE25")
        .unwrap();
    let window = smoke.code().window();
    // 2026-03-08 02:30 does not exist in Chicago (clocks go 02:00 → 03:00): 03:30 CDT.
    assert_eq!(window.from, Some(t("2026-03-08T08:30:00Z")));
    // 2026-11-01 01:30 happens twice in Chicago: the first, still on CDT.
    assert_eq!(window.until, Some(t("2026-11-01T06:30:00Z")));
}

#[test]
fn a_seeded_file_reports_every_error_with_line_and_column_and_adds_nothing() {
    let mut registry = Registry::default();
    registry
        .add(Code::restricted(CodeId(900), "STAFF50").until(t("2027-01-01T00:00:00Z")))
        .unwrap();
    let upload = Upload::review(SEEDED, |_| Some(&registry));
    let col = |c: &str| Some(c.to_owned());
    let expected = vec![
        (Some(1), col("Notes"), ErrorKind::UnknownColumn),
        (Some(3), col("Credit Rule"), ErrorKind::InvalidValue),
        (Some(4), col("Match Mode"), ErrorKind::InvalidValue),
        (Some(5), col("Type"), ErrorKind::InvalidValue),
        (
            Some(6),
            col("Active Start Date"),
            ErrorKind::InvalidTimestamp,
        ),
        (Some(7), col("Timezone"), ErrorKind::UnknownTimeZone),
        (Some(8), col("Promo Code"), ErrorKind::InvalidRegex),
        (Some(9), col("Promo Code"), ErrorKind::DuplicateCode),
        (Some(10), col("Promo Code"), ErrorKind::DuplicateCode),
        (Some(11), col("Media Id"), ErrorKind::MissingValue),
        (Some(12), col("Active End Date"), ErrorKind::MissingValue),
        (Some(13), col("Media Id"), ErrorKind::InvalidValue),
        (Some(14), None, ErrorKind::MalformedCsv),
        (Some(15), col("Active End Date"), ErrorKind::InvalidWindow),
    ];
    assert_eq!(problems(&upload), expected);
    // Only the first row is good.
    assert_eq!(upload.rows().len(), 1);
    let err = upload
        .apply([(ProgramId(4210), &mut registry)])
        .unwrap_err();
    assert_eq!(err.errors().len(), expected.len());
    assert_eq!(registry.len(), 1);

    let messages: Vec<String> = upload.problems().iter().map(ToString::to_string).collect();
    for (message, must_contain) in messages.iter().zip([
        "line 1, column 11 (Notes): unknown column \"Notes\"",
        "line 3, column 5 (Credit Rule): \"SOMETIMES\" is not a valid Credit Rule",
        "line 4, column 6 (Match Mode): \"XX\" is not a valid Match Mode: expected LI or RE",
        "line 5, column 4 (Type): \"COUPON\" is not a valid Type",
        "line 6, column 8 (Active Start Date): \"30/06/2026\" is not a date-time",
        "line 7, column 10 (Timezone): unknown time zone \"America/Atlantis\"",
        "line 8, column 1 (Promo Code): code 902 \"^SUMMER(\\\\d{2}\": invalid regex at byte 7: unclosed group",
        "line 9, column 1 (Promo Code): code 903 \"jane15\": duplicate code: code 901 \"JANE15\"",
        "line 10, column 1 (Promo Code): code 904 \"STAFF50\": duplicate code: code 900",
        "line 11, column 3 (Media Id): a TRACKING row needs a Media Id",
        "line 12, column 9 (Active End Date): a RESTRICTED row needs an Active End Date",
        "line 13, column 3 (Media Id): \"abc\" is not a valid Media Id: expected a whole number",
        "line 14: malformed csv: the row has 4 fields, the header has 11",
        "line 15, column 9 (Active End Date): code 905 \"LATE\": window",
    ]) {
        assert!(
            message.starts_with(must_contain),
            "{message:?} should start with {must_contain:?}"
        );
    }
}

#[test]
fn all_forty_bad_rows_of_ten_thousand_are_reported() {
    let rows: Vec<String> = (0..10_000)
        .map(|i| {
            let rule = if i % 250 == 7 { "SOMETIMES" } else { "ALWAYS" };
            format!("CODE{i:05},1,{},TRACKING,{rule},LI,,,,", i % 97)
        })
        .collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let registry = Registry::default();
    let upload = Upload::review(file(&rows), |_| Some(&registry));
    assert_eq!(upload.problems().len(), 40);
    assert_eq!(upload.rows().len(), 9_960);
    assert!(
        upload
            .problems()
            .iter()
            .all(|p| p.column() == Some("Credit Rule"))
    );
    assert_eq!(upload.problems()[0].line(), Some(9));
}

#[test]
fn header_problems() {
    struct Case {
        header: &'static str,
        expected: &'static [(u64, Option<&'static str>, ErrorKind)],
        rows_read: bool,
    }
    let cases = [
        Case {
            header: "Promo Code,Campaign Id,Media Id,Type,Credit Rule,Match Mode",
            expected: &[],
            rows_read: true,
        },
        Case {
            header: "Promo Code,Media Id,Type,Credit Rule,Match Mode",
            expected: &[(1, None, ErrorKind::MissingColumn)],
            rows_read: false,
        },
        Case {
            header: "Promo Code,Program Id,Campaign Id,Media Id,Type,Credit Rule,Match Mode",
            expected: &[(1, Some("Campaign Id"), ErrorKind::DuplicateColumn)],
            rows_read: true,
        },
        Case {
            header: "promo code,Program Id,Media Id,Type,Credit Rule,Match Mode",
            expected: &[
                (1, Some("promo code"), ErrorKind::UnknownColumn),
                (1, None, ErrorKind::MissingColumn),
            ],
            rows_read: false,
        },
        // Tracking rows need Media Id: said once, at the header, however many rows there are.
        Case {
            header: "Promo Code,Program Id,Type,Credit Rule,Match Mode",
            expected: &[(1, None, ErrorKind::MissingColumn)],
            rows_read: false,
        },
    ];
    for case in cases {
        let columns: Vec<&str> = case.header.split(',').collect();
        let row = |code: &str| {
            columns
                .iter()
                .map(|c| match *c {
                    "Promo Code" | "promo code" => code,
                    "Program Id" | "Campaign Id" => "1",
                    "Media Id" => "2",
                    "Type" => "TRACKING",
                    "Credit Rule" => "ALWAYS",
                    "Match Mode" => "LI",
                    _ => "",
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        let csv = format!("\u{feff}{}\n{}\n{}\n", case.header, row("A1"), row("A2"));
        let upload = Upload::review(&csv, |_| Some(&*EMPTY));
        let got: Vec<_> = upload
            .problems()
            .iter()
            .map(|p| (p.line().unwrap(), p.column(), p.kind()))
            .collect();
        assert_eq!(got, case.expected, "{}", case.header);
        assert_eq!(
            upload.rows().len(),
            if case.rows_read { 2 } else { 0 },
            "{}",
            case.header
        );
    }
}

static EMPTY: std::sync::LazyLock<Registry> = std::sync::LazyLock::new(Registry::default);

#[test]
fn the_missing_column_names_the_first_row_that_needs_it() {
    let csv = "Promo Code,Program Id,Type,Active End Date\n\
               STAFF,1,RESTRICTED,2027-01-01T00:00:00Z\n\
               SAVE10,1,TRACKING,\n\
               SAVE20,1,TRACKING,\n";
    let upload = Upload::review(csv, |_| Some(&*EMPTY));
    let messages: Vec<String> = upload.problems().iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "line 1: missing required column \"Media Id\", which TRACKING rows need (the first is on line 3)",
            "line 1: missing required column \"Credit Rule\", which TRACKING rows need (the first is on line 3)",
            "line 1: missing required column \"Match Mode\", which TRACKING rows need (the first is on line 3)",
        ]
    );
    assert_eq!(upload.rows().len(), 1);
}

#[test]
fn a_row_with_a_bad_type_still_reports_its_other_values() {
    let csv = file(&["X,abc,7,COUPON,ALWAYS,LI,,30/06/2026,,"]);
    let upload = Upload::review(&csv, |_| Some(&*EMPTY));
    assert_eq!(
        problems(&upload),
        [
            (Some(2), Some("Program Id".into()), ErrorKind::InvalidValue),
            (Some(2), Some("Type".into()), ErrorKind::InvalidValue),
            (
                Some(2),
                Some("Active Start Date".into()),
                ErrorKind::InvalidTimestamp
            ),
        ]
    );
}

#[test]
fn restricted_rows_without_an_end_column_are_reported_once() {
    let csv = "Promo Code,Program Id,Type\nSTAFF,1,RESTRICTED\nCS,1,RESTRICTED\n";
    let upload = Upload::review(csv, |_| Some(&*EMPTY));
    let messages: Vec<String> = upload.problems().iter().map(|p| p.to_string()).collect();
    assert_eq!(
        messages,
        [
            r#"line 1: missing required column "Active End Date", which RESTRICTED rows need (the first is on line 2)"#
        ]
    );
}

#[test]
fn restricted_rows_take_no_tracking_values() {
    let csv = file(&["STAFF,1,7,RESTRICTED,ALWAYS,LI,3,,2027-01-01T00:00:00Z,"]);
    let upload = Upload::review(&csv, |_| Some(&*EMPTY));
    let columns: Vec<_> = upload
        .problems()
        .iter()
        .map(|p| (p.column(), p.kind()))
        .collect();
    assert_eq!(
        columns,
        [
            (Some("Media Id"), ErrorKind::InvalidValue),
            (Some("Credit Rule"), ErrorKind::InvalidValue),
            (Some("Match Mode"), ErrorKind::InvalidValue),
            (Some("Deal Id"), ErrorKind::InvalidValue),
        ]
    );
}

#[test]
fn unknown_programs_are_reported_once_and_block_apply() {
    let csv = file(&[
        "A1,1,2,TRACKING,ALWAYS,LI,,,,",
        "A2,3,2,TRACKING,ALWAYS,LI,,,,",
        "A3,3,2,TRACKING,ALWAYS,LI,,,,",
    ]);
    let known = Registry::default();
    let upload = Upload::review(&csv, |p| (p == ProgramId(1)).then_some(&known));
    assert_eq!(
        problems(&upload),
        [(
            Some(3),
            Some("Program Id".into()),
            ErrorKind::UnknownProgram
        )]
    );

    // Reviewed against registries for both, but applied with only one: nothing is added.
    let upload = Upload::review(&csv, |_| Some(&*EMPTY));
    assert!(upload.is_clean());
    let mut one = Registry::default();
    let err = upload.apply([(ProgramId(1), &mut one)]).unwrap_err();
    assert_eq!(err.errors()[0].kind(), ErrorKind::UnknownProgram);
    assert!(one.is_empty());
}

#[test]
fn apply_revalidates_against_registries_changed_since_the_review() {
    let csv = file(&[
        "A1,1,2,TRACKING,ALWAYS,LI,,,,",
        "B1,2,2,TRACKING,ALWAYS,LI,,,,",
    ]);
    let mut first = Registry::default();
    let mut second = Registry::default();
    let upload = Upload::review(&csv, |_| Some(&*EMPTY));
    assert!(upload.is_clean());
    second
        .add(Code::tracking(CodeId(50), "b1", PartnerId(9)))
        .unwrap();
    let err = upload
        .apply([(ProgramId(1), &mut first), (ProgramId(2), &mut second)])
        .unwrap_err();
    assert_eq!(err.errors().len(), 1);
    assert_eq!(err.errors()[0].kind(), ErrorKind::DuplicateCode);
    assert_eq!(err.errors()[0].line(), Some(3));
    // Program 1 was fine, but nothing of the file is applied.
    assert!(first.is_empty());
    assert_eq!(second.len(), 1);
}

#[test]
fn ids_come_from_the_file_or_follow_the_largest_of_the_program() {
    let csv = "Promo Code,Program Id,Media Id,Type,Credit Rule,Match Mode,Code Id,Priority,Label\n\
               A1,1,2,TRACKING,ALWAYS,LI,,,\n\
               A2,1,2,TRACKING,ALWAYS,LI,40,3,\"Spring, \"\"10%\"\"\"\n\
               A3,1,2,TRACKING,ALWAYS,LI,,,\n";
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(70), "OLD", PartnerId(2)))
        .unwrap();
    let upload = Upload::review(csv, |_| Some(&registry));
    let ids: Vec<u64> = upload.rows().iter().map(|r| r.code().id().0).collect();
    assert_eq!(ids, [71, 40, 72]);
    let Code::Tracking(a2) = upload.rows()[1].code() else {
        panic!()
    };
    assert_eq!(
        (a2.priority, a2.label.as_deref()),
        (3, Some("Spring, \"10%\""))
    );

    let clash = csv.replace(",40,", ",70,");
    let upload = Upload::review(&clash, |_| Some(&registry));
    assert_eq!(
        problems(&upload),
        [(Some(3), Some("Code Id".into()), ErrorKind::DuplicateId)]
    );
}

#[test]
fn malformed_input() {
    let not_utf8 = [
        HEADER.as_bytes(),
        b"\nSAVE\xFF,1,2,TRACKING,ALWAYS,LI,,,,\n",
    ]
    .concat();
    let upload = Upload::review(&not_utf8, |_| Some(&*EMPTY));
    assert_eq!(
        problems(&upload),
        [(Some(2), Some("Promo Code".into()), ErrorKind::MalformedCsv)]
    );

    let upload = Upload::review("", |_| Some(&*EMPTY));
    assert_eq!(
        problems(&upload),
        [(Some(1), None, ErrorKind::MalformedCsv)]
    );

    // Blank rows, as spreadsheets leave them, are skipped.
    let csv = file(&["SAVE10,1,2,TRACKING,ALWAYS,LI,,,,", ",,,,,,,,,", ""]);
    let upload = Upload::review(&csv, |_| Some(&*EMPTY));
    assert!(upload.is_clean());
    assert_eq!(upload.rows().len(), 1);
}

/// The same rows with each line end: every problem and row is on the line a text editor shows.
#[test]
fn lines_are_right_for_windows_mac_and_mixed_line_ends_and_multi_line_fields() {
    let rows = [
        "SAVE10,1,2,TRACKING,ALWAYS,LI,,,,",
        "",
        "\"MULTI\nLINE\",1,2,TRACKING,SOMETIMES,LI,,,,",
        "SAVE20,1,2,TRACKING,ALWAYS,XX,,,,",
    ];
    for (name, ends) in [
        ("lf", ["\n"; 4]),
        ("crlf", ["\r\n"; 4]),
        ("cr", ["\r"; 4]),
        ("mixed", ["\r\n", "\n", "\r", "\r\n"]),
    ] {
        let mut csv = HEADER.to_owned();
        for (end, row) in ends.iter().zip(rows) {
            csv.push_str(end);
            csv.push_str(row);
        }
        let upload = Upload::review(&csv, |_| Some(&*EMPTY));
        assert_eq!(
            problems(&upload),
            [
                (Some(4), Some("Credit Rule".into()), ErrorKind::InvalidValue),
                (Some(6), Some("Match Mode".into()), ErrorKind::InvalidValue),
            ],
            "{name}"
        );
        let lines: Vec<u64> = upload.rows().iter().map(|row| row.line()).collect();
        assert_eq!(lines, [2], "{name}");
        assert_eq!(upload.rejected_lines(), [4, 6], "{name}");
    }
}

#[test]
fn utf16_and_utf32_files_are_refused_with_their_encoding_and_the_fix() {
    let text = file(&["SAVE10,1,2,TRACKING,ALWAYS,LI,,,,"]);
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    for (mark, body, name) in [
        (&[0xFF, 0xFE][..], &le, "UTF-16 (little-endian)"),
        (&[0xFE, 0xFF][..], &be, "UTF-16 (big-endian)"),
    ] {
        let upload = Upload::review([mark, body.as_slice()].concat(), |_| Some(&*EMPTY));
        assert_eq!(
            problems(&upload),
            [(Some(1), None, ErrorKind::MalformedCsv)]
        );
        let message = upload.problems()[0].to_string();
        assert!(message.contains(name), "{message}");
        assert!(message.contains("CSV UTF-8"), "{message}");
    }
}

#[test]
fn download_then_upload_gives_back_the_same_codes() {
    let mut programs = [
        (ProgramId(4210), Registry::default()),
        (ProgramId(5177), Registry::default()),
    ];
    let upload = Upload::review(SAMPLE, |_| Some(&*EMPTY));
    upload
        .apply(programs.iter_mut().map(|(id, r)| (*id, r)))
        .unwrap();
    let file = export_csv(programs.iter().map(|(id, r)| (*id, r))).unwrap();

    let mut copies = [
        (ProgramId(4210), Registry::default()),
        (ProgramId(5177), Registry::default()),
    ];
    let upload = Upload::review(&file, |_| Some(&*EMPTY));
    assert!(upload.is_clean(), "{:#?}", upload.problems());
    upload
        .apply(copies.iter_mut().map(|(id, r)| (*id, r)))
        .unwrap();
    for ((_, original), (_, copy)) in programs.iter().zip(&copies) {
        assert_eq!(
            original.codes().collect::<Vec<_>>(),
            copy.codes().collect::<Vec<_>>()
        );
    }
    // And the second download is the same file.
    assert_eq!(
        export_csv(copies.iter().map(|(id, r)| (*id, r))).unwrap(),
        file
    );
}

#[test]
fn download_refuses_what_the_layout_cannot_hold() {
    let mut registry = Registry::default();
    registry.add(Code::restricted(CodeId(3), "STAFF")).unwrap();
    let err = export_csv([(ProgramId(1), &registry)]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingValue);
    assert_eq!(err.code_id(), Some(CodeId(3)));
}

#[test]
fn the_first_and_last_instants_go_through_a_download_and_back() {
    let mut registry = Registry::default();
    let edges = Window::between(Timestamp::MIN, Timestamp::MAX);
    registry
        .add(Code::tracking(CodeId(4), "FAR", PartnerId(1)).window(edges))
        .unwrap();
    registry
        .add(Code::restricted(CodeId(5), "STAFF").window(edges))
        .unwrap();
    let file = export_csv([(ProgramId(1), &registry)]).unwrap();
    assert!(
        file.contains("-009999-01-02T01:59:59Z,9999-12-30T22:00:00Z"),
        "{file}"
    );
    let mut copy = Registry::default();
    let upload = Upload::review(&file, |_| Some(&copy));
    assert!(upload.is_clean(), "{:?}", upload.problems());
    upload.apply([(ProgramId(1), &mut copy)]).unwrap();
    assert_eq!(
        copy.codes().collect::<Vec<_>>(),
        registry.codes().collect::<Vec<_>>()
    );
}

mod round_trip {
    use promo_attribution::bulk::{Upload, export_csv};
    use promo_attribution::{
        Code, CodeId, CreditPolicy, PartnerId, ProgramId, Registry, Timestamp, Window,
    };
    use proptest::prelude::*;

    /// A code as the generator draws it; ids are its position.
    #[derive(Clone, Debug)]
    enum Spec {
        Tracking {
            text: String,
            regex: bool,
            owner: u64,
            credit: u8,
            deal: Option<u64>,
            priority: i32,
        },
        Restricted {
            text: String,
        },
    }

    /// Texts with what CSV must quote or keep: commas, quotes, spaces, non-ASCII letters.
    fn text() -> impl Strategy<Value = String> {
        "[A-Za-z0-9Éß][A-Za-z0-9Éß ,\"'-]{0,8}[A-Za-z0-9]"
    }

    fn spec() -> impl Strategy<Value = Spec> {
        const PATTERNS: &[&str] = &[
            r"^P\d+$",
            "^SUMMER.*",
            r"^.*(PODCAST)$",
            "(?i)b[a-z]{3}",
            "A,B|\"C\"",
        ];
        prop_oneof![
            4 => (text(), any::<u64>(), 0..CreditPolicy::ALL.len() as u8, proptest::option::of(any::<u64>()), any::<i32>())
                .prop_map(|(text, owner, credit, deal, priority)| Spec::Tracking {
                    text, regex: false, owner, credit, deal, priority
                }),
            1 => (proptest::sample::select(PATTERNS), any::<u64>(), 0..CreditPolicy::ALL.len() as u8, any::<i32>())
                .prop_map(|(p, owner, credit, priority)| Spec::Tracking {
                    text: p.to_owned(), regex: true, owner, credit, deal: None, priority
                }),
            1 => text().prop_map(|text| Spec::Restricted { text }),
        ]
    }

    /// Instants to the millisecond, within the years the layout can write.
    fn instant() -> impl Strategy<Value = Timestamp> {
        (-62_000_000_000_000i64..250_000_000_000_000).prop_map(Timestamp::from_unix_millis)
    }

    type Schedule = (Option<Timestamp>, Option<Timestamp>);

    fn window() -> impl Strategy<Value = Schedule> {
        (
            proptest::option::of(instant()),
            proptest::option::of(instant()),
        )
    }

    fn label() -> impl Strategy<Value = Option<String>> {
        proptest::option::of("[^\u{0}]{1,12}")
    }

    fn registry(codes: Vec<(Spec, Schedule, Option<String>)>) -> Registry {
        let mut registry = Registry::default();
        for (i, (spec, (from, until), label)) in codes.into_iter().enumerate() {
            let id = CodeId(i as u64 * 3 + 1);
            let window = Window { from, until };
            let code: Code = match spec {
                Spec::Tracking {
                    text,
                    regex,
                    owner,
                    credit,
                    deal,
                    priority,
                } => {
                    let credit = CreditPolicy::ALL[usize::from(credit)];
                    let mut code = Code::tracking(id, text, PartnerId(owner))
                        .credit(credit)
                        .window(window)
                        .priority(priority);
                    if regex {
                        code = code.regex();
                    }
                    code.deal = deal;
                    code.label = label;
                    code.into()
                }
                Spec::Restricted { text } => {
                    // The layout requires an end for restricted codes.
                    let until = Some(until.unwrap_or(Timestamp::from_unix_seconds(1_800_000_000)));
                    let mut code = Code::restricted(id, text).window(Window { from, until });
                    code.label = label;
                    code.into()
                }
            };
            // Duplicates and reversed windows are rejected; the rest is the registry.
            let _ = registry.add(code);
        }
        registry
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Download, upload into empty registries, download again: the same codes, the same file.
        #[test]
        fn download_upload_is_lossless(
            a in proptest::collection::vec((spec(), window(), label()), 0..12),
            b in proptest::collection::vec((spec(), window(), label()), 0..12),
        ) {
            let originals = [(ProgramId(1), registry(a)), (ProgramId(u64::MAX), registry(b))];
            let file = export_csv(originals.iter().map(|(p, r)| (*p, r))).unwrap();
            let empty = Registry::default();
            let upload = Upload::review(&file, |_| Some(&empty));
            prop_assert!(upload.is_clean(), "{:#?}\n{}", upload.problems(), file);
            let mut copies = [(ProgramId(1), Registry::default()), (ProgramId(u64::MAX), Registry::default())];
            let added = upload.apply(copies.iter_mut().map(|(p, r)| (*p, r))).unwrap();
            prop_assert_eq!(added, originals[0].1.len() + originals[1].1.len());
            for ((_, original), (_, copy)) in originals.iter().zip(&copies) {
                prop_assert_eq!(original.codes().collect::<Vec<_>>(), copy.codes().collect::<Vec<_>>());
            }
            prop_assert_eq!(export_csv(copies.iter().map(|(p, r)| (*p, r))).unwrap(), file);
        }
    }
}

/// Hands out one byte per read, then fails if told to: a slow or broken source.
struct Trickle<'a> {
    bytes: &'a [u8],
    fail_after: Option<usize>,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.fail_after == Some(0) {
            return Err(std::io::Error::other("connection reset"));
        }
        self.fail_after = self.fail_after.map(|n| n - 1);
        match (self.bytes.split_first(), buf.first_mut()) {
            (Some((&byte, rest)), Some(slot)) => {
                *slot = byte;
                self.bytes = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

#[test]
fn a_file_read_from_any_reader_reviews_as_the_bytes_do() {
    let with_bom = format!("\u{FEFF}{SAMPLE}");
    let from_bytes = Upload::review(&with_bom, |_| Some(&*EMPTY));
    let from_reader = Upload::review_from(
        Trickle {
            bytes: with_bom.as_bytes(),
            fail_after: None,
        },
        |_| Some(&*EMPTY),
    );
    assert!(from_reader.is_clean(), "{:?}", from_reader.problems());
    assert_eq!(from_reader.rows(), from_bytes.rows());
    let seeded_bytes = Upload::review(SEEDED, |_| Some(&*EMPTY));
    let seeded_reader = Upload::review_from(SEEDED.as_bytes(), |_| Some(&*EMPTY));
    assert_eq!(problems(&seeded_reader), problems(&seeded_bytes));
}

#[test]
fn a_reader_that_fails_is_a_problem_at_the_line_it_stopped_on() {
    let csv = file(&[
        "SAVE10,1,7,TRACKING,ALWAYS,LI,,,,",
        "BOB15,1,8,TRACKING,ALWAYS,LI,,,,",
    ]);
    let upload = Upload::review_from(
        Trickle {
            bytes: csv.as_bytes(),
            fail_after: Some(csv.find("BOB15").unwrap() + 2),
        },
        |_| Some(&*EMPTY),
    );
    let io: Vec<_> = upload
        .problems()
        .iter()
        .filter(|p| p.kind() == ErrorKind::Io)
        .collect();
    assert_eq!(io.len(), 1, "{:?}", upload.problems());
    assert_eq!(io[0].io_kind(), Some(std::io::ErrorKind::Other));
    assert!(
        io[0]
            .to_string()
            .contains("reading failed: connection reset"),
        "{}",
        io[0]
    );
    assert_eq!(upload.rows().len(), 1);
}

#[test]
fn the_valid_rows_apply_and_the_rejected_ones_come_back_as_a_file() {
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(500), "TAKEN", PartnerId(1)))
        .unwrap();
    let csv = file(&[
        "SAVE10,1,7,TRACKING,ALWAYS,LI,,,,",
        "\"BOB,15\",1,8,TRACKING,SOMETIMES,LI,,,,",
        "taken,1,9,TRACKING,ALWAYS,LI,,,,",
        "JANE20,1,9,TRACKING,WINNER,LI,,,,",
        "SHORT,1",
    ]);
    let upload = Upload::review(&csv, |_| Some(&registry));
    assert_eq!(upload.rejected_lines(), [3, 4, 6]);
    assert!(upload.apply([(ProgramId(1), &mut registry)]).is_err());
    assert_eq!(registry.len(), 1, "apply is all or nothing");
    assert_eq!(
        upload.apply_valid([(ProgramId(1), &mut registry)]).unwrap(),
        2
    );
    assert_eq!(registry.len(), 3);
    assert_eq!(
        upload.rejected_csv(),
        format!(
            "{HEADER}\n\"BOB,15\",1,8,TRACKING,SOMETIMES,LI,,,,\ntaken,1,9,TRACKING,ALWAYS,LI,,,,\nSHORT,1\n"
        )
    );
    // Fixed and sent back, the rejected rows review on their own.
    let fixed = upload
        .rejected_csv()
        .replace("SOMETIMES", "ALWAYS")
        .replace("taken", "UNTAKEN")
        .replace("SHORT,1", "SHORT,1,9,TRACKING,ALWAYS,LI,,,,");
    let again = Upload::review(&fixed, |_| Some(&registry));
    assert!(again.is_clean(), "{:?}", again.problems());
    assert_eq!(again.rows().len(), 3);
}
