use super::*;

/// A few kilobytes that compress well but not trivially.
fn text() -> Vec<u8> {
    (0..4000u32)
        .flat_map(|k| format!("line {} of {}\n", k % 97, k / 13).into_bytes())
        .collect()
}

#[test]
fn every_level_round_trips() {
    let data = text();
    for level in 0..=MAX_LEVEL {
        let packed = compress(&data, level, "raw").unwrap();
        assert_eq!(
            decompress(&packed, "raw", data.len() as u32).unwrap(),
            data,
            "level {level}"
        );
        if level > 0 {
            assert!(
                packed.len() < data.len() / 3,
                "level {level}: {}",
                packed.len()
            );
        }
    }
}

#[test]
fn empty_input_round_trips() {
    let packed = compress(&[], 6, "raw").unwrap();
    assert!(!packed.is_empty(), "even nothing needs a final block");
    assert_eq!(decompress(&packed, "raw", 0).unwrap(), b"");
}

#[test]
fn levels_above_ten_are_refused() {
    for level in [11, 12, 255] {
        assert_eq!(compress(b"x", level, "raw"), Err(DeflateError::BadLevel));
    }
}

#[test]
fn the_limit_is_exact() {
    let data = text();
    let packed = compress(&data, 6, "raw").unwrap();
    let len = data.len() as u32;
    assert_eq!(decompress(&packed, "raw", len).unwrap().len(), data.len());
    assert_eq!(
        decompress(&packed, "raw", len - 1),
        Err(InflateError::TooBig)
    );
    assert_eq!(decompress(&packed, "raw", 0), Err(InflateError::TooBig));
}

#[test]
fn a_bomb_stops_at_the_limit() {
    let zeros = vec![0u8; 8 << 20];
    let bomb = compress(&zeros, 10, "raw").unwrap();
    assert!(bomb.len() < 16 << 10, "{} bytes", bomb.len());
    assert_eq!(decompress(&bomb, "raw", 1 << 20), Err(InflateError::TooBig));
}

#[test]
fn truncated_and_corrupt_streams_fail() {
    let packed = compress(&text(), 6, "raw").unwrap();
    for cut in [0, 1, packed.len() / 2, packed.len() - 1] {
        assert_eq!(
            decompress(&packed[..cut], "raw", 1 << 20),
            Err(InflateError::Truncated),
            "cut at {cut}"
        );
    }
    // Block type 3 is reserved.
    assert_eq!(decompress(&[0x07], "raw", 100), Err(InflateError::Corrupt));
    // A stored block whose length and its complement disagree.
    assert_eq!(
        decompress(&[0x01, 0x05, 0x00, 0x00, 0x00], "raw", 100),
        Err(InflateError::Corrupt)
    );
}

#[test]
fn flipped_bits_never_panic_and_never_pass_silently_long() {
    let data = text();
    let packed = compress(&data, 6, "raw").unwrap();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..500 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut bad = packed.clone();
        let bit = (state % (bad.len() as u64 * 8)) as usize;
        bad[bit / 8] ^= 1 << (bit % 8);
        if let Ok(out) = decompress(&bad, "raw", data.len() as u32) {
            assert!(out.len() <= data.len());
        }
    }
}

const FORMATS: [&str; 3] = ["raw", "zlib", "gzip"];

#[test]
fn every_format_round_trips() {
    let data = text();
    for format in FORMATS {
        for level in [0, 1, 6, 10] {
            let packed = compress(&data, level, format).unwrap();
            let plain = decompress(&packed, format, data.len() as u32).unwrap();
            assert!(plain == data, "{format} level {level}");
        }
        assert_eq!(
            decompress(&compress(b"", 6, format).unwrap(), format, 0).unwrap(),
            b""
        );
    }
}

#[test]
fn unknown_formats_are_refused() {
    for format in ["", "Raw", "deflate", "zlib "] {
        assert_eq!(compress(b"x", 6, format), Err(DeflateError::BadFormat));
        assert_eq!(decompress(b"x", format, 10), Err(InflateError::BadFormat));
    }
}

#[test]
fn wrappers_are_what_the_rfcs_say() {
    let zlib = compress(b"abc", 6, "zlib").unwrap();
    assert_eq!(zlib[0], 0x78, "deflate with a 32 KiB window");
    assert_eq!(u16::from_be_bytes([zlib[0], zlib[1]]) % 31, 0, "FCHECK");
    assert_eq!(
        zlib[zlib.len() - 4..],
        0x024d_0127u32.to_be_bytes(),
        "Adler-32 of abc"
    );
    let gz = compress(b"abc", 6, "gzip").unwrap();
    assert_eq!(gz[..4], [0x1f, 0x8b, 8, 0]);
    assert_eq!(
        gz[gz.len() - 8..gz.len() - 4],
        0x3524_41c2u32.to_le_bytes(),
        "CRC-32 of abc"
    );
    assert_eq!(gz[gz.len() - 4..], 3u32.to_le_bytes());
}

#[test]
fn crc32_matches_the_check_value_at_every_split() {
    let data = b"123456789abcdefghijklmnopq";
    assert_eq!(crc32::update(0, b"123456789"), 0xCBF4_3926);
    let whole = crc32::update(0, data);
    for cut in 0..data.len() {
        assert_eq!(
            crc32::update(crc32::update(0, &data[..cut]), &data[cut..]),
            whole
        );
    }
}

