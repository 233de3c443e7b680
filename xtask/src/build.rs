//! `cargo xtask build`: every guest (or `--guest NAME`) into `target/guests/`, then the
//! manifest, the Python package's copies and the wheel; prints each artifact's size and sha256.

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::Args;
use crate::compile::{self, Built};
use crate::guests::{self, Profile};
use crate::{publish, toolchain};

pub fn run(args: &Args) -> Result<()> {
    let only = args.value("guest");
    let out = args.value("out").map(PathBuf::from);
    let profile = args.value("profile").map(Profile::parse).transpose()?;

    let toolchain = toolchain::build_tools()?;
    let workspace = guests::discover()?;
    let built = compile::build(&toolchain, &workspace, only, profile)?;
    publish::publish(&toolchain, &workspace, &built, out.as_deref())?;
    print_table(&built);
    Ok(())
}

fn print_table(built: &[Built]) {
    println!("{:<16} {:<8} {:>9}  sha256", "guest", "profile", "bytes");
    for b in built {
        println!(
            "{:<16} {:<8} {:>9}  {}",
            b.guest.name,
            b.entry.profile,
            b.entry.bytes,
            &b.entry.sha256[..16]
        );
    }
}
