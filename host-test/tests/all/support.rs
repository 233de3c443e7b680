//! Shared helpers: one engine, each artifact compiled once, and a small typed
//! view of one instance (arena calls, bounds-checked memory access).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use wasmtime::{
    Engine, Instance, Memory, Module, Result, Store, StoreLimits, StoreLimitsBuilder, TypedFunc,
    WasmParams, WasmResults,
};

/// Wasm pages are 64 KiB.
pub const PAGE: u64 = 65536;

pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(Engine::default)
}

/// Where `cargo xtask build` leaves the artifacts.
pub fn artifact_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/guests")
        .join(format!("{name}.wasm"))
}

/// The compiled artifact `target/guests/{name}.wasm`, compiled once per test process.
pub fn artifact(name: &str) -> Result<Module> {
    static MODULES: OnceLock<Mutex<HashMap<String, Module>>> = OnceLock::new();
    let mut modules = MODULES.get_or_init(Default::default).lock().unwrap();
    if let Some(module) = modules.get(name) {
        return Ok(module.clone());
    }
    let path = artifact_path(name);
    let bytes = std::fs::read(&path).map_err(|err| {
        wasmtime::format_err!(
            "cannot read the guest artifact {}: {err}; run `cargo xtask build` first",
            path.display()
        )
    })?;
    let module = Module::new(engine(), bytes)?;
    modules.insert(name.to_owned(), module.clone());
    Ok(module)
}

/// A module from inline WAT, for ABI edge cases.
pub fn wat(source: &str) -> Result<Module> {
    Module::new(engine(), source)
}

/// One instance in its own store, with an optional cap on linear memory.
pub struct Guest {
    pub store: Store<StoreLimits>,
    pub instance: Instance,
    pub memory: Memory,
}

impl Guest {
    /// Instantiates the artifact `name` with no memory cap beyond wasm32's 4 GiB.
    pub fn new(name: &str) -> Result<Self> {
        Self::from_module(&artifact(name)?, None)
    }

    /// Instantiates `module`; `max_memory` caps linear memory in bytes, so `memory.grow` fails past it.
    pub fn from_module(module: &Module, max_memory: Option<usize>) -> Result<Self> {
        let mut limits = StoreLimitsBuilder::new();
        if let Some(bytes) = max_memory {
            limits = limits.memory_size(bytes);
        }
        let mut store = Store::new(engine(), limits.build());
        store.limiter(|limits| limits);
        let instance = Instance::new(&mut store, module, &[])?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| wasmtime::format_err!("the guest exports no `memory`"))?;
        Ok(Self {
            store,
            instance,
            memory,
        })
    }

    pub fn func<P: WasmParams, R: WasmResults>(&mut self, name: &str) -> Result<TypedFunc<P, R>> {
        self.instance.get_typed_func(&mut self.store, name)
    }

    pub fn call<P: WasmParams, R: WasmResults>(&mut self, name: &str, params: P) -> Result<R> {
        let func = self.func::<P, R>(name)?;
        func.call(&mut self.store, params)
    }

    /// `bump_alloc(size)`: 0 means the arena could not serve the request.
    pub fn alloc(&mut self, size: u32) -> Result<u32> {
        self.call("bump_alloc", size)
    }

    pub fn reset(&mut self) -> Result<()> {
        self.call("bump_reset", ())
    }

    /// Allocates room for `bytes` in the arena and copies them in.
    pub fn alloc_bytes(&mut self, bytes: &[u8]) -> Result<u32> {
        let ptr = self.alloc(u32::try_from(bytes.len())?)?;
        wasmtime::ensure!(ptr != 0, "bump_alloc({}) returned 0", bytes.len());
        self.write(ptr, bytes)?;
        Ok(ptr)
    }

    pub fn write(&mut self, ptr: u32, bytes: &[u8]) -> Result<()> {
        self.memory.write(&mut self.store, ptr as usize, bytes)?;
        Ok(())
    }

    pub fn read(&self, ptr: u32, len: usize) -> Result<Vec<u8>> {
        let mut out = vec![0; len];
        self.memory.read(&self.store, ptr as usize, &mut out)?;
        Ok(out)
    }

    /// All of linear memory, stack and arena alike.
    pub fn memory_bytes(&self) -> &[u8] {
        self.memory.data(&self.store)
    }

    pub fn memory_size(&self) -> u64 {
        self.memory.data_size(&self.store) as u64
    }

    /// Grows linear memory from the host so the arena grows next at `addr` or above.
    pub fn grow_memory_to(&mut self, addr: u64) -> Result<()> {
        let current = self.memory_size();
        if addr > current {
            self.memory
                .grow(&mut self.store, (addr - current).div_ceil(PAGE))?;
        }
        Ok(())
    }
}

/// Finds `needle` anywhere in `haystack`: the secret-scan primitive.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A seed for property tests, printed so a failure can be replayed with `HOST_TEST_SEED`.
pub fn seed(test: &str) -> u64 {
    let seed = std::env::var("HOST_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("{test}: HOST_TEST_SEED={seed}");
    seed
}

/// A proptest runner seeded from [`seed`] (a failure replays with `HOST_TEST_SEED`), running
/// `default_cases` cases unless `PROPTEST_CASES` says otherwise (`cargo xtask fuzz` sets it).
pub fn proptest_runner(test: &str, default_cases: u32) -> proptest::test_runner::TestRunner {
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let seed = seed(test);
    let mut bytes = [0; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default_cases);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// Adds `count` to the run's tally of `kind` for `what` when `WASMEXT_TALLY` names a file:
/// `cargo xtask test` and `fuzz` print the totals, so their summaries quote what really ran.
pub fn tally(kind: &str, what: &str, count: u64) {
    use std::io::Write;
    let Some(path) = std::env::var_os("WASMEXT_TALLY") else {
        return;
    };
    let line = format!("{kind}\t{what}\t{count}\n");
    // One append per line, so tests running in parallel never interleave their lines.
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        // Best effort: a lost line only makes the summary undercount.
        let _ = file.write_all(line.as_bytes());
    }
}

/// `ensure!(left == right)` that, when it fails, says what both sides were (and the message, if
/// one is given), so a failure in CI can be read without rerunning it.
#[macro_export]
macro_rules! ensure_eq {
    ($left:expr, $right:expr $(,)?) => {
        match (&$left, &$right) {
            (left, right) => wasmtime::ensure!(
                *left == *right,
                "`{} == {}` failed\n  left: {:?}\n right: {:?}",
                stringify!($left),
                stringify!($right),
                left,
                right,
            ),
        }
    };
    ($left:expr, $right:expr, $($message:tt)+) => {
        match (&$left, &$right) {
            (left, right) => wasmtime::ensure!(
                *left == *right,
                "{}: `{} == {}` failed\n  left: {:?}\n right: {:?}",
                format_args!($($message)+),
                stringify!($left),
                stringify!($right),
                left,
                right,
            ),
        }
    };
}
