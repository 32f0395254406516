//! The compiled, immutable snapshot of a registry, and the attribution decision.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::MAX_CODE_LEN;
use crate::code::{Code, CodeId, CreditPolicy, PartnerId};
use crate::decision::{
    Click, CodeHit, CodeState, Conversion, Decision, InvalidReason, NotChosen, OtherMatch, Outcome,
    Via,
};
use crate::error::Error;
use crate::fold::{FOLD_BUF_LEN, fold_into};
use crate::matcher::RegexMatcher;
use crate::registry::{Entry, Key};
use crate::schedule::{active_periods, in_periods, merge};
use crate::settings::{ClickWinner, Settings, UnmetPolicy};
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
            .field("exact_texts", &inner.exact.len())
            .field("regex_codes", &inner.regex.len())
            .field("contracts", &inner.contracts.len())
            .field("settings", &inner.settings)
            .finish()
    }
}

struct Inner {
    settings: Settings,
    codes: Vec<Compiled>,
    by_id: HashMap<CodeId, u32>,
    /// Case-folded exact text → codes (tracking and restricted) in registration order.
    exact: HashMap<Box<str>, SmallVec<[u32; 1]>>,
    regex: RegexMatcher,
    contracts: HashMap<PartnerId, Window>,
    /// For `suppress_always_owner_clicks`: per partner, the merged periods in which the
    /// partner owns an active `Always` code. Empty unless that setting is on.
    always_owner_periods: HashMap<PartnerId, Vec<Window>>,
}

struct Compiled {
    code: Code,
    /// Sorted, disjoint periods in which the code is active: its schedule minus the spans of
    /// manual expiry.
    active: SmallVec<[Window; 1]>,
}

