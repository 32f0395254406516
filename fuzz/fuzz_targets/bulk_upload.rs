//! Bulk files: any bytes review without a panic, every problem on a line of the file; a clean
//! file applies, downloads, and the download reviews and applies to the same codes (the export
//! → review → apply round trip); rejected rows come back as a file that reviews again.

#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use promo_attribution::{ProgramId, Registry, Upload, export_csv};

fuzz_target!(|data: &[u8]| {
    let empty = Registry::default();
    let upload = Upload::review(data, |_| Some(&empty));
    let lines = 1 + data.iter().filter(|&&b| b == b'\n' || b == b'\r').count() as u64;
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
});
