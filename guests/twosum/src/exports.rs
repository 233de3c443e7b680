//! The guest's exports: `twosum_i32` and `twosum_i64` over host memory.

use core::slice;

use guest_sdk::arena;
use guest_sdk::host;

use crate::search::{find_pair_zeroed, table_len, Hash, Numbers};

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

/// Both exports: checking the arguments, taking the table from a scope, running the search and
/// encoding its result.
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
        let Some(table) = usize::try_from(slots)
            .ok()
            .and_then(|slots| scope.scratch::<u32>(slots))
        else {
            return OUT_OF_MEMORY;
        };
        let hash = Hash::new(seed, slots.trailing_zeros());
        if host::overlaps(bytes, host::bytes_of(table)) {
            // The host put its numbers in memory the arena hadn't handed out.
            return BAD_ARGUMENTS;
        }
        // SAFETY: non-null (null only passes with `len` 0, and we have 2 or more), aligned and
        // within linear memory (`host::array_bytes`), any bytes are valid numbers; nothing writes
        // them while they are borrowed: the search writes only its table, which they don't
        // overlap, and the host can't while the guest runs.
        let numbers: Numbers = unsafe {
            if wide {
                slice::from_raw_parts(nums as usize as *const i64, len as usize).into()
            } else {
                slice::from_raw_parts(nums as usize as *const i32, len as usize).into()
            }
        };
        match find_pair_zeroed(numbers, target, hash, table) {
            Some((j, i)) => (j as i64) << 32 | i as i64,
            None => NO_PAIR,
        }
    })
    .unwrap_or(OUT_OF_MEMORY)
}
