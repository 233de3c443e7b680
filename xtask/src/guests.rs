//! Guests are the workspace members that declare `[package.metadata.wasmext]`: adding one
//! never means editing xtask.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::cmd::Cmd;
use crate::interface::{ErrorEnum, Function, Interface};

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
    /// What the artifact must export besides `memory` and its interface's functions: empty for
    /// a `#[guest_sdk::export]` guest, whose exports follow from its interface.
    pub exports: Vec<String>,
    /// The interface a C guest declares (`[[package.metadata.wasmext.functions]]`, `errors`).
    pub declared: Interface,
    /// Fixtures are built and tested but not shipped in the Python package.
    pub ship: bool,
    /// The profile `cargo xtask build` uses unless `--profile` says otherwise.
    pub profile: Profile,
}

/// The arena's exports, which every guest has.
pub const ARENA_EXPORTS: [&str; 2] = ["bump_alloc", "bump_reset"];

impl Guest {
    /// This guest with its whole interface (what it declares and what its linked module
    /// embeds) and, when it declares no exports, the arena's and the interface's functions as
    /// its exports.
    pub fn with_interface(&self, embedded: Interface) -> Result<(Guest, Interface)> {
        let interface = self.declared.clone().merged(embedded);
        interface
            .validate()
            .with_context(|| format!("guest `{}`: its interface", self.name))?;
        let mut exports = self.exports.clone();
        if exports.is_empty() {
            if interface.functions.is_empty() {
                bail!(
                    "guest `{}` exports nothing: list [package.metadata.wasmext] exports, or \
                     export functions with #[guest_sdk::export]",
                    self.name
                );
            }
            exports.extend(ARENA_EXPORTS.map(String::from));
        }
        for function in &interface.functions {
            if !exports.contains(&function.name) {
                exports.push(function.name.clone());
            }
        }
        let guest = Guest {
            exports,
            ..self.clone()
        };
        Ok((guest, interface))
    }
}

/// What the workspace declares, resolved through `cargo metadata`.
pub struct Workspace {
    pub guests: Vec<Guest>,
    /// `VAR=dir` for every guest's `source-dirs`: registry packages whose files a build script
    /// (and the tests) read without compiling the package.
    pub source_env: BTreeMap<String, PathBuf>,
}

impl Workspace {
    /// The guests `names` names, each once and in workspace order; every guest when `names` is
    /// empty.
    pub fn select(&self, names: &[&str]) -> Result<Vec<&Guest>> {
        if let Some(unknown) = names
            .iter()
            .find(|name| !self.guests.iter().any(|g| g.name == **name))
        {
            let known: Vec<_> = self.guests.iter().map(|g| g.name.as_str()).collect();
            bail!(
                "no guest named `{unknown}`; the workspace has: {}",
                known.join(", ")
            );
        }
        Ok(self
            .guests
            .iter()
            .filter(|g| names.is_empty() || names.contains(&g.name.as_str()))
            .collect())
    }

    /// Every guest, each with `profile` if given, else with its own.
    pub fn all(&self, profile: Option<Profile>) -> Vec<(&Guest, Profile)> {
        self.guests
            .iter()
            .map(|g| (g, profile.unwrap_or(g.profile)))
            .collect()
    }

