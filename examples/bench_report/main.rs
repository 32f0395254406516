//! Measures the engine at scale — 1,000,000 exact codes and 10,000 regex codes — against naive
//! baselines in the same process, and prints one JSON object with every figure.
//!
//! ```text
//! cargo run --release --example bench_report            # the full report, about a minute
//! cargo run --release --example bench_report -- --quick # 100k + 1k, a smoke test
//! ```
//!
//! `BENCH_REPORT_PROFILE=hostile` prints the hostile-input figures alone (the `hostile` key);
//! `BENCH_REPORT_PROFILE=changes` the order-change figures alone (the `changes` key);
//! `BENCH_REPORT_PROFILE=generate` the generated-code figures alone (the `generate` key);
//! `BENCH_REPORT_PROFILE=restart` the restart figures alone (the `restart` key; this program
//! runs itself again to load the snapshot in a fresh process);
//! `BENCH_REPORT_PROFILE=timelines` the figures of changes against long histories alone (part
//! of the `live` key), on the registry of the size asked for.
//! `BENCH_REPORT_PROFILE=hot|random|miss|regex_hit|regex_near_miss|regex_miss|batch_random|
//! batch_regex_hit` loops on one kind of query and prints nothing, for `perf record`; `BENCH_REPORT_ROUNDS=N` sets how many passes
//! over the 65,536 queries it makes (200 by default). `BENCH_REPORT_PROFILE=times` prints the
//! single-code timings alone, on stderr.
//!
//! Each timing is the median over several rounds of the mean time per call within a round;
//! a round walks a pre-generated, contiguous list of inputs, so that neither generation nor
//! allocation of inputs is timed. Memory comes from a counting global allocator: the bytes
//! still allocated after building an engine, minus those before.

#![allow(unsafe_code)]
// A fixture that fails to build is a bug in this program: panicking is the report.
#![allow(clippy::expect_used)]

mod generate;
mod hostile;
mod timelines;

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use promo_attribution::monitoring::PageScanner;
use promo_attribution::{
    Change, Code, CodeId, Conversion, Engine, PartnerId, Registry, Timestamp, Window,
};
use promo_attribution_testkit::workload::{self, PackedTexts, RegexCode, Rng};
use serde_json::{Value, json};

struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);
/// The most `LIVE_BYTES` has been since it was last reset.
static PEAK_BYTES: AtomicIsize = AtomicIsize::new(0);

fn grew(by: isize) {
    let now = LIVE_BYTES.fetch_add(by, Ordering::Relaxed) + by;
    PEAK_BYTES.fetch_max(now, Ordering::Relaxed);
}

// Delegating to `System` is the whole implementation; `unsafe` is the trait's own contract.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size() as isize);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grew(new_size as isize - layout.size() as isize);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live_bytes() -> isize {
    LIVE_BYTES.load(Ordering::Relaxed)
}

/// Starts a new peak from what is allocated now.
fn reset_peak() {
    PEAK_BYTES.store(live_bytes(), Ordering::Relaxed);
}

fn peak_bytes() -> isize {
    PEAK_BYTES.load(Ordering::Relaxed)
}

const ROUNDS: usize = 11;
const QUERIES: usize = 1 << 16;

/// The median over `ROUNDS` rounds of the mean nanoseconds per item in a round.
fn median_ns(items: usize, mut round: impl FnMut()) -> f64 {
    round(); // warm up
    let mut samples: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            round();
            start.elapsed().as_nanos() as f64 / items as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[ROUNDS / 2]
}

/// The median wall time of `runs` runs of `f`, which builds something and returns it.
fn median_build<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        drop(last.take());
        let start = Instant::now();
        let built = f();
        times.push(start.elapsed());
        last = Some(built);
    }
    times.sort();
    (times[runs / 2], last.expect("runs > 0"))
}

fn attribute_each(engine: &Engine, at: Timestamp, texts: &PackedTexts) -> impl FnMut() {
    move || {
        for i in 0..texts.len() {
            let code = [black_box(texts.get(i))];
            // By reference: passing the decision by value would time a copy of it too.
            black_box(&engine.attribute(&Conversion::new(at).codes(&code)));
        }
    }
}

/// Progress on stderr, so that stdout stays one JSON object.
fn phase(started: Instant, what: &str) {
    eprintln!("[{:6.1}s] {what}", started.elapsed().as_secs_f64());
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(str::trim)
        .unwrap_or("unknown");
    json!({
        "cpu": model,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
    })
}

/// The cost of one dependent memory access that misses every cache, the floor under a random
/// lookup in a large table: a chase through a random cycle over `bytes` of `u32` links
/// (Sattolo's shuffle, so the cycle visits every slot), median over rounds of the mean step.
fn dependent_miss_ns(bytes: usize) -> f64 {
    let n = bytes / size_of::<u32>();
    let mut next: Vec<u32> = (0..n as u32).collect();
    let mut rng = Rng(9);
    for i in (1..n).rev() {
        next.swap(i, rng.below(i));
    }
    let steps = 1 << 20;
    let mut at = 0u32;
    median_ns(steps, || {
        for _ in 0..steps {
            at = next[at as usize];
        }
        black_box(at);
    })
}

