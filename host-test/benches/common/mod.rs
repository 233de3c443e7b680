//! What the benches share: which artifacts to measure.

use std::path::PathBuf;

/// The artifacts a bench compares: `$VAR` as `label=path,label=path` (a bare path labels
/// itself), or else `target/guests/{name}.wasm` from the last build.
pub fn artifacts(var: &str, name: &str) -> Vec<(String, PathBuf)> {
    match std::env::var(var) {
        Ok(list) => list
            .split(',')
            .map(|entry| match entry.split_once('=') {
                Some((label, path)) => (label.to_owned(), PathBuf::from(path)),
                None => (entry.to_owned(), PathBuf::from(entry)),
            })
            .collect(),
        Err(_) => vec![(
            "target/guests".to_owned(),
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../target/guests")
                .join(format!("{name}.wasm")),
        )],
    }
}
