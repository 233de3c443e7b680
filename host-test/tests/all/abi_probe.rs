//! The `#[guest_sdk::export]` ABI on the abi-probe fixture: one function per kind of type, each
//! called honestly and with every kind of bad argument (docs/abi.md).

use wasmtime::{ensure, Result};

use crate::ensure_eq;
use crate::support::Guest;

const BAD_OUT: i32 = -1001;

fn probe() -> Result<Guest> {
    Guest::new("abi-probe")
}

/// The 16-byte result record at `out`.
fn record(guest: &Guest, out: u32) -> Result<[u8; 16]> {
    Ok(guest.read(out, 16)?.try_into().unwrap())
}

fn slot(record: &[u8; 16]) -> u64 {
    u64::from_le_bytes(record[..8].try_into().unwrap())
}

fn word(record: &[u8; 16], at: usize) -> u32 {
    u32::from_le_bytes(record[at..at + 4].try_into().unwrap())
}

fn i64s(values: &[i64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[test]
fn slices_of_i64_are_counted_in_elements_and_checked() -> Result<()> {
    let mut guest = probe()?;
    let data = guest.alloc_bytes(&i64s(&[1, -5, i64::MAX, 10]))?;
    let out = guest.alloc(16)?;
    let status: i32 = guest.call("sum", (data, 4u32, out))?;
    ensure_eq!(status, 0);
    ensure_eq!(slot(&record(&guest, out)?), i64::MAX.wrapping_add(6) as u64);
    let end = guest.memory_size() as u32;
    for (what, ptr, len, expected) in [
        ("misaligned", data + 4, 1, -1),
        ("longer than lent", data, 5, -1),
        ("overflowing", data, u32::MAX, -1),
        ("past memory", end - 8, 2, -1),
        ("null with a length", 0, 1, -1),
        ("null and empty", 0, 0, 0),
    ] {
        let status: i32 = guest.call("sum", (ptr, len, out))?;
        ensure_eq!(status, expected, "{what}");
    }
    Ok(())
}

#[test]
fn a_mut_slice_is_written_in_place_and_overlaps_nothing() -> Result<()> {
    let mut guest = probe()?;
    let values: Vec<u8> = [1.5f64, -2.0, 0.25]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let data = guest.alloc_bytes(&values)?;
    let out = guest.alloc(16)?;
    let status: i32 = guest.call("scale", (data, 3u32, 2.0f64.to_bits() as i64, out))?;
    ensure_eq!(status, 0);
    let scaled: Vec<f64> = guest
        .read(data, 24)?
        .chunks(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    ensure_eq!(scaled, [3.0, -4.0, 0.5]);
    ensure_eq!(record(&guest, out)?, [0; 16], "() writes nothing");
    // The buffer over the record: refused, and the record left alone.
    let status: i32 = guest.call("scale", (out, 2u32, 0i64, out))?;
    ensure_eq!(status, -1);
    Ok(())
}

#[test]
fn byte_arrays_and_inputs_may_share_memory_but_not_with_the_record() -> Result<()> {
    let mut guest = probe()?;
    let key = guest.alloc_bytes(&[7; 32])?;
    let out = guest.alloc(16)?;
    // `data` is the key itself: shared inputs may overlap.
    let status: i32 = guest.call("keyed_sum", (key, key, 32u32, out))?;
    ensure_eq!((status, slot(&record(&guest, out)?)), (0, 0));
    let status: i32 = guest.call("keyed_sum", (0u32, key, 0u32, out))?;
    ensure_eq!(status, -1, "a null key");
    let status: i32 = guest.call("keyed_sum", (out, key, 0u32, out))?;
    ensure_eq!(status, -1, "a key over the record");
    let status: i32 = guest.call("keyed_sum", (key + 8, key, 0u32, out))?;
    ensure_eq!(status, -1, "a key running past what was lent");
    Ok(())
}

#[test]
fn strings_in_and_out() -> Result<()> {
    let mut guest = probe()?;
    let name = "wörld";
    let data = guest.alloc_bytes(name.as_bytes())?;
    let out = guest.alloc(16)?;
    let status: i32 = guest.call("greet", (data, name.len() as u32, out))?;
    ensure_eq!(status, 0);
    let record = record(&guest, out)?;
    let text = guest.read(word(&record, 0), word(&record, 8) as usize)?;
    ensure_eq!(String::from_utf8(text)?, "Hello, wörld!");
    let bad = guest.alloc_bytes(b"caf\xc3")?;
    let status: i32 = guest.call("greet", (bad, 4u32, out))?;
    ensure_eq!(status, -1, "truncated UTF-8");
    Ok(())
}

#[test]
fn scalars_are_range_checked_and_options_flagged() -> Result<()> {
    let mut guest = probe()?;
    let out = guest.alloc(16)?;
    let status: i32 = guest.call("halve", (-8i32, out))?;
    let got = record(&guest, out)?;
    ensure_eq!((status, slot(&got) as i64, word(&got, 8)), (0, -4, 1));
    guest.write(out, &[0; 16])?;
    let status: i32 = guest.call("halve", (7i32, out))?;
    ensure_eq!((status, record(&guest, out)?), (0, [0; 16]), "None");
    for bad in [128, -129, 1 << 20] {
        let status: i32 = guest.call("halve", (bad, out))?;
        ensure_eq!(status, -1, "i8 {bad}");
    }
    let status: i32 = guest.call("mix", (1i32, 3i32, 1.5f32.to_bits() as i32, out))?;
    ensure_eq!(status, 0);
    ensure_eq!(f32::from_bits(slot(&record(&guest, out)?) as u32), 1.5);
    ensure_eq!(
        guest.call::<_, i32>("mix", (2i32, 0i32, 0i32, out))?,
        -1,
        "bool 2"
    );
    ensure_eq!(
        guest.call::<_, i32>("mix", (0i32, 65536i32, 0i32, out))?,
        -2,
        "u16 65536"
    );
    Ok(())
}

#[test]
fn vectors_come_back_through_the_arena() -> Result<()> {
    let mut guest = probe()?;
    let out = guest.alloc(16)?;
    let status: i32 = guest.call("squares", (5u32, out))?;
    let got = record(&guest, out)?;
    ensure_eq!(status, 0);
    let squares: Vec<u32> = guest
        .read(word(&got, 0), 4 * word(&got, 8) as usize)?
        .chunks(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    ensure_eq!(squares, [1, 4, 9, 16, 25]);
    guest.write(out, &[0xAA; 16])?;
    let status: i32 = guest.call("squares", (0u32, out))?;
    ensure_eq!((status, word(&record(&guest, out)?, 8)), (0, 0), "empty");
    Ok(())
}

#[test]
fn errors_are_one_plus_the_variant() -> Result<()> {
    let mut guest = probe()?;
    let out = guest.alloc(16)?;
    ensure_eq!(guest.call::<_, i32>("nth_square", (0i64, out))?, 1, "Zero");
    ensure_eq!(
        guest.call::<_, i32>("nth_square", (1i64 << 33, out))?,
        2,
        "TooLarge"
    );
    ensure_eq!(
        guest.call::<_, i32>("nth_square", (-1i64, out))?,
        2,
        "u64::MAX"
    );
    ensure_eq!(guest.call::<_, i32>("nth_square", (3i64, out))?, 0);
    ensure_eq!(slot(&record(&guest, out)?), 9);
    Ok(())
}

#[test]
fn every_function_refuses_a_bad_record() -> Result<()> {
    let mut guest = probe()?;
    let out = guest.alloc(16)?;
    let end = guest.memory_size() as u32;
    for bad in [0, out + 4, end - 8, out + 4096, 1024] {
        ensure_eq!(
            guest.call::<_, i32>("nothing", bad)?,
            BAD_OUT,
            "out {bad:#x}"
        );
        ensure_eq!(
            guest.call::<_, i32>("halve", (2i32, bad))?,
            BAD_OUT,
            "out {bad:#x}"
        );
    }
    ensure_eq!(guest.call::<_, i32>("nothing", out)?, 0);
    // Nothing was lent after a reset.
    guest.reset()?;
    ensure_eq!(guest.call::<_, i32>("nothing", out)?, BAD_OUT);
    Ok(())
}

#[test]
fn a_result_too_big_for_the_arena_is_out_of_memory() -> Result<()> {
    let module = crate::support::artifact("abi-probe")?;
    let mut guest = Guest::from_module(&module, Some(4 << 20))?;
    let out = guest.alloc(16)?;
    // 600,000 squares: 2.4 MB in the heap fits under the cap, a copy in the arena doesn't.
    let status: i32 = guest.call("squares", (600_000u32, out))?;
    ensure!(status == -1000, "status {status}");
    Ok(())
}

#[test]
fn byte_sum_reads_bytes_lent_by_the_arena() -> Result<()> {
    let mut guest = probe()?;
    let data = guest.alloc_bytes(&[200; 64])?;
    let out = guest.alloc(16)?;
    ensure_eq!(guest.call::<_, i32>("byte_sum", (data, 64u32, out))?, 0);
    ensure_eq!(slot(&record(&guest, out)?), 64 * 200);
    // The guest's own statics and stack were never lent.
    ensure_eq!(guest.call::<_, i32>("byte_sum", (1024u32, 64u32, out))?, -1);
    Ok(())
}
