//! Orders read from Arrow record batches into the crate's types, attributed, and the results
//! written as Arrow columns. Getting the batches in and out of Python is `capsule`'s business.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Int64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType,
};
use arrow_array::{Array, ArrayRef, GenericListArray, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use promo_attribution::{Attribution, Click, Conversion, Error, PartnerId, ProgramId, Timestamp};
use pyo3::prelude::*;

use crate::convert::outcome_parts;
use crate::errors::{other, to_py};

use crate::capsule::ArrowBatch;

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

pub(crate) fn output_schema(order_id: &Field) -> SchemaRef {
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
    revisions: &[i64],
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
        Arc::new(Int64Array::from(revisions.to_vec())),
    ];
    RecordBatch::try_new(output_schema(&order_field), columns)
        .map_err(|e| input(format!("cannot build the output: {e}")))
}

/// The revision stamped on each row: the engine's, or, through a catalog, that of the row's
/// program (a program without one is an error naming the row).
pub(crate) enum Revisions<'a> {
    One(i64),
    ByProgram(&'a BTreeMap<ProgramId, i64>),
}

/// Attributes every batch; rows are routed by `program_id` when `revisions` is by program.
pub(crate) fn attribute_batches(
    batches: &[RecordBatch],
    revisions: Revisions<'_>,
    attribute: impl Fn(&Rows<'_>) -> Result<Vec<Attribution>, Error>,
) -> Result<ArrowBatch, Failure> {
    let routed = matches!(revisions, Revisions::ByProgram(_));
    let mut out = Vec::with_capacity(batches.len());
    let mut first_row = 0;
    for batch in batches {
        let rows = read(batch, first_row, routed)?;
        let row_revisions = match revisions {
            Revisions::One(revision) => vec![revision; batch.num_rows()],
            Revisions::ByProgram(by_program) => {
                program_revisions(batch, &rows, first_row, by_program)?
            }
        };
        let attributions = attribute(&rows).map_err(Failure::Crate)?;
        out.push(write(batch, &attributions, &row_revisions)?);
        first_row += batch.num_rows();
    }
    Ok(ArrowBatch::new(out, batches))
}

/// The revision of each row's program, or the error naming the first row without an engine.
fn program_revisions(
    batch: &RecordBatch,
    rows: &Rows<'_>,
    first_row: usize,
    by_program: &BTreeMap<ProgramId, i64>,
) -> Result<Vec<i64>, Failure> {
    rows.programs
        .iter()
        .enumerate()
        .map(|(row, program)| {
            by_program.get(program).copied().ok_or_else(|| {
                let name = column(batch, "order_id")
                    .map(|ids| describe(ids.as_ref(), row, first_row + row))
                    .unwrap_or_else(|| format!("row {}", first_row + row));
                Failure::Input(
                    "unknown_program",
                    format!(
                        "{name}: the catalog has no engine for program {}",
                        program.0
                    ),
                )
            })
        })
        .collect()
}
