//! Reviews a bulk-upload file the way the upload screen does: a summary of what it would create,
//! and every problem with its line and column.
//!
//! ```text
//! cargo run --example import_csv -- examples/data/codes.csv
//! cargo run --example import_csv -- examples/data/codes_with_errors.csv   # exits with 1
//! ```
//!
//! Each program's rows are checked against an empty registry, as for a first upload; a host
//! passes the program's own registry instead, so duplicates of registered codes are caught too.

use std::collections::BTreeMap;
use std::process::ExitCode;

use promo_attribution::bulk::Upload;
use promo_attribution::{Code, ProgramId, Registry};

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: import_csv FILE.csv");
        return ExitCode::from(2);
    };
    let data = match std::fs::read(&path) {
        Ok(data) => data,
        Err(err) => {
            eprintln!("{path}: {err}");
            return ExitCode::from(2);
        }
    };
    let empty = Registry::default();
    let upload = Upload::review(&data, |_| Some(&empty));

    println!(
        "{path}: {} codes in {} programs",
        upload.rows().len(),
        upload.programs().len()
    );
    let mut per_program: BTreeMap<ProgramId, [usize; 3]> = BTreeMap::new();
    for row in upload.rows() {
        let counts = per_program.entry(row.program()).or_default();
        match row.code() {
            Code::Restricted(_) => counts[2] += 1,
            code if code.is_regex() => counts[1] += 1,
            _ => counts[0] += 1,
        }
    }
    println!(
        "{:>10}  {:>14}  {:>14}  {:>10}",
        "program", "tracking (LI)", "tracking (RE)", "restricted"
    );
    for (program, [exact, regex, restricted]) in &per_program {
        println!("{program:>10}  {exact:>14}  {regex:>14}  {restricted:>10}");
    }

    if upload.is_clean() {
        // What apply would do, into fresh registries: all rows or none.
        let mut registries: Vec<(ProgramId, Registry)> = upload
            .programs()
            .into_iter()
            .map(|p| (p, Registry::default()))
            .collect();
        match upload.apply(registries.iter_mut().map(|(p, r)| (*p, r))) {
            Ok(added) => println!("no problems: {added} codes would be added"),
            Err(err) => eprintln!("{err}"),
        }
        return ExitCode::SUCCESS;
    }
    println!(
        "\n{} problems; nothing would be added:",
        upload.problems().len()
    );
    for problem in upload.problems() {
        println!("{problem}");
    }
    ExitCode::FAILURE
}
