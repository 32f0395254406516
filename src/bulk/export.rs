//! Writing registries back in the bulk layout (the reference's "Download").

use std::io;

use csv::Writer;

use super::columns::{COLUMNS, cell};
use crate::model::{Code, Error, ProgramId, Reason, neutralise};
use crate::registry::Registry;

/// Writes the codes of one or more programs as a bulk file, in the column order of
/// [`Upload`](crate::bulk::Upload), one row per code in registration order, and returns it as text.
///
/// Every column is written, the crate's own `Code Id`, `Priority` and `Label` included, and
/// instants are written in UTC (`2026-03-10T12:00:00Z`, the `Timezone` column left blank), so
/// reviewing the file against empty registries recreates every code as it was. Lifecycle
/// events (manual expiry), contracts and exception lists are not part of the layout.
///
/// A cell that a spreadsheet would run as a formula — one that starts with `=`, `+`, `-`, `@`,
/// a tab or a carriage return, as a code `-10OFF` or a label `=HYPERLINK(…)` does — is written
/// after a `'`, which spreadsheets read as "text follows" (one that already starts with `'` and
/// then one of those gets one more). [`Upload`](crate::bulk::Upload) takes exactly one `'` off such a
/// cell, so the file still reads back unchanged.
///
/// Fails, naming the code, for what the layout cannot hold: a restricted code without an end
/// ([`MissingValue`](crate::ErrorKind::MissingValue); the layout requires one). Nothing is
/// returned then: the file would be incomplete.
///
/// ```
/// use promo_attribution::{Code, CodeId, PartnerId, ProgramId, Registry};
/// use promo_attribution::bulk::{Upload, export_csv};
///
/// let mut registry = Registry::default();
/// registry.add(Code::tracking(CodeId(1), "SAVE10", PartnerId(101)).label("Spring, 10%"))?;
/// let file = export_csv([(ProgramId(7), &registry)])?;
/// assert!(file.starts_with("Promo Code,Program Id,Media Id,Type,Credit Rule,Match Mode,"));
///
/// let mut copy = Registry::default();
/// Upload::review(&file, |_| Some(&copy)).apply([(ProgramId(7), &mut copy)]).unwrap();
/// assert_eq!(copy.codes().collect::<Vec<_>>(), registry.codes().collect::<Vec<_>>());
/// # Ok::<(), promo_attribution::Error>(())
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
pub fn export_csv<'a>(
    programs: impl IntoIterator<Item = (ProgramId, &'a Registry)>,
) -> Result<String, Error> {
    let mut bytes = Vec::new();
    export_csv_to(&mut bytes, programs)?;
    // Every field written is a `str`, and CSV quoting adds only ASCII.
    String::from_utf8(bytes).map_err(|e| Error::io(io::Error::new(io::ErrorKind::InvalidData, e)))
}

/// [`export_csv`], written to `writer` as it goes: a file, a socket, a compressor. A failure of
/// the writer is an [`Io`](crate::ErrorKind::Io) error carrying the writer's error kind
/// ([`Error::io_kind`]) and message; rows already written stay written.
///
/// ```
/// use promo_attribution::{Code, CodeId, PartnerId, ProgramId, Registry};
/// use promo_attribution::bulk::export_csv_to;
///
/// let mut registry = Registry::default();
/// registry.add(Code::tracking(CodeId(1), "SAVE10", PartnerId(101)))?;
/// let mut out = Vec::new();
/// export_csv_to(&mut out, [(ProgramId(7), &registry)])?;
/// assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 2);
/// # Ok::<(), promo_attribution::Error>(())
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
pub fn export_csv_to<'a, W: io::Write>(
    writer: W,
    programs: impl IntoIterator<Item = (ProgramId, &'a Registry)>,
) -> Result<(), Error> {
    let mut writer = Writer::from_writer(writer);
    write(&mut writer, COLUMNS.iter().map(|c| c.header.to_owned()))?;
    for (program, registry) in programs {
        for code in registry.codes() {
            check(code)?;
            write(
                &mut writer,
                COLUMNS.iter().map(|c| cell(c.col, program, code)),
            )?;
        }
    }
    writer.flush().map_err(Error::io)
}

fn write<W: io::Write>(
    writer: &mut Writer<W>,
    fields: impl IntoIterator<Item = String>,
) -> Result<(), Error> {
    writer
        .write_record(
            fields
                .into_iter()
                .map(|field| neutralise(&field).into_owned()),
        )
        .map_err(|e| match e.into_kind() {
            csv::ErrorKind::Io(err) => Error::io(err),
            other => Error::io(io::Error::other(format!("{other:?}"))),
        })
}

/// Refuses what the layout cannot hold.
fn check(code: &Code) -> Result<(), Error> {
    match code {
        Code::Restricted(r) if r.window.until.is_none() => {
            let why = "a restricted code needs an end date in the bulk layout".to_owned();
            Err(Error::code(r.id, &r.text, Reason::MissingValue(why)))
        }
        _ => Ok(()),
    }
}
