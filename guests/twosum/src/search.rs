//! The search itself: one pass over the numbers, an open-addressing table of the numbers seen.
//!
//! A number `x` and its complement `target - x` hash alike: the table is keyed by the smaller of
//! the two. So looking up the complement and inserting `x` walk one probe chain, and each number
//! costs one visit to the table, the bulk of the memory traffic, instead of two.
//!
//! The table holds the numbers themselves, not their indices, so a probe compares the key in the
//! slot it loaded and never reaches back into the numbers; slots are as small as the element
//! type. The index a pair needs is found once, at the end, by scanning back from the second
//! element for the latest equal number: one pass over the numbers at most, so O(n). The search
//! stops at that second element and leaves the scan to its caller, so that the guest compiles
//! the scan once for both widths.
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
/// as many slots, so probe chains stay short.
#[inline(always)]
pub fn table_len(len: u32) -> u64 {
    // At most 2^33: no overflow.
    (u64::from(len) * 2).next_power_of_two()
}

/// The pair `(j, i)`, `j < i`, that the Python reference returns for `nums` and `target`: the
/// first `i` whose complement `target - nums[i]` appeared before it, with `j` its latest
/// occurrence. `None` if there is none. Complements are exact: one outside the element type's
/// range is simply absent. `seed` keys the hash: every seed gives the same answer.
///
/// `table` is scratch space, cleared first: [`table_len`] slots are what the search wants; any
/// power of two above `nums.len()` works, and other lengths give `None`.
pub fn find_pair<T: Element>(
    nums: &[T],
    target: i64,
    seed: u64,
    table: &mut [T],
) -> Option<(usize, usize)> {
    if !table.len().is_power_of_two() || table.len() <= nums.len() {
        return None;
    }
    table.fill(T::default());
    let hash = Hash::new(seed, table.len().trailing_zeros());
    let (i, complement) = find_second(nums, target, hash, table)?;
    let j = nums.get(..i)?.iter().rposition(|&num| num == complement)?;
    Some((j, i))
}

/// Multiply-shift hashing into a table of a power of two of slots.
#[derive(Clone, Copy)]
pub struct Hash {
    multiplier: u64,
    /// log2 of the table's length.
    bits: u32,
}

impl Hash {
    /// The hash keyed by `seed` for a table of `2^bits` slots.
    #[inline(always)]
    pub fn new(seed: u64, bits: u32) -> Self {
        Self {
            // Odd, so multiplying permutes the keys; seed 0 is Fibonacci hashing (2^64/φ).
            multiplier: (seed ^ 0x9E37_79B9_7F4A_7C15) | 1,
            bits,
        }
    }

    /// The home slot of `key`: the top `bits` of the product, which every bit of the key reaches.
    #[inline(always)]
    fn slot(self, key: i64) -> usize {
        (key as u64)
            .wrapping_mul(self.multiplier)
            .rotate_left(self.bits) as usize
    }
}

/// The `i` of [`find_pair`]'s pair, and the complement it found: its `j` is then the latest
/// occurrence of the complement before `i`.
///
/// `table` must be zeroed, with a power of two of slots above `nums.len()`, and `hash` made for
/// that length: then every probe chain ends at a vacant slot at the latest. Otherwise the result
/// is unspecified and the search may not end. Bounding the probe loop instead would cost 42 of
/// the artifact's 1,024 bytes, and the guest's table comes zeroed from the arena.
#[inline(always)]
pub(crate) fn find_second<T: Element>(
    nums: &[T],
    target: i64,
    hash: Hash,
    table: &mut [T],
) -> Option<(usize, T)> {
    let mask = table.len().checked_sub(1)?;
    let zero = T::default();
    let mut zero_seen = false;
    for (i, &num) in nums.iter().enumerate() {
        // A number without a complement in range pairs with nothing, and nothing looks it up.
        let Some(complement) = num.complement(target) else {
            continue;
        };
        let key: i64 = num.min(complement).into();
        let mut slot = hash.slot(key);
        loop {
            slot &= mask;
            // SAFETY: `slot` was just masked to at most `len - 1`.
            let stored = unsafe { table.get_unchecked_mut(slot) };
            if *stored == complement && (complement != zero || zero_seen) {
                return Some((i, complement));
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
