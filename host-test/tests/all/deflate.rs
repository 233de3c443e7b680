//! The deflate guest through its `#[guest_sdk::export]` ABI (docs/abi.md): round trips in every
//! format, interop with zlib-rs both ways, corrupt and truncated streams, bombs, the memory cap,
//! every hostile argument, and no trace of the data in linear memory once the host resets the
//! arena.

use std::cell::RefCell;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wasmtime::{ensure, Result};

use crate::ensure_eq;
use crate::support::{self, Guest, PAGE};

const BAD_LEVEL: i32 = 1;
const COMPRESS_BAD_FORMAT: i32 = 2;
const COMPRESS_OUT_OF_MEMORY: i32 = 3;
const CORRUPT: i32 = 1;
const TRUNCATED: i32 = 2;
const TOO_BIG: i32 = 3;
const BAD_CHECKSUM: i32 = 4;
const BAD_FORMAT: i32 = 5;
const OUT_OF_MEMORY: i32 = 6;
const BAD_OUT: i32 = -1001;

/// The formats, with zlib's `window_bits` for each.
const FORMATS: [(&str, i32); 3] = [("raw", -15), ("zlib", 15), ("gzip", 31)];

/// A call's status and, when it is 0, the bytes the result record points to: `compress(data,
/// scalar, format)` or `decompress(data, format, scalar)`.
fn call(
    guest: &mut Guest,
    name: &str,
    data: &[u8],
    scalar: i32,
    format: &[u8],
) -> Result<(i32, Vec<u8>)> {
    let input = guest.alloc_bytes(data)?;
    let name_at = guest.alloc_bytes(format)?;
    let out = guest.alloc(16)?;
    let len = u32::try_from(data.len())?;
    let name_len = format.len() as u32;
    let status: i32 = if name == "compress" {
        guest.call(name, (input, len, scalar, name_at, name_len, out))?
    } else {
        guest.call(name, (input, len, name_at, name_len, scalar, out))?
    };
    let result = if status == 0 {
        let record = guest.read(out, 16)?;
        let ptr = u32::from_le_bytes(record[..4].try_into()?);
        let len = u32::from_le_bytes(record[8..12].try_into()?);
        ensure!(ptr != 0 || len == 0, "a null result of {len} bytes");
        guest.read(ptr, len as usize)?
    } else {
        Vec::new()
    };
    guest.reset()?;
    Ok((status, result))
}

fn compress_as(guest: &mut Guest, data: &[u8], level: i32, format: &str) -> Result<Vec<u8>> {
    let (status, packed) = call(guest, "compress", data, level, format.as_bytes())?;
    ensure_eq!(
        status,
        0,
        "compress({} bytes, level {level}, {format})",
        data.len()
    );
    Ok(packed)
}

fn compress(guest: &mut Guest, data: &[u8], level: i32) -> Result<Vec<u8>> {
    compress_as(guest, data, level, "raw")
}

fn decompress_as(
    guest: &mut Guest,
    data: &[u8],
    format: &str,
    max_size: u32,
) -> Result<(i32, Vec<u8>)> {
    call(
        guest,
        "decompress",
        data,
        max_size as i32,
        format.as_bytes(),
    )
}

fn decompress(guest: &mut Guest, data: &[u8], max_size: u32) -> Result<(i32, Vec<u8>)> {
    decompress_as(guest, data, "raw", max_size)
}

/// Text-like bytes: compressible, but not trivially.
fn sample(rng: &mut StdRng, len: usize) -> Vec<u8> {
    let words: [&[u8]; 6] = [b"deflate ", b"wasm ", b"arena ", b"0123 ", b"\n", b"guest "];
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        if rng.random_ratio(1, 8) {
            out.push(rng.random());
        } else {
            out.extend_from_slice(words[rng.random_range(0..words.len())]);
        }
    }
    out.truncate(len);
    out
}

