//! Bulk files: any bytes review without a panic, every problem on a line of the file (lines end
//! at `\n`, `\r\n` or a lone `\r`, as the CSV reader counts them); a clean file applies,
//! downloads, and the download reviews and applies to the same codes (the export → review →
//! apply round trip); applying it again fails (every id is taken) and changes nothing; rejected
//! rows come back as a file that reviews again.

#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use promo_attribution::bulk::{Upload, export_csv};
use promo_attribution::{ProgramId, Registry};

fuzz_target!(|data: &[u8]| {
    let empty = Registry::default();
    let upload = Upload::review(data, |_| Some(&empty));
    let lines = 1 + line_ends(data);
    for problem in upload.problems() {
        if let Some(line) = problem.line() {
            assert!(
                line >= 1 && line <= lines,
                "line {line} of {lines}: {problem}"
            );
        }
        assert!(problem.to_string().len() < 2_000, "{problem}");
    }
    let rejected = upload.rejected_csv();
    let _ = Upload::review(&rejected, |_| Some(&empty));

    let mut registries: BTreeMap<ProgramId, Registry> = upload
        .programs()
        .into_iter()
        .map(|p| (p, Registry::default()))
        .collect();
    let applied = upload.apply_valid(registries.iter_mut().map(|(p, r)| (*p, r)));
    if applied.is_err() {
        return;
    }
    let Ok(file) = export_csv(registries.iter().map(|(p, r)| (*p, r))) else {
        return;
    };
    let again = Upload::review(&file, |_| Some(&empty));
    assert!(again.is_clean(), "{:?}\n{file}", again.problems());
    let mut copies: BTreeMap<ProgramId, Registry> = registries
        .keys()
        .map(|p| (*p, Registry::default()))
        .collect();
    again
        .apply(copies.iter_mut().map(|(p, r)| (*p, r)))
        .unwrap_or_else(|e| panic!("{e:?}\n{file}"));
    for (program, registry) in &registries {
        let copy = &copies[program];
        assert_eq!(
            copy.codes().collect::<Vec<_>>(),
            registry.codes().collect::<Vec<_>>(),
            "{file}"
        );
    }
    // Applied again, with the first program's registry emptied: its rows are valid there, the
    // others' ids are all taken. The whole apply fails, and no registry changes, the first
    // included.
    let non_empty = copies.values().filter(|r| !r.is_empty()).count();
    if non_empty < 2 {
        return;
    }
    if let Some(first) = copies.values_mut().find(|r| !r.is_empty()) {
        *first = Registry::default();
    }
    let before: Vec<Vec<u8>> = copies.values().map(Registry::to_bytes).collect();
    let twice = again.apply(copies.iter_mut().map(|(p, r)| (*p, r)));
    assert!(twice.is_err(), "the same codes applied twice\n{file}");
    let after: Vec<Vec<u8>> = copies.values().map(Registry::to_bytes).collect();
    assert!(before == after, "a failed apply changed a registry\n{file}");
});

/// The line ends in `data`: `\n`, `\r\n` (one) and a lone `\r`.
fn line_ends(data: &[u8]) -> u64 {
    let mut ends = 0;
    for (i, &byte) in data.iter().enumerate() {
        let lone_cr = byte == b'\r' && data.get(i + 1) != Some(&b'\n');
        if byte == b'\n' || lone_cr {
            ends += 1;
        }
    }
    ends
}
