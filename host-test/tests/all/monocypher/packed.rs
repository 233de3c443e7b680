//! `aead_lock_packed`/`aead_unlock_packed` (the guest's `packed.rs`): exactly
//! `crypto_aead_lock`/`crypto_aead_unlock` on a packed block, and a refusal without a trap or a
//! write for any block that does not fit in linear memory.

use rand::Rng;
use wasmtime::{ensure, Result};

use super::{random_bytes, seeded_rng, Mono};
use crate::ensure_eq;

const FORGED: i32 = -1;
const BAD_ARGUMENTS: i32 = -2;
/// Key, nonce, padding and MAC precede the text.
const HEADER: u32 = 80;

#[test]
fn packed_boxes_are_the_c_functions_boxes() -> Result<()> {
    let mut rng = seeded_rng("packed_boxes_are_the_c_functions_boxes");
    let mut mono = Mono::new()?;
    // Around ChaCha20's 64-byte blocks, then one box larger than a page.
    let lengths = [0, 1, 15, 16, 17, 63, 64, 65, 1000, 70_000];
    for (case, text_size) in lengths.into_iter().enumerate() {
        let key = random_bytes(&mut rng, 32);
        let nonce = random_bytes(&mut rng, 24);
        let ad_size = rng.random_range(0..=40);
        let ad = random_bytes(&mut rng, ad_size);
        let plain = random_bytes(&mut rng, text_size);
        let (mac, cipher) = mono.aead_lock(&key, &nonce, &ad, &plain)?;
        let (status, packed_mac, packed_cipher) =
            mono.aead_lock_packed(&key, &nonce, &ad, &plain)?;
        ensure!(
            status == 0 && packed_mac == mac && packed_cipher == cipher,
            "case {case} ({text_size} + {ad_size} bytes): lock differs (status {status})"
        );
        let (status, opened) = mono.aead_unlock_packed(&key, &nonce, &ad, &mac, &cipher)?;
        ensure!(
            status == 0 && opened == plain,
            "case {case}: unlock failed (status {status})"
        );
        mono.reset()?;
    }
    Ok(())
}

#[test]
fn a_forged_packed_box_is_refused_and_left_alone() -> Result<()> {
    let mut rng = seeded_rng("a_forged_packed_box_is_refused_and_left_alone");
    let mut mono = Mono::new()?;
    let (key, nonce) = (random_bytes(&mut rng, 32), random_bytes(&mut rng, 24));
    let (ad, plain) = (random_bytes(&mut rng, 12), random_bytes(&mut rng, 100));
    let (mac, cipher) = mono.aead_lock(&key, &nonce, &ad, &plain)?;
    let flip = |bytes: &[u8], bit: usize| {
        let mut flipped = bytes.to_vec();
        flipped[bit / 8] ^= 1 << (bit % 8);
        flipped
    };
    let forgeries = [
        (
            "mac",
            flip(&mac, rng.random_range(0..128)),
            cipher.clone(),
            ad.clone(),
        ),
        (
            "text",
            mac.clone(),
            flip(&cipher, rng.random_range(0..800)),
            ad.clone(),
        ),
        (
            "ad",
            mac.clone(),
            cipher.clone(),
            flip(&ad, rng.random_range(0..96)),
        ),
    ];
    for (what, mac, cipher, ad) in forgeries {
        let (status, text) = mono.aead_unlock_packed(&key, &nonce, &ad, &mac, &cipher)?;
        ensure_eq!(
            status,
            FORGED,
            "a flipped bit in the {what} gave status {status}"
        );
        ensure_eq!(text, cipher, "a forgery in the {what} changed the text");
    }
    Ok(())
}

#[test]
fn packed_blocks_outside_memory_are_refused_without_a_write() -> Result<()> {
    let mut mono = Mono::new()?;
    let end = u32::try_from(mono.guest.memory_size())?;
    let refused = [
        ("null", 0, 0, 0),
        ("one byte past the end", end - HEADER + 1, 0, 0),
        ("text past the end", end - HEADER - 10, 11, 0),
        ("ad past the end", end - HEADER - 10, 6, 5),
        ("sizes past 4 GiB", 16, u32::MAX, u32::MAX),
        ("text past 4 GiB", 16, u32::MAX - HEADER, 0),
    ];
    for export in ["aead_lock_packed", "aead_unlock_packed"] {
        for (what, block, text_size, ad_size) in refused {
            let before = mono.guest.memory_bytes().to_vec();
            let status = mono.call::<(u32, u32, u32), i32>(export, (block, text_size, ad_size))?;
            ensure_eq!(status, BAD_ARGUMENTS, "{export}, {what}: status {status}");
            // Where, not the whole memory: both sides are megabytes.
            let after = mono.guest.memory_bytes();
            let changed = after.iter().zip(&before).position(|(a, b)| a != b);
            ensure!(
                after.len() == before.len() && changed.is_none(),
                "{export}, {what}: memory changed (size {} to {}, first changed byte {changed:?})",
                before.len(),
                after.len()
            );
        }
        // A block that ends exactly where memory ends is fine (the lock leaves a valid box
        // there, which the unlock then opens).
        let status = mono.call::<(u32, u32, u32), i32>(export, (end - HEADER - 10, 6, 4))?;
        ensure_eq!(status, 0, "{export} at the end of memory: status {status}");
    }
    Ok(())
}
