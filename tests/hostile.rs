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
