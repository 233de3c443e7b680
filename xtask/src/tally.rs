//! The counts the tests report through `WASMEXT_TALLY`: property examples run, bad inputs
//! tried, faults injected, threads and processes used, the largest input. Each test appends
//! `kind<TAB>what<TAB>count` lines to the file; `test` and `fuzz` print the totals, so what a
//! run claims is what it did.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;

use crate::project_root;

pub const ENV: &str = "WASMEXT_TALLY";
/// The one kind whose counters keep the largest value rather than a sum.
const LARGEST: &str = "largest input (bytes)";

pub struct Tally {
    pub path: PathBuf,
}

impl Tally {
    /// An empty tally file for the task `name`, in `target/`.
    pub fn start(name: &str) -> Result<Self> {
        let path = project_root().join(format!("target/tally-{name}.tsv"));
        std::fs::write(&path, "")?;
        Ok(Self { path })
    }

    /// Per kind, the total and the counters that make it up.
    fn totals(&self) -> BTreeMap<String, (u64, BTreeMap<String, u64>)> {
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        let mut totals: BTreeMap<String, (u64, BTreeMap<String, u64>)> = BTreeMap::new();
        for line in text.lines() {
            let mut fields = line.split('\t');
            let (Some(kind), Some(what), Some(Ok(count))) = (
                fields.next(),
                fields.next(),
                fields.next().map(str::parse::<u64>),
            ) else {
                continue;
            };
            let (total, parts) = totals.entry(kind.to_owned()).or_default();
            let part = parts.entry(what.to_owned()).or_default();
            if kind == LARGEST {
                *part = (*part).max(count);
                *total = (*total).max(count);
            } else {
                *part += count;
                *total += count;
            }
        }
        totals
    }

    pub fn print(&self) {
        let totals = self.totals();
        if totals.is_empty() {
            return;
        }
        eprintln!(
            "\n==> tally: what the tests tried ({})",
            self.path.display()
        );
        for (kind, (total, parts)) in totals {
            eprintln!("  {kind}: {}", thousands(total));
            for (what, count) in parts {
                eprintln!("      {:>12}  {what}", thousands(count));
            }
        }
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string().into_bytes();
    let groups: Vec<&[u8]> = digits.rchunks(3).rev().collect();
    String::from_utf8(groups.join(&b","[..])).expect("digits and commas are ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_and_maxima() {
        let path = std::env::temp_dir().join(format!("xtask-tally-{}", std::process::id()));
        std::fs::write(
            &path,
            "bad inputs\ta\t3\nbad inputs\tb\t4\nbad inputs\ta\t1\nlargest input (bytes)\tx\t10\n\
             largest input (bytes)\ty\t7\nnot a line\n",
        )
        .unwrap();
        let totals = Tally { path: path.clone() }.totals();
        assert_eq!(totals["bad inputs"].0, 8);
        assert_eq!(totals["bad inputs"].1["a"], 4);
        assert_eq!(totals[LARGEST].0, 10);
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(12), "12");
        std::fs::remove_file(path).unwrap();
    }
}
