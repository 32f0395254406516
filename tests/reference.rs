//! A naive reference implementation of SPEC §4–§5: a linear scan over every code, each regex
//! compiled on its own with the `regex` crate, states recomputed from the raw events. It shares
//! no code with the engine beyond the public definition types, so agreement means something.

use std::collections::HashMap;

use promo_attribution::{
    AlwaysOwnerClicks, Change, ClickWinner, Code, CodeHit, CodeId, CodeState, CodeTracking,
    Contracts, Conversion, CreditPolicy, Decision, InvalidReason, Lifecycle, MatchMode, NotChosen,
    OtherMatch, Outcome, PartnerId, RegexAnchoring, Registry, Settings, Timestamp, UnmetPolicy,
    Via,
};

/// A registered code, its events in time order, and its regex compiled alone.
type Entry = (Code, Vec<(Timestamp, Lifecycle)>, Option<regex::Regex>);

/// A change of owner or policy, as the history recorded it, in the order applied.
type TermChange = (CodeId, Timestamp, Option<PartnerId>, Option<CreditPolicy>);

pub(crate) struct Reference {
    settings: Settings,
    /// Registration order.
    codes: Vec<Entry>,
    term_changes: Vec<TermChange>,
    contracts: HashMap<PartnerId, promo_attribution::Window>,
}

/// What the reference decides: the parts of a [`Decision`] it can check.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Expected {
    pub(crate) outcome: Outcome,
    pub(crate) code: Option<CodeId>,
    pub(crate) click_winner: Option<PartnerId>,
    pub(crate) entered: Vec<CodeHit>,
    /// In the order [`Decision::other_matches`] promises.
    pub(crate) others: Vec<OtherMatch>,
    pub(crate) others_left_out: usize,
}

impl Expected {
    pub(crate) fn of(decision: &Decision) -> Expected {
        Expected {
            outcome: decision.outcome(),
            code: decision.code(),
            click_winner: decision.click_winner(),
            entered: decision.entered().to_vec(),
            others: decision.other_matches().to_vec(),
            others_left_out: decision.other_matches_left_out(),
        }
    }
}

/// Texts equal under Unicode simple case folding (SPEC §4.1) are equal after this: each
/// character to upper case and back, where each step gives one character. Lower case alone is
/// not enough: `ς` (final sigma) and `σ` fold alike but are both lower case (the fuzzer found
/// that this reference said `ς` matched nothing where the engine, rightly, found `Σ`).
fn lower(text: &str) -> String {
    fn single(mut chars: impl Iterator<Item = char>) -> Option<char> {
        let c = chars.next()?;
        chars.next().is_none().then_some(c)
    }
    text.chars()
        .map(|c| {
            let upper = single(c.to_uppercase()).unwrap_or(c);
            single(upper.to_lowercase()).unwrap_or(upper)
        })
        .collect()
}

impl Reference {
    /// Mirrors a registry that accepted these codes, events and contracts.
    pub(crate) fn new(
        registry: &Registry,
        contracts: &[(PartnerId, promo_attribution::Window)],
    ) -> Self {
        let settings = registry.settings().clone();
        let codes = registry
            .codes()
            .map(|code| {
                let events = registry
                    .events(code.id())
                    .map(|evs| evs.map(|e| (e.at, e.action)).collect())
                    .unwrap_or_default();
                let compiled = match code {
                    Code::Tracking(t) if t.match_mode == MatchMode::Regex => {
                        let pattern = match settings.regex_anchoring {
                            RegexAnchoring::WholeCode => format!("^(?:{})$", t.text),
                            _ => t.text.clone(),
                        };
                        Some(regex::Regex::new(&pattern).unwrap())
                    }
                    _ => None,
                };
                (code.clone(), events, compiled)
            })
            .collect();
        let contracts = contracts.iter().copied().collect();
        let term_changes = registry
            .history()
            .iter()
            .filter_map(|entry| match entry.change() {
                Change::Transfer { code, to, at } => Some((code, at, Some(to), None)),
                Change::SetCredit { code, credit, at } => Some((code, at, None, Some(credit))),
                _ => None,
            })
            .collect();
        Reference {
            settings,
            codes,
            term_changes,
            contracts,
        }
    }

