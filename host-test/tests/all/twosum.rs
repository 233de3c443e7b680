//! The twosum guest against a port of the Python reference: random inputs of both widths, edge
//! values, a million elements, every error code, and no trace of the hash table afterwards.

use std::cell::RefCell;
use std::collections::HashMap;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use wasmtime::{ensure, Result, ValType};

use crate::ensure_eq;
use crate::support::{self, Guest, PAGE};

const NO_PAIR: i64 = -1;
const OUT_OF_MEMORY: i64 = -2;
const BAD_ARGUMENTS: i64 = -3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    I32,
    I64,
}

impl Width {
    pub const BOTH: [Width; 2] = [Width::I32, Width::I64];

    pub fn export(self) -> &'static str {
        match self {
            Width::I32 => "twosum_i32",
            Width::I64 => "twosum_i64",
        }
    }

    pub fn size(self) -> u32 {
        match self {
            Width::I32 => 4,
            Width::I64 => 8,
        }
    }

    /// Little-endian elements; for `I32`, `nums` must fit in 32 bits.
    pub fn encode(self, nums: &[i64]) -> Vec<u8> {
        match self {
            Width::I32 => nums
                .iter()
                .flat_map(|&n| i32::try_from(n).expect("an int32 input").to_le_bytes())
                .collect(),
            Width::I64 => nums.iter().flat_map(|&n| n.to_le_bytes()).collect(),
        }
    }
}

/// The Python reference, with Python's unbounded integers, encoded as the guest encodes it.
pub fn reference(nums: &[i64], target: i64) -> i64 {
    let mut seen = HashMap::new();
    for (i, &num) in nums.iter().enumerate() {
        if let Some(&j) = seen.get(&(i128::from(target) - i128::from(num))) {
            return ((j as i64) << 32) | i as i64;
        }
        seen.insert(i128::from(num), i);
    }
    NO_PAIR
}

/// One search, with a seed of its own: every answer must be the same whatever the seed, so each
/// call draws the next from a fixed sequence (reproducible, and never the same seed twice).
pub fn call(guest: &mut Guest, width: Width, nums: u32, len: u32, target: i64) -> Result<i64> {
    thread_local!(static CALLS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) });
    let calls = CALLS.with(|calls| calls.replace(calls.get() + 1));
    call_seeded(guest, width, nums, len, target, splitmix(calls))
}

pub fn call_seeded(
    guest: &mut Guest,
    width: Width,
    nums: u32,
    len: u32,
    target: i64,
    seed: u64,
) -> Result<i64> {
    guest.call(width.export(), (nums, len, target, seed as i64))
}

