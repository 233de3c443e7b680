"""Authenticated encryption, ChaCha20, Poly1305 and constant-time comparison.

The one-shot half of :class:`wasmext.monocypher.Monocypher`; see that module for the rules every
method follows (argument checking, one arena per call, wiping).
"""

from __future__ import annotations

import secrets

from ._monocypher_abi import Backend, place
from ._monocypher_args import U32_MAX, U64_MAX, BytesLike, buffer, fixed, integer
from .errors import ForgeryError, InvalidInput

__all__ = ["KEY_SIZE", "MAC_SIZE", "NONCE_SIZE", "Ciphers"]

KEY_SIZE = 32
NONCE_SIZE = 24
MAC_SIZE = 16
_CHACHA20_BLOCK = 64


class Ciphers(Backend):
    """XChaCha20-Poly1305 boxes, raw ChaCha20 streams, Poly1305 and ``crypto_verify*``."""

    def aead_lock(
        self,
        text: BytesLike,
        key: BytesLike,
        ad: BytesLike = b"",
        *,
        nonce: BytesLike | None = None,
    ) -> tuple[bytes, bytes, bytes]:
        """Encrypt and authenticate ``text`` (``crypto_aead_lock``, XChaCha20-Poly1305).

        Args:
            text: The plaintext, any length.
            key: The 32-byte secret key.
            ad: Additional data, authenticated but not encrypted.
            nonce: 24 bytes never used before with ``key``. Leave it out to draw a random one
                from the OS CSPRNG (safe: 192 random bits do not collide).

        Returns:
            ``(mac, nonce, ciphertext)``: the 16-byte MAC, the nonce used and the ciphertext,
            as long as ``text``. The output is byte-identical to RFC 8439 with XChaCha20
            (libsodium's ``crypto_aead_xchacha20poly1305_ietf_encrypt`` gives
            ``ciphertext + mac``).

        """
        text = buffer("text", text)
        key = fixed("key", key, KEY_SIZE)
        ad = buffer("ad", ad)
        nonce = (
            secrets.token_bytes(NONCE_SIZE) if nonce is None else fixed("nonce", nonce, NONCE_SIZE)
        )
        size = len(text)
        exports = self._exports()
        instance = exports.instance
        with instance.arena():
            mac, k, n, a, t = place(instance, MAC_SIZE, key, nonce, ad, text)
            # Encrypting in place halves the arena (and the bytes the reset has to wipe).
            exports.crypto_aead_lock(t, mac, k, n, a, len(ad), t, size)
            return instance.read(mac, MAC_SIZE), bytes(nonce), instance.read(t, size)

    def aead_unlock(
        self,
        text: BytesLike,
        mac: BytesLike,
        key: BytesLike,
        nonce: BytesLike,
        ad: BytesLike = b"",
    ) -> bytes:
        """Check and decrypt a box made by :meth:`aead_lock` (``crypto_aead_unlock``).

        Args:
            text: The ciphertext.
            mac: Its 16-byte MAC.
            key: The 32-byte secret key.
            nonce: The 24-byte nonce it was locked with.
            ad: The additional data it was locked with.

        Returns:
            The plaintext.

        Raises:
            ForgeryError: The box was forged or corrupted (or key, nonce or ``ad`` are wrong).
                Nothing was decrypted.

        """
        text = buffer("text", text)
        mac = fixed("mac", mac, MAC_SIZE)
        key = fixed("key", key, KEY_SIZE)
        nonce = fixed("nonce", nonce, NONCE_SIZE)
        ad = buffer("ad", ad)
        size = len(text)
        exports = self._exports()
        instance = exports.instance
        with instance.arena():
            m, k, n, a, t = place(instance, mac, key, nonce, ad, text)
            if exports.crypto_aead_unlock(t, m, k, n, a, len(ad), t, size):
                raise ForgeryError("the box failed authentication: forged or corrupted")
            return instance.read(t, size)

    def chacha20_djb(
        self, text: BytesLike, key: BytesLike, nonce: BytesLike, ctr: int = 0
    ) -> bytes:
        """XOR ``text`` with the original ChaCha20 stream (64-bit nonce, 64-bit counter).

        Unauthenticated: prefer :meth:`aead_lock`. Encryption and decryption are the same
        operation; pass ``bytes(n)`` to get ``n`` bytes of raw key stream. To continue a stream
        split at a multiple of 64 bytes, pass ``ctr + len(previous) // 64``.

        Raises:
            InvalidInput: Wrong key (32 bytes) or nonce (8 bytes) length, or ``ctr`` plus the
                number of blocks would wrap the counter (which would repeat the key stream).

        """
        return self._chacha20("crypto_chacha20_djb", 8, U64_MAX, text, key, nonce, ctr)

    def chacha20_ietf(
        self, text: BytesLike, key: BytesLike, nonce: BytesLike, ctr: int = 0
    ) -> bytes:
        """XOR ``text`` with the RFC 8439 ChaCha20 stream (96-bit nonce, 32-bit counter).

        Same rules as :meth:`chacha20_djb`, with a 12-byte nonce; the 32-bit counter limits a
        stream to 256 GiB.
        """
        return self._chacha20("crypto_chacha20_ietf", 12, U32_MAX, text, key, nonce, ctr)

    def chacha20_x(self, text: BytesLike, key: BytesLike, nonce: BytesLike, ctr: int = 0) -> bytes:
        """XOR ``text`` with the XChaCha20 stream (192-bit nonce, 64-bit counter).

        Same rules as :meth:`chacha20_djb`, with a 24-byte nonce, random nonces being safe.
        """
        return self._chacha20("crypto_chacha20_x", 24, U64_MAX, text, key, nonce, ctr)

    def _chacha20(
        self,
        export: str,
        nonce_size: int,
        ctr_max: int,
        text: BytesLike,
        key: BytesLike,
        nonce: BytesLike,
        ctr: int,
    ) -> bytes:
        """Run one of the three ChaCha20 variants (they differ in nonce and counter sizes)."""
        text = buffer("text", text)
        key = fixed("key", key, KEY_SIZE)
        nonce = fixed("nonce", nonce, nonce_size)
        ctr = integer("ctr", ctr, 0, ctr_max)
        size = len(text)
        blocks = -(-size // _CHACHA20_BLOCK)
        if ctr + blocks > ctr_max + 1:
            raise InvalidInput(
                f"ctr {ctr} + {blocks} blocks of text overflows the {ctr_max.bit_length()}-bit "
                "counter (the key stream would repeat)"
            )
        exports = self._exports()
        instance = exports.instance
        with instance.arena():
            k, n, t = place(instance, key, nonce, text)
            getattr(exports, export)(t, t, size, k, n, ctr)
            return instance.read(t, size)

    def hchacha20(self, key: BytesLike, data: BytesLike) -> bytes:
        """HChaCha20 (``crypto_chacha20_h``): 32 pseudo-random bytes from a key and 16 bytes.

        Used to derive XChaCha20 sub-keys, or to hash an X25519 shared secret into a key.
        """
        key = fixed("key", key, KEY_SIZE)
        data = fixed("data", data, 16)
        return self._fixed_output("crypto_chacha20_h", 32, key, data)

    def poly1305(self, msg: BytesLike, key: BytesLike) -> bytes:
        """Compute the 16-byte Poly1305 MAC of ``msg`` under a 32-byte *one-time* ``key``.

        Never use a key for two messages: one MAC reveals enough of it to forge others.
        """
        msg = buffer("msg", msg)
        key = fixed("key", key, KEY_SIZE)
        exports = self._exports()
        instance = exports.instance
        with instance.arena():
            mac, k, m = place(instance, MAC_SIZE, key, msg)
            exports.crypto_poly1305(mac, m, len(msg), k)
            return instance.read(mac, MAC_SIZE)

    def verify16(self, a: BytesLike, b: BytesLike) -> bool:
        """Compare two 16-byte strings in constant time (``crypto_verify16``)."""
        return self._status("crypto_verify16", fixed("a", a, 16), fixed("b", b, 16)) == 0

    def verify32(self, a: BytesLike, b: BytesLike) -> bool:
        """Compare two 32-byte strings in constant time (``crypto_verify32``)."""
        return self._status("crypto_verify32", fixed("a", a, 32), fixed("b", b, 32)) == 0

    def verify64(self, a: BytesLike, b: BytesLike) -> bool:
        """Compare two 64-byte strings in constant time (``crypto_verify64``)."""
        return self._status("crypto_verify64", fixed("a", a, 64), fixed("b", b, 64)) == 0
