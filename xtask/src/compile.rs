//! Turns guests into artifacts: cargo → read the interface → drop undeclared exports → wasm-opt →
//! strip → validate, and check the interface against the exports' types → refuse machine paths
//! and timestamps, into `target/guests/` (or another directory).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::artifact;
use crate::cmd::Cmd;
use crate::exports::ExportInfo;
use crate::fsx::{hex_sha256, write_if_changed};
use crate::guests::{Guest, Profile, Workspace};
use crate::manifest::Entry;
use crate::toolchain::{RustWasm, Toolchain, WASM_TARGET};
use crate::{interface, leaks, project_root};

/// One finished artifact.
pub struct Built {
    pub guest: Guest,
    pub entry: Entry,
}

/// Code generation beyond what rustc and clang emit for wasm32 by default. Only the benchmarks ask
/// for more, to measure whether a shipped guest should (`cargo xtask bench`, "profiles").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codegen {
    Baseline,
    /// Fixed-width SIMD (`-msimd128`, `+simd128`): loops autovectorised; wasmtime runs it by
    /// default.
    Simd128,
}

impl Codegen {
    /// Cargo's output for it: its own directory, so neither build invalidates the other's.
    fn target_dir(self, root: &Path) -> PathBuf {
        match self {
            Codegen::Baseline => root.join("target/wasm"),
            Codegen::Simd128 => root.join("target/wasm-simd128"),
        }
    }

    /// A suffix for the file names of its wasm-opt cache entries.
    fn tag(self) -> &'static str {
        match self {
            Codegen::Baseline => "",
            Codegen::Simd128 => ".simd128",
        }
    }
}

pub fn guests_dir() -> PathBuf {
    project_root().join("target/guests")
}

/// Builds each guest of `plan` with its profile into `target/guests/` (`Workspace::all` for
/// every guest).
pub fn build(
    toolchain: &Toolchain,
    workspace: &Workspace,
    plan: &[(&Guest, Profile)],
) -> Result<Vec<Built>> {
    build_into(toolchain, workspace, plan, &guests_dir())
}

/// [`build`], with the artifacts written into `out_dir`: another profile's artifact can then
/// sit beside the shipped one (the benchmarks compare them) without replacing it.
pub fn build_into(
    toolchain: &Toolchain,
    workspace: &Workspace,
    plan: &[(&Guest, Profile)],
    out_dir: &Path,
) -> Result<Vec<Built>> {
    build_with(toolchain, workspace, plan, out_dir, Codegen::Baseline)
}

/// [`build_into`] with `codegen`'s code generation.
pub fn build_with(
    toolchain: &Toolchain,
    workspace: &Workspace,
    plan: &[(&Guest, Profile)],
    out_dir: &Path,
    codegen: Codegen,
) -> Result<Vec<Built>> {
    if plan.is_empty() {
        bail!("no workspace member declares [package.metadata.wasmext]: nothing to build");
    }

    for group in [Profile::Size, Profile::Speed] {
        let members: Vec<&Guest> = plan
            .iter()
            .filter(|(_, profile)| *profile == group)
            .map(|(guest, _)| *guest)
            .collect();
        if !members.is_empty() {
            cargo_build(toolchain, workspace, &members, group, codegen)?;
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
    plan.iter()
        .map(|&(guest, profile)| {
            let raw_path = raw_artifact(
                &codegen.target_dir(&project_root()),
                profile,
                &guest.lib_name,
            );
            let raw = std::fs::read(&raw_path)
                .with_context(|| format!("cargo left no artifact at {}", raw_path.display()))?;
            // The interface is read before wasm-opt (which might reorder or drop custom
            // sections) and stripped with the other custom sections below.
            let embedded = interface::read(&raw)
                .with_context(|| format!("guest `{}`: its interface section", guest.name))?;
            let (guest, interface) = guest.with_interface(embedded)?;
            let guest = &guest;
            let trimmed = artifact::keep_declared_exports(&raw, guest)?;
            let optimized = wasm_opt(
                toolchain,
                &work_dir,
                guest,
                profile,
                &wasm_opt_version,
                &trimmed,
                codegen,
            )?;
            let wasm = artifact::strip_custom_sections(&optimized)?;
            let exports: Vec<ExportInfo> = artifact::validate(&wasm, guest)?;
            interface
                .check_exports(&exports)
                .with_context(|| format!("guest `{}`", guest.name))?;
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
                interface: (!interface.is_empty()).then_some(interface),
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
    codegen: Codegen,
) -> Result<()> {
    let root = project_root();
    // Its own target dir: guests may use another rustc than the host crates, and sharing
    // one directory would make each build invalidate the other's.
    let mut cargo = wasm_cargo(toolchain, &root, &codegen.target_dir(&root), profile);
    if codegen == Codegen::Simd128 {
        cargo = cargo
            .env(
                "CARGO_ENCODED_RUSTFLAGS",
                format!(
                    "{}\x1f-Ctarget-feature=+simd128",
                    remap_flags(toolchain, &root, "--remap-path-prefix=")
                ),
            )
            .env(
                "CFLAGS_wasm32_unknown_unknown",
                format!(
                    "{} -msimd128",
                    remap_flags(toolchain, &root, "-ffile-prefix-map=").replace('\x1f', " ")
                ),
            );
    }
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
    for_wasm(
        Cmd::cargo().arg("build"),
        toolchain,
        root,
        target_dir,
        profile,
    )
    .on_failure("the compiler's output above says what failed")
}

/// [`wasm_cargo`] as `cargo clippy`: the code under `cfg(target_arch = "wasm32")`, which host
/// clippy never compiles, linted with the compiler, std and flags the build uses.
pub fn wasm_clippy(toolchain: &Toolchain, root: &Path, target_dir: &Path, profile: Profile) -> Cmd {
    let clippy = match &toolchain.rust {
        // Debian's clippy belongs to rustc-web: rustup's would reject the `core` rustc-web built.
        RustWasm::BuildStd { cargo_clippy, .. } => Cmd::new(cargo_clippy)
            .arg("clippy")
            .env("CARGO", Cmd::cargo_program()),
        RustWasm::Installed => Cmd::cargo().arg("clippy"),
    };
    for_wasm(clippy, toolchain, root, target_dir, profile)
        .on_failure("fix what clippy reports above for wasm32")
}

fn for_wasm(
    cargo: Cmd,
    toolchain: &Toolchain,
    root: &Path,
    target_dir: &Path,
    profile: Profile,
) -> Cmd {
    let cargo = cargo
        .args([
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
        );
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
    codegen: Codegen,
) -> Result<Vec<u8>> {
    let mut args: Vec<OsString> = vec![profile.wasm_opt_level().into()];
    if codegen == Codegen::Simd128 {
        args.push("--enable-simd".into());
    }
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
    let stem = format!("{}.{}{}", guest.name, profile.name(), codegen.tag());
    let input_path = work_dir.join(format!("{stem}.in.wasm"));
    let output_path = work_dir.join(format!("{stem}.opt.wasm"));
    let key_path = work_dir.join(format!("{stem}.key"));
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
