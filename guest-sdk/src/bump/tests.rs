use std::ops::Range;
use std::vec::Vec;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::Arena;
use crate::fake_memory::FakeMemory;
use crate::memory::{LinearMemory, MEMORY_LIMIT, PAGE};

/// Like a Rust guest: heap right after 1 MiB of stack and some data, 17 initial pages.
const HEAP_BASE: u64 = 0x10_0408;
const INITIAL_PAGES: u64 = 17;
const FIRST: u64 = 0x10_0410;
const INITIAL_END: u64 = INITIAL_PAGES * PAGE;

fn arena(max_pages: u64) -> Arena<FakeMemory> {
    Arena::new(FakeMemory::new(HEAP_BASE, INITIAL_PAGES, max_pages))
}

/// Allocates and asserts success, returning the handed-out byte range.
fn take(arena: &mut Arena<FakeMemory>, size: u32) -> Range<u64> {
    let addr = arena.alloc(size);
    assert_ne!(addr, 0, "bump_alloc({size}) failed");
    u64::from(addr)..u64::from(addr) + u64::from(size)
}

fn reset(arena: &mut Arena<FakeMemory>) {
    // SAFETY: the fake memory holds no Rust references.
    unsafe { arena.reset() }
}

/// What the arena zeroed, adjacent ranges merged: it zeroes a page at a time.
fn zeroed(memory: &FakeMemory) -> Vec<Range<u64>> {
    let mut merged: Vec<Range<u64>> = Vec::new();
    for range in &memory.zeroed {
        match merged.last_mut() {
            Some(last) if last.end == range.start => last.end = range.end,
            _ => merged.push(range.clone()),
        }
    }
    merged
}

#[test]
fn first_allocation_is_the_aligned_heap_base() {
    let mut arena = arena(100);
    assert_eq!(take(&mut arena, 1), FIRST..FIRST + 1);
    assert_eq!(take(&mut arena, 20), FIRST + 16..FIRST + 36);
    assert_eq!(take(&mut arena, 3).start, FIRST + 48);
}

#[test]
fn an_aligned_heap_base_is_used_as_is() {
    let mut arena = Arena::new(FakeMemory::new(0x10_0400, 17, 100));
    assert_eq!(arena.alloc(8), 0x10_0400);
}

#[test]
fn zero_size_gets_a_valid_address_without_taking_room() {
    let mut arena = arena(100);
    assert_eq!(arena.alloc(0), FIRST as u32);
    assert_eq!(arena.alloc(0), FIRST as u32);
    assert_eq!(take(&mut arena, 5).start, FIRST);
    assert_eq!(arena.alloc(0), (FIRST + 16) as u32);
}

#[test]
fn zero_size_at_the_exact_end_of_memory_grows_it() {
    let mut arena = arena(100);
    let rest = (INITIAL_END - FIRST) as u32;
    assert_eq!(take(&mut arena, rest), FIRST..INITIAL_END);
    let grows = arena.memory().grows;
    let addr = u64::from(arena.alloc(0));
    assert!(
        addr >= INITIAL_END && addr < arena.memory().size(),
        "{addr:#x} not in memory"
    );
    assert_eq!(arena.memory().grows, grows + 1);
}

#[test]
fn growth_continues_where_memory_ended() {
    let mut arena = arena(100);
    let big = take(&mut arena, 3 * PAGE as u32);
    assert_eq!(big.start, FIRST);
    assert_eq!(
        arena.memory().size(),
        (FIRST + 3 * PAGE).div_ceil(PAGE) * PAGE
    );
    assert_eq!(arena.memory().grows, 1);
    assert_eq!(take(&mut arena, 16).start, big.end);
}

