//! SPEC §10, the one home of the rule that judges an order's changes against its action:
//! refunds, restatements and cancellations, taken in order of instant, each checked in the
//! order the specification gives and applied, or rejected without effect.
//!
//! It needs nothing but the stored [`Action`]: no engine, no registry, no clock.

use smallvec::SmallVec;

use crate::model::{
    Action, Applied, ChangeResult, Clawback, Judgement, OrderChange, OrderChangeKind, Rejection,
    Reversal, Settled, delta, payout_on,
};

impl Action {
    /// Judges the order's changes (SPEC §10): one result per change, in the order given, and
    /// where the action stands after them.
    ///
    /// Changes are taken in order of instant (equal instants: in the order given). Each is
    /// checked, in this order, and a rejected one changes nothing:
    ///
    /// 1. [`InvalidAmount`](Rejection::InvalidAmount): a refund of 0 or less, a restated
    ///    amount below 0; [`InvalidReason`](Rejection::InvalidReason): a cancellation whose
    ///    reason is not in the list;
    /// 2. [`BeforeOrder`](Rejection::BeforeOrder): its instant is before the order's;
    /// 3. [`AlreadyReversed`](Rejection::AlreadyReversed): an earlier change reversed the
    ///    action;
    /// 4. [`Locked`](Rejection::Locked): its instant is at or after the lock and the action
    ///    takes no [`Clawback`];
    /// 5. [`RefundExceedsAmount`](Rejection::RefundExceedsAmount): a refund larger than the
    ///    amount left.
    ///
    /// An accepted change sets the new amount. A cancellation, or an amount of 0, reverses the
    /// action ([`Reversal`]); a reversed action pays 0. Otherwise the payout is the action's
    /// rule on the new amount: a percentage is recomputed (half to even), a fixed payout
    /// stands, and an action without a rule (an invalid or unattributed decision) stays at 0.
    ///
    /// ```
    /// use promo_attribution::actions::{Action, ActionState, CancelReason, OrderChange};
    /// use promo_attribution::{Payout, PayoutSource, Timestamp};
    /// use promo_attribution::actions::PayoutRule;
    ///
    /// let t = |s: &str| s.parse::<Timestamp>();
    /// let rule = PayoutRule { source: PayoutSource::Program, payout: Payout::PercentBps(1_000) };
    /// let action = Action::new(t("2026-03-10T12:00:00Z")?, 10_000)
    ///     .rule(rule)
    ///     .lock_at(Some(t("2026-04-09T12:00:00Z")?));
    /// let changes = [
    ///     OrderChange::cancel(t("2026-03-20T00:00:00Z")?, CancelReason::Returned),
    ///     OrderChange::refund(t("2026-03-15T00:00:00Z")?, 4_000), // judged first
    ///     OrderChange::refund(t("2026-04-10T00:00:00Z")?, 1_000),
    /// ];
    /// let judged = action.judge(&changes);
    /// let results: Vec<String> = judged.results().iter().map(|r| r.to_string()).collect();
    /// assert_eq!(results, [
    ///     "accepted: amount 6000, payout 0 (-600), reversed (returned)",
    ///     "accepted: amount 6000, payout 600 (-400), pending",
    ///     "rejected: already_reversed",
    /// ]);
    /// assert_eq!(judged.settled().state(), ActionState::Reversed);
    /// assert_eq!(judged.settled().delta(), -1_000);
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn judge(&self, changes: &[OrderChange]) -> Judgement {
        let mut results = SmallVec::with_capacity(changes.len());
        let settled = judge_each(self, changes, &mut results);
        Judgement { results, settled }
    }

    /// As [`judge`](Action::judge), appending one result per change to `results` (in the order
    /// given) instead of allocating: for judging many orders into one buffer.
    pub fn judge_into(&self, changes: &[OrderChange], results: &mut Vec<ChangeResult>) -> Settled {
        judge_each(self, changes, results)
    }
}

/// Where results go: appended in the order given.
trait Results: Extend<ChangeResult> + std::ops::DerefMut<Target = [ChangeResult]> {
    fn grow_to(&mut self, len: usize);
}

impl Results for Vec<ChangeResult> {
    fn grow_to(&mut self, len: usize) {
        self.resize(len, PLACEHOLDER);
    }
}

impl Results for SmallVec<[ChangeResult; 2]> {
    fn grow_to(&mut self, len: usize) {
        self.resize(len, PLACEHOLDER);
    }
}

