//! The crate's one error type, opaque over a private reason, plus the batch wrapper.
//!
//! Errors come from configuration — registering codes, contracts and events, compiling, parsing
//! instants — never from attributing an order: bad order input becomes diagnostics instead.

use std::fmt;

use super::excerpt::{Excerpt, cut_name};
use super::ids::{CodeId, PartnerId, ProgramId};
use super::limits::{MAX_CODE_LEN, MAX_REGEX_SIZE};

/// What went wrong, for callers that branch on the kind of an [`Error`].
///
/// The [`Display`](fmt::Display) of the error carries the specifics (which code, which row, which
/// byte of a pattern); `as_str` gives the stable snake_case name used by the conformance vectors.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The code is empty after trimming white space: `"   "`.
    EmptyCode,
    /// The code is longer than [`MAX_CODE_LEN`] bytes after trimming.
    CodeTooLong,
    /// The code contains a control character, such as a tab or newline inside it: `"SAVE\n10"`.
    ControlCharacter,
    /// Another exact code of the same case-folded text has an overlapping schedule: `"SAVE10"`
    /// and `"save10"`, both always active.
    DuplicateCode,
    /// Another code already has this id.
    DuplicateId,
    /// The regex does not parse: `"SUMMER("`.
    InvalidRegex,
    /// The regex uses a feature the engine does not support: look-around `"(?<=A)B"` or a
    /// back-reference `"(A)\1"`.
    UnsupportedRegex,
    /// The regex matches the empty string, so it would match every code: `".*"`.
    MatchesEmpty,
    /// The regex compiles to more than [`MAX_REGEX_SIZE`] bytes: `"\\w{500}"`-style
    /// repetitions.
    RegexTooLarge,
    /// A window whose end is not after its start.
    InvalidWindow,
    /// A change names a code id that is not registered, or that was removed.
    UnknownCode,
    /// A change that only a tracking code takes (a transfer, a credit policy, a deal) names a
    /// restricted code.
    NotATrackingCode,
    /// A removal names a code that has been in effect: its start has passed, or it has none.
    /// Expire it instead, so that its history is kept.
    CodeInEffect,
    /// A snapshot that cannot be read: not one, another format version, or altered or cut
    /// short since it was written.
    InvalidSnapshot,
    /// A text that is not an RFC 3339 instant, or a [`SystemTime`](std::time::SystemTime) out of
    /// range.
    InvalidTimestamp,
    /// An exception list's match expression does not compile or does not have exactly one
    /// capture group: `"^[A-Z]+$"`.
    InvalidMatchExpression,
    /// A bulk file is not well-formed CSV: a row with more fields than the header, a field that
    /// is not UTF-8.
    MalformedCsv,
    /// A bulk file's header names a column the layout does not have: `Promo Cde`.
    UnknownColumn,
    /// A bulk file's header lacks a required column: no `Type`.
    MissingColumn,
    /// A bulk file's header names the same column twice (`Program Id` and `Campaign Id` are
    /// one column).
    DuplicateColumn,
    /// A required value is blank: a `TRACKING` row without `Media Id`, a `RESTRICTED` row
    /// without `Active End Date`.
    MissingValue,
    /// A value is not one the column allows: `Credit Rule` = `SOMETIMES`, `Media Id` = `abc`,
    /// a `Media Id` on a `RESTRICTED` row.
    InvalidValue,
    /// A `Timezone` that is not an IANA time-zone name: `America/Atlantis`.
    UnknownTimeZone,
    /// Rows of a bulk file name a program no registry was given for, or an order of a batch
    /// names a program its [`Catalog`](crate::Catalog) has no engine for.
    UnknownProgram,
    /// A registry outgrew what an engine's tables can index: more than 2^32 − 1 codes, more
    /// than 4 GiB of exact code text or of regex prefixes, or a page scanner's automaton over
    /// the exact codes beyond its library's limits.
    CapacityExceeded,
    /// A text kept for people is longer than its limit: a code's label or an exception list's
    /// name past [`MAX_LABEL_LEN`](crate::MAX_LABEL_LEN) bytes, a history note past
    /// [`MAX_NOTE_LEN`](crate::MAX_NOTE_LEN).
    TextTooLong,
    /// A revision the registry has not reached yet was named: a
    /// [`checkpoint`](crate::Registry::checkpoint) past the registry's revision.
    UnknownRevision,
    /// A template of generated codes does not parse, or spells codes no registry would take.
    InvalidTemplate,
    /// A template cannot yield the codes asked: its space is smaller than the count, the
    /// draws ran out, or a vanity base stays taken (SPEC §11).
    NamespaceExhausted,
    /// Reading or writing a bulk file failed in the reader or writer the host gave:
    /// [`Error::io_kind`] says how, the message says what it reported.
    Io,
}

