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
    // ASCII, nearly every code, eight bytes at a time and the rest byte by byte: lower-case
    // and note whether any byte is not ASCII, in which case the text is folded again below. (A
    // byte-wise loop vectorises, but a short code never reaches the vector body.)
    let out = buf.get_mut(..text.len())?;
    let mut words = text.as_bytes().chunks_exact(8);
    let mut out_words = out.chunks_exact_mut(8);
    let mut high_bits = 0;
    for (out, word) in (&mut out_words).zip(&mut words) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let word = u64::from_le_bytes(bytes);
        high_bits |= word;
        out.copy_from_slice(&ascii_lowercase_word(word).to_le_bytes());
    }
    for (out, &byte) in out_words.into_remainder().iter_mut().zip(words.remainder()) {
        high_bits |= u64::from(byte);
        *out = byte | (u8::from(byte.is_ascii_uppercase()) << 5);
    }
    if high_bits & 0x8080_8080_8080_8080 == 0 {
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

/// Each byte of `word` in `A..=Z` lower-cased, the others unchanged, when every byte is ASCII
/// (otherwise some answer the caller discards). Adding `0x80 - b'A'` to an ASCII byte sets its
/// high bit exactly when the byte is at least `b'A'`, adding `0x80 - b'Z' - 1` when it is above
/// `b'Z'`, and neither sum carries into the next byte.
#[inline]
fn ascii_lowercase_word(word: u64) -> u64 {
    const LOW_BITS: u64 = 0x0101_0101_0101_0101;
    let at_least_a = word.wrapping_add(LOW_BITS * u64::from(0x80 - b'A'));
    let above_z = word.wrapping_add(LOW_BITS * u64::from(0x80 - b'Z' - 1));
    let upper = at_least_a & !above_z & (LOW_BITS * 0x80);
    // The high bit of an upper-case byte, moved to the case bit (0x20).
    word | (upper >> 2)
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
        Folded::of(text).map(|folded| f(folded.as_bytes()))
    } else {
        let mut buf = [0u8; FOLD_BUF_LEN];
        fold_into(text, &mut buf).map(f)
    }
}

/// Folds `text`, of any length, and passes the folded text to `f`: on the stack up to
/// [`MAX_CODE_LEN`] bytes, as every registered text is, in a `String` past it.
#[inline]
pub(crate) fn with_any_folded<R>(text: &str, f: impl FnOnce(&str) -> R) -> R {
    // The fold of a `str` is UTF-8: the checks cannot fail, they only prove it to the compiler.
    if let Some(folded) = Folded::of(text) {
        if let Ok(folded) = std::str::from_utf8(folded.as_bytes()) {
            return f(folded);
        }
    }
    let mut buf = [0u8; FOLD_BUF_LEN];
    match fold_into(text, &mut buf).and_then(|folded| std::str::from_utf8(folded).ok()) {
        Some(folded) => f(folded),
        None => f(&fold(text)),
    }
}

/// The fold of a short text, held by value: what a batch computes for an order ahead of deciding
/// it, so that the fold is done once.
#[derive(Clone, Copy)]
pub(crate) struct Folded {
    buf: [u8; SMALL_BUF_LEN],
    len: u8,
}

impl Folded {
    /// The fold of the empty text.
    pub(crate) const EMPTY: Folded = Folded {
        buf: [0; SMALL_BUF_LEN],
        len: 0,
    };

    /// The fold of `text`; `None` when `text` is longer than [`SMALL_TEXT_LEN`] bytes (such a
    /// text is folded where it is looked up, as any other).
    #[inline]
    pub(crate) fn of(text: &str) -> Option<Folded> {
        let mut folded = Folded::EMPTY;
        folded.fill(text).then_some(folded)
    }

    /// Makes this the fold of `text`, in place: a batch keeps its folds in a ring, and a fold
    /// returned by value was copied twice on its way there. False, and the fold unspecified,
    /// when `text` is longer than [`SMALL_TEXT_LEN`] bytes.
    #[inline]
    pub(crate) fn fill(&mut self, text: &str) -> bool {
        let bytes = text.as_bytes();
        let len = bytes.len();
        if len > SMALL_TEXT_LEN {
            return false;
        }
        // ASCII a word at a time, the last word ending at the text's end: it overlaps the word
        // before it, whose bytes it folds the same, so that no byte loop is left over.
        let mut high_bits = 0;
        if len >= 8 {
            let mut start = 0;
            while start < len {
                let at = start.min(len - 8);
                let (Some(word), Some(out)) = (bytes.get(at..at + 8), self.buf.get_mut(at..at + 8))
                else {
                    return false;
                };
                let mut word_bytes = [0u8; 8];
                word_bytes.copy_from_slice(word);
                let word = u64::from_le_bytes(word_bytes);
                high_bits |= word;
                out.copy_from_slice(&ascii_lowercase_word(word).to_le_bytes());
                start += 8;
            }
        } else {
            for (out, &byte) in self.buf.iter_mut().zip(bytes) {
                high_bits |= u64::from(byte);
                *out = byte | (u8::from(byte.is_ascii_uppercase()) << 5);
            }
        }
        let folded_len = if high_bits & 0x8080_8080_8080_8080 == 0 {
            len
        } else {
            match fold_into(text, &mut self.buf) {
                Some(folded) => folded.len(),
                None => return false,
            }
        };
        // Always fits: a small text folds into the small buffer.
        match u8::try_from(folded_len) {
            Ok(len) => {
                self.len = len;
                true
            }
            Err(_) => false,
        }
    }

    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
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
    fn word_lowercasing_agrees_with_std_for_every_ascii_byte_at_every_place() {
        for byte in 0..0x80u8 {
            for place in 0..8 {
                // The other bytes are neighbours of the edges, where a carry would show.
                let mut word = *b"@AZ[`az{";
                word[place] = byte;
                let folded = ascii_lowercase_word(u64::from_le_bytes(word)).to_le_bytes();
                assert_eq!(folded.to_vec(), word.to_ascii_lowercase(), "{word:?}");
            }
        }
    }

    #[test]
    fn ascii_texts_of_every_length_fold_as_std_lowercases_them() {
        let source = "AbCdEfGhIjKlMnOpQrStUvWxYz-0123456789@[`{ZzAa";
        for len in 0..=source.len() {
            let text = &source[..len];
            assert_eq!(
                with_folded(text, str::to_owned).as_deref(),
                Some(text.to_ascii_lowercase().as_str())
            );
        }
    }

    #[test]
    fn a_letter_beyond_ascii_anywhere_in_a_short_text_folds_as_the_whole_text_does() {
        let ascii = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
        for len in 1..=SMALL_TEXT_LEN / 2 {
            for place in 0..len {
                let mut text = ascii[..len - 1].to_owned();
                text.insert(place.min(text.len()), 'Ä');
                let folded = Folded::of(&text).map(|f| f.as_bytes().to_vec());
                assert_eq!(folded, Some(fold(&text).into_bytes()), "{text:?}");
            }
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
