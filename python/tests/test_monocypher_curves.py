"""X25519, EdDSA, Ed25519 and Elligator against independent implementations.

References: OpenSSL (cryptography) for X25519 and Ed25519, libsodium (PyNaCl) for Ed25519,
Ed25519ph, key conversion and scalar arithmetic, native Monocypher (pymonocypher) for EdDSA
with BLAKE2b and Elligator, and Python integers for arithmetic modulo L.
"""

from __future__ import annotations

import hashlib
import os

import monocypher as native
import nacl.bindings as sodium
import pytest
from conftest import require_bundled
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from wasmext import monocypher as mc


@pytest.fixture(autouse=True)
def _artifact() -> None:
    require_bundled("monocypher")


L = 2**252 + 27742317777372353535851937790883648493  # order of the prime subgroup
ROUNDS = range(8)


def _le(number: int, size: int = 32) -> bytes:
    return number.to_bytes(size, "little")


def _int(data: bytes) -> int:
    return int.from_bytes(data, "little")


# X25519 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("_", ROUNDS)
def test_x25519_matches_openssl(_: int) -> None:
    alice, bob = os.urandom(32), os.urandom(32)
    alice_key = X25519PrivateKey.from_private_bytes(alice)
    bob_public = X25519PrivateKey.from_private_bytes(bob).public_key()
    assert mc.x25519_public_key(alice) == alice_key.public_key().public_bytes_raw()
    shared = mc.x25519(alice, mc.x25519_public_key(bob))
    assert shared == alice_key.exchange(bob_public)
    assert shared == mc.x25519(bob, mc.x25519_public_key(alice))
    assert shared == sodium.crypto_scalarmult(alice, bob_public.public_bytes_raw())


def test_x25519_rfc7748_vector() -> None:
    # RFC 7748 section 5.2, first vector.
    scalar = bytes.fromhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")
    point = bytes.fromhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")
    expected = "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"
    assert mc.x25519(scalar, point).hex() == expected


@pytest.mark.parametrize("_", ROUNDS)
def test_x25519_inverse_undoes_x25519(_: int) -> None:
    sk, point = os.urandom(32), mc.x25519_public_key(os.urandom(32))
    blinded = mc.x25519(sk, point)
    assert mc.x25519_inverse(sk, blinded) == point


@pytest.mark.parametrize("_", ROUNDS)
def test_dirty_public_keys(_: int) -> None:
    sk, other = os.urandom(32), os.urandom(32)
    dirty = mc.x25519_dirty_fast(sk)
    assert mc.x25519_dirty_small(sk) == dirty
    # X25519 clears the cofactor, so the low-order component changes no shared secret...
    assert mc.x25519(other, dirty) == mc.x25519(other, mc.x25519_public_key(sk))
    # ...and with the 3 low bits of the key clear there is no low-order component at all.
    clean = bytes([sk[0] & 0xF8]) + sk[1:]
    assert mc.x25519_dirty_fast(clean) == mc.x25519_public_key(clean)


# Ed25519 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("msg_size", [0, 1, 64, 1000])
def test_ed25519_matches_libsodium_and_openssl(msg_size: int) -> None:
    seed, msg = os.urandom(32), os.urandom(msg_size)
    sk, pk = mc.ed25519_key_pair(seed)
    sodium_pk, sodium_sk = sodium.crypto_sign_seed_keypair(seed)
    assert (sk, pk) == (sodium_sk, sodium_pk)
    openssl_key = Ed25519PrivateKey.from_private_bytes(seed)
    assert pk == openssl_key.public_key().public_bytes_raw()

    sig = mc.ed25519_sign(sk, msg)
    assert sig == sodium.crypto_sign(msg, sodium_sk)[:64]
    assert sig == openssl_key.sign(msg)
    Ed25519PublicKey.from_public_bytes(pk).verify(sig, msg)  # raises if invalid
    assert mc.ed25519_check(sig, pk, msg) is True
    assert mc.ed25519_check(sig, pk, msg + b"x") is False
    assert mc.ed25519_check(sig[:63] + bytes([sig[63] ^ 0x10]), pk, msg) is False


def test_ed25519_rfc8032_vector() -> None:
    # RFC 8032 section 7.1, TEST 2.
    seed = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
    sk, pk = mc.ed25519_key_pair(seed)
    assert pk.hex() == "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
    expected = (
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
    )
    assert mc.ed25519_sign(sk, b"\x72").hex() == expected


def test_ed25519_key_pair_defaults_to_a_random_seed() -> None:
    first, second = mc.ed25519_key_pair(), mc.ed25519_key_pair()
    assert first != second
    assert sodium.crypto_sign_seed_keypair(first[0][:32]) == (first[1], first[0])


def test_ed25519_key_pair_leaves_the_callers_seed_alone() -> None:
    seed = bytearray(os.urandom(32))
    before = bytes(seed)
    mc.ed25519_key_pair(seed)
    assert seed == before  # Monocypher wipes its own copy, in the guest