#[test]
fn foreign_pages_are_passed_over_and_never_touched() {
    let mut arena = arena(100);
    let mine = take(&mut arena, 1000);
    let theirs = arena.memory_mut().grow_foreign(2, 0xAB);
    let big = take(&mut arena, PAGE as u32);
    assert_eq!(
        big.start, theirs.end,
        "the request starts after the foreign pages"
    );
    // Room left before the foreign pages still serves small requests? No: a bump arena moves on.
    assert!(take(&mut arena, 16).start >= big.end);

    arena.memory_mut().fill(mine.clone(), 1);
    arena.memory_mut().fill(big.clone(), 2);
    reset(&mut arena);
    assert!(arena.memory().all(mine, 0));
    assert!(arena.memory().all(big, 0));
    assert!(arena.memory().all(theirs.clone(), 0xAB));
    for zeroed in &arena.memory().zeroed {
        assert!(
            zeroed.end <= theirs.start || zeroed.start >= theirs.end,
            "zeroed {zeroed:x?}"
        );
    }
}

#[test]
fn growth_by_the_host_before_first_use_is_skipped() {
    let mut memory = FakeMemory::new(HEAP_BASE, INITIAL_PAGES, 100);
    let host = memory.grow_foreign(3, 0x55);
    let mut arena = Arena::new(memory);
    assert_eq!(
        take(&mut arena, 16).start,
        FIRST,
        "the initial memory is still the arena's"
    );
    let past = take(&mut arena, PAGE as u32);
    assert_eq!(past.start, host.end);
    reset(&mut arena);
    assert!(arena.memory().all(host, 0x55));
}

#[test]
fn reset_zeroes_exactly_what_was_handed_out() {
    let mut arena = arena(100);
    let a = take(&mut arena, 40);
    let b = take(&mut arena, 2 * PAGE as u32);
    arena.memory_mut().fill(a.start..b.end, 0xEE);
    reset(&mut arena);
    assert_eq!(zeroed(arena.memory()), std::vec![FIRST..b.end]);
    assert!(arena.memory().all(FIRST..arena.memory().size(), 0));
    let calls = arena.memory().zeroed.len();
    reset(&mut arena);
    assert_eq!(
        arena.memory().zeroed.len(),
        calls,
        "nothing handed out, nothing zeroed"
    );
}

#[test]
fn reset_before_any_allocation_does_nothing() {
    let mut arena = arena(100);
    reset(&mut arena);
    assert!(arena.memory().zeroed.is_empty());
    assert_eq!(take(&mut arena, 1).start, FIRST);
}

#[test]
fn after_reset_the_same_memory_is_handed_out_again() {
    let mut arena = arena(100);
    let sizes = [100, PAGE as u32, 7, 3 * PAGE as u32, 0, 5000];
    let mut first_run = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        if i % 2 == 1 {
            arena.memory_mut().grow_foreign(1, 0x77);
        }
        first_run.push(take(&mut arena, size));
    }
    let grows = arena.memory().grows;
    reset(&mut arena);
    let second_run: Vec<_> = sizes.iter().map(|&size| take(&mut arena, size)).collect();
    assert_eq!(first_run, second_run);
    assert_eq!(arena.memory().grows, grows, "no new memory");
}

#[test]
fn a_request_that_meets_a_foreign_page_starts_past_it() {
    let mut arena = arena(100);
    take(&mut arena, 64);
    arena.memory_mut().grow_foreign(1, 0x77);
    let second = take(&mut arena, PAGE as u32);
    reset(&mut arena);
    // Larger than what is left before the foreign page: served from past it.
    let big = (INITIAL_END - FIRST) as u32 + 1;
    assert_eq!(take(&mut arena, big).start, second.start);
}

#[test]
fn huge_requests_fail_cleanly() {
    let mut arena = arena(65536);
    take(&mut arena, 32);
    for size in [u32::MAX, 0xFFFF_FFF0, 0xFFFF_0000] {
        assert_eq!(arena.alloc(size), 0, "bump_alloc({size:#x})");
    }
    assert_eq!(arena.memory().grows, 0);
    assert_eq!(
        take(&mut arena, 1).start,
        FIRST + 32,
        "failures leave the arena as it was"
    );
}

#[test]
fn a_memory_cap_makes_growth_fail_then_smaller_requests_still_work() {
    let mut arena = arena(INITIAL_PAGES + 2);
    assert_eq!(arena.alloc(3 * PAGE as u32), 0);
    assert_eq!(arena.memory().pages(), INITIAL_PAGES);
    let fits = take(&mut arena, PAGE as u32);
    assert_eq!(fits.start, FIRST);
    arena.memory_mut().set_max_pages(INITIAL_PAGES + 4);
    assert_ne!(arena.alloc(PAGE as u32), 0);
}

