//! Orders read from Arrow record batches into the crate's types, attributed, and the results
//! written as Arrow columns. Getting the batches in and out of Python is `capsule`'s business.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{
    Array, ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray, new_empty_array,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use promo_attribution::actions::Action;
use promo_attribution::{
    Attribution, Click, Conversion, Error, PartnerId, ProgramId, Settings, Timestamp,
};
use pyo3::PyResult;
use pyo3::exceptions::PyValueError;

use crate::action::takes_clawback;
use crate::capsule::ArrowBatch;
use crate::convert::{outcome_parts, payout_rule_parts, payout_source_name};
use crate::table::{
    Failure, Instants, List, StringColumn, amounts, bad_cell, bad_column, column, describe, int64,
    required, timestamp_column, timestamp_field, timestamps,
};

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

/// Reads one batch's orders; `first_row` numbers its rows in the whole input, for errors.
fn read<'b>(batch: &'b RecordBatch, first_row: usize, routed: bool) -> Result<Rows<'b>, Failure> {
    let n = batch.num_rows();
    let order_ids = required(batch, "order_id")?;
    let at = timestamps(batch, "at")?;
    let amounts = int64(batch, "amount")?;
    let programs = int64(batch, "program_id")?;
    match (routed, programs.is_some()) {
        (true, false) => {
            return Err(bad_column(
                "program_id",
                "missing column \"program_id\": a catalog routes rows by it".to_owned(),
            ));
        }
        // An engine decides for one program: rows of others would be decided as its own.
        (false, true) => {
            return Err(bad_column(
                "program_id",
                "column \"program_id\" routes rows between programs, which an Engine (one \
                 program) cannot do: pass the table to a Catalog, or drop the column"
                    .to_owned(),
            ));
        }
        _ => {}
    }
    // Required, though an order may have no code: without the column every order would be
    // decided as if none had been typed, which a misnamed column must not do silently.
    let codes = column(batch, "codes")
        .map(|c| List::of("codes", c.as_ref()))
        .transpose()?
        .ok_or_else(|| {
            bad_column(
                "codes",
                "missing column \"codes\" (list<string>; an order without codes has an empty \
                 list or null)"
                    .to_owned(),
            )
        })?;
    let code_texts = StringColumn::of(codes.values().as_ref()).ok_or_else(|| {
        bad_column(
            "codes",
            format!(
                "column \"codes\" is {}: expected list<string>",
                codes.values().data_type()
            ),
        )
    })?;
    let clicks = column(batch, "clicks")
        .map(|c| List::of("clicks", c.as_ref()))
        .transpose()?;
    let click_fields = match &clicks {
        Some(list) => {
            let fields = list.values().as_struct_opt().ok_or_else(|| {
                bad_column("clicks", format!(
                    "column \"clicks\" is {}: expected list<struct<partner_id: int64, at: timestamp[UTC]>>",
                    list.values().data_type()
                ))
            })?;
            let partner = fields
                .column_by_name("partner_id")
                .and_then(|c| c.as_primitive_opt::<Int64Type>())
                .ok_or_else(|| {
                    bad_column(
                        "clicks",
                        "clicks need an int64 field \"partner_id\"".to_owned(),
                    )
                })?;
            let click_at = fields
                .column_by_name("at")
                .ok_or_else(|| bad_column("clicks", "clicks need a field \"at\"".to_owned()))?;
            Some((partner, Instants::of("clicks", click_at.as_ref())?))
        }
        None => None,
    };
    let name = |row: usize| describe(order_ids.as_ref(), row, first_row + row);
    let bad = |row: usize, column: &'static str, what: &str| {
        bad_cell(first_row + row, column, format!("{}: {what}", name(row)))
    };
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
        let instant = at
            .get(row)
            .map_err(|why| bad(row, "at", &format!("\"at\" {why}")))?
            .ok_or_else(|| bad(row, "at", "\"at\" is null"))?;
        rows.at.push(instant);
        let amount = match amounts {
            Some(a) if !a.is_null(row) => u64::try_from(a.value(row))
                .map_err(|_| bad(row, "amount", "\"amount\" is negative"))?,
            _ => 0,
        };
        rows.amounts.push(amount);
        if routed {
            let program = programs
                .filter(|p| !p.is_null(row))
                .and_then(|p| u64::try_from(p.value(row)).ok())
                .ok_or_else(|| bad(row, "program_id", "\"program_id\" is null or negative"))?;
            rows.programs.push(ProgramId(program));
        }
        if let Some(range) = codes.range(row) {
            for j in range {
                // A null list is an order without codes; a null inside one is a code lost on
                // the way, not a code the customer did not type.
                let text = code_texts
                    .get(j)
                    .ok_or_else(|| bad(row, "codes", "a code in \"codes\" is null"))?;
                rows.texts.push(text);
            }
        }
        rows.text_ends.push(rows.texts.len());
        if let (Some(list), Some((partner, click_at))) = (&clicks, &click_fields)
            && let Some(range) = list.range(row)
        {
            for j in range {
                let malformed = || {
                    bad(
                        row,
                        "clicks",
                        "a click has a null or negative partner_id, or a null or out-of-range at",
                    )
                };
                if partner.is_null(j) {
                    return Err(malformed());
                }
                let partner = u64::try_from(partner.value(j)).map_err(|_| malformed())?;
                let t = click_at.get(j).ok().flatten().ok_or_else(malformed)?;
                rows.clicks.push(Click::new(PartnerId(partner), t));
            }
        }
        rows.click_ends.push(rows.clicks.len());
    }
    Ok(rows)
}