/// zlib-rs's stream at `level`, raw DEFLATE (window bits -15), zlib (15) or gzip (31).
fn zlib_compress(data: &[u8], level: i32, window_bits: i32) -> Result<Vec<u8>> {
    let config = zlib_rs::DeflateConfig {
        window_bits,
        ..zlib_rs::DeflateConfig::new(level)
    };
    let mut out = vec![0; zlib_rs::compress_bound(data.len()) + 64];
    let (packed, code) = zlib_rs::compress_slice(&mut out, data, config);
    ensure!(
        code == zlib_rs::ReturnCode::Ok,
        "zlib-rs compress: {code:?}"
    );
    Ok(packed.to_vec())
}

fn zlib_decompress(data: &[u8], len: usize, window_bits: i32) -> Result<Vec<u8>> {
    let mut out = vec![0; len];
    let config = zlib_rs::InflateConfig { window_bits };
    let (plain, code) = zlib_rs::decompress_slice(&mut out, data, config);
    ensure!(
        code == zlib_rs::ReturnCode::Ok,
        "zlib-rs decompress: {code:?}"
    );
    Ok(plain.to_vec())
}

#[test]
fn every_level_round_trips_and_zlib_rs_agrees() -> Result<()> {
    let mut guest = Guest::new("deflate")?;
    let mut rng = StdRng::seed_from_u64(support::seed("deflate round trip"));
    for len in [0, 1, 100, 65_536, 300_000] {
        let data = sample(&mut rng, len);
        for level in 0..=10 {
            let packed = compress(&mut guest, &data, level)?;
            let (status, plain) = decompress(&mut guest, &packed, len as u32)?;
            ensure_eq!(status, 0, "{len} bytes at level {level}");
            ensure!(
                plain == data,
                "{len} bytes at level {level} came back different"
            );
            ensure!(
                zlib_decompress(&packed, len, -15)? == data,
                "zlib-rs reads the guest's level {level} differently ({len} bytes)"
            );
        }
        for level in [0, 1, 6, 9] {
            let (status, plain) =
                decompress(&mut guest, &zlib_compress(&data, level, -15)?, len as u32)?;
            ensure_eq!(status, 0, "zlib-rs level {level}, {len} bytes");
            ensure!(plain == data, "zlib-rs level {level}: {len} bytes differ");
        }
    }
    Ok(())
}

#[test]
fn every_format_interoperates_with_zlib_rs() -> Result<()> {
    let mut guest = Guest::new("deflate")?;
    let mut rng = StdRng::seed_from_u64(support::seed("deflate formats"));
    for len in [0, 1, 5_000, 200_000] {
        let data = sample(&mut rng, len);
        for (format, bits) in FORMATS {
            for level in [0, 1, 6, 9, 10] {
                let packed = compress_as(&mut guest, &data, level, format)?;
                ensure!(
                    zlib_decompress(&packed, len, bits)? == data,
                    "zlib-rs reads the guest's {format} level {level} differently ({len} bytes)"
                );
            }
            for level in [0, 1, 6, 9] {
                let theirs = zlib_compress(&data, level, bits)?;
                let (status, plain) = decompress_as(&mut guest, &theirs, format, len as u32)?;
                ensure_eq!(status, 0, "zlib-rs {format} level {level}, {len} bytes");
                ensure!(
                    plain == data,
                    "zlib-rs {format} level {level}: {len} bytes differ"
                );
            }
        }
    }
    Ok(())
}

