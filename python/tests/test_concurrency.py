"""Sixteen threads hammering every kind of operation at once, each result checked, and the GIL
released while the guest runs.

The model under test (README, "Threads and processes"): a Guest is shared by every thread,
each thread gets its own instance (its own store and linear memory), objects that hold state
between calls (incremental hashes) may be shared, and a guest call releases the GIL.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import threading
import time

import nacl.bindings as sodium
import pytest
from argon2.low_level import Type, hash_secret_raw
from conftest import ARENA, TOOLS, GuestFactory, module, require_bundled, tally
from conftest import twosum_reference as _reference

from wasmext import monocypher as mc
from wasmext.errors import GuestMemoryError, GuestTrap
from wasmext.runtime import Guest, Instance
from wasmext.twosum import twosum

THREADS = 16
# `cargo xtask fuzz` runs longer: WASMEXT_STRESS_ROUNDS rounds per thread.
ROUNDS = int(os.environ.get("WASMEXT_STRESS_ROUNDS", "100"))


class _Work:
    """The operations, each checked against an independent implementation."""

    def __init__(self) -> None:
        self.tools = Guest(module(ARENA, TOOLS), cache=False)
        self.capped = Guest(module(ARENA, TOOLS), cache=False, max_memory=4 << 16)
        self.shared = mc.Blake2b(key=b"shared by all threads")
        self.shared_updates = 0
        self.lock = threading.Lock()

    def box(self, rng: random.Random) -> None:
        key, nonce, text = rng.randbytes(32), rng.randbytes(24), rng.randbytes(rng.randrange(5000))
        mac, _, ciphertext = mc.aead_lock(text, key, nonce=nonce)
        assert ciphertext + mac == sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
            text, None, nonce, key
        )
        assert mc.aead_unlock(ciphertext, mac, key, nonce) == text

    def hashes(self, rng: random.Random) -> None:
        key, msg = rng.randbytes(rng.randrange(65)), rng.randbytes(rng.randrange(3000))
        assert mc.blake2b(msg, key=key) == hashlib.blake2b(msg, key=key).digest()
        assert mc.hmac_sha512(key, msg) == hmac.new(key, msg, "sha512").digest()
        with mc.Sha512(msg[:100]) as state:
            state.update(msg[100:])
            assert state.digest() == hashlib.sha512(msg).digest()

    def signature(self, rng: random.Random) -> None:
        seed, msg = rng.randbytes(32), rng.randbytes(rng.randrange(500))
        sk, pk = mc.ed25519_key_pair(seed)
        sig = mc.ed25519_sign(sk, msg)
        assert sig == sodium.crypto_sign(msg, sodium.crypto_sign_seed_keypair(seed)[1])[:64]
        assert mc.ed25519_check(sig, pk, msg)
        assert not mc.ed25519_check(sig, pk, msg + b"!")

    def password(self, rng: random.Random) -> None:
        password, salt = rng.randbytes(12), rng.randbytes(16)
        expected = hash_secret_raw(password, salt, 1, 16, 1, 32, Type.ID)
        assert mc.argon2(password, salt, nb_blocks=16, nb_passes=1) == expected

    def two_sum(self, rng: random.Random) -> None:
        wide = rng.random() < 0.3
        bound = 2**40 if wide else 10**5
        values = [rng.randrange(-bound, bound) for _ in range(rng.randrange(64, 3000))]
        target = values[rng.randrange(len(values))] + values[rng.randrange(len(values))]
        assert twosum(values, target) == _reference(values, target)

    def trap(self, rng: random.Random) -> None:
        instance = self.tools.instance()
        with pytest.raises(GuestTrap):
            instance.call("boom")
        assert self.tools.instance().call("add", 20, 22) == 42

    def memory_cap(self, rng: random.Random) -> None:
        instance = self.capped.instance()
        with pytest.raises(GuestMemoryError), instance.arena():
            instance.alloc(8 << 16)
        with instance.arena():
            pointer = instance.alloc(1000)
            instance.write(pointer, b"fits")
            assert instance.read(pointer, 4) == b"fits"

    def shared_object(self, rng: random.Random) -> None:
        with self.lock:  # the count and the update together, so the digest can be predicted
            self.shared.update(b"x")
            self.shared_updates += 1


OPERATIONS = [name for name in vars(_Work) if not name.startswith("_")]


def test_sixteen_threads_hammering_mixed_operations() -> None:
    require_bundled("monocypher")
    require_bundled("twosum")
    work = _Work()
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []
    instances: dict[int, Instance] = {}
    done = [0] * THREADS

    def run(index: int) -> None:
        rng = random.Random(index)
        try:
            start.wait()
            instances[index] = mc.Monocypher().instance
            for round_number in range(ROUNDS):
                name = OPERATIONS[(index + round_number) % len(OPERATIONS)]
                getattr(work, name)(rng)
                done[index] += 1
        except BaseException as error:  # reported below, with the thread's traceback
            failures.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    assert done == [ROUNDS] * THREADS
    assert len({id(instance) for instance in instances.values()}) == THREADS
    expected = hashlib.blake2b(b"x" * work.shared_updates, key=b"shared by all threads")
    assert work.shared.digest() == expected.digest()
    tally("threads", "mixed operations", THREADS)
    tally("thread operations", "mixed operations", sum(done))


def test_a_guest_call_releases_the_gil(make_guest: GuestFactory) -> None:
    """While one thread is inside a long guest call, another runs Python code."""
    instance = make_guest(module(ARENA, TOOLS)).instance()
    spin = instance.function("spin")
    inside: list[float] = []
    window: list[float] = []
    stop = threading.Event()

    def python_loop() -> None:
        while not stop.is_set():
            inside.append(time.perf_counter())

    other = threading.Thread(target=python_loop)
    other.start()
    try:
        while len(inside) < 10:  # the other thread is running
            time.sleep(0.001)
        window.append(time.perf_counter())
        spin(400_000_000)  # a fraction of a second of wasm, no Python bytecode
        window.append(time.perf_counter())
    finally:
        stop.set()
        other.join()
    # Only ticks well inside the call count: around its edges the GIL may change hands anyway.
    margin = (window[1] - window[0]) / 4
    ticks = [t for t in inside if window[0] + margin < t < window[1] - margin]
    assert ticks, "no Python code ran while the guest did: the GIL was held"
