//! A `Catalog` of engines by program, from Python: built from engines or compiled from
//! registries, attributing one order or a table at a time.

use std::collections::BTreeMap;

use promo_attribution::{Catalog, Conversion, ProgramId};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

use crate::arrow::{self, Program, Programs};
use crate::capsule;
use crate::engine::{Order, PyDecision, PyEngine};
use crate::errors::OrRaise;
use crate::registry::PyRegistry;

/// Engines by program id: routes each order to its program's engine.
#[pyclass(name = "Catalog", module = "promo_attribution", frozen)]
pub(crate) struct PyCatalog {
    inner: Catalog,
}

#[pymethods]
impl PyCatalog {
    /// A catalog from `{program_id: Engine}`.
    #[new]
    #[pyo3(signature = (engines=None))]
    fn new(engines: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let mut inner = Catalog::new();
        if let Some(engines) = engines {
            for (program, engine) in engines.iter() {
                let engine = engine.cast_into::<PyEngine>()?;
                inner.insert(ProgramId(program.extract()?), engine.get().inner.clone());
            }
        }
        Ok(PyCatalog { inner })
    }

    /// A catalog compiled from `{program_id: Registry}`.
    #[classmethod]
    fn compile(_cls: &Bound<'_, PyType>, registries: &Bound<'_, PyDict>) -> PyResult<PyCatalog> {
        let mut inner = Catalog::new();
        for (program, registry) in registries.iter() {
            let registry = registry.cast_into::<PyRegistry>()?;
            let engine = registry.try_borrow()?.inner.compile().or_raise()?;
            inner.insert(ProgramId(program.extract()?), engine);
        }
        Ok(PyCatalog { inner })
    }

    /// The engine of a program, or `None`.
    fn get(&self, program: u64) -> Option<PyEngine> {
        self.inner
            .get(ProgramId(program))
            .cloned()
            .map(PyEngine::new)
    }

    /// The program ids, ascending.
    #[getter]
    fn programs(&self) -> Vec<u64> {
        self.inner.programs().map(|p| p.0).collect()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// One order of `program`; see `Engine.attribute`.
    #[pyo3(signature = (program, at, codes=Vec::new(), clicks=None, amount=0))]
    fn attribute(
        &self,
        program: u64,
        at: &Bound<'_, PyAny>,
        codes: Vec<String>,
        clicks: Option<&Bound<'_, PyAny>>,
        amount: u64,
    ) -> PyResult<PyDecision> {
        let order = Order::read(at, clicks)?;
        let conversion = order.conversion(&codes, amount);
        let decision = self
            .inner
            .attribute(ProgramId(program), &conversion)
            .or_raise()?;
        Ok(PyDecision::from(&decision))
    }

    /// Like `Engine.attribute_arrow` (`threads` included), each row by the engine of its
    /// `program_id` (int64, required); `revision` is that engine's.
    #[pyo3(signature = (data, *, threads = None))]
    fn attribute_arrow<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let threads = arrow::threads(threads)?;
        let batches = capsule::import(data)?;
        let catalog = &self.inner;
        // One revision column for a catalog: each row gets its own program's.
        let programs: BTreeMap<ProgramId, Program> = catalog
            .programs()
            .filter_map(|p| {
                catalog.get(p).map(|e| {
                    let program = Program {
                        revision: e.revision() as i64,
                        settings: e.settings().clone(),
                    };
                    (p, program)
                })
            })
            .collect();
        let out = py.detach(|| {
            arrow::attribute_batches(&batches, Programs::ByProgram(&programs), threads, |rows| {
                let routed: Vec<(ProgramId, Conversion<'_>)> = rows.routed();
                catalog.attribute_batch(&routed)
            })
        })?;
        capsule::to_pyarrow(py, out, data)
    }
}
