//! The crate's own conformance vectors (`tests/conformance/*.json`) under `cargo test`, through
//! the same runner as the shared ones.

#[path = "support/conformance.rs"]
mod conformance;

#[test]
fn the_crates_own_vectors_pass() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| path.display().to_string())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no vectors in {dir}");
    let summary = conformance::run_files(&files);
    assert!(
        summary.ok(),
        "{}\n{}",
        summary.failures.join("\n"),
        summary.line()
    );
    assert!(summary.passed > 0);
}
