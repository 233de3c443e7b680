//! The export list in the guest's Cargo.toml against Monocypher's headers (plus the arena and the
//! packed AEAD pair), and the artifact against both: same names, C-ABI signatures, nothing
//! imported.

use std::collections::BTreeSet;

use wasmtime::{ensure, ExternType, Result};

use super::headers::{public_functions, signature};
use super::{guest_manifest, manifest, source_dir, upstream};
use crate::ensure_eq;
use crate::support::artifact;

const ARENA: [&str; 2] = ["bump_alloc", "bump_reset"];
/// The guest's own additions (src/packed.rs): `(block, text_size, ad_size) -> status`.
pub const PACKED: [&str; 2] = ["aead_lock_packed", "aead_unlock_packed"];

fn declared() -> Result<BTreeSet<String>> {
    let list = manifest::declared_exports(&guest_manifest()).map_err(wasmtime::Error::msg)?;
    Ok(list.into_iter().collect())
}

fn difference(a: &BTreeSet<String>, b: &BTreeSet<String>) -> Vec<String> {
    a.difference(b).cloned().collect()
}

#[test]
fn declared_exports_are_the_headers_functions() -> Result<()> {
    let declared = declared()?;
    let functions = public_functions(&source_dir()?)?;
    let mut expected: BTreeSet<String> = functions.iter().map(|f| f.name.clone()).collect();
    ensure_eq!(
        expected.len(),
        functions.len(),
        "a header declares a function twice"
    );
    expected.extend(ARENA.map(String::from));
    expected.extend(PACKED.map(String::from));
    ensure_eq!(
        declared,
        expected,
        "Cargo.toml's exports differ from the headers: missing {:?}, not in the headers {:?}",
        difference(&expected, &declared),
        difference(&declared, &expected)
    );
    println!(
        "{} header functions + {} arena functions + {} packed",
        functions.len(),
        ARENA.len(),
        PACKED.len()
    );
    Ok(())
}

#[test]
fn artifact_exports_exactly_the_declared_list_and_imports_nothing() -> Result<()> {
    let module = artifact("monocypher")?;
    let imports: Vec<String> = module
        .imports()
        .map(|i| format!("{}.{}", i.module(), i.name()))
        .collect();
    ensure!(imports.is_empty(), "the artifact imports {imports:?}");
    let exported: BTreeSet<String> = module.exports().map(|e| e.name().to_owned()).collect();
    let mut expected = declared()?;
    expected.insert("memory".to_owned());
    ensure_eq!(
        exported,
        expected,
        "artifact exports differ: missing {:?}, unexpected {:?}",
        difference(&expected, &exported),
        difference(&exported, &expected)
    );
    Ok(())
}

#[test]
fn export_signatures_follow_the_wasm32_c_abi() -> Result<()> {
    let module = artifact("monocypher")?;
    let mut expected: Vec<(String, String)> = public_functions(&source_dir()?)?
        .into_iter()
        .map(|f| (f.name, f.wasm))
        .collect();
    expected.push(("bump_alloc".into(), signature(&["i32"], "i32")));
    expected.push(("bump_reset".into(), signature(&[], "")));
    for name in PACKED {
        expected.push((name.into(), signature(&["i32", "i32", "i32"], "i32")));
    }
    let mut mismatches = Vec::new();
    for (name, wanted) in &expected {
        let found = match module.get_export(name) {
            Some(ExternType::Func(func)) => {
                let params: Vec<String> = func.params().map(|t| t.to_string()).collect();
                let results: Vec<String> = func.results().map(|t| t.to_string()).collect();
                let params: Vec<&str> = params.iter().map(String::as_str).collect();
                signature(&params, &results.join(", "))
            }
            Some(other) => format!("not a function: {other:?}"),
            None => "missing".to_owned(),
        };
        if &found != wanted {
            mismatches.push(format!("{name}: {found}, expected {wanted}"));
        }
    }
    ensure!(
        mismatches.is_empty(),
        "signature mismatches:\n{}",
        mismatches.join("\n")
    );
    Ok(())
}

/// The locator's package name must follow the `=4.0.2` pin in the guest's Cargo.toml.
#[test]
fn locator_follows_the_pinned_version() -> Result<()> {
    let text = std::fs::read_to_string(guest_manifest())?;
    let document: toml_edit::DocumentMut = text.parse()?;
    let pin = document["target"]["cfg(any())"]["dependencies"]["monocypher-sys"]
        .as_str()
        .unwrap_or_default();
    let version = pin.strip_prefix('=').unwrap_or_default();
    ensure_eq!(
        upstream::PACKAGE,
        format!("monocypher-sys-{version}"),
        "upstream.rs looks for {} but Cargo.toml pins monocypher-sys {pin:?} (must be `=X.Y.Z`)",
        upstream::PACKAGE
    );
    Ok(())
}
