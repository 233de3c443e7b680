//! Packs `python/` into a `py3-none-any` wheel: byte-for-byte reproducible (sorted entries,
//! fixed timestamps), and no Python needed to make it.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

/// The `[project]` table fields that go into METADATA.
#[derive(serde::Deserialize)]
struct PyProject {
    project: Project,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Project {
    name: String,
    version: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    requires_python: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
    #[serde(default)]
    license: Option<toml::Value>,
}

/// Builds the wheel for the package in `package_dir` into `out_dir`; returns its path.
pub fn build(package_dir: &Path, out_dir: &Path) -> Result<PathBuf> {
    let pyproject_path = package_dir.join("pyproject.toml");
    let pyproject: PyProject = toml::from_str(&std::fs::read_to_string(&pyproject_path)?)
        .with_context(|| format!("reading [project] from {}", pyproject_path.display()))?;
    let project = pyproject.project;
    let dist = project.name.replace('-', "_");
    let import_dir = package_dir.join(&dist);
    if !import_dir.is_dir() {
        bail!(
            "{} has no package directory {}",
            pyproject_path.display(),
            import_dir.display()
        );
    }

    let mut files = Vec::new();
    collect(package_dir, &import_dir, &mut files)?;
    files.sort();
    if !files.iter().any(|(name, _)| name.ends_with(".wasm")) {
        bail!(
            "{} holds no .wasm artifact: the build copies them there",
            import_dir.display()
        );
    }

    let dist_info = format!("{dist}-{}.dist-info", project.version);
    files.push((
        format!("{dist_info}/METADATA"),
        metadata(&project).into_bytes(),
    ));
    files.push((
        format!("{dist_info}/WHEEL"),
        b"Wheel-Version: 1.0\nGenerator: wasmext-xtask\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
            .to_vec(),
    ));
    let mut record = String::new();
    for (name, bytes) in &files {
        let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(bytes));
        record.push_str(&format!("{name},sha256={digest},{}\n", bytes.len()));
    }
    record.push_str(&format!("{dist_info}/RECORD,,\n"));
    files.push((format!("{dist_info}/RECORD"), record.into_bytes()));

    std::fs::create_dir_all(out_dir)?;
    let wheel_path = out_dir.join(format!("{dist}-{}-py3-none-any.whl", project.version));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (name, bytes) in &files {
        zip.start_file(name.as_str(), options)?;
        zip.write_all(bytes)?;
    }
    let bytes = zip.finish()?.into_inner();
    crate::fsx::write_if_changed(&wheel_path, &bytes)?;
    Ok(wheel_path)
}

/// Every file of the import package except caches, as (archive name, bytes).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name == "__pycache__" || name.ends_with(".pyc") || name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, files)?;
        } else {
            let relative = path
                .strip_prefix(root)?
                .to_string_lossy()
                .replace('\\', "/");
            files.push((relative, std::fs::read(&path)?));
        }
    }
    Ok(())
}

fn metadata(project: &Project) -> String {
    let mut out = format!(
        "Metadata-Version: 2.1\nName: {}\nVersion: {}\nSummary: {}\n",
        project.name, project.version, project.description
    );
    if let Some(license) = project.license.as_ref().and_then(toml::Value::as_str) {
        out.push_str(&format!("License: {license}\n"));
    }
    if let Some(requires) = &project.requires_python {
        out.push_str(&format!("Requires-Python: {requires}\n"));
    }
    for dependency in &project.dependencies {
        out.push_str(&format!("Requires-Dist: {dependency}\n"));
    }
    out
}
