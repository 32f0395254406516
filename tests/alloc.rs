//! `attribute()` allocates nothing for a typical order once warm: a regression test with a
//! counting allocator. It lives in its own test binary because the allocator is global.

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use promo_attribution::{
    Click, Code, CodeId, Contract, Conversion, CreditPolicy, ExceptionList, PartnerId, Payout,
    Registry, Timestamp, Window,
};

struct Counting;

thread_local! {
    // Per thread, so that the test harness's own threads do not disturb the count.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// Delegating to `System` is the whole implementation; `unsafe` here is the trait's
// own contract, not ours to avoid.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn a_typical_order_allocates_nothing() -> Result<(), Box<dyn std::error::Error>> {
    let mut registry = Registry::default();
    registry.add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))?;
    registry
        .add(Code::tracking(CodeId(11), "BOB15", PartnerId(2)).credit(CreditPolicy::IfInvolved))?;
    registry.add(Code::tracking(CodeId(20), r"^SUMMER\d+$", PartnerId(3)).regex())?;
    registry.add(Code::tracking(CodeId(21), r"^.*SALE$", PartnerId(4)).regex())?;
    registry.add(Code::restricted(CodeId(30), "STAFF50"))?;
    // Payouts take part: a contract rate and both kinds of exception list.
    registry.set_contract(
        PartnerId(2),
        Contract::new(Window::ALWAYS).payout(Payout::Fixed(300)),
    )?;
    registry
        .add_exception_list(ExceptionList::new("plain", Payout::Fixed(0)).codes(["WELCOME"]))?;
    registry.add_exception_list(
        ExceptionList::new("prefix", Payout::PercentBps(200))
            .codes(["SUM"])
            .match_expression("^([A-Z]{3})"),
    )?;
    let engine = registry.compile()?;
    let at: Timestamp = "2026-03-10T12:00:00Z".parse()?;
    let clicks: Vec<Click> = (0..8)
        .map(|i| {
            Click::new(
                PartnerId(i % 3),
                Timestamp::from_unix_seconds(1_773_000_000 + i as i64),
            )
        })
        .collect();
    let orders: [&[&str]; 6] = [
        &[],
        &["save10"],
        &["Bob15", "SUMMER26"],
        &["BIGSALE", "staff50", "nope"],
        &["  "],
        &["welcome", "SUMMER26"],
    ];
    for codes in orders {
        let order = Conversion::new(at)
            .codes(codes)
            .clicks(&clicks)
            .amount(5_000);
        // Warm up the regex engine's per-thread cache.
        std::hint::black_box(engine.attribute(&order));
        let before = allocations();
        let decision = std::hint::black_box(engine.attribute(&order));
        assert_eq!(allocations() - before, 0, "{codes:?} -> {decision}");
    }
    Ok(())
}
