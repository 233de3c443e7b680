//! The proof that builds are reproducible: `cargo xtask build` of a copy of the tree at another
//! path (another length too) must give byte-identical artifacts, manifest and wheel. The copy
//! first builds one guest only (`--guest`), from clean outputs as a fresh clone would: its wheel
//! must already be the full build's.
//!
//! The copy keeps its own `target/wasm` between runs, so after the first run only the Rust
//! `core`/`alloc` of build-std are reused: they are compiled from the toolchain's sources, which
//! do not move with the clone. Everything the clone's path can reach (the guests, the SDK, the
//! C, the link, wasm-opt, the strip, the manifest, the wheel) is redone every time.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::cmd::Cmd;
use crate::compile::guests_dir;
use crate::fsx::hex_sha256;
use crate::manifest::Manifest;
use crate::{project_root, PROJECT_ROOT_ENV};

/// Where the copy lives, inside `target/` so `cargo clean` removes it.
const CLONE: &str = "target/repro/a-second-clone-of-wasmext";

/// Copies the tree, builds the copy with this very xtask, and compares the outputs.
pub fn check() -> Result<()> {
    let root = project_root();
    let clone = root.join(CLONE);
    let started = Instant::now();
    let files = copy_tree(&root, &clone)?;
    let exe = std::env::current_exe().context("locating the running xtask")?;
    let manifest = Manifest::load(&guests_dir().join("manifest.json"));

    // First one guest, as on a fresh clone: the wheel must still hold every shipped guest,
    // byte for byte the full build's.
    if let Some(first) = manifest.shipped().guests.first() {
        Cmd::new(&exe)
            .args(["build", "--guest", &first.name])
            .env(PROJECT_ROOT_ENV, &clone)
            .on_failure("the copy of the tree did not build: see above")
            .run()?;
        for wheel in wheels(&root)? {
            let ours = std::fs::read(root.join(&wheel))?;
            if std::fs::read(clone.join(&wheel)).ok() != Some(ours) {
                bail!(
                    "`cargo xtask build --guest {}` of a clean copy of the tree at {} packed \
                     another {} than the full build here: a partial build must pack every \
                     shipped guest",
                    first.name,
                    clone.display(),
                    wheel.display()
                );
            }
        }
    }

    Cmd::new(exe)
        .arg("build")
        .env(PROJECT_ROOT_ENV, &clone)
        .on_failure("the copy of the tree did not build: see above")
        .run()?;

    let mut outputs = vec![PathBuf::from("target/guests/manifest.json")];
    for entry in &manifest.guests {
        outputs.push(Path::new("target/guests").join(&entry.file));
    }
    outputs.extend(wheels(&root)?);
    let mut differences = Vec::new();
    for output in &outputs {
        let ours = std::fs::read(root.join(output))
            .with_context(|| format!("reading {}", output.display()))?;
        let theirs = std::fs::read(clone.join(output)).unwrap_or_default();
        if ours != theirs {
            let at = ours.iter().zip(&theirs).position(|(a, b)| a != b);
            differences.push(format!(
                "  {}: {} here, {} in the copy (first difference at byte {})",
                output.display(),
                &hex_sha256(&ours)[..16],
                &hex_sha256(&theirs)[..16],
                at.unwrap_or(ours.len().min(theirs.len())),
            ));
        }
    }
    if !differences.is_empty() {
        bail!(
            "the build depends on where the tree is: a copy at {} built differently\n{}\n\
             look for an embedded path or timestamp (`strings FILE | grep /`)",
            clone.display(),
            differences.join("\n")
        );
    }
    eprintln!(
        "reproducible: {} artifact(s), manifest.json and the wheel are byte-identical when a copy \
         of the tree ({files} files) at {} is built, the wheel already after a one-guest build \
         ({:.0} s)",
        manifest.guests.len(),
        clone.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn wheels(root: &Path) -> Result<Vec<PathBuf>> {
    let dir = root.join("target/wheels");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let name = entry?.file_name();
        if Path::new(&name).extension().is_some_and(|e| e == "whl") {
            found.push(Path::new("target/wheels").join(name));
        }
    }
    Ok(found)
}

/// Replaces the copy's sources with the tree's (what git tracks, plus new files it does not
/// ignore), keeping only its `target/wasm`; returns how many files were copied.
fn copy_tree(root: &Path, clone: &Path) -> Result<usize> {
    if clone.is_dir() {
        for entry in std::fs::read_dir(clone)? {
            let path = entry?.path();
            if path.file_name().is_some_and(|n| n == "target") {
                for output in ["guests", "wheels"] {
                    let dir = path.join(output);
                    if dir.exists() {
                        std::fs::remove_dir_all(&dir)?;
                    }
                }
            } else if path.is_dir() {
                std::fs::remove_dir_all(&path)?;
            } else {
                std::fs::remove_file(&path)?;
            }
        }
    }
    let files = source_files(root)?;
    for relative in &files {
        let to = clone.join(relative);
        std::fs::create_dir_all(to.parent().expect("a file has a parent"))?;
        std::fs::copy(root.join(relative), &to)
            .with_context(|| format!("copying {}", relative.display()))?;
    }
    Ok(files.len())
}

/// The tree's source files, relative to `root`: git's view when it is a clone, else a walk
/// that skips build outputs and caches.
fn source_files(root: &Path) -> Result<Vec<PathBuf>> {
    let listed = Cmd::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root)
        .quiet()
        .read();
    if let Ok(listed) = listed {
        return Ok(listed
            .split('\0')
            .filter(|name| !name.is_empty())
            .map(PathBuf::from)
            .filter(|path| root.join(path).is_file()) // deleted but not yet committed
            .collect());
    }
    let mut files = Vec::new();
    walk(root, root, &mut files)?;
    Ok(files)
}

fn walk(root: &Path, dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    const SKIP: &[&str] = &[
        ".git",
        "target",
        "__pycache__",
        ".hypothesis",
        ".pytest_cache",
    ];
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let relative = path.strip_prefix(root)?.to_path_buf();
        if SKIP.contains(&name.as_ref())
            || name.ends_with(".egg-info")
            || relative == Path::new("python/wasmext/guests")
        {
            continue;
        }
        if path.is_dir() {
            walk(root, &path, files)?;
        } else {
            files.push(relative);
        }
    }
    Ok(())
}
