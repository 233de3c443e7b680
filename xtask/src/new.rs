//! `cargo xtask new NAME [--lang rust|c]`: scaffolds a guest that builds and passes the tests
//! as generated: the crate, a host test, a Python wrapper and its pytest test.

use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::cli::Args;
use crate::scaffold::{check_name, render, Lang};
use crate::{project_root, python};

pub fn run(args: &Args) -> Result<()> {
    let lang = args
        .value("lang")
        .map(Lang::parse)
        .transpose()?
        .unwrap_or(Lang::Rust);
    // flags.rs declares NAME required, so the parser has made sure there is one.
    let name = args.positionals()[0].as_str();

    let root = project_root();
    check_name(name)?;
    check_free(&root, name)?;
    let files = render(name, lang);
    if let Some((path, _)) = files.iter().find(|(path, _)| root.join(path).exists()) {
        bail!("`{path}` already exists: pick another name, or remove it first");
    }
    for (path, text) in &files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("every template is in a directory"))?;
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        eprintln!(
            "created {}",
            path.strip_prefix(&root).unwrap_or(&path).display()
        );
    }
    let main_rs = root.join("host-test/tests/all/main.rs");
    let text = std::fs::read_to_string(&main_rs)?;
    std::fs::write(&main_rs, add_module(&text, &format!("guest_{name}")))?;
    eprintln!("added `mod guest_{name};` to host-test/tests/all/main.rs");
    eprintln!(
        "\nnext: `cargo xtask build --guest {name}`, then `cargo xtask test`; \
         docs/writing-a-guest.md explains the ABI choices"
    );
    Ok(())
}

/// Refuses a name that an existing guest, crate or `wasmext` module already uses.
fn check_free(root: &Path, name: &str) -> Result<()> {
    let dashed = name.replace('_', "-");
    let workspace_dirs = [root.join("guests"), root.join("host-test/fixtures")];
    for dir in workspace_dirs {
        for candidate in [name, dashed.as_str()] {
            if dir.join(candidate).exists() {
                bail!(
                    "`{}` already exists: pick another name",
                    dir.join(candidate).strip_prefix(root)?.display()
                );
            }
        }
    }
    let module = python::package_dir().join("wasmext");
    if module.join(format!("{name}.py")).exists() || module.join(name).exists() {
        bail!("`wasmext.{name}` is already a module of the Python package: pick another name");
    }
    // Any package in the lock file: a second crate of that name would make `-p NAME` ambiguous.
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    if locked_packages(&lock).any(|package| package.replace('-', "_") == name) {
        bail!("`{name}` is already a crate in Cargo.lock: pick another name");
    }
    Ok(())
}

fn locked_packages(lock: &str) -> impl Iterator<Item = &str> {
    lock.lines().filter_map(|line| {
        line.strip_prefix("name = \"")
            .and_then(|rest| rest.strip_suffix('"'))
    })
}

/// Adds `mod NAME;` among the `mod` lines, in the sorted place rustfmt keeps them in.
fn add_module(main_rs: &str, module: &str) -> String {
    let line = format!("mod {module};");
    let mut lines: Vec<&str> = main_rs.lines().collect();
    let is_mod = |l: &&str| l.starts_with("mod ") && l.ends_with(';');
    let position = lines
        .iter()
        .position(|l| is_mod(l) && *l > line.as_str())
        .or_else(|| lines.iter().rposition(is_mod).map(|last| last + 1))
        .unwrap_or(lines.len());
    lines.insert(position, &line);
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn existing_guests_crates_and_modules_collide() {
        let root = project_root();
        for (name, reason) in [
            ("twosum", "guests/twosum"),
            ("monocypher", "guests/monocypher"),
            ("mixed_alloc", "fixtures/mixed-alloc"),
            ("wasmtime", "Cargo.lock"),
            ("monocypher_sys", "Cargo.lock"),
        ] {
            let err = check_free(&root, name).unwrap_err().to_string();
            assert!(err.contains(reason), "{name}: {err}");
        }
        check_free(&root, "surely_unused_name").unwrap();
    }

    #[test]
    fn modules_stay_sorted() {
        let main_rs = "mod arena;\nmod support;\nmod twosum;\n";
        assert_eq!(
            add_module(main_rs, "guest_demo"),
            "mod arena;\nmod guest_demo;\nmod support;\nmod twosum;\n"
        );
        assert_eq!(
            add_module(main_rs, "zz"),
            "mod arena;\nmod support;\nmod twosum;\nmod zz;\n"
        );
    }

    /// The snippets of README.md and docs/*.md that carry a file path in their first line are
    /// the scaffold's files for `mine`, verbatim: the docs can't drift from what
    /// `cargo xtask new` writes.
    #[test]
    fn readme_snippets_are_the_scaffold() {
        let readme = markdown_docs();
        let mut rendered = render("mine", Lang::Rust);
        rendered.extend(render("mine", Lang::C));
        let mut checked = 0;
        for (lang, block) in code_blocks(&readme) {
            let first = block.lines().next().unwrap_or_default();
            let path = first
                .strip_prefix("# ")
                .or_else(|| first.strip_prefix("// "))
                .or_else(|| {
                    first
                        .strip_prefix("/* ")
                        .and_then(|p| p.strip_suffix(" */"))
                });
            if lang == "sh" {
                // Commands are run by hand; at least every task they name must exist.
                for line in block.lines().filter(|l| l.starts_with("cargo xtask ")) {
                    let task = line.split_whitespace().nth(2).unwrap_or_default();
                    assert!(
                        crate::flags::find(task).is_some(),
                        "the docs run `{line}`, but xtask has no task `{task}`"
                    );
                }
            }
            let Some(path) = path.filter(|p| rendered.iter().any(|(file, _)| file == p)) else {
                assert!(
                    !matches!(lang, "rust" | "toml" | "c"),
                    "a ```{lang} block of the docs is not a scaffold file:\n{block}"
                );
                continue;
            };
            let body = &block[first.len() + 1..];
            let found = rendered
                .iter()
                .any(|(file, text)| file == path && text.contains(body));
            assert!(
                found,
                "the docs' snippet for {path} differs from the scaffold:\n{body}"
            );
            checked += 1;
        }
        assert!(
            checked >= 4,
            "only {checked} scaffold snippets in README.md and docs/"
        );
    }

    /// README.md, then every docs/*.md in name order, one after the other.
    fn markdown_docs() -> String {
        let root = project_root();
        let mut paths: Vec<_> = std::fs::read_dir(root.join("docs"))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
            .collect();
        paths.sort();
        std::iter::once(root.join("README.md"))
            .chain(paths)
            .map(|path| std::fs::read_to_string(path).unwrap())
            .collect()
    }

    /// Fenced blocks as (language, text).
    fn code_blocks(markdown: &str) -> Vec<(&str, String)> {
        let mut blocks = Vec::new();
        let mut current: Option<(&str, String)> = None;
        for line in markdown.lines() {
            match (&mut current, line.strip_prefix("```")) {
                (None, Some(lang)) => current = Some((lang.trim(), String::new())),
                (Some(_), Some(_)) => blocks.extend(current.take()),
                (Some((_, text)), None) => {
                    text.push_str(line);
                    text.push('\n');
                }
                (None, None) => {}
            }
        }
        blocks
    }
}
