//! Arrow in, Arrow out, through the Arrow PyCapsule interface: the input's buffers are read
//! where pyarrow (or any other producer) put them, and the results go back the same way.
//!
//! The only `unsafe` of the package is here: taking the C structures out of the capsules.

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::ffi_stream::{FFI_ArrowArrayStream, RecordBatchStreamReader};
use arrow_array::types::{
    Int64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType,
};
use arrow_array::{
    Array, ArrayRef, GenericListArray, Int64Array, RecordBatch, RecordBatchIterator, StringArray,
    make_array,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use promo_attribution::{Attribution, Click, Conversion, Error, PartnerId, ProgramId, Timestamp};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyTuple};

use crate::convert::outcome_parts;
use crate::errors::{other, to_py};

const SCHEMA_CAPSULE: &CStr = c"arrow_schema";
const ARRAY_CAPSULE: &CStr = c"arrow_array";
const STREAM_CAPSULE: &CStr = c"arrow_array_stream";

/// Why a batch could not be attributed, made into an exception once the GIL is held again.
pub(crate) enum Failure {
    /// Bad input: the error kind's name and the message.
    Input(&'static str, String),
    Crate(Error),
}

impl From<Failure> for PyErr {
    fn from(failure: Failure) -> PyErr {
        match failure {
            Failure::Input(kind, message) => other(kind, message),
            Failure::Crate(err) => to_py(&err),
        }
    }
}

fn input(message: String) -> Failure {
    Failure::Input("invalid_value", message)
}

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

/// The orders of one record batch, read into the crate's types; texts stay in the batch.
pub(crate) struct Rows<'a> {
    at: Vec<Timestamp>,
    amounts: Vec<u64>,
    programs: Vec<ProgramId>,
    texts: Vec<&'a str>,
    text_ends: Vec<usize>,
    clicks: Vec<Click>,
    click_ends: Vec<usize>,
}

impl<'a> Rows<'a> {
    pub(crate) fn conversions(&self) -> Vec<Conversion<'_>> {
        let mut text_start = 0;
        let mut click_start = 0;
        (0..self.at.len())
            .map(|i| {
                let codes = &self.texts[text_start..self.text_ends[i]];
                let clicks = &self.clicks[click_start..self.click_ends[i]];
                text_start = self.text_ends[i];
                click_start = self.click_ends[i];
                Conversion::new(self.at[i])
                    .codes(codes)
                    .clicks(clicks)
                    .amount(self.amounts[i])
            })
            .collect()
    }

    pub(crate) fn routed(&self) -> Vec<(ProgramId, Conversion<'_>)> {
        self.programs
            .iter()
            .copied()
            .zip(self.conversions())
            .collect()
    }
}

/// Instants of a timestamp column in Unix milliseconds, whatever its unit (below the
/// millisecond, towards the past: the crate's resolution).
fn millis(column: &dyn Array, row: usize) -> Option<i64> {
    if column.is_null(row) {
        return None;
    }
    let DataType::Timestamp(unit, _) = column.data_type() else {
        return None;
    };
    Some(match unit {
        TimeUnit::Second => column
            .as_primitive::<TimestampSecondType>()
            .value(row)
            .saturating_mul(1000),
        TimeUnit::Millisecond => column.as_primitive::<TimestampMillisecondType>().value(row),
        TimeUnit::Microsecond => column
            .as_primitive::<TimestampMicrosecondType>()
            .value(row)
            .div_euclid(1000),
        TimeUnit::Nanosecond => column
            .as_primitive::<TimestampNanosecondType>()
            .value(row)
            .div_euclid(1_000_000),
    })
}

/// Checks that a column is a time-zone-aware timestamp.
fn check_timestamp(name: &str, data_type: &DataType) -> Result<(), Failure> {
    match data_type {
        DataType::Timestamp(_, Some(_)) => Ok(()),
        DataType::Timestamp(_, None) => Err(input(format!(
            "column {name:?} is a timestamp without a time zone: give it one \
             (pyarrow.timestamp(\"us\", tz=\"UTC\"))"
        ))),
        other => Err(input(format!(
            "column {name:?} is {other}: expected timestamp with time zone UTC"
        ))),
    }
}

