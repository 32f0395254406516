//! How much a credited sale pays: the program default, a partner's contract, and exception
//! lists on chosen codes.

use std::collections::{HashMap, HashSet};

use regex_automata::util::primitives::NonMaxUsize;
use regex_automata::{Input, meta};

use crate::MAX_CODE_LEN;
use crate::code::check_text;
use crate::error::{Error, Reason};
use crate::fold::{self, with_folded};
use crate::pattern::MAX_REGEX_SIZE;
use crate::time::Window;

/// A payout rule: a fixed amount per sale, or a share of the order amount.
///
/// Money is integer minor units (cents) throughout; a percentage is in basis points (1/100 of a
/// percent) and its result rounds half to even to a whole minor unit.
///
/// ```
/// use promo_attribution::Payout;
///
/// assert_eq!(Payout::Fixed(700).on(5_000), 700);
/// assert_eq!(Payout::PercentBps(1_000).on(5_000), 500);
/// // 10 % of 50.05 is 5.005: half to even gives 5.00; of 50.15, 5.015 gives 5.02.
/// assert_eq!(Payout::PercentBps(1_000).on(5_005), 500);
/// assert_eq!(Payout::PercentBps(1_000).on(5_015), 502);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Payout {
    /// This many minor units per sale, whatever the order amount.
    Fixed(u64),
    /// This many basis points of the order amount: `1_000` is 10 %. Values above `10_000`
    /// (more than the order is worth) are accepted, for bonus rates.
    PercentBps(u32),
}

impl Default for Payout {
    /// Nothing: `Fixed(0)`, the payout of a program that configured none.
    fn default() -> Payout {
        Payout::Fixed(0)
    }
}

impl Payout {
    /// The payout on an order of `amount` minor units. Never overflows: the product is taken in
    /// 128 bits, and a result beyond `u64::MAX` (only reachable with rates above 100 % on
    /// amounts near `u64::MAX`) saturates.
    pub fn on(self, amount: u64) -> u64 {
        match self {
            Payout::Fixed(fixed) => fixed,
            Payout::PercentBps(bps) => {
                let product = u128::from(amount) * u128::from(bps);
                let (quotient, remainder) = (product / 10_000, product % 10_000);
                let round_up = remainder > 5_000 || (remainder == 5_000 && quotient % 2 == 1);
                u64::try_from(quotient + u128::from(round_up)).unwrap_or(u64::MAX)
            }
        }
    }
}

/// A partner's contract: when the partner may be paid and, optionally, at what rate.
///
/// A `Window` converts into a contract without a payout of its own, so
/// `registry.set_contract(partner, window)` reads as before.
///
/// ```
/// use promo_attribution::{Contract, Payout, Window};
///
/// let contract = Contract::new(Window::ALWAYS).payout(Payout::PercentBps(1_500));
/// assert_eq!(contract.payout, Some(Payout::PercentBps(1_500)));
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Contract {
    /// When the partner may be paid; a sale credited outside it is invalid with
    /// [`PartnerNotActive`](crate::InvalidReason::PartnerNotActive).
    pub window: Window,
    /// The partner's rate, overriding the program's default payout; `None` keeps the default.
    pub payout: Option<Payout>,
}

impl Contract {
    /// A contract over `window`, at the program's default payout.
    pub const fn new(window: Window) -> Contract {
        Contract {
            window,
            payout: None,
        }
    }

    /// Sets the partner's own rate.
    pub const fn payout(mut self, payout: Payout) -> Contract {
        self.payout = Some(payout);
        self
    }
}

impl From<Window> for Contract {
    fn from(window: Window) -> Contract {
        Contract::new(window)
    }
}

/// A promo-code exception list (the reference's way to pay a different rate — `$0` included —
/// on chosen codes): when an entered code is one of its codes, the list's payout applies, above
/// any contract or program payout.
///
/// Codes compare case-insensitively (Unicode simple case folding, as exact codes do), after
/// trimming. With a *match expression* — a regex with exactly one capture group — the
/// expression is searched in the entered code and the text of its group is what is compared:
/// `^([A-Za-z]{3})[0-9]+$` with codes `ABC`, `XYZ` covers `abc12345` and `XYZ9`.
///
/// The codes of a list need not be registered: a list may name public codes (`WELCOME`) that
/// credit nobody but should not pay the click winner either.
///
/// ```
/// use promo_attribution::{ExceptionList, Payout};
///
/// let list = ExceptionList::new("brand codes", Payout::PercentBps(200))
///     .codes(["ABC", "XYZ"])
///     .match_expression("^([A-Za-z]{3})[0-9]+$");
/// assert_eq!(list.name(), "brand codes");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ExceptionList {
    name: String,
    #[cfg_attr(feature = "serde", serde(default))]
    codes: Vec<String>,
    #[cfg_attr(feature = "serde", serde(default))]
    match_expression: Option<String>,
    payout: Payout,
}

