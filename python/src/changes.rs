//! After the decision (SPEC §10) from Python, a table at a time: `judge_arrow` joins a table
//! of order changes to a table of stored decisions (such as `attribute_arrow` returns) on
//! `order_id` and judges each order's changes.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use promo_attribution::actions::{Action, ChangeResult, OrderChange, Rejection, Settled};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::action::{ResultParts, clawback_of};
use crate::capsule::{self, ArrowBatch};
use crate::convert::stored_payout_rule;
use crate::table::{
    Failure, Instants, StringColumn, amounts, bad_cell, bad_column, column, int64, required,
    timestamp_column, timestamp_field, timestamps,
};

/// An order id of either column type, borrowed from its batch.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum OrderKey<'b> {
    Int(i64),
    Text(&'b str),
}

/// The order ids of one column, or why they cannot be read.
enum OrderIds<'b> {
    Int(&'b Int64Array),
    Text(StringColumn<'b>),
}

impl<'b> OrderIds<'b> {
    fn of(batch: &'b RecordBatch) -> Result<OrderIds<'b>, Failure> {
        let ids = required(batch, "order_id")?;
        if let Some(ints) = ids.as_primitive_opt::<Int64Type>() {
            return Ok(OrderIds::Int(ints));
        }
        StringColumn::of(ids.as_ref())
            .map(OrderIds::Text)
            .ok_or_else(|| {
                bad_column(
                    "order_id",
                    format!(
                        "column \"order_id\" is {}: expected string or int64",
                        ids.data_type()
                    ),
                )
            })
    }

    fn get(&self, row: usize) -> Option<OrderKey<'b>> {
        match self {
            OrderIds::Int(a) => (!a.is_null(row)).then(|| OrderKey::Int(a.value(row))),
            OrderIds::Text(t) => t.get(row).map(OrderKey::Text),
        }
    }
}

fn key_text(key: OrderKey<'_>) -> String {
    match key {
        OrderKey::Int(i) => i.to_string(),
        OrderKey::Text(t) => format!("{t:?}"),
    }
}

/// The stored decisions: each order's key and action.
struct Decisions<'b> {
    keys: Vec<OrderKey<'b>>,
    actions: Vec<Action>,
    index: HashMap<OrderKey<'b>, u32, foldhash::fast::RandomState>,
}

fn read_decisions<'b>(batches: &'b [RecordBatch]) -> Result<Decisions<'b>, Failure> {
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let mut decisions = Decisions {
        keys: Vec::with_capacity(rows),
        actions: Vec::with_capacity(rows),
        index: HashMap::with_capacity_and_hasher(rows, Default::default()),
    };
    let mut first_row = 0;
    for batch in batches {
        let ids = OrderIds::of(batch)?;
        let at = timestamps(batch, "at")?;
        let amount = int64(batch, "amount")?
            .ok_or_else(|| bad_column("amount", "missing column \"amount\"".to_owned()))?;
        let rule = optional_texts(batch, "payout_rule")?;
        let rate = int64(batch, "payout_rate")?;
        let source = optional_texts(batch, "payout_source")?;
        let lock_at = column(batch, "lock_at")
            .map(|c| Instants::of("lock_at", c.as_ref()))
            .transpose()?;
        let clawback = match column(batch, "clawback") {
            None => None,
            Some(c) => Some(c.as_boolean_opt().ok_or_else(|| {
                bad_column(
                    "clawback",
                    format!("column \"clawback\" is {}: expected bool", c.data_type()),
                )
            })?),
        };
        for row in 0..batch.num_rows() {
            let global = first_row + row;
            let bad = |column: &'static str, what: String| {
                bad_cell(global, column, format!("decisions row {global}: {what}"))
            };
            let key = ids
                .get(row)
                .ok_or_else(|| bad("order_id", "\"order_id\" is null".to_owned()))?;
            let t = at
                .get(row)
                .map_err(|why| bad("at", format!("\"at\" {why}")))?
                .ok_or_else(|| bad("at", "\"at\" is null".to_owned()))?;
            let value = (!amount.is_null(row))
                .then(|| amount.value(row))
                .ok_or_else(|| bad("amount", "\"amount\" is null".to_owned()))?;
            let value = u64::try_from(value)
                .map_err(|_| bad("amount", format!("\"amount\" {value} is negative")))?;
            let mut action = Action::new(t, value);
            if let Some(rule) = rule.as_ref().and_then(|r| r.get(row)) {
                let rate = rate.filter(|r| !r.is_null(row)).map(|r| r.value(row));
                let source = source.as_ref().and_then(|s| s.get(row));
                let rule =
                    stored_payout_rule(rule, rate, source).map_err(|(column, kind, message)| {
                        Failure::Input {
                            kind,
                            message: format!("decisions row {global}: {message}"),
                            row: Some(global),
                            column: Some(column),
                        }
                    })?;
                action = action.rule(rule);
            }
            if let Some(lock_at) = lock_at {
                let t = lock_at
                    .get(row)
                    .map_err(|why| bad("lock_at", format!("\"lock_at\" {why}")))?;
                action = action.lock_at(t);
            }
            if let Some(flags) = clawback {
                action = action.clawback(clawback_of(!flags.is_null(row) && flags.value(row)));
            }
            let position = u32::try_from(decisions.keys.len())
                .map_err(|_| bad("order_id", "more than 4,294,967,295 decisions".to_owned()))?;
            if decisions.index.insert(key, position).is_some() {
                return Err(bad(
                    "order_id",
                    format!(
                        "order_id {} appears twice among the decisions",
                        key_text(key)
                    ),
                ));
            }
            decisions.keys.push(key);
            decisions.actions.push(action);
        }
        first_row += batch.num_rows();
    }
    Ok(decisions)
}

