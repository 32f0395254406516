//! The bulk layout's columns, and reading one row of it into a code definition.

use csv::StringRecord;
use jiff::fmt::temporal::Pieces;
use jiff::tz::TimeZone;

use crate::code::{Code, CodeId, CreditPolicy, MatchMode, PartnerId};
use crate::error::{Error, Reason};
use crate::time::{Timestamp, Window};

use super::ProgramId;

/// A column of the layout. The first ten are the reference's; the last three are ours, so that
/// a download carries everything a code holds and uploads again unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Col {
    PromoCode,
    ProgramId,
    MediaId,
    Type,
    CreditRule,
    MatchMode,
    DealId,
    Start,
    End,
    Timezone,
    CodeId,
    Priority,
    Label,
}

/// Every column, in the order a download writes them, with its header.
pub(super) const COLUMNS: [(Col, &str); 13] = [
    (Col::PromoCode, "Promo Code"),
    (Col::ProgramId, "Program Id"),
    (Col::MediaId, "Media Id"),
    (Col::Type, "Type"),
    (Col::CreditRule, "Credit Rule"),
    (Col::MatchMode, "Match Mode"),
    (Col::DealId, "Deal Id"),
    (Col::Start, "Active Start Date"),
    (Col::End, "Active End Date"),
    (Col::Timezone, "Timezone"),
    (Col::CodeId, "Code Id"),
    (Col::Priority, "Priority"),
    (Col::Label, "Label"),
];

/// The reference's own example header says `Campaign Id` where its column table says
/// `Program Id`; both name the same column.
const PROGRAM_ALIAS: &str = "Campaign Id";

const EXPECTED: &str = "Promo Code, Program Id (or Campaign Id), Media Id, Type, Credit Rule, \
                        Match Mode, Deal Id, Active Start Date, Active End Date, Timezone, \
                        Code Id, Priority, Label";

/// Required in every file.
const REQUIRED: [Col; 3] = [Col::PromoCode, Col::ProgramId, Col::Type];

impl Col {
    fn index(self) -> usize {
        self as usize
    }

    pub(super) fn name(self) -> &'static str {
        COLUMNS[self.index()].1
    }
}

/// Which field of a row holds which column, as the header said.
#[derive(Clone, Debug)]
pub(super) struct Header {
    /// Per column: its zero-based field and the header as the file spells it.
    fields: [Option<(usize, Box<str>)>; COLUMNS.len()],
    /// Every header as spelled, by field.
    names: Vec<Box<str>>,
    /// Tracking-only required columns already reported missing, so that a file of 10,000
    /// tracking rows without `Media Id` says so once, not 10,000 times.
    reported_missing: [bool; COLUMNS.len()],
}

impl Header {
    /// Reads the header row. Errors name the column; a missing required column makes the
    /// header unusable (`None`), an unknown or repeated one does not.
    pub(super) fn parse(record: &StringRecord, errors: &mut Vec<Error>) -> Option<Header> {
        let mut fields: [Option<(usize, Box<str>)>; COLUMNS.len()] = Default::default();
        for (i, name) in record.iter().enumerate() {
            let at = |err: Error| err.at_line(1).in_column(i + 1, name);
            let col = COLUMNS
                .iter()
                .find(|(_, known)| *known == name)
                .map(|&(col, _)| col)
                .or((name == PROGRAM_ALIAS).then_some(Col::ProgramId));
            let Some(col) = col else {
                errors.push(at(Error::bulk(Reason::UnknownColumn {
                    name: name.into(),
                    expected: EXPECTED,
                })));
                continue;
            };
            match &fields[col.index()] {
                Some((first, _)) => errors.push(at(Error::bulk(Reason::DuplicateColumn {
                    name: name.into(),
                    first: first + 1,
                }))),
                None => fields[col.index()] = Some((i, name.into())),
            }
        }
        let mut usable = true;
        for col in REQUIRED {
            if fields[col.index()].is_none() {
                let reason = Reason::MissingColumn {
                    name: col.name(),
                    first_needed_at: None,
                };
                errors.push(Error::bulk(reason).at_line(1));
                usable = false;
            }
        }
        usable.then_some(Header {
            fields,
            names: record.iter().map(Box::from).collect(),
            reported_missing: [false; COLUMNS.len()],
        })
    }

    pub(super) fn has(&self, col: Col) -> bool {
        self.fields[col.index()].is_some()
    }

