//! The deflate guest: raw DEFLATE streams (RFC 1951) compressed and decompressed by
//! `miniz_oxide` on the SDK's wiping dlmalloc, exported with `#[guest_sdk::export]`.
//!
//! Results leave through the arena, and every buffer the codec allocated is zeroed when freed,
//! so nothing of the input stays in linear memory after a call and the host's reset.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::vec::Vec;

use miniz_oxide::inflate::TINFLStatus;

guest_sdk::export_arena!();

/// The highest compression level (miniz's "uber" level, 10).
pub const MAX_LEVEL: u8 = 10;

/// Why compressing failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, guest_sdk::GuestError)]
pub enum DeflateError {
    /// `level` is above 10.
    BadLevel,
}

/// Why decompressing failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, guest_sdk::GuestError)]
pub enum InflateError {
    /// The data is not a valid DEFLATE stream.
    Corrupt,
    /// The stream ends before its last block does.
    Truncated,
    /// The decompressed data would be longer than `max_size` bytes.
    TooBig,
}

/// Compresses `data` into a raw DEFLATE stream at `level`: 0 stores, 1 is fastest, 6 is zlib's
/// default, 10 is the smallest and slowest.
#[guest_sdk::export]
pub fn compress(data: &[u8], level: u8) -> Result<Vec<u8>, DeflateError> {
    if level > MAX_LEVEL {
        return Err(DeflateError::BadLevel);
    }
    Ok(miniz_oxide::deflate::compress_to_vec(data, level))
}

/// Decompresses the raw DEFLATE stream `data`, refusing to produce more than `max_size` bytes.
/// Bytes after the stream's last block are ignored.
#[guest_sdk::export]
pub fn decompress(data: &[u8], max_size: u32) -> Result<Vec<u8>, InflateError> {
    miniz_oxide::inflate::decompress_to_vec_with_limit(data, max_size as usize).map_err(|err| {
        match err.status {
            TINFLStatus::HasMoreOutput => InflateError::TooBig,
            TINFLStatus::FailedCannotMakeProgress | TINFLStatus::NeedsMoreInput => {
                InflateError::Truncated
            }
            _ => InflateError::Corrupt,
        }
    })
}

#[cfg(test)]
mod tests;
