//! Code requests and the conflict report (SPEC §3 rule 6): what a new code would collide with,
//! and the overlaps among registered codes a brand should know about.

use std::fmt;

use smallvec::SmallVec;

use crate::code::{Code, CodeId, PartnerId, check_text};
use crate::engine::Engine;
use crate::error::{Error, Reason};
use crate::overlap::{Language, Overlap, PRODUCT_STATE_LIMIT, overlap};
use crate::settings::RegexAnchoring;
use crate::time::Window;
use crate::{fold, pattern};

/// What a suggested code collides with. See [`Engine::check_available`].
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Collision {
    /// An exact tracking code with the same text, ignoring case, whose schedule overlaps:
    /// registering the suggestion would fail as a duplicate.
    Exact {
        /// The registered code.
        code: CodeId,
        /// Its owner (possibly the partner asking).
        owner: PartnerId,
    },
    /// A restricted code with the same text, ignoring case, whose schedule overlaps.
    Restricted {
        /// The registered restricted code.
        code: CodeId,
    },
    /// Another partner's regex code already matches the text, as suggested or in another case
    /// the customer might type, and its schedule overlaps. The exact code would win (SPEC
    /// §4.3), taking those sales from the regex code's owner.
    Regex {
        /// The registered regex code.
        code: CodeId,
        /// Its owner.
        owner: PartnerId,
        /// The text the regex matches.
        example: String,
    },
}

impl fmt::Display for Collision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Collision::Exact { code, owner } => {
                write!(f, "code {code} of partner {owner} has the same text")
            }
            Collision::Restricted { code } => write!(f, "restricted code {code} has the same text"),
            Collision::Regex {
                code,
                owner,
                example,
            } => write!(
                f,
                "regex code {code} of partner {owner} matches {example:?}"
            ),
        }
    }
}

/// The answer of [`Engine::check_available`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Availability {
    collisions: Vec<Collision>,
}

impl Availability {
    /// Whether the code can be created without colliding with anything.
    pub fn is_available(&self) -> bool {
        self.collisions.is_empty()
    }

    /// Everything the code would collide with: exact and restricted codes first, in
    /// registration order, then regex codes in precedence order.
    pub fn collisions(&self) -> &[Collision] {
        &self.collisions
    }
}

/// An overlap among registered codes, from [`Engine::conflicts`]. Each comes with a text
/// that shows it, where one is known.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// An exact code of one partner that another partner's regex code also matches: the exact
    /// code wins (SPEC §4.3), so the regex code's owner never gets these sales.
    ExactShadowsRegex {
        /// The exact code, which wins.
        exact: CodeId,
        /// The regex code it shadows.
        regex: CodeId,
        /// A text both match.
        example: String,
    },
    /// Two regex codes of different owners match the same code: the higher priority, then the
    /// one registered earlier, wins it.
    RegexOverlap {
        /// The regex code that wins the shared texts.
        winner: CodeId,
        /// The one that loses them.
        loser: CodeId,
        /// One of the shortest texts both match.
        example: String,
    },
    /// Two regex codes of different owners that the check could not decide within its limits
    /// (a pattern too large to determinize, a Unicode `\b`, a product automaton over the
    /// state budget). They may or may not overlap: look at them by hand.
    RegexOverlapUnknown {
        /// The regex code that would win shared texts.
        winner: CodeId,
        /// The one that would lose them.
        loser: CodeId,
        /// Which limit was hit.
        reason: String,
    },
    /// A restricted code whose text a tracking regex code matches: while the restriction is in
    /// force, every order carrying that text is invalid instead of credited.
    RestrictedShadowsRegex {
        /// The restricted code.
        restricted: CodeId,
        /// The tracking regex code it shadows.
        regex: CodeId,
        /// The text both match.
        example: String,
    },
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conflict::ExactShadowsRegex {
                exact,
                regex,
                example,
            } => write!(
                f,
                "exact code {exact} shadows regex code {regex} of another partner: {example:?} \
                 matches both and credits the exact code's owner"
            ),
            Conflict::RegexOverlap {
                winner,
                loser,
                example,
            } => write!(
                f,
                "regex codes {winner} and {loser} of different partners both match {example:?}; \
                 code {winner} wins it"
            ),
            Conflict::RegexOverlapUnknown {
                winner,
                loser,
                reason,
            } => write!(
                f,
                "regex codes {winner} and {loser} of different partners may overlap: could not \
                 decide ({reason})"
            ),
            Conflict::RestrictedShadowsRegex {
                restricted,
                regex,
                example,
            } => write!(
                f,
                "restricted code {restricted} shadows regex code {regex}: orders carrying \
                 {example:?} are invalid"
            ),
        }
    }
}

