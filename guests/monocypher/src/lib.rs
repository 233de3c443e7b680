//! Monocypher 4.0.2 as a WebAssembly guest: the whole public API of `monocypher.h` and
//! `optional/monocypher-ed25519.h`, compiled from the pinned upstream C (the registry package
//! `monocypher-sys` 4.0.2, never compiled as a Rust crate) by clang, linked into this cdylib and
//! exported under the C names. The Rust side adds the SDK's arena, where upstream leaves a secret
//! on the stack a wrapper that scrubs it, and a packed, one-call form of the AEAD box.
//!
//! # ABI
//!
//! Every function keeps its C name and clang's wasm32 C signature; `aead_lock_packed` and
//! `aead_unlock_packed` (see `packed.rs`) run a whole AEAD box in one call. The type mapping, the
//! Argon2 struct layouts, the context sizes and the packed block are tabled once, in
//! `docs/abi.md` ("monocypher").
//!
//! # Memory
//!
//! The guest never allocates for the caller: the host reserves every buffer (inputs, outputs,
//! contexts, Argon2's work area and structs) in the SDK's arena and resets it after the call
//! (`docs/abi.md`, "Every guest: the arena"). Monocypher wipes its own stack temporaries, except
//! in four functions of 4.0.2 (keyed BLAKE2b and HKDF) whose exports here wrap upstream and zero
//! the stack it used (see `stack_scrub.rs`).
//!
//! The artifact imports nothing (no libc: clang emits `memory.copy`/`memory.fill` for block
//! copies, and anything else would resolve to Rust's `compiler_builtins`).
//!
//! # Profiles
//!
//! build.rs compiles the C with the optimisation level of the cargo profile (`OPT_LEVEL`).
//! `Cargo.toml` makes `speed` this guest's shipped default (cargo profile `guest-speed`: clang
//! `-O3`, then `wasm-opt -O3`); `cargo xtask build --profile size` (`guest-size`: clang `-Oz`,
//! then `wasm-opt -Oz`) trades throughput for a smaller artifact. `host-test/benches/aead.rs`
//! measures both; `docs/writing-a-guest.md` ("Build profiles") gives the sizes.

#![cfg_attr(target_arch = "wasm32", no_std)]

guest_sdk::export_arena!();

pub mod packed;
#[cfg(target_arch = "wasm32")]
mod stack_scrub;