#[test]
fn checksums_and_formats_are_checked() -> Result<()> {
    let mut guest = Guest::new("deflate")?;
    let data = b"checksummed ".repeat(50);
    for (format, _) in &FORMATS[1..] {
        let packed = compress_as(&mut guest, &data, 6, format)?;
        let mut bad = packed.clone();
        let last = bad.len() - if *format == "gzip" { 8 } else { 1 };
        bad[last] ^= 0x10;
        let (status, _) = decompress_as(&mut guest, &bad, format, 10_000)?;
        ensure_eq!(status, BAD_CHECKSUM, "{format}");
        let (status, _) = decompress_as(&mut guest, &packed[..packed.len() - 1], format, 10_000)?;
        ensure_eq!(status, TRUNCATED, "{format} cut short");
    }
    for format in ["", "ZLIB", "gzip\0"] {
        ensure_eq!(
            call(&mut guest, "compress", b"x", 6, format.as_bytes())?.0,
            COMPRESS_BAD_FORMAT,
            "{format:?}"
        );
        ensure_eq!(
            decompress_as(&mut guest, b"x", format, 9)?.0,
            BAD_FORMAT,
            "{format:?}"
        );
    }
    // Not UTF-8: the argument itself is refused.
    ensure_eq!(call(&mut guest, "compress", b"x", 6, b"zl\xffib")?.0, -3);
    ensure_eq!(decompress_as(&mut guest, b"x", "raw", 9)?.0, TRUNCATED);
    Ok(())
}

#[test]
fn random_inputs_round_trip() -> Result<()> {
    let guest = RefCell::new(Guest::new("deflate")?);
    let mut runner = support::proptest_runner("deflate random round trips", 64);
    let strategy = (proptest::collection::vec(any::<u8>(), 0..4096), 0i32..=10);
    runner
        .run(&strategy, |(data, level)| {
            let check = || -> Result<()> {
                let guest = &mut *guest.borrow_mut();
                for (format, _) in FORMATS {
                    let packed = compress_as(guest, &data, level, format)?;
                    let (status, plain) = decompress_as(guest, &packed, format, data.len() as u32)?;
                    ensure_eq!((status, plain), (0, data.clone()), "{format} level {level}");
                }
                Ok(())
            };
            check().map_err(|err| TestCaseError::fail(format!("{err:#}")))
        })
        .map_err(|err| wasmtime::format_err!("{err}"))?;
    Ok(())
}

#[test]
fn bad_levels_are_the_error_variant() -> Result<()> {
    let mut guest = Guest::new("deflate")?;
    for level in [11, 12, 255] {
        ensure_eq!(
            call(&mut guest, "compress", b"x", level, b"raw")?.0,
            BAD_LEVEL,
            "level {level}"
        );
    }
    // Not a u8 at all: the argument itself is refused.
    for level in [256, -1, i32::MIN] {
        ensure_eq!(
            call(&mut guest, "compress", b"x", level, b"raw")?.0,
            -2,
            "level {level}"
        );
    }
    Ok(())
}

#[test]
fn corrupt_and_truncated_streams_fail_cleanly() -> Result<()> {
    let mut guest = Guest::new("deflate")?;
    let seed = support::seed("deflate corruption");
    let mut rng = StdRng::seed_from_u64(seed);
    let data = sample(&mut rng, 20_000);
    let packed = compress(&mut guest, &data, 6)?;
    for cut in [0, 1, 2, packed.len() / 3, packed.len() - 1] {
        let (status, _) = decompress(&mut guest, &packed[..cut], 1 << 20)?;
        ensure_eq!(status, TRUNCATED, "cut at {cut} (seed {seed})");
    }
    ensure_eq!(decompress(&mut guest, &[0x07], 100)?.0, CORRUPT);
    let mut failures = 0;
    for _ in 0..300 {
        let mut bad = packed.clone();
        for _ in 0..rng.random_range(1..4) {
            let at = rng.random_range(0..bad.len());
            bad[at] ^= 1 << rng.random_range(0..8);
        }
        let (status, plain) = decompress(&mut guest, &bad, data.len() as u32)?;
        ensure!(
            matches!(status, 0 | CORRUPT | TRUNCATED | TOO_BIG),
            "status {status} (seed {seed})"
        );
        if status == 0 {
            // A flipped bit in a literal can still decode: never to more than the limit.
            ensure!(plain.len() <= data.len(), "seed {seed}");
        } else {
            failures += 1;
        }
    }
    ensure!(
        failures > 100,
        "only {failures} of 300 corruptions failed (seed {seed})"
    );
    Ok(())
}

