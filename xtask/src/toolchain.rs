//! Finds the tools a guest build needs on `PATH`. Where apt-get exists, the Debian packages that
//! provide missing ones are installed; elsewhere (macOS, Fedora…) the error names each missing
//! tool and the command that installs it there.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::apt;
use crate::cmd::{which_in, Cmd};

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

/// The oldest wasm-opt (binaryen) release the build is tested with: Debian 12's.
pub const MIN_WASM_OPT: u32 = 108;

/// clang, llvm-ar and wasm-ld come from one LLVM: the `-19` ones (Debian's packages) if present,
/// else the unsuffixed ones (Homebrew's, Fedora's).
const LLVM_SUFFIXES: &[&str] = &["-19", ""];

const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_CARGO_CLIPPY: &str = "/usr/bin/cargo-clippy";

/// Where the tools are looked for: `$PATH` and `$RUSTC` (in the unit tests, a directory of
/// stubs instead).
pub struct Search {
    pub path: OsString,
    pub rustc: OsString,
    /// Debian's rustc-web and its clippy, for `-Zbuild-std` when rustc has no wasm32 std.
    pub debian_rustc: PathBuf,
    pub debian_cargo_clippy: PathBuf,
}

impl Search {
    pub fn from_env() -> Self {
        Self {
            path: std::env::var_os("PATH").unwrap_or_default(),
            rustc: std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()),
            debian_rustc: DEBIAN_RUSTC.into(),
            debian_cargo_clippy: DEBIAN_CARGO_CLIPPY.into(),
        }
    }

    fn find(&self, program: impl AsRef<OsStr>) -> Option<PathBuf> {
        which_in(program, &self.path)
    }
}

/// How this machine gets what is missing: only apt is automated; for the others the error
/// names the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Apt,
    Brew,
    Dnf,
    Other,
}

impl Platform {
    pub fn detect(search: &Search) -> Self {
        if search.find("apt-get").is_some() {
            Platform::Apt
        } else if search.find("brew").is_some() || cfg!(target_os = "macos") {
            Platform::Brew
        } else if search.find("dnf").is_some() {
            Platform::Dnf
        } else {
            Platform::Other
        }
    }
}

/// One thing the build needs and did not find, with how each platform provides it.
#[derive(Debug)]
pub struct Lack {
    /// Exactly what is missing: a program's name, or why the one found does not do.
    pub what: String,
    apt: &'static [&'static str],
    brew: String,
    dnf: String,
}

impl Lack {
    fn rust(what: String, search: &Search) -> Self {
        let add_target = format!("rustup target add {WASM_TARGET}");
        let has_rustup = search.find("rustup").is_some();
        Lack {
            what,
            apt: &["rustc-web", "rust-web-src", "rust-web-clippy"],
            brew: if has_rustup {
                add_target.clone()
            } else {
                format!("install Rust with rustup (https://rustup.rs), then `{add_target}`")
            },
            dnf: if has_rustup {
                add_target
            } else {
                format!("sudo dnf install rust-std-static-{WASM_TARGET}")
            },
        }
    }

    /// `program` (`clang`, `llvm-ar` or `wasm-ld`) of one LLVM.
    ///
    /// On apt, any of the three brings all of Debian's LLVM 19: the lack may have been counted
    /// against another LLVM (an unsuffixed LLVM 14 with its own llvm-ar), and the `-19` tools
    /// are only used as a set.
    fn llvm(what: String, program: &str) -> Self {
        let (brew, dnf) = match program {
            "clang" => (LLVM_FORMULA, "clang"),
            "llvm-ar" => (LLVM_FORMULA, "llvm"),
            _ => ("brew install lld", "lld"),
        };
        Lack {
            what,
            apt: &["clang-19", "llvm-19", "lld-19"],
            brew: brew.to_owned(),
            dnf: format!("sudo dnf install {dnf}"),
        }
    }

    fn binaryen(what: String) -> Self {
        Lack {
            what,
            apt: &["binaryen"],
            brew: "brew install binaryen".to_owned(),
            dnf: "sudo dnf install binaryen".to_owned(),
        }
    }

    fn fix(&self, platform: Platform) -> String {
        match platform {
            Platform::Apt => format!("sudo apt-get install {}", self.apt.join(" ")),
            Platform::Brew => self.brew.clone(),
            Platform::Dnf => self.dnf.clone(),
            Platform::Other => format!(
                "on macOS: {}; on Fedora: {}; elsewhere your system's equivalent",
                self.brew, self.dnf
            ),
        }
    }
}

