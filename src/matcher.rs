//! The compiled regex matcher: a literal prefilter in front of one multi-pattern regex.
//!
//! Running every pattern on every entered code costs time proportional to the number of regex
//! codes. Instead each pattern's literal prefixes (`SUMMER` for `^SUMMER\d+$`) go into one
//! Aho-Corasick automaton; a scan of the entered code yields the few patterns that can match,
//! and only those are checked, each with an anchored search for that one pattern
//! (`Anchored::Pattern`) in a shared `regex-automata` meta regex. Patterns with no usable prefix
//! (`^.*SUMMER$`, `(?i)…`) are checked on every code.

use aho_corasick::AhoCorasick;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, PatternID, meta};
use regex_syntax::hir::Hir;
use smallvec::SmallVec;

use crate::error::Error;
use crate::pattern;
use crate::settings::RegexAnchoring;

/// Pattern ids are positions in precedence order, so the lowest matching id wins.
pub(crate) struct RegexMatcher {
    /// `None` when the program has no regex codes.
    verifier: Option<meta::Regex>,
    /// Pattern id → the caller's code index.
    code_of: Vec<u32>,
    prefilter: Option<AhoCorasick>,
    /// Prefilter literal id → its patterns, as ranges into `literal_patterns`.
    literal_ranges: Vec<(u32, u32)>,
    literal_patterns: Vec<u32>,
    /// Patterns without a usable prefix: checked on every code.
    unprefixed: Vec<u32>,
    whole_code: bool,
}

impl RegexMatcher {
    /// `patterns` are (syntax tree, code index), already in precedence order.
    pub(crate) fn build(
        patterns: Vec<(Hir, u32)>,
        anchoring: RegexAnchoring,
    ) -> Result<RegexMatcher, Error> {
        let whole_code = anchoring == RegexAnchoring::WholeCode;
        let mut code_of = Vec::with_capacity(patterns.len());
        let mut verifiers = Vec::with_capacity(patterns.len());
        let mut literal_ids: std::collections::HashMap<Vec<u8>, usize> = Default::default();
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut patterns_of_literal: Vec<Vec<u32>> = Vec::new();
        let mut unprefixed = Vec::new();
        for (pid, (hir, code)) in patterns.into_iter().enumerate() {
            let pid = u32::try_from(pid).map_err(|_| too_many())?;
            code_of.push(code);
            let hir = if whole_code {
                pattern::whole_code(hir)
            } else {
                hir
            };
            match pattern::prefixes(&hir) {
                Some(prefixes) => {
                    for prefix in prefixes {
                        let id = *literal_ids.entry(prefix).or_insert_with_key(|lit| {
                            literals.push(lit.clone());
                            patterns_of_literal.push(Vec::new());
                            literals.len() - 1
                        });
                        patterns_of_literal[id].push(pid);
                    }
                }
                None => unprefixed.push(pid),
            }
            verifiers.push(if whole_code {
                hir
            } else {
                pattern::anywhere(hir)
            });
        }
        let verifier = if verifiers.is_empty() {
            None
        } else {
            let regex = meta::Builder::new()
                .configure(
                    meta::Config::new()
                        .which_captures(regex_automata::nfa::thompson::WhichCaptures::None)
                        .nfa_size_limit(None),
                )
                .syntax(syntax::Config::new())
                .build_many_from_hir(&verifiers)
                .map_err(|e| Error::regex_set(e.to_string()))?;
            Some(regex)
        };
        let prefilter = if literals.is_empty() {
            None
        } else {
            Some(AhoCorasick::new(&literals).map_err(|e| Error::regex_set(e.to_string()))?)
        };
        let mut literal_ranges = Vec::with_capacity(patterns_of_literal.len());
        let mut literal_patterns = Vec::new();
        for pids in patterns_of_literal {
            let start = literal_patterns.len() as u32;
            literal_patterns.extend(pids);
            literal_ranges.push((start, literal_patterns.len() as u32));
        }
        Ok(RegexMatcher {
            verifier,
            code_of,
            prefilter,
            literal_ranges,
            literal_patterns,
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
        let Some(verifier) = &self.verifier else {
            return;
        };
        let mut candidates: SmallVec<[u32; 16]> = SmallVec::new();
        candidates.extend_from_slice(&self.unprefixed);
        if let Some(prefilter) = &self.prefilter {
            for hit in prefilter.find_overlapping_iter(text) {
                // Whole-code patterns are anchored at the start: a prefix found later in the
                // code cannot begin a match.
                if self.whole_code && hit.start() != 0 {
                    continue;
                }
                let (start, end) = self.literal_ranges[hit.pattern().as_usize()];
                candidates.extend_from_slice(&self.literal_patterns[start as usize..end as usize]);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        for pid in candidates {
            let Ok(id) = PatternID::new(pid as usize) else {
                continue;
            };
            let input = Input::new(text)
                .anchored(Anchored::Pattern(id))
                .earliest(true);
            if verifier.is_match(input) {
                out.push(self.code_of[pid as usize]);
            }
        }
    }
}

fn too_many() -> Error {
    Error::regex_set("more than 2^32 regex codes".to_owned())
}
