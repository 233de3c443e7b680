//! Seeded properties (the seed is printed; `HOST_TEST_SEED` replays it): AEAD round trips,
//! forgery rejection bit by bit, and incremental interfaces against their one-shot forms.

use std::ops::RangeInclusive;

use rand::rngs::StdRng;
use rand::Rng;
use wasmtime::{ensure, Result};

use super::{random_bytes, seeded_rng, Mono};
use crate::ensure_eq;

/// Lengths around ChaCha20's 64-byte blocks and Poly1305's 16-byte blocks come up often.
fn length(rng: &mut StdRng, max: usize) -> usize {
    const EDGES: [usize; 9] = [0, 1, 15, 16, 17, 63, 64, 65, 128];
    if rng.random_bool(0.3) {
        EDGES[rng.random_range(0..EDGES.len())].min(max)
    } else {
        rng.random_range(0..=max)
    }
}

/// Random bytes, `length(max)` of them.
fn bytes_up_to(rng: &mut StdRng, max: usize) -> Vec<u8> {
    let len = length(rng, max);
    random_bytes(rng, len)
}

fn bytes_in(rng: &mut StdRng, lengths: RangeInclusive<usize>) -> Vec<u8> {
    let len = rng.random_range(lengths);
    random_bytes(rng, len)
}

#[test]
fn aead_round_trip() -> Result<()> {
    let mut rng = seeded_rng("aead_round_trip");
    let mut mono = Mono::new()?;
    for case in 0..200 {
        let key = random_bytes(&mut rng, 32);
        let nonce = random_bytes(&mut rng, 24);
        let ad = bytes_up_to(&mut rng, 100);
        let plain = bytes_up_to(&mut rng, 600);
        let (mac, cipher) = mono.aead_lock(&key, &nonce, &ad, &plain)?;
        ensure!(
            plain.len() < 8 || cipher != plain,
            "case {case}: cipher text equals plain text"
        );
        let (status, opened) = mono.aead_unlock(&key, &nonce, &ad, &mac, &cipher)?;
        ensure!(
            status == 0 && opened == plain,
            "case {case}: round trip failed (status {status})"
        );
        mono.reset()?;
    }
    Ok(())
}

/// Every single-bit change to the MAC, the cipher text or the additional data is a forgery:
/// `crypto_aead_unlock` returns -1 and leaves the plain text buffer untouched.
#[test]
fn aead_rejects_every_flipped_bit() -> Result<()> {
    let mut rng = seeded_rng("aead_rejects_every_flipped_bit");
    let mut mono = Mono::new()?;
    let mut forgeries = 0;
    for case in 0..8 {
        let key = random_bytes(&mut rng, 32);
        let nonce = random_bytes(&mut rng, 24);
        let ad = bytes_in(&mut rng, 0..=24);
        let plain = bytes_in(&mut rng, 0..=40);
        let (mac, cipher) = mono.aead_lock(&key, &nonce, &ad, &plain)?;
        mono.reset()?;
        let genuine = [mac, cipher, ad];
        for (part, name) in ["mac", "cipher text", "additional data"]
            .into_iter()
            .enumerate()
        {
            for bit in 0..8 * genuine[part].len() {
                let mut pieces = genuine.clone();
                pieces[part][bit / 8] ^= 1 << (bit % 8);
                let [mac, cipher, ad] = &pieces;
                let (status, opened) = mono.aead_unlock(&key, &nonce, ad, mac, cipher)?;
                ensure_eq!(
                    status,
                    -1,
                    "case {case}: {name} bit {bit} flipped, unlock returned {status}"
                );
                ensure!(
                    opened.iter().all(|&b| b == 0),
                    "case {case}: {name} bit {bit} flipped, unlock wrote unauthenticated plain text"
                );
                mono.reset()?;
                forgeries += 1;
            }
        }
    }
    println!("{forgeries} forgeries rejected");
    Ok(())
}

/// One message through `crypto_aead_write` on the context at `ctx`: returns `(mac, cipher)`.
fn aead_write(mono: &mut Mono, ctx: u32, ad: &[u8], plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    let (ad_ptr, plain_ptr) = (mono.input(ad)?, mono.input(plain)?);
    let (mac, cipher) = (mono.buffer(16)?, mono.buffer(plain.len())?);
    mono.call::<(u32, u32, u32, u32, u32, u32, u32), ()>(
        "crypto_aead_write",
        (
            ctx,
            cipher,
            mac,
            ad_ptr,
            ad.len() as u32,
            plain_ptr,
            plain.len() as u32,
        ),
    )?;
    Ok((mono.read(mac, 16)?, mono.read(cipher, plain.len())?))
}

