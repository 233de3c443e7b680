//! `target/guests/manifest.json`: what each artifact is, so a user can check a blob against a build.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::exports::ExportInfo;
use crate::interface::Interface;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Manifest {
    /// Tool versions of the latest build.
    pub tools: BTreeMap<String, String>,
    pub guests: Vec<Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    pub file: String,
    pub profile: String,
    pub bytes: usize,
    pub sha256: String,
    pub ship: bool,
    pub exports: Vec<ExportInfo>,
    /// The functions and error enums of the guest's interface (docs/abi.md), if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<Interface>,
}

impl Manifest {
    /// The manifest at `path`; a missing or unreadable one starts afresh (it is derived data).
    pub fn load(path: &Path) -> Self {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Replaces the entries of the guests just built, keeping the others'.
    pub fn merge(&mut self, built: impl IntoIterator<Item = Entry>) {
        for entry in built {
            self.guests.retain(|g| g.name != entry.name);
            self.guests.push(entry);
        }
        self.guests.sort_by(|a, b| a.name.cmp(&b.name));
    }

    /// Only what ships in the Python package.
    pub fn shipped(&self) -> Self {
        Self {
            tools: self.tools.clone(),
            guests: self.guests.iter().filter(|g| g.ship).cloned().collect(),
        }
    }

    /// Only the guests named (`--guest NAME --out DIR`).
    pub fn only(&self, names: &[&str]) -> Self {
        Self {
            tools: self.tools.clone(),
            guests: self
                .guests
                .iter()
                .filter(|g| names.contains(&g.name.as_str()))
                .cloned()
                .collect(),
        }
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        let mut json = serde_json::to_string_pretty(self)?;
        json.push('\n');
        crate::fsx::write_if_changed(path, json.as_bytes())
            .with_context(|| format!("writing {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, ship: bool) -> Entry {
        Entry {
            name: name.into(),
            file: format!("{name}.wasm"),
            profile: "size".into(),
            bytes: 1,
            sha256: "00".into(),
            ship,
            exports: Vec::new(),
            interface: None,
        }
    }

    #[test]
    fn shipped_and_only_keep_the_tools_and_their_guests() {
        let manifest = Manifest {
            tools: BTreeMap::from([("clang".into(), "19".into())]),
            guests: vec![
                entry("fixture", false),
                entry("monocypher", true),
                entry("twosum", true),
            ],
        };
        let names = |m: &Manifest| m.guests.iter().map(|g| g.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&manifest.shipped()), ["monocypher", "twosum"]);
        let out = manifest.only(&["twosum"]);
        assert_eq!(names(&out), ["twosum"]);
        assert_eq!(out.tools, manifest.tools);
        assert_eq!(
            names(&manifest.only(&["fixture", "twosum"])),
            ["fixture", "twosum"]
        );
    }
}
