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
    CodeId, CodeState, Contract, CreditPolicy, MemoryUsage, PartnerId, Settings, Timestamp, Window,
};

pub(crate) struct State {
    pub(crate) settings: Settings,
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
    /// `None` for a restricted code.
    pub(crate) credit: Option<CreditPolicy>,
    /// Meaningless for a restricted code.
    pub(crate) owner: PartnerId,
    pub(crate) scheduled_from: Option<Timestamp>,
    /// Sorted, disjoint periods in which the code is active: its schedule minus the spans of
    /// manual expiry.
    pub(crate) active: SmallVec<[Window; 1]>,
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
        self.credit.is_some()
    }
}

impl State {
    /// The position of the code with this id.
    pub(crate) fn position(&self, id: CodeId) -> Option<usize> {
        self.by_id.get(&id).copied()
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