/// A list column of either offset width: its rows' ranges in its values.
enum List<'a> {
    Small(&'a GenericListArray<i32>),
    Large(&'a GenericListArray<i64>),
}

impl<'a> List<'a> {
    fn of(name: &str, column: &'a dyn Array) -> Result<List<'a>, Failure> {
        if let Some(list) = column.as_list_opt::<i32>() {
            Ok(List::Small(list))
        } else if let Some(list) = column.as_list_opt::<i64>() {
            Ok(List::Large(list))
        } else {
            Err(input(format!(
                "column {name:?} is {}: expected a list",
                column.data_type()
            )))
        }
    }

    fn range(&self, row: usize) -> Option<std::ops::Range<usize>> {
        match self {
            List::Small(l) if !l.is_null(row) => {
                let o = l.value_offsets();
                Some(o[row] as usize..o[row + 1] as usize)
            }
            List::Large(l) if !l.is_null(row) => {
                let o = l.value_offsets();
                Some(o[row] as usize..o[row + 1] as usize)
            }
            _ => None,
        }
    }

    fn values(&self) -> &'a ArrayRef {
        match self {
            List::Small(l) => l.values(),
            List::Large(l) => l.values(),
        }
    }
}

/// A string array of any layout.
enum Texts<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
}

impl<'a> Texts<'a> {
    fn of(column: &'a dyn Array) -> Option<Texts<'a>> {
        match column.data_type() {
            DataType::Utf8 => Some(Texts::Utf8(column.as_string::<i32>())),
            DataType::LargeUtf8 => Some(Texts::Large(column.as_string::<i64>())),
            DataType::Utf8View => Some(Texts::View(column.as_string_view())),
            _ => None,
        }
    }

    fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Texts::Utf8(a) => (!a.is_null(i)).then(|| a.value(i)),
            Texts::Large(a) => (!a.is_null(i)).then(|| a.value(i)),
            Texts::View(a) => (!a.is_null(i)).then(|| a.value(i)),
        }
    }
}

fn column<'b>(batch: &'b RecordBatch, name: &str) -> Option<&'b ArrayRef> {
    batch.column_by_name(name)
}

fn int64<'b>(batch: &'b RecordBatch, name: &str) -> Result<Option<&'b Int64Array>, Failure> {
    match column(batch, name) {
        None => Ok(None),
        Some(c) => c.as_primitive_opt::<Int64Type>().map(Some).ok_or_else(|| {
            input(format!(
                "column {name:?} is {}: expected int64",
                c.data_type()
            ))
        }),
    }
}

