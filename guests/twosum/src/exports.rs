//! The guest's exports: `twosum_i32` and `twosum_i64` over host memory, and the chunked search,
//! `twosum_begin` then `twosum_feed` per chunk.

use core::cell::UnsafeCell;
use core::slice;

use guest_sdk::arena;
use guest_sdk::host;

use crate::chunked::Chunked;
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

/// A chunked search's result: the pair's bits are set once it is found.
const FOUND: i64 = 1 << 61;
/// A chunked search's result: the chunk just fed holds a 0 or a 1.
const ZERO_OR_ONE: i64 = 1 << 62;
/// Chunked searches take fewer numbers than this, so a pair's first index stays below bit 61.
const CHUNKED_MAX: u32 = 1 << 29;

/// The chunked search in progress: where its numbers and table are, and its state.
struct Operation {
    nums: u32,
    table: u32,
    slots: u32,
    wide: bool,
    search: Chunked,
}

struct Current(UnsafeCell<Option<Operation>>);

// SAFETY: a wasm32 module without the `atomics` feature runs on one thread (see the SDK's arena).
unsafe impl Sync for Current {}

static CURRENT: Current = Current(UnsafeCell::new(None));

/// `twosum_begin(nums, len, table, slots, target, seed, wide)`: starts a chunked search over up
/// to `len` numbers (int64s if `wide` is 1, else int32s) that the host will write at `nums`, with
/// the `slots` 4-byte slots at `table` for its hash table (a power of two above `len`, which this
/// clears; [`table_len`] is the size to use). The host allocates both, apart, and keeps them until
/// the search is over. 0, or -3 for bad arguments (then no search is in progress).
#[unsafe(no_mangle)]
pub extern "C" fn twosum_begin(
    nums: u32,
    len: u32,
    table: u32,
    slots: u32,
    target: i64,
    seed: i64,
    wide: u32,
) -> i64 {
    // SAFETY: the only reference to the state, in this function, on the only thread.
    let current = unsafe { &mut *CURRENT.0.get() };
    *current = None;
    let wide = match wide {
        0 => false,
        1 => true,
        _ => return BAD_ARGUMENTS,
    };
    let size: u32 = if wide { 8 } else { 4 };
    let (Some(numbers), Some(slots_bytes)) = (
        host::array_bytes_in_memory(nums, len, size.into(), size),
        host::array_bytes_in_memory(table, slots, 4, 4),
    ) else {
        return BAD_ARGUMENTS;
    };
    if len >= CHUNKED_MAX || slots == 0 || host::overlaps(numbers, slots_bytes) {
        return BAD_ARGUMENTS;
    }
    // SAFETY: non-null (`slots` > 0), aligned, within linear memory and apart from the numbers;
    // nothing else writes it while the guest runs, and the reference ends with this call.
    let table_slice =
        unsafe { slice::from_raw_parts_mut(table as usize as *mut u32, slots as usize) };
    let Some(search) = Chunked::new(target, seed as u64, len as usize, table_slice) else {
        return BAD_ARGUMENTS;
    };
    *current = Some(Operation {
        nums,
        table,
        slots,
        wide,
        search,
    });
    0
}

/// `twosum_feed(count)`: searches the next `count` numbers of the chunked search, which the host
/// has written after the ones fed before. Bit 62 is set if they hold a 0 or a 1 (a Python `bool`
/// packs to one), bit 61 once the reference's pair `(i, j)` is found (this chunk or before), with
/// `(i << 32) | j` in the bits below; -3 without a search in progress or past its `len`.
#[unsafe(no_mangle)]
pub extern "C" fn twosum_feed(count: u32) -> i64 {
    // SAFETY: the only reference to the state, in this function, on the only thread.
    let Some(operation) = (unsafe { &mut *CURRENT.0.get() }) else {
        return BAD_ARGUMENTS;
    };
    let Some(len) = operation.search.fed().checked_add(count as usize) else {
        return BAD_ARGUMENTS;
    };
    if len >= CHUNKED_MAX as usize {
        return BAD_ARGUMENTS;
    }
    // SAFETY: `twosum_begin` checked that `nums` holds up to its `len` numbers and `table` its
    // `slots`, within memory (which never shrinks), apart from each other; `feed` refuses more
    // numbers than that `len`. Nothing writes them while the guest runs. A host that wrote into
    // the table between calls gets a wrong answer, never an access outside these two.
    let (numbers, table): (Numbers, &mut [u32]) = unsafe {
        let numbers = if operation.wide {
            slice::from_raw_parts(operation.nums as usize as *const i64, len).into()
        } else {
            slice::from_raw_parts(operation.nums as usize as *const i32, len).into()
        };
        let table = slice::from_raw_parts_mut(
            operation.table as usize as *mut u32,
            operation.slots as usize,
        );
        (numbers, table)
    };
    let Some(fed) = operation.search.feed(numbers, table) else {
        return BAD_ARGUMENTS;
    };
    let pair = match fed.pair {
        Some((j, i)) => FOUND | (j as i64) << 32 | i as i64,
        None => 0,
    };
    pair | if fed.zero_or_one { ZERO_OR_ONE } else { 0 }
}
