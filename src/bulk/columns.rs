//! The bulk layout's columns, in one table: what each holds, what each type of row needs of
//! it, how its value is written. Reading a row (`row`), writing one (`export`), the docs of
//! [`Upload`](crate::Upload) (checked against it by a test) and the column an error is placed
//! in all follow from it: a new column is a row here, an arm in `row::read` and one in
//! [`cell`].

use csv::{ByteRecord, StringRecord};

use crate::model::{
    Code, CreditPolicy, Error, ErrorKind, MatchMode, ProgramId, Reason, Timestamp, restore,
};

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

/// What a row of one type needs of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Need {
    Required,
    Optional,
    /// Must be blank: the value means nothing for this type of row.
    Blank,
}

/// The two types of row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Tracking,
    Restricted,
}

/// One column of the layout.
pub(super) struct Column {
    pub(super) col: Col,
    pub(super) header: &'static str,
    pub(super) tracking: Need,
    pub(super) restricted: Need,
    /// What a tracking row and a restricted row hold in it, as the docs' table says.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "a test checks the docs against it")
    )]
    docs: [&'static str; 2],
}

use Need::{Blank, Optional, Required};

/// Every column, in the order a download writes them.
pub(super) const COLUMNS: [Column; 13] = [
    column(
        Col::PromoCode,
        "Promo Code",
        [Required, Required],
        ["the code, or the pattern for `RE`", "the code"],
    ),
    column(
        Col::ProgramId,
        "Program Id",
        [Required, Required],
        ["required", "required"],
    ),
    column(
        Col::MediaId,
        "Media Id",
        [Required, Blank],
        ["the owner, required", "blank"],
    ),
    column(
        Col::Type,
        "Type",
        [Required, Required],
        ["`TRACKING`", "`RESTRICTED`"],
    ),
    column(
        Col::CreditRule,
        "Credit Rule",
        [Required, Blank],
        ["`ALWAYS`, `INVOLVED` or `WINNER`, required", "blank"],
    ),
    column(
        Col::MatchMode,
        "Match Mode",
        [Required, Blank],
        ["`LI` (exact) or `RE` (regex), required", "blank"],
    ),
    column(
        Col::DealId,
        "Deal Id",
        [Optional, Blank],
        ["optional", "blank"],
    ),
    column(
        Col::Start,
        "Active Start Date",
        [Optional, Optional],
        ["optional", "optional"],
    ),
    column(
        Col::End,
        "Active End Date",
        [Optional, Required],
        ["optional", "required"],
    ),
    column(
        Col::Timezone,
        "Timezone",
        [Optional, Optional],
        ["optional IANA name", "optional IANA name"],
    ),
    column(
        Col::CodeId,
        "Code Id",
        [Optional, Optional],
        [
            "optional; assigned when blank",
            "optional; assigned when blank",
        ],
    ),
    column(
        Col::Priority,
        "Priority",
        [Optional, Blank],
        ["optional, default 0", "blank"],
    ),
    column(
        Col::Label,
        "Label",
        [Optional, Optional],
        ["optional, kept as typed", "optional, kept as typed"],
    ),
];

const fn column(
    col: Col,
    header: &'static str,
    needs: [Need; 2],
    docs: [&'static str; 2],
) -> Column {
    Column {
        col,
        header,
        tracking: needs[0],
        restricted: needs[1],
        docs,
    }
}

/// The reference's own example header says `Campaign Id` where its column table says
/// `Program Id`; both name the same column.
pub(super) const PROGRAM_ALIAS: &str = "Campaign Id";

/// A closed set the file spells in words (`Type`, `Credit Rule`, `Match Mode`): each value's
/// word in one exhaustive match, read ignoring ASCII case, written as here.
pub(super) trait Word: Copy + PartialEq + 'static {
    const ALL: &'static [Self];

    fn word(self) -> &'static str;

    /// The value `text` spells, ignoring ASCII case.
    fn read(text: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|value| value.word().eq_ignore_ascii_case(text))
    }
}

impl Word for Kind {
    const ALL: &'static [Kind] = &[Kind::Tracking, Kind::Restricted];

