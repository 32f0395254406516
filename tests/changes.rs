//! After the decision (SPEC §10): the judge against a naive reference, the order of its checks,
//! what a decision carries for it, serde shapes, snapshots of the new settings, and reports
//! that net the changes and still merge in any grouping.

use std::time::Duration;

use promo_attribution::actions::{
    Action, ActionState, Applied, CancelReason, ChangeResult, OrderChange, OrderChangeKind,
    PayoutRule, Rejection, Reversal,
};
use promo_attribution::reports::PerformanceReport;
use promo_attribution::settings::Clawback;
use promo_attribution::{
    Code, CodeId, Contract, Conversion, ExceptionList, PartnerId, Payout, PayoutSource, Registry,
    Settings, Timestamp, Window,
};
use promo_attribution_testkit::t;
use proptest::prelude::*;

const ORDER: &str = "2026-03-10T12:00:00Z";

fn day(n: i64) -> Timestamp {
    Timestamp::from_unix_millis(t(ORDER).as_unix_millis() + n * 86_400_000)
}

fn percent(bps: u32) -> PayoutRule {
    PayoutRule {
        source: PayoutSource::Program,
        payout: Payout::PercentBps(bps),
    }
}

fn locked_action() -> Action {
    Action::new(t(ORDER), 10_000)
        .rule(percent(1_000))
        .lock_at(Some(day(30)))
}

/// The checks run in the order SPEC §10 gives: each row's change fails several of them, and
/// the first one named is the answer.
#[test]
fn each_change_gets_the_first_rejection_that_applies() {
    let reversed = [OrderChange::cancel(day(1), CancelReason::Fraud)];
    let cases: [(&str, &[OrderChange], OrderChange, Rejection); 6] = [
        // Invalid and before the order and after a reversal: invalid first.
        (
            "invalid amount",
            &reversed,
            OrderChange::refund(day(-1), 0),
            Rejection::InvalidAmount,
        ),
        (
            "invalid reason",
            &reversed,
            OrderChange {
                at: day(-1),
                kind: OrderChangeKind::CancelUnrecognised,
            },
            Rejection::InvalidReason,
        ),
        (
            "before the order, though reversed and too large",
            &reversed,
            OrderChange::refund(day(-1), 1_000_000),
            Rejection::BeforeOrder,
        ),
        (
            "reversed, though locked and too large",
            &reversed,
            OrderChange::refund(day(40), 1_000_000),
            Rejection::AlreadyReversed,
        ),
        (
            "locked, though too large",
            &[],
            OrderChange::refund(day(30), 1_000_000),
            Rejection::Locked,
        ),
        (
            "too large",
            &[],
            OrderChange::refund(day(2), 10_001),
            Rejection::RefundExceedsAmount,
        ),
    ];
    for (name, before, change, expected) in cases {
        let mut changes = before.to_vec();
        changes.push(change);
        let judged = locked_action().judge(&changes);
        assert_eq!(
            judged.results().last(),
            Some(&ChangeResult::Rejected(expected)),
            "{name}"
        );
    }
}

#[test]
fn a_restatement_can_raise_the_amount_and_a_rejected_change_changes_nothing() {
    let judged = locked_action().judge(&[
        OrderChange::restate(day(1), 20_001),
        OrderChange::refund(day(2), 30_000),
        OrderChange::refund(day(3), 1),
    ]);
    let amounts: Vec<String> = judged.results().iter().map(|r| r.to_string()).collect();
    assert_eq!(
        amounts,
        [
            "accepted: amount 20001, payout 2000 (+1000), pending",
            "rejected: refund_exceeds_amount",
            "accepted: amount 20000, payout 2000 (+0), pending",
        ]
    );
    assert_eq!(judged.settled().delta(), 1_000);
    assert_eq!(judged.settled().accepted(), 2);
    assert_eq!(judged.settled().state_at(day(29)), ActionState::Pending);
    assert_eq!(judged.settled().state_at(day(30)), ActionState::Locked);
}

#[test]
fn a_clawback_applies_after_the_lock_and_says_so() {
    let action = locked_action().clawback(Clawback::Enabled);
    let judged = action.judge(&[OrderChange::refund(day(31), 5_000)]);
    assert_eq!(
        judged.results(),
        [ChangeResult::Accepted(Applied {
            amount: 5_000,
            payout: 500,
            delta: -500,
            state: ActionState::Locked,
            reversal: None,
            after_lock: true,
        })]
    );
    assert_eq!(judged.settled().state(), ActionState::Locked);
    // Extreme amounts neither wrap nor panic.
    let huge = Action::new(t(ORDER), u64::MAX).rule(PayoutRule {
        source: PayoutSource::Contract,
        payout: Payout::Fixed(u64::MAX),
    });
    let judged = huge.judge(&[
        OrderChange::restate(day(1), i64::MAX),
        OrderChange::refund(day(2), i64::MIN),
        OrderChange::cancel(day(3), CancelReason::Other),
    ]);
    assert_eq!(judged.settled().delta(), i64::MIN);
    assert_eq!(
        judged.results()[1],
        ChangeResult::Rejected(Rejection::InvalidAmount)
    );
}

