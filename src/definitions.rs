//! What a registry validates and an engine compiles: each code with what registration derived
//! from it, the id index they share, and exception lists in their validated form.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::ops::Bound;
use std::sync::Arc;

use regex_automata::meta;
use regex_syntax::hir::Hir;
use smallvec::SmallVec;

use crate::matching::{Pattern, fold, pattern};
use crate::model::{
    Code, CodeId, Contract, CreditPolicy, Error, ExceptionList, Lifecycle, LifecycleEvent,
    MAX_LABEL_LEN, MAX_REGEX_SIZE, MatchMode, PartnerId, Payout, Reason, Settings, Terms,
    Timestamp, check_len, check_text,
};

/// What registration derived from a code's text, so that nothing is parsed or folded twice.
#[derive(Clone, Debug)]
pub(crate) enum Key {
    /// The case-folded text of an exact code (tracking or restricted).
    Exact(Box<str>),
    /// The parsed pattern of a regex code (boxed: a syntax tree is three times the size of the
    /// folded text's pointer, and most codes are exact).
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
            _ => Ok(Key::Exact(fold::fold(code.text()).into())),
        }
    }

    /// The folded text of an exact code.
    pub(crate) fn folded(&self) -> Option<&str> {
        match self {
            Key::Exact(folded) => Some(folded),
            Key::Regex(_) => None,
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
            (Key::Exact(folded), _) => Pattern::Exact(folded),
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

/// Code id → position of the code in a registry, and in the engines compiled from it. Seeded
/// `foldhash`, as the engine's tables: ids come from hosts, and SipHash cost more here.
pub(crate) type IdIndex = HashMap<CodeId, usize, foldhash::fast::RandomState>;

/// The index of `entries`' ids, built in one pass (a restart); `Err` holds an id that two
/// entries share.
pub(crate) fn index_ids(entries: &[Entry]) -> Result<IdIndex, CodeId> {
    let mut index = IdIndex::with_capacity_and_hasher(entries.len(), Default::default());
    let mut pairs: Vec<(CodeId, usize)> = entries
        .iter()
        .enumerate()
        .map(|(position, entry)| (entry.definition.code.id(), position))
        .collect();
    let hasher = index.hasher().clone();
    in_home_order(&mut pairs, index.capacity(), |(id, _)| hasher.hash_one(id));
    for (id, position) in pairs {
        if index.insert(id, position).is_some() {
            return Err(id);
        }
    }
    Ok(index)
}

/// Orders `items` by the slot of a hash table of `capacity` that each one's probe starts at —
/// for `std`'s tables, the low bits of the hash — keeping the given order among items of one
/// slot. Filled in this order, a table larger than the cache is written front to back instead
/// of at random: at a million codes, a cache miss per insertion was a third of a restart.
/// Only the speed depends on that layout; the table is the same in any order.
fn in_home_order<T: Copy>(items: &mut Vec<T>, capacity: usize, hash: impl Fn(&T) -> u64) {
    // `std` sizes a table to a power of two of which `capacity` is seven eighths.
    let slots = capacity.saturating_add(1).next_power_of_two();
    // A small table stays in the cache whatever the order.
    if items.len() < 4096 {
        return;
    }
    let first = items[0];
    // A stable counting sort into runs a few cache lines of slots long: close enough to
    // sequential, in two linear passes.
    let bins = (slots / 64).clamp(1, 1 << 16);
    let bin = |item: &T| (hash(item) as usize & (slots - 1)) * bins / slots;
    let mut starts = vec![0usize; bins + 1];
    let bins_of: Vec<u32> = items.iter().map(|item| bin(item) as u32).collect();
    for &b in &bins_of {
        starts[b as usize + 1] += 1;
    }
    for b in 0..bins {
        starts[b + 1] += starts[b];
    }
    let mut ordered = vec![first; items.len()];
    for (&item, &b) in items.iter().zip(&bins_of) {
        ordered[starts[b as usize]] = item;
        starts[b as usize] += 1;
    }
    *items = ordered;
}

/// Case-folded text → the positions of the exact codes holding it, in registration order,
/// without a second copy of the text: keyed by a hash of it, the texts themselves staying in the
/// definitions. Positions under one hash may hold other texts (a collision); callers compare.
#[derive(Clone, Debug, Default)]
pub(crate) struct TextIndex {
    hasher: foldhash::fast::RandomState,
    by_hash: HashMap<u64, SmallVec<[usize; 1]>, foldhash::fast::RandomState>,
}

impl TextIndex {
    /// The index of the live exact codes of `entries`, built in one pass (a restart).
    pub(crate) fn of(entries: &[Entry]) -> TextIndex {
        let mut index = TextIndex::default();
        let mut hashes: Vec<(u64, usize)> = entries
            .iter()
            .enumerate()
            .filter(|(_, entry)| !entry.removed)
            .filter_map(|(position, entry)| {
                let folded = entry.definition.key.folded()?;
                Some((index.hasher.hash_one(folded), position))
            })
            .collect();
        index.by_hash.reserve(hashes.len());
        let table = index.by_hash.hasher().clone();
        in_home_order(&mut hashes, index.by_hash.capacity(), |(hash, _)| {
            table.hash_one(hash)
        });
        for (hash, position) in hashes {
            // In home order, the positions of one hash still come in ascending order.
            index.by_hash.entry(hash).or_default().push(position);
        }
        index
    }

    /// Makes room for `additional` more texts.
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.by_hash.reserve(additional);
    }

    /// Adds a position; positions of one text stay in ascending (registration) order.
    pub(crate) fn insert(&mut self, folded: &str, position: usize) {
        let hash = self.hasher.hash_one(folded);
        let positions = self.by_hash.entry(hash).or_default();
        let at = positions.partition_point(|&p| p < position);
        positions.insert(at, position);
    }

    pub(crate) fn remove(&mut self, folded: &str, position: usize) {
        let hash = self.hasher.hash_one(folded);
        if let Some(positions) = self.by_hash.get_mut(&hash) {
            positions.retain(|p| *p != position);
            if positions.is_empty() {
                self.by_hash.remove(&hash);
            }
        }
    }

    /// The positions that may hold `folded`, in registration order.
    pub(crate) fn candidates(&self, folded: &str) -> &[usize] {
        let hash = self.hasher.hash_one(folded);
        self.by_hash.get(&hash).map_or(&[], |positions| positions)
    }
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
    use crate::model::ErrorKind;

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

    #[test]
    fn text_index_finds_every_position_of_a_text() {
        let mut index = TextIndex::default();
        index.insert("save10", 0);
        index.insert("bob", 1);
        index.insert("save10", 4);
        assert_eq!(index.candidates("save10"), [0, 4]);
        assert_eq!(index.candidates("bob"), [1]);
        assert!(index.candidates("nope").is_empty());
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
        let texts = TextIndex::of(&entries);
        let mut one_by_one = TextIndex::default();
        for (position, entry) in entries.iter().enumerate() {
            assert_eq!(ids[&entry.definition.code.id()], position);
            if !entry.removed {
                one_by_one.insert(entry.definition.key.folded().unwrap(), position);
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
            key: Key::Exact("late".into()),
            code: Code::tracking(CodeId(4_321), "LATE", PartnerId(2)).into(),
        }));
        assert_eq!(index_ids(&entries).unwrap_err(), CodeId(4_321));
    }
}
