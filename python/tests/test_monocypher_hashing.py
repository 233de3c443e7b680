"""BLAKE2b, SHA-512, HMAC, HKDF and Argon2 against independent implementations.

References: hashlib and hmac (OpenSSL / CPython's BLAKE2), cryptography's HKDF (OpenSSL), the
Argon2 reference implementation through argon2-cffi (its low-level ``core`` for secret keys and
additional data), and native Monocypher (pymonocypher).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random

import monocypher as native
import pytest
from argon2.low_level import ARGON2_VERSION, Type, core, ffi, hash_secret_raw
from conftest import require_bundled
from cryptography.hazmat.primitives.hashes import SHA512
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand
from hypothesis import given, settings
from hypothesis import strategies as st

from wasmext import monocypher as mc
from wasmext.errors import GuestMemoryError, InvalidInput


@pytest.fixture(autouse=True)
def _artifact() -> None:
    require_bundled("monocypher")


MESSAGE_SIZES = [0, 1, 111, 112, 127, 128, 129, 255, 256, 1000]


# BLAKE2b -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 16, 32, 33, 64])
@pytest.mark.parametrize("key_size", [0, 1, 32, 64])
@pytest.mark.parametrize("msg_size", MESSAGE_SIZES)
def test_blake2b_matches_hashlib(size: int, key_size: int, msg_size: int) -> None:
    key, msg = os.urandom(key_size), os.urandom(msg_size)
    expected = hashlib.blake2b(msg, digest_size=size, key=key).digest()
    assert mc.blake2b(msg, size, key) == expected
    assert mc.blake2b(msg, size=size, key=key) == expected


def test_blake2b_defaults_and_large_input() -> None:
    msg = os.urandom(3 << 20)
    assert mc.blake2b(msg) == hashlib.blake2b(msg).digest()
    assert mc.blake2b(b"") == hashlib.blake2b(b"").digest()


def test_blake2b_matches_native_monocypher() -> None:
    msg, key = os.urandom(300), os.urandom(20)
    assert mc.blake2b(msg) == native.blake2b(msg)
    assert mc.blake2b(msg, key=key) == native.blake2b(msg, key)


@settings(max_examples=80, print_blob=True, deadline=None)
@given(
    msg=st.binary(max_size=700),
    size=st.integers(1, 64),
    key=st.binary(max_size=64),
    cuts=st.lists(st.integers(0, 700), max_size=6),
)
def test_blake2b_incremental_property(msg: bytes, size: int, key: bytes, cuts: list[int]) -> None:
    expected = hashlib.blake2b(msg, digest_size=size, key=key).digest()
    with mc.Blake2b(size=size, key=key) as state:
        previous = 0
        for cut in sorted(min(c, len(msg)) for c in cuts):
            state.update(msg[previous:cut])
            previous = cut
        state.update(msg[previous:])
        assert state.digest() == expected
        assert state.hexdigest() == expected.hex()


def test_blake2b_object_follows_hashlib() -> None:
    ours = mc.Blake2b(b"first part ", size=40, key=b"k")
    theirs = hashlib.blake2b(b"first part ", digest_size=40, key=b"k")
    assert (ours.name, ours.digest_size, ours.block_size) == ("blake2b", 40, 128)
    assert ours.digest() == theirs.digest()
    ours.update(b"second")  # digest() did not end the object
    theirs.update(b"second")
    fork = ours.copy()
    fork.update(b" fork only")
    assert ours.digest() == theirs.digest()
    assert (
        fork.digest()
        == hashlib.blake2b(b"first part second fork only", digest_size=40, key=b"k").digest()
    )
    ours.close()
    assert ours.closed
    assert not fork.closed
    assert ours._state == bytearray(len(ours._state))
    with pytest.raises(InvalidInput, match="closed"):
        ours.update(b"x")
    with pytest.raises(InvalidInput, match="closed"):
        ours.copy()


def test_blake2b_object_is_wiped_when_collected() -> None:
    state = mc.Blake2b(b"secret", key=b"secret key")
    buffer = state._state
    assert any(buffer)
    del state
    assert not any(buffer)


# SHA-512, HMAC, HKDF ------------------------------------------------------------------------------


@pytest.mark.parametrize("msg_size", MESSAGE_SIZES)
def test_sha512_matches_hashlib(msg_size: int) -> None:
    msg = os.urandom(msg_size)
    assert mc.sha512(msg) == hashlib.sha512(msg).digest()
    state = mc.Sha512(msg[:50])
    state.update(msg[50:])
    assert state.digest() == hashlib.sha512(msg).digest()
    assert (state.name, state.digest_size, state.block_size) == ("sha512", 64, 128)


@pytest.mark.parametrize("key_size", [0, 1, 64, 127, 128, 129, 300])
@pytest.mark.parametrize("msg_size", [0, 1, 128, 1000])
def test_hmac_sha512_matches_hmac(key_size: int, msg_size: int) -> None:
    key, msg = os.urandom(key_size), os.urandom(msg_size)
    expected = hmac.new(key, msg, "sha512").digest()
    assert mc.hmac_sha512(key, msg) == expected
    with mc.HmacSha512(key) as state:
        rng = random.Random(key_size * 1000 + msg_size)
        start = 0
        while start < msg_size:
            end = start + rng.randint(1, 200)
            state.update(msg[start:end])
            start = end
        assert state.digest() == expected
        copy = state.copy()
        assert copy.digest() == expected
        copy.close()
    assert state.name == "hmac-sha512"


@pytest.mark.parametrize("size", [1, 42, 64, 65, 128, 1000, 255 * 64])
@pytest.mark.parametrize("salt_size", [0, 16, 64, 200])
def test_hkdf_sha512_matches_cryptography(size: int, salt_size: int) -> None:
    ikm, salt, info = os.urandom(40), os.urandom(salt_size), os.urandom(12)
    expected = HKDF(SHA512(), size, salt or None, info).derive(ikm)
    assert mc.hkdf_sha512(ikm, salt, info, size) == expected
    assert mc.hkdf_sha512(ikm, salt=salt, info=info, size=size) == expected


@pytest.mark.parametrize("size", [1, 64, 100, 255 * 64])
def test_hkdf_sha512_expand_matches_cryptography(size: int) -> None:
    prk, info = os.urandom(64), os.urandom(30)
    assert mc.hkdf_sha512_expand(prk, info, size) == HKDFExpand(SHA512(), size, info).derive(prk)


def test_hkdf_sha512_refuses_more_than_255_blocks() -> None:
    with pytest.raises(InvalidInput, match="size must be between 1 and 16320"):
        mc.hkdf_sha512(b"ikm", size=255 * 64 + 1)
    with pytest.raises(InvalidInput, match="size"):
        mc.hkdf_sha512_expand(bytes(64), size=0)


# Argon2 ------------------------------------------------------------------------------------------

_TYPES = {"argon2d": Type.D, "argon2i": Type.I, "argon2id": Type.ID}


def _reference_argon2(
    password: bytes,
    salt: bytes,
    *,
    algorithm: str,
    nb_blocks: int,
    nb_passes: int,
    nb_lanes: int,
    size: int,
    key: bytes = b"",
    ad: bytes = b"",
) -> bytes:
    """The reference implementation, with the secret and ad hash_secret_raw does not expose."""
    out = ffi.new("uint8_t[]", size)
    keep = [ffi.new("uint8_t[]", data or b"\0") for data in (password, salt, key, ad)]
    context = ffi.new(
        "argon2_context *",
        {
            "out": out,
            "outlen": size,
            "pwd": keep[0],
            "pwdlen": len(password),
            "salt": keep[1],
            "saltlen": len(salt),
            "secret": keep[2],
            "secretlen": len(key),
            "ad": keep[3],
            "adlen": len(ad),
            "t_cost": nb_passes,
            "m_cost": nb_blocks,
            "lanes": nb_lanes,
            "threads": nb_lanes,
            "version": ARGON2_VERSION,
            "allocate_cbk": ffi.NULL,
            "free_cbk": ffi.NULL,
            "flags": 0,
        },
    )
    assert core(context, _TYPES[algorithm].value) == 0
    return bytes(ffi.buffer(out, size))


@pytest.mark.parametrize("algorithm", ["argon2i", "argon2id", "argon2d"])
@pytest.mark.parametrize(
    ("nb_blocks", "nb_passes", "nb_lanes"), [(8, 1, 1), (64, 3, 1), (37, 2, 2), (256, 1, 4)]
)
def test_argon2_matches_reference(
    algorithm: str, nb_blocks: int, nb_passes: int, nb_lanes: int
) -> None:
    password, salt = os.urandom(13), os.urandom(16)
    expected = hash_secret_raw(
        password, salt, nb_passes, nb_blocks, nb_lanes, 32, _TYPES[algorithm]
    )
    assert (
        mc.argon2(
            password,
            salt,
            nb_blocks=nb_blocks,
            nb_passes=nb_passes,
            nb_lanes=nb_lanes,
            algorithm=algorithm,  # type: ignore[arg-type]
        )
        == expected
    )


@pytest.mark.parametrize("algorithm", ["argon2i", "argon2id"])
@pytest.mark.parametrize("size", [4, 32, 64, 65, 100])
def test_argon2_key_ad_and_sizes_match_reference(algorithm: str, size: int) -> None:
    password, salt, key, ad = os.urandom(20), os.urandom(8), os.urandom(32), os.urandom(11)
    expected = _reference_argon2(
        password, salt, algorithm=algorithm, nb_blocks=32, nb_passes=3, nb_lanes=4, size=size,
        key=key, ad=ad,
    )  # fmt: skip
    ours = mc.argon2(
        password, salt, nb_blocks=32, nb_passes=3, nb_lanes=4, algorithm=algorithm, size=size,  # type: ignore[arg-type]
        key=key, ad=ad,
    )  # fmt: skip
    assert ours == expected


@pytest.mark.skipif(
    tuple(map(int, native.__version__.split(".")[:3])) < (4, 0, 3),
    reason="pymonocypher before 4.0.3 (the last for CPython 3.9) lacks it or differs",
)
def test_argon2i_matches_native_monocypher() -> None:
    password, salt, key, ad = b"password", os.urandom(16), os.urandom(32), b"ad"
    expected = native.argon2i_32(100, 3, password, salt, key, ad)
    assert (
        mc.argon2(password, salt, nb_blocks=100, nb_passes=3, algorithm="argon2i", key=key, ad=ad)
        == expected
    )


def test_argon2_needs_its_work_area_in_guest_memory() -> None:
    from wasmext.runtime import GUESTS_DIR, Guest

    capped = mc.Monocypher(Guest(GUESTS_DIR / "monocypher.wasm", max_memory=4 << 20))
    with pytest.raises(GuestMemoryError):
        capped.argon2(b"pw", bytes(16), nb_blocks=8 << 10, nb_passes=1)
    # The failed allocation left the instance usable.
    assert capped.argon2(b"pw", bytes(16), nb_blocks=8, nb_passes=1) == mc.argon2(
        b"pw", bytes(16), nb_blocks=8, nb_passes=1
    )
