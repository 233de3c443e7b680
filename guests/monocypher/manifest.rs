//! Reads `[package.metadata.wasmext] exports` from this crate's Cargo.toml: the one list of the
//! artifact's exports. Shared by build.rs and the host tests (each includes this file with
//! `#[path]`).

use std::path::Path;

/// The export names declared in the Cargo.toml at `manifest`, in their declared order.
pub fn declared_exports(manifest: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(manifest)
        .map_err(|err| format!("cannot read {}: {err}", manifest.display()))?;
    let document: toml_edit::DocumentMut = text
        .parse()
        .map_err(|err| format!("{} is not valid TOML: {err}", manifest.display()))?;
    let list = document
        .get("package")
        .and_then(|package| package.get("metadata"))
        .and_then(|metadata| metadata.get("wasmext"))
        .and_then(|wasmext| wasmext.get("exports"))
        .and_then(|exports| exports.as_array())
        .ok_or_else(|| {
            format!(
                "{} has no `[package.metadata.wasmext] exports = [...]`",
                manifest.display()
            )
        })?;
    let mut names = Vec::with_capacity(list.len());
    for value in list {
        let name = value.as_str().ok_or_else(|| {
            format!(
                "{}: every export must be a string, found a {}",
                manifest.display(),
                value.type_name()
            )
        })?;
        if names.iter().any(|seen| seen == name) {
            return Err(format!(
                "{}: `{name}` is exported twice",
                manifest.display()
            ));
        }
        names.push(name.to_owned());
    }
    Ok(names)
}
