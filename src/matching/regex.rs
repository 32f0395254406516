//! The compiled regex matcher: a literal-prefix index in front of one small automaton per code.
//!
//! Running every pattern on every entered code costs time proportional to the number of regex
//! codes. Instead each pattern's literal prefixes (`JANE` for `^JANE\d+$`) are indexed — in a
//! hash table probed with each prefix of the code when codes must match whole (`prefix`), in an
//! Aho-Corasick automaton when they may match anywhere — and only the few patterns whose prefix
//! is present are checked, each by its own Glushkov automaton (`glushkov`). Patterns with no
//! usable prefix (`^.*SUMMER$`, `(?i)…`) are checked one by one when they are few, and otherwise
//! sit behind one DFA over all of them, which says in a single pass whether any can match. The
//! rare pattern the small automata cannot hold (a `\b`, more than 64 positions) is checked by a
//! shared `regex-automata` meta regex instead.

use aho_corasick::AhoCorasick;
use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::nfa::thompson;
use regex_automata::util::primitives::StateID;
use regex_automata::util::{start, syntax};
use regex_automata::{Anchored, Input, MatchKind, PatternID, meta};
use regex_syntax::hir::Hir;
use smallvec::SmallVec;

use super::buckets::Buckets;
use super::glushkov::{Automata, Start};
use super::pattern;
use super::prefix::PrefixTable;
use crate::model::{Error, RegexAnchoring};

/// The largest DFA built over the patterns without a prefix; past it they are checked one by
/// one.
const FILTER_SIZE_LIMIT: usize = 2 << 20;

/// Up to this many patterns without a prefix are checked one by one: each check of a code
/// that does not match dies within a few characters, while a DFA over Unicode classes can take
/// milliseconds to build.
const FILTER_MIN_PATTERNS: usize = 5;

/// How one pattern is checked.
#[derive(Clone, Copy)]
enum PatternCheck {
    Automaton(u32),
    /// A pattern of the shared fallback regex.
    Fallback(u32),
}

/// A candidate start offset for a pattern found through its prefix, or `ANYWHERE` for a
/// pattern without one.
const ANYWHERE: u32 = u32::MAX;

/// Pattern ids are positions in precedence order, so the lowest matching id wins.
pub(crate) struct RegexMatcher {
    /// Pattern id → the caller's code index.
    code_of: Vec<u32>,
    checks: Vec<PatternCheck>,
    automata: Automata,
    fallback: Option<meta::Regex>,
    prefixes: Prefixes,
    /// The patterns behind each prefix, and behind none.
    buckets: Buckets,
    /// The bucket of the patterns without a usable prefix, and a DFA over them all (`None` if
    /// it grew too big).
    unprefixed: Option<u32>,
    unprefixed_filter: Option<Filter>,
    whole_code: bool,
}

/// A DFA over every pattern without a prefix.
struct Filter {
    dfa: dense::DFA<Vec<u32>>,
    /// For whole codes: the start state of an anchored search at offset 0.
    start: Option<StateID>,
}

impl RegexMatcher {
    /// `patterns` are (syntax tree, code index), already in precedence order.
    pub(crate) fn build(
        patterns: Vec<(&Hir, u32)>,
        anchoring: RegexAnchoring,
    ) -> Result<RegexMatcher, Error> {
        let whole_code = anchoring == RegexAnchoring::WholeCode;
        let mut code_of = Vec::with_capacity(patterns.len());
        let mut checks = Vec::with_capacity(patterns.len());
        let mut automata = Automata::default();
        let mut fallback_hirs = Vec::new();
        let mut literals = Literals::default();
        let mut unprefixed = Vec::new();
        let mut unprefixed_hirs = Vec::new();
        // Each pattern, for its literal suffixes: the second key of a crowded bucket, read
        // only for the patterns of one.
        let mut hirs: Vec<&Hir> = Vec::with_capacity(patterns.len());
        for (pid, (hir, code)) in patterns.into_iter().enumerate() {
            let pid = u32::try_from(pid).map_err(|_| too_many())?;
            code_of.push(code);
            // The literal sets are the same with or without the anchors `whole_code` adds
            // (an anchor is an empty literal), and the small automata take the anchoring as a
            // flag: only the rare pattern that needs a general engine is copied and wrapped.
            let anchored = || {
                if whole_code {
                    pattern::whole_code(hir.clone())
                } else {
                    hir.clone()
                }
            };
            hirs.push(hir);
            match pattern::prefixes(hir) {
                Some(prefixes) => literals.add(prefixes, pid),
                None => {
                    unprefixed.push(pid);
                    unprefixed_hirs.push(anchored());
                }
            }
            checks.push(match automata.add(hir, whole_code) {
                Some(id) => PatternCheck::Automaton(id),
                None => {
                    let id = u32::try_from(fallback_hirs.len()).map_err(|_| too_many())?;
                    // Searched anchored at the start of the code: a pattern that may match
                    // anywhere gets an unanchored prefix of its own.
                    fallback_hirs.push(if whole_code {
                        anchored()
                    } else {
                        pattern::anywhere(hir.clone())
                    });
                    PatternCheck::Fallback(id)
                }
            });
        }
        let fallback = if fallback_hirs.is_empty() {
            None
        } else {
            let regex = meta::Builder::new()
                .configure(
                    meta::Config::new()
                        .which_captures(thompson::WhichCaptures::None)
                        .nfa_size_limit(None),
                )
                .syntax(syntax::Config::new())
                .build_many_from_hir(&fallback_hirs)
                .map_err(|e| Error::capacity(format!("the regex codes the small automata cannot hold do not compile together: {e}")))?;
            Some(regex)
        };
        let suffixes_of = |pid: u32| {
            hirs.get(pid as usize)
                .and_then(|hir| pattern::suffixes(hir))
        };
        let mut buckets = Buckets::default();
        let prefixes = literals.index(whole_code, &mut buckets, suffixes_of)?;
        let unprefixed = if unprefixed.is_empty() {
            None
        } else {
            Some(buckets.add(&unprefixed, suffixes_of)?)
        };
        Ok(RegexMatcher {
            code_of,
            checks,
            automata,
            fallback,
            prefixes,
            buckets,
            unprefixed_filter: filter(&unprefixed_hirs, whole_code),
            unprefixed,
            whole_code,
        })
    }

