use std::collections::HashMap;

use proptest::prelude::*;

use crate::{find_pair, table_len, Numbers, Refused, FOUND, MAX_NUMBERS, ZERO_OR_ONE};

/// The two element types.
trait Element: Copy + Into<i64> + std::fmt::Debug {
    fn numbers(nums: &[Self]) -> Numbers<'_>;
}

impl Element for i32 {
    fn numbers(nums: &[Self]) -> Numbers<'_> {
        nums.into()
    }
}

impl Element for i64 {
    fn numbers(nums: &[Self]) -> Numbers<'_> {
        nums.into()
    }
}

/// The Python reference, with Python's unbounded integers (i128 is enough for i64 - i64).
fn reference<T: Element>(nums: &[T], target: i64) -> Option<(usize, usize)> {
    let mut seen = HashMap::new();
    for (i, &num) in nums.iter().enumerate() {
        let num = i128::from(Into::<i64>::into(num));
        if let Some(&j) = seen.get(&(i128::from(target) - num)) {
            return Some((j, i));
        }
        seen.insert(num, i);
    }
    None
}

fn search<T: Element>(nums: &[T], target: i64) -> Option<(usize, usize)> {
    search_seeded(nums, target, 0)
}

fn search_seeded<T: Element>(nums: &[T], target: i64, seed: u64) -> Option<(usize, usize)> {
    let mut table = vec![0; table_len(nums.len() as u32) as usize];
    find_pair(T::numbers(nums), target, seed, &mut table)
}

fn agrees<T: Element>(nums: &[T], target: i64) {
    assert_eq!(
        search(nums, target),
        reference(nums, target),
        "nums {nums:?}, target {target}"
    );
}

#[test]
fn empty_and_single_have_no_pair() {
    assert_eq!(search::<i32>(&[], 0), None);
    assert_eq!(
        search(&[5i32], 10),
        None,
        "an element never pairs with itself"
    );
    assert_eq!(search(&[5i64], 10), None);
}

#[test]
fn classic_cases() {
    assert_eq!(search(&[2i32, 7, 11, 15], 9), Some((0, 1)));
    assert_eq!(search(&[3i32, 2, 4], 6), Some((1, 2)));
    assert_eq!(search(&[3i64, 3], 6), Some((0, 1)));
    assert_eq!(search(&[1i32, 2, 3], 100), None);
}

#[test]
fn duplicates_answer_with_the_latest_earlier_index() {
    // seen[num] = i overwrites: 1 at index 2 replaces 1 at index 0.
    assert_eq!(search(&[1i32, 5, 1, 9], 10), Some((2, 3)));
    assert_eq!(search(&[4i32, 4, 4, 4], 8), Some((0, 1)));
    agrees(&[7i32, 0, 7, 0, 7, 3], 10);
    agrees(&[1i64, 1, 1, 2, 2, 2], 3);
}

#[test]
fn int32_edges() {
    let (min, max) = (i32::MIN, i32::MAX);
    assert_eq!(search(&[min, max], -1), Some((0, 1)));
    assert_eq!(search(&[max, max], 2 * i64::from(max)), Some((0, 1)));
    assert_eq!(search(&[min, min], 2 * i64::from(min)), Some((0, 1)));
    assert_eq!(search(&[0, min], i64::from(min)), Some((0, 1)));
    // The complement of MIN against 0 is 2^31: out of range, so simply absent, not wrapped to MIN.
    assert_eq!(search(&[min, min, 5], 0), None);
}

#[test]
fn int32_targets_beyond_int32() {
    assert_eq!(search(&[1i32, i32::MAX], 1 << 31), Some((0, 1)));
    assert_eq!(search(&[-1i32, i32::MIN], -(1 << 31) - 1), Some((0, 1)));
    assert_eq!(search(&[i32::MAX, i32::MAX], i64::MAX), None);
    assert_eq!(search(&[i32::MIN, 0, -1], i64::MIN), None);
    agrees(&[i32::MAX, 1, i32::MIN, -1, 0], 1 << 32);
}

