//! Reading one row of a bulk file into a code definition, every problem placed on its line and
//! column.

use csv::StringRecord;
use jiff::fmt::temporal::Pieces;
use jiff::tz::TimeZone;

use super::columns::{COLUMNS, Col, Header, Kind, Need, Word};
use crate::model::{
    Code, CodeId, EXCERPT_CHARS, Error, Excerpt, PartnerId, ProgramId, Reason, Timestamp, Window,
};

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
pub(super) fn read(
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
    for (col, kind) in missing_columns {
        if !header.reported_missing[col as usize] {
            header.reported_missing[col as usize] = true;
            let reason = Reason::MissingColumn {
                name: col.name(),
                needed_by: Some((kind, line)),
            };
            errors.push(Error::bulk(reason).at_line(1));
        }
    }
    draft
}

fn read_fields(
    row: &mut RowErrors<'_>,
    record: &StringRecord,
    missing_columns: &mut Vec<(Col, &'static str)>,
) -> Option<Draft> {
    let header = row.header;
    let value = |col| header.value(record, col);
    let kind = match value(Col::Type) {
        Some(v) => match_word(row, Col::Type, v),
        None => None,
    };
    // What each column needs for this row's type; the Type column itself says which. A blank
    // Promo Code is left to the registry, which reports it as an empty code.
    for column in COLUMNS.iter().filter(|c| c.col != Col::PromoCode) {
        let (need, type_name) = match kind {
            Some(kind) => (column.need(kind), kind.word()),
            None if column.required_in_every_file() => (Need::Required, ""),
            None => continue,
        };
        let present = value(column.col).is_some();
        match need {
            Need::Required if !present && !header.has(column.col) => {
                missing_columns.push((column.col, type_name));
            }
            Need::Required if !present => {
                let why = if column.required_in_every_file() {
                    format!("every row needs {}", column.with_article())
                } else {
                    format!("a {type_name} row needs {}", column.with_article())
                };
                row.push(column.col, Reason::MissingValue(why));
            }
            Need::Blank if present => {
                let why = format!("a {type_name} row has no {}; leave it blank", column.header);
                row.push(column.col, Reason::InvalidValue(why));
            }
            _ => {}
        }
    }
    // Every value that can be checked without the row's type is, so that a row with several
    // problems reports them all at once.
    let program = value(Col::ProgramId).and_then(|v| number::<u64>(row, Col::ProgramId, v));
    let id = value(Col::CodeId)
        .and_then(|v| number::<u64>(row, Col::CodeId, v))
        .map(CodeId);
    let window = read_window(row, record);
    let text = header.raw(record, Col::PromoCode).unwrap_or_default();
    let label = header.raw(record, Col::Label).map(str::to_owned);
    let code: Code = match kind? {
        Kind::Tracking => {
            let owner = value(Col::MediaId).and_then(|v| number::<u64>(row, Col::MediaId, v));
            let credit = value(Col::CreditRule).and_then(|v| match_word(row, Col::CreditRule, v));
            let mode = value(Col::MatchMode).and_then(|v| match_word(row, Col::MatchMode, v));
            let deal = value(Col::DealId).and_then(|v| number::<u64>(row, Col::DealId, v));
            let priority = value(Col::Priority).and_then(|v| number::<i32>(row, Col::Priority, v));
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
            let mut code = Code::restricted(id.unwrap_or(CodeId(0)), text).window(window?);
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

fn number<T: std::str::FromStr>(row: &mut RowErrors<'_>, col: Col, value: &str) -> Option<T> {
    let parsed = value.parse().ok();
    if parsed.is_none() {
        let why = format!(
            "{} is not a valid {}: expected a whole number",
            Excerpt::new(value),
            col.name()
        );
        row.push(col, Reason::InvalidValue(why));
    }
    parsed
}

/// Matches an enum value, ignoring ASCII case: `always` is as clear as `ALWAYS`.
fn match_word<T: Word>(row: &mut RowErrors<'_>, col: Col, value: &str) -> Option<T> {
    let found = T::read(value);
    if found.is_none() {
        let mut expected = String::new();
        for (i, word) in T::ALL.iter().map(|v| v.word()).enumerate() {
            if i > 0 {
                expected.push_str(if i + 1 == T::ALL.len() { " or " } else { ", " });
            }
            expected.push_str(word);
        }
        let why = format!(
            "{} is not a valid {}: expected {expected}",
            Excerpt::new(value),
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
    // jiff's message quotes the text; no date-time is this long.
    if text.len() > EXCERPT_CHARS {
        return Err(Unreadable::Syntax(format!(
            "it is {} bytes long",
            text.len()
        )));
    }
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
    Ok(Timestamp::from(instant))
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
