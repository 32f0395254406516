//! Where a decision's diagnostics go, as a type parameter of the decision.

use crate::model::{CodeHit, Decision, OtherMatch};

/// Where a decision's diagnostics go: a full [`Decision`] keeps them; the batch path, which
/// returns an [`Attribution`](crate::Attribution), drops them — and, the sink being a type parameter, the work of
/// gathering them is compiled out with them.
pub(crate) trait Diagnostics {
    /// Whether the codes an entered text matched but that cannot win it are wanted: without
    /// them, a text won by an exact code is not run through the regex matcher.
    const ALL_MATCHES: bool;

    /// What the entered code at the next position hit.
    fn entered(&mut self, hit: CodeHit);
    /// A tracking code that matched an entered code but was not chosen. Built only by a sink
    /// that keeps it: the lean sink compiles the building out.
    fn other(&mut self, other: impl FnOnce() -> OtherMatch);
}

/// The diagnostics of a full [`Decision`]: every entered code's hit, and the other matches up
/// to the program's limit, counting the ones past it (SPEC §12).
pub(crate) struct Kept<'d> {
    pub(crate) decision: &'d mut Decision,
    pub(crate) max_others: usize,
}

impl Diagnostics for Kept<'_> {
    const ALL_MATCHES: bool = true;

    #[inline]
    fn entered(&mut self, hit: CodeHit) {
        self.decision.entered.push(hit);
    }

    #[inline]
    fn other(&mut self, other: impl FnOnce() -> OtherMatch) {
        if self.decision.others.len() < self.max_others {
            self.decision.others.push(other());
        } else {
            self.decision.others_left_out += 1;
        }
    }
}

/// Diagnostics nobody asked for.
pub(crate) struct Lean;

impl Diagnostics for Lean {
    const ALL_MATCHES: bool = false;

    #[inline(always)]
    fn entered(&mut self, _: CodeHit) {}

    #[inline(always)]
    fn other(&mut self, _: impl FnOnce() -> OtherMatch) {}
}
