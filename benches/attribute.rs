//! `attribute()` against naive baselines in the same groups.
//!
//! ```text
//! cargo bench --bench attribute
//! ```
//!
//! Registries are generated from a fixed seed and built outside the timed loops; inputs and
//! results go through `black_box`. The baselines are what a first implementation would write:
//! a `HashMap<String, _>` probed with `to_lowercase()`, and one `RegexSet` over every pattern.

// A generated fixture that fails to build is a bug in the bench: panicking is the report.
#![allow(clippy::expect_used)]

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use promo_attribution::{Code, CodeId, Conversion, Engine, PartnerId, Registry, Timestamp};

const EXACT: usize = 10_000;
const REGEX: usize = 1_000;

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn code(&mut self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let len = 6 + (self.next() % 11) as usize;
        (0..len)
            .map(|_| ALPHABET[(self.next() % 32) as usize] as char)
            .collect()
    }
}

struct Fixture {
    engine: Engine,
    exact: Vec<String>,
    patterns: Vec<String>,
}

fn fixture() -> Fixture {
    let mut rng = Rng(0x5EED);
    let mut exact: Vec<String> = Vec::with_capacity(EXACT);
    let mut seen = std::collections::HashSet::new();
    while exact.len() < EXACT {
        let code = rng.code();
        if seen.insert(code.clone()) {
            exact.push(code);
        }
    }
    let shapes = [
        r"^P{i}\d+$",
        r"^P{i}[0-9]{4}$",
        r"^P{i}-[A-Z0-9]{6}$",
        r"^P{i}(20|25|50)OFF$",
    ];
    let patterns: Vec<String> = (0..REGEX)
        .map(|i| shapes[i % shapes.len()].replace("{i}", &format!("R{i}X")))
        .collect();
    let mut registry = Registry::default();
    let codes = exact
        .iter()
        .enumerate()
        .map(|(i, text)| {
            Code::tracking(CodeId(i as u64), text.as_str(), PartnerId(i as u64 % 500)).into()
        })
        .chain(patterns.iter().enumerate().map(|(i, p)| {
            Code::tracking(
                CodeId((EXACT + i) as u64),
                p.as_str(),
                PartnerId(i as u64 % 50),
            )
            .regex()
            .into()
        }));
    registry
        .add_all(codes)
        .expect("the generated registry is valid");
    Fixture {
        engine: registry.compile().expect("the generated registry compiles"),
        exact,
        patterns,
    }
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let at = Timestamp::from_unix_seconds(1_773_144_000);
    let naive_exact: HashMap<String, usize> = f
        .exact
        .iter()
        .enumerate()
        .map(|(i, s)| (s.to_lowercase(), i))
        .collect();
    let naive_regex = regex::RegexSet::new(&f.patterns).expect("patterns compile");

    let hot = f.exact[EXACT / 2].to_lowercase();
    let mut rng = Rng(7);
    let random: Vec<String> = (0..1024)
        .map(|_| f.exact[(rng.next() % EXACT as u64) as usize].clone())
        .collect();
    let miss = "NOTACODE42".to_owned();
    let regex_hit = "PR500X12345".to_owned();
    let regex_near_miss = "PR500X12345Q".to_owned();

    let mut group = c.benchmark_group("exact");
    group.bench_function("engine/hot", |b| {
        b.iter(|| {
            black_box(
                f.engine
                    .attribute(&Conversion::new(at).codes(&[black_box(hot.as_str())])),
            )
        })
    });
    let mut i = 0;
    group.bench_function("engine/random", |b| {
        b.iter(|| {
            i = (i + 1) % random.len();
            black_box(
                f.engine
                    .attribute(&Conversion::new(at).codes(&[black_box(random[i].as_str())])),
            )
        })
    });
    group.bench_function("engine/miss", |b| {
        b.iter(|| {
            black_box(
                f.engine
                    .attribute(&Conversion::new(at).codes(&[black_box(miss.as_str())])),
            )
        })
    });
    group.bench_function("naive_hashmap/hot", |b| {
        b.iter(|| black_box(naive_exact.get(&black_box(hot.as_str()).trim().to_lowercase())))
    });
    group.finish();

    let mut group = c.benchmark_group("regex_1k");
    group.bench_function("engine/hit", |b| {
        b.iter(|| {
            black_box(
                f.engine
                    .attribute(&Conversion::new(at).codes(&[black_box(regex_hit.as_str())])),
            )
        })
    });
    group.bench_function("engine/near_miss", |b| {
        b.iter(|| {
            black_box(
                f.engine
                    .attribute(&Conversion::new(at).codes(&[black_box(regex_near_miss.as_str())])),
            )
        })
    });
    group.bench_function("naive_regexset/hit", |b| {
        b.iter(|| black_box(naive_regex.matches(black_box(regex_hit.as_str()))))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
