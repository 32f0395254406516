//! Misuse monitoring: whether a code seen promoted somewhere is a [`Violation`]
//! ([`Engine::check_sighting`](crate::Engine::check_sighting) of a [`Sighting`], answered by a
//! [`SightingCheck`]), and every registered code a page of text shows ([`PageScanner`], each
//! one a [`PageMatch`]).

pub use crate::model::{Sighting, SightingCheck, Violation};
pub use crate::monitor::{PageMatch, PageScanner};
