//! The guest's exports: `twosum_i32` and `twosum_i64` over host memory.

use core::mem::size_of;

use guest_sdk::arena;
use guest_sdk::host;

use crate::search::{find_second, table_len, Element, Hash};

const NO_PAIR: i64 = -1;
const OUT_OF_MEMORY: i64 = -2;
const BAD_ARGUMENTS: i64 = -3;

/// `twosum_i32(nums, len, target, seed)`: `(i << 32) | j` for the reference's pair over the
/// `len` little-endian int32s at `nums`; -1 no pair, -2 no room for the table, -3 bad arguments.
/// `seed` keys the hash table: pass a fresh random value per call.
#[unsafe(no_mangle)]
pub extern "C" fn twosum_i32(nums: u32, len: u32, target: i64, seed: i64) -> i64 {
    twosum(nums, len, target, seed as u64, false)
}

/// `twosum_i64(nums, len, target, seed)`: as `twosum_i32`, over int64s.
#[unsafe(no_mangle)]
pub extern "C" fn twosum_i64(nums: u32, len: u32, target: i64, seed: i64) -> i64 {
    twosum(nums, len, target, seed as u64, true)
}

/// What both widths share: checking the arguments, taking the table from a scope, finding `j`,
/// encoding the result. Only the search loop is compiled per element type: a loop that branched
/// on the width measured 60% slower, and its branches cost as many bytes as the copy.
fn twosum(nums: u32, len: u32, target: i64, seed: u64, wide: bool) -> i64 {
    let size: u32 = if wide { 8 } else { 4 };
    let Some(bytes) = host::array_bytes_in_memory(nums, len, size.into(), size) else {
        return BAD_ARGUMENTS;
    };
    if len < 2 {
        return NO_PAIR;
    }
    // The table lives in a scope: it is wiped and rewound before we return.
    arena::scope(|scope| {
        let slots = table_len(len);
        // `slots` slots of the element's width, in whole words (`slots` is at least 4).
        let words = usize::try_from(slots * u64::from(size) / 8).ok();
        let Some(table) = words.and_then(|words| scope.scratch::<u64>(words)) else {
            return OUT_OF_MEMORY;
        };
        let hash = Hash::new(seed, slots.trailing_zeros());
        let table_start = table.as_ptr() as usize as u64;
        let table_end = table_start + size_of_val(table) as u64;
        if bytes.start < table_end && table_start < bytes.end {
            // The host put its numbers in memory the arena hadn't handed out.
            return BAD_ARGUMENTS;
        }
        // SAFETY: the numbers passed `host::array_bytes` for their width and don't overlap the
        // table.
        let found = unsafe {
            if wide {
                search::<i64>(nums, len, target, hash, table)
            } else {
                search::<i32>(nums, len, target, hash, table)
            }
        };
        let Some((i, complement)) = found else {
            return NO_PAIR;
        };
        // SAFETY: as for the search; the table is no longer borrowed.
        let j = (0..i)
            .rev()
            .find(|&k| unsafe { number(nums, k, wide) } == complement);
        match j {
            Some(j) => (j as i64) << 32 | i as i64,
            None => NO_PAIR,
        }
    })
    .unwrap_or(OUT_OF_MEMORY)
}

/// Number `k` of the ones at `nums`, widened.
///
/// # Safety
///
/// Number `k` is within numbers of this width that passed `host::array_bytes`, and nothing writes
/// it meanwhile.
#[inline(always)]
unsafe fn number(nums: u32, k: usize, wide: bool) -> i64 {
    // SAFETY: the caller's promise.
    unsafe {
        let at = (nums as usize as *const u8).add(k << (2 + wide as usize));
        if wide {
            at.cast::<i64>().read()
        } else {
            at.cast::<i32>().read().into()
        }
    }
}

/// The second index of the reference's pair over the `len` `T`s at `nums`, and its complement,
/// widened; `table`'s zeroed words are the `T` slots.
///
/// # Safety
///
/// `nums` and `len` passed `host::array_bytes` for `T`, and the numbers don't overlap `table`.
unsafe fn search<T: Element>(
    nums: u32,
    len: u32,
    target: i64,
    hash: Hash,
    table: &mut [u64],
) -> Option<(usize, i64)> {
    // SAFETY: non-null (null only passes with `len` 0, and the caller has 2 or more), aligned and
    // within linear memory, any bytes are a valid `T`; nothing writes them while the slice lives:
    // the search writes only its table, which they don't overlap, and the host can't while the
    // guest runs.
    let nums = unsafe { core::slice::from_raw_parts(nums as usize as *const T, len as usize) };
    let slots = size_of_val(table) / size_of::<T>();
    // SAFETY: the words are aligned for `T` (`i32` or `i64`), `slots` `T`s fill their bytes, any
    // bytes are a valid `T`, and the borrow of `table` is handed on for as long as this lives.
    let table = unsafe { core::slice::from_raw_parts_mut(table.as_mut_ptr().cast::<T>(), slots) };
    find_second(nums, target, hash, table).map(|(i, complement)| (i, complement.into()))
}
