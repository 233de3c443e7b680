//! Monocypher 4.0.2 as a WebAssembly guest: the whole public API of `monocypher.h` and
//! `optional/monocypher-ed25519.h`, compiled from the pinned upstream C (the registry package
//! `monocypher-sys` 4.0.2, never compiled as a Rust crate) by clang, linked into this cdylib and
//! exported under the C names. The Rust side adds the SDK's arena, where upstream leaves a secret
//! on the stack a wrapper that scrubs it, and a packed, one-call form of the AEAD box.
//!
//! # ABI
//!
//! Every function keeps its C name and its wasm32 C signature (clang's wasm32 C ABI), and two
//! additions run a whole box in one call on a packed block, `aead_lock_packed` and
//! `aead_unlock_packed` (see `packed.rs`). Monocypher's functions follow this table:
//!
//! | C type                                          | wasm type |
//! |-------------------------------------------------|-----------|
//! | pointer or array parameter, `size_t`, `uint32_t`, `uint8_t` (the elligator tweak) | `i32` |
//! | `uint64_t` (`crypto_chacha20_djb`/`_x` counter in and out)  | `i64` |
//! | `int` result (0 = success/equal, -1 = forgery/mismatch)     | `i32` |
//! | struct passed by value (`crypto_argon2`'s three)            | `i32`: pointer to it |
//!
//! Pointers and sizes are unsigned 32-bit: above 2 GiB a host that reads an `i32` masks it with
//! `0xFFFF_FFFF`. The `uint32_t` result of `crypto_chacha20_ietf` is likewise unsigned.
//!
//! `crypto_argon2(hash, hash_size, work_area, config*, inputs*, extras*)` takes its three
//! structs by pointer (wasm32 layouts, 4-byte alignment, no padding):
//!
//! | struct                 | size | offset 0         | 4               | 8                 | 12               |
//! |------------------------|------|------------------|-----------------|-------------------|------------------|
//! | `crypto_argon2_config` | 16   | `algorithm` u32  | `nb_blocks` u32 | `nb_passes` u32   | `nb_lanes` u32   |
//! | `crypto_argon2_inputs` | 16   | `pass` ptr       | `salt` ptr      | `pass_size` u32   | `salt_size` u32  |
//! | `crypto_argon2_extras` | 16   | `key` ptr        | `ad` ptr        | `key_size` u32    | `ad_size` u32    |
//!
//! `algorithm` is 0 (Argon2d), 1 (Argon2i) or 2 (Argon2id); `work_area` is `nb_blocks * 1024`
//! bytes, 8-byte aligned (Monocypher wipes it before returning). The C ABI hands the callee these
//! structs as its own copies; Monocypher only reads them, but a host should not rely on their
//! contents after the call. `crypto_argon2_no_extras` is a data object, not a function, and is not
//! exported: pass a zeroed 16-byte `extras` instead (fresh arena memory is zeroed).
//!
//! Contexts of the incremental interfaces live in guest memory, allocated by the host; their
//! wasm32 sizes (alignment 8, except poly1305's 4) are `crypto_aead_ctx` 48
//! (`counter` u64 at 0, `key` at 8, `nonce` at 40), `crypto_blake2b_ctx` 216,
//! `crypto_poly1305_ctx` 72, `crypto_sha512_ctx` 216, `crypto_sha512_hmac_ctx` 344. Monocypher
//! documents the contents of the last four as private.
//!
//! # Memory
//!
//! The guest never allocates for the caller. The host reserves every buffer (inputs, outputs,
//! contexts, Argon2's work area and structs) with `bump_alloc(size) -> ptr` (16-byte aligned,
//! zeroed, 0 on failure), writes inputs into linear memory, calls, reads the outputs, then calls
//! `bump_reset()`, which zeroes everything handed out since the previous reset: keys and
//! plaintexts do not outlive the reset. Monocypher wipes its own stack temporaries, except in
//! four functions of 4.0.2 (keyed BLAKE2b and HKDF) whose exports here wrap upstream and zero the
//! stack it used (see `stack_scrub.rs`). A host may as well use memory it grew itself, which
//! the arena never touches (the Python package keeps such a block per instance), as long as it
//! zeroes it after each call.
//!
//! The artifact imports nothing (no libc: clang emits `memory.copy`/`memory.fill` for block
//! copies, and anything else would resolve to Rust's `compiler_builtins`).
//!
//! # Profiles
//!
//! build.rs compiles the C with the optimisation level of the cargo profile (`OPT_LEVEL`):
//! `cargo xtask build --profile size` (cargo profile `guest-size`: clang `-Oz`, then
//! `wasm-opt -Oz`) is the shipped default; `--profile speed` (`guest-speed`: clang `-O3`, then
//! `wasm-opt -O3`) trades size for throughput. `host-test/benches/aead.rs` measures both.

#![cfg_attr(target_arch = "wasm32", no_std)]

guest_sdk::export_arena!();

pub mod packed;
#[cfg(target_arch = "wasm32")]
mod stack_scrub;
