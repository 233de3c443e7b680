//! On wasm32: compiles Monocypher's two translation units with clang into a static library that
//! the cdylib links, and exports every name declared in Cargo.toml. On the host the crate is an
//! empty Rust library and nothing is compiled.

#[path = "manifest.rs"]
mod manifest;
#[path = "upstream.rs"]
mod upstream;

use std::env;
use std::path::PathBuf;

/// Upstream functions that leave a secret on the stack: compiled as `upstream_NAME`, and exported
/// as `NAME` by the wrappers in src/stack_scrub.rs, which scrub the stack after the call.
const SCRUBBED: [&str; 4] = [
    "crypto_blake2b_keyed_init",
    "crypto_blake2b_keyed",
    "crypto_sha512_hkdf_expand",
    "crypto_sha512_hkdf",
];

fn main() {
    if let Err(err) = run() {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    println!("cargo::rerun-if-changed=Cargo.toml");
    println!("cargo::rerun-if-env-changed={}", upstream::ENV);
    println!("cargo::rerun-if-env-changed=CARGO_HOME");
    if env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("wasm32") {
        return Ok(());
    }

    let manifest_dir = PathBuf::from(env_var("CARGO_MANIFEST_DIR")?);
    let exports = manifest::declared_exports(&manifest_dir.join("Cargo.toml"))?;
    let src = upstream::source_dir()?.join("src");
    let units = [
        src.join("monocypher.c"),
        src.join("optional/monocypher-ed25519.c"),
    ];
    let headers = [
        src.join("monocypher.h"),
        src.join("optional/monocypher-ed25519.h"),
    ];
    for file in units.iter().chain(&headers) {
        println!("cargo::rerun-if-changed={}", file.display());
    }

    let (compiler, archiver) = clang()?;
    let mut build = cc::Build::new();
    for name in SCRUBBED {
        build.define(name, format!("upstream_{name}").as_str());
    }
    build
        .compiler(&compiler)
        .archiver(&archiver)
        .files(&units)
        // monocypher-ed25519.c includes "monocypher.h" from the directory above its own.
        .include(&src)
        .flag("-mbulk-memory")
        .flag("-ffreestanding")
        .flag("-nostdlib")
        // OPT_LEVEL is the cargo profile's opt-level: "z" for guest-size, "3" for guest-speed.
        .opt_level_str(&env_var("OPT_LEVEL")?)
        // Upstream code: its warnings are shown, never fatal.
        .warnings(true)
        .warnings_into_errors(false)
        .try_compile("monocypher")
        .map_err(|err| format!("compiling Monocypher with {}: {err}", compiler.display()))?;

    // Nothing in Rust calls the C functions: each export also roots its archive member.
    for name in &exports {
        println!("cargo::rustc-link-arg-cdylib=--export={name}");
    }
    Ok(())
}

/// The C compiler and archiver: those xtask chose (`CC_<target>`/`AR_<target>`, the `cc` crate's
/// convention), else `clang-19` with `llvm-ar-19`, else `clang` with `llvm-ar`. Always a pair from
/// one LLVM: an older `llvm-ar` cannot index newer wasm objects, and wasm-ld needs the index.
fn clang() -> Result<(PathBuf, PathBuf), String> {
    let target = env_var("TARGET")?.replace('-', "_");
    let chosen = |tool: &str| {
        let var = format!("{tool}_{target}");
        println!("cargo::rerun-if-env-changed={var}");
        env::var_os(var).map(PathBuf::from)
    };
    if let (Some(compiler), Some(archiver)) = (chosen("CC"), chosen("AR")) {
        return Ok((compiler, archiver));
    }
    for (compiler, archiver) in [("clang-19", "llvm-ar-19"), ("clang", "llvm-ar")] {
        if let (Some(compiler), Some(archiver)) = (on_path(compiler), on_path(archiver)) {
            return Ok((compiler, archiver));
        }
    }
    Err(
        "neither clang-19 with llvm-ar-19 nor clang with llvm-ar is on PATH: Monocypher's C \
         sources need clang for wasm32 (`cargo xtask setup` installs it)"
            .to_owned(),
    )
}

fn on_path(program: &str) -> Option<PathBuf> {
    env::split_paths(&env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

fn env_var(name: &str) -> Result<String, String> {
    env::var(name).map_err(|err| format!("cargo did not set {name}: {err}"))
}