impl ErrorKind {
    /// The stable snake_case name of the kind, as used in the conformance vectors.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::EmptyCode => "empty_code",
            ErrorKind::CodeTooLong => "code_too_long",
            ErrorKind::ControlCharacter => "control_character",
            ErrorKind::DuplicateCode => "duplicate_code",
            ErrorKind::DuplicateId => "duplicate_id",
            ErrorKind::InvalidRegex => "invalid_regex",
            ErrorKind::UnsupportedRegex => "unsupported_regex",
            ErrorKind::MatchesEmpty => "matches_empty",
            ErrorKind::RegexTooLarge => "regex_too_large",
            ErrorKind::InvalidWindow => "invalid_window",
            ErrorKind::UnknownCode => "unknown_code",
            ErrorKind::NotATrackingCode => "not_a_tracking_code",
            ErrorKind::CodeInEffect => "code_in_effect",
            ErrorKind::InvalidSnapshot => "invalid_snapshot",
            ErrorKind::InvalidTimestamp => "invalid_timestamp",
            ErrorKind::InvalidMatchExpression => "invalid_match_expression",
            ErrorKind::MalformedCsv => "malformed_csv",
            ErrorKind::UnknownColumn => "unknown_column",
            ErrorKind::MissingColumn => "missing_column",
            ErrorKind::DuplicateColumn => "duplicate_column",
            ErrorKind::MissingValue => "missing_value",
            ErrorKind::InvalidValue => "invalid_value",
            ErrorKind::UnknownTimeZone => "unknown_time_zone",
            ErrorKind::UnknownProgram => "unknown_program",
            ErrorKind::CapacityExceeded => "capacity_exceeded",
            ErrorKind::TextTooLong => "text_too_long",
            ErrorKind::UnknownRevision => "unknown_revision",
            ErrorKind::InvalidTemplate => "invalid_template",
            ErrorKind::NamespaceExhausted => "namespace_exhausted",
            ErrorKind::Io => "io",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from registering, compiling or parsing.
///
/// The message names what was rejected — the code's id and text, the row of a batch, the byte
/// offset in a pattern — and is lowercase with no trailing period, so that it composes with
/// context a host adds. Branch on [`Error::kind`]; the message is for people. It quotes at
/// most 100 characters of any input, then `…` and the input's length in bytes: an error about
/// a megabyte cell is still a line.
///
/// ```
/// use promo_attribution::{Code, CodeId, ErrorKind, PartnerId, Registry};
///
/// let mut registry = Registry::default();
/// registry.add(Code::tracking(CodeId(10), "SAVE10", PartnerId(1)))?;
/// let err = registry.add(Code::tracking(CodeId(11), "save10", PartnerId(2))).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::DuplicateCode);
/// assert_eq!(err.code_id(), Some(CodeId(11)));
/// assert_eq!(err.conflicting_code(), Some(CodeId(10)));
/// assert!(err.to_string().starts_with(r#"code 11 "save10": duplicate code"#));
/// # Ok::<(), promo_attribution::Error>(())
/// ```
#[derive(Clone)]
pub struct Error(Box<Inner>);

#[derive(Clone)]
struct Inner {
    subject: Subject,
    row: Option<usize>,
    /// Where in a bulk file: the one-based line, and the column.
    line: Option<u64>,
    column: Option<Column>,
    reason: Reason,
}

/// A column of a bulk file: its one-based position and its header.
#[derive(Clone)]
struct Column {
    number: usize,
    name: Box<str>,
}

#[derive(Clone)]
enum Subject {
    None,
    Code {
        id: CodeId,
        text: Option<Excerpt>,
    },
    Contract(PartnerId),
    /// An exception list, and the position of one of its codes.
    ExceptionList {
        name: Excerpt,
        entry: Option<usize>,
    },
    Input(String),
    /// A code text suggested for a partner.
    Suggestion(Excerpt),
}

// Without the csv feature, the bulk-file reasons are never built.
#[cfg_attr(not(feature = "csv"), allow(dead_code))]
#[derive(Clone, Debug, thiserror::Error)]
pub(crate) enum Reason {
    #[error("code is empty after trimming white space")]
    EmptyCode,
    #[error("code is {len} bytes long, the limit is {MAX_CODE_LEN} bytes")]
    CodeTooLong { len: usize },
    #[error("code contains the control character {ch:?} at byte {offset}")]
    ControlCharacter { ch: char, offset: usize },
    /// The windows are rendered when the error is made, so that this module needs nothing of
    /// the time types (which report their own parse errors through it).
    #[error(
        "duplicate code: code {existing} {existing_text} has the same text, ignoring case, \
         and its schedule {existing_window} overlaps this one's {window}"
    )]
    DuplicateCode {
        existing: CodeId,
        existing_text: Excerpt,
        existing_window: Box<str>,
        window: Box<str>,
    },
    #[error("duplicate id: code {0} {1} is already registered under it")]
    DuplicateId(CodeId, Excerpt),
    #[error("invalid regex{}: {message}", at_offset(*offset))]
    InvalidRegex {
        offset: Option<usize>,
        message: String,
    },
    #[error("unsupported regex{}: {message}", at_offset(*offset))]
    UnsupportedRegex {
        offset: Option<usize>,
        message: String,
    },
    #[error("regex matches the empty string, so it would match every code")]
    MatchesEmpty,
    #[error("regex is too large: its compiled form exceeds the limit of {MAX_REGEX_SIZE} bytes")]
    RegexTooLarge,
    #[error("{0}")]
    CapacityExceeded(String),
    #[error("{what} is {len} bytes long, the limit is {limit} bytes")]
    TextTooLong {
        what: &'static str,
        len: usize,
        limit: usize,
    },
    #[error("revision {named} is past the registry's revision {revision}")]
    UnknownRevision { named: u64, revision: u64 },
    #[error("template {template}: {why}")]
    InvalidTemplate { template: Excerpt, why: String },
    #[error("namespace exhausted: {0}")]
    NamespaceExhausted(String),
    #[error("window {0} does not end after it starts")]
    InvalidWindow(Box<str>),
    #[error("no code with this id is registered")]
    UnknownCode,
    #[error("no code with this id is registered: it was removed, and ids are never reused")]
    RemovedCode,
    #[error("{0} applies to tracking codes only, and this is a restricted code")]
    NotATrackingCode(&'static str),
    #[error("the code has been in effect since {0}; expire it instead of removing it")]
    CodeInEffect(Box<str>),
    #[error(
        "the code has been in effect since it was registered (it has no start); expire it instead of removing it"
    )]
    CodeAlwaysInEffect,
    #[error("this id belonged to code {0}, which was removed; ids are never reused")]
    RemovedId(Excerpt),
    #[error("invalid snapshot: {0}")]
    InvalidSnapshot(String),
    #[error("{0}")]
    InvalidTimestamp(String),
    #[error("invalid match expression: {0}")]
    InvalidMatchExpression(String),
    #[error("malformed csv: {0}")]
    MalformedCsv(String),
    #[error("unknown column {name}; the layout's columns are {expected}")]
    UnknownColumn { name: Excerpt, expected: String },
    #[error("missing required column {name:?}{}", needed_by.map(needed_by_rows).unwrap_or_default())]
    MissingColumn {
        name: &'static str,
        /// For a column only some rows need: their type, and the first such row.
        needed_by: Option<(&'static str, u64)>,
    },
    #[error("column {name} appears twice, first as column {first}")]
    DuplicateColumn { name: Excerpt, first: usize },
    #[error("{0}")]
    MissingValue(String),
    #[error("{0}")]
    InvalidValue(String),
    #[error("{value} is not a date-time: {why}")]
    InvalidDate { value: Excerpt, why: String },
    #[error("unknown time zone {0}: expected an IANA name such as \"America/New_York\"")]
    UnknownTimeZone(Excerpt),
    #[error("no registry was given for program {0}")]
    UnknownProgram(u64),
    #[error("the catalog has no engine for program {0}")]
    NoEngine(u64),
    /// The writer's error, as its kind and text: an [`std::io::Error`] itself would make
    /// every [`Error`] neither `UnwindSafe` nor `RefUnwindSafe`.
    #[error("{doing} failed: {message}")]
    Io {
        doing: &'static str,
        kind: std::io::ErrorKind,
        message: String,
    },
}

