use std::string::String;
use std::vec;
use std::vec::Vec;

use super::*;
use crate::bump::Arena;
use crate::fake_memory::FakeMemory;
use crate::memory::PAGE;

const HEAP_BASE: u64 = 0x1_0000;

/// An arena over two pages, with `lent` bytes handed out: the host's allocations.
fn arena(lent: u32) -> (Arena<FakeMemory>, u32) {
    let mut arena = Arena::new(FakeMemory::new(HEAP_BASE, 2, 4));
    let start = arena.alloc(lent);
    assert_ne!(start, 0);
    (arena, start)
}

/// Arguments whose result record is at `out`, as a shim starts them.
fn args<const N: usize>(
    arena: &Arena<FakeMemory>,
    out: u32,
) -> Result<Args<&Arena<FakeMemory>, N>, i32> {
    let mut args = Args::new(arena);
    args.record(out)?;
    Ok(args)
}

/// A sink that keeps what it is given, at made-up addresses.
#[derive(Default)]
struct Kept {
    copies: Vec<Vec<u8>>,
    full: bool,
}

impl Sink for Kept {
    fn copy(&mut self, bytes: &[u8]) -> Option<u32> {
        assert!(!bytes.is_empty(), "an empty result is never copied");
        if self.full {
            return None;
        }
        self.copies.push(bytes.to_vec());
        Some(0x1000 * self.copies.len() as u32)
    }
}

fn encode(result: impl Return) -> (i32, Record, Kept) {
    let mut sink = Kept::default();
    let mut record = [0; 2];
    let status = result.encode(&mut sink, &mut record);
    (status, record, sink)
}

/// The record's bytes, as the host reads them.
fn bytes(record: &Record) -> [u8; 16] {
    let mut bytes = [0; 16];
    bytes[..8].copy_from_slice(&record[0].to_le_bytes());
    bytes[8..].copy_from_slice(&record[1].to_le_bytes());
    bytes
}

fn slot(record: &Record) -> u64 {
    u64::from_le_bytes(bytes(record)[..8].try_into().unwrap())
}

fn word(record: &Record, at: usize) -> u32 {
    u32::from_le_bytes(bytes(record)[at..at + 4].try_into().unwrap())
}

#[test]
fn the_record_must_be_lent_aligned_and_whole() {
    let (arena, start) = arena(64);
    assert!(args::<1>(&arena, start).is_ok());
    assert!(args::<1>(&arena, start + 48).is_ok());
    for bad in [
        0,
        start + 4,
        start + 56,
        start + 64,
        8,
        2 * PAGE as u32 - 8,
        u32::MAX - 7,
    ] {
        assert_eq!(
            args::<1>(&arena, bad).err(),
            Some(BAD_OUT),
            "out = {bad:#x}"
        );
    }
}

#[test]
fn each_bad_slice_is_refused_with_its_index() {
    let (arena, start) = arena(256);
    let mut args = args::<4>(&arena, start).unwrap();
    assert_eq!(
        args.slice::<u8>(0, 0, 1).err(),
        Some(-1),
        "null with a length"
    );
    assert_eq!(
        args.slice::<u32>(1, start + 18, 1).err(),
        Some(-2),
        "misaligned"
    );
    assert_eq!(
        args.slice::<u64>(2, start + 16, u32::MAX).err(),
        Some(-3),
        "overflowing"
    );
    assert_eq!(
        args.slice::<u8>(3, start + 16, 241).err(),
        Some(-4),
        "past what the arena lent"
    );
    assert_eq!(
        args.slice::<u8>(4, HEAP_BASE as u32 - 8, 4).err(),
        Some(-5),
        "below the arena: the guest's statics or stack"
    );
    assert_eq!(
        args.slice::<u8>(5, 3 * PAGE as u32, 1).err(),
        Some(-6),
        "beyond memory"
    );
    assert!(args.slice::<u8>(6, 0, 0).is_ok(), "null and empty");
    assert!(args.slice::<f64>(7, start + 16, 30).is_ok());
    assert!(args.str(8, start + 16, 240).is_ok());
}

#[test]
fn writable_slices_overlap_nothing() {
    let (arena, start) = arena(256);
    let mut args = args::<5>(&arena, start).unwrap();
    let input = start + 16;
    assert!(args.slice::<u8>(0, input, 32).is_ok());
    assert!(
        args.slice::<u8>(1, input + 8, 32).is_ok(),
        "shared inputs may overlap"
    );
    assert_eq!(
        args.slice_mut::<u8>(2, input + 31, 1).err(),
        Some(-3),
        "a &mut over an input"
    );
    assert_eq!(
        args.slice_mut::<u8>(3, start + 8, 8).err(),
        Some(-4),
        "a &mut over the record"
    );
    assert_eq!(
        args.slice::<u8>(3, start, 1).err(),
        Some(-4),
        "an input over the record"
    );
    assert!(args.slice_mut::<u32>(4, input + 48, 4).is_ok());
    assert_eq!(
        args.slice::<u8>(5, input + 63, 2).err(),
        Some(-6),
        "an input over a &mut"
    );
    assert!(args.slice::<u8>(5, input + 64, 2).is_ok(), "just past it");
}

#[test]
fn arrays_are_never_null_and_must_fit() {
    let (arena, start) = arena(64);
    let mut args = args::<4>(&arena, start).unwrap();
    assert_eq!(args.array::<32>(0, 0).err(), Some(-1));
    assert_eq!(args.array::<32>(1, start + 40).err(), Some(-2));
    assert!(
        args.array::<32>(2, start + 17).is_ok(),
        "bytes need no alignment"
    );
}

