//! The calling convention of [`export`](crate::export)ed functions (docs/abi.md): checking the
//! host's arguments and encoding results.
//!
//! The shims the macro generates are a few calls into this module, so the logic they run is
//! ordinary Rust, unit-tested natively: [`Args`] checks pointers against a [`Space`] (the
//! running module's arena on wasm32, a fake one in tests), and [`Return`] encodes a result into
//! the 16-byte result record through a [`Sink`] (the arena on wasm32).

use core::mem::MaybeUninit;

use crate::host::HostSlice;
use crate::Pod;

/// The call succeeded; any result is in the record.
pub const OK: i32 = 0;
/// A variable-length result did not fit in the arena.
pub const OUT_OF_MEMORY: i32 = -1000;
/// The result record's pointer is null, misaligned, out of bounds, or not lent by the arena.
pub const BAD_OUT: i32 = -1001;

/// The result record: 16 bytes, 8-aligned, allocated (zeroed) by the host, as two 64-bit words
/// (little-endian in memory, as wasm stores them). A 32-bit field of docs/abi.md is the low half
/// of its word.
pub type Record = [u64; 2];

/// The status for a rejected argument: `-1 - index`, where `index` counts Rust parameters.
#[inline(always)]
pub const fn rejected(index: u32) -> i32 {
    -1 - index as i32
}

/// Collapses a shim's early exits and its result into the status it returns.
#[inline(always)]
pub fn status(shim: impl FnOnce() -> Result<i32, i32>) -> i32 {
    match shim() {
        Ok(status) | Err(status) => status,
    }
}

/// The memory a host may name: the size of linear memory, and what the arena lent it.
pub trait Space {
    /// The size of linear memory in bytes.
    fn memory_bytes(&self) -> u64;
    /// Whether the arena handed out every byte of `first..=last` ([`crate::bump::Arena::lent`]).
    fn lent(&self, first: u32, last: u32) -> bool;
}

impl<M: crate::memory::LinearMemory> Space for &crate::bump::Arena<M> {
    fn memory_bytes(&self) -> u64 {
        self.memory().pages() * crate::memory::PAGE
    }

    fn lent(&self, first: u32, last: u32) -> bool {
        crate::bump::Arena::lent(self, first, last)
    }
}

/// Where variable-length results go: memory the host reads after the call and wipes with its
/// reset.
pub trait Sink {
    /// Copies `bytes` (never empty) out; their address, or `None` when there is no room.
    fn copy(&mut self, bytes: &[u8]) -> Option<u32>;
}

/// Slice elements a function may take or return: the types of the host's typed buffers.
pub trait Element: Pod + sealed::Sealed {
    /// Its size in bytes, which is also its alignment.
    const SIZE: u32;
}

/// A checked `&[T]` parameter, to borrow with `Args::lend` once every parameter is checked.
#[derive(Debug)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub struct Shared<T>(HostSlice<T>);

/// A checked `&mut [T]` parameter: it overlaps no other parameter.
#[derive(Debug)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub struct Exclusive<T>(HostSlice<T>);

/// A checked `&[u8; K]` parameter.
#[derive(Debug)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub struct Bytes<const K: usize>(HostSlice<[u8; K]>);

/// A checked `&str` parameter, number `index`: its UTF-8 is checked when it is lent.
#[derive(Debug)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub struct Text {
    bytes: HostSlice<u8>,
    index: u32,
}

/// A call's arguments, checked one by one as the shim decodes them: the result record first,
/// then each slice lies in memory the arena lent the host, and no writable one (a `&mut`
/// parameter, or the record) overlaps any other. `N` is the number of pointer parameters plus
/// one, for the record.
///
/// Every check is a call of one function, [`claim`], the same for every parameter of every
/// export: a shim is a row of calls, not a copy of the checks per parameter.
pub struct Args<S, const N: usize> {
    space: S,
    /// The non-empty byte ranges taken so far (the first `count`), as first and last byte, each
    /// with whether the guest writes it. Empty ones overlap nothing, so they are not kept. The
    /// rest stay uninitialised: a shim writes nothing it won't read.
    taken: [MaybeUninit<Taken>; N],
    count: usize,
    out: u32,
}

impl<S: Space, const N: usize> Args<S, N> {
    /// Nothing checked yet: [`record`](Self::record) comes first.
    #[inline(always)]
    pub fn new(space: S) -> Self {
        Self {
            space,
            taken: [const { MaybeUninit::uninit() }; N],
            count: 0,
            out: 0,
        }
    }

    /// The result record at `out`: [`BAD_OUT`] unless it is 16 bytes, 8-aligned, lent by the
    /// arena.
    #[inline(always)]
    pub fn record(&mut self, out: u32) -> Result<(), i32> {
        self.out = out;
        self.take(out, 2, 8, true).ok_or(BAD_OUT)
    }

