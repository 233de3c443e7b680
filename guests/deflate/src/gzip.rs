//! The gzip wrapper (RFC 1952) around a raw DEFLATE stream: the header written and skipped, the
//! trailer read. Headers are read as Python's `gzip.decompress` reads them, so this guest accepts
//! what it accepts: the optional fields are skipped, an unterminated name or comment ends at the
//! end of the data, and the header CRC (`FHCRC`) and the reserved flag bits are not checked (the
//! trailer's CRC-32 and length are).

use crate::InflateError;

const MAGIC: [u8; 2] = [0x1F, 0x8B];
const DEFLATE: u8 = 8;
const FHCRC: u8 = 1 << 1;
const FEXTRA: u8 = 1 << 2;
const FNAME: u8 = 1 << 3;
const FCOMMENT: u8 = 1 << 4;
/// "Unknown" operating system, as Python's `gzip.compress` writes.
const OS_UNKNOWN: u8 = 255;

/// The bytes of a member's trailer: CRC-32, then the length modulo 2^32, both little-endian.
pub const TRAILER: usize = 8;

/// A header with no optional fields and no time stamp (so equal inputs give equal outputs);
/// the extra flags say "slowest" or "fastest" as zlib does for levels 9 and 10, and 1.
pub fn header(level: u8) -> [u8; 10] {
    let extra_flags = match level {
        9.. => 2,
        1 => 4,
        _ => 0,
    };
    [
        MAGIC[0],
        MAGIC[1],
        DEFLATE,
        0,
        0,
        0,
        0,
        0,
        extra_flags,
        OS_UNKNOWN,
    ]
}

/// The trailer of a member whose data has this CRC-32 and length.
pub fn trailer(crc: u32, len: usize) -> [u8; TRAILER] {
    let mut bytes = [0; TRAILER];
    bytes[..4].copy_from_slice(&crc.to_le_bytes());
    bytes[4..].copy_from_slice(&(len as u32).to_le_bytes());
    bytes
}

/// The length of the member header that starts `data` (which is not empty).
pub fn header_len(data: &[u8]) -> Result<usize, InflateError> {
    if data.get(..2) != Some(&MAGIC[..]) {
        return Err(InflateError::Corrupt);
    }
    let fixed = data.get(..10).ok_or(InflateError::Truncated)?;
    if fixed[2] != DEFLATE {
        return Err(InflateError::Corrupt);
    }
    let flags = fixed[3];
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let len = data.get(at..at + 2).ok_or(InflateError::Truncated)?;
        at += 2 + usize::from(u16::from_le_bytes([len[0], len[1]]));
        if at > data.len() {
            return Err(InflateError::Truncated);
        }
    }
    for field in [FNAME, FCOMMENT] {
        if flags & field != 0 {
            // Through the terminating NUL, or to the end as Python reads it.
            let rest = &data[at..];
            at += rest
                .iter()
                .position(|&b| b == 0)
                .map_or(rest.len(), |nul| nul + 1);
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
        if at > data.len() {
            return Err(InflateError::Truncated);
        }
    }
    Ok(at)
}

/// The CRC-32 and length a member's trailer (the first [`TRAILER`] bytes of `data`) records.
pub fn read_trailer(data: &[u8]) -> Result<(u32, u32), InflateError> {
    let bytes = data.get(..TRAILER).ok_or(InflateError::Truncated)?;
    let word =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    Ok((word(0), word(4)))
}
