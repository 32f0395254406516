//! The parts of a [`Decision`](crate::Decision) beyond its outcome: what each entered code hit
//! ([`CodeHit`], the code's [`CodeState`]), the codes that matched but lost ([`OtherMatch`],
//! [`NotChosen`]), and the entered codes as a conversion holds them ([`EnteredCodesIter`]).

pub use crate::model::{CodeHit, CodeState, EnteredCodesIter, NotChosen, OtherMatch};
