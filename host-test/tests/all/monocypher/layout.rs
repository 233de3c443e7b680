//! The documented wasm32 sizes of the incremental contexts, and `crypto_aead_ctx`'s field
//! layout, checked through the artifact: a host that allocates the documented size must see every
//! write land inside it, and the last field must be written (the size is not overstated).

use wasmtime::{ensure, Result};

use super::{random_bytes, seeded_rng, Mono};
use crate::ensure_eq;

const GUARD: usize = 16;
const PATTERN: u8 = 0xa5;

/// Runs `steps` on a context of `size` bytes flanked by guard bytes, then checks the guards and
/// that the context's last 8 bytes were written at some point before the final step.
fn check_context(
    name: &str,
    size: usize,
    steps: impl FnOnce(&mut Mono, u32) -> Result<()>,
    finish: impl FnOnce(&mut Mono, u32) -> Result<()>,
) -> Result<()> {
    let mut mono = Mono::new()?;
    let base = mono.buffer(GUARD + size + GUARD)?;
    mono.write(base, &vec![PATTERN; GUARD + size + GUARD])?;
    let ctx = base + GUARD as u32;
    steps(&mut mono, ctx)?;
    let tail = mono.read(ctx + (size - 8) as u32, 8)?;
    ensure!(
        tail != [PATTERN; 8],
        "{name}: nothing written in the last 8 of {size} bytes"
    );
    finish(&mut mono, ctx)?;
    let all = mono.read(base, GUARD + size + GUARD)?;
    ensure_eq!(
        all[..GUARD],
        [PATTERN; GUARD],
        "{name}: written before the context"
    );
    ensure_eq!(
        all[GUARD + size..],
        [PATTERN; GUARD],
        "{name}: written past {size} bytes"
    );
    Ok(())
}

#[test]
fn incremental_contexts_fit_their_documented_sizes() -> Result<()> {
    let mut rng = seeded_rng("incremental_contexts_fit_their_documented_sizes");
    let key = random_bytes(&mut rng, 32);
    let long_key = random_bytes(&mut rng, 200);
    let nonce = random_bytes(&mut rng, 24);
    let message = random_bytes(&mut rng, 300);

    check_context(
        "crypto_aead_ctx",
        48,
        |m, ctx| {
            let (key, nonce) = (m.input(&key)?, m.input(&nonce)?);
            m.call::<(u32, u32, u32), ()>("crypto_aead_init_x", (ctx, key, nonce))
        },
        |m, ctx| {
            let (msg, out, mac) = (m.input(&message)?, m.buffer(message.len())?, m.buffer(16)?);
            let len = message.len() as u32;
            m.call::<(u32, u32, u32, u32, u32, u32, u32), ()>(
                "crypto_aead_write",
                (ctx, out, mac, 0, 0, msg, len),
            )
        },
    )?;
    check_context(
        "crypto_blake2b_ctx",
        216,
        |m, ctx| {
            let key = m.input(&key)?;
            m.call::<(u32, u32, u32, u32), ()>("crypto_blake2b_keyed_init", (ctx, 64, key, 32))
        },
        |m, ctx| {
            let (msg, hash) = (m.input(&message)?, m.buffer(64)?);
            m.call::<(u32, u32, u32), ()>(
                "crypto_blake2b_update",
                (ctx, msg, message.len() as u32),
            )?;
            m.call::<(u32, u32), ()>("crypto_blake2b_final", (ctx, hash))
        },
    )?;
    check_context(
        "crypto_poly1305_ctx",
        72,
        |m, ctx| {
            let key = m.input(&key)?;
            m.call::<(u32, u32), ()>("crypto_poly1305_init", (ctx, key))
        },
        |m, ctx| {
            let (msg, mac) = (m.input(&message)?, m.buffer(16)?);
            m.call::<(u32, u32, u32), ()>(
                "crypto_poly1305_update",
                (ctx, msg, message.len() as u32),
            )?;
            m.call::<(u32, u32), ()>("crypto_poly1305_final", (ctx, mac))
        },
    )?;
    check_context(
        "crypto_sha512_ctx",
        216,
        |m, ctx| m.call::<u32, ()>("crypto_sha512_init", ctx),
        |m, ctx| {
            let (msg, hash) = (m.input(&message)?, m.buffer(64)?);
            m.call::<(u32, u32, u32), ()>(
                "crypto_sha512_update",
                (ctx, msg, message.len() as u32),
            )?;
            m.call::<(u32, u32), ()>("crypto_sha512_final", (ctx, hash))
        },
    )?;
    check_context(
        "crypto_sha512_hmac_ctx",
        344,
        |m, ctx| {
            let key = m.input(&long_key)?;
            m.call::<(u32, u32, u32), ()>(
                "crypto_sha512_hmac_init",
                (ctx, key, long_key.len() as u32),
            )
        },
        |m, ctx| {
            let (msg, hmac) = (m.input(&message)?, m.buffer(64)?);
            m.call::<(u32, u32, u32), ()>(
                "crypto_sha512_hmac_update",
                (ctx, msg, message.len() as u32),
            )?;
            m.call::<(u32, u32), ()>("crypto_sha512_hmac_final", (ctx, hmac))
        },
    )
}

/// `crypto_aead_ctx` is `{ uint64_t counter; uint8_t key[32]; uint8_t nonce[8]; }`.
#[test]
fn aead_context_layout() -> Result<()> {
    let mut rng = seeded_rng("aead_context_layout");
    let key = random_bytes(&mut rng, 32);
    let nonce = random_bytes(&mut rng, 24);
    let mut mono = Mono::new()?;
    let (key_ptr, nonce_ptr, ctx) = (mono.input(&key)?, mono.input(&nonce)?, mono.buffer(48)?);

    mono.call::<(u32, u32, u32), ()>("crypto_aead_init_djb", (ctx, key_ptr, nonce_ptr))?;
    let expected = [&[0; 8][..], &key, &nonce[..8]].concat();
    ensure_eq!(
        mono.read(ctx, 48)?,
        expected,
        "init_djb: counter 0 at 0, key at 8, nonce at 40"
    );

    mono.call::<(u32, u32, u32), ()>("crypto_aead_init_ietf", (ctx, key_ptr, nonce_ptr))?;
    // The 96-bit IETF nonce's first word becomes the counter's high half.
    let expected = [&[0; 4][..], &nonce[..4], &key, &nonce[4..12]].concat();
    ensure_eq!(
        mono.read(ctx, 48)?,
        expected,
        "init_ietf: counter = nonce[0..4] << 32"
    );

    mono.call::<(u32, u32, u32), ()>("crypto_aead_init_x", (ctx, key_ptr, nonce_ptr))?;
    let subkey = mono.chacha20_h(&key, &nonce[..16])?;
    let expected = [&[0; 8][..], &subkey, &nonce[16..]].concat();
    ensure_eq!(
        mono.read(ctx, 48)?,
        expected,
        "init_x: key = HChacha20(key, nonce[..16])"
    );
    Ok(())
}
