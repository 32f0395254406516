//! The literal prefixes of whole-code regex patterns: which patterns an entered code can match
//! at all, found by probing a hash table with the code's own prefixes.

use super::exact::{self, ExactIndex, Hashing};
use crate::model::MAX_CODE_LEN;

/// The literal prefixes of whole-code patterns, in a hash table keyed by the literal, with the
/// lengths that occur. An entered code is hashed one byte at a time; at each length some
/// literal has, the table is probed with the hash so far. The probes are independent of each
/// other (a trie walk is a chain of dependent reads) and each usually stops at a control byte
/// in cache.
///
/// Most entered codes start with no literal's first [`HEAD`] bytes, and a code that does can
/// only be as long a prefix as the longest literal starting that way: a small table keyed by a
/// hash of the first [`HEAD`] bytes says how far probing can go, so that an exact code or a
/// miss usually costs one read of it instead of a probe per length present.
const LENGTH_WORDS: usize = MAX_CODE_LEN / 64 + 1;

/// How many leading bytes key the reach table.
const HEAD: usize = 4;

/// log2 of the reach table's size: 64 KiB, in cache, and mostly empty at 10,000 literals.
const REACH_BITS: u32 = 16;

/// A reach of at least this many bytes is stored as this, and read as "the longest literal".
const REACH_CAP: u8 = u8::MAX;

pub(crate) struct PrefixTable {
    table: ExactIndex,
    /// The basis of the table's rolling hash, which the lookup extends byte by byte.
    basis: u64,
    /// Bit `n` set: some literal is `n` bytes long.
    lengths: [u64; LENGTH_WORDS],
    longest: usize,
    /// The longest literal shorter than [`HEAD`] bytes, 0 if none: those are probed whatever
    /// the code starts with.
    longest_short: usize,
    /// By a hash of the first [`HEAD`] bytes: the longest literal of at least [`HEAD`] bytes
    /// starting with bytes of that hash, 0 if none (capped at [`REACH_CAP`]).
    reach: Box<[u8]>,
}

/// The reach table slot of a code's (or a literal's) first [`HEAD`] bytes. Collisions only
/// cost probes, never a missed literal, so a multiplicative hash is enough.
#[inline]
fn reach_slot(head: [u8; HEAD], basis: u64) -> usize {
    let key = u64::from(u32::from_le_bytes(head)) ^ basis;
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - REACH_BITS)) as usize
}

fn head_of(text: &[u8]) -> Option<[u8; HEAD]> {
    text.get(..HEAD)?.try_into().ok()
}

impl PrefixTable {
    /// Indexes `literals`, each with its value (a literal appears once); `None` if they
    /// outgrow the hash table's 32-bit offsets.
    pub(crate) fn build<'a>(
        literals: impl Iterator<Item = (&'a [u8], u32)>,
    ) -> Option<PrefixTable> {
        let mut lengths = [0u64; LENGTH_WORDS];
        let mut longest = 0;
        let mut longest_short = 0;
        let mut reach = vec![0u8; 1 << REACH_BITS].into_boxed_slice();
        let mut entries = Vec::new();
        let basis = Hashing::random_basis();
        for (literal, value) in literals {
            let len = literal.len();
            // No entered code is longer: its patterns can never match.
            if len > MAX_CODE_LEN {
                continue;
            }
            lengths[len / 64] |= 1 << (len % 64);
            longest = longest.max(len);
            match head_of(literal) {
                Some(head) => {
                    let slot = &mut reach[reach_slot(head, basis)];
                    *slot = (*slot).max(u8::try_from(len).unwrap_or(REACH_CAP));
                }
                None => longest_short = longest_short.max(len),
            }
            entries.push((literal, value));
        }
        Some(PrefixTable {
            table: ExactIndex::build(entries.into_iter(), Hashing::Rolling(basis), 4.0)?,
            basis,
            lengths,
            longest,
            longest_short,
            reach,
        })
    }

    /// How many leading bytes of `text` can be a literal: no probe looks further.
    #[inline]
    fn reach(&self, text: &[u8]) -> usize {
        let reach = match head_of(text) {
            Some(head) => match self.reach[reach_slot(head, self.basis)] {
                REACH_CAP => self.longest,
                reach => usize::from(reach),
            },
            None => 0,
        };
        reach.max(self.longest_short).min(text.len())
    }

    /// Calls `visit` with the value of every literal that `text` starts with, shortest
    /// literal first.
    #[inline]
    pub(crate) fn for_each(&self, text: &[u8], mut visit: impl FnMut(u32)) {
        let mut hash = self.basis;
        for (i, &byte) in text[..self.reach(text)].iter().enumerate() {
            hash = exact::step(hash, byte);
            let len = i + 1;
            if self.lengths[len / 64] >> (len % 64) & 1 == 1 {
                self.table
                    .for_each_hashed(&text[..len], exact::finish(hash), &mut visit);
            }
        }
    }

    pub(crate) fn memory_usage(&self) -> usize {
        self.table.memory_usage() + self.reach.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_table_finds_prefixes_at_the_start_only() {
        let literals = [
            b"AB".to_vec(),
            b"A".to_vec(),
            b"B".to_vec(),
            b"ABC".to_vec(),
        ];
        let table = PrefixTable::build(literals.iter().map(Vec::as_slice).zip(0..)).unwrap();
        let found = |text: &str| {
            let mut out = Vec::new();
            table.for_each(text.as_bytes(), |p| out.push(p));
            out
        };
        assert_eq!(found("ABCD"), [1, 0, 3]);
        assert_eq!(found("AX"), [1]);
        assert_eq!(found("XAB"), [] as [u32; 0]);
        assert_eq!(found("B"), [2]);
        assert_eq!(found(""), [] as [u32; 0]);
    }

    #[test]
    fn prefix_table_reaches_every_literal_past_the_head() {
        let long = "L".repeat(MAX_CODE_LEN);
        let literals = [
            b"JANE".to_vec(),
            b"JANE-".to_vec(),
            b"JANE20OFF".to_vec(),
            b"JA".to_vec(),
            long.as_bytes().to_vec(),
        ];
        let table = PrefixTable::build(literals.iter().map(Vec::as_slice).zip(0..)).unwrap();
        let found = |text: &str| {
            let mut out = Vec::new();
            table.for_each(text.as_bytes(), |p| out.push(p));
            out
        };
        let cases: [(&str, &[u32]); 7] = [
            ("JANE20OFF", &[3, 0, 2]),
            ("JANE-X", &[3, 0, 1]),
            ("JANE20OF", &[3, 0]),
            ("JAN", &[3]),
            ("JOHN20OFF", &[]),
            // A literal too long for the reach table's byte is reached all the same.
            (&long, &[4]),
            (&long[1..], &[]),
        ];
        for (text, expected) in cases {
            assert_eq!(found(text), expected, "{text}");
        }
    }
}
