"""wasmext.monocypher from 8 threads at once: every result checked against a reference."""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from typing import Callable

import nacl.bindings as sodium
import pytest
from conftest import require_bundled
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from wasmext import monocypher as mc

THREADS = 8
ROUNDS = 40


@pytest.fixture(autouse=True)
def _artifact() -> None:
    require_bundled("monocypher")


def _box(rng: Callable[[int], bytes], i: int) -> None:
    key, text, ad = rng(32), rng(i * 37 % 3000), rng(i % 40)
    mac, nonce, ciphertext = mc.aead_lock(text, key, ad)
    assert sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext + mac, ad, nonce, key) == (
        text
    )
    assert mc.aead_unlock(ciphertext, mac, key, nonce, ad) == text


def _hashes(rng: Callable[[int], bytes], i: int) -> None:
    msg, key = rng(i * 101 % 5000), rng(i % 65)
    assert (
        mc.blake2b(msg, 1 + i % 64, key)
        == hashlib.blake2b(msg, digest_size=1 + i % 64, key=key).digest()
    )
    assert mc.sha512(msg) == hashlib.sha512(msg).digest()
    assert mc.hmac_sha512(key, msg) == hmac.new(key, msg, "sha512").digest()
    with mc.Blake2b(msg[:100], key=key) as state:
        state.update(msg[100:])
        assert state.digest() == hashlib.blake2b(msg, key=key).digest()


def _x25519(rng: Callable[[int], bytes], _: int) -> None:
    alice, bob = rng(32), rng(32)
    expected = X25519PrivateKey.from_private_bytes(alice).exchange(
        X25519PrivateKey.from_private_bytes(bob).public_key()
    )
    assert mc.x25519(alice, mc.x25519_public_key(bob)) == expected


def _ed25519(rng: Callable[[int], bytes], i: int) -> None:
    seed, msg = rng(32), rng(i % 300)
    sk, pk = mc.ed25519_key_pair(seed)
    sig = mc.ed25519_sign(sk, msg)
    assert sig == sodium.crypto_sign(msg, sodium.crypto_sign_seed_keypair(seed)[1])[:64]
    assert mc.ed25519_check(sig, pk, msg)


def _stream(rng: Callable[[int], bytes], i: int) -> None:
    key, nonce = rng(32), rng(12)
    with mc.AeadContext(key, nonce, variant="ietf") as stream:
        text = rng(i % 500)
        mac, ciphertext = stream.write(text)
    assert ciphertext + mac == sodium.crypto_aead_chacha20poly1305_ietf_encrypt(
        text, None, nonce, key
    )


def _argon2(rng: Callable[[int], bytes], _: int) -> None:
    from argon2.low_level import Type, hash_secret_raw

    password, salt = rng(10), rng(16)
    expected = hash_secret_raw(password, salt, 1, 16, 1, 32, Type.ID)
    assert mc.argon2(password, salt, nb_blocks=16, nb_passes=1) == expected


OPERATIONS = [_box, _hashes, _x25519, _ed25519, _stream, _argon2]


def test_mixed_operations_from_eight_threads() -> None:
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []
    instances: dict[int, object] = {}
    shared = mc.HmacSha512(b"shared key")  # one object, updated by every thread

    def worker(number: int) -> None:
        try:
            start.wait()
            instances[number] = mc.Monocypher().instance
            for i in range(ROUNDS):
                OPERATIONS[(number + i) % len(OPERATIONS)](os.urandom, number * ROUNDS + i)
                shared.update(b"x")
        except BaseException as error:  # reported below, with the thread's traceback
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    # Each thread ran on its own instance...
    assert len({id(instance) for instance in instances.values()}) == THREADS
    # ...and the object they shared lost no update.
    assert shared.digest() == hmac.new(b"shared key", b"x" * THREADS * ROUNDS, "sha512").digest()
