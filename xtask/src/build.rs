//! `cargo xtask build`: every guest (or those `--guest` names) into `target/guests/`, then the
//! manifest, the Python package's copies and the wheel; prints each artifact's size and sha256.
//!
//! The wheel always holds every shipped guest: a `--guest` build also builds the other shipped
//! guests (with their own profile; cargo and wasm-opt's cache make that cheap), and only
//! `--out DIR` gets just the guests asked for.

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::Args;
use crate::compile::{self, Built};
use crate::guests::{self, Profile};
use crate::{publish, toolchain};

pub fn run(args: &Args) -> Result<()> {
    let names = guest_names(&args.values("guest"));
    let out = args.value("out").map(PathBuf::from);
    let profile = args.value("profile").map(Profile::parse).transpose()?;

    let toolchain = toolchain::build_tools()?;
    let workspace = guests::discover()?;
    let asked = workspace.select(&names)?;
    let plan = workspace.build_plan(&asked, profile);
    let built = compile::build(&toolchain, &workspace, &plan)?;
    // `--out` gets what was asked for; with no `--guest`, what ships.
    let out_names: Vec<&str> = asked
        .iter()
        .filter(|g| !names.is_empty() || g.ship)
        .map(|g| g.name.as_str())
        .collect();
    publish::publish(
        &toolchain,
        &workspace,
        &built,
        out.as_deref().map(|dir| (dir, out_names.as_slice())),
    )?;
    print_table(&built);
    let extra: Vec<&str> = plan[asked.len()..]
        .iter()
        .map(|(g, _)| g.name.as_str())
        .collect();
    if !extra.is_empty() {
        eprintln!(
            "also built {}: the wheel holds every shipped guest",
            extra.join(", ")
        );
    }
    Ok(())
}

/// `--guest a --guest b,c` → `[a, b, c]`.
fn guest_names<'a>(values: &[&'a str]) -> Vec<&'a str> {
    values
        .iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .collect()
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

#[cfg(test)]
mod tests {
    #[test]
    fn guests_may_be_repeated_or_comma_separated() {
        assert_eq!(
            super::guest_names(&["twosum", "monocypher, mine", ""]),
            ["twosum", "monocypher", "mine"]
        );
        assert!(super::guest_names(&[]).is_empty());
    }
}
