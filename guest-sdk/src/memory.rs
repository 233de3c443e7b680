//! The seam between the arena's arithmetic and linear memory: `memory.size`, `memory.grow`,
//! `__heap_base`, `__heap_end` and zeroing. On wasm32 these are the real instructions and linker
//! symbols; tests substitute a page vector.
//!
//! Addresses and sizes are `u64` here: wasm32 memory ends at exactly 4 GiB, one past `u32::MAX`.

/// Bytes in a WebAssembly page.
pub const PAGE: u64 = 64 * 1024;

/// The end of the largest wasm32 linear memory (65536 pages).
pub const MEMORY_LIMIT: u64 = 1 << 32;

/// What the arena needs from linear memory.
pub trait LinearMemory {
    /// Where the arena starts: the linker's `__heap_base`.
    fn heap_base(&self) -> u64;

    /// Where the initial memory ends: the linker's `__heap_end`. Memory past it was grown at run
    /// time, by the arena or by someone else.
    fn heap_end(&self) -> u64;

    /// `memory.size`, in pages.
    fn pages(&self) -> u64;

    /// `memory.grow(delta)`: the previous size in pages, or `None` when memory can't grow by
    /// `delta` pages (a cap, or the 4 GiB limit).
    fn grow(&mut self, delta: u32) -> Option<u64>;

    /// Zeroes `len` bytes at `addr`.
    ///
    /// # Safety
    ///
    /// The bytes lie within linear memory, belong to the caller, and no Rust reference to them is
    /// live.
    unsafe fn zero(&mut self, addr: u64, len: u64);
}

/// The running module's memory 0 and linker symbols.
#[cfg(target_arch = "wasm32")]
pub(crate) struct Wasm32;

#[cfg(target_arch = "wasm32")]
extern "C" {
    static __heap_base: u8;
    static __heap_end: u8;
}

#[cfg(target_arch = "wasm32")]
impl LinearMemory for Wasm32 {
    #[inline(always)]
    fn heap_base(&self) -> u64 {
        // Only the symbol's address matters: it is where the linker put the heap's start.
        core::ptr::addr_of!(__heap_base) as usize as u64
    }

    #[inline(always)]
    fn heap_end(&self) -> u64 {
        core::ptr::addr_of!(__heap_end) as usize as u64
    }

    #[inline(always)]
    fn pages(&self) -> u64 {
        core::arch::wasm32::memory_size::<0>() as u64
    }

    #[inline(always)]
    fn grow(&mut self, delta: u32) -> Option<u64> {
        let previous = core::arch::wasm32::memory_grow::<0>(delta as usize);
        (previous != usize::MAX).then_some(previous as u64)
    }

    #[inline(always)]
    unsafe fn zero(&mut self, addr: u64, len: u64) {
        // Within linear memory, `addr` and `len` are below 2^32 (`len` == 2^32 would need
        // `addr` == 0, which is never the caller's), so the casts keep their values.
        // SAFETY: the caller owns the bytes and holds no reference to them.
        unsafe { core::ptr::write_bytes(addr as usize as *mut u8, 0, len as usize) }
    }
}
