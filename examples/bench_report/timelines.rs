//! Changes whose cost used to grow with a code's or a partner's history (issue 22): events
//! applied one call at a time in reverse time order, a chain of transfers of one code each
//! brought into an engine, transfers among the `Always` codes of one partner whose clicks the
//! program ignores, and codes added one at a time, each brought into an engine.

use std::time::Instant;

use promo_attribution::settings::AlwaysOwnerClicks;
use promo_attribution::{
    Code, CodeId, CreditPolicy, Engine, PartnerId, Registry, Settings, Timestamp,
};
use serde_json::{Value, json};

use super::round1;

/// The figures, on copies of `registry` (so that the caller's stays as it was) and on
/// registries of one owner built here.
pub(crate) fn figures(registry: &Registry, engine: &Engine, code: CodeId, at: Timestamp) -> Value {
    let second = |i: u64| Timestamp::from_unix_millis(at.as_unix_millis() + i as i64 * 1_000);

    // 100,000 expiries and reactivations of one code, each one call, latest instant first.
    let mut copy = registry.clone();
    let start = Instant::now();
    for i in (0..100_000u64).rev() {
        let result = if i % 2 == 0 {
            copy.expire(code, second(i))
        } else {
            copy.reactivate(code, second(i))
        };
        result.expect("the code is live");
    }
    let descending_ms = start.elapsed().as_secs_f64() * 1e3;
    drop(copy);

    // 10,000 transfers of one code, each brought into an engine before the next.
    let mut copy = registry.clone();
    let mut live = copy.refresh(engine).expect("refreshes");
    let start = Instant::now();
    for i in 0..10_000u64 {
        copy.transfer(code, PartnerId(1 + i % 7), second(i))
            .expect("the code is live");
        live = copy.refresh(&live).expect("refreshes");
    }
    let chain_ms = start.elapsed().as_secs_f64() * 1e3;
    drop((live, copy));

    // 12,000 codes added one at a time, each brought into an engine: the mean and the worst
    // add and refresh. The clone's first change copies the id index it shares with the engines
    // (at a million codes, milliseconds): made before, untimed.
    let mut copy = registry.clone();
    copy.add(Code::tracking(
        CodeId(49_999_999),
        "FIRST-LIVE",
        PartnerId(1),
    ))
    .expect("the code is new");
    let mut live = copy.refresh(engine).expect("refreshes");
    let mut samples = Vec::with_capacity(12_000);
    for i in 0..12_000u64 {
        let start = Instant::now();
        copy.add(Code::tracking(
            CodeId(50_000_000 + i),
            format!("ADDED{i}-LIVE"),
            PartnerId(1 + i % 7),
        ))
        .expect("the code is new");
        live = copy.refresh(&live).expect("refreshes");
        samples.push(start.elapsed().as_secs_f64() * 1e6);
    }
    let added_mean = samples.iter().sum::<f64>() / samples.len() as f64;
    let added_worst = samples.iter().copied().fold(0.0, f64::max);
    drop((live, copy));

    json!({
        "added_codes_12k_refresh_mean_us": round1(added_mean),
        "added_codes_12k_refresh_worst_us": round1(added_worst),
        "descending_events_100k_ms": round1(descending_ms),
        "transfer_chain_10k_ms": round1(chain_ms),
        "transfer_ignore_owner_clicks_10k_us": round1(owner_transfer_us(10_000, AlwaysOwnerClicks::Ignore, at)),
        "transfer_ignore_owner_clicks_100k_us": round1(owner_transfer_us(100_000, AlwaysOwnerClicks::Ignore, at)),
        "transfer_count_owner_clicks_100k_us": round1(owner_transfer_us(100_000, AlwaysOwnerClicks::Count, at)),
    })
}

/// Microseconds per transfer of one of `n` `Always` codes of one partner to another and the
/// refresh after it, the median of 101.
fn owner_transfer_us(n: u64, clicks: AlwaysOwnerClicks, at: Timestamp) -> f64 {
    let mut settings = Settings::default();
    settings.always_owner_clicks = clicks;
    let mut registry = Registry::new(settings);
    registry
        .add_all((0..n).map(|i| {
            Code::tracking(CodeId(i), format!("OWNED{i}"), PartnerId(1))
                .credit(CreditPolicy::Always)
        }))
        .expect("the codes are valid");
    let mut engine = registry.compile().expect("compiles");
    let mut samples = Vec::new();
    for i in 0..101u64 {
        let start = Instant::now();
        registry
            .transfer(CodeId(i * 97 % n), PartnerId(2 + i % 3), at)
            .expect("the code is live");
        engine = registry.refresh(&engine).expect("refreshes");
        samples.push(start.elapsed().as_secs_f64() * 1e6);
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
