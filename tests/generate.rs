//! Generated codes (SPEC §11) against a brute-force oracle: tiny template spaces, enumerated
//! whole, over registries of exact codes, restricted codes and regex families of other owners
//! (prefixless ones included), some of whose schedules end before the window asked.

use promo_attribution::generate::{GenerateRequest, Template};
use promo_attribution::{Code, CodeId, ErrorKind, PartnerId, Registry, Timestamp, Window};
use proptest::prelude::*;

const PARTNER: PartnerId = PartnerId(1);
/// Templates of 9 to 27 texts over the alphabet `ABC`.
const TEMPLATES: &[&str] = &["P{2}", "{2}-X", "{3}", "Q{1}Q"];
const PATTERNS: &[&str] = &[
    "P[AB]+", ".*A.*", "(?i)pc.", "[ABC]{3}", "C.*", ".B-X", "[^A]+", "QBQ|QAQ",
];

fn start() -> Timestamp {
    Timestamp::from_unix_seconds(100)
}

/// Every text the template spells, over the alphabet `ABC`.
fn space(template: &str) -> Vec<String> {
    let (before, rest) = template.split_once('{').unwrap();
    let (run, after) = rest.split_once('}').unwrap();
    let mut texts = vec![String::new()];
    for _ in 0..run.parse::<usize>().unwrap() {
        texts = texts
            .iter()
            .flat_map(|t| ['A', 'B', 'C'].map(|c| format!("{t}{c}")))
            .collect();
    }
    texts
        .into_iter()
        .map(|t| format!("{before}{t}{after}"))
        .collect()
}

#[derive(Debug, Clone)]
enum Registered {
    /// An exact code of one of the template's texts (lower case or not), of us or another
    /// owner, maybe ended before the window asked.
    Exact(usize, bool, bool, bool),
    Restricted(usize),
    /// A regex code, of us or another owner.
    Regex(usize, bool),
}

fn registered() -> impl Strategy<Value = Registered> {
    prop_oneof![
        (0usize..27, any::<bool>(), any::<bool>(), any::<bool>())
            .prop_map(|(t, lower, ours, ended)| Registered::Exact(t, lower, ours, ended)),
        (0usize..27).prop_map(Registered::Restricted),
        (0..PATTERNS.len(), any::<bool>()).prop_map(|(p, ours)| Registered::Regex(p, ours)),
    ]
}