fn program() -> Registry {
    let mut settings = Settings::default();
    settings.payout = Payout::PercentBps(1_000);
    settings.lock_after = Some(Duration::from_secs(30 * 86_400));
    settings.clawback = Clawback::Enabled;
    let mut registry = Registry::new(settings);
    registry
        .add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))
        .unwrap();
    registry
        .add(Code::tracking(CodeId(20), "BOB15", PartnerId(2)))
        .unwrap();
    registry
        .set_contract(
            PartnerId(2),
            Contract::new(Window::ALWAYS).payout(Payout::Fixed(700)),
        )
        .unwrap();
    registry
        .add_exception_list(ExceptionList::new("zero", Payout::Fixed(0)).codes(["FREE"]))
        .unwrap();
    registry
}

#[test]
fn a_decision_carries_its_rule_and_lock_and_the_batch_path_agrees() {
    let engine = program().compile().unwrap();
    let orders: Vec<(&[&str], u64)> = vec![
        (&["SAVE10"], 10_000),
        (&["BOB15"], 5_000),
        (&["SAVE10", "FREE"], 8_000),
        (&["nothing"], 3_000),
    ];
    let conversions: Vec<Conversion<'_>> = orders
        .iter()
        .map(|(codes, amount)| Conversion::new(t(ORDER)).codes(*codes).amount(*amount))
        .collect();
    let batch = engine.attribute_batch(&conversions);
    let rules: Vec<Option<PayoutRule>> = conversions
        .iter()
        .zip(&batch)
        .map(|(conversion, attribution)| {
            let decision = engine.attribute(conversion);
            let action = decision.action();
            assert_eq!(action.locks_at(), Some(day(30)));
            assert_eq!(action.takes_clawback(), Clawback::Enabled);
            assert_eq!(action.payout(), decision.payout());
            assert_eq!(
                attribution.action(conversion.at, conversion.amount, engine.settings()),
                action
            );
            decision.payout_rule()
        })
        .collect();
    assert_eq!(
        rules,
        [
            Some(percent(1_000)),
            Some(PayoutRule {
                source: PayoutSource::Contract,
                payout: Payout::Fixed(700)
            }),
            Some(PayoutRule {
                source: PayoutSource::ExceptionList(0),
                payout: Payout::Fixed(0)
            }),
            None,
        ]
    );
}

