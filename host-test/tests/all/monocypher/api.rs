//! Typed host-side wrappers: each copies its inputs into fresh arena buffers, calls the export
//! with its wasm32 C signature and reads the outputs back. Callers `reset` when they are done.

use wasmtime::Result;

use super::Mono;
use crate::ensure_eq;

/// `crypto_argon2_config` (16 bytes: four u32 at offsets 0, 4, 8, 12).
#[derive(Clone, Copy, Debug)]
pub struct Argon2Config {
    pub algorithm: u32,
    pub nb_blocks: u32,
    pub nb_passes: u32,
    pub nb_lanes: u32,
}

impl Argon2Config {
    pub fn encode(&self) -> [u8; 16] {
        words([
            self.algorithm,
            self.nb_blocks,
            self.nb_passes,
            self.nb_lanes,
        ])
    }
}

/// `crypto_argon2_inputs` and `crypto_argon2_extras` share one layout: two pointers, then the
/// two sizes (16 bytes: u32 at offsets 0, 4, 8, 12).
pub fn encode_pair(first: u32, second: u32, first_size: u32, second_size: u32) -> [u8; 16] {
    words([first, second, first_size, second_size])
}

fn words(values: [u32; 4]) -> [u8; 16] {
    let mut bytes = [0; 16];
    for (chunk, value) in bytes.chunks_exact_mut(4).zip(values) {
        chunk.copy_from_slice(&value.to_le_bytes());
    }
    bytes
}

fn size(bytes: &[u8]) -> Result<u32> {
    Ok(u32::try_from(bytes.len())?)
}

fn exact<'a>(bytes: &'a [u8], len: usize, what: &str) -> Result<&'a [u8]> {
    ensure_eq!(
        bytes.len(),
        len,
        "{what} must be {len} bytes, got {}",
        bytes.len()
    );
    Ok(bytes)
}

impl Mono {
    /// `fn(out[len], in...)` shapes: allocates the output, calls, reads it back.
    fn out_of<P>(
        &mut self,
        name: &str,
        len: usize,
        params: impl FnOnce(u32) -> P,
    ) -> Result<Vec<u8>>
    where
        P: wasmtime::WasmParams,
    {
        let out = self.buffer(len)?;
        self.call::<P, ()>(name, params(out))?;
        self.read(out, len)
    }

    pub fn chacha20_h(&mut self, key: &[u8], input: &[u8]) -> Result<Vec<u8>> {
        let key = self.input(exact(key, 32, "key")?)?;
        let input = self.input(exact(input, 16, "input")?)?;
        self.out_of("crypto_chacha20_h", 32, |out| (out, key, input))
    }

    /// `crypto_chacha20_djb`: returns the cipher text and the next block counter.
    pub fn chacha20_djb(
        &mut self,
        text: &[u8],
        key: &[u8],
        nonce: &[u8],
        ctr: u64,
    ) -> Result<(Vec<u8>, u64)> {
        self.chacha20_64(
            "crypto_chacha20_djb",
            text,
            exact(key, 32, "key")?,
            exact(nonce, 8, "nonce")?,
            ctr,
        )
    }

    /// `crypto_chacha20_x`: returns the cipher text and the next block counter.
    pub fn chacha20_x(
        &mut self,
        text: &[u8],
        key: &[u8],
        nonce: &[u8],
        ctr: u64,
    ) -> Result<(Vec<u8>, u64)> {
        self.chacha20_64(
            "crypto_chacha20_x",
            text,
            exact(key, 32, "key")?,
            exact(nonce, 24, "nonce")?,
            ctr,
        )
    }

    fn chacha20_64(
        &mut self,
        name: &str,
        text: &[u8],
        key: &[u8],
        nonce: &[u8],
        ctr: u64,
    ) -> Result<(Vec<u8>, u64)> {
        let plain = self.input(text)?;
        let key = self.input(key)?;
        let nonce = self.input(nonce)?;
        let cipher = self.buffer(text.len())?;
        let next = self.call::<(u32, u32, u32, u32, u32, u64), u64>(
            name,
            (cipher, plain, size(text)?, key, nonce, ctr),
        )?;
        Ok((self.read(cipher, text.len())?, next))
    }

