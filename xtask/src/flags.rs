//! A tiny parser for `--name value` flags: enough for our tasks, with errors naming the flag.

use anyhow::{bail, Result};

pub struct Flags<'a> {
    task: &'static str,
    args: &'a [String],
    used: Vec<bool>,
}

impl<'a> Flags<'a> {
    pub fn new(task: &'static str, args: &'a [String]) -> Self {
        Self {
            task,
            args,
            used: vec![false; args.len()],
        }
    }

    /// The value after `--name`, if given; `--name=value` works too.
    pub fn value(&mut self, name: &str) -> Result<Option<String>> {
        let flag = format!("--{name}");
        let mut found = None;
        let mut i = 0;
        while i < self.args.len() {
            let arg = &self.args[i];
            if let Some(value) = arg.strip_prefix(&flag).and_then(|v| v.strip_prefix('=')) {
                self.used[i] = true;
                found = Some(value.to_owned());
            } else if *arg == flag {
                let Some(value) = self.args.get(i + 1) else {
                    bail!("`{flag}` needs a value (cargo xtask {} --help)", self.task);
                };
                self.used[i] = true;
                self.used[i + 1] = true;
                found = Some(value.clone());
                i += 1;
            }
            i += 1;
        }
        Ok(found)
    }

    /// The first argument that is not a flag or a flag's value (call after every `value`).
    pub fn positional(&mut self) -> Option<String> {
        let index =
            (0..self.args.len()).find(|&i| !self.used[i] && !self.args[i].starts_with('-'))?;
        self.used[index] = true;
        Some(self.args[index].clone())
    }

    /// Fails on anything not consumed, so a typo never silently does the default.
    pub fn finish(self) -> Result<()> {
        if let Some((arg, _)) = self.args.iter().zip(&self.used).find(|(_, used)| !**used) {
            bail!(
                "unexpected argument `{arg}` for `cargo xtask {}`",
                self.task
            );
        }
        Ok(())
    }
}
