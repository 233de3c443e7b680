//! `cargo xtask test`: everything that proves the workspace, cheapest failures first: formatting
//! and lints (host and wasm32) in seconds, then unit tests, the build, reproducibility, the
//! scaffold, the host tests, the Python tests and a quick benchmark run.

use std::path::Path;

use anyhow::Result;

use crate::cli::Args;
use crate::cmd::Cmd;
use crate::compile::{self, guests_dir};
use crate::guests::{Profile, Workspace};
use crate::manifest::Manifest;
use crate::progress::step;
use crate::tally::{self, Tally};
use crate::toolchain::{self, Toolchain};
use crate::{bench_suite, guests, project_root, provenance, publish, python, repro, scaffold};

pub fn run(_: &Args) -> Result<()> {
    let root = project_root();
    let toolchain = toolchain::build_tools()?;
    python::ensure_venv()?;
    let workspace = guests::discover()?;
    let package = python::package_dir();
    let has_python = package.join("pyproject.toml").is_file();

    step("formatting and lints");
    lint(
        &toolchain,
        &workspace,
        &root,
        has_python.then_some(package.as_path()),
    )?;

    let tally = Tally::start("test")?;
    step("host-side unit tests");
    Cmd::cargo()
        .args(["test", "--workspace", "--exclude", "host-test"])
        .current_dir(&root)
        .env(tally::ENV, &tally.path)
        .run()?;

    step("build");
    let built = compile::build(&toolchain, &workspace, &workspace.all(None))?;
    publish::publish(&toolchain, &workspace, &built, None)?;

    step("reproducibility: a copy of the tree at another path builds to the same bytes");
    repro::check()?;

    step("the scaffold of `cargo xtask new`, in a scratch workspace");
    scaffold::check_end_to_end(&toolchain)?;

    step("host tests of the artifacts (wasmtime)");
    let mut host_test = Cmd::cargo()
        .args(["test", "-p", "host-test"])
        .current_dir(&root)
        .env(tally::ENV, &tally.path);
    for (var, dir) in &workspace.source_env {
        host_test = host_test.env(var, dir);
    }
    host_test.run()?;

    if has_python {
        step("Python tests (the built wheel, installed into target/venv)");
        let manifest = Manifest::load(&guests_dir().join("manifest.json"));
        provenance::check_paths(&manifest, &[python::built_wheel()?])?;
        python::install_wheel()?;
        python::pytest().env(tally::ENV, &tally.path).run()?;

        step("the benchmark harness, quick (every result it times is checked; speed is not)");
        bench_suite::run_suite(&toolchain, &workspace, &bench_suite::Options::quick())?;
    }

    tally.print();
    step("all green");
    Ok(())
}

/// rustfmt, ruff and mypy, then clippy on the host and on wasm32: the code under
/// `cfg(target_arch = "wasm32")` (export shims, the SDK's arena and allocator) exists only there.
fn lint(
    toolchain: &Toolchain,
    workspace: &Workspace,
    root: &Path,
    python_package: Option<&Path>,
) -> Result<()> {
    Cmd::cargo()
        .args(["fmt", "--all", "--", "--check"])
        .current_dir(root)
        .run()?;
    if let Some(package) = python_package {
        let ruff = python::venv_bin("ruff");
        Cmd::new(&ruff)
            .args(["check", "--no-cache"])
            .current_dir(package)
            .run()?;
        Cmd::new(&ruff)
            .args(["format", "--check", "--no-cache"])
            .current_dir(package)
            .run()?;
        // The package's own types, strictly (the settings are in pyproject.toml).
        Cmd::new(python::venv_bin("python"))
            .args(["-m", "mypy", "wasmext", "--cache-dir"])
            .arg(root.join("target/mypy"))
            .current_dir(package)
            .run()?;
    }
    Cmd::cargo()
        .args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])
        .current_dir(root)
        .run()?;
    let mut wasm_clippy =
        compile::wasm_clippy(toolchain, root, &root.join("target/wasm"), Profile::DEFAULT).args([
            "-p",
            "guest-sdk",
            "--features",
            "guest-sdk/dlmalloc",
        ]);
    for guest in &workspace.guests {
        wasm_clippy = wasm_clippy.args(["-p", &guest.name]);
    }
    for (var, dir) in &workspace.source_env {
        wasm_clippy = wasm_clippy.env(var, dir);
    }
    wasm_clippy.args(["--", "-D", "warnings"]).run()
}
