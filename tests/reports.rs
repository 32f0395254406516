//! Reports: merge laws and conservation of counts, on decisions from a real engine.

use promo_attribution::reports::{ActionRow, PerformanceReport};
use promo_attribution::{
    Click, Code, CodeId, Contract, Conversion, Decision, Engine, InvalidReason, PartnerId, Payout,
    Registry, Settings, Timestamp, Window,
};
use proptest::prelude::*;

const AT: Timestamp = Timestamp::from_unix_seconds(1_773_144_000);
const ENTERED: &[&str] = &["SAVE10", "BOB15", "STAFF50", "WINNER", "nope", ""];

fn engine() -> Engine {
    let mut settings = Settings::default();
    settings.payout = Payout::PercentBps(1_000);
    let mut registry = Registry::new(settings);
    registry
        .add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))
        .unwrap();
    registry
        .add(Code::tracking(CodeId(11), "BOB15", PartnerId(2)))
        .unwrap();
    registry
        .add(
            Code::tracking(CodeId(12), "WINNER", PartnerId(3))
                .credit(promo_attribution::CreditPolicy::IfWinner),
        )
        .unwrap();
    registry
        .add(Code::restricted(CodeId(30), "STAFF50"))
        .unwrap();
    // Partner 2's contract ended before the orders: its sales are invalid.
    registry
        .set_contract(PartnerId(2), Window::until(Timestamp::from_unix_seconds(0)))
        .unwrap();
    registry
        .set_contract(
            PartnerId(4),
            Contract::new(Window::ALWAYS).payout(Payout::Fixed(300)),
        )
        .unwrap();
    registry.compile().unwrap()
}

/// (entered code indices, clicking partner, amount)
type Order = (Vec<usize>, Option<u64>, u64);

fn order() -> impl Strategy<Value = Order> {
    (
        prop::collection::vec(0..ENTERED.len(), 0..3),
        prop::option::of(1u64..6),
        prop_oneof![0u64..100_000, Just(u64::MAX)],
    )
}

/// Passes the order, as a conversion, to `f`.
fn with_conversion<R>((codes, clicker, amount): &Order, f: impl FnOnce(&Conversion<'_>) -> R) -> R {
    let texts: Vec<&str> = codes.iter().map(|&i| ENTERED[i]).collect();
    let clicks: Vec<Click> = clicker
        .map(|p| Click::new(PartnerId(p), AT))
        .into_iter()
        .collect();
    f(&Conversion::new(AT)
        .codes(&texts)
        .clicks(&clicks)
        .amount(*amount))
}

fn decide(engine: &Engine, order: &Order) -> (u64, Decision) {
    (order.2, with_conversion(order, |c| engine.attribute(c)))
}

fn report(decided: &[(u64, Decision)]) -> PerformanceReport {
    let mut report = PerformanceReport::new();
    for (amount, decision) in decided {
        report.add(&Conversion::new(AT).amount(*amount), decision);
    }
    report
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn merging_shards_in_any_grouping_and_order_gives_the_whole(
        orders in prop::collection::vec(order(), 0..40),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..5),
        seed in any::<u64>(),
    ) {
        let engine = engine();
        let decided: Vec<(u64, Decision)> = orders.iter().map(|o| decide(&engine, o)).collect();
        let whole = report(&decided);

        // Cut the stream into shards at random points.
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(decided.len() + 1)).collect();
        points.extend([0, decided.len()]);
        points.sort_unstable();
        let mut shards: Vec<PerformanceReport> =
            points.windows(2).map(|w| report(&decided[w[0]..w[1]])).collect();

        // Combine them in a shuffled order, pairing neighbours: a random tree of merges.
        let mut state = seed | 1;
        let mut next = move || { state ^= state << 13; state ^= state >> 7; state ^= state << 17; state };
        while shards.len() > 1 {
            let i = (next() % shards.len() as u64) as usize;
            let taken = shards.swap_remove(i);
            let j = (next() % shards.len() as u64) as usize;
            if next() % 2 == 0 {
                shards[j].merge(&taken);
            } else {
                let mut merged = taken;
                merged.merge(&shards[j]);
                shards[j] = merged;
            }
        }
        let merged = shards.pop().unwrap_or_default();
        prop_assert_eq!(&merged, &whole);

        // Nothing lost: every conversion counts once by code and once by partner.
        let n = decided.len() as u64;
        prop_assert_eq!(whole.total(true).actions, n);
        let by_partner: u64 = whole.by_partner().iter().map(|(_, s)| s.actions).sum();
        prop_assert_eq!(by_partner + whole.unattributed().actions, n);
        let credited = decided.iter().filter(|(_, d)| matches!(d.outcome(), promo_attribution::Outcome::Credited { .. })).count() as u64;
        prop_assert_eq!(whole.total(true).credited, credited);
        let invalid = decided.iter().filter(|(_, d)| matches!(d.outcome(), promo_attribution::Outcome::Invalid { .. })).count() as u64;
        prop_assert_eq!(whole.total(true).invalid_total(), invalid);
        let payout = decided.iter().fold(0u64, |sum, (_, d)| sum.saturating_add(d.payout()));
        prop_assert_eq!(whole.total(true).payout, payout);
    }
}

