//! `cargo xtask build`: cargo → drop undeclared exports → wasm-opt → strip → validate, then the
//! manifest, the copies into the Python package, and the wheel.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::artifact::{self, ExportInfo};
use crate::cmd::Cmd;
use crate::flags::Flags;
use crate::guests::{self, Guest, Workspace};
use crate::manifest::{Entry, Manifest};
use crate::toolchain::{RustWasm, Toolchain, WASM_TARGET};
use crate::{leaks, project_root, python, setup, wheel};

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

    fn cargo_profile(self) -> &'static str {
        match self {
            Profile::Size => "guest-size",
            Profile::Speed => "guest-speed",
        }
    }

    fn wasm_opt_level(self) -> &'static str {
        match self {
            Profile::Size => "-Oz",
            Profile::Speed => "-O3",
        }
    }
}

/// One finished artifact.
pub struct Built {
    pub guest: Guest,
    pub entry: Entry,
}

pub fn run(args: &[String]) -> Result<()> {
    let mut flags = Flags::new("build", args);
    let only = flags.value("guest")?;
    let out = flags.value("out")?.map(PathBuf::from);
    let profile = flags
        .value("profile")?
        .map(|p| Profile::parse(&p))
        .transpose()?;
    flags.finish()?;

    let toolchain = setup::build_tools()?;
    let workspace = guests::discover()?;
    let built = build(&toolchain, &workspace, only.as_deref(), profile)?;
    publish(&toolchain, &workspace, &built, out.as_deref())?;
    print_table(&built);
    Ok(())
}

pub fn guests_dir() -> PathBuf {
    project_root().join("target/guests")
}

/// Builds the selected guests (all when `only` is `None`) into `target/guests/`, each with
/// `profile` if given, else with its own.
pub fn build(
    toolchain: &Toolchain,
    workspace: &Workspace,
    only: Option<&str>,
    profile: Option<Profile>,
) -> Result<Vec<Built>> {
    build_into(toolchain, workspace, only, profile, &guests_dir())
}

/// [`build`], with the artifacts written into `out_dir`: another profile's artifact can then
/// sit beside the shipped one (the benchmarks compare them) without replacing it.
pub fn build_into(
    toolchain: &Toolchain,
    workspace: &Workspace,
    only: Option<&str>,
    profile: Option<Profile>,
    out_dir: &Path,
) -> Result<Vec<Built>> {
    let selected: Vec<&Guest> = match only {
        None => workspace.guests.iter().collect(),
        Some(name) => match workspace.guests.iter().find(|g| g.name == name) {
            Some(guest) => vec![guest],
            None => {
                let known: Vec<_> = workspace.guests.iter().map(|g| g.name.as_str()).collect();
                bail!(
                    "no guest named `{name}`; the workspace has: {}",
                    known.join(", ")
                )
            }
        },
    };
    if selected.is_empty() {
        bail!("no workspace member declares [package.metadata.wasmext]: nothing to build");
    }

    let profile_of = |guest: &Guest| profile.unwrap_or(guest.profile);
    for group in [Profile::Size, Profile::Speed] {
        let members: Vec<&Guest> = selected
            .iter()
            .copied()
            .filter(|g| profile_of(g) == group)
            .collect();
        if !members.is_empty() {
            cargo_build(toolchain, workspace, &members, group)?;
        }
    }

    // One wasm-opt cache whatever the output directory: its entries are keyed by content.
    let work_dir = guests_dir().join(".work");
    std::fs::create_dir_all(&work_dir)?;
    let mut machine_dirs = leaks::machine_dirs();
    machine_dirs.extend(
        machine_paths(toolchain, &project_root())
            .into_iter()
            .map(|(path, _)| path),
    );
    // Part of every guest's wasm-opt cache key: asked once, not once per guest.
    let wasm_opt_version = Cmd::new(&toolchain.wasm_opt)
        .arg("--version")
        .quiet()
        .read()?;
    selected
        .into_iter()
        .map(|guest| {
            let profile = profile_of(guest);
            let raw_path = raw_artifact(
                &project_root().join("target/wasm"),
                profile,
                &guest.lib_name,
            );
            let raw = std::fs::read(&raw_path)
                .with_context(|| format!("cargo left no artifact at {}", raw_path.display()))?;
            let trimmed = artifact::keep_declared_exports(&raw, guest)?;
            let optimized = wasm_opt(
                toolchain,
                &work_dir,
                guest,
                profile,
                &wasm_opt_version,
                &trimmed,
            )?;
            let wasm = artifact::strip_custom_sections(&optimized)?;
            let exports: Vec<ExportInfo> = artifact::validate(&wasm, guest)?;
            leaks::check(&wasm, &guest.name, &machine_dirs)?;
            let path = out_dir.join(format!("{}.wasm", guest.name));
            write_if_changed(&path, &wasm)?;
            let entry = Entry {
                name: guest.name.clone(),
                file: format!("{}.wasm", guest.name),
                profile: profile.name().to_owned(),
                bytes: wasm.len(),
                sha256: hex_sha256(&wasm),
                ship: guest.ship,
                exports,
            };
            Ok(Built {
                guest: guest.clone(),
                entry,
            })
        })
        .collect()
}

fn cargo_build(
    toolchain: &Toolchain,
    workspace: &Workspace,
    selected: &[&Guest],
    profile: Profile,
) -> Result<()> {
    let root = project_root();
    // Its own target dir: guests may use another rustc than the host crates, and sharing
    // one directory would make each build invalidate the other's.
    let mut cargo = wasm_cargo(toolchain, &root, &root.join("target/wasm"), profile);
    for guest in selected {
        cargo = cargo.args(["-p", &guest.name]);
    }
    for (var, dir) in &workspace.source_env {
        cargo = cargo.env(var, dir);
    }
    cargo.run()
}

