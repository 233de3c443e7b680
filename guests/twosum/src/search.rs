//! The search itself: one pass over the numbers, an open-addressing table of the numbers seen.
//!
//! A slot holds the index of a number seen, plus one (zero is a vacant slot), never the number
//! itself. So:
//! - slots are four bytes whatever the width, and one loop serves both widths: the table of the
//!   500,000-number benchmark is 4 MB for `i64`s too;
//! - the index of the pair's first element is in the slot that matched: nothing scans for it,
//!   and a repeated number just moves its slot to its latest index, as the reference's `dict`
//!   does;
//! - 0 needs no special case: only an index can be zero.
//!
//! A probe reads the number at the slot's index to compare it. That second, dependent load
//! measured cheaper than a table of numbers twice as wide.
//!
//! A number `x` and its complement `target - x` hash alike: the table is keyed by the smaller of
//! the two. So looking up the complement and recording `x` walk one probe chain, and each number
//! costs one visit to the table instead of two.
//!
//! The hash is multiply-shift with a multiplier derived from the caller's seed: with a random
//! seed, inputs crafted to collide (and turn the O(n) pass quadratic) can't be built in advance.

use core::marker::PhantomData;

/// Numbers of either width, `i32` or `i64`, borrowed from a slice and read as `i64`.
///
/// The width is a value, not a type parameter, so the search loop is compiled once for both: the
/// branch on it, when a number is loaded, goes the same way all through a search.
#[derive(Clone, Copy, Debug)]
pub struct Numbers<'a> {
    start: *const u8,
    len: usize,
    wide: bool,
    _borrow: PhantomData<&'a [i32]>,
}

impl<'a> From<&'a [i32]> for Numbers<'a> {
    #[inline(always)]
    fn from(nums: &'a [i32]) -> Self {
        Self::erase(nums.as_ptr().cast(), nums.len(), false)
    }
}

impl<'a> From<&'a [i64]> for Numbers<'a> {
    #[inline(always)]
    fn from(nums: &'a [i64]) -> Self {
        Self::erase(nums.as_ptr().cast(), nums.len(), true)
    }
}

impl Numbers<'_> {
    #[inline(always)]
    fn erase(start: *const u8, len: usize, wide: bool) -> Self {
        Self {
            start,
            len,
            wide,
            _borrow: PhantomData,
        }
    }

    /// How many numbers there are.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number `k`.
    ///
    /// # Safety
    ///
    /// `k < self.len()`.
    #[inline(always)]
    unsafe fn get_unchecked(&self, k: usize) -> i64 {
        // SAFETY: `start` is a live slice of `len` numbers of this width (`From`), and `k < len`.
        unsafe {
            if self.wide {
                self.start.cast::<i64>().add(k).read()
            } else {
                self.start.cast::<i32>().add(k).read().into()
            }
        }
    }

    /// `target - num` for a number `num` of this width, if the exact difference is of this width
    /// too: a complement beyond it can't be among the numbers.
    #[inline(always)]
    fn complement(&self, num: i64, target: i64) -> Option<i64> {
        let complement = target.checked_sub(num)?;
        // Sign-extending the low 32 bits changes nothing for an `i32`.
        let unused = if self.wide { 0 } else { 32 };
        (complement << unused >> unused == complement).then_some(complement)
    }
}

/// The table length [`find_pair`] wants for `len` numbers: the least power of two of slots at
/// least twice as many, so probe chains stay short.
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
/// power of two above `nums.len()` works, and other lengths give `None`, as do `2^30` numbers or
/// more.
pub fn find_pair<'a>(
    nums: impl Into<Numbers<'a>>,
    target: i64,
    seed: u64,
    table: &mut [u32],
) -> Option<(usize, usize)> {
    if table.is_empty() {
        return None; // an empty table only scans
    }
    let found = search(nums.into(), 0, table, target, seed, false).ok()?;
    let pair = (
        (found >> 32) as usize & (MAX_NUMBERS - 1),
        found as u32 as usize,
    );
    (found & FOUND != 0).then_some(pair)
}

/// Set in [`search`]'s result once the pair is found, with `(j << 32) | i` in the bits below.
pub const FOUND: u64 = 1 << 62;
/// Set in [`search`]'s result when a number it scanned is 0 or 1.
pub const ZERO_OR_ONE: u64 = 1 << 63;
/// Fewer numbers than this: a pair's first index then fits below [`FOUND`].
pub const MAX_NUMBERS: usize = 1 << 30;