/// The registry, and whether a text is free by brute force.
fn build(texts: &[String], specs: &[Registered]) -> (Registry, impl Fn(&str) -> bool) {
    let mut registry = Registry::default();
    let mut exact: Vec<String> = Vec::new();
    let mut families: Vec<regex::Regex> = Vec::new();
    for (id, spec) in specs.iter().enumerate() {
        let id = CodeId(id as u64);
        let ended = Window::until(start());
        let (code, accepted): (Code, _) = match *spec {
            Registered::Exact(t, lower, ours, ended_before) => {
                let text = &texts[t % texts.len()];
                let text = if lower {
                    text.to_lowercase()
                } else {
                    text.clone()
                };
                let owner = if ours { PARTNER } else { PartnerId(2) };
                let mut code = Code::tracking(id, text.clone(), owner);
                if ended_before {
                    code = code.window(ended);
                }
                (code.into(), (!ended_before).then(|| text.to_lowercase()))
            }
            Registered::Restricted(t) => {
                let text = &texts[t % texts.len()];
                (
                    Code::restricted(id, text.clone()).into(),
                    Some(text.to_lowercase()),
                )
            }
            Registered::Regex(p, ours) => {
                let owner = if ours { PARTNER } else { PartnerId(3) };
                (Code::tracking(id, PATTERNS[p], owner).regex().into(), None)
            }
        };
        if registry.add(code).is_ok() {
            match *spec {
                Registered::Regex(p, false) => {
                    families.push(regex::Regex::new(&format!("^(?:{})$", PATTERNS[p])).unwrap());
                }
                _ => exact.extend(accepted),
            }
        }
    }
    let free = move |text: &str| {
        let spellings = [text.to_owned(), text.to_lowercase(), text.to_uppercase()];
        !exact.contains(&text.to_lowercase())
            && !families
                .iter()
                .any(|family| spellings.iter().any(|s| family.is_match(s)))
    };
    (registry, free)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_codes_are_free_distinct_and_reproducible(
        template in 0..TEMPLATES.len(),
        specs in prop::collection::vec(registered(), 0..16),
        count in 1usize..12,
        seed in any::<u64>(),
    ) {
        let texts = space(TEMPLATES[template]);
        let (mut registry, free) = build(&texts, &specs);
        let engine = registry.compile().unwrap();
        let template = Template::parse(TEMPLATES[template]).unwrap().alphabet("ABC").unwrap();
        let request = GenerateRequest::new(PARTNER, template, count)
            .window(Window::starting_at(start()))
            .seed(seed);
        let free_texts = texts.iter().filter(|t| free(t)).count();
        match engine.generate(&request) {
            Ok(generated) => {
                prop_assert_eq!(generated.texts().len(), count);
                let mut seen: Vec<String> = Vec::new();
                for text in generated.texts() {
                    prop_assert!(texts.contains(text), "{} is not of the template", text);
                    prop_assert!(free(text), "{} collides with a registered code", text);
                    prop_assert!(engine.check_available(text, PARTNER, request.window).unwrap().is_available());
                    prop_assert!(!seen.contains(&text.to_lowercase()), "{} twice", text);
                    seen.push(text.to_lowercase());
                }
                prop_assert!(generated.draws() >= count);
                prop_assert_eq!(engine.generate(&request).unwrap(), generated.clone());
                // Registered in one batch, under the ids asked for.
                let before = registry.len();
                let codes = registry.add_generated(&engine, &request, CodeId(1_000), "generated").unwrap();
                prop_assert_eq!(registry.len(), before + count);
                let registered: Vec<&str> = codes.iter().map(Code::text).collect();
                prop_assert_eq!(registered, generated.texts().iter().map(String::as_str).collect::<Vec<_>>());
            }
            Err(err) => {
                prop_assert_eq!(err.kind(), ErrorKind::NamespaceExhausted);
                // Only fewer free texts than asked make it certain; else draws ran out.
                if count > free_texts {
                    let len = registry.len();
                    prop_assert!(registry.add_generated(&engine, &request, CodeId(1_000), "x").is_err());
                    prop_assert_eq!(registry.len(), len);
                }
            }
        }
        // Fewer free texts than asked can never succeed.
        if count > free_texts {
            prop_assert!(engine.generate(&request).is_err());
        }
    }
}

#[test]
fn templates_say_what_is_wrong_with_them() {
    let cases = [
        (
            "BOB",
            "template \"BOB\": it has no run of random characters, such as {6}",
        ),
        (
            "BOB-{6",
            "template \"BOB-{6\": the run of random characters is not closed by }",
        ),
        (
            "{2}-{3}",
            "template \"{2}-{3}\": braces may only enclose one run of random characters",
        ),
        (
            "B{0}",
            "template \"B{0}\": a run of random characters is {1} to {32} long",
        ),
        (
            "B{+3}",
            "template \"B{+3}\": a run of random characters is {1} to {32} long",
        ),
    ];
    for (template, message) in cases {
        let err = Template::parse(template).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidTemplate, "{template}");
        assert_eq!(err.to_string(), message);
    }
    let long = format!("{}{{32}}", "X".repeat(230));
    let err = Template::parse(&long).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidTemplate);
    let message = "(234 bytes): a code it spells would be refused: code is 262 bytes long, the limit is 256 bytes";
    assert!(err.to_string().ends_with(message), "{err}");
    let err = Template::parse("B{3}")
        .unwrap()
        .alphabet("AbB")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "template \"B{3}\": the alphabet holds 'b' and 'B', one character ignoring case"
    );
    assert_eq!(Template::parse(" P-{8} ").unwrap().to_string(), "P-{8}");
    // A vanity base is given alone first: it must be a code by itself.
    let err = Template::vanity("  ").unwrap_err();
    assert_eq!(
        err.to_string(),
        "template \"\": a code it spells would be refused: code is empty after trimming white space"
    );
}

