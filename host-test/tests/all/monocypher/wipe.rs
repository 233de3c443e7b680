//! After `bump_reset`, no secret may remain anywhere in linear memory: not the keys, seeds,
//! passwords and plain texts the host passed, nor the secrets Monocypher derives from them
//! (subkeys, keystreams, HMAC pads, PRKs, trimmed scalars, EdDSA nonces). The SDK zeroes the
//! arena; whatever Monocypher put on its shadow stack (below `__heap_base`) must have been wiped
//! by Monocypher, or by the wrappers in the guest's lib.rs where upstream forgets.
//!
//! Each operation runs in a fresh instance; a second instance (the oracle) computes the derived
//! secrets. Then all of memory is scanned for every 8-byte window of every secret, so partial
//! copies are caught too.

use std::collections::HashMap;

use rand::rngs::StdRng;
use wasmtime::{ensure, Result};

use super::api::Argon2Config;
use super::{random_bytes, seeded_rng, Mono};
use crate::ensure_eq;
use crate::support::contains;

const WINDOW: usize = 8;

#[derive(Default)]
struct Secrets(Vec<(&'static str, Vec<u8>)>);

impl Secrets {
    fn add(&mut self, name: &'static str, bytes: Vec<u8>) -> Vec<u8> {
        self.0.push((name, bytes.clone()));
        bytes
    }

    fn random(&mut self, rng: &mut StdRng, name: &'static str, len: usize) -> Vec<u8> {
        self.add(name, random_bytes(rng, len))
    }
}

/// Runs an operation on the victim instance; computes what it derives on the oracle.
type Operation = fn(&mut Mono, &mut Mono, &mut StdRng) -> Result<Secrets>;

/// HMAC-SHA-512's inner and outer padded keys.
fn hmac_pads(oracle: &mut Mono, key: &[u8], s: &mut Secrets) -> Result<()> {
    let key = if key.len() > 128 {
        oracle.sha512(key)?
    } else {
        key.to_vec()
    };
    for (name, pad) in [("HMAC inner pad", 0x36), ("HMAC outer pad", 0x5c)] {
        let mut block = vec![pad; 128];
        block.iter_mut().zip(&key).for_each(|(b, k)| *b ^= k);
        s.add(name, block);
    }
    Ok(())
}

/// What `crypto_aead_init_x` + the first `crypto_aead_write` derive: the XChaCha20 subkey and
/// the first keystream block (Poly1305 key, then the next message's key).
fn aead_derived(oracle: &mut Mono, key: &[u8], nonce: &[u8], s: &mut Secrets) -> Result<()> {
    let subkey = s.add("XChaCha20 subkey", oracle.chacha20_h(key, &nonce[..16])?);
    s.add(
        "AEAD block 0 (Poly1305 key, next key)",
        oracle.chacha20_djb(&[0; 64], &subkey, &nonce[16..], 0)?.0,
    );
    Ok(())
}

/// EdDSA's secret scalar, prefix, nonce hash and nonce, with `hash` = BLAKE2b-512 or SHA-512.
fn eddsa_derived(
    oracle: &mut Mono,
    hash: fn(&mut Mono, &[u8]) -> Result<Vec<u8>>,
    seed: &[u8],
    message: &[u8],
    s: &mut Secrets,
) -> Result<()> {
    let expanded = hash(oracle, seed)?;
    s.add(
        "secret scalar",
        oracle.unary32("crypto_eddsa_trim_scalar", &expanded[..32])?,
    );
    let prefix = s.add("nonce prefix", expanded[32..].to_vec());
    let nonce_hash = s.add(
        "nonce hash",
        hash(oracle, &[prefix.as_slice(), message].concat())?,
    );
    let (reduced, wide) = (oracle.buffer(32)?, oracle.input(&nonce_hash)?);
    oracle.call::<(u32, u32), ()>("crypto_eddsa_reduce", (reduced, wide))?;
    s.add("nonce", oracle.read(reduced, 32)?);
    Ok(())
}

const OPERATIONS: &[(&str, Operation)] = &[
    ("crypto_aead_lock/unlock", |m, oracle, rng| {
        let mut s = Secrets::default();
        let key = s.random(rng, "key", 32);
        let plain = s.random(rng, "plain text", 200);
        let nonce = random_bytes(rng, 24);
        let (mac, cipher) = m.aead_lock(&key, &nonce, b"ad", &plain)?;
        ensure_eq!(
            m.aead_unlock(&key, &nonce, b"ad", &mac, &cipher)?.0,
            0,
            "unlock failed"
        );
        aead_derived(oracle, &key, &nonce, &mut s)?;
        Ok(s)
    }),
    ("aead_lock_packed/aead_unlock_packed", |m, oracle, rng| {
        let mut s = Secrets::default();
        let key = s.random(rng, "key", 32);
        let plain = s.random(rng, "plain text", 200);
        let nonce = random_bytes(rng, 24);
        let (status, mac, cipher) = m.aead_lock_packed(&key, &nonce, b"ad", &plain)?;
        ensure_eq!(status, 0, "lock failed");
        ensure_eq!(
            m.aead_unlock_packed(&key, &nonce, b"ad", &mac, &cipher)?.0,
            0,
            "unlock failed"
        );
        aead_derived(oracle, &key, &nonce, &mut s)?;
        Ok(s)
    }),
    ("crypto_aead_init_x/write/read", |m, oracle, rng| {
        let mut s = Secrets::default();
        let key = s.random(rng, "key", 32);
        let plain = s.random(rng, "plain text", 100);
        let nonce = random_bytes(rng, 24);
        let (key_ptr, nonce_ptr, text) = (m.input(&key)?, m.input(&nonce)?, m.input(&plain)?);
        let (writer, reader) = (m.buffer(48)?, m.buffer(48)?);
        let (mac, cipher, out) = (m.buffer(16)?, m.buffer(100)?, m.buffer(100)?);
        m.call::<(u32, u32, u32), ()>("crypto_aead_init_x", (writer, key_ptr, nonce_ptr))?;
        m.call::<(u32, u32, u32), ()>("crypto_aead_init_x", (reader, key_ptr, nonce_ptr))?;
        let args = (writer, cipher, mac, 0, 0, text, 100);
        m.call::<(u32, u32, u32, u32, u32, u32, u32), ()>("crypto_aead_write", args)?;
        let args = (reader, out, mac, 0, 0, cipher, 100);
        let status =
            m.call::<(u32, u32, u32, u32, u32, u32, u32), i32>("crypto_aead_read", args)?;
        ensure_eq!(status, 0, "read failed");
        aead_derived(oracle, &key, &nonce, &mut s)?;
        Ok(s)
    }),
    ("crypto_chacha20_djb/ietf/x/h", |m, oracle, rng| {
        let mut s = Secrets::default();
        let key = s.random(rng, "key", 32);
        let plain = s.random(rng, "plain text", 150);
        let nonce = random_bytes(rng, 24);
        m.chacha20_djb(&plain, &key, &nonce[..8], 0)?;
        m.chacha20_ietf(&plain, &key, &nonce[..12], 0)?;
        m.chacha20_x(&plain, &key, &nonce, 0)?;
        m.chacha20_h(&key, &nonce[..16])?;
        s.add(
            "ChaCha20 keystream",
            oracle.chacha20_djb(&[0; 150], &key, &nonce[..8], 0)?.0,
        );
        s.add(
            "IETF ChaCha20 keystream",
            oracle.chacha20_ietf(&[0; 150], &key, &nonce[..12], 0)?.0,
        );
        s.add(
            "XChaCha20 keystream",
            oracle.chacha20_x(&[0; 150], &key, &nonce, 0)?.0,
        );
        s.add("HChaCha20 subkey", oracle.chacha20_h(&key, &nonce[..16])?);
        Ok(s)
    }),
    ("crypto_poly1305", |m, _, rng| {
        let mut s = Secrets::default();
        let key = s.random(rng, "one-time key", 32);
        m.poly1305(b"message", &key)?;
        Ok(s)
    }),
    (
        "crypto_blake2b_keyed, and crypto_blake2b of a secret",
        |m, _, rng| {
            let mut s = Secrets::default();
            let key = s.random(rng, "key", 64);
            let message = s.random(rng, "message", 300);
            m.blake2b_keyed(64, &key, &message)?;
            m.blake2b(64, &message)?;
            Ok(s)
        },
    ),
    (
        "crypto_sha512 of a secret, crypto_sha512_hmac",
        |m, oracle, rng| {
            let mut s = Secrets::default();
            let key = s.random(rng, "HMAC key", 32);
            let long_key = s.random(rng, "long HMAC key", 200);
            let message = s.random(rng, "message", 300);
            m.sha512(&message)?;
            m.sha512_hmac(&key, &message)?;
            m.sha512_hmac(&long_key, &message)?;
            hmac_pads(oracle, &key, &mut s)?;
            hmac_pads(oracle, &long_key, &mut s)?;
            Ok(s)
        },
    ),
    ("crypto_sha512_hkdf", |m, oracle, rng| {
        let mut s = Secrets::default();
        let ikm = s.random(rng, "input key material", 32);
        m.sha512_hkdf(96, &ikm, b"salt", b"info")?;
        let prk = s.add("PRK", oracle.sha512_hmac(b"salt", &ikm)?);
        hmac_pads(oracle, &prk, &mut s)?;
        // Whole HMAC blocks, including the bytes past the 96 requested.
        s.add(
            "output key material",
            oracle.sha512_hkdf(128, &ikm, b"salt", b"info")?,
        );
        Ok(s)
    }),
    ("crypto_sha512_hkdf_expand", |m, oracle, rng| {
        let mut s = Secrets::default();
        let prk = s.random(rng, "PRK", 64);
        let okm = m.buffer(100)?;
        let (prk_ptr, info) = (m.input(&prk)?, m.input(b"info")?);
        m.call::<(u32, u32, u32, u32, u32, u32), ()>(
            "crypto_sha512_hkdf_expand",
            (okm, 100, prk_ptr, 64, info, 4),
        )?;
        hmac_pads(oracle, &prk, &mut s)?;
        let whole = oracle.buffer(128)?;
        let (prk_ptr, info) = (oracle.input(&prk)?, oracle.input(b"info")?);
        oracle.call::<(u32, u32, u32, u32, u32, u32), ()>(
            "crypto_sha512_hkdf_expand",
            (whole, 128, prk_ptr, 64, info, 4),
        )?;
        s.add("output key material", oracle.read(whole, 128)?);
        Ok(s)
    }),
    ("crypto_argon2", |m, _, rng| {
        let mut s = Secrets::default();
        let pass = s.random(rng, "password", 24);
        let key = s.random(rng, "key", 32);
        let config = Argon2Config {
            algorithm: 2,
            nb_blocks: 16,
            nb_passes: 2,
            nb_lanes: 2,
        };
        s.add(
            "hash",
            m.argon2(32, config, &pass, b"saltsaltsaltsalt", &key, b"ad")?,
        );
        Ok(s)
    }),
    ("crypto_x25519 and its variants", |m, oracle, rng| {
        let mut s = Secrets::default();
        let ours = s.random(rng, "secret key", 32);
        let theirs = random_bytes(rng, 32);
        let their_public = m.unary32("crypto_x25519_public_key", &theirs)?;
        m.unary32("crypto_x25519_public_key", &ours)?;
        s.add("shared secret", m.x25519(&ours, &their_public)?);
        m.unary32("crypto_x25519_dirty_small", &ours)?;
        m.unary32("crypto_x25519_dirty_fast", &ours)?;
        let (blind, point, sk) = (m.buffer(32)?, m.input(&their_public)?, m.input(&ours)?);
        m.call::<(u32, u32, u32), ()>("crypto_x25519_inverse", (blind, sk, point))?;
        s.add(
            "clamped scalar",
            oracle.unary32("crypto_eddsa_trim_scalar", &ours)?,
        );
        Ok(s)
    }),
    ("crypto_eddsa_key_pair/sign", |m, oracle, rng| {
        let mut s = Secrets::default();
        let seed = s.random(rng, "seed", 32);
        let (secret_key, _, _) = m.key_pair("crypto_eddsa_key_pair", &seed)?;
        m.sign("crypto_eddsa_sign", &secret_key, b"message")?;
        eddsa_derived(
            oracle,
            |o, data| o.blake2b(64, data),
            &seed,
            b"message",
            &mut s,
        )?;
        Ok(s)
    }),
    ("crypto_ed25519_key_pair/sign/ph_sign", |m, oracle, rng| {
        let mut s = Secrets::default();
        let seed = s.random(rng, "seed", 32);
        let (secret_key, _, _) = m.key_pair("crypto_ed25519_key_pair", &seed)?;
        m.sign("crypto_ed25519_sign", &secret_key, b"message")?;
        m.ed25519_ph_sign(&secret_key, &[7; 64])?;
        eddsa_derived(oracle, Mono::sha512, &seed, b"message", &mut s)?;
        Ok(s)
    }),
    ("crypto_eddsa building blocks", |m, _, rng| {
        let mut s = Secrets::default();
        let scalar = s.random(rng, "scalar", 32);
        let wide = s.random(rng, "wide scalar", 64);
        let trimmed = s.add(
            "trimmed scalar",
            m.unary32("crypto_eddsa_trim_scalar", &scalar)?,
        );
        m.unary32("crypto_eddsa_scalarbase", &trimmed)?;
        let (reduced, wide) = (m.buffer(32)?, m.input(&wide)?);
        m.call::<(u32, u32), ()>("crypto_eddsa_reduce", (reduced, wide))?;
        let (r, a) = (m.buffer(32)?, m.input(&trimmed)?);
        m.call::<(u32, u32, u32, u32), ()>("crypto_eddsa_mul_add", (r, a, a, a))?;
        Ok(s)
    }),
    ("crypto_elligator_key_pair", |m, _, rng| {
        let mut s = Secrets::default();
        let seed = s.random(rng, "seed", 32);
        let (hidden, secret_key, seed_ptr) = (m.buffer(32)?, m.buffer(32)?, m.input(&seed)?);
        m.call::<(u32, u32, u32), ()>("crypto_elligator_key_pair", (hidden, secret_key, seed_ptr))?;
        s.add("secret key", m.read(secret_key, 32)?);
        Ok(s)
    }),
];

/// Where a leaked window sits: the SDK arena starts at the first pointer it handed out.
fn region(address: usize, arena_start: usize) -> &'static str {
    if address < arena_start {
        "below __heap_base (shadow stack or static data)"
    } else {
        "in the arena (bump_reset should have zeroed it)"
    }
}

/// Every window of `secrets` found in `memory`, as runs `(secret, offset in it, address, len)`.
fn find<'s>(memory: &[u8], secrets: &'s Secrets) -> Vec<(&'s str, usize, usize, usize)> {
    let mut windows: HashMap<&[u8], (&str, usize)> = HashMap::new();
    for (name, bytes) in &secrets.0 {
        for (offset, window) in bytes.windows(WINDOW).enumerate() {
            windows.insert(window, (name, offset));
        }
    }
    let mut runs: Vec<(&str, usize, usize, usize)> = Vec::new();
    for (address, window) in memory.windows(WINDOW).enumerate() {
        let Some(&(name, offset)) = windows.get(window) else {
            continue;
        };
        match runs.last_mut() {
            // The next window of the same copy extends the run.
            Some((last, start, at, len))
                if *last == name
                    && address + WINDOW == *at + *len + 1
                    && offset + WINDOW == *start + *len + 1 =>
            {
                *len += 1;
            }
            _ => runs.push((name, offset, address, WINDOW)),
        }
    }
    runs
}

