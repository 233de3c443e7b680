//! The bump arena's bookkeeping, generic over [`LinearMemory`] so that its arithmetic is tested
//! natively.
//!
//! The arena hands out memory from a cursor that only moves up, starting at `__heap_base`. It owns
//! the initial memory past `__heap_base` and every page it grew itself, one bit per page (8 KiB of
//! `.bss` cover 4 GiB). Others grow memory too (dlmalloc, or the host through its `Memory`
//! handle): a page past the initial memory that the arena did not grow is theirs. A request that
//! would cover one starts over past it, and rewinding skips it, so it is never handed out or
//! zeroed. There is no limit on how often that happens, and after a rewind the same pages are
//! handed out again: the arena never leaks.
//!
//! Everything the arena owns past the cursor is zero: fresh pages are zero, and rewinding zeroes
//! what it owns between the mark and the cursor. So callers never clear what they get.
//!
//! Every guest carries this code, so it is written for size: one loop over pages in each
//! direction, no special first use, `u32` offsets wherever the values fit. The price is a few
//! nanoseconds per page the cursor passes, its own or someone else's, in `alloc` and `rewind`:
//! negligible next to the work that grew those pages.

use core::ops::Range;

use crate::memory::{LinearMemory, MEMORY_LIMIT, PAGE};

/// Alignment of every pointer the arena hands out.
pub const ALIGN: u64 = 16;

/// Words of the bitmap: one bit for each page of the largest memory.
const WORDS: usize = (MEMORY_LIMIT / PAGE / 32) as usize;

/// A position in the arena, from [`Arena::mark`], to rewind to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark(u32);

/// A bump allocator over the pages of linear memory it owns.
pub struct Arena<M> {
    memory: M,
    /// The cursor: where the next request may start, 16-aligned, as an offset from
    /// [`base`](Self::base) (it is at most 4 GiB, so the offset fits).
    used: u32,
    /// Bit `page % 32` of word `page / 32` is set when the arena grew `page`.
    grown: [u32; WORDS],
}

impl<M: LinearMemory> Arena<M> {
    /// An arena over `memory`. All-zero fields: it starts at the heap base, and a static one
    /// lives in `.bss`, costing no data segment.
    pub const fn new(memory: M) -> Self {
        Self {
            memory,
            used: 0,
            grown: [0; WORDS],
        }
    }

    /// The memory the arena works on.
    pub fn memory(&self) -> &M {
        &self.memory
    }

    /// The memory the arena works on. Pages grown through it are someone else's.
    pub fn memory_mut(&mut self) -> &mut M {
        &mut self.memory
    }

    /// Hands out `size` zero bytes at a 16-aligned address, growing memory if needed; 0 when
    /// memory can't grow enough. Even for `size` 0 the address is non-null and inside linear
    /// memory.
    pub fn alloc(&mut self, size: u32) -> u32 {
        // A zero-size request still takes its room from one arena byte, so that its address is in
        // bounds and below 4 GiB even when memory ends exactly there.
        let room = u64::from(size | u32::from(size == 0));
        let base = self.base();
        let mut at = base + u64::from(self.used);
        let mut page = (at / PAGE) as u32;
        // Pages from here on can only be grown by this call: nothing else runs meanwhile.
        let fresh = self.memory.pages() as u32;
        // Every page of `[at, at + room)` must be the arena's: check them in order.
        while u64::from(page) * PAGE < at + room {
            let pages = self.memory.pages() as u32;
            if page >= pages {
                // Memory ends here: grow it to the page past the request's last byte. Past 4 GiB,
                // memory refuses like it does past a cap (`at + room` is below 2^33, so the page
                // count fits).
                let end = ((at + room - 1) / PAGE + 1) as u32;
                if self.memory.grow(end - pages).is_none() {
                    return 0;
                }
            }
            if page >= fresh {
                // Grown just now. (`% WORDS` only shows the compiler the index is in bounds.)
                self.grown[page as usize / 32 % WORDS] |= 1 << (page % 32);
            } else if !self.owns(page) {
                // Someone else's page: the request starts over past it.
                at = u64::from(page + 1) * PAGE;
            }
            page += 1;
        }
        // The next request starts at the next aligned address. Its offset is below 2^32, and
        // wrapping arithmetic gets it right even when the address is 2^32.
        let next = (at as u32)
            .wrapping_add(size)
            .wrapping_add(ALIGN as u32 - 1)
            & !(ALIGN as u32 - 1);
        self.used = next.wrapping_sub(base as u32);
        at as u32
    }