fn optional_texts<'b>(
    batch: &'b RecordBatch,
    name: &'static str,
) -> Result<Option<StringColumn<'b>>, Failure> {
    match column(batch, name) {
        None => Ok(None),
        Some(c) => StringColumn::of(c.as_ref()).map(Some).ok_or_else(|| {
            bad_column(
                name,
                format!("column {name:?} is {}: expected string", c.data_type()),
            )
        }),
    }
}

/// Every change, read and joined to its order.
struct Changes<'b> {
    changes: Vec<OrderChange>,
    orders: Vec<u32>,
    /// Each change's order id, as its own row has it: the output copies them in order, with
    /// no random reads into the decisions.
    keys: Vec<OrderKey<'b>>,
}

fn read_changes<'b>(
    batches: &'b [RecordBatch],
    decisions: &Decisions<'_>,
) -> Result<Changes<'b>, Failure> {
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let mut read = Changes {
        changes: Vec::with_capacity(rows),
        orders: Vec::with_capacity(rows),
        keys: Vec::with_capacity(rows),
    };
    let mut first_row = 0;
    for batch in batches {
        let ids = OrderIds::of(batch)?;
        let at = timestamps(batch, "at")?;
        let kind = optional_texts(batch, "kind")?
            .ok_or_else(|| bad_column("kind", "missing column \"kind\"".to_owned()))?;
        let amount = int64(batch, "amount")?;
        let reason = optional_texts(batch, "reason")?;
        for row in 0..batch.num_rows() {
            let global = first_row + row;
            let bad = |column: &'static str, what: String| {
                bad_cell(global, column, format!("changes row {global}: {what}"))
            };
            let key = ids
                .get(row)
                .ok_or_else(|| bad("order_id", "\"order_id\" is null".to_owned()))?;
            if let Some(first) = decisions.keys.first()
                && std::mem::discriminant(first) != std::mem::discriminant(&key)
            {
                return Err(bad(
                    "order_id",
                    "\"order_id\" is not of the decisions' type (both string, or both int64)"
                        .to_owned(),
                ));
            }
            let order = *decisions.index.get(&key).ok_or_else(|| {
                bad(
                    "order_id",
                    format!("order_id {} has no stored decision", key_text(key)),
                )
            })?;
            let t = at
                .get(row)
                .map_err(|why| bad("at", format!("\"at\" {why}")))?
                .ok_or_else(|| bad("at", "\"at\" is null".to_owned()))?;
            let word = kind
                .get(row)
                .ok_or_else(|| bad("kind", "\"kind\" is null".to_owned()))?;
            let value = amount.filter(|a| !a.is_null(row)).map(|a| a.value(row));
            let why = reason.as_ref().and_then(|r| r.get(row));
            let change = OrderChange::from_words(t, word, value, why).map_err(|err| {
                // The word names the column the problem is in.
                let column = match word {
                    "refund" | "restate" => "amount",
                    "cancel" => "reason",
                    _ => "kind",
                };
                Failure::Input {
                    kind: err.kind().as_str(),
                    message: format!("changes row {global}: {err}"),
                    row: Some(global),
                    column: Some(column),
                }
            })?;
            read.changes.push(change);
            read.orders.push(order);
            read.keys.push(key);
        }
        first_row += batch.num_rows();
    }
    Ok(read)
}

