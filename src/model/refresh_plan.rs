//! What bringing an engine up to date will cost: the answer of
//! [`Registry::refresh_plan`](crate::Registry::refresh_plan).

/// How [`Registry::refresh`](crate::Registry::refresh) brings an engine up to date, as
/// [`Registry::refresh_plan`](crate::Registry::refresh_plan) tells it beforehand.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefreshPlan {
    /// At the cost of the changes since the engine's revision: `changes` entries of the
    /// history. The new engine shares everything else with the old.
    Incremental {
        /// The history entries after the engine's revision.
        changes: usize,
    },
    /// A full compile: the engine was compiled from a registry whose history this one does
    /// not share at the engine's revision — another registry, or a copy of this one (a clone,
    /// a snapshot read back) after the two changed apart.
    OtherLineage,
    /// A full compile: the engine reflects a later revision than this registry holds.
    EngineAhead,
    /// A full compile: the engine reflects a revision before the registry's last
    /// [`checkpoint`](crate::Registry::checkpoint), whose changes since were folded.
    BeforeCheckpoint,
    /// A full compile: so many codes were added or changed since the engine's last full
    /// compile that compiling whole keeps lookups as fast as a fresh engine's.
    Compaction,
}

impl RefreshPlan {
    /// Whether the plan is a full compile, whose cost is the registry's size.
    pub fn compiles_in_full(self) -> bool {
        !matches!(self, RefreshPlan::Incremental { .. })
    }
}
