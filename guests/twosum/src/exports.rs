//! The guest's exports, `twosum_i32` and `twosum_i64`: one search per call, or a long one fed a
//! chunk per call (docs/abi.md has the ABI).

use crate::search::{search, Refused};

/// Finds the pair of indices `(j, i)` that the Python two-sum reference returns for `nums` and
/// `target`, looking only at pairs whose second element `i` is at `from` or later, and scans
/// `nums[from:]` for a 0 or 1.
///
/// `table` is the hash table: a power of two of slots above `len(nums)` (twice as many, rounded
/// up, is what the search wants), cleared when `from` is 0. A long search is fed in chunks: the
/// first call with `from` 0, then each call with the numbers so far and `from` where the new ones
/// start, the same table (as the last call left it) and the same `target` and `seed`. An empty
/// table only scans. `seed` keys the hash: a fresh random one per search keeps crafted inputs
/// from colliding; the answer is the same for every seed.
///
/// The result has bit 62 set once the pair is found, with `(j << 32) | i` in the bits below, and
/// bit 63 set if the scan saw a 0 or 1. The search stops at the pair unless `scan` is true.
#[guest_sdk::export]
pub fn twosum_i32(
    nums: &[i32],
    from: u32,
    table: &mut [u32],
    target: i64,
    seed: u64,
    scan: bool,
) -> Result<u64, Refused> {
    search(nums.into(), from as usize, table, target, seed, scan)
}

/// `twosum_i32` over int64 numbers.
#[guest_sdk::export]
pub fn twosum_i64(
    nums: &[i64],
    from: u32,
    table: &mut [u32],
    target: i64,
    seed: u64,
    scan: bool,
) -> Result<u64, Refused> {
    search(nums.into(), from as usize, table, target, seed, scan)
}
