//! Guests are the workspace members that declare `[package.metadata.wasmext]`: adding one
//! never means editing xtask.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::cmd::Cmd;

/// How a guest's artifact is optimised: for bytes or for speed (a Cargo profile of the workspace
/// and a wasm-opt level each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Size,
    Speed,
}

impl Profile {
    /// For guests that don't declare one: small artifacts, unless a guest's measurements say
    /// speed is worth the bytes (see docs/building.md, "Build profiles").
    pub const DEFAULT: Profile = Profile::Size;

    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "size" => Ok(Profile::Size),
            "speed" => Ok(Profile::Speed),
            other => bail!("unknown profile `{other}`: use `size` or `speed`"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Profile::Size => "size",
            Profile::Speed => "speed",
        }
    }

    /// The Cargo profile (workspace Cargo.toml) that builds it.
    pub fn cargo_profile(self) -> &'static str {
        match self {
            Profile::Size => "guest-size",
            Profile::Speed => "guest-speed",
        }
    }

    pub fn wasm_opt_level(self) -> &'static str {
        match self {
            Profile::Size => "-Oz",
            Profile::Speed => "-O3",
        }
    }
}

/// One guest, as declared in its Cargo.toml.
#[derive(Debug, Clone)]
pub struct Guest {
    /// The package name: `--guest NAME`, `target/guests/NAME.wasm`.
    pub name: String,
    /// The cdylib's file stem in cargo's output (`-` becomes `_`).
    pub lib_name: String,
    /// Exactly what the artifact must export besides `memory`.
    pub exports: Vec<String>,
    /// Fixtures are built and tested but not shipped in the Python package.
    pub ship: bool,
    /// The profile `cargo xtask build` uses unless `--profile` says otherwise.
    pub profile: Profile,
}

/// What the workspace declares, resolved through `cargo metadata`.
pub struct Workspace {
    pub guests: Vec<Guest>,
    /// `VAR=dir` for every guest's `source-dirs`: registry packages whose files a build script
    /// (and the tests) read without compiling the package.
    pub source_env: BTreeMap<String, PathBuf>,
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    workspace_members: Vec<String>,
}

#[derive(Deserialize)]
struct Package {
    id: String,
    name: String,
    manifest_path: PathBuf,
    targets: Vec<Target>,
    #[serde(default)]
    metadata: Option<PackageMetadata>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    crate_types: Vec<String>,
}

#[derive(Deserialize)]
struct PackageMetadata {
    wasmext: Option<Declaration>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Declaration {
    exports: Vec<String>,
    #[serde(default = "yes")]
    ship: bool,
    /// `size` or `speed`: which one wins for this guest is a measured choice.
    #[serde(default)]
    profile: Option<String>,
    /// `VAR = "package/subdir"`: xtask sets `VAR` to that directory of the locked package.
    #[serde(default)]
    source_dirs: BTreeMap<String, String>,
}

fn yes() -> bool {
    true
}

impl Declaration {
    /// The guest this declaration describes, once its fields are checked.
    fn guest(&self, name: &str, lib_name: String) -> Result<Guest> {
        if self.exports.is_empty() || self.exports.iter().any(|e| e == "memory") {
            bail!(
                "guest `{name}`: [package.metadata.wasmext] exports must list its functions (`memory` is implied)"
            );
        }
        let profile = match &self.profile {
            None => Profile::DEFAULT,
            Some(profile) => Profile::parse(profile)
                .with_context(|| format!("guest `{name}`: [package.metadata.wasmext] profile"))?,
        };
        Ok(Guest {
            name: name.to_owned(),
            lib_name,
            exports: self.exports.clone(),
            ship: self.ship,
            profile,
        })
    }
}

/// The guest declared by one Cargo.toml, read directly: for a crate outside this workspace
/// (`cargo xtask test`'s scratch scaffolds). Its cdylib is named after the package.
pub fn from_manifest(path: &Path) -> Result<Guest> {
    #[derive(Deserialize)]
    struct Manifest {
        package: ManifestPackage,
    }
    #[derive(Deserialize)]
    struct ManifestPackage {
        name: String,
        metadata: Option<PackageMetadata>,
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let package = toml::from_str::<Manifest>(&text)
        .with_context(|| format!("parsing {}", path.display()))?
        .package;
    let Some(decl) = package.metadata.as_ref().and_then(|m| m.wasmext.as_ref()) else {
        bail!("{} declares no [package.metadata.wasmext]", path.display());
    };
    decl.guest(&package.name, package.name.replace('-', "_"))
}

pub fn discover() -> Result<Workspace> {
    // Full resolution (not --no-deps) so that source-only registry packages are fetched and
    // located; the lock file pins them, so this is offline after the first fetch.
    let json = Cmd::cargo()
        .args(["metadata", "--format-version", "1"])
        .current_dir(crate::project_root())
        .timeout(Duration::from_secs(600))
        .quiet()
        .read()
        .context("reading the workspace with `cargo metadata`")?;
    let metadata: Metadata = serde_json::from_str(&json).context("parsing `cargo metadata`")?;

    let mut guests = Vec::new();
    let mut source_env = BTreeMap::new();
    for package in &metadata.packages {
        if !metadata.workspace_members.contains(&package.id) {
            continue;
        }
        let Some(decl) = package.metadata.as_ref().and_then(|m| m.wasmext.as_ref()) else {
            continue;
        };
        let Some(lib) = package
            .targets
            .iter()
            .find(|t| t.crate_types.iter().any(|c| c == "cdylib"))
        else {
            bail!(
                "guest `{}` declares [package.metadata.wasmext] but has no cdylib target",
                package.name
            );
        };
        for (var, spec) in &decl.source_dirs {
            let (dep, subdir) = spec.split_once('/').unwrap_or((spec, ""));
            let Some(found) = metadata.packages.iter().find(|p| p.name == dep) else {
                bail!(
                    "guest `{}`: source-dirs names `{dep}`, which is not in Cargo.lock",
                    package.name
                );
            };
            let root = found
                .manifest_path
                .parent()
                .expect("a manifest has a parent dir");
            source_env.insert(var.clone(), root.join(subdir));
        }
        guests.push(decl.guest(&package.name, lib.name.replace('-', "_"))?);
    }
    guests.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Workspace { guests, source_env })
}
