//! The arena exports every guest has, through the twosum artifact: alignment, zeroing, growth,
//! reset, and clean failure.

use wasmtime::{ensure, Result};

use crate::ensure_eq;
use crate::support::{self, Guest, PAGE};

fn fill(guest: &mut Guest, ptr: u32, len: usize, byte: u8) -> Result<()> {
    guest.write(ptr, &vec![byte; len])
}

fn is_zero(guest: &Guest, ptr: u32, len: usize) -> Result<bool> {
    Ok(guest.read(ptr, len)?.iter().all(|&b| b == 0))
}

#[test]
fn the_exports_have_the_abi_signatures() -> Result<()> {
    let module = support::artifact("twosum")?;
    let alloc = module
        .get_export("bump_alloc")
        .and_then(|e| e.func().cloned())
        .expect("bump_alloc");
    ensure!(
        alloc.params().map(|t| t.to_string()).eq(["i32"])
            && alloc.results().map(|t| t.to_string()).eq(["i32"])
    );
    let reset = module
        .get_export("bump_reset")
        .and_then(|e| e.func().cloned())
        .expect("bump_reset");
    ensure!(reset.params().len() == 0 && reset.results().len() == 0);
    Ok(())
}

#[test]
fn allocations_are_aligned_disjoint_and_zeroed() -> Result<()> {
    let mut guest = Guest::new("twosum")?;
    let mut previous_end = 0u64;
    for size in (0..200).chain([1000, 4096, 65535, 65536, 65537, 300_000]) {
        let ptr = guest.alloc(size)?;
        ensure!(ptr != 0 && ptr % 16 == 0, "bump_alloc({size}) = {ptr:#x}");
        ensure!(
            u64::from(ptr) >= previous_end,
            "bump_alloc({size}) overlaps the previous allocation"
        );
        ensure!(
            u64::from(ptr) + u64::from(size) <= guest.memory_size(),
            "past the end of memory"
        );
        ensure!(
            is_zero(&guest, ptr, size as usize)?,
            "bump_alloc({size}) handed out dirty memory"
        );
        fill(&mut guest, ptr, size as usize, 0xA5)?;
        previous_end = u64::from(ptr) + u64::from(size);
    }
    Ok(())
}

#[test]
fn zero_size_is_a_valid_pointer_that_takes_no_room() -> Result<()> {
    let mut guest = Guest::new("twosum")?;
    let empty = guest.alloc(0)?;
    ensure!(empty != 0 && empty % 16 == 0 && u64::from(empty) < guest.memory_size());
    ensure_eq!(guest.alloc(0)?, empty);
    ensure_eq!(guest.alloc(1)?, empty, "the empty allocation took no room");
    ensure_eq!(guest.alloc(0)?, empty + 16);
    Ok(())
}

#[test]
fn the_arena_grows_memory_past_its_initial_size() -> Result<()> {
    let mut guest = Guest::new("twosum")?;
    let initial = guest.memory_size();
    let big = 5 * 1024 * 1024;
    let ptr = guest.alloc(big)?;
    ensure!(ptr != 0);
    ensure!(
        guest.memory_size() > initial && u64::from(ptr) + u64::from(big) <= guest.memory_size()
    );
    ensure!(
        guest.memory_size() - (u64::from(ptr) + u64::from(big)) < PAGE,
        "grew more than needed"
    );
    fill(&mut guest, ptr, big as usize, 1)?;
    let next = guest.alloc(16)?;
    ensure!(u64::from(next) >= u64::from(ptr) + u64::from(big));
    Ok(())
}

