//! The kinds of [`Error`](crate::Error) a caller branches on, and the private reasons behind
//! them, each with the message it prints and the kind it is.

use std::fmt;

use super::excerpt::Excerpt;
use super::ids::CodeId;
use super::limits::{MAX_CODE_LEN, MAX_REGEX_SIZE};

/// What went wrong, for callers that branch on the kind of an [`Error`](crate::Error).
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
    /// name past [`MAX_LABEL_LEN`](crate::limits::MAX_LABEL_LEN) bytes, a history note past
    /// [`MAX_NOTE_LEN`](crate::limits::MAX_NOTE_LEN).
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
    /// [`Error::io_kind`](crate::Error::io_kind) says how, the message says what it reported.
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
    pub(super) fn kind(&self) -> ErrorKind {
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