impl ExceptionList {
    /// An empty list named `name` that pays `payout`.
    pub fn new(name: impl Into<String>, payout: Payout) -> ExceptionList {
        ExceptionList {
            name: name.into(),
            codes: Vec::new(),
            match_expression: None,
            payout,
        }
    }

    /// Adds codes to the list.
    pub fn codes<S: Into<String>>(mut self, codes: impl IntoIterator<Item = S>) -> Self {
        self.codes.extend(codes.into_iter().map(Into::into));
        self
    }

    /// Sets the match expression: a regex with exactly one capture group, whose text is looked
    /// up among the list's codes.
    pub fn match_expression(mut self, expression: impl Into<String>) -> Self {
        self.match_expression = Some(expression.into());
        self
    }

    /// The list's name, for people.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The list's codes, as given.
    pub fn code_texts(&self) -> &[String] {
        &self.codes
    }

    /// The match expression, if any.
    pub fn expression(&self) -> Option<&str> {
        self.match_expression.as_deref()
    }

    /// What the list pays.
    pub fn payout(&self) -> Payout {
        self.payout
    }
}

/// Which rule set a decision's payout.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum PayoutSource {
    /// The exception list at this position in registration order.
    ExceptionList(usize),
    /// The credited partner's contract.
    Contract,
    /// The program's default ([`Settings::payout`](crate::Settings::payout)).
    Program,
}

/// An exception list as the engine uses it.
#[derive(Clone, Debug)]
pub(crate) struct CompiledList {
    payout: Payout,
    expression: Option<meta::Regex>,
    /// Case-folded, trimmed codes.
    codes: Vec<String>,
}

/// Validates a list: its codes as the registry validates code texts, its expression compiled
/// with one capture group. The error names the list and, for a code, its position.
pub(crate) fn compile_list(list: &ExceptionList) -> Result<CompiledList, Error> {
    let fail = |entry: Option<usize>, reason| Error::exception_list(&list.name, entry, reason);
    let mut codes = Vec::with_capacity(list.codes.len());
    for (i, code) in list.codes.iter().enumerate() {
        let text = code.trim();
        check_text(text).map_err(|reason| fail(Some(i), reason))?;
        codes.push(fold::fold(text));
    }
    let expression = match &list.match_expression {
        None => None,
        Some(expression) => {
            let regex = meta::Regex::builder()
                .configure(meta::Config::new().nfa_size_limit(Some(MAX_REGEX_SIZE)))
                .build(expression)
                .map_err(|e| {
                    fail(
                        None,
                        Reason::InvalidMatchExpression(format!("it does not compile: {e}")),
                    )
                })?;
            // Group 0 is the whole match; the expression must add exactly one group.
            let groups = regex.group_info().all_group_len();
            if groups != 2 {
                let message = format!(
                    "it has {} capture groups, exactly one is needed",
                    groups.saturating_sub(1)
                );
                return Err(fail(None, Reason::InvalidMatchExpression(message)));
            }
            Some(regex)
        }
    };
    Ok(CompiledList {
        payout: list.payout,
        expression,
        codes,
    })
}

type FoldedSet = HashSet<Box<str>, foldhash::fast::RandomState>;

/// Every exception list of a program, indexed for lookup by entered text.
#[derive(Clone, Debug, Default)]
pub(crate) struct ExceptionLists {
    payouts: Vec<Payout>,
    /// Case-folded code → the first list without an expression that names it.
    plain: HashMap<Box<str>, u32, foldhash::fast::RandomState>,
    /// The lists with an expression, ascending by position, each with its case-folded codes.
    expressions: Vec<(u32, meta::Regex, FoldedSet)>,
}

impl ExceptionLists {
    pub(crate) fn build<'a>(lists: impl IntoIterator<Item = &'a CompiledList>) -> ExceptionLists {
        let mut built = ExceptionLists::default();
        for (position, list) in (0u32..).zip(lists) {
            built.payouts.push(list.payout);
            let codes = list
                .codes
                .iter()
                .map(|code| Box::<str>::from(code.as_str()));
            match &list.expression {
                None => {
                    for code in codes {
                        built.plain.entry(code).or_insert(position);
                    }
                }
                Some(regex) => built
                    .expressions
                    .push((position, regex.clone(), codes.collect())),
            }
        }
        built
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.payouts.is_empty()
    }

    /// The first list (by position) that applies to any of the entered codes, with its payout.
    pub(crate) fn first_applying(&self, entered: &[&str]) -> Option<(usize, Payout)> {
        if self.is_empty() {
            return None;
        }
        let texts = || {
            entered
                .iter()
                .map(|raw| fold::trim(raw))
                .filter(|t| !t.is_empty() && t.len() <= MAX_CODE_LEN)
        };
        let mut best = texts()
            .filter_map(|text| {
                with_folded(text, |folded| self.plain.get(folded).copied()).flatten()
            })
            .min();
        for (position, regex, codes) in &self.expressions {
            if best.is_some_and(|b| b < *position) {
                break;
            }
            let applies = texts().any(|text| {
                capture(regex, text).is_some_and(|group| {
                    with_folded(group, |folded| codes.contains(folded)).unwrap_or(false)
                })
            });
            if applies {
                // Positions are distinct and `best` is not below this one: it is the first.
                best = Some(*position);
                break;
            }
        }
        best.map(|p| (p as usize, self.payouts[p as usize]))
    }
}

