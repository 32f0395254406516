//! The exact-code index: case-folded text → codes, built once, probed on every entered code.
//!
//! An open-addressing table with linear probing, sized to at most two-thirds full. Beside the
//! slots runs a control array of one byte per slot (empty, or 7 bits of the text's hash), as in
//! SwissTable: 1.5 MB for a million codes, small enough to stay in the last-level cache, so a
//! miss is usually answered from them. A slot holds the code and where its folded text lies in
//! one shared arena: 12 bytes. (It held 32 more bits of the hash as well, which spared a
//! lookup the text of one slot in 128 that its control byte let through, at a third of the
//! slot's size: not worth it.) A lookup reads the home slot together with
//! the control bytes, since most keys sit at home, so that a hit costs two dependent reads (the
//! slot, then the text) rather than three; a miss mostly pays for the slot read in parallel.
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

use std::collections::HashMap;
use std::hash::BuildHasher;

use crate::prefetch::prefetch;

/// A slot: 12 bytes (checked below).
#[derive(Clone, Copy)]
struct Slot {
    /// The code's index. Whether the slot is taken is its control byte's business.
    code: u32,
    text_start: u32,
    text_len: u16,
    /// Another code with the same text follows along the probe sequence.
    more: bool,
}

const _: () = assert!(size_of::<Slot>() == 12);

const FREE: Slot = Slot {
    code: 0,
    text_start: 0,
    text_len: 0,
    more: false,
};

/// How keys are hashed.
#[derive(Clone)]
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

    /// A random basis for [`Hashing::Rolling`], from the same source as `foldhash`'s seeds.
    pub(crate) fn random_basis() -> u64 {
        foldhash::quality::RandomState::default().hash_one(0u8)
    }

    pub(crate) fn hash(&self, key: &[u8]) -> u64 {
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
    /// The number of home slots; the arrays run on past them.
    homes: usize,
    len: usize,
}

/// Control bytes read at once.
const GROUP: usize = 8;

const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each zero byte of `x` set. Bytes above a zero byte may read as zero too
/// (a borrow runs on); callers use only the lowest hit as exact and check the others.
#[inline]
fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(LOW_BITS) & !x & HIGH_BITS
}

/// Maps the hash onto `homes` slots without a division: the high bits of hash × homes.
#[inline]
fn home(hash: u64, homes: usize) -> usize {
    ((u128::from(hash) * homes as u128) >> 64) as usize
}

fn text_of<'t>(slot: &Slot, texts: &'t [u8]) -> &'t [u8] {
    let start = slot.text_start as usize;
    &texts[start..start + usize::from(slot.text_len)]
}

impl ExactIndex {
    /// Indexes `(folded text, code)` pairs; codes sharing a text are listed in the order given.
    /// `None` if the texts outgrow 32-bit offsets (4 GiB of code text).
    ///
    /// `slack` is the number of slots per entry (at least 1.25): 1.5 keeps a million codes
    /// compact, while a table probed mostly for misses, like the prefix table, wants more.
    pub(crate) fn build<'a>(
        entries: impl ExactSizeIterator<Item = (&'a [u8], u32)>,
        hashing: Hashing,
        slack: f64,
    ) -> Option<Self> {
        let len = entries.len();
        let homes = ((len as f64 * slack.max(1.25)) as usize).max(8);
        // Probe sequences run forward and never wrap: the table grows past its last home slot
        // as far as they need, and ends with a group of free control bytes, so a group read
        // never leaves the array and every probe ends.
        let mut control = vec![0u8; homes + GROUP];
        let mut slots = vec![FREE; homes + GROUP];
        let mut texts = Vec::new();
        // The last slot of each text met more than once. Codes of one text sit in order along
        // the probe sequence, so the next one goes after that slot: probing from home past all
        // of them made K codes of one text cost K² (a schedule of 50,000 monthly codes).
        let mut last_of_shared: HashMap<&[u8], usize, foldhash::fast::RandomState> =
            HashMap::default();
        for (text, code) in entries {
            let hash = hashing.hash(text);
            let mut at = home(hash, homes);
            let wanted = control_byte(hash);
            let mut shared = false;
            if let Some(&last) = last_of_shared.get(text) {
                slots[last].more = true;
                at = last + 1;
                shared = true;
            }
            while control[at] != 0 {
                let slot = slots[at];
                if !shared && control[at] == wanted && text_of(&slot, &texts) == text {
                    slots[at].more = true;
                    shared = true;
                }
                at += 1;
            }
            if shared {
                last_of_shared.insert(text, at);
            }
            if at + GROUP >= control.len() {
                control.resize(at + GROUP + 1, 0);
                slots.resize(at + GROUP + 1, FREE);
            }
            control[at] = control_byte(hash);
            slots[at] = Slot {
                code,
                text_start: u32::try_from(texts.len()).ok()?,
                text_len: u16::try_from(text.len()).ok()?,
                more: false,
            };
            texts.extend_from_slice(text);
        }
        Some(ExactIndex {
            control: control.into_boxed_slice(),
            slots: slots.into_boxed_slice(),
            texts: texts.into_boxed_slice(),
            hashing,
            homes,
            len,
        })
    }

