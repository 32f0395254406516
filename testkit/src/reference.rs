//! A naive reference implementation of SPEC §4–§5 and of the payout of §7: a linear scan over
//! every code, each regex compiled on its own with the `regex` crate, states recomputed from
//! the raw events. It keeps its own record of what was registered, from the changes a test
//! says the registry accepted, and shares no code with the engine or the registry beyond the
//! public definition types, so agreement means something: a registry that recorded a change
//! wrongly disagrees with it.

use std::collections::HashMap;

use promo_attribution::actions::PayoutRule;
use promo_attribution::decision::{CodeHit, CodeState, NotChosen, OtherMatch};
use promo_attribution::settings::{
    AlwaysOwnerClicks, ClickWinner, CodeTracking, Contracts, RegexAnchoring, UnmetPolicy,
};
use promo_attribution::{
    Change, Code, CodeId, Contract, Conversion, CreditPolicy, Decision, ExceptionList,
    InvalidReason, Lifecycle, MatchMode, Outcome, PartnerId, Payout, PayoutSource, Settings,
    Timestamp, Via,
};

/// A registered code, its events in the order they were applied, and its regex compiled alone.
type Entry = (Code, Vec<(Timestamp, Lifecycle)>, Option<regex::Regex>);

/// A change of owner or policy, in the order applied.
type TermChange = (CodeId, Timestamp, Option<PartnerId>, Option<CreditPolicy>);

/// An exception list: its codes trimmed and folded, its expression compiled alone.
type List = (Vec<String>, Option<regex::Regex>, Payout);

/// A program as the reference holds it: what was registered, as plainly as it can be kept.
pub struct Reference {
    settings: Settings,
    /// Registration order; removed codes are gone.
    codes: Vec<Entry>,
    term_changes: Vec<TermChange>,
    contracts: HashMap<PartnerId, Contract>,
    lists: Vec<List>,
}

/// What the reference decides: the parts of a [`Decision`] it can check.
#[derive(Debug, PartialEq, Eq)]
pub struct Expected {
    /// [`Decision::outcome`].
    pub outcome: Outcome,
    /// [`Decision::code`].
    pub code: Option<CodeId>,
    /// [`Decision::click_winner`].
    pub click_winner: Option<PartnerId>,
    /// [`Decision::entered`].
    pub entered: Vec<CodeHit>,
    /// [`Decision::other_matches`], in the order it promises.
    pub others: Vec<OtherMatch>,
    /// [`Decision::other_matches_left_out`].
    pub others_left_out: usize,
    /// [`Decision::payout`].
    pub payout: u64,
    /// [`Decision::payout_rule`].
    pub payout_rule: Option<PayoutRule>,
}

