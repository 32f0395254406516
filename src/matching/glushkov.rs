//! Small regex codes as bit-parallel Glushkov automata: the per-candidate check of the matcher.
//!
//! A regex code is typically a literal prefix and a short tail (`^JANE-[A-Z0-9]{6}$`). Its
//! Glushkov automaton has one state per character or class of the pattern (here at most 64), no
//! ε-transitions, and fits in a `u64`: a step is "the states that may follow the current ones,
//! restricted to those whose class holds the next character". Building one costs a walk over the
//! syntax tree, a few hundred bytes, and no determinisation; checking a 16-character code costs
//! a few dozen nanoseconds, with no cache to share between threads. Patterns this form cannot
//! hold (more than 64 positions, assertions other than a leading `^` and a trailing `$`, byte
//! classes outside ASCII) are left to the caller's general regex engine.

use std::collections::HashMap;

use regex_syntax::hir::{Class, ClassUnicode, Hir, HirKind, Look};

/// The largest number of positions (characters and classes) an automaton may have.
const MAX_POSITIONS: usize = 64;

/// Every automaton of one matcher, in shared tables.
#[derive(Default)]
pub(crate) struct Automata {
    programs: Vec<Program>,
    /// Per position of every program: the positions that may follow it, as a mask.
    follow: Vec<u64>,
    /// Per position of every program: its class.
    class_of: Vec<u32>,
    /// Per program, a span of this: each distinct class of the program and the positions
    /// that hold it. A step looks each class up once, however many positions share it.
    class_positions: Vec<(u32, u64)>,
    classes: Classes,
}

/// One pattern's automaton: its positions are `base..base + len` in the shared tables.
#[derive(Clone, Copy)]
struct Program {
    base: u32,
    /// Its span of `class_positions`.
    classes_start: u32,
    classes_end: u32,
    first: u64,
    last: u64,
    /// Each position is followed by the next one only (`P\d{4}-17`, `\w{12}`): a step is a
    /// shift, not a walk over the current positions.
    linear: bool,
    /// The pattern began with `^`: a match must start at the beginning of the text.
    start_anchored: bool,
    /// The pattern ended with `$`: a match must end at the end of the text.
    end_anchored: bool,
}

/// Where a match may begin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// Exactly at this byte offset.
    At(usize),
    /// Anywhere at or after this byte offset.
    From(usize),
}

/// A class with more ranges above ASCII than this gets a bitmap of the BMP.
const BMP_BITMAP_RANGES: usize = 8;

/// Character classes, interned: codes of one program share a handful (digits, letters, …).
#[derive(Default)]
struct Classes {
    /// Per class: which ASCII characters it holds, one bit each.
    ascii: Vec<u128>,
    /// Per class: its ranges above ASCII, as a span of `ranges`.
    spans: Vec<(u32, u32)>,
    ranges: Vec<(char, char)>,
    /// Per class with many ranges (`\w`, `\d` in Unicode): its Basic Multilingual Plane as
    /// a bitmap (8 KiB), so that a non-ASCII character is one load, not a binary search.
    bmp: Vec<Option<Box<[u64]>>>,
    ids: HashMap<Vec<(char, char)>, u32>,
    /// The last Unicode class interned, and its id: `\d{4}` builds its class four times, and
    /// a family of codes the same class many times; comparing is cheaper than hashing.
    last_unicode: Option<(Vec<(char, char)>, u32)>,
}

impl Classes {
    fn intern_unicode(&mut self, class: &ClassUnicode) -> u32 {
        if let Some((ranges, id)) = &self.last_unicode {
            let same = ranges.len() == class.ranges().len()
                && ranges
                    .iter()
                    .zip(class.iter())
                    .all(|(&(lo, hi), r)| lo == r.start() && hi == r.end());
            if same {
                return *id;
            }
        }
        let ranges: Vec<(char, char)> = class.iter().map(|r| (r.start(), r.end())).collect();
        let id = self.intern(&ranges);
        self.last_unicode = Some((ranges, id));
        id
    }

    fn intern(&mut self, ranges: &[(char, char)]) -> u32 {
        if let Some(&id) = self.ids.get(ranges) {
            return id;
        }
        let mut ascii = 0u128;
        let start = self.ranges.len() as u32;
        for &(lo, hi) in ranges {
            for c in (lo as u32)..=(hi as u32).min(127) {
                ascii |= 1 << c;
            }
            if hi as u32 > 127 {
                let lo = char::from_u32((lo as u32).max(128)).unwrap_or(lo);
                self.ranges.push((lo, hi));
            }
        }
        let id = self.ascii.len() as u32;
        self.ascii.push(ascii);
        self.spans.push((start, self.ranges.len() as u32));
        let above = &self.ranges[start as usize..];
        self.bmp.push((above.len() > BMP_BITMAP_RANGES).then(|| {
            let mut bits = vec![0u64; 1 << 10].into_boxed_slice();
            for &(lo, hi) in above {
                for c in (lo as u32)..=(hi as u32).min(0xFFFF) {
                    bits[c as usize / 64] |= 1 << (c % 64);
                }
            }
            bits
        }));
        self.ids.insert(ranges.to_vec(), id);
        id
    }

