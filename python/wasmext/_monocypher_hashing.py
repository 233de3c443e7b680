"""Hashing and key derivation: BLAKE2b, SHA-512, HMAC-SHA-512, HKDF-SHA-512, Argon2.

The one-shot hashing half of :class:`wasmext.monocypher.Monocypher`; see that module for the
rules every method follows (argument checking, one guest call in the scratch block, wiping).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from ._monocypher_args import U32_MAX, BytesLike, buffer, integer
from ._values import exact_str
from .errors import InvalidInput

if TYPE_CHECKING:
    from ._monocypher_bindings import Bindings

__all__ = ["ARGON2_ALGORITHMS", "Hashing", "blake2b_key", "blake2b_size"]

ARGON2_ALGORITHMS = ("argon2d", "argon2i", "argon2id")
_ARGON2_BLOCK_SIZE = 1024
_SHA512_SIZE = 64
_BLAKE2B_MAX = 64  # the largest digest, and the largest key
_HKDF_MAX = 255 * _SHA512_SIZE  # RFC 5869: at most 255 blocks (Monocypher's counter is a byte)
_ARGON2_MIN_SALT = 8  # the reference implementation's ARGON2_MIN_SALT_LENGTH
_ARGON2_MAX_LANES = 0xFF_FFFF  # RFC 9106: parallelism is 24 bits


def blake2b_size(size: object) -> int:
    """Check a BLAKE2b digest size (1 to 64 bytes)."""
    return integer("size", size, 1, 64)


def blake2b_key(key: object) -> bytes | memoryview:
    """Check a BLAKE2b key (0 to 64 bytes; empty means unkeyed)."""
    key = buffer("key", key)
    if len(key) > 64:
        raise InvalidInput(f"key must be at most 64 bytes long, got {len(key)}")
    return key


class Hashing:
    """BLAKE2b, SHA-512 and its HMAC and HKDF, and Argon2 password hashing."""

    _bindings: Bindings

    def blake2b(self, msg: BytesLike, size: int = 64, key: BytesLike = b"") -> bytes:
        """BLAKE2b of ``msg`` (RFC 7693), keyed when ``key`` is not empty.

        Args:
            msg: The message.
            size: The digest size in bytes, 1 to 64.
            key: An optional key, up to 64 bytes: a keyed BLAKE2b is a MAC.

        Returns:
            The digest; equal to ``hashlib.blake2b(msg, digest_size=size, key=key).digest()``.

        """
        if type(msg) is not bytes:
            msg = buffer("msg", msg)
        if type(size) is not int or not 1 <= size <= _BLAKE2B_MAX:
            size = blake2b_size(size)
        if type(key) is not bytes or len(key) > _BLAKE2B_MAX:
            key = blake2b_key(key)
        if len(msg) > U32_MAX:
            buffer("msg", msg)
        return self._bindings.blake2b(msg, size, key)

    def sha512(self, msg: BytesLike) -> bytes:
        """Compute the 64-byte SHA-512 digest of ``msg`` (FIPS 180-4)."""
        msg = buffer("msg", msg)
        return self._bindings.call("crypto_sha512", _SHA512_SIZE, (msg,), sized=True)[1]

    def hmac_sha512(self, key: BytesLike, msg: BytesLike) -> bytes:
        """Compute the 64-byte HMAC-SHA-512 of ``msg`` under ``key`` (RFC 2104; any key size)."""
        key = buffer("key", key)
        msg = buffer("msg", msg)
        # crypto_sha512_hmac(hmac, key, key_size, message, message_size)
        return self._bindings.call("crypto_sha512_hmac", _SHA512_SIZE, (key, msg), sized=True)[1]

    def hkdf_sha512(
        self,
        ikm: BytesLike,
        salt: BytesLike = b"",
        info: BytesLike = b"",
        size: int = 64,
    ) -> bytes:
        """HKDF-SHA-512 (RFC 5869): extract from ``ikm`` with ``salt``, expand with ``info``.

        Args:
            ikm: The input key material (e.g. a shared secret).
            salt: Optional, non-secret random value; empty means none (RFC 5869's zeros).
            info: Optional context, binding the output to its purpose.
            size: Output length, 1 to 16320 (255 SHA-512 blocks).

        """
        ikm = buffer("ikm", ikm)
        salt = buffer("salt", salt)
        info = buffer("info", info)
        size = integer("size", size, 1, _HKDF_MAX)
        return self._key_derivation("crypto_sha512_hkdf", size, (ikm, salt, info))

    def hkdf_sha512_expand(self, prk: BytesLike, info: BytesLike = b"", size: int = 64) -> bytes:
        """Run the expand step of HKDF-SHA-512 alone, from a pseudo-random key ``prk``.

        ``prk`` should be at least 64 uniformly random bytes (e.g. an HKDF extract output).
        ``size`` is 1 to 16320.
        """
        prk = buffer("prk", prk)
        info = buffer("info", info)
        size = integer("size", size, 1, _HKDF_MAX)
        return self._key_derivation("crypto_sha512_hkdf_expand", size, (prk, info))

    def _key_derivation(self, export: str, size: int, inputs: tuple[BytesLike, ...]) -> bytes:
        """``export(okm, size, in_0, in_0_size, ...)``: the shape of both HKDF functions."""
        return self._bindings.call(export, size, inputs, sized=True, output_sized=True)[1]

    def argon2(
        self,
        password: BytesLike,
        salt: BytesLike,
        *,
        nb_blocks: int,
        nb_passes: int,
        algorithm: Literal["argon2d", "argon2i", "argon2id"] = "argon2id",
        size: int = 32,
        key: BytesLike = b"",
        ad: BytesLike = b"",
        nb_lanes: int = 1,
    ) -> bytes:
        """Argon2 password hashing (RFC 9106, version 0x13), computed in one lane at a time.

        Args:
            password: The password.
            salt: At least 8 bytes, unique per password (16 random bytes recommended).
            nb_blocks: Memory cost in KiB blocks, at least ``8 * nb_lanes``. The guest needs
                that much linear memory (``nb_blocks`` KiB): beyond the guest's ``max_memory``
                (1 GiB by default; run on ``Monocypher(Guest(..., max_memory=...))`` for more)
                the call raises :class:`~wasmext.errors.GuestMemoryError`.
            nb_passes: Time cost, at least 1 (3 or more for Argon2i).
            algorithm: ``"argon2id"`` (recommended), ``"argon2i"`` or ``"argon2d"``.
            size: Hash length in bytes, at least 4.
            key: Optional secret key (pepper).
            ad: Optional additional data.
            nb_lanes: Parallelism parameter, 1 to 2**24-1. Monocypher computes lanes one after
                the other; the value changes the result, not the speed.

        Returns:
            The hash; equal to argon2-cffi's ``hash_secret_raw`` with the same parameters
            (its ``memory_cost`` is ``nb_blocks``, ``time_cost`` is ``nb_passes``).

        """
        password = buffer("password", password)
        salt = buffer("salt", salt)
        if len(salt) < _ARGON2_MIN_SALT:
            raise InvalidInput(f"salt must be at least {_ARGON2_MIN_SALT} bytes, got {len(salt)}")
        key = buffer("key", key)
        ad = buffer("ad", ad)
        algorithm = exact_str(algorithm, "algorithm")  # type: ignore[assignment]
        if algorithm not in ARGON2_ALGORITHMS:
            raise InvalidInput(
                f"algorithm must be one of {', '.join(ARGON2_ALGORITHMS)}, got {algorithm!r}"
            )
        nb_lanes = integer("nb_lanes", nb_lanes, 1, _ARGON2_MAX_LANES)
        nb_passes = integer("nb_passes", nb_passes, 1, U32_MAX)
        # The work area must be addressable by a 32-bit pointer.
        nb_blocks = integer("nb_blocks", nb_blocks, 8 * nb_lanes, U32_MAX // _ARGON2_BLOCK_SIZE)
        size = integer("size", size, 4, U32_MAX)
        return self._bindings.argon2(
            algorithm, nb_blocks, nb_passes, nb_lanes, size, (password, salt, key, ad)
        )
