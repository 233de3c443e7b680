//! Replays every test vector shipped in Monocypher's tree through the artifact, the way upstream's
//! `tests/test.c` consumes them (including its extra checks per vector). Each set's vector count
//! is asserted, and every set in the tree must be claimed here, so a parse slip or a new upstream
//! set cannot pass silently.

use std::collections::BTreeSet;

use wasmtime::{bail, ensure, format_err, Result};

use super::api::Argon2Config;
use super::vector_files::{gen_sets, test_c_array, tis_ci_sets, GEN_DIR, TIS_CI_HEADER};
use super::{source_dir, Mono};
use crate::ensure_eq;

/// A vector set in upstream's tree: fields per vector (inputs then the expected output), and how
/// many vectors `tests/tis-ci-vectors.h` and `tests/gen/vectors/NAME` hold (0: no such set).
struct Set {
    primitive: &'static str,
    arity: usize,
    tis_ci: usize,
    gen: usize,
}

const fn set(primitive: &'static str, arity: usize, tis_ci: usize, gen: usize) -> Set {
    Set {
        primitive,
        arity,
        tis_ci,
        gen,
    }
}

const SETS: &[Set] = &[
    set("chacha20", 5, 8, 5),
    set("hchacha20", 3, 1, 0),
    set("xchacha20", 5, 8, 0),
    set("ietf_chacha20", 5, 7, 0),
    set("aead_ietf", 5, 14, 0),
    set("poly1305", 3, 7, 16),
    set("blake2b", 3, 15, 256),
    set("sha512", 2, 7, 0),
    set("sha512_hmac", 3, 15, 39),
    set("sha512_hkdf", 4, 3, 0),
    set("argon2", 9, 2, 5),
    set("edDSA", 4, 1, 0),
    set("edDSA_pk", 2, 1, 0),
    set("ed_25519", 4, 1, 0),
    set("ed_25519_check", 4, 3, 330),
    set("ed_25519ph", 4, 0, 2),
    set("x25519", 3, 1, 523),
    set("elligator_dir", 2, 14, 38),
    set("elligator_inv", 4, 19, 3),
];

/// One vector: where it comes from (for failure messages), its inputs and expected output.
pub struct Vector {
    origin: String,
    inputs: Vec<Vec<u8>>,
    pub expected: Vec<u8>,
}

impl Vector {
    pub fn inputs<const N: usize>(&self) -> Result<[&[u8]; N]> {
        let inputs: Vec<&[u8]> = self.inputs.iter().map(Vec::as_slice).collect();
        inputs.try_into().map_err(|_| {
            format_err!(
                "{}: expected {N} inputs, got {}",
                self.origin,
                self.inputs.len()
            )
        })
    }

    pub fn expect(&self, what: &str, got: &[u8]) -> Result<()> {
        expect_bytes(&format!("{}: {what}", self.origin), got, &self.expected)
    }
}