/// Why a search refused its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, guest_sdk::GuestError)]
pub enum Refused {
    /// The table is neither empty nor a power of two of slots above the count of numbers, or
    /// there are `2^30` numbers or more.
    BadTable,
    /// `from` is past the last number.
    BadStart,
}

/// The search as the exports run it: [`find_pair`] over `nums`, resumed at `from`, and the
/// numbers from `from` on scanned for a 0 or 1 (what a Python `bool` packs to, so the host checks
/// a chunk's element types only when the scan says one could be there).
///
/// The numbers before `from` are already in `table`, put there by earlier calls over the same
/// table and seed that found no pair among them: only pairs whose second element is at `from` or
/// later are looked for. With `from` 0 the table is cleared first. This is how a host feeds a
/// long search a chunk at a time, keeping the table between calls. An empty table only scans.
///
/// The result is [`FOUND`] with the pair once found, and [`ZERO_OR_ONE`] if the scan saw one.
/// The search stops at the pair unless `scan` asks for every number to be scanned.
///
/// If the table was written in between (by a host that scribbled on it), the answer may be wrong,
/// but the search reads nothing outside `nums` and `table`, and it ends: no probe chain is
/// followed past the table's length. (One that started zeroed always has a vacant slot sooner:
/// each number fills at most one.)
#[inline(never)]
pub fn search(
    nums: Numbers,
    from: usize,
    table: &mut [u32],
    target: i64,
    seed: u64,
    scan: bool,
) -> Result<u64, Refused> {
    let len = nums.len();
    let slots = table.len();
    if slots != 0 && (!slots.is_power_of_two() || slots <= len || len >= MAX_NUMBERS) {
        return Err(Refused::BadTable);
    }
    if from > len {
        return Err(Refused::BadStart);
    }
    if from == 0 {
        table.fill(0);
    }
    let mut result = 0;
    if !table.is_empty() {
        let hash = Hash::new(seed, slots.trailing_zeros());
        if let Some((j, i)) = find_pair_from(nums, from, target, hash, table) {
            result = FOUND | (j as u64) << 32 | i as u64;
        }
    }
    if scan && holds_zero_or_one(nums, from) {
        result |= ZERO_OR_ONE;
    }
    Ok(result)
}

/// The search of [`search`] over a table of a power of two of slots above `nums.len()`, with
/// `hash` made for its length: the pair whose second element is at `from` or later.
#[inline(always)]
fn find_pair_from(
    nums: Numbers,
    from: usize,
    target: i64,
    hash: Hash,
    table: &mut [u32],
) -> Option<(usize, usize)> {
    let mask = table.len().wrapping_sub(1);
    for i in from..nums.len() {
        // SAFETY: `i < len`.
        let num = unsafe { nums.get_unchecked(i) };
        let Some(complement) = nums.complement(num, target) else {
            continue;
        };
        let mut slot = hash.slot(num.min(complement));
        let mut probes_left = mask;
        loop {
            slot &= mask;
            // SAFETY: `slot` was just masked to at most `slots - 1`.
            let entry = unsafe { table.get_unchecked_mut(slot) };
            let Some(seen) = (*entry as usize).checked_sub(1) else {
                // Vacant. `i + 1` fits: there are fewer than `2^30` numbers.
                *entry = i as u32 + 1;
                break;
            };
            // Always true of a table that started zeroed.
            if seen < i {
                // SAFETY: `seen < i < len`.
                let seen_num = unsafe { nums.get_unchecked(seen) };
                if seen_num == complement {
                    return Some((seen, i));
                }
                if seen_num == num {
                    // The latest occurrence is the one a pair names.
                    *entry = i as u32 + 1;
                    break;
                }
            }
            if probes_left == 0 {
                break;
            }
            probes_left -= 1;
            slot += 1;
        }
    }
    None
}

/// Whether any of the numbers from `from` on is 0 or 1: what a Python `bool` packs to.
#[inline(always)]
fn holds_zero_or_one(nums: Numbers, from: usize) -> bool {
    // `|`, not an early return: one branch-free pass.
    (from..nums.len()).fold(false, |any, i| {
        // SAFETY: `i < len`.
        any | ((unsafe { nums.get_unchecked(i) } as u64) <= 1)
    })
}

/// Multiply-shift hashing into a table of a power of two of slots.
#[derive(Clone, Copy, Debug)]
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
