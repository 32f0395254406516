//! Integration tests, compiled into one binary.

mod properties;
mod reference;
