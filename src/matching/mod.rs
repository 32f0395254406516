//! Text → the codes it matches, and the one home of precedence among them.
//!
//! An entered text is looked up two ways: its case fold in the exact index (`exact`), and the
//! text as typed in the regex matcher (`regex`: a prefix index in front of one small automaton
//! per pattern). [`Matcher`] answers with every code that matches, best first, by [`Rank`]: the
//! rule "an exact code beats any regex code; among regex codes the higher priority wins, then
//! the one registered earlier" is stated there and nowhere else.

mod buckets;
mod exact;
pub(crate) mod fold;
mod glushkov;
pub(crate) mod overlap;
pub(crate) mod pattern;
mod prefix;
mod regex;

use std::cmp::Reverse;
use std::sync::Arc;

use regex_syntax::hir::Hir;
use smallvec::SmallVec;

use crate::model::{Error, RegexAnchoring};
use exact::{ExactIndex, Hashing};
use regex::RegexMatcher;

/// Where a code stands among the codes that match one text: the lower rank wins.
///
/// An exact code (tracking or restricted) beats any regex code; exact codes sharing a text rank
/// by registration; regex codes rank by higher priority, then registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Rank {
    is_regex: bool,
    priority: Reverse<i32>,
    registered: u32,
}

impl Rank {
    /// The rank of an exact code registered `registered`-th.
    pub(crate) fn exact(registered: u32) -> Rank {
        Rank {
            is_regex: false,
            priority: Reverse(0),
            registered,
        }
    }

    /// The rank of a regex code of this priority, registered `registered`-th.
    pub(crate) fn regex(priority: i32, registered: u32) -> Rank {
        Rank {
            is_regex: true,
            priority: Reverse(priority),
            registered,
        }
    }
}

