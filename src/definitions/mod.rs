//! What a registry validates and an engine compiles: each code with what registration derived
//! from it, the id index they share, and exception lists in their validated form.

mod indexes;

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use regex_automata::meta;
use regex_syntax::hir::Hir;

use crate::matching::{Pattern, fold, pattern};
use crate::model::{
    Code, CodeId, Contract, CreditPolicy, Error, ExceptionList, Lifecycle, LifecycleEvent,
    MAX_LABEL_LEN, MAX_REGEX_SIZE, MatchMode, PartnerId, Payout, Reason, Settings, Terms,
    Timestamp, check_len, check_text,
};
pub(crate) use indexes::{IdIndex, TextIndex};

/// What registration derived from a code's text, so that no pattern is parsed twice.
#[derive(Clone, Debug)]
pub(crate) enum Key {
    /// An exact code (tracking or restricted). Its case-folded text is not kept: folding a
    /// code is a few nanoseconds on the stack, where a copy of each of a million texts cost a
    /// sixth of a registry's memory and of a restart's allocations.
    Exact,
    /// The parsed pattern of a regex code (boxed: most codes are exact, and the box makes a
    /// key one pointer).
    Regex(Box<Hir>),
}

impl Key {
    /// Derives the key of a code whose text is trimmed and passed [`check_text`].
    pub(crate) fn of(code: &Code) -> Result<Key, Reason> {
        Key::parsed_by(code, pattern::parse)
    }

    /// [`Key::of`] for a code validated when it was registered: a regex is parsed, not
    /// compiled again to check its size.
    pub(crate) fn of_validated(code: &Code) -> Result<Key, Reason> {
        Key::parsed_by(code, pattern::parse_validated)
    }

    fn parsed_by(code: &Code, parse: fn(&str) -> Result<Hir, Reason>) -> Result<Key, Reason> {
        match code {
            Code::Tracking(t) if t.match_mode == MatchMode::Regex => {
                parse(&t.text).map(|hir| Key::Regex(Box::new(hir)))
            }
            _ => Ok(Key::Exact),
        }
    }
}

/// A validated code and its key: immutable once registered, and shared between a registry and
/// every engine compiled from it, so that compiling a million codes copies none of them.
#[derive(Debug)]
pub(crate) struct Definition {
    pub(crate) code: Code,
    pub(crate) key: Key,
}

impl Definition {
    /// What the code contributes to a matcher.
    pub(crate) fn pattern(&self) -> Pattern<'_> {
        match (&self.key, &self.code) {
            (Key::Regex(hir), Code::Tracking(t)) => Pattern::Regex {
                hir,
                priority: t.priority,
            },
            (Key::Regex(hir), _) => Pattern::Regex { hir, priority: 0 },
            (Key::Exact, code) => Pattern::Exact(code.text()),
        }
    }

    /// Passes the case-folded text of an exact code to `f`; `None` for a regex code.
    pub(crate) fn with_folded<R>(&self, f: impl FnOnce(&str) -> R) -> Option<R> {
        match self.key {
            Key::Exact => Some(fold::with_any_folded(self.code.text(), f)),
            Key::Regex(_) => None,
        }
    }
}

/// One registered code: its definition and what changes over time — lifecycle events, changes
/// of owner and policy — in time order; changes at the same instant keep the order they were
/// applied in, so the last applied wins.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) definition: Arc<Definition>,
    /// Most codes never change: a registry of a million keeps no empty lists for them.
    timeline: Option<Box<Timeline>>,
    /// Removed before it was ever in effect: kept so that positions stay put and the id is
    /// never reused, but matched by nothing.
    pub(crate) removed: bool,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Timeline {
    pub(crate) events: InOrder<Lifecycle>,
    pub(crate) term_changes: InOrder<TermUpdate>,
}

/// Where an entry sits in an [`InOrder`]: its instant, then the order entries were recorded in.
pub(crate) type Slot = (Timestamp, u64);

/// Entries in time order, those at one instant in the order they were recorded. Recording one
/// costs a search, wherever in time it falls: a list kept sorted by insertion made a history
/// written latest first quadratic.
#[derive(Clone, Debug)]
pub(crate) struct InOrder<V> {
    entries: BTreeMap<Slot, V>,
    /// The sequence number the next entry gets.
    next: u64,
}

impl<V> Default for InOrder<V> {
    fn default() -> Self {
        InOrder {
            entries: BTreeMap::new(),
            next: 0,
        }
    }
}

impl<V: Copy> InOrder<V> {
    /// The entries of `in_order`, already in time order.
    pub(crate) fn of(in_order: impl Iterator<Item = (Timestamp, V)>) -> InOrder<V> {
        let entries: BTreeMap<Slot, V> = in_order
            .zip(0..)
            .map(|((at, value), seq)| ((at, seq), value))
            .collect();
        InOrder {
            next: entries.len() as u64,
            entries,
        }
    }

