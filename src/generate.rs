//! Generated codes (SPEC §11): a [`Template`] of random characters or a vanity base, a
//! [`GenerateRequest`] for one partner, and the [`Generated`] texts that
//! [`Engine::generate`](crate::Engine::generate) finds free;
//! [`Registry::add_generated`](crate::Registry::add_generated) registers them.

pub use crate::model::{DEFAULT_ALPHABET, GenerateRequest, Generated, MAX_RANDOM_RUN, Template};
