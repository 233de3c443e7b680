"""Authenticated encryption, ChaCha20, Poly1305 and crypto_verify, against independent code.

References: libsodium (PyNaCl) for XChaCha20-Poly1305 and RFC 8439 ChaCha20-Poly1305, OpenSSL
(cryptography) for ChaCha20 and Poly1305, native Monocypher (pymonocypher) for the rest, and a
small pure-Python ChaCha20 block function for counter edge cases no library exposes.
"""

from __future__ import annotations

import os
import struct

import monocypher as native
import nacl.bindings as sodium
import pytest
from conftest import require_bundled
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.poly1305 import Poly1305 as OpenSSLPoly1305
from hypothesis import given, settings
from hypothesis import strategies as st

from wasmext import monocypher as mc
from wasmext.errors import ForgeryError, InvalidInput, WasmextError


@pytest.fixture(autouse=True)
def _artifact() -> None:
    require_bundled("monocypher")


SIZES = [0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 1000, 4096 + 3]


def test_monocypher_class_article_interface() -> None:
    box = mc.Monocypher()
    key = box.generate_key()
    assert len(key) == 32
    assert len(box.generate_nonce()) == 24
    assert box.generate_key() != key
    mac, nonce, ciphertext = box.aead_lock(b"attack at dawn", key, b"header")
    assert (len(mac), len(nonce), len(ciphertext)) == (16, 24, 14)
    assert box.aead_unlock(ciphertext, mac, key, nonce, b"header") == b"attack at dawn"
    assert box.instance is box.instance
    assert box.instance.memory_size > 0


def test_random_nonces_differ() -> None:
    key = mc.generate_key()
    nonces = {mc.aead_lock(b"x", key)[1] for _ in range(20)}
    assert len(nonces) == 20


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("ad_size", [0, 1, 16, 33])
def test_lock_matches_libsodium_both_directions(size: int, ad_size: int) -> None:
    key, nonce, text, ad = os.urandom(32), os.urandom(24), os.urandom(size), os.urandom(ad_size)
    mac, used_nonce, ciphertext = mc.aead_lock(text, key, ad, nonce=nonce)
    assert used_nonce == nonce
    expected = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(text, ad, nonce, key)
    assert ciphertext + mac == expected
    assert sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(expected, ad, nonce, key) == text

    theirs = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(text, ad, nonce, key)
    assert mc.aead_unlock(theirs[:-16], theirs[-16:], key, nonce, ad) == text


def test_lock_large_input_matches_libsodium() -> None:
    key, nonce = os.urandom(32), os.urandom(24)
    text = os.urandom(4 << 20)
    mac, _, ciphertext = mc.aead_lock(text, key, nonce=nonce)
    expected = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(text, None, nonce, key)
    assert ciphertext == expected[:-16]
    assert mac == expected[-16:]
    assert mc.aead_unlock(ciphertext, mac, key, nonce) == text


@settings(max_examples=60, print_blob=True, deadline=None)
@given(
    text=st.binary(max_size=600), ad=st.binary(max_size=80), key=st.binary(min_size=32, max_size=32)
)
def test_lock_property_against_libsodium(text: bytes, ad: bytes, key: bytes) -> None:
    mac, nonce, ciphertext = mc.aead_lock(text, key, ad)
    box = ciphertext + mac
    assert sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(box, ad, nonce, key) == text
    assert mc.aead_unlock(ciphertext, mac, key, nonce, ad) == text


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 1]) + data[index + 1 :]