    fn contains(&self, class: u32, c: char) -> bool {
        let class = class as usize;
        if c.is_ascii() {
            return self.ascii[class] >> (c as u32) & 1 == 1;
        }
        if let (Some(bits), code @ 0..=0xFFFF) = (&self.bmp[class], c as u32) {
            return bits[code as usize / 64] >> (code % 64) & 1 == 1;
        }
        let (start, end) = self.spans[class];
        let ranges = &self.ranges[start as usize..end as usize];
        ranges
            .binary_search_by(|&(lo, hi)| {
                if hi < c {
                    std::cmp::Ordering::Less
                } else if lo > c {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
    }
}

/// The first/last sets and nullability of a sub-expression (Glushkov's construction).
#[derive(Clone, Copy)]
struct Fragment {
    first: u64,
    last: u64,
    nullable: bool,
}

const EMPTY: Fragment = Fragment {
    first: 0,
    last: 0,
    nullable: true,
};

/// Why a pattern has no automaton; the caller falls back to its general engine.
struct Unsupported;

struct Builder<'a> {
    automata: &'a mut Automata,
    base: usize,
}

impl Builder<'_> {
    fn position(&mut self, ranges: &[(char, char)]) -> Result<Fragment, Unsupported> {
        let class = self.automata.classes.intern(ranges);
        self.position_of(class)
    }

    fn position_of(&mut self, class: u32) -> Result<Fragment, Unsupported> {
        let index = self.automata.follow.len() - self.base;
        if index >= MAX_POSITIONS {
            return Err(Unsupported);
        }
        self.automata.follow.push(0);
        self.automata.class_of.push(class);
        let bit = 1u64 << index;
        Ok(Fragment {
            first: bit,
            last: bit,
            nullable: false,
        })
    }

    fn link(&mut self, from: u64, to: u64) {
        for p in bits(from) {
            self.automata.follow[self.base + p] |= to;
        }
    }

    fn concat(&mut self, a: Fragment, b: Fragment) -> Fragment {
        self.link(a.last, b.first);
        Fragment {
            first: a.first | if a.nullable { b.first } else { 0 },
            last: b.last | if b.nullable { a.last } else { 0 },
            nullable: a.nullable && b.nullable,
        }
    }

    fn build(&mut self, hir: &Hir) -> Result<Fragment, Unsupported> {
        match hir.kind() {
            HirKind::Empty => Ok(EMPTY),
            HirKind::Literal(literal) => {
                let text = std::str::from_utf8(&literal.0).map_err(|_| Unsupported)?;
                let mut fragment = EMPTY;
                for c in text.chars() {
                    let next = self.position(&[(c, c)])?;
                    fragment = self.concat(fragment, next);
                }
                Ok(fragment)
            }
            HirKind::Class(Class::Unicode(class)) => {
                let id = self.automata.classes.intern_unicode(class);
                self.position_of(id)
            }
            HirKind::Class(Class::Bytes(class)) => {
                // A byte class matches single bytes; above ASCII those are not characters.
                let ascii = class.iter().all(|r| r.end() < 0x80);
                if !ascii {
                    return Err(Unsupported);
                }
                let ranges: Vec<(char, char)> = class
                    .iter()
                    .map(|r| (char::from(r.start()), char::from(r.end())))
                    .collect();
                self.position(&ranges)
            }
            HirKind::Look(_) => Err(Unsupported),
            HirKind::Capture(capture) => self.build(&capture.sub),
            HirKind::Concat(subs) => {
                let mut fragment = EMPTY;
                for sub in subs {
                    let next = self.build(sub)?;
                    fragment = self.concat(fragment, next);
                }
                Ok(fragment)
            }
            HirKind::Alternation(subs) => {
                let mut fragment = Fragment {
                    first: 0,
                    last: 0,
                    nullable: false,
                };
                for sub in subs {
                    let next = self.build(sub)?;
                    fragment.first |= next.first;
                    fragment.last |= next.last;
                    fragment.nullable |= next.nullable;
                }
                Ok(fragment)
            }
            HirKind::Repetition(rep) => {
                if rep.min as usize > MAX_POSITIONS {
                    return Err(Unsupported);
                }
                // x{n,m} is n copies of x followed by m-n copies of x?; x{n,} ends with x*.
                // Each copy has positions of its own.
                let mut fragment = EMPTY;
                for _ in 0..rep.min {
                    let copy = self.build(&rep.sub)?;
                    fragment = self.concat(fragment, copy);
                }
                match rep.max {
                    None => {
                        let mut copy = self.build(&rep.sub)?;
                        self.link(copy.last, copy.first);
                        copy.nullable = true;
                        fragment = self.concat(fragment, copy);
                    }
                    Some(max) => {
                        if (max - rep.min) as usize > MAX_POSITIONS {
                            return Err(Unsupported);
                        }
                        for _ in rep.min..max {
                            let mut copy = self.build(&rep.sub)?;
                            copy.nullable = true;
                            fragment = self.concat(fragment, copy);
                        }
                    }
                }
                Ok(fragment)
            }
        }
    }
}

/// The set bits of a mask, lowest first.
fn bits(mut mask: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if mask == 0 {
            return None;
        }
        let bit = mask.trailing_zeros() as usize;
        mask &= mask - 1;
        Some(bit)
    })
}

