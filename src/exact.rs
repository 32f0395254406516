//! The exact-code index: case-folded text → codes, built once, probed on every entered code.
//!
//! An open-addressing table with linear probing, sized to at most two-thirds full. Beside the
//! slots runs a control array of one byte per slot (empty, or 7 bits of the text's hash), as in
//! SwissTable: 1.5 MB for a million codes, small enough to stay in the last-level cache, so a
//! miss is usually answered without touching the 16-byte slots at all. A slot holds 32 more
//! bits of the hash, the code, and where its folded text lies in one shared arena; a hit reads
//! the control bytes, one slot, then the text.
//! Several codes may share a text (a schedule's successive codes, a tracking code and a
//! restricted one); they sit in registration order along the probe sequence, and a flag on each
//! says whether another follows, so that a lookup stops at the last one instead of probing on
//! to an empty slot.
//!
//! The hash is seeded at random per index: entered codes come from the public, and a fixed
//! seed would let someone who knows it aim many texts at one slot.
//!
//! The same table indexes the regex matcher's literal prefixes, with a hash that extends one
//! byte at a time ([`Hashing::Rolling`]), so that every prefix of an entered code is hashed in
//! one pass over it.

use std::hash::BuildHasher;

/// A slot: 16 bytes.
#[derive(Clone, Copy)]
struct Slot {
    tag: u32,
    /// The code's index; `EMPTY` for a free slot.
    code: u32,
    text_start: u32,
    text_len: u16,
    /// Another code with the same text follows along the probe sequence.
    more: bool,
}

const EMPTY: u32 = u32::MAX;

const FREE: Slot = Slot {
    tag: 0,
    code: EMPTY,
    text_start: 0,
    text_len: 0,
    more: false,
};

/// How keys are hashed.
pub(crate) enum Hashing {
    /// `foldhash` over the whole key.
    Whole(foldhash::quality::RandomState),
    /// FNV-1a from a random basis, extended a byte at a time, then mixed.
    Rolling(u64),
}

impl Hashing {
    pub(crate) fn whole() -> Hashing {
        Hashing::Whole(foldhash::quality::RandomState::default())
    }

    /// A rolling hash whose basis comes from the same random source as `foldhash`'s seeds.
    pub(crate) fn rolling() -> Hashing {
        Hashing::Rolling(foldhash::quality::RandomState::default().hash_one(0u8))
    }

    fn hash(&self, key: &[u8]) -> u64 {
        match self {
            Hashing::Whole(state) => state.hash_one(key),
            Hashing::Rolling(basis) => finish(key.iter().fold(*basis, |h, &b| step(h, b))),
        }
    }
}

/// One byte of the rolling hash (FNV-1a).
#[inline]
pub(crate) fn step(h: u64, byte: u8) -> u64 {
    (h ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01B3)
}

/// Spreads a rolling hash over all 64 bits (MurmurHash3's finaliser): FNV alone leaves the high
/// bits, which pick the slot, poorly mixed for short keys.
#[inline]
pub(crate) fn finish(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    h ^ (h >> 33)
}

pub(crate) struct ExactIndex {
    /// Per slot: 0 when free, else `0x80 | 7 bits of the hash`.
    control: Box<[u8]>,
    slots: Box<[Slot]>,
    texts: Box<[u8]>,
    hashing: Hashing,
    len: usize,
}

impl ExactIndex {
    /// Indexes `(folded text, code)` pairs; codes sharing a text are listed in the order given.
    /// `None` if the texts outgrow 32-bit offsets (4 GiB of code text).
    pub(crate) fn build<'a>(
        entries: impl ExactSizeIterator<Item = (&'a [u8], u32)>,
        hashing: Hashing,
    ) -> Option<Self> {
        let len = entries.len();
        // At most two-thirds full: a miss then probes about five slots.
        let capacity = (len + len / 2).max(8);
        let mut index = ExactIndex {
            control: vec![0; capacity].into_boxed_slice(),
            slots: vec![FREE; capacity].into_boxed_slice(),
            texts: Box::default(),
            hashing,
            len,
        };
        let mut texts = Vec::new();
        for (text, code) in entries {
            let hash = index.hashing.hash(text);
            let mut at = index.home(hash);
            let tag = hash as u32;
            loop {
                let slot = index.slots[at];
                if slot.code == EMPTY {
                    break;
                }
                if slot.tag == tag && index.text_of(&slot, &texts) == text {
                    index.slots[at].more = true;
                }
                at = index.next(at);
            }
            index.control[at] = control_byte(hash);
            index.slots[at] = Slot {
                tag,
                code,
                text_start: u32::try_from(texts.len()).ok()?,
                text_len: u16::try_from(text.len()).ok()?,
                more: false,
            };
            texts.extend_from_slice(text);
        }
        index.texts = texts.into_boxed_slice();
        Some(index)
    }