#[test]
fn more_pointers_than_declared_are_refused_not_a_panic() {
    let (arena, start) = arena(64);
    let mut args = args::<2>(&arena, start).unwrap();
    assert!(args.slice::<u8>(0, start + 16, 1).is_ok());
    assert_eq!(args.slice::<u8>(1, start + 20, 1).err(), Some(-2));
}

#[test]
fn scalars_out_of_range_are_refused() {
    assert_eq!(lift::<bool>(0, 1), Ok(true));
    assert_eq!(lift::<bool>(0, 0), Ok(false));
    assert_eq!(lift::<bool>(2, 2), Err(-3));
    assert_eq!(lift::<bool>(0, -1), Err(-1));
    assert_eq!(lift::<u8>(0, 255), Ok(255));
    assert_eq!(lift::<u8>(1, 256), Err(-2));
    assert_eq!(lift::<u8>(1, -1), Err(-2));
    assert_eq!(lift::<u16>(0, 65535), Ok(65535));
    assert_eq!(lift::<u16>(0, 65536), Err(-1));
    assert_eq!(lift::<u32>(0, -1), Ok(u32::MAX));
    assert_eq!(lift::<i8>(0, -128), Ok(-128));
    assert_eq!(lift::<i8>(0, 128), Err(-1));
    assert_eq!(lift::<i8>(0, -129), Err(-1));
    assert_eq!(lift::<i16>(0, -32769), Err(-1));
    assert_eq!(lift::<i32>(0, i32::MIN), Ok(i32::MIN));
    assert_eq!(lift::<u64>(0, -1), Ok(u64::MAX));
    assert_eq!(lift::<i64>(0, i64::MIN), Ok(i64::MIN));
    assert_eq!(lift::<f32>(0, 1.5f32.to_bits() as i32), Ok(1.5));
    assert_eq!(lift::<f64>(0, (-2.25f64).to_bits() as i64), Ok(-2.25));
    let nan = lift::<f32>(0, -1).unwrap();
    assert!(nan.is_nan(), "any bits are a float");
}

#[test]
fn strings_must_be_utf8() {
    assert_eq!(utf8(0, "héllo".as_bytes()), Ok("héllo"));
    assert_eq!(utf8(2, b"\xff"), Err(-3));
    assert_eq!(utf8(0, b"ab\xc3"), Err(-1), "a truncated sequence");
}

#[test]
fn scalar_results_fill_the_slot_extended() {
    assert_eq!(slot(&encode(200u8).1), 200);
    assert_eq!(slot(&encode(-1i8).1), u64::MAX);
    assert_eq!(slot(&encode(-2i32).1), (-2i64) as u64);
    assert_eq!(slot(&encode(u32::MAX).1), u64::from(u32::MAX));
    assert_eq!(slot(&encode(true).1), 1);
    assert_eq!(slot(&encode(1.5f32).1), u64::from(1.5f32.to_bits()));
    assert_eq!(slot(&encode(0.1f64).1), 0.1f64.to_bits());
    let (status, record, _) = encode(());
    assert_eq!((status, record), (OK, [0; 2]));
}

#[test]
fn options_flag_some() {
    let (status, record, _) = encode(Some(7u64));
    assert_eq!((status, slot(&record), word(&record, 8)), (OK, 7, 1));
    let (status, record, _) = encode(None::<u64>);
    assert_eq!((status, record), (OK, [0; 2]));
    let (_, record, _) = encode(Some(0i16));
    assert_eq!(
        (slot(&record), word(&record, 8)),
        (0, 1),
        "Some(0) is not None"
    );
}

#[test]
fn vectors_are_copied_out_and_counted_in_elements() {
    let (status, record, sink) = encode(vec![1u32, 2, 3]);
    assert_eq!(status, OK);
    assert_eq!((word(&record, 0), word(&record, 8)), (0x1000, 3));
    assert_eq!(sink.copies, [vec![1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]]);
    let (_, record, sink) = encode(String::from("hé"));
    assert_eq!((word(&record, 0), word(&record, 8)), (0x1000, 3));
    assert_eq!(sink.copies, [vec![b'h', 0xc3, 0xa9]]);
    let (status, record, sink) = encode(Vec::<f64>::new());
    assert_eq!((status, record), (OK, [0; 2]), "empty: null and 0");
    assert!(sink.copies.is_empty());
}

#[test]
fn a_full_arena_is_out_of_memory() {
    let mut sink = Kept {
        full: true,
        ..Kept::default()
    };
    let mut record = [0; 2];
    assert_eq!(vec![1u8].encode(&mut sink, &mut record), OUT_OF_MEMORY);
    assert_eq!(record, [0; 2]);
}

#[derive(Debug)]
enum Failure {
    First,
    Second,
}

impl GuestError for Failure {
    fn code(&self) -> u8 {
        match self {
            Failure::First => 0,
            Failure::Second => 1,
        }
    }
}

#[test]
fn errors_are_statuses_from_one_and_write_nothing() {
    let ok: Result<Vec<u8>, Failure> = Ok(vec![9]);
    let (status, record, _) = encode(ok);
    assert_eq!((status, word(&record, 8)), (OK, 1));
    for (error, expected) in [(Failure::First, 1), (Failure::Second, 2)] {
        let (status, record, sink) = encode(Err::<Vec<u8>, _>(error));
        assert_eq!((status, record), (expected, [0; 2]));
        assert!(sink.copies.is_empty());
    }
    assert_eq!(encode(Err::<(), _>(Failure::First)).0, 1);
}

#[test]
fn status_collapses_early_exits() {
    assert_eq!(status(|| Ok(3)), 3);
    assert_eq!(status(|| Err(rejected(4))), -5);
}