    /// Where the arena starts: the heap base, aligned (still within the initial memory, whose
    /// end `__heap_end` is a page boundary).
    #[inline(always)]
    fn base(&self) -> u64 {
        align_up(self.memory.heap_base())
    }

    /// Whether `page`, below the end of memory, is the arena's: part of the initial memory, or
    /// grown by the arena. Not inlined: `alloc` and `rewind` share it.
    #[inline(never)]
    fn owns(&self, page: u32) -> bool {
        // `|`, not `||`: both tests are cheap and valid for any page, and no branch is smaller.
        (u64::from(page) < self.memory.heap_end() / PAGE)
            | (self.grown[page as usize / 32 % WORDS] & (1 << (page % 32)) != 0)
    }

    /// Whether the arena handed out every byte of `bytes` (since the last reset): below the
    /// cursor, past the base, and on pages it owns. Nothing but the host writes such bytes while
    /// a call runs, so a guest may borrow host arguments there. An empty range always passes.
    pub fn handed_out(&self, bytes: Range<u64>) -> bool {
        let (Ok(first), Some(Ok(last))) = (
            u32::try_from(bytes.start),
            bytes.end.checked_sub(1).map(u32::try_from),
        ) else {
            // Empty, or beyond 4 GiB, where the arena never lends.
            return bytes.is_empty();
        };
        bytes.is_empty() || self.lent(first, last)
    }

    /// [`handed_out`](Self::handed_out) for the bytes `first..=last` (`first <= last`), in the
    /// `u32` arithmetic of wasm32: what the export shims call for every pointer.
    pub fn lent(&self, first: u32, last: u32) -> bool {
        let base = self.base() as u32;
        // `last - base < used`: below the cursor, without overflowing `base + used`.
        if first < base || last - base >= self.used {
            return false;
        }
        let mut page = first / PAGE as u32;
        while self.owns(page) {
            if page == last / PAGE as u32 {
                return true;
            }
            page += 1;
        }
        false
    }

    /// The current position, to [`rewind`](Self::rewind) to.
    #[inline(always)]
    pub fn mark(&self) -> Mark {
        Mark(self.used)
    }

    /// Zeroes every byte handed out since `mark`, then hands them out again from there.
    ///
    /// # Safety
    ///
    /// No Rust reference into memory handed out since `mark` is live.
    pub unsafe fn rewind(&mut self, mark: Mark) {
        // Offsets from the base are below 2^32 minus the base. So is the address of a byte before
        // the cursor, and, in wrapping arithmetic, the offset of the end of its page.
        let base = self.base() as u32;
        let end = core::mem::replace(&mut self.used, mark.0);
        let mut at = mark.0;
        // One page at a time: each is either the arena's or someone else's.
        while at < end {
            let addr = base + at;
            let next = (addr | (PAGE as u32 - 1))
                .wrapping_add(1)
                .wrapping_sub(base)
                .min(end);
            if self.owns(addr / PAGE as u32) {
                // SAFETY: the arena owns these bytes; they were handed out since `mark` (or passed
                // over, and still zero), and the caller holds no reference to them.
                unsafe { self.memory.zero(u64::from(addr), u64::from(next - at)) };
            }
            at = next;
        }
    }

    /// Zeroes everything handed out, then rewinds to the start.
    ///
    /// # Safety
    ///
    /// No Rust reference into memory the arena handed out is live.
    pub unsafe fn reset(&mut self) {
        // SAFETY: the caller holds no reference into anything handed out.
        unsafe { self.rewind(Mark(0)) }
    }
}

#[inline(always)]
fn align_up(addr: u64) -> u64 {
    (addr + (ALIGN - 1)) & !(ALIGN - 1)
}

#[cfg(test)]
mod tests;