/// What the output stamps on every row of one program: the engine's revision, and the
/// settings an action needs.
pub(crate) struct Program {
    pub(crate) revision: i64,
    pub(crate) settings: Settings,
}

/// The output columns, each declared once with its field: `(name, column)` pairs built from
/// the input's `order_id`, the attributions, and the action of each row.
fn output_columns(
    order_field: &Field,
    order_ids: ArrayRef,
    attributions: &[Attribution],
    actions: &[Action],
    programs: &[&Program],
) -> Vec<(Field, ArrayRef)> {
    let parts: Vec<_> = attributions
        .iter()
        .map(|a| outcome_parts(a.outcome()))
        .collect();
    let rules: Vec<_> = actions
        .iter()
        .map(|a| a.payout_rule().map(|r| payout_rule_parts(r.payout)))
        .collect();
    let text = |name: &str, nullable| Field::new(name, DataType::Utf8, nullable);
    let int = |name: &str, nullable| Field::new(name, DataType::Int64, nullable);
    vec![
        (
            Field::new(
                "order_id",
                order_field.data_type().clone(),
                order_field.is_nullable(),
            ),
            order_ids,
        ),
        (
            text("outcome", false),
            Arc::new(StringArray::from_iter_values(
                parts.iter().map(|p| p.outcome),
            )),
        ),
        (
            int("partner_id", true),
            amounts(parts.iter().map(|p| p.partner)),
        ),
        (
            text("via", true),
            Arc::new(StringArray::from_iter(parts.iter().map(|p| p.via))),
        ),
        (
            int("code_id", true),
            amounts(attributions.iter().map(|a| a.code().map(|c| c.0))),
        ),
        (
            text("reason", true),
            Arc::new(StringArray::from_iter(parts.iter().map(|p| p.reason))),
        ),
        (
            int("payout", false),
            amounts(attributions.iter().map(|a| Some(a.payout()))),
        ),
        (
            int("revision", false),
            Arc::new(Int64Array::from_iter_values(
                programs.iter().map(|p| p.revision),
            )),
        ),
        // What judging the order's changes later needs (the action, SPEC §10).
        (
            timestamp_field("at", false),
            timestamp_column(actions.iter().map(|a| Some(a.at()))),
        ),
        (
            int("amount", false),
            amounts(actions.iter().map(|a| Some(a.amount()))),
        ),
        (
            text("payout_source", true),
            Arc::new(StringArray::from_iter(
                attributions
                    .iter()
                    .map(|a| a.payout_source().map(payout_source_name)),
            )),
        ),
        (
            text("payout_rule", true),
            Arc::new(StringArray::from_iter(rules.iter().map(|r| r.map(|r| r.0)))),
        ),
        (
            int("payout_rate", true),
            amounts(rules.iter().map(|r| r.map(|r| r.1))),
        ),
        (
            timestamp_field("lock_at", true),
            timestamp_column(actions.iter().map(Action::locks_at)),
        ),
        (
            Field::new("clawback", DataType::Boolean, false),
            Arc::new(BooleanArray::from_iter(
                actions.iter().map(|a| Some(takes_clawback(a))),
            )),
        ),
    ]
}

/// The names of the output columns, in order: the output schema's, so that the Python
/// package's `OUTPUT_COLUMNS` cannot drift from what `attribute_arrow` writes.
pub(crate) fn output_column_names() -> Vec<String> {
    output_schema(&Field::new("order_id", DataType::Utf8, true))
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect()
}

/// The output schema for an input whose `order_id` is `order_field`.
pub(crate) fn output_schema(order_field: &Field) -> SchemaRef {
    let empty = new_empty_array(order_field.data_type());
    let fields: Vec<Field> = output_columns(order_field, empty, &[], &[], &[])
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    Arc::new(Schema::new(fields))
}

/// The output columns of one batch.
fn write(
    batch: &RecordBatch,
    rows: &Rows<'_>,
    attributions: &[Attribution],
    programs: &[&Program],
) -> Result<RecordBatch, Failure> {
    let order_ids = required(batch, "order_id")?;
    let schema = batch.schema();
    let order_field = schema
        .field_with_name("order_id")
        .map_err(|_| bad_column("order_id", "missing column \"order_id\"".to_owned()))?;
    let actions: Vec<Action> = attributions
        .iter()
        .zip(programs)
        .enumerate()
        .map(|(i, (a, p))| a.action(rows.at[i], rows.amounts[i], &p.settings))
        .collect();
    let (fields, columns): (Vec<Field>, Vec<ArrayRef>) = output_columns(
        order_field,
        order_ids.clone(),
        attributions,
        &actions,
        programs,
    )
    .into_iter()
    .unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| Failure::Input {
        kind: "invalid_value",
        message: format!("cannot build the output: {e}"),
        row: None,
        column: None,
    })
}