    /// The number of regex codes.
    pub(crate) fn len(&self) -> usize {
        self.code_of.len()
    }

    /// Pushes the code index of every pattern matching `text` onto `out`, in precedence order.
    pub(crate) fn matches(&self, text: &str, out: &mut SmallVec<[u32; 8]>) {
        if self.code_of.is_empty() {
            return;
        }
        // (pattern, start offset) pairs; a pattern may come with several starts when codes may
        // match anywhere.
        let mut candidates: SmallVec<[(u32, u32); 16]> = SmallVec::new();
        self.prefixes.candidates(text, |bucket, at| {
            self.buckets.for_each(bucket, text, self.whole_code, |pid| {
                candidates.push((pid, at))
            });
        });
        if let Some(bucket) = self.unprefixed {
            if self.any_unprefixed(text) {
                self.buckets.for_each(bucket, text, self.whole_code, |pid| {
                    candidates.push((pid, ANYWHERE));
                });
            }
        }
        // By pattern, then start: each pattern is checked once, from its earliest start, so
        // that a code of n bytes with k occurrences of a prefix costs one pass, not k.
        candidates.sort_unstable();
        let mut last = None;
        // By reference: iterating by value moves the whole inline buffer first.
        for &(pid, start) in &candidates {
            if last == Some(pid) {
                continue;
            }
            last = Some(pid);
            if self.check(pid, text, start) {
                out.push(self.code_of[pid as usize]);
            }
        }
    }

    /// Whether any pattern without a prefix may match: `true` when the filter cannot tell.
    fn any_unprefixed(&self, text: &str) -> bool {
        let Some(filter) = &self.unprefixed_filter else {
            return true;
        };
        match filter.start {
            // Whole codes: walk the DFA by hand from the one start state an anchored search at
            // offset 0 can have; the general search would recompute it and look for
            // prefilters on every call.
            Some(mut state) => {
                let dfa = &filter.dfa;
                for &byte in text.as_bytes() {
                    state = dfa.next_state(state, byte);
                    if dfa.is_dead_state(state) {
                        return false;
                    }
                    if dfa.is_quit_state(state) {
                        return true;
                    }
                }
                dfa.is_match_state(dfa.next_eoi_state(state))
            }
            None => {
                let input = Input::new(text).earliest(true);
                filter
                    .dfa
                    .try_search_fwd(&input)
                    .map_or(true, |m| m.is_some())
            }
        }
    }

    fn check(&self, pid: u32, text: &str, start: u32) -> bool {
        #[cfg(test)]
        tests::CHECKS.with(|n| n.set(n.get() + 1));
        match self.checks[pid as usize] {
            PatternCheck::Automaton(id) => {
                // A match may start at any later occurrence of the prefix too: search from the
                // first one rather than check at each.
                let start = if self.whole_code {
                    Start::At(0)
                } else if start == ANYWHERE {
                    Start::From(0)
                } else {
                    Start::From(start as usize)
                };
                self.automata.is_match(id, text, start)
            }
            PatternCheck::Fallback(id) => {
                let (Some(regex), Ok(id)) = (&self.fallback, PatternID::new(id as usize)) else {
                    return false;
                };
                regex.is_match(
                    Input::new(text)
                        .anchored(Anchored::Pattern(id))
                        .earliest(true),
                )
            }
        }
    }

