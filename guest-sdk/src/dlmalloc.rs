//! dlmalloc as the `#[global_allocator]` (feature `dlmalloc`), on pages it grows itself, wiping
//! every block it takes back (`crate::wipe`).
//!
//! dlmalloc's own wasm system allocator first claims `[__heap_base, __heap_end)`, where the arena
//! starts; this one only ever grows fresh pages. The arena sees those pages as someone else's
//! growth and passes over them.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr;

use dlmalloc::{Allocator, Dlmalloc};

use crate::memory::{LinearMemory, Wasm32, PAGE};
use crate::wipe::Wiping;

/// dlmalloc's source of memory: whole pages from `memory.grow`, never given back (wasm memory
/// can't shrink).
struct FreshPages;

// SAFETY: `alloc` returns pages just grown, which nothing else uses, or null; nothing is ever
// remapped or freed.
unsafe impl Allocator for FreshPages {
    fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
        let Ok(pages) = u32::try_from((size as u64).div_ceil(PAGE)) else {
            return (ptr::null_mut(), 0, 0);
        };
        let Some(previous) = Wasm32.grow(pages) else {
            return (ptr::null_mut(), 0, 0);
        };
        let pages = u64::from(pages);
        let start = previous * PAGE;
        let mut len = pages * PAGE;
        if start + len == crate::memory::MEMORY_LIMIT {
            // A chunk ending at 4 GiB would make dlmalloc form a one-past-the-end pointer that
            // wraps to null; keep its last bytes out of it.
            len -= 16;
        }
        (start as usize as *mut u8, len as usize, 0)
    }

    fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
        ptr::null_mut()
    }

    fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
        false
    }

    fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
        false
    }

    fn can_release_part(&self, _flags: u32) -> bool {
        false
    }

    fn allocates_zeros(&self) -> bool {
        true
    }

    fn page_size(&self) -> usize {
        PAGE as usize
    }
}

struct Heap(UnsafeCell<Dlmalloc<FreshPages>>);

// SAFETY: a wasm32 module without the `atomics` feature (lib.rs refuses it) runs on one thread.
unsafe impl Sync for Heap {}

impl Heap {
    /// # Safety
    ///
    /// No other reference to the allocator may be live: true on one thread, as dlmalloc never
    /// calls back into the global allocator.
    #[allow(clippy::mut_from_ref)]
    unsafe fn dlmalloc(&self) -> &mut Dlmalloc<FreshPages> {
        // SAFETY: the caller guarantees exclusivity.
        unsafe { &mut *self.0.get() }
    }
}

// SAFETY: dlmalloc implements the `GlobalAlloc` contract; each method takes the only reference.
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: single thread, no reentrancy; the layout's contract passes through.
        unsafe { self.dlmalloc().malloc(layout.size(), layout.align()) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        unsafe { self.dlmalloc().calloc(layout.size(), layout.align()) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as in `alloc`; `ptr` came from this allocator with `layout`.
        unsafe { self.dlmalloc().free(ptr, layout.size(), layout.align()) }
    }
}

/// dlmalloc, zeroing each block it takes back (`crate::wipe`).
#[global_allocator]
static HEAP: Wiping<Heap> = Wiping(Heap(UnsafeCell::new(Dlmalloc::new_with_allocator(
    FreshPages,
))));
