//! The crate's one error type, opaque over a private reason, plus the batch wrapper.
//!
//! Errors come from configuration — registering codes, contracts and events, compiling, parsing
//! instants — never from attributing an order: bad order input becomes diagnostics instead.

use std::fmt;

use super::excerpt::{Excerpt, cut_name};
use super::ids::{CodeId, PartnerId, ProgramId};
pub use super::reason::ErrorKind;
pub(crate) use super::reason::Reason;

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
