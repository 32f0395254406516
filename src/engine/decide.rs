//! The attribution decision, one function per rule. The rules are numbered as on
//! [`Engine::attribute`](crate::Engine::attribute), which states them for users; rule 1 lives
//! in `clicks`, rule 3 in `resolve`, rule 9's precedence in `payouts`.

use std::cell::OnceCell;

use smallvec::SmallVec;

use super::clicks::Clicks;
use super::diagnostics::{Diagnostics, Kept};
use super::payouts::payout_rule;
use super::resolve::{Resolved, resolve};
use super::state::State;
use crate::model::{
    Attribution, CodeHit, CodeId, CodeTracking, Contract, Contracts, Conversion, CreditPolicy,
    Decision, EnteredCodes, InvalidReason, NotChosen, OtherMatch, Outcome, PartnerId, PayoutRule,
    Settings, Terms, Timestamp, UnmetPolicy, Via, lock_at,
};

/// An entered code that resolved to a tracking code, with the code's terms at the order's
/// instant: every rule that names a code's owner or policy reads them there.
#[derive(Clone, Copy, PartialEq, Eq)]
struct MatchedCode {
    /// Its position among the entered codes.
    entered: usize,
    code: CodeId,
    terms: Terms,
}

type Matched = SmallVec<[MatchedCode; 4]>;

pub(crate) fn attribute(state: &State, conversion: &Conversion<'_>) -> Decision {
    // Built in place: assembled from parts at the end, its inline buffers were copied once
    // more. (Returning it still copies it once: the compiler does not build a returned local in
    // the caller's slot.)
    let mut decision = Decision {
        outcome: Outcome::Unattributed,
        code: None,
        click_winner: None,
        entered: SmallVec::new(),
        others: SmallVec::new(),
        others_left_out: 0,
        payout: 0,
        payout_rule: None,
        at: conversion.at,
        amount: conversion.amount,
        lock_at: lock_at(conversion.at, &state.settings),
        clawback: state.settings.clawback,
    };
    decision.entered.reserve(conversion.codes.len());
    let mut verdict = Attribution::UNATTRIBUTED;
    let mut diagnostics = Kept {
        decision: &mut decision,
        max_others: state.settings.max_other_matches,
    };
    let click_winner = decide(state, conversion, None, &mut diagnostics, &mut verdict);
    decision.outcome = verdict.outcome;
    decision.code = verdict.code;
    decision.click_winner = click_winner;
    decision.payout = verdict.payout;
    decision.payout_rule = verdict.payout_rule;
    decision
}

/// The decision on one order, by rules 1 to 9, into `verdict` (unattributed on entry), its
/// diagnostics told to `diagnostics`; returns the click winner. `first` is what the first
/// entered code resolved to, when a batch resolved it ahead. The verdict is the caller's so
/// that a batch decides straight into its output.
#[inline]
pub(crate) fn decide(
    state: &State,
    conversion: &Conversion<'_>,
    first: Option<Resolved<'_>>,
    diagnostics: &mut impl Diagnostics,
    verdict: &mut Attribution,
) -> Option<PartnerId> {
    let settings = &state.settings;
    let involved = OnceCell::new();
    let clicks = Clicks::qualifying(
        settings.lookback,
        settings.click_winner,
        &state.always_owners.periods,
        conversion,
        &involved,
    );
    let judged = judged_codes(conversion.codes, settings);
    // The common order has one code: its match, if any, needs no list.
    let one: Option<MatchedCode>;
    let mut many = Matched::new();
    let (matched, restricted): (&[MatchedCode], bool) = match judged.get(0) {
        Some(text) if conversion.codes.len() == 1 => {
            let restricted;
            (one, restricted) = resolve_one(state, conversion, 0, text, first, diagnostics);
            (one.as_slice(), restricted)
        }
        _ => {
            let restricted =
                resolve_entered(state, conversion, judged, first, diagnostics, &mut many);
            (&many, restricted)
        }
    };
    let restricted = match settings.tracking {
        CodeTracking::Disabled => {
            ignore_codes(&clicks, matched, verdict, diagnostics);
            false
        }
        CodeTracking::Enabled => {
            decide_by_codes(state, &clicks, matched, verdict, diagnostics);
            restricted
        }
    };
    if let Outcome::Credited { partner, .. } = verdict.outcome {
        let contract = state.contracts.get(&partner);
        match invalidity(settings.contracts, contract, conversion.at, restricted) {
            Some(reason) => verdict.outcome = Outcome::Invalid { partner, reason },
            None => {
                let (source, payout) =
                    payout_rule(&state.exception_lists, contract, settings.payout, judged);
                verdict.payout = payout.on(conversion.amount);
                verdict.payout_rule = Some(PayoutRule { source, payout });
            }
        }
    }
    clicks.winner
}

