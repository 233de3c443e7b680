//! The mixed-alloc fixture: the bump arena and dlmalloc (`Vec`, `Box`) in one guest. Both grow
//! memory; neither may hand out or zero the other's.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wasmtime::{ensure, Result};

use crate::ensure_eq;
use crate::support::{self, Guest, PAGE};

fn fixture() -> Result<Guest> {
    Guest::new("mixed-alloc")
}

/// A heap block of `len` words holding `seed, seed + 1, ...`; returns its byte range.
fn heap_push(guest: &mut Guest, len: u32, seed: u32) -> Result<(u64, u64)> {
    let addr: u32 = guest.call("heap_push", (len, seed))?;
    Ok((u64::from(addr), u64::from(addr) + 4 * u64::from(len)))
}

fn heap_verify(guest: &mut Guest) -> Result<()> {
    let broken: u32 = guest.call("heap_verify", ())?;
    ensure_eq!(broken, 0, "{broken} heap blocks were clobbered");
    Ok(())
}

fn disjoint(a: (u64, u64), b: (u64, u64)) -> bool {
    a.0 == a.1 || b.0 == b.1 || a.1 <= b.0 || b.1 <= a.0
}

#[test]
fn scopes_follow_their_rules_inside_a_module() -> Result<()> {
    let mut guest = fixture()?;
    let failed: u32 = guest.call("scope_rules", ())?;
    ensure_eq!(
        failed,
        0,
        "scope rule {failed} was broken (see scope_rules in the fixture)"
    );
    let again: u32 = guest.call("scope_rules", ())?;
    ensure_eq!(again, 0, "the scopes of the first call were not all closed");
    Ok(())
}

#[test]
fn scope_scratch_arrives_zeroed_and_is_wiped_on_return() -> Result<()> {
    let mut guest = fixture()?;
    for count in [1u32, 1000, 100_000] {
        let addr: i64 = guest.call("scratch_probe", count)?;
        ensure!(addr > 0, "scratch_probe({count}) = {addr}");
        let bytes = guest.read(addr as u32, 8 * count as usize)?;
        ensure!(
            bytes.iter().all(|&b| b == 0),
            "scratch of {count} words left bytes behind"
        );
        let again: i64 = guest.call("scratch_probe", count)?;
        ensure_eq!(again, addr, "the scope rewound: same address again");
    }
    Ok(())
}

#[test]
fn dlmalloc_leaves_the_arenas_first_region_alone() -> Result<()> {
    let mut guest = fixture()?;
    let initial = guest.memory_size();
    let block = heap_push(&mut guest, 10, 1)?;
    ensure!(
        block.0 >= initial,
        "dlmalloc took memory below the initial end ({:#x})",
        block.0
    );
    let first = guest.alloc(16)?;
    ensure!(
        u64::from(first) < initial,
        "the arena's first region starts at __heap_base"
    );
    guest.write(first, &[0xAB; 16])?;
    heap_verify(&mut guest)?;
    Ok(())
}

#[test]
fn interleaved_growth_keeps_both_intact_and_reset_spares_the_heap() -> Result<()> {
    let mut guest = fixture()?;
    let sizes = [100u32, 200_000, 300_000, 64, 2 * PAGE as u32];
    let mut arena = Vec::new();
    let mut heap = Vec::new();
    for (k, &size) in sizes.iter().enumerate() {
        let ptr = guest.alloc(size)?;
        ensure!(ptr != 0 && ptr % 16 == 0);
        guest.write(ptr, &vec![0xA0 + k as u8; size as usize])?;
        arena.push((u64::from(ptr), u64::from(ptr) + u64::from(size)));
        heap.push(heap_push(
            &mut guest,
            20_000 * (k as u32 + 1),
            1000 * k as u32,
        )?);
    }
    for a in &arena {
        for h in &heap {
            ensure!(disjoint(*a, *h), "arena {a:x?} overlaps heap block {h:x?}");
        }
    }
    heap_verify(&mut guest)?;
    for (k, &(start, end)) in arena.iter().enumerate() {
        let bytes = guest.read(start as u32, (end - start) as usize)?;
        ensure!(
            bytes.iter().all(|&b| b == 0xA0 + k as u8),
            "dlmalloc clobbered arena block {k}"
        );
    }
    guest.reset()?;
    heap_verify(&mut guest)?;
    for &(start, end) in &arena {
        ensure!(guest
            .read(start as u32, (end - start) as usize)?
            .iter()
            .all(|&b| b == 0));
    }
    for (&size, &(start, _)) in sizes.iter().zip(&arena) {
        ensure_eq!(
            u64::from(guest.alloc(size)?),
            start,
            "after reset, the same addresses are handed out again"
        );
    }
    let _: () = guest.call("heap_clear", ())?;
    heap_verify(&mut guest)?;
    Ok(())
}

