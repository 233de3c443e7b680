//! The search itself: one pass over the numbers, an open-addressing table of the numbers seen.
//!
//! A number `x` and its complement `target - x` hash alike: the table is keyed by the smaller of
//! the two. So looking up the complement and inserting `x` walk one probe chain, and each number
//! costs one visit to the table, the bulk of the memory traffic, instead of two.
//!
//! The table holds the numbers themselves, not their indices, so a probe compares the key in the
//! slot it loaded and never reaches back into the numbers; slots are as small as the element
//! type. The index a pair needs is found once, at the end, by scanning back from the second
//! element for the latest equal number: one pass over the numbers at most, so O(n).
//!
//! A zeroed slot is vacant, so 0 itself can't be told apart from a vacancy in the table: whether
//! 0 was seen is a flag of its own.
//!
//! The hash is multiply-shift with a multiplier derived from the caller's seed: with a random
//! seed, inputs crafted to collide (and turn the O(n) pass quadratic) can't be built in advance.

use guest_sdk::Pod;

/// An integer type twosum searches; its table slots are the type itself.
pub trait Element: Pod + Ord + Default + Into<i64> {
    /// `target - self`, if the exact difference is in this type's range: a complement outside it
    /// can't be among the numbers.
    fn complement(self, target: i64) -> Option<Self>;
}

impl Element for i32 {
    #[inline(always)]
    fn complement(self, target: i64) -> Option<Self> {
        // In i64, `target - self` can only wrap by 2^64, and no i32 is near a wrapped value: a
        // wrapped difference is out of i32's range too, so wrapping is exact here.
        target.wrapping_sub(self.into()).try_into().ok()
    }
}

impl Element for i64 {
    #[inline(always)]
    fn complement(self, target: i64) -> Option<Self> {
        target.checked_sub(self)
    }
}

/// The table length [`find_pair`] wants for `len` numbers: the least power of two holding twice
/// as many slots, so probe chains stay short. `None` if that overflows `usize`.
#[inline(always)]
pub fn table_len(len: usize) -> Option<usize> {
    // 2^k >= 2 * len exactly when 2^k > 2 * len - 1 (written out: std's version costs a call).
    let top = len.checked_mul(2)?.saturating_sub(1);
    1usize.checked_shl(usize::BITS - top.leading_zeros())
}

/// The pair `(j, i)`, `j < i`, that the Python reference returns for `nums` and `target`: the
/// first `i` whose complement `target - nums[i]` appeared before it, with `j` its latest
/// occurrence. `None` if there is none. Complements are exact: one outside the element type's
/// range is simply absent. `seed` keys the hash: every seed gives the same answer.
///
/// `table` must be zeroed and [`table_len`] long. Other tables give unspecified results, though
/// never a panic or an endless loop.
#[inline(always)]
pub fn find_pair<T: Element>(
    nums: &[T],
    target: i64,
    seed: u64,
    table: &mut [T],
) -> Option<(usize, usize)> {
    let mask = table.len().checked_sub(1)?;
    let bits = table.len().trailing_zeros();
    // Odd, so multiplying permutes the keys; seed 0 is Fibonacci hashing (2^64/φ).
    let multiplier = (seed ^ 0x9E37_79B9_7F4A_7C15) | 1;
    let zero = T::default();
    let mut zero_seen = false;
    for (i, &num) in nums.iter().enumerate() {
        // A number without a complement in range pairs with nothing, and nothing looks it up.
        let Some(complement) = num.complement(target) else {
            continue;
        };
        let key: i64 = num.min(complement).into();
        // The top `bits` of the product: every bit of the key reaches them.
        let mut slot = (key as u64).wrapping_mul(multiplier).rotate_left(bits) as usize;
        // Bounded, so that a table that isn't zeroed can't make it spin.
        for _ in 0..table.len() {
            slot &= mask;
            // SAFETY: `slot` was just masked to at most `len - 1`.
            let stored = unsafe { table.get_unchecked_mut(slot) };
            if *stored == complement && (complement != zero || zero_seen) {
                // The table only says the complement is among `nums[..i]`; `j` is its latest
                // occurrence there. Each search ends at its first hit, so this scan runs once.
                let before = nums.get(..i).unwrap_or_default();
                if let Some(j) = before.iter().rposition(|&seen| seen == complement) {
                    return Some((j, i));
                }
            }
            if *stored == num || *stored == zero {
                // Storing 0 leaves its slot looking vacant, which is harmless: the flag says
                // it's there.
                *stored = num;
                break;
            }
            slot += 1;
        }
        zero_seen |= num == zero;
    }
    None
}