impl Compiled {
    fn state(&self, t: Timestamp) -> CodeState {
        if in_periods(&self.active, t) {
            CodeState::Active
        } else if self.code.window().from.is_some_and(|from| t < from) {
            CodeState::Pending
        } else {
            CodeState::Expired
        }
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
    pub(crate) fn build(
        settings: &Settings,
        entries: &[Entry],
        contracts: &HashMap<PartnerId, Window>,
    ) -> Result<Engine, Error> {
        let index = |i: usize| {
            u32::try_from(i).map_err(|_| Error::regex_set("more than 2^32 codes".to_owned()))
        };
        let mut codes = Vec::with_capacity(entries.len());
        let mut by_id = HashMap::with_capacity(entries.len());
        let mut exact: HashMap<Box<str>, SmallVec<[u32; 1]>> = HashMap::new();
        let mut patterns = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let i = index(i)?;
            by_id.insert(entry.code.id(), i);
            match &entry.key {
                Key::Regex(hir) => {
                    let priority = match &entry.code {
                        Code::Tracking(t) => t.priority,
                        Code::Restricted(_) => 0,
                    };
                    patterns.push((priority, i, hir.clone()));
                }
                Key::Exact(folded) => exact.entry(folded.as_str().into()).or_default().push(i),
            }
            codes.push(Compiled {
                code: entry.code.clone(),
                active: active_periods(entry.code.window(), &entry.events),
            });
        }
        // Precedence among regex codes: higher priority first, then registered earlier.
        patterns.sort_by_key(|&(priority, i, _)| (std::cmp::Reverse(priority), i));
        let patterns = patterns.into_iter().map(|(_, i, hir)| (hir, i)).collect();
        let regex = RegexMatcher::build(patterns, settings.regex_anchoring)?;

        let mut always_owner_periods: HashMap<PartnerId, Vec<Window>> = HashMap::new();
        if settings.suppress_always_owner_clicks && settings.tracking_enabled {
            for compiled in &codes {
                if let Code::Tracking(t) = &compiled.code {
                    if t.credit == CreditPolicy::Always {
                        always_owner_periods
                            .entry(t.owner)
                            .or_default()
                            .extend(compiled.active.iter().copied());
                    }
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
                by_id,
                exact,
                regex,
                contracts: contracts.clone(),
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

    /// The definition of a code.
    pub fn code(&self, id: CodeId) -> Option<&Code> {
        self.compiled(id).map(|c| &c.code)
    }

    /// A code's state at `t`: pending, active or expired, with manual expiry applied.
    pub fn state(&self, id: CodeId, t: Timestamp) -> Option<CodeState> {
        self.compiled(id).map(|c| c.state(t))
    }

    fn compiled(&self, id: CodeId) -> Option<&Compiled> {
        let &i = self.inner.by_id.get(&id)?;
        self.inner.codes.get(i as usize)
    }

    fn id_of(&self, i: u32) -> CodeId {
        self.inner.codes[i as usize].code.id()
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
        let clicks = Clicks::new(inner, conversion);

        let mut entered = SmallVec::with_capacity(conversion.codes.len());
        let mut others: SmallVec<[OtherMatch; 4]> = SmallVec::new();
        // (entered position, code index) of each entered code that resolved to a tracking code.
        let mut matched: SmallVec<[(usize, u32); 4]> = SmallVec::new();
        let mut restricted = false;
        for (position, text) in conversion.codes.iter().enumerate() {
            let resolved = self.resolve(text, at, position, &mut others);
            entered.push(resolved.hit);
            restricted |= resolved.restricted;
            if let Some(code) = resolved.tracking {
                matched.push((position, code));
            }
        }

        let mut decision = Decision {
            outcome: Outcome::Unattributed,
            code: None,
            click_winner: clicks.winner,
            entered,
            others,
        };
        let by_click = clicks.winner.map(|partner| Outcome::Credited {
            partner,
            via: Via::Click,
        });

        if !settings.tracking_enabled {
            decision.note_losers(&matched, None, |_| NotChosen::TrackingDisabled, self);
            decision.outcome = by_click.unwrap_or(Outcome::Unattributed);
            restricted = false;
        } else {
            let satisfied = |code: u32| match &inner.codes[code as usize].code {
                Code::Tracking(t) => match t.credit {
                    CreditPolicy::Always => true,
                    CreditPolicy::IfInvolved => clicks.involved(t.owner),
                    CreditPolicy::IfWinner => clicks.winner == Some(t.owner),
                },
                Code::Restricted(_) => false,
            };
            let strength = |code: u32| match &inner.codes[code as usize].code {
                Code::Tracking(t) => t.credit.strength(),
                Code::Restricted(_) => 0,
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
                let owner = inner.codes[code as usize].code.owner();
                decision.code = Some(self.id_of(code));
                if let Some(partner) = owner {
                    decision.outcome = Outcome::Credited {
                        partner,
                        via: Via::Code(self.id_of(code)),
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
            let reason = if restricted {
                Some(InvalidReason::RestrictedCode)
            } else if !self.partner_active(partner, at) {
                Some(InvalidReason::PartnerNotActive)
            } else {
                None
            };
            if let Some(reason) = reason {
                decision.outcome = Outcome::Invalid { partner, reason };
            }
        }
        decision
    }

    fn partner_active(&self, partner: PartnerId, at: Timestamp) -> bool {
        match self.inner.contracts.get(&partner) {
            Some(window) => window.contains(at),
            None => !self.inner.settings.require_contracts,
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
        let text = raw.trim();
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
            let is_tracking = matches!(compiled.code, Code::Tracking(_));
            match (is_tracking, state) {
                (true, CodeState::Active) if tracking.is_none() => tracking = Some(i),
                (true, CodeState::Active) => others.push(OtherMatch {
                    entered: position,
                    code: compiled.code.id(),
                    why: NotChosen::Outranked,
                }),
                (true, state) => {
                    inactive_tracking.get_or_insert((i, state));
                    others.push(OtherMatch {
                        entered: position,
                        code: compiled.code.id(),
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

        let mut buf = [0u8; FOLD_BUF_LEN];
        if let Some(same_text) = fold_into(text, &mut buf).and_then(|key| inner.exact.get(key)) {
            for &i in same_text {
                consider(i, others);
            }
        }
        let mut regex_hits: SmallVec<[u32; 8]> = SmallVec::new();
        inner.regex.matches(text, &mut regex_hits);
        for i in regex_hits {
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

/// The qualifying clicks of one conversion.
struct Clicks<'a> {
    all: &'a [Click],
    earliest: Timestamp,
    at: Timestamp,
    always_owner_periods: &'a HashMap<PartnerId, Vec<Window>>,
    winner: Option<PartnerId>,
    /// The partners with a qualifying click, sorted; built on the first `involved` question,
    /// so that orders whose codes never ask pay nothing for it.
    involved: OnceCell<SmallVec<[PartnerId; 8]>>,
}

impl<'a> Clicks<'a> {
    fn new(inner: &'a Inner, conversion: &Conversion<'a>) -> Clicks<'a> {
        let mut clicks = Clicks {
            all: conversion.clicks,
            earliest: conversion.at.saturating_sub(inner.settings.lookback),
            at: conversion.at,
            always_owner_periods: &inner.always_owner_periods,
            winner: None,
            involved: OnceCell::new(),
        };
        let mut best: Option<(Timestamp, PartnerId)> = None;
        for click in clicks.all.iter().filter(|c| clicks.qualifies(c)) {
            let better = match (best, inner.settings.click_winner) {
                (None, _) => true,
                // Ties go to the later position for last-click, the earlier for first-click.
                (Some((t, _)), ClickWinner::LastClick) => click.at >= t,
                (Some((t, _)), ClickWinner::FirstClick) => click.at < t,
            };
            if better {
                best = Some((click.at, click.partner));
            }
        }
        clicks.winner = best.map(|(_, partner)| partner);
        clicks
    }

    fn qualifies(&self, click: &Click) -> bool {
        self.earliest <= click.at
            && click.at <= self.at
            && !self
                .always_owner_periods
                .get(&click.partner)
                .is_some_and(|periods| in_periods(periods, self.at))
    }

    fn involved(&self, partner: PartnerId) -> bool {
        let involved = self.involved.get_or_init(|| {
            let mut partners: SmallVec<[PartnerId; 8]> = self
                .all
                .iter()
                .filter(|c| self.qualifies(c))
                .map(|c| c.partner)
                .collect();
            partners.sort_unstable();
            partners.dedup();
            partners
        });
        involved.binary_search(&partner).is_ok()
    }
}