/// Splits leading `^`/`\A` and trailing `$`/`\z` off a pattern.
fn strip_anchors(hir: &Hir) -> (&[Hir], bool, bool) {
    let parts = match hir.kind() {
        HirKind::Concat(parts) => parts.as_slice(),
        _ => std::slice::from_ref(hir),
    };
    let is = |h: &Hir, look: Look| matches!(h.kind(), HirKind::Look(l) if *l == look);
    let leading = parts.iter().take_while(|h| is(h, Look::Start)).count();
    let parts = &parts[leading..];
    let trailing = parts.iter().rev().take_while(|h| is(h, Look::End)).count();
    (&parts[..parts.len() - trailing], leading > 0, trailing > 0)
}

impl Automata {
    /// Compiles `hir` into an automaton, anchored at both ends of the code when `whole_code`
    /// says so or the pattern is; `None` when this form cannot hold it.
    pub(crate) fn add(&mut self, hir: &Hir, whole_code: bool) -> Option<u32> {
        let (parts, start_anchored, end_anchored) = strip_anchors(hir);
        let (start_anchored, end_anchored) =
            (start_anchored || whole_code, end_anchored || whole_code);
        let base = self.follow.len();
        let mut builder = Builder {
            automata: self,
            base,
        };
        let mut result: Result<Fragment, Unsupported> = Ok(EMPTY);
        for part in parts {
            result = result.and_then(|fragment| {
                let next = builder.build(part)?;
                Ok(builder.concat(fragment, next))
            });
        }
        match result {
            // A pattern matching the empty text is refused at registration; the check keeps
            // this module's contract independent of that.
            Ok(fragment) if !fragment.nullable => {
                let id = self.programs.len() as u32;
                let len = self.follow.len() - base;
                let linear = fragment.first == 1
                    && fragment.last == 1 << (len - 1)
                    && (0..len).all(|p| {
                        let next = if p + 1 < len { 1u64 << (p + 1) } else { 0 };
                        self.follow[base + p] == next
                    });
                let classes_start = self.class_positions.len() as u32;
                for p in 0..len {
                    let class = self.class_of[base + p];
                    let start = classes_start as usize;
                    match self.class_positions[start..]
                        .iter_mut()
                        .find(|(c, _)| *c == class)
                    {
                        Some((_, positions)) => *positions |= 1 << p,
                        None => self.class_positions.push((class, 1 << p)),
                    }
                }
                self.programs.push(Program {
                    base: base as u32,
                    classes_start,
                    classes_end: self.class_positions.len() as u32,
                    linear,
                    first: fragment.first,
                    last: fragment.last,
                    start_anchored,
                    end_anchored,
                });
                Some(id)
            }
            _ => {
                self.follow.truncate(base);
                self.class_of.truncate(base);
                None
            }
        }
    }