#[test]
fn a_bomb_stops_at_max_size_and_at_the_memory_cap() -> Result<()> {
    let mut guest = Guest::new("deflate")?;
    let bomb = compress(&mut guest, &vec![0; 16 << 20], 10)?;
    ensure!(bomb.len() < 32 << 10, "{} bytes", bomb.len());
    ensure_eq!(decompress(&mut guest, &bomb, 1 << 20)?.0, TOO_BIG);
    ensure_eq!(decompress(&mut guest, &bomb, (16 << 20) - 1)?.0, TOO_BIG);
    let (status, plain) = decompress(&mut guest, &bomb, 16 << 20)?;
    ensure_eq!((status, plain.len()), (0, 16 << 20));
    // Under an 8 MiB cap, the 16 MiB the limit allows can't be had: an error, not a trap, and
    // the instance carries on.
    let mut capped = Guest::from_module(&support::artifact("deflate")?, Some(8 << 20))?;
    for (format, _) in FORMATS {
        let bomb = compress_as(&mut guest, &vec![0; 16 << 20], 10, format)?;
        let (status, _) = decompress_as(&mut capped, &bomb, format, 16 << 20)?;
        ensure_eq!(status, OUT_OF_MEMORY, "{format} at the cap");
        let (status, plain) = decompress_as(&mut capped, &bomb, format, 1 << 20)?;
        ensure_eq!(
            (status, plain.len()),
            (TOO_BIG, 0),
            "{format} after the cap"
        );
        let packed = compress_as(&mut capped, b"still alive", 6, format)?;
        let (status, plain) = decompress_as(&mut capped, &packed, format, 100)?;
        ensure_eq!((status, plain.as_slice()), (0, &b"still alive"[..]));
    }
    // Compressing 2.5 MiB under a 4 MiB cap: room for the input, not for its output too.
    let mut capped = Guest::from_module(&support::artifact("deflate")?, Some(4 << 20))?;
    let (status, _) = call(&mut capped, "compress", &vec![7; 5 << 19], 6, b"zlib")?;
    ensure!(
        status == COMPRESS_OUT_OF_MEMORY || status == -1000,
        "compress at the cap: status {status}"
    );
    Ok(())
}

/// Raw calls of `decompress(data, len, "raw", max_size, out)` with pointers the host chose.
fn raw(guest: &mut Guest, data: u32, len: u32, max_size: u32, out: u32) -> Result<i32> {
    let format = guest.alloc_bytes(b"raw")?;
    guest.call(
        "decompress",
        (data, len, format, 3u32, max_size as i32, out),
    )
}

#[test]
fn hostile_pointers_get_negative_statuses() -> Result<()> {
    let mut guest = Guest::new("deflate")?;
    let packed = compress(&mut guest, b"hello hello hello", 6)?;
    let input = guest.alloc_bytes(&packed)?;
    let len = packed.len() as u32;
    let out = guest.alloc(16)?;
    let end = guest.memory_size() as u32;
    ensure_eq!(raw(&mut guest, input, len, 100, out)?, 0, "the honest call");
    let cases = [
        ("null data", (0, len, out), -1),
        ("data past memory", (end - 4, len, out), -1),
        ("length overflowing", (input, u32::MAX, out), -1),
        ("data the arena never lent", (out + 4096, len, out), -1),
        ("data below the arena (stack)", (1024, len, out), -1),
        ("data over the record", (out, 16, out), -1),
        ("null record", (input, len, 0), BAD_OUT),
        ("misaligned record", (input, len, out + 4), BAD_OUT),
        ("record past memory", (input, len, end - 8), BAD_OUT),
        (
            "record the arena never lent",
            (input, len, out + 4096),
            BAD_OUT,
        ),
    ];
    for (what, (data, len, out), expected) in cases {
        ensure_eq!(raw(&mut guest, data, len, 100, out)?, expected, "{what}");
    }
    ensure_eq!(
        raw(&mut guest, 0, 0, 100, out)?,
        TRUNCATED,
        "null and empty is an empty stream"
    );
    guest.reset()?;
    // After a reset, nothing is lent: the same pointers are refused.
    ensure_eq!(raw(&mut guest, input, len, 100, out)?, BAD_OUT);
    Ok(())
}