#[test]
fn reset_zeroes_what_was_handed_out_and_rewinds() -> Result<()> {
    let mut guest = Guest::new("twosum")?;
    let sizes = [24, 100_000, 7, 3 * PAGE as u32, 0, 5000];
    let mut first = Vec::new();
    for &size in &sizes {
        let ptr = guest.alloc(size)?;
        fill(&mut guest, ptr, size as usize, 0xEE)?;
        first.push(ptr);
    }
    let size_before = guest.memory_size();
    guest.reset()?;
    let arena_start = first[0] as usize;
    ensure!(
        guest.memory_bytes()[arena_start..].iter().all(|&b| b == 0),
        "reset left bytes behind"
    );
    for (&size, &ptr) in sizes.iter().zip(&first) {
        ensure_eq!(
            guest.alloc(size)?,
            ptr,
            "after reset, bump_alloc({size}) moved"
        );
    }
    ensure_eq!(
        guest.memory_size(),
        size_before,
        "reusing the memory grows nothing"
    );
    guest.reset()?;
    guest.reset()?;
    ensure_eq!(guest.alloc(16)?, first[0]);
    Ok(())
}

#[test]
fn memory_the_host_grew_is_skipped_and_never_zeroed() -> Result<()> {
    let mut guest = Guest::new("twosum")?;
    let low = guest.alloc(64)?;
    fill(&mut guest, low, 64, 0x11)?;
    let host_start = guest.memory_size();
    guest.grow_memory_to(host_start + 2 * PAGE)?;
    let host_len = (2 * PAGE) as usize;
    fill(&mut guest, host_start as u32, host_len, 0x77)?;
    let high = guest.alloc(PAGE as u32)?;
    ensure!(
        u64::from(high) >= host_start + 2 * PAGE,
        "the arena handed out host memory at {high:#x}"
    );
    fill(&mut guest, high, PAGE as usize, 0x22)?;
    guest.reset()?;
    ensure!(is_zero(&guest, low, 64)? && is_zero(&guest, high, PAGE as usize)?);
    ensure!(
        guest
            .read(host_start as u32, host_len)?
            .iter()
            .all(|&b| b == 0x77),
        "reset zeroed host memory"
    );
    ensure!(
        guest.alloc(64)? == low && guest.alloc(PAGE as u32)? == high,
        "the same addresses are handed out again"
    );
    Ok(())
}

#[test]
fn any_number_of_host_growths_is_passed_over() -> Result<()> {
    let mut guest = Guest::new("twosum")?;
    guest.alloc(16)?;
    // A page of the host's after each page of the arena's: more interleavings than a fixed
    // table of regions would track.
    let mut mine = Vec::new();
    let mut theirs = Vec::new();
    for _ in 0..100 {
        let host = guest.memory_size();
        guest.grow_memory_to(host + PAGE)?;
        fill(&mut guest, host as u32, PAGE as usize, 0x77)?;
        theirs.push(host as u32);
        let ptr = guest.alloc(PAGE as u32)?;
        ensure_eq!(
            u64::from(ptr),
            host + PAGE,
            "{ptr:#x} after host memory at {host:#x}"
        );
        fill(&mut guest, ptr, PAGE as usize, 0x22)?;
        mine.push(ptr);
    }
    let size = guest.memory_size();
    guest.reset()?;
    for &host in &theirs {
        ensure!(
            guest.read(host, PAGE as usize)?.iter().all(|&b| b == 0x77),
            "reset zeroed host memory at {host:#x}"
        );
    }
    guest.alloc(16)?;
    for &ptr in &mine {
        ensure!(is_zero(&guest, ptr, PAGE as usize)?);
        ensure_eq!(guest.alloc(PAGE as u32)?, ptr, "the same pages again");
    }
    ensure_eq!(guest.memory_size(), size, "reusing the pages grows nothing");
    Ok(())
}

#[test]
fn impossible_requests_return_zero() -> Result<()> {
    let mut guest = Guest::new("twosum")?;
    let first = guest.alloc(16)?;
    // What is left below 4 GiB after `first`; one byte more can't be had.
    let room = ((1u64 << 32) - u64::from(first + 16)) as u32;
    for size in [u32::MAX, 0xFFFF_FFF0, room + 1, room + 16] {
        ensure_eq!(guest.alloc(size)?, 0, "bump_alloc({size:#x})");
    }
    // Signed callers see the same: -16 is 0xFFFF_FFF0.
    ensure_eq!(guest.call::<i32, i32>("bump_alloc", -16)?, 0);
    ensure_eq!(
        guest.alloc(16)?,
        first + 16,
        "failures left the arena as it was"
    );
    Ok(())
}

