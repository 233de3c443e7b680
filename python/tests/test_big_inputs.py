"""Big inputs through the public API: correct answers, within the default memory cap.

Sizes are picked to prove the point in about a second each: millions of two-sum elements
whose width is only known at the very end, and an AEAD box larger than 64 MiB.
"""

from __future__ import annotations

import hashlib
import os

import nacl.bindings as sodium
import numpy as np
import pytest
from conftest import LARGEST, require_bundled, tally

from wasmext import monocypher as mc
from wasmext.runtime import DEFAULT_MAX_MEMORY, RETAINED_MEMORY, Guest
from wasmext.twosum import TwoSum, twosum

TWOSUM_ELEMENTS = 4_500_000
AEAD_BYTES = (64 << 20) + 17  # not a whole number of ChaCha20 blocks or Poly1305 chunks


def test_twosum_over_millions_with_an_int64_only_value_near_the_end() -> None:
    require_bundled("twosum")
    rng = np.random.default_rng(TWOSUM_ELEMENTS)
    values = rng.integers(-(2**30), 2**30, TWOSUM_ELEMENTS, dtype=np.int64)
    # Everything fits int32 except one value 7 elements from the end, so the list must be
    # scanned to the end before its width is known, and only a 64-bit search finds the pair.
    at = TWOSUM_ELEMENTS - 7
    values[at] = 2**40 + 12345
    partner = int(values[1234])
    target = 2**40 + 12345 + partner
    # Any two other elements sum to less than 2**31, so the only pairs use values[at], and the
    # reference's `seen` holds the last index of `partner` before `at` when it reaches `at`.
    expected = (int(np.flatnonzero(values[:at] == partner).max()), at)

    assert twosum(values.tolist(), target) == expected
    solver = TwoSum()
    instance = solver.instance
    assert solver.twosum(values, target) == expected
    assert values.nbytes < instance.memory_size <= DEFAULT_MAX_MEMORY
    # Memory never shrinks, so a solver doesn't keep that much: its next call runs on a
    # fresh instance.
    assert instance.memory_size > RETAINED_MEMORY
    assert solver.instance is not instance
    assert solver.twosum(values, target + 1) is None  # and no false pair over all of it
    tally(LARGEST, "twosum elements (int64)", values.nbytes)


def test_aead_over_64_mib_matches_libsodium_and_round_trips() -> None:
    require_bundled("monocypher")
    box = mc.Monocypher()
    key, nonce, ad = os.urandom(32), os.urandom(24), b"header"
    text = np.random.default_rng(AEAD_BYTES).bytes(AEAD_BYTES)

    instance = box.instance
    mac, _, ciphertext = box.aead_lock(text, key, ad, nonce=nonce)
    expected = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(text, ad, nonce, key)
    assert ciphertext + mac == expected
    # Encrypting in place: the box needs its own size plus the guest's stack and a little.
    assert instance.memory_size <= AEAD_BYTES + (2 << 20)
    # Memory never shrinks, so that much goes with the instance: the thread's next operation
    # runs on a fresh one.
    assert instance.oversized
    assert box.instance is not instance
    assert box.instance.memory_size < 2 << 20
    assert box.aead_unlock(ciphertext, mac, key, nonce, ad) == text

    tampered = bytearray(ciphertext)
    tampered[-1] ^= 1  # the last byte of the last, partial block
    with pytest.raises(mc.ForgeryError):
        box.aead_unlock(tampered, mac, key, nonce, ad)
    tally(LARGEST, "AEAD box", AEAD_BYTES)


def test_more_than_the_cap_streams_through_in_chunks() -> None:
    chunk = 16 << 20
    capped = mc.Monocypher(Guest(require_bundled("monocypher"), max_memory=2 * chunk))
    text = np.random.default_rng(chunk).bytes(AEAD_BYTES)
    with pytest.raises(MemoryError):
        capped.blake2b(text)  # one shot: more than the cap
    state = mc.Blake2b(backend=capped)
    for start in range(0, len(text), chunk):
        state.update(memoryview(text)[start : start + chunk])
    assert state.digest() == hashlib.blake2b(text).digest()
    assert capped.instance.memory_size <= 2 * chunk
