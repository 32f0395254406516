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

/// Appends the attribution of each conversion to `out`, the i-th decided by `state_of(i)`.
pub(crate) fn attribute_batch<'s>(
    conversions: &[Conversion<'_>],
    state_of: impl Fn(usize) -> &'s State,
    out: &mut Vec<Attribution>,
) {
    out.reserve(conversions.len());
    let mut probes: [Option<Probe<'_>>; RING] = [const { None }; RING];
    for i in 0..conversions.len() + 2 * AHEAD {
        if let Some(conversion) = conversions.get(i) {
            let state = state_of(i);
            let probe = first_code(state, conversion);
            if let Some(probe) = &probe {
                state.base.prefetch_exact_home(probe.hash);
            }
            probes[i % RING] = probe;
        }
        if let Some(j) = i.checked_sub(AHEAD).filter(|&j| j < conversions.len()) {
            if let Some(probe) = &probes[j % RING] {
                let state = state_of(j);
                let code = state.base.prefetch_exact_text(probe.hash);
                if let Some(record) = code.and_then(|code| state.codes.get(code as usize)) {
                    prefetch(record);
                }
            }
        }
        if let Some(k) = i.checked_sub(2 * AHEAD) {
            if let Some(conversion) = conversions.get(k) {
                let state = state_of(k);
                let first = probes[k % RING]
                    .take()
                    .map(|probe| resolve_probed(state, &probe, conversion.at, 0, &mut Lean));
                out.push(decide(state, conversion, first, &mut Lean).0);
            }
        }
    }
}

/// The probe of the order's first entered code, when the exact index could hold it.
#[inline]
fn first_code<'c>(state: &State, conversion: &Conversion<'c>) -> Option<Probe<'c>> {
    if !state.matchers().has_exact_codes() {
        return None;
    }
    Probe::new(state, conversion.codes.get(0)?)
}
