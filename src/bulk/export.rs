//! Writing registries back in the bulk layout (the reference's "Download").

use csv::Writer;

use crate::code::{Code, CreditPolicy, MatchMode};
use crate::error::{Error, Reason};
use crate::registry::Registry;
use crate::time::Timestamp;

use super::ProgramId;
use super::layout::{COLUMNS, parse_instant};

/// Writes the codes of one or more programs as a bulk file, in the column order of
/// [`Upload`](crate::Upload), one row per code in registration order.
///
/// Every column is written, the crate's own `Code Id`, `Priority` and `Label` included, and
/// instants are written in UTC (`2026-03-10T12:00:00Z`, the `Timezone` column left blank), so
/// reviewing the file against empty registries recreates every code as it was. Lifecycle
/// events (manual expiry), contracts and exception lists are not part of the layout.
///
/// Fails, naming the code, for what the layout cannot hold: a restricted code without an end
/// ([`MissingValue`](crate::ErrorKind::MissingValue); the layout requires one), or an instant
/// outside the years -9999 to 9999.
///
/// ```
/// use promo_attribution::{export_csv, Code, CodeId, PartnerId, ProgramId, Registry, Upload};
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
pub fn export_csv<'a>(
    programs: impl IntoIterator<Item = (ProgramId, &'a Registry)>,
) -> Result<String, Error> {
    let mut writer = Writer::from_writer(Vec::new());
    write(
        &mut writer,
        COLUMNS.iter().map(|(_, name)| (*name).to_owned()),
    )?;
    for (program, registry) in programs {
        for code in registry.codes() {
            write(&mut writer, row(program, code)?)?;
        }
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::bulk(Reason::MalformedCsv(e.to_string())))?;
    String::from_utf8(bytes).map_err(|e| Error::bulk(Reason::MalformedCsv(e.to_string())))
}

fn write(
    writer: &mut Writer<Vec<u8>>,
    fields: impl IntoIterator<Item = String>,
) -> Result<(), Error> {
    writer
        .write_record(fields)
        .map_err(|e| Error::bulk(Reason::MalformedCsv(e.to_string())))
}

/// The fields of one code, in [`COLUMNS`] order.
fn row(program: ProgramId, code: &Code) -> Result<[String; COLUMNS.len()], Error> {
    let window = code.window();
    let instant = |t: Option<Timestamp>| -> Result<String, Error> {
        let Some(t) = t else {
            return Ok(String::new());
        };
        let text = t.to_string();
        // What cannot be read back must not be written.
        if parse_instant(&text, None).is_err() {
            let why =
                format!("its schedule has the instant {text}, outside the years -9999 to 9999");
            return Err(Error::code(
                code.id(),
                code.text(),
                Reason::InvalidValue(why),
            ));
        }
        Ok(text)
    };
    let (from, until) = (instant(window.from)?, instant(window.until)?);
    let label = code.label().unwrap_or_default().to_owned();
    let id = code.id().to_string();
    Ok(match code {
        Code::Tracking(t) => [
            t.text.clone(),
            program.to_string(),
            t.owner.to_string(),
            "TRACKING".into(),
            match t.credit {
                CreditPolicy::Always => "ALWAYS",
                CreditPolicy::IfInvolved => "INVOLVED",
                CreditPolicy::IfWinner => "WINNER",
            }
            .into(),
            match t.match_mode {
                MatchMode::Exact => "LI",
                MatchMode::Regex => "RE",
            }
            .into(),
            t.deal.map(|d| d.to_string()).unwrap_or_default(),
            from,
            until,
            String::new(),
            id,
            t.priority.to_string(),
            label,
        ],
        Code::Restricted(r) => {
            if window.until.is_none() {
                let why = "a restricted code needs an end date in the bulk layout".to_owned();
                return Err(Error::code(r.id, &r.text, Reason::MissingValue(why)));
            }
            [
                r.text.clone(),
                program.to_string(),
                String::new(),
                "RESTRICTED".into(),
                String::new(),
                String::new(),
                String::new(),
                from,
                until,
                String::new(),
                id,
                String::new(),
                label,
            ]
        }
    })
}