/// `crypto_aead_read` on the context at `ctx`: returns `(status, plain)`.
fn aead_read(
    mono: &mut Mono,
    ctx: u32,
    ad: &[u8],
    mac: &[u8],
    cipher: &[u8],
) -> Result<(i32, Vec<u8>)> {
    let (ad_ptr, mac_ptr, cipher_ptr) = (mono.input(ad)?, mono.input(mac)?, mono.input(cipher)?);
    let plain = mono.buffer(cipher.len())?;
    let status = mono.call::<(u32, u32, u32, u32, u32, u32, u32), i32>(
        "crypto_aead_read",
        (
            ctx,
            plain,
            mac_ptr,
            ad_ptr,
            ad.len() as u32,
            cipher_ptr,
            cipher.len() as u32,
        ),
    )?;
    Ok((status, mono.read(plain, cipher.len())?))
}

fn context(mono: &mut Mono, init: &str, key: &[u8], nonce: &[u8]) -> Result<u32> {
    let (ctx, key, nonce) = (mono.buffer(48)?, mono.input(key)?, mono.input(nonce)?);
    mono.call::<(u32, u32, u32), ()>(init, (ctx, key, nonce))?;
    Ok(ctx)
}

/// A stream of messages through the incremental AEAD equals its one-shot forms: the first
/// message equals `crypto_aead_lock`; XChaCha20 equals HChaCha20 + the DJB variant; each message
/// equals a fresh write from a copy of the 48-byte context (the state is all in the context);
/// the reader's context follows the writer's; a forged message leaves the reader's state alone.
#[test]
fn incremental_aead_matches_one_shot() -> Result<()> {
    let mut rng = seeded_rng("incremental_aead_matches_one_shot");
    let mut mono = Mono::new()?;
    for case in 0..40 {
        let key = random_bytes(&mut rng, 32);
        let nonce = random_bytes(&mut rng, 24);
        let writer = context(&mut mono, "crypto_aead_init_x", &key, &nonce)?;
        let subkey = mono.chacha20_h(&key, &nonce[..16])?;
        let djb = context(&mut mono, "crypto_aead_init_djb", &subkey, &nonce[16..])?;
        let reader = context(&mut mono, "crypto_aead_init_x", &key, &nonce)?;
        let copy = mono.buffer(48)?;
        for message in 0..rng.random_range(1..6) {
            let at = format!("case {case}, message {message}");
            let ad = bytes_up_to(&mut rng, 40);
            let plain = bytes_up_to(&mut rng, 300);

            let state = mono.read(writer, 48)?;
            mono.write(copy, &state)?;
            let from_copy = aead_write(&mut mono, copy, &ad, &plain)?;
            let (mac, cipher) = aead_write(&mut mono, writer, &ad, &plain)?;
            ensure_eq!(
                from_copy,
                (mac.clone(), cipher.clone()),
                "{at}: a copied context wrote differently"
            );
            ensure_eq!(
                aead_write(&mut mono, djb, &ad, &plain)?,
                (mac.clone(), cipher.clone()),
                "{at}: init_x != HChaCha20 + init_djb"
            );
            if message == 0 {
                ensure_eq!(
                    mono.aead_lock(&key, &nonce, &ad, &plain)?,
                    (mac.clone(), cipher.clone()),
                    "{at}: differs from crypto_aead_lock"
                );
            }

            let mut forged = mac.clone();
            forged[rng.random_range(0..16)] ^= 1 << rng.random_range(0..8);
            let before = mono.read(reader, 48)?;
            let (status, _) = aead_read(&mut mono, reader, &ad, &forged, &cipher)?;
            ensure!(
                status == -1 && mono.read(reader, 48)? == before,
                "{at}: a forgery was accepted or moved the reader on"
            );

            let (status, opened) = aead_read(&mut mono, reader, &ad, &mac, &cipher)?;
            ensure!(
                status == 0 && opened == plain,
                "{at}: the reader failed to open the message"
            );
            ensure_eq!(
                mono.read(reader, 48)?,
                mono.read(writer, 48)?,
                "{at}: reader and writer contexts diverged"
            );
        }
        mono.reset()?;
    }
    Ok(())
}

