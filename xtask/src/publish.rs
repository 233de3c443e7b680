//! What a build hands on: the manifest, the shipped artifacts copied into the Python package
//! (and `--out DIR`), and the wheel.

use std::path::Path;

use anyhow::{Context, Result};

use crate::compile::{guests_dir, Built};
use crate::fsx::write_if_changed;
use crate::guests::Workspace;
use crate::manifest::Manifest;
use crate::toolchain::Toolchain;
use crate::{project_root, python, wheel};

/// Writes the manifest, copies shipped artifacts into the Python package (and `--out DIR`),
/// and packs the wheel.
pub fn publish(
    toolchain: &Toolchain,
    workspace: &Workspace,
    built: &[Built],
    out: Option<&Path>,
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
    let package = python::package_dir();
    let package_guests = package
        .join("wasmext")
        .is_dir()
        .then(|| package.join("wasmext/guests"));
    for dir in package_guests
        .iter()
        .chain(out.map(Path::to_path_buf).iter())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for entry in &shipped.guests {
            let bytes = std::fs::read(guests_dir().join(&entry.file))?;
            write_if_changed(&dir.join(&entry.file), &bytes)?;
        }
        shipped.write(&dir.join("manifest.json"))?;
    }
    // The package's guests/ is ours alone (unlike a user's --out): drop what no longer ships.
    if let Some(dir) = &package_guests {
        for stale in std::fs::read_dir(dir)?.flatten().map(|e| e.path()) {
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
    if let Some(dir) = out {
        eprintln!(
            "copied {} artifact(s) and manifest.json into {}",
            shipped.guests.len(),
            dir.display()
        );
    }
    if package.join("pyproject.toml").is_file() {
        let wheel = wheel::build(&package, &project_root().join("target/wheels"))?;
        eprintln!("wheel: {}", wheel.display());
    }
    Ok(())
}
