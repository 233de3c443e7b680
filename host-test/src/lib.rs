//! Everything lives in `tests/all`: wasmtime tests of the artifacts in `target/guests`, run by `cargo xtask test` after the build.
