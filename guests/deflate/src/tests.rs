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
        let packed = compress(&data, level).unwrap();
        assert_eq!(
            decompress(&packed, data.len() as u32).unwrap(),
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
    let packed = compress(&[], 6).unwrap();
    assert!(!packed.is_empty(), "even nothing needs a final block");
    assert_eq!(decompress(&packed, 0).unwrap(), b"");
}

#[test]
fn levels_above_ten_are_refused() {
    for level in [11, 12, 255] {
        assert_eq!(compress(b"x", level), Err(DeflateError::BadLevel));
    }
}

#[test]
fn the_limit_is_exact() {
    let data = text();
    let packed = compress(&data, 6).unwrap();
    let len = data.len() as u32;
    assert_eq!(decompress(&packed, len).unwrap().len(), data.len());
    assert_eq!(decompress(&packed, len - 1), Err(InflateError::TooBig));
    assert_eq!(decompress(&packed, 0), Err(InflateError::TooBig));
}

#[test]
fn a_bomb_stops_at_the_limit() {
    let zeros = vec![0u8; 8 << 20];
    let bomb = compress(&zeros, 10).unwrap();
    assert!(bomb.len() < 16 << 10, "{} bytes", bomb.len());
    assert_eq!(decompress(&bomb, 1 << 20), Err(InflateError::TooBig));
}

#[test]
fn truncated_and_corrupt_streams_fail() {
    let packed = compress(&text(), 6).unwrap();
    for cut in [0, 1, packed.len() / 2, packed.len() - 1] {
        assert_eq!(
            decompress(&packed[..cut], 1 << 20),
            Err(InflateError::Truncated),
            "cut at {cut}"
        );
    }
    // Block type 3 is reserved.
    assert_eq!(decompress(&[0x07], 100), Err(InflateError::Corrupt));
    // A stored block whose length and its complement disagree.
    assert_eq!(
        decompress(&[0x01, 0x05, 0x00, 0x00, 0x00], 100),
        Err(InflateError::Corrupt)
    );
}

#[test]
fn flipped_bits_never_panic_and_never_pass_silently_long() {
    let data = text();
    let packed = compress(&data, 6).unwrap();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..500 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut bad = packed.clone();
        let bit = (state % (bad.len() as u64 * 8)) as usize;
        bad[bit / 8] ^= 1 << (bit % 8);
        if let Ok(out) = decompress(&bad, data.len() as u32) {
            assert!(out.len() <= data.len());
        }
    }
}
