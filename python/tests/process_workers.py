"""The work the child processes of ``test_processes`` do: importable without pytest or the
test harness (a spawned child imports this module afresh), and every result is checked here
against a reference, so a child returns only facts."""

from __future__ import annotations

import hashlib
import os
import random

import nacl.bindings as sodium
import wasmtime

from wasmext import monocypher as mc
from wasmext.runtime import Guest, bundled
from wasmext.twosum import twosum


def _reference(values: list[int], target: int) -> tuple[int, int] | None:
    seen: dict[int, int] = {}
    for index, value in enumerate(values):
        if target - value in seen:
            return seen[target - value], index
        seen[value] = index
    return None


def fresh_module(tag: int) -> bytes:
    """A module no process has compiled yet: loading it runs Cranelift."""
    return wasmtime.wat2wasm(
        '(module (memory (export "memory") 1)'
        '(func (export "bump_alloc") (param i32) (result i32) (i32.const 16))'
        '(func (export "bump_reset"))'
        f'(func (export "tag") (result i32) (i32.const {tag})))'
    )


def mixed_work(seed: int) -> dict[str, object]:
    """Monocypher, two-sum and a fresh compilation, each checked; returns what was seen."""
    rng = random.Random(seed)
    key, nonce = rng.randbytes(32), rng.randbytes(24)
    text = rng.randbytes(rng.randrange(10_000))
    mac, _, ciphertext = mc.aead_lock(text, key, b"ad", nonce=nonce)
    assert ciphertext + mac == sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        text, b"ad", nonce, key
    )
    assert mc.aead_unlock(ciphertext, mac, key, nonce, b"ad") == text
    assert mc.blake2b(text, key=key) == hashlib.blake2b(text, key=key).digest()
    values = [rng.randrange(-(10**6), 10**6) for _ in range(5000)]
    target = rng.randrange(-(10**6), 10**6)
    assert twosum(values, target) == _reference(values, target)
    tag = 1000 + seed
    guest = Guest(fresh_module(tag), cache=False)
    assert guest.instance().call("tag") == tag
    monocypher = bundled("monocypher")
    return {
        "pid": os.getpid(),
        "compiled": guest.origin,
        "origin": monocypher.origin,
        "module": id(monocypher._compiled),
        "instance": id(monocypher.instance()),
    }
