//! Reading Arrow input column by column, shared by the attribution and order-change entry
//! points: typed access to the columns, and failures that name the row and the column.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Int64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType,
};
use arrow_array::{
    Array, ArrayRef, GenericListArray, Int64Array, RecordBatch, TimestampMillisecondArray,
};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Field, TimeUnit};
use promo_attribution::{Error, Timestamp};
use pyo3::prelude::*;

use crate::errors::{in_table, to_py};

/// Why a table could not be read or judged, made into an exception once the GIL is held again.
pub(crate) enum Failure {
    /// Bad input: the error kind's name, the message, and where.
    Input {
        kind: &'static str,
        message: String,
        row: Option<usize>,
        column: Option<&'static str>,
    },
    Crate(Error),
}

impl From<Failure> for PyErr {
    fn from(failure: Failure) -> PyErr {
        match failure {
            Failure::Input {
                kind,
                message,
                row,
                column,
            } => in_table(kind, message, row, column),
            Failure::Crate(err) => to_py(&err),
        }
    }
}

/// A problem with a whole column: missing, or of the wrong type.
pub(crate) fn bad_column(column: &'static str, message: String) -> Failure {
    Failure::Input {
        kind: "invalid_value",
        message,
        row: None,
        column: Some(column),
    }
}

/// A problem with one cell; `row` counts over the whole input.
pub(crate) fn bad_cell(row: usize, column: &'static str, message: String) -> Failure {
    Failure::Input {
        kind: "invalid_value",
        message,
        row: Some(row),
        column: Some(column),
    }
}

/// A required column.
pub(crate) fn required<'b>(
    batch: &'b RecordBatch,
    name: &'static str,
) -> Result<&'b ArrayRef, Failure> {
    batch
        .column_by_name(name)
        .ok_or_else(|| bad_column(name, format!("missing column {name:?}")))
}

/// A required timestamp column with a time zone.
pub(crate) fn timestamps<'b>(
    batch: &'b RecordBatch,
    name: &'static str,
) -> Result<Instants<'b>, Failure> {
    Instants::of(name, required(batch, name)?.as_ref())
}

/// A timestamp column with a time zone, typed once: its values, nulls and unit, so that each
/// row is a load and a division, not a downcast.
#[derive(Clone, Copy)]
pub(crate) struct Instants<'a> {
    values: &'a [i64],
    nulls: Option<&'a NullBuffer>,
    unit: TimeUnit,
}

impl<'a> Instants<'a> {
    pub(crate) fn of(name: &'static str, column: &'a dyn Array) -> Result<Instants<'a>, Failure> {
        check_timestamp(name, column.data_type())?;
        let DataType::Timestamp(unit, _) = column.data_type() else {
            return Err(bad_column(
                name,
                format!("column {name:?} is not a timestamp"),
            ));
        };
        let values: &[i64] = match unit {
            TimeUnit::Second => column.as_primitive::<TimestampSecondType>().values(),
            TimeUnit::Millisecond => column.as_primitive::<TimestampMillisecondType>().values(),
            TimeUnit::Microsecond => column.as_primitive::<TimestampMicrosecondType>().values(),
            TimeUnit::Nanosecond => column.as_primitive::<TimestampNanosecondType>().values(),
        };
        Ok(Instants {
            values,
            nulls: column.nulls(),
            unit: *unit,
        })
    }

    /// The instant of a row, to the millisecond (below it, towards the past: the crate's
    /// resolution), `None` when null, or why not: out of the crate's range.
    pub(crate) fn get(&self, row: usize) -> Result<Option<Timestamp>, &'static str> {
        if self.nulls.is_some_and(|nulls| nulls.is_null(row)) {
            return Ok(None);
        }
        let value = self.values[row];
        let ms = match self.unit {
            TimeUnit::Second => value.saturating_mul(1000),
            TimeUnit::Millisecond => value,
            TimeUnit::Microsecond => value.div_euclid(1000),
            TimeUnit::Nanosecond => value.div_euclid(1_000_000),
        };
        Timestamp::try_from_unix_millis(ms)
            .map(Some)
            .ok_or("is out of range")
    }
}

