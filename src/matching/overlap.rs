//! Whether two regex codes can match the same entered code: emptiness of the product of their
//! DFAs, with a shortest example when it is not empty.
//!
//! The answer is exact when both patterns determinize within the size limit and the product
//! stays within the state budget; otherwise it is [`Overlap::Unknown`], never a guess.

use std::collections::{HashMap, VecDeque};

use regex_automata::dfa::{Automaton, StartKind, dense, sparse};
use regex_automata::nfa::thompson;
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind};
use regex_syntax::hir::{Dot, Hir, Repetition};

use super::pattern;

/// The largest DFA one pattern may determinize to for the check. Code families are tiny; this
/// only stops a pattern like `\w{40}` from taking the report down with it.
const DFA_SIZE_LIMIT: usize = 4 << 20;

/// The most state pairs explored per pair of patterns.
pub(crate) const PRODUCT_STATE_LIMIT: usize = 100_000;

/// What the check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Overlap {
    /// Both match this text (one of the shortest such).
    Example(String),
    /// No text matches both.
    Disjoint,
    /// Could not be decided within the limits; says which.
    Unknown(&'static str),
}

/// The set of entered codes one pattern matches, as an anchored DFA that accepts exactly them.
///
/// Kept sparse: a dense DFA holds a row of transitions per state for every class of bytes, and
/// a Unicode class (`\w{12}N`) makes thousands of states with few transitions each — about 2 MB
/// dense, where the conflict report keeps one per regex code it compares.
pub(crate) struct Language {
    dfa: sparse::DFA<Vec<u8>>,
    start: StateID,
}

impl Language {
    /// `hir` as the engine matches it: the whole code, or anywhere in it.
    pub(crate) fn new(hir: &Hir, whole_code: bool) -> Result<Language, &'static str> {
        let hir = if whole_code {
            pattern::whole_code(hir.clone())
        } else {
            let any = || {
                Hir::repetition(Repetition {
                    min: 0,
                    max: None,
                    greedy: true,
                    sub: Box::new(Hir::dot(Dot::AnyChar)),
                })
            };
            pattern::whole_code(Hir::concat(vec![any(), hir.clone(), any()]))
        };
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .which_captures(thompson::WhichCaptures::None)
                    .nfa_size_limit(Some(DFA_SIZE_LIMIT)),
            )
            .build_from_hir(&hir)
            .map_err(|_| "the pattern is too large to determinize")?;
        let dfa = dense::Builder::new()
            .configure(
                dense::Config::new()
                    // Every match, not the leftmost-first one: the DFA must accept the whole
                    // language, not stop where a search would.
                    .match_kind(MatchKind::All)
                    .start_kind(StartKind::Anchored)
                    .dfa_size_limit(Some(DFA_SIZE_LIMIT))
                    .determinize_size_limit(Some(DFA_SIZE_LIMIT)),
            )
            .build_from_nfa(&nfa)
            .map_err(|_| "the pattern's DFA exceeds the size limit (a Unicode \\b, or a large repetition)")?
            .to_sparse()
            .map_err(|_| "the pattern's DFA exceeds the size limit (a Unicode \\b, or a large repetition)")?;
        let start = dfa
            .start_state(&start::Config::new().anchored(Anchored::Yes))
            .map_err(|_| "the pattern's DFA has no anchored start")?;
        Ok(Language { dfa, start })
    }

    fn accepts_at_end(&self, state: StateID) -> bool {
        self.dfa.is_match_state(self.dfa.next_eoi_state(state))
    }

    /// Heap bytes.
    #[cfg(test)]
    pub(crate) fn memory_usage(&self) -> usize {
        self.dfa.memory_usage()
    }
}

/// Whether some text is in both languages, and how many product states the search explored:
/// a breadth-first search of the product automaton, so the example is one of the shortest.
pub(crate) fn overlap(a: &Language, b: &Language, state_limit: usize) -> (Overlap, usize) {
    let mut explored = 0;
    let found = search(a, b, state_limit, &mut explored);
    (found, explored)
}

fn search(a: &Language, b: &Language, state_limit: usize, explored: &mut usize) -> Overlap {
    let inputs = representatives(a, b);
    // Each explored pair, with the pair it was reached from and the byte that led to it.
    let mut pairs: Vec<((StateID, StateID), usize, u8)> = vec![((a.start, b.start), 0, 0)];
    let mut seen: HashMap<(StateID, StateID), ()> = HashMap::new();
    seen.insert((a.start, b.start), ());
    let mut queue = VecDeque::from([0usize]);
    while let Some(at) = queue.pop_front() {
        let ((sa, sb), _, _) = pairs[at];
        for &byte in &inputs {
            let next = (a.dfa.next_state(sa, byte), b.dfa.next_state(sb, byte));
            if a.dfa.is_dead_state(next.0) || b.dfa.is_dead_state(next.1) {
                continue;
            }
            if a.dfa.is_quit_state(next.0) || b.dfa.is_quit_state(next.1) {
                return Overlap::Unknown("a pattern's DFA gives up on some input");
            }
            if seen.insert(next, ()).is_some() {
                continue;
            }
            if pairs.len() >= state_limit {
                return Overlap::Unknown("the product of the two DFAs exceeds the state budget");
            }
            pairs.push((next, at, byte));
            *explored = pairs.len();
            if a.accepts_at_end(next.0) && b.accepts_at_end(next.1) {
                return example(&pairs, pairs.len() - 1);
            }
            queue.push_back(pairs.len() - 1);
        }
    }
    Overlap::Disjoint
}

