//! The one way xtask runs a program: print it, check the tool exists first, bound its time,
//! and turn a failure into an error that names the tool and the fix.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

pub struct Cmd {
    program: OsString,
    command: Command,
    /// What to do when the program is missing.
    fix: String,
    /// What to do when it fails; by default, read its own output.
    failure_hint: Option<String>,
    timeout: Option<Duration>,
    quiet: bool,
}

impl Cmd {
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        let program = program.as_ref().to_owned();
        Self {
            command: Command::new(&program),
            program,
            fix: "run `cargo xtask setup`".to_owned(),
            failure_hint: None,
            timeout: None,
            quiet: false,
        }
    }

    /// The cargo that runs xtask, so `cargo +toolchain xtask` and `$CARGO` are honoured.
    pub fn cargo() -> Self {
        Self::new(Self::cargo_program()).fix("install Rust with rustup (https://rustup.rs)")
    }

    /// The cargo [`Cmd::cargo`] runs, for a tool that starts cargo itself.
    pub fn cargo_program() -> OsString {
        std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.command.arg(arg);
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Self {
        self.command.args(args);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// What to tell the user when the tool is missing.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = fix.into();
        self
    }

    /// What to tell the user when the tool runs but fails.
    pub fn on_failure(mut self, hint: impl Into<String>) -> Self {
        self.failure_hint = Some(hint.into());
        self
    }

    /// Kills the program after `limit`: anything that may touch the network gets one.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// Don't echo the command line (for probes whose output is the point).
    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }

    /// Runs with inherited stdio, so compiler output reaches the user as-is.
    pub fn run(mut self) -> Result<()> {
        self.prepare()?;
        let child = self.command.spawn();
        let status = self.wait(child)?;
        self.check(status)
    }

    /// Runs with inherited stdio and says whether it exited 0: for a program whose failure is a
    /// result to report (a test run in a matrix), not an error. Not starting is still an error.
    pub fn passes(mut self) -> Result<bool> {
        self.prepare()?;
        let child = self.command.spawn();
        Ok(self.wait(child)?.success())
    }

    /// Runs and returns stdout (trimmed); stderr still reaches the user.
    pub fn read(mut self) -> Result<String> {
        self.prepare()?;
        self.command.stdout(Stdio::piped());
        let child = self.command.spawn();
        let mut child = child.with_context(|| self.spawn_error())?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let reader = std::thread::spawn(move || std::io::read_to_string(stdout));
        let status = self.wait(Ok(child))?;
        let output = reader.join().expect("reader thread panicked")?;
        self.check(status)?;
        Ok(output.trim().to_owned())
    }

    /// Whether the program runs and exits 0, with all output discarded: for detection.
    pub fn succeeds(mut self) -> bool {
        self.quiet = true;
        self.command.stdout(Stdio::null()).stderr(Stdio::null());
        if self.prepare().is_err() {
            return false;
        }
        let child = self.command.spawn();
        matches!(self.wait(child), Ok(status) if status.success())
    }

    fn prepare(&mut self) -> Result<()> {
        if which(&self.program).is_none() {
            bail!("`{}` was not found: {}", self.name(), self.fix);
        }
        if !self.quiet {
            eprintln!("$ {}", self.display());
        }
        Ok(())
    }

    fn wait(&self, child: std::io::Result<Child>) -> Result<ExitStatus> {
        let mut child = child.with_context(|| self.spawn_error())?;
        let Some(limit) = self.timeout else {
            return Ok(child.wait()?);
        };
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                // Best effort: the process may have exited between the poll and the kill.
                let _ = child.kill();
                let _ = child.wait();
                let hint = self.failure_hint.as_deref().unwrap_or(&self.fix);
                bail!(
                    "`{}` did not finish within {} s and was stopped: {hint}",
                    self.name(),
                    limit.as_secs(),
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn check(&self, status: ExitStatus) -> Result<()> {
        if !status.success() {
            let hint = self
                .failure_hint
                .as_deref()
                .unwrap_or("its output above says why");
            bail!("`{}` failed ({status}): {hint}", self.display());
        }
        Ok(())
    }

    fn spawn_error(&self) -> String {
        format!("could not start `{}`: {}", self.name(), self.fix)
    }

    fn name(&self) -> String {
        self.program.to_string_lossy().into_owned()
    }

    fn display(&self) -> String {
        let mut line = self.name();
        for arg in self.command.get_args() {
            line.push(' ');
            line.push_str(&arg.to_string_lossy());
        }
        line
    }
}

/// Resolves `program` the way the OS would: a path as-is, a bare name through `PATH`.
pub fn which(program: impl AsRef<OsStr>) -> Option<PathBuf> {
    which_in(program, &std::env::var_os("PATH")?)
}

/// [`which`] with `path` (a `PATH`-style list of directories) in place of `$PATH`.
pub fn which_in(program: impl AsRef<OsStr>, path: &OsStr) -> Option<PathBuf> {
    let program = Path::new(program.as_ref());
    if program.components().count() > 1 {
        return program.is_file().then(|| program.to_owned());
    }
    std::env::split_paths(path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// The first of `names` found on `PATH`.
pub fn first_found(names: &[&str]) -> Option<PathBuf> {
    names.iter().find_map(which)
}
