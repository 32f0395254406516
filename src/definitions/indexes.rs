//! The registry's indexes of its codes: by id, and by case-folded text.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::BuildHasher;

use crate::model::CodeId;

/// Code id → position of the code in a registry, and in the engines compiled from it. Seeded
/// `foldhash`, as the engine's tables: ids come from hosts, and SipHash cost more here.
pub(crate) type IdIndex = HashMap<CodeId, usize, foldhash::fast::RandomState>;

/// The index of ids given in position order, built in one pass (a restart); `Err` holds an id
/// given twice.
pub(crate) fn index_ids(ids: impl ExactSizeIterator<Item = CodeId>) -> Result<IdIndex, CodeId> {
    let mut index = IdIndex::with_capacity_and_hasher(ids.len(), Default::default());
    let mut pairs: Vec<(CodeId, usize)> = ids
        .enumerate()
        .map(|(position, id)| (id, position))
        .collect();
    let hasher = index.hasher().clone();
    in_home_order(&mut pairs, index.capacity(), |(id, _)| hasher.hash_one(id));
    for (id, position) in pairs {
        if index.insert(id, position).is_some() {
            return Err(id);
        }
    }
    Ok(index)
}

/// Orders `items` by the slot of a hash table of `capacity` that each one's probe starts at —
/// for `std`'s tables, the low bits of the hash — keeping the given order among items of one
/// slot. Filled in this order, a table larger than the cache is written front to back instead
/// of at random: at a million codes, a cache miss per insertion was a third of a restart.
/// Only the speed depends on that layout; the table is the same in any order.
fn in_home_order<T: Copy>(items: &mut Vec<T>, capacity: usize, hash: impl Fn(&T) -> u64) {
    // `std` sizes a table to a power of two of which `capacity` is seven eighths.
    let slots = capacity.saturating_add(1).next_power_of_two();
    // A small table stays in the cache whatever the order.
    if items.len() < 4096 {
        return;
    }
    let first = items[0];
    // A stable counting sort into runs a few cache lines of slots long: close enough to
    // sequential, in two linear passes.
    let bins = (slots / 64).clamp(1, 1 << 16);
    let bin = |item: &T| (hash(item) as usize & (slots - 1)) * bins / slots;
    let mut starts = vec![0usize; bins + 1];
    let bins_of: Vec<u32> = items.iter().map(|item| bin(item) as u32).collect();
    for &b in &bins_of {
        starts[b as usize + 1] += 1;
    }
    for b in 0..bins {
        starts[b + 1] += starts[b];
    }
    let mut ordered = vec![first; items.len()];
    for (&item, &b) in items.iter().zip(&bins_of) {
        ordered[starts[b as usize]] = item;
        starts[b as usize] += 1;
    }
    *items = ordered;
}

/// Case-folded text → the positions of the exact codes holding it, in registration order,
/// without a second copy of the text: keyed by a hash of it, the texts themselves staying in the
/// definitions. Positions under one hash may hold other texts (a collision); callers compare.
///
/// Nearly every hash has one position, kept in the table itself: 16 bytes a slot where a list
/// per hash took 40, a fifth of what a registry of a million codes held. The few hashes with
/// more (a text reused in disjoint schedules, a collision) keep theirs in `shared`, the table
/// holding the list's index tagged with [`SHARED`].
#[derive(Clone, Debug, Default)]
pub(crate) struct TextIndex {
    hasher: foldhash::fast::RandomState,
    by_hash: HashMap<u64, usize, foldhash::fast::RandomState>,
    /// The positions of hashes with more than one, ascending; emptied lists are reused.
    shared: Vec<Vec<usize>>,
    free: Vec<usize>,
}

/// The tag of a [`TextIndex`] value that is an index into `shared`, not a position: positions
/// never come near it (each is a code held in memory).
const SHARED: usize = 1 << (usize::BITS - 1);

impl TextIndex {
    /// The index of the texts `folded` gives (folded text and position, in ascending position
    /// order), built in one pass (a restart).
    pub(crate) fn of(folded: impl FnOnce(&mut dyn FnMut(&str, usize))) -> TextIndex {
        let mut index = TextIndex::default();
        let mut hashes: Vec<(u64, usize)> = Vec::new();
        folded(&mut |text, position| hashes.push((index.hasher.hash_one(text), position)));
        index.by_hash.reserve(hashes.len());
        let table = index.by_hash.hasher().clone();
        in_home_order(&mut hashes, index.by_hash.capacity(), |(hash, _)| {
            table.hash_one(hash)
        });
        for (hash, position) in hashes {
            // In home order, the positions of one hash still come in ascending order.
            index.insert_hashed(hash, position);
        }
        index
    }

