"""Authenticated encryption, ChaCha20, Poly1305 and constant-time comparison.

The one-shot half of :class:`wasmext.monocypher.Monocypher`; see that module for the rules every
method follows (argument checking, one guest call in the scratch block, wiping).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ._monocypher_args import U32_MAX, U64_MAX, BytesLike, buffer, fixed, integer
from ._monocypher_bindings import KEY_SIZE, MAC_SIZE, NONCE_SIZE
from .errors import InvalidInput

if TYPE_CHECKING:
    from ._monocypher_bindings import Bindings

__all__ = ["KEY_SIZE", "MAC_SIZE", "NONCE_SIZE", "Ciphers"]

_CHACHA20_BLOCK = 64
# The packed box's header (key, nonce, MAC): with the text and ad, the block must stay
# addressable by a 32-bit pointer.
_BOX_HEADER = 80


class Ciphers:
    """XChaCha20-Poly1305 boxes, raw ChaCha20 streams, Poly1305 and ``crypto_verify*``."""

    _bindings: Bindings

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
        # The common case first (bytes of the right sizes): this is the hot path, and the
        # general checks below cost as much as the guest call for a small box.
        if type(text) is not bytes:
            text = buffer("text", text)
        if type(key) is not bytes or len(key) != KEY_SIZE:
            key = fixed("key", key, KEY_SIZE)
        if type(ad) is not bytes:
            ad = buffer("ad", ad)
        if nonce is None:
            nonce = os.urandom(NONCE_SIZE)
        elif type(nonce) is not bytes or len(nonce) != NONCE_SIZE:
            nonce = bytes(fixed("nonce", nonce, NONCE_SIZE))
        if _BOX_HEADER + len(text) + len(ad) > U32_MAX:
            # Then one of them may be too big alone: let the general checks say which.
            buffer("text", text)
            buffer("ad", ad)
        mac, ciphertext = self._bindings.aead_lock(text, key, nonce, ad)
        return mac, nonce, ciphertext

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
        if type(text) is not bytes:
            text = buffer("text", text)
        if type(mac) is not bytes or len(mac) != MAC_SIZE:
            mac = fixed("mac", mac, MAC_SIZE)
        if type(key) is not bytes or len(key) != KEY_SIZE:
            key = fixed("key", key, KEY_SIZE)
        if type(nonce) is not bytes or len(nonce) != NONCE_SIZE:
            nonce = fixed("nonce", nonce, NONCE_SIZE)
        if type(ad) is not bytes:
            ad = buffer("ad", ad)
        if _BOX_HEADER + len(text) + len(ad) > U32_MAX:
            buffer("text", text)
            buffer("ad", ad)
        return self._bindings.aead_unlock(text, mac, key, nonce, ad)

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
        return self._bindings.chacha20(export, text, key, nonce, ctr)

    def hchacha20(self, key: BytesLike, data: BytesLike) -> bytes:
        """HChaCha20 (``crypto_chacha20_h``): 32 pseudo-random bytes from a key and 16 bytes.

        Used to derive XChaCha20 sub-keys, or to hash an X25519 shared secret into a key.
        """
        key = fixed("key", key, KEY_SIZE)
        data = fixed("data", data, 16)
        return self._bindings.fixed_output("crypto_chacha20_h", 32, key, data)

    def poly1305(self, msg: BytesLike, key: BytesLike) -> bytes:
        """Compute the 16-byte Poly1305 MAC of ``msg`` under a 32-byte *one-time* ``key``.

        Never use a key for two messages: one MAC reveals enough of it to forge others.
        """
        msg = buffer("msg", msg)
        key = fixed("key", key, KEY_SIZE)
        return self._bindings.poly1305(msg, key)

    def verify16(self, a: BytesLike, b: BytesLike) -> bool:
        """Compare two 16-byte strings in constant time (``crypto_verify16``)."""
        return self._bindings.status("crypto_verify16", fixed("a", a, 16), fixed("b", b, 16)) == 0

    def verify32(self, a: BytesLike, b: BytesLike) -> bool:
        """Compare two 32-byte strings in constant time (``crypto_verify32``)."""
        return self._bindings.status("crypto_verify32", fixed("a", a, 32), fixed("b", b, 32)) == 0

    def verify64(self, a: BytesLike, b: BytesLike) -> bool:
        """Compare two 64-byte strings in constant time (``crypto_verify64``)."""
        return self._bindings.status("crypto_verify64", fixed("a", a, 64), fixed("b", b, 64)) == 0
