//! `cargo xtask compat`: the Python suite on every wasmtime-py major the package may meet and on
//! the oldest and newest CPython this machine has, each in a virtual environment of its own under
//! `target/compat/`; then a table of what passed and whether the fast call path was on, and why.
//!
//! wasmtime-py publishes a major release every month. Keeping up is this one command: its table
//! says which majors pass, and the range `python/pyproject.toml` declares must be exactly those.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::cli::Args;
use crate::cmd::{which, Cmd};
use crate::compile;
use crate::progress::step;
use crate::{guests, project_root, publish, python, toolchain};

/// The oldest wasmtime-py major the package supports (the fast path's private layout checks go
/// back this far).
const OLDEST_MAJOR: u32 = 48;
/// The test tools, unpinned: each Python gets the newest release that still supports it.
const REQUIREMENTS: &str = "requirements-compat.txt";
const PIP_LIMIT: Duration = Duration::from_secs(1200);
const PYTEST_LIMIT: Duration = Duration::from_secs(1800);

/// One cell of the matrix: an interpreter and a wasmtime-py release.
struct Row {
    python: PathBuf,
    python_version: String,
    wasmtime: String,
}

/// What one row's suite did.
struct Outcome {
    passed: bool,
    counts: String,
    fast_path: String,
}

pub fn run(_: &Args) -> Result<()> {
    let toolchain = toolchain::build_tools()?;
    python::ensure_venv()?;
    let workspace = guests::discover()?;
    step("build");
    let built = compile::build(&toolchain, &workspace, &workspace.all(None))?;
    publish::publish(&toolchain, &workspace, &built, None)?;
    let wheel = python::built_wheel()?;

    let releases = wasmtime_releases()?;
    let pythons = interpreters()?;
    let rows = matrix(&releases, &pythons)?;
    let mut outcomes = Vec::new();
    for row in &rows {
        step(&format!(
            "CPython {} with wasmtime-py {}",
            row.python_version, row.wasmtime
        ));
        outcomes.push(run_row(row, &wheel)?);
    }

    println!("\n| CPython | wasmtime-py | tests | fast path |");
    println!("| --- | --- | --- | --- |");
    for (row, outcome) in rows.iter().zip(&outcomes) {
        println!(
            "| {} | {} | {} | {} |",
            row.python_version, row.wasmtime, outcome.counts, outcome.fast_path
        );
    }
    let failed: Vec<_> = rows
        .iter()
        .zip(&outcomes)
        .filter(|(_, outcome)| !outcome.passed)
        .map(|(row, _)| format!("CPython {} + wasmtime {}", row.python_version, row.wasmtime))
        .collect();
    let passing_majors: Vec<u32> = rows
        .iter()
        .zip(&outcomes)
        .filter(|(_, outcome)| outcome.passed)
        .filter_map(|(row, _)| major(&row.wasmtime))
        .collect();
    check_declared_range(&passing_majors, &releases)?;
    if !failed.is_empty() {
        bail!("the suite failed on {}", failed.join(", "));
    }
    Ok(())
}

/// The newest release of every wasmtime-py major from [`OLDEST_MAJOR`] on, from the registry.
fn wasmtime_releases() -> Result<Vec<String>> {
    let listing = Cmd::new(python::venv_bin("python"))
        .args(["-m", "pip", "index", "versions", "wasmtime"])
        .args(["--disable-pip-version-check"])
        .timeout(Duration::from_secs(120))
        .on_failure("check that PyPI is reachable")
        .read()?;
    let versions = listing
        .lines()
        .find_map(|line| line.strip_prefix("Available versions:"))
        .context("`pip index versions wasmtime` listed no versions")?;
    Ok(newest_per_major(versions.split(',').map(str::trim)))
}

