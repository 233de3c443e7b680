//! The deflate guest: DEFLATE streams (RFC 1951), raw or in a zlib (RFC 1950) or gzip (RFC 1952)
//! wrapper, compressed and decompressed by `miniz_oxide` on the SDK's wiping dlmalloc, exported
//! with `#[guest_sdk::export]`.
//!
//! Results leave through the arena, and every buffer the codec allocated is zeroed when freed,
//! so nothing of the input stays in linear memory after a call and the host's reset. Every
//! vector grows fallibly, so the instance's memory cap is an error variant, never a trap.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::vec::Vec;

mod codec;
mod crc32;
mod gzip;

guest_sdk::export_arena!();

/// The highest compression level (miniz's "uber" level, 10).
pub const MAX_LEVEL: u8 = 10;

/// Why compressing failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, guest_sdk::GuestError)]
pub enum DeflateError {
    /// `level` is above 10.
    BadLevel,
    /// `format` is not "raw", "zlib" or "gzip".
    BadFormat,
    /// The guest's memory cap leaves no room for the codec or the result.
    OutOfMemory,
}

/// Why decompressing failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, guest_sdk::GuestError)]
pub enum InflateError {
    /// The data is not a valid stream of the format.
    Corrupt,
    /// The data ends before the stream does.
    Truncated,
    /// The decompressed data would be longer than `max_size` bytes.
    TooBig,
    /// The stream's checksum (zlib's Adler-32, gzip's CRC-32 or length) does not match its data.
    BadChecksum,
    /// `format` is not "raw", "zlib" or "gzip".
    BadFormat,
    /// The guest's memory cap leaves no room for the codec or the result.
    OutOfMemory,
}

/// A stream's wrapper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Raw,
    Zlib,
    Gzip,
}

impl Format {
    fn parse(name: &str) -> Option<Format> {
        match name {
            "raw" => Some(Format::Raw),
            "zlib" => Some(Format::Zlib),
            "gzip" => Some(Format::Gzip),
            _ => None,
        }
    }
}

/// Compresses `data` at `level` (0 stores, 1 is fastest, 6 is zlib's default, 10 is the smallest
/// and slowest) into a `format` stream: "raw" DEFLATE, "zlib" or "gzip" (one member, no name,
/// time stamp 0).
#[guest_sdk::export]
pub fn compress(data: &[u8], level: u8, format: &str) -> Result<Vec<u8>, DeflateError> {
    if level > MAX_LEVEL {
        return Err(DeflateError::BadLevel);
    }
    let format = Format::parse(format).ok_or(DeflateError::BadFormat)?;
    let mut out = Vec::new();
    let packed = match format {
        Format::Raw | Format::Zlib => codec::deflate(&mut out, data, level, format == Format::Zlib),
        Format::Gzip => codec::append(&mut out, &gzip::header(level))
            .and_then(|()| codec::deflate(&mut out, data, level, false))
            .and_then(|()| {
                let trailer = gzip::trailer(crc32::update(0, data), data.len());
                codec::append(&mut out, &trailer)
            }),
    };
    packed.map_err(|codec::OutOfMemory| DeflateError::OutOfMemory)?;
    Ok(out)
}

/// Decompresses the `format` stream `data` ("raw", "zlib" or "gzip"), refusing to produce more
/// than `max_size` bytes. Accepts what Python's `zlib.decompress(data, -15)`,
/// `zlib.decompress(data)` and `gzip.decompress(data)` accept: bytes after a raw or zlib stream
/// are ignored; gzip data is any number of members, zero bytes between them ignored.
#[guest_sdk::export]
pub fn decompress(data: &[u8], format: &str, max_size: u32) -> Result<Vec<u8>, InflateError> {
    let format = Format::parse(format).ok_or(InflateError::BadFormat)?;
    let limit = max_size as usize;
    let mut out = Vec::new();
    match format {
        Format::Raw | Format::Zlib => {
            codec::inflate(&mut out, data, format == Format::Zlib, limit)?;
        }
        Format::Gzip => gunzip(&mut out, data, limit)?,
    }
    Ok(out)
}

/// Every gzip member of `data`, as `gzip.decompress` reads them.
fn gunzip(out: &mut Vec<u8>, mut data: &[u8], limit: usize) -> Result<(), InflateError> {
    while !data.is_empty() {
        data = data.get(gzip::header_len(data)?..).unwrap_or_default();
        let start = out.len();
        let used = codec::inflate(out, data, false, limit)?;
        data = data.get(used..).unwrap_or_default();
        let (crc, len) = gzip::read_trailer(data)?;
        let member = out.get(start..).unwrap_or_default();
        if crc != crc32::update(0, member) || len != member.len() as u32 {
            return Err(InflateError::BadChecksum);
        }
        data = data.get(gzip::TRAILER..).unwrap_or_default();
        let padding = data.iter().take_while(|&&b| b == 0).count();
        data = data.get(padding..).unwrap_or_default();
    }
    Ok(())
}

#[cfg(test)]
mod tests;