/// What one code contributes to a [`Matcher`].
pub(crate) enum Pattern<'a> {
    /// The text of an exact code, which the matcher folds.
    Exact(&'a str),
    /// A regex code's parsed pattern and priority.
    Regex { hir: &'a Hir, priority: i32 },
    /// A code that matches nothing: one removed from its registry keeps its number.
    Nothing,
}

/// Every code of a registry, indexed by what it matches. Codes are numbered by their position
/// in registration order, and answered by that number.
pub(crate) struct Matcher {
    exact: ExactIndex,
    /// For a matcher of codes added after a base: one bit per hash of its exact texts, looked
    /// at before its index. The base's lookups keep the caches full of the base, so that a
    /// probe of even a small index misses them; a bit in an 8 KiB filter that every lookup
    /// reads stays in them, and most texts are in the base, not here.
    filter: Option<Box<[u64]>>,
    regex: RegexMatcher,
    /// The rank of each regex code, by code number, for merging the answers of two matchers.
    regex_ranks: Vec<(u32, Rank)>,
    /// The codes numbered `first..end`.
    end: usize,
}

impl Matcher {
    /// Indexes `patterns`, the i-th being code `first + i`. Fails only on capacity: more than
    /// 2^32 − 1 codes, or more than 4 GiB of exact text or of regex prefixes.
    pub(crate) fn build<'a>(
        first: usize,
        patterns: impl IntoIterator<Item = Pattern<'a>>,
        anchoring: RegexAnchoring,
    ) -> Result<Matcher, Error> {
        Matcher::build_hashing(first, patterns, anchoring, Hashing::whole())
    }

    /// [`build`](Matcher::build) for codes added after `base`'s: its exact texts hash as
    /// `base`'s do, so that a lookup in both hashes the text once ([`Layers`]).
    pub(crate) fn build_after<'a>(
        base: &Matcher,
        first: usize,
        patterns: impl IntoIterator<Item = Pattern<'a>>,
        anchoring: RegexAnchoring,
    ) -> Result<Matcher, Error> {
        let hashing = base.exact.hashing().clone();
        let mut matcher = Matcher::build_hashing(first, patterns, anchoring, hashing)?;
        let mut filter = vec![0u64; FILTER_WORDS].into_boxed_slice();
        for key in matcher.exact.distinct_keys() {
            let bit = filter_bit(matcher.exact.hashing().hash(key));
            filter[bit / 64] |= 1 << (bit % 64);
        }
        matcher.filter = Some(filter);
        Ok(matcher)
    }

    /// Whether the exact index may hold a text of this hash; `true` when there is no filter.
    #[inline]
    fn may_hold(&self, hash: u64) -> bool {
        self.filter.as_ref().is_none_or(|filter| {
            let bit = filter_bit(hash);
            filter[bit / 64] >> (bit % 64) & 1 == 1
        })
    }

    fn build_hashing<'a>(
        first: usize,
        patterns: impl IntoIterator<Item = Pattern<'a>>,
        anchoring: RegexAnchoring,
        hashing: Hashing,
    ) -> Result<Matcher, Error> {
        // The folded texts back to back, each then named by where it ends: one buffer where a
        // string per text cost an allocation each (the index copies them into its own).
        let mut folded = String::new();
        let mut exact: Vec<(usize, u32)> = Vec::new();
        let mut regex = Vec::new();
        let mut end = first;
        for (i, pattern) in patterns.into_iter().enumerate() {
            end = first + i + 1;
            let i = u32::try_from(first + i)
                .map_err(|_| Error::capacity("more than 2^32 - 1 codes"))?;
            match pattern {
                Pattern::Exact(text) => {
                    fold::with_any_folded(text, |f| folded.push_str(f));
                    exact.push((folded.len(), i));
                }
                Pattern::Regex { hir, priority } => regex.push((Rank::regex(priority, i), hir, i)),
                Pattern::Nothing => {}
            }
        }
        let folded = folded.as_bytes();
        let mut start = 0;
        let texts: Vec<(&[u8], u32)> = exact
            .iter()
            .map(|&(end, i)| {
                let text = &folded[start..end];
                start = end;
                (text, i)
            })
            .collect();
        // Exact codes are listed in registration order already, which is their rank.
        let exact = ExactIndex::build(texts.into_iter(), hashing, 1.5)
            .ok_or_else(|| Error::capacity("more than 4 GiB of exact code text"))?;
        regex.sort_unstable_by_key(|&(rank, _, _)| rank);
        let mut regex_ranks: Vec<(u32, Rank)> =
            regex.iter().map(|&(rank, _, i)| (i, rank)).collect();
        regex_ranks.sort_unstable_by_key(|&(i, _)| i);
        let regex = regex.into_iter().map(|(_, hir, i)| (hir, i)).collect();
        Ok(Matcher {
            exact,
            filter: None,
            regex: RegexMatcher::build(regex, anchoring)?,
            regex_ranks,
            end,
        })
    }

    /// One past the number of the last code indexed (or `first`, of none).
    pub(crate) fn end(&self) -> usize {
        self.end
    }

    /// The rank of regex code `code`, when this matcher holds it.
    pub(crate) fn regex_rank(&self, code: u32) -> Option<Rank> {
        let at = self
            .regex_ranks
            .binary_search_by_key(&code, |&(i, _)| i)
            .ok()?;
        Some(self.regex_ranks[at].1)
    }

    /// Every regex code matching `text` as typed, best first, onto `out`.
    pub(crate) fn regex_matches(&self, text: &str, out: &mut SmallVec<[u32; 8]>) {
        self.regex.matches(text, out);
    }

    /// Every exact code whose case-folded text is `folded`, in registration order.
    #[inline]
    pub(crate) fn exact_matches(&self, folded: &[u8], visit: impl FnMut(u32)) {
        self.exact.for_each(folded, visit);
    }

    /// The hash the exact index looks `folded` up by.
    #[inline]
    pub(crate) fn exact_hash(&self, folded: &[u8]) -> u64 {
        self.exact.hashing().hash(folded)
    }

    /// See [`ExactIndex::prefetch_home`].
    #[inline]
    pub(crate) fn prefetch_exact_home(&self, hash: u64) {
        self.exact.prefetch_home(hash);
    }

    /// See [`ExactIndex::prefetch_home_text`].
    #[inline]
    pub(crate) fn prefetch_exact_text(&self, hash: u64) -> Option<u32> {
        self.exact.prefetch_home_text(hash)
    }

    /// Whether any exact code is indexed.
    pub(crate) fn has_exact_codes(&self) -> bool {
        self.exact.len() > 0
    }

    /// The case-folded text of every exact code, each once.
    pub(crate) fn exact_keys(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.exact.distinct_keys()
    }

    /// Whether any regex code is indexed.
    pub(crate) fn has_regex_codes(&self) -> bool {
        self.regex.len() > 0
    }

    /// Heap bytes held by the exact index and by the regex matcher.
    pub(crate) fn memory_usage(&self) -> (usize, usize) {
        (
            self.exact.memory_usage() + self.filter.as_ref().map_or(0, |f| f.len() * 8),
            self.regex.memory_usage() + self.regex_ranks.capacity() * size_of::<(u32, Rank)>(),
        )
    }
}

/// The filter of a matcher of added codes: 64 Ki bits.
const FILTER_WORDS: usize = 1 << 10;

/// Bits of the hash that neither the home slot (the high bits) nor the slot's tag (the low 32)
/// are made of.
#[inline]
fn filter_bit(hash: u64) -> usize {
    (hash >> 32) as usize & (FILTER_WORDS * 64 - 1)
}

/// A matcher over the codes compiled at once, and matchers over the codes added since (each
/// over the codes after the one before it), answering together as one: exact codes of all in
/// registration order, then regex codes of all by rank.
#[derive(Clone, Copy)]
pub(crate) struct Layers<'a> {
    pub(crate) base: &'a Matcher,
    pub(crate) added: &'a [Arc<Matcher>],
}

impl<'a> Layers<'a> {
    /// The exact codes of all layers whose case fold equals `text`'s, in registration order.
    /// Every code matching a text, best [`Rank`] first, is these, then
    /// [`for_each_regex_match`](Self::for_each_regex_match)'s.
    #[inline]
    pub(crate) fn for_each_exact_match(&self, text: &str, visit: impl FnMut(u32)) {
        if self.has_exact_codes() {
            fold::with_folded_bytes(text, |key| {
                self.for_each_exact_key(key, self.base.exact_hash(key), visit);
            });
        }
    }