impl Engine {
    /// Whether a partner may be given a new exact code `text` for `window` (the reference's
    /// "allow partners to request promo codes"), and if not, what it collides with.
    ///
    /// Collisions are codes whose schedules overlap `window`: an exact code with the same text
    /// ignoring case (of anyone, the partner included), a restricted code with that text, and
    /// another partner's regex code that matches the text as suggested, folded, or in upper
    /// case. Lifecycle events are not considered: an expired code can be reactivated.
    ///
    /// Fails, like [`Registry::add`](crate::Registry::add), when the text is not a valid code
    /// (empty after trimming, too long, a control character) or the window is invalid.
    ///
    /// ```
    /// use promo_attribution::{Code, CodeId, Collision, PartnerId, Registry, Window};
    ///
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(1), "JANE15", PartnerId(1)))?;
    /// registry.add(Code::tracking(CodeId(2), r"^SUMMER\d+$", PartnerId(2)).regex())?;
    /// let engine = registry.compile()?;
    ///
    /// assert!(engine.check_available("JANE20", PartnerId(1), Window::ALWAYS)?.is_available());
    /// let taken = engine.check_available("jane15", PartnerId(3), Window::ALWAYS)?;
    /// assert_eq!(taken.collisions(), [Collision::Exact { code: CodeId(1), owner: PartnerId(1) }]);
    /// let shadowing = engine.check_available("summer26", PartnerId(3), Window::ALWAYS)?;
    /// assert_eq!(shadowing.collisions()[0].to_string(), r#"regex code 2 of partner 2 matches "SUMMER26""#);
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn check_available(
        &self,
        text: &str,
        partner: PartnerId,
        window: Window,
    ) -> Result<Availability, Error> {
        let text = text.trim();
        check_text(text).map_err(|reason| Error::suggestion(text, reason))?;
        if !window.is_valid() {
            return Err(Error::suggestion(text, Reason::InvalidWindow(window)));
        }
        let definitions = self.definitions();
        let mut collisions = Vec::new();
        let folded = fold::fold(text);
        self.exact_matches(&folded, |i| {
            let code = &definitions[i as usize];
            if code.window().overlaps(&window) {
                collisions.push(match code.owner() {
                    Some(owner) => Collision::Exact {
                        code: code.id(),
                        owner,
                    },
                    None => Collision::Restricted { code: code.id() },
                });
            }
        });
        self.regex_matches_any_spelling(text, |i, example| {
            let code = &definitions[i as usize];
            match code.owner() {
                Some(owner) if owner != partner && code.window().overlaps(&window) => {
                    collisions.push(Collision::Regex {
                        code: code.id(),
                        owner,
                        example: example.to_owned(),
                    });
                }
                _ => {}
            }
        });
        Ok(Availability { collisions })
    }

    /// The overlaps among the registered codes a brand should know about (SPEC §3 rule 6),
    /// without failing: exact codes shadowing another partner's regex code, regex codes of
    /// different partners matching the same code, restricted codes shadowing a regex code.
    /// Only codes whose schedules overlap are compared; each conflict comes with a text that
    /// shows it.
    ///
    /// Regex codes are compared exactly, as languages: the product of their DFAs is searched
    /// for a shortest text both accept. Pairs whose literal prefixes rule out a shared text
    /// (`^P\d+$` and `^Q\d+$`) are skipped without building anything. A pair the check cannot
    /// decide within its limits is reported as
    /// [`RegexOverlapUnknown`](Conflict::RegexOverlapUnknown), never guessed.
    ///
    /// Exact and restricted codes are checked against every regex code as registered, folded
    /// and upper-cased. The cost is one regex lookup per exact code plus one product per pair
    /// of regex codes with compatible prefixes: meant for a report, not the checkout path.
    ///
    /// ```
    /// use promo_attribution::{Code, CodeId, Conflict, PartnerId, Registry, Timestamp};
    ///
    /// let mut registry = Registry::default();
    /// registry.add(Code::tracking(CodeId(1), r"^P\d+$", PartnerId(1)).regex())?;
    /// registry.add(Code::tracking(CodeId(2), r"^P[0-9]{4}$", PartnerId(2)).regex())?;
    /// registry.add(Code::tracking(CodeId(3), "P2026", PartnerId(3)))?;
    /// registry.add(Code::restricted(CodeId(4), "P0000").until(Timestamp::from_unix_seconds(2_000_000_000)))?;
    /// let conflicts = registry.compile()?.conflicts();
    /// assert_eq!(conflicts, [
    ///     Conflict::ExactShadowsRegex { exact: CodeId(3), regex: CodeId(1), example: "P2026".into() },
    ///     Conflict::ExactShadowsRegex { exact: CodeId(3), regex: CodeId(2), example: "P2026".into() },
    ///     Conflict::RegexOverlap { winner: CodeId(1), loser: CodeId(2), example: "P0000".into() },
    ///     Conflict::RestrictedShadowsRegex { restricted: CodeId(4), regex: CodeId(1), example: "P0000".into() },
    ///     Conflict::RestrictedShadowsRegex { restricted: CodeId(4), regex: CodeId(2), example: "P0000".into() },
    /// ]);
    /// # Ok::<(), promo_attribution::Error>(())
    /// ```
    pub fn conflicts(&self) -> Vec<Conflict> {
        let mut out = Vec::new();
        self.shadowed_by_exact(&mut out);
        self.regex_overlaps(&mut out);
        out.sort_by_key(|c| match c {
            Conflict::ExactShadowsRegex { exact, regex, .. } => (0, *exact, *regex),
            Conflict::RegexOverlap { winner, loser, .. }
            | Conflict::RegexOverlapUnknown { winner, loser, .. } => (1, *winner, *loser),
            Conflict::RestrictedShadowsRegex {
                restricted, regex, ..
            } => (2, *restricted, *regex),
        });
        out
    }

    /// Exact tracking codes and restricted codes that regex codes also match.
    fn shadowed_by_exact(&self, out: &mut Vec<Conflict>) {
        if !self.has_regex_codes() {
            return;
        }
        let definitions = self.definitions();
        for code in definitions.iter().filter(|c| !c.is_regex()) {
            self.regex_matches_any_spelling(code.text(), |i, example| {
                let regex = &definitions[i as usize];
                if !regex.window().overlaps(&code.window())
                    || (code.owner().is_some() && regex.owner() == code.owner())
                {
                    return;
                }
                let example = example.to_owned();
                out.push(match &**code {
                    Code::Restricted(_) => Conflict::RestrictedShadowsRegex {
                        restricted: code.id(),
                        regex: regex.id(),
                        example,
                    },
                    _ => Conflict::ExactShadowsRegex {
                        exact: code.id(),
                        regex: regex.id(),
                        example,
                    },
                });
            });
        }
    }

    /// Calls `visit` once for each regex code matching some spelling of `text` a customer
    /// might type ([`case_variants`]), with the first such spelling, in precedence order.
    fn regex_matches_any_spelling(&self, text: &str, mut visit: impl FnMut(u32, &str)) {
        let mut seen: SmallVec<[u32; 8]> = SmallVec::new();
        let mut hits = SmallVec::new();
        for variant in case_variants(text) {
            hits.clear();
            self.regex_matches(&variant, &mut hits);
            for &i in &hits {
                if !seen.contains(&i) {
                    seen.push(i);
                    visit(i, &variant);
                }
            }
        }
    }

    /// Pairs of regex codes of different owners that can match the same code.
    fn regex_overlaps(&self, out: &mut Vec<Conflict>) {
        let whole_code = self.settings().regex_anchoring == RegexAnchoring::WholeCode;
        let mut regexes: Vec<Regex<'_>> = Vec::new();
        for (i, code) in self.definitions().iter().enumerate() {
            let Code::Tracking(t) = &**code else { continue };
            if !code.is_regex() {
                continue;
            }
            // Registered patterns parse: the registry checked them.
            let Ok(hir) = pattern::parse(&t.text) else {
                continue;
            };
            let prefixes = if whole_code {
                pattern::prefixes(&pattern::whole_code(hir.clone()))
            } else {
                None
            };
            regexes.push(Regex {
                code,
                precedence: (std::cmp::Reverse(t.priority), i),
                hir,
                prefixes,
                language: None,
            });
        }
        for (a, b) in candidate_pairs(&regexes) {
            let (ra, rb) = (&regexes[a], &regexes[b]);
            if ra.code.owner() == rb.code.owner() || !ra.code.window().overlaps(&rb.code.window()) {
                continue;
            }
            let (winner, loser) = if ra.precedence < rb.precedence {
                (ra.code.id(), rb.code.id())
            } else {
                (rb.code.id(), ra.code.id())
            };
            ensure_language(&mut regexes[a], whole_code);
            ensure_language(&mut regexes[b], whole_code);
            let found = match (regexes[a].language(), regexes[b].language()) {
                (Ok(la), Ok(lb)) => overlap(la, lb, PRODUCT_STATE_LIMIT),
                (Err(reason), _) | (_, Err(reason)) => Overlap::Unknown(reason),
            };
            match found {
                Overlap::Disjoint => {}
                Overlap::Example(example) => out.push(Conflict::RegexOverlap {
                    winner,
                    loser,
                    example,
                }),
                Overlap::Unknown(reason) => out.push(Conflict::RegexOverlapUnknown {
                    winner,
                    loser,
                    reason: reason.to_owned(),
                }),
            }
        }
    }
}