#[test]
fn int64_complements_that_would_overflow_are_absent() {
    let (min, max) = (i64::MIN, i64::MAX);
    assert_eq!(search(&[max, min], -1), Some((0, 1)));
    // MIN - 1 overflows: a wrapping version would find MAX.
    assert_eq!(search(&[max, 1], min), None);
    assert_eq!(
        search(&[-1, max], min),
        None,
        "MIN - MAX doesn't fit; -1 + MAX isn't MIN"
    );
    assert_eq!(search(&[min, 0], min), Some((0, 1)));
    assert_eq!(search(&[max, 0, 1], max), Some((0, 1)));
    agrees(&[max, min, -1, 1, 0, max], max);
}

#[test]
fn keys_differing_only_in_high_bits_still_work() {
    let nums: Vec<i64> = (0..1000).map(|k| k << 40).collect();
    agrees(&nums, (998 << 40) + (999 << 40));
    agrees(&nums, 3);
}

#[test]
fn a_dirty_table_is_cleared_first() {
    let nums = [1i32, 2, 3, 4];
    let wide = [1i64, 2, 3, 4];
    // Every slot taken: by indices in range, out of range, and of the numbers that pair.
    for fill in [1, 3, 4, 5, 100, u32::MAX] {
        let mut table = vec![fill; table_len(4) as usize];
        assert_eq!(find_pair(&nums[..], 7, 0, &mut table), Some((2, 3)));
        table.fill(fill);
        assert_eq!(find_pair(&wide[..], 7, 0, &mut table), Some((2, 3)));
    }
}

#[test]
fn a_table_too_short_or_not_a_power_of_two_gives_none() {
    let nums = [1i32, 2, 3, 4];
    for len in [0, 1, 2, 3, 4, 6, 7, 12] {
        let mut table = vec![0; len];
        assert_eq!(find_pair(&nums[..], 7, 0, &mut table), None, "{len} slots");
    }
    // Any power of two above the count works; `table_len` is just the fast choice.
    assert_eq!(find_pair(&nums[..], 7, 0, &mut [0; 16]), Some((2, 3)));
    assert_eq!(find_pair(&nums[..3], 5, 0, &mut [0; 4]), Some((1, 2)));
}

#[test]
fn zero_is_found_only_once_seen() {
    // Zero is a vacant slot, but slots hold indices plus one: a 0 among the numbers is no vacancy.
    assert_eq!(search(&[5i32, 0], 0), None);
    assert_eq!(search(&[0i32, 5, 0], 0), Some((0, 2)));
    assert_eq!(search(&[0i32, 7], 7), Some((0, 1)));
    assert_eq!(search(&[7i64, 0], 7), Some((0, 1)));
    assert_eq!(search(&[3i64, 4, 0, 0], 0), Some((2, 3)));
    agrees(&[0i32, 1, 0, 2, 0, 3], 3);
}

#[test]
fn table_len_is_a_power_of_two_at_least_twice_the_input() {
    assert_eq!(table_len(0), 1);
    assert_eq!(table_len(1), 2);
    assert_eq!(table_len(3), 8);
    assert_eq!(table_len(1 << 20), 1 << 21);
    assert_eq!(table_len((1 << 31) + 1), 1 << 33);
    assert_eq!(table_len(u32::MAX), 1 << 33);
}

#[test]
fn a_number_and_its_complement_share_a_chain_under_every_seed() {
    // Many pairs summing to the target, so chains hold both members of many pairs.
    let nums: Vec<i64> = (0..2000).flat_map(|k| [k * 7, 1000 - k * 7]).collect();
    for seed in [0, 1, u64::MAX, 0x9E37_79B9_7F4A_7C15, 0xDEAD_BEEF] {
        for target in [1000, 1001, 1002, -3] {
            let expected = reference(&nums, target);
            assert_eq!(
                search_seeded(&nums, target, seed),
                expected,
                "seed {seed:#x}"
            );
        }
    }
}

#[test]
fn inputs_that_collide_under_one_seed_spread_under_another() {
    // Multiples of a power of two all land on the same home slot when the multiplier's low bits
    // are wasted; every seed must still answer, and the answer must not depend on the seed.
    let nums: Vec<i64> = (1..3000).map(|k| k << 44).collect();
    let target = (5 << 44) + (2999 << 44);
    let expected = reference(&nums, target);
    assert!(expected.is_some());
    for seed in [0, 1, 2, 1 << 63, u64::MAX] {
        assert_eq!(
            search_seeded(&nums, target, seed),
            expected,
            "seed {seed:#x}"
        );
    }
}

