//! `crypto_aead_lock` throughput at 64 B and 1 MiB: Monocypher compiled natively (build.rs, -O3)
//! against the wasm artifacts running in wasmtime (Cranelift, default configuration).
//!
//! `cargo bench -p host-test --bench aead`. The artifacts measured are
//! `MONOCYPHER_BENCH_WASM=label=path,label=path` if set, else `target/guests/monocypher.wasm`
//! (`cargo xtask build --guest monocypher [--profile size|speed]`).

mod common;

use std::time::{Duration, Instant};

use wasmtime::{Engine, Module, Store, TypedFunc};

const SIZES: [usize; 2] = [64, 1 << 20];
const KEY: [u8; 32] = [7; 32];
const NONCE: [u8; 24] = [9; 24];
const AD: &[u8] = b"bench";

/// Seconds per call: the median of 7 batches, each sized to last about 100 ms.
fn time_per_call(mut call: impl FnMut()) -> f64 {
    let mut batch = 1u64;
    loop {
        let start = Instant::now();
        (0..batch).for_each(|_| call());
        if start.elapsed() >= Duration::from_millis(100) {
            break;
        }
        batch *= 2;
    }
    let mut samples: Vec<f64> = (0..7)
        .map(|_| {
            let start = Instant::now();
            (0..batch).for_each(|_| call());
            start.elapsed().as_secs_f64() / batch as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn report(label: &str, size: usize, seconds: f64) {
    let mib_per_s = size as f64 / seconds / (1024.0 * 1024.0);
    println!(
        "{label:<28} {size:>8} B  {:>12.0} ns/call  {mib_per_s:>9.1} MiB/s",
        seconds * 1e9
    );
}

fn plain_text(size: usize) -> Vec<u8> {
    (0..size).map(|i| i as u8).collect()
}

#[cfg(native_monocypher)]
mod native {
    unsafe extern "C" {
        fn crypto_aead_lock(
            cipher_text: *mut u8,
            mac: *mut u8,
            key: *const u8,
            nonce: *const u8,
            ad: *const u8,
            ad_size: usize,
            plain_text: *const u8,
            text_size: usize,
        );
    }

    /// `(mac, cipher_text)` of `plain`, computed natively.
    pub fn lock(plain: &[u8], cipher: &mut [u8], mac: &mut [u8; 16]) {
        assert_eq!(plain.len(), cipher.len());
        // SAFETY: every pointer is valid for the length passed with it (key 32, nonce 24, mac 16).
        unsafe {
            crypto_aead_lock(
                cipher.as_mut_ptr(),
                mac.as_mut_ptr(),
                super::KEY.as_ptr(),
                super::NONCE.as_ptr(),
                super::AD.as_ptr(),
                super::AD.len(),
                plain.as_ptr(),
                plain.len(),
            )
        }
    }
}

type Lock = TypedFunc<(u32, u32, u32, u32, u32, u32, u32, u32), ()>;

/// One instance of an artifact with the inputs of one size in place.
struct Wasm {
    store: Store<()>,
    lock: Lock,
    args: (u32, u32, u32, u32, u32, u32, u32, u32),
    memory: wasmtime::Memory,
}

impl Wasm {
    fn new(engine: &Engine, module: &Module, plain: &[u8]) -> wasmtime::Result<Self> {
        let mut guest = common::Guest::new(engine, module)?;
        let mut place = |bytes: &[u8]| guest.place(bytes);
        let (key, nonce, ad, text) = (place(&KEY)?, place(&NONCE)?, place(AD)?, place(plain)?);
        let (mac, cipher) = (place(&[0; 16])?, place(&vec![0; plain.len()])?);
        let common::Guest {
            mut store,
            instance,
            memory,
            ..
        } = guest;
        let args = (
            cipher,
            mac,
            key,
            nonce,
            ad,
            AD.len() as u32,
            text,
            plain.len() as u32,
        );
        let lock = instance.get_typed_func(&mut store, "crypto_aead_lock")?;
        Ok(Self {
            store,
            lock,
            args,
            memory,
        })
    }

    fn lock(&mut self) {
        self.lock
            .call(&mut self.store, self.args)
            .expect("crypto_aead_lock trapped");
    }

    /// `(mac, cipher_text)` after the last call.
    #[cfg_attr(not(native_monocypher), allow(dead_code))]
    fn output(&self) -> (Vec<u8>, Vec<u8>) {
        let data = self.memory.data(&self.store);
        let (cipher, mac, len) = (
            self.args.0 as usize,
            self.args.1 as usize,
            self.args.7 as usize,
        );
        (
            data[mac..mac + 16].to_vec(),
            data[cipher..cipher + len].to_vec(),
        )
    }
}

fn main() -> wasmtime::Result<()> {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once as a smoke test.
    if !std::env::args().any(|arg| arg == "--bench") {
        return Ok(());
    }
    let engine = Engine::default();
    let modules: Vec<(String, Module)> = common::artifacts("MONOCYPHER_BENCH_WASM", "monocypher")
        .into_iter()
        .map(|(label, path)| {
            let module = Module::from_file(&engine, &path).map_err(|err| {
                err.context(format!("{}: run `cargo xtask build` first", path.display()))
            })?;
            Ok((label, module))
        })
        .collect::<wasmtime::Result<_>>()?;

    println!("crypto_aead_lock, {} B of additional data", AD.len());
    for size in SIZES {
        let plain = plain_text(size);
        #[cfg(native_monocypher)]
        let expected = {
            let (mut cipher, mut mac) = (vec![0; size], [0; 16]);
            let seconds = time_per_call(|| native::lock(&plain, &mut cipher, &mut mac));
            report("native (-O3)", size, seconds);
            (mac.to_vec(), cipher)
        };
        #[cfg(not(native_monocypher))]
        println!("native: not built (see the host-test build script's warning)");

        for (label, module) in &modules {
            let mut wasm = Wasm::new(&engine, module, &plain)?;
            let seconds = time_per_call(|| wasm.lock());
            report(&format!("wasmtime {label}"), size, seconds);
            #[cfg(native_monocypher)]
            wasmtime::ensure!(
                wasm.output() == expected,
                "{label}: wasm and native outputs differ"
            );
        }
    }
    Ok(())
}
