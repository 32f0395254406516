//! The regex matcher against the `regex` crate: many generated patterns in one program, so that
//! prefixes nest and collide, and enough of them lack a literal prefix to bring in the DFA
//! filter; every entered text's set of matched codes must be what `regex` says.

use std::collections::BTreeSet;

use promo_attribution::settings::RegexAnchoring;
use promo_attribution::{
    Code, CodeId, Conversion, Outcome, PartnerId, Registry, Settings, Timestamp, Via,
};
use proptest::prelude::*;

const ATOMS: &[&str] = &[
    "A", "B", "AB", "BA", "É", "-", "1", "[AB]", "[^A]", r"\d", "[0-9]", r"\w", ".", "(?i:a)",
    "[A-Z0-9]", "(?i:é)", r"\b",
];
const QUANTIFIERS: &[&str] = &["", "", "", "?", "*", "+", "{2}", "{1,3}"];
const ALPHABET: &[&str] = &["A", "a", "B", "b", "É", "é", "-", "1", "٣", "Z"];

fn piece() -> impl Strategy<Value = String> {
    (0..ATOMS.len(), 0..QUANTIFIERS.len()).prop_map(|(a, q)| {
        let atom = ATOMS[a];
        // Quantifying a look-around is legal but pointless; keep `\b` bare.
        if atom == r"\b" {
            atom.to_owned()
        } else {
            format!("{atom}{}", QUANTIFIERS[q])
        }
    })
}

fn pattern() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop::collection::vec(piece(), 1..4),
        prop::option::of(prop::collection::vec(piece(), 1..3)),
        any::<bool>(),
    )
        .prop_map(|(start, seq, alt, end)| {
            let body = seq.concat();
            let body = match alt {
                Some(alt) => format!("({body}|{})", alt.concat()),
                None => body,
            };
            format!(
                "{}{body}{}",
                if start { "^" } else { "" },
                if end { "$" } else { "" }
            )
        })
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(0..ALPHABET.len(), 1..7)
        .prop_map(|letters| letters.into_iter().map(|i| ALPHABET[i]).collect())
}

/// The ids of every code that matched `text`: the credited one and those listed as other
/// matches (all codes are `Always`, active, and of distinct owners).
fn matched(engine: &promo_attribution::Engine, text: &str) -> BTreeSet<u64> {
    let decision =
        engine.attribute(&Conversion::new(Timestamp::from_unix_seconds(0)).codes(&[text]));
    let mut ids: BTreeSet<u64> = decision.other_matches().iter().map(|m| m.code.0).collect();
    if let Outcome::Credited {
        via: Via::Code(code),
        ..
    } = decision.outcome()
    {
        ids.insert(code.0);
    }
    ids
}

/// An engine of `patterns` (code `i` is the `i`-th, its own partner's) and, beside it, each
/// pattern the registry accepted compiled alone by `regex`. Patterns that can match the empty
/// text are refused: the reference skips them too.
fn engine_and_reference(
    patterns: &[String],
    whole_code: bool,
) -> (promo_attribution::Engine, Vec<(u64, regex::Regex)>) {
    let mut settings = Settings::default();
    settings.regex_anchoring = if whole_code {
        RegexAnchoring::WholeCode
    } else {
        RegexAnchoring::Search
    };
    let mut registry = Registry::new(settings);
    let mut reference = Vec::new();
    for (i, p) in (0u64..).zip(patterns) {
        let code = Code::tracking(CodeId(i), p.as_str(), PartnerId(i)).regex();
        if registry.add(code).is_ok() {
            let wrapped = if whole_code {
                format!("^(?:{p})$")
            } else {
                p.clone()
            };
            reference.push((i, regex::Regex::new(&wrapped).unwrap()));
        }
    }
    (registry.compile().unwrap(), reference)
}

/// The ids of the reference's patterns that match `text`.
fn expected(reference: &[(u64, regex::Regex)], text: &str) -> BTreeSet<u64> {
    reference
        .iter()
        .filter(|(_, r)| r.is_match(text))
        .map(|(i, _)| *i)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn matcher_agrees_with_the_regex_crate(
        patterns in prop::collection::vec(pattern(), 1..40),
        texts in prop::collection::vec(text(), 1..12),
        whole_code in any::<bool>(),
    ) {
        let (engine, reference) = engine_and_reference(&patterns, whole_code);
        for text in &texts {
            prop_assert_eq!(matched(&engine, text), expected(&reference, text), "text {:?}", text);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Many patterns behind one literal prefix: the bucket is crowded and its patterns are
    /// found again by their suffixes.
    #[test]
    fn a_crowded_prefix_agrees_with_the_regex_crate(
        patterns in prop::collection::vec(pattern(), 9..40),
        texts in prop::collection::vec(text(), 1..12),
        whole_code in any::<bool>(),
    ) {
        let patterns: Vec<String> =
            patterns.iter().map(|p| format!("AB{}", p.trim_start_matches('^'))).collect();
        let (engine, reference) = engine_and_reference(&patterns, whole_code);
        for text in &texts {
            for text in [text.clone(), format!("AB{text}"), format!("xAB{text}")] {
                prop_assert_eq!(matched(&engine, &text), expected(&reference, &text), "text {:?}", text);
            }
        }
    }
}
