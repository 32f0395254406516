//! The conflict report on arbitrary regex codes: never a panic, within its budget, every
//! overlap it reports comes with a text that both patterns match (checked with `regex`), and,
//! when it compared every pair, no two codes of different owners that both match a short text
//! (every text of up to four characters over the patterns' alphabet) are left out.

#![no_main]

use std::collections::HashSet;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use promo_attribution::conflicts::Conflict;
use promo_attribution::settings::RegexAnchoring;
use promo_attribution::{Code, CodeId, PartnerId, Registry};

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
                (regex::Regex::new(&wrapped).expect("valid"), owner % 3),
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
            assert!(patterns[winner].0.is_match(example), "{conflict}");
            assert!(patterns[loser].0.is_match(example), "{conflict}");
        }
    }

    let report = engine.conflicts();
    if report
        .iter()
        .any(|c| matches!(c, Conflict::RegexOverlapUnchecked { .. }))
    {
        return;
    }
    let reported: HashSet<(CodeId, CodeId)> = report
        .iter()
        .filter_map(|c| match c {
            Conflict::RegexOverlap { winner, loser, .. }
            | Conflict::RegexOverlapUnknown { winner, loser, .. } => {
                Some(((*winner).min(*loser), (*winner).max(*loser)))
            }
            _ => None,
        })
        .collect();
    let texts = short_texts();
    let mut ids: Vec<&CodeId> = patterns.keys().collect();
    ids.sort();
    for (i, &a) in ids.iter().enumerate() {
        for &b in &ids[i + 1..] {
            let ((ra, oa), (rb, ob)) = (&patterns[a], &patterns[b]);
            if oa == ob {
                continue;
            }
            if let Some(text) = texts.iter().find(|t| ra.is_match(t) && rb.is_match(t)) {
                assert!(
                    reported.contains(&(*a, *b)),
                    "codes {a} and {b} both match {text:?}, and the report misses them"
                );
            }
        }
    }
});

/// Every text of up to four characters over the letters the patterns are made of.
fn short_texts() -> Vec<String> {
    const LETTERS: [&str; 8] = ["A", "B", "a", "É", "é", "-", "1", "C"];
    let mut all = vec![String::new()];
    let mut frontier = vec![String::new()];
    for _ in 0..4 {
        frontier = frontier
            .iter()
            .flat_map(|p| LETTERS.iter().map(move |c| format!("{p}{c}")))
            .collect();
        all.extend(frontier.iter().cloned());
    }
    all
}
