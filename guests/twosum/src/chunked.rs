//! A search fed piece by piece: the host packs a long Python list a chunk at a time and hands
//! each chunk over as soon as it is packed, so the search of one chunk runs (without the GIL)
//! while Python packs the next. The hash table lives across the calls of one search.

use crate::search::{find_pair_from, holds_zero_or_one, Hash, Numbers};

/// One search in progress over at most `capacity` numbers.
#[derive(Clone, Copy, Debug)]
pub struct Chunked {
    target: i64,
    hash: Hash,
    capacity: usize,
    /// How many numbers have been searched.
    fed: usize,
    /// The reference's pair, once found: later chunks are only scanned for 0 and 1.
    found: Option<(usize, usize)>,
}

/// What one chunk gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fed {
    /// The pair, found in this chunk or an earlier one.
    pub pair: Option<(usize, usize)>,
    /// Whether the chunk holds a 0 or a 1 (anywhere in it, before the pair or after).
    pub zero_or_one: bool,
}

impl Chunked {
    /// A search for `target` over up to `capacity` numbers, clearing `table` for it; `None` unless
    /// the table's length is a power of two above `capacity` and `capacity` fits in 32 bits.
    pub fn new(target: i64, seed: u64, capacity: usize, table: &mut [u32]) -> Option<Self> {
        let fits = u32::try_from(capacity).is_ok();
        if !fits || !table.len().is_power_of_two() || table.len() <= capacity {
            return None;
        }
        table.fill(0);
        Some(Self {
            target,
            hash: Hash::new(seed, table.len().trailing_zeros()),
            capacity,
            fed: 0,
            found: None,
        })
    }

    /// How many numbers have been searched so far.
    pub fn fed(&self) -> usize {
        self.fed
    }

    /// Searches the numbers of `nums` past those already fed: `nums` holds every number so far,
    /// the earlier ones unchanged, and `table` is the one given to [`new`](Self::new), as the
    /// previous call left it. `None` if `nums` is shorter than what was fed, or longer than the
    /// capacity.
    pub fn feed(&mut self, nums: Numbers, table: &mut [u32]) -> Option<Fed> {
        if nums.len() < self.fed || nums.len() > self.capacity {
            return None;
        }
        let from = self.fed;
        self.fed = nums.len();
        let zero_or_one = holds_zero_or_one(nums, from);
        if self.found.is_none() {
            self.found = find_pair_from::<true>(nums, from, self.target, self.hash, table);
        }
        Some(Fed {
            pair: self.found,
            zero_or_one,
        })
    }
}