#[test]
fn a_million_elements() {
    let nums: Vec<i32> = (0..1_000_000).map(|k| k * 3).collect();
    assert_eq!(
        search(&nums, 3 * 999_998 + 3 * 999_999),
        Some((999_998, 999_999))
    );
    assert_eq!(search(&nums, 1), None);
}

/// Small values so that pairs, misses and duplicates are all common.
fn crowded<T: Arbitrary + Copy>(values: impl Strategy<Value = T>) -> impl Strategy<Value = Vec<T>> {
    proptest::collection::vec(values, 0..200)
}

proptest! {
    #[test]
    fn i32_matches_the_reference(nums in crowded(-50i32..50), target in -100i64..100) {
        prop_assert_eq!(search(&nums, target), reference(&nums, target));
    }

    #[test]
    fn i32_extremes_match_the_reference(
        nums in crowded(prop_oneof![Just(i32::MIN), Just(i32::MAX), Just(0), Just(-1), Just(1), any::<i32>()]),
        target in prop_oneof![any::<i64>(), -(1i64 << 33)..(1 << 33)],
    ) {
        prop_assert_eq!(search(&nums, target), reference(&nums, target));
    }

    #[test]
    fn i64_matches_the_reference(
        nums in crowded(prop_oneof![-50i64..50, Just(i64::MIN), Just(i64::MAX), any::<i64>()]),
        target in prop_oneof![-100i64..100, Just(i64::MIN), Just(i64::MAX), Just(-1), any::<i64>()],
    ) {
        prop_assert_eq!(search(&nums, target), reference(&nums, target));
    }

    #[test]
    fn every_seed_gives_the_same_answer(
        nums in crowded(-50i32..50),
        target in -100i64..100,
        seed in any::<u64>(),
    ) {
        prop_assert_eq!(search_seeded(&nums, target, seed), reference(&nums, target));
    }

    #[test]
    fn a_planted_pair_is_found(nums in crowded(any::<i64>()), a in any::<i64>(), b in any::<i64>()) {
        let mut nums = nums;
        nums.push(a);
        nums.push(b);
        let target = a.wrapping_add(b);
        prop_assert_eq!(search(&nums, target), reference(&nums, target));
    }
}

/// What one call of a chunked search said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fed {
    /// The pair, found in this chunk or an earlier one.
    pair: Option<(usize, usize)>,
    /// Whether the chunk holds a 0 or a 1.
    zero_or_one: bool,
}

fn decode(bits: u64) -> Option<(usize, usize)> {
    let first = (bits >> 32) as usize & (MAX_NUMBERS - 1);
    (bits & FOUND != 0).then_some((first, bits as u32 as usize))
}

/// `nums` fed to [`search`] in pieces of the given sizes (cycled), as a host feeds a list: the
/// table starts dirty, and once the pair is found later chunks are only scanned (an empty table).
fn chunked<T: Element>(nums: &[T], target: i64, seed: u64, sizes: &[usize]) -> Vec<Fed> {
    let mut table = vec![7; table_len(nums.len() as u32) as usize];
    let mut fed = Vec::new();
    let mut pair = None;
    let mut end = 0;
    // Sizes of only zeros would never get to the end.
    let sizes = if sizes.iter().all(|&size| size == 0) {
        &[1][..]
    } else {
        sizes
    };
    for &size in sizes.iter().cycle() {
        if end == nums.len() && !fed.is_empty() {
            break;
        }
        let from = end;
        end = (end + size).min(nums.len());
        let table: &mut [u32] = if pair.is_some() { &mut [] } else { &mut table };
        let bits = crate::search(T::numbers(&nums[..end]), from, table, target, seed, true)
            .expect("a good table and start");
        pair = pair.or(decode(bits));
        fed.push(Fed {
            pair,
            zero_or_one: bits & ZERO_OR_ONE != 0,
        });
    }
    fed
}

