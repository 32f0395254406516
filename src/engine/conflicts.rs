//! Code requests and the conflict report: what a new code would collide with, and the
//! overlaps among registered codes a brand should know about.

use smallvec::SmallVec;

use super::state::{CodeRecord, Kind, State};
use crate::definitions::{Definition, Key};
use crate::matching::overlap::{Language, Overlap, PRODUCT_STATE_LIMIT, overlap};
use crate::matching::{Rank, fold, pattern};
use crate::model::{
    Availability, Code, Collision, Conflict, Error, PartnerId, RegexAnchoring, Terms, Timestamp,
    Window, check_text,
};

/// See [`Engine::check_available`](crate::Engine::check_available).
pub(crate) fn check_available(
    state: &State,
    text: &str,
    partner: PartnerId,
    window: Window,
) -> Result<Availability, Error> {
    let text = text.trim();
    let fail = |reason| Error::suggestion(text, reason);
    check_text(text).map_err(fail)?;
    window.check().map_err(fail)?;
    let definitions = &state.definitions;
    let mut collisions = Vec::new();
    let folded = fold::fold(text);
    state.exact_matches(&folded, |i| {
        let code = &definitions[i as usize].code;
        let Some(overlap) = code.window().intersect(&window) else {
            return;
        };
        let record = &state.codes[i as usize];
        collisions.push(match owners_within(record, &overlap).first() {
            Some(&owner) => Collision::Exact {
                code: code.id(),
                owner,
            },
            None => Collision::Restricted { code: code.id() },
        });
    });
    regex_matches_any_spelling(state, text, |i, example| {
        let code = &definitions[i as usize].code;
        let Some(overlap) = code.window().intersect(&window) else {
            return;
        };
        let owners = owners_within(&state.codes[i as usize], &overlap);
        if let Some(&owner) = owners.iter().find(|&&owner| owner != partner) {
            collisions.push(Collision::Regex {
                code: code.id(),
                owner,
                example: example.to_owned(),
            });
        }
    });
    Ok(Availability::new(collisions))
}

/// See [`Engine::conflicts`](crate::Engine::conflicts).
pub(crate) fn conflicts(state: &State, budget: u64) -> Vec<Conflict> {
    let mut out = Vec::new();
    shadowed_by_exact(state, &mut out);
    regex_overlaps(state, budget, &mut out);
    out.sort_by_key(|c| match c {
        Conflict::ExactShadowsRegex { exact, regex, .. } => (0, *exact, *regex),
        Conflict::RegexOverlap { winner, loser, .. }
        | Conflict::RegexOverlapUnknown { winner, loser, .. } => (1, *winner, *loser),
        Conflict::RestrictedShadowsRegex {
            restricted, regex, ..
        } => (2, *restricted, *regex),
        Conflict::RegexOverlapUnchecked { regex } => (3, *regex, *regex),
    });
    out
}

