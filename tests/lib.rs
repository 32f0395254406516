//! Integration tests, compiled into one binary.

mod adversarial;
mod attribution;
mod properties;
mod reference;
mod registration;