    /// Whether program `id` matches `text` starting as `start` says.
    pub(crate) fn is_match(&self, id: u32, text: &str, start: Start) -> bool {
        let program = self.programs[id as usize];
        let (offset, anchored) = match start {
            Start::At(at) => (at, true),
            Start::From(from) => (from, program.start_anchored),
        };
        if program.start_anchored && offset != 0 {
            return false;
        }
        let Some(rest) = text.get(offset..) else {
            return false;
        };
        let base = program.base as usize;
        let follow = &self.follow[base..];
        let class_of = &self.class_of[base..];
        let classes =
            &self.class_positions[program.classes_start as usize..program.classes_end as usize];
        let positions = program.last | program.last.wrapping_sub(1);
        let mut state = 0u64;
        for c in rest.chars() {
            let mut candidates = if anchored && state == 0 {
                program.first
            } else if program.linear {
                (state << 1) & positions
            } else {
                bits(state).fold(0, |acc, p| acc | follow[p])
            };
            if !anchored {
                candidates |= program.first;
            }
            state = 0;
            if candidates.count_ones() as usize <= classes.len() {
                // Few positions to try (an anchored literal tail): each on its own.
                for p in bits(candidates) {
                    if self.classes.contains(class_of[p], c) {
                        state |= 1 << p;
                    }
                }
            } else {
                // Many (a repeated class, `\w{12}`): each distinct class looked up once.
                for &(class, holders) in classes {
                    if holders & candidates != 0 && self.classes.contains(class, c) {
                        state |= holders & candidates;
                    }
                }
            }
            if state == 0 && anchored {
                return false;
            }
            if !program.end_anchored && state & program.last != 0 {
                return true;
            }
        }
        state & program.last != 0
    }

    /// Heap bytes held.
    pub(crate) fn memory_usage(&self) -> usize {
        let c = &self.classes;
        self.programs.capacity() * size_of::<Program>()
            + self.follow.capacity() * size_of::<u64>()
            + self.class_of.capacity() * size_of::<u32>()
            + self.class_positions.capacity() * size_of::<(u32, u64)>()
            + c.ascii.capacity() * size_of::<u128>()
            + c.spans.capacity() * size_of::<(u32, u32)>()
            + c.ranges.capacity() * size_of::<(char, char)>()
            + c.bmp
                .iter()
                .map(|b| size_of::<Option<Box<[u64]>>>() + b.as_ref().map_or(0, |b| b.len() * 8))
                .sum::<usize>()
            + c.ids.capacity() * (size_of::<Vec<(char, char)>>() + size_of::<u32>() + 1)
            + c.ids
                .keys()
                .map(|k| k.capacity() * size_of::<(char, char)>())
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pattern: &str, texts: &[(&str, bool)]) {
        let hir = regex_syntax::parse(pattern).unwrap();
        let mut automata = Automata::default();
        let id = automata
            .add(&hir, false)
            .unwrap_or_else(|| panic!("{pattern} unsupported"));
        let reference = regex::Regex::new(pattern).unwrap();
        for &(text, expected) in texts {
            assert_eq!(reference.is_match(text), expected, "{pattern} on {text:?}");
            assert_eq!(
                automata.is_match(id, text, Start::From(0)),
                expected,
                "{pattern} on {text:?}"
            );
        }
    }

    #[test]
    fn matches_like_the_regex_crate() {
        check(
            r"^JANE\d+$",
            &[
                ("JANE1", true),
                ("JANE", false),
                ("JANE12X", false),
                ("JANE١٢", true),
            ],
        );
        check(
            r"^P-[A-Z0-9]{6}$",
            &[("P-AB12CD", true), ("P-AB12C", false), ("P-AB12CDE", false)],
        );
        check(
            r"^P(20|25|50)OFF$",
            &[("P25OFF", true), ("P30OFF", false), ("P2OFF", false)],
        );
        check(
            r"(?i)^été\d{2}$",
            &[("ÉTÉ20", true), ("été2", false), ("ete20", false)],
        );
        check(r"SUMMER\d", &[("XSUMMER1Y", true), ("SUMMER", false)]);
        check(
            r"^(a|ab)(c|bcd)$",
            &[("abcd", true), ("abc", true), ("ab", false)],
        );
        check(
            r"^a{2,3}b?$",
            &[("aa", true), ("aaab", true), ("aaaa", false)],
        );
        check(r"^.*-X$", &[("SPRING-X", true), ("-X", true), ("X", false)]);
    }

    #[test]
    fn unsupported_forms_are_refused() {
        let mut automata = Automata::default();
        for pattern in [r"\bA\b", r"(?m)^A$", r"A{65}", r"(?-u:\xFF)", r"A^B"] {
            let hir = regex_syntax::ParserBuilder::new()
                .utf8(false)
                .build()
                .parse(pattern)
                .unwrap();
            assert!(automata.add(&hir, false).is_none(), "{pattern}");
        }
        // A refused pattern leaves nothing behind.
        assert!(automata.follow.is_empty() && automata.programs.is_empty());
    }

    #[test]
    fn anchored_at_an_offset() {
        let mut automata = Automata::default();
        let id = automata
            .add(&regex_syntax::parse(r"SUMMER\d").unwrap(), false)
            .unwrap();
        assert!(automata.is_match(id, "XSUMMER1", Start::At(1)));
        assert!(!automata.is_match(id, "XSUMMER1", Start::At(0)));
        assert!(automata.is_match(id, "XSUMMER1", Start::From(0)));
    }
}
