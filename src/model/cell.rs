//! Cells of the CSV files the crate writes, made safe to open in a spreadsheet.
//!
//! A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (tab and carriage return
//! too, in some) as a formula: a shopper who types `=HYPERLINK("http://…")` as a promo code
//! would run it on the analyst who opens the action listing. Such a cell is written with a
//! leading `'`, which spreadsheets read as "text follows" (OWASP's advice). So that a file
//! the crate wrote reads back unchanged, a cell that already starts with `'` and then one of
//! those characters gets one more `'`, and reading takes exactly one off.

use std::borrow::Cow;

/// Whether a spreadsheet could read `cell` as a formula, or it starts with the guard.
fn needs_guard(cell: &[u8]) -> bool {
    let start = cell.iter().position(|&b| b != b'\'').unwrap_or(cell.len());
    matches!(
        cell.get(start),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

/// `cell`, with a leading `'` when a spreadsheet could read it as a formula.
pub(crate) fn neutralise(cell: &str) -> Cow<'_, str> {
    if needs_guard(cell.as_bytes()) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The cell [`neutralise`] was given.
#[cfg(feature = "csv")]
pub(crate) fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_guard(rest.as_bytes()) => rest,
        _ => cell,
    }
}

/// A cell as some file had it (perhaps not UTF-8), guarded for writing: its value as read,
/// neutralised. A cell that was already guarded is kept as it was.
#[cfg(feature = "csv")]
pub(crate) fn reguard(cell: &[u8]) -> Cow<'_, [u8]> {
    let guarded = cell.first() == Some(&b'\'') && needs_guard(&cell[1..]);
    if guarded || !needs_guard(cell) {
        Cow::Borrowed(cell)
    } else {
        Cow::Owned([&b"'"[..], cell].concat())
    }
}

#[cfg(test)]
mod tests {
    #[cfg(feature = "csv")]
    use super::*;

    #[cfg(feature = "csv")]
    #[test]
    fn formula_cells_are_guarded_and_read_back_unchanged() {
        let cases = [
            ("SAVE10", "SAVE10"),
            ("", ""),
            ("'", "'"),
            ("'SAVE", "'SAVE"),
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+1", "'+1"),
            ("-10OFF", "'-10OFF"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'=x", "''=x"),
            ("''-x", "'''-x"),
            ("a=b", "a=b"),
            (" =x", " =x"),
        ];
        for (cell, written) in cases {
            assert_eq!(neutralise(cell), written, "{cell:?}");
            assert_eq!(restore(written), cell, "{cell:?}");
            // A cell a file had guarded goes back as it was; one it had unguarded (which
            // reads as itself), guarded.
            if restore(cell) == cell {
                assert_eq!(&*reguard(cell.as_bytes()), written.as_bytes(), "{cell:?}");
            }
            assert_eq!(
                &*reguard(written.as_bytes()),
                written.as_bytes(),
                "{cell:?}"
            );
        }
    }
}
