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
//! The search ([`find_pair`]) is plain Rust, tested natively; the exports wrap it for the host.
//! `twosum_begin` and `twosum_feed` run the same search over numbers handed over in chunks
//! ([`Chunked`]), so the host can pack a list while the guest searches what came before.

#![cfg_attr(target_arch = "wasm32", no_std)]

mod chunked;
#[cfg(target_arch = "wasm32")]
mod exports;
mod search;

pub use chunked::{Chunked, Fed};
pub use search::{find_pair, table_len, Numbers};

guest_sdk::export_arena!();

#[cfg(test)]
mod tests;
