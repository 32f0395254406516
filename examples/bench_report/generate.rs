//! Generated codes (issue 24): 100,000 codes generated and registered into the full registry,
//! the cost per code against a small and the full registry, and the draws per code when half a
//! template's space is taken.

use std::time::Instant;

use promo_attribution::generate::{DEFAULT_ALPHABET, GenerateRequest, Template};
use promo_attribution::{Code, CodeId, Engine, PartnerId, Registry};
use serde_json::{Value, json};

use super::{median_of, round1};

/// A partner no workload code belongs to.
const PARTNER: PartnerId = PartnerId(900_001);

fn request(count: usize, seed: u64) -> GenerateRequest {
    let template = Template::parse("P-{8}").expect("a valid template");
    GenerateRequest::new(PARTNER, template, count).seed(seed)
}

/// Nanoseconds per code of generating 10,000 codes against `engine`, median of five.
fn ns_per_code(engine: &Engine) -> f64 {
    let samples = (0..5)
        .map(|seed| {
            let start = Instant::now();
            let generated = engine.generate(&request(10_000, seed)).expect("generates");
            let ns = start.elapsed().as_secs_f64() * 1e9 / generated.texts().len() as f64;
            std::hint::black_box(generated);
            ns
        })
        .collect();
    median_of(samples)
}

/// The figures: `full` is the 1M + 10k registry and `engine` its engine; `small` a registry of
/// 10k exact codes and the same regex codes.
pub(crate) fn figures(full: &Registry, engine: &Engine, small: &Registry) -> Value {
    let first = CodeId(full.codes().map(|c| c.id().0 + 1).max().unwrap_or(0));
    let mut registered = Vec::new();
    for seed in 0..3 {
        let mut copy = full.clone();
        let start = Instant::now();
        let codes = copy
            .add_generated(engine, &request(100_000, seed), first, "bench")
            .expect("100,000 free codes");
        registered.push(start.elapsed().as_secs_f64() * 1e3);
        assert_eq!(codes.len(), 100_000);
    }
    let full_ns = ns_per_code(engine);
    let small_ns = ns_per_code(&small.compile().expect("compiles"));

    // Half of the 29,791 texts of H-{3} taken by another partner; 1,000 codes generated.
    let alphabet: Vec<char> = DEFAULT_ALPHABET.chars().collect();
    let mut half = Registry::default();
    let mut id = 0u64;
    for a in &alphabet {
        for b in &alphabet {
            for c in &alphabet {
                id += 1;
                if id % 2 == 0 {
                    let code = Code::tracking(CodeId(id), format!("H-{a}{b}{c}"), PartnerId(2));
                    half.add(code).expect("distinct texts");
                }
            }
        }
    }
    let template = Template::parse("H-{3}").expect("a valid template");
    let generated = half
        .compile()
        .expect("compiles")
        .generate(&GenerateRequest::new(PARTNER, template, 1_000).seed(1))
        .expect("half the space is free");
    json!({
        "codes_100k_ms": round1(median_of(registered)),
        "ns_per_code_1m_registry": round1(full_ns),
        "ns_per_code_10k_registry": round1(small_ns),
        "ns_per_code_10k_vs_1m_registry": hundredths(full_ns / small_ns),
        "draws_per_code_half_full": hundredths(generated.draws() as f64 / 1_000.0),
    })
}

fn hundredths(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
