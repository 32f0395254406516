//! After the decision (SPEC §10): the action a decision leaves, and what judging the order's
//! changes (`order_change`) gives.
//!
//! Only the vocabulary lives here; the rule that judges changes is `crate::changes`.

use std::fmt;

use super::order_change::CancelReason;
use super::payout::{Payout, PayoutSource};
use super::settings::Clawback;
use super::time::Timestamp;

/// The rule that set a credited decision's payout: where it came from, and what it says.
///
/// A later change recomputes the payout by the same rule on the new amount, so the rule is
/// part of what a host stores with the decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PayoutRule {
    /// Which rule applied: an exception list, the partner's contract or the program default.
    pub source: PayoutSource,
    /// What it pays.
    pub payout: Payout,
}

/// The action of a decision (SPEC §10): what a later refund, restatement or cancellation of
/// the order needs, and nothing of the engine.
///
/// A host stores it with the decision ([`Decision::action`](crate::Decision::action), or the
/// columns of the Arrow output) and, months later, judges the order's changes against it with
/// [`judge`](Action::judge), with no engine and no registry: the same stored action and the
/// same changes give the same answer wherever and whenever they are judged.
///
/// An action is never updated: judging returns a [`Judgement`], a different type, which
/// cannot be judged again. Keep the action as the decision left it and the order's changes as
/// they arrive, and judge the whole list each time. No change can then be applied twice to a
/// stale copy, because there is no copy to go stale; a change that arrives late, with an
/// instant before ones already judged, takes its place in instant order.
///
/// With `serde`, an action is
/// `{"at": "2026-03-10T12:00:00Z", "amount": 10000, "rule": {"source": "program",
/// "payout": {"percent_bps": 1000}}, "lock_at": "2026-04-09T12:00:00Z", "clawback": "disabled"}`;
/// `rule` is `null` for an invalid or unattributed decision and `lock_at` when the program
/// never locks.
///
/// ```
/// use promo_attribution::{Payout, PayoutSource, Timestamp};
/// use promo_attribution::actions::{Action, OrderChange, PayoutRule};
///
/// let at: Timestamp = "2026-03-10T12:00:00Z".parse()?;
/// let rule = PayoutRule { source: PayoutSource::Program, payout: Payout::PercentBps(1_000) };
/// let action = Action::new(at, 10_000).rule(rule);
/// assert_eq!(action.payout(), 1_000);
///
/// let judged = action.judge(&[OrderChange::refund("2026-03-12T09:00:00Z".parse()?, 2_500)]);
/// assert_eq!(judged.results()[0].to_string(), "accepted: amount 7500, payout 750 (-250), pending");
/// assert_eq!(judged.settled().payout(), 750);
/// # Ok::<(), promo_attribution::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Action {
    pub(crate) at: Timestamp,
    pub(crate) amount: u64,
    pub(crate) rule: Option<PayoutRule>,
    pub(crate) lock_at: Option<Timestamp>,
    #[cfg_attr(feature = "serde", serde(default))]
    pub(crate) clawback: Clawback,
}

impl Action {
    /// The action of an order placed at `at` for `amount` minor units that pays nothing (an
    /// invalid or unattributed decision), never locks, and takes no clawback: set what
    /// applies with [`rule`](Action::rule), [`lock_at`](Action::lock_at) and
    /// [`clawback`](Action::clawback).
    #[must_use]
    pub const fn new(at: Timestamp, amount: u64) -> Action {
        Action {
            at,
            amount,
            rule: None,
            lock_at: None,
            clawback: Clawback::Disabled,
        }
    }

    /// Sets the rule that pays the action (a credited decision's).
    #[must_use]
    pub const fn rule(mut self, rule: PayoutRule) -> Action {
        self.rule = Some(rule);
        self
    }

    /// Sets the instant the action locks at; `None`: it never locks.
    #[must_use]
    pub const fn lock_at(mut self, lock_at: Option<Timestamp>) -> Action {
        self.lock_at = lock_at;
        self
    }

    /// Sets whether changes at or after the lock still apply.
    #[must_use]
    pub const fn clawback(mut self, clawback: Clawback) -> Action {
        self.clawback = clawback;
        self
    }

    /// When the order was placed.
    pub const fn at(&self) -> Timestamp {
        self.at
    }

    /// The order amount at the decision, in minor units.
    pub const fn amount(&self) -> u64 {
        self.amount
    }

    /// The rule that set the payout; `None` for an invalid or unattributed decision.
    pub const fn payout_rule(&self) -> Option<PayoutRule> {
        self.rule
    }

    /// The payout at the decision: the rule applied to the amount, or 0 without a rule.
    pub fn payout(&self) -> u64 {
        payout_on(self.rule, self.amount)
    }

    /// When the action locks, if it ever does.
    pub const fn locks_at(&self) -> Option<Timestamp> {
        self.lock_at
    }