    #[inline]
    fn home(&self, hash: u64) -> usize {
        // Maps the hash onto the table without a division: the high bits of hash × capacity.
        ((u128::from(hash) * self.slots.len() as u128) >> 64) as usize
    }

    #[inline]
    fn next(&self, at: usize) -> usize {
        if at + 1 == self.slots.len() {
            0
        } else {
            at + 1
        }
    }

    fn text_of<'t>(&self, slot: &Slot, texts: &'t [u8]) -> &'t [u8] {
        let start = slot.text_start as usize;
        &texts[start..start + usize::from(slot.text_len)]
    }

    /// Calls `visit` with every code whose key is `key`, in registration order.
    #[inline]
    pub(crate) fn for_each(&self, key: &[u8], visit: impl FnMut(u32)) {
        self.for_each_hashed(key, self.hashing.hash(key), visit);
    }

    /// [`for_each`](Self::for_each) with the key's hash already computed, as a rolling hash
    /// is, the same way as [`Hashing::hash`].
    #[inline]
    pub(crate) fn for_each_hashed(&self, key: &[u8], hash: u64, mut visit: impl FnMut(u32)) {
        let tag = hash as u32;
        let control = control_byte(hash);
        let mut at = self.home(hash);
        loop {
            let byte = self.control[at];
            if byte == 0 {
                return;
            }
            if byte != control {
                at = self.next(at);
                continue;
            }
            let slot = &self.slots[at];
            if slot.tag == tag
                && usize::from(slot.text_len) == key.len()
                && self.text_of(slot, &self.texts) == key
            {
                visit(slot.code);
                if !slot.more {
                    return;
                }
            }
            at = self.next(at);
        }
    }

    /// The rolling hash's basis, if the index uses one.
    pub(crate) fn rolling_basis(&self) -> Option<u64> {
        match self.hashing {
            Hashing::Rolling(basis) => Some(basis),
            Hashing::Whole(_) => None,
        }
    }

    /// The number of codes indexed.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Heap bytes held: the control bytes, the slots and the texts.
    pub(crate) fn memory_usage(&self) -> usize {
        self.control.len() + self.slots.len() * size_of::<Slot>() + self.texts.len()
    }
}

/// 7 bits of the hash that neither the home slot (high bits) nor the slot's tag (low 32 bits)
/// uses, with the top bit set so that no occupied slot reads as free.
#[inline]
fn control_byte(hash: u64) -> u8 {
    0x80 | ((hash >> 32) as u8 & 0x7F)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(index: &ExactIndex, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        index.for_each(text.as_bytes(), |code| out.push(code));
        out
    }

    #[test]
    fn finds_every_code_of_a_text_in_order() {
        let entries = [
            ("save10", 0),
            ("bob", 1),
            ("save10", 2),
            ("x", 3),
            ("save10", 4),
        ];
        for hashing in [Hashing::whole(), Hashing::rolling()] {
            let index = ExactIndex::build(entries.iter().map(|&(t, c)| (t.as_bytes(), c)), hashing)
                .unwrap();
            assert_eq!(lookup(&index, "save10"), [0, 2, 4]);
            assert_eq!(lookup(&index, "bob"), [1]);
            assert_eq!(lookup(&index, "bo"), [] as [u32; 0]);
            assert_eq!(lookup(&index, ""), [] as [u32; 0]);
            assert_eq!(index.len(), 5);
        }
    }

    #[test]
    fn holds_many_texts() {
        let texts: Vec<String> = (0..10_000).map(|i| format!("code{i}")).collect();
        let index = ExactIndex::build(
            texts
                .iter()
                .enumerate()
                .map(|(i, t)| (t.as_bytes(), i as u32))
                .collect::<Vec<_>>()
                .into_iter(),
            Hashing::whole(),
        )
        .unwrap();
        for (i, text) in texts.iter().enumerate() {
            assert_eq!(lookup(&index, text), [i as u32]);
        }
        assert_eq!(lookup(&index, "code10000"), [] as [u32; 0]);
    }

    #[test]
    fn an_empty_index_answers() {
        let index = ExactIndex::build(std::iter::empty(), Hashing::whole()).unwrap();
        assert_eq!(lookup(&index, "a"), [] as [u32; 0]);
    }
}
