//! The guest scaffold of `cargo xtask new`: its templates, the names it accepts, and the proof,
//! run by `cargo xtask test`, that what it generates builds and passes the lints and tests.

use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::cmd::Cmd;
use crate::guests::{self, Profile};
use crate::toolchain::Toolchain;
use crate::{artifact, compile, interface, project_root, python};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Rust,
    C,
}

impl Lang {
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "rust" => Ok(Lang::Rust),
            "c" => Ok(Lang::C),
            other => bail!("unknown language `{other}`: use `rust` or `c`"),
        }
    }
}

/// Where each generated file goes (relative to the workspace root) and its template. `@name@`
/// is the only placeholder: it is valid in none of Rust, C, TOML or Python, so a template never
/// contains it by accident.
fn templates(lang: Lang) -> Vec<(&'static str, &'static str)> {
    let mut files = match lang {
        Lang::Rust => vec![
            (
                "guests/@name@/Cargo.toml",
                include_str!("../templates/rust/Cargo.toml.tmpl"),
            ),
            (
                "guests/@name@/src/lib.rs",
                include_str!("../templates/rust/lib.rs.tmpl"),
            ),
        ],
        Lang::C => vec![
            (
                "guests/@name@/Cargo.toml",
                include_str!("../templates/c/Cargo.toml.tmpl"),
            ),
            (
                "guests/@name@/build.rs",
                include_str!("../templates/c/build.rs.tmpl"),
            ),
            (
                "guests/@name@/src/lib.rs",
                include_str!("../templates/c/lib.rs.tmpl"),
            ),
            (
                "guests/@name@/src/@name@.c",
                include_str!("../templates/c/guest.c.tmpl"),
            ),
        ],
    };
    files.extend([
        (
            "host-test/tests/all/guest_@name@.rs",
            include_str!("../templates/common/host_test.rs.tmpl"),
        ),
        (
            "python/wasmext/@name@.py",
            include_str!("../templates/common/wrapper.py.tmpl"),
        ),
        (
            "python/tests/test_@name@.py",
            include_str!("../templates/common/test.py.tmpl"),
        ),
    ]);
    files
}

/// The scaffold for `name`: (path relative to the workspace root, contents).
pub fn render(name: &str, lang: Lang) -> Vec<(String, String)> {
    templates(lang)
        .into_iter()
        .map(|(path, text)| (path.replace("@name@", name), text.replace("@name@", name)))
        .collect()
}

