//! The values of a program's [`Settings`](crate::Settings): each a closed set, with `ALL`,
//! `as_str` and `FromStr` by the names serde writes.

pub use crate::model::{
    AlwaysOwnerClicks, Clawback, ClickWinner, CodeTracking, Contracts, RegexAnchoring, UnmetPolicy,
};