@pytest.mark.parametrize("part", ["text", "mac", "key", "nonce", "ad"])
def test_unlock_rejects_any_flipped_bit(part: str) -> None:
    key, text, ad = os.urandom(32), os.urandom(100), os.urandom(20)
    mac, nonce, ciphertext = mc.aead_lock(text, key, ad)
    args = {"text": ciphertext, "mac": mac, "key": key, "nonce": nonce, "ad": ad}
    for index in (0, len(args[part]) // 2, len(args[part]) - 1):
        forged = dict(args, **{part: _flip(args[part], index)})
        with pytest.raises(ForgeryError, match="forged or corrupted"):
            mc.aead_unlock(**forged)
    assert issubclass(ForgeryError, ValueError)
    assert issubclass(ForgeryError, WasmextError)


def test_unlock_rejects_truncated_box() -> None:
    key = mc.generate_key()
    mac, nonce, ciphertext = mc.aead_lock(b"0123456789", key)
    with pytest.raises(ForgeryError):
        mc.aead_unlock(ciphertext[:-1], mac, key, nonce)


def test_lock_accepts_every_bytes_like() -> None:
    key, nonce = os.urandom(32), os.urandom(24)
    text = os.urandom(40)
    expected = mc.aead_lock(text, key, b"ad", nonce=nonce)
    assert mc.aead_lock(bytearray(text), bytearray(key), memoryview(b"ad"), nonce=nonce) == (
        expected
    )
    words = memoryview(text).cast("I")  # a 4-byte-item view is read as its bytes
    assert mc.aead_lock(words, memoryview(key), b"ad", nonce=bytearray(nonce)) == expected


# Streaming AEAD ----------------------------------------------------------------------------------


def test_aead_context_x_first_message_is_a_box() -> None:
    key, nonce, text, ad = os.urandom(32), os.urandom(24), os.urandom(77), os.urandom(9)
    with mc.AeadContext(key, nonce) as stream:
        mac, ciphertext = stream.write(text, ad)
    assert (mac, nonce, ciphertext) == mc.aead_lock(text, key, ad, nonce=nonce)


def test_aead_context_ietf_first_message_is_rfc8439() -> None:
    key, nonce, text, ad = os.urandom(32), os.urandom(12), os.urandom(200), os.urandom(5)
    with mc.AeadContext(key, nonce, variant="ietf") as stream:
        mac, ciphertext = stream.write(text, ad)
    expected = sodium.crypto_aead_chacha20poly1305_ietf_encrypt(text, ad, nonce, key)
    assert ciphertext + mac == expected


def test_aead_context_stream_matches_native_monocypher() -> None:
    key, nonce = os.urandom(32), os.urandom(24)
    reference = native.IncrementalAuthenticatedEncryption(key, nonce)
    writer = mc.AeadContext(key, nonce)
    reader = mc.AeadContext(key, nonce)
    for size in [0, 5, 64, 1000, 3]:
        text, ad = os.urandom(size), os.urandom(size % 7)
        mac, ciphertext = writer.write(text, ad)
        assert (mac, ciphertext) == tuple(reference.lock(text, ad))
        assert reader.read(ciphertext, mac, ad) == text
    writer.close()
    reader.close()


def test_aead_context_djb_and_x_are_ietf_and_djb_in_disguise() -> None:
    key, nonce8, nonce24 = os.urandom(32), os.urandom(8), os.urandom(24)
    djb = mc.AeadContext(key, nonce8, variant="djb")
    ietf = mc.AeadContext(key, bytes(4) + nonce8, variant="ietf")
    x = mc.AeadContext(key, nonce24, variant="x")
    subkey = mc.hchacha20(key, nonce24[:16])
    x_as_djb = mc.AeadContext(subkey, nonce24[16:], variant="djb")
    for size in [10, 0, 300]:
        text = os.urandom(size)
        assert djb.write(text, b"a") == ietf.write(text, b"a")
        assert x.write(text) == x_as_djb.write(text)


def test_aead_context_read_rejects_forgery_and_keeps_state() -> None:
    key, nonce = os.urandom(32), os.urandom(24)
    writer, reader = mc.AeadContext(key, nonce), mc.AeadContext(key, nonce)
    first = writer.write(b"first")
    second = writer.write(b"second")
    with pytest.raises(ForgeryError):
        reader.read(second[1], second[0])  # out of order
    with pytest.raises(ForgeryError):
        reader.read(first[1], _flip(first[0], 3))
    assert reader.read(first[1], first[0]) == b"first"
    assert reader.read(second[1], second[0]) == b"second"


def test_aead_context_close_wipes_and_refuses() -> None:
    stream = mc.AeadContext(os.urandom(32), os.urandom(24))
    assert not stream.closed
    stream.close()
    stream.close()  # idempotent
    assert stream.closed
    assert stream._state == bytearray(48)
    with pytest.raises(InvalidInput, match="closed"):
        stream.write(b"x")


def test_aead_context_rejects_unknown_variant() -> None:
    with pytest.raises(InvalidInput, match="variant"):
        mc.AeadContext(bytes(32), bytes(24), variant="xx")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="nonce must be 12 bytes"):
        mc.AeadContext(bytes(32), bytes(24), variant="ietf")


# ChaCha20 -----------------------------------------------------------------------------------------


def _rotl(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (32 - shift))) & 0xFFFFFFFF


def _chacha20_block(key: bytes, counter_and_nonce: bytes) -> bytes:
    """RFC 8439's block function; the last 16 bytes of the state come from the caller."""
    constants = (0x61707865, 0x3320646E, 0x79622D32, 0x6B206574)
    state = list(constants + struct.unpack("<8I", key) + struct.unpack("<4I", counter_and_nonce))
    working = state[:]
    for _ in range(10):
        for a, b, c, d in [
            (0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
            (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14),
        ]:  # fmt: skip
            working[a] = (working[a] + working[b]) & 0xFFFFFFFF
            working[d] = _rotl(working[d] ^ working[a], 16)
            working[c] = (working[c] + working[d]) & 0xFFFFFFFF
            working[b] = _rotl(working[b] ^ working[c], 12)
            working[a] = (working[a] + working[b]) & 0xFFFFFFFF
            working[d] = _rotl(working[d] ^ working[a], 8)
            working[c] = (working[c] + working[d]) & 0xFFFFFFFF
            working[b] = _rotl(working[b] ^ working[c], 7)
    return struct.pack("<16I", *((x + y) & 0xFFFFFFFF for x, y in zip(working, state)))


def _djb_stream(key: bytes, nonce8: bytes, ctr: int, size: int) -> bytes:
    blocks = (size + 63) // 64
    stream = b"".join(
        _chacha20_block(key, ((ctr + i) % 2**64).to_bytes(8, "little") + nonce8)
        for i in range(blocks)
    )
    return stream[:size]


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b))


