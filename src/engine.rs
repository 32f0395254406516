//! The compiled, immutable snapshot of a registry, and the attribution decision.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::Arc;

use foldhash::fast::RandomState;

use smallvec::SmallVec;

use crate::MAX_CODE_LEN;
use crate::clicks::Clicks;
use crate::code::{Code, CodeId, CreditPolicy, PartnerId};
use crate::decision::{
    CodeHit, CodeState, Conversion, Decision, InvalidReason, NotChosen, OtherMatch, Outcome, Via,
};
use crate::error::Error;
use crate::exact::{ExactIndex, Hashing};
use crate::fold::{self, with_folded_bytes};
use crate::matcher::RegexMatcher;
use crate::payout::{CompiledList, Contract, ExceptionLists, Payout, PayoutSource};
use crate::registry::{Entry, IdIndex, Key};
use crate::schedule::{active_periods, in_periods, merge};
use crate::settings::{Settings, UnmetPolicy};
use crate::time::{Timestamp, Window};

/// An immutable, compiled snapshot of a [`Registry`](crate::Registry): answers
/// [`attribute`](Engine::attribute).
///
/// # Cloning
///
/// The compiled state lives behind an [`Arc`]: cloning an engine is a reference-count increment,
/// and clones can be sent to and used from any number of threads at once.
///
/// # Fallibility
///
/// Building an engine can fail (see [`Registry::compile`](crate::Registry::compile));
/// attributing cannot. Whatever an order holds — no codes or ten thousand, a megabyte of text,
/// clicks from the far future — `attribute` returns a [`Decision`] in time linear in the
/// order's size, and what was odd about the order shows in the decision's diagnostics.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    /// A summary: the compiled internals of a large program are not worth printing.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Engine")
            .field("codes", &inner.codes.len())
            .field("exact_codes", &inner.exact.len())
            .field("regex_codes", &inner.regex.len())
            .field("contracts", &inner.contracts.len())
            .field("settings", &inner.settings)
            .finish()
    }
}

struct Inner {
    settings: Settings,
    /// What attribution reads of each code, compact; indexed by code index.
    codes: Vec<Compiled>,
    /// The full definitions, for [`Engine::code`]; same indices. Shared with the registry.
    definitions: Vec<Arc<Code>>,
    /// Shared with the registry compiled from.
    by_id: Arc<IdIndex>,
    /// Case-folded exact text → codes (tracking and restricted) in registration order.
    exact: ExactIndex,
    regex: RegexMatcher,
    contracts: HashMap<PartnerId, Contract, RandomState>,
    exception_lists: ExceptionLists,
    /// For `suppress_always_owner_clicks`: per partner, the merged periods in which the
    /// partner owns an active `Always` code. Empty unless that setting is on.
    always_owner_periods: HashMap<PartnerId, Vec<Window>, RandomState>,
}

/// What attribution needs of a code, without the text and label of its definition.
struct Compiled {
    id: CodeId,
    /// `None` for a restricted code.
    credit: Option<CreditPolicy>,
    /// Meaningless for a restricted code.
    owner: PartnerId,
    scheduled_from: Option<Timestamp>,
    /// Sorted, disjoint periods in which the code is active: its schedule minus the spans of
    /// manual expiry.
    active: SmallVec<[Window; 1]>,
}

impl Compiled {
    fn new(code: &Code, active: SmallVec<[Window; 1]>) -> Compiled {
        let (credit, owner) = match code {
            Code::Tracking(t) => (Some(t.credit), t.owner),
            Code::Restricted(_) => (None, PartnerId(0)),
        };
        Compiled {
            id: code.id(),
            credit,
            owner,
            scheduled_from: code.window().from,
            active,
        }
    }

    fn state(&self, t: Timestamp) -> CodeState {
        if in_periods(&self.active, t) {
            CodeState::Active
        } else if self.scheduled_from.is_some_and(|from| t < from) {
            CodeState::Pending
        } else {
            CodeState::Expired
        }
    }
}

