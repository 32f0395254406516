//! Property tests: the engine against the naive reference on random programs and orders.

use std::time::Duration;

use promo_attribution::settings::{
    AlwaysOwnerClicks, ClickWinner, CodeTracking, Contracts, RegexAnchoring, UnmetPolicy,
};
use promo_attribution::{
    Catalog, Change, Click, Code, CodeId, Conversion, CreditPolicy, Engine, PartnerId, ProgramId,
    Registry, Settings, Timestamp, Window,
};
use proptest::prelude::*;

use promo_attribution_testkit::reference::{Expected, Reference};

/// Texts drawn from a tiny alphabet so that codes collide, overlap and shadow each other.
const EXACT_TEXTS: &[&str] = &["A", "B", "AB", "ab", "BA", "É", "é", "AÉ", "ABA", " ab "];
const PATTERNS: &[&str] = &[
    "A.*", "[AB]B", "B+", "(?i)a.*", "A|B", "AB?", ".A", "É.*", "A(B|É)", "(AB)+", "[^A]+",
    r"\w{2}",
];
const ENTERED: &[&str] = &[
    "A", "a", "B", "AB", "ab", "aB", "BA", "ABA", "É", "é", "AÉ", "BB", "XA", "  A ", "", "  ", "Q",
];

fn instant(step: i64) -> Timestamp {
    Timestamp::from_unix_seconds(step * 10)
}

#[derive(Clone, Debug)]
pub(crate) enum CodeSpec {
    Exact(usize, u64, CreditPolicy),
    Regex(usize, u64, CreditPolicy, i32),
    Restricted(usize),
}

/// A change to a code of the program, by the code's position (which is its id).
#[derive(Clone, Debug)]
pub(crate) enum ChangeSpec {
    Expire(u64, i64),
    Reactivate(u64, i64),
    Transfer(u64, u64, i64),
    SetCredit(u64, CreditPolicy, i64),
    SetWindow(u64, Option<i64>, Option<i64>),
    Remove(u64, i64),
    Add(u64, CodeSpec, Option<i64>, Option<i64>),
    SetContract(u64, Option<i64>, Option<i64>),
    RemoveContract(u64),
}

impl ChangeSpec {
    pub(crate) fn change(&self) -> Change {
        match *self {
            ChangeSpec::Expire(id, at) => Change::Expire {
                code: CodeId(id),
                at: instant(at),
            },
            ChangeSpec::Reactivate(id, at) => Change::Reactivate {
                code: CodeId(id),
                at: instant(at),
            },
            ChangeSpec::Transfer(id, to, at) => Change::Transfer {
                code: CodeId(id),
                to: PartnerId(to),
                at: instant(at),
            },
            ChangeSpec::SetCredit(id, credit, at) => Change::SetCredit {
                code: CodeId(id),
                credit,
                at: instant(at),
            },
            ChangeSpec::SetWindow(id, from, until) => Change::SetWindow {
                code: CodeId(id),
                window: window(from, until),
            },
            ChangeSpec::Remove(id, now) => Change::Remove {
                code: CodeId(id),
                now: instant(now),
            },
            ChangeSpec::Add(id, ref spec, from, until) => Change::Add {
                code: to_code(id, spec, from, until),
            },
            ChangeSpec::SetContract(partner, from, until) => Change::SetContract {
                partner: PartnerId(partner),
                contract: window(from, until).into(),
            },
            ChangeSpec::RemoveContract(partner) => Change::RemoveContract {
                partner: PartnerId(partner),
            },
        }
    }
}

pub(crate) fn change_spec() -> impl Strategy<Value = ChangeSpec> {
    prop_oneof![
        3 => (0u64..12, 0i64..10).prop_map(|(id, at)| ChangeSpec::Expire(id, at)),
        2 => (0u64..12, 0i64..10).prop_map(|(id, at)| ChangeSpec::Reactivate(id, at)),
        3 => (0u64..12, 1u64..5, 0i64..10).prop_map(|(id, to, at)| ChangeSpec::Transfer(id, to, at)),
        2 => (0u64..12, policy(), 0i64..10).prop_map(|(id, p, at)| ChangeSpec::SetCredit(id, p, at)),
        2 => (0u64..12, bound(), bound()).prop_map(|(id, from, until)| ChangeSpec::SetWindow(id, from, until)),
        1 => (0u64..12, 0i64..10).prop_map(|(id, now)| ChangeSpec::Remove(id, now)),
        2 => (8u64..12, code_spec(), bound(), bound())
            .prop_map(|(id, spec, from, until)| ChangeSpec::Add(id, spec, from, until)),
        1 => (1u64..4, bound(), bound()).prop_map(|(p, from, until)| ChangeSpec::SetContract(p, from, until)),
        1 => (1u64..4).prop_map(ChangeSpec::RemoveContract),
    ]
}