    /// Heap bytes held, as far as the parts report them.
    pub(crate) fn memory_usage(&self) -> usize {
        self.code_of.capacity() * size_of::<u32>()
            + self.checks.capacity() * size_of::<PatternCheck>()
            + self.automata.memory_usage()
            + self.fallback.as_ref().map_or(0, meta::Regex::memory_usage)
            + self.prefixes.memory_usage()
            + self.buckets.memory_usage()
            + self
                .unprefixed_filter
                .as_ref()
                .map_or(0, |f| f.dfa.memory_usage())
    }
}

/// A DFA answering "may any of these patterns match?" in one pass, or `None` when it would be
/// larger than [`FILTER_SIZE_LIMIT`].
fn filter(hirs: &[Hir], whole_code: bool) -> Option<Filter> {
    if hirs.len() < FILTER_MIN_PATTERNS {
        return None;
    }
    let nfa = thompson::Compiler::new()
        .configure(
            thompson::Config::new()
                .which_captures(thompson::WhichCaptures::None)
                .nfa_size_limit(Some(FILTER_SIZE_LIMIT)),
        )
        .build_many_from_hir(hirs)
        .ok()?;
    let dfa = dense::Builder::new()
        .configure(
            dense::Config::new()
                .match_kind(MatchKind::All)
                .start_kind(if whole_code {
                    StartKind::Anchored
                } else {
                    StartKind::Unanchored
                })
                // A Unicode `\b` makes the DFA give up on non-ASCII text, which reads as
                // "cannot tell" and checks every pattern.
                .unicode_word_boundary(true)
                .dfa_size_limit(Some(FILTER_SIZE_LIMIT))
                .determinize_size_limit(Some(FILTER_SIZE_LIMIT)),
        )
        .build_from_nfa(&nfa)
        .ok()?;
    let start = if whole_code {
        Some(
            dfa.start_state(&start::Config::new().anchored(Anchored::Yes))
                .ok()?,
        )
    } else {
        None
    };
    Some(Filter { dfa, start })
}

fn too_many() -> Error {
    Error::capacity("more than 2^32 - 1 regex codes")
}

/// Literal prefixes and the patterns each one starts, while building.
#[derive(Default)]
struct Literals {
    ids: std::collections::HashMap<Vec<u8>, usize>,
    literals: Vec<Vec<u8>>,
    patterns: Vec<Vec<u32>>,
}

impl Literals {
    fn add(&mut self, prefixes: Vec<Vec<u8>>, pid: u32) {
        for prefix in prefixes {
            let id = *self.ids.entry(prefix).or_insert_with_key(|literal| {
                self.literals.push(literal.clone());
                self.patterns.push(Vec::new());
                self.literals.len() - 1
            });
            self.patterns[id].push(pid);
        }
    }

    /// The index of the literals, each keying its own bucket of `buckets`.
    fn index(
        self,
        whole_code: bool,
        buckets: &mut Buckets,
        suffixes_of: impl Fn(u32) -> Option<Vec<Vec<u8>>> + Copy,
    ) -> Result<Prefixes, Error> {
        if self.literals.is_empty() {
            return Ok(Prefixes::None);
        }
        let mut bucket_of = Vec::with_capacity(self.literals.len());
        for pids in &self.patterns {
            bucket_of.push(buckets.add(pids, suffixes_of)?);
        }
        if whole_code {
            let entries = self
                .literals
                .iter()
                .zip(&bucket_of)
                .map(|(literal, &bucket)| (literal.as_slice(), bucket));
            return PrefixTable::build(entries)
                .map(Prefixes::Table)
                .ok_or_else(|| Error::capacity("more than 4 GiB of regex prefixes"));
        }
        let automaton = AhoCorasick::new(&self.literals).map_err(|e| {
            Error::capacity(format!(
                "the regex prefixes outgrow the prefix automaton: {e}"
            ))
        })?;
        Ok(Prefixes::AhoCorasick {
            automaton,
            bucket_of,
        })
    }
}

/// The prefix index: which buckets a code reaches.
enum Prefixes {
    None,
    /// Codes match whole: only prefixes at offset 0 count.
    Table(PrefixTable),
    /// Codes may match anywhere: every occurrence counts, found by Aho-Corasick.
    AhoCorasick {
        automaton: AhoCorasick,
        /// Literal id → its bucket.
        bucket_of: Vec<u32>,
    },
}

