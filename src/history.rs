//! A registry's history: each accepted change as a [`HistoryEntry`], the [`Checkpoint`] that
//! folded the ones before it, and how a refresh would bring an engine up to date
//! ([`RefreshPlan`]).

pub use crate::model::{Checkpoint, RefreshPlan};
pub use crate::registry::HistoryEntry;
