//! Compiles Monocypher natively for the AEAD benchmark (benches/aead.rs), which compares it with
//! the wasm artifacts. Nothing in the tests calls it. Without the upstream tree the benchmark is
//! built without its native side and says why; the tests report the missing tree themselves.

#[path = "../guests/monocypher/upstream.rs"]
mod upstream;

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-env-changed={}", upstream::ENV);
    println!("cargo::rerun-if-env-changed=CARGO_HOME");
    println!("cargo::rustc-check-cfg=cfg(native_monocypher)");
    let dir = match upstream::source_dir() {
        Ok(dir) => dir,
        Err(err) => {
            println!("cargo::warning=the AEAD benchmark is built without native Monocypher: {err}");
            return;
        }
    };
    let src = dir.join("src");
    println!(
        "cargo::rerun-if-changed={}",
        src.join("monocypher.c").display()
    );
    let mut build = cc::Build::new();
    // The compiler that builds the wasm guest, so the comparison isolates wasm's cost.
    if let Some(clang) = on_path("clang-19") {
        build.compiler(clang);
    }
    build
        .file(src.join("monocypher.c"))
        .include(&src)
        // The speed the benchmark compares against, whatever profile builds the tests.
        .opt_level(3)
        .debug(false)
        .warnings(false)
        // cargo would hand `-l` to the package's library only; the benchmark links it itself.
        .cargo_metadata(false)
        .compile("monocypher_native");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let archive = out_dir.join("libmonocypher_native.a");
    println!("cargo::rustc-link-arg-benches={}", archive.display());
    println!("cargo::rustc-cfg=native_monocypher");
}

fn on_path(program: &str) -> Option<PathBuf> {
    env::split_paths(&env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}