    /// Where the result record is.
    #[inline(always)]
    pub fn out(&self) -> u32 {
        self.out
    }

    /// A `&[T]` parameter, number `index`: `len` elements at `addr`.
    #[inline(always)]
    pub fn slice<T: Element>(&mut self, index: u32, addr: u32, len: u32) -> Result<Shared<T>, i32> {
        self.take(addr, len, T::SIZE, false)
            .map(|()| Shared(HostSlice::trusted(addr, len)))
            .ok_or(rejected(index))
    }

    /// A `&mut [T]` parameter: as [`slice`](Self::slice), and it overlaps no other parameter.
    #[inline(always)]
    pub fn slice_mut<T: Element>(
        &mut self,
        index: u32,
        addr: u32,
        len: u32,
    ) -> Result<Exclusive<T>, i32> {
        self.take(addr, len, T::SIZE, true)
            .map(|()| Exclusive(HostSlice::trusted(addr, len)))
            .ok_or(rejected(index))
    }

    /// A `&[u8; K]` parameter: `K` bytes at `addr` (never null).
    #[inline(always)]
    pub fn array<const K: usize>(&mut self, index: u32, addr: u32) -> Result<Bytes<K>, i32> {
        // `K` bytes, which is the same check as one `[u8; K]`: `K` > 0 refuses null.
        let len = u32::try_from(K).map_err(|_| rejected(index))?;
        self.take(addr, len, 1, false)
            .map(|()| Bytes(HostSlice::trusted(addr, 1)))
            .ok_or(rejected(index))
    }

    /// A `&str` parameter: `len` bytes at `addr`, checked for UTF-8 when lent.
    #[inline(always)]
    pub fn str(&mut self, index: u32, addr: u32, len: u32) -> Result<Text, i32> {
        self.take(addr, len, 1, false)
            .map(|()| Text {
                bytes: HostSlice::trusted(addr, len),
                index,
            })
            .ok_or(rejected(index))
    }

    #[inline(always)]
    fn take(&mut self, addr: u32, len: u32, size: u32, writable: bool) -> Option<()> {
        let taken = &mut self.taken;
        claim(
            &self.space,
            taken,
            &mut self.count,
            addr,
            len,
            size,
            writable,
        )
        .then_some(())
    }
}

/// A range [`Args`] took: first byte, last byte, whether the guest writes it.
type Taken = (u32, u32, bool);

/// Checks `len` elements of `size` bytes (a power of two, also their alignment) at `addr` as
/// [`HostSlice::within`] does, then that the arena lent them and that they clash with none of the
/// first `count` ranges of `taken` (a writable range overlaps no other); if all is well, adds
/// them. Compiled once, whatever the parameter and however many an export has.
#[inline(never)]
fn claim(
    space: &impl Space,
    taken: &mut [MaybeUninit<Taken>],
    count: &mut usize,
    addr: u32,
    len: u32,
    size: u32,
    writable: bool,
) -> bool {
    // As `host::array_bytes`, in fewer steps: `end` can't overflow a `u64`.
    let end = u64::from(addr) + u64::from(len) * u64::from(size);
    let placed = if addr == 0 {
        len == 0
    } else {
        addr & (size - 1) == 0
    };
    if !placed || end > space.memory_bytes() {
        return false;
    }
    if len == 0 {
        return true;
    }
    // Memory ends by 4 GiB, so the last byte has a 32-bit address.
    let Ok(last) = u32::try_from(end - 1) else {
        return false;
    };
    if !space.lent(addr, last) {
        return false;
    }
    // `N` counts every pointer, so there is always a free place; if not, the argument is refused.
    let Some((before, [place, ..])) = taken.split_at_mut_checked(*count) else {
        return false;
    };
    for range in before.iter() {
        // SAFETY: the first `count` places were written, below.
        let &(start, end, w) = unsafe { range.assume_init_ref() };
        if (w || writable) && start <= last && addr <= end {
            return false;
        }
    }
    place.write((addr, last, writable));
    *count += 1;
    true
}

/// A scalar parameter or result and its wasm value: `i32` for `bool`, `u8`..`u32`, `i8`..`i32`
/// and `f32` (its bits); `i64` for `u64`, `i64` and `f64` (its bits).
pub trait Scalar: Copy + sealed::Sealed {
    /// The wasm value type that carries it.
    type Wasm;
    /// The value `raw` carries, or `None` if it is out of range (`u8` above 255, `bool` not 0/1).
    fn lift(raw: Self::Wasm) -> Option<Self>;
    /// Its result slot: zero- or sign-extended to 64 bits, floats as their bits.
    fn lower(self) -> u64;
}

/// Scalar parameter number `index`, from its wasm value.
#[inline(always)]
pub fn lift<T: Scalar>(index: u32, raw: T::Wasm) -> Result<T, i32> {
    T::lift(raw).ok_or(rejected(index))
}