    /// Makes room for `additional` more texts.
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.by_hash.reserve(additional);
    }

    /// Adds a position; positions of one text stay in ascending (registration) order.
    pub(crate) fn insert(&mut self, folded: &str, position: usize) {
        self.insert_hashed(self.hasher.hash_one(folded), position);
    }

    /// [`insert`](TextIndex::insert) of a text by its hash, with one probe of the table.
    fn insert_hashed(&mut self, hash: u64, position: usize) {
        debug_assert!(position & SHARED == 0);
        let TextIndex {
            by_hash,
            shared,
            free,
            ..
        } = self;
        match by_hash.entry(hash) {
            Entry::Vacant(slot) => {
                slot.insert(position);
            }
            Entry::Occupied(slot) if *slot.get() & SHARED != 0 => {
                let positions = &mut shared[*slot.get() & !SHARED];
                // At a restart positions come in ascending order: this is a push.
                let at = positions.partition_point(|&p| p < position);
                positions.insert(at, position);
            }
            Entry::Occupied(mut slot) => {
                let one = *slot.get();
                let pair = if one < position {
                    vec![one, position]
                } else {
                    vec![position, one]
                };
                let at = match free.pop() {
                    Some(at) => {
                        shared[at] = pair;
                        at
                    }
                    None => {
                        shared.push(pair);
                        shared.len() - 1
                    }
                };
                slot.insert(at | SHARED);
            }
        }
    }

    pub(crate) fn remove(&mut self, folded: &str, position: usize) {
        let hash = self.hasher.hash_one(folded);
        match self.by_hash.get(&hash) {
            Some(&list) if list & SHARED != 0 => {
                let at = list & !SHARED;
                let positions = &mut self.shared[at];
                positions.retain(|p| *p != position);
                if let [one] = positions[..] {
                    // Back to a position in the table: the list is free for another hash.
                    self.shared[at] = Vec::new();
                    self.free.push(at);
                    self.by_hash.insert(hash, one);
                }
            }
            Some(&one) if one == position => {
                self.by_hash.remove(&hash);
            }
            _ => {}
        }
    }

    /// The positions that may hold `folded`, in registration order.
    pub(crate) fn candidates(&self, folded: &str) -> &[usize] {
        let hash = self.hasher.hash_one(folded);
        match self.by_hash.get(&hash) {
            None => &[],
            Some(list) if list & SHARED != 0 => &self.shared[list & !SHARED],
            Some(one) => std::slice::from_ref(one),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_index_finds_every_position_of_a_text() {
        let mut index = TextIndex::default();
        index.insert("save10", 4);
        index.insert("bob", 1);
        index.insert("save10", 0);
        index.insert("save10", 9);
        assert_eq!(index.candidates("save10"), [0, 4, 9]);
        assert_eq!(index.candidates("bob"), [1]);
        assert!(index.candidates("nope").is_empty());

        // Down to one position, then none; a list freed is reused by the next shared text.
        index.remove("save10", 4);
        index.remove("save10", 0);
        assert_eq!(index.candidates("save10"), [9]);
        index.remove("save10", 2);
        assert_eq!(index.candidates("save10"), [9]);
        index.remove("save10", 9);
        assert!(index.candidates("save10").is_empty());
        index.insert("bob", 0);
        assert_eq!(index.candidates("bob"), [0, 1]);
        assert_eq!(index.shared.len(), 1);
        index.remove("bob", 7);
        assert_eq!(index.candidates("bob"), [0, 1]);
    }

    /// The index against a naive map, through random inserts and removes.
    #[test]
    fn text_index_agrees_with_a_map_of_lists() {
        let mut index = TextIndex::default();
        let mut naive: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
        let mut rng = 0x2545_F491_u64;
        for _ in 0..20_000 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let text = format!("t{}", rng % 40);
            let position = (rng >> 8) as usize % 200;
            let positions = naive.entry(text.clone()).or_default();
            if rng % 3 == 0 {
                index.remove(&text, position);
                positions.retain(|&p| p != position);
            } else if !positions.contains(&position) {
                index.insert(&text, position);
                let at = positions.partition_point(|&p| p < position);
                positions.insert(at, position);
            }
        }
        for (text, positions) in &naive {
            assert_eq!(index.candidates(text), &positions[..], "{text}");
        }
    }
}