/// One byte per pair of equivalence classes: bytes the two DFAs cannot tell apart lead to the
/// same product state, so one of them is enough.
fn representatives(a: &Language, b: &Language) -> Vec<u8> {
    let (ca, cb) = (a.dfa.byte_classes(), b.dfa.byte_classes());
    let mut taken: HashMap<(u8, u8), ()> = HashMap::new();
    (0..=255u8)
        .filter(|&byte| taken.insert((ca.get(byte), cb.get(byte)), ()).is_none())
        .collect()
}

/// The bytes on the path from the start to pair `last`.
fn example(pairs: &[((StateID, StateID), usize, u8)], last: usize) -> Overlap {
    let mut bytes = Vec::new();
    let mut at = last;
    while at != 0 {
        let (_, parent, byte) = pairs[at];
        bytes.push(byte);
        at = parent;
    }
    bytes.reverse();
    // Both languages hold only UTF-8 (the patterns are Unicode-aware `&str` regexes), so this
    // holds; if it ever did not, the honest answer is that the check could not tell.
    String::from_utf8(bytes).map_or(
        Overlap::Unknown("the shared text found is not UTF-8"),
        Overlap::Example,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(a: &str, b: &str, whole_code: bool) -> Overlap {
        let lang = |p: &str| {
            let hir = pattern::parse(p).map_err(|e| e.to_string())?;
            Language::new(&hir, whole_code).map_err(str::to_owned)
        };
        match (lang(a), lang(b)) {
            (Ok(a), Ok(b)) => overlap(&a, &b, PRODUCT_STATE_LIMIT).0,
            (Err(e), _) | (_, Err(e)) => panic!("{e}"),
        }
    }

    #[test]
    fn products() {
        let example = |s: &str| Overlap::Example(s.to_owned());
        let cases: &[(&str, &str, bool, Overlap)] = &[
            (r"^P\d+$", r"^P[0-9]{4}$", true, example("P0000")),
            (r"^P\d+$", r"^Q\d+$", true, Overlap::Disjoint),
            (
                r"^P-[A-Z0-9]{6}$",
                r"^P-\d{2}X.*$",
                true,
                example("P-00X000"),
            ),
            (
                "^(SUMMER).*",
                "^.*(PODCAST)$",
                true,
                example("SUMMERPODCAST"),
            ),
            ("SUMMER", "SUMMERX", true, Overlap::Disjoint),
            // Anywhere in the code, the same two overlap.
            ("SUMMER", "SUMMERX", false, example("SUMMERX")),
            ("(?i)save", "SAVE", true, example("SAVE")),
            ("[a-z]+", "[A-Z]+", true, Overlap::Disjoint),
            // Leftmost-first semantics would stop `A|AB` after `A`; the language has `AB` too.
            ("A|AB", "AB", true, example("AB")),
            ("É.", "[^A]É", true, example("ÉÉ")),
            (r"\d{3}", r"\d{2}", true, Overlap::Disjoint),
        ];
        for (a, b, whole, expected) in cases {
            assert_eq!(&check(a, b, *whole), expected, "{a} / {b}");
        }
    }

    #[test]
    fn limits_give_unknown_not_a_guess() {
        let hir = |p: &str| pattern::parse(p).unwrap_or_else(|e| panic!("{e}"));
        let a = Language::new(&hir(r"[AB]{12}C"), true).unwrap_or_else(|e| panic!("{e}"));
        let b = Language::new(&hir(r"A[AB]{12}"), true).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(overlap(&a, &b, 5).0, Overlap::Unknown(_)));
        assert_eq!(overlap(&a, &b, PRODUCT_STATE_LIMIT).0, Overlap::Disjoint);
        // Unicode \b cannot be determinized without giving up on non-ASCII input.
        assert!(Language::new(&hir(r"\bSAVE\b"), false).is_err());
    }

    #[test]
    fn a_unicode_class_language_stays_small() {
        let hir = pattern::parse(r"\w{12}5").unwrap_or_else(|e| panic!("{e}"));
        let language = Language::new(&hir, true).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            language.memory_usage() <= 200 << 10,
            "{} bytes",
            language.memory_usage()
        );
        let other = pattern::parse(r"\w{11}55").unwrap_or_else(|e| panic!("{e}"));
        let other = Language::new(&other, true).unwrap_or_else(|e| panic!("{e}"));
        let (found, _) = overlap(&language, &other, PRODUCT_STATE_LIMIT);
        assert!(
            matches!(&found, Overlap::Example(text) if text.len() == 13 && text.ends_with("55")),
            "{found:?}"
        );
    }
}