    /// [`for_each_exact_match`](Self::for_each_exact_match) for a text already folded, with
    /// its hash by [`Matcher::exact_hash`] of the base.
    #[inline]
    pub(crate) fn for_each_exact_key(&self, key: &[u8], hash: u64, mut visit: impl FnMut(u32)) {
        if self.base.has_exact_codes() {
            self.base.exact.for_each_hashed(key, hash, &mut visit);
        }
        for added in self.added {
            // `added` was built with the base's hashing: the same hash.
            if added.has_exact_codes() && added.may_hold(hash) {
                added.exact.for_each_hashed(key, hash, &mut visit);
            }
        }
    }

    /// Whether any layer indexes an exact code.
    #[inline]
    pub(crate) fn has_exact_codes(&self) -> bool {
        self.base.has_exact_codes() || self.added.iter().any(|m| m.has_exact_codes())
    }

    /// The regex codes of all layers matching `text` as typed, best rank first: they rank
    /// below every exact code.
    #[inline]
    pub(crate) fn for_each_regex_match(&self, text: &str, mut visit: impl FnMut(u32)) {
        if !self.has_regex_codes() {
            return;
        }
        let mut hits: SmallVec<[u32; 8]> = SmallVec::new();
        self.regex_matches(text, &mut hits);
        for &code in &hits {
            visit(code);
        }
    }

    /// [`Matcher::regex_matches`] over all layers, best rank first.
    pub(crate) fn regex_matches(&self, text: &str, out: &mut SmallVec<[u32; 8]>) {
        let from = out.len();
        self.base.regex_matches(text, out);
        let mut answered = usize::from(out.len() > from);
        for added in self.added {
            let before = out.len();
            added.regex_matches(text, out);
            answered += usize::from(out.len() > before);
        }
        if answered > 1 {
            // Several layers answered: merge by rank (a code added later may have a higher
            // priority than the ones compiled before it).
            let rank = |code: u32| {
                self.base
                    .regex_rank(code)
                    .or_else(|| self.added.iter().find_map(|m| m.regex_rank(code)))
            };
            out[from..].sort_by_key(|&code| rank(code));
        }
    }

    /// [`Matcher::exact_matches`] over all layers.
    pub(crate) fn exact_matches(&self, folded: &str, mut visit: impl FnMut(u32)) {
        self.base.exact_matches(folded.as_bytes(), &mut visit);
        for added in self.added {
            added.exact_matches(folded.as_bytes(), &mut visit);
        }
    }

    /// The case-folded texts of the exact codes of all layers; a text in several comes as
    /// many times.
    pub(crate) fn exact_keys(self) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.base
            .exact_keys()
            .chain(self.added.iter().flat_map(|m| m.exact_keys()))
    }

    pub(crate) fn has_regex_codes(&self) -> bool {
        self.base.has_regex_codes() || self.added.iter().any(|m| m.has_regex_codes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_codes_outrank_regex_codes_then_priority_then_registration() {
        let mut ranks = [
            Rank::regex(0, 1),
            Rank::exact(5),
            Rank::regex(7, 9),
            Rank::regex(0, 0),
            Rank::exact(2),
            Rank::regex(-3, 0),
        ];
        ranks.sort();
        assert_eq!(
            ranks,
            [
                Rank::exact(2),
                Rank::exact(5),
                Rank::regex(7, 9),
                Rank::regex(0, 0),
                Rank::regex(0, 1),
                Rank::regex(-3, 0),
            ]
        );
    }

    #[test]
    fn matches_come_best_first() {
        let hir = |p: &str| pattern::parse(p).unwrap_or_else(|e| panic!("{e}"));
        let (low, high, prefixless) = (hir(r"^SAVE\d+$"), hir(r"^SAVE1\d$"), hir(r"^.*10$"));
        let matcher = Matcher::build(
            0,
            [
                Pattern::Regex {
                    hir: &low,
                    priority: 0,
                },
                Pattern::Exact("save10"),
                Pattern::Regex {
                    hir: &prefixless,
                    priority: 0,
                },
                Pattern::Regex {
                    hir: &high,
                    priority: 5,
                },
                Pattern::Exact("save10"),
            ],
            RegexAnchoring::WholeCode,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut found = Vec::new();
        let layers = Layers {
            base: &matcher,
            added: &[],
        };
        layers.for_each_exact_match("SAVE10", |code| found.push(code));
        layers.for_each_regex_match("SAVE10", |code| found.push(code));
        assert_eq!(found, [1, 4, 3, 0, 2]);
        found.clear();
        layers.for_each_exact_match("save10", |code| found.push(code));
        layers.for_each_regex_match("save10", |code| found.push(code));
        assert_eq!(found, [1, 4, 2], "regex codes are case-sensitive");
    }
}
