//! The Monocypher guest: its exports against Monocypher's headers, upstream's own test vectors,
//! seeded properties, the packed AEAD pair, the Argon2 struct ABI, wiping, and pointers above 2 GiB.

mod api;
mod argon2;
mod exports;
mod headers;
mod high_memory;
mod layout;
mod packed;
mod properties;
mod vector_files;
mod vectors;
mod wipe;

// Shared with the guest's build.rs, so tests read the same pinned tree and export list.
#[path = "../../../../guests/monocypher/manifest.rs"]
mod manifest;
#[path = "../../../../guests/monocypher/upstream.rs"]
mod upstream;

use std::collections::BTreeSet;
use std::path::PathBuf;

use wasmtime::{Result, WasmParams, WasmResults};

use crate::support::Guest;

/// Monocypher's `Monocypher/` tree in cargo's registry (see `upstream.rs`).
fn source_dir() -> Result<PathBuf> {
    upstream::source_dir().map_err(wasmtime::Error::msg)
}

fn guest_manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../guests/monocypher/Cargo.toml")
}

/// One instance of the artifact. It remembers the lowest pointer the arena handed out and the
/// functions called, so the high-memory test can prove every export ran on buffers above 2 GiB.
struct Mono {
    guest: Guest,
    lowest_pointer: u32,
    called: BTreeSet<String>,
}

impl Mono {
    fn new() -> Result<Self> {
        Ok(Self {
            guest: Guest::new("monocypher")?,
            lowest_pointer: u32::MAX,
            called: BTreeSet::new(),
        })
    }

    /// A zeroed guest buffer of `len` bytes.
    fn buffer(&mut self, len: usize) -> Result<u32> {
        let ptr = self.guest.alloc(u32::try_from(len)?)?;
        wasmtime::ensure!(ptr != 0, "bump_alloc({len}) returned 0");
        self.lowest_pointer = self.lowest_pointer.min(ptr);
        Ok(ptr)
    }

    /// A guest copy of `bytes`.
    fn input(&mut self, bytes: &[u8]) -> Result<u32> {
        let ptr = self.buffer(bytes.len())?;
        self.guest.write(ptr, bytes)?;
        Ok(ptr)
    }

    fn read(&self, ptr: u32, len: usize) -> Result<Vec<u8>> {
        self.guest.read(ptr, len)
    }

    fn write(&mut self, ptr: u32, bytes: &[u8]) -> Result<()> {
        self.guest.write(ptr, bytes)
    }

    fn call<P: WasmParams, R: WasmResults>(&mut self, name: &str, params: P) -> Result<R> {
        if !self.called.contains(name) {
            self.called.insert(name.to_owned());
        }
        self.guest.call(name, params)
    }

    fn reset(&mut self) -> Result<()> {
        self.guest.reset()
    }
}

/// A generator seeded with `support::seed` (printed, replayable with `HOST_TEST_SEED`).
fn seeded_rng(test: &str) -> rand::rngs::StdRng {
    rand::SeedableRng::seed_from_u64(crate::support::seed(test))
}

fn random_bytes(rng: &mut impl rand::Rng, len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    rng.fill(bytes.as_mut_slice());
    bytes
}
