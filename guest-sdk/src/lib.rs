//! The SDK every wasmext guest links: a bump arena the host allocates from, abort-on-panic, and an
//! optional `#[global_allocator]` (feature `dlmalloc`).
//!
//! A guest exports the arena with one line, `guest_sdk::export_arena!();`, which defines
//! `bump_alloc(size: u32) -> u32` and `bump_reset()`, and its functions with
//! [`#[export]`](export) on ordinary safe Rust functions (the checks its shims run are in
//! [`abi`]; docs/abi.md has the ABI). The SDK itself defines no `#[no_mangle]` symbol, so
//! linking it never exports anything by surprise.
//!
//! The arena's bookkeeping ([`bump::Arena`]) is generic over [`memory::LinearMemory`], so it is
//! unit-tested natively; the instance guests use (`arena`) and everything that touches real
//! linear memory exist only on wasm32.

#![no_std]
#![deny(missing_docs)]

#[cfg(test)]
extern crate std;

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
compile_error!(
    "guest-sdk keeps its arena in a static that relies on wasm32 guests having a single thread; \
     the `atomics` target feature breaks that"
);

pub mod abi;
#[cfg(target_arch = "wasm32")]
pub mod arena;
pub mod bump;
#[cfg(all(target_arch = "wasm32", feature = "dlmalloc"))]
mod dlmalloc;
pub mod host;
pub mod memory;
mod pod;
mod wipe;

#[cfg(test)]
mod fake_memory;

pub use guest_sdk_macros::{export, GuestError};
pub use pod::Pod;

/// Defines the guest's arena exports, `bump_alloc` and `bump_reset` (see `arena::alloc` and
/// `arena::reset`). Expands to nothing off wasm32, so a guest's native build stays a plain
/// library.
///
/// ```
/// guest_sdk::export_arena!();
/// ```
#[macro_export]
macro_rules! export_arena {
    () => {
        /// `bump_alloc(size)`: `size` zeroed bytes, 16-byte aligned, or 0 when the arena can't
        /// serve the request.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn bump_alloc(size: u32) -> u32 {
            $crate::arena::alloc(size)
        }

        /// `bump_reset()`: zeroes everything the arena handed out, then rewinds it.
        ///
        /// # Safety
        ///
        /// For the host, between calls. Guest code must not call it while it holds references into the arena.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn bump_reset() {
            // SAFETY: the host calls this between guest calls, when no guest code holds references
            // into the arena; guest code calling it takes on the same obligation.
            unsafe { $crate::arena::reset() }
        }
    };
}

/// Aborts: a guest has no way to report a panic, so it traps with `unreachable` and never links
/// the formatting machinery.
#[cfg(target_arch = "wasm32")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}
