//! Tables that successive engines share: a change copies the piece it touches, not the whole.
//! An engine brought up to date after one change holds a copied chunk of a thousand records and
//! small maps of what changed; everything else it shares with the engine before it.

use std::collections::HashMap;
use std::hash::Hash;
use std::ops::Index;
use std::sync::Arc;

use foldhash::fast::RandomState;

const SHIFT: u32 = 8;
/// Items per chunk: a change to one item copies this many. Smaller chunks make a batch of
/// changes to scattered codes copy less; larger ones make the table cloned per change smaller.
const CHUNK: usize = 1 << SHIFT;
const MASK: usize = CHUNK - 1;

/// A vector in chunks shared between engines: cloning it clones one pointer per chunk, and
/// changing an item copies only its chunk when another engine still holds it. A chunk is an
/// `Arc<[T]>`, whose pointer leads straight to the items: an item costs one read of the chunk
/// table (small, and in cache) more than in a plain vector, not two.
pub(crate) struct Chunked<T> {
    chunks: Vec<Arc<[T]>>,
    len: usize,
}

impl<T> Clone for Chunked<T> {
    fn clone(&self) -> Self {
        Chunked {
            chunks: self.chunks.clone(),
            len: self.len,
        }
    }
}

impl<T: Clone> Chunked<T> {
    /// The items `items` yields, in order.
    pub(crate) fn collect(items: impl Iterator<Item = T>) -> Chunked<T> {
        let mut chunks = Vec::new();
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut len = 0;
        for item in items {
            if chunk.len() == CHUNK {
                chunks.push(Arc::from(std::mem::replace(
                    &mut chunk,
                    Vec::with_capacity(CHUNK),
                )));
            }
            chunk.push(item);
            len += 1;
        }
        if !chunk.is_empty() {
            chunks.push(Arc::from(chunk));
        }
        Chunked { chunks, len }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i >> SHIFT)?.get(i & MASK)
    }

    /// Replaces item `i`; nothing happens past the end.
    pub(crate) fn set(&mut self, i: usize, item: T) {
        if let Some(chunk) = self.chunks.get_mut(i >> SHIFT) {
            if let Some(slot) = Arc::make_mut(chunk).get_mut(i & MASK) {
                *slot = item;
            }
        }
    }

    /// Appends an item. The last chunk is copied to grow it: pushes are the rare case (codes
    /// added since a full compile), and a chunk of 256 is quick to copy.
    pub(crate) fn push(&mut self, item: T) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => {
                let mut grown = Vec::with_capacity(chunk.len() + 1);
                grown.extend_from_slice(chunk);
                grown.push(item);
                *chunk = Arc::from(grown);
            }
            _ => self.chunks.push(Arc::from(vec![item])),
        }
        self.len += 1;
    }

    /// The number of items from the start for which `pred` holds, given that it holds for
    /// every item before the first for which it does not.
    pub(crate) fn partition_point(&self, pred: impl Fn(&T) -> bool) -> usize {
        let (mut low, mut high) = (0, self.len);
        while low < high {
            let mid = low + (high - low) / 2;
            if pred(&self[mid]) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        low
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.chunks.iter().flat_map(|chunk| chunk.iter())
    }

    /// Heap bytes: the chunk table and the chunks, plus what `heap` says each item holds.
    pub(crate) fn memory_usage(&self, heap: impl Fn(&T) -> usize) -> usize {
        self.chunks.capacity() * size_of::<Arc<[T]>>()
            + self
                .chunks
                .iter()
                .map(|chunk| {
                    2 * size_of::<usize>()
                        + chunk.len() * size_of::<T>()
                        + chunk.iter().map(&heap).sum::<usize>()
                })
                .sum::<usize>()
    }
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;

    #[inline]
    fn index(&self, i: usize) -> &T {
        &self.chunks[i >> SHIFT][i & MASK]
    }
}

/// A map compiled once, and the changes made to it since, kept apart: an engine brought up to
/// date copies only the changes.
pub(crate) struct Layered<K, V> {
    base: Arc<HashMap<K, V, RandomState>>,
    /// `None` removes the key.
    changes: Arc<HashMap<K, Option<V>, RandomState>>,
}

impl<K, V> Clone for Layered<K, V> {
    fn clone(&self) -> Self {
        Layered {
            base: Arc::clone(&self.base),
            changes: Arc::clone(&self.changes),
        }
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Layered<K, V> {
    pub(crate) fn new(base: HashMap<K, V, RandomState>) -> Layered<K, V> {
        Layered {
            base: Arc::new(base),
            changes: Arc::default(),
        }
    }

    #[inline]
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        if !self.changes.is_empty() {
            if let Some(changed) = self.changes.get(key) {
                return changed.as_ref();
            }
        }
        self.base.get(key)
    }

    pub(crate) fn set(&mut self, key: K, value: Option<V>) {
        Arc::make_mut(&mut self.changes).insert(key, value);
    }

    /// The number of keys changed since the map was compiled.
    pub(crate) fn changed(&self) -> usize {
        self.changes.len()
    }

    pub(crate) fn len(&self) -> usize {
        let added = self
            .changes
            .iter()
            .filter(|(k, v)| v.is_some() != self.base.contains_key(k))
            .map(|(_, v)| if v.is_some() { 1 } else { -1 })
            .sum::<isize>();
        self.base.len().saturating_add_signed(added)
    }

    /// Heap bytes of the tables, plus what `heap` says each value holds.
    pub(crate) fn memory_usage(&self, heap: impl Fn(&V) -> usize) -> usize {
        self.base.capacity() * (size_of::<(K, V)>() + 1)
            + self.base.values().map(&heap).sum::<usize>()
            + self.changes.capacity() * (size_of::<(K, Option<V>)>() + 1)
            + self.changes.values().flatten().map(&heap).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_shared_until_changed() {
        let a = Chunked::collect(0..3000u32);
        assert!(a.chunks.len() > 2, "the test needs several chunks");
        let mut b = a.clone();
        b.set(1500, 7);
        b.push(9);
        assert_eq!((a[1500], b[1500], b[3000], b.len()), (1500, 7, 9, 3001));
        assert!(Arc::ptr_eq(&a.chunks[0], &b.chunks[0]));
        assert!(!Arc::ptr_eq(
            &a.chunks[1500 >> SHIFT],
            &b.chunks[1500 >> SHIFT]
        ));
        assert_eq!(a.get(3000), None);
        for (x, expected) in [(0, 0), (1500, 1500), (2999, 2999), (5000, 3000)] {
            assert_eq!(a.partition_point(|&item| item < x), expected);
        }
        assert_eq!(
            b.iter().copied().sum::<u32>(),
            (0..3000).sum::<u32>() - 1500 + 7 + 9
        );
    }

    #[test]
    fn layered_changes_override_the_base() {
        let base: HashMap<u32, &str, RandomState> = [(1, "a"), (2, "b")].into_iter().collect();
        let mut map = Layered::new(base);
        let before = map.clone();
        map.set(2, None);
        map.set(3, Some("c"));
        map.set(1, Some("z"));
        assert_eq!(
            (map.get(&1), map.get(&2), map.get(&3)),
            (Some(&"z"), None, Some(&"c"))
        );
        assert_eq!((map.len(), map.changed()), (2, 3));
        assert_eq!((before.get(&2), before.len()), (Some(&"b"), 2));
    }
}