/// Reads one batch's orders; `first_row` numbers its rows in the whole input, for errors.
fn read<'b>(batch: &'b RecordBatch, first_row: usize, routed: bool) -> Result<Rows<'b>, Failure> {
    let n = batch.num_rows();
    let order_ids =
        column(batch, "order_id").ok_or_else(|| input("missing column \"order_id\"".to_owned()))?;
    let at = column(batch, "at").ok_or_else(|| input("missing column \"at\"".to_owned()))?;
    check_timestamp("at", at.data_type())?;
    let amounts = int64(batch, "amount")?;
    let programs = int64(batch, "program_id")?;
    if routed && programs.is_none() {
        return Err(input(
            "missing column \"program_id\": a catalog routes rows by it".to_owned(),
        ));
    }
    let codes = column(batch, "codes")
        .map(|c| List::of("codes", c.as_ref()))
        .transpose()?;
    let code_texts = match &codes {
        Some(list) => Some(Texts::of(list.values().as_ref()).ok_or_else(|| {
            input(format!(
                "column \"codes\" is {}: expected list<string>",
                list.values().data_type()
            ))
        })?),
        None => None,
    };
    let clicks = column(batch, "clicks")
        .map(|c| List::of("clicks", c.as_ref()))
        .transpose()?;
    let click_fields = match &clicks {
        Some(list) => {
            let fields = list.values().as_struct_opt().ok_or_else(|| {
                input(format!(
                    "column \"clicks\" is {}: expected list<struct<partner_id: int64, at: timestamp[UTC]>>",
                    list.values().data_type()
                ))
            })?;
            let partner = fields
                .column_by_name("partner_id")
                .and_then(|c| c.as_primitive_opt::<Int64Type>())
                .ok_or_else(|| input("clicks need an int64 field \"partner_id\"".to_owned()))?;
            let click_at = fields
                .column_by_name("at")
                .ok_or_else(|| input("clicks need a field \"at\"".to_owned()))?;
            check_timestamp("clicks.at", click_at.data_type())?;
            Some((partner, click_at.as_ref()))
        }
        None => None,
    };
    let name = |row: usize| describe(order_ids.as_ref(), row, first_row + row);
    let mut rows = Rows {
        at: Vec::with_capacity(n),
        amounts: Vec::with_capacity(n),
        programs: Vec::with_capacity(if routed { n } else { 0 }),
        texts: Vec::with_capacity(n),
        text_ends: Vec::with_capacity(n),
        clicks: Vec::new(),
        click_ends: Vec::with_capacity(n),
    };
    for row in 0..n {
        let instant = millis(at.as_ref(), row)
            .ok_or_else(|| input(format!("{}: \"at\" is null", name(row))))?;
        let instant = Timestamp::try_from_unix_millis(instant)
            .ok_or_else(|| input(format!("{}: \"at\" is out of range", name(row))))?;
        rows.at.push(instant);
        let amount = match amounts {
            Some(a) if !a.is_null(row) => u64::try_from(a.value(row))
                .map_err(|_| input(format!("{}: \"amount\" is negative", name(row))))?,
            _ => 0,
        };
        rows.amounts.push(amount);
        if routed {
            let program = programs
                .filter(|p| !p.is_null(row))
                .and_then(|p| u64::try_from(p.value(row)).ok())
                .ok_or_else(|| {
                    input(format!("{}: \"program_id\" is null or negative", name(row)))
                })?;
            rows.programs.push(ProgramId(program));
        }
        if let (Some(list), Some(texts)) = (&codes, &code_texts)
            && let Some(range) = list.range(row)
        {
            // A null among the codes is no code typed.
            rows.texts.extend(range.filter_map(|j| texts.get(j)));
        }
        rows.text_ends.push(rows.texts.len());
        if let (Some(list), Some((partner, click_at))) = (&clicks, &click_fields)
            && let Some(range) = list.range(row)
        {
            for j in range {
                let bad = || {
                    input(format!(
                        "{}: a click has a null or negative partner_id, or a null at",
                        name(row)
                    ))
                };
                if partner.is_null(j) {
                    return Err(bad());
                }
                let partner = u64::try_from(partner.value(j)).map_err(|_| bad())?;
                let ms = millis(*click_at, j).ok_or_else(bad)?;
                let t = Timestamp::try_from_unix_millis(ms).ok_or_else(|| {
                    input(format!("{}: a click's \"at\" is out of range", name(row)))
                })?;
                rows.clicks.push(Click::new(PartnerId(partner), t));
            }
        }
        rows.click_ends.push(rows.clicks.len());
    }
    Ok(rows)
}

/// `row 17 (order_id "A-17")`, for error messages.
fn describe(order_ids: &dyn Array, row: usize, global: usize) -> String {
    let id = if let Some(texts) = Texts::of(order_ids) {
        texts.get(row).map(|t| format!("{t:?}"))
    } else {
        order_ids
            .as_primitive_opt::<Int64Type>()
            .filter(|a| !a.is_null(row))
            .map(|a| a.value(row).to_string())
    };
    match id {
        Some(id) => format!("row {global} (order_id {id})"),
        None => format!("row {global}"),
    }
}

fn output_schema(order_id: &Field) -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(
            "order_id",
            order_id.data_type().clone(),
            order_id.is_nullable(),
        ),
        Field::new("outcome", DataType::Utf8, false),
        Field::new("partner_id", DataType::Int64, true),
        Field::new("via", DataType::Utf8, true),
        Field::new("code_id", DataType::Int64, true),
        Field::new("reason", DataType::Utf8, true),
        Field::new("payout", DataType::Int64, false),
        Field::new("revision", DataType::Int64, false),
    ]))
}