#[test]
fn random_interleavings_never_collide() -> Result<()> {
    let seed = support::seed("mixed_alloc::random_interleavings_never_collide");
    let mut rng = StdRng::seed_from_u64(seed);
    for _round in 0..8 {
        let mut guest = fixture()?;
        let mut arena: Vec<(u64, u64, u8)> = Vec::new();
        let mut heap: Vec<(u64, u64)> = Vec::new();
        for step in 0..60u32 {
            match rng.random_range(0..10) {
                0..=3 => {
                    let size = if rng.random_bool(0.2) {
                        rng.random_range(0..300_000)
                    } else {
                        rng.random_range(0..500)
                    };
                    let ptr = u64::from(guest.alloc(size)?);
                    ensure!(
                        ptr != 0 && ptr % 16 == 0,
                        "seed {seed}: bump_alloc({size}) = {ptr:#x}"
                    );
                    let range = (ptr, ptr + u64::from(size));
                    ensure!(
                        guest
                            .read(ptr as u32, size as usize)?
                            .iter()
                            .all(|&b| b == 0),
                        "seed {seed}: dirty"
                    );
                    let byte = (step % 250) as u8 + 1;
                    guest.write(ptr as u32, &vec![byte; size as usize])?;
                    arena.push((range.0, range.1, byte));
                }
                4..=7 => {
                    let len = if rng.random_bool(0.2) {
                        rng.random_range(0..100_000)
                    } else {
                        rng.random_range(0..100)
                    };
                    heap.push(heap_push(&mut guest, len, step)?);
                }
                8 => {
                    guest.reset()?;
                    for &(start, end, _) in &arena {
                        ensure!(guest
                            .read(start as u32, (end - start) as usize)?
                            .iter()
                            .all(|&b| b == 0));
                    }
                    arena.clear();
                }
                _ => {
                    let _: () = guest.call("heap_clear", ())?;
                    heap.clear();
                }
            }
            heap_verify(&mut guest)?;
            for &(start, end, byte) in &arena {
                let bytes = guest.read(start as u32, (end - start) as usize)?;
                ensure!(
                    bytes.iter().all(|&b| b == byte),
                    "seed {seed}: arena block at {start:#x} clobbered"
                );
                for &h in &heap {
                    ensure!(
                        disjoint((start, end), h),
                        "seed {seed}: arena {start:#x} overlaps heap {h:x?}"
                    );
                }
            }
        }
    }
    Ok(())
}

#[test]
fn under_a_memory_cap_each_fails_cleanly() -> Result<()> {
    let module = support::artifact("mixed-alloc")?;
    let initial = Guest::from_module(&module, None)?.memory_size();
    let mut guest = Guest::from_module(&module, Some((initial + 16 * PAGE) as usize))?;
    ensure_eq!(guest.alloc(20 * PAGE as u32)?, 0);
    let probe: i64 = guest.call("scratch_probe", 20 * PAGE as u32)?;
    ensure_eq!(probe, -2, "scratch_probe past the cap: {probe}");
    ensure!(guest.alloc(4 * PAGE as u32)? != 0);
    heap_push(&mut guest, 1000, 5)?;
    heap_verify(&mut guest)?;
    Ok(())
}