    /// Whether changes at or after the lock still apply.
    pub const fn takes_clawback(&self) -> Clawback {
        self.clawback
    }

    /// The state of the action at `now` with no change applied: `Locked` from its lock
    /// instant on, `Pending` before.
    pub fn state_at(&self, now: Timestamp) -> ActionState {
        state_at(self.lock_at, now)
    }
}

/// What `rule` pays on `amount`: 0 without a rule.
pub(crate) fn payout_on(rule: Option<PayoutRule>, amount: u64) -> u64 {
    rule.map_or(0, |rule| rule.payout.on(amount))
}

fn state_at(lock_at: Option<Timestamp>, now: Timestamp) -> ActionState {
    match lock_at {
        Some(lock_at) if now >= lock_at => ActionState::Locked,
        _ => ActionState::Pending,
    }
}

/// The state of an action: it can still change, it is final, or it was undone.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ActionState {
    /// Before its lock instant: changes apply.
    Pending,
    /// At or after its lock instant: changes are refused unless the program takes clawbacks.
    Locked,
    /// Cancelled, or refunded to 0: nothing more applies.
    Reversed,
}

impl ActionState {
    /// Every state, in declaration order.
    pub const ALL: [ActionState; 3] = [
        ActionState::Pending,
        ActionState::Locked,
        ActionState::Reversed,
    ];

    /// The stable snake_case name: `pending`, `locked`, `reversed`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ActionState::Pending => "pending",
            ActionState::Locked => "locked",
            ActionState::Reversed => "reversed",
        }
    }
}

impl fmt::Display for ActionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an accepted change reversed its action.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Reversal {
    /// Refunded, or restated, down to 0.
    Refunded,
    /// Cancelled for this reason.
    Cancelled(CancelReason),
}

impl Reversal {
    /// Every reversal, refunds first, then cancellations in [`CancelReason::ALL`]'s order.
    pub const ALL: [Reversal; 7] = [
        Reversal::Refunded,
        Reversal::Cancelled(CancelReason::Returned),
        Reversal::Cancelled(CancelReason::Fraud),
        Reversal::Cancelled(CancelReason::Duplicate),
        Reversal::Cancelled(CancelReason::TestOrder),
        Reversal::Cancelled(CancelReason::CustomerCancelled),
        Reversal::Cancelled(CancelReason::Other),
    ];

    /// The stable snake_case name: `refunded`, or the cancel reason's.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reversal::Refunded => "refunded",
            Reversal::Cancelled(reason) => reason.as_str(),
        }
    }

    /// The position of this reversal in [`Reversal::ALL`].
    pub(crate) const fn index(self) -> usize {
        match self {
            Reversal::Refunded => 0,
            Reversal::Cancelled(reason) => match reason {
                CancelReason::Returned => 1,
                CancelReason::Fraud => 2,
                CancelReason::Duplicate => 3,
                CancelReason::TestOrder => 4,
                CancelReason::CustomerCancelled => 5,
                CancelReason::Other => 6,
            },
        }
    }
}

impl fmt::Display for Reversal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a change was rejected; a rejected change changes nothing. The variants are in the order
/// the checks run.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Rejection {
    /// A refund of 0 or less, or a restated amount below 0.
    InvalidAmount,
    /// A cancellation whose reason is none of [`CancelReason`].
    InvalidReason,
    /// The change's instant is before the order's.
    BeforeOrder,
    /// An earlier change reversed the action.
    AlreadyReversed,
    /// The change is at or after the lock instant, and the program takes no clawback.
    Locked,
    /// A refund larger than the amount left.
    RefundExceedsAmount,
}

impl Rejection {
    /// Every rejection, in the order the checks run.
    pub const ALL: [Rejection; 6] = [
        Rejection::InvalidAmount,
        Rejection::InvalidReason,
        Rejection::BeforeOrder,
        Rejection::AlreadyReversed,
        Rejection::Locked,
        Rejection::RefundExceedsAmount,
    ];

