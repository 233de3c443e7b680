//! miniz_oxide's streaming cores driven into vectors that grow fallibly, so that running out of
//! memory at the instance's cap is an error the host sees, never an abort.
//!
//! The codecs' own state (about 250 KB for the compressor, 11 KB for the decompressor) is
//! allocated by miniz_oxide with `Box`, which aborts when the heap cannot grow. Before the first
//! of each, [`room_for`] takes that much from the heap fallibly and gives it back: dlmalloc keeps
//! what it frees, and every call frees all it took, so from then on the state always fits.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

use miniz_oxide::deflate::core::{
    compress, create_comp_flags_from_zip_params, CompressorOxide, TDEFLFlush, TDEFLStatus,
};
use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

use crate::InflateError;

/// The heap could not grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfMemory;

/// At least what `CompressorOxide::new` allocates (its dictionary, hash chains, LZ buffer and
/// Huffman tables); `tests.rs` measures it.
pub const COMPRESSOR_BYTES: usize = 264 << 10;
/// At least what a boxed `DecompressorOxide` takes, with dlmalloc's chunk overhead.
pub const DECOMPRESSOR_BYTES: usize = core::mem::size_of::<DecompressorOxide>() + 64;

// Plain loads and stores on wasm32 (one thread, no `atomics` feature): safe statics.
static COMPRESSOR_FITS: AtomicBool = AtomicBool::new(false);
static DECOMPRESSOR_FITS: AtomicBool = AtomicBool::new(false);

/// Makes sure `bytes` can be allocated infallibly next, once per instance (see the module doc).
fn room_for(fits: &AtomicBool, bytes: usize) -> Result<(), OutOfMemory> {
    if !fits.load(Ordering::Relaxed) {
        Vec::<u8>::new()
            .try_reserve_exact(bytes)
            .map_err(|_| OutOfMemory)?;
        fits.store(true, Ordering::Relaxed);
    }
    Ok(())
}

/// Appends `bytes` to `out`, failing instead of aborting.
pub fn append(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), OutOfMemory> {
    out.try_reserve(bytes.len()).map_err(|_| OutOfMemory)?;
    out.extend_from_slice(bytes);
    Ok(())
}

/// Zero-extends `out` to `len` bytes (never shrinks it), with exactly that capacity.
fn grow_to(out: &mut Vec<u8>, len: usize) -> Result<(), OutOfMemory> {
    if len > out.len() {
        out.try_reserve_exact(len - out.len())
            .map_err(|_| OutOfMemory)?;
        out.resize(len, 0);
    }
    Ok(())
}

/// Appends the DEFLATE stream of `data` at `level` (0..=10) to `out`, in a zlib wrapper
/// (RFC 1950) if `zlib`.
pub fn deflate(
    out: &mut Vec<u8>,
    mut data: &[u8],
    level: u8,
    zlib: bool,
) -> Result<(), OutOfMemory> {
    room_for(&COMPRESSOR_FITS, COMPRESSOR_BYTES)?;
    let window_bits = if zlib { 15 } else { -15 };
    let flags = create_comp_flags_from_zip_params(level.into(), window_bits, 0);
    let mut compressor = CompressorOxide::new(flags);
    let mut at = out.len();
    // zlib's compressBound: one allocation whatever the data, and no copy as it grows.
    let bound = data.len() + (data.len() >> 12) + (data.len() >> 14) + (data.len() >> 25) + 64;
    grow_to(out, at + bound)?;
    loop {
        let (status, used, written) =
            compress(&mut compressor, data, &mut out[at..], TDEFLFlush::Finish);
        at += written;
        data = data.get(used..).unwrap_or_default();
        match status {
            TDEFLStatus::Done => {
                out.truncate(at);
                return Ok(());
            }
            TDEFLStatus::Okay => grow_to(out, out.len() * 2)?,
            // `BadParam` comes only from a finished or failed compressor, `PutBufFailed` only
            // with a callback: neither happens here, and an error beats a loop or a panic.
            TDEFLStatus::BadParam | TDEFLStatus::PutBufFailed => return Err(OutOfMemory),
        }
    }
}

/// Decompresses the DEFLATE stream at the start of `data` (in a zlib wrapper if `zlib`),
/// appending its output to `out`, which never grows beyond `limit` bytes. Returns how many
/// bytes of `data` the stream took: what follows is not read.
pub fn inflate(
    out: &mut Vec<u8>,
    mut data: &[u8],
    zlib: bool,
    limit: usize,
) -> Result<usize, InflateError> {
    room_for(&DECOMPRESSOR_FITS, DECOMPRESSOR_BYTES)?;
    let mut flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    if zlib {
        flags |= inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER;
    }
    let mut state = Box::<DecompressorOxide>::default();
    // This stream's output starts at `start`: a distance reaching back before it is corrupt.
    let start = out.len();
    let mut at = start;
    let mut taken = 0;
    let first = start.saturating_add(data.len().saturating_mul(4).max(4096));
    grow_to(out, first.min(limit))?;
    loop {
        let (status, used, written) =
            decompress(&mut state, data, &mut out[start..], at - start, flags);
        at += written;
        taken += used;
        data = data.get(used..).unwrap_or_default();
        match status {
            TINFLStatus::Done => {
                out.truncate(at);
                return Ok(taken);
            }
            TINFLStatus::HasMoreOutput => {
                if out.len() >= limit {
                    return Err(InflateError::TooBig);
                }
                grow_to(out, out.len().saturating_mul(2).min(limit))?;
            }
            TINFLStatus::NeedsMoreInput | TINFLStatus::FailedCannotMakeProgress => {
                return Err(InflateError::Truncated)
            }
            TINFLStatus::Adler32Mismatch => return Err(InflateError::BadChecksum),
            _ => return Err(InflateError::Corrupt),
        }
    }
}

impl From<OutOfMemory> for InflateError {
    fn from(_: OutOfMemory) -> Self {
        InflateError::OutOfMemory
    }
}
