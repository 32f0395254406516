//! The compiled state an engine shares between its clones, and with the engines brought up to
//! date from it: what attribution reads of each code, the matchers, contracts and exception
//! lists.

use std::sync::Arc;

use smallvec::SmallVec;

use super::owners::AlwaysOwners;
use super::payouts::ExceptionLists;
use super::positions::Positions;
use super::schedule::{active_periods, instant, millis};
use super::shared::{Chunked, Layered};
use crate::definitions::{Definition, Entry, Slot, TermUpdate, Timeline};
use crate::matching::{Layers, Matcher};
use crate::model::{
    Code, CodeId, CodeState, Contract, CreditPolicy, Lifecycle, LifecycleEvent, MemoryUsage,
    PartnerId, Settings, Terms, Timestamp, Window,
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
    /// The codes added since, from `base_len` on, in matchers of sizes that halve at least
    /// from one to the next: a refresh indexes the codes it adds in a matcher of their own,
    /// and merges it with the last ones while it is as large, so that each added code is
    /// indexed again a logarithmic number of times, not at every refresh.
    pub(crate) added: Vec<Arc<Matcher>>,
    pub(crate) contracts: Layered<PartnerId, Contract>,
    pub(crate) exception_lists: Arc<ExceptionLists>,
    /// Per partner, the periods in which it owns an active `Always` code: whose clicks are
    /// ignored. Empty unless the program ignores them.
    pub(crate) always_owners: AlwaysOwners,
}

/// What attribution needs of a code, without the text and label of its definition: 48 bytes
/// for the common code, with its schedule and one owner and policy for all time; anything more
/// (lifecycle events, changes of terms) in a shared allocation of its own.
#[derive(Clone)]
pub(crate) struct CodeRecord {
    pub(crate) id: CodeId,
    /// The registered owner and policy, unless `more` has steps.
    owner: PartnerId,
    /// The schedule, `[from, until)` in Unix milliseconds, `i64::MIN` and `i64::MAX` for open
    /// ends (no instant of the range is either), unless `more` has it.
    from: i64,
    until: i64,
    more: Option<Arc<More>>,
    pub(crate) kind: Kind,
    credit: CreditPolicy,
}

/// A record's activity and terms, when they do not fit in it. Its lists are shared in chunks
/// with the record it was brought up to date from: a change after every other one of the code
/// copies a chunk, however long the code's history.
#[derive(Clone)]
pub(crate) struct More {
    schedule: Window,
    /// The lifecycle events in time order, at one instant in the order applied: the code is
    /// active at `t` inside its schedule unless the last event at or before `t` expired it.
    events: Chunked<LifecycleEvent>,
    /// The owner and policy over time: each step from its instant on, the first from the start
    /// of time. Empty for a restricted code.
    terms: Chunked<Step>,
    /// Where the last event and the last change of terms folded in sit in the registry's
    /// timeline, and how many changes of terms were folded: what bringing the record up to
    /// date starts from.
    last_event: Option<Slot>,
    last_term_change: Option<Slot>,
    term_changes: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Tracking,
    Restricted,
    /// Removed from the registry: matched by nothing, known to nothing.
    Removed,
}

impl CodeRecord {
    /// The record of a registered code, brought up to date from `old`, the record of the same
    /// code at an earlier revision, when there is one: the events and changes of terms recorded
    /// after all those `old` folded in are folded into its lists; anything else (a change
    /// recorded before one already folded in) builds them again.
    pub(crate) fn of(entry: &Entry, old: Option<&CodeRecord>) -> CodeRecord {
        let code = &entry.definition.code;
        let (kind, registered) = match code {
            _ if entry.removed => (Kind::Removed, None),
            Code::Tracking(t) => (
                Kind::Tracking,
                Some(Terms {
                    owner: t.owner,
                    credit: t.credit,
                }),
            ),
            Code::Restricted(_) => (Kind::Restricted, None),
        };
        let schedule = code.window();
        let timeline = entry.timeline();
        if kind == Kind::Removed {
            // Matched by nothing: never active, never pending.
            return CodeRecord::inline(code.id(), kind, i64::MIN, i64::MIN, None);
        }
        if timeline.events.is_empty() && timeline.term_changes.is_empty() {
            let from = millis(schedule.from, i64::MIN);
            let until = millis(schedule.until, i64::MAX);
            return CodeRecord::inline(code.id(), kind, from, until, registered);
        }
        let more = match old.and_then(|old| old.more.as_deref()) {
            Some(old) => old.brought_up_to_date(schedule, timeline),
            None => None,
        };
        let more = more.unwrap_or_else(|| More::build(schedule, registered, timeline));
        CodeRecord {
            id: code.id(),
            owner: PartnerId(0),
            from: 0,
            until: 0,
            more: Some(Arc::new(more)),
            kind,
            credit: CreditPolicy::Always,
        }
    }

    fn inline(id: CodeId, kind: Kind, from: i64, until: i64, terms: Option<Terms>) -> CodeRecord {
        let terms = terms.unwrap_or(Terms {
            owner: PartnerId(0),
            credit: CreditPolicy::Always,
        });
        CodeRecord {
            id,
            owner: terms.owner,
            from,
            until,
            more: None,
            kind,
            credit: terms.credit,
        }
    }

