//! `cargo xtask bench`: the benchmark suite of `python/bench/`, run against the freshly built
//! wheel and against both build profiles of Monocypher; `--readme` publishes the run in
//! docs/benchmarks.md.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::build::{self, Profile};
use crate::cmd::Cmd;
use crate::flags::Flags;
use crate::guests::{self, Workspace};
use crate::manifest::Manifest;
use crate::toolchain::Toolchain;
use crate::{project_root, python, setup};

/// The guest whose two build profiles the suite compares.
const PROFILED_GUEST: &str = "monocypher";
/// The document `--readme` rewrites between the markers (relative to the root).
const BENCH_DOC: &str = "docs/benchmarks.md";
const README_BEGIN: &str = "<!-- bench:begin -->";
const README_END: &str = "<!-- bench:end -->";
/// Where `--readme` keeps the charts BENCH_DOC shows (committed, relative to the root).
const README_CHARTS: &str = "python/bench/results";
/// README_CHARTS as BENCH_DOC links to it (relative to BENCH_DOC's directory).
const CHARTS_FROM_DOC: &str = "../python/bench/results";

pub struct Options {
    /// Few, short rounds: proves every case runs and computes the right thing.
    pub quick: bool,
    /// Only the cases whose name contains this (case-insensitive).
    pub filter: Option<String>,
}

impl Options {
    pub fn quick() -> Self {
        Self {
            quick: true,
            filter: None,
        }
    }
}

pub fn run(args: &[String]) -> Result<()> {
    let mut flags = Flags::new("bench", args);
    let filter = flags.value("filter")?;
    let quick = flags.switch("quick");
    let readme = flags.switch("readme");
    flags.finish()?;
    if readme && (quick || filter.is_some()) {
        bail!("`--readme` publishes a whole, full run: leave out `--quick` and `--filter`");
    }

    let toolchain = setup::build_tools()?;
    python::ensure_venv()?;
    let workspace = guests::discover()?;
    let built = build::build(&toolchain, &workspace, None, None)?;
    build::publish(&toolchain, &workspace, &built, None)?;
    python::install_wheel()?;
    let out = run_suite(&toolchain, &workspace, &Options { quick, filter })?;
    if readme {
        publish_in_readme(&out)?;
    }
    Ok(())
}

/// Builds both profiles of Monocypher into `target/bench/profiles/`, then runs the harness on
/// the installed wheel; returns the directory it wrote its report, table and charts into.
pub fn run_suite(
    toolchain: &Toolchain,
    workspace: &Workspace,
    options: &Options,
) -> Result<PathBuf> {
    let root = project_root();
    let bench_dir = root.join("target/bench");
    // A quick run (the one `cargo xtask test` makes) never overwrites a full run's report.
    let out = if options.quick {
        bench_dir.join("quick")
    } else {
        bench_dir.clone()
    };
    let profiles = bench_dir.join("profiles");
    for profile in [Profile::Size, Profile::Speed] {
        // Beside target/guests/, not in it: the shipped artifact and the wheel stay as built.
        let dir = profiles.join(profile.name());
        let built = build::build_into(
            toolchain,
            workspace,
            Some(PROFILED_GUEST),
            Some(profile),
            &dir,
        )?;
        let manifest = Manifest {
            tools: toolchain
                .versions()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            guests: built.into_iter().map(|b| b.entry).collect(),
        };
        manifest.write(&dir.join("manifest.json"))?;
    }

    // Run as a directory, so its own folder, not `python/`, leads `sys.path`: `import wasmext`
    // then finds the installed wheel rather than the source tree.
    let mut harness = Cmd::new(python::venv_bin("python"))
        .arg(python::package_dir().join("bench"))
        .arg("--out")
        .arg(&out)
        .arg("--profiles")
        .arg(&profiles)
        .args(["--readme-charts", CHARTS_FROM_DOC])
        .current_dir(&root)
        .on_failure("the harness says above what went wrong (a wrong result exits 1)");
    if options.quick {
        harness = harness.arg("--quick");
    }
    if let Some(filter) = &options.filter {
        harness = harness.arg("--filter").arg(filter);
    }
    harness.run()?;
    Ok(out)
}

