//! Hostile input: what an attacker or a careless brand hands the crate stays cheap, and what
//! the crate says about it stays short and unambiguous. No timing assertions: sizes are chosen
//! so that a quadratic path would make the suite crawl, which review and CI notice, without
//! making the suite flaky.

mod histories;
mod messages;
mod orders;
mod scans;

/// A cell or code of a megabyte.
fn huge() -> String {
    "A".repeat(1 << 20)
}

/// A message about a huge input quotes at most about a hundred characters of it.
fn assert_short(message: &str) {
    assert!(
        message.len() < 500,
        "{} bytes: {}…",
        message.len(),
        &message[..600.min(message.len())]
    );
}
