//! Slices of linear memory named by the host as `(pointer, length)` arguments.

use core::marker::PhantomData;
use core::mem::{align_of, size_of};
use core::ops::Range;

use crate::Pod;

/// A host-supplied array of `len` `T`s at `addr`, checked: non-null unless empty, aligned for
/// `T`, and within linear memory without overflowing. Checking it reads nothing.
#[derive(Debug)]
pub struct HostSlice<T> {
    addr: u32,
    len: u32,
    _element: PhantomData<*const T>,
}

impl<T> Clone for HostSlice<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for HostSlice<T> {}

impl<T: Pod> HostSlice<T> {
    /// Checks `(addr, len)` against the running module's linear memory.
    #[cfg(target_arch = "wasm32")]
    #[inline(always)]
    pub fn new(addr: u32, len: u32) -> Option<Self> {
        Self::within(addr, len, memory_bytes())
    }

    /// Checks `(addr, len)` against a linear memory of `memory_bytes` bytes. A null `addr` is
    /// accepted only with `len` 0; any other `addr` must be aligned for `T`, and the array must end
    /// within memory.
    #[inline(always)]
    pub fn within(addr: u32, len: u32, memory_bytes: u64) -> Option<Self> {
        let size = u64::try_from(size_of::<T>()).ok()?;
        array_bytes(addr, len, size, align_of::<T>() as u32, memory_bytes).map(|_| Self {
            addr,
            len,
            _element: PhantomData,
        })
    }

    /// `(addr, len)`, already checked as [`within`](Self::within) checks it.
    #[inline(always)]
    pub(crate) fn trusted(addr: u32, len: u32) -> Self {
        Self {
            addr,
            len,
            _element: PhantomData,
        }
    }

    /// Number of elements.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether it holds no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The byte addresses it covers.
    #[inline(always)]
    pub fn bytes(&self) -> Range<u64> {
        let start = u64::from(self.addr);
        start..start + u64::from(self.len) * size_of::<T>() as u64
    }

    /// Whether it shares a byte with `other`, memory the guest is about to write while it reads
    /// this (checking that is how a caller meets `as_slice`'s contract).
    #[inline(always)]
    pub fn overlaps<U>(&self, other: &[U]) -> bool {
        self.overlaps_bytes(bytes_of(other))
    }

    /// Whether it shares a byte with the addresses `other`.
    #[inline(always)]
    pub fn overlaps_bytes(&self, other: Range<u64>) -> bool {
        overlaps(self.bytes(), other)
    }

    /// The elements, as a shared slice.
    ///
    /// # Safety
    ///
    /// Nothing may write these bytes while the slice lives: not the guest (its statics, stack,
    /// arena scratch or heap may lie under a host pointer) and not the host (it can't, while the
    /// guest runs).
    #[cfg(target_arch = "wasm32")]
    #[inline(always)]
    pub unsafe fn as_slice<'a>(self) -> &'a [T] {
        // SAFETY: non-null and aligned unless empty (then dangling is what Rust wants), in bounds
        // of linear memory, any bytes are valid `T`s (`Pod`), and the caller rules out writes.
        unsafe { core::slice::from_raw_parts(self.ptr(), self.len()) }
    }

    /// The elements, as an exclusive slice.
    ///
    /// # Safety
    ///
    /// Nothing else may read or write these bytes while the slice lives (no other argument
    /// overlaps them, and no guest memory lies under them).
    #[cfg(target_arch = "wasm32")]
    #[inline(always)]
    pub unsafe fn as_mut_slice<'a>(self) -> &'a mut [T] {
        // SAFETY: as in `as_slice`, and the caller rules out every other access.
        unsafe { core::slice::from_raw_parts_mut(self.ptr(), self.len()) }
    }

    #[cfg(target_arch = "wasm32")]
    #[inline(always)]
    fn ptr(self) -> *mut T {
        // Null only when empty (`within`), and then the alignment is the dangling pointer Rust
        // wants; any other address is aligned, so at least the alignment.
        self.addr.max(align_of::<T>() as u32) as usize as *mut T
    }
}

/// The bytes of a host-supplied array of `len` elements of `size` bytes at `addr`, checked as
/// [`HostSlice::within`] checks them, with the element's alignment `align` (a power of two).
///
/// For guests that take one export per element type and want the check compiled once: the width
/// is a value here, not a type.
#[inline(always)]
pub fn array_bytes(
    addr: u32,
    len: u32,
    size: u64,
    align: u32,
    memory_bytes: u64,
) -> Option<Range<u64>> {
    let start = u64::from(addr);
    let end = start.checked_add(size.checked_mul(u64::from(len))?)?;
    let placed = if addr == 0 {
        len == 0
    } else {
        addr & (align - 1) == 0
    };
    (placed && end <= memory_bytes).then_some(start..end)
}