#[test]
fn reports_split_invalid_actions_by_reason_and_code() {
    let engine = engine();
    let orders: [Order; 6] = [
        (vec![0], None, 1_000),    // SAVE10: credited, pays 100
        (vec![0, 2], None, 1_000), // SAVE10 + STAFF50: restricted
        (vec![1], None, 2_000),    // BOB15: partner 2 not active
        (vec![3], Some(5), 500),   // WINNER unmet: partner 5 invalid, code owned by other
        (vec![4], Some(4), 3_000), // unknown code, credited to 4 via click at its contract rate
        (vec![2], Some(4), 800),   // STAFF50 alone: decided on clicks, counted under STAFF50
    ];
    let decided: Vec<_> = orders.iter().map(|o| decide(&engine, o)).collect();
    let report = report(&decided);

    let save10 = report.code(CodeId(10)).copied().unwrap();
    assert_eq!(
        (
            save10.actions,
            save10.credited,
            save10.revenue,
            save10.payout
        ),
        (2, 1, 2_000, 100)
    );
    assert_eq!(save10.invalid(InvalidReason::RestrictedCode), 1);
    assert_eq!(save10.invalid_share(), 0.5);
    let bob = report.code(CodeId(11)).copied().unwrap();
    assert_eq!(bob.invalid(InvalidReason::PartnerNotActive), 1);
    let winner = report.code(CodeId(12)).copied().unwrap();
    assert_eq!(winner.invalid(InvalidReason::CodeOwnedByOtherPartner), 1);
    assert_eq!(
        (report.no_code().actions, report.no_code().payout),
        (1, 300)
    );
    assert_eq!(
        report.partner(PartnerId(5)).map(|s| s.invalid_total()),
        Some(1)
    );

    let staff = report.code(CodeId(30)).copied().unwrap();
    assert_eq!(
        (staff.actions, staff.invalid(InvalidReason::RestrictedCode)),
        (1, 1)
    );
    assert_eq!(report.partner(PartnerId(4)).map(|s| s.actions), Some(2));

    let codes: Vec<_> = report
        .by_code(true)
        .into_iter()
        .map(|(id, s)| (id, s.actions))
        .collect();
    assert_eq!(
        codes,
        [
            (Some(CodeId(10)), 2),
            (Some(CodeId(11)), 1),
            (Some(CodeId(12)), 1),
            (Some(CodeId(30)), 1),
            (None, 1)
        ]
    );
    assert_eq!(report.by_code(false).len(), 4);
}

#[test]
fn action_rows_flatten_every_outcome() {
    let engine = engine();
    let cases: [(Order, [&str; 12]); 3] = [
        (
            (vec![0, 2], None, 1_000),
            [
                "o",
                "2026-03-10T12:00:00Z",
                "invalid",
                "1",
                "restricted_code",
                "10",
                "SAVE10",
                "SAVE10|STAFF50",
                "1000",
                "0",
                "pending",
                "",
            ],
        ),
        (
            (vec![4], Some(4), 3_000),
            [
                "o",
                "2026-03-10T12:00:00Z",
                "credited",
                "4",
                "click",
                "",
                "",
                "nope",
                "3000",
                "300",
                "pending",
                "",
            ],
        ),
        (
            (vec![5], None, 7),
            [
                "o",
                "2026-03-10T12:00:00Z",
                "unattributed",
                "",
                "",
                "",
                "",
                "",
                "7",
                "0",
                "pending",
                "",
            ],
        ),
    ];
    for (order, expected) in cases {
        let row = with_conversion(&order, |c| {
            ActionRow::new(&engine, "o", c, &engine.attribute(c))
        });
        assert_eq!(
            row.fields(),
            expected.map(str::to_owned),
            "{:?}",
            row.entered
        );
        assert_eq!(ActionRow::HEADER.len(), row.fields().len());
    }
}