/// `cargo xtask test`'s proof that both scaffolds work, without touching the workspace: they are
/// generated into a scratch workspace (the SDK and the lock file copied in), linted (rustfmt,
/// clippy, ruff), unit-tested, built for wasm32 and validated as `build` validates artifacts.
/// The target dirs persist under `target/scaffold-check`, so a repeat run takes seconds.
pub fn check_end_to_end(toolchain: &Toolchain) -> Result<()> {
    let root = project_root();
    let scratch = root.join("target/scaffold-check");
    let workspace = scratch.join("workspace");
    if workspace.exists() {
        std::fs::remove_dir_all(&workspace)?;
    }
    let mut manifest: toml::Table = std::fs::read_to_string(root.join("Cargo.toml"))?.parse()?;
    let members = toml::Value::from(vec!["guest-sdk", "guests/*"]);
    manifest["workspace"]
        .as_table_mut()
        .context("Cargo.toml has no [workspace]")?
        .insert("members".into(), members);
    copy_dir(&root.join("guest-sdk"), &workspace.join("guest-sdk"))?;
    std::fs::write(workspace.join("Cargo.toml"), toml::to_string(&manifest)?)?;
    std::fs::copy(root.join("Cargo.lock"), workspace.join("Cargo.lock"))?;
    // Ruff reads its settings from pyproject.toml, and sorts imports by what the package has.
    copy_dir(&python::package_dir(), &workspace.join("python"))?;

    let names = [("scaffold_rust", Lang::Rust), ("scaffold_c", Lang::C)];
    let mut rust_files = Vec::new();
    let mut python_files = Vec::new();
    for (name, lang) in names {
        check_name(name)?;
        for (path, text) in render(name, lang) {
            let path = workspace.join(path);
            std::fs::create_dir_all(path.parent().expect("every template is in a directory"))?;
            std::fs::write(&path, text)?;
            match path.extension().and_then(|e| e.to_str()) {
                Some("rs") => rust_files.push(path),
                Some("py") => python_files.push(path),
                _ => {}
            }
        }
    }

    Cmd::new("rustfmt")
        .args(["--check", "--edition", "2021"])
        .args(&rust_files)
        .run()?;
    let host_cargo = |task: &str| {
        Cmd::cargo()
            .arg(task)
            .args(names.iter().flat_map(|(name, _)| ["-p", name]))
            .current_dir(&workspace)
            .env("CARGO_TARGET_DIR", scratch.join("host"))
    };
    host_cargo("clippy")
        .args(["--all-targets", "--", "-D", "warnings"])
        .run()?;
    host_cargo("test").arg("--quiet").run()?;
    let ruff = python::venv_bin("ruff");
    if ruff.is_file() {
        let python_dir = workspace.join("python");
        Cmd::new(&ruff)
            .args(["check", "--no-cache"])
            .args(&python_files)
            .current_dir(&python_dir)
            .run()?;
        Cmd::new(&ruff)
            .args(["format", "--check", "--no-cache"])
            .args(&python_files)
            .current_dir(&python_dir)
            .run()?;
    }

    let profile = Profile::DEFAULT;
    let target_dir = scratch.join("wasm");
    compile::wasm_cargo(toolchain, &workspace, &target_dir, profile)
        .args(names.iter().flat_map(|(name, _)| ["-p", name]))
        .run()?;
    for (name, _) in names {
        let declared = guests::from_manifest(&workspace.join(format!("guests/{name}/Cargo.toml")))?;
        let raw = std::fs::read(compile::raw_artifact(&target_dir, profile, name))?;
        // As `build` does: the exports follow from the interface, which must match their types.
        let (guest, interface) = declared.with_interface(interface::read(&raw)?)?;
        let wasm = artifact::keep_declared_exports(&raw, &guest)?;
        let exports = artifact::validate(&wasm, &guest)?;
        interface.check_exports(&exports)?;
        if interface.functions.iter().all(|f| f.name != "adler32") {
            bail!("scaffold `{name}`: its interface lacks adler32");
        }
        eprintln!("scaffold `{name}`: built and valid, interface checked");
    }
    Ok(())
}

/// Copies a source tree, leaving out caches and hidden files.
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with('.') || name == "__pycache__" {
            continue;
        }
        let target = to.join(path.file_name().expect("a directory entry has a name"));
        if path.is_dir() {
            copy_dir(&path, &target)?;
        } else {
            std::fs::copy(&path, &target)?;
        }
    }
    Ok(())
}

/// Names that are taken even though no directory says so: the language's own crates, and the
/// `wasmext` package's modules (a guest's wrapper becomes `wasmext.NAME`).
const RESERVED: &[&str] = &[
    "core",
    "std",
    "alloc",
    "proc_macro",
    "test",
    "build",
    "guest_sdk",
    "host_test",
    "xtask",
    "wasmext",
    "guests",
    "tests",
    "runtime",
    "errors",
    "conftest",
];

/// Python's keywords, and Rust's (strict and reserved): a guest's name is both a Python module
/// and a crate name, so it must be an identifier in both.
const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield", "abstract", "become", "box", "const", "crate", "do", "dyn", "enum", "extern",
    "final", "fn", "gen", "impl", "let", "loop", "macro", "match", "mod", "move", "mut",
    "override", "priv", "pub", "ref", "self", "static", "struct", "super", "trait", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where",
];