/// A `&str` parameter's bytes, if they are UTF-8.
#[inline(always)]
pub fn utf8(index: u32, bytes: &[u8]) -> Result<&str, i32> {
    core::str::from_utf8(bytes).map_err(|_| rejected(index))
}

/// An error enum (`#[derive(GuestError)]`): its variant's index in declaration order.
pub trait GuestError {
    /// The variant's index; the call's status is `1 + code`.
    fn code(&self) -> u8;
}

/// A function's result type: written into the record, with the status of the call.
pub trait Return {
    /// Writes `self` into `record` (zeroed), variable-length data through `sink`; the status.
    fn encode(self, sink: &mut impl Sink, record: &mut Record) -> i32;
}

impl Return for () {
    #[inline(always)]
    fn encode(self, _: &mut impl Sink, _: &mut Record) -> i32 {
        OK
    }
}

impl<T: Return, E: GuestError> Return for Result<T, E> {
    #[inline(always)]
    fn encode(self, sink: &mut impl Sink, record: &mut Record) -> i32 {
        match self {
            Ok(value) => value.encode(sink, record),
            Err(error) => 1 + i32::from(error.code()),
        }
    }
}

/// Writes `elements` through `sink` and their address and count into `record`.
#[cfg(any(feature = "alloc", test))]
#[inline(always)]
fn encode_elements<T: Pod>(elements: &[T], sink: &mut impl Sink, record: &mut Record) -> i32 {
    let Ok(len) = u32::try_from(elements.len()) else {
        return OUT_OF_MEMORY;
    };
    let addr = if len == 0 {
        0
    } else {
        match sink.copy(crate::pod::bytes(elements)) {
            Some(addr) => addr,
            None => return OUT_OF_MEMORY,
        }
    };
    *record = [addr.into(), len.into()];
    OK
}

#[cfg(any(feature = "alloc", test))]
mod owned {
    extern crate alloc;

    use alloc::string::String;
    use alloc::vec::Vec;

    use super::{encode_elements, Element, Record, Return, Sink};

    impl<T: Element> Return for Vec<T> {
        #[inline(always)]
        fn encode(self, sink: &mut impl Sink, record: &mut Record) -> i32 {
            encode_elements(&self, sink, record)
        }
    }

    impl Return for String {
        #[inline(always)]
        fn encode(self, sink: &mut impl Sink, record: &mut Record) -> i32 {
            encode_elements(self.as_bytes(), sink, record)
        }
    }
}

macro_rules! scalars {
    ($($ty:ty: $wasm:ty, |$raw:ident| $lift:expr, |$v:ident| $lower:expr;)*) => {$(
        impl sealed::Sealed for $ty {}

        impl Scalar for $ty {
            type Wasm = $wasm;
            #[inline(always)]
            fn lift($raw: $wasm) -> Option<Self> {
                $lift
            }
            #[inline(always)]
            fn lower(self) -> u64 {
                let $v = self;
                $lower
            }
        }

        impl Return for $ty {
            #[inline(always)]
            fn encode(self, _: &mut impl Sink, record: &mut Record) -> i32 {
                record[0] = self.lower();
                OK
            }
        }

        impl Return for Option<$ty> {
            #[inline(always)]
            fn encode(self, _: &mut impl Sink, record: &mut Record) -> i32 {
                if let Some(value) = self {
                    *record = [value.lower(), 1];
                }
                OK
            }
        }
    )*};
}

scalars! {
    bool: i32, |raw| match raw { 0 => Some(false), 1 => Some(true), _ => None }, |v| u64::from(v);
    u8: i32, |raw| u8::try_from(raw).ok(), |v| u64::from(v);
    u16: i32, |raw| u16::try_from(raw).ok(), |v| u64::from(v);
    u32: i32, |raw| Some(raw as u32), |v| u64::from(v);
    i8: i32, |raw| i8::try_from(raw).ok(), |v| i64::from(v) as u64;
    i16: i32, |raw| i16::try_from(raw).ok(), |v| i64::from(v) as u64;
    i32: i32, |raw| Some(raw), |v| i64::from(v) as u64;
    u64: i64, |raw| Some(raw as u64), |v| v;
    i64: i64, |raw| Some(raw), |v| v as u64;
    f32: i32, |raw| Some(f32::from_bits(raw as u32)), |v| u64::from(v.to_bits());
    f64: i64, |raw| Some(f64::from_bits(raw as u64)), |v| v.to_bits();
}

macro_rules! elements {
    ($($ty:ty)*) => {$(
        impl Element for $ty {
            const SIZE: u32 = {
                assert!(core::mem::size_of::<$ty>() == core::mem::align_of::<$ty>());
                core::mem::size_of::<$ty>() as u32
            };
        }
    )*};
}

