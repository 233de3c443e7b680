//! Pointers are unsigned: with the arena pushed above 2 GiB (so every pointer has its top bit
//! set), every export must compute exactly what it computes low in memory.

use std::collections::BTreeSet;

use rand::rngs::StdRng;
use rand::SeedableRng;
use wasmtime::{ensure, Result};

use super::api::Argon2Config;
use super::{guest_manifest, manifest, random_bytes, Mono};
use crate::ensure_eq;
use crate::support::PAGE;

const TWO_GIB: u32 = 0x8000_0000;

/// A fresh instance whose arena hands out only pointers above 2 GiB: the host grows memory past
/// 2 GiB (the arena skips memory it did not grow itself), then the arena's low region is used up.
fn high_mono() -> Result<Mono> {
    let mut mono = Mono::new()?;
    mono.guest.grow_memory_to(u64::from(TWO_GIB) + PAGE)?;
    let low_pages = mono.guest.memory_size() / PAGE;
    for _ in 0..=low_pages {
        if mono.buffer(PAGE as usize)? >= TWO_GIB {
            mono.lowest_pointer = u32::MAX;
            return Ok(mono);
        }
    }
    wasmtime::bail!("the arena never handed out a pointer above 2 GiB")
}

/// Calls every exported Monocypher function once and collects every output.
fn every_function(m: &mut Mono, rng: &mut StdRng) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let key = random_bytes(rng, 32);
    let other_key = random_bytes(rng, 32);
    let nonce = random_bytes(rng, 24);
    let message = random_bytes(rng, 333);
    let ad = random_bytes(rng, 20);

    // Comparisons and wiping.
    for (name, len) in [
        ("crypto_verify16", 16),
        ("crypto_verify32", 32),
        ("crypto_verify64", 64),
    ] {
        let (a, b) = (m.input(&message[..len])?, m.input(&message[1..=len])?);
        let equal = m.call::<(u32, u32), i32>(name, (a, a))?;
        let different = m.call::<(u32, u32), i32>(name, (a, b))?;
        out.push(vec![equal as u8, different as u8]);
    }
    let wiped = m.input(&message)?;
    m.call::<(u32, u32), ()>("crypto_wipe", (wiped, message.len() as u32))?;
    out.push(m.read(wiped, message.len())?);

    // Authenticated encryption, one-shot and incremental.
    let (mac, cipher) = m.aead_lock(&key, &nonce, &ad, &message)?;
    let (status, plain) = m.aead_unlock(&key, &nonce, &ad, &mac, &cipher)?;
    ensure!(status == 0 && plain == message, "crypto_aead_unlock failed");
    let (status, packed_mac, packed_cipher) = m.aead_lock_packed(&key, &nonce, &ad, &message)?;
    ensure!(
        status == 0 && packed_mac == mac && packed_cipher == cipher,
        "aead_lock_packed differs from crypto_aead_lock"
    );
    let (status, plain) = m.aead_unlock_packed(&key, &nonce, &ad, &mac, &cipher)?;
    ensure!(status == 0 && plain == message, "aead_unlock_packed failed");
    let mut forged = mac.clone();
    forged[0] ^= 1;
    ensure_eq!(
        m.aead_unlock(&key, &nonce, &ad, &forged, &cipher)?.0,
        -1,
        "forgery accepted"
    );
    out.extend([mac, cipher]);
    for (init, nonce_size) in [
        ("crypto_aead_init_x", 24),
        ("crypto_aead_init_djb", 8),
        ("crypto_aead_init_ietf", 12),
    ] {
        let (key_ptr, nonce_ptr) = (m.input(&key)?, m.input(&nonce[..nonce_size])?);
        let (writer, reader) = (m.buffer(48)?, m.buffer(48)?);
        m.call::<(u32, u32, u32), ()>(init, (writer, key_ptr, nonce_ptr))?;
        m.call::<(u32, u32, u32), ()>(init, (reader, key_ptr, nonce_ptr))?;
        let (text, mac, cipher, plain) = (
            m.input(&message)?,
            m.buffer(16)?,
            m.buffer(message.len())?,
            m.buffer(message.len())?,
        );
        let len = message.len() as u32;
        m.call::<(u32, u32, u32, u32, u32, u32, u32), ()>(
            "crypto_aead_write",
            (writer, cipher, mac, 0, 0, text, len),
        )?;
        let status = m.call::<(u32, u32, u32, u32, u32, u32, u32), i32>(
            "crypto_aead_read",
            (reader, plain, mac, 0, 0, cipher, len),
        )?;
        ensure!(
            status == 0 && m.read(plain, message.len())? == message,
            "{init}: read failed"
        );
        out.extend([
            m.read(mac, 16)?,
            m.read(cipher, message.len())?,
            m.read(writer, 48)?,
        ]);
    }

    // Hashes and MACs.
    out.push(m.blake2b(64, &message)?);
    out.push(m.blake2b_keyed(40, &key, &message)?);
    let ctx = m.buffer(216)?;
    m.call::<(u32, u32), ()>("crypto_blake2b_init", (ctx, 64))?;
    let key_ptr = m.input(&key)?;
    m.call::<(u32, u32, u32, u32), ()>("crypto_blake2b_keyed_init", (ctx, 64, key_ptr, 32))?;
    let msg = m.input(&message)?;
    m.call::<(u32, u32, u32), ()>("crypto_blake2b_update", (ctx, msg, message.len() as u32))?;
    let hash = m.buffer(64)?;
    m.call::<(u32, u32), ()>("crypto_blake2b_final", (ctx, hash))?;
    out.push(m.read(hash, 64)?);

    out.push(m.sha512(&message)?);
    let ctx = m.buffer(216)?;
    m.call::<u32, ()>("crypto_sha512_init", ctx)?;
    m.call::<(u32, u32, u32), ()>("crypto_sha512_update", (ctx, msg, message.len() as u32))?;
    m.call::<(u32, u32), ()>("crypto_sha512_final", (ctx, hash))?;
    out.push(m.read(hash, 64)?);
    out.push(m.sha512_hmac(&key, &message)?);
    let ctx = m.buffer(344)?;
    m.call::<(u32, u32, u32), ()>("crypto_sha512_hmac_init", (ctx, key_ptr, 32))?;
    m.call::<(u32, u32, u32), ()>(
        "crypto_sha512_hmac_update",
        (ctx, msg, message.len() as u32),
    )?;
    m.call::<(u32, u32), ()>("crypto_sha512_hmac_final", (ctx, hash))?;
    out.push(m.read(hash, 64)?);
    out.push(m.sha512_hkdf(100, &key, &nonce, &ad)?);
    let okm = m.buffer(100)?;
    let (prk, info) = (m.input(&key)?, m.input(&ad)?);
    m.call::<(u32, u32, u32, u32, u32, u32), ()>(
        "crypto_sha512_hkdf_expand",
        (okm, 100, prk, 32, info, ad.len() as u32),
    )?;
    out.push(m.read(okm, 100)?);
    let config = Argon2Config {
        algorithm: 2,
        nb_blocks: 16,
        nb_passes: 2,
        nb_lanes: 2,
    };
    out.push(m.argon2(32, config, &message[..20], &nonce[..16], &key, &ad)?);

    // Stream ciphers and Poly1305.
    out.push(m.chacha20_h(&key, &nonce[..16])?);
    let (cipher, next) = m.chacha20_djb(&message, &key, &nonce[..8], u64::from(u32::MAX))?;
    out.extend([cipher, next.to_le_bytes().to_vec()]);
    let (cipher, next) = m.chacha20_ietf(&message, &key, &nonce[..12], 7)?;
    out.extend([cipher, next.to_le_bytes().to_vec()]);
    let (cipher, next) = m.chacha20_x(&message, &key, &nonce, 1 << 40)?;
    out.extend([cipher, next.to_le_bytes().to_vec()]);
    out.push(m.poly1305(&message, &key)?);
    let ctx = m.buffer(72)?;
    m.call::<(u32, u32), ()>("crypto_poly1305_init", (ctx, key_ptr))?;
    m.call::<(u32, u32, u32), ()>("crypto_poly1305_update", (ctx, msg, message.len() as u32))?;
    m.call::<(u32, u32), ()>("crypto_poly1305_final", (ctx, hash))?;
    out.push(m.read(hash, 16)?);

    // X25519, EdDSA, Ed25519, Elligator.
    let public = m.unary32("crypto_x25519_public_key", &key)?;
    let shared = m.x25519(&other_key, &public)?;
    out.extend([public.clone(), shared]);
    out.push(m.unary32("crypto_x25519_to_eddsa", &public)?);
    let blind = m.buffer(32)?;
    let (sk, pk) = (m.input(&key)?, m.input(&public)?);
    m.call::<(u32, u32, u32), ()>("crypto_x25519_inverse", (blind, sk, pk))?;
    out.push(m.read(blind, 32)?);
    out.push(m.unary32("crypto_x25519_dirty_small", &key)?);
    let dirty = m.unary32("crypto_x25519_dirty_fast", &key)?;
    out.push(dirty.clone());

    let (secret, public, _) = m.key_pair("crypto_eddsa_key_pair", &key)?;
    let signature = m.sign("crypto_eddsa_sign", &secret, &message)?;
    ensure_eq!(
        m.check("crypto_eddsa_check", &signature, &public, &message)?,
        0,
        "EdDSA check failed"
    );
    out.push(m.unary32("crypto_eddsa_to_x25519", &public)?);
    let trimmed = m.unary32("crypto_eddsa_trim_scalar", &key)?;
    let reduced = m.buffer(32)?;
    let wide = m.input(&signature)?;
    m.call::<(u32, u32), ()>("crypto_eddsa_reduce", (reduced, wide))?;
    let (r, a) = (m.buffer(32)?, m.input(&trimmed)?);
    m.call::<(u32, u32, u32, u32), ()>("crypto_eddsa_mul_add", (r, a, reduced, a))?;
    out.extend([trimmed.clone(), m.read(reduced, 32)?, m.read(r, 32)?]);
    out.push(m.unary32("crypto_eddsa_scalarbase", &trimmed)?);
    let (sig, pk, h_ram) = (m.input(&signature)?, m.input(&public)?, m.input(&key)?);
    let equation =
        m.call::<(u32, u32, u32), i32>("crypto_eddsa_check_equation", (sig, pk, h_ram))?;
    out.extend([secret, public, signature, vec![equation as u8]]);

    let (secret, public, _) = m.key_pair("crypto_ed25519_key_pair", &key)?;
    let signature = m.sign("crypto_ed25519_sign", &secret, &message)?;
    ensure_eq!(
        m.check("crypto_ed25519_check", &signature, &public, &message)?,
        0,
        "Ed25519 check failed"
    );
    let digest = m.sha512(&message)?;
    let prehashed = m.ed25519_ph_sign(&secret, &digest)?;
    ensure_eq!(
        m.ed25519_ph_check(&prehashed, &public, &digest)?,
        0,
        "Ed25519ph check failed"
    );
    out.extend([secret, public, signature, prehashed]);

    out.push(m.unary32("crypto_elligator_map", &key)?);
    let (status, hidden) = m.elligator_rev(&dirty, 0x5a)?;
    out.extend([vec![status as u8], hidden]);
    let (hidden, secret, seed) = (m.buffer(32)?, m.buffer(32)?, m.input(&key)?);
    m.call::<(u32, u32, u32), ()>("crypto_elligator_key_pair", (hidden, secret, seed))?;
    out.extend([m.read(hidden, 32)?, m.read(secret, 32)?]);
    Ok(out)
}