    fn word(self) -> &'static str {
        match self {
            Kind::Tracking => "TRACKING",
            Kind::Restricted => "RESTRICTED",
        }
    }
}

impl Word for CreditPolicy {
    const ALL: &'static [CreditPolicy] = &CreditPolicy::ALL;

    fn word(self) -> &'static str {
        match self {
            CreditPolicy::Always => "ALWAYS",
            CreditPolicy::IfInvolved => "INVOLVED",
            CreditPolicy::IfWinner => "WINNER",
        }
    }
}

impl Word for MatchMode {
    const ALL: &'static [MatchMode] = &MatchMode::ALL;

    fn word(self) -> &'static str {
        match self {
            MatchMode::Exact => "LI",
            MatchMode::Regex => "RE",
        }
    }
}

impl Col {
    pub(super) fn column(self) -> &'static Column {
        &COLUMNS[self as usize]
    }

    pub(super) fn name(self) -> &'static str {
        self.column().header
    }

    /// The column a registry error about a row is placed in.
    pub(super) fn of_error(kind: ErrorKind) -> Col {
        match kind {
            ErrorKind::DuplicateId => Col::CodeId,
            ErrorKind::InvalidWindow => Col::End,
            _ => Col::PromoCode,
        }
    }
}

impl Column {
    pub(super) fn need(&self, kind: Kind) -> Need {
        match kind {
            Kind::Tracking => self.tracking,
            Kind::Restricted => self.restricted,
        }
    }

    /// Whether every file needs the column, whatever its rows.
    pub(super) fn required_in_every_file(&self) -> bool {
        self.tracking == Required && self.restricted == Required
    }

    /// `a Media Id`, `an Active End Date`.
    pub(super) fn with_article(&self) -> String {
        let vowel = self
            .header
            .starts_with(|c: char| "AEIOU".contains(c.to_ascii_uppercase()));
        format!("{} {}", if vowel { "an" } else { "a" }, self.header)
    }
}

/// The columns as an error message lists them.
pub(super) fn expected_columns() -> String {
    let names: Vec<String> = COLUMNS
        .iter()
        .map(|c| match c.col {
            Col::ProgramId => format!("{} (or {PROGRAM_ALIAS})", c.header),
            _ => c.header.to_owned(),
        })
        .collect();
    names.join(", ")
}

/// The value a download writes in `col` for `code` of `program`. A restricted code's blank
/// columns are written empty; instants in UTC, so the `Timezone` column is left blank.
pub(super) fn cell(col: Col, program: ProgramId, code: &Code) -> String {
    let instant = |t: Option<Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
    let tracking = match code {
        Code::Tracking(t) => Some(t),
        Code::Restricted(_) => None,
    };
    match col {
        Col::PromoCode => code.text().to_owned(),
        Col::ProgramId => program.to_string(),
        Col::MediaId => tracking.map(|t| t.owner.to_string()).unwrap_or_default(),
        Col::Type => match tracking {
            Some(_) => Kind::Tracking.word(),
            None => Kind::Restricted.word(),
        }
        .to_owned(),
        Col::CreditRule => tracking.map_or("", |t| t.credit.word()).to_owned(),
        Col::MatchMode => tracking.map_or("", |t| t.match_mode.word()).to_owned(),
        Col::DealId => tracking
            .and_then(|t| t.deal)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        Col::Start => instant(code.window().from),
        Col::End => instant(code.window().until),
        Col::Timezone => String::new(),
        Col::CodeId => code.id().to_string(),
        Col::Priority => tracking.map(|t| t.priority.to_string()).unwrap_or_default(),
        Col::Label => code.label().unwrap_or_default().to_owned(),
    }
}

