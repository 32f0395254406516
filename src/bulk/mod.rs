//! Bulk upload and download in the reference's CSV layout, in two steps: review, then apply.

mod columns;
mod export;
mod row;
mod source;

use std::collections::BTreeMap;
use std::io;

use csv::{ByteRecord, ReaderBuilder, StringRecord, WriterBuilder};

use crate::model::{BulkError, Code, CodeId, Error, ProgramId, Reason, reguard};
use crate::registry::Registry;
use columns::{Col, Header};
pub use export::{export_csv, export_csv_to};
use row::Draft;
use source::CountingReader;

/// One valid row of a reviewed bulk file: the code it would create, and where.
#[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadRow {
    line: u64,
    program: ProgramId,
    code: Code,
}

impl UploadRow {
    /// The one-based line of the file the row starts on.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The program the row belongs to.
    pub fn program(&self) -> ProgramId {
        self.program
    }

    /// The code the row would create, with its id (from the `Code Id` column, or assigned).
    pub fn code(&self) -> &Code {
        &self.code
    }
}

/// A bulk file, parsed and validated but not applied: the reference's upload screen.
///
/// [`review`](Upload::review) reads the whole file and checks every row against the program's
/// registry and against the other rows, so a file with 10,000 rows and 40 bad ones reports all
/// 40. [`apply`](Upload::apply) then adds every row or none.
///
/// # The layout
///
/// A header row, then one code per row. Headers are matched exactly (`Campaign Id` is accepted
/// for `Program Id`); a leading byte-order mark is skipped, and rows whose fields are all blank
/// (what spreadsheets leave at the end) are ignored. Lines may end with `\n`, `\r\n` or `\r`,
/// mixed too; every line number is the one a text editor shows, a quoted field that spans
/// lines included. The file must be UTF-8: a UTF-16 or UTF-32 file (Excel's "Unicode text")
/// is refused with a problem that names its encoding. A cell that starts with `'` and then
/// `=`, `+`, `-`, `@`, a tab or a carriage return is read without that `'`: it is how
/// [`export_csv`] and [`rejected_csv`](Upload::rejected_csv) keep spreadsheets from running
/// such a cell as a formula. Values are trimmed; enum values ignore
/// ASCII case.
///
/// | column | tracking row | restricted row |
/// | --- | --- | --- |
/// | `Promo Code` | the code, or the pattern for `RE` | the code |
/// | `Program Id` (or `Campaign Id`) | required | required |
/// | `Media Id` | the owner, required | blank |
/// | `Type` | `TRACKING` | `RESTRICTED` |
/// | `Credit Rule` | `ALWAYS`, `INVOLVED` or `WINNER`, required | blank |
/// | `Match Mode` | `LI` (exact) or `RE` (regex), required | blank |
/// | `Deal Id` | optional | blank |
/// | `Active Start Date` | optional | optional |
/// | `Active End Date` | optional | required |
/// | `Timezone` | optional IANA name | optional IANA name |
/// | `Code Id` | optional; assigned when blank | optional; assigned when blank |
/// | `Priority` | optional, default 0 | blank |
/// | `Label` | optional, kept as typed | optional, kept as typed |
///
/// The last three columns are this crate's, not the reference's: a download writes them so
/// that an upload of it recreates every code as it was. A row without a `Code Id` gets the
/// next id after the largest of its program — in the registry or in the file — in file order.
///
/// # Dates and time zones
///
/// Dates are ISO 8601 with a UTC offset, `2013-06-30T00:00:00-07:00`. A `Timezone` value (an
/// IANA name such as `America/New_York`, from the time-zone database built into the crate, so
/// every host reads a file the same way) overrides the offset: the local date and time are read
/// in that zone, and a bare date is midnight there. A local time skipped by a DST change
/// (02:30 on a spring-forward night) is moved forward by the length of the gap (03:30); one
/// that happens twice (01:30 on a fall-back night) is the earlier of the two, as in RFC 5545.
///
/// # Example
///
/// ```
/// use promo_attribution::{ErrorKind, ProgramId, Registry};
/// use promo_attribution::bulk::Upload;
///
/// let file = "\
/// Promo Code,Program Id,Media Id,Type,Credit Rule,Match Mode,Active End Date,Timezone
/// SAVE10,7,101,TRACKING,ALWAYS,LI,,
/// ^SUMMER\\d{2}$,7,102,TRACKING,INVOLVED,RE,2026-09-01,Europe/Paris
/// STAFF50,7,,RESTRICTED,,,2027-01-01T00:00:00Z,
/// save10,7,103,TRACKING,SOMETIMES,LI,,
/// ";
/// let mut registry = Registry::default();
/// let upload = Upload::review(file, |_| Some(&registry));
/// assert_eq!(upload.rows().len(), 3);
/// let problems: Vec<String> = upload.problems().iter().map(|p| p.to_string()).collect();
/// assert_eq!(problems, [
///     r#"line 5, column 5 (Credit Rule): "SOMETIMES" is not a valid Credit Rule: expected ALWAYS, INVOLVED or WINNER"#,
/// ]);
///
/// // Nothing is applied while any row is bad.
/// assert!(upload.apply([(ProgramId(7), &mut registry)]).is_err());
/// assert!(registry.is_empty());
///
/// let fixed = file.replace("SOMETIMES", "WINNER");
/// let upload = Upload::review(&fixed, |_| Some(&registry));
/// // The fourth row is now well-formed, and a duplicate of the first.
/// assert_eq!(upload.problems()[0].kind(), ErrorKind::DuplicateCode);
/// assert_eq!(upload.problems()[0].line(), Some(5));
///
/// let upload = Upload::review(fixed.replace("save10", "save20"), |_| Some(&registry));
/// assert_eq!(upload.apply([(ProgramId(7), &mut registry)])?, 4);
/// assert_eq!(registry.len(), 4);
/// # Ok::<(), promo_attribution::BulkError>(())
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
#[derive(Debug)]
pub struct Upload {
    rows: Vec<UploadRow>,
    problems: Vec<Error>,
    /// Data rows read, valid or not.
    lines: usize,
    /// The header, kept to place the errors [`apply`](Upload::apply) finds in their columns.
    header: Option<Header>,
    /// The header row and every row with a problem, as the file had them, by line.
    raw_header: Option<ByteRecord>,
    rejected: Vec<(u64, ByteRecord)>,
}

