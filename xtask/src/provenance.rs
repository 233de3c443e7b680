//! Whether artifacts are what this checkout builds: each `.wasm`, a directory of them (a
//! package's `guests/`), a wheel or a `manifest.json`, against this build's manifest. An
//! artifact's sha256 must equal what this build made of the guest of the same file name, and a
//! manifest that travels with artifacts must describe them truly.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::fsx::hex_sha256;
use crate::manifest::Manifest;

/// Checks every artifact and manifest under `paths` against `ours`; fails if any differs.
pub fn check_paths(ours: &Manifest, paths: &[PathBuf]) -> Result<()> {
    let mut failures = 0;
    let mut checks = 0;
    for path in paths {
        let found = Found::read(path)?;
        if found.artifacts.is_empty() && found.manifest.is_none() {
            bail!(
                "{} holds no .wasm artifact or manifest.json",
                path.display()
            );
        }
        for line in found.check(ours) {
            checks += 1;
            if line.starts_with("ok") {
                println!("{line}");
            } else {
                failures += 1;
                println!("{line}");
            }
        }
    }
    if failures > 0 {
        bail!(
            "{failures} of {checks} check(s) failed: those artifacts are not what this checkout \
             builds (another commit, another toolchain — compare the manifests' `tools` — or \
             modified)"
        );
    }
    eprintln!("verify: {checks} check(s), all match this build");
    Ok(())
}

/// What one PATH holds: artifacts by file name, and the manifest that came with them.
struct Found {
    source: String,
    /// A directory or a wheel: its manifest's files must be in it (a lone `manifest.json`
    /// travels without them).
    holds_artifacts: bool,
    artifacts: BTreeMap<String, Vec<u8>>,
    manifest: Option<Manifest>,
}

impl Found {
    fn read(path: &Path) -> Result<Self> {
        let mut found = Found {
            source: path.display().to_string(),
            holds_artifacts: path.is_dir() || path.extension().is_some_and(|e| e == "whl"),
            artifacts: BTreeMap::new(),
            manifest: None,
        };
        let name = |p: &Path| {
            p.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        };
        if path.is_dir() {
            for entry in std::fs::read_dir(path)? {
                let file = entry?.path();
                found.add(&name(&file), std::fs::read(&file).ok())?;
            }
        } else if path.extension().is_some_and(|e| e == "whl") {
            let file =
                std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
            let mut wheel = zip::ZipArchive::new(file)
                .with_context(|| format!("{} is not a wheel (zip) file", path.display()))?;
            for index in 0..wheel.len() {
                let mut entry = wheel.by_index(index)?;
                let entry_path = PathBuf::from(entry.name()?.into_owned());
                let in_guests = entry_path
                    .parent()
                    .is_some_and(|dir| dir.ends_with("guests"));
                if in_guests {
                    let mut bytes = Vec::new();
                    entry.read_to_end(&mut bytes)?;
                    found.add(&name(&entry_path), Some(bytes))?;
                }
            }
        } else {
            let bytes =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            found.add(&name(path), Some(bytes))?;
        }
        Ok(found)
    }

    fn add(&mut self, name: &str, bytes: Option<Vec<u8>>) -> Result<()> {
        let Some(bytes) = bytes else { return Ok(()) };
        if name.ends_with(".wasm") {
            self.artifacts.insert(name.to_owned(), bytes);
        } else if name.ends_with(".json") {
            let manifest = serde_json::from_slice(&bytes)
                .with_context(|| format!("{name} in {} is not a manifest", self.source))?;
            self.manifest = Some(manifest);
        }
        Ok(())
    }

