//! `attribute` against the crate's naive reference (tests/reference.rs): registries, changes,
//! contracts and orders from the fuzzer's bytes. Any disagreement, or a panic, is a crash.

#![no_main]

#[path = "../common/mod.rs"]
mod common;
#[allow(dead_code, unreachable_pub)]
#[path = "../../tests/reference.rs"]
mod reference;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    program: common::ProgramSpec,
    orders: Vec<common::OrderSpec>,
}

fuzz_target!(|input: Input| {
    let (registry, contracts) = common::build(&input.program);
    let Ok(engine) = registry.compile() else {
        return;
    };
    let reference = reference::Reference::new(&registry, &contracts);
    for order in input.orders.iter().take(6) {
        let codes = common::entered(order);
        let clicks = common::clicks(order);
        let conversion = common::conversion(order, &codes, &clicks);
        let decision = engine.attribute(&conversion);
        assert_eq!(
            reference::Expected::of(&decision),
            reference.attribute(&conversion),
            "order {order:?}"
        );
        // The batch path decides the same.
        let batch = engine.attribute_batch(std::slice::from_ref(&conversion));
        assert_eq!(batch[0], decision.attribution());
    }
});
