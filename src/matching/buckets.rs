//! The patterns behind one key of the regex index (a literal prefix, or "no prefix"), with a
//! second key when they are many.
//!
//! A family of codes such as `^P\d{4}-1$` … `^P\d{4}-99999$` shares one prefix, `P`: checking
//! every pattern behind it would make a lookup cost grow with the family. A crowded bucket
//! indexes its patterns again by their literal suffixes (`-1` … `-99999`): only the patterns
//! whose suffix the code contains — and, when codes match whole, ends with — are checked. The few patterns of a crowded bucket without a literal suffix
//! (`^P\d+$`) are checked each time the bucket is reached.
//!
//! The suffixes sit in a hash table probed with the code's own substrings of the lengths that
//! occur, not in an Aho-Corasick automaton: building one over 100,000 literals that share
//! their first byte took the `aho-corasick` crate 34 seconds.

use std::collections::HashMap;

use foldhash::fast::RandomState;
use smallvec::SmallVec;

use crate::model::Error;

/// A bucket with more patterns than this gets a second key.
const CROWDED: usize = 8;

/// Every bucket of an index: bucket id → the patterns to check.
#[derive(Default)]
pub(super) struct Buckets {
    buckets: Vec<Bucket>,
    /// The patterns of the buckets that are not crowded, bucket after bucket.
    patterns: Vec<u32>,
    crowds: Vec<Crowd>,
}

#[derive(Clone, Copy)]
enum Bucket {
    Few { start: u32, end: u32 },
    Crowded(u32),
}

struct Crowd {
    /// The suffixes of the patterns that have some → suffix id.
    suffixes: HashMap<Box<[u8]>, u32, RandomState>,
    /// The lengths of the suffixes, ascending, each once.
    lengths: Vec<usize>,
    /// Bit `b` set: some suffix starts with byte `b`. A search for suffixes anywhere in a code
    /// probes only where one may start (none in Cyrillic text, for digit suffixes).
    first_bytes: [u64; 4],
    /// Suffix id → its patterns, as a span of `patterns`.
    spans: Vec<(u32, u32)>,
    patterns: Vec<u32>,
    /// Patterns with no literal suffix.
    residual: Vec<u32>,
}

impl Buckets {
    /// Adds a bucket of `pids` (in precedence order), whose suffix sets `suffixes(pid)` gives;
    /// returns its id.
    pub(super) fn add(
        &mut self,
        pids: &[u32],
        suffixes: impl Fn(u32) -> Option<Vec<Vec<u8>>>,
    ) -> Result<u32, Error> {
        let id = u32::try_from(self.buckets.len()).map_err(|_| too_many())?;
        if pids.len() <= CROWDED {
            let start = self.offset()?;
            self.patterns.extend_from_slice(pids);
            let end = self.offset()?;
            self.buckets.push(Bucket::Few { start, end });
            return Ok(id);
        }
        let crowd = Crowd::build(pids, suffixes)?;
        let crowd_id = u32::try_from(self.crowds.len()).map_err(|_| too_many())?;
        self.crowds.push(crowd);
        self.buckets.push(Bucket::Crowded(crowd_id));
        Ok(id)
    }

    fn offset(&self) -> Result<u32, Error> {
        u32::try_from(self.patterns.len()).map_err(|_| too_many())
    }

    /// Calls `visit` with each pattern of bucket `id` that may match `text`. `whole_code`: the
    /// patterns must match all of `text`, so a suffix counts only at its end.
    #[inline]
    pub(super) fn for_each(
        &self,
        id: u32,
        text: &str,
        whole_code: bool,
        mut visit: impl FnMut(u32),
    ) {
        match self.buckets[id as usize] {
            Bucket::Few { start, end } => {
                for &pid in &self.patterns[start as usize..end as usize] {
                    visit(pid);
                }
            }
            Bucket::Crowded(crowd) => self.crowds[crowd as usize].for_each(text, whole_code, visit),
        }
    }