/// The heap memory an [`Engine`] holds, in bytes, by part. See [`Engine::memory_usage`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryUsage {
    /// The exact-code index: its hash table and the case-folded texts.
    pub exact_index: usize,
    /// The regex matcher: prefix index, per-pattern automata, and the fallback engines.
    pub regex_matcher: usize,
    /// What attribution reads of each code, the full definitions, the id index, contracts.
    pub definitions: usize,
}

impl MemoryUsage {
    /// The sum of the parts.
    pub fn total(&self) -> usize {
        self.exact_index + self.regex_matcher + self.definitions
    }
}

/// What one entered text resolved to.
struct Resolved {
    hit: CodeHit,
    /// The active tracking code that wins for this text.
    tracking: Option<u32>,
    /// Whether the text hits an active restricted code.
    restricted: bool,
}

impl Engine {
    pub(crate) fn build<'a>(
        settings: &Settings,
        entries: &[Entry],
        by_id: &Arc<IdIndex>,
        contracts: &HashMap<PartnerId, Contract>,
        exception_lists: impl IntoIterator<Item = &'a CompiledList>,
    ) -> Result<Engine, Error> {
        let index = |i: usize| {
            u32::try_from(i).map_err(|_| Error::regex_set("more than 2^32 codes".to_owned()))
        };
        let mut codes = Vec::with_capacity(entries.len());
        let mut exact = Vec::with_capacity(entries.len());
        let mut patterns = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let i = index(i)?;
            match &entry.key {
                Key::Regex(hir) => {
                    let priority = match &*entry.code {
                        Code::Tracking(t) => t.priority,
                        Code::Restricted(_) => 0,
                    };
                    patterns.push((priority, i, hir.clone()));
                }
                Key::Exact(folded) => exact.push((folded.as_bytes(), i)),
            }
            codes.push(Compiled::new(
                &entry.code,
                active_periods(entry.code.window(), &entry.events),
            ));
        }
        let exact = ExactIndex::build(exact.into_iter(), Hashing::whole(), 1.5)
            .ok_or_else(|| Error::regex_set("more than 4 GiB of exact code text".to_owned()))?;
        // Precedence among regex codes: higher priority first, then registered earlier.
        patterns.sort_by_key(|&(priority, i, _)| (std::cmp::Reverse(priority), i));
        let patterns = patterns.into_iter().map(|(_, i, hir)| (hir, i)).collect();
        let regex = RegexMatcher::build(patterns, settings.regex_anchoring)?;

        let mut always_owner_periods: HashMap<PartnerId, Vec<Window>, RandomState> =
            HashMap::default();
        if settings.suppress_always_owner_clicks && settings.tracking_enabled {
            for compiled in &codes {
                if compiled.credit == Some(CreditPolicy::Always) {
                    always_owner_periods
                        .entry(compiled.owner)
                        .or_default()
                        .extend(compiled.active.iter().copied());
                }
            }
            for periods in always_owner_periods.values_mut() {
                *periods = merge(std::mem::take(periods));
            }
        }
        Ok(Engine {
            inner: Arc::new(Inner {
                settings: settings.clone(),
                codes,
                definitions: entries.iter().map(|e| Arc::clone(&e.code)).collect(),
                by_id: Arc::clone(by_id),
                exact,
                regex,
                contracts: contracts.iter().map(|(&p, &c)| (p, c)).collect(),
                exception_lists: ExceptionLists::build(exception_lists),
                always_owner_periods,
            }),
        })
    }

    /// The settings the engine was compiled with.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The number of codes, tracking and restricted.
    pub fn len(&self) -> usize {
        self.inner.codes.len()
    }

    /// Whether the engine holds no code.
    pub fn is_empty(&self) -> bool {
        self.inner.codes.is_empty()
    }

    /// The heap memory the engine holds, by part: a figure for capacity planning, computed from
    /// the capacities of its tables. It leaves out the per-thread caches of the general regex
    /// engine, which only the rare regex code the matcher cannot compile itself uses.
    ///
    /// The code definitions are shared with the registry the engine was compiled from (and with
    /// other engines compiled from it) rather than copied; they count here in full, since the
    /// engine keeps them alive on its own once the registry is dropped.
    ///
    /// ```
    /// use promo_attribution::{Code, CodeId, PartnerId, Registry};
    ///
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(1), "SAVE10", PartnerId(1)))?;
    /// let usage = registry.compile()?.memory_usage();
    /// assert!(usage.exact_index > 0);
    /// assert_eq!(usage.total(), usage.exact_index + usage.regex_matcher + usage.definitions);
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn memory_usage(&self) -> MemoryUsage {
        let inner = &*self.inner;
        let spilled = |periods: &SmallVec<[Window; 1]>| {
            if periods.spilled() {
                periods.capacity() * size_of::<Window>()
            } else {
                0
            }
        };
        // The shared allocation: the definition and the two reference counts.
        let definition_heap = |code: &Arc<Code>| {
            size_of::<Code>()
                + 2 * size_of::<usize>()
                + code.text().len()
                + match &**code {
                    Code::Tracking(t) => t.label.as_ref().map_or(0, String::capacity),
                    Code::Restricted(r) => r.label.as_ref().map_or(0, String::capacity),
                }
        };
        let definitions = inner.codes.capacity() * size_of::<Compiled>()
            + inner
                .codes
                .iter()
                .map(|c| spilled(&c.active))
                .sum::<usize>()
            + inner.definitions.capacity() * size_of::<Arc<Code>>()
            + inner.definitions.iter().map(definition_heap).sum::<usize>()
            + inner.by_id.capacity() * (size_of::<(CodeId, usize)>() + 1)
            + inner.contracts.capacity() * (size_of::<(PartnerId, Contract)>() + 1)
            + inner
                .always_owner_periods
                .values()
                .map(|p| p.capacity() * size_of::<Window>())
                .sum::<usize>();
        MemoryUsage {
            exact_index: inner.exact.memory_usage(),
            regex_matcher: inner.regex.memory_usage(),
            definitions,
        }
    }

    /// The definition of a code.
    pub fn code(&self, id: CodeId) -> Option<&Code> {
        let &i = self.inner.by_id.get(&id)?;
        self.inner.definitions.get(i).map(|code| &**code)
    }

    /// A code's state at `t`: pending, active or expired, with manual expiry applied.
    pub fn state(&self, id: CodeId, t: Timestamp) -> Option<CodeState> {
        self.compiled(id).map(|c| c.state(t))
    }

    fn compiled(&self, id: CodeId) -> Option<&Compiled> {
        let &i = self.inner.by_id.get(&id)?;
        self.inner.codes.get(i)
    }

    /// The case-folded text of every exact code (tracking or restricted), each once.
    pub(crate) fn exact_keys(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.inner.exact.distinct_keys()
    }

    pub(crate) fn has_regex_codes(&self) -> bool {
        self.inner.regex.len() > 0
    }

    /// Whether any regex code, active or not, matches `text`.
    pub(crate) fn any_regex_matches(&self, text: &str) -> bool {
        let mut hits: SmallVec<[u32; 8]> = SmallVec::new();
        self.regex_matches(text, &mut hits);
        !hits.is_empty()
    }

    /// Every regex code, active or not, that matches `text`, as code indices in precedence
    /// order.
    pub(crate) fn regex_matches(&self, text: &str, out: &mut SmallVec<[u32; 8]>) {
        self.inner.regex.matches(text, out);
    }

    /// Every exact code (tracking or restricted, active or not) whose folded text is `folded`,
    /// as code indices in registration order.
    pub(crate) fn exact_matches(&self, folded: &str, visit: impl FnMut(u32)) {
        self.inner.exact.for_each(folded.as_bytes(), visit);
    }

    /// The definitions, indexed by code index.
    pub(crate) fn definitions(&self) -> &[Arc<Code>] {
        &self.inner.definitions
    }

    /// What `text` hits at `at`, as an entered code would, and the owner of the tracking code
    /// hit (active or not).
    pub(crate) fn resolve_text(&self, text: &str, at: Timestamp) -> (CodeHit, Option<PartnerId>) {
        let mut others: SmallVec<[OtherMatch; 4]> = SmallVec::new();
        let hit = self.resolve(text, at, 0, &mut others).hit;
        let owner = match hit {
            CodeHit::Matched(id) | CodeHit::Inactive { code: id, .. } => {
                self.code(id).and_then(Code::owner)
            }
            _ => None,
        };
        (hit, owner)
    }

    fn id_of(&self, i: u32) -> CodeId {
        self.inner.codes[i as usize].id
    }

    /// Decides who gets the credit for an order, or why the sale is invalid, and says why.
    ///
    /// The rules, in order (SPEC §5):
    /// 1. Clicks qualify when `at - lookback <= click.at <= at` (and, with
    ///    `suppress_always_owner_clicks`, are not by a partner owning an active `Always`
    ///    code). They are ordered by instant, then input position; the click winner is the last
    ///    (or first) of them.
    /// 2. With code tracking disabled, codes are ignored and the click winner is credited.
    /// 3. Each entered code resolves to at most one active tracking code (exact before regex,
    ///    then higher priority, then registered earlier).
    /// 4. A matched code is satisfied when its policy is `Always`; `IfInvolved` and its owner
    ///    has a qualifying click; `IfWinner` and its owner is the click winner.
    /// 5. Of the satisfied codes, the strongest policy wins, then the first entered: its owner
    ///    is credited via the code.
    /// 6. If codes matched but none is satisfied: with [`UnmetPolicy::Invalidate`] the click
    ///    winner's sale is invalid (`CodeOwnedByOtherPartner`), or unattributed without one;
    ///    with [`UnmetPolicy::FallBackToClicks`] the codes are ignored.
    /// 7. Otherwise the click winner is credited via click, or the order is unattributed.
    /// 8. A credited partner's sale is invalid if an entered code hits an active restricted
    ///    code (`RestrictedCode`; only with tracking enabled), then if the partner's contract
    ///    does not cover `at` (`PartnerNotActive`).
    /// 9. A sale still credited pays by the first exception list naming any entered code (even
    ///    with tracking disabled: the lists price codes, they do not credit), else by the
    ///    partner's contract rate, else by the program's default. Invalid and unattributed
    ///    sales pay 0.
    ///
    /// ```
    /// use promo_attribution::{Click, Code, CodeId, Conversion, CreditPolicy, Outcome,
    ///     PartnerId, Registry, Timestamp, Via};
    ///
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(10), "BOB15", PartnerId(1)).credit(CreditPolicy::IfInvolved))?;
    /// let engine = registry.compile()?;
    ///
    /// let at: Timestamp = "2026-03-10T12:00:00Z".parse()?;
    /// let clicks = [
    ///     Click::new(PartnerId(1), "2026-03-08T09:00:00Z".parse()?),
    ///     Click::new(PartnerId(2), "2026-03-09T09:00:00Z".parse()?),
    /// ];
    /// let decision = engine.attribute(&Conversion::new(at).codes(&["bob15"]).clicks(&clicks));
    /// // Partner 2 had the last click, but partner 1 was involved and owns the code.
    /// assert_eq!(decision.outcome(), Outcome::Credited { partner: PartnerId(1), via: Via::Code(CodeId(10)) });
    /// assert_eq!(decision.click_winner(), Some(PartnerId(2)));
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn attribute(&self, conversion: &Conversion<'_>) -> Decision {
        let inner = &*self.inner;
        let settings = &inner.settings;
        let at = conversion.at;
        let involved = OnceCell::new();
        let clicks = Clicks::new(settings, &inner.always_owner_periods, conversion, &involved);
        // Built in place: assembled from parts at the end, its inline buffers were copied once
        // more. (Returning it still copies it once: the compiler does not build a returned
        // local in the caller's slot.)
        let mut decision = Decision {
            outcome: Outcome::Unattributed,
            code: None,
            click_winner: clicks.winner,
            entered: SmallVec::new(),
            others: SmallVec::new(),
            payout: 0,
            payout_source: None,
        };
        decision.entered.reserve(conversion.codes.len());
        // (entered position, code index) of each entered code that resolved to a tracking code.
        let mut matched: SmallVec<[(usize, u32); 4]> = SmallVec::new();
        let mut restricted = false;
        for (position, text) in conversion.codes.iter().enumerate() {
            let resolved = self.resolve(text, at, position, &mut decision.others);
            decision.entered.push(resolved.hit);
            restricted |= resolved.restricted;
            if let Some(code) = resolved.tracking {
                matched.push((position, code));
            }
        }

        let by_click = clicks.winner.map(|partner| Outcome::Credited {
            partner,
            via: Via::Click,
        });

        if !settings.tracking_enabled {
            decision.note_losers(&matched, None, |_| NotChosen::TrackingDisabled, self);
            decision.outcome = by_click.unwrap_or(Outcome::Unattributed);
            restricted = false;
        } else {
            let satisfied = |code: u32| {
                let compiled = &inner.codes[code as usize];
                match compiled.credit {
                    Some(CreditPolicy::Always) => true,
                    Some(CreditPolicy::IfInvolved) => clicks.involved(compiled.owner),
                    Some(CreditPolicy::IfWinner) => clicks.winner == Some(compiled.owner),
                    None => false,
                }
            };
            let strength = |code: u32| {
                inner.codes[code as usize]
                    .credit
                    .map_or(0, |c| c.strength())
            };
            // Strongest policy first, then first entered: `min_by_key` keeps the first of equals.
            let winner = matched
                .iter()
                .copied()
                .filter(|&(_, code)| satisfied(code))
                .min_by_key(|&(_, code)| std::cmp::Reverse(strength(code)));
            let why_not = |code: u32| {
                if satisfied(code) {
                    NotChosen::Superseded
                } else {
                    NotChosen::PolicyUnmet
                }
            };
            decision.note_losers(&matched, winner, why_not, self);
            if let Some((_, code)) = winner {
                let compiled = &inner.codes[code as usize];
                decision.code = Some(compiled.id);
                // Only tracking codes are ever matched, so the owner is real.
                if compiled.credit.is_some() {
                    decision.outcome = Outcome::Credited {
                        partner: compiled.owner,
                        via: Via::Code(compiled.id),
                    };
                }
            } else if let (Some(&(_, first)), UnmetPolicy::Invalidate) =
                (matched.first(), settings.unmet_policy)
            {
                if let Some(partner) = clicks.winner {
                    decision.code = Some(self.id_of(first));
                    decision.outcome = Outcome::Invalid {
                        partner,
                        reason: InvalidReason::CodeOwnedByOtherPartner,
                    };
                }
            } else {
                decision.outcome = by_click.unwrap_or(Outcome::Unattributed);
            }
        }

        if let Outcome::Credited { partner, .. } = decision.outcome {
            let contract = inner.contracts.get(&partner);
            let partner_active = match contract {
                Some(contract) => contract.window.contains(at),
                None => !settings.require_contracts,
            };
            let reason = if restricted {
                Some(InvalidReason::RestrictedCode)
            } else if !partner_active {
                Some(InvalidReason::PartnerNotActive)
            } else {
                None
            };
            if let Some(reason) = reason {
                decision.outcome = Outcome::Invalid { partner, reason };
            } else {
                let (source, rule) = self.payout_rule(contract, conversion.codes);
                decision.payout = rule.on(conversion.amount);
                decision.payout_source = Some(source);
            }
        }
        decision
    }

    /// The rule that pays a credited sale: the first exception list naming an entered code,
    /// else the partner's contract rate, else the program's default.
    fn payout_rule(&self, contract: Option<&Contract>, entered: &[&str]) -> (PayoutSource, Payout) {
        let inner = &*self.inner;
        if let Some((position, payout)) = inner.exception_lists.first_applying(entered) {
            return (PayoutSource::ExceptionList(position), payout);
        }
        match contract.and_then(|c| c.payout) {
            Some(payout) => (PayoutSource::Contract, payout),
            None => (PayoutSource::Program, inner.settings.payout),
        }
    }

    /// Resolves one entered text at `at`; pushes the codes that matched but lost onto `others`.
    fn resolve(
        &self,
        raw: &str,
        at: Timestamp,
        position: usize,
        others: &mut SmallVec<[OtherMatch; 4]>,
    ) -> Resolved {
        let inner = &*self.inner;
        let text = fold::trim(raw);
        let unresolved = |hit| Resolved {
            hit,
            tracking: None,
            restricted: false,
        };
        if text.is_empty() {
            return unresolved(CodeHit::Empty);
        }
        if text.len() > MAX_CODE_LEN {
            return unresolved(CodeHit::TooLong);
        }
        let mut tracking: Option<u32> = None;
        let mut restricted: Option<u32> = None;
        let mut inactive_tracking: Option<(u32, CodeState)> = None;
        let mut inactive_restricted: Option<(u32, CodeState)> = None;
        let mut consider = |i: u32, others: &mut SmallVec<[OtherMatch; 4]>| {
            let compiled = &inner.codes[i as usize];
            let state = compiled.state(at);
            let is_tracking = compiled.credit.is_some();
            match (is_tracking, state) {
                (true, CodeState::Active) if tracking.is_none() => tracking = Some(i),
                (true, CodeState::Active) => others.push(OtherMatch {
                    entered: position,
                    code: compiled.id,
                    why: NotChosen::Outranked,
                }),
                (true, state) => {
                    inactive_tracking.get_or_insert((i, state));
                    others.push(OtherMatch {
                        entered: position,
                        code: compiled.id,
                        why: NotChosen::Inactive(state),
                    });
                }
                (false, CodeState::Active) => {
                    restricted.get_or_insert(i);
                }
                (false, state) => {
                    inactive_restricted.get_or_insert((i, state));
                }
            }
        };

        if inner.exact.len() > 0 {
            with_folded_bytes(text, |key| {
                inner.exact.for_each(key, |i| consider(i, others));
            });
        }
        let mut regex_hits: SmallVec<[u32; 8]> = SmallVec::new();
        inner.regex.matches(text, &mut regex_hits);
        for &i in &regex_hits {
            consider(i, others);
        }

        let hit = if let Some(i) = restricted {
            CodeHit::Restricted(self.id_of(i))
        } else if let Some(i) = tracking {
            CodeHit::Matched(self.id_of(i))
        } else if let Some((i, state)) = inactive_tracking.or(inactive_restricted) {
            CodeHit::Inactive {
                code: self.id_of(i),
                state,
            }
        } else {
            CodeHit::Unknown
        };
        Resolved {
            hit,
            tracking,
            restricted: restricted.is_some(),
        }
    }
}

impl Decision {
    /// Lists every matched code except the winner in `others`, with why it lost.
    fn note_losers(
        &mut self,
        matched: &[(usize, u32)],
        winner: Option<(usize, u32)>,
        why: impl Fn(u32) -> NotChosen,
        engine: &Engine,
    ) {
        for &(position, code) in matched {
            if Some((position, code)) != winner {
                self.others.push(OtherMatch {
                    entered: position,
                    code: engine.id_of(code),
                    why: why(code),
                });
            }
        }
    }
}