/// The program each row is stamped with: the engine's, or, through a catalog, that of the
/// row's program (a program without one is an error naming the row).
pub(crate) enum Programs<'a> {
    One(&'a Program),
    ByProgram(&'a BTreeMap<ProgramId, Program>),
}

/// The threads an Arrow entry point runs on: every core the process may use when the caller
/// gives none, else the caller's number, which must be at least 1.
pub(crate) fn threads(asked: Option<usize>) -> PyResult<usize> {
    match asked {
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
        Some(0) => Err(PyValueError::new_err("threads must be at least 1")),
        Some(n) => Ok(n),
    }
}

/// Rows per piece of work: the input's batches are cut into slices of at most this many rows
/// (without copying), each read, attributed and written alone, so that a piece's intermediate
/// buffers stay small and are reused, and pieces can go to several threads.
const PIECE_ROWS: usize = 1 << 16;

/// Attributes every batch on `threads` threads (at least one); rows are routed by
/// `program_id` when `programs` is by program. The output is one batch per piece, in input
/// order, whatever the number of threads; on failure, the error is the first in input order,
/// as on one thread.
pub(crate) fn attribute_batches(
    batches: &[RecordBatch],
    programs: Programs<'_>,
    threads: usize,
    attribute: impl Fn(&Rows<'_>) -> Result<Vec<Attribution>, Error> + Sync,
) -> Result<ArrowBatch, Failure> {
    let mut pieces = Vec::new();
    let mut first_row = 0;
    for batch in batches {
        for offset in (0..batch.num_rows()).step_by(PIECE_ROWS) {
            let len = PIECE_ROWS.min(batch.num_rows() - offset);
            pieces.push((batch.slice(offset, len), first_row + offset));
        }
        first_row += batch.num_rows();
    }
    let run = |(piece, first_row): &(RecordBatch, usize)| {
        attribute_piece(piece, *first_row, &programs, &attribute)
    };
    let out = in_order(&pieces, threads, run)
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let order_field = batches
        .first()
        .and_then(|b| b.schema().field_with_name("order_id").ok().cloned())
        .unwrap_or_else(|| Field::new("order_id", DataType::Utf8, true));
    Ok(ArrowBatch::new(out, output_schema(&order_field)))
}

/// Reads, attributes and writes one piece whose first row is `first_row` of the input.
fn attribute_piece(
    piece: &RecordBatch,
    first_row: usize,
    programs: &Programs<'_>,
    attribute: &impl Fn(&Rows<'_>) -> Result<Vec<Attribution>, Error>,
) -> Result<RecordBatch, Failure> {
    let rows = read(piece, first_row, matches!(programs, Programs::ByProgram(_)))?;
    let row_programs = match programs {
        Programs::One(program) => vec![*program; piece.num_rows()],
        Programs::ByProgram(by_program) => program_of_rows(piece, &rows, first_row, by_program)?,
    };
    let attributions = attribute(&rows).map_err(Failure::Crate)?;
    write(piece, &rows, &attributions, &row_programs)
}

/// `run` over every item on up to `threads` threads, the results in the items' order. Each
/// thread takes the next item not taken yet, so that uneven items keep every thread busy.
fn in_order<T: Sync, R: Send>(items: &[T], threads: usize, run: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads.min(items.len());
    if threads <= 1 {
        return items.iter().map(run).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return done;
            };
            done.push((i, run(item)));
        }
    };
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        // The calling thread works too.
        let mine = work();
        for (i, result) in workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .chain(mine)
        {
            results[i] = Some(result);
        }
    });
    // Every index below `items.len()` was taken exactly once by the counter.
    results.into_iter().flatten().collect()
}

/// The program of each row, or the error naming the first row without an engine.
fn program_of_rows<'p>(
    batch: &RecordBatch,
    rows: &Rows<'_>,
    first_row: usize,
    by_program: &'p BTreeMap<ProgramId, Program>,
) -> Result<Vec<&'p Program>, Failure> {
    rows.programs
        .iter()
        .enumerate()
        .map(|(row, program)| {
            by_program.get(program).ok_or_else(|| {
                let name = column(batch, "order_id")
                    .map(|ids| describe(ids.as_ref(), row, first_row + row))
                    .unwrap_or_else(|| format!("row {}", first_row + row));
                Failure::Input {
                    kind: "unknown_program",
                    message: format!(
                        "{name}: the catalog has no engine for program {}",
                        program.0
                    ),
                    row: Some(first_row + row),
                    column: Some("program_id"),
                }
            })
        })
        .collect()
}
