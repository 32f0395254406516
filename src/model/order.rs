//! What goes into [`Engine::attribute`](crate::Engine::attribute): an order's instant, the codes
//! typed at checkout and the partner clicks on its path.

use std::fmt;

use super::ids::PartnerId;
use super::time::Timestamp;

/// A partner click on the order's path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Click {
    /// Whose click it was.
    pub partner: PartnerId,
    /// When it happened.
    pub at: Timestamp,
}

impl Click {
    /// A click by `partner` at `at`.
    pub const fn new(partner: PartnerId, at: Timestamp) -> Click {
        Click { partner, at }
    }
}

/// The codes a customer entered, in entry order, borrowed from the host in the form it holds
/// them: a slice of `&str` or of `String` (or an array or `Vec` of either). Nothing is copied.
///
/// ```
/// use promo_attribution::EnteredCodes;
///
/// let owned: Vec<String> = vec!["SAVE10".into(), " bob15 ".into()];
/// let codes = EnteredCodes::from(&owned);
/// assert_eq!(codes.len(), 2);
/// assert_eq!(codes.iter().collect::<Vec<_>>(), ["SAVE10", " bob15 "]);
/// assert_eq!(codes, EnteredCodes::from(&["SAVE10", " bob15 "]));
/// ```
#[derive(Clone, Copy)]
pub struct EnteredCodes<'a>(EnteredTexts<'a>);

#[derive(Clone, Copy)]
enum EnteredTexts<'a> {
    Borrowed(&'a [&'a str]),
    Owned(&'a [String]),
}

impl<'a> EnteredCodes<'a> {
    /// No code entered.
    pub const NONE: EnteredCodes<'static> = EnteredCodes(EnteredTexts::Borrowed(&[]));

    /// The number of codes entered.
    pub fn len(&self) -> usize {
        match self.0 {
            EnteredTexts::Borrowed(texts) => texts.len(),
            EnteredTexts::Owned(texts) => texts.len(),
        }
    }

    /// Whether no code was entered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The code entered at `position`, as typed.
    pub fn get(&self, position: usize) -> Option<&'a str> {
        match self.0 {
            EnteredTexts::Borrowed(texts) => texts.get(position).copied(),
            EnteredTexts::Owned(texts) => texts.get(position).map(String::as_str),
        }
    }

    /// The first `n` codes (all of them when there are no more than `n`).
    pub(crate) fn truncated(self, n: usize) -> EnteredCodes<'a> {
        EnteredCodes(match self.0 {
            EnteredTexts::Borrowed(texts) => EnteredTexts::Borrowed(&texts[..n.min(texts.len())]),
            EnteredTexts::Owned(texts) => EnteredTexts::Owned(&texts[..n.min(texts.len())]),
        })
    }

    /// The codes as typed, in entry order.
    pub fn iter(&self) -> EnteredCodesIter<'a> {
        EnteredCodesIter {
            texts: self.0,
            next: 0,
        }
    }
}

impl Default for EnteredCodes<'_> {
    fn default() -> Self {
        EnteredCodes::NONE
    }
}

/// The codes of an [`EnteredCodes`], as typed, in entry order.
#[derive(Clone, Debug)]
pub struct EnteredCodesIter<'a> {
    texts: EnteredTexts<'a>,
    next: usize,
}

impl<'a> Iterator for EnteredCodesIter<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let text = EnteredCodes(self.texts).get(self.next)?;
        self.next += 1;
        Some(text)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = EnteredCodes(self.texts).len() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for EnteredCodesIter<'_> {}

impl<'a> IntoIterator for EnteredCodes<'a> {
    type Item = &'a str;
    type IntoIter = EnteredCodesIter<'a>;

    fn into_iter(self) -> EnteredCodesIter<'a> {
        self.iter()
    }
}

impl fmt::Debug for EnteredTexts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(EnteredCodes(*self).iter()).finish()
    }
}

impl fmt::Debug for EnteredCodes<'_> {
    /// The list of texts, whatever form they are held in.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl PartialEq for EnteredCodes<'_> {
    /// The same texts in the same order, whatever form they are held in.
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for EnteredCodes<'_> {}

impl std::hash::Hash for EnteredCodes<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_usize(self.len());
        for text in self.iter() {
            text.hash(state);
        }
    }
}

impl<'a, 'b: 'a> From<&'a [&'b str]> for EnteredCodes<'a> {
    fn from(texts: &'a [&'b str]) -> Self {
        EnteredCodes(EnteredTexts::Borrowed(texts))
    }
}