#[test]
fn any_number_of_foreign_growths_is_passed_over() {
    let mut arena = arena(1000);
    let mut mine = std::vec![take(&mut arena, 16)];
    let mut theirs = Vec::new();
    for _ in 0..200 {
        theirs.push(arena.memory_mut().grow_foreign(1, 0x11));
        mine.push(take(&mut arena, PAGE as u32));
    }
    for (i, range) in mine.iter().enumerate() {
        arena.memory_mut().fill(range.clone(), i as u8 + 1);
    }
    let grows = arena.memory().grows;
    reset(&mut arena);
    for range in &mine {
        assert!(arena.memory().all(range.clone(), 0));
    }
    for range in &theirs {
        assert!(arena.memory().all(range.clone(), 0x11));
    }
    let again: Vec<_> = (0..=200)
        .map(|i| take(&mut arena, if i == 0 { 16 } else { PAGE as u32 }))
        .collect();
    assert_eq!(again, mine, "the same pages, in the same order");
    assert_eq!(arena.memory().grows, grows, "no new memory");
}

#[test]
fn a_request_spanning_several_pages_starts_past_every_foreign_page_in_the_way() {
    let mut arena = arena(100);
    take(&mut arena, 16);
    // The arena's pages, then someone else's, alternating.
    let mut theirs = Vec::new();
    for _ in 0..3 {
        take(&mut arena, PAGE as u32);
        theirs.push(arena.memory_mut().grow_foreign(1, 0x5A));
    }
    reset(&mut arena);
    // Two pages fit nowhere before the end of memory: they come from fresh pages.
    let pages = arena.memory().pages();
    let two = take(&mut arena, 2 * PAGE as u32);
    assert_eq!(two.start, pages * PAGE);
    // A page fits in the initial memory's rest and the arena's first grown page.
    reset(&mut arena);
    let one = take(&mut arena, PAGE as u32);
    assert_eq!(one.start, FIRST);
    for range in theirs {
        assert!(arena.memory().all(range, 0x5A));
    }
}

#[test]
fn failed_requests_after_foreign_growth_change_nothing() {
    let mut arena = arena(1000);
    take(&mut arena, 16);
    for _ in 0..100 {
        arena.memory_mut().grow_foreign(1, 0x11);
        assert_eq!(arena.alloc(u32::MAX - 64), 0);
    }
    assert_eq!(
        arena.memory().grows,
        0,
        "nothing grown for a failed request"
    );
    assert_eq!(take(&mut arena, 16).start, FIRST + 16);
    let theirs = arena.memory_mut().grow_foreign(1, 0x11);
    assert_eq!(take(&mut arena, PAGE as u32).start, theirs.end);
}

#[test]
fn the_top_of_memory_is_reachable_and_never_wraps() {
    let mut arena = arena(65536);
    take(&mut arena, 16);
    let below = arena.memory().pages();
    let host = arena.memory_mut().grow_foreign(65536 - 2 - below, 0x33);
    let top = take(&mut arena, 2 * PAGE as u32 - 16);
    assert_eq!(top.start, host.end);
    assert!(top.start > 0x8000_0000, "{top:x?}");
    assert_eq!(top.end, MEMORY_LIMIT - 16);
    let last = take(&mut arena, 16);
    assert_eq!(last, MEMORY_LIMIT - 16..MEMORY_LIMIT);
    assert_eq!(
        arena.alloc(0),
        0,
        "no byte left for even an empty allocation to point at"
    );
    assert_eq!(arena.alloc(1), 0);

    arena.memory_mut().fill(top.start..MEMORY_LIMIT, 0x99);
    reset(&mut arena);
    assert!(arena.memory().all(top.start..MEMORY_LIMIT, 0));
    assert!(arena.memory().all(host, 0x33));
    assert_eq!(take(&mut arena, 16).start, FIRST);
}

