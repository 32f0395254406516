//! Integration tests, compiled into one binary.

// Tests assert by unwrapping: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod api;
mod attribution;
mod changes;
mod checkpoints;
mod conflicts;
mod generate;
mod hostile;
mod live;
mod matching;
mod monitoring;
mod payouts;
#[cfg(feature = "serde")]
mod persistence;
mod properties;
mod registration;
mod reports;
mod snapshots;
#[cfg(feature = "csv")]
mod upload;
mod vectors;