impl<'a, 'b: 'a, const N: usize> From<&'a [&'b str; N]> for EnteredCodes<'a> {
    fn from(texts: &'a [&'b str; N]) -> Self {
        EnteredCodes(EnteredTexts::Borrowed(texts))
    }
}

impl<'a, 'b: 'a> From<&'a Vec<&'b str>> for EnteredCodes<'a> {
    fn from(texts: &'a Vec<&'b str>) -> Self {
        EnteredCodes(EnteredTexts::Borrowed(texts))
    }
}

impl<'a> From<&'a [String]> for EnteredCodes<'a> {
    fn from(texts: &'a [String]) -> Self {
        EnteredCodes(EnteredTexts::Owned(texts))
    }
}

impl<'a, const N: usize> From<&'a [String; N]> for EnteredCodes<'a> {
    fn from(texts: &'a [String; N]) -> Self {
        EnteredCodes(EnteredTexts::Owned(texts))
    }
}

impl<'a> From<&'a Vec<String>> for EnteredCodes<'a> {
    fn from(texts: &'a Vec<String>) -> Self {
        EnteredCodes(EnteredTexts::Owned(texts))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for EnteredCodes<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// An order to attribute: its instant, the codes typed at checkout (in entry order) and the
/// partner clicks on its path. It borrows its inputs, so building one allocates nothing.
///
/// ```
/// use promo_attribution::{Click, Conversion, PartnerId, Timestamp};
///
/// let at = Timestamp::from_unix_seconds(1_773_144_000);
/// let clicks = [Click::new(PartnerId(2), Timestamp::from_unix_seconds(1_773_000_000))];
/// let order = Conversion::new(at).codes(&["SAVE10"]).clicks(&clicks).amount(5_000);
/// assert_eq!(order.codes.len(), 1);
///
/// // Codes held as `String`s are borrowed as they are, with no list of `&str` to build.
/// let typed: Vec<String> = vec!["SAVE10".to_owned()];
/// let order = Conversion::new(at).codes(&typed);
/// assert_eq!(order.codes.get(0), Some("SAVE10"));
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Conversion<'a> {
    /// When the order was placed; every state is judged at this instant.
    pub at: Timestamp,
    /// The codes the customer entered, as typed.
    pub codes: EnteredCodes<'a>,
    /// The partner clicks on the path, in any order.
    pub clicks: &'a [Click],
    /// The order amount in minor currency units (cents). Carried for payouts; it does not
    /// change who is credited.
    pub amount: u64,
}

impl<'a> Conversion<'a> {
    /// An order at `at` with no codes, no clicks and a zero amount.
    #[must_use]
    pub const fn new(at: Timestamp) -> Conversion<'a> {
        Conversion {
            at,
            codes: EnteredCodes::NONE,
            clicks: &[],
            amount: 0,
        }
    }

    /// Sets the entered codes: a slice, array or `Vec` of `&str` or of `String`.
    #[must_use]
    pub fn codes(mut self, codes: impl Into<EnteredCodes<'a>>) -> Self {
        self.codes = codes.into();
        self
    }

    /// Sets the clicks.
    #[must_use]
    pub const fn clicks(mut self, clicks: &'a [Click]) -> Self {
        self.clicks = clicks;
        self
    }

    /// Sets the amount in minor currency units.
    #[must_use]
    pub const fn amount(mut self, amount: u64) -> Self {
        self.amount = amount;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_entered_codes_reads_the_same() {
        let strs = ["A", " b "];
        let strings: Vec<String> = strs.iter().map(|s| (*s).to_owned()).collect();
        let vec_of_strs: Vec<&str> = strs.to_vec();
        let forms = [
            EnteredCodes::from(&strs),
            EnteredCodes::from(&strs[..]),
            EnteredCodes::from(&vec_of_strs),
            EnteredCodes::from(&strings),
            EnteredCodes::from(&strings[..]),
        ];
        for codes in forms {
            assert_eq!(codes.len(), 2);
            assert_eq!(codes.get(1), Some(" b "));
            assert_eq!(codes.get(2), None);
            assert_eq!(codes.iter().len(), 2);
            assert_eq!(codes.into_iter().collect::<Vec<_>>(), strs);
            assert_eq!(codes, forms[0]);
            assert_eq!(format!("{codes:?}"), r#"["A", " b "]"#);
        }
        assert!(EnteredCodes::NONE.is_empty());
        assert_ne!(EnteredCodes::NONE, forms[0]);
    }
}
