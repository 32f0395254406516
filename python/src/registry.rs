//! `Registry` and `Upload`.

use std::collections::BTreeMap;

use promo_attribution::bulk::Upload;
use promo_attribution::history::{Checkpoint, RefreshPlan};
use promo_attribution::{
    Code, CodeId, Contract, CreditPolicy, ExceptionList, PartnerId, ProgramId, Registry, Window,
};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::convert::{instant, named, optional_instant, settings};
use crate::engine::PyEngine;
use crate::errors::{OrRaise, to_py};
use crate::generate;

/// The registry of one program: codes, restricted codes, contracts, exception lists, and every
/// change made to them, validated as they come.
#[pyclass(name = "Registry", module = "promo_attribution")]
pub(crate) struct PyRegistry {
    pub(crate) inner: Registry,
}

fn window(
    starts_at: Option<&Bound<'_, PyAny>>,
    ends_at: Option<&Bound<'_, PyAny>>,
) -> PyResult<Window> {
    Ok(Window {
        from: optional_instant(starts_at)?,
        until: optional_instant(ends_at)?,
    })
}

#[pymethods]
impl PyRegistry {
    /// An empty registry; keyword arguments are the program's settings.
    #[new]
    #[pyo3(signature = (**settings_kwargs))]
    fn new(settings_kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        Ok(PyRegistry {
            inner: Registry::new(settings(settings_kwargs)?),
        })
    }

