//! A registry that changes while in use: the operations, their validation, all-or-nothing
//! batches, the history and revisions, and every reader of a code's owner reading it at the
//! instant in question.

use promo_attribution::conflicts::{Collision, Conflict};
use promo_attribution::history::RefreshPlan;
use promo_attribution::monitoring::{PageScanner, Sighting, Violation};
use promo_attribution::reports::{LeakAlert, LeakMonitor, LeakThresholds};
use promo_attribution::{
    Change, Click, Code, CodeId, Conversion, CreditPolicy, ErrorKind, PartnerId, Registry,
    Timestamp, Window,
};
use proptest::prelude::*;

use crate::properties::{attribute, build, change_spec, clicks_of, order, program};
use promo_attribution_testkit::t;

fn registry() -> Registry {
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))
        .unwrap();
    registry
        .add(Code::tracking(CodeId(11), r"^SUMMER\d+$", PartnerId(3)).regex())
        .unwrap();
    registry
        .add(Code::restricted(CodeId(30), "STAFF50"))
        .unwrap();
    registry
}

#[test]
fn changes_are_validated_like_registration() {
    let mut r = registry();
    let at = t("2026-03-01T00:00:00Z");
    let cases: Vec<(Change, ErrorKind)> = vec![
        (
            Change::Transfer {
                code: CodeId(30),
                to: PartnerId(2),
                at,
            },
            ErrorKind::NotATrackingCode,
        ),
        (
            Change::SetCredit {
                code: CodeId(30),
                credit: CreditPolicy::IfWinner,
                at,
            },
            ErrorKind::NotATrackingCode,
        ),
        (
            Change::SetDeal {
                code: CodeId(30),
                deal: Some(7),
            },
            ErrorKind::NotATrackingCode,
        ),
        (
            Change::Transfer {
                code: CodeId(99),
                to: PartnerId(2),
                at,
            },
            ErrorKind::UnknownCode,
        ),
        (
            Change::SetWindow {
                code: CodeId(10),
                window: Window::between(at, at),
            },
            ErrorKind::InvalidWindow,
        ),
        (
            Change::Remove {
                code: CodeId(10),
                now: at,
            },
            ErrorKind::CodeInEffect,
        ),
        (
            Change::Expire {
                code: CodeId(99),
                at,
            },
            ErrorKind::UnknownCode,
        ),
    ];
    for (change, kind) in cases {
        let err = r.apply([change.clone()]).unwrap_err();
        assert_eq!(err.errors()[0].kind(), kind, "{change:?}");
    }
    assert_eq!(r.revision(), 3, "failed changes make no revision");
    let message = r
        .transfer(CodeId(30), PartnerId(2), at)
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        r#"code 30 "STAFF50": a transfer applies to tracking codes only, and this is a restricted code"#
    );
}

#[test]
fn set_window_is_checked_against_the_other_codes_of_its_text() {
    let mut r = Registry::default();
    r.add(Code::tracking(CodeId(1), "SAVE10", PartnerId(1)).ends_at(t("2026-03-01T00:00:00Z")))
        .unwrap();
    r.add(Code::tracking(CodeId(2), "save10", PartnerId(2)).starts_at(t("2026-03-01T00:00:00Z")))
        .unwrap();
    let err = r
        .set_window(CodeId(1), Window::until(t("2026-03-20T00:00:00Z")))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DuplicateCode);
    assert_eq!(err.conflicting_code(), Some(CodeId(2)));
    // Its own schedule is no obstacle; shorter is fine.
    r.set_window(CodeId(1), Window::until(t("2026-02-01T00:00:00Z")))
        .unwrap();
    assert_eq!(
        r.get(CodeId(1)).unwrap().window(),
        Window::until(t("2026-02-01T00:00:00Z"))
    );
}

