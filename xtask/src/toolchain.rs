//! Finds the tools a guest build needs, installing the OS packages that provide missing ones.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::apt;
use crate::cmd::{first_found, which, Cmd};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// How Rust guests get a wasm32 `core`/`alloc`.
#[derive(Debug, Clone)]
pub enum RustWasm {
    /// The default toolchain ships a wasm32 std (e.g. `rustup target add` worked).
    Installed,
    /// Debian's `rustc-web` plus its source: `core`/`alloc` are built with `-Zbuild-std`
    /// from `sysroot`'s `lib/rustlib/src/rust`, and linted by rustc-web's own clippy.
    BuildStd {
        rustc: PathBuf,
        sysroot: PathBuf,
        cargo_clippy: PathBuf,
    },
}

#[derive(Debug, Clone)]
pub struct Toolchain {
    pub rust: RustWasm,
    pub clang: PathBuf,
    pub wasm_ld: PathBuf,
    pub llvm_ar: PathBuf,
    pub wasm_opt: PathBuf,
}

/// What is missing, as the Debian packages that provide it.
pub struct Missing {
    pub what: Vec<&'static str>,
    pub packages: Vec<&'static str>,
}

impl Missing {
    fn need<T>(
        &mut self,
        found: Option<T>,
        what: &'static str,
        packages: &[&'static str],
    ) -> Option<T> {
        if found.is_none() {
            self.what.push(what);
            for package in packages {
                if !self.packages.contains(package) {
                    self.packages.push(package);
                }
            }
        }
        found
    }
}

const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_CARGO_CLIPPY: &str = "/usr/bin/cargo-clippy";

/// The guest toolchain, installing OS packages first if anything is missing.
pub fn build_tools() -> Result<Toolchain> {
    let missing = match Toolchain::detect() {
        Ok(toolchain) => return Ok(toolchain),
        Err(missing) => missing,
    };
    eprintln!("setup: missing {}", missing.what.join(", "));
    apt::install(&missing.packages)?;
    Toolchain::detect().map_err(|still| {
        anyhow::anyhow!(
            "still missing after installing {}: {}",
            missing.packages.join(" "),
            still.what.join(", ")
        )
    })
}

impl Toolchain {
    pub fn detect() -> Result<Self, Missing> {
        let mut missing = Missing {
            what: Vec::new(),
            packages: Vec::new(),
        };
        let rust = missing.need(
            detect_rust_wasm(),
            "a wasm32 Rust std, or rustc-web, its source and its clippy",
            &["rustc-web", "rust-web-src", "rust-web-clippy"],
        );
        let llvm = missing.need(
            detect_llvm(),
            "clang, llvm-ar and wasm-ld of one LLVM",
            &["clang-19", "lld-19", "llvm-19"],
        );
        let wasm_opt = missing.need(
            first_found(&["wasm-opt"]),
            "wasm-opt (binaryen)",
            &["binaryen"],
        );
        missing.need(first_found(&["wasm-objdump"]), "wabt", &["wabt"]);

        match (rust, llvm, wasm_opt) {
            (Some(rust), Some((clang, llvm_ar, wasm_ld)), Some(wasm_opt)) => Ok(Self {
                rust,
                clang,
                wasm_ld,
                llvm_ar,
                wasm_opt,
            }),
            _ => Err(missing),
        }
    }

    /// Versions recorded in the manifest, so an artifact can be traced to what made it.
    pub fn versions(&self) -> Vec<(&'static str, String)> {
        let rustc = match &self.rust {
            RustWasm::Installed => {
                PathBuf::from(std::env::var_os("RUSTC").unwrap_or("rustc".into()))
            }
            RustWasm::BuildStd { rustc, .. } => rustc.clone(),
        };
        let version = |program: &Path| {
            Cmd::new(program)
                .arg("--version")
                .quiet()
                .read()
                .map(|out| out.lines().next().unwrap_or_default().to_owned())
                .unwrap_or_else(|_| "unknown".to_owned())
        };
        vec![
            ("rustc", version(&rustc)),
            ("clang", version(&self.clang)),
            ("wasm-ld", version(&self.wasm_ld)),
            ("wasm-opt", version(&self.wasm_opt)),
        ]
    }
}

/// The default rustc's own wasm32 std when it has one (preferred), else Debian's rustc-web
/// when its `core` source is installed for `-Zbuild-std` and its clippy for the wasm32 lints.
fn detect_rust_wasm() -> Option<RustWasm> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let libdir = Cmd::new(&rustc)
        .args(["--print", "target-libdir", "--target", WASM_TARGET])
        .quiet()
        .read()
        .ok()?;
    if has_core(Path::new(&libdir)) {
        return Some(RustWasm::Installed);
    }
    let sysroot = Cmd::new(DEBIAN_RUSTC)
        .args(["--print", "sysroot"])
        .quiet()
        .read()
        .ok()?;
    let core_src = Path::new(&sysroot).join("lib/rustlib/src/rust/library/core/src/lib.rs");
    let cargo_clippy = PathBuf::from(DEBIAN_CARGO_CLIPPY);
    (core_src.is_file() && cargo_clippy.is_file()).then(|| RustWasm::BuildStd {
        rustc: DEBIAN_RUSTC.into(),
        sysroot: sysroot.into(),
        cargo_clippy,
    })
}

/// clang, llvm-ar and wasm-ld from one LLVM: an older llvm-ar (Debian's default is LLVM 14)
/// cannot index a newer clang's wasm objects, and wasm-ld needs that index.
fn detect_llvm() -> Option<(PathBuf, PathBuf, PathBuf)> {
    ["-19", ""].iter().find_map(|suffix| {
        let tool = |name: &str| which(format!("{name}{suffix}"));
        Some((tool("clang")?, tool("llvm-ar")?, tool("wasm-ld")?))
    })
}

fn has_core(libdir: &Path) -> bool {
    std::fs::read_dir(libdir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("libcore-"))
    })
}