impl Upload {
    /// Parses and validates a whole file, changing nothing.
    ///
    /// `registry_of` gives the registry each program's rows will be applied to; rows are
    /// checked against it (duplicate texts, duplicate ids) as well as against each other. A
    /// program it returns `None` for is reported as
    /// [`UnknownProgram`](crate::ErrorKind::UnknownProgram) once, at its first row; its rows
    /// are still checked against each other.
    pub fn review<'r>(
        csv: impl AsRef<[u8]>,
        registry_of: impl FnMut(ProgramId) -> Option<&'r Registry>,
    ) -> Upload {
        Upload::review_from(csv.as_ref(), registry_of)
    }

    /// [`review`](Upload::review), reading the file from `reader` as it goes: a file, a
    /// socket, a decompressor. Nothing but the parsed rows is kept. A failure of the reader is
    /// reported as a problem ([`Io`](crate::ErrorKind::Io)) at the line it stopped on, and
    /// what was read before it is reviewed as usual.
    pub fn review_from<'r>(
        reader: impl io::Read,
        mut registry_of: impl FnMut(ProgramId) -> Option<&'r Registry>,
    ) -> Upload {
        let Read {
            header,
            raw_header,
            drafts,
            mut problems,
            mut rejected,
            lines,
        } = read(reader);
        // Each step hands its rows on in place: a million rows are ~150 MB, and every copy
        // alive at once adds that to the peak.
        let mut rows: Vec<UploadRow> = Vec::new();
        for (program, drafts) in by_program(drafts) {
            let registry = registry_of(program);
            if registry.is_none() {
                let err = Error::bulk(Reason::UnknownProgram(program.0)).at_line(drafts[0].line);
                problems.push(locate(header.as_ref(), err, Col::ProgramId));
            }
            let empty = Registry::default();
            let registry = registry.unwrap_or(&empty);
            let (drafts, without_ids) = assign_ids(drafts, registry);
            for draft in without_ids {
                let why = format!(
                    "no code ids are left in program {}: the largest is {}; give the row a Code Id \
                     that is not taken",
                    program.0,
                    u64::MAX
                );
                let err = Error::bulk(Reason::CapacityExceeded(why)).at_line(draft.line);
                problems.push(locate(header.as_ref(), err, Col::CodeId));
                if let Some(header) = &header {
                    rejected.push((draft.line, header.row_of(draft.program, &draft.code, false)));
                }
            }
            let lines: Vec<u64> = drafts.iter().map(|d| d.line).collect();
            let mut refused = Vec::new();
            if let Err(err) = registry.validate_batch(drafts.iter().map(|d| d.code.clone())) {
                // In row order, so sorted.
                refused.extend(err.errors().iter().filter_map(Error::row));
                problems.extend(at_lines(err, &lines, header.as_ref()));
            }
            let kept = drafts.into_iter().enumerate().filter_map(|(i, draft)| {
                if refused.binary_search(&i).is_ok() {
                    // Read without a problem, so the header is there to write it back with.
                    if let Some(header) = &header {
                        let row = header.row_of(draft.program, &draft.code, draft.has_id);
                        rejected.push((draft.line, row));
                    }
                    None
                } else {
                    Some(UploadRow {
                        line: draft.line,
                        program: draft.program,
                        code: draft.code,
                    })
                }
            });
            if rows.is_empty() {
                // Collected into the drafts' own allocation.
                rows = kept.collect();
            } else {
                rows.extend(kept);
            }
        }
        rows.sort_by_key(|row| row.line);
        rejected.sort_by_key(|(line, _)| *line);
        // Stable: problems of one line keep the order they were found in, those without a
        // column last.
        problems.sort_by_key(|p| (p.line(), p.column_number().unwrap_or(usize::MAX)));
        Upload {
            rows,
            problems,
            lines,
            header,
            raw_header,
            rejected,
        }
    }

    /// The rows that would be created, in file order. Rows with a problem are left out, so
    /// this is the whole file only when [`problems`](Upload::problems) is empty.
    pub fn rows(&self) -> &[UploadRow] {
        &self.rows
    }

    /// Every problem found, in line order; each names its [`line`](Error::line) and, where
    /// it is about one value, its [`column`](Error::column).
    pub fn problems(&self) -> &[Error] {
        &self.problems
    }

    /// The lines of the rows that have a problem, ascending: what [`rows`](Upload::rows) leaves
    /// out.
    pub fn rejected_lines(&self) -> Vec<u64> {
        self.rejected.iter().map(|(line, _)| *line).collect()
    }

    /// The rows with a problem as a bulk file of their own — the file's header, then each such
    /// row — for the back office to fix and upload again. A row that could not be read comes
    /// back as the file had it; one that read well but broke a registration rule (a duplicate,
    /// a regex that does not compile) comes back as it was read: instants in UTC with the
    /// `Timezone` blank, the other values as given; a cell a spreadsheet would run as a formula
    /// gets a leading `'`, as in [`export_csv`]. Empty when the header itself was unusable
    /// (there is no row to hand back then: see [`problems`](Upload::problems)).
    ///
    /// ```
    /// use promo_attribution::{ProgramId, Registry};
    /// use promo_attribution::bulk::Upload;
    ///
    /// let file = "Promo Code,Program Id,Media Id,Type,Credit Rule,Match Mode
    /// SAVE10,7,101,TRACKING,ALWAYS,LI
    /// BOB15,7,102,TRACKING,SOMETIMES,LI
    /// JANE20,7,103,TRACKING,WINNER,LI
    /// ";
    /// let mut registry = Registry::default();
    /// let upload = Upload::review(file, |_| Some(&registry));
    /// assert_eq!(upload.rejected_lines(), [3]);
    /// assert_eq!(upload.apply_valid([(ProgramId(7), &mut registry)])?, 2);
    /// assert_eq!(
    ///     upload.rejected_csv(),
    ///     "Promo Code,Program Id,Media Id,Type,Credit Rule,Match Mode\nBOB15,7,102,TRACKING,SOMETIMES,LI\n"
    /// );
    /// # Ok::<(), promo_attribution::BulkError>(())
    /// ```
    pub fn rejected_csv(&self) -> String {
        let Some(header) = &self.raw_header else {
            return String::new();
        };
        // Rows of another length than the header's go back as they were.
        let mut writer = WriterBuilder::new().flexible(true).from_writer(Vec::new());
        let rows = std::iter::once(header).chain(self.rejected.iter().map(|(_, raw)| raw));
        for row in rows {
            // Writing a flexible file to memory cannot fail.
            let _ = writer.write_record(row.iter().map(reguard));
        }
        let bytes = writer.into_inner().unwrap_or_default();
        // Every row was UTF-8 or is a row the file had: lossless unless the file was not text.
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Whether the file has no problem and can be applied.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// The programs the file's valid rows belong to, ascending.
    pub fn programs(&self) -> Vec<ProgramId> {
        let mut programs: Vec<_> = self.rows.iter().map(|r| r.program).collect();
        programs.sort_unstable();
        programs.dedup();
        programs
    }

    /// Adds every row to its program's registry, or nothing at all.
    ///
    /// Fails, changing nothing, when the review found any problem, when a program of the file
    /// has no registry in `registries`, or when a registry changed since the review so that a
    /// row no longer fits (each such row is reported with its line). Returns the number of
    /// codes added.
    pub fn apply<'a>(
        &self,
        registries: impl IntoIterator<Item = (ProgramId, &'a mut Registry)>,
    ) -> Result<usize, BulkError> {
        if !self.problems.is_empty() {
            let copies = self.problems.iter().map(Error::clone).collect();
            return Err(BulkError::new(copies, self.lines));
        }
        self.apply_valid(registries)
    }

    /// Adds every valid row — [`rows`](Upload::rows) — to its program's registry, leaving out
    /// the rows with a problem (hand those back with [`rejected_csv`](Upload::rejected_csv)):
    /// what a back office does with a 50,000-row file with seven bad rows. The valid rows are
    /// still all or nothing: this fails, changing nothing, when a program has no registry in
    /// `registries`, or when a registry changed since the review so that a row no longer fits.
    /// Returns the number of codes added.
    pub fn apply_valid<'a>(
        &self,
        registries: impl IntoIterator<Item = (ProgramId, &'a mut Registry)>,
    ) -> Result<usize, BulkError> {
        let mut registries: BTreeMap<_, _> = registries.into_iter().collect();
        let mut errors = Vec::new();
        let mut batches = Vec::new();
        for program in self.programs() {
            let rows: Vec<&UploadRow> = self.rows.iter().filter(|r| r.program == program).collect();
            let Some(registry) = registries.get(&program) else {
                let err = Error::bulk(Reason::UnknownProgram(program.0)).at_line(rows[0].line);
                errors.push(locate(self.header.as_ref(), err, Col::ProgramId));
                continue;
            };
            let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
            let codes = rows.iter().map(|r| r.code.clone());
            match registry.validate_batch(codes) {
                Ok(batch) => batches.push((program, batch)),
                Err(err) => errors.extend(at_lines(err, &lines, self.header.as_ref())),
            }
        }
        if !errors.is_empty() {
            return Err(BulkError::new(errors, self.lines));
        }
        let mut added = 0;
        for (program, batch) in batches {
            if let Some(registry) = registries.get_mut(&program) {
                added += batch.len();
                registry.insert_batch(batch);
            }
        }
        Ok(added)
    }
}

