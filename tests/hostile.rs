//! Hostile input (issue 15): what an attacker or a careless brand hands the crate stays cheap,
//! and what the crate says about it stays short and unambiguous.

use promo_attribution::{Code, CodeId, ExceptionList, PartnerId, Payout, Registry, Timestamp};

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
    use promo_attribution::Upload;
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
    use promo_attribution::{ProgramId, Upload, export_csv};
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
    use promo_attribution::{ActionRow, Conversion};
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
    use promo_attribution::Conflict;
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
    use promo_attribution::Conflict;
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
    assert!(found >= 1 && found < 10, "{some:?}");
    assert!(!unchecked.is_empty(), "{some:?}");
    assert_eq!(*unchecked.last().unwrap(), 4);
    assert_eq!(engine.conflicts_within(0).len(), 5);
}
