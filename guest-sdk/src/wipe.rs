//! A `GlobalAlloc` that zeroes every block it takes back, so nothing a call allocated and freed
//! (a plaintext, a key schedule, a decompressor's window) outlives it in linear memory.
//!
//! Generic over the allocator underneath, so it is tested natively; on wasm32 it wraps dlmalloc
//! (feature `dlmalloc`).

use core::alloc::{GlobalAlloc, Layout};
use core::ptr;

/// `A`, zeroing blocks before they go back to it.
#[cfg_attr(
    not(all(target_arch = "wasm32", feature = "dlmalloc")),
    allow(dead_code)
)]
pub(crate) struct Wiping<A>(pub(crate) A);

// SAFETY: every method forwards to `A` with the same contract; the extra writes stay within
// blocks the caller owns (and is giving up) at that moment.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Wiping<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: the caller owns the `layout.size()` bytes at `block` and gives them up here;
        // nothing else references them.
        unsafe {
            ptr::write_bytes(block, 0, layout.size());
            self.0.dealloc(block, layout);
        }
    }

    /// Always a fresh block: an allocator that resizes in place or moves the data would free
    /// bytes (the old block, or a shrunk tail) that this layer never sees.
    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size`, rounded up to `layout.align()`, does not
        // overflow, so this layout is valid.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: a non-zero size (`realloc`'s contract), the caller's alignment.
        let fresh = unsafe { self.0.alloc(new_layout) };
        if !fresh.is_null() {
            // SAFETY: both blocks are live and distinct, each at least the copied length; the
            // old one is then given up as in `dealloc`.
            unsafe {
                ptr::copy_nonoverlapping(block, fresh, layout.size().min(new_size));
                self.dealloc(block, layout);
            }
        }
        fresh
    }
}

#[cfg(test)]
mod tests {
    use core::alloc::{GlobalAlloc, Layout};
    use std::alloc::System;
    use std::cell::RefCell;
    use std::vec::Vec;

    use super::Wiping;

    /// The system allocator, recording the bytes of each block as it is freed.
    #[derive(Default)]
    struct Witness {
        freed: RefCell<Vec<Vec<u8>>>,
    }

    // SAFETY: forwards to `System`; reading a block before freeing it is within the contract.
    unsafe impl GlobalAlloc for Witness {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // SAFETY: passed on.
            unsafe { System.alloc(layout) }
        }

        unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
            // SAFETY: the block is live, `layout.size()` bytes, until `System.dealloc`.
            let bytes = unsafe { std::slice::from_raw_parts(block, layout.size()) }.to_vec();
            self.freed.borrow_mut().push(bytes);
            // SAFETY: passed on.
            unsafe { System.dealloc(block, layout) }
        }
    }

    #[test]
    fn freed_and_moved_blocks_are_zero() {
        let heap = Wiping(Witness::default());
        let layout = Layout::from_size_align(64, 8).unwrap();
        // SAFETY: a valid layout; each block is used within its size and freed once.
        unsafe {
            let block = heap.alloc(layout);
            block.write_bytes(0xAB, 64);
            let grown = heap.realloc(block, layout, 1000);
            assert!((0..64).all(|i| *grown.add(i) == 0xAB), "the data moved");
            grown.add(64).write_bytes(0xCD, 936);
            let shrunk = heap.realloc(grown, Layout::from_size_align(1000, 8).unwrap(), 16);
            assert!((0..16).all(|i| *shrunk.add(i) == 0xAB));
            heap.dealloc(shrunk, Layout::from_size_align(16, 8).unwrap());
        }
        let freed = heap.0.freed.borrow();
        let sizes: Vec<usize> = freed.iter().map(Vec::len).collect();
        assert_eq!(sizes, [64, 1000, 16]);
        for block in freed.iter() {
            assert!(
                block.iter().all(|&b| b == 0),
                "a freed block kept {block:?}"
            );
        }
    }
}