/// Judges every order's changes: the result of each change, in input order, and where each
/// decision's action stands.
fn judge_all(
    decisions: &Decisions<'_>,
    changes: &Changes<'_>,
) -> (Vec<ChangeResult>, Vec<Settled>) {
    let n = decisions.actions.len();
    // Changes grouped by order, keeping their input order within an order (a counting sort).
    let mut starts = vec![0u32; n + 1];
    for &order in &changes.orders {
        starts[order as usize + 1] += 1;
    }
    for i in 0..n {
        starts[i + 1] += starts[i];
    }
    let mut next = starts.clone();
    let mut grouped = vec![0u32; changes.changes.len()];
    for (position, &order) in changes.orders.iter().enumerate() {
        grouped[next[order as usize] as usize] = position as u32;
        next[order as usize] += 1;
    }
    let mut results = vec![ChangeResult::Rejected(Rejection::InvalidAmount); changes.changes.len()];
    let mut settled = Vec::with_capacity(n);
    let mut batch: Vec<OrderChange> = Vec::new();
    let mut judged: Vec<ChangeResult> = Vec::new();
    for (order, action) in decisions.actions.iter().enumerate() {
        let group = &grouped[starts[order] as usize..starts[order + 1] as usize];
        batch.clear();
        batch.extend(group.iter().map(|&p| changes.changes[p as usize]));
        judged.clear();
        settled.push(action.judge_into(&batch, &mut judged));
        for (&position, result) in group.iter().zip(&judged) {
            results[position as usize] = *result;
        }
    }
    (results, settled)
}

/// The names of the columns of `judge_arrow`'s two tables, in order, from the functions that
/// write them (run on no rows): the Python package's `CHANGE_RESULT_COLUMNS` and
/// `FINAL_STATE_COLUMNS` cannot drift from them.
pub(crate) fn judged_column_names() -> (Vec<String>, Vec<String>) {
    let names = |columns: Vec<(Field, ArrayRef)>| -> Vec<String> {
        columns.into_iter().map(|(f, _)| f.name().clone()).collect()
    };
    let changes = Changes {
        changes: Vec::new(),
        orders: Vec::new(),
        keys: Vec::new(),
    };
    let decisions = Decisions {
        keys: Vec::new(),
        actions: Vec::new(),
        index: HashMap::default(),
    };
    (
        names(result_columns(&changes, &[], true)),
        names(final_columns(&decisions, &[], true)),
    )
}

/// The order id column of the output: the join key, as the input typed it.
fn key_column<'b>(keys: impl Iterator<Item = OrderKey<'b>>, text: bool) -> (Field, ArrayRef) {
    if text {
        let values: Vec<Option<&str>> = keys
            .map(|k| match k {
                OrderKey::Text(t) => Some(t),
                OrderKey::Int(_) => None,
            })
            .collect();
        (
            Field::new("order_id", DataType::Utf8, false),
            Arc::new(StringArray::from(values)),
        )
    } else {
        let values: Vec<Option<i64>> = keys
            .map(|k| match k {
                OrderKey::Int(i) => Some(i),
                OrderKey::Text(_) => None,
            })
            .collect();
        (
            Field::new("order_id", DataType::Int64, false),
            Arc::new(Int64Array::from(values)),
        )
    }
}

fn batch_of(columns: Vec<(Field, ArrayRef)>) -> Result<(RecordBatch, SchemaRef), Failure> {
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = columns.into_iter().unzip();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| Failure::Input {
        kind: "invalid_value",
        message: format!("cannot build the output: {e}"),
        row: None,
        column: None,
    })?;
    Ok((batch, schema))
}