#[derive(Clone, Debug)]
pub(crate) struct Program {
    settings: Settings,
    codes: Vec<(CodeSpec, Option<i64>, Option<i64>)>,
    changes: Vec<ChangeSpec>,
    contracts: Vec<(u64, Option<i64>, Option<i64>)>,
}

fn policy() -> impl Strategy<Value = CreditPolicy> {
    prop::sample::select(&CreditPolicy::ALL[..])
}

fn settings() -> impl Strategy<Value = Settings> {
    (
        any::<[bool; 7]>(),
        0u64..6,
        prop::option::weighted(0.2, 0usize..4),
        prop::option::weighted(0.2, 0usize..4),
    )
        .prop_map(|(flags, lookback, max_entered, max_others)| {
            let mut s = Settings::default();
            // Now and then limits an order of this test's size can reach (SPEC §12).
            if let Some(max) = max_entered {
                s.max_entered_codes = max;
            }
            if let Some(max) = max_others {
                s.max_other_matches = max;
            }
            // Mostly enabled: a disabled program exercises little.
            s.tracking = if flags[0] || flags[1] {
                CodeTracking::Enabled
            } else {
                CodeTracking::Disabled
            };
            s.click_winner = if flags[2] {
                ClickWinner::FirstClick
            } else {
                ClickWinner::LastClick
            };
            s.lookback = Duration::from_secs(lookback * 10);
            s.unmet_policy = if flags[3] {
                UnmetPolicy::FallBackToClicks
            } else {
                UnmetPolicy::Invalidate
            };
            if flags[4] {
                s.always_owner_clicks = AlwaysOwnerClicks::Ignore;
            }
            if flags[5] && flags[6] {
                s.contracts = Contracts::Required;
            }
            s.regex_anchoring = if flags[6] {
                RegexAnchoring::Search
            } else {
                RegexAnchoring::WholeCode
            };
            s
        })
}

fn code_spec() -> impl Strategy<Value = CodeSpec> {
    prop_oneof![
        4 => (0..EXACT_TEXTS.len(), 1u64..4, policy()).prop_map(|(t, o, p)| CodeSpec::Exact(t, o, p)),
        4 => (0..PATTERNS.len(), 1u64..4, policy(), -1i32..2)
            .prop_map(|(t, o, p, pr)| CodeSpec::Regex(t, o, p, pr)),
        1 => (0..EXACT_TEXTS.len()).prop_map(CodeSpec::Restricted),
    ]
}

fn bound() -> impl Strategy<Value = Option<i64>> {
    prop::option::weighted(0.4, 0i64..10)
}

pub(crate) fn program() -> impl Strategy<Value = Program> {
    (
        settings(),
        prop::collection::vec((code_spec(), bound(), bound()), 0..8),
        prop::collection::vec(change_spec(), 0..6),
        prop::collection::vec((1u64..4, bound(), bound()), 0..3),
    )
        .prop_map(|(settings, codes, changes, contracts)| Program {
            settings,
            codes,
            changes,
            contracts,
        })
}

#[derive(Clone, Debug)]
pub(crate) struct Order {
    at: i64,
    codes: Vec<usize>,
    clicks: Vec<(u64, i64)>,
}

pub(crate) fn order() -> impl Strategy<Value = Order> {
    (
        0i64..10,
        prop::collection::vec(0..ENTERED.len(), 0..4),
        prop::collection::vec((1u64..5, 0i64..11), 0..6),
    )
        .prop_map(|(at, codes, clicks)| Order { at, codes, clicks })
}

fn window(from: Option<i64>, until: Option<i64>) -> Window {
    Window {
        from: from.map(instant),
        until: until.map(instant),
    }
}

