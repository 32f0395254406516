//! The `serde` feature: registry snapshots, orders and decisions through JSON.

use promo_attribution::{
    Change, Code, CodeId, ConversionRecord, Decision, ExceptionList, PartnerId, Payout, Registry,
    Timestamp, Window,
};
use proptest::prelude::*;

use crate::properties::{attribute, build, clicks_of, order, program};

fn snapshot(registry: &Registry) -> String {
    serde_json::to_string(registry).unwrap()
}

/// Everything a registry holds, in a comparable form.
fn contents(registry: &Registry) -> impl PartialEq + std::fmt::Debug {
    let mut contracts: Vec<_> = registry.contracts().collect();
    contracts.sort_by_key(|(p, _)| *p);
    let codes: Vec<(Code, Vec<_>)> = registry
        .codes()
        .map(|c| {
            (
                c.clone(),
                registry.events(c.id()).unwrap().collect::<Vec<_>>(),
            )
        })
        .collect();
    // Owner and policy at every step of the generated programs' clock.
    let terms: Vec<_> = registry
        .codes()
        .flat_map(|c| {
            (0..12).map(|step| registry.terms_at(c.id(), Timestamp::from_unix_seconds(step * 10)))
        })
        .collect();
    (
        registry.settings().clone(),
        codes,
        contracts,
        registry.exception_lists().cloned().collect::<Vec<_>>(),
        terms,
        (registry.revision(), registry.history().to_vec()),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A snapshot reads back into the same registry, writes the same JSON again, and compiles
    /// into an engine that decides every order the same way; decisions survive JSON too.
    #[test]
    fn registry_snapshots_round_trip(
        program in program(),
        orders in prop::collection::vec(order(), 1..6),
        default_bps in 0u32..20_000,
        list_payout in 0u64..1_000,
    ) {
        let mut registry = build(&program);
        let mut settings = registry.settings().clone();
        settings.payout = Payout::PercentBps(default_bps);
        let mut priced = Registry::new(settings);
        // Replaying the history gives the same registry: the way a host restarts from its log.
        for entry in registry.history() {
            priced.apply([entry.change()]).unwrap();
        }
        for (partner, contract) in registry.contracts() {
            priced.set_contract(partner, contract.payout(Payout::Fixed(list_payout + 1))).unwrap();
        }
        priced.add_exception_list(ExceptionList::new("zero", Payout::Fixed(0)).codes(["ab"])).unwrap();
        priced
            .add_exception_list(ExceptionList::new("fixed", Payout::Fixed(list_payout)).match_expression("^(A)"))
            .unwrap();
        registry = priced;

        let json = snapshot(&registry);
        let back: Registry = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(contents(&back), contents(&registry));
        prop_assert_eq!(snapshot(&back), json);

        let (engine, engine_back) = (registry.compile().unwrap(), back.compile().unwrap());
        for order in &orders {
            let clicks = clicks_of(order);
            let decision = attribute(&engine, order, &clicks);
            prop_assert_eq!(&attribute(&engine_back, order, &clicks), &decision);
            let json = serde_json::to_string(&decision).unwrap();
            prop_assert_eq!(serde_json::from_str::<Decision>(&json).unwrap(), decision);
        }
    }
}

#[test]
fn the_shape_is_snake_case_and_stable() {
    let mut registry = Registry::default();
    registry
        .add(
            Code::tracking(CodeId(10), "SAVE10", PartnerId(1))
                .credit(promo_attribution::CreditPolicy::IfInvolved)
                .ends_at("2026-07-01T00:00:00Z".parse().unwrap()),
        )
        .unwrap();
    registry
        .add(Code::restricted(CodeId(11), "STAFF").label("employees"))
        .unwrap();
    registry
        .expire(CodeId(10), "2026-05-01T00:00:00Z".parse().unwrap())
        .unwrap();
    registry.set_contract(PartnerId(1), Window::ALWAYS).unwrap();
    registry
        .apply_with_note(
            [Change::Transfer {
                code: CodeId(10),
                to: PartnerId(2),
                at: "2026-06-01T00:00:00Z".parse().unwrap(),
            }],
            "desk",
        )
        .unwrap();
    let mut value: serde_json::Value = serde_json::to_value(&registry).unwrap();
    // The lineage's seed is random: its shape is checked, and it is left out of the rest.
    let lineage = value.as_object_mut().unwrap().remove("lineage").unwrap();
    let stretches = lineage.as_array().unwrap();
    assert_eq!(stretches.len(), 1);
    assert_eq!(stretches[0]["from"], 0);
    let seed = stretches[0]["seed"].as_str().unwrap();
    assert!(
        seed.len() == 16 && seed.bytes().all(|b| b.is_ascii_hexdigit()),
        "{seed}"
    );
    let save10 = serde_json::json!({
        "type": "tracking", "id": 10, "text": "SAVE10", "owner": 1,
        "credit": "if_involved", "match_mode": "exact",
        "window": {"from": null, "until": "2026-07-01T00:00:00Z"},
        "deal": null, "priority": 0, "label": null
    });
    let staff = serde_json::json!({
        "type": "restricted", "id": 11, "text": "STAFF",
        "window": {"from": null, "until": null}, "label": "employees"
    });
    assert_eq!(
        value,
        serde_json::json!({
            "format": 5,
            "settings": {
                "tracking": "enabled",
                "click_winner": "last_click",
                "lookback_ms": 2_592_000_000u64,
                "unmet_policy": "invalidate",
                "always_owner_clicks": "count",
                "contracts": "optional",
                "regex_anchoring": "whole_code",
                "payout": {"fixed": 0},
                "lock_after_ms": null,
                "clawback": "disabled",
                "max_entered_codes": 32,
                "max_other_matches": 256
            },
            "codes": [
                {
                    "code": save10,
                    "events": [{"at": "2026-05-01T00:00:00Z", "action": "expire"}],
                    "terms": [{"at": "2026-06-01T00:00:00Z", "owner": 2}]
                },
                {"code": staff}
            ],
            "contracts": [{"partner": 1, "window": {"from": null, "until": null}, "payout": null}],
            "exception_lists": [],
            "revision": 5,
            "history": [
                {"revision": 1, "change": {"kind": "add", "code": save10}},
                {"revision": 2, "change": {"kind": "add", "code": staff}},
                {"revision": 3, "change": {"kind": "expire", "code": 10, "at": "2026-05-01T00:00:00Z"}},
                {"revision": 4, "change": {
                    "kind": "set_contract", "partner": 1,
                    "contract": {"window": {"from": null, "until": null}, "payout": null}
                }},
                {"revision": 5, "change": {
                    "kind": "transfer", "code": 10, "to": 2, "at": "2026-06-01T00:00:00Z"
                }, "note": "desk"}
            ],
            "checkpoint": null
        })
    );
}

#[test]
fn hand_written_snapshots_take_defaults_and_are_validated() {
    let minimal = r#"{"format": 2, "settings": {}, "codes": [{"code": {"type": "tracking", "id": 1, "text": "SAVE10", "owner": 7}}]}"#;
    let registry: Registry = serde_json::from_str(minimal).unwrap();
    assert_eq!(registry.len(), 1);
    assert_eq!(registry.settings(), &promo_attribution::Settings::default());

    let duplicate = r#"{"format": 2, "settings": {}, "codes": [
        {"code": {"type": "tracking", "id": 1, "text": "SAVE10", "owner": 7}},
        {"code": {"type": "tracking", "id": 2, "text": "save10", "owner": 8}}]}"#;
    let err = serde_json::from_str::<Registry>(duplicate)
        .unwrap_err()
        .to_string();
    assert!(err.contains(r#"code 2 "save10": duplicate code"#), "{err}");
    // Each rejected code once: the batch error's summary must not repeat the first.
    assert_eq!(err.matches("duplicate code").count(), 1, "{err}");

    // Registration trims a text; a snapshot never holds one untrimmed, and neither read takes
    // one (the validated read once trimmed it where the trusted one did not).
    let untrimmed = r#"{"format": 2, "settings": {}, "codes": [{"code": {"type": "tracking", "id": 3, "text": "SAVE10\r", "owner": 7}}]}"#;
    let err = serde_json::from_str::<Registry>(untrimmed)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("code 3 has the text \"SAVE10\\r\", with white space around it"),
        "{err}"
    );

    let bad_instant = r#"{"format": 2, "settings": {}, "codes": [{"code": {"type": "restricted", "id": 1, "text": "X", "window": {"until": "tomorrow"}}}]}"#;
    assert!(serde_json::from_str::<Registry>(bad_instant).is_err());
}

