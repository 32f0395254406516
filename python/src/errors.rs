//! The one exception type, carrying the crate error's kind and place.

use promo_attribution::{BulkError, Error};
use pyo3::prelude::*;

pyo3::create_exception!(
    promo_attribution,
    PromoAttributionError,
    pyo3::exceptions::PyException,
    "An error from the promo_attribution crate. `kind` is the error kind's snake_case name \
     (`duplicate_code`, `invalid_window`, ...); `line`, `column`, `row` and `code_id` say \
     where, when known; a bulk failure carries every problem in `errors`."
);

/// The exception for one crate error.
pub(crate) fn to_py(err: &Error) -> PyErr {
    Python::attach(|py| {
        let exc = PromoAttributionError::new_err(err.to_string());
        let value = exc.value(py);
        let set = || -> PyResult<()> {
            value.setattr("kind", err.kind().as_str())?;
            value.setattr("line", err.line())?;
            value.setattr("column", err.column())?;
            value.setattr("column_number", err.column_number())?;
            value.setattr("row", err.row())?;
            value.setattr("code_id", err.code_id().map(|id| id.0))?;
            value.setattr("errors", pyo3::types::PyList::empty(py))?;
            Ok(())
        };
        match set() {
            Ok(()) => exc,
            Err(failed) => failed,
        }
    })
}

/// The exception for a failed batch: the first problem's kind and place, every problem in
/// `errors`.
pub(crate) fn bulk_to_py(err: &BulkError) -> PyErr {
    let Some(first) = err.errors().first() else {
        return PromoAttributionError::new_err(err.to_string());
    };
    let exc = to_py(first);
    Python::attach(|py| {
        let all: Vec<PyErr> = err.errors().iter().map(to_py).collect();
        let values: Vec<Bound<'_, PyAny>> =
            all.iter().map(|e| e.value(py).clone().into_any()).collect();
        let value = exc.value(py);
        let set = || -> PyResult<()> {
            value.setattr("errors", values)?;
            // The message of the whole batch, which counts the problems.
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
    Python::attach(|py| {
        let exc = PromoAttributionError::new_err(message.into());
        let value = exc.value(py);
        let set = || -> PyResult<()> {
            value.setattr("kind", kind)?;
            for attr in ["line", "column", "column_number", "row", "code_id"] {
                value.setattr(attr, py.None())?;
            }
            value.setattr("errors", pyo3::types::PyList::empty(py))?;
            Ok(())
        };
        match set() {
            Ok(()) => exc,
            Err(failed) => failed,
        }
    })
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