/// Homebrew's LLVM is keg-only: off PATH, Apple's clang (which cannot target wasm32) stays first.
const LLVM_FORMULA: &str =
    "brew install llvm, then put \"$(brew --prefix llvm)/bin\" first on PATH";

/// Everything the build needs and did not find.
#[derive(Debug)]
pub struct Missing {
    pub lacks: Vec<Lack>,
}

impl Missing {
    /// The Debian packages that provide what is missing, each once.
    pub fn apt_packages(&self) -> Vec<&'static str> {
        let mut packages = Vec::new();
        for package in self.lacks.iter().flat_map(|lack| lack.apt) {
            if !packages.contains(package) {
                packages.push(*package);
            }
        }
        packages
    }

    pub fn names(&self) -> String {
        let names: Vec<&str> = self.lacks.iter().map(|lack| lack.what.as_str()).collect();
        names.join(", ")
    }

    /// One line per missing thing, with the command that provides it on `platform`.
    pub fn report(&self, platform: Platform) -> String {
        let mut out = String::from("the guest build needs what is missing here:\n");
        for lack in &self.lacks {
            out.push_str(&format!("  - {}: {}\n", lack.what, lack.fix(platform)));
        }
        out.push_str("then run `cargo xtask setup` again");
        out
    }
}

/// The guest toolchain. Where apt-get exists, the Debian packages of anything missing are
/// installed first; elsewhere the error names each missing tool and its package there.
pub fn build_tools() -> Result<Toolchain> {
    let search = Search::from_env();
    let missing = match Toolchain::detect(&search) {
        Ok(toolchain) => return Ok(toolchain),
        Err(missing) => missing,
    };
    let platform = Platform::detect(&search);
    if platform != Platform::Apt {
        bail!("{}", missing.report(platform));
    }
    eprintln!("setup: missing {}", missing.names());
    let packages = missing.apt_packages();
    apt::install(&packages)?;
    Toolchain::detect(&search).map_err(|still| {
        anyhow::anyhow!(
            "still missing after installing {}: {}",
            packages.join(" "),
            still.report(Platform::Apt)
        )
    })
}