#[test]
fn conversion_records_attribute_like_the_borrowed_form() {
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(1), "SAVE10", PartnerId(1)))
        .unwrap();
    let engine = registry.compile().unwrap();
    let clicks = [promo_attribution::Click::new(
        PartnerId(2),
        Timestamp::from_unix_seconds(100),
    )];
    let conversion = promo_attribution::Conversion::new(Timestamp::from_unix_seconds(200))
        .codes(&["save10"])
        .clicks(&clicks)
        .amount(5_000);
    let record = ConversionRecord::from(&conversion);
    let json = serde_json::to_string(&conversion).unwrap();
    assert_eq!(json, serde_json::to_string(&record).unwrap());
    let back: ConversionRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(back, record);
    assert_eq!(
        engine.attribute(&back.conversion()),
        engine.attribute(&conversion)
    );
}

#[test]
fn snapshots_hold_the_first_and_last_instants() {
    let mut registry = Registry::default();
    let edges = Window::between(Timestamp::MIN, Timestamp::MAX);
    registry
        .add(Code::tracking(CodeId(1), "FOREVER", PartnerId(1)).window(edges))
        .unwrap();
    registry
        .add(Code::tracking(CodeId(2), "LATER", PartnerId(1)).window(Window::until(Timestamp::MAX)))
        .unwrap();
    registry.expire(CodeId(1), Timestamp::MAX).unwrap();
    registry.set_contract(PartnerId(1), edges).unwrap();
    let json = snapshot(&registry);
    let back: Registry = serde_json::from_str(&json).unwrap();
    assert_eq!(contents(&back), contents(&registry));
    assert_eq!(snapshot(&back), json);
}