    /// The code's state at `t`: active inside its schedule unless manually expired, else
    /// pending before its schedule starts, else expired.
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
            Some(more) => (
                more.schedule.contains(t) && more.manually_active(t),
                more.schedule.from,
            ),
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
        let tracking = self.is_tracking();
        let inline = (tracking && self.more.is_none()).then_some((
            None,
            Terms {
                owner: self.owner,
                credit: self.credit,
            },
        ));
        let steps = self.more.as_deref().filter(|_| tracking);
        inline.into_iter().chain(
            steps
                .into_iter()
                .flat_map(|more| more.terms.iter().copied()),
        )
    }

    /// The periods in which the code is active, in time order; none for a removed code.
    pub(crate) fn periods(&self) -> SmallVec<[Window; 1]> {
        match (&self.more, self.kind) {
            (_, Kind::Removed) => SmallVec::new(),
            (None, _) => smallvec::smallvec![Window {
                from: instant(self.from, i64::MIN),
                until: instant(self.until, i64::MAX),
            }],
            (Some(more), _) => active_periods(more.schedule, more.events.iter().copied()),
        }
    }

    /// Each partner the code names with `Always`, with a span in which it does and the code is
    /// active: what [`AlwaysOwners`] counts.
    pub(crate) fn always_spans(&self) -> SmallVec<[(PartnerId, Window); 1]> {
        let mut out = SmallVec::new();
        if !self.is_tracking() {
            return out;
        }
        let steps: SmallVec<[_; 2]> = self.terms_steps().collect();
        if steps
            .iter()
            .all(|(_, terms)| terms.credit != CreditPolicy::Always)
        {
            return out;
        }
        let periods = self.periods();
        for (i, &(from, terms)) in steps.iter().enumerate() {
            if terms.credit != CreditPolicy::Always {
                continue;
            }
            let until = steps.get(i + 1).and_then(|(next, _)| *next);
            let span = Window { from, until };
            for period in &periods {
                if let Some(both) = period.intersect(&span) {
                    out.push((terms.owner, both));
                }
            }
        }
        out
    }

    /// Heap bytes of what does not fit in the record, shared with the engines before.
    pub(crate) fn heap(&self) -> usize {
        self.more.as_ref().map_or(0, |more| {
            size_of::<More>()
                + 2 * size_of::<usize>()
                + more.events.memory_usage(|_| 0)
                + more.terms.memory_usage(|_| 0)
        })
    }
}

impl More {
    /// Builds the lists from the whole timeline.
    fn build(schedule: Window, registered: Option<Terms>, timeline: &Timeline) -> More {
        let mut steps: Vec<Step> = registered.map(|t| (None, t)).into_iter().collect();
        for ((at, _), update) in timeline.term_changes.iter() {
            let Some(last) = steps.last_mut() else { break };
            match step_after(*last, at, update) {
                (step, true) => *last = step,
                (step, false) => steps.push(step),
            }
        }
        More {
            schedule,
            events: Chunked::collect(
                timeline
                    .events
                    .iter()
                    .map(|((at, _), action)| LifecycleEvent { at, action }),
            ),
            terms: Chunked::collect(steps.into_iter()),
            last_event: timeline.events.iter().next_back().map(|(slot, _)| slot),
            last_term_change: timeline
                .term_changes
                .iter()
                .next_back()
                .map(|(slot, _)| slot),
            term_changes: timeline.term_changes.len(),
        }
    }

    /// These lists with what the timeline recorded after them folded in, when all of it
    /// comes after what they hold; `None` otherwise.
    fn brought_up_to_date(&self, schedule: Window, timeline: &Timeline) -> Option<More> {
        let mut next = self.clone();
        next.schedule = schedule;
        for (slot, action) in timeline.events.after(self.last_event) {
            next.events.push(LifecycleEvent { at: slot.0, action });
            next.last_event = Some(slot);
        }
        for (slot, update) in timeline.term_changes.after(self.last_term_change) {
            let last = next.terms.len().checked_sub(1)?;
            match step_after(next.terms[last], slot.0, update) {
                (step, true) => next.terms.set(last, step),
                (step, false) => next.terms.push(step),
            }
            next.last_term_change = Some(slot);
            next.term_changes += 1;
        }
        // A change recorded before one already folded in is not among those after it: the
        // counts tell.
        (next.events.len() == timeline.events.len()
            && next.term_changes == timeline.term_changes.len())
        .then_some(next)
    }

    /// Whether the code is active at `t` as far as manual expiry goes.
    fn manually_active(&self, t: Timestamp) -> bool {
        let after = self.events.partition_point(|event| event.at <= t);
        after == 0 || self.events[after - 1].action != Lifecycle::Expire
    }
}

/// One step of a code's terms: the owner and policy from an instant on (from the start of
/// time for `None`).
type Step = (Option<Timestamp>, Terms);

/// The step a change of terms at `at`, no earlier than `last`, makes: `true` with it when it
/// takes the place of `last`, at the same instant (the last applied wins).
fn step_after(last: Step, at: Timestamp, update: TermUpdate) -> (Step, bool) {
    let mut terms = last.1;
    update.apply(&mut terms);
    ((Some(at), terms), last.0 == Some(at))
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
            added: &self.added,
        }
    }

    /// Every regex code not removed that matches `text` as typed, best first, onto `out`.
    pub(crate) fn regex_matches(&self, text: &str, out: &mut SmallVec<[u32; 8]>) {
        let from = out.len();
        self.matchers().regex_matches(text, out);
        if !self.added.is_empty() || self.live < self.codes.len() {
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
        };
        let definitions = self.codes.memory_usage(CodeRecord::heap)
            + self.definitions.memory_usage(definition_heap)
            + self.ids.memory_usage()
            + self.contracts.memory_usage(|_| 0)
            + self.always_owners.memory_usage();
        let (mut exact_index, mut regex_matcher) = self.base.memory_usage();
        for added in &self.added {
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
