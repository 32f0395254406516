//! Reports over attributed conversions, fed one decision at a time and merged associatively:
//! [`PerformanceReport`] (performance by promo code and by partner, in [`Stats`]), the flat
//! [`ActionRow`] listing, and [`LeakMonitor`] (leak indicators, judged as [`LeakAlert`]s
//! under [`LeakThresholds`]).

pub use crate::leaks::{LeakAlert, LeakMonitor, LeakThresholds};
pub use crate::report::{ActionRow, PerformanceReport, Stats};