#[test]
fn one_scratch_free_loop_attributes_many_records() {
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(1), "SAVE10", PartnerId(1)))
        .unwrap();
    let engine = registry.compile().unwrap();
    let records: Vec<ConversionRecord> = (0..3)
        .map(|i| {
            serde_json::from_value(serde_json::json!({
                "at": "2026-03-10T12:00:00Z",
                "codes": [if i % 2 == 0 { "save10" } else { "other" }],
            }))
            .unwrap()
        })
        .collect();
    // Before, the record lent its codes through a scratch buffer whose borrow outlived the loop
    // body, so this loop did not compile (E0499).
    let credited = records
        .iter()
        .filter(|record| {
            engine
                .attribute(&record.conversion())
                .outcome()
                .partner()
                .is_some()
        })
        .count();
    assert_eq!(credited, 2);
}

#[test]
fn another_format_version_is_an_error_that_says_so() {
    let newer = r#"{"format": 6, "settings": {}, "codes": [], "shiny": true}"#;
    let err = serde_json::from_str::<Registry>(newer)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("snapshot format 6 is not one this version reads (it reads formats 2 to 5)"),
        "{err}"
    );
    let unversioned = r#"{"settings": {}, "codes": []}"#;
    let err = serde_json::from_str::<Registry>(unversioned)
        .unwrap_err()
        .to_string();
    assert!(err.contains("it has no \"format\""), "{err}");
    // The format is checked wherever it comes.
    let newer_last = r#"{"settings": {}, "codes": [], "format": 6}"#;
    let err = serde_json::from_str::<Registry>(newer_last)
        .unwrap_err()
        .to_string();
    assert!(err.contains("snapshot format 6 is not one"), "{err}");
    // A field this version does not know, before the format: the error says the format was
    // not read yet.
    let newer_unknown_first = r#"{"shiny": true, "format": 5, "settings": {}, "codes": []}"#;
    let err = serde_json::from_str::<Registry>(newer_unknown_first)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `shiny`"), "{err}");
    assert!(
        err.contains("read before the snapshot's \"format\""),
        "{err}"
    );
}

/// The snapshot's fields in the order PostgreSQL `jsonb` stores an object's keys: shorter keys
/// first, then bytewise ("codes" before "format").
fn as_jsonb(written: &serde_json::Value) -> String {
    let fields = written.as_object().unwrap();
    let mut keys: Vec<&String> = fields.keys().collect();
    keys.sort_by_key(|k| (k.len(), k.as_str()));
    let fields: Vec<String> = keys
        .iter()
        .map(|k| {
            format!(
                "{}:{}",
                serde_json::to_string(k).unwrap(),
                fields[k.as_str()]
            )
        })
        .collect();
    format!("{{{}}}", fields.join(","))
}

