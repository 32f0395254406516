//! Code requests and conflicts: whether a partner may be given a new code and what it would
//! collide with ([`Engine::check_available`](crate::Engine::check_available): an
//! [`Availability`] listing [`Collision`]s), and the overlaps among registered codes a brand
//! should know about ([`Engine::conflicts`](crate::Engine::conflicts): [`Conflict`]s).

pub use crate::model::{Availability, Collision, Conflict};