#[test]
fn every_function_above_2_gib_matches_low_memory() -> Result<()> {
    let seed = crate::support::seed("every_function_above_2_gib_matches_low_memory");
    let mut low = Mono::new()?;
    let expected = every_function(&mut low, &mut StdRng::seed_from_u64(seed))?;
    let mut high = high_mono()?;
    let got = every_function(&mut high, &mut StdRng::seed_from_u64(seed))?;
    ensure!(
        high.lowest_pointer >= TWO_GIB,
        "a buffer was at {:#x}",
        high.lowest_pointer
    );
    for (index, (got, expected)) in got.iter().zip(&expected).enumerate() {
        ensure_eq!(got, expected, "output {index} differs above 2 GiB");
    }
    ensure_eq!(got.len(), expected.len(), "different number of outputs");

    let declared: BTreeSet<String> = manifest::declared_exports(&guest_manifest())
        .map_err(wasmtime::Error::msg)?
        .into_iter()
        .filter(|name| !name.starts_with("bump_"))
        .collect();
    let missed: Vec<&String> = declared.difference(&high.called).collect();
    ensure!(missed.is_empty(), "not exercised above 2 GiB: {missed:?}");
    println!(
        "{} functions, {} outputs identical above 2 GiB",
        declared.len(),
        got.len()
    );
    Ok(())
}
