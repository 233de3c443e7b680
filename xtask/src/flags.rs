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

    /// Whether the bare flag `--name` was given.
    pub fn switch(&mut self, name: &str) -> bool {
        let flag = format!("--{name}");
        let mut found = false;
        for (arg, used) in self.args.iter().zip(&mut self.used) {
            if *arg == flag {
                *used = true;
                found = true;
            }
        }
        found
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn switches_values_and_leftovers() {
        let given = args("--quick --filter aead --readme");
        let mut flags = Flags::new("bench", &given);
        assert_eq!(flags.value("filter").unwrap().as_deref(), Some("aead"));
        assert!(flags.switch("quick"));
        assert!(!flags.switch("verbose"));
        assert!(flags.switch("readme"));
        flags.finish().unwrap();

        let given = args("--quick --quiet");
        let mut flags = Flags::new("bench", &given);
        assert!(flags.switch("quick"));
        let error = flags.finish().unwrap_err().to_string();
        assert!(error.contains("`--quiet`"), "{error}");
    }
}