fn newest_per_major<'a>(versions: impl Iterator<Item = &'a str>) -> Vec<String> {
    // The registry lists newest first: the first of each major is its newest release.
    let mut newest: Vec<String> = Vec::new();
    for version in versions {
        let Some(number) = major(version) else {
            continue;
        };
        let is_release = version.split('.').all(|part| part.parse::<u32>().is_ok());
        let seen = newest.iter().any(|kept| major(kept) == Some(number));
        if number >= OLDEST_MAJOR && is_release && !seen {
            newest.push(version.to_owned());
        }
    }
    newest.sort_by_key(|version| major(version));
    newest
}

fn major(version: &str) -> Option<u32> {
    version.split('.').next()?.parse().ok()
}

/// Every CPython 3.x this machine has: on `PATH` as `python3.N`, or installed by pyenv.
fn interpreters() -> Result<Vec<(String, PathBuf)>> {
    let pyenv = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".pyenv")));
    let mut found = Vec::new();
    for minor in 9..=20 {
        let name = format!("python3.{minor}");
        let from_pyenv = pyenv.as_ref().and_then(|root| {
            let versions = std::fs::read_dir(root.join("versions")).ok()?;
            let mut candidates: Vec<PathBuf> = versions
                .flatten()
                .filter(|entry| {
                    let dir = entry.file_name().to_string_lossy().into_owned();
                    dir.starts_with(&format!("3.{minor}."))
                })
                .map(|entry| entry.path().join("bin").join(&name))
                .filter(|path| path.is_file())
                .collect();
            candidates.sort();
            candidates.pop()
        });
        // pyenv's own binaries first: its shims on PATH exist for every version but run
        // only those selected with `pyenv global`.
        let runs = |path: &PathBuf| Cmd::new(path).args(["-c", "pass"]).succeeds();
        if let Some(path) = from_pyenv.into_iter().chain(which(&name)).find(runs) {
            found.push((format!("3.{minor}"), path));
        }
    }
    if found.is_empty() {
        bail!("no python3.N interpreter on PATH or under pyenv");
    }
    Ok(found)
}

/// Every major on the default interpreter, then the newest major on the oldest and newest
/// interpreters. The oldest Python the package declares must be among them.
fn matrix(releases: &[String], pythons: &[(String, PathBuf)]) -> Result<Vec<Row>> {
    let oldest_supported = declared("requires-python = \">=", "\"")?;
    let Some(oldest) = pythons
        .iter()
        .find(|(version, _)| *version == oldest_supported)
    else {
        bail!(
            "CPython {oldest_supported}, the oldest the package supports, is not on this machine: \
             install it (pyenv install {oldest_supported}, or your OS's python{oldest_supported}) \
             and run `cargo xtask compat` again"
        );
    };
    let newest_python = pythons.last().expect("interpreters() found at least one");
    let default = which("python3").context("no python3 on PATH")?;
    let default_version = Cmd::new(&default)
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .quiet()
        .read()?;
    let newest_release = releases.last().context("no wasmtime-py release listed")?;
    let mut rows: Vec<Row> = releases
        .iter()
        .map(|release| Row {
            python: default.clone(),
            python_version: default_version.clone(),
            wasmtime: release.clone(),
        })
        .collect();
    for (version, path) in [oldest, newest_python] {
        if *version != default_version && !rows.iter().any(|row| row.python_version == *version) {
            rows.push(Row {
                python: path.clone(),
                python_version: version.clone(),
                wasmtime: newest_release.clone(),
            });
        }
    }
    Ok(rows)
}

