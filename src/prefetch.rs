//! The crate's only `unsafe`: a prefetch hint, so that a batch of orders can ask for the memory
//! its next orders will read while it decides the current one.
//!
//! Plain loads can warm the caches too, but a load stalls the processor's in-order retirement
//! until it completes, so that work cannot go on under it; a prefetch retires at once. The hint
//! is an instruction that cannot fault, writes nothing and changes no result: on a target
//! without it, [`prefetch`] does nothing and only speed differs.

#![allow(unsafe_code)]

/// Asks the processor to bring the cache line holding the start of `value` into every cache
/// level, without waiting for it.
#[inline(always)]
pub(crate) fn prefetch<T>(value: &T) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse"))]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let address: *const T = value;
        // SAFETY: `_mm_prefetch` needs SSE, which this block is compiled only with (every
        // x86_64 target has it). A prefetch reads nothing the program sees, writes nothing and
        // never faults, whatever the address; this one comes from a live reference anyway.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(address.cast::<i8>()) }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse")))]
    let _ = value;
}