    /// Places an error in `col`, when the file has that column.
    pub(super) fn locate(&self, err: Error, col: Col) -> Error {
        match &self.fields[col.index()] {
            Some((i, name)) => err.in_column(i + 1, name),
            None => err,
        }
    }

    /// Places an error in the column of field `i` (zero-based), whatever that column is.
    pub(super) fn locate_field(&self, err: Error, i: usize) -> Error {
        match self.names.get(i) {
            Some(name) => err.in_column(i + 1, name),
            None => err,
        }
    }

    /// The trimmed value of `col` in `record`; `None` when blank or when the file has no such
    /// column.
    fn value<'r>(&self, record: &'r StringRecord, col: Col) -> Option<&'r str> {
        let (i, _) = self.fields[col.index()].as_ref()?;
        let value = record.get(*i)?.trim();
        (!value.is_empty()).then_some(value)
    }

    /// The untrimmed value: code texts are trimmed by the registry, labels are kept as typed.
    fn raw<'r>(&self, record: &'r StringRecord, col: Col) -> Option<&'r str> {
        let (i, _) = self.fields[col.index()].as_ref()?;
        record.get(*i).filter(|value| !value.is_empty())
    }
}

/// A row read from the file, before registry validation.
#[derive(Clone, Debug)]
pub(super) struct Draft {
    pub(super) line: u64,
    pub(super) program: ProgramId,
    pub(super) code: Code,
    /// Whether the row gave its own `Code Id`; otherwise one is assigned per program.
    pub(super) has_id: bool,
}

/// The errors of one row, each placed on its line and column.
struct RowErrors<'a> {
    header: &'a Header,
    line: u64,
    errors: &'a mut Vec<Error>,
    before: usize,
}

impl RowErrors<'_> {
    fn push(&mut self, col: Col, reason: Reason) {
        let err = self
            .header
            .locate(Error::bulk(reason).at_line(self.line), col);
        self.errors.push(err);
    }

    fn any(&self) -> bool {
        self.errors.len() > self.before
    }
}

/// Reads one data row. Every problem of the row is pushed onto `errors`; the draft is returned
/// only when there is none.
pub(super) fn read_row(
    header: &mut Header,
    record: &StringRecord,
    line: u64,
    errors: &mut Vec<Error>,
) -> Option<Draft> {
    let mut missing_columns = Vec::new();
    let draft = {
        let mut row = RowErrors {
            header,
            line,
            before: errors.len(),
            errors,
        };
        let draft = read_fields(&mut row, record, &mut missing_columns);
        if row.any() { None } else { draft }
    };
    for col in missing_columns {
        if !header.reported_missing[col.index()] {
            header.reported_missing[col.index()] = true;
            let reason = Reason::MissingColumn {
                name: col.name(),
                first_needed_at: Some(line),
            };
            errors.push(Error::bulk(reason).at_line(1));
        }
    }
    draft
}

#[derive(Clone, Copy)]
enum Kind {
    Tracking,
    Restricted,
}

