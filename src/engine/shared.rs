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
/// changes to scattered codes copy less; larger ones make the tables copied per change smaller.
const CHUNK: usize = 1 << SHIFT;
const MASK: usize = CHUNK - 1;
const GROUP_SHIFT: u32 = 6;
/// Chunks per group: a change to one item copies the pointers of its group, and cloning the
/// vector clones one pointer per group. With a single table of chunks, an engine brought up to
/// date after one change at a million codes cloned (and the one before it later dropped) four
/// thousand reference counts: most of the refresh.
const GROUP: usize = 1 << GROUP_SHIFT;
const GROUP_MASK: usize = GROUP - 1;

/// A vector in chunks shared between engines: cloning it clones one pointer per group of 64
/// chunks, and changing an item copies only its chunk and its group's pointers when another
/// engine still holds them. An item costs two reads of small tables (in cache) more than in a
/// plain vector.
pub(crate) struct Chunked<T> {
    groups: Vec<Arc<[Arc<[T]>]>>,
    len: usize,
}

impl<T> Clone for Chunked<T> {
    fn clone(&self) -> Self {
        Chunked {
            groups: self.groups.clone(),
            len: self.len,
        }
    }
}

impl<T: Clone> Chunked<T> {
    /// The items `items` yields, in order.
    pub(crate) fn collect(items: impl Iterator<Item = T>) -> Chunked<T> {
        let mut chunks: Vec<Arc<[T]>> = Vec::new();
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
        Chunked {
            groups: chunks.chunks(GROUP).map(Arc::from).collect(),
            len,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        self.groups
            .get(i >> (SHIFT + GROUP_SHIFT))?
            .get((i >> SHIFT) & GROUP_MASK)?
            .get(i & MASK)
    }

    /// Replaces item `i`; nothing happens past the end.
    pub(crate) fn set(&mut self, i: usize, item: T) {
        let Some(group) = self.groups.get_mut(i >> (SHIFT + GROUP_SHIFT)) else {
            return;
        };
        if let Some(chunk) = Arc::make_mut(group).get_mut((i >> SHIFT) & GROUP_MASK) {
            if let Some(slot) = Arc::make_mut(chunk).get_mut(i & MASK) {
                *slot = item;
            }
        }
    }

    /// Appends an item. The last chunk and its group's pointers are copied to grow them:
    /// pushes are the rare case (codes added since a full compile, a change after all others
    /// of a code), and both are quick to copy.
    pub(crate) fn push(&mut self, item: T) {
        let full_group = self.len % (CHUNK * GROUP) == 0;
        if full_group {
            self.groups.push(Arc::from([Arc::from([item])]));
        } else if let Some(group) = self.groups.last_mut() {
            let mut chunks = group.to_vec();
            match chunks.last_mut() {
                Some(chunk) if chunk.len() < CHUNK => {
                    let mut grown = Vec::with_capacity(chunk.len() + 1);
                    grown.extend_from_slice(chunk);
                    grown.push(item);
                    *chunk = Arc::from(grown);
                }
                _ => chunks.push(Arc::from([item])),
            }
            *group = Arc::from(chunks);
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
        self.groups
            .iter()
            .flat_map(|group| group.iter())
            .flat_map(|chunk| chunk.iter())
    }

    /// Heap bytes: the tables and the chunks, plus what `heap` says each item holds.
    pub(crate) fn memory_usage(&self, heap: impl Fn(&T) -> usize) -> usize {
        let chunk = |chunk: &Arc<[T]>| {
            2 * size_of::<usize>()
                + chunk.len() * size_of::<T>()
                + chunk.iter().map(&heap).sum::<usize>()
        };
        self.groups.capacity() * size_of::<Arc<[Arc<[T]>]>>()
            + self
                .groups
                .iter()
                .map(|group| {
                    2 * size_of::<usize>()
                        + group.len() * size_of::<Arc<[T]>>()
                        + group.iter().map(chunk).sum::<usize>()
                })
                .sum::<usize>()
    }
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;

    #[inline]
    fn index(&self, i: usize) -> &T {
        &self.groups[i >> (SHIFT + GROUP_SHIFT)][(i >> SHIFT) & GROUP_MASK][i & MASK]
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
        let n = 3 * CHUNK * GROUP + 1000;
        let a = Chunked::collect(0..n as u32);
        assert_eq!(a.groups.len(), 4, "the test needs several groups");
        let mut b = a.clone();
        let changed = CHUNK * GROUP + 1500;
        b.set(changed, 7);
        b.push(9);
        assert_eq!(
            (a[changed], b[changed], b[n], b.len()),
            (changed as u32, 7, 9, n + 1)
        );
        // Only the changed item's group and chunk were copied, and the last ones, grown.
        assert!(Arc::ptr_eq(&a.groups[0], &b.groups[0]));
        assert!(Arc::ptr_eq(&a.groups[2], &b.groups[2]));
        assert!(!Arc::ptr_eq(&a.groups[1], &b.groups[1]));
        assert!(Arc::ptr_eq(&a.groups[1][0], &b.groups[1][0]));
        assert!(!Arc::ptr_eq(
            &a.groups[1][1500 >> SHIFT],
            &b.groups[1][1500 >> SHIFT]
        ));
        assert!(!Arc::ptr_eq(&a.groups[3], &b.groups[3]));
        assert!(a.iter().copied().eq(0..n as u32));
        // Pushes fill chunks and groups, and open new ones.
        let mut c = Chunked::collect(std::iter::empty());
        for i in 0..(CHUNK * GROUP + 3) as u32 {
            c.push(i);
        }
        assert_eq!(
            (c.groups.len(), c.groups[1].len(), c.len()),
            (2, 1, CHUNK * GROUP + 3)
        );
        assert!(c.iter().copied().eq(0..(CHUNK * GROUP + 3) as u32));
        assert_eq!(a.get(n), None);
        for (x, expected) in [(0, 0), (1500, 1500), (n - 1, n - 1), (n + 5, n)] {
            assert_eq!(a.partition_point(|&item| item < x as u32), expected);
        }
        assert_eq!(
            b.iter().map(|&x| u64::from(x)).sum::<u64>(),
            (0..n as u64).sum::<u64>() - changed as u64 + 7 + 9
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
