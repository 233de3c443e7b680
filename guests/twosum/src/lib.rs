#![cfg_attr(target_arch = "wasm32", no_std)]
pub use guest_sdk::bump_alloc;
#[no_mangle]
pub extern "C" fn twosum_i32(a: u32, b: u32, t: i64) -> i64 { (a as i64) + (b as i64) + t }