/// [`array_bytes`] within the running module's linear memory.
#[cfg(target_arch = "wasm32")]
#[inline(always)]
pub fn array_bytes_in_memory(addr: u32, len: u32, size: u64, align: u32) -> Option<Range<u64>> {
    array_bytes(addr, len, size, align, memory_bytes())
}

/// Whether the addresses `a` and `b` share a byte.
#[inline(always)]
pub fn overlaps(a: Range<u64>, b: Range<u64>) -> bool {
    !a.is_empty() && !b.is_empty() && a.start < b.end && b.start < a.end
}

/// The addresses `slice` covers.
#[inline(always)]
pub fn bytes_of<U>(slice: &[U]) -> Range<u64> {
    let start = slice.as_ptr() as usize as u64;
    start..start + core::mem::size_of_val(slice) as u64
}

/// The size of the running module's linear memory, in bytes.
#[cfg(target_arch = "wasm32")]
#[inline(always)]
fn memory_bytes() -> u64 {
    use crate::memory::{LinearMemory, Wasm32, PAGE};
    Wasm32.pages() * PAGE
}

/// `ptr` and `len` from the host as a shared slice: `None` if null with `len` > 0, misaligned,
/// past the end of linear memory, or overflowing.
///
/// # Safety
///
/// As [`HostSlice::as_slice`]: nothing writes the bytes while the slice lives.
#[cfg(target_arch = "wasm32")]
pub unsafe fn slice<'a, T: Pod>(ptr: u32, len: u32) -> Option<&'a [T]> {
    // SAFETY: the caller rules out writes for 'a.
    HostSlice::new(ptr, len).map(|checked| unsafe { checked.as_slice() })
}

#[cfg(test)]
mod tests {
    use super::HostSlice;

    const MEMORY: u64 = 1 << 20;

    fn check<T: crate::Pod>(addr: u32, len: u32, memory: u64) -> Option<std::ops::Range<u64>> {
        HostSlice::<T>::within(addr, len, memory).map(|slice| slice.bytes())
    }

    #[test]
    fn null_only_when_empty() {
        assert_eq!(check::<u32>(0, 0, MEMORY), Some(0..0));
        assert_eq!(check::<u32>(0, 1, MEMORY), None);
        assert_eq!(check::<u8>(0, 1, MEMORY), None);
    }

    #[test]
    fn alignment_follows_the_element() {
        assert_eq!(check::<u32>(4, 1, MEMORY), Some(4..8));
        assert_eq!(check::<u32>(6, 1, MEMORY), None);
        assert_eq!(check::<u32>(6, 0, MEMORY), None);
        assert_eq!(check::<u64>(8, 2, MEMORY), Some(8..24));
        assert_eq!(check::<u64>(12, 2, MEMORY), None);
        assert_eq!(check::<u8>(7, 3, MEMORY), Some(7..10));
        assert_eq!(check::<[u16; 3]>(2, 1, MEMORY), Some(2..8));
    }

    #[test]
    fn must_end_within_memory() {
        assert_eq!(
            check::<u32>(MEMORY as u32 - 8, 2, MEMORY),
            Some(MEMORY - 8..MEMORY)
        );
        assert_eq!(check::<u32>(MEMORY as u32 - 8, 3, MEMORY), None);
        assert_eq!(check::<u32>(MEMORY as u32, 0, MEMORY), Some(MEMORY..MEMORY));
        assert_eq!(check::<u32>(MEMORY as u32 + 4, 0, MEMORY), None);
    }

    #[test]
    fn sizes_up_to_four_gib_neither_wrap_nor_pass() {
        let full = 1 << 32;
        assert_eq!(check::<u8>(1, u32::MAX, full), Some(1..full));
        assert_eq!(check::<u8>(2, u32::MAX, full), None);
        assert_eq!(check::<u32>(4, 0x4000_0000, full), None);
        assert_eq!(check::<u32>(4, 0x3FFF_FFFF, full), Some(4..full));
        assert_eq!(check::<u64>(0xFFFF_FFF8, u32::MAX, full), None);
        assert_eq!(check::<[u64; 1 << 40]>(8, u32::MAX, u64::MAX), None);
    }

    #[test]
    fn overlap_needs_a_shared_byte() {
        let table = 64..96;
        let at = |addr, len| HostSlice::<u32>::within(addr, len, MEMORY).unwrap();
        assert!(at(64, 1).overlaps_bytes(table.clone()));
        assert!(at(92, 4).overlaps_bytes(table.clone()));
        assert!(at(48, 5).overlaps_bytes(table.clone()));
        assert!(!at(48, 4).overlaps_bytes(table.clone()));
        assert!(!at(96, 4).overlaps_bytes(table.clone()));
        assert!(!at(64, 0).overlaps_bytes(table.clone()));
        assert!(!at(64, 8).overlaps_bytes(80..80));
    }
}
