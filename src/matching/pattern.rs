//! Regex codes at registration: parse, reject what the engine cannot or should not run, and
//! derive the forms the matcher compiles.

use regex_automata::nfa::thompson;
use regex_syntax::ast::ErrorKind as AstErrorKind;
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Class, Dot, Hir, HirKind, Look, Repetition};

use crate::model::{MAX_REGEX_SIZE, Reason};

/// Deep nesting is the other way a short pattern can be expensive to parse and compile.
const NEST_LIMIT: u32 = 64;

/// A prefix set larger than this is not worth indexing: the pattern is checked on every code.
const MAX_PREFIXES: usize = 64;

/// Parses and validates a regex code, returning its syntax tree.
pub(crate) fn parse(pattern: &str) -> Result<Hir, Reason> {
    let hir = regex_syntax::ParserBuilder::new()
        .nest_limit(NEST_LIMIT)
        .build()
        .parse(pattern)
        .map_err(syntax_error)?;
    if hir.properties().minimum_len() == Some(0) {
        return Err(Reason::MatchesEmpty);
    }
    thompson::Compiler::new()
        .configure(thompson::Config::new().nfa_size_limit(Some(MAX_REGEX_SIZE)))
        .build_from_hir(&hir)
        .map_err(|_| Reason::RegexTooLarge)?;
    Ok(hir)
}

/// Parses a regex code that was validated when it was registered (one read back from a trusted
/// snapshot): the syntax tree only, without compiling it again to check its size.
pub(crate) fn parse_validated(pattern: &str) -> Result<Hir, Reason> {
    regex_syntax::ParserBuilder::new()
        .nest_limit(NEST_LIMIT)
        .build()
        .parse(pattern)
        .map_err(syntax_error)
}

fn syntax_error(err: regex_syntax::Error) -> Reason {
    match err {
        regex_syntax::Error::Parse(e) => {
            let offset = Some(e.span().start.offset);
            let message = e.kind().to_string();
            match e.kind() {
                AstErrorKind::UnsupportedLookAround | AstErrorKind::UnsupportedBackreference => {
                    Reason::UnsupportedRegex { offset, message }
                }
                _ => Reason::InvalidRegex { offset, message },
            }
        }
        regex_syntax::Error::Translate(e) => Reason::InvalidRegex {
            offset: Some(e.span().start.offset),
            message: e.kind().to_string(),
        },
        other => Reason::InvalidRegex {
            offset: None,
            message: other.to_string(),
        },
    }
}

/// The pattern as it must match the whole entered code: `\A(?:pattern)\z`. Built on the syntax
/// tree, not by pasting strings, so an alternation `A|B` stays `\A(?:A|B)\z`.
pub(crate) fn whole_code(hir: Hir) -> Hir {
    Hir::concat(vec![Hir::look(Look::Start), hir, Hir::look(Look::End)])
}

/// The pattern with an unanchored prefix, `(?s:.)*?(?:pattern)`, so that an anchored search for
/// this one pattern in a multi-pattern regex finds a match anywhere.
pub(crate) fn anywhere(hir: Hir) -> Hir {
    let any = Hir::repetition(Repetition {
        min: 0,
        max: None,
        greedy: false,
        sub: Box::new(Hir::dot(Dot::AnyChar)),
    });
    Hir::concat(vec![any, hir])
}

/// Literals one of which every match of `hir` starts with, or `None` when there is no useful
/// finite set (a leading class like `[A-Z]`, `(?i)`, `.*`).
///
/// The class limit of 1 keeps `[0-9]{4}` from expanding into thousands of literals: the literal
/// stops where the first class begins, which is all a prefilter needs.
pub(crate) fn prefixes(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    if let Some(literal) = leading_literal(hir) {
        return Some(vec![literal.to_vec()]);
    }
    extracted(hir, ExtractKind::Prefix)
}

/// Literals one of which every match of `hir` ends with (`-123` for `^P\d{4}-123$`), or
/// `None` as for [`prefixes`]: the second key of patterns that share a prefix or have none.
pub(crate) fn suffixes(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    // Most patterns end with a literal: read it off without the general extractor, which is
    // a fifth of compiling a family of 100,000 codes.
    if let Some(literal) = trailing_literal(hir).filter(|l| !l.is_empty()) {
        return Some(vec![literal.to_vec()]);
    }
    extracted(hir, ExtractKind::Suffix)
}