fn needed_by_rows((kind, line): (&'static str, u64)) -> String {
    format!(", which {kind} rows need (the first is on line {line})")
}

fn at_offset(offset: Option<usize>) -> String {
    offset.map(|o| format!(" at byte {o}")).unwrap_or_default()
}

impl Reason {
    fn kind(&self) -> ErrorKind {
        match self {
            Reason::EmptyCode => ErrorKind::EmptyCode,
            Reason::CodeTooLong { .. } => ErrorKind::CodeTooLong,
            Reason::ControlCharacter { .. } => ErrorKind::ControlCharacter,
            Reason::DuplicateCode { .. } => ErrorKind::DuplicateCode,
            Reason::DuplicateId(..) => ErrorKind::DuplicateId,
            Reason::InvalidRegex { .. } => ErrorKind::InvalidRegex,
            Reason::UnsupportedRegex { .. } => ErrorKind::UnsupportedRegex,
            Reason::MatchesEmpty => ErrorKind::MatchesEmpty,
            Reason::RegexTooLarge => ErrorKind::RegexTooLarge,
            Reason::CapacityExceeded(_) => ErrorKind::CapacityExceeded,
            Reason::TextTooLong { .. } => ErrorKind::TextTooLong,
            Reason::UnknownRevision { .. } => ErrorKind::UnknownRevision,
            Reason::InvalidTemplate { .. } => ErrorKind::InvalidTemplate,
            Reason::NamespaceExhausted(_) => ErrorKind::NamespaceExhausted,
            Reason::InvalidWindow(_) => ErrorKind::InvalidWindow,
            Reason::UnknownCode | Reason::RemovedCode => ErrorKind::UnknownCode,
            Reason::NotATrackingCode(_) => ErrorKind::NotATrackingCode,
            Reason::CodeInEffect(_) | Reason::CodeAlwaysInEffect => ErrorKind::CodeInEffect,
            Reason::RemovedId(_) => ErrorKind::DuplicateId,
            Reason::InvalidSnapshot(_) => ErrorKind::InvalidSnapshot,
            Reason::InvalidTimestamp(_) => ErrorKind::InvalidTimestamp,
            Reason::InvalidMatchExpression(_) => ErrorKind::InvalidMatchExpression,
            Reason::MalformedCsv(_) => ErrorKind::MalformedCsv,
            Reason::UnknownColumn { .. } => ErrorKind::UnknownColumn,
            Reason::MissingColumn { .. } => ErrorKind::MissingColumn,
            Reason::DuplicateColumn { .. } => ErrorKind::DuplicateColumn,
            Reason::MissingValue(_) => ErrorKind::MissingValue,
            Reason::InvalidValue(_) => ErrorKind::InvalidValue,
            Reason::InvalidDate { .. } => ErrorKind::InvalidTimestamp,
            Reason::UnknownTimeZone(_) => ErrorKind::UnknownTimeZone,
            Reason::UnknownProgram(_) | Reason::NoEngine(_) => ErrorKind::UnknownProgram,
            Reason::Io { .. } => ErrorKind::Io,
        }
    }
}

impl Error {
    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.reason.kind()
    }

    /// The id of the code that was rejected, when the error is about one.
    pub fn code_id(&self) -> Option<CodeId> {
        match self.0.subject {
            Subject::Code { id, .. } => Some(id),
            _ => None,
        }
    }

    /// The zero-based position of the rejected item in the batch handed to
    /// [`Registry::add_all`](crate::Registry::add_all).
    pub fn row(&self) -> Option<usize> {
        self.0.row
    }

    /// The one-based line of a bulk file the error is about. A quoted field may span lines; a
    /// row's line is the one it starts on.
    pub fn line(&self) -> Option<u64> {
        self.0.line
    }

    /// The header of the bulk-file column the error is about, as the file spells it (past 100
    /// characters, its first 100 and `…`).
    pub fn column(&self) -> Option<&str> {
        self.0.column.as_ref().map(|c| &*c.name)
    }

    /// The one-based position of the bulk-file column the error is about.
    pub fn column_number(&self) -> Option<usize> {
        self.0.column.as_ref().map(|c| c.number)
    }

    /// The byte offset in the pattern where a regex error was found, when the parser knows it.
    pub fn offset(&self) -> Option<usize> {
        match self.0.reason {
            Reason::InvalidRegex { offset, .. } | Reason::UnsupportedRegex { offset, .. } => offset,
            Reason::ControlCharacter { offset, .. } => Some(offset),
            _ => None,
        }
    }

    /// For an [`Io`](ErrorKind::Io) error, the kind of the writer's [`std::io::Error`].
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self.0.reason {
            Reason::Io { kind, .. } => Some(kind),
            _ => None,
        }
    }

    /// For a duplicate code or id, the code already registered that it collides with.
    pub fn conflicting_code(&self) -> Option<CodeId> {
        match self.0.reason {
            Reason::DuplicateCode { existing, .. } | Reason::DuplicateId(existing, _) => {
                Some(existing)
            }
            _ => None,
        }
    }

    fn new(subject: Subject, reason: Reason) -> Error {
        Error(Box::new(Inner {
            subject,
            row: None,
            line: None,
            column: None,
            reason,
        }))
    }

    pub(crate) fn code(id: CodeId, text: &str, reason: Reason) -> Error {
        Error::new(
            Subject::Code {
                id,
                text: Some(text.into()),
            },
            reason,
        )
    }

    pub(crate) fn unknown_code(id: CodeId) -> Error {
        Error::new(Subject::Code { id, text: None }, Reason::UnknownCode)
    }

    pub(crate) fn snapshot(why: impl Into<String>) -> Error {
        Error::new(Subject::None, Reason::InvalidSnapshot(why.into()))
    }

    pub(crate) fn contract(partner: PartnerId, reason: Reason) -> Error {
        Error::new(Subject::Contract(partner), reason)
    }

    pub(crate) fn exception_list(name: &str, entry: Option<usize>, reason: Reason) -> Error {
        Error::new(
            Subject::ExceptionList {
                name: name.into(),
                entry,
            },
            reason,
        )
    }

    pub(crate) fn suggestion(text: &str, reason: Reason) -> Error {
        Error::new(Subject::Suggestion(text.into()), reason)
    }

    /// A registry too large for the engine's tables; `what` says which limit, lowercase.
    pub(crate) fn capacity(what: impl Into<String>) -> Error {
        Error::new(Subject::None, Reason::CapacityExceeded(what.into()))
    }

    pub(crate) fn timestamp(input: String, why: String) -> Error {
        Error::new(Subject::Input(input), Reason::InvalidTimestamp(why))
    }

    #[cfg_attr(not(feature = "csv"), allow(dead_code))]
    /// A writer's failure.
    pub(crate) fn io(err: std::io::Error) -> Error {
        Error::io_doing("writing", &err)
    }

    /// A reader's failure.
    #[cfg_attr(not(feature = "csv"), allow(dead_code))]
    pub(crate) fn io_reading(err: std::io::Error) -> Error {
        Error::io_doing("reading", &err)
    }

    fn io_doing(doing: &'static str, err: &std::io::Error) -> Error {
        let (kind, message) = (err.kind(), err.to_string());
        Error::new(
            Subject::None,
            Reason::Io {
                doing,
                kind,
                message,
            },
        )
    }

    /// A text kept for people (a history note) is too long: `reason` says which and by how much.
    pub(crate) fn text(reason: Reason) -> Error {
        Error::new(Subject::None, reason)
    }

    /// A revision past the registry's was named.
    pub(crate) fn template(template: &str, why: &str) -> Error {
        let template = Excerpt::new(template);
        Error::text(Reason::InvalidTemplate {
            template,
            why: why.to_owned(),
        })
    }

    pub(crate) fn exhausted(why: String) -> Error {
        Error::text(Reason::NamespaceExhausted(why))
    }

    pub(crate) fn unknown_revision(named: u64, revision: u64) -> Error {
        Error::new(Subject::None, Reason::UnknownRevision { named, revision })
    }

    /// An order of a batch names a program its catalog has no engine for.
    pub(crate) fn no_engine(program: ProgramId) -> Error {
        Error::new(Subject::None, Reason::NoEngine(program.0))
    }

    pub(crate) fn at_row(mut self, row: usize) -> Error {
        self.0.row = Some(row);
        self
    }

    /// An error about the content of a bulk file, placed with [`at_line`](Error::at_line) and
    /// [`in_column`](Error::in_column).
    #[cfg_attr(not(feature = "csv"), allow(dead_code))]
    pub(crate) fn bulk(reason: Reason) -> Error {
        Error::new(Subject::None, reason)
    }

    /// Places the error on a line of a bulk file. The batch row is dropped: the line says more.
    #[cfg_attr(not(feature = "csv"), allow(dead_code))]
    pub(crate) fn at_line(mut self, line: u64) -> Error {
        self.0.line = Some(line);
        self.0.row = None;
        self
    }

    /// Places the error in a column of a bulk file (`number` is one-based).
    #[cfg_attr(not(feature = "csv"), allow(dead_code))]
    pub(crate) fn in_column(mut self, number: usize, name: &str) -> Error {
        self.0.column = Some(Column {
            number,
            name: cut_name(name),
        });
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(row) = self.0.row {
            write!(f, "row {row}: ")?;
        }
        if let Some(line) = self.0.line {
            write!(f, "line {line}")?;
            if let Some(Column { number, name }) = &self.0.column {
                write!(f, ", column {number} ({name})")?;
            }
            f.write_str(": ")?;
        }
        match &self.0.subject {
            Subject::None => {}
            Subject::Code {
                id,
                text: Some(text),
            } => write!(f, "code {id} {text}: ")?,
            Subject::Code { id, text: None } => write!(f, "code {id}: ")?,
            Subject::Contract(partner) => write!(f, "contract of partner {partner}: ")?,
            Subject::ExceptionList { name, entry: None } => {
                write!(f, "exception list {name}: ")?;
            }
            Subject::ExceptionList {
                name,
                entry: Some(entry),
            } => write!(f, "exception list {name}, code {entry}: ")?,
            Subject::Input(input) => write!(f, "{input} ")?,
            Subject::Suggestion(text) => write!(f, "suggested code {text}: ")?,
        }
        write!(f, "{}", self.0.reason)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind())
            .field("message", &self.to_string())
            .finish()
    }
}

impl std::error::Error for Error {}