    /// A tracking code's owner and policy at `t`: of the changes effective at or before `t`,
    /// the one with the latest instant, and of those the one applied last.
    fn terms(&self, index: usize, t: Timestamp) -> (PartnerId, CreditPolicy) {
        let Code::Tracking(code) = &self.codes[index].0 else {
            unreachable!("only tracking codes have terms")
        };
        let (mut owner, mut credit) = ((None, code.owner), (None, code.credit));
        for &(id, at, to, policy) in &self.term_changes {
            if id != code.id || at > t {
                continue;
            }
            if let Some(to) = to.filter(|_| owner.0 <= Some(at)) {
                owner = (Some(at), to);
            }
            if let Some(policy) = policy.filter(|_| credit.0 <= Some(at)) {
                credit = (Some(at), policy);
            }
        }
        (owner.1, credit.1)
    }

    fn state(&self, index: usize, t: Timestamp) -> CodeState {
        let (code, events, _) = &self.codes[index];
        let window = code.window();
        if window.from.is_some_and(|from| t < from) {
            return CodeState::Pending;
        }
        if window.until.is_some_and(|until| t >= until) {
            return CodeState::Expired;
        }
        let manually_expired = events
            .iter()
            .rfind(|(at, _)| *at <= t)
            .is_some_and(|(_, action)| *action == Lifecycle::Expire);
        if manually_expired {
            CodeState::Expired
        } else {
            CodeState::Active
        }
    }

    fn matches(&self, index: usize, text: &str) -> bool {
        let (code, _, regex) = &self.codes[index];
        match regex {
            Some(regex) => regex.is_match(text),
            None => lower(code.text()) == lower(text),
        }
    }

