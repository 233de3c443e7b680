//! `cargo xtask TASK`: the workspace's tasks, one module each.

mod artifact;
mod bench;
mod build;
mod cmd;
mod flags;
mod fuzz;
mod guests;
mod leaks;
mod manifest;
mod new;
mod python;
mod repro;
mod setup;
mod tally;
mod test;
mod toolchain;
mod verify;
mod wheel;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask TASK [OPTIONS]

tasks:
  setup                         install what builds and tests need (idempotent)
  build [--guest NAME] [--out DIR] [--profile size|speed]
                                build, optimise and validate every guest into target/guests/,
                                write manifest.json and the Python wheel into target/wheels/
  new NAME [--lang rust|c]      scaffold guests/NAME (an Adler-32 example), its host test,
                                the Python wrapper wasmext.NAME and its pytest test
  test                          unit tests, build, reproducibility, host tests, Python tests
                                (with short fuzz runs), a quick benchmark run, clippy, fmt, ruff
  bench [--quick] [--filter TEXT] [--readme]
                                build, then time the suite (python/bench/) against pure Python,
                                native Monocypher, libsodium, hashlib, cryptography, argon2-cffi;
                                print a table, write target/bench/report.json and a chart;
                                --readme puts the run in docs/benchmarks.md
  fuzz [--time SECS]            the property tests and fuzzers, round after round with fresh
                                seeds, for about SECS seconds (default 300); prints the counts
  verify [PATH...]              build this checkout, then check each .wasm, wheel, guests/ dir
                                or manifest.json against it; with no PATH, check that a copy
                                of the tree at another path builds to the same bytes
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = args
        .split_first()
        .map_or(("help", &[][..]), |(t, r)| (t.as_str(), r));
    if rest.iter().any(|arg| arg == "--help" || arg == "-h") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let result = match task {
        "setup" => setup::run(rest),
        "build" => build::run(rest),
        "new" => new::run(rest),
        "test" => test::run(rest),
        "bench" => bench::run(rest),
        "fuzz" => fuzz::run(rest),
        "verify" => verify::run(rest),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(anyhow::anyhow!("unknown task `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Points xtask at another copy of the tree: the reproducibility check builds a copy this way.
pub const PROJECT_ROOT_ENV: &str = "WASMEXT_PROJECT_ROOT";

/// The workspace root, wherever cargo was started from (or `$WASMEXT_PROJECT_ROOT`).
pub fn project_root() -> PathBuf {
    if let Some(root) = std::env::var_os(PROJECT_ROOT_ENV) {
        return PathBuf::from(root);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}
