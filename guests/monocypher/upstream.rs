//! Finds Monocypher's upstream C tree (sources, headers, test vectors) in cargo's registry.
//!
//! Shared by this crate's build.rs and by the host tests and benchmark (each includes this file
//! with `#[path]`), so they all read the same pinned tree and none of it is copied into the
//! repository.

use std::env;
use std::path::{Path, PathBuf};

/// The registry package that carries the tree, as pinned in this crate's Cargo.toml.
pub const PACKAGE: &str = "monocypher-sys-4.0.2";

/// Set by `cargo xtask` (resolved with `cargo metadata`) to the package's `Monocypher/` directory.
pub const ENV: &str = "MONOCYPHER_SRC";

/// The `Monocypher/` directory: `$MONOCYPHER_SRC` if set, else the copy cargo unpacked under
/// `$CARGO_HOME/registry/src/*/`.
pub fn source_dir() -> Result<PathBuf, String> {
    if let Some(dir) = env::var_os(ENV) {
        let dir = PathBuf::from(dir);
        return match check(&dir) {
            Ok(()) => Ok(dir),
            Err(problem) => Err(format!(
                "{ENV}={} is not Monocypher's source tree: {problem}",
                dir.display()
            )),
        };
    }
    let registry = cargo_home()?.join("registry").join("src");
    let mut found = Vec::new();
    for index in std::fs::read_dir(&registry).into_iter().flatten().flatten() {
        let dir = index.path().join(PACKAGE).join("Monocypher");
        if check(&dir).is_ok() {
            found.push(dir);
        }
    }
    // Several registry indexes may hold the same crate; their contents are checksummed alike.
    found.sort();
    found.into_iter().next().ok_or_else(|| {
        format!(
            "Monocypher's C sources were not found: {ENV} is unset and no {PACKAGE}/Monocypher \
             exists under {}. Run `cargo xtask build` (it fetches the pinned {PACKAGE} package \
             and sets {ENV}), or point {ENV} at a Monocypher 4.0.2 source tree.",
            registry.display()
        )
    })
}

/// `$CARGO_HOME`, defaulting to `~/.cargo` as cargo does.
fn cargo_home() -> Result<PathBuf, String> {
    if let Some(home) = env::var_os("CARGO_HOME") {
        return Ok(PathBuf::from(home));
    }
    env::var_os("HOME")
        .map(|home| PathBuf::from(home).join(".cargo"))
        .ok_or_else(|| format!("neither {ENV}, CARGO_HOME nor HOME is set"))
}

fn check(dir: &Path) -> Result<(), String> {
    for file in ["src/monocypher.h", "src/optional/monocypher-ed25519.h"] {
        if !dir.join(file).is_file() {
            return Err(format!("{file} is missing"));
        }
    }
    Ok(())
}