/// The text of the expression's one capture group in its first match in `text`.
fn capture<'t>(regex: &meta::Regex, text: &'t str) -> Option<&'t str> {
    // Slots 0 and 1 hold the whole match, 2 and 3 the group: a fixed array, no allocation.
    let mut slots: [Option<NonMaxUsize>; 4] = [None; 4];
    regex.search_slots(&Input::new(text), &mut slots)?;
    let (start, end) = (slots[2]?.get(), slots[3]?.get());
    text.get(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_half_to_even() {
        let cases = [
            // (amount, bps, expected)
            (5_000, 1_000, 500),
            (5_005, 1_000, 500), // 500.5 → 500
            (5_015, 1_000, 502), // 501.5 → 502
            (5_006, 1_000, 501), // 500.6 → 501
            (5_004, 1_000, 500), // 500.4 → 500
            (1, 5_000, 0),       // 0.5 → 0
            (3, 5_000, 2),       // 1.5 → 2
            (0, 1_000, 0),
            (12_345, 0, 0),
            (10_000, 10_000, 10_000),
            (u64::MAX, 10_000, u64::MAX),
            (u64::MAX, u32::MAX, u64::MAX), // saturates instead of overflowing
        ];
        for (amount, bps, expected) in cases {
            assert_eq!(
                Payout::PercentBps(bps).on(amount),
                expected,
                "{bps} bps of {amount}"
            );
        }
        assert_eq!(Payout::Fixed(0).on(u64::MAX), 0);
        assert_eq!(Payout::Fixed(123).on(0), 123);
    }

    fn lists(lists: &[ExceptionList]) -> ExceptionLists {
        let compiled: Vec<_> = lists
            .iter()
            .map(|l| compile_list(l).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        ExceptionLists::build(&compiled)
    }

    #[test]
    fn the_first_list_that_applies_wins() {
        let lists = lists(&[
            ExceptionList::new("by prefix", Payout::Fixed(1))
                .codes(["abc"])
                .match_expression("^([A-Za-z]{3})[0-9]+$"),
            ExceptionList::new("plain", Payout::Fixed(2)).codes(["ABC123", "Welcome "]),
            ExceptionList::new("straße", Payout::Fixed(3)).codes(["STRAẞE"]),
        ]);
        let cases: [(&[&str], Option<usize>); 9] = [
            (&[], None),
            (&["nothing"], None),
            (&["  welcome "], Some(1)),
            (&["ABC123"], Some(0)), // both lists name it; the earlier one wins
            (&["abc999"], Some(0)),
            (&["xyz999", "WELCOME"], Some(1)),
            (&["welcome", "Abc1"], Some(0)), // any entered code counts, not the first
            (&["straße"], Some(2)),
            (&["abc"], None), // the expression needs digits; the plain lists do not name it
        ];
        for (entered, expected) in cases {
            let got = lists.first_applying(entered).map(|(position, _)| position);
            assert_eq!(got, expected, "{entered:?}");
        }
    }

    #[test]
    fn a_code_counts_only_the_way_its_list_compares() {
        // "ABC" is named by the expression list only: the whole text "ABC" must not apply it.
        let lists = lists(&[ExceptionList::new("e", Payout::Fixed(1))
            .codes(["ABC"])
            .match_expression("^([A-Z]{3})-")]);
        assert_eq!(lists.first_applying(&["ABC"]), None);
        assert_eq!(lists.first_applying(&["ABC-1"]).map(|p| p.0), Some(0));
        // The expression is case-sensitive as written; the comparison of its group is not.
        assert_eq!(lists.first_applying(&["abc-1"]), None);
    }

    #[test]
    fn bad_lists_name_what_is_wrong() {
        let cases = [
            (
                ExceptionList::new("no group", Payout::Fixed(0)).match_expression("^[A-Z]+$"),
                r#"exception list "no group": invalid match expression: it has 0 capture groups, exactly one is needed"#,
            ),
            (
                ExceptionList::new("two", Payout::Fixed(0)).match_expression("(A)(B)"),
                r#"exception list "two": invalid match expression: it has 2 capture groups, exactly one is needed"#,
            ),
            (
                ExceptionList::new("blank", Payout::Fixed(0)).codes(["A", "  "]),
                r#"exception list "blank", code 1: code is empty after trimming white space"#,
            ),
        ];
        for (list, message) in cases {
            let err = compile_list(&list).map(|_| ()).unwrap_err();
            assert_eq!(err.to_string(), message);
        }
        let err = compile_list(&ExceptionList::new("x", Payout::Fixed(0)).match_expression("("))
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidMatchExpression);
        assert!(
            err.to_string().starts_with(
                r#"exception list "x": invalid match expression: it does not compile"#
            )
        );
    }
}
