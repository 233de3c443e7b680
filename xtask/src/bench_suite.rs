//! The benchmark suite of `python/bench/`, run on the installed wheel and on both build profiles
//! of Monocypher: `cargo xtask bench` runs it in full, `cargo xtask test` quickly.

use std::env::consts::{DLL_PREFIX, DLL_SUFFIX};
use std::path::PathBuf;

use anyhow::Result;

use crate::cmd::Cmd;
use crate::compile::{self, Codegen};
use crate::guests::{Profile, Workspace};
use crate::manifest::Manifest;
use crate::toolchain::Toolchain;
use crate::{project_root, python};

/// The guest whose two build profiles the suite compares.
const PROFILED_GUEST: &str = "monocypher";
/// The host crate that builds twosum's search as a C library, for a native row beside the guest.
const NATIVE_TWOSUM: &str = "native-twosum";
/// The document `--readme` rewrites between the markers (relative to the root).
pub const BENCH_DOC: &str = "docs/benchmarks.md";
/// Where `--readme` keeps the charts BENCH_DOC shows (committed, relative to the root).
pub const README_CHARTS: &str = "python/bench/results";
/// README_CHARTS as BENCH_DOC links to it (relative to BENCH_DOC's directory).
pub const CHARTS_FROM_DOC: &str = "../python/bench/results";

pub struct Options {
    /// Few, short rounds: proves every case runs and computes the right thing.
    pub quick: bool,
    /// Only the cases whose name contains this (case-insensitive).
    pub filter: Option<String>,
}

impl Options {
    pub fn quick() -> Self {
        Self {
            quick: true,
            filter: None,
        }
    }
}

/// Builds both profiles of Monocypher into `target/bench/profiles/`, then runs the harness on
/// the installed wheel; returns the directory it wrote its report, table and charts into.
pub fn run_suite(
    toolchain: &Toolchain,
    workspace: &Workspace,
    options: &Options,
) -> Result<PathBuf> {
    let root = project_root();
    let bench_dir = root.join("target/bench");
    // A quick run (the one `cargo xtask test` makes) never overwrites a full run's report.
    let out = if options.quick {
        bench_dir.join("quick")
    } else {
        bench_dir.clone()
    };
    let profiles = bench_dir.join("profiles");
    let mut builds = vec![
        ("size", Profile::Size, Codegen::Baseline),
        ("speed", Profile::Speed, Codegen::Baseline),
    ];
    // Its own cargo target directory (core included) costs minutes on a fresh clone: the quick
    // run `cargo xtask test` makes goes without it, and the suite then times two builds.
    let simd = profiles.join("speed-simd128");
    if options.quick {
        // A full run's build would otherwise be timed beside a quick run's.
        if simd.exists() {
            std::fs::remove_dir_all(&simd)?;
        }
    } else {
        builds.push(("speed-simd128", Profile::Speed, Codegen::Simd128));
    }
    for (name, profile, codegen) in builds {
        // Beside target/guests/, not in it: the shipped artifact and the wheel stay as built.
        let dir = profiles.join(name);
        let plan: Vec<_> = workspace
            .select(&[PROFILED_GUEST])?
            .into_iter()
            .map(|guest| (guest, profile))
            .collect();
        let built = compile::build_with(toolchain, workspace, &plan, &dir, codegen)?;
        let manifest = Manifest {
            tools: toolchain
                .versions()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            guests: built.into_iter().map(|b| b.entry).collect(),
        };
        manifest.write(&dir.join("manifest.json"))?;
    }

    Cmd::cargo()
        .args(["build", "--release", "-p", NATIVE_TWOSUM])
        .current_dir(&root)
        .on_failure("the compiler's output above says what failed")
        .run()?;
    let native = root.join("target/release").join(format!(
        "{DLL_PREFIX}{}{DLL_SUFFIX}",
        NATIVE_TWOSUM.replace('-', "_")
    ));

    // Run as a directory, so its own folder, not `python/`, leads `sys.path`: `import wasmext`
    // then finds the installed wheel rather than the source tree.
    let mut harness = Cmd::new(python::venv_bin("python"))
        .arg(python::package_dir().join("bench"))
        .arg("--out")
        .arg(&out)
        .arg("--profiles")
        .arg(&profiles)
        .arg("--guests")
        .arg(compile::guests_dir())
        .arg("--native-twosum")
        .arg(&native)
        .args(["--readme-charts", CHARTS_FROM_DOC])
        .current_dir(&root)
        .on_failure("the harness says above what went wrong (a wrong result exits 1)");
    if options.quick {
        harness = harness.arg("--quick");
    }
    if let Some(filter) = &options.filter {
        harness = harness.arg("--filter").arg(filter);
    }
    harness.run()?;
    Ok(out)
}