/// A gzip member with every optional header field.
fn gzip_with_fields(data: &[u8]) -> Vec<u8> {
    let plain = compress(data, 6, "gzip").unwrap();
    let mut out = vec![0x1f, 0x8b, 8, 0b0001_1110, 0, 0, 0, 0, 0, 3];
    out.extend_from_slice(&[3, 0, b'x', b'y', b'z']); // FEXTRA
    out.extend_from_slice(b"name.txt\0"); // FNAME
    out.extend_from_slice(b"a comment\0"); // FCOMMENT
    out.extend_from_slice(&[0xAB, 0xCD]); // FHCRC (not checked, as in Python)
    out.extend_from_slice(&plain[10..]);
    out
}

#[test]
fn gzip_reads_optional_fields_and_many_members() {
    let mut data = gzip_with_fields(b"first ");
    data.extend_from_slice(&[0, 0, 0]);
    data.extend(compress(b"second", 1, "gzip").unwrap());
    data.extend(compress(b"", 9, "gzip").unwrap());
    assert_eq!(decompress(&data, "gzip", 100).unwrap(), b"first second");
    assert_eq!(decompress(&data, "gzip", 11), Err(InflateError::TooBig));
    assert_eq!(decompress(b"", "gzip", 0).unwrap(), b"", "no member at all");
}

#[test]
fn gzip_errors_are_what_python_raises() {
    let member = compress(b"hello hello", 6, "gzip").unwrap();
    let cases: [(&[u8], InflateError); 6] = [
        (b"\x1f", InflateError::Corrupt),
        (b"\x1f\x8b\x07\0\0\0\0\0\0\0", InflateError::Corrupt),
        (b"\x1f\x8b\x08\0\0\0", InflateError::Truncated),
        (
            b"\x1f\x8b\x08\x04\0\0\0\0\0\0\x09\0ab",
            InflateError::Truncated,
        ),
        (&member[..member.len() - 1], InflateError::Truncated),
        (b"\0\0", InflateError::Corrupt),
    ];
    for (data, expected) in cases {
        assert_eq!(decompress(data, "gzip", 100), Err(expected), "{data:?}");
    }
    let mut trailing = member.clone();
    trailing.extend_from_slice(b"junk");
    assert_eq!(
        decompress(&trailing, "gzip", 100),
        Err(InflateError::Corrupt)
    );
    for at in [member.len() - 8, member.len() - 1] {
        let mut bad = member.clone();
        bad[at] ^= 1;
        assert_eq!(
            decompress(&bad, "gzip", 100),
            Err(InflateError::BadChecksum)
        );
    }
}

#[test]
fn zlib_checks_its_adler32_and_ignores_what_follows() {
    let mut packed = compress(&text(), 6, "zlib").unwrap();
    let n = packed.len();
    packed.extend_from_slice(b"trailing");
    assert_eq!(decompress(&packed, "zlib", 1 << 20).unwrap(), text());
    packed[n - 1] ^= 1;
    assert_eq!(
        decompress(&packed, "zlib", 1 << 20),
        Err(InflateError::BadChecksum)
    );
    assert_eq!(
        decompress(&packed[..n - 2], "zlib", 1 << 20),
        Err(InflateError::Truncated)
    );
    assert_eq!(
        decompress(b"\x78\x9d", "zlib", 10),
        Err(InflateError::Corrupt),
        "FCHECK"
    );
}

#[test]
fn a_second_member_cannot_reach_into_the_first() {
    // A fixed-Huffman block whose first symbol is a match: distance 1 with no output before it.
    let reach_back = [
        0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255, 0x03, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let mut data = compress(b"aaaa", 6, "gzip").unwrap();
    data.extend_from_slice(&reach_back);
    assert_eq!(decompress(&data, "gzip", 100), Err(InflateError::Corrupt));
}

mod heap {
    //! Live bytes per thread, to measure what the codecs allocate on their own.

    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    std::thread_local! {
        static LIVE: Cell<usize> = const { Cell::new(0) };
        static PEAK: Cell<usize> = const { Cell::new(0) };
    }

    struct Counting;

    // SAFETY: forwards to `System`, only counting.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let live = LIVE.get() + layout.size();
            LIVE.set(live);
            PEAK.set(PEAK.get().max(live));
            // SAFETY: passed on.
            unsafe { System.alloc(layout) }
        }

        unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
            // Saturating: a block may be freed by another thread than its own.
            LIVE.set(LIVE.get().saturating_sub(layout.size()));
            // SAFETY: passed on.
            unsafe { System.dealloc(block, layout) }
        }
    }

    #[global_allocator]
    static COUNTING: Counting = Counting;

    /// The most bytes live at once while `f` runs, beyond those live before.
    pub fn peak_of(f: impl FnOnce()) -> usize {
        let before = LIVE.get();
        PEAK.set(before);
        f();
        PEAK.get() - before
    }
}

#[test]
fn the_room_kept_for_the_codecs_covers_their_state() {
    use miniz_oxide::deflate::core::{create_comp_flags_from_zip_params, CompressorOxide};
    use miniz_oxide::inflate::core::DecompressorOxide;
    for level in [0, 6, 10] {
        let flags = create_comp_flags_from_zip_params(level, 15, 0);
        let state = heap::peak_of(|| drop(CompressorOxide::new(flags)));
        // dlmalloc adds 8 bytes or so to each of the few blocks.
        assert!(
            state + 256 <= codec::COMPRESSOR_BYTES,
            "level {level}: {state} bytes"
        );
        assert!(
            state * 5 / 4 > codec::COMPRESSOR_BYTES,
            "room far too big for {state}"
        );
    }
    let state = heap::peak_of(|| drop(Box::<DecompressorOxide>::default()));
    assert!(state + 16 <= codec::DECOMPRESSOR_BYTES, "{state} bytes");
}
