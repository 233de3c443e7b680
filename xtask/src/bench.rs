//! `cargo xtask bench`: the benchmark suite of `python/bench/`, run against the freshly built
//! wheel and against both build profiles of Monocypher; `--readme` publishes the run in
//! docs/benchmarks.md.

use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::bench_suite::{self, Options, BENCH_DOC, README_CHARTS};
use crate::cli::Args;
use crate::compile;
use crate::fsx::write_if_changed;
use crate::{guests, project_root, publish, python, toolchain};

const README_BEGIN: &str = "<!-- bench:begin -->";
const README_END: &str = "<!-- bench:end -->";

pub fn run(args: &Args) -> Result<()> {
    let filter = args.value("filter").map(str::to_owned);
    let quick = args.switch("quick");
    let readme = args.switch("readme");
    if readme && (quick || filter.is_some()) {
        bail!("`--readme` publishes a whole, full run: leave out `--quick` and `--filter`");
    }

    let toolchain = toolchain::build_tools()?;
    python::ensure_venv()?;
    let workspace = guests::discover()?;
    let built = compile::build(&toolchain, &workspace, &workspace.all(None))?;
    publish::publish(&toolchain, &workspace, &built, None)?;
    python::install_wheel()?;
    let out = bench_suite::run_suite(&toolchain, &workspace, &Options { quick, filter })?;
    if readme {
        publish_in_readme(&out)?;
    }
    Ok(())
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
            write_if_changed(&charts.join(chart.file_name().unwrap_or_default()), &bytes)?;
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
    write_if_changed(&readme_path, splice(&readme, &summary)?.as_bytes())?;
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
    use crate::bench_suite::CHARTS_FROM_DOC;

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