#[test]
fn nothing_of_the_data_is_left_after_the_reset() -> Result<()> {
    let mut guest = Guest::new("deflate")?;
    let mut rng = StdRng::seed_from_u64(support::seed("deflate wipe"));
    let secret: Vec<u8> = (0..64).map(|_| rng.random()).collect();
    // Incompressible, so the stream holds the secret verbatim too.
    let mut data = sample(&mut rng, 200_000);
    data.extend_from_slice(&secret);
    data.extend(sample(&mut rng, 50_000));
    for (level, (format, _)) in [0, 6, 10].into_iter().zip(FORMATS) {
        let packed = compress_as(&mut guest, &data, level, format)?;
        ensure!(
            !support::contains(guest.memory_bytes(), &secret),
            "{format} level {level}: compress left the secret in memory"
        );
        let (status, plain) = decompress_as(&mut guest, &packed, format, data.len() as u32)?;
        ensure!(status == 0 && plain == data);
        ensure!(
            !support::contains(guest.memory_bytes(), &secret),
            "{format} level {level}: decompress left the secret in memory"
        );
        // The heap grew for the codec's state; the arena lent what the host reads.
        ensure!(guest.memory_size() > 4 * PAGE);
    }
    Ok(())
}

#[test]
fn the_result_is_in_the_arena_until_the_reset() -> Result<()> {
    let mut guest = Guest::new("deflate")?;
    let data = b"abcabcabcabcabcabcabcabcabcabcabcabc".repeat(100);
    let input = guest.alloc_bytes(&data)?;
    let format = guest.alloc_bytes(b"raw")?;
    let out = guest.alloc(16)?;
    let status: i32 = guest.call("compress", (input, data.len() as u32, 6, format, 3u32, out))?;
    ensure_eq!(status, 0);
    let record = guest.read(out, 16)?;
    let ptr = u32::from_le_bytes(record[..4].try_into()?);
    let len = u32::from_le_bytes(record[8..12].try_into()?);
    ensure!(
        ptr > out && len > 0,
        "result at {ptr:#x}, record at {out:#x}"
    );
    // The next bump_alloc comes after it: the result was taken from the arena.
    let next = guest.alloc(1)?;
    ensure!(
        next >= ptr + len,
        "next allocation {next:#x} overlaps the result"
    );
    let packed = guest.read(ptr, len as usize)?;
    guest.reset()?;
    ensure!(
        guest.read(ptr, len as usize)?.iter().all(|&b| b == 0),
        "the reset left the result"
    );
    ensure!(!packed.is_empty());
    Ok(())
}

#[test]
fn the_artifact_imports_nothing_and_has_no_custom_sections() -> Result<()> {
    let module = support::artifact("deflate")?;
    ensure_eq!(module.imports().count(), 0);
    let bytes = std::fs::read(support::artifact_path("deflate"))?;
    ensure!(bytes.starts_with(b"\0asm\x01\0\0\0"), "not a wasm module");
    let mut at = 8;
    while at < bytes.len() {
        let id = bytes[at];
        let (size, used) = leb128(&bytes[at + 1..])?;
        ensure!(id != 0, "a custom section at offset {at}");
        at += 1 + used + size;
    }
    ensure_eq!(at, bytes.len());
    Ok(())
}

/// An unsigned LEB128 number and how many bytes it took.
fn leb128(bytes: &[u8]) -> Result<(usize, usize)> {
    let mut value = 0usize;
    for (i, &byte) in bytes.iter().enumerate().take(5) {
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    wasmtime::bail!("a malformed section size")
}