elements!(u8 i32 u32 i64 u64 f32 f64);

mod sealed {
    /// Only the types the interface can name.
    pub trait Sealed {}
}

#[cfg(target_arch = "wasm32")]
pub use wasm::{Lend, Wasm};

#[cfg(target_arch = "wasm32")]
mod wasm {
    use super::{Args, Bytes, Element, Exclusive, Record, Return, Shared, Sink, Space, Text, OK};
    use crate::memory::{LinearMemory, Wasm32, PAGE};

    /// The running module: its memory and its arena.
    pub struct Wasm;

    impl Space for Wasm {
        #[inline(always)]
        fn memory_bytes(&self) -> u64 {
            Wasm32.pages() * PAGE
        }

        #[inline(always)]
        fn lent(&self, first: u32, last: u32) -> bool {
            crate::arena::lent(first, last)
        }
    }

    impl Sink for Wasm {
        #[inline(always)]
        fn copy(&mut self, bytes: &[u8]) -> Option<u32> {
            let len = u32::try_from(bytes.len()).ok()?;
            let addr = crate::arena::alloc(len);
            if addr == 0 {
                return None;
            }
            // SAFETY: the arena just lent `len` bytes at `addr` to no one else; `bytes` is guest
            // memory the arena never lends (a heap or stack value), so they don't overlap.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    bytes.as_ptr(),
                    addr as usize as *mut u8,
                    bytes.len(),
                )
            };
            Some(addr)
        }
    }

    impl<const N: usize> Args<Wasm, N> {
        /// [`Args::new`] over the running module.
        #[inline(always)]
        pub fn wasm() -> Self {
            Self::new(Wasm)
        }

        /// Encodes the function's result into the record; the call's status.
        #[inline(always)]
        pub fn finish(self, result: impl Return) -> i32 {
            let mut record = [0; 2];
            let status = result.encode(&mut Wasm, &mut record);
            if status == OK {
                // SAFETY: `new` checked the record: 16 bytes, 8-aligned, lent by the arena and
                // overlapping no parameter; the function has returned, so no parameter is
                // borrowed any more, and copying the result out only took fresh arena memory.
                unsafe { (self.out() as usize as *mut Record).write(record) };
            }
            status
        }
    }

    impl<const N: usize> Args<Wasm, N> {
        /// The value of a checked parameter, borrowed for as long as `self`: until the shim
        /// [`finish`](Self::finish)es, well before the host can reset the arena. Only once every
        /// parameter is checked, since checking takes `&mut self`.
        #[inline(always)]
        pub fn lend<'a, L: Lend<'a>>(&'a self, parameter: L) -> Result<L::Value, i32> {
            // SAFETY: `parameter` came from `self` (only `Args` makes them), so it lies in memory
            // the arena lent the host, which the guest never writes, and a writable one overlaps
            // no other parameter; the value lives no longer than `self`, within the call.
            unsafe { parameter.lend() }
        }
    }

    /// A checked parameter that [`Args::lend`] turns into the function's argument.
    pub trait Lend<'a> {
        /// The argument.
        type Value;

        /// The argument, or the status that rejects it.
        ///
        /// # Safety
        ///
        /// The memory is not written by anyone else for `'a`, nor, for a `&mut`, read.
        unsafe fn lend(self) -> Result<Self::Value, i32>;
    }

    impl<'a, T: Element> Lend<'a> for Shared<T> {
        type Value = &'a [T];

        #[inline(always)]
        unsafe fn lend(self) -> Result<&'a [T], i32> {
            // SAFETY: the caller rules out writes for 'a.
            Ok(unsafe { self.0.as_slice() })
        }
    }

    impl<'a, T: Element> Lend<'a> for Exclusive<T> {
        type Value = &'a mut [T];

        #[inline(always)]
        unsafe fn lend(self) -> Result<&'a mut [T], i32> {
            // SAFETY: the caller rules out every other access for 'a.
            Ok(unsafe { self.0.as_mut_slice() })
        }
    }

    impl<'a, const K: usize> Lend<'a> for Bytes<K> {
        type Value = &'a [u8; K];

        #[inline(always)]
        unsafe fn lend(self) -> Result<&'a [u8; K], i32> {
            // SAFETY: the caller rules out writes for 'a; the slice is exactly one `[u8; K]`
            // (never null: its length is 1), in bounds, and byte arrays need no alignment.
            Ok(unsafe { &*(self.0.bytes().start as usize as *const [u8; K]) })
        }
    }

    impl<'a> Lend<'a> for Text {
        type Value = &'a str;

        #[inline(always)]
        unsafe fn lend(self) -> Result<&'a str, i32> {
            // SAFETY: the caller rules out writes for 'a.
            super::utf8(self.index, unsafe { self.bytes.as_slice() })
        }
    }
}

#[cfg(test)]
mod tests;