/// The floor of a batch: reads of random places in a table of `bytes` that do not depend on
/// each other, issued from one core (the places are drawn beforehand and read in order, so the
/// processor overlaps the misses as far as it can), median over rounds of the mean read.
fn independent_read_ns(bytes: usize) -> f64 {
    let n = bytes / size_of::<u64>();
    let table: Vec<u64> = (0..n as u64).collect();
    let mut rng = Rng(10);
    let places: Vec<u32> = (0..1 << 20).map(|_| rng.below(n) as u32).collect();
    median_ns(places.len(), || {
        let mut sum = 0u64;
        for &place in &places {
            sum = sum.wrapping_add(table[place as usize]);
        }
        black_box(sum);
    })
}

fn main() {
    if let Some(path) = std::env::var_os(RESTART_FROM) {
        restarted_host(std::path::Path::new(&path));
        return;
    }
    let quick = std::env::args().any(|a| a == "--quick");
    let (n_exact, n_regex) = if quick {
        (100_000, 1_000)
    } else {
        (1_000_000, 10_000)
    };
    let started = Instant::now();
    let at = Timestamp::from_unix_seconds(1_773_144_000);

    if std::env::var("BENCH_REPORT_PROFILE").as_deref() == Ok("changes") {
        println!(
            "{}",
            serde_json::to_string_pretty(&changes_figures(at)).expect("prints")
        );
        return;
    }
    if std::env::var("BENCH_REPORT_PROFILE").as_deref() == Ok("hostile") {
        // The hostile-input figures alone, as JSON on stdout.
        println!(
            "{}",
            serde_json::to_string_pretty(&hostile::figures(at)).expect("prints")
        );
        return;
    }
    let exact = workload::exact_codes(n_exact, 0x5EED);
    let regex = workload::regex_codes(n_regex, 0xFACE);
    if std::env::var("BENCH_REPORT_PROFILE").as_deref() == Ok("timelines") {
        // The figures of changes against long histories alone, on the registry of this size.
        let registry = workload::registry(&exact, &regex);
        let engine = registry.compile().expect("compiles");
        let figures = timelines::figures(&registry, &engine, CodeId(7), at);
        println!(
            "{}",
            serde_json::to_string_pretty(&figures).expect("prints")
        );
        return;
    }
    if std::env::var("BENCH_REPORT_PROFILE").as_deref() == Ok("generate") {
        // The generated-code figures alone (the `generate` key), on the registry of this size.
        let registry = workload::registry(&exact, &regex);
        let engine = registry.compile().expect("compiles");
        let small = workload::registry(&exact[..exact.len().min(10_000)], &regex);
        let figures = generate::figures(&registry, &engine, &small);
        println!(
            "{}",
            serde_json::to_string_pretty(&figures).expect("prints")
        );
        return;
    }
    if std::env::var("BENCH_REPORT_PROFILE").as_deref() == Ok("restart") {
        // The restart figures alone (the `restart` key), on the registry of this size.
        let registry = workload::registry(&exact, &regex);
        println!(
            "{}",
            serde_json::to_string_pretty(&restart_figures(&registry)).expect("prints")
        );
        return;
    }
    let text_bytes: usize = exact.iter().map(String::len).sum();
    let pattern_bytes: usize = regex.iter().map(|r| r.pattern.len()).sum();

    phase(started, "generated the workload");
    // Build times and memory, each part on its own.
    let exact_only = workload::registry(&exact, &[]);
    let regex_only = workload::registry(&[], &regex);
    let before = live_bytes();
    let (compile_exact, exact_engine) = median_build(3, || exact_only.compile().expect("compiles"));
    let exact_engine_bytes = live_bytes() - before;
    let exact_usage = exact_engine.memory_usage();
    drop(exact_engine);
    let before = live_bytes();
    let (compile_regex, regex_engine) = median_build(3, || regex_only.compile().expect("compiles"));
    // Warm the matcher's caches, which grow on first use, before reading its size.
    for r in &regex {
        black_box(regex_engine.attribute(&Conversion::new(at).codes(&[r.hit.as_str()])));
    }
    let regex_engine_bytes = live_bytes() - before;
    let regex_usage = regex_engine.memory_usage();
    drop(regex_engine);
    drop((exact_only, regex_only));

    phase(started, "compiled each part");
    let start = Instant::now();
    let mut registry: Registry = workload::registry(&exact, &regex);
    let register_time = start.elapsed();
    let start = Instant::now();
    let engine = registry.compile().expect("compiles");
    let compile_all = start.elapsed();
    // The engine shares the registry's id index: the first change while it lives copies it.
    let start = Instant::now();
    registry
        .add(Code::tracking(
            CodeId(u64::MAX),
            "NOT-GENERATED",
            PartnerId(1),
        ))
        .expect("the code is new");
    let first_change = start.elapsed();

    phase(started, "registered and compiled everything");
    // Queries.
    let hot = PackedTexts::new(exact[..8].iter().cloned().cycle().take(QUERIES));
    let random_codes = workload::sample(&exact, QUERIES, 1);
    let random = PackedTexts::new(random_codes.iter().cloned());
    let mixed = PackedTexts::new(workload::mixed_case(&random_codes, 2));
    let misses = PackedTexts::new(workload::misses(&exact, QUERIES, 3));
    let prefixed: Vec<&RegexCode> = regex.iter().filter(|r| r.prefixed).collect();
    let mut rng = Rng(4);
    let picks: Vec<&RegexCode> = (0..QUERIES)
        .map(|_| prefixed[rng.below(prefixed.len())])
        .collect();
    let regex_hits = PackedTexts::new(picks.iter().map(|r| r.hit.clone()));
    let regex_near = PackedTexts::new(picks.iter().map(|r| r.near_miss.clone()));
    let regex_misses = PackedTexts::new(workload::regex_misses(&regex, QUERIES, 5));

    if let Ok(kind) = std::env::var("BENCH_REPORT_PROFILE") {
        let kinds = [
            ("hot", &hot),
            ("random", &random),
            ("miss", &misses),
            ("regex_hit", &regex_hits),
            ("regex_near_miss", &regex_near),
            ("regex_miss", &regex_misses),
        ];
        if kind == "batch_random" || kind == "batch_regex_hit" {
            let texts = if kind == "batch_random" {
                &random
            } else {
                &regex_hits
            };
            let codes: Vec<[&str; 1]> = (0..texts.len()).map(|i| [texts.get(i)]).collect();
            let orders: Vec<Conversion<'_>> = codes
                .iter()
                .map(|code| Conversion::new(at).codes(code))
                .collect();
            let rounds = std::env::var("BENCH_REPORT_ROUNDS")
                .ok()
                .and_then(|r| r.parse().ok())
                .unwrap_or(200);
            for _ in 0..rounds {
                for batch in orders.chunks(4096) {
                    black_box(engine.attribute_batch(batch));
                }
            }
            return;
        }
        if kind == "times" {
            // A quick read of the single-code timings alone, while working on the hot path.
            for (name, texts) in kinds {
                let ns = median_ns(QUERIES, attribute_each(&engine, at, texts));
                eprintln!("{name:>16}: {ns:7.1} ns");
            }
            let batch = batch_figures(&engine, at, &random, &regex_hits, 1.0, 1.0);
            eprintln!(
                "{:>16}: {:7.1} ns",
                "batch_random", batch["exact_random_ns_per_order"]
            );
            eprintln!(
                "{:>16}: {:7.1} ns",
                "batch_regex_hit", batch["regex_hit_ns_per_order"]
            );
            return;
        }
        // For `perf record`: loop on one kind of query and stop.
        let Some(&(_, texts)) = kinds.iter().find(|(name, _)| *name == kind) else {
            eprintln!("unknown BENCH_REPORT_PROFILE {kind:?}");
            std::process::exit(2);
        };
        let rounds = std::env::var("BENCH_REPORT_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(200);
        let mut run = attribute_each(&engine, at, texts);
        for _ in 0..rounds {
            run();
        }
        return;
    }
    let hot_ns = median_ns(QUERIES, attribute_each(&engine, at, &hot));
    let random_ns = median_ns(QUERIES, attribute_each(&engine, at, &random));
    let mixed_ns = median_ns(QUERIES, attribute_each(&engine, at, &mixed));
    let miss_ns = median_ns(QUERIES, attribute_each(&engine, at, &misses));
    let regex_hit_ns = median_ns(QUERIES, attribute_each(&engine, at, &regex_hits));
    let regex_near_ns = median_ns(QUERIES, attribute_each(&engine, at, &regex_near));
    let regex_miss_ns = median_ns(QUERIES, attribute_each(&engine, at, &regex_misses));

    phase(started, "timed single codes");
    let batch = batch_figures(&engine, at, &random, &regex_hits, random_ns, regex_hit_ns);
    phase(started, "timed batches");
    // Whole orders: 0–3 codes of every kind, 0–8 clicks within the lookback.
    let kinds = [&random, &misses, &regex_hits, &mixed];
    let orders = workload::orders(QUERIES / 4, 6, |rng| {
        kinds[rng.below(kinds.len())].get(rng.below(QUERIES))
    });
    let orders_ns = median_ns(orders.len(), || {
        for (codes, clicks) in &orders {
            black_box(&engine.attribute(&Conversion::new(at).codes(codes).clicks(clicks)));
        }
    });

    phase(started, "timed orders");
    // Baselines, in the same process: what a first implementation would write.
    let naive_map: HashMap<String, u32> = exact
        .iter()
        .enumerate()
        .map(|(i, s)| (s.to_lowercase(), i as u32))
        .collect();
    let naive_hot_ns = median_ns(QUERIES, || {
        for i in 0..hot.len() {
            black_box(naive_map.get(&black_box(hot.get(i)).trim().to_lowercase()));
        }
    });
    let naive_random_ns = median_ns(QUERIES, || {
        for i in 0..random.len() {
            black_box(naive_map.get(&black_box(random.get(i)).trim().to_lowercase()));
        }
    });
    let naive_miss_ns = median_ns(QUERIES, || {
        for i in 0..misses.len() {
            black_box(naive_map.get(&black_box(misses.get(i)).trim().to_lowercase()));
        }
    });
    drop(naive_map);
    let start = Instant::now();
    // The default size limit refuses 10k patterns: raised so the baseline compiles, all other
    // settings left as a first implementation would leave them.
    let regex_set = regex::RegexSetBuilder::new(regex.iter().map(|r| r.pattern.as_str()))
        .size_limit(1 << 30)
        .build()
        .expect("patterns compile");
    let regex_set_build = start.elapsed();
    let set_queries = if quick { 2_000 } else { 1_000 };
    let regex_set_hit_ns = median_ns(set_queries, || {
        for i in 0..set_queries {
            black_box(regex_set.matches(black_box(regex_hits.get(i))));
        }
    });
    let regex_set_miss_ns = median_ns(set_queries, || {
        for i in 0..set_queries {
            black_box(regex_set.matches(black_box(regex_misses.get(i))));
        }
    });

    drop(regex_set);
    // The memory floor: one dependent access to a random place in 256 MiB, as a lookup in
    // the 1M table makes two or three of.
    let dram_ns = dependent_miss_ns(256 << 20);
    let independent_ns = independent_read_ns(256 << 20);

    phase(started, "timed the baselines");
    // The page scan over every code: build once, then scan a 1 MiB page of prose with a code
    // every ~40 words (exact codes in mixed case, regex hits, near misses).
    let before = live_bytes();
    let start = Instant::now();
    let scanner = PageScanner::new(&engine).expect("the scanner builds");
    let scanner_build = start.elapsed();
    let scanner_bytes = live_bytes() - before;
    let page = workload::page(1 << 20, 7, |rng| {
        kinds[rng.below(kinds.len())]
            .get(rng.below(QUERIES))
            .to_owned()
    });
    let mut codes_on_page = 0;
    let page_ns = median_ns(1, || {
        codes_on_page = black_box(scanner.scan(black_box(&page), at)).len();
    });
    let page_mib_per_s = (page.len() as f64 / (1 << 20) as f64) / (page_ns / 1e9);
    let scanner_reported = scanner.memory_usage();
    drop(scanner);

    phase(started, "timed the page scan");
    // The conflict report is an offline analysis: one run, not a median.
    let start = Instant::now();
    let conflicts = engine.conflicts();
    let conflicts_time = start.elapsed();
    let requests: Vec<&str> = exact.iter().take(1_000).map(String::as_str).collect();
    let request_ns = median_ns(requests.len(), || {
        for text in &requests {
            black_box(
                engine
                    .check_available(black_box(text), PartnerId(u64::MAX), Window::ALWAYS)
                    .ok(),
            );
        }
    });

    phase(started, "timed the conflict report");
    let mut live = live_figures(&mut registry, &engine, n_exact, at, &random, random_ns);
    if let (Value::Object(live), Value::Object(more)) = (
        &mut live,
        timelines::figures(&registry, &engine, CodeId(7), at),
    ) {
        live.extend(more);
    }
    phase(started, "timed live changes");
    let small = workload::registry(&exact[..exact.len().min(10_000)], &regex);
    let generated = generate::figures(&registry, &engine, &small);
    drop((small, engine));
    phase(started, "timed generated codes");
    let restart = restart_figures(&registry);
    phase(started, "timed a restart");
    let bulk = bulk_figures(&exact);
    phase(started, "timed a bulk review");
    let hostile = hostile::figures(at);
    phase(started, "timed hostile input");
    let changes = changes_figures(at);
    phase(started, "timed order changes");
    let report = json!({
        "machine": machine(),
        "command": format!("cargo run --release --example bench_report{}", if quick { " -- --quick" } else { "" }),
        "registry": {
            "exact_codes": n_exact,
            "regex_codes": n_regex,
            "regex_codes_without_prefix": regex.iter().filter(|r| !r.prefixed).count(),
        },
        "method": format!("median of {ROUNDS} rounds of {QUERIES} calls (orders: {}); baselines in the same process", QUERIES / 4),
        "attribute_ns": {
            "exact_hit_hot": round1(hot_ns),
            "exact_hit_random": round1(random_ns),
            "exact_hit_random_mixed_case": round1(mixed_ns),
            "exact_miss": round1(miss_ns),
            "regex_hit": round1(regex_hit_ns),
            "regex_near_miss": round1(regex_near_ns),
            "regex_miss": round1(regex_miss_ns),
            "order_0_to_3_codes_0_to_8_clicks": round1(orders_ns),
        },
        "baselines_ns": {
            "hashmap_to_lowercase_hot": round1(naive_hot_ns),
            "hashmap_to_lowercase_random": round1(naive_random_ns),
            "hashmap_to_lowercase_miss": round1(naive_miss_ns),
            "regexset_matches_hit": round1(regex_set_hit_ns),
            "regexset_matches_miss": round1(regex_set_miss_ns),
            "dependent_miss_256mib": round1(dram_ns),
            "independent_read_256mib": round1(independent_ns),
            "independent_read_256mib_note": "reads of random places in 256 MiB that do not depend on each other: a batch's floor is about three of them per order (slot, text, record)",
        },
        "ratios": {
            "regex_hit_vs_regexset": round1(regex_set_hit_ns / regex_hit_ns),
            "regex_miss_vs_regexset": round1(regex_set_miss_ns / regex_miss_ns),
            "exact_random_vs_hashmap": (random_ns / naive_random_ns * 100.0).round() / 100.0,
            "exact_random_in_dependent_misses": (random_ns / dram_ns * 100.0).round() / 100.0,
            "exact_hot_vs_hashmap": (hot_ns / naive_hot_ns * 100.0).round() / 100.0,
            "batch_exact_random_in_independent_reads": (batch["exact_random_ns_per_order"].as_f64().unwrap_or(f64::NAN) / independent_ns * 100.0).round() / 100.0,
        },
        "build_ms": {
            "register_all": register_time.as_millis(),
            "compile_exact_only": compile_exact.as_millis(),
            "compile_regex_only": compile_regex.as_millis(),
            "compile_all": compile_all.as_millis(),
            "first_registry_change_after_compile": round1(first_change.as_secs_f64() * 1e3),
            "regexset_baseline": regex_set_build.as_millis(),
        },
        "memory": {
            "exact_index_bytes_per_code_beyond_text": round1((exact_usage.exact_index as f64 - text_bytes as f64) / n_exact as f64),
            "regex_matcher_bytes_per_pattern": round1(regex_usage.regex_matcher as f64 / n_regex as f64),
            "definitions_bytes_per_code": round1(exact_usage.definitions as f64 / n_exact as f64),
            "exact_engine_bytes": exact_engine_bytes,
            "exact_engine_bytes_reported": exact_usage.total(),
            "exact_engine_bytes_per_code_beyond_text": round1((exact_engine_bytes as f64 - text_bytes as f64) / n_exact as f64),
            "exact_engine_bytes_per_code_beyond_text_note": "everything the engine allocates, definitions included (shared with the registry), less the code texts once",
            "regex_engine_bytes": regex_engine_bytes,
            "regex_engine_bytes_reported": regex_usage.total(),
            "regex_engine_bytes_per_pattern_beyond_text": round1((regex_engine_bytes as f64 - pattern_bytes as f64) / n_regex as f64),
        },
        "page_scan": {
            "page_bytes": page.len(),
            "codes_found": codes_on_page,
            "scan_ms": round1(page_ns / 1e6),
            "mib_per_second": round1(page_mib_per_s),
            "build_ms": scanner_build.as_millis(),
            "automaton_bytes_reported": scanner_reported,
            "scanner_bytes": scanner_bytes,
        },
        "conflicts": {
            "report_ms": conflicts_time.as_millis(),
            "conflicts_found": conflicts.len(),
            "check_available_taken_exact_ns": round1(request_ns),
        },
        "batch": batch,
        "live": live,
        "restart": restart,
        "generate": generated,
        "bulk": bulk,
        "hostile": hostile,
        "changes": changes,
        "total_seconds": round1(started.elapsed().as_secs_f64()),
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&report).expect("a JSON value serialises")
    );
}

/// One-code orders attributed by [`Engine::attribute_batch`], in batches of 4,096 (the size a
/// host streaming Arrow record batches would see), against `attribute` per order in the same
/// run.
fn batch_figures(
    engine: &Engine,
    at: Timestamp,
    random: &PackedTexts,
    regex_hits: &PackedTexts,
    random_ns: f64,
    regex_hit_ns: f64,
) -> Value {
    let batch_ns = |texts: &PackedTexts| {
        let codes: Vec<[&str; 1]> = (0..texts.len()).map(|i| [texts.get(i)]).collect();
        let orders: Vec<Conversion<'_>> = codes
            .iter()
            .map(|code| Conversion::new(at).codes(code))
            .collect();
        median_ns(orders.len(), || {
            for batch in orders.chunks(4096) {
                black_box(engine.attribute_batch(black_box(batch)));
            }
        })
    };
    let exact_ns = batch_ns(random);
    let regex_ns = batch_ns(regex_hits);
    json!({
        "exact_random_ns_per_order": round1(exact_ns),
        "regex_hit_ns_per_order": round1(regex_ns),
        "exact_random_single_attribute_same_run_ns": round1(random_ns),
        "regex_hit_single_attribute_same_run_ns": round1(regex_hit_ns),
        "exact_random_speedup_over_single": round1(random_ns / exact_ns),
        "regex_hit_speedup_over_single": round1(regex_hit_ns / regex_ns),
        "batch_size": 4096,
    })
}

/// Order changes judged against stored actions, with no engine (SPEC §10): 1,000,000
/// actions (percentage and fixed rules, a 30-day lock, half with clawback) and about one change
/// each (none, one or two: refunds, restatements, cancellations, some after the lock), judged
/// order by order into one results buffer, as a host's batch job would. The baseline reads the
/// same changes and actions and sums them, in the same run.
fn changes_figures(at: Timestamp) -> Value {
    use promo_attribution::actions::{Action, PayoutRule};
    use promo_attribution::actions::{CancelReason, ChangeResult, OrderChange};
    use promo_attribution::settings::Clawback;
    use promo_attribution::{Payout, PayoutSource};

    const ACTIONS: usize = 1_000_000;
    const DAY_MS: i64 = 86_400_000;
    let mut rng = Rng(0x0C4A_96E5);
    let mut actions = Vec::with_capacity(ACTIONS);
    let mut changes = Vec::with_capacity(ACTIONS + ACTIONS / 8);
    let mut ends = Vec::with_capacity(ACTIONS);
    for i in 0..ACTIONS {
        let order_at = Timestamp::from_unix_millis(at.as_unix_millis() + (i as i64 % 90) * DAY_MS);
        let amount = 500 + rng.below(20_000) as u64;
        let payout = if rng.below(4) == 0 {
            Payout::Fixed(700)
        } else {
            Payout::PercentBps(500 + rng.below(1_000) as u32)
        };
        let clawback = if rng.below(2) == 0 {
            Clawback::Enabled
        } else {
            Clawback::Disabled
        };
        actions.push(
            Action::new(order_at, amount)
                .rule(PayoutRule {
                    source: PayoutSource::Program,
                    payout,
                })
                .lock_at(Some(Timestamp::from_unix_millis(
                    order_at.as_unix_millis() + 30 * DAY_MS,
                )))
                .clawback(clawback),
        );
        let count = [0, 1, 1, 2][rng.below(4)];
        for _ in 0..count {
            let when = Timestamp::from_unix_millis(
                order_at.as_unix_millis() + rng.below(40) as i64 * DAY_MS,
            );
            changes.push(match rng.below(5) {
                0 | 1 => OrderChange::refund(when, 1 + rng.below(amount as usize) as i64),
                2 => OrderChange::restate(when, rng.below(25_000) as i64),
                3 => OrderChange::cancel(when, CancelReason::Returned),
                _ => OrderChange::cancel(when, CancelReason::Fraud),
            });
        }
        ends.push(changes.len());
    }
    let mut results: Vec<ChangeResult> = Vec::with_capacity(changes.len());
    let judge_ns = median_ns(changes.len(), || {
        results.clear();
        let mut start = 0;
        for (action, &end) in actions.iter().zip(&ends) {
            black_box(action.judge_into(black_box(&changes[start..end]), &mut results));
            start = end;
        }
    });
    let accepted = results
        .iter()
        .filter(|r| matches!(r, ChangeResult::Accepted(_)))
        .count();
    // The floor of a pass over the same data: each change read with its action, nothing judged.
    let sum_ns = median_ns(changes.len(), || {
        let mut sum = 0i64;
        let mut start = 0;
        for (action, &end) in actions.iter().zip(&ends) {
            for change in &changes[start..end] {
                sum = sum.wrapping_add(change.at.as_unix_millis() ^ action.amount() as i64);
            }
            start = end;
        }
        black_box(sum);
    });
    json!({
        "actions": ACTIONS,
        "changes": changes.len(),
        "accepted_share": round1(accepted as f64 / changes.len() as f64 * 100.0) / 100.0,
        "judge_ns_per_change": round1(judge_ns),
        "baseline_read_and_sum_ns_per_change": round1(sum_ns),
        "method": format!("median of {ROUNDS} passes over every action, each judged into one results buffer (Action::judge_into)"),
    })
}

/// One change of a kind the desk makes, to a random generated code (or a new one, for `add`).
fn one_change(kind: &str, i: u64, rng: &mut Rng, n_exact: usize, at: Timestamp) -> Change {
    let code = CodeId(rng.below(n_exact) as u64);
    match kind {
        "add" => Change::Add {
            code: Code::tracking(CodeId(20_000_000 + i), format!("LIVE{i}-NEW"), PartnerId(7))
                .into(),
        },
        "transfer" => Change::Transfer {
            code,
            to: PartnerId(rng.below(5_000) as u64),
            at,
        },
        "expire" => Change::Expire { code, at },
        _ => Change::SetWindow {
            code,
            window: Window::starting_at(Timestamp::from_unix_seconds(1_700_000_000)),
        },
    }
}

const CHANGE_KINDS: [&str; 4] = ["add", "transfer", "expire", "set_window"];

/// The registry changing under a live engine: each change until an engine reflects it, a
/// thousand at once, the memory an engine brought up to date holds beside the one before it,
/// and lookups on an engine that took in ten thousand changes.
fn live_figures(
    registry: &mut Registry,
    engine: &Engine,
    n_exact: usize,
    at: Timestamp,
    random: &PackedTexts,
    random_ns: f64,
) -> Value {
    let mut rng = Rng(11);
    let mut engine = registry.refresh(engine).expect("refreshes");
    let mut serial = 0u64;
    let mut next = |rng: &mut Rng, kind: &str| {
        serial += 1;
        one_change(kind, serial, rng, n_exact, at)
    };
    // One change of each kind, until an engine reflects it: the change and the refresh.
    let mut per_kind = serde_json::Map::new();
    let mut bytes_held = serde_json::Map::new();
    let mut worst: f64 = 0.0;
    let mut worst_bytes: isize = 0;
    for kind in CHANGE_KINDS {
        let mut samples = Vec::new();
        let mut held = Vec::new();
        for _ in 0..101 {
            let change = next(&mut rng, kind);
            let start = Instant::now();
            registry.apply([change]).expect("the change is valid");
            let before = live_bytes();
            let refreshed = registry.refresh(&engine).expect("refreshes");
            samples.push(start.elapsed().as_secs_f64() * 1e6);
            held.push(live_bytes() - before);
            engine = refreshed;
        }
        let median = median_of(samples);
        held.sort_unstable();
        let held = held[held.len() / 2];
        worst = worst.max(median);
        worst_bytes = worst_bytes.max(held);
        per_kind.insert(kind.to_owned(), json!(round1(median)));
        bytes_held.insert(kind.to_owned(), json!(held));
    }
    per_kind.insert("worst".to_owned(), json!(round1(worst)));
    bytes_held.insert("worst".to_owned(), json!(worst_bytes));

    // A thousand changes at once: one batch, one refresh.
    let mut thousand = Vec::new();
    for _ in 0..5 {
        let changes: Vec<Change> = (0..1_000)
            .map(|i| next(&mut rng, CHANGE_KINDS[i % 4]))
            .collect();
        let start = Instant::now();
        registry.apply(changes).expect("the changes are valid");
        engine = registry.refresh(&engine).expect("refreshes");
        thousand.push(start.elapsed().as_secs_f64() * 1e3);
    }

    // Ten thousand changes in all, in batches of a hundred, then lookups on the engine that
    // took them in.
    let mut absorbed = 4 * 101 + 5 * 1_000;
    while absorbed < 10_000 {
        let changes: Vec<Change> = (0..100)
            .map(|i| next(&mut rng, CHANGE_KINDS[i % 4]))
            .collect();
        registry.apply(changes).expect("the changes are valid");
        engine = registry.refresh(&engine).expect("refreshes");
        absorbed += 100;
    }
    let start = Instant::now();
    let compacted = registry.compile().expect("compiles");
    let compaction = start.elapsed();
    // The engine that took the changes in and one compiled afresh from the same registry,
    // timed in turns, so that the machine's drift falls on both alike.
    let (mut after, mut fresh) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        after.push(median_ns(QUERIES, attribute_each(&engine, at, random)));
        fresh.push(median_ns(QUERIES, attribute_each(&compacted, at, random)));
    }
    let (after_ns, compacted_ns) = (median_of(after), median_of(fresh));

    // A copy of the registry brings the engine of its source up to date: a clone, and the
    // registry read back from a snapshot (a restart), each after one change of its own.
    let mut from_clone = Vec::new();
    let mut after_restart = Vec::new();
    let mut full_compiles = 0;
    for _ in 0..5 {
        let mut copy = registry.clone();
        copy.apply([next(&mut rng, "transfer")])
            .expect("the change is valid");
        full_compiles += usize::from(copy.refresh_plan(&engine).compiles_in_full());
        let start = Instant::now();
        black_box(copy.refresh(&engine).expect("refreshes"));
        from_clone.push(start.elapsed().as_secs_f64() * 1e6);
        drop(copy);
        let mut restored = Registry::from_bytes(&registry.to_bytes()).expect("reads back");
        restored
            .apply([next(&mut rng, "transfer")])
            .expect("the change is valid");
        full_compiles += usize::from(restored.refresh_plan(&engine).compiles_in_full());
        let start = Instant::now();
        black_box(restored.refresh(&engine).expect("refreshes"));
        after_restart.push(start.elapsed().as_secs_f64() * 1e6);
    }
    json!({
        "refresh_from_clone_us": round1(median_of(from_clone)),
        "refresh_after_restart_us": round1(median_of(after_restart)),
        "refreshes_from_copies_that_compiled_in_full": full_compiles,
        "one_change_to_engine_us": per_kind,
        "thousand_changes_to_engine_ms": round1(median_of(thousand)),
        "bytes_held_after_one_change": bytes_held,
        "exact_hit_random_after_changes_ns": round1(after_ns),
        "exact_hit_random_compiled_afresh_ns": round1(compacted_ns),
        "exact_hit_random_after_changes_vs_afresh": (after_ns / compacted_ns * 100.0).round() / 100.0,
        "exact_hit_random_same_run_ns": round1(random_ns),
        "changes_absorbed": absorbed,
        "compaction_ms": compaction.as_millis(),
        "revision": engine.revision(),
    })
}

