//! The compiled state an engine shares between its clones, and with the engines brought up to
//! date from it: what attribution reads of each code, the matchers, contracts and exception
//! lists.

use std::sync::Arc;

use smallvec::SmallVec;

use super::payouts::ExceptionLists;
use super::schedule::in_periods;
use super::shared::{Chunked, Layered};
use crate::definitions::Definition;
use crate::matching::{Layers, Matcher};
use crate::model::{
    CodeId, CodeState, Contract, MemoryUsage, PartnerId, Settings, Terms, Timestamp, Window,
};

#[derive(Clone)]
pub(crate) struct State {
    pub(crate) settings: Arc<Settings>,
    /// The registry revision this state reflects, and which registry.
    pub(crate) revision: u64,
    pub(crate) lineage: u64,
    /// The number of codes not removed.
    pub(crate) live: usize,
    /// What attribution reads of each code, compact; indexed by code position.
    pub(crate) codes: Chunked<CodeRecord>,
    /// The full definitions, same positions. Shared with the registry.
    pub(crate) definitions: Chunked<Arc<Definition>>,
    /// Code id → position.
    pub(crate) ids: Layered<CodeId, usize>,
    /// The codes compiled at once: positions below `base_len`.
    pub(crate) base: Arc<Matcher>,
    pub(crate) base_len: usize,
    /// The codes added since, when there are any: positions from `base_len` on.
    pub(crate) added: Option<Arc<Matcher>>,
    pub(crate) contracts: Layered<PartnerId, Contract>,
    pub(crate) exception_lists: Arc<ExceptionLists>,
    /// Per partner, the merged periods in which the partner owns an active `Always` code: whose
    /// clicks are ignored. Empty unless the program ignores them.
    pub(crate) always_owner_periods: Layered<PartnerId, Vec<Window>>,
    /// Per partner, the positions of the codes that name it in their terms: where its periods
    /// are recomputed from when one of them changes. Empty unless the program ignores them.
    pub(crate) codes_of_owner: Layered<PartnerId, Vec<u32>>,
}

/// What attribution needs of a code, without the text and label of its definition.
#[derive(Clone)]
pub(crate) struct CodeRecord {
    pub(crate) id: CodeId,
    pub(crate) kind: Kind,
    pub(crate) scheduled_from: Option<Timestamp>,
    /// Sorted, disjoint periods in which the code is active: its schedule minus the spans of
    /// manual expiry.
    pub(crate) active: SmallVec<[Window; 1]>,
    /// A tracking code's owner and policy over time: each step from its instant on, the first
    /// from the start of time. Empty for a restricted or removed code.
    pub(crate) terms: SmallVec<[(Option<Timestamp>, Terms); 1]>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Tracking,
    Restricted,
    /// Removed from the registry: matched by nothing, known to nothing.
    Removed,
}

impl CodeRecord {
    /// The code's state at `t`: active inside one of its periods, else pending before its
    /// schedule starts, else expired.
    #[inline]
    pub(crate) fn state(&self, t: Timestamp) -> CodeState {
        if in_periods(&self.active, t) {
            CodeState::Active
        } else if self.scheduled_from.is_some_and(|from| t < from) {
            CodeState::Pending
        } else {
            CodeState::Expired
        }
    }

    /// Whether this is a tracking code (restricted codes credit nobody).
    #[inline]
    pub(crate) fn is_tracking(&self) -> bool {
        self.kind == Kind::Tracking
    }

    /// A tracking code's owner and policy at `t`; `None` for a restricted code.
    #[inline]
    pub(crate) fn terms_at(&self, t: Timestamp) -> Option<Terms> {
        match self.terms.as_slice() {
            [(_, only)] => Some(*only),
            steps => {
                let after = steps.partition_point(|(from, _)| from.is_none_or(|from| from <= t));
                steps.get(after.checked_sub(1)?).map(|(_, terms)| *terms)
            }
        }
    }

    /// Every partner the code's terms name, at any time.
    pub(crate) fn owners(&self) -> impl Iterator<Item = PartnerId> + '_ {
        self.terms.iter().map(|(_, terms)| terms.owner)
    }
}

impl State {
    /// The position of the code with this id, unless it was removed.
    pub(crate) fn position(&self, id: CodeId) -> Option<usize> {
        let position = *self.ids.get(&id)?;
        (self.codes.get(position)?.kind != Kind::Removed).then_some(position)
    }

    pub(crate) fn record(&self, id: CodeId) -> Option<&CodeRecord> {
        self.codes.get(self.position(id)?)
    }

    pub(crate) fn definition(&self, id: CodeId) -> Option<&Definition> {
        self.definitions.get(self.position(id)?).map(|d| &**d)
    }

    #[inline]
    pub(crate) fn id_of(&self, position: u32) -> CodeId {
        self.codes[position as usize].id
    }

    /// Both matchers, answering as one.
    #[inline]
    pub(crate) fn matchers(&self) -> Layers<'_> {
        Layers {
            base: &self.base,
            added: self.added.as_deref(),
        }
    }

    /// Every regex code not removed that matches `text` as typed, best first, onto `out`.
    pub(crate) fn regex_matches(&self, text: &str, out: &mut SmallVec<[u32; 8]>) {
        let from = out.len();
        self.matchers().regex_matches(text, out);
        if self.added.is_some() || self.live < self.codes.len() {
            let mut kept = from;
            for i in from..out.len() {
                if self.codes[out[i] as usize].kind != Kind::Removed {
                    out[kept] = out[i];
                    kept += 1;
                }
            }
            out.truncate(kept);
        }
    }

    /// Every exact code not removed whose case-folded text is `folded`, in registration order.
    pub(crate) fn exact_matches(&self, folded: &str, mut visit: impl FnMut(u32)) {
        self.matchers().exact_matches(folded, |i| {
            if self.codes[i as usize].kind != Kind::Removed {
                visit(i);
            }
        });
    }

    /// See [`Engine::memory_usage`](crate::Engine::memory_usage).
    pub(crate) fn memory_usage(&self) -> MemoryUsage {
        let spilled = |record: &CodeRecord| {
            let periods = if record.active.spilled() {
                record.active.capacity() * size_of::<Window>()
            } else {
                0
            };
            let terms = if record.terms.spilled() {
                record.terms.capacity() * size_of::<(Option<Timestamp>, Terms)>()
            } else {
                0
            };
            periods + terms
        };
        // The shared allocation: the definition, its key and the two reference counts.
        let definition_heap = |definition: &Arc<Definition>| {
            let code = &definition.code;
            size_of::<Definition>()
                + 2 * size_of::<usize>()
                + code.text().len()
                + code.label().map_or(0, str::len)
                + definition.key.folded().map_or(0, str::len)
        };
        let windows = |periods: &Vec<Window>| periods.capacity() * size_of::<Window>();
        let positions = |codes: &Vec<u32>| codes.capacity() * size_of::<u32>();
        let definitions = self.codes.memory_usage(spilled)
            + self.definitions.memory_usage(definition_heap)
            + self.ids.memory_usage(|_| 0)
            + self.contracts.memory_usage(|_| 0)
            + self.always_owner_periods.memory_usage(windows)
            + self.codes_of_owner.memory_usage(positions);
        let (mut exact_index, mut regex_matcher) = self.base.memory_usage();
        if let Some(added) = &self.added {
            let (exact, regex) = added.memory_usage();
            exact_index += exact;
            regex_matcher += regex;
        }
        MemoryUsage {
            exact_index,
            regex_matcher,
            definitions,
        }
    }
}