    /// The stable snake_case name, as in the conformance vectors.
    pub const fn as_str(self) -> &'static str {
        match self {
            Rejection::InvalidAmount => "invalid_amount",
            Rejection::InvalidReason => "invalid_reason",
            Rejection::BeforeOrder => "before_order",
            Rejection::AlreadyReversed => "already_reversed",
            Rejection::Locked => "locked",
            Rejection::RefundExceedsAmount => "refund_exceeds_amount",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An accepted change: the action as it left it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Applied {
    /// The order amount after the change.
    pub amount: u64,
    /// The payout after the change.
    pub payout: u64,
    /// The new payout minus the payout before the change: negative for a reversal.
    pub delta: i64,
    /// `Reversed`; else `Locked` when the change applied at or after the lock, else `Pending`.
    pub state: ActionState,
    /// Why the action was reversed, when this change reversed it.
    pub reversal: Option<Reversal>,
    /// Whether the change applied at or after the lock instant (a clawback).
    pub after_lock: bool,
}

/// The result of judging one change.
///
/// With `serde`: `{"accepted": {"amount": 7500, "payout": 750, "delta": -250, "state":
/// "pending", "reversal": null, "after_lock": false}}` or `{"rejected": "locked"}`; a
/// reversal is `"refunded"` or `{"cancelled": "fraud"}`.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ChangeResult {
    /// The change applied.
    Accepted(Applied),
    /// The change was rejected, and changed nothing.
    Rejected(Rejection),
}

impl fmt::Display for ChangeResult {
    /// `accepted: amount 7500, payout 750 (-250), pending`,
    /// `accepted: amount 10000, payout 0 (-1000), reversed (fraud), after the lock`,
    /// `rejected: locked`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChangeResult::Accepted(a) => {
                write!(
                    f,
                    "accepted: amount {}, payout {} ({:+}), {}",
                    a.amount, a.payout, a.delta, a.state
                )?;
                if let Some(reversal) = a.reversal {
                    write!(f, " ({reversal})")?;
                }
                if a.after_lock {
                    f.write_str(", after the lock")?;
                }
                Ok(())
            }
            ChangeResult::Rejected(why) => write!(f, "rejected: {why}"),
        }
    }
}

/// Where an action stands after its changes: amount, payout, and whether it was reversed.
///
/// It is not an [`Action`] and cannot be judged again: judge the stored action with every
/// change instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Settled {
    pub(crate) amount: u64,
    pub(crate) payout: u64,
    pub(crate) original_payout: u64,
    pub(crate) reversal: Option<Reversal>,
    pub(crate) lock_at: Option<Timestamp>,
    pub(crate) accepted: u32,
    pub(crate) after_lock: bool,
}

impl Settled {
    /// The order amount after every accepted change.
    pub const fn amount(&self) -> u64 {
        self.amount
    }

    /// The payout after every accepted change.
    pub const fn payout(&self) -> u64 {
        self.payout
    }

    /// The payout after the changes minus the payout at the decision.
    pub fn delta(&self) -> i64 {
        delta(self.original_payout, self.payout)
    }

    /// Why the action was reversed, if it was.
    pub const fn reversal(&self) -> Option<Reversal> {
        self.reversal
    }

    /// How many changes were accepted.
    pub const fn accepted(&self) -> u32 {
        self.accepted
    }

    /// The state after the last accepted change, as that change's result gave it: `Reversed`,
    /// else `Locked` when it applied at or after the lock, else `Pending` (also with no
    /// accepted change). For the state at a later instant, see [`state_at`](Settled::state_at).
    pub const fn state(&self) -> ActionState {
        match (self.reversal, self.after_lock) {
            (Some(_), _) => ActionState::Reversed,
            (None, true) => ActionState::Locked,
            (None, false) => ActionState::Pending,
        }
    }

    /// The state at `now`: `Reversed`, else `Locked` from the lock instant on, else `Pending`.
    pub fn state_at(&self, now: Timestamp) -> ActionState {
        match self.reversal {
            Some(_) => ActionState::Reversed,
            None => state_at(self.lock_at, now),
        }
    }
}

impl fmt::Display for Settled {
    /// `amount 7500, payout 750 (-250), pending`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "amount {}, payout {} ({:+}), {}",
            self.amount,
            self.payout,
            self.delta(),
            self.state()
        )?;
        match self.reversal {
            Some(reversal) => write!(f, " ({reversal})"),
            None => Ok(()),
        }
    }
}

/// `after - before`, saturating at the ends of `i64`.
pub(crate) fn delta(before: u64, after: u64) -> i64 {
    let d = i128::from(after) - i128::from(before);
    i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX })
}

/// What judging an action's changes gives: one result per change, in the order given, and
/// where the action stands after them all.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Judgement {
    pub(crate) results: smallvec::SmallVec<[ChangeResult; 2]>,
    pub(crate) settled: Settled,
}

impl Judgement {
    /// One result per change, in the order the changes were given (they are judged in order
    /// of instant).
    pub fn results(&self) -> &[ChangeResult] {
        &self.results
    }

    /// Where the action stands after every change.
    pub fn settled(&self) -> Settled {
        self.settled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_sets_list_each_value_once_in_order() {
        for (i, reversal) in Reversal::ALL.into_iter().enumerate() {
            assert_eq!(reversal.index(), i, "{reversal}");
        }
        let names = |names: &[&str]| {
            let mut sorted = names.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            sorted.len() == names.len()
        };
        assert!(names(&Reversal::ALL.map(Reversal::as_str)));
        assert!(names(&Rejection::ALL.map(Rejection::as_str)));
        assert!(names(&ActionState::ALL.map(ActionState::as_str)));
    }

    #[test]
    fn deltas_saturate() {
        assert_eq!(delta(0, u64::MAX), i64::MAX);
        assert_eq!(delta(u64::MAX, 0), i64::MIN);
        assert_eq!(delta(700, 500), -200);
    }
}