/// A restart: the binary snapshot of the whole registry read back and compiled, with the peak
/// of the memory it took — after a checkpoint folded the history (the `load_ms` and size keys),
/// and with the whole history kept (the `_with_history` keys). `load_ms` is measured in this
/// process, whose heap has room freed by the work before; the `_fresh_process` keys in a new
/// process, as a host restarts, where every page the registry takes is faulted in.
fn restart_figures(registry: &Registry) -> Value {
    let with_history = restart(registry);
    let mut folded = registry.clone();
    folded
        .checkpoint(folded.revision())
        .expect("the revision is the registry's");
    let checkpointed = restart(&folded);
    let text: usize = registry.codes().map(|c| c.text().len()).sum();
    let beyond_text = checkpointed.size.saturating_sub(text) as f64 / registry.len() as f64;
    json!({
        "load_ms": checkpointed.here.load_ms,
        "read_ms": checkpointed.here.read_ms,
        "load_fresh_process_ms": checkpointed.fresh.load_ms,
        "read_fresh_process_ms": checkpointed.fresh.read_ms,
        "naive_hashmap_load_ms": checkpointed.here.naive_ms,
        "naive_hashmap_load_fresh_process_ms": checkpointed.fresh.naive_ms,
        "load_vs_naive_hashmap_fresh_process": (checkpointed.fresh.load_ms as f64
            / checkpointed.fresh.naive_ms.max(1) as f64
            * 100.0)
            .round()
            / 100.0,
        "peak_bytes": checkpointed.here.peak,
        "held_bytes_after_load": checkpointed.here.held,
        "registry_bytes_after_read": checkpointed.here.registry,
        "snapshot_bytes": checkpointed.size,
        "snapshot_bytes_per_code": round1(beyond_text),
        "code_text_bytes": text,
        "history_entries": folded.history().len(),
        "save_ms": checkpointed.save_ms,
        "load_with_history_ms": with_history.here.load_ms,
        "snapshot_bytes_with_history": with_history.size,
        "history_entries_without_checkpoint": registry.history().len(),
    })
}

