//! `cargo xtask test`: everything that proves the workspace, in the order failures are cheapest.

use anyhow::Result;

use crate::build;
use crate::cmd::Cmd;
use crate::flags::Flags;
use crate::manifest::Manifest;
use crate::tally::{self, Tally};
use crate::{bench, guests, new, project_root, python, repro, setup, verify};

pub fn run(args: &[String]) -> Result<()> {
    Flags::new("test", args).finish()?;
    let root = project_root();
    let toolchain = setup::build_tools()?;
    python::ensure_venv()?;
    let tally = Tally::start("test")?;

    step("host-side unit tests");
    Cmd::cargo()
        .args(["test", "--workspace", "--exclude", "host-test"])
        .current_dir(&root)
        .env(tally::ENV, &tally.path)
        .run()?;

    step("build");
    let workspace = guests::discover()?;
    let built = build::build(&toolchain, &workspace, None, None)?;
    build::publish(&toolchain, &workspace, &built, None)?;

    step("reproducibility: a copy of the tree at another path builds to the same bytes");
    repro::check()?;

    step("the scaffold of `cargo xtask new`, in a scratch workspace");
    new::check_end_to_end(&toolchain)?;

    step("host tests of the artifacts (wasmtime)");
    let mut host_test = Cmd::cargo()
        .args(["test", "-p", "host-test"])
        .current_dir(&root)
        .env(tally::ENV, &tally.path);
    for (var, dir) in &workspace.source_env {
        host_test = host_test.env(var, dir);
    }
    host_test.run()?;

    let package = python::package_dir();
    if package.join("pyproject.toml").is_file() {
        step("Python tests (the built wheel, installed into target/venv)");
        let manifest = Manifest::load(&build::guests_dir().join("manifest.json"));
        verify::check_paths(&manifest, &[python::built_wheel()?])?;
        python::install_wheel()?;
        python::pytest().env(tally::ENV, &tally.path).run()?;

        step("the benchmark harness, quick (every result it times is checked; speed is not)");
        bench::run_suite(&toolchain, &workspace, &bench::Options::quick())?;
    }

    step("lints");
    Cmd::cargo()
        .args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])
        .current_dir(&root)
        .run()?;
    Cmd::cargo()
        .args(["fmt", "--all", "--", "--check"])
        .current_dir(&root)
        .run()?;
    if package.join("pyproject.toml").is_file() {
        let ruff = python::venv_bin("ruff");
        Cmd::new(&ruff)
            .args(["check", "--no-cache"])
            .current_dir(&package)
            .run()?;
        Cmd::new(&ruff)
            .args(["format", "--check", "--no-cache"])
            .current_dir(&package)
            .run()?;
    }
    tally.print();
    step("all green");
    Ok(())
}

pub fn step(title: &str) {
    eprintln!("\n==> {title}");
}