    /// Records `value` at `at`, after every entry at the same instant; returns where it sits.
    pub(crate) fn record(&mut self, at: Timestamp, value: V) -> Slot {
        let slot = (at, self.next);
        self.next += 1;
        self.entries.insert(slot, value);
        slot
    }

    /// Takes back what [`record`](InOrder::record) put at `slot`.
    pub(crate) fn forget(&mut self, slot: Slot) {
        self.entries.remove(&slot);
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry, in order.
    pub(crate) fn iter(
        &self,
    ) -> impl DoubleEndedIterator<Item = (Slot, V)> + ExactSizeIterator + '_ {
        self.entries.iter().map(|(&slot, &value)| (slot, value))
    }

    /// The entries after `slot`, in order (all of them for `None`).
    pub(crate) fn after(&self, slot: Option<Slot>) -> impl Iterator<Item = (Slot, V)> + '_ {
        let from = match slot {
            Some(slot) => Bound::Excluded(slot),
            None => Bound::Unbounded,
        };
        self.entries
            .range((from, Bound::Unbounded))
            .map(|(&slot, &value)| (slot, value))
    }

    /// The entries at or before `t`, latest first.
    pub(crate) fn until(&self, t: Timestamp) -> impl Iterator<Item = V> + '_ {
        self.entries
            .range(..=(t, u64::MAX))
            .rev()
            .map(|(_, &value)| value)
    }
}

static NO_TIMELINE: Timeline = Timeline {
    events: InOrder {
        entries: BTreeMap::new(),
        next: 0,
    },
    term_changes: InOrder {
        entries: BTreeMap::new(),
        next: 0,
    },
};

impl Entry {
    pub(crate) fn new(definition: Definition) -> Entry {
        Entry {
            definition: Arc::new(definition),
            timeline: None,
            removed: false,
        }
    }

    /// The code's lifecycle events and changes of terms (empty for most codes).
    pub(crate) fn timeline(&self) -> &Timeline {
        self.timeline.as_deref().unwrap_or(&NO_TIMELINE)
    }

    pub(crate) fn events(
        &self,
    ) -> impl DoubleEndedIterator<Item = LifecycleEvent> + ExactSizeIterator + '_ {
        self.timeline()
            .events
            .iter()
            .map(|((at, _), action)| LifecycleEvent { at, action })
    }

    pub(crate) fn term_changes(
        &self,
    ) -> impl DoubleEndedIterator<Item = TermChange> + ExactSizeIterator + '_ {
        self.timeline()
            .term_changes
            .iter()
            .map(|((at, _), update)| TermChange { at, update })
    }

    pub(crate) fn timeline_mut(&mut self) -> &mut Timeline {
        self.timeline.get_or_insert_default()
    }

    /// The tracking code's terms in force at `t`: the owner and the policy each set by the last
    /// change of it at or before `t`, else the registered ones. `None` for a restricted code.
    pub(crate) fn terms_at(&self, t: Timestamp) -> Option<Terms> {
        let Code::Tracking(code) = &self.definition.code else {
            return None;
        };
        let mut owner = None;
        let mut credit = None;
        for update in self.timeline().term_changes.until(t) {
            match update {
                TermUpdate::Owner(to) => owner = owner.or(Some(to)),
                TermUpdate::Credit(policy) => credit = credit.or(Some(policy)),
            }
            if owner.is_some() && credit.is_some() {
                break;
            }
        }
        Some(Terms {
            owner: owner.unwrap_or(code.owner),
            credit: credit.unwrap_or(code.credit),
        })
    }
}

/// A change of a tracking code's owner or policy, effective from `at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TermChange {
    pub(crate) at: Timestamp,
    pub(crate) update: TermUpdate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TermUpdate {
    Owner(PartnerId),
    Credit(CreditPolicy),
}

impl TermUpdate {
    pub(crate) fn apply(self, terms: &mut Terms) {
        match self {
            TermUpdate::Owner(owner) => terms.owner = owner,
            TermUpdate::Credit(credit) => terms.credit = credit,
        }
    }
}

/// What a registry hands an engine to compile, or to be brought up to date from.
pub(crate) struct RegistryView<'a> {
    pub(crate) settings: &'a Settings,
    /// Every code in registration order, removed ones included: positions are shared.
    pub(crate) entries: &'a [Entry],
    pub(crate) by_id: &'a IdIndex,
    pub(crate) contracts: &'a HashMap<PartnerId, Contract>,
    pub(crate) exception_lists: Vec<&'a ValidatedList>,
    pub(crate) revision: u64,
    /// The stamp of that revision in the registry's lineage.
    pub(crate) stamp: u64,
}

