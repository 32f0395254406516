//! Order changes judged against an action (SPEC §10): changes read from words (any kind, any
//! reason), never a panic, one result per change, the same through `judge` and `judge_into`
//! and after a serde round trip, and results that hold together: a reversal pays nothing and
//! ends the action, the settled payout is the last accepted change's, and the deltas add up.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use promo_attribution::actions::{Action, PayoutRule};
use promo_attribution::actions::{ActionState, ChangeResult, Judgement, OrderChange};
use promo_attribution::settings::Clawback;
use promo_attribution::{Payout, PayoutSource, Timestamp};

#[derive(Arbitrary, Debug)]
struct Input {
    amount: u64,
    rule: Option<(bool, u64)>,
    lock_days: Option<u8>,
    clawback: bool,
    changes: Vec<(i16, u8, Option<i64>, Option<String>)>,
}

const ORDER_MS: i64 = 1_773_144_000_000;
const HOUR_MS: i64 = 3_600_000;

fuzz_target!(|input: Input| {
    let at = Timestamp::from_unix_millis(ORDER_MS);
    let mut action = Action::new(at, input.amount)
        .lock_at(
            input
                .lock_days
                .map(|d| Timestamp::from_unix_millis(ORDER_MS + i64::from(d) * 24 * HOUR_MS)),
        )
        .clawback(if input.clawback {
            Clawback::Enabled
        } else {
            Clawback::Disabled
        });
    if let Some((fixed, value)) = input.rule {
        let payout = if fixed {
            Payout::Fixed(value)
        } else {
            Payout::PercentBps(value as u32)
        };
        action = action.rule(PayoutRule {
            source: PayoutSource::Program,
            payout,
        });
    }
    let mut changes = Vec::new();
    for (hours, kind, amount, reason) in &input.changes {
        let word = ["refund", "restate", "cancel", "Refund", ""][usize::from(*kind) % 5];
        let when = Timestamp::from_unix_millis(ORDER_MS + i64::from(*hours) * HOUR_MS);
        if let Ok(change) = OrderChange::from_words(when, word, *amount, reason.as_deref()) {
            changes.push(change);
        }
    }
    let judged = action.judge(&changes);
    assert_eq!(judged.results().len(), changes.len());
    let mut buffer = Vec::new();
    assert_eq!(action.judge_into(&changes, &mut buffer), judged.settled());
    assert_eq!(buffer, judged.results());

    // In instant order: nothing after a reversal, and the payouts follow from one another.
    let mut order: Vec<usize> = (0..changes.len()).collect();
    order.sort_by_key(|&i| changes[i].at);
    let (mut payout, mut reversed, mut sum) = (action.payout(), false, 0i128);
    for i in order {
        match judged.results()[i] {
            ChangeResult::Accepted(applied) => {
                assert!(!reversed, "a change was accepted after a reversal");
                assert_eq!(
                    applied.state == ActionState::Reversed,
                    applied.reversal.is_some()
                );
                if applied.reversal.is_some() {
                    assert_eq!(applied.payout, 0);
                }
                let exact = i128::from(applied.payout) - i128::from(payout);
                if i64::try_from(exact).is_ok() {
                    assert_eq!(i128::from(applied.delta), exact);
                }
                sum += exact;
                payout = applied.payout;
                reversed = applied.reversal.is_some();
            }
            ChangeResult::Rejected(_) => {}
            _ => unreachable!("a result the judge does not make"),
        }
    }
    let settled = judged.settled();
    assert_eq!(settled.payout(), payout);
    assert_eq!(settled.reversal().is_some(), reversed);
    if let Ok(total) = i64::try_from(sum) {
        assert_eq!(settled.delta(), total);
    }

    let text = serde_json::to_string(&(&changes, &judged)).expect("serialises");
    let (back_changes, back): (Vec<OrderChange>, Judgement) =
        serde_json::from_str(&text).expect("reads back");
    assert_eq!(back_changes, changes);
    assert_eq!(back, judged);
});