/// Checks that a column is a time-zone-aware timestamp.
fn check_timestamp(name: &'static str, data_type: &DataType) -> Result<(), Failure> {
    match data_type {
        DataType::Timestamp(_, Some(_)) => Ok(()),
        DataType::Timestamp(_, None) => Err(bad_column(
            name,
            format!(
                "column {name:?} is a timestamp without a time zone: give it one \
             (pyarrow.timestamp(\"us\", tz=\"UTC\"))"
            ),
        )),
        other => Err(bad_column(
            name,
            format!(
                "column {name:?} is {other}: expected a timestamp with a time zone (any zone: \
                 instants are compared as such)"
            ),
        )),
    }
}

/// A list column of either offset width: its rows' ranges in its values.
pub(crate) enum List<'a> {
    Small(&'a GenericListArray<i32>),
    Large(&'a GenericListArray<i64>),
}

impl<'a> List<'a> {
    pub(crate) fn of(name: &'static str, column: &'a dyn Array) -> Result<List<'a>, Failure> {
        if let Some(list) = column.as_list_opt::<i32>() {
            Ok(List::Small(list))
        } else if let Some(list) = column.as_list_opt::<i64>() {
            Ok(List::Large(list))
        } else {
            Err(bad_column(
                name,
                format!("column {name:?} is {}: expected a list", column.data_type()),
            ))
        }
    }

    pub(crate) fn range(&self, row: usize) -> Option<std::ops::Range<usize>> {
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

    pub(crate) fn values(&self) -> &'a ArrayRef {
        match self {
            List::Small(l) => l.values(),
            List::Large(l) => l.values(),
        }
    }
}

/// A string array of any layout.
pub(crate) enum StringColumn<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
}

impl<'a> StringColumn<'a> {
    pub(crate) fn of(column: &'a dyn Array) -> Option<StringColumn<'a>> {
        match column.data_type() {
            DataType::Utf8 => Some(StringColumn::Utf8(column.as_string::<i32>())),
            DataType::LargeUtf8 => Some(StringColumn::Large(column.as_string::<i64>())),
            DataType::Utf8View => Some(StringColumn::View(column.as_string_view())),
            _ => None,
        }
    }

    pub(crate) fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            StringColumn::Utf8(a) => (!a.is_null(i)).then(|| a.value(i)),
            StringColumn::Large(a) => (!a.is_null(i)).then(|| a.value(i)),
            StringColumn::View(a) => (!a.is_null(i)).then(|| a.value(i)),
        }
    }
}

pub(crate) fn column<'b>(batch: &'b RecordBatch, name: &str) -> Option<&'b ArrayRef> {
    batch.column_by_name(name)
}

pub(crate) fn int64<'b>(
    batch: &'b RecordBatch,
    name: &'static str,
) -> Result<Option<&'b Int64Array>, Failure> {
    match column(batch, name) {
        None => Ok(None),
        Some(c) => c.as_primitive_opt::<Int64Type>().map(Some).ok_or_else(|| {
            bad_column(
                name,
                format!("column {name:?} is {}: expected int64", c.data_type()),
            )
        }),
    }
}

/// `row 17 (order_id "A-17")`, for error messages.
pub(crate) fn describe(order_ids: &dyn Array, row: usize, global: usize) -> String {
    let id = if let Some(texts) = StringColumn::of(order_ids) {
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

/// A column of instants, in milliseconds, in UTC.
pub(crate) fn timestamp_column(values: impl IntoIterator<Item = Option<Timestamp>>) -> ArrayRef {
    Arc::new(
        TimestampMillisecondArray::from_iter(
            values.into_iter().map(|t| t.map(Timestamp::as_unix_millis)),
        )
        .with_timezone("UTC"),
    )
}

/// The field of a column made by [`timestamp_column`].
pub(crate) fn timestamp_field(name: &str, nullable: bool) -> Field {
    Field::new(
        name,
        DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        nullable,
    )
}

/// An int64 column from unsigned amounts (past `i64::MAX`, which no amount reaches, saturating).
pub(crate) fn amounts(values: impl IntoIterator<Item = Option<u64>>) -> ArrayRef {
    Arc::new(Int64Array::from_iter(
        values
            .into_iter()
            .map(|v| v.map(|v| i64::try_from(v).unwrap_or(i64::MAX))),
    ))
}