#[test]
fn no_secret_survives_bump_reset() -> Result<()> {
    let mut rng = seeded_rng("no_secret_survives_bump_reset");
    let mut oracle = Mono::new()?;
    let mut leaks = Vec::new();
    let mut scanned = 0;
    for (operation, run) in OPERATIONS {
        let mut mono = Mono::new()?;
        let secrets = run(&mut mono, &mut oracle, &mut rng)?;
        // The scan must see what it looks for: secrets sit in the arena until the reset.
        let memory = mono.guest.memory_bytes();
        ensure!(
            secrets.0.iter().any(|(_, bytes)| contains(memory, bytes)),
            "{operation}: no secret found even before bump_reset"
        );
        mono.reset()?;
        oracle.reset()?;
        scanned += secrets.0.len();
        let arena_start = mono.lowest_pointer as usize;
        for (name, offset, address, len) in find(mono.guest.memory_bytes(), &secrets) {
            leaks.push(format!(
                "{operation}: {name}[{offset}..{}] at {address:#x}..{:#x}, {}",
                offset + len,
                address + len,
                region(address, arena_start)
            ));
        }
    }
    ensure!(
        leaks.is_empty(),
        "secrets left in linear memory after bump_reset:\n{}",
        leaks.join("\n")
    );
    println!(
        "{} operations, {scanned} secrets, none left after bump_reset",
        OPERATIONS.len()
    );
    Ok(())
}
