//! Misuse monitoring: which registered codes a page of text shows. (Whether one code seen out
//! in the wild is a violation is [`Engine::check_sighting`].)

use aho_corasick::automaton::Automaton;
use aho_corasick::nfa::contiguous;
use aho_corasick::{Anchored, MatchKind};

use crate::engine::Engine;
use crate::matching::fold;
use crate::model::{CodeHit, Error, MAX_CODE_LEN, PartnerId, Timestamp};

/// A registered code found in a page of text by [`PageScanner::scan`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PageMatch {
    /// The byte range of the code in the scanned text.
    pub start: usize,
    /// The end of that range (exclusive).
    pub end: usize,
    /// What the text at that range hits at the scan's instant.
    pub hit: CodeHit,
    /// The owner of the tracking code hit (active or not) at the instant in question.
    pub owner: Option<PartnerId>,
}

/// Finds every registered code that appears in an arbitrary text — a coupon site's page, a
/// browser extension's list — as a whole token.
///
/// Exact codes are found case-insensitively (simple case folding) by one Aho-Corasick automaton
/// over all their texts, wherever they stand, as long as the characters on either side are not
/// *token characters* (letters, digits, `_` and `-`): `SAVE10` is found in `use SAVE10!` but
/// not in `XSAVE10` or `SAVE10-B`. The automaton is walked from each place a code may start
/// (where the character before is not a token character), folding the page as it goes: the
/// scan costs at most the longest code's length per such place, however the codes nest
/// (`A`, `AA`, `AAA`… over a run of `A`s), and no memory in proportion to the page. Regex codes are checked against every maximal run of token
/// characters, so a regex code can be found only when the codes it matches are made of token
/// characters — which every realistic family is.
///
/// Building the scanner costs time and memory in proportion to the exact codes' text (see
/// `BENCHMARKS.md` for 1,000,000 codes); build it once and reuse it for many pages.
///
/// ```
/// use promo_attribution::{Code, CodeId, PartnerId, Registry, Timestamp};
/// use promo_attribution::decision::CodeHit;
/// use promo_attribution::monitoring::PageScanner;
///
/// let mut registry = Registry::default();
/// registry.add(Code::tracking(CodeId(10), "JANE15", PartnerId(1)))?;
/// registry.add(Code::tracking(CodeId(20), r"^TECHBLOG\d{2}$", PartnerId(3)).regex())?;
/// let engine = registry.compile()?;
/// let scanner = PageScanner::new(&engine)?;
///
/// let page = "Best deals: jane15 takes 15% off; TECHBLOG42 too. Not XJANE15.";
/// let found: Vec<_> = scanner
///     .scan(page, Timestamp::from_unix_seconds(0))
///     .into_iter()
///     .map(|f| (&page[f.start..f.end], f.hit))
///     .collect();
/// assert_eq!(found, [("jane15", CodeHit::Matched(CodeId(10))), ("TECHBLOG42", CodeHit::Matched(CodeId(20)))]);
/// # Ok::<(), promo_attribution::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PageScanner {
    engine: Engine,
    /// Over the distinct case-folded texts of the exact codes, walked anchored; `None` when
    /// there are none.
    exact: Option<contiguous::NFA>,
}

fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

impl PageScanner {
    /// Builds the scanner for an engine's codes. Fails only when the automaton over the exact
    /// codes would exceed the Aho-Corasick library's limits
    /// ([`CapacityExceeded`](crate::ErrorKind::CapacityExceeded)).
    pub fn new(engine: &Engine) -> Result<PageScanner, Error> {
        // The index already holds every exact code's folded text once: no folding again.
        let texts: Vec<&[u8]> = engine.exact_keys().collect();
        let exact = if texts.is_empty() {
            None
        } else {
            let automaton = contiguous::Builder::new()
                .match_kind(MatchKind::Standard)
                .build(&texts)
                .map_err(|e| {
                    Error::capacity(format!(
                        "the exact codes outgrow the page scanner's automaton: {e}"
                    ))
                })?;
            Some(automaton)
        };
        Ok(PageScanner {
            engine: engine.clone(),
            exact,
        })
    }

    /// The heap memory of the automaton over the exact codes, in bytes.
    pub fn memory_usage(&self) -> usize {
        self.exact.as_ref().map_or(0, |nfa| nfa.memory_usage())
    }

    /// Every registered code in `text`, in order of position, each resolved at `at`. A range
    /// is reported once, with what it hits as an entered code would.
    pub fn scan(&self, text: &str, at: Timestamp) -> Vec<PageMatch> {
        let mut spans: Vec<(usize, usize)> = Vec::new();
        if let Some(automaton) = &self.exact {
            exact_spans(automaton, text, &mut spans);
        }
        if self.engine.has_regex_codes() {
            for (start, token) in tokens(text) {
                if token.len() <= MAX_CODE_LEN && self.engine.any_regex_matches(token) {
                    spans.push((start, start + token.len()));
                }
            }
        }
        spans.sort_unstable();
        spans.dedup();
        // A span can resolve to nothing only when it is the text of a removed code, which the
        // automaton over the exact texts may still hold.
        spans
            .into_iter()
            .map(|(start, end)| {
                let (hit, owner) = self.engine.resolve_text(&text[start..end], at);
                PageMatch {
                    start,
                    end,
                    hit,
                    owner,
                }
            })
            .filter(|found| found.hit != CodeHit::Unknown)
            .collect()
    }
}

/// Maximal runs of token characters, with their byte offsets.
fn tokens(text: &str) -> impl Iterator<Item = (usize, &str)> + '_ {
    let mut rest = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, _) = rest.by_ref().find(|(_, c)| is_token_char(*c))?;
        let mut end = text.len();
        while let Some(&(i, c)) = rest.peek() {
            if !is_token_char(c) {
                end = i;
                break;
            }
            rest.next();
        }
        Some((start, &text[start..end]))
    })
}

/// Every span of `text` that is an exact code's text, with no token character on either side:
/// the automaton is walked anchored from each place a code may start, on the text folded one
/// character at a time.
fn exact_spans(automaton: &contiguous::NFA, text: &str, spans: &mut Vec<(usize, usize)>) {
    let Ok(start) = automaton.start_state(Anchored::Yes) else {
        return;
    };
    let mut before: Option<char> = None;
    for (at, c) in text.char_indices() {
        let may_start = !before.is_some_and(is_token_char);
        before = Some(c);
        if !may_start {
            continue;
        }
        let mut state = start;
        for (offset, c) in text[at..].char_indices() {
            let mut utf8 = [0u8; 4];
            let alive = fold::with_folded_bytes(c.encode_utf8(&mut utf8), |folded| {
                for &byte in folded {
                    state = automaton.next_state(Anchored::Yes, state, byte);
                    if automaton.is_dead(state) {
                        return false;
                    }
                }
                true
            });
            if alive != Some(true) {
                break;
            }
            if automaton.is_match(state) {
                let end = at + offset + c.len_utf8();
                if !text[end..].chars().next().is_some_and(is_token_char) {
                    spans.push((at, end));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_maximal_runs() {
        let found: Vec<_> = tokens("  a-1, été_2!x").collect();
        assert_eq!(found, [(2, "a-1"), (7, "été_2"), (15, "x")]);
        assert_eq!(tokens("").count(), 0);
        assert_eq!(tokens(" !? ").count(), 0);
    }
}