/// SPEC §12: the entered codes the decision judges, the first
/// [`max_entered_codes`](Settings::max_entered_codes) of them. The rest take no part in it:
/// no rule looks them up, and the diagnostics report them as [`CodeHit::NotJudged`].
#[inline]
fn judged_codes<'c>(entered: EnteredCodes<'c>, settings: &Settings) -> EnteredCodes<'c> {
    entered.truncated(settings.max_entered_codes)
}

/// Rule 3, for every judged code (the first resolved already when `first` is given): records
/// what each hit and which resolved to a tracking code; returns whether any hit an active
/// restricted code. The codes entered past the judged ones are reported as not judged.
#[inline]
fn resolve_entered<'s>(
    state: &'s State,
    conversion: &Conversion<'_>,
    judged: EnteredCodes<'_>,
    mut first: Option<Resolved<'s>>,
    diagnostics: &mut impl Diagnostics,
    matched: &mut Matched,
) -> bool {
    let mut restricted = false;
    for (position, text) in judged.iter().enumerate() {
        let (code, hit_restricted) =
            resolve_one(state, conversion, position, text, first.take(), diagnostics);
        restricted |= hit_restricted;
        matched.extend(code);
    }
    for _ in judged.len()..conversion.codes.len() {
        diagnostics.entered(CodeHit::NotJudged);
    }
    restricted
}

/// Rule 3 for the code entered at `position` (resolved already when `resolved` is given): the
/// tracking code it matched, with its terms at the order's instant, and whether it hit an
/// active restricted code.
#[inline]
fn resolve_one<'s>(
    state: &'s State,
    conversion: &Conversion<'_>,
    position: usize,
    text: &str,
    resolved: Option<Resolved<'s>>,
    diagnostics: &mut impl Diagnostics,
) -> (Option<MatchedCode>, bool) {
    let resolved =
        resolved.unwrap_or_else(|| resolve(state, text, conversion.at, position, diagnostics));
    diagnostics.entered(resolved.hit);
    // Resolved to a tracking code, so it has terms at every instant.
    let matched = resolved.tracking.and_then(|code| {
        Some(MatchedCode {
            entered: position,
            code: code.id,
            terms: code.terms_at(conversion.at)?,
        })
    });
    (matched, resolved.restricted)
}

/// Rule 2: with code tracking disabled, the codes are ignored and clicks alone decide.
fn ignore_codes(
    clicks: &Clicks<'_>,
    matched: &[MatchedCode],
    verdict: &mut Attribution,
    diagnostics: &mut impl Diagnostics,
) {
    note_losers(matched, None, |_| NotChosen::TrackingDisabled, diagnostics);
    verdict.outcome = by_click(clicks);
}

/// Rules 4 to 7, with code tracking enabled.
#[inline]
fn decide_by_codes(
    state: &State,
    clicks: &Clicks<'_>,
    matched: &[MatchedCode],
    verdict: &mut Attribution,
    diagnostics: &mut impl Diagnostics,
) {
    let winner = winning_code(clicks, matched);
    let why_not = |matched: &MatchedCode| {
        if is_satisfied(matched.terms, clicks) {
            NotChosen::Superseded
        } else {
            NotChosen::PolicyUnmet
        }
    };
    note_losers(matched, winner, why_not, diagnostics);
    match (winner, matched.first()) {
        (Some(winner), _) => credit_code(winner, verdict),
        (None, Some(first)) => match state.settings.unmet_policy {
            UnmetPolicy::Invalidate => invalidate_click_winner(clicks, first.code, verdict),
            UnmetPolicy::FallBackToClicks => verdict.outcome = by_click(clicks),
        },
        (None, None) => verdict.outcome = by_click(clicks),
    }
}