    /// What `cargo xtask build` makes of `asked`: those guests with `profile` if given, then
    /// every other shipped guest with its own, so that the Python package and the wheel always
    /// hold every shipped guest (a partial build never packs a partial wheel).
    pub fn build_plan<'a>(
        &'a self,
        asked: &[&'a Guest],
        profile: Option<Profile>,
    ) -> Vec<(&'a Guest, Profile)> {
        let mut plan: Vec<(&Guest, Profile)> = asked
            .iter()
            .map(|g| (*g, profile.unwrap_or(g.profile)))
            .collect();
        for guest in &self.guests {
            if guest.ship && !asked.iter().any(|a| a.name == guest.name) {
                plan.push((guest, guest.profile));
            }
        }
        plan
    }
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
    #[serde(default)]
    exports: Vec<String>,
    /// A C guest's typed signatures (docs/abi.md); the build checks them against the wasm types.
    #[serde(default)]
    functions: Vec<Function>,
    #[serde(default)]
    errors: Vec<ErrorEnum>,
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
        if self.exports.iter().any(|e| e == "memory") {
            bail!("guest `{name}`: [package.metadata.wasmext] exports: `memory` is implied");
        }
        let declared = Interface {
            functions: self.functions.clone(),
            errors: self.errors.clone(),
        };
        declared
            .validate()
            .with_context(|| format!("guest `{name}`: [package.metadata.wasmext] functions"))?;
        let profile = match &self.profile {
            None => Profile::DEFAULT,
            Some(profile) => Profile::parse(profile)
                .with_context(|| format!("guest `{name}`: [package.metadata.wasmext] profile"))?,
        };
        Ok(Guest {
            name: name.to_owned(),
            lib_name,
            exports: self.exports.clone(),
            declared,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn guest(name: &str, ship: bool, profile: Profile) -> Guest {
        Guest {
            name: name.into(),
            lib_name: name.into(),
            exports: vec!["f".into()],
            declared: Interface::default(),
            ship,
            profile,
        }
    }

    fn workspace() -> Workspace {
        Workspace {
            guests: vec![
                guest("fixture", false, Profile::Size),
                guest("monocypher", true, Profile::Speed),
                guest("twosum", true, Profile::Size),
            ],
            source_env: BTreeMap::new(),
        }
    }

    fn names(plan: &[(&Guest, Profile)]) -> Vec<(String, &'static str)> {
        plan.iter()
            .map(|(g, p)| (g.name.clone(), p.name()))
            .collect()
    }

    #[test]
    fn guests_are_selected_by_name_once_each() {
        let ws = workspace();
        let all: Vec<_> = ws.select(&[]).unwrap().iter().map(|g| &g.name).collect();
        assert_eq!(all, ["fixture", "monocypher", "twosum"]);
        let some: Vec<_> = ws
            .select(&["twosum", "fixture", "twosum"])
            .unwrap()
            .iter()
            .map(|g| &g.name)
            .collect();
        assert_eq!(some, ["fixture", "twosum"]);
        let err = ws.select(&["twosum", "nope"]).unwrap_err().to_string();
        assert!(err.contains("no guest named `nope`"), "{err}");
        assert!(err.contains("fixture, monocypher, twosum"), "{err}");
    }

    #[test]
    fn a_partial_build_still_makes_every_shipped_guest() {
        let ws = workspace();
        // `--guest twosum --profile speed`: twosum so, monocypher with its own, no fixture.
        let asked = ws.select(&["twosum"]).unwrap();
        let plan = ws.build_plan(&asked, Some(Profile::Speed));
        assert_eq!(
            names(&plan),
            [("twosum".into(), "speed"), ("monocypher".into(), "speed")]
        );
        let plan = ws.build_plan(&ws.select(&["fixture"]).unwrap(), None);
        assert_eq!(
            names(&plan),
            [
                ("fixture".into(), "size"),
                ("monocypher".into(), "speed"),
                ("twosum".into(), "size")
            ]
        );
        // No --guest: everything, as asked.
        let plan = ws.build_plan(&ws.select(&[]).unwrap(), Some(Profile::Size));
        assert_eq!(names(&plan), names(&ws.all(Some(Profile::Size))));
    }

    fn declaration(toml_text: &str) -> Result<Guest> {
        let decl: Declaration = toml::from_str(toml_text)?;
        decl.guest("g", "g".into())
    }

    fn function(name: &str, params: &[(&str, &str)]) -> Function {
        Function {
            name: name.into(),
            doc: String::new(),
            params: params
                .iter()
                .map(|(name, ty)| crate::interface::Param {
                    name: (*name).into(),
                    ty: (*ty).into(),
                })
                .collect(),
            result: "u32".into(),
            error: None,
        }
    }

    #[test]
    fn a_macro_guest_exports_the_arena_and_its_functions() -> Result<()> {
        let guest = declaration("")?;
        let embedded = Interface {
            functions: vec![function("compress", &[("data", "&[u8]")])],
            errors: vec![],
        };
        let (resolved, interface) = guest.with_interface(embedded)?;
        assert_eq!(resolved.exports, ["bump_alloc", "bump_reset", "compress"]);
        assert_eq!(interface.functions[0].name, "compress");
        let err = guest.with_interface(Interface::default()).unwrap_err();
        assert!(
            err.to_string().contains("guest `g` exports nothing"),
            "{err}"
        );
        Ok(())
    }

    #[test]
    fn a_c_guest_declares_its_signatures_in_cargo_toml() -> Result<()> {
        let guest = declaration(
            r#"
            exports = ["bump_alloc", "bump_reset", "adler32"]
            [[functions]]
            name = "adler32"
            doc = "A checksum."
            params = [{ name = "data", type = "&[u8]" }]
            result = "u32"
            "#,
        )?;
        assert_eq!(guest.declared.functions[0].params[0].ty, "&[u8]");
        assert_eq!(guest.declared.functions[0].error, None);
        let (resolved, interface) = guest.with_interface(Interface::default())?;
        assert_eq!(resolved.exports, ["bump_alloc", "bump_reset", "adler32"]);
        assert_eq!(
            crate::interface::signature(&interface.functions[0])?,
            "(i32, i32, i32) -> i32"
        );
        let bad = declaration(
            r#"
            exports = ["adler32"]
            [[functions]]
            name = "adler32"
            params = [{ name = "data", type = "&[u16]" }]
            result = "u32"
            "#,
        )
        .unwrap_err();
        let message = format!("{bad:#}");
        assert!(
            message.contains("function `adler32`: parameter `data` has the unknown type `&[u16]`"),
            "{message}"
        );
        Ok(())
    }

    #[test]
    fn a_function_both_declared_and_embedded_is_refused() -> Result<()> {
        let guest = declaration(
            r#"
            [[functions]]
            name = "f"
            result = "u32"
            "#,
        )?;
        let embedded = Interface {
            functions: vec![function("f", &[])],
            errors: vec![],
        };
        let err = format!("{:#}", guest.with_interface(embedded).unwrap_err());
        assert!(err.contains("function `f` is declared twice"), "{err}");
        Ok(())
    }
}