/// Copies the run's charts to their committed place and rewrites BENCH_DOC's benchmark
/// section with the run's summary.
fn publish_in_readme(out: &Path) -> Result<()> {
    let root = project_root();
    let summary_path = out.join("summary.md");
    let summary = std::fs::read_to_string(&summary_path)
        .with_context(|| format!("reading {}", summary_path.display()))?;
    let charts = root.join(README_CHARTS);
    std::fs::create_dir_all(&charts)?;
    for chart in std::fs::read_dir(out)?.flatten().map(|e| e.path()) {
        if chart.extension().is_some_and(|e| e == "png") {
            let bytes = std::fs::read(&chart)?;
            build::write_if_changed(&charts.join(chart.file_name().unwrap_or_default()), &bytes)?;
        }
    }
    let readme_path = root.join(BENCH_DOC);
    let doc_dir = readme_path.parent().unwrap_or(&root);
    for link in image_links(&summary) {
        if !doc_dir.join(link).is_file() {
            bail!("the benchmark summary shows {link}, but the run made no such chart");
        }
    }
    let readme = std::fs::read_to_string(&readme_path)
        .with_context(|| format!("reading {}", readme_path.display()))?;
    build::write_if_changed(&readme_path, splice(&readme, &summary)?.as_bytes())?;
    eprintln!("{BENCH_DOC}: the benchmark section now shows this run; charts in {README_CHARTS}/");
    Ok(())
}

/// `readme` with everything between the benchmark markers replaced by `region`.
fn splice(readme: &str, region: &str) -> Result<String> {
    let (Some(begin), Some(end)) = (readme.find(README_BEGIN), readme.find(README_END)) else {
        bail!("{BENCH_DOC} needs the markers {README_BEGIN} and {README_END} around its benchmark section");
    };
    if end < begin {
        bail!("{BENCH_DOC} has {README_END} before {README_BEGIN}");
    }
    let head = &readme[..begin + README_BEGIN.len()];
    Ok(format!("{head}\n{}\n{}", region.trim(), &readme[end..]))
}

/// The targets of Markdown image links (`![alt](target)`).
fn image_links(markdown: &str) -> Vec<&str> {
    markdown
        .split("![")
        .skip(1)
        .filter_map(|rest| {
            let target = rest.split_once("](")?.1;
            Some(&target[..target.find(')')?])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_replaces_only_the_region() {
        let readme = "# t\n\n<!-- bench:begin -->\nold\ntable\n<!-- bench:end -->\n\n## next\n";
        let spliced = splice(readme, "new\n").unwrap();
        assert_eq!(
            spliced,
            "# t\n\n<!-- bench:begin -->\nnew\n<!-- bench:end -->\n\n## next\n"
        );
        assert_eq!(splice(&spliced, "new").unwrap(), spliced, "idempotent");
    }

    #[test]
    fn splice_needs_both_markers_in_order() {
        assert!(splice("no markers", "x").is_err());
        assert!(splice("<!-- bench:begin -->", "x").is_err());
        assert!(splice("<!-- bench:end --> <!-- bench:begin -->", "x").is_err());
    }

    #[test]
    fn image_links_are_found() {
        let md = "a ![chart](python/bench/results/ratios.png) b [link](x.md) ![c](d.png)";
        assert_eq!(
            image_links(md),
            ["python/bench/results/ratios.png", "d.png"]
        );
    }

    /// BENCH_DOC's benchmark section exists, so `--readme` has somewhere to write, and the
    /// chart it links to is where `--readme` puts it.
    #[test]
    fn readme_has_the_markers() {
        let readme = std::fs::read_to_string(project_root().join(BENCH_DOC)).unwrap();
        splice(&readme, "").unwrap();
        let doc_dir = project_root().join(BENCH_DOC);
        let doc_dir = doc_dir.parent().unwrap();
        assert_eq!(
            doc_dir.join(CHARTS_FROM_DOC),
            doc_dir.join("..").join(README_CHARTS)
        );
        for link in image_links(&readme) {
            assert!(
                doc_dir.join(link).is_file(),
                "{BENCH_DOC} shows {link}, which is missing"
            );
        }
    }
}