    pub(super) fn memory_usage(&self) -> usize {
        self.buckets.capacity() * size_of::<Bucket>()
            + self.patterns.capacity() * size_of::<u32>()
            + self
                .crowds
                .iter()
                .map(|c| {
                    c.suffixes.capacity() * (size_of::<(Box<[u8]>, u32)>() + 1)
                        + c.suffixes.keys().map(|k| k.len()).sum::<usize>()
                        + c.lengths.capacity() * size_of::<usize>()
                        + c.spans.capacity() * size_of::<(u32, u32)>()
                        + (c.patterns.capacity() + c.residual.capacity()) * size_of::<u32>()
                })
                .sum::<usize>()
    }
}

impl Crowd {
    fn build(
        pids: &[u32],
        suffixes_of: impl Fn(u32) -> Option<Vec<Vec<u8>>>,
    ) -> Result<Crowd, Error> {
        // (suffix, pattern), sorted: each suffix's patterns in a run, in precedence order.
        let mut pairs: Vec<(Vec<u8>, u32)> = Vec::with_capacity(pids.len());
        let mut residual = Vec::new();
        for &pid in pids {
            match suffixes_of(pid) {
                Some(suffixes) => pairs.extend(suffixes.into_iter().map(|s| (s, pid))),
                None => residual.push(pid),
            }
        }
        pairs.sort_unstable();
        let mut suffixes: HashMap<Box<[u8]>, u32, RandomState> = HashMap::default();
        suffixes.reserve(pairs.len());
        let mut spans = Vec::new();
        let mut patterns = Vec::with_capacity(pairs.len());
        let mut lengths = Vec::new();
        let mut pairs = pairs.into_iter().peekable();
        while let Some((suffix, pid)) = pairs.next() {
            let start = u32::try_from(patterns.len()).map_err(|_| too_many())?;
            patterns.push(pid);
            while let Some((_, pid)) = pairs.next_if(|(next, _)| *next == suffix) {
                patterns.push(pid);
            }
            let end = u32::try_from(patterns.len()).map_err(|_| too_many())?;
            let id = u32::try_from(spans.len()).map_err(|_| too_many())?;
            spans.push((start, end));
            lengths.push(suffix.len());
            suffixes.insert(suffix.into_boxed_slice(), id);
        }
        lengths.sort_unstable();
        lengths.dedup();
        let mut first_bytes = [0u64; 4];
        for suffix in suffixes.keys() {
            if let Some(&b) = suffix.first() {
                first_bytes[usize::from(b / 64)] |= 1 << (b % 64);
            }
        }
        Ok(Crowd {
            suffixes,
            lengths,
            first_bytes,
            spans,
            patterns,
            residual,
        })
    }

    fn for_each(&self, text: &str, whole_code: bool, mut visit: impl FnMut(u32)) {
        for &pid in &self.residual {
            visit(pid);
        }
        let text = text.as_bytes();
        if whole_code {
            // Only suffixes of the whole text count: one probe per length.
            for &len in self.lengths.iter().take_while(|&&len| len <= text.len()) {
                if let Some(&suffix) = self.suffixes.get(&text[text.len() - len..]) {
                    self.visit_suffix(suffix, &mut visit);
                }
            }
            return;
        }
        // Anywhere in the text: every substring of a length that occurs, each suffix once.
        let mut seen: SmallVec<[u32; 16]> = SmallVec::new();
        for start in 0..text.len() {
            let b = text[start];
            if self.first_bytes[usize::from(b / 64)] >> (b % 64) & 1 == 0 {
                continue;
            }
            let rest = &text[start..];
            for &len in self.lengths.iter().take_while(|&&len| len <= rest.len()) {
                if let Some(&suffix) = self.suffixes.get(&rest[..len]) {
                    if !seen.contains(&suffix) {
                        seen.push(suffix);
                        self.visit_suffix(suffix, &mut visit);
                    }
                }
            }
        }
    }

    fn visit_suffix(&self, suffix: u32, visit: &mut impl FnMut(u32)) {
        let (start, end) = self.spans[suffix as usize];
        for &pid in &self.patterns[start as usize..end as usize] {
            visit(pid);
        }
    }
}

fn too_many() -> Error {
    Error::capacity("more than 2^32 - 1 regex prefixes or suffixes")
}