    /// `crypto_chacha20_ietf`: returns the cipher text and the next (32-bit) block counter.
    pub fn chacha20_ietf(
        &mut self,
        text: &[u8],
        key: &[u8],
        nonce: &[u8],
        ctr: u32,
    ) -> Result<(Vec<u8>, u32)> {
        let plain = self.input(text)?;
        let key = self.input(exact(key, 32, "key")?)?;
        let nonce = self.input(exact(nonce, 12, "nonce")?)?;
        let cipher = self.buffer(text.len())?;
        let next = self.call::<(u32, u32, u32, u32, u32, u32), u32>(
            "crypto_chacha20_ietf",
            (cipher, plain, size(text)?, key, nonce, ctr),
        )?;
        Ok((self.read(cipher, text.len())?, next))
    }

    pub fn poly1305(&mut self, message: &[u8], key: &[u8]) -> Result<Vec<u8>> {
        let msg = self.input(message)?;
        let key = self.input(exact(key, 32, "key")?)?;
        let len = size(message)?;
        self.out_of("crypto_poly1305", 16, |mac| (mac, msg, len, key))
    }

    /// `crypto_aead_lock`: returns `(mac, cipher_text)`.
    pub fn aead_lock(
        &mut self,
        key: &[u8],
        nonce: &[u8],
        ad: &[u8],
        plain: &[u8],
    ) -> Result<(Vec<u8>, Vec<u8>)> {
        let key = self.input(exact(key, 32, "key")?)?;
        let nonce = self.input(exact(nonce, 24, "nonce")?)?;
        let ad_ptr = self.input(ad)?;
        let plain_ptr = self.input(plain)?;
        let mac = self.buffer(16)?;
        let cipher = self.buffer(plain.len())?;
        self.call::<(u32, u32, u32, u32, u32, u32, u32, u32), ()>(
            "crypto_aead_lock",
            (
                cipher,
                mac,
                key,
                nonce,
                ad_ptr,
                size(ad)?,
                plain_ptr,
                size(plain)?,
            ),
        )?;
        Ok((self.read(mac, 16)?, self.read(cipher, plain.len())?))
    }

    /// A packed box block (key, nonce, MAC, text, ad; see the guest's `packed.rs`) in a fresh
    /// arena buffer: returns its address.
    fn packed_block(
        &mut self,
        key: &[u8],
        nonce: &[u8],
        mac: &[u8],
        text: &[u8],
        ad: &[u8],
    ) -> Result<u32> {
        let block = [
            exact(key, 32, "key")?,
            exact(nonce, 24, "nonce")?,
            &[0; 8],
            exact(mac, 16, "mac")?,
            text,
            ad,
        ]
        .concat();
        self.input(&block)
    }

    /// `aead_lock_packed`: returns its status, the MAC and the text as left in the block.
    pub fn aead_lock_packed(
        &mut self,
        key: &[u8],
        nonce: &[u8],
        ad: &[u8],
        plain: &[u8],
    ) -> Result<(i32, Vec<u8>, Vec<u8>)> {
        let block = self.packed_block(key, nonce, &[0; 16], plain, ad)?;
        let status = self
            .call::<(u32, u32, u32), i32>("aead_lock_packed", (block, size(plain)?, size(ad)?))?;
        Ok((
            status,
            self.read(block + 64, 16)?,
            self.read(block + 80, plain.len())?,
        ))
    }

    /// `aead_unlock_packed`: returns its status and the text as left in the block.
    pub fn aead_unlock_packed(
        &mut self,
        key: &[u8],
        nonce: &[u8],
        ad: &[u8],
        mac: &[u8],
        cipher: &[u8],
    ) -> Result<(i32, Vec<u8>)> {
        let block = self.packed_block(key, nonce, mac, cipher, ad)?;
        let status = self.call::<(u32, u32, u32), i32>(
            "aead_unlock_packed",
            (block, size(cipher)?, size(ad)?),
        )?;
        Ok((status, self.read(block + 80, cipher.len())?))
    }

