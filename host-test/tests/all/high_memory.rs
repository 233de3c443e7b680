//! The arena and twosum above 2 GiB and up against 4 GiB, in memory the host grew. Pages are
//! only touched where a test writes, so resident memory stays small.

use wasmtime::{ensure, Result};

use crate::ensure_eq;
use crate::support::{Guest, PAGE};
use crate::twosum::{call_with, reference, Scratch, Width, REJECTED_NUMS};

const TWO_GIB: u64 = 1 << 31;
const FOUR_GIB: u64 = 1 << 32;

/// A twosum guest whose memory the host grew to `addr`, where the arena grows next.
fn guest_grown_to(addr: u64) -> Result<Guest> {
    let mut guest = Guest::new("twosum")?;
    ensure!(guest.alloc(16)? != 0);
    guest.grow_memory_to(addr)?;
    ensure_eq!(guest.memory_size(), addr.next_multiple_of(PAGE));
    Ok(guest)
}

#[test]
fn pointers_above_2_gib_are_ordinary_unsigned_values() -> Result<()> {
    let mut guest = guest_grown_to(TWO_GIB)?;
    // Too big for what is left of the initial memory: the arena grows from where memory ended.
    let high = guest.alloc(PAGE as u32)?;
    ensure_eq!(u64::from(high), TWO_GIB, "{high:#x}");
    // A host reading the result as a signed i32 sees a negative number and must mask it.
    let signed = guest.call::<i32, i32>("bump_alloc", 16)?;
    ensure!(
        signed < 0 && signed as u32 == high + PAGE as u32,
        "bump_alloc as i32: {signed}"
    );
    guest.write(high, b"above two gigabytes")?;
    ensure_eq!(guest.read(high, 19)?, b"above two gigabytes");
    Ok(())
}

#[test]
fn twosum_runs_above_2_gib() -> Result<()> {
    let mut guest = guest_grown_to(TWO_GIB + 3 * PAGE)?;
    let nums: Vec<i64> = (0..20_000).map(|k| (k * 7919) % 100_003 - 50_000).collect();
    for width in Width::BOTH {
        for target in [
            nums[17] + nums[19_999],
            1_000_000,
            nums[5] + nums[6],
            -99_999,
        ] {
            let scratch = Scratch::new(&mut guest, nums.len() as u32)?;
            let ptr = guest.alloc_bytes(&width.encode(&nums))?;
            ensure!(u64::from(ptr) > TWO_GIB, "input at {ptr:#x}");
            ensure!(
                u64::from(scratch.table) > TWO_GIB,
                "table at {:#x}",
                scratch.table
            );
            let got = call_with(
                &mut guest,
                width,
                (ptr, nums.len() as u32),
                scratch,
                target,
                3,
            )?;
            ensure_eq!(
                got,
                Ok(reference(&nums, target)),
                "{} above 2 GiB: {got:x?}",
                width.export()
            );
            guest.reset()?;
        }
    }
    Ok(())
}

#[test]
fn reset_zeroes_the_arena_above_2_gib_and_nothing_of_the_hosts() -> Result<()> {
    let mut guest = Guest::new("twosum")?;
    let low = guest.alloc(64)?;
    let host_start = guest.memory_size();
    guest.grow_memory_to(TWO_GIB)?;
    let canaries = [host_start, host_start + 4096, TWO_GIB - 16];
    for &canary in &canaries {
        guest.write(canary as u32, &[0xC5; 16])?;
    }
    let high = guest.alloc(3 * PAGE as u32)?;
    ensure_eq!(u64::from(high), TWO_GIB);
    guest.write(low, &[1; 64])?;
    guest.write(high, &vec![2; 3 * PAGE as usize])?;
    guest.reset()?;
    ensure!(guest.read(low, 64)?.iter().all(|&b| b == 0));
    ensure!(
        guest.read(high, 3 * PAGE as usize)?.iter().all(|&b| b == 0),
        "high arena memory kept its bytes"
    );
    for &canary in &canaries {
        ensure_eq!(
            guest.read(canary as u32, 16)?,
            [0xC5; 16],
            "reset zeroed host memory at {canary:#x}"
        );
    }
    ensure!(
        guest.alloc(64)? == low && guest.alloc(PAGE as u32)? == high,
        "the same addresses are handed out again"
    );
    Ok(())
}

#[test]
fn an_allocation_can_end_exactly_at_4_gib_and_nothing_wraps() -> Result<()> {
    let mut guest = guest_grown_to(FOUR_GIB - PAGE)?;
    let top = guest.alloc(PAGE as u32 - 16)?;
    ensure_eq!(u64::from(top), FOUR_GIB - PAGE);
    ensure_eq!(guest.memory_size(), FOUR_GIB);
    let last = guest.alloc(16)?;
    ensure_eq!(last, 0xFFFF_FFF0, "the last 16 bytes: {last:#x}");
    ensure_eq!(
        guest.alloc(0)?,
        0,
        "no byte left to point at, and memory can't grow"
    );
    ensure_eq!(guest.alloc(1)?, 0);
    guest.write(last, &[0xFF; 16])?;
    guest.reset()?;
    ensure_eq!(guest.read(last, 16)?, [0; 16]);
    Ok(())
}

#[test]
fn twosum_reads_the_last_bytes_of_a_full_memory() -> Result<()> {
    let mut guest = Guest::new("twosum")?;
    let scratch = Scratch::new(&mut guest, 4)?;
    // The arena's last page is the last of 4 GiB; its last 16 bytes are the numbers.
    guest.grow_memory_to(FOUR_GIB - PAGE)?;
    ensure!(guest.alloc(PAGE as u32 - 16)? != 0);
    let top = guest.alloc(16)?;
    ensure_eq!(u64::from(top), FOUR_GIB - 16);
    ensure_eq!(guest.memory_size(), FOUR_GIB);
    guest.write(top, &Width::I32.encode(&[1, 2, 3, 4]))?;
    let call = |guest: &mut Guest, width, len, target| {
        call_with(guest, width, (top, len), scratch, target, 0)
    };
    ensure_eq!(call(&mut guest, Width::I32, 4, 7)?, Ok((2 << 32) | 3));
    ensure_eq!(
        call(&mut guest, Width::I32, 5, 7)?,
        Err(REJECTED_NUMS),
        "one element past 4 GiB"
    );
    guest.write(top, &Width::I64.encode(&[10, 20]))?;
    ensure_eq!(call(&mut guest, Width::I64, 2, 30)?, Ok(1));
    ensure_eq!(call(&mut guest, Width::I64, 3, 30)?, Err(REJECTED_NUMS));
    ensure_eq!(
        call(&mut guest, Width::I64, u32::MAX, 30)?,
        Err(REJECTED_NUMS)
    );
    ensure_eq!(guest.alloc(3 * PAGE as u32)?, 0, "memory is full");
    Ok(())
}
