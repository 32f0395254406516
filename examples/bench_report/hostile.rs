//! The hostile-input figures (issue 15): registries and codes built to make a lookup, a compile
//! or the conflict report do as much work as it can.

use std::hint::black_box;
use std::time::Instant;

use promo_attribution::conflicts::Conflict;
use promo_attribution::settings::RegexAnchoring;
use promo_attribution::{Code, CodeId, Conversion, PartnerId, Registry, Settings, Timestamp};
use serde_json::{Value, json};

use super::{live_bytes, median_ns, peak_bytes, reset_peak, round1};

/// How many times each timed code is looked up per round.
const CALLS: usize = 2_000;

fn registry(anchoring: RegexAnchoring, patterns: impl Iterator<Item = String>) -> Registry {
    let mut settings = Settings::default();
    settings.regex_anchoring = anchoring;
    registry_with(settings, patterns)
}

fn registry_with(settings: Settings, patterns: impl Iterator<Item = String>) -> Registry {
    let mut registry = Registry::new(settings);
    let codes: Vec<Code> = patterns
        .enumerate()
        .map(|(i, p)| {
            Code::tracking(CodeId(i as u64), p, PartnerId(i as u64))
                .regex()
                .into()
        })
        .collect();
    registry.add_all(codes).expect("the patterns are valid");
    registry
}

/// Nanoseconds per one-code order, the codes taken in turn.
fn per_order(engine: &promo_attribution::Engine, at: Timestamp, codes: &[String]) -> f64 {
    median_ns(CALLS, || {
        for i in 0..CALLS {
            let code = [black_box(codes[i % codes.len()].as_str())];
            black_box(&engine.attribute(&Conversion::new(at).codes(&code)));
        }
    })
}

/// The conflict report on whole-code regex codes of these patterns, each another partner's:
/// milliseconds, the peak of the memory it took, and what it found.
fn timed_conflicts(patterns: impl Iterator<Item = String>) -> (f64, isize, Vec<Conflict>) {
    let engine = registry(RegexAnchoring::WholeCode, patterns)
        .compile()
        .expect("compiles");
    reset_peak();
    let base = live_bytes();
    let start = Instant::now();
    let conflicts = engine.conflicts();
    let ms = start.elapsed().as_secs_f64() * 1e3;
    (ms, peak_bytes() - base, conflicts)
}