#[test]
fn a_removed_code_frees_its_text_but_never_its_id() {
    let mut r = Registry::default();
    r.add(Code::tracking(CodeId(1), "LAUNCH", PartnerId(1)).starts_at(t("2026-04-01T00:00:00Z")))
        .unwrap();
    let err = r.remove(CodeId(1), t("2026-04-01T00:00:00Z")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CodeInEffect);
    r.remove(CodeId(1), t("2026-03-01T00:00:00Z")).unwrap();
    assert_eq!((r.len(), r.get(CodeId(1))), (0, None));
    r.add(Code::tracking(CodeId(2), "launch", PartnerId(2)))
        .unwrap();
    let err = r
        .add(Code::tracking(CodeId(1), "OTHER", PartnerId(1)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DuplicateId);
    assert!(err.to_string().contains("ids are never reused"), "{err}");
    let err = r.expire(CodeId(1), t("2026-05-01T00:00:00Z")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownCode);
    let engine = r.compile().unwrap();
    let order = Conversion::new(t("2026-05-01T00:00:00Z")).codes(&["LAUNCH"]);
    assert_eq!(
        engine.attribute(&order).to_string(),
        "credited partner 2 via code 2"
    );
    assert_eq!(engine.code(CodeId(1)), None);
}

#[test]
fn history_keeps_every_change_with_its_revision_and_note() {
    let mut r = registry();
    assert_eq!(r.revision(), 3);
    let at = t("2026-03-01T00:00:00Z");
    let revision = r
        .apply_with_note(
            [
                Change::Transfer {
                    code: CodeId(10),
                    to: PartnerId(2),
                    at,
                },
                Change::SetLabel {
                    code: CodeId(10),
                    label: Some("spring".into()),
                },
            ],
            "desk: ticket 4711",
        )
        .unwrap();
    assert_eq!(revision, 4);
    let since = r.history_since(3);
    assert_eq!(since.len(), 2);
    assert!(
        since
            .iter()
            .all(|e| e.revision() == 4 && e.note() == Some("desk: ticket 4711"))
    );
    assert_eq!(since[0].code_id(), Some(CodeId(10)));
    assert_eq!(r.history().len(), 5);
    assert_eq!(
        r.history()[0].change(),
        Change::Add {
            code: Code::tracking(CodeId(10), "SAVE10", PartnerId(1)).into()
        }
    );
    // An empty batch changes nothing and makes no revision.
    assert_eq!(r.apply([]).unwrap(), 4);
    assert_eq!(r.compile().unwrap().revision(), 4);
}

#[test]
fn every_reader_reads_the_owner_at_its_own_instant() {
    let mut r = registry();
    let handover = t("2026-03-01T00:00:00Z");
    r.transfer(CodeId(10), PartnerId(2), handover).unwrap();
    r.transfer(CodeId(11), PartnerId(4), handover).unwrap();
    let engine = r.compile().unwrap();
    let (before, after) = (t("2026-02-20T00:00:00Z"), t("2026-03-10T00:00:00Z"));
    assert_eq!(engine.owner_at(CodeId(10), before), Some(PartnerId(1)));
    assert_eq!(engine.owner_at(CodeId(10), after), Some(PartnerId(2)));
    assert_eq!(r.owner_at(CodeId(10), after), Some(PartnerId(2)));

    // Sightings: partner 1 promoting the code after the handover is not authorised.
    let seen = |at, by| {
        engine
            .check_sighting(&Sighting::new("save10", at).promoted_by(PartnerId(by)))
            .violation
    };
    assert_eq!(seen(before, 1), None);
    assert_eq!(seen(after, 1), Some(Violation::NotAuthorized));
    assert_eq!(seen(after, 2), None);

    // Code requests: a regex code that belonged to the asking partner and now belongs to
    // another collides; so does one that belonged to another before the request's window.
    let taken = engine
        .check_available("SUMMER26", PartnerId(3), Window::starting_at(after))
        .unwrap();
    assert_eq!(
        taken.collisions(),
        [Collision::Regex {
            code: CodeId(11),
            owner: PartnerId(4),
            example: "SUMMER26".into()
        }]
    );
    assert!(
        engine
            .check_available("SUMMER26", PartnerId(3), Window::until(handover))
            .unwrap()
            .is_available()
    );

    // Leak monitor: uses after the handover are judged by the new owner's clicks.
    let mut monitor = LeakMonitor::new();
    let clicks = [Click::new(PartnerId(2), after)];
    for _ in 0..30 {
        let order = Conversion::new(after).codes(&["SAVE10"]).clicks(&clicks);
        monitor.add(&engine, &order, &engine.attribute(&order));
    }
    assert_eq!(monitor.uses(CodeId(10)), Some((30, 0)));
    let no_click = Conversion::new(before).codes(&["SAVE10"]).clicks(&clicks);
    monitor.add(&engine, &no_click, &engine.attribute(&no_click));
    assert_eq!(monitor.uses(CodeId(10)), Some((31, 1)));
    assert!(
        !monitor
            .alerts(&LeakThresholds::default())
            .iter()
            .any(|a| matches!(a, LeakAlert::NoOwnerClick { .. }))
    );
}

#[test]
fn the_conflict_report_compares_owners_over_the_shared_schedule() {
    let mut r = Registry::default();
    r.add(Code::tracking(CodeId(1), r"^P\d+$", PartnerId(1)).regex())
        .unwrap();
    r.add(Code::tracking(CodeId(2), "P2026", PartnerId(1)))
        .unwrap();
    assert!(r.compile().unwrap().conflicts().is_empty());
    // Handed to partner 2 from March: from then on the exact code shadows partner 1's family.
    r.transfer(CodeId(2), PartnerId(2), t("2026-03-01T00:00:00Z"))
        .unwrap();
    assert_eq!(
        r.compile().unwrap().conflicts(),
        [Conflict::ExactShadowsRegex {
            exact: CodeId(2),
            regex: CodeId(1),
            example: "P2026".into()
        }]
    );
    // Unless the exact code's schedule ends before the handover.
    r.set_window(CodeId(2), Window::until(t("2026-03-01T00:00:00Z")))
        .unwrap();
    assert!(r.compile().unwrap().conflicts().is_empty());
}

#[test]
fn suppressed_clicks_follow_the_owner_of_the_always_code() {
    let mut settings = promo_attribution::Settings::default();
    settings.always_owner_clicks = promo_attribution::settings::AlwaysOwnerClicks::Ignore;
    let mut r = Registry::new(settings);
    r.add(Code::tracking(CodeId(1), "EMMA", PartnerId(1)))
        .unwrap();
    r.transfer(CodeId(1), PartnerId(2), t("2026-03-01T00:00:00Z"))
        .unwrap();
    let engine = r.compile().unwrap();
    let decide = |at: &str| {
        let at = t(at);
        let clicks = [
            Click::new(
                PartnerId(1),
                at.saturating_sub(std::time::Duration::from_secs(60)),
            ),
            Click::new(
                PartnerId(2),
                at.saturating_sub(std::time::Duration::from_secs(30)),
            ),
        ];
        engine
            .attribute(&Conversion::new(at).clicks(&clicks))
            .click_winner()
    };
    // Before the handover partner 1 owns an Always code, so its clicks are ignored; after,
    // partner 2's are.
    assert_eq!(decide("2026-02-10T00:00:00Z"), Some(PartnerId(2)));
    assert_eq!(decide("2026-03-10T00:00:00Z"), Some(PartnerId(1)));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A batch with a change that fails leaves the registry exactly as it was: contents,
    /// revision, history, and the decisions of an engine compiled from it.
    #[test]
    fn a_failed_batch_of_changes_changes_nothing(
        program in program(),
        changes in prop::collection::vec(change_spec(), 0..6),
        orders in prop::collection::vec(order(), 1..4),
    ) {
        let mut registry = build(&program);
        let before = registry.clone();
        let mut batch: Vec<Change> = changes.iter().map(|c| c.change()).collect();
        batch.push(Change::Transfer { code: CodeId(12_345), to: PartnerId(1), at: Timestamp::UNIX_EPOCH });
        prop_assert!(registry.apply(batch).is_err());
        prop_assert_eq!(registry.revision(), before.revision());
        prop_assert_eq!(registry.history(), before.history());
        prop_assert_eq!(registry.codes().collect::<Vec<_>>(), before.codes().collect::<Vec<_>>());
        let (engine, expected) = (registry.compile().unwrap(), before.compile().unwrap());
        for order in &orders {
            let clicks = clicks_of(order);
            prop_assert_eq!(attribute(&engine, order, &clicks), attribute(&expected, order, &clicks));
        }
        // And it still takes every change it took before.
        for change in &changes {
            let mut a = registry.clone();
            let mut b = before.clone();
            prop_assert_eq!(a.apply([change.change()]).is_ok(), b.apply([change.change()]).is_ok());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    /// The central property: an engine brought up to date through any sequence of changes
    /// decides every order exactly as an engine compiled from scratch from the same registry,
    /// and answers every other question the same way.
    #[test]
    fn refreshed_engines_decide_like_compiled_ones(
        program in program(),
        steps in prop::collection::vec(prop::collection::vec(change_spec(), 1..4), 1..5),
        orders in prop::collection::vec(order(), 1..4),
    ) {
        let mut registry = build(&program);
        let mut engine = registry.compile().unwrap();
        for step in &steps {
            // Some changes fail (unknown ids, duplicates): the engine must follow what stuck.
            for change in step {
                let _ = registry.apply([change.change()]);
            }
            let previous = engine.clone();
            engine = registry.refresh(&engine).unwrap();
            let compiled = registry.compile().unwrap();
            prop_assert_eq!(engine.revision(), registry.revision());
            prop_assert_eq!(engine.len(), compiled.len());
            prop_assert_eq!(engine.conflicts(), compiled.conflicts());
            for order in &orders {
                let clicks = clicks_of(order);
                prop_assert_eq!(attribute(&engine, order, &clicks), attribute(&compiled, order, &clicks));
            }
            for id in (0..14).map(CodeId) {
                let at = Timestamp::from_unix_seconds(45);
                prop_assert_eq!(engine.code(id), compiled.code(id));
                prop_assert_eq!(engine.state(id, at), compiled.state(id, at));
                prop_assert_eq!(engine.terms_at(id, at), compiled.terms_at(id, at));
            }
            let page = "A ab, É! XA BB aB ABA";
            let at = Timestamp::from_unix_seconds(45);
            prop_assert_eq!(
                PageScanner::new(&engine).unwrap().scan(page, at),
                PageScanner::new(&compiled).unwrap().scan(page, at)
            );
            for text in ["A", "ab", "É", "XA"] {
                let sighting = Sighting::new(text, Timestamp::from_unix_seconds(45)).promoted_by(PartnerId(2));
                prop_assert_eq!(engine.check_sighting(&sighting), compiled.check_sighting(&sighting));
            }
            // The engine before the change still answers as it did.
            prop_assert!(previous.revision() <= engine.revision());
        }
    }
}

#[test]
fn a_refreshed_engine_shares_what_did_not_change() {
    let mut registry = Registry::default();
    registry
        .add_all(
            (0..5_000).map(|i| Code::tracking(CodeId(i), format!("CODE{i}"), PartnerId(i % 7))),
        )
        .unwrap();
    let engine = registry.compile().unwrap();
    registry
        .transfer(CodeId(42), PartnerId(99), t("2026-03-01T00:00:00Z"))
        .unwrap();
    registry
        .add(Code::tracking(CodeId(9_999), "NEWCODE", PartnerId(5)))
        .unwrap();
    registry
        .set_contract(PartnerId(5), Window::until(t("2026-01-01T00:00:00Z")))
        .unwrap();
    let next = registry.refresh(&engine).unwrap();
    let at = t("2026-03-10T00:00:00Z");
    let decide = |engine: &promo_attribution::Engine, code: &str| {
        engine
            .attribute(&Conversion::new(at).codes(&[code]))
            .to_string()
    };
    assert_eq!(decide(&engine, "code42"), "credited partner 0 via code 42");
    assert_eq!(decide(&next, "code42"), "credited partner 99 via code 42");
    assert_eq!(decide(&engine, "newcode"), "unattributed");
    assert_eq!(
        decide(&next, "newcode"),
        "invalid for partner 5: partner_not_active (code 9999)"
    );
    assert_eq!(
        (engine.len(), next.len(), next.revision()),
        (5_000, 5_001, 4)
    );
    // A clone shares the history so far: it brings the engine up to date at the cost of its
    // own changes.
    let mut other = registry.clone();
    other
        .remove(CodeId(9_999), t("2020-01-01T00:00:00Z"))
        .unwrap_err();
    other
        .set_label(CodeId(1), Some("relabelled".into()))
        .unwrap();
    assert_eq!(
        other.refresh_plan(&next),
        RefreshPlan::Incremental { changes: 1 }
    );
    let from_other = other.refresh(&next).unwrap();
    assert_eq!(from_other.revision(), other.revision());
    assert_eq!(
        from_other.code(CodeId(1)).unwrap().label(),
        Some("relabelled")
    );
}

/// Which engines a registry brings up to date at the cost of the changes since, and which it
/// compiles afresh: a copy shares its source's history up to the copy, not after.
#[test]
fn a_copy_refreshes_its_source_engines_until_they_change_apart() {
    let mut registry = self::registry();
    let engine = registry.compile().unwrap();
    let incremental = |changes| RefreshPlan::Incremental { changes };

    // A clone, and the registry read back from a snapshot, share the history so far.
    let clone = registry.clone();
    let restored = Registry::from_bytes(&registry.to_bytes()).unwrap();
    assert_eq!(clone.refresh_plan(&engine), incremental(0));
    assert_eq!(restored.refresh_plan(&engine), incremental(0));

    // Each copy changes on its own: the source's engine is still theirs to refresh.
    let (mut clone, mut restored) = (clone, restored);
    clone
        .transfer(CodeId(10), PartnerId(7), t("2026-03-01T00:00:00Z"))
        .unwrap();
    restored
        .expire(CodeId(10), t("2026-03-01T00:00:00Z"))
        .unwrap();
    assert_eq!(clone.refresh_plan(&engine), incremental(1));
    assert_eq!(restored.refresh_plan(&engine), incremental(1));
    let at = t("2026-03-10T00:00:00Z");
    let decide = |engine: &promo_attribution::Engine| {
        engine
            .attribute(&Conversion::new(at).codes(&["save10"]))
            .to_string()
    };
    assert_eq!(
        decide(&clone.refresh(&engine).unwrap()),
        "credited partner 7 via code 10"
    );
    assert_eq!(decide(&restored.refresh(&engine).unwrap()), "unattributed");

    // Once the source changed too, its later engines are not the copies' (the copies hold
    // other revisions under the same numbers), nor each other's.
    registry
        .add(Code::tracking(CodeId(12), "BOB15", PartnerId(2)))
        .unwrap();
    let later = registry.compile().unwrap();
    assert_eq!(later.revision(), clone.revision());
    assert_eq!(clone.refresh_plan(&later), RefreshPlan::OtherLineage);
    assert_eq!(restored.refresh_plan(&later), RefreshPlan::OtherLineage);
    assert_eq!(
        restored.refresh_plan(&clone.compile().unwrap()),
        RefreshPlan::OtherLineage
    );
    assert_eq!(
        decide(&clone.refresh(&later).unwrap()),
        "credited partner 7 via code 10"
    );
    // Two registries read back from one snapshot change apart, too.
    let bytes = registry.to_bytes();
    let (mut a, mut b) = (
        Registry::from_bytes(&bytes).unwrap(),
        Registry::from_bytes(&bytes).unwrap(),
    );
    a.expire(CodeId(12), at).unwrap();
    b.expire(CodeId(11), at).unwrap();
    assert_eq!(
        b.refresh_plan(&a.compile().unwrap()),
        RefreshPlan::OtherLineage
    );
    assert_eq!(b.refresh_plan(&later), incremental(1));
    // An engine at a revision the registry has not reached, and one of another registry.
    assert_eq!(
        self::registry().refresh_plan(&later),
        RefreshPlan::EngineAhead
    );
    assert_eq!(
        Registry::default().refresh_plan(&Registry::default().compile().unwrap()),
        RefreshPlan::OtherLineage
    );
    // A registry read back and written again writes what it read.
    assert_eq!(Registry::from_bytes(&bytes).unwrap().to_bytes(), bytes);
}

/// Past the codes a refresh layers on top of the last full compile, it compiles in full, and
/// says so beforehand.
#[test]
fn many_codes_added_since_the_last_compile_make_a_refresh_compile_in_full() {
    let mut registry = registry();
    let engine = registry.compile().unwrap();
    registry
        .add_all(
            (0..9_000).map(|i| Code::tracking(CodeId(100 + i), format!("GEN{i}"), PartnerId(1))),
        )
        .unwrap();
    assert_eq!(registry.refresh_plan(&engine), RefreshPlan::Compaction);
    assert!(registry.refresh_plan(&engine).compiles_in_full());
    let next = registry.refresh(&engine).unwrap();
    assert_eq!(next.len(), registry.len());
    assert_eq!(
        registry.refresh_plan(&next),
        RefreshPlan::Incremental { changes: 0 }
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// An engine brought up to date by a clone of its registry, or by the registry read back
    /// from a snapshot of it (its history folded at the engine's revision, or not), through any
    /// changes, decides as an engine compiled afresh — and without compiling in full.
    #[test]
    fn engines_follow_their_registry_across_clones_and_snapshots(
        program in program(),
        steps in prop::collection::vec(
            (prop::collection::vec(change_spec(), 1..4), 0u8..4),
            1..5,
        ),
        orders in prop::collection::vec(order(), 1..4),
    ) {
        let mut registry = build(&program);
        let mut engine = registry.compile().unwrap();
        for (step, copy) in &steps {
            registry = match copy {
                0 => registry.clone(),
                1 => Registry::from_bytes(&registry.to_bytes()).unwrap(),
                2 => {
                    registry.checkpoint(engine.revision()).unwrap();
                    Registry::from_bytes(&registry.to_bytes()).unwrap()
                }
                _ => registry,
            };
            for change in step {
                let _ = registry.apply([change.change()]);
            }
            let plan = registry.refresh_plan(&engine);
            prop_assert!(matches!(plan, RefreshPlan::Incremental { .. }), "{:?}", plan);
            engine = registry.refresh(&engine).unwrap();
            let compiled = registry.compile().unwrap();
            prop_assert_eq!(engine.revision(), registry.revision());
            for order in &orders {
                let clicks = clicks_of(order);
                prop_assert_eq!(attribute(&engine, order, &clicks), attribute(&compiled, order, &clicks));
            }
        }
    }
}
