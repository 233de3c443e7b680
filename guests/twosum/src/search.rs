//! The search itself: one pass over the numbers, an open-addressing table of the numbers seen.
//!
//! The table holds the numbers themselves, not their indices, so a probe compares the key in the
//! slot it loaded: one random memory access per probe, never a second one into the numbers, and
//! the smallest table there can be (the element type itself). The index a pair needs is found
//! once, at the end, by scanning back from the second element for the latest equal number: still
//! one pass over the numbers at most, so O(n).
//!
//! A zeroed slot is vacant, so 0 itself can't be told apart from a vacancy in the table: whether
//! 0 was seen is a flag of its own.

use guest_sdk::Pod;

/// An integer type twosum searches; its table slots are the type itself.
pub trait Element: Pod + Eq + Default + Into<i64> {
    /// `target - self`, if the exact difference is in this type's range: a complement outside it
    /// can't be among the numbers.
    fn complement(self, target: i64) -> Option<Self>;

    /// Where the search for `self` starts in a table of `2^bits` slots (`mask` = `2^bits - 1`):
    /// Fibonacci hashing, the top `bits` of the key times 2^width/φ, which every bit of the key
    /// reaches (so keys differing only in high bits don't collide).
    fn home(self, bits: u32, mask: usize) -> usize;
}

impl Element for i32 {
    #[inline(always)]
    fn complement(self, target: i64) -> Option<Self> {
        // In i64, `target - self` can only wrap by 2^64, and no i32 is near a wrapped value: a
        // wrapped difference is out of i32's range too, so wrapping is exact here.
        target.wrapping_sub(self.into()).try_into().ok()
    }

    #[inline(always)]
    fn home(self, bits: u32, mask: usize) -> usize {
        (self as u32).wrapping_mul(0x9E37_79B9).rotate_left(bits) as usize & mask
    }
}

impl Element for i64 {
    #[inline(always)]
    fn complement(self, target: i64) -> Option<Self> {
        target.checked_sub(self)
    }

    #[inline(always)]
    fn home(self, bits: u32, mask: usize) -> usize {
        (self as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(bits) as usize
            & mask
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
/// range is simply absent.
///
/// `table` must be zeroed and [`table_len`] long. Other tables give unspecified results, though
/// never a panic or an endless loop.
#[inline(always)]
pub fn find_pair<T: Element>(nums: &[T], target: i64, table: &mut [T]) -> Option<(usize, usize)> {
    let mut table = Table::new(table)?;
    let zero = T::default();
    let mut zero_seen = false;
    for (i, &num) in nums.iter().enumerate() {
        if let Some(complement) = num.complement(target) {
            if table.get(table.probe(complement)) == complement && (complement != zero || zero_seen)
            {
                // The table only says the complement is among `nums[..i]`; `j` is its latest
                // occurrence there. Each search ends at its first hit, so this scan runs once.
                let before = nums.get(..i).unwrap_or_default();
                if let Some(j) = before.iter().rposition(|&seen| seen == complement) {
                    return Some((j, i));
                }
            }
        }
        // Storing 0 leaves its slot looking vacant, which is harmless: the flag says it's there.
        table.set(table.probe(num), num);
        zero_seen |= num == zero;
    }
    None
}

/// The hash table: a non-empty slice of slots, indexed modulo its length (a power of two).
struct Table<'t, T> {
    slots: &'t mut [T],
    /// `slots.len() - 1`: every index is masked with it, so it is always in bounds.
    mask: usize,
    bits: u32,
}

impl<'t, T: Element> Table<'t, T> {
    #[inline(always)]
    fn new(slots: &'t mut [T]) -> Option<Self> {
        Some(Self {
            mask: slots.len().checked_sub(1)?,
            bits: slots.len().trailing_zeros(),
            slots,
        })
    }

    #[inline(always)]
    fn get(&self, slot: usize) -> T {
        // SAFETY: `slot & mask` is at most `len - 1`, and `len` is at least 1.
        *unsafe { self.slots.get_unchecked(slot & self.mask) }
    }

    #[inline(always)]
    fn set(&mut self, slot: usize, value: T) {
        // SAFETY: as in `get`.
        *unsafe { self.slots.get_unchecked_mut(slot & self.mask) } = value;
    }

    /// The slot holding `key`, or else the vacant slot `key` would take. If every slot examined
    /// holds another key, which a zeroed table long enough never does, some slot holding another
    /// key.
    #[inline(always)]
    fn probe(&self, key: T) -> usize {
        let vacant = T::default();
        let mut slot = key.home(self.bits, self.mask);
        for _ in 0..self.mask {
            let stored = self.get(slot);
            if stored == key || stored == vacant {
                break;
            }
            slot = (slot + 1) & self.mask;
        }
        slot
    }
}