/// What reading a file gives.
struct Read {
    /// The header, when usable, and the row as the file had it.
    header: Option<Header>,
    raw_header: Option<ByteRecord>,
    /// The rows that read without a problem.
    drafts: Vec<Draft>,
    problems: Vec<Error>,
    /// The rows with a problem, as the file had them.
    rejected: Vec<(u64, ByteRecord)>,
    /// Data rows read, valid or not.
    lines: usize,
}

/// Reads the header and every data row.
fn read(data: impl io::Read) -> Read {
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(CountingReader::new(data));
    let mut read = Read {
        header: None,
        raw_header: None,
        drafts: Vec::new(),
        problems: Vec::new(),
        rejected: Vec::new(),
        lines: 0,
    };
    let problems = &mut read.problems;
    let header = match next_record(&mut reader, problems) {
        Some((_, raw, Ok(record))) => {
            read.raw_header = Some(raw);
            Header::parse(&record, problems).map(|h| (h, record.len()))
        }
        Some((line, _, Err((_, err)))) => {
            problems.push(err.at_line(line));
            None
        }
        // A reader error on the first record is already reported.
        None if !problems.is_empty() => None,
        None => {
            let why = match reader.get_ref().wide_encoding() {
                Some(wide) => wide.refusal(),
                None => "the file is empty".into(),
            };
            problems.push(Error::bulk(Reason::MalformedCsv(why)).at_line(1));
            None
        }
    };
    // Without the required columns, rows cannot be read meaningfully.
    let Some((mut header, header_len)) = header else {
        return read;
    };
    while let Some((line, raw, record)) = next_record(&mut reader, &mut read.problems) {
        let record = match record {
            Ok(record) if record.iter().all(|field| field.trim().is_empty()) => continue,
            Ok(record) => record,
            Err((field, err)) => {
                read.lines += 1;
                read.problems
                    .push(header.locate_field(err.at_line(line), field));
                read.rejected.push((line, raw));
                continue;
            }
        };
        read.lines += 1;
        if record.len() != header_len {
            let why = format!(
                "the row has {} fields, the header has {header_len}",
                record.len()
            );
            read.problems
                .push(Error::bulk(Reason::MalformedCsv(why)).at_line(line));
            read.rejected.push((line, raw));
            continue;
        }
        match row::read(&mut header, &record, line, &mut read.problems) {
            Some(draft) => read.drafts.push(draft),
            None => read.rejected.push((line, raw)),
        }
    }
    read.header = Some(header);
    read
}

