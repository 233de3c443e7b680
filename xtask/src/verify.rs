//! `cargo xtask verify [PATH...]`: builds this checkout, then checks artifacts against it.
//!
//! A PATH is a `.wasm` file, a directory of them (a package's `guests/`), a wheel, or a
//! `manifest.json` (see `provenance`). With no PATH, the build itself is checked: a copy of the
//! tree at another path must build to the same bytes (see `repro`).

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::Args;
use crate::compile::{self, guests_dir};
use crate::manifest::Manifest;
use crate::{guests, provenance, publish, repro, toolchain};

pub fn run(args: &Args) -> Result<()> {
    let paths: Vec<PathBuf> = args.positionals().iter().map(PathBuf::from).collect();

    let toolchain = toolchain::build_tools()?;
    let workspace = guests::discover()?;
    let built = compile::build(&toolchain, &workspace, &workspace.all(None))?;
    publish::publish(&toolchain, &workspace, &built, None)?;
    if paths.is_empty() {
        return repro::check();
    }
    let ours = Manifest::load(&guests_dir().join("manifest.json"));
    provenance::check_paths(&ours, &paths)
}
