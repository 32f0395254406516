//! Many orders at once: the decision of [`attribute`](super::decide::attribute) without its
//! diagnostics, with the memory reads of the orders ahead overlapped with the decisions.
//!
//! A random exact hit over a million codes waits on DRAM about three times, one read after the
//! other: the home slot, the code's text, the code's record. An order alone cannot do better,
//! since each read needs the one before it; a stream of orders can, as a software pipeline:
//! while it decides order `i`, it asks for the text and record of order `i + AHEAD` (whose home
//! slot came in meanwhile) and for the home slot of order `i + 2 × AHEAD`, with prefetch hints
//! that do not wait. Each order's first entered code is trimmed, folded and hashed once, when
//! its home slot is asked for, and resolved from that probe when its turn comes: the decision
//! itself is [`decide`]'s, rule for rule.

use super::decide::decide;
use super::diagnostics::Lean;
use super::resolve::{Probe, resolve_probed};
use super::state::State;
use crate::model::{Attribution, Conversion};
use crate::prefetch::prefetch;

/// Orders between asking for an order's home slot and reading it, and again between asking for
/// the text and record it points to and deciding the order: enough misses in flight to cover
/// a DRAM round trip at the pace orders are decided.
const AHEAD: usize = 8;

/// The orders in flight, by index modulo this: a power of two above `2 × AHEAD`.
const RING: usize = 32;
const _: () = assert!(RING <= u32::BITS as usize, "one bit of `probed` per slot");

/// Appends the attribution of each conversion to `out`, the i-th decided by `state_of(i)`.
pub(crate) fn attribute_batch<'s>(
    conversions: &[Conversion<'_>],
    state_of: impl Fn(usize) -> &'s State,
    out: &mut Vec<Attribution>,
) {
    out.reserve(conversions.len());
    // The probes are filled in place and `probed` says which slots hold one: a probe is too
    // big to move around cheaply, as an `Option` returned and stored would be.
    let mut probes = [const { Probe::EMPTY }; RING];
    let mut probed: u32 = 0;
    for i in 0..conversions.len() + 2 * AHEAD {
        if let Some(conversion) = conversions.get(i) {
            let state = state_of(i);
            let slot = i % RING;
            if probe_first_code(state, conversion, &mut probes[slot]) {
                state.base.prefetch_exact_home(probes[slot].hash);
                probed |= 1 << slot;
            } else {
                probed &= !(1 << slot);
            }
        }
        if let Some(j) = i.checked_sub(AHEAD).filter(|&j| j < conversions.len()) {
            if probed & (1 << (j % RING)) != 0 {
                let state = state_of(j);
                let code = state.base.prefetch_exact_text(probes[j % RING].hash);
                if let Some(record) = code.and_then(|code| state.codes.get(code as usize)) {
                    prefetch(record);
                }
            }
        }
        if let Some(k) = i.checked_sub(2 * AHEAD) {
            if let Some(conversion) = conversions.get(k) {
                let state = state_of(k);
                let first = (probed & (1 << (k % RING)) != 0)
                    .then(|| resolve_probed(state, &probes[k % RING], conversion.at, 0, &mut Lean));
                out.push(Attribution::UNATTRIBUTED);
                if let Some(verdict) = out.last_mut() {
                    decide(state, conversion, first, &mut Lean, verdict);
                }
            }
        }
    }
}

/// Fills `probe` with the order's first entered code when the exact index could hold it.
#[inline]
fn probe_first_code<'c>(state: &State, conversion: &Conversion<'c>, probe: &mut Probe<'c>) -> bool {
    if !state.matchers().has_exact_codes() {
        return false;
    }
    conversion
        .codes
        .get(0)
        .is_some_and(|code| probe.fill(state, code))
}
