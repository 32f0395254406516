//! `attribute` against the crate's naive reference (`promo_attribution_testkit::reference`),
//! which keeps its own record of every change the registry accepted and reads nothing back
//! from it. Registries grow
//! by single changes and by batches — some made to fail, which must leave no trace — with
//! changes of owner and policy, contracts with and without rates, exception lists (plain and
//! through an expression) and, sometimes, per-order limits that bite. After every step the
//! engine is brought up to date by `refresh` (from a compile of the empty program); at each
//! check it must decide every order as the reference does (payout and other matches, in their
//! promised order, included) and as a fresh compile does, and the batch path, given all the
//! orders at once (repeated to 40 at least, so that its pipeline fills), must attribute each
//! the same way. Any disagreement, or a panic, is a crash.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use promo_attribution::{
    Change, Click, CodeId, Conversion, Engine, PartnerId, Registry, Timestamp,
};
use promo_attribution_testkit::reference::{Expected, Reference};

#[derive(Arbitrary, Debug)]
enum Item {
    Add(common::CodeSpec, Option<u8>, Option<u8>),
    Change(common::ChangeSpec),
}

#[derive(Arbitrary, Debug)]
enum Step {
    Add(common::CodeSpec, Option<u8>, Option<u8>),
    /// Several changes in one `apply`; with `fail`, ended by one that cannot apply.
    Batch {
        items: Vec<Item>,
        fail: bool,
    },
    Contract(u8, Option<u8>, Option<u8>, Option<common::PayoutSpec>),
    RemoveContract(u8),
    List(common::ListSpec),
    /// Changes of one code at one instant, each applied alone: at one instant, the change
    /// applied last is in force (SPEC §9.1), which random instants rarely put to the test.
    AtOnce {
        code: u8,
        at: u8,
        changes: Vec<u8>,
    },
    Check,
}

#[derive(Arbitrary, Debug)]
struct Input {
    settings: u16,
    payout: common::PayoutSpec,
    steps: Vec<Step>,
    orders: Vec<common::OrderSpec>,
}

/// The changes a step asks for; `next_id` numbers the codes it adds.
fn changes(step: &Step, next_id: &mut u64, lists: usize) -> Vec<Change> {
    fn add(
        next_id: &mut u64,
        spec: &common::CodeSpec,
        from: Option<u8>,
        until: Option<u8>,
    ) -> Change {
        *next_id += 1;
        Change::Add {
            code: common::code(*next_id - 1, spec, common::window(from, until)),
        }
    }
    match step {
        Step::Add(spec, from, until) => vec![add(next_id, spec, *from, *until)],
        Step::Batch { items, fail } => {
            let mut batch = Vec::new();
            for item in items.iter().take(5) {
                batch.push(match item {
                    Item::Add(spec, from, until) => add(next_id, spec, *from, *until),
                    Item::Change(spec) => common::change(spec, *next_id),
                });
            }
            if *fail {
                batch.push(Change::Transfer {
                    code: CodeId(99_999),
                    to: PartnerId(1),
                    at: Timestamp::UNIX_EPOCH,
                });
            }
            batch
        }
        &Step::Contract(partner, from, until, payout) => vec![Change::SetContract {
            partner: common::partner(partner),
            contract: common::contract(from, until, payout),
        }],
        &Step::RemoveContract(partner) => vec![Change::RemoveContract {
            partner: common::partner(partner),
        }],
        Step::List(spec) => vec![Change::AddExceptionList {
            list: spec.list(lists),
        }],
        Step::AtOnce { .. } | Step::Check => Vec::new(),
    }
}

/// The changes of a [`Step::AtOnce`], each one batch.
fn at_once(code: u8, at: u8, kinds: &[u8], codes: u64) -> Vec<Change> {
    let (code, at) = (code.into(), at.into());
    let spec = |kind: u8| match kind % 4 {
        0 => common::ChangeSpec::Expire(code, at),
        1 => common::ChangeSpec::Reactivate(code, at),
        2 => common::ChangeSpec::Transfer(code, kind / 4, at),
        _ => common::ChangeSpec::SetCredit(code, kind / 4, at),
    };
    kinds
        .iter()
        .take(4)
        .map(|&kind| common::change(&spec(kind), codes))
        .collect()
}

/// Every order, decided by the engine brought up to date, against the reference, a fresh
/// compile and the batch path.
fn check(
    registry: &Registry,
    engine: &Engine,
    reference: &Reference,
    orders: &[common::OrderSpec],
) {
    let compiled = registry.compile().expect("a small registry compiles");
    let texts: Vec<Vec<&str>> = orders.iter().map(common::entered).collect();
    let clicks: Vec<Vec<Click>> = orders.iter().map(common::clicks).collect();
    let conversions: Vec<Conversion<'_>> = orders
        .iter()
        .zip(&texts)
        .zip(&clicks)
        .map(|((order, texts), clicks)| common::conversion(order, texts, clicks))
        .collect();
    let mut decisions = Vec::new();
    for (order, conversion) in orders.iter().zip(&conversions) {
        let decision = engine.attribute(conversion);
        assert_eq!(
            Expected::of(&decision),
            reference.attribute(conversion),
            "order {order:?}"
        );
        assert_eq!(
            decision,
            compiled.attribute(conversion),
            "a refreshed engine decides otherwise than a compiled one: {order:?}"
        );
        decisions.push(decision);
    }
    // The orders again and again, 40 at least: the batch path's pipeline and its ring of
    // probes are only full past 16 orders, and neighbours then differ (one order repeated
    // would hide an order decided with another's probe).
    if conversions.is_empty() {
        return;
    }
    let n = conversions.len();
    let cycled: Vec<Conversion<'_>> = (0..n.max(40)).map(|i| conversions[i % n]).collect();
    let batch = engine.attribute_batch(&cycled);
    for (i, attribution) in batch.iter().enumerate() {
        let order = &orders[i % n];
        assert_eq!(
            *attribution,
            decisions[i % n].attribution(),
            "the batch path, order {i}: {order:?}"
        );
    }
}

fuzz_target!(|input: Input| {
    let mut settings = common::settings(input.settings);
    settings.payout = input.payout.payout();
    let mut registry = Registry::new(settings.clone());
    let mut reference = Reference::new(settings);
    let mut engine = registry.compile().expect("an empty program compiles");
    let orders = &input.orders[..input.orders.len().min(40)];
    let mut next_id = 0;
    let mut lists = 0;
    for step in input.steps.iter().take(24) {
        if let Step::AtOnce { code, at, changes } = step {
            for change in at_once(*code, *at, changes, next_id) {
                if registry.apply([change.clone()]).is_ok() {
                    reference.record(&change);
                }
                engine = registry
                    .refresh(&engine)
                    .expect("an engine of this registry refreshes");
            }
            continue;
        }
        let batch = changes(step, &mut next_id, lists);
        let before = registry.to_bytes();
        match registry.apply(batch.clone()) {
            Ok(_) => {
                assert!(
                    !matches!(step, Step::Batch { fail: true, .. }),
                    "a failing change applied"
                );
                for change in &batch {
                    lists += usize::from(matches!(change, Change::AddExceptionList { .. }));
                    reference.record(change);
                }
            }
            Err(_) => assert_eq!(registry.to_bytes(), before, "a failed batch left a trace"),
        }
        engine = registry
            .refresh(&engine)
            .expect("an engine of this registry refreshes");
        if matches!(step, Step::Check) {
            check(&registry, &engine, &reference, orders);
        }
    }
    check(&registry, &engine, &reference, orders);
});
