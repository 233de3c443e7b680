//! Authenticated encryption on one packed block: the whole box is one guest call with three
//! scalar arguments, where `crypto_aead_lock` takes eight. For a small box, passing and checking
//! arguments costs the host as much as the encryption, so the Python host uses these two.
//!
//! The block holds the key, nonce, MAC, text and additional data at the offsets below; its
//! table is in `docs/abi.md` ("monocypher", "One AEAD box in one call").
//!
//! `aead_lock_packed(block, text_size, ad_size) -> i32` and
//! `aead_unlock_packed(block, text_size, ad_size) -> i32` return 0, [`FORGED`] (unlock: the
//! text is left as it was) or [`BAD_ARGUMENTS`] (the block is null, or does not fit in linear
//! memory; nothing is touched). They are `crypto_aead_lock`/`crypto_aead_unlock` in place, and
//! wipe nothing beyond what those wipe: the key, and the plain text after an unlock, stay in the
//! block for the host to zero.

use guest_sdk::host::HostSlice;

/// Offset of the key in the block.
pub const KEY: u32 = 0;
/// Offset of the nonce.
pub const NONCE: u32 = 32;
/// Offset of the MAC.
pub const MAC: u32 = 64;
/// Offset of the text; the additional data follows it.
pub const TEXT: u32 = 80;

/// The box failed authentication (unlock only).
pub const FORGED: i32 = -1;
/// The block is null or does not fit in linear memory.
pub const BAD_ARGUMENTS: i32 = -2;

/// The guest addresses of a box's parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts {
    pub key: u32,
    pub nonce: u32,
    pub mac: u32,
    pub text: u32,
    pub ad: u32,
}

impl Parts {
    /// The parts of the block at `block` holding `text_size` bytes of text and `ad_size` of
    /// additional data, if all of it lies within a linear memory of `memory_bytes` bytes.
    pub fn within(block: u32, text_size: u32, ad_size: u32, memory_bytes: u64) -> Option<Self> {
        // In u64: the sizes may add up past 4 GiB, which must fail rather than wrap.
        let size = u64::from(TEXT) + u64::from(text_size) + u64::from(ad_size);
        HostSlice::<u8>::within(block, u32::try_from(size).ok()?, memory_bytes)?;
        // The block is non-empty, so non-null, and ends within 4 GiB: no part's end wraps. An
        // empty text or ad may start exactly at 4 GiB, an address that wraps to 0; Monocypher
        // reads no byte of an empty part, so any address does.
        Some(Self {
            key: block + KEY,
            nonce: block + NONCE,
            mac: block + MAC,
            text: block.wrapping_add(TEXT),
            ad: block.wrapping_add(TEXT).wrapping_add(text_size),
        })
    }
}

#[cfg(target_arch = "wasm32")]
mod exports {
    use super::{Parts, BAD_ARGUMENTS, FORGED};

    unsafe extern "C" {
        fn crypto_aead_lock(
            cipher_text: *mut u8,
            mac: *mut u8,
            key: *const u8,
            nonce: *const u8,
            ad: *const u8,
            ad_size: usize,
            plain_text: *const u8,
            text_size: usize,
        );
        fn crypto_aead_unlock(
            plain_text: *mut u8,
            mac: *const u8,
            key: *const u8,
            nonce: *const u8,
            ad: *const u8,
            ad_size: usize,
            cipher_text: *const u8,
            text_size: usize,
        ) -> i32;
    }

    fn parts(block: u32, text_size: u32, ad_size: u32) -> Option<Parts> {
        let memory_bytes = core::arch::wasm32::memory_size::<0>() as u64 * guest_sdk::memory::PAGE;
        Parts::within(block, text_size, ad_size, memory_bytes)
    }

    fn address(addr: u32) -> *mut u8 {
        addr as usize as *mut u8
    }

    /// `crypto_aead_lock` on the block at `block`, in place (see the module's table).
    #[unsafe(no_mangle)]
    pub extern "C" fn aead_lock_packed(block: u32, text_size: u32, ad_size: u32) -> i32 {
        let Some(at) = parts(block, text_size, ad_size) else {
            return BAD_ARGUMENTS;
        };
        let text = address(at.text);
        // SAFETY: every part lies within linear memory (checked above) and is valid for the
        // sizes Monocypher reads and writes; Monocypher allows the text in place.
        unsafe {
            crypto_aead_lock(
                text,
                address(at.mac),
                address(at.key),
                address(at.nonce),
                address(at.ad),
                ad_size as usize,
                text,
                text_size as usize,
            );
        }
        0
    }

    /// `crypto_aead_unlock` on the block at `block`, in place (see the module's table).
    #[unsafe(no_mangle)]
    pub extern "C" fn aead_unlock_packed(block: u32, text_size: u32, ad_size: u32) -> i32 {
        let Some(at) = parts(block, text_size, ad_size) else {
            return BAD_ARGUMENTS;
        };
        let text = address(at.text);
        // SAFETY: as in `aead_lock_packed`.
        let status = unsafe {
            crypto_aead_unlock(
                text,
                address(at.mac),
                address(at.key),
                address(at.nonce),
                address(at.ad),
                ad_size as usize,
                text,
                text_size as usize,
            )
        };
        if status == 0 {
            0
        } else {
            FORGED
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Parts, TEXT};

    const MEMORY: u64 = 1 << 20;

    #[test]
    fn parts_follow_the_table() {
        let parts = Parts::within(0x1000, 64, 7, MEMORY).unwrap();
        assert_eq!(
            parts,
            Parts {
                key: 0x1000,
                nonce: 0x1020,
                mac: 0x1040,
                text: 0x1050,
                ad: 0x1050 + 64,
            }
        );
    }

    #[test]
    fn the_block_must_fit_in_memory() {
        let end = MEMORY as u32;
        assert!(Parts::within(end - TEXT - 10, 6, 4, MEMORY).is_some());
        assert!(Parts::within(end - TEXT - 10, 6, 5, MEMORY).is_none());
        assert!(Parts::within(end - TEXT + 1, 0, 0, MEMORY).is_none());
        assert!(Parts::within(0, 0, 0, MEMORY).is_none(), "null");
    }

    #[test]
    fn sizes_near_4_gib_neither_wrap_nor_pass() {
        let full = 1 << 32;
        assert!(Parts::within(16, u32::MAX, 0, full).is_none());
        assert!(Parts::within(16, u32::MAX - TEXT, u32::MAX, full).is_none());
        assert!(Parts::within(16, u32::MAX - TEXT - 16, 0, full).is_some());
        assert!(Parts::within(0x8000_0000, 0x7FFF_FFB0, 1, full).is_none());
        // Text up to the last byte of memory: the empty ad starts at 4 GiB.
        let parts = Parts::within(0x8000_0000, 0x7FFF_FFB0, 0, full).unwrap();
        assert_eq!((parts.text, parts.ad), (0x8000_0050, 0));
        let parts = Parts::within(u32::MAX - TEXT + 1, 0, 0, full).unwrap();
        assert_eq!((parts.mac, parts.text, parts.ad), (u32::MAX - 15, 0, 0));
    }
}