#[test]
fn a_memory_cap_makes_requests_fail_cleanly() -> Result<()> {
    let module = support::artifact("twosum")?;
    let initial = Guest::from_module(&module, None)?.memory_size();
    let cap = initial + 4 * PAGE;
    let mut guest = Guest::from_module(&module, Some(cap as usize))?;
    ensure_eq!(guest.alloc(5 * PAGE as u32)?, 0);
    ensure_eq!(guest.memory_size(), initial, "a failed request grew memory");
    let fits = guest.alloc(3 * PAGE as u32)?;
    ensure!(fits != 0);
    ensure_eq!(guest.alloc(2 * PAGE as u32)?, 0, "past the cap");
    let small = guest.alloc(100)?;
    ensure!(small != 0, "what is left below the cap still serves");
    guest.reset()?;
    ensure_eq!(guest.alloc(3 * PAGE as u32)?, fits);
    Ok(())
}

/// A WAT client in the place of the host, to pin the ABI at the wasm level: it imports the
/// guest's memory and arena, and checks what it gets back with i32 arithmetic.
#[test]
fn a_wasm_client_sees_the_abi() -> Result<()> {
    let client = support::wat(
        r#"(module
            (import "guest" "memory" (memory 0))
            (import "guest" "bump_alloc" (func $alloc (param i32) (result i32)))
            (import "guest" "bump_reset" (func $reset))
            (func (export "check") (result i32)
              (local $a i32) (local $b i32)
              (local.set $a (call $alloc (i32.const 24)))
              (if (i32.eqz (local.get $a)) (then (return (i32.const 1))))
              (if (i32.and (local.get $a) (i32.const 15)) (then (return (i32.const 2))))
              (if (i64.ne (i64.load (local.get $a)) (i64.const 0)) (then (return (i32.const 3))))
              (i64.store (local.get $a) (i64.const -1))
              (local.set $b (call $alloc (i32.const 8)))
              (if (i32.lt_u (local.get $b) (i32.add (local.get $a) (i32.const 24)))
                (then (return (i32.const 4))))
              (if (call $alloc (i32.const -1)) (then (return (i32.const 5))))
              (call $reset)
              (if (i64.ne (i64.load (local.get $a)) (i64.const 0)) (then (return (i32.const 6))))
              (if (i32.ne (call $alloc (i32.const 1)) (local.get $a)) (then (return (i32.const 7))))
              (i32.const 0)))"#,
    )?;
    let mut guest = Guest::new("twosum")?;
    let mut linker = wasmtime::Linker::new(support::engine());
    linker.instance(&mut guest.store, "guest", guest.instance)?;
    let instance = linker.instantiate(&mut guest.store, &client)?;
    let check = instance.get_typed_func::<(), i32>(&mut guest.store, "check")?;
    let failed = check.call(&mut guest.store, ())?;
    ensure_eq!(failed, 0, "the WAT client's check {failed} failed");
    Ok(())
}

/// One step of a random workload on the real arena.
#[derive(Clone, Debug)]
enum Op {
    Alloc(u32),
    /// The host grows memory by this many pages: the arena must skip them, never zero them.
    HostGrow(u64),
    Reset,
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        6 => (0u32..300).prop_map(Op::Alloc),
        3 => (0u32..3 * PAGE as u32).prop_map(Op::Alloc),
        1 => prop_oneof![Just(u32::MAX), Just(0xFFFF_FFF0), 0x0100_0000u32..].prop_map(Op::Alloc),
        1 => (1u64..3).prop_map(Op::HostGrow),
        1 => Just(Op::Reset),
    ]
}

