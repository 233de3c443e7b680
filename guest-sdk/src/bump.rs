//! The bump arena's bookkeeping, generic over [`LinearMemory`] so that its arithmetic is tested
//! natively.
//!
//! The arena owns a list of *regions*. The first starts at `__heap_base` and ends where the
//! initial memory ends; each later one is memory the arena grew itself. Others grow memory too
//! (dlmalloc, or the host through its `Memory` handle), so when the arena needs more room and
//! memory no longer ends where its last region does, it starts a new region at the current end of
//! memory: what lies between belongs to someone else and is never handed out or zeroed.
//!
//! Everything the arena owns but hasn't handed out is zero: fresh pages are zero, and rewinding
//! zeroes exactly what was handed out since the mark. So callers never clear what they get.

use crate::memory::{LinearMemory, PAGE};

/// How many regions the arena can track. A new region only starts when someone else grew memory
/// since the arena last did; past this many, a request that needs one gets 0.
pub const MAX_REGIONS: usize = 64;

/// Alignment of every pointer the arena hands out.
pub const ALIGN: u64 = 16;

/// A span of memory the arena owns: `[start, used)` is handed out, `[used, end)` is zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Region {
    start: u64,
    used: u64,
    end: u64,
}

impl Region {
    const EMPTY: Self = Self {
        start: 0,
        used: 0,
        end: 0,
    };
}

/// A position in the arena, from [`Arena::mark`], to rewind to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    region: usize,
    used: u64,
}

/// A bump allocator over the regions of linear memory it owns.
pub struct Arena<M> {
    memory: M,
    /// The regions set up so far, then all-zero slots (no region ends at 0). Even the first is
    /// only set up by the first allocation, because `__heap_base` is only known at run time (and
    /// an all-zero arena lives in `.bss`, costing no data segment).
    regions: [Region; MAX_REGIONS],
    /// The region allocations come from; later ones are empty (reused in order after a rewind).
    current: usize,
}

impl<M: LinearMemory> Arena<M> {
    /// An arena over `memory`; it claims its first region on first use.
    pub const fn new(memory: M) -> Self {
        Self {
            memory,
            regions: [Region::EMPTY; MAX_REGIONS],
            current: 0,
        }
    }

    /// The memory the arena works on.
    pub fn memory(&self) -> &M {
        &self.memory
    }

    /// The memory the arena works on. Growing it makes the arena start a new region next time it
    /// grows.
    pub fn memory_mut(&mut self) -> &mut M {
        &mut self.memory
    }

    /// Hands out `size` zero bytes at a 16-aligned address, growing memory if needed; 0 when the
    /// request can't be met (memory can't grow enough, or no region slot is left). Even for
    /// `size` 0 the address is non-null and inside linear memory.
    pub fn alloc(&mut self, size: u32) -> u32 {
        // A zero-size request still takes its room from one arena byte, so that its address is in
        // bounds and below 4 GiB even when a region ends exactly there.
        let room = u64::from(size.max(1));
        loop {
            // `current < MAX_REGIONS` always; the mask just lets the compiler see it.
            let current = self.current % MAX_REGIONS;
            let region = self.regions[current];
            let start = align_up(region.used);
            let end = start + room;
            if end <= region.end {
                self.regions[current].used = start + u64::from(size);
                return start as u32;
            }
            if self.is_set_up(current + 1) {
                // Reusing regions after a rewind: one too small for this request is passed over.
                self.current = current + 1;
                continue;
            }
            let memory_end = self.memory.pages() * PAGE;
            if region.end == memory_end {
                // `end` is below 2^33, so the page count fits; growing past 4 GiB fails like any
                // other growth that memory refuses.
                let grown_end = (end + (PAGE - 1)) & !(PAGE - 1);
                if self
                    .memory
                    .grow(((grown_end - memory_end) / PAGE) as u32)
                    .is_none()
                {
                    return 0;
                }
                self.regions[current].end = grown_end;
            } else {
                // The arena's first region, or someone else grew memory since this region ended:
                // start a new one at the end of memory (in place of this one if it is empty: the
                // all-zero slot before the first call, or a leftover of a failed request).
                let index = if region.start == region.end {
                    current
                } else {
                    current + 1
                };
                let fresh = if region.end == 0 {
                    // `__heap_end` is a page boundary, so at or past the aligned heap base.
                    let start = align_up(self.memory.heap_base());
                    Region {
                        start,
                        used: start,
                        end: self.memory.heap_end(),
                    }
                } else {
                    Region {
                        start: memory_end,
                        used: memory_end,
                        end: memory_end,
                    }
                };
                let Some(slot) = self.regions.get_mut(index) else {
                    return 0;
                };
                *slot = fresh;
                self.current = index;
            }
        }
    }

    /// Whether slot `index` holds a region.
    #[inline(always)]
    fn is_set_up(&self, index: usize) -> bool {
        self.regions
            .get(index)
            .is_some_and(|region| region.end != 0)
    }

    /// How many regions are set up.
    #[cfg(test)]
    fn count(&self) -> usize {
        (0..MAX_REGIONS)
            .take_while(|&index| self.is_set_up(index))
            .count()
    }

    /// The current position, to [`rewind`](Self::rewind) to.
    #[inline(always)]
    pub fn mark(&self) -> Mark {
        // Before the first allocation this is `used` 0, which rewinding reads as "the start".
        Mark {
            region: self.current,
            used: self.regions[self.current % MAX_REGIONS].used,
        }
    }

    /// Zeroes every byte handed out since `mark`, then hands them out again from there.
    ///
    /// # Safety
    ///
    /// No Rust reference into memory handed out since `mark` is live.
    pub unsafe fn rewind(&mut self, mark: Mark) {
        // Regions after the mark's were empty at the mark.
        let mut mark_used = mark.used;
        let mut index = mark.region;
        while index <= self.current {
            let region = &mut self.regions[index % MAX_REGIONS];
            let from = region.start.max(mark_used);
            if region.used > from {
                // SAFETY: `[from, used)` was handed out since `mark`, which the caller no longer
                // references; the arena owns it.
                unsafe { self.memory.zero(from, region.used - from) };
                region.used = from;
            }
            mark_used = 0;
            index += 1;
        }
        self.current = mark.region;
    }

    /// Zeroes everything handed out, then rewinds to the start of the first region.
    ///
    /// # Safety
    ///
    /// No Rust reference into memory the arena handed out is live.
    pub unsafe fn reset(&mut self) {
        // SAFETY: the caller holds no reference into anything handed out.
        unsafe { self.rewind(Mark { region: 0, used: 0 }) }
    }
}

#[inline(always)]
fn align_up(addr: u64) -> u64 {
    (addr + (ALIGN - 1)) & !(ALIGN - 1)
}

#[cfg(test)]
mod tests;
