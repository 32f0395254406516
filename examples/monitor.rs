//! Misuse monitoring on the demo program.
//!
//! ```text
//! cargo run --example monitor
//! ```
//!
//! First scans a coupon site's page for registered codes and prints the violations (expired
//! codes, other partners' codes, restricted codes out in the wild); then feeds a synthetic week
//! of orders, in which one influencer's code leaks from Thursday on, to the leak monitor and
//! prints what it raises.

use std::error::Error;

use promo_attribution::decision::CodeHit;
use promo_attribution::monitoring::{PageScanner, Sighting};
use promo_attribution::reports::{LeakAlert, LeakMonitor, LeakThresholds};
use promo_attribution::{CodeId, Conversion, PartnerId};

use promo_attribution_testkit::demo::{self, PlusDays};

/// What dealfinder (partner 6) published on Wednesday.
const PAGE: &str = "\
dealfinder.example — Top coupons this week
  * WINTER25: 25% off winter coats (verified yesterday!)
  * jane15 — Jane's exclusive 15% off, shared by readers
  * Staff discount STAFF50, works on everything
  * TECHBLOG42 for readers of the tech blog
  * Try SAVE99 or FREESHIP at checkout
  * Not a code: XJANE15 or JANE15X";

fn main() -> Result<(), Box<dyn Error>> {
    let engine = demo::registry().compile()?;
    let wednesday = demo::MONDAY.plus_days(2);

    println!("Page scan of dealfinder.example at {wednesday}\n");
    let scanner = PageScanner::new(&engine)?;
    for found in scanner.scan(PAGE, wednesday) {
        let text = &PAGE[found.start..found.end];
        let check =
            engine.check_sighting(&Sighting::new(text, wednesday).promoted_by(PartnerId(6)));
        let owner = found
            .owner
            .map_or_else(|| "-".to_owned(), |p| demo::partner_name(p).to_owned());
        let verdict = check.violation.map_or("ok", |violation| violation.as_str());
        println!(
            "  bytes {:>3}..{:<3} {text:<12} {:<28} owner {owner:<20} {verdict}",
            found.start,
            found.end,
            describe(found.hit)
        );
    }

    println!("\nLeak indicators over a synthetic week (JANE15 leaks from Thursday)\n");
    // One monitor per day, as a host keeping daily counts would; windows are merges of days.
    let days: Vec<LeakMonitor> = (0..7)
        .map(|day| {
            let start = demo::MONDAY.plus_days(day);
            let leak = (day >= 3).then_some(("JANE15", 35));
            let mut daily = LeakMonitor::new();
            for order in demo::day(start, 3_000, 0xD1A7 + day as u64, leak) {
                let conversion = Conversion::new(order.at)
                    .codes(&order.codes)
                    .clicks(&order.clicks)
                    .amount(order.amount);
                daily.add(&engine, &conversion, &engine.attribute(&conversion));
            }
            daily
        })
        .collect();
    let merged = |range: std::ops::Range<usize>| {
        let mut monitor = LeakMonitor::new();
        for day in &days[range] {
            monitor.merge(day);
        }
        monitor
    };
    let (first_days, last_days, monitor) = (merged(0..3), merged(4..7), merged(0..7));

    println!("  share of uses with no click by the code's owner");
    println!("  {:<22} {:>16} {:>16}", "code", "Mon-Wed", "Fri-Sun");
    for id in (10..=16).map(CodeId) {
        let share = |m: &LeakMonitor| match m.uses(id) {
            Some((uses, without)) if uses > 0 => {
                format!(
                    "{:>5.1}% of {uses:>5}",
                    100.0 * without as f64 / uses as f64
                )
            }
            _ => "-".to_owned(),
        };
        println!(
            "  {:<22} {:>16} {:>16}",
            code_text(&engine, id),
            share(&first_days),
            share(&last_days)
        );
    }
    println!();

    // Thresholds are the host's: this program calls twice the usual daily volume a spike.
    let mut thresholds = LeakThresholds::default();
    thresholds.spike_factor = 2.0;
    let alerts = monitor.alerts(&thresholds);
    if alerts.is_empty() {
        println!("  no alerts");
    }
    for alert in alerts {
        match alert {
            LeakAlert::NoOwnerClick {
                code,
                owner,
                uses,
                without_owner_click,
            } => println!(
                "  code {code} ({}): {without_owner_click} of {uses} uses ({:.0}%) with no click by its owner, {}",
                code_text(&engine, code),
                100.0 * without_owner_click as f64 / uses as f64,
                demo::partner_name(owner)
            ),
            LeakAlert::UsageSpike {
                code,
                day,
                uses,
                baseline,
            } => println!(
                "  code {code} ({}): {uses} uses on {day}, against {baseline:.1} a day before",
                code_text(&engine, code)
            ),
            LeakAlert::UnknownCodeBurst {
                hour,
                unknown,
                baseline,
            } => println!(
                "  {unknown} unknown codes in the hour from {hour}, against {baseline:.1} an hour before"
            ),
            other => println!("  {other:?}"),
        }
    }
    Ok(())
}

fn describe(hit: CodeHit) -> String {
    match hit {
        CodeHit::Matched(id) => format!("active code {id}"),
        CodeHit::Restricted(id) => format!("restricted code {id}"),
        CodeHit::Inactive { code, state } => format!("code {code}, {}", state.as_str()),
        other => other.to_string(),
    }
}

fn code_text(engine: &promo_attribution::Engine, code: CodeId) -> String {
    engine
        .code(code)
        .map_or_else(String::new, |c| c.text().to_owned())
}
