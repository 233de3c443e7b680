//! Monocypher wipes every temporary it makes, except in Monocypher 4.0.2's two places that leave
//! a secret in a dead stack frame (found by the host test `monocypher::wipe`):
//! - `crypto_blake2b_keyed_init` copies the key into a 128-byte block it never wipes (reached
//!   through `crypto_blake2b_keyed` too);
//! - `crypto_sha512_hkdf_expand` leaves its last HMAC block (output key material, including the
//!   bytes past `okm_size`), and `crypto_sha512_hkdf` also leaves its PRK.
//!
//! build.rs compiles upstream with these four definitions renamed `upstream_*` (its `SCRUBBED`
//! list); the exports of the original names are the wrappers below, which call upstream and then
//! zero the stack it used.

use core::mem::MaybeUninit;

/// How much stack below the wrapper's frame is zeroed. Upstream's deepest frames here (HKDF's
/// HMAC context plus its callees) take well under 1 KiB; the margin covers other compilers.
const SCRUB_WORDS: usize = 2048 / 8;

/// Zeroes the shadow stack just below the caller's frame: where the function the caller just
/// returned from kept its locals. Never inlined: inside its caller, the zeroed array would sit
/// in the caller's frame, above the callee's.
#[inline(never)]
fn scrub_stack() {
    let mut dead = MaybeUninit::<[u64; SCRUB_WORDS]>::uninit();
    let words = dead.as_mut_ptr().cast::<u64>();
    for index in 0..SCRUB_WORDS {
        // SAFETY: `index` is within the array. Volatile, because nothing reads these stores back,
        // and an ordinary store that is never read may be optimised away.
        unsafe { words.add(index).write_volatile(0) };
    }
}

macro_rules! scrubbed {
    ($($name:ident => $upstream:ident($($arg:ident: $ty:ty),* $(,)?);)*) => {
        unsafe extern "C" {
            $(fn $upstream($($arg: $ty),*);)*
        }
        $(
            #[doc = concat!("`", stringify!($name), "` from Monocypher, then a stack scrub.")]
            ///
            /// # Safety
            ///
            /// The C function's contract: every pointer is valid for the sizes Monocypher's
            /// header documents.
            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn $name($($arg: $ty),*) {
                // SAFETY: the caller upholds the C function's contract, which is this one's.
                unsafe { $upstream($($arg),*) };
                scrub_stack();
            }
        )*
    };
}

scrubbed! {
    crypto_blake2b_keyed_init => upstream_crypto_blake2b_keyed_init(
        ctx: *mut u8, hash_size: usize, key: *const u8, key_size: usize,
    );
    crypto_blake2b_keyed => upstream_crypto_blake2b_keyed(
        hash: *mut u8, hash_size: usize,
        key: *const u8, key_size: usize,
        message: *const u8, message_size: usize,
    );
    crypto_sha512_hkdf_expand => upstream_crypto_sha512_hkdf_expand(
        okm: *mut u8, okm_size: usize,
        prk: *const u8, prk_size: usize,
        info: *const u8, info_size: usize,
    );
    crypto_sha512_hkdf => upstream_crypto_sha512_hkdf(
        okm: *mut u8, okm_size: usize,
        ikm: *const u8, ikm_size: usize,
        salt: *const u8, salt_size: usize,
        info: *const u8, info_size: usize,
    );
}