@pytest.mark.parametrize("msg_size", [0, 100])
def test_ed25519ph_matches_libsodium(msg_size: int) -> None:
    msg = os.urandom(msg_size)
    sk, pk = mc.ed25519_key_pair(os.urandom(32))
    state = sodium.crypto_sign_ed25519ph_state()
    sodium.crypto_sign_ed25519ph_update(state, msg)
    expected = sodium.crypto_sign_ed25519ph_final_create(state, sk)
    digest = hashlib.sha512(msg).digest()
    assert mc.ed25519_ph_sign(sk, digest) == expected
    assert mc.ed25519_ph_check(expected, pk, digest) is True
    assert mc.ed25519_ph_check(expected, pk, hashlib.sha512(msg + b"!").digest()) is False
    assert mc.ed25519_check(expected, pk, digest) is False  # not a plain Ed25519 signature


# EdDSA with BLAKE2b and the building blocks --------------------------------------------------


@pytest.mark.parametrize("msg_size", [0, 33, 500])
def test_eddsa_matches_native_monocypher(msg_size: int) -> None:
    seed, msg = os.urandom(32), os.urandom(msg_size)
    sk, pk = mc.eddsa_key_pair(seed)
    assert sk == seed + pk
    assert native.compute_signing_public_key(sk) == pk
    sig = mc.eddsa_sign(sk, msg)
    assert sig == native.signature_sign(sk, msg)
    assert native.signature_check(sig, pk, msg)
    assert mc.eddsa_check(sig, pk, msg) is True
    assert mc.eddsa_check(sig, pk, msg + b"x") is False
    assert mc.ed25519_check(sig, pk, msg) is False  # the hash differs


def test_eddsa_to_x25519_matches_libsodium() -> None:
    for _ in ROUNDS:
        _, pk = mc.ed25519_key_pair(os.urandom(32))
        x25519_pk = mc.eddsa_to_x25519(pk)
        assert x25519_pk == sodium.crypto_sign_ed25519_pk_to_curve25519(pk)
        # Back again: X25519 keeps no sign for x, and Monocypher picks the positive one.
        assert mc.x25519_to_eddsa(x25519_pk) == pk[:31] + bytes([pk[31] & 0x7F])


def test_eddsa_trim_scalar_clamps() -> None:
    for _ in ROUNDS:
        scalar = os.urandom(32)
        expected = (_int(scalar) & ~7 & ~(1 << 255)) | (1 << 254)
        assert mc.eddsa_trim_scalar(scalar) == _le(expected)


def test_eddsa_scalar_arithmetic_modulo_l() -> None:
    for _ in ROUNDS:
        wide = os.urandom(64)
        assert mc.eddsa_reduce(wide) == _le(_int(wide) % L)
        assert mc.eddsa_reduce(wide) == sodium.crypto_core_ed25519_scalar_reduce(wide)
        a, b, c = (_le(_int(os.urandom(32)) % L) for _ in range(3))
        assert mc.eddsa_mul_add(a, b, c) == _le((_int(a) * _int(b) + _int(c)) % L)


def test_eddsa_scalarbase_matches_libsodium() -> None:
    for _ in ROUNDS:
        scalar = _le(_int(os.urandom(32)) % L)
        expected = sodium.crypto_scalarmult_ed25519_base_noclamp(scalar)
        assert mc.eddsa_scalarbase(scalar) == expected
    seed = os.urandom(32)
    secret_scalar = mc.eddsa_trim_scalar(hashlib.sha512(seed).digest()[:32])
    assert mc.eddsa_scalarbase(secret_scalar) == mc.ed25519_key_pair(seed)[1]


def test_eddsa_check_equation_with_a_custom_hash() -> None:
    sk, pk = mc.ed25519_key_pair(os.urandom(32))
    msg = b"checked with the building blocks"
    sig = mc.ed25519_sign(sk, msg)
    h_ram = mc.eddsa_reduce(hashlib.sha512(sig[:32] + pk + msg).digest())
    assert mc.eddsa_check_equation(sig, pk, h_ram) is True
    assert mc.eddsa_check_equation(sig, pk, mc.eddsa_reduce(os.urandom(64))) is False


# Elligator ----------------------------------------------------------------------------------------


def test_elligator_map_matches_native_monocypher() -> None:
    for _ in ROUNDS:
        hidden = os.urandom(32)
        assert mc.elligator_map(hidden) == native.elligator_map(hidden)


def test_elligator_rev_matches_native_monocypher_and_round_trips() -> None:
    found = missing = 0
    for _ in range(40):
        point = mc.x25519_dirty_fast(os.urandom(32))
        tweak = os.urandom(1)[0]
        hidden = mc.elligator_rev(point, tweak)
        try:
            expected: bytes | None = native.elligator_rev(point, tweak)
        except ValueError:
            expected = None
        assert hidden == expected
        if hidden is None:
            missing += 1
        else:
            found += 1
            assert mc.elligator_map(hidden) == point
            assert hidden[31] >> 6 == tweak >> 6  # the tweak fills the two unused top bits
    # About half the points have a representative.
    assert found
    assert missing


def test_elligator_key_pair_matches_native_monocypher() -> None:
    for _ in ROUNDS:
        seed = os.urandom(32)
        hidden, sk = mc.elligator_key_pair(seed)
        assert (hidden, sk) == native.elligator_key_pair(seed)
        assert mc.elligator_map(hidden) == mc.x25519_dirty_fast(sk)
    assert mc.elligator_key_pair() != mc.elligator_key_pair()
