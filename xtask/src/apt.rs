//! Installs Debian packages for whatever is missing (the guest toolchain, Python's venv).

use std::time::Duration;

use anyhow::{bail, Result};

use crate::cmd::{which, Cmd};

const APT_UPDATE_LIMIT: Duration = Duration::from_secs(300);
const APT_INSTALL_LIMIT: Duration = Duration::from_secs(1200);

/// Installs Debian packages, bounded in time so a dead mirror can't hang the build.
pub fn install(packages: &[&str]) -> Result<()> {
    let install_line = format!("apt-get install -y {}", packages.join(" "));
    if which("apt-get").is_none() {
        bail!("no apt-get on this machine: install the equivalent of `{install_line}` by hand");
    }
    let sudo = if is_root() {
        None
    } else if which("sudo").is_some() {
        Some("sudo")
    } else {
        bail!("installing needs root: run `{install_line}` as root, then retry");
    };
    let apt = |args: &[&str], limit| {
        let cmd = match sudo {
            Some(sudo) => Cmd::new(sudo).arg("apt-get"),
            None => Cmd::new("apt-get"),
        };
        cmd.args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .timeout(limit)
            .on_failure(format!(
                "check the network and the apt sources, or run `{install_line}` by hand"
            ))
            .run()
    };
    apt(&["update", "-q"], APT_UPDATE_LIMIT)?;
    let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
    args.extend_from_slice(packages);
    apt(&args, APT_INSTALL_LIMIT)
}

fn is_root() -> bool {
    Cmd::new("id")
        .arg("-u")
        .quiet()
        .read()
        .is_ok_and(|uid| uid == "0")
}
