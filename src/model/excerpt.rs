//! Inputs quoted in messages, cut short: an error about a 100 MB cell must neither carry the
//! cell nor print it.

use std::fmt;

/// How many characters of an input a message quotes.
pub(crate) const EXCERPT_CHARS: usize = 100;

/// At most [`EXCERPT_CHARS`] characters of an input, and its full length. Displays quoted and
/// escaped like `Debug` (`"SAVE\n10"`), and a cut input as `"AAA…" (1048576 bytes)`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Excerpt {
    head: Box<str>,
    len: usize,
}

impl Excerpt {
    pub(crate) fn new(input: &str) -> Excerpt {
        let head = match input.char_indices().nth(EXCERPT_CHARS) {
            Some((cut, _)) => &input[..cut],
            None => input,
        };
        Excerpt {
            head: head.into(),
            len: input.len(),
        }
    }
}

/// A name (a header cell) cut like an [`Excerpt`] but unquoted: `Promo Code`, or `AAA…`.
pub(crate) fn cut_name(name: &str) -> Box<str> {
    match name.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &name[..cut]).into(),
        None => name.into(),
    }
}

impl From<&str> for Excerpt {
    fn from(input: &str) -> Excerpt {
        Excerpt::new(input)
    }
}

impl fmt::Display for Excerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.head.len() == self.len {
            write!(f, "{:?}", self.head)
        } else {
            let quoted = format!("{:?}", self.head);
            let open = quoted.strip_suffix('"').unwrap_or(&quoted);
            write!(f, "{open}…\" ({} bytes)", self.len)
        }
    }
}

impl fmt::Debug for Excerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_quoted_whole_up_to_the_limit_and_cut_past_it() {
        let at_limit = "é".repeat(EXCERPT_CHARS);
        let cases = [
            ("SAVE10".to_owned(), "\"SAVE10\"".to_owned()),
            ("a\"b\n".to_owned(), "\"a\\\"b\\n\"".to_owned()),
            (at_limit.clone(), format!("\"{at_limit}\"")),
            (
                format!("{at_limit}é"),
                format!("\"{at_limit}…\" ({} bytes)", 2 * EXCERPT_CHARS + 2),
            ),
            (
                "A".repeat(100 << 20),
                format!("\"{}…\" ({} bytes)", "A".repeat(EXCERPT_CHARS), 100 << 20),
            ),
        ];
        for (input, shown) in cases {
            assert_eq!(Excerpt::new(&input).to_string(), shown);
        }
        assert_eq!(&*cut_name("Promo Code"), "Promo Code");
        assert_eq!(
            cut_name(&"A".repeat(1000)).chars().count(),
            EXCERPT_CHARS + 1
        );
    }
}