    pub(crate) fn attribute(&self, conversion: &Conversion<'_>) -> Expected {
        let s = &self.settings;
        let at = conversion.at;
        let always_owner = |partner: PartnerId| {
            (0..self.codes.len()).any(|i| match &self.codes[i].0 {
                Code::Tracking(_) => {
                    self.terms(i, at) == (partner, CreditPolicy::Always)
                        && self.state(i, at) == CodeState::Active
                }
                _ => false,
            })
        };
        let earliest = at.saturating_sub(s.lookback);
        let mut qualifying: Vec<(Timestamp, usize, PartnerId)> = conversion
            .clicks
            .iter()
            .enumerate()
            .filter(|(_, c)| earliest <= c.at && c.at <= at)
            .filter(|(_, c)| {
                !(s.always_owner_clicks == AlwaysOwnerClicks::Ignore
                    && s.tracking == CodeTracking::Enabled
                    && always_owner(c.partner))
            })
            .map(|(i, c)| (c.at, i, c.partner))
            .collect();
        qualifying.sort();
        let winner = match s.click_winner {
            ClickWinner::FirstClick => qualifying.first(),
            _ => qualifying.last(),
        }
        .map(|&(_, _, p)| p);

        // Resolve every entered code by a linear scan.
        let mut entered = Vec::new();
        let mut others = Vec::new();
        let mut matched: Vec<(usize, usize)> = Vec::new();
        let mut restricted = false;
        for (position, raw) in conversion.codes.iter().enumerate() {
            if position >= s.max_entered_codes {
                entered.push(CodeHit::NotJudged);
                continue;
            }
            let text = raw.trim();
            if text.is_empty() {
                entered.push(CodeHit::Empty);
                continue;
            }
            if text.len() > promo_attribution::MAX_CODE_LEN {
                entered.push(CodeHit::TooLong);
                continue;
            }
            // Precedence: exact (registration order), then regex (priority desc, registration).
            let mut hits: Vec<usize> = (0..self.codes.len())
                .filter(|&i| self.matches(i, text))
                .collect();
            hits.sort_by_key(|&i| match &self.codes[i] {
                (Code::Tracking(t), _, Some(_)) => (1, -i64::from(t.priority), i),
                _ => (0, 0, i),
            });
            let tracking: Vec<usize> = hits
                .iter()
                .copied()
                .filter(|&i| matches!(self.codes[i].0, Code::Tracking(_)))
                .collect();
            let active_restricted = hits.iter().copied().find(|&i| {
                matches!(self.codes[i].0, Code::Restricted(_))
                    && self.state(i, at) == CodeState::Active
            });
            let inactive_restricted = hits.iter().copied().find(|&i| {
                matches!(self.codes[i].0, Code::Restricted(_))
                    && self.state(i, at) != CodeState::Active
            });
            let winner_code = tracking
                .iter()
                .copied()
                .find(|&i| self.state(i, at) == CodeState::Active);
            let inactive_tracking = tracking
                .iter()
                .copied()
                .find(|&i| self.state(i, at) != CodeState::Active);
            for &i in &tracking {
                let state = self.state(i, at);
                if state != CodeState::Active {
                    others.push((position, i, NotChosen::Inactive(state)));
                } else if Some(i) != winner_code {
                    others.push((position, i, NotChosen::Outranked));
                }
            }
            restricted |= active_restricted.is_some();
            entered.push(if let Some(i) = active_restricted {
                CodeHit::Restricted(self.codes[i].0.id())
            } else if let Some(i) = winner_code {
                CodeHit::Matched(self.codes[i].0.id())
            } else if let Some(i) = inactive_tracking.or(inactive_restricted) {
                CodeHit::Inactive {
                    code: self.codes[i].0.id(),
                    state: self.state(i, at),
                }
            } else {
                CodeHit::Unknown
            });
            if let Some(i) = winner_code {
                matched.push((position, i));
            }
        }

        let involved = |p: PartnerId| qualifying.iter().any(|&(_, _, q)| q == p);
        let satisfied = |i: usize| {
            let (owner, credit) = self.terms(i, at);
            match credit {
                CreditPolicy::Always => true,
                CreditPolicy::IfInvolved => involved(owner),
                _ => winner == Some(owner),
            }
        };
        let rank = |i: usize| match self.terms(i, at).1 {
            CreditPolicy::Always => 0,
            CreditPolicy::IfInvolved => 1,
            _ => 2,
        };
        let by_click = winner.map_or(Outcome::Unattributed, |partner| Outcome::Credited {
            partner,
            via: Via::Click,
        });
        let mut code = None;
        let mut outcome;
        if s.tracking == CodeTracking::Disabled {
            restricted = false;
            outcome = by_click;
            for &(p, i) in &matched {
                others.push((p, i, NotChosen::TrackingDisabled));
            }
        } else {
            let mut best: Option<(usize, usize)> = None;
            for &(p, i) in &matched {
                if satisfied(i) && best.is_none_or(|(_, b)| rank(i) < rank(b)) {
                    best = Some((p, i));
                }
            }
            for &(p, i) in &matched {
                if Some((p, i)) != best {
                    let why = if satisfied(i) {
                        NotChosen::Superseded
                    } else {
                        NotChosen::PolicyUnmet
                    };
                    others.push((p, i, why));
                }
            }
            if let Some((_, i)) = best {
                code = Some(self.codes[i].0.id());
                outcome = Outcome::Credited {
                    partner: self.terms(i, at).0,
                    via: Via::Code(self.codes[i].0.id()),
                };
            } else if !matched.is_empty() && s.unmet_policy == UnmetPolicy::Invalidate {
                outcome = Outcome::Unattributed;
                if let Some(partner) = winner {
                    code = Some(self.codes[matched[0].1].0.id());
                    outcome = Outcome::Invalid {
                        partner,
                        reason: InvalidReason::CodeOwnedByOtherPartner,
                    };
                }
            } else {
                outcome = by_click;
            }
        }
        if let Outcome::Credited { partner, .. } = outcome {
            let active = match self.contracts.get(&partner) {
                Some(w) => w.contains(at),
                None => s.contracts == Contracts::Optional,
            };
            if restricted {
                outcome = Outcome::Invalid {
                    partner,
                    reason: InvalidReason::RestrictedCode,
                };
            } else if !active {
                outcome = Outcome::Invalid {
                    partner,
                    reason: InvalidReason::PartnerNotActive,
                };
            }
        }
        let others_left_out = others.len().saturating_sub(s.max_other_matches);
        let others: Vec<OtherMatch> = others
            .into_iter()
            .take(s.max_other_matches)
            .map(|(entered, i, why)| OtherMatch {
                entered,
                code: self.codes[i].0.id(),
                why,
            })
            .collect();
        Expected {
            outcome,
            code,
            click_winner: winner,
            entered,
            others,
            others_left_out,
        }
    }
}
