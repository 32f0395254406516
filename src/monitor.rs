//! Misuse monitoring: is a code seen out in the wild a violation, and which registered codes
//! does a page of text show.

use aho_corasick::{AhoCorasick, MatchKind};

use crate::code::PartnerId;
use crate::decision::CodeHit;
use crate::engine::Engine;
use crate::error::Error;
use crate::fold;
use crate::time::Timestamp;

/// A code seen promoted somewhere — on a coupon site's page, in a browser extension's list —
/// at an instant, and who promoted it, when known.
///
/// ```
/// use promo_attribution::{PartnerId, Sighting, Timestamp};
///
/// let seen = Sighting::new("SAVE10", Timestamp::from_unix_seconds(1_773_144_000)).promoted_by(PartnerId(7));
/// assert_eq!(seen.promoted_by, Some(PartnerId(7)));
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sighting<'a> {
    /// The code as seen.
    pub code: &'a str,
    /// When it was seen.
    pub at: Timestamp,
    /// The partner who promoted it, if the place belongs to one.
    pub promoted_by: Option<PartnerId>,
}

impl<'a> Sighting<'a> {
    /// `code` seen at `at`, by no known partner.
    pub const fn new(code: &'a str, at: Timestamp) -> Sighting<'a> {
        Sighting {
            code,
            at,
            promoted_by: None,
        }
    }

    /// Sets the partner who promoted it.
    pub const fn promoted_by(mut self, partner: PartnerId) -> Self {
        self.promoted_by = Some(partner);
        self
    }
}

/// Why a sighting is a problem.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Violation {
    /// An active restricted code (staff, customer service) is out in the wild.
    Restricted,
    /// A partner promotes a tracking code another partner owns.
    NotAuthorized,
    /// The tracking code is not active at the instant it was seen: expired, or not yet started.
    Expired,
}

impl Violation {
    /// The stable snake_case name: `restricted`, `not_authorized`, `expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            Violation::Restricted => "restricted",
            Violation::NotAuthorized => "not_authorized",
            Violation::Expired => "expired",
        }
    }
}

/// What [`Engine::check_sighting`] found.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SightingCheck {
    /// What the seen text hits, as an entered code would.
    pub hit: CodeHit,
    /// The owner of the tracking code hit, active or not.
    pub owner: Option<PartnerId>,
    /// The violation, if any; see [`Engine::check_sighting`] for which one wins.
    pub violation: Option<Violation>,
}

impl Engine {
    /// Whether a code seen promoted somewhere is a violation (the reference's monitoring).
    ///
    /// The text resolves as an entered code would at the sighting's instant. Then, the first
    /// that applies: it hits an active restricted code → [`Violation::Restricted`]; it hits a
    /// tracking code (active or not) whose owner is not the promoting partner →
    /// [`Violation::NotAuthorized`]; it hits a tracking code that is not active →
    /// [`Violation::Expired`] (the [`hit`](SightingCheck::hit) carries the state). A code the
    /// registry does not know is no violation: it credits nobody.
    ///
    /// ```
    /// use promo_attribution::{Code, CodeId, PartnerId, Registry, Sighting, Timestamp, Violation};
    ///
    /// let t = |s: &str| s.parse::<Timestamp>();
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(10), "JANE15", PartnerId(1)))?;
    /// registry.add(Code::tracking(CodeId(11), "WINTER25", PartnerId(2)).ends_at(t("2026-03-01T00:00:00Z")?))?;
    /// let engine = registry.compile()?;
    ///
    /// let at = t("2026-03-10T12:00:00Z")?;
    /// let check = |text, by| engine.check_sighting(&Sighting::new(text, at).promoted_by(PartnerId(by))).violation;
    /// assert_eq!(check("jane15", 1), None);
    /// assert_eq!(check("jane15", 7), Some(Violation::NotAuthorized));
    /// assert_eq!(check("WINTER25", 2), Some(Violation::Expired));
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn check_sighting(&self, sighting: &Sighting<'_>) -> SightingCheck {
        let (hit, owner) = self.resolve_text(sighting.code, sighting.at);
        let violation = match hit {
            CodeHit::Restricted(_) => Some(Violation::Restricted),
            _ if owner.is_some()
                && sighting.promoted_by.is_some()
                && sighting.promoted_by != owner =>
            {
                Some(Violation::NotAuthorized)
            }
            // An inactive hit with an owner is a tracking code; an inactive restricted code
            // no longer blocks anything, so seeing it is harmless.
            CodeHit::Inactive { .. } if owner.is_some() => Some(Violation::Expired),
            _ => None,
        };
        SightingCheck {
            hit,
            owner,
            violation,
        }
    }
}

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
    /// The owner of the tracking code hit, active or not.
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
    /// codes would exceed the Aho-Corasick library's limits.
    pub fn new(engine: &Engine) -> Result<PageScanner, Error> {
        // The index already holds every exact code's folded text once: no folding again.
        let texts: Vec<&[u8]> = engine.exact_keys().collect();
        let exact = if texts.is_empty() {
            None
        } else {
            let automaton = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(&texts)
                .map_err(|e| Error::regex_set(format!("page scanner: {e}")))?;
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
                if token.len() <= crate::MAX_CODE_LEN && self.engine.any_regex_matches(token) {
                    spans.push((start, start + token.len()));
                }
            }
        }
        spans.sort_unstable();
        spans.dedup();
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