/// Random sequences of allocations, host growth and resets against a model of what the
/// arena promises: aligned, zeroed, disjoint blocks inside memory, host memory never handed
/// out or zeroed, every block zeroed by the reset, and 0 only when the cap leaves no room.
#[test]
fn random_workloads_keep_every_promise() -> Result<()> {
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;

    let module = support::artifact("twosum")?;
    let initial = Guest::from_module(&module, None)?.memory_size();
    let cap = initial + 48 * PAGE;
    let mut runner = support::proptest_runner("arena::random_workloads_keep_every_promise", 48);
    let (cases, steps) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    let fail = |err: wasmtime::Error| TestCaseError::fail(format!("{err:#}"));
    let outcome = runner.run(&proptest::collection::vec(op(), 1..60), |ops| {
        cases.set(cases.get() + 1);
        steps.set(steps.get() + ops.len() as u64);
        let mut guest = Guest::from_module(&module, Some(cap as usize)).map_err(fail)?;
        let mut live: Vec<(u64, u64, u8)> = Vec::new();
        let mut host: Vec<(u64, u64)> = Vec::new();
        for (step, op) in ops.into_iter().enumerate() {
            match op {
                Op::Alloc(size) => {
                    let ptr = u64::from(guest.alloc(size).map_err(fail)?);
                    let memory = guest.memory_size();
                    if ptr == 0 {
                        let needed = (u64::from(size) + 16).div_ceil(PAGE) * PAGE;
                        prop_assert!(memory + needed > cap, "bump_alloc({size}) failed with room");
                        continue;
                    }
                    let end = ptr + u64::from(size);
                    prop_assert!(
                        ptr % 16 == 0 && end <= memory,
                        "{ptr:#x}+{size} in {memory:#x}"
                    );
                    for &(start, stop, _) in &live {
                        prop_assert!(end <= start || stop <= ptr || size == 0, "overlap");
                    }
                    for &(start, stop) in &host {
                        prop_assert!(end <= start || stop <= ptr, "{ptr:#x} in host memory");
                        prop_assert!(ptr < start || ptr >= stop, "{ptr:#x} in host memory");
                    }
                    let block = &guest.memory_bytes()[ptr as usize..end as usize];
                    prop_assert!(block.iter().all(|&b| b == 0), "{ptr:#x} handed out dirty");
                    let byte = (step % 250) as u8 + 1;
                    fill(&mut guest, ptr as u32, size as usize, byte).map_err(fail)?;
                    live.push((ptr, end, byte));
                }
                Op::HostGrow(pages) => {
                    let start = guest.memory_size();
                    if start + pages * PAGE <= cap {
                        guest.grow_memory_to(start + pages * PAGE).map_err(fail)?;
                        let end = start + pages * PAGE;
                        fill(&mut guest, start as u32, (end - start) as usize, 0xF0)
                            .map_err(fail)?;
                        host.push((start, end));
                    }
                }
                Op::Reset => {
                    let memory = guest.memory_bytes();
                    for &(start, stop, byte) in &live {
                        let block = &memory[start as usize..stop as usize];
                        prop_assert!(block.iter().all(|&b| b == byte), "{start:#x} clobbered");
                    }
                    guest.reset().map_err(fail)?;
                    let memory = guest.memory_bytes();
                    for (start, stop, _) in live.drain(..) {
                        let block = &memory[start as usize..stop as usize];
                        prop_assert!(block.iter().all(|&b| b == 0), "{start:#x} not wiped");
                    }
                    for &(start, stop) in &host {
                        let block = &memory[start as usize..stop as usize];
                        prop_assert!(block.iter().all(|&b| b == 0xF0), "host memory zeroed");
                    }
                }
            }
        }
        Ok(())
    });
    support::tally("property examples", "wasm arena vs model", cases.get());
    support::tally("arena operations", "wasm arena vs model", steps.get());
    outcome.map_err(|err| wasmtime::format_err!("{err}"))
}
