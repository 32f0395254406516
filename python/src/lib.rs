//! The Python module `promo_attribution._native`: thin wrappers over the crate. The Python
//! package (`promo_attribution/`) re-exports it with type stubs and adds the conformance runner.
//!
//! Conventions: ids are plain `int`s; instants are RFC 3339 `str`s or time-zone-aware
//! `datetime`s; names of settings and outcomes are the crate's snake_case names; every error is
//! a `PromoAttributionError` whose `kind` is the crate's [`ErrorKind`] name.

mod action;
mod arrow;
mod capsule;
mod catalog;
mod changes;
mod convert;
mod engine;
mod errors;
mod generate;
mod registry;
mod table;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add(
        "PromoAttributionError",
        m.py().get_type::<errors::PromoAttributionError>(),
    )?;
    // The names the binding takes, from the crate's own declaration: the stubs' `Literal` is
    // checked against it by a test.
    m.add(
        "CREDIT_POLICIES",
        promo_attribution::CreditPolicy::ALL.map(promo_attribution::CreditPolicy::as_str),
    )?;
    // The columns the Arrow entry points write, from the code that writes them.
    m.add("OUTPUT_COLUMNS", arrow::output_column_names())?;
    let (change_results, final_states) = changes::judged_column_names();
    m.add("CHANGE_RESULT_COLUMNS", change_results)?;
    m.add("FINAL_STATE_COLUMNS", final_states)?;
    m.add_class::<registry::PyRegistry>()?;
    m.add_class::<registry::PyUpload>()?;
    m.add_class::<engine::PyEngine>()?;
    m.add_class::<catalog::PyCatalog>()?;
    m.add_class::<engine::PyDecision>()?;
    m.add_class::<engine::PyPerformanceReport>()?;
    m.add_class::<capsule::ArrowBatch>()?;
    m.add_class::<action::PyAction>()?;
    m.add_class::<action::PyJudgement>()?;
    m.add_function(wrap_pyfunction!(changes::judge_arrow, m)?)?;
    Ok(())
}