impl Expected {
    /// The parts of an engine's decision the reference decides too.
    pub fn of(decision: &Decision) -> Expected {
        Expected {
            outcome: decision.outcome(),
            code: decision.code(),
            click_winner: decision.click_winner(),
            entered: decision.entered().to_vec(),
            others: decision.other_matches().to_vec(),
            others_left_out: decision.other_matches_left_out(),
            payout: decision.payout(),
            payout_rule: decision.payout_rule(),
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

/// `bps` basis points of `amount`, rounded half to even, in exact arithmetic.
fn percent(amount: u64, bps: u32) -> u64 {
    let product = u128::from(amount) * u128::from(bps);
    let (quotient, remainder) = (product / 10_000, product % 10_000);
    let up = remainder > 5_000 || (remainder == 5_000 && quotient % 2 == 1);
    u64::try_from(quotient + u128::from(up)).unwrap_or(u64::MAX)
}

impl Reference {
    /// A program with these settings and nothing registered.
    pub fn new(settings: Settings) -> Self {
        Reference {
            settings,
            codes: Vec::new(),
            term_changes: Vec::new(),
            contracts: HashMap::new(),
            lists: Vec::new(),
        }
    }

    fn position(&self, id: CodeId) -> usize {
        self.codes
            .iter()
            .position(|(code, _, _)| code.id() == id)
            .unwrap_or_else(|| panic!("the registry accepted a change of code {id}, unknown here"))
    }

    /// Records a change the registry accepted (a batch's changes one after another).
    pub fn record(&mut self, change: &Change) {
        match change {
            Change::Add { code } => {
                // SPEC §3: a code is registered with its text trimmed.
                let mut code = code.clone();
                match &mut code {
                    Code::Tracking(t) => t.text = t.text.trim().to_owned(),
                    Code::Restricted(r) => r.text = r.text.trim().to_owned(),
                    other => panic!("a code of an unknown kind: {other:?}"),
                }
                let compiled = match &code {
                    Code::Tracking(t) if t.match_mode == MatchMode::Regex => {
                        let pattern = match self.settings.regex_anchoring {
                            RegexAnchoring::WholeCode => format!("^(?:{})$", t.text),
                            _ => t.text.clone(),
                        };
                        Some(regex::Regex::new(&pattern).unwrap())
                    }
                    _ => None,
                };
                self.codes.push((code, Vec::new(), compiled));
            }
            Change::Expire { code, at } => {
                let i = self.position(*code);
                self.codes[i].1.push((*at, Lifecycle::Expire));
            }
            Change::Reactivate { code, at } => {
                let i = self.position(*code);
                self.codes[i].1.push((*at, Lifecycle::Reactivate));
            }
            Change::Transfer { code, to, at } => {
                self.term_changes.push((*code, *at, Some(*to), None));
            }
            Change::SetCredit { code, credit, at } => {
                self.term_changes.push((*code, *at, None, Some(*credit)));
            }
            Change::SetWindow { code, window } => {
                let i = self.position(*code);
                match &mut self.codes[i].0 {
                    Code::Tracking(t) => t.window = *window,
                    Code::Restricted(r) => r.window = *window,
                    other => panic!("a code of an unknown kind: {other:?}"),
                }
            }
            Change::Remove { code, .. } => {
                let i = self.position(*code);
                self.codes.remove(i);
            }
            Change::SetContract { partner, contract } => {
                self.contracts.insert(*partner, *contract);
            }
            Change::RemoveContract { partner } => {
                self.contracts.remove(partner);
            }
            Change::AddExceptionList { list } => self.lists.push(Self::list(list)),
            // Informational: deals and labels never change a decision.
            _ => {}
        }
    }

    fn list(list: &ExceptionList) -> List {
        let codes = list
            .code_texts()
            .iter()
            .map(|code| lower(code.trim()))
            .collect();
        let expression = list
            .expression()
            .map(|expression| regex::Regex::new(expression).unwrap());
        (codes, expression, list.payout())
    }

    /// Rule 9: the first exception list naming a judged entered code (an expression list
    /// through its capture), else the partner's contract rate, else the program's.
    fn payout_rule(&self, partner: PartnerId, judged: &[&str]) -> PayoutRule {
        let texts = || {
            judged
                .iter()
                .map(|raw| raw.trim())
                .filter(|t| !t.is_empty() && t.len() <= promo_attribution::limits::MAX_CODE_LEN)
        };
        for (position, (codes, expression, payout)) in self.lists.iter().enumerate() {
            let names = |text: &str| codes.contains(&lower(text));
            let applies = match expression {
                None => texts().any(names),
                Some(regex) => texts().any(|text| {
                    regex
                        .captures(text)
                        .and_then(|c| c.get(1))
                        .is_some_and(|group| names(group.as_str()))
                }),
            };
            if applies {
                return PayoutRule {
                    source: PayoutSource::ExceptionList(position),
                    payout: *payout,
                };
            }
        }
        match self.contracts.get(&partner).and_then(|c| c.payout) {
            Some(payout) => PayoutRule {
                source: PayoutSource::Contract,
                payout,
            },
            None => PayoutRule {
                source: PayoutSource::Program,
                payout: self.settings.payout,
            },
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
        // The latest event at or before t; of those at one instant, the one applied last.
        let mut last: Option<(Timestamp, Lifecycle)> = None;
        for &(at, action) in events {
            if at <= t && last.is_none_or(|(latest, _)| latest <= at) {
                last = Some((at, action));
            }
        }
        let manually_expired = last.is_some_and(|(_, action)| action == Lifecycle::Expire);
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

    /// What SPEC §4–§5 and §7 decide for this order, worked out the slow, plain way.
    pub fn attribute(&self, conversion: &Conversion<'_>) -> Expected {
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
            if text.len() > promo_attribution::limits::MAX_CODE_LEN {
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
                Some(contract) => contract.window.contains(at),
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
        let (payout, payout_rule) = match outcome {
            Outcome::Credited { partner, .. } => {
                let judged = &conversion.codes.iter().collect::<Vec<_>>();
                let judged = &judged[..judged.len().min(s.max_entered_codes)];
                let rule = self.payout_rule(partner, judged);
                let payout = match rule.payout {
                    Payout::Fixed(fixed) => fixed,
                    Payout::PercentBps(bps) => percent(conversion.amount, bps),
                    other => panic!("a payout of an unknown kind: {other:?}"),
                };
                (payout, Some(rule))
            }
            _ => (0, None),
        };
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
            payout,
            payout_rule,
        }
    }
}