/// SplitMix64's output function: consecutive counters give unrelated seeds.
fn splitmix(counter: u64) -> u64 {
    let mut z = counter.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Copies `nums` into the arena, runs the search, and resets the arena.
pub fn run(guest: &mut Guest, width: Width, nums: &[i64], target: i64) -> Result<i64> {
    let bytes = width.encode(nums);
    let ptr = guest.alloc(u32::try_from(bytes.len())?)?;
    ensure!(ptr != 0, "bump_alloc({}) failed", bytes.len());
    guest.write(ptr, &bytes)?;
    let result = call(guest, width, ptr, u32::try_from(nums.len())?, target)?;
    guest.reset()?;
    Ok(result)
}

fn check(guest: &mut Guest, width: Width, nums: &[i64], target: i64) -> Result<()> {
    let got = run(guest, width, nums, target)?;
    let want = reference(nums, target);
    ensure_eq!(
        got,
        want,
        "{}({nums:?}, {target}) = {got:#x}, the reference says {want:#x}",
        width.export()
    );
    Ok(())
}

#[test]
fn exports_have_the_documented_signatures() -> Result<()> {
    let module = support::artifact("twosum")?;
    let mut exports: Vec<String> = module
        .exports()
        .map(|export| export.name().to_owned())
        .collect();
    exports.sort();
    ensure_eq!(
        exports,
        [
            "bump_alloc",
            "bump_reset",
            "memory",
            "twosum_begin",
            "twosum_feed",
            "twosum_i32",
            "twosum_i64"
        ],
        "exports: {exports:?}"
    );
    ensure_eq!(module.imports().len(), 0, "the guest imports something");
    for name in ["twosum_i32", "twosum_i64"] {
        let ty = module
            .get_export(name)
            .and_then(|e| e.func().cloned())
            .expect("a function");
        let params: Vec<String> = ty.params().map(|t| t.to_string()).collect();
        let results: Vec<String> = ty.results().map(|t| t.to_string()).collect();
        ensure!(
            params == ["i32", "i32", "i64", "i64"] && results == ["i64"],
            "{name}: {params:?} -> {results:?}"
        );
        ensure!(
            ty.results().all(|t| matches!(t, ValType::I64)),
            "{name} returns i64"
        );
    }
    for (name, want) in [
        (
            "twosum_begin",
            ["i32", "i32", "i32", "i32", "i64", "i64", "i32"].as_slice(),
        ),
        ("twosum_feed", ["i32"].as_slice()),
    ] {
        let ty = module
            .get_export(name)
            .and_then(|e| e.func().cloned())
            .expect("a function");
        let params: Vec<String> = ty.params().map(|t| t.to_string()).collect();
        let results: Vec<String> = ty.results().map(|t| t.to_string()).collect();
        ensure!(
            params == want && results == ["i64"],
            "{name}: {params:?} -> {results:?}"
        );
    }
    Ok(())
}

#[test]
fn the_seed_never_changes_the_answer() -> Result<()> {
    let mut guest = Guest::new("twosum")?;
    // Multiples of 2^40 share their low bits, the worst case for a multiplier that wastes them.
    let nums: Vec<i64> = (1..2000).map(|k| k << 40).collect();
    let target = (7 << 40) + (1999 << 40);
    let want = reference(&nums, target);
    ensure!(want != NO_PAIR);
    let bytes = Width::I64.encode(&nums);
    let ptr = guest.alloc(u32::try_from(bytes.len())?)?;
    guest.write(ptr, &bytes)?;
    for seed in [0, 1, u64::MAX, 1 << 63, 0x9E37_79B9_7F4A_7C15] {
        let got = call_seeded(&mut guest, Width::I64, ptr, nums.len() as u32, target, seed)?;
        ensure_eq!(
            got,
            want,
            "seed {seed:#x}: {got:#x}, the reference says {want:#x}"
        );
    }
    Ok(())
}

#[test]
fn classic_cases() -> Result<()> {
    let mut guest = Guest::new("twosum")?;
    for width in Width::BOTH {
        ensure_eq!(run(&mut guest, width, &[2, 7, 11, 15], 9)?, 1);
        ensure!(run(&mut guest, width, &[3, 2, 4], 6)? == (1 << 32) | 2);
        ensure_eq!(run(&mut guest, width, &[3, 3], 6)?, 1);
        ensure_eq!(run(&mut guest, width, &[1, 2, 3], 100)?, NO_PAIR);
        ensure_eq!(
            run(&mut guest, width, &[5], 10)?,
            NO_PAIR,
            "an element never pairs with itself"
        );
        ensure_eq!(run(&mut guest, width, &[], 0)?, NO_PAIR);
    }
    Ok(())
}

#[test]
fn empty_input_may_be_null() -> Result<()> {
    let mut guest = Guest::new("twosum")?;
    for width in Width::BOTH {
        ensure_eq!(call(&mut guest, width, 0, 0, 5)?, NO_PAIR);
        ensure_eq!(
            call(&mut guest, width, 0, 1, 5)?,
            BAD_ARGUMENTS,
            "null with a length"
        );
    }
    Ok(())
}

#[test]
fn duplicates_pair_with_the_latest_earlier_occurrence() -> Result<()> {
    let mut guest = Guest::new("twosum")?;
    for width in Width::BOTH {
        ensure!(run(&mut guest, width, &[1, 5, 1, 9], 10)? == (2 << 32) | 3);
        check(&mut guest, width, &[7, 0, 7, 0, 7, 3], 10)?;
        check(&mut guest, width, &[4, 4, 4, 4], 8)?;
    }
    Ok(())
}

#[test]
fn int32_edges_and_targets_beyond_int32() -> Result<()> {
    let mut guest = Guest::new("twosum")?;
    let (min, max) = (i64::from(i32::MIN), i64::from(i32::MAX));
    let cases: [(&[i64], i64); 8] = [
        (&[min, max], -1),
        (&[max, max], 2 * max),
        (&[min, min], 2 * min),
        (&[min, min, 5], 0),
        (&[1, max], 1 << 31),
        (&[-1, min], min - 1),
        (&[max, max], i64::MAX),
        (&[min, 0, -1], i64::MIN),
    ];
    for width in Width::BOTH {
        for (nums, target) in cases {
            check(&mut guest, width, nums, target)?;
        }
    }
    ensure_eq!(
        run(&mut guest, Width::I32, &[min, min, 5], 0)?,
        NO_PAIR,
        "0 - MIN is 2^31: absent, not MIN"
    );
    Ok(())
}

#[test]
fn int64_complements_that_would_overflow_are_absent() -> Result<()> {
    let mut guest = Guest::new("twosum")?;
    let (min, max) = (i64::MIN, i64::MAX);
    ensure_eq!(
        run(&mut guest, Width::I64, &[max, 1], min)?,
        NO_PAIR,
        "MIN - 1 must not wrap to MAX"
    );
    ensure_eq!(run(&mut guest, Width::I64, &[-1, max], min)?, NO_PAIR);
    ensure_eq!(run(&mut guest, Width::I64, &[max, min], -1)?, 1);
    check(&mut guest, Width::I64, &[max, min, -1, 1, 0, max], max)?;
    check(&mut guest, Width::I64, &[min, 0, min], min)?;
    Ok(())
}

#[test]
fn a_million_elements() -> Result<()> {
    let mut guest = Guest::new("twosum")?;
    let nums: Vec<i64> = (0..1_000_000).map(|k| k * 3 - 1_500_000).collect();
    for width in Width::BOTH {
        let (a, b) = (nums[999_998], nums[999_999]);
        ensure!(run(&mut guest, width, &nums, a + b)? == (999_998 << 32) | 999_999);
        ensure_eq!(run(&mut guest, width, &nums, 1)?, NO_PAIR);
        let first_pair = nums[3] + nums[500_000];
        check(&mut guest, width, &nums, first_pair)?;
    }
    Ok(())
}

#[test]
fn bad_arguments() -> Result<()> {
    let mut guest = Guest::new("twosum")?;
    for width in Width::BOTH {
        let size = width.size();
        let ptr = guest.alloc_bytes(&width.encode(&[1, 2, 3, 4]))?;
        ensure_eq!(
            call(&mut guest, width, ptr, 4, 3)?,
            1,
            "the well-formed call works"
        );
        for misaligned in [ptr + 1, ptr + 2, ptr + size / 2 + 1] {
            ensure_eq!(
                call(&mut guest, width, misaligned, 2, 3)?,
                BAD_ARGUMENTS,
                "misaligned {misaligned:#x}"
            );
        }
        if width == Width::I64 {
            ensure_eq!(
                call(&mut guest, width, ptr + 4, 2, 3)?,
                BAD_ARGUMENTS,
                "int64s need 8-byte alignment"
            );
        }
        let end = u32::try_from(guest.memory_size())?;
        ensure_eq!(
            call(&mut guest, width, end - size, 1, 0)?,
            NO_PAIR,
            "the last element of memory"
        );
        ensure_eq!(
            call(&mut guest, width, end - size, 2, 0)?,
            BAD_ARGUMENTS,
            "one past memory"
        );
        ensure_eq!(call(&mut guest, width, end, 1, 0)?, BAD_ARGUMENTS);
        ensure_eq!(
            call(&mut guest, width, ptr, u32::MAX / size + 1, 0)?,
            BAD_ARGUMENTS,
            "len * size overflows"
        );
        ensure_eq!(
            call(&mut guest, width, 0xFFFF_FFF0, 0x1000_0000, 0)?,
            BAD_ARGUMENTS,
            "ptr + bytes overflows"
        );
        ensure_eq!(
            call(&mut guest, width, !(size - 1), u32::MAX, 0)?,
            BAD_ARGUMENTS
        );
        guest.reset()?;
    }
    Ok(())
}

#[test]
fn numbers_in_memory_the_arena_has_not_handed_out_are_refused() -> Result<()> {
    let mut guest = Guest::new("twosum")?;
    for width in Width::BOTH {
        // bump_alloc(0) takes no room: the hash table would start right where these numbers are.
        let free = guest.alloc(0)?;
        guest.write(free, &width.encode(&[1, 2, 3]))?;
        ensure_eq!(call(&mut guest, width, free, 3, 5)?, BAD_ARGUMENTS);
        guest.write(free, &[0; 24])?;
        guest.reset()?;
    }
    Ok(())
}

#[test]
fn a_capped_memory_without_room_for_the_table_is_out_of_memory() -> Result<()> {
    let module = support::artifact("twosum")?;
    let initial = Guest::from_module(&module, None)?.memory_size();
    let cap = initial + 8 * PAGE;
    let mut guest = Guest::from_module(&module, Some(cap as usize))?;
    for width in Width::BOTH {
        // The numbers fit, the table (a power of two >= 2n slots of 4 bytes) doesn't.
        let len = (6 * PAGE / u64::from(width.size())) as usize;
        let nums: Vec<i64> = (0..len as i64).collect();
        let ptr = guest.alloc_bytes(&width.encode(&nums))?;
        ensure_eq!(call(&mut guest, width, ptr, len as u32, -5)?, OUT_OF_MEMORY);
        ensure!(guest.memory_size() <= cap);
        guest.reset()?;
        // The arena is intact: a small search still works, and the scope was closed.
        check(&mut guest, width, &[1, 2, 3], 5)?;
    }
    Ok(())
}

#[test]
fn the_hash_table_is_wiped_before_returning() -> Result<()> {
    let mut guest = Guest::new("twosum")?;
    let arena_start = guest.alloc(0)? as usize;
    for width in Width::BOTH {
        for (nums, target) in [
            (vec![5, 1, 9, 2, 7, 3], 12),
            ((1..2000).collect(), 3997),
            ((1..2000).collect(), -1),
        ] {
            let bytes = width.encode(&nums);
            let ptr = guest.alloc_bytes(&bytes)?;
            let before = guest.memory_bytes()[arena_start..].to_vec();
            let result = call(&mut guest, width, ptr, nums.len() as u32, target)?;
            ensure_eq!(result, reference(&nums, target));
            let after = &guest.memory_bytes()[arena_start..];
            ensure_eq!(
                after[..before.len()],
                before[..],
                "the guest left bytes behind in the arena"
            );
            ensure!(
                after[before.len()..].iter().all(|&b| b == 0),
                "the guest left bytes in grown memory"
            );
            // The table was rewound: the next allocation comes right after the input.
            let next = guest.alloc(16)?;
            ensure_eq!(
                next as usize,
                (ptr as usize + bytes.len()).next_multiple_of(16)
            );
            guest.reset()?;
        }
    }
    Ok(())
}

fn inputs(width: Width) -> impl Strategy<Value = (Vec<i64>, i64)> {
    let (lo, hi) = match width {
        Width::I32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
        Width::I64 => (i64::MIN, i64::MAX),
    };
    let crowded = -40i64..40;
    let edges = prop_oneof![
        Just(lo),
        Just(hi),
        Just(0),
        Just(-1),
        Just(1),
        Just(lo + 1),
        Just(hi - 1)
    ];
    let element = prop_oneof![4 => crowded, 2 => edges, 1 => lo..=hi];
    let target = prop_oneof![
        -80i64..80,
        Just(lo + hi),
        (lo..=hi).prop_map(move |t| t.saturating_mul(2)),
        any::<i64>(),
        Just(i64::MIN),
        Just(i64::MAX),
    ];
    (proptest::collection::vec(element, 0..300), target)
}

#[test]
fn random_inputs_match_the_reference() -> Result<()> {
    let guest = RefCell::new(Guest::new("twosum")?);
    for width in Width::BOTH {
        let mut runner = support::proptest_runner(
            &format!("twosum::random_inputs_match_the_reference_{width:?}"),
            400,
        );
        let outcome = runner.run(&inputs(width), |(nums, target)| {
            let got = run(&mut guest.borrow_mut(), width, &nums, target)
                .map_err(|err| TestCaseError::fail(format!("{err:#}")))?;
            prop_assert_eq!(
                got,
                reference(&nums, target),
                "{:?} {:?} target {}",
                width,
                nums,
                target
            );
            Ok(())
        });
        outcome.map_err(|err| wasmtime::format_err!("{err}"))?;
    }
    Ok(())
}