/// Long enough for any sensible name; longer ones would push generated lines past 100 columns.
const MAX_NAME_LEN: usize = 40;

/// A name that is a crate name, a Python module name and a C identifier alike, and reads as
/// one in every file the scaffold writes.
pub fn check_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let well_formed = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !well_formed {
        bail!(
            "`{name}` is not a valid guest name: it must match [a-z][a-z0-9_]* \
             (it becomes a crate, a Python module `wasmext.{name}` and C identifiers)"
        );
    }
    if name.len() > MAX_NAME_LEN {
        bail!(
            "`{name}` is longer than {MAX_NAME_LEN} characters: the generated Python would \
             break the 100-column limit that ruff enforces"
        );
    }
    if KEYWORDS.contains(&name) {
        bail!("`{name}` is a Python or Rust keyword, so it cannot name a module or crate");
    }
    if RESERVED.contains(&name) {
        bail!("`{name}` is reserved (a standard crate or a part of wasmext): pick another name");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_names_pass() {
        for name in ["demo", "demo_c", "a", "crc32", "my_guest_2"] {
            check_name(name).unwrap();
        }
    }

    #[test]
    fn bad_names_are_refused_with_the_reason() {
        for (name, reason) in [
            ("", "[a-z][a-z0-9_]*"),
            ("Demo", "[a-z][a-z0-9_]*"),
            ("2fast", "[a-z][a-z0-9_]*"),
            ("_private", "[a-z][a-z0-9_]*"),
            ("my-guest", "[a-z][a-z0-9_]*"),
            ("dé", "[a-z][a-z0-9_]*"),
            ("with", "keyword"),
            ("lambda", "keyword"),
            ("fn", "keyword"),
            ("runtime", "reserved"),
            ("errors", "reserved"),
            ("core", "reserved"),
            (&"a".repeat(41), "longer than 40"),
        ] {
            let err = check_name(name).unwrap_err().to_string();
            assert!(err.contains(reason), "{name}: {err}");
        }
    }

    #[test]
    fn templates_render_every_placeholder() {
        for lang in [Lang::Rust, Lang::C] {
            let files = render("demo", lang);
            for (path, text) in &files {
                assert!(!path.contains('@') && !text.contains("@name@"), "{path}");
            }
            let paths: Vec<_> = files.iter().map(|(path, _)| path.as_str()).collect();
            assert!(paths.contains(&"guests/demo/src/lib.rs"));
            assert!(paths.contains(&"python/wasmext/demo.py"));
            assert!(paths.contains(&"python/tests/test_demo.py"));
            assert!(paths.contains(&"host-test/tests/all/guest_demo.rs"));
            let cargo_toml = &files[0].1;
            assert!(cargo_toml.contains("name = \"demo\""));
            // C lists its exports and declares their signatures; Rust's follow from the macro.
            let listed =
                cargo_toml.contains("exports = [\"bump_alloc\", \"bump_reset\", \"adler32\"]");
            assert_eq!(listed, lang == Lang::C);
            assert_eq!(
                cargo_toml.contains("[[package.metadata.wasmext.functions]]"),
                lang == Lang::C
            );
            assert!(files.iter().any(|(path, text)| path.ends_with("lib.rs")
                && text.contains("guest_sdk::export_arena!();")));
        }
        let rust = render("demo", Lang::Rust);
        assert!(rust
            .iter()
            .any(|(path, text)| path.ends_with("lib.rs") && text.contains("#[guest_sdk::export]")));
        let c = render("demo_c", Lang::C);
        assert!(c
            .iter()
            .any(|(path, _)| path == "guests/demo_c/src/demo_c.c"));
        assert!(c.iter().any(|(path, text)| path == "guests/demo_c/build.rs"
            && text.contains("src/demo_c.c")
            && text.contains(".try_compile(\"demo_c\")")));
    }
}
