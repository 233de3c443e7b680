//! The project's Python virtual environment (`target/venv`) for the Python tests and benchmarks.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::apt;
use crate::cmd::{first_found, Cmd};
use crate::project_root;

const PIP_LIMIT: Duration = Duration::from_secs(900);

pub fn package_dir() -> PathBuf {
    project_root().join("python")
}

pub fn venv_dir() -> PathBuf {
    project_root().join("target/venv")
}

pub fn venv_bin(tool: &str) -> PathBuf {
    bin_in(&venv_dir(), tool)
}

/// A program of the virtual environment at `venv`.
pub fn bin_in(venv: &Path, tool: &str) -> PathBuf {
    venv.join("bin").join(tool)
}

fn requirements() -> Vec<PathBuf> {
    // The benchmarks' too: `cargo xtask test` runs the harness (quickly) so it can't rot.
    ["requirements-test.txt", "requirements-bench.txt"]
        .iter()
        .map(|name| package_dir().join(name))
        .filter(|path| path.is_file())
        .collect()
}

/// Creates the venv and installs the test and benchmark requirements; a no-op when they
/// haven't changed.
pub fn ensure_venv() -> Result<()> {
    if !package_dir().is_dir() {
        return Ok(());
    }
    let python = venv_bin("python");
    if !python.is_file() {
        let system = match first_found(&["python3"]) {
            Some(python) if Cmd::new(&python).args(["-m", "venv", "--help"]).succeeds() => python,
            _ => {
                apt::install(&["python3", "python3-venv"])?;
                "python3".into()
            }
        };
        Cmd::new(system)
            .args(["-m", "venv"])
            .arg(venv_dir())
            .run()?;
    }

    let requirements = requirements();
    let mut digest = Sha256::new();
    for path in &requirements {
        digest.update(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?);
    }
    let wanted = format!("{:x}", digest.finalize());
    let stamp = venv_dir().join(".requirements.sha256");
    if std::fs::read_to_string(&stamp).is_ok_and(|have| have == wanted) {
        return Ok(());
    }
    let mut pip = pip_install()
        .args(["--timeout", "60"])
        .timeout(PIP_LIMIT)
        .on_failure("check that PyPI is reachable, then run `cargo xtask setup` again");
    for path in &requirements {
        pip = pip.arg("-r").arg(path);
    }
    pip.run()?;
    std::fs::write(stamp, wanted)?;
    Ok(())
}

/// The wheel `cargo xtask build` made.
pub fn built_wheel() -> Result<PathBuf> {
    let wheels = project_root().join("target/wheels");
    std::fs::read_dir(&wheels)
        .with_context(|| format!("reading {}", wheels.display()))?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .context("the build made no wheel in target/wheels")
}

/// Installs the built wheel into the venv, in place of any earlier one.
pub fn install_wheel() -> Result<()> {
    pip_install()
        .args(["--force-reinstall", "--no-deps"])
        .arg(built_wheel()?)
        .run()
}

/// Writes `out`, a typed Python module for the guest `guest` of the manifest at `manifest`,
/// with the source tree's `python -m wasmext bindgen` in the venv (created if need be).
pub fn bindgen(manifest: &Path, guest: &str, out: &Path) -> Result<()> {
    ensure_venv()?;
    Cmd::new(venv_bin("python"))
        .args(["-m", "wasmext", "bindgen"])
        .arg(manifest)
        .args(["--guest", guest, "--output"])
        .arg(out)
        .env("PYTHONPATH", package_dir())
        .run()
}

/// pytest on the installed package: run from inside `tests/`, so `import wasmext` finds the
/// installed wheel and not the source tree, and with a skip for a missing artifact turned
/// into a failure (the caller has just built them).
pub fn pytest() -> Cmd {
    pytest_in(&venv_dir())
}

/// [`pytest`] with the virtual environment at `venv`.
pub fn pytest_in(venv: &Path) -> Cmd {
    Cmd::new(bin_in(venv, "python"))
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .current_dir(package_dir().join("tests"))
        .env("WASMEXT_REQUIRE_GUESTS", "1")
}

/// `pip install` in the project's venv, quiet and without the self-update nag.
pub fn pip_install() -> Cmd {
    pip_install_in(&venv_dir())
}

/// `pip install` in the virtual environment at `venv`.
pub fn pip_install_in(venv: &Path) -> Cmd {
    Cmd::new(bin_in(venv, "python")).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ])
}