struct Restart {
    save_ms: u128,
    size: usize,
    /// Loaded in this process.
    here: Load,
    /// Loaded in a new process.
    fresh: Load,
}

/// One load of a snapshot: read back, then compiled.
struct Load {
    load_ms: u128,
    read_ms: u128,
    /// The most allocated at once, the snapshot's bytes not counted.
    peak: isize,
    /// What the registry and its engine hold.
    held: isize,
    /// What the registry holds, before the engine is compiled.
    registry: isize,
    /// The baseline of the same process: [`naive_load`] of the same codes, timed after the
    /// registry and its engine were dropped, on a heap with room (the baseline's best case).
    naive_ms: u128,
}

/// The same codes as a naive host restarts them, the baseline of the same process: `text` and
/// owner lines read into a `HashMap<String, u64>` keyed by the lower-cased text, sized in
/// advance. It keeps no schedule, no history and no index beyond the map, and compiles nothing.
fn naive_load(lines: &str) -> u128 {
    let start = Instant::now();
    let mut map = HashMap::with_capacity(lines.len() / 16);
    for line in lines.lines() {
        let (text, owner) = line.split_once('\t').expect("written as text, tab, owner");
        map.insert(
            text.to_lowercase(),
            owner.parse::<u64>().expect("an owner id"),
        );
    }
    black_box(&map);
    start.elapsed().as_millis()
}

