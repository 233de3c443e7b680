//! The twosum guest: `twosum_i32` and `twosum_i64` find the pair of indices Python's reference
//! returns, in one pass with a hash table (in the arena) of the numbers seen.
//!
//! ```python
//! def twosum(nums, target):
//!     seen = {}
//!     for i, num in enumerate(nums):
//!         if target - num in seen:
//!             return seen[target - num], i
//!         seen[num] = i
//!     return None
//! ```
//!
//! The search ([`search`], [`find_pair`]) is plain Rust, tested natively; the exports are it
//! under `#[guest_sdk::export]`. A search may also be fed in chunks (resumed at `from` over the
//! same table), so the host can pack a list while the guest searches what came before.

#![cfg_attr(target_arch = "wasm32", no_std)]

mod exports;
mod search;

pub use exports::{twosum_i32, twosum_i64};
pub use search::{find_pair, search, table_len, Numbers, Refused, FOUND, MAX_NUMBERS, ZERO_OR_ONE};

guest_sdk::export_arena!();

#[cfg(test)]
mod tests;