fn to_code(id: u64, spec: &CodeSpec, from: Option<i64>, until: Option<i64>) -> Code {
    let w = window(from, until);
    match *spec {
        CodeSpec::Exact(t, owner, p) => {
            Code::tracking(CodeId(id), EXACT_TEXTS[t], PartnerId(owner))
                .credit(p)
                .window(w)
                .into()
        }
        CodeSpec::Regex(t, owner, p, priority) => {
            Code::tracking(CodeId(id), PATTERNS[t], PartnerId(owner))
                .regex()
                .credit(p)
                .priority(priority)
                .window(w)
                .into()
        }
        CodeSpec::Restricted(t) => Code::restricted(CodeId(id), EXACT_TEXTS[t])
            .window(w)
            .into(),
    }
}

/// Registers what the registry accepts, one change at a time (rejections are fine), and the
/// reference's own record of what was accepted.
pub(crate) fn recorded(program: &Program) -> (Registry, Reference) {
    let mut registry = Registry::new(program.settings.clone());
    let mut reference = Reference::new(program.settings.clone());
    let codes = program.codes.iter().enumerate();
    let adds = codes.map(|(id, (spec, from, until))| Change::Add {
        code: to_code(id as u64, spec, *from, *until),
    });
    let contracts = program
        .contracts
        .iter()
        .map(|&(partner, from, until)| Change::SetContract {
            partner: PartnerId(partner),
            contract: window(from, until).into(),
        });
    let changes = program.changes.iter().map(ChangeSpec::change);
    for change in adds.chain(changes).chain(contracts) {
        if registry.apply([change.clone()]).is_ok() {
            reference.record(&change);
        }
    }
    (registry, reference)
}

/// The registry of [`recorded`] alone.
pub(crate) fn build(program: &Program) -> Registry {
    recorded(program).0
}

pub(crate) fn attribute(
    engine: &Engine,
    order: &Order,
    clicks: &[Click],
) -> promo_attribution::Decision {
    let texts: Vec<&str> = order.codes.iter().map(|&i| ENTERED[i]).collect();
    engine.attribute(
        &Conversion::new(instant(order.at))
            .codes(&texts)
            .clicks(clicks),
    )
}