#[test]
fn exhaustion_and_taken_vanity_bases_are_errors_that_name_the_template() {
    let mut registry = Registry::default();
    registry
        .add(Code::tracking(CodeId(1), "BOB15", PartnerId(2)))
        .unwrap();
    // Every two-character suffix of BOB15 is another owner's.
    registry
        .add(Code::tracking(CodeId(2), "BOB15..", PartnerId(2)).regex())
        .unwrap();
    let engine = registry.compile().unwrap();
    let vanity = GenerateRequest::new(PARTNER, Template::vanity("bob15").unwrap(), 1);
    let err = engine.generate(&vanity).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NamespaceExhausted);
    assert_eq!(
        err.to_string(),
        "namespace exhausted: vanity base \"bob15\" is taken, and so are the texts with 2 random \
         characters tried (0 of 1 codes found)"
    );
    let small = Template::parse("Z{1}").unwrap().alphabet("XY").unwrap();
    let err = engine
        .generate(&GenerateRequest::new(PARTNER, small, 3))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "namespace exhausted: template \"Z{1}\" spells 2 texts, fewer than the 3 codes asked"
    );
    // A free vanity base is given as it is, then with suffixes.
    let free = GenerateRequest::new(PARTNER, Template::vanity("ANN20").unwrap(), 3).seed(1);
    let texts = engine.generate(&free).unwrap().into_texts();
    assert_eq!(texts[0], "ANN20");
    assert!(
        texts[1..]
            .iter()
            .all(|t| t.starts_with("ANN20") && t.len() == 7)
    );
}

#[test]
fn ids_past_the_largest_are_refused_before_anything_is_generated() {
    let mut registry = Registry::default();
    let engine = registry.compile().unwrap();
    let request = GenerateRequest::new(PARTNER, Template::parse("P{4}").unwrap(), 3);
    let err = registry
        .add_generated(&engine, &request, CodeId(u64::MAX - 1), "x")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    assert_eq!(
        err.to_string(),
        format!("ids from {} for 3 codes pass the largest id", u64::MAX - 1)
    );
    let codes = registry
        .add_generated(&engine, &request, CodeId(u64::MAX - 2), "x")
        .unwrap();
    assert_eq!(codes.last().unwrap().id(), CodeId(u64::MAX));
    assert_eq!(registry.len(), 3);
}

#[test]
fn a_half_full_space_takes_about_two_draws_per_code() {
    // Half of the 961 texts of P{2} taken by another owner's exact codes.
    let mut registry = Registry::default();
    let texts = {
        let alphabet: Vec<char> = promo_attribution::generate::DEFAULT_ALPHABET
            .chars()
            .collect();
        let mut texts = Vec::new();
        for a in &alphabet {
            for b in &alphabet {
                texts.push(format!("P{a}{b}"));
            }
        }
        texts
    };
    for (i, text) in texts.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        registry
            .add(Code::tracking(CodeId(i as u64), text.clone(), PartnerId(2)))
            .unwrap();
    }
    let engine = registry.compile().unwrap();
    let request = GenerateRequest::new(PARTNER, Template::parse("P{2}").unwrap(), 100).seed(3);
    let generated = engine.generate(&request).unwrap();
    // Half taken, and each code found takes one more: between 2 and 3 draws a code on average.
    assert!(
        (150..=320).contains(&generated.draws()),
        "{}",
        generated.draws()
    );
}
