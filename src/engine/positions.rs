//! Code id → position: four bytes a slot, about five a code, where a hash map of ids to
//! positions took 36 (an id of 8 bytes and a position of 8, at a load of at most seven
//! eighths, in a power-of-two table).
//!
//! The table holds positions only: a candidate slot is confirmed by reading the id of the
//! record at its position, the record a lookup wants next anyway. Codes added after the table
//! was built sit in a small map beside it, shared between engines as the table is.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;

use foldhash::fast::RandomState;

use crate::model::CodeId;

/// Slots per code: enough free slots that a probe sequence stays short.
const SLACK: f64 = 1.25;

/// Free slots after the last home slot: probe sequences run forward and never wrap.
const TAIL: usize = 64;

#[derive(Clone)]
pub(crate) struct Positions {
    /// Per slot: 0 when free, else the position plus one.
    slots: Arc<[u32]>,
    homes: usize,
    hashing: RandomState,
    /// Codes given a position after the table was built, by id; they take precedence.
    added: Arc<HashMap<CodeId, usize, RandomState>>,
}

impl Positions {
    /// The table of `codes` (each id with its position, each id once); `None` when a position
    /// does not fit in 32 bits less one.
    pub(crate) fn build(
        codes: impl ExactSizeIterator<Item = (CodeId, usize)>,
    ) -> Option<Positions> {
        let homes = ((codes.len() as f64 * SLACK) as usize).max(8);
        let hashing = RandomState::default();
        let mut slots = vec![0u32; homes + TAIL];
        for (id, position) in codes {
            let taken = u32::try_from(position).ok()?.checked_add(1)?;
            let mut at = home(hashing.hash_one(id), homes);
            loop {
                match slots.get_mut(at) {
                    Some(slot) if *slot == 0 => {
                        *slot = taken;
                        break;
                    }
                    Some(_) => at += 1,
                    // A cluster ran past the tail: rare, and cheap to make room for.
                    None => slots.resize(slots.len() + TAIL, 0),
                }
            }
        }
        Some(Positions {
            slots: slots.into(),
            homes,
            hashing,
            added: Arc::default(),
        })
    }

    /// The position of the code `id`, where `id_at` tells the id of the code at a position.
    #[inline]
    pub(crate) fn get(&self, id: CodeId, id_at: impl Fn(usize) -> Option<CodeId>) -> Option<usize> {
        if !self.added.is_empty() {
            if let Some(&position) = self.added.get(&id) {
                return Some(position);
            }
        }
        let start = home(self.hashing.hash_one(id), self.homes);
        for &slot in self.slots.get(start..)? {
            let position = usize::try_from(slot.checked_sub(1)?).ok()?;
            if id_at(position) == Some(id) {
                return Some(position);
            }
        }
        None
    }

    /// Gives `id` the position `position`, over any it had.
    pub(crate) fn set(&mut self, id: CodeId, position: usize) {
        Arc::make_mut(&mut self.added).insert(id, position);
    }

    /// The number of ids given a position since the table was built.
    pub(crate) fn changed(&self) -> usize {
        self.added.len()
    }

    /// Heap bytes of the table and the map beside it.
    pub(crate) fn memory_usage(&self) -> usize {
        self.slots.len() * size_of::<u32>()
            + self.added.capacity() * (size_of::<(CodeId, usize)>() + 1)
    }
}

/// Maps the hash onto `homes` slots without a division: the high bits of hash × homes.
#[inline]
fn home(hash: u64, homes: usize) -> usize {
    ((u128::from(hash) * homes as u128) >> 64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_code_and_nothing_else() {
        // Ids that collide on purpose would need the seed; many close ids make clusters enough.
        let ids: Vec<CodeId> = (0..50_000u64).map(|i| CodeId(i * 3 + 7)).collect();
        let mut positions = Positions::build(ids.iter().copied().zip(0..ids.len())).expect("fits");
        let id_at = |ids: &[CodeId], p: usize| ids.get(p).copied();
        for (p, &id) in ids.iter().enumerate() {
            assert_eq!(positions.get(id, |q| id_at(&ids, q)), Some(p));
        }
        for missing in [CodeId(0), CodeId(8), CodeId(u64::MAX)] {
            assert_eq!(positions.get(missing, |q| id_at(&ids, q)), None);
        }
        // An id moved to a new position (removed, then added again) is found there.
        let mut moved = ids.clone();
        moved.push(CodeId(7));
        positions.set(CodeId(7), ids.len());
        assert_eq!(
            positions.get(CodeId(7), |q| id_at(&moved, q)),
            Some(ids.len())
        );
        assert_eq!(positions.changed(), 1);
    }

    #[test]
    fn an_empty_table_finds_nothing() {
        let positions = Positions::build(std::iter::empty()).expect("fits");
        assert_eq!(positions.get(CodeId(1), |_| Some(CodeId(1))), None);
    }

    #[test]
    fn a_position_past_32_bits_is_refused() {
        assert!(Positions::build([(CodeId(1), u32::MAX as usize)].into_iter()).is_none());
        assert!(Positions::build([(CodeId(1), u32::MAX as usize - 1)].into_iter()).is_some());
    }
}