    /// Registers a tracking code.
    #[pyo3(signature = (id, code, owner, *, credit="always", regex=false, priority=0,
        starts_at=None, ends_at=None, deal=None, label=None))]
    #[allow(clippy::too_many_arguments)]
    fn add_tracking(
        &mut self,
        id: u64,
        code: String,
        owner: u64,
        credit: &str,
        regex: bool,
        priority: i32,
        starts_at: Option<&Bound<'_, PyAny>>,
        ends_at: Option<&Bound<'_, PyAny>>,
        deal: Option<u64>,
        label: Option<String>,
    ) -> PyResult<()> {
        let mut tracking = Code::tracking(CodeId(id), code, PartnerId(owner))
            .credit(named::<CreditPolicy>(credit)?)
            .priority(priority)
            .window(window(starts_at, ends_at)?);
        if regex {
            tracking = tracking.regex();
        }
        if let Some(deal) = deal {
            tracking = tracking.deal(deal);
        }
        if let Some(label) = label {
            tracking = tracking.label(label);
        }
        self.inner.add(tracking).or_raise()
    }

    /// Registers a restricted code: an order carrying it is not payable.
    #[pyo3(signature = (id, code, *, ends_at=None, starts_at=None, label=None))]
    fn add_restricted(
        &mut self,
        id: u64,
        code: String,
        ends_at: Option<&Bound<'_, PyAny>>,
        starts_at: Option<&Bound<'_, PyAny>>,
        label: Option<String>,
    ) -> PyResult<()> {
        let mut restricted = Code::restricted(CodeId(id), code).window(window(starts_at, ends_at)?);
        if let Some(label) = label {
            restricted = restricted.label(label);
        }
        self.inner.add(restricted).or_raise()
    }

    /// Expires a code manually from `at` on.
    fn expire(&mut self, id: u64, at: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.expire(CodeId(id), instant(at)?).or_raise()
    }

    /// Reactivates a manually expired code from `at` on.
    fn reactivate(&mut self, id: u64, at: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.reactivate(CodeId(id), instant(at)?).or_raise()
    }

    /// Hands a tracking code to partner `to` from `at` on.
    fn transfer(&mut self, id: u64, to: u64, at: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner
            .transfer(CodeId(id), PartnerId(to), instant(at)?)
            .or_raise()
    }

    /// Changes a tracking code's credit policy from `at` on.
    fn set_credit(&mut self, id: u64, credit: &str, at: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner
            .set_credit(CodeId(id), named::<CreditPolicy>(credit)?, instant(at)?)
            .or_raise()
    }

    /// Moves a code's schedule; `None` is an open end.
    #[pyo3(signature = (id, starts_at=None, ends_at=None))]
    fn set_window(
        &mut self,
        id: u64,
        starts_at: Option<&Bound<'_, PyAny>>,
        ends_at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.inner
            .set_window(CodeId(id), window(starts_at, ends_at)?)
            .or_raise()
    }

    /// Sets or clears a tracking code's deal id.
    #[pyo3(signature = (id, deal=None))]
    fn set_deal(&mut self, id: u64, deal: Option<u64>) -> PyResult<()> {
        self.inner.set_deal(CodeId(id), deal).or_raise()
    }

    /// Sets or clears a code's label.
    #[pyo3(signature = (id, label=None))]
    fn set_label(&mut self, id: u64, label: Option<String>) -> PyResult<()> {
        self.inner.set_label(CodeId(id), label).or_raise()
    }

    /// Withdraws a code that has never been in effect (as of `now`).
    fn remove(&mut self, id: u64, now: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.remove(CodeId(id), instant(now)?).or_raise()
    }

    /// Sets a partner's contract: the window it is active in, and its payout.
    #[pyo3(signature = (partner, *, starts_at=None, ends_at=None, payout=None))]
    fn set_contract(
        &mut self,
        partner: u64,
        starts_at: Option<&Bound<'_, PyAny>>,
        ends_at: Option<&Bound<'_, PyAny>>,
        payout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let mut contract = Contract::new(window(starts_at, ends_at)?);
        if let Some(p) = payout {
            contract = contract.payout(crate::convert::payout(p)?);
        }
        self.inner
            .set_contract(PartnerId(partner), contract)
            .or_raise()
    }

    /// Removes a partner's contract; whether there was one.
    fn remove_contract(&mut self, partner: u64) -> bool {
        self.inner.remove_contract(PartnerId(partner)).is_some()
    }

    /// Adds an exception list: codes that set the payout, over contracts and the default.
    #[pyo3(signature = (name, codes, payout, *, match_expression=None))]
    fn add_exception_list(
        &mut self,
        name: String,
        codes: Vec<String>,
        payout: &Bound<'_, PyAny>,
        match_expression: Option<String>,
    ) -> PyResult<()> {
        let mut list = ExceptionList::new(name, crate::convert::payout(payout)?).codes(codes);
        if let Some(expression) = match_expression {
            list = list.match_expression(expression);
        }
        self.inner.add_exception_list(list).or_raise()
    }

    /// The number of changes made so far.
    #[getter]
    fn revision(&self) -> u64 {
        self.inner.revision()
    }

    /// Folds the history up to revision `through` into the registry's base (a smaller
    /// snapshot, a faster restart); returns the checkpoint as `(revision, digest)`, the digest
    /// the SHA-256 of the changes folded in lowercase hex. Revisions go on where they were.
    fn checkpoint(&mut self, through: u64) -> PyResult<(u64, String)> {
        let checkpoint = self.inner.checkpoint(through).or_raise()?;
        Ok(checkpoint_tuple(checkpoint))
    }

    /// The last checkpoint as `(revision, digest)`, or `None`.
    #[getter]
    fn last_checkpoint(&self) -> Option<(u64, String)> {
        self.inner.last_checkpoint().map(checkpoint_tuple)
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "Registry(codes={}, revision={})",
            self.inner.len(),
            self.inner.revision()
        )
    }

    /// The owner of a tracking code at `at`, or `None`.
    fn owner_at(&self, id: u64, at: &Bound<'_, PyAny>) -> PyResult<Option<u64>> {
        Ok(self.inner.owner_at(CodeId(id), instant(at)?).map(|p| p.0))
    }

    /// The registry as bytes (the crate's binary snapshot), to store or to ship to workers.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_bytes())
    }

    /// A registry from `to_bytes`'s output. `validate=True` re-checks every code, for bytes
    /// from a source not trusted; the checksum is checked either way.
    #[staticmethod]
    #[pyo3(signature = (data, *, validate=false))]
    fn from_bytes(data: &[u8], validate: bool) -> PyResult<PyRegistry> {
        let inner = if validate {
            Registry::from_bytes_validated(data)
        } else {
            Registry::from_bytes(data)
        };
        Ok(PyRegistry {
            inner: inner.or_raise()?,
        })
    }

    /// Compiles an engine of the registry as it is now.
    fn compile(&self, py: Python<'_>) -> PyResult<PyEngine> {
        let registry = &self.inner;
        let engine = py.detach(|| registry.compile()).or_raise()?;
        Ok(PyEngine::new(engine))
    }

    /// `engine` brought up to this registry's revision, at the cost of the changes since
    /// (or by a full compile: `refresh_plan` says which, beforehand).
    fn refresh(&self, engine: &PyEngine) -> PyResult<PyEngine> {
        Ok(PyEngine::new(self.inner.refresh(&engine.inner).or_raise()?))
    }

    /// Generates `count` codes for `partner` from `template`, as `Engine.generate` does
    /// against this registry as it is (`engine` is brought up to date first), and registers
    /// them in one batch with `note` in the history, ids `first_id` onwards; returns
    /// `(id, code)` pairs. Nothing is registered when it raises.
    #[pyo3(signature = (engine, partner, template, count, first_id, *, seed=0, note="generated",
        starts_at=None, ends_at=None, alphabet=None, credit="always"))]
    #[allow(clippy::too_many_arguments)]
    fn add_generated(
        &mut self,
        engine: &PyEngine,
        partner: u64,
        template: &str,
        count: usize,
        first_id: u64,
        seed: u64,
        note: &str,
        starts_at: Option<&Bound<'_, PyAny>>,
        ends_at: Option<&Bound<'_, PyAny>>,
        alphabet: Option<&str>,
        credit: &str,
    ) -> PyResult<Vec<(u64, String)>> {
        let request = generate::request(
            partner, template, count, seed, starts_at, ends_at, alphabet, credit,
        )?;
        let codes = self
            .inner
            .add_generated(&engine.inner, &request, CodeId(first_id), note)
            .or_raise()?;
        Ok(codes
            .iter()
            .map(|c| (c.id().0, c.text().to_owned()))
            .collect())
    }

    /// How `refresh` would bring `engine` up to date: `"incremental"` (at the cost of the
    /// changes since its revision) or the reason for a full compile: `"other_lineage"` (the
    /// engine is of a registry whose history this one does not share), `"engine_ahead"`,
    /// `"compaction"`, `"before_checkpoint"` (the changes since the engine's revision were
    /// folded by `checkpoint`).
    fn refresh_plan(&self, engine: &PyEngine) -> &'static str {
        match self.inner.refresh_plan(&engine.inner) {
            RefreshPlan::Incremental { .. } => "incremental",
            RefreshPlan::OtherLineage => "other_lineage",
            RefreshPlan::EngineAhead => "engine_ahead",
            RefreshPlan::Compaction => "compaction",
            RefreshPlan::BeforeCheckpoint => "before_checkpoint",
            // A reason this binding does not name yet.
            _ => "full_compile",
        }
    }
}

