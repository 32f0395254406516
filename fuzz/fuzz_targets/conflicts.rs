//! The conflict report on arbitrary regex codes: never a panic, within its budget, and every
//! overlap it reports comes with a text that both patterns match (checked with `regex`).

#![no_main]

#[path = "../common/mod.rs"]
mod common;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use promo_attribution::{Code, CodeId, Conflict, PartnerId, RegexAnchoring, Registry};

#[derive(Arbitrary, Debug)]
struct Input {
    settings: u16,
    patterns: Vec<(common::PatternSpec, u8)>,
    budget: u32,
}

fuzz_target!(|input: Input| {
    let settings = common::settings(input.settings);
    let whole = settings.regex_anchoring == RegexAnchoring::WholeCode;
    let mut registry = Registry::new(settings);
    let mut patterns = std::collections::HashMap::new();
    for (i, (pattern, owner)) in input.patterns.iter().take(10).enumerate() {
        let text = pattern.text();
        let code = Code::tracking(
            CodeId(i as u64),
            text.as_str(),
            PartnerId(u64::from(*owner % 3)),
        )
        .regex();
        if registry.add(code).is_ok() {
            let wrapped = if whole { format!("^(?:{text})$") } else { text };
            patterns.insert(
                CodeId(i as u64),
                regex::Regex::new(&wrapped).expect("valid"),
            );
        }
    }
    let Ok(engine) = registry.compile() else {
        return;
    };
    let budget = u64::from(input.budget % 100_000);
    for conflict in engine.conflicts_within(budget) {
        if let Conflict::RegexOverlap {
            winner,
            loser,
            example,
        } = &conflict
        {
            assert!(patterns[winner].is_match(example), "{conflict}");
            assert!(patterns[loser].is_match(example), "{conflict}");
        }
    }
});