pub(crate) fn figures(at: Timestamp) -> Value {
    // Search anchoring, one pattern whose prefix fills the code: it used to be checked once per
    // occurrence, each time to the end of the code.
    let search = registry(RegexAnchoring::Search, std::iter::once("A+B".to_owned()))
        .compile()
        .expect("compiles");
    let short = per_order(&search, at, &["A".repeat(25)]);
    let long = per_order(&search, at, &["A".repeat(256)]);
    // The same with 100 patterns `A+B<i>` under the one prefix.
    let search_100 = registry(RegexAnchoring::Search, (0..100).map(|i| format!("A+B{i}")))
        .compile()
        .expect("compiles");
    let short_100 = per_order(&search_100, at, &["A".repeat(25)]);
    let long_100 = per_order(&search_100, at, &["A".repeat(256)]);

    // 100,000 codes of one family under one prefix.
    let family = registry(
        RegexAnchoring::WholeCode,
        (0..100_000).map(|i| format!(r"^P\d{{4}}-{i}$")),
    );
    let start = Instant::now();
    let engine = family.compile().expect("compiles");
    let compile_ms = start.elapsed().as_secs_f64() * 1e3;
    let hits: Vec<String> = (0..1_000)
        .map(|i| format!("P{:04}-{}", i, i * 97 % 100_000))
        .collect();
    let misses: Vec<String> = (0..1_000).map(|i| format!("P{:04}-x{i}", i)).collect();
    let shared_hit = per_order(&engine, at, &hits);
    let shared_miss = per_order(&engine, at, &misses);
    drop((engine, family));

    // 10,000 codes without a literal prefix, searched for anywhere in the code, on Cyrillic.
    let prefixless = registry(
        RegexAnchoring::Search,
        (0..10_000).map(|i| format!(r"\w{{12}}{i}")),
    );
    let engine = prefixless.compile().expect("compiles");
    let cyrillic: Vec<String> = (0..1_000)
        .map(|i| format!("промокодыпромо{}", i * 7 % 10_000))
        .collect();
    let plain: Vec<String> = (0..1_000).map(|_| "промокодыпромо".to_owned()).collect();
    // One digit: the code ends with exactly one code's suffix, and matches that code alone.
    let single: Vec<String> = (0..10).map(|i| format!("промокодыпромо{i}")).collect();
    let prefixless_hit = per_order(&engine, at, &cyrillic);
    let prefixless_single = per_order(&engine, at, &single);
    let prefixless_miss = per_order(&engine, at, &plain);
    drop((engine, prefixless));

    // The conflict report on 10,000 codes of one family, every one another partner's.
    let (conflicts_ms, conflicts_peak, conflicts) =
        timed_conflicts((0..10_000).map(|i| format!(r"^P\d{{4}}-{i}$")));
    // On 300 codes of a Unicode class, `\w{12}N`, every one another partner's: their automata
    // are large, and the report keeps one per code it compares.
    let (unicode_ms, unicode_peak, unicode_conflicts) =
        timed_conflicts((0..300).map(|i| format!(r"\w{{12}}{i}")));
    // The same class where neither lengths nor suffixes tell the codes apart, so that every
    // pair's automata are built and searched together: 30 codes `\w{12}(?:N|Z)`, all sharing
    // `Z` (435 products).
    let (forced_ms, forced_peak, forced_conflicts) =
        timed_conflicts((0..30).map(|i| format!(r"\w{{12}}(?:{i}|Z)")));

    // SPEC §12: an order of 10,000 entered codes, each matched by all of 1,000 regex codes,
    // under the default limits; the full decision, diagnostics and all.
    let crowd_patterns = || (0..1_000).map(|i| format!(r"HOT\d*(?:X{i}Y)?"));
    let crowd = registry(RegexAnchoring::WholeCode, crowd_patterns());
    let engine = crowd.compile().expect("compiles");
    let entered: Vec<String> = (0..10_000).map(|i| format!("HOT{i}")).collect();
    let order = Conversion::new(at).codes(&entered);
    let mut samples = Vec::new();
    let mut decision = None;
    for _ in 0..5 {
        let start = Instant::now();
        decision = Some(black_box(engine.attribute(&order)));
        samples.push(start.elapsed().as_secs_f64() * 1e3);
    }
    samples.sort_by(f64::total_cmp);
    let crowd_ms = samples[samples.len() / 2];
    let (kept, left_out) = decision.map_or((0, 0), |d| {
        (d.other_matches().len(), d.other_matches_left_out())
    });
    drop((engine, crowd));
    // The same order without limits, once: what the limits bound.
    let mut unlimited = Settings::default();
    unlimited.max_entered_codes = usize::MAX;
    unlimited.max_other_matches = usize::MAX;
    let crowd = registry_with(unlimited, crowd_patterns());
    let engine = crowd.compile().expect("compiles");
    let start = Instant::now();
    black_box(engine.attribute(&order));
    let unlimited_ms = start.elapsed().as_secs_f64() * 1e3;
    drop((engine, crowd));

    json!({
        "order_10k_entered_codes_unlimited_ms": round1(unlimited_ms),
        "order_10k_entered_codes_ms": round1(crowd_ms),
        "order_10k_entered_codes_other_matches_kept": kept,
        "order_10k_entered_codes_other_matches_left_out": left_out,
        "search_256b_code_vs_25b": round1(long / short),
        "search_25b_ns": round1(short),
        "search_256b_ns": round1(long),
        "search_100_patterns_256b_code_vs_25b": round1(long_100 / short_100),
        "search_100_patterns_256b_ns": round1(long_100),
        "shared_prefix_100k_ns": round1(shared_hit),
        "shared_prefix_100k_miss_ns": round1(shared_miss),
        "compile_shared_prefix_100k_ms": compile_ms.round(),
        "prefixless_10k_ns": round1(prefixless_hit),
        "prefixless_10k_ns_note": "each code ends in 1 to 4 digits, and every digit substring is some code's suffix: about 10 codes truly match, and each is checked",
        "prefixless_10k_single_match_ns": round1(prefixless_single),
        "prefixless_10k_miss_ns": round1(prefixless_miss),
        "conflicts_shared_prefix_10k_ms": conflicts_ms.round(),
        "conflicts_shared_prefix_10k_peak_bytes": conflicts_peak,
        "conflicts_shared_prefix_10k_found": conflicts.len(),
        "conflicts_unicode_class_300_ms": unicode_ms.round(),
        "conflicts_unicode_class_300_peak_bytes": unicode_peak,
        "conflicts_unicode_class_300_found": unicode_conflicts.len(),
        "conflicts_unicode_class_30_products_ms": forced_ms.round(),
        "conflicts_unicode_class_30_products_peak_bytes": forced_peak,
        "conflicts_unicode_class_30_products_found": forced_conflicts.len(),
    })
}
