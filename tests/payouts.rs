//! Payouts: which rule pays a credited sale, against a naive model of FORMAT.md § Payouts.

use promo_attribution::{
    Click, Code, CodeId, Contract, Conversion, Engine, ExceptionList, Outcome, PartnerId, Payout,
    PayoutSource, Registry, Settings, Timestamp, Window,
};
use proptest::prelude::*;

const AT: Timestamp = Timestamp::from_unix_seconds(1_773_144_000);

/// Entered texts and list codes from one small pool, so that lists and codes collide.
const TEXTS: &[&str] = &[
    "SAVE10", "save10", " Save10 ", "ABC123", "abc9", "WELCOME", "x", "",
];
const EXPRESSIONS: &[&str] = &["^([A-Za-z]{3})[0-9]+$", "([0-9]+)$", "^(?i)(save)"];

fn engine(
    settings: Settings,
    contracts: &[(u64, Option<Payout>)],
    lists: &[ExceptionList],
) -> Engine {
    let mut registry = Registry::new(settings);
    registry
        .add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))
        .unwrap();
    registry
        .add(Code::tracking(CodeId(11), "ABC123", PartnerId(2)))
        .unwrap();
    for &(partner, payout) in contracts {
        let mut contract = Contract::new(Window::ALWAYS);
        if let Some(payout) = payout {
            contract = contract.payout(payout);
        }
        registry.set_contract(PartnerId(partner), contract).unwrap();
    }
    for list in lists {
        registry.add_exception_list(list.clone()).unwrap();
    }
    registry.compile().unwrap()
}

/// (entered, clicks, the outcome's partner, payout, source)
type Case<'a> = (
    &'a [&'a str],
    &'a [Click],
    Option<u64>,
    u64,
    Option<PayoutSource>,
);

#[test]
fn the_payout_says_which_rule_set_it() {
    let mut settings = Settings::default();
    settings.payout = Payout::PercentBps(1_000);
    let lists = [
        ExceptionList::new("public", Payout::Fixed(0)).codes(["WELCOME"]),
        ExceptionList::new("brand", Payout::PercentBps(200))
            .codes(["ABC"])
            .match_expression("^([A-Z]{3})[0-9]+$"),
    ];
    let engine = engine(settings, &[(2, Some(Payout::Fixed(900)))], &lists);
    let clicks = [Click::new(PartnerId(3), AT)];
    let cases: [Case<'_>; 6] = [
        (&["SAVE10"], &[], Some(1), 500, Some(PayoutSource::Program)),
        (
            &["ABC123"],
            &[],
            Some(2),
            100,
            Some(PayoutSource::ExceptionList(1)),
        ),
        (&["abc123"], &[], Some(2), 900, Some(PayoutSource::Contract)), // the expression is case-sensitive
        (
            &["SAVE10", "welcome"],
            &[],
            Some(1),
            0,
            Some(PayoutSource::ExceptionList(0)),
        ),
        (
            &["WELCOME"],
            &clicks,
            Some(3),
            0,
            Some(PayoutSource::ExceptionList(0)),
        ),
        (&["NOPE"], &[], None, 0, None),
    ];
    for (entered, clicks, partner, payout, source) in cases {
        let order = Conversion::new(AT)
            .codes(entered)
            .clicks(clicks)
            .amount(5_000);
        let decision = engine.attribute(&order);
        assert_eq!(
            decision.outcome().partner().map(|p| p.0),
            partner,
            "{entered:?}"
        );
        assert_eq!(decision.payout(), payout, "{entered:?}");
        assert_eq!(decision.payout_source(), source, "{entered:?}");
    }
}

/// Half to even, written differently from the crate: round half up, then step back from odd.
fn naive_percent(amount: u64, bps: u32) -> u64 {
    let exact = u128::from(amount) * u128::from(bps);
    let mut rounded = (2 * exact + 10_000) / 20_000;
    if exact % 10_000 == 5_000 && rounded % 2 == 1 {
        rounded -= 1;
    }
    u64::try_from(rounded).unwrap_or(u64::MAX)
}

fn naive_list_applies(codes: &[&str], expression: Option<&str>, entered: &[&str]) -> bool {
    let lower = |s: &str| s.trim().to_lowercase();
    let named = |text: &str| codes.iter().any(|c| lower(c) == lower(text));
    entered
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .any(|text| match expression {
            None => named(text),
            Some(expression) => regex::Regex::new(expression)
                .unwrap()
                .captures(text)
                .and_then(|c| c.get(1))
                .is_some_and(|group| named(group.as_str())),
        })
}

fn payout() -> impl Strategy<Value = Payout> {
    prop_oneof![
        (0u64..1_000).prop_map(Payout::Fixed),
        // Round rates on amounts in steps of 5 land on exact halves, where rounding differs.
        prop_oneof![0u32..20_000, Just(1_000), Just(5_000), Just(2_500)]
            .prop_map(Payout::PercentBps),
    ]
}

type ListSpec = (Vec<usize>, Option<usize>, Payout);

fn list_spec() -> impl Strategy<Value = ListSpec> {
    (
        prop::collection::vec(0..TEXTS.len() - 1, 1..3),
        prop::option::of(0..EXPRESSIONS.len()),
        payout(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn payouts_agree_with_the_naive_model(
        program in payout(),
        contracts in prop::collection::vec((1u64..4, prop::option::of(payout())), 0..3),
        specs in prop::collection::vec(list_spec(), 0..4),
        entered in prop::collection::vec(0..TEXTS.len(), 0..3),
        clicker in prop::option::of(1u64..4),
        amount in prop_oneof![0u64..100_000, (0u64..20_000).prop_map(|a| a * 5), Just(u64::MAX)],
    ) {
        let mut settings = Settings::default();
        settings.payout = program;
        let lists: Vec<ExceptionList> = specs
            .iter()
            .enumerate()
            .map(|(i, (codes, expression, payout))| {
                let list = ExceptionList::new(format!("list {i}"), *payout)
                    .codes(codes.iter().map(|&c| TEXTS[c]));
                match expression {
                    Some(e) => list.match_expression(EXPRESSIONS[*e]),
                    None => list,
                }
            })
            .collect();
        let engine = engine(settings, &contracts, &lists);
        let texts: Vec<&str> = entered.iter().map(|&i| TEXTS[i]).collect();
        let clicks: Vec<Click> = clicker.map(|p| Click::new(PartnerId(p), AT)).into_iter().collect();
        let decision = engine.attribute(&Conversion::new(AT).codes(&texts).clicks(&clicks).amount(amount));

        let expected = match decision.outcome() {
            Outcome::Credited { partner, .. } => {
                let by_list = specs.iter().find(|(codes, expression, _)| {
                    let codes: Vec<&str> = codes.iter().map(|&c| TEXTS[c]).collect();
                    naive_list_applies(&codes, expression.map(|e| EXPRESSIONS[e]), &texts)
                });
                // The last contract set for a partner is the one in force.
                let by_contract = contracts.iter().rev().find(|(p, _)| *p == partner.0).and_then(|(_, payout)| *payout);
                let rule = by_list.map(|(_, _, payout)| *payout).or(by_contract).unwrap_or(program);
                match rule {
                    Payout::Fixed(fixed) => fixed,
                    Payout::PercentBps(bps) => naive_percent(amount, bps),
                    other => panic!("unexpected payout {other:?}"),
                }
            }
            _ => 0,
        };
        prop_assert_eq!(decision.payout(), expected);
    }
}