/// Feeds `message` to `update` in random chunks, zero-length ones (with a null pointer, as
/// upstream's tests do) included.
fn update_in_chunks(
    mono: &mut Mono,
    rng: &mut StdRng,
    update: &str,
    ctx: u32,
    message: &[u8],
) -> Result<()> {
    let base = mono.input(message)?;
    let mut offset = 0;
    while offset < message.len() || rng.random_bool(0.2) {
        let chunk = rng.random_range(0..=(message.len() - offset).min(150));
        let ptr = if chunk == 0 { 0 } else { base + offset as u32 };
        mono.call::<(u32, u32, u32), ()>(update, (ctx, ptr, chunk as u32))?;
        offset += chunk;
    }
    Ok(())
}

#[test]
fn incremental_blake2b_matches_one_shot() -> Result<()> {
    let mut rng = seeded_rng("incremental_blake2b_matches_one_shot");
    let mut mono = Mono::new()?;
    for case in 0..150 {
        let hash_size = rng.random_range(1..=64);
        let key = if rng.random_bool(0.3) {
            Vec::new()
        } else {
            bytes_in(&mut rng, 1..=64)
        };
        let message = bytes_up_to(&mut rng, 700);
        let ctx = mono.buffer(216)?;
        if key.is_empty() && rng.random_bool(0.5) {
            mono.call::<(u32, u32), ()>("crypto_blake2b_init", (ctx, hash_size as u32))?;
        } else {
            let key_ptr = mono.input(&key)?;
            mono.call::<(u32, u32, u32, u32), ()>(
                "crypto_blake2b_keyed_init",
                (ctx, hash_size as u32, key_ptr, key.len() as u32),
            )?;
        }
        update_in_chunks(&mut mono, &mut rng, "crypto_blake2b_update", ctx, &message)?;
        let hash = mono.buffer(hash_size)?;
        mono.call::<(u32, u32), ()>("crypto_blake2b_final", (ctx, hash))?;
        let incremental = mono.read(hash, hash_size)?;
        let one_shot = if key.is_empty() {
            mono.blake2b(hash_size, &message)?
        } else {
            mono.blake2b_keyed(hash_size, &key, &message)?
        };
        ensure_eq!(
            incremental,
            one_shot,
            "case {case}: hash_size {hash_size}, key {} bytes, message {} bytes",
            key.len(),
            message.len()
        );
        mono.reset()?;
    }
    Ok(())
}

/// SHA-512, HMAC-SHA-512 and Poly1305: incremental equals one-shot too.
#[test]
fn incremental_sha512_hmac_poly1305_match_one_shot() -> Result<()> {
    let mut rng = seeded_rng("incremental_sha512_hmac_poly1305_match_one_shot");
    let mut mono = Mono::new()?;
    for case in 0..60 {
        let message = bytes_up_to(&mut rng, 700);

        let ctx = mono.buffer(216)?;
        mono.call::<u32, ()>("crypto_sha512_init", ctx)?;
        update_in_chunks(&mut mono, &mut rng, "crypto_sha512_update", ctx, &message)?;
        let hash = mono.buffer(64)?;
        mono.call::<(u32, u32), ()>("crypto_sha512_final", (ctx, hash))?;
        ensure_eq!(
            mono.read(hash, 64)?,
            mono.sha512(&message)?,
            "case {case}: SHA-512"
        );

        let key = bytes_in(&mut rng, 0..=200);
        let (ctx, key_ptr) = (mono.buffer(344)?, mono.input(&key)?);
        mono.call::<(u32, u32, u32), ()>(
            "crypto_sha512_hmac_init",
            (ctx, key_ptr, key.len() as u32),
        )?;
        update_in_chunks(
            &mut mono,
            &mut rng,
            "crypto_sha512_hmac_update",
            ctx,
            &message,
        )?;
        mono.call::<(u32, u32), ()>("crypto_sha512_hmac_final", (ctx, hash))?;
        ensure_eq!(
            mono.read(hash, 64)?,
            mono.sha512_hmac(&key, &message)?,
            "case {case}: HMAC-SHA-512"
        );

        let key = random_bytes(&mut rng, 32);
        let (ctx, key_ptr, mac) = (mono.buffer(72)?, mono.input(&key)?, mono.buffer(16)?);
        mono.call::<(u32, u32), ()>("crypto_poly1305_init", (ctx, key_ptr))?;
        update_in_chunks(&mut mono, &mut rng, "crypto_poly1305_update", ctx, &message)?;
        mono.call::<(u32, u32), ()>("crypto_poly1305_final", (ctx, mac))?;
        ensure_eq!(
            mono.read(mac, 16)?,
            mono.poly1305(&message, &key)?,
            "case {case}: Poly1305"
        );
        mono.reset()?;
    }
    Ok(())
}