/// What [`naive_load`] reads: a line per code.
fn naive_lines(registry: &Registry) -> String {
    let mut lines = String::new();
    for code in registry.codes() {
        let owner = match code {
            Code::Tracking(tracking) => tracking.owner.0,
            _ => 0,
        };
        lines.push_str(code.text());
        lines.push('\t');
        lines.push_str(&owner.to_string());
        lines.push('\n');
    }
    lines
}

fn load(bytes: Vec<u8>, lines: &str) -> Load {
    let size = bytes.len();
    reset_peak();
    let base = live_bytes() - size as isize;
    let start = Instant::now();
    let back = Registry::from_bytes(&bytes).expect("the snapshot reads back");
    let read = start.elapsed();
    let registry = live_bytes() - base - size as isize;
    drop(bytes);
    let engine = back.compile().expect("compiles");
    let load = start.elapsed();
    let peak = peak_bytes() - base;
    let held = live_bytes() - base;
    black_box(&engine);
    drop(engine);
    drop(back);
    Load {
        load_ms: load.as_millis(),
        read_ms: read.as_millis(),
        peak,
        held,
        registry,
        naive_ms: naive_load(lines),
    }
}

/// The environment variable that makes this program a restarted host: it loads the snapshot
/// at that path, prints the figures as JSON and exits.
const RESTART_FROM: &str = "BENCH_REPORT_RESTART_FROM";

