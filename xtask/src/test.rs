//! `cargo xtask test`: everything that proves the workspace, in the order failures are cheapest.

use anyhow::Result;

use crate::build;
use crate::cmd::Cmd;
use crate::flags::Flags;
use crate::{bench, guests, new, project_root, python, setup};

pub fn run(args: &[String]) -> Result<()> {
    Flags::new("test", args).finish()?;
    let root = project_root();
    let toolchain = setup::build_tools()?;
    python::ensure_venv()?;

    step("host-side unit tests");
    Cmd::cargo()
        .args(["test", "--workspace", "--exclude", "host-test"])
        .current_dir(&root)
        .run()?;

    step("build");
    let workspace = guests::discover()?;
    let built = build::build(&toolchain, &workspace, None, None)?;
    build::publish(&toolchain, &workspace, &built, None)?;

    step("the scaffold of `cargo xtask new`, in a scratch workspace");
    new::check_end_to_end(&toolchain)?;

    step("host tests of the artifacts (wasmtime)");
    let mut host_test = Cmd::cargo()
        .args(["test", "-p", "host-test"])
        .current_dir(&root);
    for (var, dir) in &workspace.source_env {
        host_test = host_test.env(var, dir);
    }
    host_test.run()?;

    let package = python::package_dir();
    if package.join("pyproject.toml").is_file() {
        step("Python tests (the built wheel, installed into target/venv)");
        python::install_wheel()?;
        // From inside tests/, so `import wasmext` finds the installed wheel, not the source tree.
        Cmd::new(python::venv_bin("python"))
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .current_dir(package.join("tests"))
            // Here the artifacts were just built: a test that would skip without one must fail.
            .env("WASMEXT_REQUIRE_GUESTS", "1")
            .run()?;

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
    step("all green");
    Ok(())
}

fn step(title: &str) {
    eprintln!("\n==> {title}");
}