/// A record with a field that is not UTF-8: the field (zero-based) and the error.
type NotUtf8 = (usize, Error);

/// The next record, the line it starts on and the record as the file had it, or which field
/// is not UTF-8. `None` at the end, and after a reader error, which is pushed onto `problems`:
/// an error in the stream itself leaves no sure way past it.
fn next_record<R: io::Read>(
    reader: &mut csv::Reader<CountingReader<R>>,
    problems: &mut Vec<Error>,
) -> Option<(u64, ByteRecord, Result<StringRecord, NotUtf8>)> {
    let mut record = ByteRecord::new();
    match reader.read_byte_record(&mut record) {
        Ok(true) => {}
        Ok(false) => return None,
        Err(err) => {
            let byte = err.position().map_or(0, |p| p.byte());
            let line = reader.get_mut().line_at(byte);
            let problem = if err.is_io_error() {
                match err.into_kind() {
                    csv::ErrorKind::Io(err) => Error::io_reading(err),
                    other => Error::bulk(Reason::MalformedCsv(format!("{other:?}"))),
                }
            } else {
                Error::bulk(Reason::MalformedCsv(err.to_string()))
            };
            problems.push(problem.at_line(line));
            return None;
        }
    }
    let byte = record.position().map_or(0, |p| p.byte());
    let line = reader.get_mut().line_at(byte);
    let raw = record.clone();
    let record = StringRecord::from_byte_record(record).map_err(|err| {
        let field = err.utf8_error().field();
        let why = format!("field {} is not valid UTF-8", field + 1);
        (field, Error::bulk(Reason::MalformedCsv(why)))
    });
    Some((line, raw, record))
}

