//! Exception lists indexed for lookup by entered text, and the payout precedence of a credited
//! sale: the first exception list naming an entered code, else the partner's contract rate,
//! else the program's default.

use std::collections::{HashMap, HashSet};

use regex_automata::util::primitives::NonMaxUsize;
use regex_automata::{Input, meta};

use crate::definitions::ValidatedList;
use crate::matching::fold::{self, with_folded};
use crate::model::{Contract, EnteredCodes, MAX_CODE_LEN, Payout, PayoutSource};

/// Rule 9 of the decision: what a credited sale pays, and which rule said so — the first
/// exception list naming an entered code (even with code tracking disabled: the lists price
/// codes, they do not credit), else the partner's contract rate, else the program's default.
#[inline]
pub(crate) fn payout_rule(
    lists: &ExceptionLists,
    contract: Option<&Contract>,
    program: Payout,
    entered: EnteredCodes<'_>,
) -> (PayoutSource, Payout) {
    if let Some((position, payout)) = lists.first_applying(entered) {
        return (PayoutSource::ExceptionList(position), payout);
    }
    match contract.and_then(|c| c.payout) {
        Some(payout) => (PayoutSource::Contract, payout),
        None => (PayoutSource::Program, program),
    }
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
    pub(crate) fn build<'a>(lists: impl IntoIterator<Item = &'a ValidatedList>) -> ExceptionLists {
        let mut built = ExceptionLists::default();
        for (position, list) in (0u32..).zip(lists) {
            built.payouts.push(list.payout);
            let codes = list.codes.iter().cloned();
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
    #[inline]
    pub(crate) fn first_applying(&self, entered: EnteredCodes<'_>) -> Option<(usize, Payout)> {
        // Most programs have no lists: they pay for the check alone, inline.
        if self.is_empty() {
            return None;
        }
        self.first_naming(entered)
    }

    /// [`first_applying`](Self::first_applying), given some lists.
    fn first_naming(&self, entered: EnteredCodes<'_>) -> Option<(usize, Payout)> {
        let texts = || {
            entered
                .iter()
                .map(fold::trim)
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
    use crate::definitions::validate_list;
    use crate::model::ExceptionList;

    fn lists(lists: &[ExceptionList]) -> ExceptionLists {
        let compiled: Vec<_> = lists
            .iter()
            .map(|l| validate_list(l).unwrap_or_else(|e| panic!("{e}")))
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
            let got = lists
                .first_applying(entered.into())
                .map(|(position, _)| position);
            assert_eq!(got, expected, "{entered:?}");
        }
    }

    #[test]
    fn a_code_counts_only_the_way_its_list_compares() {
        // "ABC" is named by the expression list only: the whole text "ABC" must not apply it.
        let lists = lists(&[ExceptionList::new("e", Payout::Fixed(1))
            .codes(["ABC"])
            .match_expression("^([A-Z]{3})-")]);
        assert_eq!(lists.first_applying(EnteredCodes::from(&["ABC"])), None);
        assert_eq!(
            lists
                .first_applying(EnteredCodes::from(&["ABC-1"]))
                .map(|p| p.0),
            Some(0)
        );
        // The expression is case-sensitive as written; the comparison of its group is not.
        assert_eq!(lists.first_applying(EnteredCodes::from(&["abc-1"])), None);
    }
}
