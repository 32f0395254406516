//! What the tests, examples and benchmarks of `promo-attribution` share, in one place instead of
//! files included by path:
//!
//! - [`conformance`]: the runner of the language-neutral vectors (`conformance/FORMAT.md`),
//!   used by `cargo test` and by the `conformance` example CI runs;
//! - [`workload`]: seeded registries, queries and pages, so that `cargo bench` and
//!   `bench_report` measure the same things;
//! - [`reference`]: a naive reference implementation of the decision, which the property tests
//!   and the `attribute` fuzz target compare the engine with;
//! - [`demo`]: the demo program the `report` and `monitor` examples run on;
//! - [`t`]: an instant from its RFC 3339 text, for tables of test cases.
//!
//! Not published: a fixture that fails to build is a bug in this crate, so its functions panic.

// A fixture or an instant written in a test that fails to parse is a bug in the caller:
// panicking is the report.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

pub mod conformance;
pub mod demo;
pub mod reference;
pub mod workload;

use promo_attribution::Timestamp;

/// The instant an RFC 3339 text names, such as `"2026-03-01T12:00:00Z"`.
///
/// # Panics
///
/// When the text is not an instant: in a table of test cases, that is a typo to report.
pub fn t(text: &str) -> Timestamp {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} is not an RFC 3339 instant: {e}"))
}
