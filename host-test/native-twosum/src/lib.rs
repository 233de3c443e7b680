//! The twosum guest's search ([`twosum::find_pair`]) compiled for the host and exported with the
//! guest's calling convention, so that `cargo xtask bench` can time the very same search natively
//! beside its WebAssembly build and show what running it in wasm costs.

use twosum::{find_pair, table_len};

/// `(j << 32) | i` for the pair of indices the Python reference returns over the `len` numbers
/// at `nums`, or -1 if there is none; `seed` keys the hash, as for the guest's `twosum_i32`.
///
/// # Safety
///
/// `nums` points at `len` readable `i32`s that nothing writes during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn native_twosum_i32(
    nums: *const i32,
    len: u32,
    target: i64,
    seed: u64,
) -> i64 {
    let Ok(count) = usize::try_from(len) else {
        return -1;
    };
    // SAFETY: the caller guarantees `len` readable, unchanging `i32`s at `nums`.
    let nums = unsafe { std::slice::from_raw_parts(nums, count) };
    let Ok(slots) = usize::try_from(table_len(len)) else {
        return -1;
    };
    // A fresh table per call, as the guest takes one from its arena per call.
    let mut table = vec![0u32; slots];
    match find_pair(nums, target, seed, &mut table) {
        // Both indices are below `len`, a u32: they fit the two halves.
        Some((j, i)) => ((j as i64) << 32) | i as i64,
        None => -1,
    }
}