impl Toolchain {
    /// The tools `search` finds, or everything that is missing (not only the first).
    pub fn detect(search: &Search) -> Result<Self, Missing> {
        let mut lacks = Vec::new();
        let rust = detect_rust_wasm(search)
            .map_err(|lack| lacks.push(lack))
            .ok();
        let llvm = detect_llvm(search).map_err(|more| lacks.extend(more)).ok();
        let wasm_opt = detect_wasm_opt(search)
            .map_err(|lack| lacks.push(lack))
            .ok();
        match (rust, llvm, wasm_opt) {
            (Some(rust), Some((clang, llvm_ar, wasm_ld)), Some(wasm_opt)) => Ok(Self {
                rust,
                clang,
                wasm_ld,
                llvm_ar,
                wasm_opt,
            }),
            _ => Err(Missing { lacks }),
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
fn detect_rust_wasm(search: &Search) -> Result<RustWasm, Lack> {
    let Some(rustc) = search.find(&search.rustc) else {
        let name = search.rustc.to_string_lossy();
        return Err(Lack::rust(format!("`{name}` (Rust)"), search));
    };
    let libdir = Cmd::new(&rustc)
        .args(["--print", "target-libdir", "--target", WASM_TARGET])
        .quiet()
        .read();
    if libdir.is_ok_and(|libdir| has_core(Path::new(&libdir))) {
        return Ok(RustWasm::Installed);
    }
    let sysroot = search.debian_rustc.is_file().then(|| {
        Cmd::new(&search.debian_rustc)
            .args(["--print", "sysroot"])
            .quiet()
            .read()
    });
    if let Some(Ok(sysroot)) = sysroot {
        let core_src = Path::new(&sysroot).join("lib/rustlib/src/rust/library/core/src/lib.rs");
        if core_src.is_file() && search.debian_cargo_clippy.is_file() {
            return Ok(RustWasm::BuildStd {
                rustc: search.debian_rustc.clone(),
                sysroot: sysroot.into(),
                cargo_clippy: search.debian_cargo_clippy.clone(),
            });
        }
    }
    Err(Lack::rust(
        format!("the {WASM_TARGET} std of {}", rustc.display()),
        search,
    ))
}

/// clang, llvm-ar and wasm-ld from one LLVM: an older llvm-ar (Debian's default is LLVM 14)
/// cannot index a newer clang's wasm objects, and wasm-ld needs that index. When no LLVM has
/// all three, what the most complete one lacks (the unsuffixed one's on a tie).
fn detect_llvm(search: &Search) -> Result<(PathBuf, PathBuf, PathBuf), Vec<Lack>> {
    let mut best: Option<Vec<Lack>> = None;
    for suffix in LLVM_SUFFIXES {
        let mut lacks = Vec::new();
        let mut tool = |program: &str| {
            let name = format!("{program}{suffix}");
            let found = search.find(&name);
            if found.is_none() {
                lacks.push(Lack::llvm(format!("`{name}`"), program));
            }
            found
        };
        let (clang, llvm_ar, wasm_ld) = (tool("clang"), tool("llvm-ar"), tool("wasm-ld"));
        if let Some(clang) = &clang {
            if !targets_wasm32(clang) {
                let what = format!(
                    "a clang for wasm32 ({} cannot compile for it)",
                    clang.display()
                );
                lacks.push(Lack::llvm(what, "clang"));
            }
        }
        if let (Some(clang), Some(llvm_ar), Some(wasm_ld), true) =
            (clang, llvm_ar, wasm_ld, lacks.is_empty())
        {
            return Ok((clang, llvm_ar, wasm_ld));
        }
        if best.as_ref().is_none_or(|best| lacks.len() <= best.len()) {
            best = Some(lacks);
        }
    }
    Err(best.unwrap_or_default())
}

/// Whether `clang` has the WebAssembly backend (Apple's has not): it compiles an empty file.
fn targets_wasm32(clang: &Path) -> bool {
    Cmd::new(clang)
        .arg(format!("--target={WASM_TARGET}"))
        .args(["-x", "c", "-c", "/dev/null", "-o", "/dev/null"])
        .succeeds()
}

/// wasm-opt, if it is at least [`MIN_WASM_OPT`] (a version it does not say is let through).
fn detect_wasm_opt(search: &Search) -> Result<PathBuf, Lack> {
    let Some(wasm_opt) = search.find("wasm-opt") else {
        return Err(Lack::binaryen("`wasm-opt` (binaryen)".to_owned()));
    };
    let version = Cmd::new(&wasm_opt).arg("--version").quiet().read();
    match version.ok().as_deref().and_then(binaryen_version) {
        Some(version) if version < MIN_WASM_OPT => Err(Lack::binaryen(format!(
            "wasm-opt (binaryen) {MIN_WASM_OPT} or newer ({} is {version})",
            wasm_opt.display()
        ))),
        _ => Ok(wasm_opt),
    }
}

/// `wasm-opt version 108 (version_108)` → 108.
fn binaryen_version(text: &str) -> Option<u32> {
    text.split("version ")
        .nth(1)?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn has_core(libdir: &Path) -> bool {
    std::fs::read_dir(libdir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("libcore-"))
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A directory of stub programs standing in for `PATH`; each stub prints `output`, or exits
    /// with 1 when asked to compile for wasm32 and `wasm32` is false.
    struct Stubs(PathBuf);

    impl Stubs {
        fn new(name: &str) -> Self {
            let dir =
                std::env::temp_dir().join(format!("xtask-toolchain-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("lib")).unwrap();
            Stubs(dir)
        }

        fn add(&self, program: &str, output: &str, wasm32: bool) -> &Self {
            let refuse = if wasm32 { "" } else { "exit 1" };
            let script = format!(
                "#!/bin/sh\ncase \"$*\" in *--target=wasm32*) {refuse};; esac\necho '{output}'\n"
            );
            let path = self.0.join(program);
            std::fs::write(&path, script).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            self
        }

        /// A rustc whose wasm32 libdir holds (or not) a `core`.
        fn rustc(&self, with_core: bool) -> &Self {
            let libdir = self.0.join("lib");
            if with_core {
                std::fs::write(libdir.join("libcore-0123.rlib"), b"").unwrap();
            }
            self.add("rustc", &libdir.display().to_string(), true)
        }

        fn search(&self) -> Search {
            Search {
                path: self.0.clone().into(),
                rustc: "rustc".into(),
                debian_rustc: self.0.join("no-debian-rustc"),
                debian_cargo_clippy: self.0.join("no-debian-clippy"),
            }
        }

        fn missing(&self) -> Missing {
            Toolchain::detect(&self.search()).expect_err("something is missing")
        }
    }

    impl Drop for Stubs {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn whats(missing: &Missing) -> Vec<&str> {
        missing.lacks.iter().map(|l| l.what.as_str()).collect()
    }

    /// Every case in one test: stubs are written before any runs (a stub being written while
    /// another test forks could not be executed).
    #[test]
    fn each_missing_tool_is_named_with_its_package() {
        let complete = Stubs::new("complete");
        complete
            .rustc(true)
            .add("clang", "clang version 20.1.8", true)
            .add("llvm-ar", "LLVM version 20.1.8", true)
            .add("wasm-ld", "LLD 20.1.8", true)
            .add("wasm-opt", "wasm-opt version 123 (version_123)", true);
        let no_ld = Stubs::new("no-ld");
        no_ld
            .rustc(true)
            .add("clang", "clang version 20.1.8", true)
            .add("llvm-ar", "LLVM version 20.1.8", true)
            .add("wasm-opt", "wasm-opt version 123", true);
        let apple = Stubs::new("apple");
        apple
            .rustc(false)
            .add("rustup", "rustup 1.28.2", true)
            .add("clang", "Apple clang version 16.0.0", false)
            .add("wasm-opt", "wasm-opt version 105 (version_105)", true);
        let empty = Stubs::new("empty");

        let toolchain = Toolchain::detect(&complete.search()).unwrap();
        assert!(matches!(toolchain.rust, RustWasm::Installed));
        assert_eq!(toolchain.wasm_ld, complete.0.join("wasm-ld"));

        let missing = no_ld.missing();
        assert_eq!(whats(&missing), ["`wasm-ld`"]);
        assert!(missing
            .report(Platform::Brew)
            .contains("`wasm-ld`: brew install lld\n"));
        assert!(missing
            .report(Platform::Dnf)
            .contains("`wasm-ld`: sudo dnf install lld\n"));
        // Only wasm-ld lacks, but Debian's LLVM 19 comes whole: LLVM 14's llvm-ar can't index
        // LLVM 19's objects (on a fresh Debian, the only llvm-ar was LLVM 14's).
        assert_eq!(missing.apt_packages(), ["clang-19", "llvm-19", "lld-19"]);

        // Apple's clang, no llvm-ar or wasm-ld, an old binaryen, rustup without the target.
        let missing = apple.missing();
        let clang = apple.0.join("clang");
        assert_eq!(
            whats(&missing),
            [
                format!(
                    "the wasm32-unknown-unknown std of {}",
                    apple.0.join("rustc").display()
                ),
                "`llvm-ar`".to_owned(),
                "`wasm-ld`".to_owned(),
                format!(
                    "a clang for wasm32 ({} cannot compile for it)",
                    clang.display()
                ),
                format!(
                    "wasm-opt (binaryen) 108 or newer ({} is 105)",
                    apple.0.join("wasm-opt").display()
                ),
            ]
        );
        let brew = missing.report(Platform::Brew);
        assert!(
            brew.contains(": rustup target add wasm32-unknown-unknown\n"),
            "{brew}"
        );
        assert!(brew.contains("brew install llvm, then put \"$(brew --prefix llvm)/bin\" first"));
        assert!(brew.contains("is 105): brew install binaryen\n"), "{brew}");
        assert!(
            brew.ends_with("then run `cargo xtask setup` again"),
            "{brew}"
        );

        // Nothing at all: the unsuffixed names (what Homebrew and Fedora install), and for Rust
        // the system package where there is no rustup.
        let missing = empty.missing();
        assert_eq!(
            whats(&missing),
            [
                "`rustc` (Rust)",
                "`clang`",
                "`llvm-ar`",
                "`wasm-ld`",
                "`wasm-opt` (binaryen)"
            ]
        );
        let dnf = missing.report(Platform::Dnf);
        assert!(
            dnf.contains("`rustc` (Rust): sudo dnf install rust-std-static-wasm32-unknown-unknown"),
            "{dnf}"
        );
        assert!(dnf.contains("`llvm-ar`: sudo dnf install llvm\n"), "{dnf}");
        assert_eq!(
            missing.apt_packages(),
            [
                "rustc-web",
                "rust-web-src",
                "rust-web-clippy",
                "clang-19",
                "llvm-19",
                "lld-19",
                "binaryen"
            ]
        );
    }

    #[test]
    fn binaryen_versions_are_read() {
        assert_eq!(
            binaryen_version("wasm-opt version 108 (version_108)"),
            Some(108)
        );
        assert_eq!(binaryen_version("wasm-opt version 123"), Some(123));
        assert_eq!(binaryen_version("wasm-opt (unknown)"), None);
    }
}