/// Which field of a row holds which column, as the header said.
#[derive(Clone, Debug)]
pub(super) struct Header {
    /// Per column: its zero-based field and the header as the file spells it.
    fields: [Option<(usize, Box<str>)>; COLUMNS.len()],
    /// Every header as spelled, by field.
    names: Vec<Box<str>>,
    /// Columns some rows need but the file lacks, already reported, so that a file of 10,000
    /// tracking rows without `Media Id` says so once, not 10,000 times.
    pub(super) reported_missing: [bool; COLUMNS.len()],
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
                .find(|c| c.header == name)
                .map(|c| c.col)
                .or((name == PROGRAM_ALIAS).then_some(Col::ProgramId));
            let Some(col) = col else {
                errors.push(at(Error::bulk(Reason::UnknownColumn {
                    name: name.into(),
                    expected: expected_columns(),
                })));
                continue;
            };
            match &fields[col as usize] {
                Some((first, _)) => errors.push(at(Error::bulk(Reason::DuplicateColumn {
                    name: name.into(),
                    first: first + 1,
                }))),
                None => fields[col as usize] = Some((i, name.into())),
            }
        }
        let mut usable = true;
        for column in COLUMNS.iter().filter(|c| c.required_in_every_file()) {
            if fields[column.col as usize].is_none() {
                let reason = Reason::MissingColumn {
                    name: column.header,
                    needed_by: None,
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
        self.fields[col as usize].is_some()
    }

    /// A row read without a problem, written back in this file's columns: what the file said,
    /// with instants in UTC (the `Timezone` left blank) and an id only where the file gave
    /// one. Columns the layout does not know are left blank.
    pub(super) fn row_of(&self, program: ProgramId, code: &Code, has_id: bool) -> ByteRecord {
        let mut row = ByteRecord::new();
        for i in 0..self.names.len() {
            let col = self
                .fields
                .iter()
                .position(|field| field.as_ref().is_some_and(|(at, _)| *at == i));
            let value = match col.map(|c| COLUMNS[c].col) {
                Some(Col::CodeId) if !has_id => String::new(),
                Some(col) => cell(col, program, code),
                None => String::new(),
            };
            row.push_field(value.as_bytes());
        }
        row
    }

    /// Places an error in `col`, when the file has that column.
    pub(super) fn locate(&self, err: Error, col: Col) -> Error {
        match &self.fields[col as usize] {
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
    pub(super) fn value<'r>(&self, record: &'r StringRecord, col: Col) -> Option<&'r str> {
        let (i, _) = self.fields[col as usize].as_ref()?;
        let value = restore(record.get(*i)?.trim()).trim();
        (!value.is_empty()).then_some(value)
    }

    /// The untrimmed value: code texts are trimmed by the registry, labels are kept as typed.
    pub(super) fn raw<'r>(&self, record: &'r StringRecord, col: Col) -> Option<&'r str> {
        let (i, _) = self.fields[col as usize].as_ref()?;
        record
            .get(*i)
            .map(restore)
            .filter(|value| !value.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_column_order() {
        for (i, column) in COLUMNS.iter().enumerate() {
            assert_eq!(column.col as usize, i, "{}", column.header);
        }
    }

    /// The layout table in [`Upload`](crate::Upload)'s docs is this table, row for row.
    #[test]
    fn the_docs_show_every_column() {
        let docs = include_str!("mod.rs");
        let table: Vec<&str> = docs
            .lines()
            .map(|line| line.trim_start_matches("///").trim())
            .skip_while(|line| !line.starts_with("| column |"))
            .skip(2)
            .take_while(|line| line.starts_with('|'))
            .collect();
        let expected: Vec<String> = COLUMNS
            .iter()
            .map(|c| {
                let name = match c.col {
                    Col::ProgramId => format!("`{}` (or `{PROGRAM_ALIAS}`)", c.header),
                    _ => format!("`{}`", c.header),
                };
                format!("| {name} | {} | {} |", c.docs[0], c.docs[1])
            })
            .collect();
        assert_eq!(table, expected);
    }

    #[test]
    fn words_read_back_as_what_they_write() {
        fn check<T: Word + std::fmt::Debug>() {
            for &value in T::ALL {
                assert_eq!(T::read(value.word()), Some(value));
                assert_eq!(T::read(&value.word().to_lowercase()), Some(value));
            }
            assert_eq!(T::read("SOMETIMES"), None);
        }
        check::<Kind>();
        check::<CreditPolicy>();
        check::<MatchMode>();
    }
}
