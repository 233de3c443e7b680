//! Parses a task's arguments against its declaration (see `flags`) and renders its help from the
//! same declaration, so what `--help` lists is exactly what the parser accepts.

use anyhow::{bail, Result};

/// What one task accepts, and the text its help shows.
pub struct Task {
    pub name: &'static str,
    /// Pre-wrapped lines: the overview indents them under the synopsis.
    pub about: &'static [&'static str],
    pub positional: Option<Positional>,
    pub flags: &'static [Flag],
}

pub struct Positional {
    /// As the synopsis shows it, e.g. `NAME`.
    pub name: &'static str,
    pub required: bool,
    pub repeats: bool,
}

pub struct Flag {
    /// Without the leading `--`.
    pub name: &'static str,
    /// What the value looks like (`DIR`, `size|speed`), or `None` for a switch.
    pub value: Option<&'static str>,
    pub help: &'static str,
}

/// A task's arguments, checked against its declaration.
pub struct Args {
    task: &'static Task,
    values: Vec<(&'static str, String)>,
    switches: Vec<&'static str>,
    positionals: Vec<String>,
}

impl Args {
    /// The value of `--name`, if given (the last one wins).
    pub fn value(&self, name: &str) -> Option<&str> {
        self.declared(name, true);
        self.values
            .iter()
            .rev()
            .find(|(flag, _)| *flag == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of `--name`, in order, for a flag that may be given more than once.
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.declared(name, true);
        self.values
            .iter()
            .filter(|(flag, _)| *flag == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// Whether the switch `--name` was given.
    pub fn switch(&self, name: &str) -> bool {
        self.declared(name, false);
        self.switches.contains(&name)
    }

    pub fn positionals(&self) -> &[String] {
        &self.positionals
    }

    /// A task asking for a flag it never declared is a bug in xtask, not in the command line.
    fn declared(&self, name: &str, takes_value: bool) {
        let flag = self.task.flags.iter().find(|flag| flag.name == name);
        assert!(
            flag.is_some_and(|flag| flag.value.is_some() == takes_value),
            "`cargo xtask {}` reads `--{name}`, which flags.rs does not declare as a {}",
            self.task.name,
            if takes_value {
                "flag with a value"
            } else {
                "switch"
            },
        );
    }
}

pub fn wants_help(args: &[String]) -> bool {
    args.iter().any(|arg| arg == "--help" || arg == "-h")
}

/// Fails on anything `task` does not declare, so a typo never silently does the default.
pub fn parse(task: &'static Task, args: &[String]) -> Result<Args> {
    let mut parsed = Args {
        task,
        values: Vec::new(),
        switches: Vec::new(),
        positionals: Vec::new(),
    };
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let Some(given) = arg.strip_prefix("--") else {
            if arg.starts_with('-') {
                bail!(
                    "unexpected argument `{arg}` for `cargo xtask {}`",
                    task.name
                );
            }
            parsed.positionals.push(arg.clone());
            continue;
        };
        let (name, inline_value) = match given.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (given, None),
        };
        let Some(flag) = task.flags.iter().find(|flag| flag.name == name) else {
            bail!(
                "unexpected argument `{arg}` for `cargo xtask {}`",
                task.name
            );
        };
        match (flag.value, inline_value) {
            (None, None) => parsed.switches.push(flag.name),
            (None, Some(_)) => bail!(
                "`--{name}` takes no value (cargo xtask {} --help)",
                task.name
            ),
            (Some(_), Some(value)) => parsed.values.push((flag.name, value.to_owned())),
            (Some(_), None) => {
                let Some(value) = rest.next() else {
                    bail!(
                        "`--{name}` needs a value (cargo xtask {} --help)",
                        task.name
                    );
                };
                parsed.values.push((flag.name, value.clone()));
            }
        }
    }
    let most = match &task.positional {
        None => 0,
        Some(positional) if positional.repeats => usize::MAX,
        Some(_) => 1,
    };
    if let Some(extra) = parsed.positionals.get(most) {
        bail!(
            "unexpected argument `{extra}` for `cargo xtask {}`",
            task.name
        );
    }
    if let Some(positional) = task.positional.as_ref().filter(|p| p.required) {
        if parsed.positionals.is_empty() {
            bail!(
                "`cargo xtask {}` needs {}: {}",
                task.name,
                positional.name,
                synopsis(task)
            );
        }
    }
    Ok(parsed)
}

/// `cargo xtask NAME [--flag VALUE]...`, as both helps show it.
fn synopsis(task: &Task) -> String {
    let mut line = format!("cargo xtask {}", task.name);
    if let Some(positional) = &task.positional {
        let name = match (positional.required, positional.repeats) {
            (true, false) => positional.name.to_owned(),
            (true, true) => format!("{}...", positional.name),
            (false, false) => format!("[{}]", positional.name),
            (false, true) => format!("[{}...]", positional.name),
        };
        line.push(' ');
        line.push_str(&name);
    }
    for flag in task.flags {
        line.push_str(&format!(" [{}]", flag_usage(flag)));
    }
    line
}

fn flag_usage(flag: &Flag) -> String {
    match flag.value {
        Some(value) => format!("--{} {value}", flag.name),
        None => format!("--{}", flag.name),
    }
}

/// Where the overview's descriptions and a task's flag descriptions start.
const COLUMN: usize = 32;

/// `cargo xtask TASK --help`: the task's synopsis, what it does, and each flag.
pub fn task_help(task: &Task) -> String {
    let mut out = format!("usage: {}\n\n", synopsis(task));
    for line in task.about {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("\noptions:\n");
    let lines = task
        .flags
        .iter()
        .map(|flag| (flag_usage(flag), flag.help))
        .chain([("-h, --help".to_owned(), "print this help")]);
    for (usage, help) in lines {
        out.push_str(&format!("  {usage:<width$}{help}\n", width = COLUMN - 2));
    }
    out
}

/// `cargo xtask --help`: every task, with its synopsis and what it does.
pub fn overview(tasks: &[&Task]) -> String {
    let mut out = String::from(
        "usage: cargo xtask TASK [OPTIONS]   (cargo xtask TASK --help: that task's own)\n\ntasks:\n",
    );
    for task in tasks {
        let usage = synopsis(task)["cargo xtask ".len()..].to_owned();
        let mut about = task.about.iter();
        if usage.len() < COLUMN - 3 {
            let first = about.next().copied().unwrap_or_default();
            out.push_str(&format!("  {usage:<width$}{first}\n", width = COLUMN - 2));
        } else {
            out.push_str(&format!("  {usage}\n"));
        }
        for line in about {
            out.push_str(&format!("{:COLUMN$}{line}\n", ""));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    static BENCH: Task = Task {
        name: "bench",
        about: &["time things", "and more"],
        positional: None,
        flags: &[
            Flag {
                name: "quick",
                value: None,
                help: "few rounds",
            },
            Flag {
                name: "filter",
                value: Some("TEXT"),
                help: "only these",
            },
        ],
    };

    static NEW: Task = Task {
        name: "new",
        about: &["scaffold"],
        positional: Some(Positional {
            name: "NAME",
            required: true,
            repeats: false,
        }),
        flags: &[],
    };

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn switches_values_and_leftovers() {
        let parsed = parse(&BENCH, &args("--quick --filter aead")).unwrap();
        assert_eq!(parsed.value("filter"), Some("aead"));
        assert!(parsed.switch("quick"));
        let parsed = parse(&BENCH, &args("--filter=x --filter y")).unwrap();
        assert_eq!(parsed.value("filter"), Some("y"));
        assert_eq!(parsed.values("filter"), ["x", "y"]);
        assert!(!parsed.switch("quick"));

        for (line, complaint) in [
            ("--quick --quiet", "unexpected argument `--quiet`"),
            ("--filter", "`--filter` needs a value"),
            ("--quick=yes", "`--quick` takes no value"),
            ("stray", "unexpected argument `stray`"),
            ("-q", "unexpected argument `-q`"),
        ] {
            let error = parse(&BENCH, &args(line)).err().unwrap().to_string();
            assert!(error.contains(complaint), "{line}: {error}");
        }
    }

    #[test]
    fn positionals_are_counted() {
        assert_eq!(parse(&NEW, &args("demo")).unwrap().positionals(), ["demo"]);
        let error = parse(&NEW, &[]).err().unwrap().to_string();
        assert!(
            error.contains("needs NAME: cargo xtask new NAME"),
            "{error}"
        );
        let error = parse(&NEW, &args("a b")).err().unwrap().to_string();
        assert!(error.contains("unexpected argument `b`"), "{error}");
    }

    #[test]
    #[should_panic(expected = "does not declare")]
    fn reading_an_undeclared_flag_is_a_bug() {
        parse(&BENCH, &[]).unwrap().switch("filter");
    }

    #[test]
    fn help_lists_what_the_parser_accepts() {
        let help = task_help(&BENCH);
        assert!(help.starts_with("usage: cargo xtask bench [--quick] [--filter TEXT]\n"));
        assert!(help.contains("\n  --filter TEXT"));
        assert!(help.contains("only these\n"));
        assert!(help.contains("--help"));
        let overview = overview(&[&BENCH, &NEW]);
        assert!(overview.contains("\n  bench [--quick] [--filter TEXT]\n"));
        assert!(
            overview.contains("\n  new NAME                      scaffold\n"),
            "{overview}"
        );
    }
}
