//! Unicode simple case folding for exact codes.
//!
//! Simple folding (CaseFolding.txt statuses C and S) maps each character to one character, so a
//! folded code is a plain string compared byte for byte; full folding (`ß` → `ss`) would let one
//! registered code equal texts of other lengths, which a brand would not expect of a code. The
//! tables come from `unicode-case-mapping`, generated from the Unicode data; ASCII, nearly every
//! code in practice, takes a fast path.

use crate::model::MAX_CODE_LEN;

/// Room for any folded code of at most [`MAX_CODE_LEN`] bytes. Simple folding grows a
/// character's UTF-8 encoding by at most half (two bytes to three, as `Ⱥ` → `ⱥ`; checked over
/// every character by a test below), and a smaller buffer is less to initialise per lookup.
pub(crate) const FOLD_BUF_LEN: usize = MAX_CODE_LEN * 3 / 2;

fn fold_char(c: char) -> char {
    unicode_case_mapping::case_folded(c)
        .and_then(|folded| char::from_u32(folded.get()))
        .unwrap_or(c)
}

/// Texts up to this many bytes fold into [`SMALL_BUF_LEN`] bytes whatever they hold.
pub(crate) const SMALL_TEXT_LEN: usize = SMALL_BUF_LEN * 2 / 3;

/// A stack buffer for the common short code: cheaper to set up than [`FOLD_BUF_LEN`] bytes.
pub(crate) const SMALL_BUF_LEN: usize = 48;

/// Folds `text` into `buf` without allocating, as bytes: lookups compare bytes, and the fold
/// of a `str` is UTF-8 already. `None` when `text` is longer than [`MAX_CODE_LEN`] bytes
/// (callers reject such texts before folding) or the folded text does not fit in `buf`, which
/// cannot happen for a buffer of [`FOLD_BUF_LEN`] bytes.
#[inline]
fn fold_into<'b>(text: &str, buf: &'b mut [u8]) -> Option<&'b [u8]> {
    if text.len() > MAX_CODE_LEN {
        return None;
    }
    // ASCII, nearly every code, in one pass that the compiler vectorises: lower-case each byte
    // and note whether any byte is not ASCII, in which case the text is folded again below.
    let mut high_bits = 0;
    for (o, &b) in buf.get_mut(..text.len())?.iter_mut().zip(text.as_bytes()) {
        high_bits |= b;
        *o = b | (u8::from(b.is_ascii_uppercase()) << 5);
    }
    if high_bits.is_ascii() {
        return Some(&buf[..text.len()]);
    }
    let mut len = 0;
    for c in text.chars() {
        let folded = fold_char(c);
        let slot = buf.get_mut(len..len + folded.len_utf8())?;
        folded.encode_utf8(slot);
        len += folded.len_utf8();
    }
    Some(&buf[..len])
}

/// Folds `text` on the stack and passes the folded text to `f`; `None` when `text` is longer
/// than [`MAX_CODE_LEN`] bytes.
#[inline]
pub(crate) fn with_folded<R>(text: &str, f: impl FnOnce(&str) -> R) -> Option<R> {
    // The fold of a `str` is UTF-8: the check cannot fail, it only proves it to the compiler.
    with_folded_bytes(text, |folded| std::str::from_utf8(folded).ok().map(f)).flatten()
}

/// [`with_folded`] as bytes.
#[inline]
pub(crate) fn with_folded_bytes<R>(text: &str, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
    if text.len() <= SMALL_TEXT_LEN {
        let mut buf = [0u8; SMALL_BUF_LEN];
        fold_into(text, &mut buf).map(f)
    } else {
        let mut buf = [0u8; FOLD_BUF_LEN];
        fold_into(text, &mut buf).map(f)
    }
}

/// [`str::trim`], without its scan for Unicode white space when both ends are visible ASCII,
/// as nearly every entered code's are.
#[inline]
pub(crate) fn trim(text: &str) -> &str {
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// Folds a text of any length into a new string (registration time only).
pub(crate) fn fold(text: &str) -> String {
    if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        text.chars().map(fold_char).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_simple_case() {
        const CASES: &[(&str, &str)] = &[
            ("SAVE10", "save10"),
            ("save10", "save10"),
            ("Mixed-Case_9", "mixed-case_9"),
            ("ÉTÉ20", "été20"),
            ("ΣΟΦΊΑ", "σοφία"),
            ("\u{212A}ELVIN", "kelvin"), // KELVIN SIGN folds to ASCII k
            ("STRAẞE", "straße"),        // capital sharp s folds simply, not to "ss"
            ("straße", "straße"),
            ("Ⱥ", "ⱥ"), // folds to a longer UTF-8 encoding
            ("ДОБРО", "добро"),
        ];
        for &(input, expected) in CASES {
            assert_eq!(fold(input), expected, "{input}");
            assert_eq!(with_folded(input, str::to_owned).as_deref(), Some(expected));
            let bytes = with_folded_bytes(input, <[u8]>::to_vec);
            assert_eq!(bytes.as_deref(), Some(expected.as_bytes()), "{input}");
        }
    }

    #[test]
    fn trims_like_str_trim() {
        let cases = [
            "SAVE10",
            " SAVE10",
            "SAVE10\t",
            "\u{0B}SAVE10\u{0C}",
            "\u{A0}SAVE10\u{3000}",
            "\u{85}X",
            "X\u{2028}",
            "",
            " ",
            "é",
            "a b",
        ];
        for text in cases {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }

    #[test]
    fn no_character_grows_by_more_than_half() {
        for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
            let (from, to) = (c.len_utf8(), fold_char(c).len_utf8());
            assert!(2 * to <= 3 * from, "{c:?} grows from {from} to {to} bytes");
        }
    }

    #[test]
    fn small_buffer_holds_any_small_text() {
        let text = "Ⱥ".repeat(SMALL_TEXT_LEN / 2);
        assert_eq!(with_folded(&text, str::len), Some(SMALL_TEXT_LEN / 2 * 3));
        assert_eq!(
            with_folded("SAVE10", str::to_owned),
            Some("save10".to_owned())
        );
    }

    #[test]
    fn buffer_holds_the_longest_growth() {
        // 'Ⱥ' is two bytes and folds to three: the worst ratio in the tables.
        let text = "Ⱥ".repeat(MAX_CODE_LEN / 2);
        assert_eq!(with_folded(&text, str::len), Some(MAX_CODE_LEN / 2 * 3));
        let too_long = "A".repeat(MAX_CODE_LEN + 1);
        assert_eq!(with_folded(&too_long, str::len), None);
    }
}
