//! The compiled regex matcher: a literal-prefix index in front of one small automaton per code.
//!
//! Running every pattern on every entered code costs time proportional to the number of regex
//! codes. Instead each pattern's literal prefixes (`JANE` for `^JANE\d+$`) are indexed — in a
//! hash table probed with each prefix of the code when codes must match whole, in an
//! Aho-Corasick automaton when they may match anywhere — and only the few patterns whose prefix
//! is present
//! are checked, each by its own Glushkov automaton (see `glushkov`). Patterns with no usable
//! prefix (`^.*SUMMER$`, `(?i)…`) are checked one by one when they are few, and otherwise sit
//! behind one DFA over all of them, which says in a single pass whether any can match. The rare pattern the small automata cannot hold (a `\b`, more
//! than 64 positions) is checked by a shared `regex-automata` meta regex instead.

use aho_corasick::AhoCorasick;
use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::nfa::thompson;
use regex_automata::util::primitives::StateID;
use regex_automata::util::{start, syntax};
use regex_automata::{Anchored, Input, MatchKind, PatternID, meta};
use regex_syntax::hir::Hir;
use smallvec::SmallVec;

use crate::MAX_CODE_LEN;
use crate::error::Error;
use crate::exact::{self, ExactIndex, Hashing};
use crate::glushkov::{Automata, Start};
use crate::pattern;
use crate::settings::RegexAnchoring;

/// The largest DFA built over the patterns without a prefix; past it they are checked one by
/// one.
const FILTER_SIZE_LIMIT: usize = 2 << 20;

/// Up to this many patterns without a prefix are checked one by one: each check of a code
/// that does not match dies within a few characters, while a DFA over Unicode classes can take
/// milliseconds to build.
const FILTER_MIN_PATTERNS: usize = 5;