fn read_fields(
    row: &mut RowErrors<'_>,
    record: &StringRecord,
    missing_columns: &mut Vec<Col>,
) -> Option<Draft> {
    let header = row.header;
    let text = header.raw(record, Col::PromoCode).unwrap_or_default();
    let program = required(row, record, Col::ProgramId, "every row needs a Program Id")
        .and_then(|v| number::<u64>(row, Col::ProgramId, v));
    let kind = required(row, record, Col::Type, "every row needs a Type").and_then(|v| {
        match_word(
            row,
            Col::Type,
            v,
            &[
                ("TRACKING", Kind::Tracking),
                ("RESTRICTED", Kind::Restricted),
            ],
        )
    });
    let id = header
        .value(record, Col::CodeId)
        .and_then(|v| number::<u64>(row, Col::CodeId, v))
        .map(CodeId);
    let window = read_window(row, record);
    let label = header.raw(record, Col::Label).map(str::to_owned);

    let code: Code = match kind? {
        Kind::Tracking => {
            let mut needed = |col: Col| {
                if header.has(col) {
                    let why = format!("a TRACKING row needs a {}", col.name());
                    required(row, record, col, &why)
                } else {
                    missing_columns.push(col);
                    None
                }
            };
            let media = needed(Col::MediaId);
            let rule = needed(Col::CreditRule);
            let mode = needed(Col::MatchMode);
            let owner = media.and_then(|v| number::<u64>(row, Col::MediaId, v));
            let credit = rule.and_then(|v| {
                match_word(
                    row,
                    Col::CreditRule,
                    v,
                    &[
                        ("ALWAYS", CreditPolicy::Always),
                        ("INVOLVED", CreditPolicy::IfInvolved),
                        ("WINNER", CreditPolicy::IfWinner),
                    ],
                )
            });
            let mode = mode.and_then(|v| {
                match_word(
                    row,
                    Col::MatchMode,
                    v,
                    &[("LI", MatchMode::Exact), ("RE", MatchMode::Regex)],
                )
            });
            let deal = header
                .value(record, Col::DealId)
                .and_then(|v| number::<u64>(row, Col::DealId, v));
            let priority = header
                .value(record, Col::Priority)
                .and_then(|v| number::<i32>(row, Col::Priority, v));
            let mut code = Code::tracking(id.unwrap_or(CodeId(0)), text, PartnerId(owner?))
                .credit(credit?)
                .match_mode(mode?)
                .window(window?);
            code.deal = deal;
            code.priority = priority.unwrap_or(0);
            code.label = label;
            code.into()
        }
        Kind::Restricted => {
            for col in [
                Col::MediaId,
                Col::CreditRule,
                Col::MatchMode,
                Col::DealId,
                Col::Priority,
            ] {
                if header.value(record, col).is_some() {
                    let why = format!("a RESTRICTED row has no {}; leave it blank", col.name());
                    row.push(col, Reason::InvalidValue(why));
                }
            }
            let window = window?;
            if window.until.is_none() {
                let why = "a RESTRICTED row needs an Active End Date".to_owned();
                row.push(Col::End, Reason::MissingValue(why));
            }
            let mut code = Code::restricted(id.unwrap_or(CodeId(0)), text).window(window);
            code.label = label;
            code.into()
        }
    };
    Some(Draft {
        line: row.line,
        program: ProgramId(program?),
        code,
        has_id: id.is_some(),
    })
}

fn required<'r>(
    row: &mut RowErrors<'_>,
    record: &'r StringRecord,
    col: Col,
    why: &str,
) -> Option<&'r str> {
    let value = row.header.value(record, col);
    if value.is_none() {
        row.push(col, Reason::MissingValue(why.to_owned()));
    }
    value
}

fn number<T: std::str::FromStr>(row: &mut RowErrors<'_>, col: Col, value: &str) -> Option<T> {
    let parsed = value.parse().ok();
    if parsed.is_none() {
        let why = format!(
            "{value:?} is not a valid {}: expected a whole number",
            col.name()
        );
        row.push(col, Reason::InvalidValue(why));
    }
    parsed
}

/// Matches an enum value, ignoring ASCII case: `always` is as clear as `ALWAYS`.
fn match_word<T: Copy>(
    row: &mut RowErrors<'_>,
    col: Col,
    value: &str,
    words: &[(&str, T)],
) -> Option<T> {
    let found = words
        .iter()
        .find(|(word, _)| word.eq_ignore_ascii_case(value))
        .map(|&(_, v)| v);
    if found.is_none() {
        let mut expected = String::new();
        for (i, (word, _)) in words.iter().enumerate() {
            if i > 0 {
                expected.push_str(if i + 1 == words.len() { " or " } else { ", " });
            }
            expected.push_str(word);
        }
        let why = format!(
            "{value:?} is not a valid {}: expected {expected}",
            col.name()
        );
        row.push(col, Reason::InvalidValue(why));
    }
    found
}

fn read_window(row: &mut RowErrors<'_>, record: &StringRecord) -> Option<Window> {
    let header = row.header;
    let (zone, zone_known) = match header.value(record, Col::Timezone) {
        None => (None, true),
        Some(name) => match TimeZone::get(name) {
            Ok(zone) => (Some(zone), true),
            Err(_) => {
                row.push(Col::Timezone, Reason::UnknownTimeZone(name.into()));
                // The dates are still checked for syntax, read as UTC, so that a row with a
                // bad zone and a bad date reports both at once.
                (Some(TimeZone::UTC), false)
            }
        },
    };
    let mut instant = |col: Col| match header.value(record, col) {
        None => Some(None),
        Some(value) => match parse_instant(value, zone.as_ref()) {
            Ok(t) => Some(Some(t)),
            Err(why) => {
                let reason = Reason::InvalidDate {
                    value: value.into(),
                    why: why.to_string(),
                };
                row.push(col, reason);
                None
            }
        },
    };
    let from = instant(Col::Start);
    let until = instant(Col::End);
    if !zone_known {
        return None;
    }
    Some(Window {
        from: from?,
        until: until?,
    })
}

