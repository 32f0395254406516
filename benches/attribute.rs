//! `attribute()` against naive baselines in the same groups.
//!
//! ```text
//! cargo bench -p promo-attribution-benches                        # everything, about 10 minutes
//! cargo bench -p promo-attribution-benches -- exact_100k          # one group
//! ```
//!
//! Registries and inputs come from `promo_attribution_testkit::workload` (fixed seeds) and are
//! built outside the timed loops; inputs are stored back to back and walked in order; inputs
//! and results go through `black_box`. The baselines are what a first implementation would write: a
//! `HashMap<String, _>` probed with `to_lowercase()`, and one `RegexSet` over every pattern.
//! The `bench_report` example measures the 1,000,000 + 10,000 registry in one process.

// A generated fixture that fails to build is a bug in the bench: panicking is the report.
#![allow(clippy::expect_used)]

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};
use promo_attribution::{Conversion, Engine, Timestamp};
use promo_attribution_testkit::workload::{self, PackedTexts, Rng};

const QUERIES: usize = 4096;

fn at() -> Timestamp {
    Timestamp::from_unix_seconds(workload::ORDER_AT)
}

/// Times one attribution per input, cycling through `texts`.
fn engine_case(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    engine: &Engine,
    texts: &PackedTexts,
) {
    let mut i = 0;
    group.bench_function(name, |b| {
        b.iter(|| {
            i = (i + 1) % texts.len();
            let code = [black_box(texts.get(i))];
            // By reference: returning the decision would time a copy of it too.
            black_box(&engine.attribute(&Conversion::new(at()).codes(&code)));
        })
    });
}

fn exact_group(c: &mut Criterion, n: usize, label: &str) {
    let exact = workload::exact_codes(n, 0x5EED);
    let regex = workload::regex_codes(1_000, 0xFACE);
    let engine = workload::registry(&exact, &regex)
        .compile()
        .expect("the generated registry compiles");
    let random = workload::sample(&exact, QUERIES, 1);
    let hot = PackedTexts::new(exact[..8].iter().cloned().cycle().take(QUERIES));
    let mixed = PackedTexts::new(workload::mixed_case(&random, 2));
    let misses = PackedTexts::new(workload::misses(&exact, QUERIES, 3));
    let random = PackedTexts::new(random);
    let naive: HashMap<String, u32> = exact
        .iter()
        .enumerate()
        .map(|(i, s)| (s.to_lowercase(), i as u32))
        .collect();

    let mut group = c.benchmark_group(label);
    engine_case(&mut group, "engine/hot", &engine, &hot);
    engine_case(&mut group, "engine/random", &engine, &random);
    engine_case(&mut group, "engine/mixed_case", &engine, &mixed);
    engine_case(&mut group, "engine/miss", &engine, &misses);
    for (name, texts) in [
        ("naive_hashmap/hot", &hot),
        ("naive_hashmap/random", &random),
        ("naive_hashmap/miss", &misses),
    ] {
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % texts.len();
                black_box(naive.get(&black_box(texts.get(i)).trim().to_lowercase()))
            })
        });
    }
    group.finish();
}

fn regex_group(c: &mut Criterion, n: usize, label: &str) {
    let exact = workload::exact_codes(100_000, 0x5EED);
    let regex = workload::regex_codes(n, 0xFACE);
    let engine = workload::registry(&exact, &regex)
        .compile()
        .expect("the generated registry compiles");
    let prefixed: Vec<&workload::RegexCode> = regex.iter().filter(|r| r.prefixed).collect();
    let mut rng = Rng(4);
    let picks: Vec<&workload::RegexCode> = (0..QUERIES)
        .map(|_| prefixed[rng.below(prefixed.len())])
        .collect();
    let hits = PackedTexts::new(picks.iter().map(|r| r.hit.clone()));
    let near = PackedTexts::new(picks.iter().map(|r| r.near_miss.clone()));
    let misses = PackedTexts::new(workload::regex_misses(&regex, QUERIES, 5));
    // Raised so that 10k patterns compile; every other setting as a first implementation
    // would leave it.
    let set = regex::RegexSetBuilder::new(regex.iter().map(|r| r.pattern.as_str()))
        .size_limit(1 << 30)
        .build()
        .expect("patterns compile");

    let mut group = c.benchmark_group(label);
    engine_case(&mut group, "engine/hit", &engine, &hits);
    engine_case(&mut group, "engine/near_miss", &engine, &near);
    engine_case(&mut group, "engine/miss", &engine, &misses);
    let mut i = 0;
    group.bench_function("naive_regexset/hit", |b| {
        b.iter(|| {
            i = (i + 1) % hits.len();
            black_box(set.matches(black_box(hits.get(i))))
        })
    });
    group.finish();
}

fn orders_group(c: &mut Criterion) {
    let exact = workload::exact_codes(100_000, 0x5EED);
    let regex = workload::regex_codes(1_000, 0xFACE);
    let engine = workload::registry(&exact, &regex)
        .compile()
        .expect("the generated registry compiles");
    let texts = PackedTexts::new(
        workload::sample(&exact, QUERIES / 2, 1)
            .into_iter()
            .chain(workload::misses(&exact, QUERIES / 4, 3))
            .chain(regex.iter().take(QUERIES / 4).map(|r| r.hit.clone())),
    );
    let orders = workload::orders(1024, 6, |rng| texts.get(rng.below(texts.len())));
    let mut group = c.benchmark_group("orders_100k_1k");
    let mut i = 0;
    group.bench_function("engine/0_to_3_codes_0_to_8_clicks", |b| {
        b.iter(|| {
            i = (i + 1) % orders.len();
            let (codes, clicks) = &orders[i];
            black_box(
                &engine.attribute(&Conversion::new(at()).codes(black_box(codes)).clicks(clicks)),
            );
        })
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    exact_group(c, 10_000, "exact_10k");
    exact_group(c, 100_000, "exact_100k");
    exact_group(c, 1_000_000, "exact_1m");
    regex_group(c, 1_000, "regex_1k");
    regex_group(c, 10_000, "regex_10k");
    orders_group(c);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
