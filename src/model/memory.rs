//! What an engine holds, for capacity planning.

/// The heap memory an [`Engine`](crate::Engine) holds, in bytes, by part. See
/// [`Engine::memory_usage`](crate::Engine::memory_usage).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MemoryUsage {
    /// The exact-code index: its hash table and the case-folded texts.
    pub exact_index: usize,
    /// The regex matcher: prefix index, per-pattern automata, and the fallback engines.
    pub regex_matcher: usize,
    /// What attribution reads of each code, the full definitions, the id index, contracts.
    pub definitions: usize,
}

impl MemoryUsage {
    /// The sum of the parts.
    pub fn total(&self) -> usize {
        self.exact_index + self.regex_matcher + self.definitions
    }
}
