//! A day of orders against a realistic program, attributed and reported.
//!
//! ```text
//! cargo run --example report            # performance by code and by partner, as text tables
//! cargo run --example report -- --csv   # the action listing, as CSV on stdout
//! ```
//!
//! The day is computed as four shards (as four threads or machines would) whose reports are
//! merged: the totals are those of one report fed every order.

use std::error::Error;
use std::process::ExitCode;

use promo_attribution::reports::{ActionRow, PerformanceReport, Stats};
use promo_attribution::{CodeId, Conversion, Engine, InvalidReason};

use promo_attribution_testkit::demo::{self, PlusDays};

const ORDERS: usize = 20_000;
const SHARDS: usize = 4;

fn main() -> ExitCode {
    let csv = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--csv") => true,
        Some(other) => {
            eprintln!("unknown argument {other:?}; usage: report [--csv]");
            return ExitCode::FAILURE;
        }
    };
    match run(csv) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("report: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(csv: bool) -> Result<(), Box<dyn Error>> {
    let engine = demo::registry().compile()?;
    let tuesday = demo::MONDAY.plus_days(1);
    let orders = demo::day(tuesday, ORDERS, 0x7E5D_A7E5, None);

    if csv {
        let mut out = csv::Writer::from_writer(std::io::stdout().lock());
        out.write_record(ActionRow::HEADER)?;
        for order in &orders {
            let conversion = Conversion::new(order.at)
                .codes(&order.codes)
                .clicks(&order.clicks)
                .amount(order.amount);
            let row = ActionRow::new(
                &engine,
                order.id.as_str(),
                &conversion,
                &engine.attribute(&conversion),
            );
            out.write_record(row.fields())?;
        }
        out.flush()?;
        return Ok(());
    }

    let report = std::thread::scope(|scope| {
        let shards: Vec<_> = orders
            .chunks(ORDERS.div_ceil(SHARDS))
            .map(|shard| scope.spawn(|| shard_report(&engine, shard)))
            .collect();
        let mut report = PerformanceReport::new();
        for shard in shards {
            // A shard that panicked is a bug in this example: stop with its message.
            match shard.join() {
                Ok(part) => report.merge(&part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        report
    });

    println!("Performance by promo code, {tuesday} + 1 day, {ORDERS} orders\n");
    println!(
        "{:<22} {:<20} {:>7} {:>8} {:>12} {:>10} {:>8}  invalid by reason",
        "code", "partner", "actions", "credited", "revenue", "payout", "invalid"
    );
    for (code, stats) in report.by_code(true) {
        let (text, partner) = match code {
            Some(id) => describe(&engine, id),
            None => ("(no promo code)".to_owned(), String::new()),
        };
        println!(
            "{text:<22} {partner:<20} {:>7} {:>8} {:>12} {:>10} {:>7.1}%  {}",
            stats.actions,
            stats.credited,
            money(stats.revenue),
            money(stats.payout),
            stats.invalid_share() * 100.0,
            reasons(&stats)
        );
    }
    let with_codes = report.total(false);
    let all = report.total(true);
    println!(
        "\nwith a promo code: {} of {} actions, {} of {} paid out; invalid share {:.1}%",
        with_codes.actions,
        all.actions,
        money(with_codes.payout),
        money(all.payout),
        with_codes.invalid_share() * 100.0
    );

    println!("\nBy partner\n");
    println!(
        "{:<20} {:>7} {:>8} {:>12} {:>10} {:>8}",
        "partner", "actions", "credited", "revenue", "payout", "invalid"
    );
    for (partner, stats) in report.by_partner() {
        println!(
            "{:<20} {:>7} {:>8} {:>12} {:>10} {:>7.1}%",
            demo::partner_name(partner),
            stats.actions,
            stats.credited,
            money(stats.revenue),
            money(stats.payout),
            stats.invalid_share() * 100.0
        );
    }
    println!(
        "{:<20} {:>7}",
        "(unattributed)",
        report.unattributed().actions
    );
    Ok(())
}

fn shard_report(engine: &Engine, orders: &[demo::Order]) -> PerformanceReport {
    let mut report = PerformanceReport::new();
    for order in orders {
        let conversion = Conversion::new(order.at)
            .codes(&order.codes)
            .clicks(&order.clicks)
            .amount(order.amount);
        report.add(&conversion, &engine.attribute(&conversion));
    }
    report
}

fn describe(engine: &Engine, id: CodeId) -> (String, String) {
    match engine.code(id) {
        Some(code) => (
            code.text().to_owned(),
            code.owner()
                .map(demo::partner_name)
                .unwrap_or_default()
                .to_owned(),
        ),
        None => (format!("code {id}"), String::new()),
    }
}

/// Minor units as a decimal amount: 123456 → "1234.56".
fn money(minor: u64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

fn reasons(stats: &Stats) -> String {
    [
        InvalidReason::CodeOwnedByOtherPartner,
        InvalidReason::RestrictedCode,
        InvalidReason::PartnerNotActive,
    ]
    .into_iter()
    .filter(|r| stats.invalid(*r) > 0)
    .map(|r| format!("{} {}", r.as_str(), stats.invalid(r)))
    .collect::<Vec<_>>()
    .join(", ")
}