fn checkpoint_tuple(checkpoint: Checkpoint) -> (u64, String) {
    (checkpoint.revision(), checkpoint.digest_hex())
}

/// A bulk file (SPEC §6) read and checked against the registries it will go to.
#[pyclass(name = "Upload", module = "promo_attribution")]
pub(crate) struct PyUpload {
    inner: Upload,
}

fn programs_of<'py>(
    registries: &Bound<'py, PyDict>,
) -> PyResult<Vec<(ProgramId, Bound<'py, PyRegistry>)>> {
    registries
        .iter()
        .map(|(k, v)| Ok((ProgramId(k.extract()?), v.cast_into::<PyRegistry>()?)))
        .collect()
}

#[pymethods]
impl PyUpload {
    /// Reads and checks a whole file (`str` or `bytes`), changing nothing. `registries` maps
    /// program ids to the registries their rows would go to.
    #[staticmethod]
    fn review(csv: &Bound<'_, PyAny>, registries: &Bound<'_, PyDict>) -> PyResult<PyUpload> {
        let bytes: Vec<u8> = match csv.extract::<String>() {
            Ok(text) => text.into_bytes(),
            Err(_) => csv.extract::<Vec<u8>>()?,
        };
        let programs = programs_of(registries)?;
        let borrowed: Vec<(ProgramId, PyRef<'_, PyRegistry>)> = programs
            .iter()
            .map(|(p, r)| Ok((*p, r.try_borrow()?)))
            .collect::<PyResult<_>>()?;
        let by_program: BTreeMap<ProgramId, &Registry> =
            borrowed.iter().map(|(p, r)| (*p, &r.inner)).collect();
        let inner = Upload::review(bytes, |p| by_program.get(&p).copied());
        Ok(PyUpload { inner })
    }

    /// Whether the file has no problem.
    #[getter]
    fn is_clean(&self) -> bool {
        self.inner.is_clean()
    }

    /// Every problem, in line order, as `PromoAttributionError` values (not raised).
    #[getter]
    fn problems(&self, py: Python<'_>) -> Vec<Py<PyAny>> {
        self.inner
            .problems()
            .iter()
            .map(|p| to_py(p).value(py).clone().into_any().unbind())
            .collect()
    }

    /// The valid rows as `(line, program_id, code_id)`, in file order.
    #[getter]
    fn rows(&self) -> Vec<(u64, u64, u64)> {
        self.inner
            .rows()
            .iter()
            .map(|r| (r.line(), r.program().0, r.code().id().0))
            .collect()
    }

    /// The lines of the rows with a problem.
    #[getter]
    fn rejected_lines(&self) -> Vec<u64> {
        self.inner.rejected_lines()
    }

    /// The rows with a problem as a file of their own, header first.
    fn rejected_csv(&self) -> String {
        self.inner.rejected_csv()
    }

    /// The programs of the valid rows, ascending.
    #[getter]
    fn programs(&self) -> Vec<u64> {
        self.inner.programs().into_iter().map(|p| p.0).collect()
    }

    /// Adds every row, or nothing when any row has a problem; returns the codes added.
    fn apply(&self, registries: &Bound<'_, PyDict>) -> PyResult<usize> {
        self.apply_with(registries, false)
    }

    /// Adds the valid rows (all or nothing among them); returns the codes added.
    fn apply_valid(&self, registries: &Bound<'_, PyDict>) -> PyResult<usize> {
        self.apply_with(registries, true)
    }

    fn __len__(&self) -> usize {
        self.inner.rows().len()
    }
}

impl PyUpload {
    fn apply_with(&self, registries: &Bound<'_, PyDict>, valid_only: bool) -> PyResult<usize> {
        let programs = programs_of(registries)?;
        let mut borrowed: Vec<(ProgramId, PyRefMut<'_, PyRegistry>)> = programs
            .iter()
            .map(|(p, r)| Ok((*p, r.try_borrow_mut()?)))
            .collect::<PyResult<_>>()?;
        let targets = borrowed.iter_mut().map(|(p, r)| (*p, &mut r.inner));
        if valid_only {
            self.inner.apply_valid(targets).or_raise()
        } else {
            self.inner.apply(targets).or_raise()
        }
    }
}