fn run_row(row: &Row, wheel: &Path) -> Result<Outcome> {
    let venv = project_root().join(format!(
        "target/compat/py{}-wasmtime{}",
        row.python_version, row.wasmtime
    ));
    if !python::bin_in(&venv, "python").is_file() {
        Cmd::new(&row.python)
            .args(["-m", "venv"])
            .arg(&venv)
            .run()?;
    }
    python::pip_install_in(&venv)
        .args(["--timeout", "60", "-r"])
        .arg(python::package_dir().join(REQUIREMENTS))
        .arg(format!("wasmtime=={}", row.wasmtime))
        .timeout(PIP_LIMIT)
        .on_failure("check that PyPI is reachable and has these packages for this Python")
        .run()?;
    python::pip_install_in(&venv)
        .args(["--force-reinstall", "--no-deps"])
        .arg(wheel)
        .run()?;
    let fast_path = Cmd::new(python::bin_in(&venv, "python"))
        .args([
            "-c",
            "from wasmext import _fastcall as f; print(('on: ' if f.AVAILABLE else 'off: ') + f.REASON)",
        ])
        .current_dir(python::package_dir().join("tests"))
        .quiet()
        .read()?;
    let report = venv.join("junit.xml");
    let passed = python::pytest_in(&venv)
        .arg(format!("--junit-xml={}", report.display()))
        .timeout(PYTEST_LIMIT)
        .passes()?;
    let xml = std::fs::read_to_string(&report)
        .with_context(|| format!("pytest wrote no report at {}", report.display()))?;
    Ok(Outcome {
        passed,
        counts: counts(&xml),
        fast_path,
    })
}

/// "N passed, N failed, N skipped" from a JUnit report's first `<testsuite>`.
fn counts(xml: &str) -> String {
    let attribute = |name: &str| -> u64 {
        let Some(start) = xml.find("<testsuite ") else {
            return 0;
        };
        let tag = &xml[start..xml[start..].find('>').map_or(xml.len(), |end| start + end)];
        tag.split_once(&format!(" {name}=\""))
            .and_then(|(_, rest)| rest.split('"').next())
            .and_then(|value| value.parse().ok())
            .unwrap_or(0)
    };
    let (tests, failures, errors, skipped) = (
        attribute("tests"),
        attribute("failures"),
        attribute("errors"),
        attribute("skipped"),
    );
    let passed = tests.saturating_sub(failures + errors + skipped);
    format!(
        "{passed} passed, {} failed, {skipped} skipped",
        failures + errors
    )
}

/// The text of python/pyproject.toml between `start` and the next `end`.
fn declared(start: &str, end: &str) -> Result<String> {
    let path = python::package_dir().join("pyproject.toml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let (_, rest) = text
        .split_once(start)
        .with_context(|| format!("{} has no `{start}`", path.display()))?;
    Ok(rest.split(end).next().unwrap_or_default().to_owned())
}

/// The range pyproject.toml declares for wasmtime must be exactly the majors that passed.
fn check_declared_range(passing: &[u32], releases: &[String]) -> Result<()> {
    let range = declared("\"wasmtime>=", "\"")?;
    let (low, high) = range.split_once(",<").with_context(|| {
        format!("pyproject.toml's wasmtime range `>={range}` has no `,<` bound")
    })?;
    let (low, high): (u32, u32) = (low.trim().parse()?, high.trim().parse()?);
    let declared: Vec<u32> = releases
        .iter()
        .filter_map(|release| major(release))
        .filter(|major| (low..high).contains(major))
        .collect();
    let mut passing = passing.to_vec();
    passing.sort_unstable();
    passing.dedup();
    if declared != passing {
        bail!(
            "python/pyproject.toml declares wasmtime>={low},<{high} (majors {declared:?}), \
             but the suite passed on majors {passing:?}: make the range exactly those"
        );
    }
    eprintln!("pyproject.toml's wasmtime>={low},<{high} is exactly the majors that passed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_release_of_each_supported_major() {
        let listed = "52.0.0rc1, 51.0.0, 50.0.1, 50.0.0, 49.0.0, 48.0.0, 47.0.1, 0.40.0";
        assert_eq!(
            newest_per_major(listed.split(", ")),
            ["48.0.0", "49.0.0", "50.0.1", "51.0.0"]
        );
    }

    #[test]
    fn counts_from_a_junit_report() {
        let xml = r#"<?xml version="1.0"?><testsuites><testsuite name="pytest" errors="1" failures="2" skipped="3" tests="10" time="1.0"></testsuite></testsuites>"#;
        assert_eq!(counts(xml), "4 passed, 3 failed, 3 skipped");
    }
}
