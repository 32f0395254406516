//! What the crate says about hostile input stays short and unambiguous, and what it writes
//! (downloads, rejected rows, action rows) holds no spreadsheet formula.

use promo_attribution::{Code, CodeId, ExceptionList, PartnerId, Payout, Registry, Timestamp};

use super::{assert_short, huge};

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
