//! Types the arena and the host may fill with arbitrary bytes.

/// Plain old data: no padding, no drop glue, and every bit pattern (all zeros included) is a
/// valid value. The arena's zeroed memory is a ready-made slice of them, and host memory can be
/// read as them whatever the host wrote.
///
/// # Safety
///
/// Implement only for `Copy` types without padding bytes (or invalid bit patterns, or interior
/// mutability) for which every bit pattern is a valid value.
pub unsafe trait Pod: Copy + 'static {}

macro_rules! integers_are_pod {
    ($($int:ty)*) => {$(
        // SAFETY: an integer is its bytes: no padding, every bit pattern a value.
        unsafe impl Pod for $int {}
    )*};
}

integers_are_pod!(u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize);

// SAFETY: a float is its bits, and every bit pattern is a float (NaNs included).
unsafe impl Pod for f32 {}
// SAFETY: as for `f32`.
unsafe impl Pod for f64 {}

/// The bytes of `values`.
#[cfg(any(feature = "alloc", test))]
#[inline(always)]
pub(crate) fn bytes<T: Pod>(values: &[T]) -> &[u8] {
    // SAFETY: a `Pod` slice has no padding, so each of its `size_of_val` bytes is initialised,
    // and `u8` needs no alignment; the borrow is `values`'s.
    unsafe { core::slice::from_raw_parts(values.as_ptr().cast(), core::mem::size_of_val(values)) }
}

// SAFETY: an array's size is `N * size_of::<T>()`, a multiple of its alignment, so it has no
// padding between or after elements, and each element accepts every bit pattern.
unsafe impl<T: Pod, const N: usize> Pod for [T; N] {}
