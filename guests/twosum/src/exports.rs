//! The guest's exports: `twosum_i32` and `twosum_i64` over host memory.

use core::mem::{size_of, size_of_val};

use guest_sdk::arena;
use guest_sdk::host::HostSlice;

use crate::search::{find_pair, table_len, Element};

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

/// What both widths share: checking the arguments, taking the table from a scope, encoding the
/// result. Only the search is compiled per element type (so its loop never branches on the
/// width), and only once each.
fn twosum(nums: u32, len: u32, target: i64, seed: u64, wide: bool) -> i64 {
    let bytes = if wide {
        HostSlice::<i64>::new(nums, len).map(|nums| nums.bytes())
    } else {
        HostSlice::<i32>::new(nums, len).map(|nums| nums.bytes())
    };
    let Some(bytes) = bytes else {
        return BAD_ARGUMENTS;
    };
    // The table lives in a scope: it is wiped and rewound before we return.
    arena::scope(|scope| {
        // `table_len` slots of the element's width, in whole words.
        let words =
            table_len(len as usize).map(|slots| if wide { slots } else { slots.div_ceil(2) });
        let Some(table) = words.and_then(|words| scope.scratch::<u64>(words)) else {
            return OUT_OF_MEMORY;
        };
        let table_start = table.as_ptr() as usize as u64;
        let table_end = table_start + size_of_val(table) as u64;
        if !bytes.is_empty() && bytes.start < table_end && table_start < bytes.end {
            // The host put its numbers in memory the arena hadn't handed out.
            return BAD_ARGUMENTS;
        }
        // SAFETY: the numbers passed `HostSlice::new` for their width and don't overlap the table.
        let pair = unsafe {
            if wide {
                search::<i64>(nums, len, target, seed, table)
            } else {
                search::<i32>(nums, len, target, seed, table)
            }
        };
        match pair {
            Some((j, i)) => (j as i64) << 32 | i as i64,
            None => NO_PAIR,
        }
    })
    .unwrap_or(OUT_OF_MEMORY)
}

/// The search over the `len` `T`s at `nums`, with `table`'s zeroed words as `T` slots.
///
/// # Safety
///
/// `nums` and `len` passed `HostSlice::<T>::new`, and the numbers don't overlap `table`.
unsafe fn search<T: Element>(
    nums: u32,
    len: u32,
    target: i64,
    seed: u64,
    table: &mut [u64],
) -> Option<(usize, usize)> {
    if len == 0 {
        return None;
    }
    // SAFETY: non-null (a null pointer only passes with `len` 0), aligned and within linear
    // memory, any bytes are a valid `T`; nothing writes them while the slice lives: the search
    // writes only its table, which they don't overlap, and the host can't while the guest runs.
    let nums = unsafe { core::slice::from_raw_parts(nums as usize as *const T, len as usize) };
    let slots = size_of_val(table) / size_of::<T>();
    // SAFETY: the words are aligned for `T` (`i32` or `i64`), `slots` `T`s fill their bytes, any
    // bytes are a valid `T`, and the borrow of `table` is handed on for as long as this lives.
    let table = unsafe { core::slice::from_raw_parts_mut(table.as_mut_ptr().cast::<T>(), slots) };
    find_pair(nums, target, seed, table)
}