/// The fewest and the most characters a match of `hir` spans (`None`: no bound, or not known).
/// Two whole-code patterns whose ranges do not meet share no code: `\w{12}1` and `\w{12}11`
/// are told apart so, where their automata (thousands of states each, for a Unicode class)
/// would have been built and searched together.
pub(crate) fn char_lengths(hir: &Hir) -> (usize, Option<usize>) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => (0, Some(0)),
        HirKind::Literal(literal) => match std::str::from_utf8(&literal.0) {
            Ok(text) => {
                let n = text.chars().count();
                (n, Some(n))
            }
            // Bytes, not characters: nothing is known.
            Err(_) => (0, None),
        },
        HirKind::Class(Class::Unicode(_)) => (1, Some(1)),
        // A byte may be part of a character: nothing is known.
        HirKind::Class(Class::Bytes(_)) => (0, None),
        HirKind::Repetition(repetition) => {
            let (low, high) = char_lengths(&repetition.sub);
            let min = low.saturating_mul(repetition.min as usize);
            let max = match (high, repetition.max) {
                (Some(0), _) => Some(0),
                (Some(high), Some(max)) => high.checked_mul(max as usize),
                _ => None,
            };
            (min, max)
        }
        HirKind::Capture(capture) => char_lengths(&capture.sub),
        HirKind::Concat(parts) => parts.iter().map(char_lengths).fold(
            (0, Some(0)),
            |(low, high), (part_low, part_high)| {
                (
                    low.saturating_add(part_low),
                    high.zip(part_high).and_then(|(a, b)| a.checked_add(b)),
                )
            },
        ),
        HirKind::Alternation(branches) => {
            let mut lengths = branches.iter().map(char_lengths);
            let first = lengths.next().unwrap_or((0, Some(0)));
            lengths.fold(first, |(low, high), (branch_low, branch_high)| {
                (
                    low.min(branch_low),
                    high.zip(branch_high).map(|(a, b)| a.max(b)),
                )
            })
        }
    }
}

/// The general extractor's literal set of `kind`, when it is a useful one: finite, small, and
/// without an empty literal.
fn extracted(hir: &Hir, kind: ExtractKind) -> Option<Vec<Vec<u8>>> {
    let seq = Extractor::new().kind(kind).limit_class(1).extract(hir);
    let literals = seq.literals()?;
    if literals.is_empty()
        || literals.len() > MAX_PREFIXES
        || literals.iter().any(|lit| lit.as_bytes().is_empty())
    {
        return None;
    }
    let mut out: Vec<Vec<u8>> = literals.iter().map(|lit| lit.as_bytes().to_vec()).collect();
    out.sort();
    out.dedup();
    Some(out)
}

/// The literal every match of `hir` starts with, when the pattern is a literal (after `\A`)
/// followed by a class or a repetition of one (`^P\d{4}-17$`), where the general extractor
/// would stop too: it is a sixth of compiling a family of 100,000 codes.
fn leading_literal(hir: &Hir) -> Option<&[u8]> {
    let HirKind::Concat(subs) = hir.kind() else {
        return None;
    };
    let mut rest = subs
        .iter()
        .skip_while(|sub| matches!(sub.kind(), HirKind::Look(Look::Start)));
    let HirKind::Literal(literal) = rest.next()?.kind() else {
        return None;
    };
    let stops = match rest.next().map(Hir::kind) {
        None | Some(HirKind::Class(_) | HirKind::Look(Look::End)) => true,
        Some(HirKind::Repetition(repetition)) => {
            matches!(repetition.sub.kind(), HirKind::Class(_))
        }
        Some(_) => false,
    };
    (stops && !literal.0.is_empty()).then_some(&*literal.0)
}

