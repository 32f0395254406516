//! The live registry (SPEC §9): random sequences of changes, some batches made to fail, and
//! copies of the registry (clones, binary and JSON snapshots read back) between them. After
//! every step: a failed batch left the snapshot bytes exactly as they were; a snapshot reads
//! back to the same bytes; the copy brings the engine of its source up to date at the cost of
//! the changes (never a full compile: the registries are small and share their history), and
//! the engine brought up to date decides every order exactly as one compiled afresh. Some steps
//! fold the history into a checkpoint — at the engine's revision (the refresh stays
//! incremental) or at the registry's (an engine before it compiles in full) — whose digest
//! must be that of the entries folded.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use promo_attribution::history::RefreshPlan;
use promo_attribution::{Change, CodeId, PartnerId, Registry, Timestamp};

/// Folds the history through `through`, checking the checkpoint's digest against the entries
/// it folded.
fn checkpoint(registry: &mut Registry, through: u64) {
    let kept = registry.history().to_vec();
    let before = registry.last_checkpoint();
    let checkpoint = registry.checkpoint(through).expect("a reached revision");
    assert!(registry.history().iter().all(|e| e.revision() > through));
    if Some(checkpoint) != before {
        let folded: Vec<_> = kept
            .into_iter()
            .filter(|e| e.revision() <= through)
            .collect();
        assert_eq!(
            Registry::history_digest(before.as_ref(), &folded),
            checkpoint.digest(),
            "the digest is not that of the entries folded"
        );
    }
}

#[derive(Arbitrary, Debug)]
struct Step {
    changes: Vec<common::ChangeSpec>,
    /// 0: none; 1: a clone; 2: a binary snapshot read back; 3: a JSON one.
    copy: u8,
    /// Whether the batch ends with a change that must fail.
    fail: bool,
    /// 1: a checkpoint at the engine's revision before the step; 2: one at the registry's
    /// after it; else none.
    checkpoint: u8,
}

#[derive(Arbitrary, Debug)]
struct Input {
    program: common::ProgramSpec,
    steps: Vec<Step>,
    orders: Vec<common::OrderSpec>,
}

fuzz_target!(|input: Input| {
    let (mut registry, _) = common::build(&input.program);
    let n = input.program.codes.len().max(1) as u64;
    let mut engine = registry.compile().expect("a small registry compiles");
    for step in input.steps.iter().take(6) {
        if step.checkpoint % 3 == 1 {
            checkpoint(&mut registry, engine.revision());
        }
        registry = match step.copy % 4 {
            1 => registry.clone(),
            2 => Registry::from_bytes(&registry.to_bytes()).expect("reads back"),
            3 => serde_json::from_str(&serde_json::to_string(&registry).expect("writes"))
                .expect("reads back"),
            _ => registry,
        };
        let before = registry.to_bytes();
        assert_eq!(
            Registry::from_bytes(&before)
                .expect("reads back")
                .to_bytes(),
            before,
            "a snapshot read back writes other bytes"
        );
        let mut batch: Vec<Change> = step
            .changes
            .iter()
            .take(4)
            .map(|spec| common::change(spec, n))
            .collect();
        if step.fail {
            batch.push(Change::Transfer {
                code: CodeId(99_999),
                to: PartnerId(1),
                at: Timestamp::UNIX_EPOCH,
            });
        }
        let revision = registry.revision();
        match registry.apply(batch) {
            Ok(_) => assert!(!step.fail, "a batch with an unknown code was applied"),
            Err(_) => {
                assert_eq!(registry.revision(), revision);
                assert_eq!(registry.to_bytes(), before, "a failed batch left a trace");
            }
        }
        let folded_past_engine =
            step.checkpoint % 3 == 2 && registry.revision() > engine.revision();
        if step.checkpoint % 3 == 2 {
            let through = registry.revision();
            checkpoint(&mut registry, through);
        }
        let plan = registry.refresh_plan(&engine);
        if folded_past_engine {
            assert_eq!(plan, RefreshPlan::BeforeCheckpoint);
        } else {
            assert!(
                matches!(plan, RefreshPlan::Incremental { .. }),
                "{plan:?} for an engine of the registry's own history"
            );
        }
        engine = registry.refresh(&engine).expect("refreshes");
        let compiled = registry.compile().expect("compiles");
        assert_eq!(engine.revision(), registry.revision());
        for order in input.orders.iter().take(4) {
            let codes = common::entered(order);
            let clicks = common::clicks(order);
            let conversion = common::conversion(order, &codes, &clicks);
            assert_eq!(
                engine.attribute(&conversion),
                compiled.attribute(&conversion),
                "a refreshed engine decides otherwise than a compiled one"
            );
        }
    }
});
