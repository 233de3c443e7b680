//! What the benches share: which artifacts to measure.

use std::path::PathBuf;

/// The artifacts a bench compares: `$VAR` as `label=path,label=path` (a bare path labels
/// itself), or else `target/guests/{name}.wasm` from the last build.
pub fn artifacts(var: &str, name: &str) -> Vec<(String, PathBuf)> {
    match std::env::var(var) {
        Ok(list) => list
            .split(',')
            .map(|entry| match entry.split_once('=') {
                Some((label, path)) => (label.to_owned(), PathBuf::from(path)),
                None => (entry.to_owned(), PathBuf::from(entry)),
            })
            .collect(),
        Err(_) => vec![(
            "target/guests".to_owned(),
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../target/guests")
                .join(format!("{name}.wasm")),
        )],
    }
}

/// A fresh instance of a guest in its own store, with a way to copy input into its arena.
pub struct Guest {
    pub store: wasmtime::Store<()>,
    pub instance: wasmtime::Instance,
    pub memory: wasmtime::Memory,
    alloc: wasmtime::TypedFunc<u32, u32>,
}

impl Guest {
    pub fn new(engine: &wasmtime::Engine, module: &wasmtime::Module) -> wasmtime::Result<Self> {
        let mut store = wasmtime::Store::new(engine, ());
        let instance = wasmtime::Instance::new(&mut store, module, &[])?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| wasmtime::format_err!("no memory export"))?;
        let alloc = instance.get_typed_func::<u32, u32>(&mut store, "bump_alloc")?;
        Ok(Self {
            store,
            instance,
            memory,
            alloc,
        })
    }

    /// Allocates room for `bytes` with `bump_alloc` and copies them in.
    pub fn place(&mut self, bytes: &[u8]) -> wasmtime::Result<u32> {
        let ptr = self
            .alloc
            .call(&mut self.store, u32::try_from(bytes.len())?)?;
        wasmtime::ensure!(ptr != 0, "bump_alloc({}) failed", bytes.len());
        self.memory.write(&mut self.store, ptr as usize, bytes)?;
        Ok(ptr)
    }
}