/// Rule 4: a matched code is satisfied when its policy is `Always`; `IfInvolved` and its owner
/// has a qualifying click; `IfWinner` and its owner is the click winner — owner and policy as
/// they were at the order's instant.
#[inline]
fn is_satisfied(terms: Terms, clicks: &Clicks<'_>) -> bool {
    match terms.credit {
        CreditPolicy::Always => true,
        CreditPolicy::IfInvolved => clicks.involved(terms.owner),
        CreditPolicy::IfWinner => clicks.winner == Some(terms.owner),
    }
}

/// Rule 5: of the satisfied codes, the strongest policy wins, then the first entered.
#[inline]
fn winning_code(clicks: &Clicks<'_>, matched: &[MatchedCode]) -> Option<MatchedCode> {
    let mut winner: Option<MatchedCode> = None;
    for m in matched.iter().filter(|m| is_satisfied(m.terms, clicks)) {
        // Only a strictly stronger policy displaces the winner: of equals, the first entered.
        if winner.is_none_or(|w| m.terms.credit.strength() > w.terms.credit.strength()) {
            winner = Some(*m);
        }
    }
    winner
}

/// Rule 5: the winning code's owner at the order's instant is credited through it, even over
/// another partner's winning click.
#[inline]
fn credit_code(winner: MatchedCode, verdict: &mut Attribution) {
    verdict.code = Some(winner.code);
    verdict.outcome = Outcome::Credited {
        partner: winner.terms.owner,
        via: Via::Code(winner.code),
    };
}

/// Rule 6, [`UnmetPolicy::Invalidate`]: codes matched but none was satisfied, so the click
/// winner's sale used a code assigned to someone else. Without a click winner, nobody drove the
/// sale: unattributed.
fn invalidate_click_winner(clicks: &Clicks<'_>, first_matched: CodeId, verdict: &mut Attribution) {
    if let Some(partner) = clicks.winner {
        verdict.code = Some(first_matched);
        verdict.outcome = Outcome::Invalid {
            partner,
            reason: InvalidReason::CodeOwnedByOtherPartner,
        };
    }
}

/// Rule 7: the click winner is credited via click, or the order is unattributed.
#[inline]
fn by_click(clicks: &Clicks<'_>) -> Outcome {
    match clicks.winner {
        Some(partner) => Outcome::Credited {
            partner,
            via: Via::Click,
        },
        None => Outcome::Unattributed,
    }
}

/// Rule 8: why a credited sale must not be paid, if it must not: an active restricted code was
/// entered, then the partner's contract does not cover `at` (or there is none and contracts are
/// required).
#[inline]
fn invalidity(
    contracts: Contracts,
    contract: Option<&Contract>,
    at: Timestamp,
    restricted: bool,
) -> Option<InvalidReason> {
    let partner_active = match contract {
        Some(contract) => contract.window.contains(at),
        None => contracts == Contracts::Optional,
    };
    if restricted {
        Some(InvalidReason::RestrictedCode)
    } else if !partner_active {
        Some(InvalidReason::PartnerNotActive)
    } else {
        None
    }
}

/// Lists every matched code except the winner in the decision's other matches, with why it
/// lost.
fn note_losers(
    matched: &[MatchedCode],
    winner: Option<MatchedCode>,
    why: impl Fn(&MatchedCode) -> NotChosen,
    diagnostics: &mut impl Diagnostics,
) {
    for loser in matched.iter().filter(|&m| Some(*m) != winner) {
        diagnostics.other(|| OtherMatch {
            entered: loser.entered,
            code: loser.code,
            why: why(loser),
        });
    }
}