    /// `crypto_aead_unlock`: returns its status and the plain text buffer as left by the call.
    pub fn aead_unlock(
        &mut self,
        key: &[u8],
        nonce: &[u8],
        ad: &[u8],
        mac: &[u8],
        cipher: &[u8],
    ) -> Result<(i32, Vec<u8>)> {
        let key = self.input(exact(key, 32, "key")?)?;
        let nonce = self.input(exact(nonce, 24, "nonce")?)?;
        let ad_ptr = self.input(ad)?;
        let mac = self.input(exact(mac, 16, "mac")?)?;
        let cipher_ptr = self.input(cipher)?;
        let plain = self.buffer(cipher.len())?;
        let status = self.call::<(u32, u32, u32, u32, u32, u32, u32, u32), i32>(
            "crypto_aead_unlock",
            (
                plain,
                mac,
                key,
                nonce,
                ad_ptr,
                size(ad)?,
                cipher_ptr,
                size(cipher)?,
            ),
        )?;
        Ok((status, self.read(plain, cipher.len())?))
    }

    pub fn blake2b_keyed(
        &mut self,
        hash_size: usize,
        key: &[u8],
        message: &[u8],
    ) -> Result<Vec<u8>> {
        let key_ptr = self.input(key)?;
        let msg = self.input(message)?;
        let (hash_len, key_len, msg_len) = (u32::try_from(hash_size)?, size(key)?, size(message)?);
        self.out_of("crypto_blake2b_keyed", hash_size, |hash| {
            (hash, hash_len, key_ptr, key_len, msg, msg_len)
        })
    }

    pub fn blake2b(&mut self, hash_size: usize, message: &[u8]) -> Result<Vec<u8>> {
        let msg = self.input(message)?;
        let (hash_len, msg_len) = (u32::try_from(hash_size)?, size(message)?);
        self.out_of("crypto_blake2b", hash_size, |hash| {
            (hash, hash_len, msg, msg_len)
        })
    }

    pub fn sha512(&mut self, message: &[u8]) -> Result<Vec<u8>> {
        let msg = self.input(message)?;
        let len = size(message)?;
        self.out_of("crypto_sha512", 64, |hash| (hash, msg, len))
    }

    pub fn sha512_hmac(&mut self, key: &[u8], message: &[u8]) -> Result<Vec<u8>> {
        let key_ptr = self.input(key)?;
        let msg = self.input(message)?;
        let (key_len, msg_len) = (size(key)?, size(message)?);
        self.out_of("crypto_sha512_hmac", 64, |hmac| {
            (hmac, key_ptr, key_len, msg, msg_len)
        })
    }

    pub fn sha512_hkdf(
        &mut self,
        okm_size: usize,
        ikm: &[u8],
        salt: &[u8],
        info: &[u8],
    ) -> Result<Vec<u8>> {
        let ikm_ptr = self.input(ikm)?;
        let salt_ptr = self.input(salt)?;
        let info_ptr = self.input(info)?;
        let sizes = (
            u32::try_from(okm_size)?,
            size(ikm)?,
            size(salt)?,
            size(info)?,
        );
        self.out_of("crypto_sha512_hkdf", okm_size, |okm| {
            (
                okm, sizes.0, ikm_ptr, sizes.1, salt_ptr, sizes.2, info_ptr, sizes.3,
            )
        })
    }

    /// `crypto_argon2` with its three structs written into the arena at the documented layout.
    pub fn argon2(
        &mut self,
        hash_size: usize,
        config: Argon2Config,
        pass: &[u8],
        salt: &[u8],
        key: &[u8],
        ad: &[u8],
    ) -> Result<Vec<u8>> {
        let pass_ptr = self.input(pass)?;
        let salt_ptr = self.input(salt)?;
        let key_ptr = self.input(key)?;
        let ad_ptr = self.input(ad)?;
        let config_ptr = self.input(&config.encode())?;
        let inputs = self.input(&encode_pair(pass_ptr, salt_ptr, size(pass)?, size(salt)?))?;
        let extras = self.input(&encode_pair(key_ptr, ad_ptr, size(key)?, size(ad)?))?;
        let work_area = self.buffer(usize::try_from(config.nb_blocks)? * 1024)?;
        let hash_len = u32::try_from(hash_size)?;
        self.out_of("crypto_argon2", hash_size, |hash| {
            (hash, hash_len, work_area, config_ptr, inputs, extras)
        })
    }

