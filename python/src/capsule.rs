//! The Arrow PyCapsule interface: record batches taken from any producer without a copy, and
//! results handed back the same way. The package's only `unsafe` is here: taking the C
//! structures out of the capsules.

use std::ffi::CStr;

use arrow_array::cast::AsArray;
use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::ffi_stream::{FFI_ArrowArrayStream, RecordBatchStreamReader};
use arrow_array::{RecordBatch, RecordBatchIterator, make_array};
use arrow_schema::SchemaRef;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyTuple};

use crate::errors::other;

const SCHEMA_CAPSULE: &CStr = c"arrow_schema";
const ARRAY_CAPSULE: &CStr = c"arrow_array";
const STREAM_CAPSULE: &CStr = c"arrow_array_stream";

/// The record batches of a pyarrow `Table`, `RecordBatch`, `RecordBatchReader`, or of any
/// object exporting `__arrow_c_array__` (a struct array) or `__arrow_c_stream__`.
pub(crate) fn import(data: &Bound<'_, PyAny>) -> PyResult<Vec<RecordBatch>> {
    if data.hasattr("__arrow_c_array__")? {
        let pair = data.call_method0("__arrow_c_array__")?;
        let pair = pair.cast::<PyTuple>()?;
        let schema = pair.get_item(0)?.cast_into::<PyCapsule>()?;
        let array = pair.get_item(1)?.cast_into::<PyCapsule>()?;
        let schema_ptr = schema
            .pointer_checked(Some(SCHEMA_CAPSULE))?
            .cast::<FFI_ArrowSchema>();
        let array_ptr = array
            .pointer_checked(Some(ARRAY_CAPSULE))?
            .cast::<FFI_ArrowArray>();
        // SAFETY: the capsules are named as the PyCapsule interface requires, so they hold an
        // ArrowSchema and an ArrowArray. `from_raw` moves the array out (marking the capsule's
        // released), and the schema is only borrowed while the capsule is alive.
        let data = unsafe {
            let array = FFI_ArrowArray::from_raw(array_ptr.as_ptr());
            arrow_array::ffi::from_ffi(array, schema_ptr.as_ref())
        }
        .map_err(|e| other("invalid_value", format!("cannot read the Arrow array: {e}")))?;
        let array = make_array(data);
        let Some(columns) = array.as_struct_opt() else {
            return Err(other(
                "invalid_value",
                format!(
                    "expected a table or record batch, got an Arrow {}",
                    array.data_type()
                ),
            ));
        };
        return Ok(vec![RecordBatch::from(columns.clone())]);
    }
    if data.hasattr("__arrow_c_stream__")? {
        let capsule = data
            .call_method0("__arrow_c_stream__")?
            .cast_into::<PyCapsule>()?;
        let stream_ptr = capsule
            .pointer_checked(Some(STREAM_CAPSULE))?
            .cast::<FFI_ArrowArrayStream>();
        // SAFETY: a capsule so named holds an ArrowArrayStream; `from_raw` moves it out and
        // marks the capsule's released.
        let stream = unsafe { FFI_ArrowArrayStream::from_raw(stream_ptr.as_ptr()) };
        let reader = RecordBatchStreamReader::try_new(stream).map_err(|e| {
            other(
                "invalid_value",
                format!("cannot read the Arrow stream: {e}"),
            )
        })?;
        return reader
            .map(|batch| {
                batch.map_err(|e| {
                    other(
                        "invalid_value",
                        format!("cannot read the Arrow stream: {e}"),
                    )
                })
            })
            .collect();
    }
    Err(other(
        "invalid_value",
        format!(
            "expected a pyarrow Table or RecordBatch (an object with __arrow_c_stream__ or \
             __arrow_c_array__), got {}",
            data.get_type()
        ),
    ))
}

/// The results as the input's kind: a pyarrow `RecordBatch` for a `RecordBatch`, else a
/// pyarrow `Table`.
pub(crate) fn to_pyarrow<'py>(
    py: Python<'py>,
    result: ArrowBatch,
    like: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let pa = py.import("pyarrow")?;
    let table = pa.call_method1("table", (Bound::new(py, result)?,))?;
    if like.is_instance(&pa.getattr("RecordBatch")?)? {
        let batches = table
            .call_method0("combine_chunks")?
            .call_method0("to_batches")?;
        if batches.len()? > 0 {
            return batches.get_item(0);
        }
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("schema", table.getattr("schema")?)?;
        return pa.getattr("RecordBatch")?.call_method(
            "from_pylist",
            (pyo3::types::PyList::empty(py),),
            Some(&kwargs),
        );
    }
    Ok(table)
}

/// Attribution results as Arrow record batches, exported through `__arrow_c_stream__`
/// (`pyarrow.table(result)` takes them without a copy).
#[pyclass(module = "promo_attribution", frozen)]
pub(crate) struct ArrowBatch {
    batches: Vec<RecordBatch>,
    schema: SchemaRef,
}

impl ArrowBatch {
    /// Batches of `schema` (which an empty result still has).
    pub(crate) fn new(batches: Vec<RecordBatch>, schema: SchemaRef) -> ArrowBatch {
        ArrowBatch { batches, schema }
    }
}

#[pymethods]
impl ArrowBatch {
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        // The schema is ours to choose; a requested one is a hint the interface lets us ignore.
        let _ = requested_schema;
        let reader = RecordBatchIterator::new(
            self.batches.clone().into_iter().map(Ok),
            self.schema.clone(),
        );
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new_with_value(py, stream, STREAM_CAPSULE)
    }

    /// The number of rows.
    fn __len__(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}