fn restart(registry: &Registry) -> Restart {
    let start = Instant::now();
    let bytes = registry.to_bytes();
    let save = start.elapsed();
    let size = bytes.len();
    // A host reads the bytes from its storage first; that is not timed.
    let path = std::env::temp_dir().join(format!("bench_report_{}.snapshot", std::process::id()));
    std::fs::write(&path, &bytes).expect("the snapshot is written");
    let lines = naive_lines(registry);
    std::fs::write(path.with_extension("lines"), &lines).expect("the lines are written");
    let output = std::process::Command::new(std::env::current_exe().expect("this program"))
        .env(RESTART_FROM, &path)
        .output();
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(path.with_extension("lines"));
    let output = output.expect("the restarted host runs");
    assert!(
        output.status.success(),
        "the restarted host failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Restart {
        save_ms: save.as_millis(),
        size,
        here: load(bytes, &lines),
        fresh: Load::from_json(&output.stdout),
    }
}

/// The restarted host of [`restart`].
fn restarted_host(path: &std::path::Path) {
    let bytes = std::fs::read(path).expect("the snapshot reads");
    let lines = std::fs::read_to_string(path.with_extension("lines")).expect("the lines read");
    println!("{}", load(bytes, &lines).to_json());
}

impl Load {
    fn to_json(&self) -> Value {
        json!({
            "load_ms": self.load_ms as u64,
            "read_ms": self.read_ms as u64,
            "peak": self.peak as i64,
            "held": self.held as i64,
            "registry": self.registry as i64,
            "naive_ms": self.naive_ms as u64,
        })
    }