#[test]
fn a_snapshot_reads_back_whatever_the_order_of_its_keys() {
    let t = |s: &str| s.parse::<Timestamp>().unwrap();
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(1), "SAVE10", PartnerId(1)).starts_at(t("2026-04-01T00:00:00Z")))
        .unwrap();
    registry
        .add(Code::tracking(CodeId(2), "SPRING", PartnerId(2)))
        .unwrap();
    registry
        .transfer(CodeId(2), PartnerId(3), t("2026-05-01T00:00:00Z"))
        .unwrap();
    let written: serde_json::Value = serde_json::from_str(&snapshot(&registry)).unwrap();
    let sorted = as_jsonb(&written);
    assert!(
        sorted.starts_with(r#"{"codes":"#),
        "jsonb puts \"codes\" before \"format\": {sorted:.40}"
    );
    let back: Registry = serde_json::from_str(&sorted).unwrap();
    assert_eq!(contents(&back), contents(&registry));
    assert_eq!(back.revision(), registry.revision());
    // Alphabetical, as `jq -S` writes it (and `serde_json::Value` keeps it), reads back the same.
    let alphabetical = serde_json::to_string(&written).unwrap();
    assert!(
        alphabetical.starts_with(r#"{"checkpoint":"#),
        "{alphabetical:.40}"
    );
    let back: Registry = serde_json::from_str(&alphabetical).unwrap();
    assert_eq!(contents(&back), contents(&registry));
}

#[test]
fn removed_codes_stay_removed_and_keep_their_ids() {
    let t = |s: &str| s.parse::<Timestamp>().unwrap();
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(1), "LAUNCH", PartnerId(1)).starts_at(t("2026-04-01T00:00:00Z")))
        .unwrap();
    registry
        .remove(CodeId(1), t("2026-03-01T00:00:00Z"))
        .unwrap();
    registry
        .add(Code::tracking(CodeId(2), "LAUNCH", PartnerId(2)))
        .unwrap();
    let back: Registry = serde_json::from_str(&snapshot(&registry)).unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back.get(CodeId(1)), None);
    let mut back = back;
    let err = back
        .add(Code::tracking(CodeId(1), "OTHER", PartnerId(3)))
        .unwrap_err();
    assert_eq!(err.kind(), promo_attribution::ErrorKind::DuplicateId);
    assert_eq!(contents(&back), contents(&registry));
}

/// A JSON snapshot keeps the registry's lineage: the registry read back from it brings the
/// engines of the one written up to date at the cost of its changes, and a lineage in a form
/// never written is refused.
#[test]
fn a_registry_read_back_from_json_refreshes_the_engines_of_the_one_written() {
    use promo_attribution::history::RefreshPlan;
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))
        .unwrap();
    let engine = registry.compile().unwrap();
    let json = serde_json::to_string(&registry).unwrap();
    let mut back: Registry = serde_json::from_str(&json).unwrap();
    back.add(Code::tracking(CodeId(11), "BOB15", PartnerId(2)))
        .unwrap();
    assert_eq!(
        back.refresh_plan(&engine),
        RefreshPlan::Incremental { changes: 1 }
    );
    // The keys in another order (as `jq -S` writes them) change nothing.
    let sorted: serde_json::Value = serde_json::from_str(&json).unwrap();
    let back: Registry = serde_json::from_str(&serde_json::to_string(&sorted).unwrap()).unwrap();
    assert_eq!(
        back.refresh_plan(&engine),
        RefreshPlan::Incremental { changes: 0 }
    );

    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["lineage"][0]["from"] = 3.into();
    let err = serde_json::from_value::<Registry>(value.clone())
        .unwrap_err()
        .to_string();
    assert!(err.contains("must start at revision 0"), "{err}");
    value["lineage"][0]["seed"] = "not hex".into();
    let err = serde_json::from_value::<Registry>(value)
        .unwrap_err()
        .to_string();
    assert!(err.contains("16 hexadecimal digits"), "{err}");
}