/// What changed after a revision: the positions of the codes added or changed, the partners
/// whose contract changed, and whether an exception list was added.
#[derive(Debug, Default)]
pub(crate) struct Touched {
    /// Ascending, each once.
    pub(crate) positions: Vec<usize>,
    pub(crate) partners: Vec<PartnerId>,
    pub(crate) exception_lists: bool,
}

/// The index of `entries`' ids, built in one pass (a restart); `Err` holds an id that two
/// entries share.
pub(crate) fn index_ids(entries: &[Entry]) -> Result<IdIndex, CodeId> {
    indexes::index_ids(entries.iter().map(|entry| entry.definition.code.id()))
}

/// The index of the live exact codes of `entries` by folded text, built in one pass (a
/// restart).
pub(crate) fn index_texts(entries: &[Entry]) -> TextIndex {
    TextIndex::of(|add| {
        for (position, entry) in entries.iter().enumerate() {
            if !entry.removed {
                entry.definition.with_folded(|folded| add(folded, position));
            }
        }
    })
}

/// An exception list in the form the engine indexes: codes trimmed and case-folded, the match
/// expression compiled.
#[derive(Clone, Debug)]
pub(crate) struct ValidatedList {
    pub(crate) payout: Payout,
    pub(crate) expression: Option<meta::Regex>,
    pub(crate) codes: Vec<Box<str>>,
}

/// Validates an exception list: its codes as the registry validates code texts, its expression
/// compiled with exactly one capture group. The error names the list and, for a code, its
/// position.
pub(crate) fn validate_list(list: &ExceptionList) -> Result<ValidatedList, Error> {
    let fail = |entry: Option<usize>, reason| Error::exception_list(list.name(), entry, reason);
    check_len("name", list.name(), MAX_LABEL_LEN).map_err(|reason| fail(None, reason))?;
    let mut codes = Vec::with_capacity(list.code_texts().len());
    for (i, code) in list.code_texts().iter().enumerate() {
        let text = code.trim();
        check_text(text).map_err(|reason| fail(Some(i), reason))?;
        codes.push(fold::fold(text).into());
    }
    let expression = match list.expression() {
        None => None,
        Some(expression) => {
            let regex = meta::Regex::builder()
                .configure(meta::Config::new().nfa_size_limit(Some(MAX_REGEX_SIZE)))
                .build(expression)
                .map_err(|e| {
                    let why = format!("it does not compile: {e}");
                    fail(None, Reason::InvalidMatchExpression(why))
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
    Ok(ValidatedList {
        payout: list.payout(),
        expression,
        codes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ErrorKind, PartnerId};

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
            let err = validate_list(&list).map(|_| ()).unwrap_err();
            assert_eq!(err.to_string(), message);
        }
        let err = validate_list(&ExceptionList::new("x", Payout::Fixed(0)).match_expression("("))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidMatchExpression);
        assert!(
            err.to_string().starts_with(
                r#"exception list "x": invalid match expression: it does not compile"#
            )
        );
    }

    /// Entries of texts `C{i % distinct}` and ids `i`, every seventh removed: large enough
    /// for the bulk build to order its insertions.
    fn entries(n: usize, distinct: usize) -> Vec<Entry> {
        (0..n)
            .map(|i| {
                let code =
                    Code::tracking(CodeId(i as u64), format!("C{}", i % distinct), PartnerId(1));
                let mut entry = Entry::new(Definition {
                    key: Key::of(&code.clone().into()).unwrap(),
                    code: code.into(),
                });
                entry.removed = i % 7 == 3;
                entry
            })
            .collect()
    }

    #[test]
    fn bulk_indexes_equal_the_ones_built_an_entry_at_a_time() {
        let entries = entries(20_000, 6_000);
        let ids = index_ids(&entries).unwrap();
        let texts = index_texts(&entries);
        let mut one_by_one = TextIndex::default();
        for (position, entry) in entries.iter().enumerate() {
            assert_eq!(ids[&entry.definition.code.id()], position);
            if !entry.removed {
                entry
                    .definition
                    .with_folded(|folded| one_by_one.insert(folded, position))
                    .unwrap();
            }
        }
        assert_eq!(ids.len(), entries.len());
        for distinct in 0..6_000 {
            let text = format!("c{distinct}");
            // Registration order kept among the positions of one text.
            assert_eq!(
                texts.candidates(&text),
                one_by_one.candidates(&text),
                "{text}"
            );
        }
    }

    #[test]
    fn the_bulk_id_index_names_an_id_given_twice() {
        let mut entries = entries(10_000, 10_000);
        entries.push(Entry::new(Definition {
            key: Key::Exact,
            code: Code::tracking(CodeId(4_321), "LATE", PartnerId(2)).into(),
        }));
        assert_eq!(index_ids(&entries).unwrap_err(), CodeId(4_321));
    }
}