/// Exact tracking codes and restricted codes that regex codes also match.
fn shadowed_by_exact(state: &State, out: &mut Vec<Conflict>) {
    if !state.matchers().has_regex_codes() {
        return;
    }
    let definitions = &state.definitions;
    for (position, definition) in definitions.iter().enumerate() {
        let record = &state.codes[position];
        if record.kind == Kind::Removed || !matches!(definition.key, Key::Exact) {
            continue;
        }
        let code = &definition.code;
        regex_matches_any_spelling(state, code.text(), |i, example| {
            let regex = &definitions[i as usize].code;
            let Some(both) = regex.window().intersect(&code.window()) else {
                return;
            };
            let regex_record = &state.codes[i as usize];
            if record.is_tracking() && !owners_differ(record, regex_record, &both) {
                return;
            }
            let example = example.to_owned();
            out.push(match code {
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

/// Calls `visit` once for each regex code matching some spelling of `text` a customer might
/// type ([`case_variants`]), with the first such spelling, in precedence order.
fn regex_matches_any_spelling(state: &State, text: &str, mut visit: impl FnMut(u32, &str)) {
    let mut found: SmallVec<[(u32, usize); 8]> = SmallVec::new();
    let variants = case_variants(text);
    let mut hits = SmallVec::new();
    for (v, variant) in variants.iter().enumerate() {
        hits.clear();
        state.regex_matches(variant, &mut hits);
        for &i in &hits {
            if !found.iter().any(|&(seen, _)| seen == i) {
                found.push((i, v));
            }
        }
    }
    // Each spelling's matches come best first, but a later spelling may add a better one.
    found.sort_by_key(|&(i, _)| rank(&state.definitions[i as usize], i));
    for (i, v) in found {
        visit(i, &variants[v]);
    }
}

/// Where a regex code at position `i` stands among the codes matching one text.
fn rank(definition: &Definition, i: u32) -> Rank {
    match &definition.code {
        Code::Tracking(t) if matches!(definition.key, Key::Regex(_)) => Rank::regex(t.priority, i),
        _ => Rank::exact(i),
    }
}

/// How much work [`Engine::conflicts`](crate::Engine::conflicts) does at most among regex
/// codes: one unit per pair of codes considered, one per state of a product explored. About
/// ten seconds on a slow core; past it, the codes left are reported as unchecked.
pub(crate) const CONFLICT_BUDGET: u64 = 200_000_000;

/// Pairs of regex codes of different owners that can match the same code.
fn regex_overlaps(state: &State, budget: u64, out: &mut Vec<Conflict>) {
    let whole_code = state.settings.regex_anchoring == RegexAnchoring::WholeCode;
    let mut regexes: Vec<Regex<'_>> = Vec::new();
    let mut prefix_sets = Vec::new();
    let mut suffix_sets = Vec::new();
    for (i, definition) in (0u32..).zip(state.definitions.iter()) {
        let Key::Regex(hir) = &definition.key else {
            continue;
        };
        let record = &state.codes[i as usize];
        if record.kind == Kind::Removed {
            continue;
        }
        // The anchors whole-code matching adds are empty literals: the sets of the pattern
        // as written are those of the anchored one.
        let (prefixes, suffixes, lengths) = if whole_code {
            let lengths = Some(pattern::char_lengths(hir));
            (pattern::prefixes(hir), pattern::suffixes(hir), lengths)
        } else {
            (None, None, None)
        };
        prefix_sets.push(prefixes);
        suffix_sets.push(suffixes.clone());
        regexes.push(Regex {
            record,
            code: &definition.code,
            rank: rank(definition, i),
            hir,
            suffixes,
            lengths,
            language: None,
        });
    }
    let mut pairs = CandidatePairs::new(prefix_sets, suffix_sets);
    let mut left = budget;
    let mut partners = Vec::new();
    for a in 0..regexes.len() {
        pairs.partners_of(a, &mut partners);
        for &b in &partners {
            let cost = 1 + regexes[a].suffixes.as_ref().map_or(0, Vec::len) as u64;
            if left < cost {
                // Out of budget: say which codes were not compared with those after them.
                out.extend(
                    regexes[a..]
                        .iter()
                        .map(|r| Conflict::RegexOverlapUnchecked { regex: r.code.id() }),
                );
                return;
            }
            left -= cost;
            let (ra, rb) = (&regexes[a], &regexes[b]);
            if lengths_disjoint(ra, rb) || suffixes_disjoint(ra, rb) {
                continue;
            }
            let Some(both) = ra.code.window().intersect(&rb.code.window()) else {
                continue;
            };
            if !owners_differ(ra.record, rb.record, &both) {
                continue;
            }
            let (winner, loser) = if ra.rank < rb.rank {
                (ra.code.id(), rb.code.id())
            } else {
                (rb.code.id(), ra.code.id())
            };
            ensure_language(&mut regexes[a], whole_code);
            ensure_language(&mut regexes[b], whole_code);
            let limit = PRODUCT_STATE_LIMIT.min(usize::try_from(left).unwrap_or(usize::MAX));
            let (found, explored) = match (regexes[a].language(), regexes[b].language()) {
                (Ok(la), Ok(lb)) => overlap(la, lb, limit),
                (Err(reason), _) | (_, Err(reason)) => (Overlap::Unknown(reason), 0),
            };
            left = left.saturating_sub(explored as u64);
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

/// Whether two whole-code patterns end differently: every match of each ends with one of its
/// literal suffixes, and no suffix of one is a suffix of one of the other's. This separates the
/// members of a code family (`^P\d{4}-17$`, `^P\d{4}-18$`) without building a product.
fn suffixes_disjoint(a: &Regex<'_>, b: &Regex<'_>) -> bool {
    let (Some(sa), Some(sb)) = (&a.suffixes, &b.suffixes) else {
        return false;
    };
    !sa.iter()
        .any(|x| sb.iter().any(|y| x.ends_with(y) || y.ends_with(x)))
}

/// Whether two whole-code patterns match codes of lengths that never meet, in characters.
fn lengths_disjoint(a: &Regex<'_>, b: &Regex<'_>) -> bool {
    let (Some((a_min, a_max)), Some((b_min, b_max))) = (a.lengths, b.lengths) else {
        return false;
    };
    a_max.is_some_and(|max| max < b_min) || b_max.is_some_and(|max| max < a_min)
}

/// A regex code, with its automaton built on first use.
struct Regex<'e> {
    record: &'e CodeRecord,
    code: &'e Code,
    rank: Rank,
    hir: &'e regex_syntax::hir::Hir,
    /// Literals every whole-code match ends with; `None` when there is no useful set.
    suffixes: Option<Vec<Vec<u8>>>,
    /// The fewest and most characters of a whole-code match; `None` when searched for.
    lengths: Option<(usize, Option<usize>)>,
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
        regex.language = Some(Language::new(regex.hir, whole_code));
    }
}

/// The owners a tracking code has at some instant of `within`, in time order; none for a
/// restricted code.
fn owners_within(code: &CodeRecord, within: &Window) -> SmallVec<[PartnerId; 2]> {
    let mut owners: SmallVec<[PartnerId; 2]> = SmallVec::new();
    let steps: SmallVec<[(Option<Timestamp>, Terms); 2]> = code.terms_steps().collect();
    for (i, &(from, terms)) in steps.iter().enumerate() {
        let until = steps.get(i + 1).and_then(|(next, _)| *next);
        if (Window { from, until }).intersect(within).is_some()
            && owners.last() != Some(&terms.owner)
        {
            owners.push(terms.owner);
        }
    }
    owners
}

/// Whether two tracking codes have different owners at some instant of `within`: their owners
/// only change where one of them has a step, so those instants, and the start of `within`, are
/// the ones to compare.
fn owners_differ(a: &CodeRecord, b: &CodeRecord, within: &Window) -> bool {
    let start = within.from.unwrap_or(Timestamp::MIN);
    let steps = a
        .terms_steps()
        .chain(b.terms_steps())
        .filter_map(|(from, _)| from);
    std::iter::once(start)
        .chain(steps.filter(|&t| within.contains(t)))
        .any(|t| a.terms_at(t).map(|x| x.owner) != b.terms_at(t).map(|x| x.owner))
}

/// Which pairs `(a, b)`, `a < b`, may share a text: by each end, one has no literal set, or a
/// literal of one is a prefix (a suffix, at the end) of a literal of the other. Two whole-code
/// patterns whose every match starts with `P` and `Q` respectively cannot share a text, nor two
/// whose matches end with `-17` and `-18`: most code families differ one way or the other.
///
/// The pairs are listed code by code, never all at once, through the end whose literals reach
/// fewer codes: a family of 10,000 codes sharing a prefix has 50 million pairs by that end, and
/// each code a handful by its suffix.
struct CandidatePairs {
    prefixes: LiteralIndex,
    /// The suffixes reversed, so that "ends with" is "starts with".
    suffixes: LiteralIndex,
    /// Marks the codes already listed for the code being listed (its index + 1).
    listed: Vec<usize>,
}

impl CandidatePairs {
    /// Each code's literal prefix and suffix sets, `None` when it has no useful one.
    fn new(
        prefixes: Vec<Option<Vec<Vec<u8>>>>,
        suffixes: Vec<Option<Vec<Vec<u8>>>>,
    ) -> CandidatePairs {
        let reversed = suffixes
            .into_iter()
            .map(|set| {
                set.map(|set| {
                    set.into_iter()
                        .map(|mut literal| {
                            literal.reverse();
                            literal
                        })
                        .collect()
                })
            })
            .collect();
        CandidatePairs {
            listed: vec![0; prefixes.len()],
            prefixes: LiteralIndex::new(prefixes),
            suffixes: LiteralIndex::new(reversed),
        }
    }

    /// Sets `out` to the codes after `a` that may share a text with it, ascending.
    fn partners_of(&mut self, a: usize, out: &mut Vec<usize>) {
        out.clear();
        let (by, other) = match (self.prefixes.reach(a), self.suffixes.reach(a)) {
            (None, None) => {
                out.extend(a + 1..self.listed.len());
                return;
            }
            (Some(_), None) => (&self.prefixes, &self.suffixes),
            (None, Some(_)) => (&self.suffixes, &self.prefixes),
            (Some(p), Some(s)) if p <= s => (&self.prefixes, &self.suffixes),
            (Some(_), Some(_)) => (&self.suffixes, &self.prefixes),
        };
        let listed = &mut self.listed;
        by.related(a, |b| {
            if b > a && listed[b] != a + 1 {
                listed[b] = a + 1;
                if other.compatible(a, b) {
                    out.push(b);
                }
            }
        });
        out.sort_unstable();
    }
}

/// The literals of one end of every code, sorted, with the codes that have none.
struct LiteralIndex {
    /// Every literal of every code, sorted, with its code.
    sorted: Vec<(Vec<u8>, usize)>,
    /// The codes without a literal set, ascending.
    unset: Vec<usize>,
    /// Literal sets by code.
    sets: Vec<Option<Vec<Vec<u8>>>>,
}

impl LiteralIndex {
    fn new(sets: Vec<Option<Vec<Vec<u8>>>>) -> LiteralIndex {
        let mut sorted = Vec::new();
        let mut unset = Vec::new();
        for (i, set) in sets.iter().enumerate() {
            match set {
                Some(set) => sorted.extend(set.iter().map(|literal| (literal.clone(), i))),
                None => unset.push(i),
            }
        }
        sorted.sort_unstable();
        LiteralIndex {
            sorted,
            unset,
            sets,
        }
    }

    /// The run of sorted literals that start with `p`.
    fn extending(&self, p: &[u8]) -> &[(Vec<u8>, usize)] {
        let from = self.sorted.partition_point(|(q, _)| q.as_slice() < p);
        let len = self.sorted[from..].partition_point(|(q, _)| q.starts_with(p));
        &self.sorted[from..from + len]
    }

    /// The run of sorted literals equal to `q`.
    fn equal(&self, q: &[u8]) -> &[(Vec<u8>, usize)] {
        let from = self.sorted.partition_point(|(r, _)| r.as_slice() < q);
        let len = self.sorted[from..].partition_point(|(r, _)| r.as_slice() == q);
        &self.sorted[from..from + len]
    }

    /// How many codes [`related`](Self::related) visits for `a` (some more than once); `None`
    /// when `a` has no literal set, and every code is related.
    fn reach(&self, a: usize) -> Option<usize> {
        let set = self.sets[a].as_ref()?;
        let mut reach = self.unset.len();
        for p in set {
            reach += self.extending(p).len();
            reach += (1..p.len())
                .map(|len| self.equal(&p[..len]).len())
                .sum::<usize>();
        }
        Some(reach)
    }

    /// Visits the codes with no literal set, and those with a literal that one of `a`'s is a
    /// prefix of, or that is a prefix of one of `a`'s; some more than once. `a` must have a set.
    fn related(&self, a: usize, mut visit: impl FnMut(usize)) {
        let Some(set) = &self.sets[a] else {
            return;
        };
        self.unset.iter().for_each(|&b| visit(b));
        for p in set {
            self.extending(p).iter().for_each(|&(_, b)| visit(b));
            for len in 1..p.len() {
                self.equal(&p[..len]).iter().for_each(|&(_, b)| visit(b));
            }
        }
    }

    /// Whether `a` and `b` may share a text by this end.
    fn compatible(&self, a: usize, b: usize) -> bool {
        let (Some(x), Some(y)) = (&self.sets[a], &self.sets[b]) else {
            return true;
        };
        x.iter()
            .any(|p| y.iter().any(|q| p.starts_with(q) || q.starts_with(p)))
    }
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
