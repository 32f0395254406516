//! The one exception type, carrying the crate error's kind and place.

use promo_attribution::{BulkError, Error};
use pyo3::prelude::*;
use pyo3::types::PyList;

pyo3::create_exception!(
    promo_attribution,
    PromoAttributionError,
    pyo3::exceptions::PyException,
    "An error from the promo_attribution crate. `kind` is the error kind's snake_case name \
     (`duplicate_code`, `invalid_window`, ...); `line`, `column`, `column_number`, `row` and \
     `code_id` say where, when known; a bulk failure carries every problem in `errors`."
);

/// Where an error is, as far as it is known.
#[derive(Default)]
struct Place<'a> {
    line: Option<u64>,
    column: Option<&'a str>,
    column_number: Option<usize>,
    row: Option<usize>,
    code_id: Option<u64>,
}

/// A `PromoAttributionError` with every attribute set, `errors` empty.
fn exception(kind: &str, message: String, place: Place<'_>) -> PyErr {
    Python::attach(|py| {
        let exc = PromoAttributionError::new_err(message);
        let value = exc.value(py);
        let set = || -> PyResult<()> {
            value.setattr("kind", kind)?;
            value.setattr("line", place.line)?;
            value.setattr("column", place.column)?;
            value.setattr("column_number", place.column_number)?;
            value.setattr("row", place.row)?;
            value.setattr("code_id", place.code_id)?;
            value.setattr("errors", PyList::empty(py))?;
            Ok(())
        };
        match set() {
            Ok(()) => exc,
            Err(failed) => failed,
        }
    })
}

/// The exception for one crate error.
pub(crate) fn to_py(err: &Error) -> PyErr {
    let place = Place {
        line: err.line(),
        column: err.column(),
        column_number: err.column_number(),
        row: err.row(),
        code_id: err.code_id().map(|id| id.0),
    };
    exception(err.kind().as_str(), err.to_string(), place)
}

/// The exception for a failed batch: the first problem's kind and place, the message of the
/// whole batch (which counts the problems), every problem in `errors`.
pub(crate) fn bulk_to_py(err: &BulkError) -> PyErr {
    let Some(first) = err.errors().first() else {
        return exception("bulk", err.to_string(), Place::default());
    };
    let exc = to_py(first);
    Python::attach(|py| {
        let all: Vec<PyErr> = err.errors().iter().map(to_py).collect();
        let values: Vec<Bound<'_, PyAny>> =
            all.iter().map(|e| e.value(py).clone().into_any()).collect();
        let value = exc.value(py);
        let set = || -> PyResult<()> {
            value.setattr("errors", values)?;
            value.setattr("args", (err.to_string(),))?;
            Ok(())
        };
        match set() {
            Ok(()) => exc,
            Err(failed) => failed,
        }
    })
}

/// A `PromoAttributionError` of a kind the crate has no value for (bad arguments at the
/// binding's edge), named like the crate's kinds.
pub(crate) fn other(kind: &str, message: impl Into<String>) -> PyErr {
    exception(kind, message.into(), Place::default())
}

/// A `PromoAttributionError` about table input: its kind, and the row (0-based over the whole
/// input) and column it is about, when known.
pub(crate) fn in_table(
    kind: &str,
    message: String,
    row: Option<usize>,
    column: Option<&str>,
) -> PyErr {
    exception(
        kind,
        message,
        Place {
            row,
            column,
            ..Place::default()
        },
    )
}

pub(crate) trait OrRaise<T> {
    fn or_raise(self) -> PyResult<T>;
}

impl<T> OrRaise<T> for Result<T, Error> {
    fn or_raise(self) -> PyResult<T> {
        self.map_err(|err| to_py(&err))
    }
}

impl<T> OrRaise<T> for Result<T, BulkError> {
    fn or_raise(self) -> PyResult<T> {
        self.map_err(|err| bulk_to_py(&err))
    }
}
