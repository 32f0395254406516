//! Which registry a revision belongs to. An engine remembers the stamp of the revision it
//! reflects; a registry brings it up to date at the cost of the changes since only when it
//! holds that revision under that stamp — itself, a clone of it, or a registry read back from
//! a snapshot of it — and compiles whole otherwise.
//!
//! A registry's revisions fall in stretches, each with a seed of its own: a registry starts
//! one, and a clone or a registry read back from a snapshot starts another at its next
//! revision, since it and its source may change apart from there. The stamp of a revision is
//! a mix of its number and its stretch's seed, so that two registries agree on a revision's
//! stamp exactly when they share its history. Seeds are random per process and call, and
//! snapshots carry them, so a restart keeps the stamps of the revisions before it.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};

/// The stretches of a registry's revisions, by the revision each starts at, ascending; the
/// first starts at 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Lineage {
    stretches: Vec<Stretch>,
}

/// Revisions from `from` on, up to the next stretch's, stamped with `seed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stretch {
    pub(crate) from: u64,
    pub(crate) seed: u64,
}

impl Lineage {
    /// The lineage of a new registry: one stretch from revision 0.
    pub(crate) fn new() -> Lineage {
        Lineage {
            stretches: vec![Stretch {
                from: 0,
                seed: new_seed(),
            }],
        }
    }

    /// A lineage read back from a snapshot; `None` when the stretches are not in the form
    /// this module writes (the first from revision 0, each after the one before).
    pub(crate) fn from_stretches(stretches: Vec<Stretch>) -> Option<Lineage> {
        let from_zero = stretches.first().is_some_and(|first| first.from == 0);
        let ascending = stretches.windows(2).all(|w| w[0].from < w[1].from);
        (from_zero && ascending).then_some(Lineage { stretches })
    }

    /// The stretches that hold a revision up to `revision`: what a snapshot keeps. A stretch
    /// forked but not yet changed in is left out, so that a registry read back and written
    /// again writes what it read; the registry that reads it forks anew.
    pub(crate) fn stretches(&self, revision: u64) -> &[Stretch] {
        let held = self.stretches.partition_point(|s| s.from <= revision);
        &self.stretches[..held]
    }

    /// Makes the revisions from `next` on this lineage's own: the registry holding it was
    /// copied, and the copies may change apart from here.
    pub(crate) fn fork(&mut self, next: u64) {
        let seed = new_seed();
        match self.stretches.last_mut() {
            // Copied again before it changed: the stretch had no revision yet.
            Some(last) if last.from >= next => last.seed = seed,
            _ => self.stretches.push(Stretch { from: next, seed }),
        }
    }

    /// The stamp of `revision`.
    pub(crate) fn stamp(&self, revision: u64) -> u64 {
        let after = self.stretches.partition_point(|s| s.from <= revision);
        let seed = after
            .checked_sub(1)
            .and_then(|i| self.stretches.get(i))
            .map_or(0, |s| s.seed);
        mix(seed, revision)
    }
}

/// A seed no other stretch is likely to have: std's per-thread random keys, advanced on every
/// call, over a process-wide counter.
fn new_seed() -> u64 {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    RandomState::new().hash_one(CALLS.fetch_add(1, Ordering::Relaxed))
}

/// SplitMix64's finaliser over the seed and the revision.
fn mix(seed: u64, revision: u64) -> u64 {
    let mut z = seed ^ revision.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fork_keeps_the_stamps_before_it_and_changes_the_ones_after() {
        let original = Lineage::new();
        let mut copy = original.clone();
        copy.fork(6);
        for revision in 0..6 {
            assert_eq!(copy.stamp(revision), original.stamp(revision));
        }
        for revision in 6..20 {
            assert_ne!(copy.stamp(revision), original.stamp(revision));
        }
        // Copied again before any change: the same stretch, a new seed.
        let before = copy.stamp(6);
        copy.fork(6);
        assert_eq!(copy.stretches(6).len(), 2);
        assert_eq!(copy.stretches(5), original.stretches(5));
        assert_ne!(copy.stamp(6), before);
        assert_eq!(copy.stamp(5), original.stamp(5));
    }

    #[test]
    fn stretches_read_back_only_in_the_form_written() {
        let stretch = |from, seed| Stretch { from, seed };
        assert!(Lineage::from_stretches(vec![]).is_none());
        assert!(Lineage::from_stretches(vec![stretch(1, 7)]).is_none());
        assert!(Lineage::from_stretches(vec![stretch(0, 7), stretch(0, 8)]).is_none());
        let lineage = Lineage::from_stretches(vec![stretch(0, 7), stretch(4, 8)]).unwrap();
        assert_eq!(lineage.stamp(3), mix(7, 3));
        assert_eq!(lineage.stamp(4), mix(8, 4));
    }
}