/// One row per change, in input order.
fn result_columns(
    changes: &Changes<'_>,
    results: &[ChangeResult],
    text: bool,
) -> Vec<(Field, ArrayRef)> {
    let parts: Vec<ResultParts> = results.iter().map(ResultParts::of).collect();
    let text_column = |name: &str, values: Vec<Option<&'static str>>| {
        (
            Field::new(name, DataType::Utf8, true),
            Arc::new(StringArray::from(values)) as ArrayRef,
        )
    };
    vec![
        key_column(changes.keys.iter().copied(), text),
        (
            timestamp_field("at", false),
            timestamp_column(changes.changes.iter().map(|c| Some(c.at))),
        ),
        text_column(
            "kind",
            changes
                .changes
                .iter()
                .map(|c| Some(c.kind.name()))
                .collect(),
        ),
        text_column("rejected", parts.iter().map(|p| p.rejected).collect()),
        (
            Field::new("amount", DataType::Int64, true),
            amounts(parts.iter().map(|p| p.amount)),
        ),
        (
            Field::new("payout", DataType::Int64, true),
            amounts(parts.iter().map(|p| p.payout)),
        ),
        (
            Field::new("delta", DataType::Int64, true),
            Arc::new(Int64Array::from_iter(parts.iter().map(|p| p.delta))),
        ),
        text_column("state", parts.iter().map(|p| p.state).collect()),
        text_column("reason", parts.iter().map(|p| p.reason).collect()),
        (
            Field::new("after_lock", DataType::Boolean, true),
            Arc::new(BooleanArray::from_iter(parts.iter().map(|p| p.after_lock))),
        ),
    ]
}

/// One row per stored decision: where its action stands after its changes.
fn final_columns(
    decisions: &Decisions<'_>,
    settled: &[Settled],
    text: bool,
) -> Vec<(Field, ArrayRef)> {
    let int = |name: &str| Field::new(name, DataType::Int64, false);
    vec![
        key_column(decisions.keys.iter().copied(), text),
        (
            int("amount"),
            amounts(settled.iter().map(|s| Some(s.amount()))),
        ),
        (
            int("payout"),
            amounts(settled.iter().map(|s| Some(s.payout()))),
        ),
        (
            int("delta"),
            Arc::new(Int64Array::from_iter_values(
                settled.iter().map(Settled::delta),
            )),
        ),
        (
            Field::new("state", DataType::Utf8, false),
            Arc::new(StringArray::from_iter_values(
                settled.iter().map(|s| s.state().as_str()),
            )),
        ),
        (
            Field::new("reason", DataType::Utf8, true),
            Arc::new(StringArray::from_iter(
                settled.iter().map(|s| s.reversal().map(|r| r.as_str())),
            )),
        ),
        (
            int("accepted"),
            amounts(settled.iter().map(|s| Some(u64::from(s.accepted())))),
        ),
        (
            timestamp_field("lock_at", true),
            timestamp_column(decisions.actions.iter().map(Action::locks_at)),
        ),
    ]
}

/// The whole table path: read, join, judge, write.
fn judge_tables(
    decision_batches: &[RecordBatch],
    change_batches: &[RecordBatch],
) -> Result<(ArrowBatch, ArrowBatch), Failure> {
    let decisions = read_decisions(decision_batches)?;
    let changes = read_changes(change_batches, &decisions)?;
    let (results, settled) = judge_all(&decisions, &changes);
    let text = decisions
        .keys
        .first()
        .is_none_or(|k| matches!(k, OrderKey::Text(_)));
    let (results, results_schema) = batch_of(result_columns(&changes, &results, text))?;
    let (finals, final_schema) = batch_of(final_columns(&decisions, &settled, text))?;
    Ok((
        ArrowBatch::new(vec![results], results_schema),
        ArrowBatch::new(vec![finals], final_schema),
    ))
}

/// Judges a table of order changes against a table of stored decisions (the output of
/// `attribute_arrow`, or the same columns from the host's store), joined on `order_id`.
/// Returns `(results, final)`: one row per change, in input order, and one row per decision.
#[pyfunction]
pub(crate) fn judge_arrow<'py>(
    py: Python<'py>,
    decisions: &Bound<'py, PyAny>,
    changes: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyTuple>> {
    let decision_batches = capsule::import(decisions)?;
    let change_batches = capsule::import(changes)?;
    let (results, finals) = py.detach(|| judge_tables(&decision_batches, &change_batches))?;
    let results = capsule::to_pyarrow(py, results, changes)?;
    let finals = capsule::to_pyarrow(py, finals, decisions)?;
    PyTuple::new(py, [results, finals])
}