@pytest.mark.parametrize("size", SIZES)
def test_chacha20_ietf_matches_openssl(size: int) -> None:
    key, nonce, text = os.urandom(32), os.urandom(12), os.urandom(size)
    for ctr in [0, 1, 7]:
        cipher = Cipher(algorithms.ChaCha20(key, ctr.to_bytes(4, "little") + nonce), None)
        assert mc.chacha20_ietf(text, key, nonce, ctr) == cipher.encryptor().update(text)


@pytest.mark.parametrize("size", SIZES)
def test_chacha20_djb_and_x_match_native_monocypher(size: int) -> None:
    key, text = os.urandom(32), os.urandom(size)
    nonce8, nonce24 = os.urandom(8), os.urandom(24)
    assert mc.chacha20_djb(text, key, nonce8) == native.chacha20(key, nonce8, text)
    assert mc.chacha20_x(text, key, nonce24) == native.chacha20(key, nonce24, text)


def test_chacha20_djb_counter_carries_into_the_high_word() -> None:
    key, nonce = os.urandom(32), os.urandom(8)
    text = os.urandom(200)
    for ctr in [0, 5, 2**32 - 1, 2**63, 2**64 - 4]:
        expected = _xor(text, _djb_stream(key, nonce, ctr, len(text)))
        assert mc.chacha20_djb(text, key, nonce, ctr) == expected


def test_chacha20_x_is_djb_under_a_hchacha20_subkey() -> None:
    key, nonce, text = os.urandom(32), os.urandom(24), os.urandom(300)
    subkey = mc.hchacha20(key, nonce[:16])
    assert mc.chacha20_x(text, key, nonce, 9) == mc.chacha20_djb(text, subkey, nonce[16:], 9)


def test_chacha20_streams_continue_with_the_counter() -> None:
    key, nonce, text = os.urandom(32), os.urandom(24), os.urandom(1000)
    whole = mc.chacha20_x(text, key, nonce)
    assert mc.chacha20_x(text[:640], key, nonce) + mc.chacha20_x(text[640:], key, nonce, 10) == (
        whole
    )
    assert mc.chacha20_x(whole, key, nonce) == text


@pytest.mark.parametrize(
    ("function", "nonce_size", "limit"),
    [(mc.chacha20_djb, 8, 2**64), (mc.chacha20_x, 24, 2**64), (mc.chacha20_ietf, 12, 2**32)],
)
def test_chacha20_refuses_counter_wrap(function, nonce_size: int, limit: int) -> None:
    key, nonce = bytes(32), bytes(nonce_size)
    assert len(function(bytes(128), key, nonce, limit - 2)) == 128  # last two blocks: fine
    assert len(function(bytes(0), key, nonce, limit - 1)) == 0
    with pytest.raises(InvalidInput, match="overflows"):
        function(bytes(129), key, nonce, limit - 2)
    with pytest.raises(InvalidInput, match="ctr"):
        function(bytes(1), key, nonce, limit)


@pytest.mark.skipif(
    tuple(map(int, native.__version__.split(".")[:3])) < (4, 0, 3),
    reason="pymonocypher before 4.0.3 (the last for CPython 3.9) lacks it or differs",
)
def test_hchacha20_matches_native_monocypher() -> None:
    for _ in range(5):
        key, data = os.urandom(32), os.urandom(16)
        assert mc.hchacha20(key, data) == native.chacha20_h(key, data)


# Poly1305 and verify ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_poly1305_matches_openssl(size: int) -> None:
    key, msg = os.urandom(32), os.urandom(size)
    expected = OpenSSLPoly1305.generate_tag(key, msg)
    assert mc.poly1305(msg, key) == expected
    mac = mc.Poly1305(key)
    for start in range(0, size, 13):
        mac.update(msg[start : start + 13])
    assert mac.digest() == expected


def test_poly1305_incremental_is_one_time() -> None:
    mac = mc.Poly1305(os.urandom(32))
    mac.update(b"abc")
    mac.digest()
    assert mac.closed
    assert mac._state == bytearray(72)
    with pytest.raises(InvalidInput, match="closed"):
        mac.digest()
    with pytest.raises(InvalidInput, match="closed"):
        mac.update(b"more")


@pytest.mark.parametrize(
    ("function", "size"), [(mc.verify16, 16), (mc.verify32, 32), (mc.verify64, 64)]
)
def test_verify(function, size: int) -> None:
    a = os.urandom(size)
    assert function(a, bytes(a)) is True
    for index in range(size):
        assert function(a, _flip(a, index)) is False
    assert function(bytearray(a), memoryview(a)) is True
