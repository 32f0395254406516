//! The compiled snapshot an engine shares between its clones: what attribution reads of each
//! code, the matcher, contracts and exception lists.

use std::collections::HashMap;
use std::sync::Arc;

use foldhash::fast::RandomState;
use smallvec::SmallVec;

use super::payouts::ExceptionLists;
use super::schedule::in_periods;
use crate::definitions::{Definition, IdIndex};
use crate::matching::Matcher;
use crate::model::{
    CodeId, CodeState, Contract, MemoryUsage, PartnerId, Settings, Terms, Timestamp, Window,
};

pub(crate) struct State {
    pub(crate) settings: Settings,
    /// The registry revision this state reflects.
    pub(crate) revision: u64,
    /// What attribution reads of each code, compact; indexed by code position.
    pub(crate) codes: Vec<CodeRecord>,
    /// The full definitions, same positions. Shared with the registry.
    pub(crate) definitions: Vec<Arc<Definition>>,
    /// Shared with the registry compiled from.
    pub(crate) by_id: Arc<IdIndex>,
    pub(crate) matcher: Matcher,
    pub(crate) contracts: HashMap<PartnerId, Contract, RandomState>,
    pub(crate) exception_lists: ExceptionLists,
    /// Per partner, the merged periods in which the partner owns an active `Always` code: whose
    /// clicks are ignored. Empty unless the program ignores them.
    pub(crate) always_owner_periods: HashMap<PartnerId, Vec<Window>, RandomState>,
}

/// What attribution needs of a code, without the text and label of its definition.
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
}

impl State {
    /// The position of the code with this id, unless it was removed.
    pub(crate) fn position(&self, id: CodeId) -> Option<usize> {
        let position = *self.by_id.get(&id)?;
        (self.codes.get(position)?.kind != Kind::Removed).then_some(position)
    }

    pub(crate) fn record(&self, id: CodeId) -> Option<&CodeRecord> {
        self.codes.get(self.position(id)?)
    }

    pub(crate) fn definition(&self, id: CodeId) -> Option<&Definition> {
        self.definitions.get(self.position(id)?).map(|d| &**d)
    }

    pub(crate) fn id_of(&self, position: u32) -> CodeId {
        self.codes[position as usize].id
    }

    /// See [`Engine::memory_usage`](crate::Engine::memory_usage).
    pub(crate) fn memory_usage(&self) -> MemoryUsage {
        let spilled = |periods: &SmallVec<[Window; 1]>| {
            if periods.spilled() {
                periods.capacity() * size_of::<Window>()
            } else {
                0
            }
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
        let definitions = self.codes.capacity() * size_of::<CodeRecord>()
            + self.codes.iter().map(|c| spilled(&c.active)).sum::<usize>()
            + self
                .codes
                .iter()
                .filter(|c| c.terms.spilled())
                .map(|c| c.terms.capacity() * size_of::<(Option<Timestamp>, Terms)>())
                .sum::<usize>()
            + self.definitions.capacity() * size_of::<Arc<Definition>>()
            + self.definitions.iter().map(definition_heap).sum::<usize>()
            + self.by_id.capacity() * (size_of::<(CodeId, usize)>() + 1)
            + self.contracts.capacity() * (size_of::<(PartnerId, Contract)>() + 1)
            + self
                .always_owner_periods
                .values()
                .map(|p| p.capacity() * size_of::<Window>())
                .sum::<usize>();
        let (exact_index, regex_matcher) = self.matcher.memory_usage();
        MemoryUsage {
            exact_index,
            regex_matcher,
            definitions,
        }
    }
}