/// `cargo build` of guests for wasm32 in the workspace at `root`, with the toolchain's
/// linker, C compiler and std; the caller adds `-p NAME` for each guest.
pub fn wasm_cargo(toolchain: &Toolchain, root: &Path, target_dir: &Path, profile: Profile) -> Cmd {
    let cargo = Cmd::cargo()
        .args([
            "build",
            "--target",
            WASM_TARGET,
            "--profile",
            profile.cargo_profile(),
        ])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target_dir)
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER",
            &toolchain.wasm_ld,
        )
        .env("CC_wasm32_unknown_unknown", &toolchain.clang)
        .env("AR_wasm32_unknown_unknown", &toolchain.llvm_ar)
        .env(
            "CARGO_ENCODED_RUSTFLAGS",
            remap_flags(toolchain, root, "--remap-path-prefix="),
        )
        .env(
            "CFLAGS_wasm32_unknown_unknown",
            remap_flags(toolchain, root, "-ffile-prefix-map=").replace('\x1f', " "),
        )
        .on_failure("the compiler's output above says what failed");
    match &toolchain.rust {
        // Debian's rustc-web has no prebuilt wasm32 std; build-std needs the bootstrap switch.
        RustWasm::BuildStd { rustc, .. } => cargo
            .env("RUSTC", rustc)
            .env("RUSTC_BOOTSTRAP", "1")
            .arg("-Zbuild-std=core,alloc"),
        RustWasm::Installed => cargo,
    }
}

/// Where cargo leaves `lib_name`'s cdylib in `target_dir` for `profile`.
pub fn raw_artifact(target_dir: &Path, profile: Profile, lib_name: &str) -> PathBuf {
    target_dir
        .join(WASM_TARGET)
        .join(profile.cargo_profile())
        .join(format!("{lib_name}.wasm"))
}

/// The machine-specific directories a build reads from, each with the stable name it gets in
/// the artifacts: the tree at `root`, the cargo home (registry sources), and the sysroot's Rust
/// source when `core` is built from it. Later entries win where they overlap, as with rustc.
pub fn machine_paths(toolchain: &Toolchain, root: &Path) -> Vec<(PathBuf, &'static str)> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")));
    let mut maps = Vec::new();
    if let RustWasm::BuildStd { sysroot, .. } = &toolchain.rust {
        maps.push((sysroot.join("lib/rustlib/src/rust"), "/rustc/src"));
    }
    if let Some(home) = cargo_home {
        maps.push((home, "/cargo"));
    }
    maps.push((root.to_path_buf(), "/wasmext"));
    maps
}

/// `flag` for each of [`machine_paths`], `\x1f`-separated as `CARGO_ENCODED_RUSTFLAGS` wants:
/// the bytes of an artifact then do not depend on where the clone, the registry or the
/// toolchain live.
fn remap_flags(toolchain: &Toolchain, root: &Path, flag: &str) -> String {
    machine_paths(toolchain, root)
        .iter()
        .map(|(from, to)| format!("{flag}{}={to}", from.display()))
        .collect::<Vec<_>>()
        .join("\x1f")
}

/// Runs wasm-opt unless the same input was already optimised with the same tool and flags,
/// which keeps a no-change rebuild fast.
fn wasm_opt(
    toolchain: &Toolchain,
    work_dir: &Path,
    guest: &Guest,
    profile: Profile,
    version: &str,
    input: &[u8],
) -> Result<Vec<u8>> {
    let mut args: Vec<OsString> = vec![profile.wasm_opt_level().into()];
    // The features rustc and clang emit for wasm32 by default; nothing beyond them.
    for feature in [
        "bulk-memory",
        "sign-ext",
        "mutable-globals",
        "nontrapping-float-to-int",
        "multivalue",
        "reference-types",
    ] {
        args.push(format!("--enable-{feature}").into());
    }
    args.extend(["--strip-debug".into(), "--strip-producers".into()]);

    let mut key = Sha256::new();
    key.update(input);
    key.update(version.as_bytes());
    for arg in &args {
        key.update(arg.as_encoded_bytes());
        key.update([0]);
    }
    let key = format!("{:x}", key.finalize());
    let input_path = work_dir.join(format!("{}.{}.in.wasm", guest.name, profile.name()));
    let output_path = work_dir.join(format!("{}.{}.opt.wasm", guest.name, profile.name()));
    let key_path = work_dir.join(format!("{}.{}.key", guest.name, profile.name()));
    if std::fs::read_to_string(&key_path).is_ok_and(|k| k == key) {
        if let Ok(cached) = std::fs::read(&output_path) {
            return Ok(cached);
        }
    }
    std::fs::write(&input_path, input)?;
    Cmd::new(&toolchain.wasm_opt)
        .args(args)
        .arg(&input_path)
        .arg("-o")
        .arg(&output_path)
        .on_failure("wasm-opt rejected the module: see its message above")
        .run()?;
    std::fs::write(&key_path, key)?;
    Ok(std::fs::read(&output_path)?)
}

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

fn print_table(built: &[Built]) {
    println!("{:<16} {:<8} {:>9}  sha256", "guest", "profile", "bytes");
    for b in built {
        println!(
            "{:<16} {:<8} {:>9}  {}",
            b.guest.name,
            b.entry.profile,
            b.entry.bytes,
            &b.entry.sha256[..16]
        );
    }
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Leaves an identical file untouched, so mtimes (and anything keyed on them) stay stable.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}
