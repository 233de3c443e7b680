//! Every task's flags and help, declared once: `cli` parses arguments and renders `--help` from
//! these, and each task reads only what it declares here.

use crate::cli::{Flag, Positional, Task};

pub static SETUP: Task = Task {
    name: "setup",
    about: &["install what builds and tests need (idempotent)"],
    positional: None,
    flags: &[],
};

pub static BUILD: Task = Task {
    name: "build",
    about: &[
        "build, optimise and validate every guest into target/guests/,",
        "write manifest.json and the Python wheel into target/wheels/",
    ],
    positional: None,
    flags: &[
        Flag {
            name: "guest",
            value: Some("NAME"),
            help: "build this guest (repeat, or NAME,NAME); the wheel gets every shipped one",
        },
        Flag {
            name: "out",
            value: Some("DIR"),
            help: "also copy the --guest ones (else the shipped ones) and their manifest.json here",
        },
        Flag {
            name: "profile",
            value: Some("size|speed"),
            help: "build the guests asked for so (default: each guest's own)",
        },
    ],
};

pub static NEW: Task = Task {
    name: "new",
    about: &[
        "scaffold guests/NAME (an Adler-32 example), its host test,",
        "the Python wrapper wasmext.NAME and its pytest test",
    ],
    positional: Some(Positional {
        name: "NAME",
        required: true,
        repeats: false,
    }),
    flags: &[Flag {
        name: "lang",
        value: Some("rust|c"),
        help: "the guest's language (default: rust)",
    }],
};

pub static TEST: Task = Task {
    name: "test",
    about: &[
        "fmt, clippy (host and wasm32), ruff and mypy, unit tests, build,",
        "reproducibility, host tests, Python tests (with short fuzz runs),",
        "a quick benchmark run",
    ],
    positional: None,
    flags: &[],
};

pub static BENCH: Task = Task {
    name: "bench",
    about: &[
        "build, then time the suite (python/bench/) against pure Python,",
        "native Monocypher, libsodium, hashlib, cryptography, argon2-cffi;",
        "print a table, write target/bench/report.json and a chart;",
        "--readme puts the run in docs/benchmarks.md",
    ],
    positional: None,
    flags: &[
        Flag {
            name: "quick",
            value: None,
            help: "few, short rounds: every case runs, timings mean little",
        },
        Flag {
            name: "filter",
            value: Some("TEXT"),
            help: "only the cases whose name contains TEXT",
        },
        Flag {
            name: "readme",
            value: None,
            help: "publish the (full) run in docs/benchmarks.md",
        },
    ],
};

pub static FUZZ: Task = Task {
    name: "fuzz",
    about: &[
        "the property tests and fuzzers, round after round with fresh",
        "seeds, for about SECS seconds (default 300); prints the counts",
    ],
    positional: None,
    flags: &[Flag {
        name: "time",
        value: Some("SECS"),
        help: "how long to keep starting rounds",
    }],
};

pub static VERIFY: Task = Task {
    name: "verify",
    about: &[
        "build this checkout, then check each .wasm, wheel, guests/ dir",
        "or manifest.json against it; with no PATH, check that a copy",
        "of the tree at another path builds to the same bytes",
    ],
    positional: Some(Positional {
        name: "PATH",
        required: false,
        repeats: true,
    }),
    flags: &[],
};

/// In the order the overview lists them.
pub static COMPAT: Task = Task {
    name: "compat",
    about: &[
        "the Python suite on every wasmtime-py major from 48 on and on the",
        "oldest and newest CPython here, each in target/compat/; prints a",
        "table, and checks pyproject.toml declares exactly the majors that pass",
    ],
    positional: None,
    flags: &[],
};

pub static TASKS: &[&Task] = &[&SETUP, &BUILD, &NEW, &TEST, &BENCH, &FUZZ, &VERIFY, &COMPAT];

pub fn find(name: &str) -> Option<&'static Task> {
    TASKS.iter().copied().find(|task| task.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_task_is_found_by_its_name_and_has_its_own_help() {
        for task in TASKS {
            assert!(
                std::ptr::eq(find(task.name).unwrap(), *task),
                "{}",
                task.name
            );
            let help = crate::cli::task_help(task);
            assert!(help.starts_with(&format!("usage: cargo xtask {}", task.name)));
            for flag in task.flags {
                assert!(help.contains(&format!("--{}", flag.name)), "{help}");
            }
        }
        assert!(find("help").is_none());
    }
}
