//! Many orders at once: the decision of [`attribute`](super::decide::attribute) without its
//! diagnostics, with the memory reads of a group of orders overlapped.
//!
//! A random exact hit over a million codes waits on DRAM about three times, one read after the
//! other: the home slot, the code's text, the code's record. An order alone cannot do better,
//! since each read needs the one before it; a group of orders can, by reading in phases — every
//! order's slot, then every order's text and record — so that the misses of one phase are in
//! flight together. The reads of the warm-up phases are plain loads (the library has no
//! `unsafe`, and with it no prefetch instruction): they are kept apart from any work, in tight
//! loops, so that the processor's window holds all of a group's loads at once. The decision
//! itself then runs as `attribute` does, on cached lines.

use std::hint::black_box;

use super::decide::decide;
use super::diagnostics::Lean;
use super::state::State;
use crate::matching::fold;
use crate::model::{Attribution, Conversion, MAX_CODE_LEN};

/// Orders per group: enough misses in flight to cover a DRAM round trip, few enough that the
/// warm-up loops fit the processor's window and the group's lines stay in L1.
const GROUP: usize = 16;

/// A group's first codes have no hash: nothing to warm for that order.
const NO_HASH: Option<u64> = None;

/// Appends the attribution of each conversion to `out`, the i-th decided by `state_of(i)`.
pub(crate) fn attribute_batch<'s>(
    conversions: &[Conversion<'_>],
    state_of: impl Fn(usize) -> &'s State,
    out: &mut Vec<Attribution>,
) {
    out.reserve(conversions.len());
    for (start, group) in (0..).step_by(GROUP).zip(conversions.chunks(GROUP)) {
        let mut hashes = [NO_HASH; GROUP];
        for (i, conversion) in group.iter().enumerate() {
            hashes[i] = first_code_hash(state_of(start + i), conversion);
        }
        let mut sink = 0u64;
        for (i, hash) in hashes.iter().enumerate().take(group.len()) {
            if let Some(hash) = *hash {
                sink ^= state_of(start + i).base.touch_exact_home(hash);
            }
        }
        for (i, hash) in hashes.iter().enumerate().take(group.len()) {
            if let Some(hash) = *hash {
                let state = state_of(start + i);
                let (code, text) = state.base.touch_exact_text(hash);
                sink ^= text;
                if let Some(code) = code.and_then(|code| state.codes.get(code as usize)) {
                    sink ^= code.id.0;
                }
            }
        }
        // The loads above are for their side effect on the caches; consuming their values
        // keeps the compiler from dropping them.
        black_box(sink);
        for (i, conversion) in group.iter().enumerate() {
            out.push(decide(state_of(start + i), conversion, &mut Lean).0);
        }
    }
}

/// The hash the base exact index looks the order's first entered code up by, when it has one
/// and the code could be there.
#[inline]
fn first_code_hash(state: &State, conversion: &Conversion<'_>) -> Option<u64> {
    if !state.base.has_exact_codes() {
        return None;
    }
    let text = fold::trim(conversion.codes.get(0)?);
    if text.is_empty() || text.len() > MAX_CODE_LEN {
        return None;
    }
    fold::with_folded_bytes(text, |key| state.base.exact_hash(key))
}