/// The drafts of each program, by ascending program, each in file order. A file of one
/// program, the common case, is passed on as it is, not copied.
fn by_program(drafts: Vec<Draft>) -> Vec<(ProgramId, Vec<Draft>)> {
    match drafts.first().map(|d| d.program) {
        None => Vec::new(),
        Some(program) if drafts.iter().all(|d| d.program == program) => vec![(program, drafts)],
        Some(_) => {
            let mut groups: BTreeMap<_, Vec<Draft>> = BTreeMap::new();
            for draft in drafts {
                groups.entry(draft.program).or_default().push(draft);
            }
            groups.into_iter().collect()
        }
    }
}

/// Gives each row without a `Code Id` the next id after the largest of the program's, in the
/// registry or in the file, in file order. Ids are never reused, so past `u64::MAX` there are
/// none left: those rows come back apart, without an id.
fn assign_ids(mut drafts: Vec<Draft>, registry: &Registry) -> (Vec<Draft>, Vec<Draft>) {
    let registered = registry.codes().map(|c| c.id().0).max();
    let in_file = drafts
        .iter()
        .filter(|d| d.has_id)
        .map(|d| d.code.id().0)
        .max();
    let mut next = registered
        .max(in_file)
        .map_or(Some(1), |max| max.checked_add(1));
    // In place: the rows left without an id, none in any real file, are taken out after.
    let mut left_without = 0;
    for draft in drafts.iter_mut().filter(|d| !d.has_id) {
        match next {
            Some(id) => {
                draft.code.set_id(CodeId(id));
                next = id.checked_add(1);
            }
            None => left_without += 1,
        }
    }
    if left_without == 0 {
        return (drafts, Vec::new());
    }
    // The rows without an id of their own that came after the ids ran out, apart.
    let mut to_skip = drafts.iter().filter(|d| !d.has_id).count() - left_without;
    drafts.into_iter().partition(|d| {
        let kept = d.has_id || to_skip > 0;
        if !d.has_id {
            to_skip = to_skip.saturating_sub(1);
        }
        kept
    })
}

/// Turns the batch rows of registry errors into file lines, each in the column it is about.
fn at_lines<'a>(
    err: BulkError,
    lines: &'a [u64],
    header: Option<&'a Header>,
) -> impl Iterator<Item = Error> + 'a {
    err.into_errors().into_iter().map(move |err| {
        let line = err
            .row()
            .and_then(|row| lines.get(row))
            .copied()
            .unwrap_or(0);
        let col = Col::of_error(err.kind());
        locate(header, err.at_line(line), col)
    })
}

fn locate(header: Option<&Header>, err: Error, col: Col) -> Error {
    match header {
        Some(header) => header.locate(err, col),
        None => err,
    }
}