/// How one pattern is checked.
#[derive(Clone, Copy)]
enum Check {
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
    checks: Vec<Check>,
    automata: Automata,
    fallback: Option<meta::Regex>,
    prefixes: Prefixes,
    /// Patterns without a usable prefix, and a DFA over them all (`None` if it grew too big).
    unprefixed: Vec<u32>,
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
        patterns: Vec<(Hir, u32)>,
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
        for (pid, (hir, code)) in patterns.into_iter().enumerate() {
            let pid = u32::try_from(pid).map_err(|_| too_many())?;
            code_of.push(code);
            let hir = if whole_code {
                pattern::whole_code(hir)
            } else {
                hir
            };
            match pattern::prefixes(&hir) {
                Some(prefixes) => literals.add(prefixes, pid),
                None => {
                    unprefixed.push(pid);
                    unprefixed_hirs.push(hir.clone());
                }
            }
            checks.push(match automata.add(&hir) {
                Some(id) => Check::Automaton(id),
                None => {
                    let id = u32::try_from(fallback_hirs.len()).map_err(|_| too_many())?;
                    // Searched anchored at the start of the code: a pattern that may match
                    // anywhere gets an unanchored prefix of its own.
                    fallback_hirs.push(if whole_code {
                        hir
                    } else {
                        pattern::anywhere(hir)
                    });
                    Check::Fallback(id)
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
                .map_err(|e| Error::regex_set(e.to_string()))?;
            Some(regex)
        };
        Ok(RegexMatcher {
            code_of,
            checks,
            automata,
            fallback,
            prefixes: literals.index(whole_code)?,
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
        self.prefixes.candidates(text, &mut candidates);
        if !self.unprefixed.is_empty() && self.any_unprefixed(text) {
            candidates.extend(self.unprefixed.iter().map(|&pid| (pid, ANYWHERE)));
        }
        candidates.sort_unstable();
        let mut last_matched = None;
        // By reference: iterating by value moves the whole inline buffer first.
        for &(pid, start) in &candidates {
            if last_matched == Some(pid) {
                continue;
            }
            if self.check(pid, text, start) {
                out.push(self.code_of[pid as usize]);
                last_matched = Some(pid);
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
        match self.checks[pid as usize] {
            Check::Automaton(id) => {
                let start = if self.whole_code {
                    Start::At(0)
                } else if start == ANYWHERE {
                    Start::From(0)
                } else {
                    Start::At(start as usize)
                };
                self.automata.is_match(id, text, start)
            }
            Check::Fallback(id) => {
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
            + self.checks.capacity() * size_of::<Check>()
            + self.automata.memory_usage()
            + self.fallback.as_ref().map_or(0, meta::Regex::memory_usage)
            + self.prefixes.memory_usage()
            + self.unprefixed.capacity() * size_of::<u32>()
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
    Error::regex_set("more than 2^32 regex codes".to_owned())
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

    fn index(self, whole_code: bool) -> Result<Prefixes, Error> {
        if self.literals.is_empty() {
            return Ok(Prefixes::None);
        }
        if whole_code {
            return PrefixTable::build(&self.literals, &self.patterns)
                .map(Prefixes::Table)
                .ok_or_else(|| Error::regex_set("more than 4 GiB of regex prefixes".to_owned()));
        }
        let automaton =
            AhoCorasick::new(&self.literals).map_err(|e| Error::regex_set(e.to_string()))?;
        let (ranges, patterns) = flatten(self.patterns);
        Ok(Prefixes::AhoCorasick {
            automaton,
            ranges,
            patterns,
        })
    }
}

/// Concatenates lists, returning each one's span.
fn flatten(lists: Vec<Vec<u32>>) -> (Vec<(u32, u32)>, Vec<u32>) {
    let mut spans = Vec::with_capacity(lists.len());
    let mut all = Vec::new();
    for list in lists {
        let start = all.len() as u32;
        all.extend(list);
        spans.push((start, all.len() as u32));
    }
    (spans, all)
}

/// The prefix index.
enum Prefixes {
    None,
    /// Codes match whole: only prefixes at offset 0 count.
    Table(PrefixTable),
    /// Codes may match anywhere: every occurrence counts, found by Aho-Corasick.
    AhoCorasick {
        automaton: AhoCorasick,
        /// Literal id → its patterns, as a span of `patterns`.
        ranges: Vec<(u32, u32)>,
        patterns: Vec<u32>,
    },
}

impl Prefixes {
    fn candidates(&self, text: &str, out: &mut SmallVec<[(u32, u32); 16]>) {
        match self {
            Prefixes::None => {}
            Prefixes::Table(table) => table.for_each(text.as_bytes(), |pid| out.push((pid, 0))),
            Prefixes::AhoCorasick {
                automaton,
                ranges,
                patterns,
            } => {
                for hit in automaton.find_overlapping_iter(text) {
                    let (start, end) = ranges[hit.pattern().as_usize()];
                    let at = hit.start() as u32;
                    out.extend(
                        patterns[start as usize..end as usize]
                            .iter()
                            .map(|&pid| (pid, at)),
                    );
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
                ranges,
                patterns,
            } => {
                automaton.memory_usage()
                    + ranges.capacity() * size_of::<(u32, u32)>()
                    + patterns.capacity() * size_of::<u32>()
            }
        }
    }
}

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

struct PrefixTable {
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
    fn build(literals: &[Vec<u8>], patterns: &[Vec<u32>]) -> Option<PrefixTable> {
        let mut lengths = [0u64; LENGTH_WORDS];
        let mut longest = 0;
        let mut longest_short = 0;
        let mut reach = vec![0u8; 1 << REACH_BITS].into_boxed_slice();
        let mut entries = Vec::new();
        let basis = Hashing::random_basis();
        for (literal, pids) in literals.iter().zip(patterns) {
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
            entries.extend(pids.iter().map(|&pid| (literal.as_slice(), pid)));
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

    /// Calls `visit` with the patterns of every literal that `text` starts with, shortest
    /// literal first.
    #[inline]
    fn for_each(&self, text: &[u8], mut visit: impl FnMut(u32)) {
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

    fn memory_usage(&self) -> usize {
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
        let patterns = [vec![0], vec![1, 2], vec![3], vec![4]];
        let table = PrefixTable::build(&literals, &patterns).unwrap();
        let found = |text: &str| {
            let mut out = Vec::new();
            table.for_each(text.as_bytes(), |p| out.push(p));
            out
        };
        assert_eq!(found("ABCD"), [1, 2, 0, 4]);
        assert_eq!(found("AX"), [1, 2]);
        assert_eq!(found("XAB"), [] as [u32; 0]);
        assert_eq!(found("B"), [3]);
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
        let patterns = [vec![0], vec![1], vec![2], vec![3], vec![4]];
        let table = PrefixTable::build(&literals, &patterns).unwrap();
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