    pub fn x25519(&mut self, secret: &[u8], public: &[u8]) -> Result<Vec<u8>> {
        let secret = self.input(exact(secret, 32, "secret key")?)?;
        let public = self.input(exact(public, 32, "public key")?)?;
        self.out_of("crypto_x25519", 32, |shared| (shared, secret, public))
    }

    /// `fn(out[32], in[32])` exports: x25519 public keys, conversions, elligator map...
    pub fn unary32(&mut self, name: &str, input: &[u8]) -> Result<Vec<u8>> {
        let input = self.input(exact(input, 32, "input")?)?;
        self.out_of(name, 32, |out| (out, input))
    }

    /// `crypto_eddsa_key_pair`/`crypto_ed25519_key_pair`: returns `(secret_key, public_key,
    /// seed as left by the call)` (Monocypher wipes the seed).
    pub fn key_pair(&mut self, name: &str, seed: &[u8]) -> Result<(Vec<u8>, Vec<u8>, Vec<u8>)> {
        let seed_ptr = self.input(exact(seed, 32, "seed")?)?;
        let secret = self.buffer(64)?;
        let public = self.buffer(32)?;
        self.call::<(u32, u32, u32), ()>(name, (secret, public, seed_ptr))?;
        Ok((
            self.read(secret, 64)?,
            self.read(public, 32)?,
            self.read(seed_ptr, 32)?,
        ))
    }

    /// `crypto_eddsa_sign`/`crypto_ed25519_sign`.
    pub fn sign(&mut self, name: &str, secret_key: &[u8], message: &[u8]) -> Result<Vec<u8>> {
        let secret = self.input(exact(secret_key, 64, "secret key")?)?;
        let msg = self.input(message)?;
        let len = size(message)?;
        self.out_of(name, 64, |signature| (signature, secret, msg, len))
    }

    /// `crypto_eddsa_check`/`crypto_ed25519_check`: 0 valid, -1 forgery.
    pub fn check(
        &mut self,
        name: &str,
        signature: &[u8],
        public_key: &[u8],
        message: &[u8],
    ) -> Result<i32> {
        let signature = self.input(exact(signature, 64, "signature")?)?;
        let public = self.input(exact(public_key, 32, "public key")?)?;
        let msg = self.input(message)?;
        let len = size(message)?;
        self.call(name, (signature, public, msg, len))
    }

    pub fn ed25519_ph_sign(&mut self, secret_key: &[u8], digest: &[u8]) -> Result<Vec<u8>> {
        let secret = self.input(exact(secret_key, 64, "secret key")?)?;
        let digest = self.input(exact(digest, 64, "message hash")?)?;
        self.out_of("crypto_ed25519_ph_sign", 64, |signature| {
            (signature, secret, digest)
        })
    }

    pub fn ed25519_ph_check(
        &mut self,
        signature: &[u8],
        public_key: &[u8],
        digest: &[u8],
    ) -> Result<i32> {
        let signature = self.input(exact(signature, 64, "signature")?)?;
        let public = self.input(exact(public_key, 32, "public key")?)?;
        let digest = self.input(exact(digest, 64, "message hash")?)?;
        self.call("crypto_ed25519_ph_check", (signature, public, digest))
    }

    /// `crypto_elligator_rev`: returns its status and the representative buffer.
    pub fn elligator_rev(&mut self, curve: &[u8], tweak: u8) -> Result<(i32, Vec<u8>)> {
        let curve = self.input(exact(curve, 32, "curve point")?)?;
        let hidden = self.buffer(32)?;
        let status = self.call::<(u32, u32, u32), i32>(
            "crypto_elligator_rev",
            (hidden, curve, u32::from(tweak)),
        )?;
        Ok((status, self.read(hidden, 32)?))
    }
}