/// The output columns of one batch.
fn write(
    batch: &RecordBatch,
    attributions: &[Attribution],
    revision: impl Fn(usize) -> i64,
) -> Result<RecordBatch, Failure> {
    let order_ids =
        column(batch, "order_id").ok_or_else(|| input("missing column \"order_id\"".to_owned()))?;
    let (order_field, _) = batch
        .schema()
        .column_with_name("order_id")
        .map(|(_, f)| (f.clone(), ()))
        .ok_or_else(|| input("missing column \"order_id\"".to_owned()))?;
    let parts: Vec<_> = attributions
        .iter()
        .map(|a| outcome_parts(a.outcome()))
        .collect();
    let columns: Vec<ArrayRef> = vec![
        order_ids.clone(),
        Arc::new(StringArray::from_iter_values(
            parts.iter().map(|p| p.outcome),
        )),
        Arc::new(Int64Array::from_iter(
            parts.iter().map(|p| p.partner.map(|v| v as i64)),
        )),
        Arc::new(StringArray::from_iter(parts.iter().map(|p| p.via))),
        Arc::new(Int64Array::from_iter(
            attributions.iter().map(|a| a.code().map(|c| c.0 as i64)),
        )),
        Arc::new(StringArray::from_iter(parts.iter().map(|p| p.reason))),
        Arc::new(Int64Array::from_iter_values(
            attributions
                .iter()
                .map(|a| i64::try_from(a.payout()).unwrap_or(i64::MAX)),
        )),
        Arc::new(Int64Array::from_iter_values(
            (0..attributions.len()).map(revision),
        )),
    ];
    RecordBatch::try_new(output_schema(&order_field), columns)
        .map_err(|e| input(format!("cannot build the output: {e}")))
}

/// Attributes every batch with one engine.
pub(crate) fn attribute_batches(
    batches: &[RecordBatch],
    revision: i64,
    attribute: impl Fn(&Rows<'_>) -> Result<Vec<Attribution>, Error>,
) -> Result<ArrowBatch, Failure> {
    let mut out = Vec::with_capacity(batches.len());
    let mut first_row = 0;
    for batch in batches {
        let rows = read(batch, first_row, false)?;
        let attributions = attribute(&rows).map_err(Failure::Crate)?;
        out.push(write(batch, &attributions, |_| revision)?);
        first_row += batch.num_rows();
    }
    Ok(ArrowBatch::new(out, batches))
}

/// Attributes every batch through a catalog whose programs have the given revisions.
pub(crate) fn attribute_batches_routed(
    batches: &[RecordBatch],
    revisions: &BTreeMap<ProgramId, i64>,
    attribute: impl Fn(&Rows<'_>) -> Result<Vec<Attribution>, Error>,
) -> Result<ArrowBatch, Failure> {
    let mut out = Vec::with_capacity(batches.len());
    let mut first_row = 0;
    for batch in batches {
        let rows = read(batch, first_row, true)?;
        let mut row_revisions = Vec::with_capacity(rows.programs.len());
        for (row, program) in rows.programs.iter().enumerate() {
            match revisions.get(program) {
                Some(&r) => row_revisions.push(r),
                None => {
                    let order_ids = column(batch, "order_id").map(|c| c.as_ref());
                    let name = order_ids
                        .map(|ids| describe(ids, row, first_row + row))
                        .unwrap_or_else(|| format!("row {}", first_row + row));
                    return Err(Failure::Input(
                        "unknown_program",
                        format!(
                            "{name}: the catalog has no engine for program {}",
                            program.0
                        ),
                    ));
                }
            }
        }
        let attributions = attribute(&rows).map_err(Failure::Crate)?;
        out.push(write(batch, &attributions, |i| row_revisions[i])?);
        first_row += batch.num_rows();
    }
    Ok(ArrowBatch::new(out, batches))
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
    fn new(batches: Vec<RecordBatch>, inputs: &[RecordBatch]) -> ArrowBatch {
        let schema = match batches.first() {
            Some(b) => b.schema(),
            None => {
                let order_id = inputs
                    .first()
                    .and_then(|b| {
                        b.schema()
                            .column_with_name("order_id")
                            .map(|(_, f)| f.clone())
                    })
                    .unwrap_or_else(|| Field::new("order_id", DataType::Utf8, true));
                output_schema(&order_id)
            }
        };
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