#[test]
fn the_lock_settings_survive_both_snapshots() {
    let registry = program();
    let back = Registry::from_bytes(&registry.to_bytes()).unwrap();
    assert_eq!(back.settings(), registry.settings());
    #[cfg(feature = "serde")]
    {
        let json = serde_json::to_string(&registry).unwrap();
        assert!(json.contains(r#""lock_after_ms":2592000000,"clawback":"enabled""#));
        let back: Registry = serde_json::from_str(&json).unwrap();
        assert_eq!(back.settings(), registry.settings());
    }
}

#[cfg(feature = "serde")]
#[test]
fn actions_changes_and_judgements_have_a_stable_serde_shape() {
    let engine = program().compile().unwrap();
    let decision: promo_attribution::Decision =
        engine.attribute(&Conversion::new(t(ORDER)).codes(&["SAVE10"]).amount(10_000));
    let action = decision.action();
    let value = serde_json::to_value(action).unwrap();
    assert_eq!(
        value,
        serde_json::json!({
            "at": "2026-03-10T12:00:00Z",
            "amount": 10000,
            "rule": {"source": "program", "payout": {"percent_bps": 1000}},
            "lock_at": "2026-04-09T12:00:00Z",
            "clawback": "enabled"
        })
    );
    assert_eq!(serde_json::from_value::<Action>(value).unwrap(), action);
    // Stored decisions carry their action too.
    let stored: promo_attribution::Decision =
        serde_json::from_str(&serde_json::to_string(&decision).unwrap()).unwrap();
    assert_eq!(stored.action(), action);

    let changes = [
        OrderChange::refund(day(1), 2_500),
        OrderChange::restate(day(2), 9_000),
        OrderChange::cancel(day(3), CancelReason::TestOrder),
    ];
    let value = serde_json::to_value(changes).unwrap();
    assert_eq!(
        value,
        serde_json::json!([
            {"at": "2026-03-11T12:00:00Z", "refund": 2500},
            {"at": "2026-03-12T12:00:00Z", "restate": 9000},
            {"at": "2026-03-13T12:00:00Z", "cancel": "test_order"}
        ])
    );
    assert_eq!(
        serde_json::from_value::<Vec<OrderChange>>(value).unwrap(),
        changes
    );
    let odd = OrderChange {
        at: day(1),
        kind: OrderChangeKind::CancelUnrecognised,
    };
    let value = serde_json::to_value(odd).unwrap();
    assert_eq!(
        value,
        serde_json::json!({"at": "2026-03-11T12:00:00Z", "cancel_unrecognised": null})
    );
    assert_eq!(serde_json::from_value::<OrderChange>(value).unwrap(), odd);
    let judged = action.judge(&changes);
    let back: promo_attribution::actions::Judgement =
        serde_json::from_str(&serde_json::to_string(&judged).unwrap()).unwrap();
    assert_eq!(back, judged);
}

/// An independent reading of SPEC §10: sort a copy, walk it, check each rule in turn.
fn reference(action: &Action, changes: &[OrderChange]) -> Vec<String> {
    let mut order: Vec<usize> = (0..changes.len()).collect();
    order.sort_by(|&a, &b| changes[a].at.cmp(&changes[b].at).then(a.cmp(&b)));
    let mut out = vec![String::new(); changes.len()];
    let rate = action.payout_rule().map(|r| r.payout);
    let (mut amount, mut payout) = (i128::from(action.amount()), i128::from(action.payout()));
    let mut reversed: Option<&str> = None;
    for i in order {
        let c = changes[i];
        let locked = action.locks_at().is_some_and(|l| c.at >= l);
        let verdict: Result<(i128, Option<&str>), &str> = match c.kind {
            OrderChangeKind::Refund(x) if x <= 0 => Err("invalid_amount"),
            OrderChangeKind::Restate(x) if x < 0 => Err("invalid_amount"),
            OrderChangeKind::CancelUnrecognised => Err("invalid_reason"),
            _ if c.at < action.at() => Err("before_order"),
            _ if reversed.is_some() => Err("already_reversed"),
            _ if locked && action.takes_clawback() == Clawback::Disabled => Err("locked"),
            OrderChangeKind::Refund(x) if i128::from(x) > amount => Err("refund_exceeds_amount"),
            OrderChangeKind::Refund(x) => Ok((amount - i128::from(x), None)),
            OrderChangeKind::Restate(x) => Ok((i128::from(x), None)),
            OrderChangeKind::Cancel(r) => Ok((amount, Some(r.as_str()))),
            _ => Err("unknown"),
        };
        out[i] = match verdict {
            Err(why) => format!("rejected {why}"),
            Ok((new_amount, cancel)) => {
                let why = cancel.or((new_amount == 0).then_some("refunded"));
                let new_payout = match (why, rate) {
                    (Some(_), _) | (None, None) => 0,
                    (None, Some(Payout::Fixed(f))) => i128::from(f),
                    (None, Some(Payout::PercentBps(bps))) => {
                        // Half to even, by hand.
                        let p = new_amount * i128::from(bps);
                        let (q, r) = (p / 10_000, p % 10_000);
                        q + i128::from(r > 5_000 || (r == 5_000 && q % 2 == 1))
                    }
                    (None, Some(_)) => 0,
                };
                let state = match (why, locked) {
                    (Some(_), _) => "reversed",
                    (None, true) => "locked",
                    (None, false) => "pending",
                };
                let line = format!(
                    "amount {new_amount} payout {new_payout} delta {} {state} {why:?} {locked}",
                    new_payout - payout
                );
                amount = new_amount;
                payout = new_payout;
                reversed = why;
                line
            }
        };
    }
    out
}

fn words(result: &ChangeResult) -> String {
    match result {
        ChangeResult::Accepted(a) => format!(
            "amount {} payout {} delta {} {} {:?} {}",
            a.amount,
            a.payout,
            a.delta,
            a.state,
            a.reversal.map(Reversal::as_str),
            a.after_lock
        ),
        ChangeResult::Rejected(why) => format!("rejected {why}"),
        other => format!("{other:?}"),
    }
}

fn change() -> impl Strategy<Value = OrderChange> {
    let kind = prop_oneof![
        (-50i64..12_000).prop_map(OrderChangeKind::Refund),
        (-50i64..25_000).prop_map(OrderChangeKind::Restate),
        (0..CancelReason::ALL.len()).prop_map(|i| OrderChangeKind::Cancel(CancelReason::ALL[i])),
        Just(OrderChangeKind::CancelUnrecognised),
    ];
    ((-3i64..40), kind).prop_map(|(d, kind)| OrderChange { at: day(d), kind })
}

fn action() -> impl Strategy<Value = Action> {
    let rule = prop_oneof![
        Just(None),
        (0u64..2_000).prop_map(|f| Some(PayoutRule {
            source: PayoutSource::Contract,
            payout: Payout::Fixed(f)
        })),
        (0u32..20_000).prop_map(|b| Some(percent(b))),
    ];
    (
        0u64..15_000,
        rule,
        prop::option::of(0i64..40),
        any::<bool>(),
    )
        .prop_map(|(amount, rule, lock, claw)| {
            let mut action = Action::new(t(ORDER), amount)
                .lock_at(lock.map(day))
                .clawback(if claw {
                    Clawback::Enabled
                } else {
                    Clawback::Disabled
                });
            if let Some(rule) = rule {
                action = action.rule(rule);
            }
            action
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn the_judge_agrees_with_the_reference(
        action in action(),
        changes in prop::collection::vec(change(), 0..7),
    ) {
        let judged = action.judge(&changes);
        let got: Vec<String> = judged.results().iter().map(words).collect();
        prop_assert_eq!(got, reference(&action, &changes));
        let mut buffer = vec![ChangeResult::Rejected(Rejection::Locked)];
        let settled = action.judge_into(&changes, &mut buffer);
        prop_assert_eq!(&buffer[1..], judged.results());
        prop_assert_eq!(settled, judged.settled());
    }

    /// A report fed every order at once equals any split of the same orders, with their
    /// changes, merged in any order.
    #[test]
    fn reports_with_changes_merge_in_any_grouping(
        orders in prop::collection::vec(
            (0usize..4, 0u64..20_000, prop::collection::vec(change(), 0..3), 0usize..3),
            0..25,
        ),
        now in 0i64..45,
    ) {
        let engine = program().compile().unwrap();
        let texts: [&[&str]; 4] = [&["SAVE10"], &["BOB15"], &["FREE"], &[]];
        let mut whole = PerformanceReport::new();
        let mut parts = [PerformanceReport::new(), PerformanceReport::new(), PerformanceReport::new()];
        for (codes, amount, changes, part) in &orders {
            let order = Conversion::new(t(ORDER)).codes(texts[*codes]).amount(*amount);
            let decision = engine.attribute(&order);
            let settled = decision.action().judge(changes).settled();
            whole.add_settled(&decision, &settled, day(now));
            parts[*part].add_settled(&decision, &settled, day(now));
        }
        let [a, b, c] = parts;
        let mut left = a.clone();
        left.merge(&b);
        left.merge(&c);
        let mut right = c.clone();
        let mut inner = b.clone();
        inner.merge(&a);
        right.merge(&inner);
        prop_assert_eq!(&left, &whole);
        prop_assert_eq!(&right, &whole);
    }
}

#[test]
fn reports_net_the_changes_and_count_reversals_by_reason() {
    let engine = program().compile().unwrap();
    let mut report = PerformanceReport::new();
    let order = Conversion::new(t(ORDER)).codes(&["SAVE10"]).amount(10_000);
    let decision = engine.attribute(&order);
    for changes in [
        vec![],
        vec![OrderChange::refund(day(1), 10_000)],
        vec![OrderChange::cancel(day(1), CancelReason::Returned)],
        vec![OrderChange::restate(day(2), 5_000)],
    ] {
        let settled = decision.action().judge(&changes).settled();
        report.add_settled(&decision, &settled, day(31));
    }
    let stats = report.code(CodeId(10)).copied().unwrap();
    assert_eq!(
        (stats.actions, stats.revenue, stats.payout, stats.locked),
        (4, 15_000, 1_500, 2)
    );
    assert_eq!(stats.reversed(Reversal::Refunded), 1);
    assert_eq!(
        stats.reversed(Reversal::Cancelled(CancelReason::Returned)),
        1
    );
    assert_eq!(stats.reversed_total(), 2);
    let partner = report.partner(PartnerId(1)).copied().unwrap();
    assert_eq!(partner, stats);
}

#[cfg(feature = "serde")]
#[test]
fn change_results_have_the_documented_serde_shape() {
    let judged = locked_action().judge(&[
        OrderChange::refund(day(2), 2_500),
        OrderChange::cancel(day(3), CancelReason::Fraud),
        OrderChange::refund(day(4), 1),
    ]);
    assert_eq!(
        serde_json::to_value(judged.results()).unwrap(),
        serde_json::json!([
            {"accepted": {"amount": 7500, "payout": 750, "delta": -250, "state": "pending",
                          "reversal": null, "after_lock": false}},
            {"accepted": {"amount": 7500, "payout": 0, "delta": -750, "state": "reversed",
                          "reversal": {"cancelled": "fraud"}, "after_lock": false}},
            {"rejected": "already_reversed"}
        ])
    );
}
