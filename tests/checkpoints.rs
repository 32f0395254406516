//! Checkpoints: the history folded into a registry's base, revisions going on, engines and
//! snapshots following.

use promo_attribution::history::RefreshPlan;
use promo_attribution::{Code, CodeId, Conversion, ErrorKind, PartnerId, Registry};
use promo_attribution_testkit::t;

/// A registry of a few codes, changed over several revisions.
fn registry() -> Registry {
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(1), "SAVE10", PartnerId(1)))
        .unwrap();
    registry
        .add(Code::tracking(CodeId(2), "BOB15", PartnerId(2)))
        .unwrap();
    registry
        .transfer(CodeId(1), PartnerId(3), t("2026-03-01T00:00:00Z"))
        .unwrap();
    registry
        .expire(CodeId(2), t("2026-04-01T00:00:00Z"))
        .unwrap();
    registry
}

fn decisions(registry: &Registry) -> Vec<String> {
    let engine = registry.compile().unwrap();
    [
        "2026-02-01T00:00:00Z",
        "2026-03-15T00:00:00Z",
        "2026-05-01T00:00:00Z",
    ]
    .into_iter()
    .flat_map(|at| {
        let engine = &engine;
        ["save10", "bob15"].map(move |code| {
            engine
                .attribute(&Conversion::new(t(at)).codes(&[code]))
                .to_string()
        })
    })
    .collect()
}

#[test]
fn a_checkpoint_folds_the_history_and_changes_no_decision() {
    let mut registry = registry();
    let before = decisions(&registry);
    let archived = registry.history().to_vec();
    assert_eq!(registry.revision(), 4);

    let first = registry.checkpoint(2).unwrap();
    assert_eq!(first.revision(), 2);
    assert_eq!(
        registry
            .history()
            .iter()
            .map(|e| e.revision())
            .collect::<Vec<_>>(),
        [3, 4]
    );
    assert_eq!(registry.last_checkpoint(), Some(first));
    assert_eq!(decisions(&registry), before);
    // The digest stands for exactly the entries folded.
    assert_eq!(
        Registry::history_digest(None, &archived[..2]),
        first.digest()
    );
    assert_ne!(
        Registry::history_digest(None, &archived[..1]),
        first.digest()
    );
    assert_ne!(
        Registry::history_digest(None, &archived[1..3]),
        first.digest()
    );

    // A second one chains to the first; revisions go on.
    let second = registry.checkpoint(4).unwrap();
    assert_eq!(
        Registry::history_digest(Some(&first), &archived[2..]),
        second.digest()
    );
    assert!(registry.history().is_empty());
    registry
        .add(Code::tracking(CodeId(3), "JANE20", PartnerId(4)))
        .unwrap();
    assert_eq!(registry.revision(), 5);
    assert_eq!(registry.history()[0].revision(), 5);
    assert_eq!(registry.history_since(1).len(), 1);
    assert_eq!(decisions(&registry), before);
    assert_eq!(
        second.to_string(),
        format!("revision 4, digest {}", second.digest_hex())
    );
    assert_eq!(second.digest_hex().len(), 64);
}

#[test]
fn a_checkpoint_past_the_revision_is_an_error_and_one_before_the_last_folds_nothing() {
    let mut registry = registry();
    let err = registry.checkpoint(5).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownRevision);
    assert_eq!(
        err.to_string(),
        "revision 5 is past the registry's revision 4"
    );
    assert_eq!(
        (registry.history().len(), registry.last_checkpoint()),
        (4, None)
    );

    let third = registry.checkpoint(3).unwrap();
    assert_eq!(registry.checkpoint(1).unwrap(), third);
    assert_eq!(registry.checkpoint(3).unwrap(), third);
    assert_eq!(registry.history().len(), 1);
}

