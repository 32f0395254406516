//! Runs the language-neutral conformance vectors (`conformance/FORMAT.md`).
//!
//! ```text
//! cargo run --release --example conformance -- conformance/*.json conformance/*/*.json
//! ```
//!
//! Prints one line per failing case and a last line `N passed, M failed`; exits non-zero when a
//! case failed or a file could not be read. A field the runner does not understand fails its
//! case: a vector is never half-checked.

use std::process::ExitCode;

use promo_attribution_testkit::conformance;

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: conformance FILE.json [FILE.json ...]");
        return ExitCode::FAILURE;
    }
    let summary = conformance::run_files(&files);
    for failure in &summary.failures {
        println!("{failure}");
    }
    println!("{}", summary.line());
    if summary.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