    /// Every distinct key once, in table order. The last slot of a key's codes along its probe
    /// sequence is the only one without `more`.
    pub(crate) fn distinct_keys(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.control
            .iter()
            .zip(self.slots.iter())
            .filter(|(control, slot)| **control != 0 && !slot.more)
            .map(|(_, slot)| text_of(slot, &self.texts))
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
        let wanted = control_byte(hash);
        let mut at = home(hash, self.homes);
        // Most keys sit in their home slot. Reading it together with the control bytes, instead
        // of after them, lets a random hit's reads overlap: one DRAM round trip fewer.
        let mut skip_home = 0;
        if let (Some(&control), Some(slot)) = (self.control.get(at), self.slots.get(at)) {
            if control == wanted && text_of(slot, &self.texts) == key {
                visit(slot.code);
                if !slot.more {
                    return;
                }
                // Found there: the group scan below must not visit it again.
                skip_home = 0x80;
            }
        }
        // Eight control bytes at a time, compared as one u64 (SWAR, as hashbrown's portable
        // fallback does): most lookups settle within the first group, without a branch per
        // slot.
        while let Some(bytes) = self.control.get(at..at + GROUP) {
            let mut group = [0u8; GROUP];
            group.copy_from_slice(bytes);
            let group = u64::from_le_bytes(group);
            let free = zero_bytes(group);
            // Only candidates before the first free slot belong to this probe sequence.
            let before_free = if free == 0 {
                u64::MAX
            } else {
                (free & free.wrapping_neg()) - 1
            };
            let mut candidates =
                zero_bytes(group ^ (LOW_BITS * u64::from(wanted))) & before_free & !skip_home;
            skip_home = 0;
            while candidates != 0 {
                let i = at + (candidates.trailing_zeros() / 8) as usize;
                candidates &= candidates - 1;
                let slot = &self.slots[i];
                if usize::from(slot.text_len) == key.len() && text_of(slot, &self.texts) == key {
                    visit(slot.code);
                    if !slot.more {
                        return;
                    }
                }
            }
            if free != 0 {
                return;
            }
            at += GROUP;
        }
    }

    /// Asks for the first reads of a lookup of a key of this hash — its home slot and control
    /// byte — ahead of the lookup, for a batch that looks many keys up and can overlap their
    /// cache misses.
    #[inline]
    pub(crate) fn prefetch_home(&self, hash: u64) {
        let at = home(hash, self.homes);
        if let (Some(control), Some(slot)) = (self.control.get(at), self.slots.get(at)) {
            prefetch(control);
            prefetch(slot);
        }
    }

    /// The second step, once [`prefetch_home`](Self::prefetch_home)'s lines have come in: asks
    /// for the text of the code sitting at home when it may be the key's, and returns that code
    /// (the caller may ask for its record next).
    #[inline]
    pub(crate) fn prefetch_home_text(&self, hash: u64) -> Option<u32> {
        let at = home(hash, self.homes);
        match (self.control.get(at), self.slots.get(at)) {
            (Some(&control), Some(slot)) if control == control_byte(hash) => {
                if let Some(byte) = self.texts.get(slot.text_start as usize) {
                    prefetch(byte);
                }
                Some(slot.code)
            }
            _ => None,
        }
    }

    /// How the index hashes its keys: an index built with the same hashing is probed with
    /// the same hash.
    pub(crate) fn hashing(&self) -> &Hashing {
        &self.hashing
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

/// 7 bits of the hash that the home slot (high bits) does not use, with the top bit set so
/// that no occupied slot reads as free.
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
        for hashing in [Hashing::whole(), Hashing::Rolling(Hashing::random_basis())] {
            let index = ExactIndex::build(
                entries.iter().map(|&(t, c)| (t.as_bytes(), c)),
                hashing,
                1.5,
            )
            .unwrap();
            assert_eq!(lookup(&index, "save10"), [0, 2, 4]);
            assert_eq!(lookup(&index, "bob"), [1]);
            assert_eq!(lookup(&index, "bo"), [] as [u32; 0]);
            assert_eq!(lookup(&index, ""), [] as [u32; 0]);
            assert_eq!(index.len(), 5);
            let mut keys: Vec<&[u8]> = index.distinct_keys().collect();
            keys.sort_unstable();
            assert_eq!(keys, [&b"bob"[..], b"save10", b"x"]);
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
            1.5,
        )
        .unwrap();
        for (i, text) in texts.iter().enumerate() {
            assert_eq!(lookup(&index, text), [i as u32]);
        }
        assert_eq!(lookup(&index, "code10000"), [] as [u32; 0]);
    }

    #[test]
    fn an_empty_index_answers() {
        let index = ExactIndex::build(std::iter::empty(), Hashing::whole(), 1.5).unwrap();
        assert_eq!(lookup(&index, "a"), [] as [u32; 0]);
    }
}