    fn from_json(printed: &[u8]) -> Load {
        let figures: Value = serde_json::from_slice(printed).expect("the host prints JSON");
        let figure = |key: &str| figures[key].as_i64().expect("the host prints every figure");
        Load {
            load_ms: figure("load_ms") as u128,
            read_ms: figure("read_ms") as u128,
            peak: figure("peak") as isize,
            held: figure("held") as isize,
            registry: figure("registry") as isize,
            naive_ms: figure("naive_ms") as u128,
        }
    }
}

fn median_of(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// A bulk file of every generated exact code, as a download writes it, reviewed against an
/// empty registry: the time and the peak memory beside the file.
#[cfg(feature = "csv")]
fn bulk_figures(exact: &[String]) -> Value {
    let registry = workload::registry(exact, &[]);
    let file = promo_attribution::bulk::export_csv([(promo_attribution::ProgramId(1), &registry)])
        .expect("the registry exports");
    drop(registry);
    let empty = Registry::default();
    reset_peak();
    let base = live_bytes();
    let start = Instant::now();
    let upload = promo_attribution::bulk::Upload::review(&file, |_| Some(&empty));
    let review = start.elapsed();
    let peak = peak_bytes() - base;
    let rows = upload.rows().len();
    drop(upload);
    json!({
        "file_bytes": file.len(),
        "rows": rows,
        "review_ms": review.as_millis(),
        "review_peak_bytes_beside_the_file": peak,
        "peak_over_file": (peak as f64 / file.len() as f64 * 100.0).round() / 100.0,
    })
}

#[cfg(not(feature = "csv"))]
fn bulk_figures(_: &[String]) -> Value {
    json!("the csv feature is off")
}
