//! `cargo xtask fuzz [--time SECS]`: the property tests and fuzzers of `cargo xtask test`, run
//! for longer: round after round, each with fresh seeds and many more cases, until the time is
//! up (a round under way is finished). Prints what ran, from the tests' own tally.
//!
//! - the SDK arena against its model (proptest, native);
//! - the real wasm arena against the same promises, and deflate's round trips in every format
//!   (proptest, wasmtime);
//! - every Hypothesis test of the Python suite: the runtime's alloc/read/write bounds, two-sum
//!   against the reference through the public API, Monocypher's argument checks with random
//!   types and lengths, mutated modules, and the rest;
//! - sixteen threads hammering mixed operations, for many more rounds.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::cli::Args;
use crate::cmd::Cmd;
use crate::compile;
use crate::progress::step;
use crate::tally::{self, Tally};
use crate::{guests, project_root, publish, python, toolchain};

const DEFAULT_SECONDS: u64 = 300;
// Per round: each sized to take well under a minute on a small machine.
const SDK_CASES: &str = "2000";
const WASM_ARENA_CASES: &str = "400";
const HYPOTHESIS_EXAMPLES: &str = "1000";
const STRESS_ROUNDS: &str = "400";

pub fn run(args: &Args) -> Result<()> {
    let seconds = match args.value("time") {
        Some(text) => text
            .parse::<u64>()
            .with_context(|| format!("--time takes a number of seconds, not `{text}`"))?,
        None => DEFAULT_SECONDS,
    };
    let root = project_root();
    let toolchain = toolchain::build_tools()?;
    python::ensure_venv()?;
    step("build, and install the wheel");
    let workspace = guests::discover()?;
    let built = compile::build(&toolchain, &workspace, &workspace.all(None))?;
    publish::publish(&toolchain, &workspace, &built, None)?;
    python::install_wheel()?;

    let tally = Tally::start("fuzz")?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut rounds = 0;
    while rounds == 0 || Instant::now() < deadline {
        rounds += 1;
        step(&format!(
            "fuzz round {rounds} ({:.0} s of {seconds} s used)",
            started.elapsed().as_secs_f64()
        ));
        Cmd::cargo()
            .args(["test", "-p", "guest-sdk", "--lib", "random_workloads"])
            .current_dir(&root)
            .env("PROPTEST_CASES", SDK_CASES)
            .env(tally::ENV, &tally.path)
            .run()?;
        let mut wasm_arena = Cmd::cargo()
            .args([
                "test",
                "-p",
                "host-test",
                "--test",
                "all",
                "--",
                "arena::random_workloads",
                "deflate::random_inputs_round_trip",
            ])
            .current_dir(&root)
            .env("PROPTEST_CASES", WASM_ARENA_CASES)
            .env(tally::ENV, &tally.path);
        for (var, dir) in &workspace.source_env {
            wasm_arena = wasm_arena.env(var, dir);
        }
        wasm_arena.run()?;
        // A fresh Hypothesis seed every round (conftest draws one and prints it).
        python::pytest()
            .env("HYPOTHESIS_PROFILE", "fuzz")
            .env("WASMEXT_FUZZ_EXAMPLES", HYPOTHESIS_EXAMPLES)
            .env("WASMEXT_PROPERTIES_ONLY", "1")
            .env(tally::ENV, &tally.path)
            .run()?;
        python::pytest()
            .arg("test_concurrency.py::test_sixteen_threads_hammering_mixed_operations")
            .env("WASMEXT_STRESS_ROUNDS", STRESS_ROUNDS)
            .env(tally::ENV, &tally.path)
            .run()?;
    }
    tally.print();
    step(&format!(
        "fuzz: {rounds} round(s) in {:.0} s, nothing failed",
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}
