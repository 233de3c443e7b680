//! `cargo xtask setup`: installs what is missing, and is a quick no-op when nothing is.

use anyhow::Result;

use crate::cli::Args;
use crate::{python, toolchain};

pub fn run(_: &Args) -> Result<()> {
    let toolchain = toolchain::build_tools()?;
    for (tool, version) in toolchain.versions() {
        eprintln!("{tool:>9}: {version}");
    }
    python::ensure_venv()?;
    eprintln!("setup: everything is in place");
    Ok(())
}