/// The literal every match of `hir` ends with, when the pattern ends with one (before `\z`).
fn trailing_literal(hir: &Hir) -> Option<&[u8]> {
    match hir.kind() {
        HirKind::Literal(literal) => Some(&literal.0),
        HirKind::Capture(capture) => trailing_literal(&capture.sub),
        HirKind::Concat(subs) => {
            let last = subs
                .iter()
                .rev()
                .find(|sub| !matches!(sub.kind(), HirKind::Look(Look::End)))?;
            trailing_literal(last)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CodeId, Error, ErrorKind};

    fn kind_of(pattern: &str) -> Option<ErrorKind> {
        parse(pattern)
            .err()
            .map(|reason| Error::code(CodeId(1), pattern, reason).kind())
    }

    #[test]
    fn character_lengths_bound_every_match() {
        let cases: &[(&str, (usize, Option<usize>))] = &[
            (r"\w{12}5", (13, Some(13))),
            (r"^P\d{4}-17$", (8, Some(8))),
            ("ÉTÉ", (3, Some(3))),
            (r"A|BCD", (1, Some(3))),
            (r"A+", (1, None)),
            (r"(?:AB)*", (0, None)),
            (r"(?:AB){2,3}C?", (4, Some(7))),
            (r"(?i)été\d?", (3, Some(4))),
            (r"(?-u:[a-z])B", (1, None)),
            ("", (0, Some(0))),
        ];
        for (pattern, expected) in cases {
            let hir = regex_syntax::parse(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
            assert_eq!(char_lengths(&hir), *expected, "{pattern}");
        }
    }

    #[test]
    fn validation() {
        const CASES: &[(&str, Option<ErrorKind>)] = &[
            (r"^(SUMMER).*", None),
            (r"^.*(SUMMER)$", None),
            (r"SUMMER\d+", None),
            (r"(?i)summer\d{2}", None),
            (r"A|B", None),
            (".+", None),
            ("SUMMER(", Some(ErrorKind::InvalidRegex)),
            ("[z-a]", Some(ErrorKind::InvalidRegex)),
            (r"\p{NoSuchScript}", Some(ErrorKind::InvalidRegex)),
            ("(?<=A)B", Some(ErrorKind::UnsupportedRegex)),
            ("A(?=B)", Some(ErrorKind::UnsupportedRegex)),
            (r"(A)\1", Some(ErrorKind::UnsupportedRegex)),
            (".*", Some(ErrorKind::MatchesEmpty)),
            ("^$", Some(ErrorKind::MatchesEmpty)),
            ("A*|B", Some(ErrorKind::MatchesEmpty)),
            (r"\w{500}", Some(ErrorKind::RegexTooLarge)),
        ];
        for &(pattern, expected) in CASES {
            assert_eq!(kind_of(pattern), expected, "{pattern}");
        }
    }

    #[test]
    fn errors_carry_the_offset() {
        let err = Error::code(CodeId(1), "AB(?<=A)", parse("AB(?<=A)").unwrap_err());
        assert_eq!(err.offset(), Some(2));
        assert!(err.to_string().contains("at byte 2"), "{err}");
    }

    #[test]
    fn prefix_sets() {
        let pre = |p: &str| prefixes(&whole_code(parse(p).unwrap()));
        let lits = |ls: &[&str]| Some(ls.iter().map(|l| l.as_bytes().to_vec()).collect());
        assert_eq!(pre(r"^(SUMMER).*"), lits(&["SUMMER"]));
        assert_eq!(
            pre(r"^P(20|25|50)OFF$"),
            lits(&["P20OFF", "P25OFF", "P50OFF"])
        );
        assert_eq!(pre(r"^P[0-9]{4}$"), lits(&["P"]));
        assert_eq!(pre(r"^.*(SUMMER)$"), None);
        assert_eq!(pre(r"(?i)summer"), None);
        assert_eq!(pre(r"[A-Z]+10"), None);
    }

    #[test]
    fn suffix_sets() {
        let lits = |ls: &[&str]| Some(ls.iter().map(|l| l.as_bytes().to_vec()).collect());
        for whole in [true, false] {
            let suf = |p: &str| {
                let hir = parse(p).unwrap();
                suffixes(&if whole { whole_code(hir) } else { hir })
            };
            assert_eq!(suf(r"^P\d{4}-123$"), lits(&["-123"]), "{whole}");
            assert_eq!(suf(r"^.*(SUMMER)$"), lits(&["SUMMER"]));
            assert_eq!(suf(r"[A-Z]+10"), lits(&["10"]));
            assert_eq!(suf(r"\w{12}57"), lits(&["57"]));
            assert_eq!(suf(r"SAVE(10|20)"), lits(&["SAVE10", "SAVE20"]));
            assert_eq!(suf(r"SAVE\d+"), None);
            assert_eq!(suf(r"(?i)save"), None);
        }
    }
}
