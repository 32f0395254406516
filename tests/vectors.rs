//! The conformance vectors under `cargo test`, through the same runner the `conformance`
//! example is: the shared contract's vectors the repository carries (`conformance/`, a copy of
//! the project's shared folder, every subfolder included) and the crate's own
//! (`tests/conformance/`).

use std::path::Path;

use promo_attribution_testkit::conformance;

/// Every `*.json` under `dir`, subfolders included, sorted.
fn vectors(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(vectors(&path));
        } else if path.extension().is_some_and(|ext| ext == "json") {
            files.push(path.display().to_string());
        }
    }
    files.sort();
    files
}

fn run(dir: &str) -> usize {
    let files = vectors(Path::new(dir));
    assert!(!files.is_empty(), "no vectors in {dir}");
    let summary = conformance::run_files(&files);
    assert!(
        summary.ok(),
        "{}\n{}",
        summary.failures.join("\n"),
        summary.line()
    );
    summary.passed
}

#[test]
fn the_contracts_vectors_pass() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/conformance");
    assert!(run(dir) > 0);
    // Each kind of vector the format describes is there.
    for folder in ["payouts", "live", "changes"] {
        assert!(
            !vectors(&Path::new(dir).join(folder)).is_empty(),
            "no {folder} vectors"
        );
    }
}

#[test]
fn the_crates_own_vectors_pass() {
    assert!(run(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance")) > 0);
}