#[test]
fn engines_before_the_checkpoint_compile_in_full_and_the_others_follow() {
    let mut registry = registry();
    let early = registry.compile().unwrap(); // revision 4
    registry
        .transfer(CodeId(2), PartnerId(9), t("2026-03-10T00:00:00Z"))
        .unwrap();
    let at_five = registry.refresh(&early).unwrap();
    registry
        .add(Code::tracking(CodeId(3), "JANE20", PartnerId(4)))
        .unwrap();
    registry.checkpoint(5).unwrap();

    assert_eq!(registry.refresh_plan(&early), RefreshPlan::BeforeCheckpoint);
    assert!(RefreshPlan::BeforeCheckpoint.compiles_in_full());
    assert_eq!(
        registry.refresh_plan(&at_five),
        RefreshPlan::Incremental { changes: 1 }
    );
    let order = Conversion::new(t("2026-03-15T00:00:00Z")).codes(&["bob15", "jane20"]);
    let compiled = registry.compile().unwrap().attribute(&order);
    assert_eq!(
        registry.refresh(&early).unwrap().attribute(&order),
        compiled
    );
    assert_eq!(
        registry.refresh(&at_five).unwrap().attribute(&order),
        compiled
    );

    // Read back from a snapshot, the registry still refreshes the engines at or after it.
    let back = Registry::from_bytes(&registry.to_bytes()).unwrap();
    assert_eq!(back.last_checkpoint(), registry.last_checkpoint());
    assert_eq!(back.history(), registry.history());
    assert_eq!(
        back.refresh_plan(&at_five),
        RefreshPlan::Incremental { changes: 1 }
    );
    assert_eq!(back.refresh_plan(&early), RefreshPlan::BeforeCheckpoint);
    assert_eq!(back.refresh(&at_five).unwrap().attribute(&order), compiled);
}

#[test]
fn a_checkpointed_snapshot_carries_the_codes_and_not_the_history() {
    let mut registry = Registry::default();
    registry
        .add_all(
            (0..10_000u64)
                .map(|i| Code::tracking(CodeId(i), format!("CODE{i:05}"), PartnerId(i % 50))),
        )
        .unwrap();
    let text: usize = registry.codes().map(|c| c.text().len()).sum();
    let full = registry.to_bytes();
    registry.checkpoint(registry.revision()).unwrap();
    let folded = registry.to_bytes();
    let per_code = |bytes: &[u8]| (bytes.len() - text) as f64 / 10_000.0;
    assert!(
        per_code(&folded) < 20.0 && per_code(&folded) < per_code(&full),
        "{} bytes a code beyond the text after the checkpoint, {} before",
        per_code(&folded),
        per_code(&full)
    );
    let back = Registry::from_bytes(&folded).unwrap();
    assert_eq!(back.len(), 10_000);
    assert!(back.history().is_empty());
    assert_eq!(back.revision(), 1);
    assert_eq!(back.to_bytes(), folded);
}

#[cfg(feature = "serde")]
#[test]
fn json_snapshots_carry_the_checkpoint() {
    let mut registry = registry();
    let checkpoint = registry.checkpoint(3).unwrap();
    let json = serde_json::to_value(&registry).unwrap();
    let digest: String = checkpoint
        .digest()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        json["checkpoint"],
        serde_json::json!({"revision": 3, "digest": digest})
    );
    let back: Registry = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back.last_checkpoint(), Some(checkpoint));
    assert_eq!(back.history(), registry.history());

    let mut ahead = json.clone();
    ahead["checkpoint"]["revision"] = 7.into();
    let err = serde_json::from_value::<Registry>(ahead).unwrap_err();
    assert!(
        err.to_string()
            .contains("checkpoint at revision 7, past the registry's 4"),
        "{err}"
    );
    let mut overlapping = json.clone();
    overlapping["checkpoint"]["revision"] = 4.into();
    let err = serde_json::from_value::<Registry>(overlapping).unwrap_err();
    assert!(
        err.to_string()
            .contains("history holds revision 4, folded by the checkpoint at revision 4"),
        "{err}"
    );
    let mut bad = json;
    bad["checkpoint"]["digest"] = "xyz".into();
    let err = serde_json::from_value::<Registry>(bad).unwrap_err();
    assert!(
        err.to_string()
            .contains("a checkpoint digest is 64 hexadecimal digits"),
        "{err}"
    );
}
