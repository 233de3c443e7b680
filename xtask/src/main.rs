//! `cargo xtask TASK`: the workspace's tasks, one module each.
//!
//! The modules stack in layers, each using only those below it and no task another task:
//!
//! - leaves: `cmd`, `fsx`, `apt`, `progress`, `tally`, `leaks`, `cli`, `flags`;
//! - the model: `toolchain`, `python`, `guests`, `artifact`, `interface`, `manifest`, `wheel`;
//! - the pipelines: `compile`, `publish`, and the checks and runs tasks share (`repro`,
//!   `provenance`, `scaffold`, `bench_suite`);
//! - the tasks, one module each with a `run`: `setup`, `build`, `new`, `test`, `bench`, `fuzz`,
//!   `verify`, `compat`.

// leaves
mod apt;
mod cli;
mod cmd;
mod flags;
mod fsx;
mod leaks;
mod progress;
mod tally;

// the model
mod artifact;
mod exports;
mod guests;
mod interface;
mod manifest;
mod python;
mod toolchain;
mod wheel;

// the pipelines
mod bench_suite;
mod compile;
mod provenance;
mod publish;
mod repro;
mod scaffold;

// the tasks
mod bench;
mod build;
mod compat;
mod fuzz;
mod new;
mod setup;
mod test;
mod verify;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (name, rest) = args
        .split_first()
        .map_or(("help", &[][..]), |(t, r)| (t.as_str(), r));
    if matches!(name, "help" | "--help" | "-h") {
        print!("{}", cli::overview(flags::TASKS));
        return ExitCode::SUCCESS;
    }
    let Some(task) = flags::find(name) else {
        eprintln!(
            "error: unknown task `{name}`\n\n{}",
            cli::overview(flags::TASKS)
        );
        return ExitCode::FAILURE;
    };
    if cli::wants_help(rest) {
        print!("{}", cli::task_help(task));
        return ExitCode::SUCCESS;
    }
    let result = cli::parse(task, rest).and_then(|args| match task.name {
        "setup" => setup::run(&args),
        "build" => build::run(&args),
        "new" => new::run(&args),
        "test" => test::run(&args),
        "bench" => bench::run(&args),
        "fuzz" => fuzz::run(&args),
        "verify" => verify::run(&args),
        "compat" => compat::run(&args),
        other => unreachable!("flags.rs declares `{other}`, which main.rs does not run"),
    });
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