/// Overwritten before anyone reads it.
const PLACEHOLDER: ChangeResult = ChangeResult::Rejected(Rejection::InvalidAmount);

/// Judges `changes` in order of instant, appending their results to `results` in the order
/// given.
#[inline]
fn judge_each(action: &Action, changes: &[OrderChange], results: &mut impl Results) -> Settled {
    let mut running = Running::new(action);
    if changes.len() < 2 || changes.windows(2).all(|pair| pair[0].at <= pair[1].at) {
        // The usual case: given in order, so judged as given.
        results.extend(changes.iter().map(|change| running.take(change)));
    } else {
        let base = results.len();
        results.grow_to(base + changes.len());
        let mut order: SmallVec<[usize; 8]> = (0..changes.len()).collect();
        // Stable: changes at one instant keep the order given.
        order.sort_by_key(|&i| changes[i].at);
        let results = &mut results[base..];
        for i in order {
            results[i] = running.take(&changes[i]);
        }
    }
    running.settled
}

/// The action as the changes judged so far left it.
struct Running<'a> {
    action: &'a Action,
    settled: Settled,
}

impl Running<'_> {
    fn new(action: &Action) -> Running<'_> {
        let payout = action.payout();
        Running {
            action,
            settled: Settled {
                amount: action.amount,
                payout,
                original_payout: payout,
                reversal: None,
                lock_at: action.lock_at,
                accepted: 0,
                after_lock: false,
            },
        }
    }

    #[inline]
    fn take(&mut self, change: &OrderChange) -> ChangeResult {
        match self.check(change) {
            Err(rejection) => ChangeResult::Rejected(rejection),
            Ok((amount, reversal, after_lock)) => {
                let payout = match reversal {
                    Some(_) => 0,
                    None => payout_on(self.action.rule, amount),
                };
                let before = self.settled.payout;
                let settled = &mut self.settled;
                settled.amount = amount;
                settled.payout = payout;
                settled.reversal = reversal;
                settled.after_lock = after_lock;
                settled.accepted = settled.accepted.saturating_add(1);
                let applied = Applied {
                    amount,
                    payout,
                    delta: delta(before, payout),
                    // The state a change leaves is the state its action is left in.
                    state: settled.state(),
                    reversal,
                    after_lock,
                };
                ChangeResult::Accepted(applied)
            }
        }
    }

    /// The checks of SPEC §10, in its order: the new amount, the reversal it makes, and
    /// whether it applies after the lock; or why it is rejected.
    #[inline]
    fn check(&self, change: &OrderChange) -> Result<(u64, Option<Reversal>, bool), Rejection> {
        let settled = &self.settled;
        // 1. The change itself.
        let effect = match change.kind {
            OrderChangeKind::Refund(refund) => match u64::try_from(refund) {
                Ok(refund) if refund > 0 => Effect::Refund(refund),
                _ => return Err(Rejection::InvalidAmount),
            },
            OrderChangeKind::Restate(amount) => {
                Effect::Restate(u64::try_from(amount).map_err(|_| Rejection::InvalidAmount)?)
            }
            OrderChangeKind::Cancel(reason) => Effect::Cancel(Reversal::Cancelled(reason)),
            OrderChangeKind::CancelUnrecognised => return Err(Rejection::InvalidReason),
        };
        // 2–4. Its instant, and the action's state.
        if change.at < self.action.at {
            return Err(Rejection::BeforeOrder);
        }
        if settled.reversal.is_some() {
            return Err(Rejection::AlreadyReversed);
        }
        let after_lock = self
            .action
            .lock_at
            .is_some_and(|lock_at| change.at >= lock_at);
        if after_lock {
            match self.action.clawback {
                Clawback::Disabled => return Err(Rejection::Locked),
                Clawback::Enabled => {}
            }
        }
        // 5. What it leaves.
        let (amount, reversal) = match effect {
            Effect::Refund(refund) => match settled.amount.checked_sub(refund) {
                Some(left) => (left, None),
                None => return Err(Rejection::RefundExceedsAmount),
            },
            Effect::Restate(amount) => (amount, None),
            Effect::Cancel(reversal) => (settled.amount, Some(reversal)),
        };
        let reversal = reversal.or((amount == 0).then_some(Reversal::Refunded));
        Ok((amount, reversal, after_lock))
    }
}

/// A change that passed step 1, its amount read as unsigned.
#[derive(Clone, Copy)]
enum Effect {
    Refund(u64),
    Restate(u64),
    Cancel(Reversal),
}
