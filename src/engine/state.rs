//! The compiled state an engine shares between its clones, and with the engines brought up to
//! date from it: what attribution reads of each code, the matchers, contracts and exception
//! lists.

use std::sync::Arc;

use smallvec::SmallVec;

use super::payouts::ExceptionLists;
use super::positions::Positions;
use super::schedule::in_periods;
use super::shared::{Chunked, Layered};
use crate::definitions::Definition;
use crate::matching::{Layers, Matcher};
use crate::model::{
    CodeId, CodeState, Contract, CreditPolicy, MemoryUsage, PartnerId, Settings, Terms, Timestamp,
    Window,
};

#[derive(Clone)]
pub(crate) struct State {
    pub(crate) settings: Arc<Settings>,
    /// The registry revision this state reflects, and its stamp in the registry's lineage.
    pub(crate) revision: u64,
    pub(crate) stamp: u64,
    /// The number of codes not removed.
    pub(crate) live: usize,
    /// What attribution reads of each code, compact; indexed by code position.
    pub(crate) codes: Chunked<CodeRecord>,
    /// The full definitions, same positions. Shared with the registry.
    pub(crate) definitions: Chunked<Arc<Definition>>,
    /// Code id → position.
    pub(crate) ids: Positions,
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

/// What attribution needs of a code, without the text and label of its definition: 48 bytes
/// for the common code, with one active period and one owner and policy for all time;
/// anything more (lifecycle events, changes of terms) in a shared allocation of its own.
#[derive(Clone)]
pub(crate) struct CodeRecord {
    pub(crate) id: CodeId,
    /// The registered owner and policy, unless `more` has steps.
    owner: PartnerId,
    /// The one active period, `[from, until)` in Unix milliseconds, `i64::MIN` and `i64::MAX`
    /// for open ends (no instant of the range is either), unless `more` has periods.
    from: i64,
    until: i64,
    more: Option<Arc<More>>,
    pub(crate) kind: Kind,
    credit: CreditPolicy,
}

/// A record's activity and terms, when they do not fit in it.
struct More {
    /// Sorted, disjoint periods in which the code is active: its schedule minus the spans of
    /// manual expiry.
    periods: Vec<Window>,
    scheduled_from: Option<Timestamp>,
    /// The owner and policy over time: each step from its instant on, the first from the start
    /// of time. Empty for a restricted or removed code.
    terms: Vec<(Option<Timestamp>, Terms)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Tracking,
    Restricted,
    /// Removed from the registry: matched by nothing, known to nothing.
    Removed,
}

fn millis(t: Option<Timestamp>, open: i64) -> i64 {
    t.map_or(open, Timestamp::as_unix_millis)
}

fn instant(ms: i64, open: i64) -> Option<Timestamp> {
    (ms != open).then(|| Timestamp::from_unix_millis(ms))
}

impl CodeRecord {
    /// A record of a code with this schedule, these active periods and these steps of terms
    /// (empty unless a tracking code).
    pub(crate) fn new(
        id: CodeId,
        kind: Kind,
        schedule: Window,
        periods: &[Window],
        terms: &[(Option<Timestamp>, Terms)],
    ) -> CodeRecord {
        let only_terms = match terms {
            [] => Some(Terms {
                owner: PartnerId(0),
                credit: CreditPolicy::Always,
            }),
            [(None, only)] => Some(*only),
            _ => None,
        };
        match (only_terms, periods) {
            (Some(only), [period]) if *period == schedule => CodeRecord {
                id,
                owner: only.owner,
                from: millis(period.from, i64::MIN),
                until: millis(period.until, i64::MAX),
                more: None,
                kind,
                credit: only.credit,
            },
            _ => CodeRecord {
                id,
                owner: PartnerId(0),
                from: 0,
                until: 0,
                more: Some(Arc::new(More {
                    periods: periods.to_vec(),
                    scheduled_from: schedule.from,
                    terms: terms.to_vec(),
                })),
                kind,
                credit: CreditPolicy::Always,
            },
        }
    }

    /// The code's state at `t`: active inside one of its periods, else pending before its
    /// schedule starts, else expired.
    #[inline]
    pub(crate) fn state(&self, t: Timestamp) -> CodeState {
        let (active, scheduled_from) = match &self.more {
            None => {
                let ms = t.as_unix_millis();
                (
                    self.from <= ms && ms < self.until,
                    instant(self.from, i64::MIN),
                )
            }
            Some(more) => (in_periods(&more.periods, t), more.scheduled_from),
        };
        if active {
            CodeState::Active
        } else if scheduled_from.is_some_and(|from| t < from) {
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
        if !self.is_tracking() {
            return None;
        }
        match &self.more {
            None => Some(Terms {
                owner: self.owner,
                credit: self.credit,
            }),
            Some(more) => {
                let steps = &more.terms;
                let after = steps.partition_point(|(from, _)| from.is_none_or(|from| from <= t));
                steps.get(after.checked_sub(1)?).map(|(_, terms)| *terms)
            }
        }
    }

    /// A tracking code's owner and policy over time: each step from its instant on, the first
    /// from the start of time. None for a restricted or removed code.
    pub(crate) fn terms_steps(&self) -> impl Iterator<Item = (Option<Timestamp>, Terms)> + '_ {
        let (inline, steps) = match (&self.more, self.is_tracking()) {
            (_, false) => (None, &[][..]),
            (None, true) => {
                let terms = Terms {
                    owner: self.owner,
                    credit: self.credit,
                };
                (Some((None, terms)), &[][..])
            }
            (Some(more), true) => (None, more.terms.as_slice()),
        };
        inline.into_iter().chain(steps.iter().copied())
    }

    /// The periods in which the code is active, in time order.
    pub(crate) fn periods(&self) -> impl Iterator<Item = Window> + '_ {
        let (inline, periods) = match &self.more {
            None => {
                let period = Window {
                    from: instant(self.from, i64::MIN),
                    until: instant(self.until, i64::MAX),
                };
                (Some(period), &[][..])
            }
            Some(more) => (None, more.periods.as_slice()),
        };
        inline.into_iter().chain(periods.iter().copied())
    }

    /// Every partner the code's terms name, at any time.
    pub(crate) fn owners(&self) -> impl Iterator<Item = PartnerId> + '_ {
        self.terms_steps().map(|(_, terms)| terms.owner)
    }

    /// Heap bytes of what does not fit in the record, shared with the engines before.
    pub(crate) fn heap(&self) -> usize {
        self.more.as_ref().map_or(0, |more| {
            size_of::<More>()
                + 2 * size_of::<usize>()
                + more.periods.capacity() * size_of::<Window>()
                + more.terms.capacity() * size_of::<(Option<Timestamp>, Terms)>()
        })
    }
}

impl State {
    /// The position of the code with this id, unless it was removed.
    pub(crate) fn position(&self, id: CodeId) -> Option<usize> {
        let position = self
            .ids
            .get(id, |p| self.codes.get(p).map(|code| code.id))?;
        (self.codes.get(position)?.kind != Kind::Removed).then_some(position)
    }

    pub(crate) fn record(&self, id: CodeId) -> Option<&CodeRecord> {
        self.codes.get(self.position(id)?)
    }

    pub(crate) fn definition(&self, id: CodeId) -> Option<&Definition> {
        self.definitions.get(self.position(id)?).map(|d| &**d)
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
        let definitions = self.codes.memory_usage(CodeRecord::heap)
            + self.definitions.memory_usage(definition_heap)
            + self.ids.memory_usage()
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