/// A regex code, with its automaton built on first use.
struct Regex<'e> {
    code: &'e Code,
    /// Lower wins: higher priority, then registered earlier.
    precedence: (std::cmp::Reverse<i32>, usize),
    hir: regex_syntax::hir::Hir,
    /// Literals every whole-code match starts with; `None` when there is no useful set.
    prefixes: Option<Vec<Vec<u8>>>,
    language: Option<Result<Language, &'static str>>,
}

impl Regex<'_> {
    fn language(&self) -> Result<&Language, &'static str> {
        match &self.language {
            Some(Ok(language)) => Ok(language),
            Some(Err(reason)) => Err(reason),
            None => Err("the pattern's automaton was not built"),
        }
    }
}

fn ensure_language(regex: &mut Regex<'_>, whole_code: bool) {
    if regex.language.is_none() {
        regex.language = Some(Language::new(&regex.hir, whole_code));
    }
}

/// Pairs `(a, b)`, `a < b`, that may share a text: one has no prefix set, or a prefix of one
/// is a prefix of a prefix of the other. Two whole-code patterns whose every match starts with
/// `P` and `Q` respectively cannot share a text, and most code families differ that way.
fn candidate_pairs(regexes: &[Regex<'_>]) -> Vec<(usize, usize)> {
    let mut sorted: Vec<(&[u8], usize)> = Vec::new();
    let mut unprefixed = Vec::new();
    for (i, regex) in regexes.iter().enumerate() {
        match &regex.prefixes {
            Some(prefixes) => {
                for p in prefixes {
                    sorted.push((p, i));
                }
            }
            None => unprefixed.push(i),
        }
    }
    sorted.sort_unstable();
    let mut pairs = Vec::new();
    let mut push = |a: usize, b: usize| {
        if a != b {
            pairs.push((a.min(b), a.max(b)));
        }
    };
    for &i in &unprefixed {
        (0..regexes.len()).for_each(|j| push(i, j));
    }
    for &(p, i) in &sorted {
        // Prefixes that extend p: a contiguous run of the sorted list. A compatible pair is
        // found from its shorter prefix, so the other direction needs no search.
        let from = sorted.partition_point(|(q, _)| *q < p);
        for &(_, j) in sorted[from..].iter().take_while(|(q, _)| q.starts_with(p)) {
            push(i, j);
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// The texts a customer might type that fold to the same code: as written, folded, upper case.
/// Regex codes are case-sensitive, exact and restricted codes are not, so a regex may match
/// one spelling of an exact code and not another.
fn case_variants(text: &str) -> SmallVec<[String; 3]> {
    let folded = fold::fold(text);
    let mut variants: SmallVec<[String; 3]> = SmallVec::new();
    for variant in [text.to_owned(), text.to_uppercase(), folded.clone()] {
        if fold::fold(&variant) == folded && !variants.contains(&variant) {
            variants.push(variant);
        }
    }
    variants
}