fn expect_bytes(what: &str, got: &[u8], expected: &[u8]) -> Result<()> {
    ensure_eq!(
        got,
        expected,
        "{what}: got {}, expected {}",
        hex(got),
        hex(expected)
    );
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn split(primitive: &str, origin: &str, fields: &[Vec<u8>], arity: usize) -> Result<Vec<Vector>> {
    let chunks = fields.chunks_exact(arity);
    ensure!(
        chunks.remainder().is_empty(),
        "{origin}: {} fields do not split into {primitive} vectors of {arity}",
        fields.len()
    );
    Ok(chunks
        .enumerate()
        .map(|(index, chunk)| {
            let (expected, inputs) = chunk.split_last().expect("arity is at least 1");
            Vector {
                origin: format!("{origin}, vector {index}"),
                inputs: inputs.to_vec(),
                expected: expected.clone(),
            }
        })
        .collect())
}

/// Every vector of `primitive`, both sources, after checking each source's count.
pub fn load(primitive: &str) -> Result<Vec<Vector>> {
    let set = SETS
        .iter()
        .find(|set| set.primitive == primitive)
        .ok_or_else(|| format_err!("no vector set named {primitive}"))?;
    let dir = source_dir()?;
    let mut vectors = Vec::new();
    let sources = [
        (
            format!("{TIS_CI_HEADER} ({primitive}_vectors)"),
            tis_ci_sets(&dir)?.remove(primitive),
            set.tis_ci,
        ),
        (
            format!("{GEN_DIR}/{primitive}"),
            gen_sets(&dir)?.remove(primitive),
            set.gen,
        ),
    ];
    for (origin, fields, expected) in sources {
        let found = match fields {
            Some(fields) => split(primitive, &origin, &fields, set.arity)?,
            None => Vec::new(),
        };
        ensure_eq!(
            found.len(),
            expected,
            "{origin}: expected {expected} {primitive} vectors, parsed {}",
            found.len()
        );
        vectors.extend(found);
    }
    Ok(vectors)
}

/// Runs `check` on every vector of `primitive` in one instance, resetting the arena in between.
fn replay(primitive: &str, mut check: impl FnMut(&mut Mono, &Vector) -> Result<()>) -> Result<()> {
    let vectors = load(primitive)?;
    let mut mono = Mono::new()?;
    for vector in &vectors {
        check(&mut mono, vector)
            .map_err(|err| err.context(format!("{primitive}: {}", vector.origin)))?;
        mono.reset()?;
    }
    println!("{primitive}: {} vectors replayed", vectors.len());
    Ok(())
}

fn load64_le(field: &[u8]) -> Result<u64> {
    Ok(u64::from_le_bytes(
        field
            .try_into()
            .map_err(|_| format_err!("counter is not 8 bytes"))?,
    ))
}

pub fn load32_le(field: &[u8]) -> Result<u32> {
    let low = field
        .get(..4)
        .ok_or_else(|| format_err!("field shorter than 4 bytes"))?;
    Ok(u32::from_le_bytes(low.try_into()?))
}

fn blocks(len: usize) -> u64 {
    len.div_ceil(64) as u64
}

#[test]
fn every_upstream_vector_set_is_replayed() -> Result<()> {
    let dir = source_dir()?;
    let claimed = |pick: fn(&Set) -> usize| -> BTreeSet<&str> {
        SETS.iter()
            .filter(|set| pick(set) > 0)
            .map(|set| set.primitive)
            .collect()
    };
    let tis_ci: BTreeSet<String> = tis_ci_sets(&dir)?.into_keys().collect();
    let gen: BTreeSet<String> = gen_sets(&dir)?.into_keys().collect();
    assert_eq!(
        tis_ci.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        claimed(|set| set.tis_ci)
    );
    assert_eq!(
        gen.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        claimed(|set| set.gen)
    );
    let total: usize = SETS.iter().map(|set| set.tis_ci + set.gen).sum();
    println!("{} sets, {total} vectors", SETS.len());
    Ok(())
}

/// `Mono::chacha20_djb` or `Mono::chacha20_x`.
type Chacha64 = fn(&mut Mono, &[u8], &[u8], &[u8], u64) -> Result<(Vec<u8>, u64)>;

fn chacha20_64(primitive: &str, cipher: Chacha64) -> Result<()> {
    replay(primitive, |mono, v| {
        let [key, nonce, plain, ctr] = v.inputs()?;
        let ctr = load64_le(ctr)?;
        let (encrypted, next) = cipher(mono, plain, key, nonce, ctr)?;
        v.expect("cipher text", &encrypted)?;
        ensure_eq!(
            next.wrapping_sub(ctr),
            blocks(plain.len()),
            "returned counter {next} after {ctr}"
        );
        Ok(())
    })
}

#[test]
fn chacha20() -> Result<()> {
    chacha20_64("chacha20", Mono::chacha20_djb)
}

#[test]
fn xchacha20() -> Result<()> {
    chacha20_64("xchacha20", Mono::chacha20_x)
}

#[test]
fn ietf_chacha20() -> Result<()> {
    replay("ietf_chacha20", |mono, v| {
        let [key, nonce, plain, ctr] = v.inputs()?;
        let ctr = load32_le(ctr)?;
        let (cipher, next) = mono.chacha20_ietf(plain, key, nonce, ctr)?;
        v.expect("cipher text", &cipher)?;
        ensure_eq!(
            u64::from(next.wrapping_sub(ctr)),
            blocks(plain.len()),
            "counter {next} after {ctr}"
        );
        Ok(())
    })
}

#[test]
fn hchacha20() -> Result<()> {
    replay("hchacha20", |mono, v| {
        let [key, input] = v.inputs()?;
        v.expect("output", &mono.chacha20_h(key, input)?)
    })
}

#[test]
fn poly1305() -> Result<()> {
    replay("poly1305", |mono, v| {
        let [key, message] = v.inputs()?;
        v.expect("mac", &mono.poly1305(message, key)?)
    })
}

#[test]
fn aead() -> Result<()> {
    replay("aead_ietf", |mono, v| {
        let [key, nonce, ad, plain] = v.inputs()?;
        let (mac, cipher) = mono.aead_lock(key, nonce, ad, plain)?;
        v.expect("mac || cipher text", &[mac.as_slice(), &cipher].concat())?;
        let (status, opened) = mono.aead_unlock(key, nonce, ad, &mac, &cipher)?;
        ensure_eq!(status, 0, "crypto_aead_unlock rejected its own lock");
        expect_bytes("unlocked", &opened, plain)
    })
}

#[test]
fn blake2b() -> Result<()> {
    replay("blake2b", |mono, v| {
        let [message, key] = v.inputs()?;
        v.expect("hash", &mono.blake2b_keyed(v.expected.len(), key, message)?)
    })
}

#[test]
fn sha512() -> Result<()> {
    replay("sha512", |mono, v| {
        let [message] = v.inputs()?;
        v.expect("hash", &mono.sha512(message)?)
    })
}

#[test]
fn sha512_hmac() -> Result<()> {
    replay("sha512_hmac", |mono, v| {
        let [key, message] = v.inputs()?;
        v.expect("hmac", &mono.sha512_hmac(key, message)?)
    })
}

#[test]
fn sha512_hkdf() -> Result<()> {
    replay("sha512_hkdf", |mono, v| {
        let [ikm, salt, info] = v.inputs()?;
        v.expect("okm", &mono.sha512_hkdf(v.expected.len(), ikm, salt, info)?)
    })
}

#[test]
fn argon2() -> Result<()> {
    replay("argon2", |mono, v| {
        let [algorithm, nb_blocks, nb_passes, nb_lanes, pass, salt, key, ad] = v.inputs()?;
        let config = Argon2Config {
            algorithm: load32_le(algorithm)?,
            nb_blocks: load32_le(nb_blocks)?,
            nb_passes: load32_le(nb_passes)?,
            nb_lanes: load32_le(nb_lanes)?,
        };
        v.expect(
            "hash",
            &mono.argon2(v.expected.len(), config, pass, salt, key, ad)?,
        )
    })
}

/// `edDSA` (BLAKE2b) and `ed_25519` (SHA-512): sign with secret || public, then verify.
fn sign_vectors(primitive: &str, sign: &str, check: &str) -> Result<()> {
    replay(primitive, |mono, v| {
        let [secret, public, message] = v.inputs()?;
        let signature = mono.sign(sign, &[secret, public].concat(), message)?;
        v.expect("signature", &signature)?;
        ensure_eq!(
            mono.check(check, &signature, public, message)?,
            0,
            "{check} rejected the vector"
        );
        Ok(())
    })
}

#[test]
fn eddsa() -> Result<()> {
    sign_vectors("edDSA", "crypto_eddsa_sign", "crypto_eddsa_check")
}

#[test]
fn ed25519() -> Result<()> {
    sign_vectors("ed_25519", "crypto_ed25519_sign", "crypto_ed25519_check")
}

#[test]
fn eddsa_public_key() -> Result<()> {
    replay("edDSA_pk", |mono, v| {
        let [seed] = v.inputs()?;
        let (secret, public, seed_after) = mono.key_pair("crypto_eddsa_key_pair", seed)?;
        v.expect("public key", &public)?;
        expect_bytes("seed after the call (wiped)", &seed_after, &[0; 32])?;
        expect_bytes("secret key, first half", &secret[..32], seed)?;
        expect_bytes("secret key, second half", &secret[32..], &public)
    })
}

#[test]
fn ed25519_check() -> Result<()> {
    replay("ed_25519_check", |mono, v| {
        let [public, message, signature] = v.inputs()?;
        let status = mono.check("crypto_ed25519_check", signature, public, message)?;
        v.expect("status byte", &[status as u8])
    })
}

#[test]
fn ed25519_prehashed() -> Result<()> {
    replay("ed_25519ph", |mono, v| {
        let [seed, public, message] = v.inputs()?;
        let (secret, derived_public, _) = mono.key_pair("crypto_ed25519_key_pair", seed)?;
        expect_bytes("derived public key", &derived_public, public)?;
        expect_bytes("secret key, second half", &secret[32..], public)?;
        let digest = mono.sha512(message)?;
        let signature = mono.ed25519_ph_sign(&secret, &digest)?;
        v.expect("signature", &signature)?;
        ensure_eq!(
            mono.ed25519_ph_check(&signature, public, &digest)?,
            0,
            "valid signature rejected"
        );
        for byte in 0..64 {
            let mut corrupt = signature.clone();
            corrupt[byte] ^= 1;
            ensure!(
                mono.ed25519_ph_check(&corrupt, public, &digest)? != 0,
                "signature with byte {byte} corrupted was accepted"
            );
        }
        Ok(())
    })
}

#[test]
fn x25519() -> Result<()> {
    replay("x25519", |mono, v| {
        let [scalar, point] = v.inputs()?;
        v.expect("shared secret", &mono.x25519(scalar, point)?)
    })
}

/// `tests/test.c` hard-codes RFC 7748's iterated X25519 results after 1 and 1000 iterations.
#[test]
fn x25519_iterated() -> Result<()> {
    let dir = source_dir()?;
    let after_1 = test_c_array(&dir, "_1")?;
    let after_1000 = test_c_array(&dir, "_1k")?;
    let mut mono = Mono::new()?;
    let mut k = [0; 32].to_vec();
    k[0] = 9;
    let mut u = k.clone();
    k = mono.unary32("crypto_x25519_public_key", &u)?;
    expect_bytes("x25519, 1 iteration", &k, &after_1)?;
    for _ in 1..1000 {
        let next = mono.x25519(&k, &u)?;
        u = std::mem::replace(&mut k, next);
        mono.reset()?;
    }
    expect_bytes("x25519, 1000 iterations", &k, &after_1000)?;
    println!("x25519 iterated: 2 vectors replayed");
    Ok(())
}

#[test]
fn elligator_map() -> Result<()> {
    replay("elligator_dir", |mono, v| {
        let [hidden] = v.inputs()?;
        v.expect(
            "curve point",
            &mono.unary32("crypto_elligator_map", hidden)?,
        )
    })
}

#[test]
fn elligator_rev() -> Result<()> {
    replay("elligator_inv", |mono, v| {
        let [point, tweak, failure] = v.inputs()?;
        let (&[tweak], &[failure]) = (tweak, failure) else {
            bail!("tweak and status must be one byte each");
        };
        let (status, hidden) = mono.elligator_rev(point, tweak)?;
        ensure_eq!(
            status as u8,
            failure,
            "status {status}, expected {failure:#04x}"
        );
        if status == 0 {
            v.expect("representative", &hidden)
        } else {
            // No representative: gen/ leaves the output empty, tis-ci writes one zero byte.
            ensure!(
                matches!(v.expected.as_slice(), [] | [0]),
                "failure with an expected output"
            );
            Ok(())
        }
    })
}