#[test]
fn a_request_ending_exactly_at_four_gib_fits() {
    let mut arena = arena(65536);
    take(&mut arena, 16);
    let below = arena.memory().pages();
    arena.memory_mut().grow_foreign(65536 - 1 - below, 0x33);
    let top = take(&mut arena, PAGE as u32);
    assert_eq!(top, MEMORY_LIMIT - PAGE..MEMORY_LIMIT);
    assert_eq!(arena.memory().pages(), 65536);
}

#[test]
fn rewinding_to_a_mark_wipes_only_what_came_after() {
    let mut arena = arena(100);
    let before = take(&mut arena, 100);
    arena.memory_mut().fill(before.clone(), 0x42);
    let mark = arena.mark();
    let after = take(&mut arena, 100);
    arena.memory_mut().grow_foreign(1, 0x24);
    let later = take(&mut arena, PAGE as u32);
    arena.memory_mut().fill(after.clone(), 0x43);
    arena.memory_mut().fill(later.clone(), 0x44);
    // SAFETY: the fake memory holds no Rust references.
    unsafe { arena.rewind(mark) };
    assert!(arena.memory().all(before, 0x42));
    assert!(arena.memory().all(after.clone(), 0));
    assert!(arena.memory().all(later.clone(), 0));
    assert_eq!(
        take(&mut arena, 100),
        after,
        "allocation resumes at the mark"
    );
    assert_eq!(
        take(&mut arena, PAGE as u32),
        later,
        "and the memory past the foreign page"
    );
}

/// One step of a random workload.
#[derive(Clone, Debug)]
enum Op {
    Alloc(u32),
    Foreign(u64),
    Mark,
    Rewind,
    Reset,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u32..200).prop_map(Op::Alloc),
        3 => (0u32..3 * PAGE as u32).prop_map(Op::Alloc),
        1 => prop_oneof![Just(u32::MAX), Just(0xFFFF_FFF0), 0x0100_0000u32..].prop_map(Op::Alloc),
        1 => (1u64..3).prop_map(Op::Foreign),
        1 => Just(Op::Mark),
        1 => Just(Op::Rewind),
        1 => Just(Op::Reset),
    ]
}

/// What the arena handed out and what others own, checked after rewinds and at the end.
struct Model {
    /// Live allocations and the byte each was filled with.
    live: Vec<(Range<u64>, u8)>,
    foreign: Vec<Range<u64>>,
    marks: Vec<(super::Mark, usize)>,
}

impl Model {
    fn check_memory(&self, memory: &FakeMemory) {
        for (range, byte) in &self.live {
            assert!(
                memory.all(range.clone(), *byte),
                "allocation {range:x?} was clobbered"
            );
        }
        for range in &self.foreign {
            assert!(
                memory.all(range.clone(), 0xF0),
                "foreign memory {range:x?} was touched"
            );
        }
    }
}

const MAX_PAGES: u64 = 80;

/// Proptest's configuration with `default_cases` cases, unless `PROPTEST_CASES` says otherwise
/// (`cargo xtask fuzz` sets it to run longer).
fn config(default_cases: u32) -> ProptestConfig {
    let mut config = ProptestConfig {
        // Where a failing case is saved, next to this file, and replayed first next time.
        source_file: Some(file!()),
        ..ProptestConfig::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = default_cases;
    }
    config
}

/// Adds `count` to the run's tally (`cargo xtask test` and `fuzz` print it) when
/// `WASMEXT_TALLY` names a file. One append per line, so parallel tests never interleave.
fn tally(kind: &str, what: &str, count: u64) {
    use std::io::Write;
    let Some(path) = std::env::var_os("WASMEXT_TALLY") else {
        return;
    };
    let line = std::format!("{kind}\t{what}\t{count}\n");
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        // Best effort: a lost line only makes the summary undercount.
        let _ = file.write_all(line.as_bytes());
    }
}

