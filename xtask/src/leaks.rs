//! Refuses an artifact that embeds where or when it was built: a path of this machine (the
//! clone, the cargo home, the toolchain, the home or temp directory) or a timestamp. Either
//! would make two builds of one commit differ, and leak details of the build machine.

use std::path::PathBuf;

use anyhow::{bail, Result};

/// Fails naming the first machine path or timestamp found in `wasm`.
pub fn check(wasm: &[u8], guest: &str, machine_paths: &[PathBuf]) -> Result<()> {
    for path in machine_paths {
        let text = path.to_string_lossy();
        // "/" or "/a" would match anywhere; such short prefixes are not a clone's path anyway.
        if text.len() >= 4 && find(wasm, text.as_bytes()).is_some() {
            bail!(
                "guest `{guest}` embeds the build machine's path {text}: remap it \
                 (see compile::machine_paths) so the artifact does not depend on where it was built"
            );
        }
    }
    if let Some((offset, stamp)) = timestamp(wasm) {
        bail!(
            "guest `{guest}` embeds what looks like a build timestamp, {stamp:?} at byte \
             {offset}: drop __DATE__/__TIME__ (or the like) so rebuilds give the same bytes"
        );
    }
    Ok(())
}

/// Directories of this machine that have no business in an artifact, besides those the build
/// remaps (the caller adds those).
pub fn machine_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = ["HOME", "TMPDIR"]
        .iter()
        .filter_map(std::env::var_os)
        .map(PathBuf::from)
        .collect();
    dirs.push(std::env::temp_dir());
    if let Ok(cwd) = std::env::current_dir() {
        dirs.push(cwd);
    }
    dirs
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

const MONTHS: [&[u8]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// The first `YYYY-MM-DD`, `HH:MM:SS` or C `__DATE__` (`Mmm dd yyyy`) in `bytes`.
fn timestamp(bytes: &[u8]) -> Option<(usize, String)> {
    let number = |s: &[u8]| -> Option<u32> {
        s.iter().try_fold(0u32, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    let year = |s: &[u8]| number(s).filter(|y| (1970..2100).contains(y));
    for offset in 0..bytes.len() {
        let rest = &bytes[offset..];
        let date = rest.len() >= 10
            && year(&rest[..4]).is_some()
            && rest[4] == b'-'
            && rest[7] == b'-'
            && number(&rest[5..7]).is_some_and(|m| (1..=12).contains(&m))
            && number(&rest[8..10]).is_some_and(|d| (1..=31).contains(&d));
        let time = rest.len() >= 8
            && rest[2] == b':'
            && rest[5] == b':'
            && number(&rest[..2]).is_some_and(|h| h < 24)
            && number(&rest[3..5]).is_some_and(|m| m < 60)
            && number(&rest[6..8]).is_some_and(|s| s < 60);
        let c_date = rest.len() >= 11
            && MONTHS.contains(&&rest[..3])
            && rest[3] == b' '
            && (rest[4] == b' ' || rest[4].is_ascii_digit())
            && rest[5].is_ascii_digit()
            && rest[6] == b' '
            && year(&rest[7..11]).is_some();
        let length = if date {
            10
        } else if time {
            8
        } else if c_date {
            11
        } else {
            continue;
        };
        return Some((
            offset,
            String::from_utf8_lossy(&rest[..length]).into_owned(),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_paths_are_refused() {
        let wasm = b"\0asm\x01\0\0\0 ... /home/me/clone/guests/x/src/lib.rs ...";
        let err = check(wasm, "x", &[PathBuf::from("/home/me/clone")]).unwrap_err();
        assert!(err.to_string().contains("/home/me/clone"), "{err}");
        assert!(check(wasm, "x", &[PathBuf::from("/home/me/other")]).is_ok());
        // Remapped paths are fine: they are the same on every machine.
        let remapped = b"/wasmext/guests/x/src/lib.rs /cargo/registry/src/a.rs";
        assert!(check(remapped, "x", &[PathBuf::from("/home/me/clone")]).is_ok());
    }

    #[test]
    fn timestamps_are_refused() {
        for (text, stamp) in [
            (&b"built 2026-11-22 ok"[..], "2026-11-22"),
            (b"at 23:59:07.", "23:59:07"),
            (b"\0Nov 22 2026\0", "Nov 22 2026"),
            (b"Jan  5 1999", "Jan  5 1999"),
        ] {
            let err = check(text, "x", &[]).unwrap_err();
            assert!(err.to_string().contains(stamp), "{err}");
        }
    }

    #[test]
    fn lookalikes_pass() {
        for text in [
            &b"1234-56-78 3026-01-01 24:00:00 12:60:00 Now 22 2026 0xdeadbeef"[..],
            b"version 1.2.3, 12:34, 2026",
        ] {
            assert!(
                check(text, "x", &[]).is_ok(),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
    }
}