pub(crate) fn clicks_of(order: &Order) -> Vec<Click> {
    order
        .clicks
        .iter()
        .map(|&(p, at)| Click::new(PartnerId(p), instant(at)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn engine_agrees_with_the_naive_reference(program in program(), orders in prop::collection::vec(order(), 1..6)) {
        let (registry, reference) = recorded(&program);
        let engine = registry.compile().unwrap();
        for order in &orders {
            let clicks = clicks_of(order);
            let texts: Vec<&str> = order.codes.iter().map(|&i| ENTERED[i]).collect();
            let conversion = Conversion::new(instant(order.at)).codes(&texts).clicks(&clicks);
            prop_assert_eq!(Expected::of(&engine.attribute(&conversion)), reference.attribute(&conversion), "order {:?}", order);
        }
    }

    #[test]
    fn a_batch_decides_as_attribute_does(
        programs in prop::collection::vec(program(), 1..3),
        changes in prop::collection::vec(change_spec(), 0..4),
        orders in prop::collection::vec((0usize..2, order()), 0..40),
    ) {
        // Each program's engine is refreshed after a few more changes, so that the batch also
        // meets codes that live in an engine's added layer.
        let mut catalog = Catalog::new();
        let mut engines = Vec::new();
        for (program, spec) in programs.iter().enumerate() {
            let mut registry = build(spec);
            let engine = registry.compile().unwrap();
            for change in &changes {
                let _ = registry.apply([change.change()]);
            }
            let engine = registry.refresh(&engine).unwrap();
            catalog.insert(ProgramId(program as u64), engine.clone());
            engines.push(engine);
        }
        let clicks: Vec<Vec<Click>> = orders.iter().map(|(_, order)| clicks_of(order)).collect();
        let texts: Vec<Vec<&str>> = orders
            .iter()
            .map(|(_, order)| order.codes.iter().map(|&i| ENTERED[i]).collect())
            .collect();
        let routed: Vec<(ProgramId, Conversion<'_>)> = orders
            .iter()
            .zip(&clicks)
            .zip(&texts)
            .map(|(((program, order), clicks), texts)| {
                let program = program % engines.len();
                let conversion = Conversion::new(instant(order.at)).codes(texts).clicks(clicks).amount(10_000);
                (ProgramId(program as u64), conversion)
            })
            .collect();
        let by_catalog = catalog.attribute_batch(&routed).unwrap();
        prop_assert_eq!(by_catalog.len(), routed.len());
        for (engine_index, engine) in engines.iter().enumerate() {
            let mine: Vec<Conversion<'_>> = routed
                .iter()
                .filter(|(p, _)| p.0 as usize == engine_index)
                .map(|(_, c)| *c)
                .collect();
            let batch = engine.attribute_batch(&mine);
            for (conversion, attribution) in mine.iter().zip(&batch) {
                prop_assert_eq!(engine.attribute(conversion).attribution(), *attribution);
            }
        }
        for ((program, conversion), attribution) in routed.iter().zip(&by_catalog) {
            prop_assert_eq!(catalog.attribute(*program, conversion).unwrap().attribution(), *attribution);
        }
    }

    #[test]
    fn click_input_order_does_not_matter(program in program(), order in order(), seed in any::<u64>()) {
        let registry = build(&program);
        let engine = registry.compile().unwrap();
        // Distinct instants: ties are the one place the input order legitimately decides.
        let mut clicks: Vec<Click> = clicks_of(&order);
        clicks.sort_by_key(|c| c.at);
        clicks.dedup_by_key(|c| c.at);
        let decision = attribute(&engine, &order, &clicks);
        let mut shuffled = clicks.clone();
        // A deterministic shuffle driven by the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(decision, attribute(&engine, &order, &shuffled));
    }

    #[test]
    fn a_code_inactive_at_the_order_changes_only_diagnostics(
        program in program(),
        order in order(),
        spec in code_spec(),
        after in any::<bool>(),
    ) {
        let mut registry = build(&program);
        let clicks = clicks_of(&order);
        let before = attribute(&registry.compile().unwrap(), &order, &clicks);
        // A schedule that ends at or before the order, or starts after it.
        let (from, until) = if after { (Some(order.at + 1), None) } else { (None, Some(order.at)) };
        let added = to_code(1_000, &spec, from, until);
        prop_assume!(registry.add(added).is_ok());
        let with = attribute(&registry.compile().unwrap(), &order, &clicks);
        prop_assert_eq!(before.outcome(), with.outcome());
        prop_assert_eq!(before.code(), with.code());
        prop_assert_eq!(before.click_winner(), with.click_winner());
    }

    #[test]
    fn attribute_never_panics_on_arbitrary_text(
        program in program(),
        texts in prop::collection::vec(any::<String>(), 0..4),
        clicks in prop::collection::vec((any::<u64>(), any::<i64>()), 0..4),
        at in any::<i64>(),
    ) {
        let registry = build(&program);
        let engine = registry.compile().unwrap();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let clicks: Vec<Click> = clicks.iter().map(|&(p, t)| Click::new(PartnerId(p), Timestamp::from_unix_millis(t))).collect();
        let decision = engine.attribute(&Conversion::new(Timestamp::from_unix_millis(at)).codes(&texts).clicks(&clicks));
        prop_assert_eq!(decision.entered().len(), texts.len());
    }

    #[test]
    fn a_failed_batch_leaves_the_registry_unchanged(program in program(), extra in prop::collection::vec((code_spec(), bound(), bound()), 1..6)) {
        let mut registry = build(&program);
        let ids_before: Vec<CodeId> = registry.codes().map(|c| c.id()).collect();
        // A blank last row guarantees at least one failure, whatever the others do.
        let mut batch: Vec<Code> = extra.iter().enumerate()
            .map(|(i, (spec, from, until))| to_code(500 + i as u64, spec, *from, *until))
            .collect();
        batch.push(Code::restricted(CodeId(999), " \t ").into());
        let err = registry.add_all(batch).unwrap_err();
        prop_assert!(err.errors().iter().any(|e| e.row() == Some(extra.len())));
        let ids_after: Vec<CodeId> = registry.codes().map(|c| c.id()).collect();
        prop_assert_eq!(ids_before, ids_after);
        // The registry still accepts what it accepted before, so its indexes were undone too.
        let fresh = build(&program);
        let order = Order { at: 5, codes: (0..ENTERED.len()).collect(), clicks: vec![] };
        prop_assert_eq!(
            attribute(&registry.compile().unwrap(), &order, &[]),
            attribute(&fresh.compile().unwrap(), &order, &[])
        );
    }
}