#[test]
fn random_workloads_keep_every_promise() {
    let mut runner = proptest::test_runner::TestRunner::new(config(200));
    let cases = std::cell::Cell::new(0u64);
    let steps = std::cell::Cell::new(0u64);
    let result = runner.run(&proptest::collection::vec(op(), 1..120), |ops| {
        cases.set(cases.get() + 1);
        steps.set(steps.get() + ops.len() as u64);
        run_workload(ops)
    });
    tally("property examples", "guest-sdk arena vs model", cases.get());
    tally("arena operations", "guest-sdk arena vs model", steps.get());
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

/// Runs one random workload against the model; fails at the first broken promise.
fn run_workload(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut arena = arena(MAX_PAGES);
    let mut model = Model {
        live: Vec::new(),
        foreign: Vec::new(),
        marks: Vec::new(),
    };
    for (step, op) in ops.into_iter().enumerate() {
        match op {
            Op::Alloc(size) => {
                let addr = u64::from(arena.alloc(size));
                let memory = arena.memory();
                if addr == 0 {
                    let needed = (u64::from(size) + 16).div_ceil(PAGE);
                    let justified = memory.pages() + needed > MAX_PAGES;
                    prop_assert!(justified, "bump_alloc({size}) failed with room to grow");
                    continue;
                }
                let range = addr..addr + u64::from(size);
                prop_assert_eq!(addr % 16, 0);
                prop_assert!(addr < memory.size() && range.end <= memory.size());
                prop_assert!(memory.all(range.clone(), 0), "{range:x?} handed out dirty");
                for (other, _) in &model.live {
                    prop_assert!(
                        range.end <= other.start || other.end <= range.start || range.is_empty()
                    );
                }
                for other in &model.foreign {
                    prop_assert!(range.end <= other.start || other.end <= range.start);
                    prop_assert!(
                        !other.contains(&addr),
                        "{addr:#x} points into foreign memory"
                    );
                }
                let byte = (step % 200) as u8 + 1;
                arena.memory_mut().fill(range.clone(), byte);
                model.live.push((range, byte));
            }
            Op::Foreign(pages) => {
                if arena.memory().pages() + pages <= MAX_PAGES {
                    model
                        .foreign
                        .push(arena.memory_mut().grow_foreign(pages, 0xF0));
                }
            }
            Op::Mark => model.marks.push((arena.mark(), model.live.len())),
            Op::Rewind => {
                if let Some((mark, live)) = model.marks.pop() {
                    // SAFETY: the fake memory holds no Rust references.
                    unsafe { arena.rewind(mark) };
                    for (range, _) in model.live.drain(live..) {
                        prop_assert!(arena.memory().all(range, 0));
                    }
                    model.check_memory(arena.memory());
                }
            }
            Op::Reset => {
                reset(&mut arena);
                for (range, _) in model.live.drain(..) {
                    prop_assert!(arena.memory().all(range, 0));
                }
                model.marks.clear();
                model.check_memory(arena.memory());
            }
        }
    }
    model.check_memory(arena.memory());
    Ok(())
}

#[test]
fn handed_out_covers_exactly_what_the_arena_lent() {
    let mut arena = arena(64);
    assert!(arena.handed_out(5..5), "an empty range lends nothing");
    assert!(!arena.handed_out(FIRST..FIRST + 1), "nothing lent yet");
    let first = take(&mut arena, 100);
    assert!(arena.handed_out(first.clone()));
    assert!(
        !arena.handed_out(first.start - 1..first.end),
        "below the base"
    );
    // The padding up to the cursor was passed over, not lent, but it is the arena's and zero.
    assert!(arena.handed_out(first.start..first.end + 12));
    assert!(
        !arena.handed_out(first.start..first.end + 13),
        "past the cursor"
    );
    // Someone else's pages between two requests are not lent, though below the cursor.
    let foreign = arena.memory_mut().grow_foreign(1, 0xF0);
    let far = take(&mut arena, 2 * PAGE as u32);
    assert!(far.start >= foreign.end);
    assert!(arena.handed_out(far.clone()));
    assert!(!arena.handed_out(foreign.start..foreign.start + 1));
    assert!(
        !arena.handed_out(first.start..far.end),
        "spans a foreign page"
    );
    reset(&mut arena);
    assert!(!arena.handed_out(first), "a reset takes everything back");
}