/// Why a date-time could not be read.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Unreadable {
    Syntax(String),
    NeedsZone,
    Annotation,
    OutOfRange,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreadable::Syntax(why) => {
                write!(
                    f,
                    "expected ISO 8601 such as 2013-06-30T00:00:00-07:00 ({why})"
                )
            }
            Unreadable::NeedsZone => {
                f.write_str("it has no UTC offset; add one (-07:00, Z) or fill the Timezone column")
            }
            Unreadable::Annotation => {
                f.write_str("bracketed time-zone annotations are not read; use the Timezone column")
            }
            Unreadable::OutOfRange => f.write_str("it is outside the years -9999 to 9999"),
        }
    }
}

/// Reads an ISO 8601 date-time into an instant.
///
/// With a time zone, the text's local date and time are read in that zone and any offset in the
/// text is ignored (the `Timezone` column overrides it). A local time that a DST change skips
/// (02:30 on a spring-forward night) is moved forward by the length of the gap (to 03:30); one
/// that occurs twice (01:30 on a fall-back night) is the earlier of the two. This is the
/// "compatible" disambiguation of RFC 5545 and Temporal. A date without a time is midnight.
///
/// Without a time zone, the text must carry an offset (`Z` or `±HH:MM`).
pub(super) fn parse_instant(text: &str, zone: Option<&TimeZone>) -> Result<Timestamp, Unreadable> {
    let pieces = Pieces::parse(text).map_err(|e| Unreadable::Syntax(e.to_string()))?;
    if pieces.time_zone_annotation().is_some() {
        return Err(Unreadable::Annotation);
    }
    let local = pieces.date().to_datetime(pieces.time().unwrap_or_default());
    let instant = match zone {
        Some(zone) => zone.to_ambiguous_timestamp(local).compatible(),
        None => {
            let offset = pieces.to_numeric_offset().ok_or(Unreadable::NeedsZone)?;
            offset.to_timestamp(local)
        }
    };
    let instant = instant.map_err(|_| Unreadable::OutOfRange)?;
    Ok(Timestamp::from_unix_millis(instant.as_millisecond()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_with_offsets_and_zones() {
        let ny = TimeZone::get("America/New_York").ok();
        let utc = |s: &str| s.parse::<Timestamp>().ok();
        type Case<'a> = (
            &'a str,
            Option<&'a TimeZone>,
            Result<Option<Timestamp>, Unreadable>,
        );
        let cases: &[Case<'_>] = &[
            (
                "2013-06-30T00:00:00-07:00",
                None,
                Ok(utc("2013-06-30T07:00:00Z")),
            ),
            (
                "2013-06-30T00:00:00Z",
                None,
                Ok(utc("2013-06-30T00:00:00Z")),
            ),
            (
                "2013-06-30T00:00:00.250+02:00",
                None,
                Ok(utc("2013-06-29T22:00:00.250Z")),
            ),
            // The zone overrides the offset written in the text.
            (
                "2013-06-30T00:00:00-07:00",
                ny.as_ref(),
                Ok(utc("2013-06-30T04:00:00Z")),
            ),
            ("2013-06-30", ny.as_ref(), Ok(utc("2013-06-30T04:00:00Z"))),
            // Spring forward in New York, 2024-03-10: 02:00–03:00 does not exist.
            (
                "2024-03-10T02:30:00",
                ny.as_ref(),
                Ok(utc("2024-03-10T07:30:00Z")),
            ),
            // Fall back, 2024-11-03: 01:00–02:00 happens twice; the earlier (EDT) is taken.
            (
                "2024-11-03T01:30:00",
                ny.as_ref(),
                Ok(utc("2024-11-03T05:30:00Z")),
            ),
            ("2013-06-30T00:00:00", None, Err(Unreadable::NeedsZone)),
            ("2013-06-30", None, Err(Unreadable::NeedsZone)),
            (
                "2013-06-30T00:00:00Z[Europe/Paris]",
                None,
                Err(Unreadable::Annotation),
            ),
        ];
        for (text, zone, expected) in cases {
            let got = parse_instant(text, *zone).map(Some);
            assert_eq!(&got, expected, "{text}");
        }
        for bad in [
            "30/06/2013",
            "2013-13-01T00:00:00Z",
            "tomorrow",
            "2013-06-30T25:00:00Z",
        ] {
            assert!(
                matches!(parse_instant(bad, None), Err(Unreadable::Syntax(_))),
                "{bad}"
            );
        }
    }
}