#[test]
fn a_chunked_search_finds_what_the_whole_search_finds() {
    let nums: Vec<i32> = (0..1000).map(|k| (k * 7919) % 1013 - 500).collect();
    for target in [-3, 0, 1, 17, 999, 5000] {
        let whole = search_seeded(&nums, target, 0);
        for sizes in [&[1][..], &[3, 1, 0, 50], &[1000], &[999, 1], &[0, 7]] {
            let fed = chunked(&nums, target, 11, sizes);
            assert_eq!(
                fed.last().unwrap().pair,
                whole,
                "target {target}, sizes {sizes:?}"
            );
        }
    }
}

#[test]
fn a_pair_straddling_chunks_and_one_inside_the_first() {
    let nums = [10i64, 20, 30, 40, 50, 60];
    // 20 + 50: the pair's elements sit in different chunks.
    let fed = chunked(&nums, 70, 0, &[2, 2, 2]);
    let pairs: Vec<_> = fed.iter().map(|f| f.pair).collect();
    assert_eq!(
        pairs,
        [None, Some((2, 3)), Some((2, 3))],
        "30 + 40 is the first"
    );
    let fed = chunked(&nums, 30, 0, &[3, 3]);
    assert_eq!(fed[0].pair, Some((0, 1)), "found within the first chunk");
    assert_eq!(fed[1].pair, Some((0, 1)), "and kept after it");
}

#[test]
fn zeros_and_ones_are_reported_per_chunk_even_after_the_pair() {
    let nums = [5i32, 5, 2, 1, 7, 0, 9, -1];
    let flags: Vec<_> = chunked(&nums, 10, 0, &[2])
        .iter()
        .map(|f| f.zero_or_one)
        .collect();
    assert_eq!(flags, [false, true, true, false]);
}

#[test]
fn the_scan_covers_the_numbers_past_the_pair_only_when_asked() {
    let nums = [3i32, 4, 1, 9];
    let mut table = [0; 8];
    let stop = crate::search((&nums[..]).into(), 0, &mut table, 7, 0, false).unwrap();
    assert_eq!((decode(stop), stop & ZERO_OR_ONE), (Some((0, 1)), 0));
    let scan = crate::search((&nums[..]).into(), 0, &mut table, 7, 0, true).unwrap();
    assert_eq!(
        (decode(scan), scan & ZERO_OR_ONE),
        (Some((0, 1)), ZERO_OR_ONE)
    );
    let only = crate::search((&nums[..]).into(), 1, &mut [], 7, 0, true).unwrap();
    assert_eq!(only, ZERO_OR_ONE, "an empty table only scans");
}

#[test]
fn a_search_refuses_a_bad_table_or_start() {
    let nums = [1i32, 2, 3, 4];
    let numbers = || Numbers::from(&nums[..]);
    let bad_table = Err(Refused::BadTable);
    assert_eq!(
        crate::search(numbers(), 0, &mut [0; 4], 0, 0, false),
        bad_table,
        "no slot left vacant"
    );
    assert_eq!(
        crate::search(numbers(), 0, &mut [0; 6], 0, 0, false),
        bad_table,
        "not a power of two"
    );
    assert_eq!(
        crate::search(numbers(), 5, &mut [0; 8], 0, 0, false),
        Err(Refused::BadStart)
    );
    assert!(
        crate::search(numbers(), 4, &mut [0; 8], 0, 0, false).is_ok(),
        "nothing left to search"
    );
}

#[test]
fn a_scribbled_table_never_makes_the_search_loop_forever() {
    let nums: Vec<i32> = (0..100).collect();
    let mut table = vec![u32::MAX; 128]; // every slot taken, by an index that is never before `i`
    let bits = crate::search((&nums[..]).into(), 1, &mut table, 1000, 0, false).unwrap();
    assert_eq!(decode(bits), None);
}

proptest! {
    #[test]
    fn any_chunking_matches_the_reference(
        nums in crowded(prop_oneof![-50i64..50, Just(i64::MIN), Just(i64::MAX), Just(0), Just(1)]),
        target in -100i64..100,
        seed in any::<u64>(),
        sizes in proptest::collection::vec(0usize..40, 1..6),
    ) {
        let fed = chunked(&nums, target, seed, &sizes);
        prop_assert_eq!(fed.last().unwrap().pair, reference(&nums, target));
        let any_zero_or_one = fed.iter().any(|f| f.zero_or_one);
        prop_assert_eq!(any_zero_or_one, nums.iter().any(|&n| n == 0 || n == 1));
    }
}
