//! What a build hands on: the manifest, the shipped artifacts copied into the Python package
//! (and `--out DIR`), and the wheel.

use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::compile::{guests_dir, Built};
use crate::fsx::write_if_changed;
use crate::guests::Workspace;
use crate::manifest::Manifest;
use crate::toolchain::Toolchain;
use crate::{project_root, python, wheel};

/// Writes the manifest, copies the shipped artifacts into the Python package, and packs the
/// wheel; with `out`, also copies the named guests' artifacts, and a manifest of just them,
/// into that directory.
pub fn publish(
    toolchain: &Toolchain,
    workspace: &Workspace,
    built: &[Built],
    out: Option<(&Path, &[&str])>,
) -> Result<()> {
    let manifest_path = guests_dir().join("manifest.json");
    let mut manifest = Manifest::load(&manifest_path);
    manifest.tools = toolchain
        .versions()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    manifest.merge(built.iter().map(|b| b.entry.clone()));
    // A guest removed from the workspace (or whose artifact is gone) must not linger in the
    // manifest, and so not in the package or the wheel either.
    manifest.guests.retain(|g| {
        workspace.guests.iter().any(|w| w.name == g.name) && guests_dir().join(&g.file).is_file()
    });
    manifest.write(&manifest_path)?;

    let shipped = manifest.shipped();
    // The package (and so the wheel) holds every shipped guest or is not written at all.
    let unbuilt: Vec<&str> = workspace
        .guests
        .iter()
        .filter(|g| g.ship && !shipped.guests.iter().any(|e| e.name == g.name))
        .map(|g| g.name.as_str())
        .collect();
    if !unbuilt.is_empty() {
        bail!(
            "not packing a wheel without {}: build every shipped guest (xtask bug)",
            unbuilt.join(", ")
        );
    }
    let package = python::package_dir();
    if package.join("wasmext").is_dir() {
        copy_guests(&package.join("wasmext/guests"), &shipped)?;
    }
    if let Some((dir, names)) = out {
        let chosen = manifest.only(names);
        copy_guests(dir, &chosen)?;
        write_bindings(dir)?;
        eprintln!(
            "copied {} artifact(s) ({}) and their manifest.json into {}",
            chosen.guests.len(),
            names.join(", "),
            dir.display()
        );
    }
    // The package's guests/ is ours alone (unlike a user's --out): drop what no longer ships.
    let package_guests = package.join("wasmext/guests");
    if package_guests.is_dir() {
        for stale in std::fs::read_dir(&package_guests)?
            .flatten()
            .map(|e| e.path())
        {
            let name = stale
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if name.ends_with(".wasm") && !shipped.guests.iter().any(|g| g.file == name) {
                std::fs::remove_file(&stale)
                    .with_context(|| format!("removing the stale {}", stale.display()))?;
            }
        }
    }
    if package.join("pyproject.toml").is_file() {
        let wheel = wheel::build(&package, &project_root().join("target/wheels"))?;
        eprintln!("wheel: {}", wheel.display());
    }
    Ok(())
}

/// `DIR/<guest>.py`, the typed Python module of each guest in `dir`'s manifest that has an
/// interface. Read from the manifest as written, whatever else its entries hold.
fn write_bindings(dir: &Path) -> Result<()> {
    let path = dir.join("manifest.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let manifest: serde_json::Value = serde_json::from_str(&text)?;
    let guests = manifest["guests"].as_array().cloned().unwrap_or_default();
    for guest in guests.iter().filter(|g| !g["interface"].is_null()) {
        let (Some(name), Some(file)) = (guest["name"].as_str(), guest["file"].as_str()) else {
            continue;
        };
        let stem = Path::new(file).file_stem().unwrap_or_default();
        let module = dir.join(stem).with_extension("py");
        python::bindgen(&path, name, &module)
            .with_context(|| format!("writing the Python bindings of {name}"))?;
        eprintln!("bindings: {}", module.display());
    }
    Ok(())
}

/// `manifest`'s artifacts and the manifest itself into `dir`.
fn copy_guests(dir: &Path, manifest: &Manifest) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for entry in &manifest.guests {
        let bytes = std::fs::read(guests_dir().join(&entry.file))?;
        write_if_changed(&dir.join(&entry.file), &bytes)?;
    }
    manifest.write(&dir.join("manifest.json"))
}
