//! Misuse monitoring: which registered codes a page of text shows. (Whether one code seen out
//! in the wild is a violation is [`Engine::check_sighting`].)

use aho_corasick::{AhoCorasick, MatchKind};

use crate::engine::Engine;
use crate::matching::fold;
use crate::model::{CodeHit, Error, MAX_CODE_LEN, PartnerId, Timestamp};

/// A registered code found in a page of text by [`PageScanner::scan`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Found {
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
/// not in `XSAVE10` or `SAVE10-B`. Regex codes are checked against every maximal run of token
/// characters, so a regex code can be found only when the codes it matches are made of token
/// characters — which every realistic family is.
///
/// Building the scanner costs time and memory in proportion to the exact codes' text (see
/// `BENCHMARKS.md` for 1,000,000 codes); build it once and reuse it for many pages.
///
/// ```
/// use promo_attribution::{Code, CodeHit, CodeId, PageScanner, PartnerId, Registry, Timestamp};
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
    /// Over the distinct case-folded texts of the exact codes; `None` when there are none.
    exact: Option<AhoCorasick>,
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
            let automaton = AhoCorasick::builder()
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
        self.exact.as_ref().map_or(0, AhoCorasick::memory_usage)
    }

    /// Every registered code in `text`, in order of position, each resolved at `at`. A range
    /// is reported once, with what it hits as an entered code would.
    pub fn scan(&self, text: &str, at: Timestamp) -> Vec<Found> {
        let mut spans: Vec<(usize, usize)> = Vec::new();
        if let Some(automaton) = &self.exact {
            let folded = Folded::new(text);
            for m in automaton.find_overlapping_iter(folded.text.as_str()) {
                let (start, end) = (folded.original(m.start()), folded.original(m.end()));
                let before = text[..start].chars().next_back();
                let after = text[end..].chars().next();
                if !before.is_some_and(is_token_char) && !after.is_some_and(is_token_char) {
                    spans.push((start, end));
                }
            }
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
                Found {
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

/// A text case-folded character by character, with the way back to the original offsets.
struct Folded {
    text: String,
    /// For each byte offset of the folded text that starts a character (and its end), the
    /// offset in the original; empty when folding kept every offset (ASCII).
    back: Vec<usize>,
}

impl Folded {
    fn new(original: &str) -> Folded {
        if original.is_ascii() {
            return Folded {
                text: original.to_ascii_lowercase(),
                back: Vec::new(),
            };
        }
        let mut text = String::with_capacity(original.len());
        let mut back = Vec::with_capacity(original.len() + 1);
        for (offset, c) in original.char_indices() {
            let before = text.len();
            // One character always fits the stack buffer: no allocation per character.
            fold::with_folded(c.encode_utf8(&mut [0; 4]), |folded| text.push_str(folded));
            back.extend(std::iter::repeat_n(offset, text.len() - before));
        }
        back.push(original.len());
        Folded { text, back }
    }

    /// The original offset of a folded offset at a character boundary.
    fn original(&self, folded: usize) -> usize {
        if self.back.is_empty() {
            folded
        } else {
            self.back[folded]
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

    #[test]
    fn folding_maps_offsets_back() {
        // 'Ⱥ' (2 bytes) folds to 'ⱥ' (3 bytes): offsets after it shift.
        let folded = Folded::new("xȺSAVE");
        assert_eq!(folded.text, "xⱥsave");
        let at = folded.text.find("save").unwrap_or(usize::MAX);
        assert_eq!(folded.original(at), 3);
        assert_eq!(folded.original(folded.text.len()), 7);
    }
}
