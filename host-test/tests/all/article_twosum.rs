//! The article-twosum fixture, the C guest `cargo xtask bench` drives with the source article's
//! glue: it must give the Python reference's answer, or its timings would compare nothing.

use std::collections::HashMap;

use wasmtime::Result;

use crate::ensure_eq;
use crate::support::{self, Guest};

/// The Python reference (`if target - num in seen`), in 32-bit arithmetic as the C computes the
/// complement: the benchmark's targets fit an `i32`.
fn reference(nums: &[i32], target: i32) -> i64 {
    let mut seen = HashMap::new();
    for (i, &num) in nums.iter().enumerate() {
        if let Some(&j) = seen.get(&target.wrapping_sub(num)) {
            return ((j as i64) << 32) | i as i64;
        }
        seen.insert(num, i);
    }
    -1
}

fn two_sum(guest: &mut Guest, nums: &[i32], target: i32) -> Result<i64> {
    let bytes: Vec<u8> = nums.iter().flat_map(|n| n.to_le_bytes()).collect();
    let ptr = guest.alloc_bytes(&bytes)?;
    let len = i32::try_from(nums.len())?;
    let found = guest.call::<(u32, i32, i32), i64>("two_sum", (ptr, len, target));
    guest.reset()?;
    found
}

#[test]
fn answers_as_the_reference_does() -> Result<()> {
    let mut guest = Guest::new("article-twosum")?;
    let cases: [(&[i32], i32); 6] = [
        (&[2, 7, 11, 15], 9),
        (&[3, 3], 6),
        (&[1, 2, 3], 100),
        (&[5, 5, 5, 5], 10),
        (&[i32::MIN, 0, i32::MAX], -1),
        (&[], 0),
    ];
    for (nums, target) in cases {
        ensure_eq!(two_sum(&mut guest, nums, target)?, reference(nums, target));
    }
    Ok(())
}

#[test]
fn answers_on_random_inputs() -> Result<()> {
    let mut guest = Guest::new("article-twosum")?;
    let mut state = support::seed("article_twosum::answers_on_random_inputs") | 1;
    for len in [2, 17, 1000, 100_000] {
        let nums: Vec<i32> = (0..len)
            .map(|_| {
                // xorshift64: enough spread for a hash table, no dependency.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state % 2_000_001) as i32 - 1_000_000
            })
            .collect();
        let target = nums[len / 3].wrapping_add(nums[len - 1]);
        ensure_eq!(
            two_sum(&mut guest, &nums, target)?,
            reference(&nums, target)
        );
    }
    Ok(())
}