impl Prefixes {
    /// Calls `visit` with every bucket whose literal `text` has, and where the literal starts
    /// (its first occurrence, when codes may match anywhere).
    fn candidates(&self, text: &str, mut visit: impl FnMut(u32, u32)) {
        match self {
            Prefixes::None => {}
            Prefixes::Table(table) => table.for_each(text.as_bytes(), |bucket| visit(bucket, 0)),
            Prefixes::AhoCorasick {
                automaton,
                bucket_of,
            } => {
                // Only a literal's first occurrence matters (the check searches on from it).
                let mut seen: SmallVec<[u32; 16]> = SmallVec::new();
                for hit in automaton.find_overlapping_iter(text) {
                    let literal = hit.pattern().as_u32();
                    if seen.contains(&literal) {
                        continue;
                    }
                    seen.push(literal);
                    visit(bucket_of[literal as usize], hit.start() as u32);
                }
            }
        }
    }

    fn memory_usage(&self) -> usize {
        match self {
            Prefixes::None => 0,
            Prefixes::Table(table) => table.memory_usage(),
            Prefixes::AhoCorasick {
                automaton,
                bucket_of,
            } => automaton.memory_usage() + bucket_of.capacity() * size_of::<u32>(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// Pattern checks made on this thread.
        pub(super) static CHECKS: Cell<usize> = const { Cell::new(0) };
    }

    fn matcher(patterns: &[&str], anchoring: RegexAnchoring) -> RegexMatcher {
        let patterns = patterns
            .iter()
            .zip(0..)
            .map(|(p, i)| {
                (
                    pattern::parse_validated(p).unwrap_or_else(|_| Hir::empty()),
                    i,
                )
            })
            .collect::<Vec<_>>();
        let patterns = patterns.iter().map(|(hir, i)| (hir, *i)).collect();
        RegexMatcher::build(patterns, anchoring).unwrap_or_else(|e| panic!("{e}"))
    }

    /// (matching code indices, checks made)
    fn run(matcher: &RegexMatcher, text: &str) -> (Vec<u32>, usize) {
        CHECKS.with(|n| n.set(0));
        let mut out = SmallVec::new();
        matcher.matches(text, &mut out);
        (out.to_vec(), CHECKS.with(Cell::get))
    }

    #[test]
    fn a_pattern_is_checked_once_per_code_however_often_its_prefix_occurs() {
        let patterns: Vec<String> = (0..8).map(|i| format!("A+B{i}")).collect();
        let patterns: Vec<&str> = patterns.iter().map(String::as_str).collect();
        let search = matcher(&patterns, RegexAnchoring::Search);
        let code = "A".repeat(256);
        assert_eq!(run(&search, &code), (vec![], 8));
        assert_eq!(run(&search, &format!("{code}B7")), (vec![7], 8));
        assert_eq!(run(&search, "xAyAAB4z"), (vec![4], 8));
        // Later occurrences still count: the check searches on from the first.
        let search = matcher(&["AB"], RegexAnchoring::Search);
        assert_eq!(run(&search, "AxAxAB"), (vec![0], 1));
    }

    #[test]
    fn a_crowded_prefix_checks_only_the_patterns_whose_suffix_the_code_has() {
        let family: Vec<String> = (0..1_000).map(|i| format!(r"^P\d{{4}}-{i}$")).collect();
        let mut patterns: Vec<&str> = family.iter().map(String::as_str).collect();
        // No suffix: checked whenever the prefix is there.
        patterns.push(r"^P\d+$");
        // Whole codes must end with the suffix (-567); searched ones contain -5, -56 and -567.
        for (anchoring, checks) in [(RegexAnchoring::WholeCode, 1), (RegexAnchoring::Search, 3)] {
            let matcher = matcher(&patterns, anchoring);
            assert_eq!(
                run(&matcher, "P1234-567"),
                (vec![567], 1 + checks),
                "{anchoring:?}"
            );
            assert_eq!(run(&matcher, "P1234"), (vec![1_000], 1), "{anchoring:?}");
            assert_eq!(run(&matcher, "Q1234-5"), (vec![], 0), "{anchoring:?}");
        }
        // Without a prefix at all, the same.
        let family: Vec<String> = (0..1_000).map(|i| format!(r"\w{{3}}-{i}")).collect();
        let patterns: Vec<&str> = family.iter().map(String::as_str).collect();
        let whole = matcher(&patterns, RegexAnchoring::WholeCode);
        assert_eq!(run(&whole, "abc-12"), (vec![12], 1));
        assert_eq!(run(&whole, "abc-12x"), (vec![], 0));
        assert_eq!(run(&whole, "абв-999"), (vec![999], 1));
    }
}