    /// One line per check, starting with `ok` or `DIFF`.
    fn check(&self, ours: &Manifest) -> Vec<String> {
        let mut lines = Vec::new();
        let source = &self.source;
        for (file, bytes) in &self.artifacts {
            let sha = hex_sha256(bytes);
            let same_bytes = ours.guests.iter().find(|g| g.sha256 == sha);
            let same_name = ours.guests.iter().find(|g| &g.file == file);
            lines.push(match (same_bytes, same_name) {
                (Some(entry), _) => format!(
                    "ok    {file} ({source}): {} as built here ({})",
                    &sha[..16],
                    entry.file
                ),
                (None, Some(entry)) => format!(
                    "DIFF  {file} ({source}): sha256 {sha}, but this checkout builds {}",
                    entry.sha256
                ),
                (None, None) => format!(
                    "DIFF  {file} ({source}): this checkout builds no guest of that name or bytes"
                ),
            });
        }
        if let Some(theirs) = &self.manifest {
            for entry in &theirs.guests {
                let file = &entry.file;
                // A manifest must describe the artifacts it ships with, and this build.
                match self.artifacts.get(file) {
                    Some(bytes) => {
                        let sha = hex_sha256(bytes);
                        if sha != entry.sha256 {
                            lines.push(format!(
                                "DIFF  {file} ({source}): its manifest says {}, the file is {sha}",
                                entry.sha256
                            ));
                        }
                    }
                    None if self.holds_artifacts => {
                        lines.push(format!(
                            "DIFF  {file} ({source}): its manifest lists it, but the file is missing"
                        ));
                        continue;
                    }
                    None => {}
                }
                lines.push(match ours.guests.iter().find(|g| g.file == *file) {
                    Some(ours) if ours.sha256 == entry.sha256 => {
                        format!("ok    manifest entry {file} ({source}): as built here")
                    }
                    Some(ours) => format!(
                        "DIFF  manifest entry {file} ({source}): {}, but this checkout builds {}",
                        entry.sha256, ours.sha256
                    ),
                    None => format!(
                        "DIFF  manifest entry {file} ({source}): this checkout builds no such guest"
                    ),
                });
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Entry;

    fn manifest(files: &[(&str, &[u8])]) -> Manifest {
        Manifest {
            tools: BTreeMap::new(),
            guests: files
                .iter()
                .map(|(file, bytes)| Entry {
                    name: file.trim_end_matches(".wasm").to_owned(),
                    file: (*file).to_owned(),
                    profile: "size".into(),
                    bytes: bytes.len(),
                    sha256: hex_sha256(bytes),
                    ship: true,
                    exports: Vec::new(),
                    interface: None,
                })
                .collect(),
        }
    }

    fn scratch(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-verify-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn matching_tampered_and_unknown_artifacts() {
        let ours = manifest(&[("a.wasm", b"\0asm a"), ("b.wasm", b"\0asm b")]);
        let dir = scratch("files");
        std::fs::write(dir.join("a.wasm"), b"\0asm a").unwrap();
        std::fs::write(dir.join("b.wasm"), b"\0asm B").unwrap();
        std::fs::write(dir.join("c.wasm"), b"\0asm c").unwrap();
        assert!(check_paths(&ours, &[dir.join("a.wasm")]).is_ok());
        for bad in ["b.wasm", "c.wasm"] {
            let err = check_paths(&ours, &[dir.join(bad)]).unwrap_err();
            assert!(err.to_string().contains("1 of 1 check(s) failed"), "{err}");
        }
        let lines = Found::read(&dir).unwrap().check(&ours);
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("ok")).count(),
            1,
            "{lines:?}"
        );
        assert!(lines
            .iter()
            .any(|l| l.contains("c.wasm") && l.contains("no guest")));
        // A renamed artifact is still recognised by its bytes.
        std::fs::write(dir.join("renamed.wasm"), b"\0asm a").unwrap();
        assert!(check_paths(&ours, &[dir.join("renamed.wasm")]).is_ok());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_manifest_must_describe_its_artifacts() {
        let ours = manifest(&[("a.wasm", b"\0asm a")]);
        let dir = scratch("claims");
        std::fs::write(dir.join("a.wasm"), b"\0asm a").unwrap();
        let lying = manifest(&[("a.wasm", b"something else")]);
        std::fs::write(
            dir.join("manifest.json"),
            serde_json::to_vec(&lying).unwrap(),
        )
        .unwrap();
        let lines = Found::read(&dir).unwrap().check(&ours);
        assert!(
            lines.iter().any(|l| l.contains("its manifest says")),
            "{lines:?}"
        );
        assert!(check_paths(&ours, std::slice::from_ref(&dir)).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_its_manifest_lists_must_be_there() {
        let ours = manifest(&[("a.wasm", b"\0asm a"), ("b.wasm", b"\0asm b")]);
        let dir = scratch("missing");
        std::fs::write(dir.join("a.wasm"), b"\0asm a").unwrap();
        std::fs::write(
            dir.join("manifest.json"),
            serde_json::to_vec(&ours).unwrap(),
        )
        .unwrap();
        let err = check_paths(&ours, std::slice::from_ref(&dir)).unwrap_err();
        assert!(err.to_string().contains("1 of 3 check(s) failed"), "{err}");
        let lines = Found::read(&dir).unwrap().check(&ours);
        let missing: Vec<_> = lines.iter().filter(|l| l.starts_with("DIFF")).collect();
        assert_eq!(missing.len(), 1, "{lines:?}");
        assert!(
            missing[0].contains("b.wasm") && missing[0].contains("the file is missing"),
            "{lines:?}"
        );
        // A manifest on its own (published beside a wheel, say) vouches for no files here.
        assert!(check_paths(&ours, &[dir.join("manifest.json")]).is_ok());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn wheels_are_opened() {
        use std::io::Write;
        let ours = manifest(&[("a.wasm", b"\0asm a")]);
        let dir = scratch("wheel");
        let wheel = dir.join("pkg-0.1.0-py3-none-any.whl");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&wheel).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("pkg/guests/a.wasm", options).unwrap();
        zip.write_all(b"\0asm a").unwrap();
        zip.start_file("pkg/guests/manifest.json", options).unwrap();
        zip.write_all(&serde_json::to_vec(&ours).unwrap()).unwrap();
        zip.start_file("pkg/__init__.py", options).unwrap();
        zip.finish().unwrap();
        let found = Found::read(&wheel).unwrap();
        assert_eq!(found.artifacts.len(), 1);
        assert!(check_paths(&ours, &[wheel]).is_ok());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
