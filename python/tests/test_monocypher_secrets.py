"""No key, seed, password, plaintext or derived secret stays in linear memory after a call.

Every public function runs with fresh random secrets, then the whole of linear memory is
dumped and searched for any piece of them (``secret_scan``), including what each function
derives from them (sub-keys, expanded scalars, nonces). Error paths too: rejected arguments,
forged boxes, exceptions raised half-way, incremental objects between calls, and a scratch
block that moved (the block left behind must be zero too).
``test_monocypher_faults`` adds every error path of every function, from the API table.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any, Callable

import pytest
from conftest import require_bundled
from secret_scan import assert_no_secrets, remnants

from wasmext import monocypher as mc
from wasmext.errors import ForgeryError, InvalidInput


@pytest.fixture(autouse=True)
def _artifact() -> None:
    require_bundled("monocypher")


def _instance() -> Any:
    return mc.Monocypher().instance


def assert_wiped(**secrets: bytes) -> None:
    assert_no_secrets(_instance().dump(), secrets)


def test_the_scan_finds_what_it_looks_for() -> None:
    instance, secret = _instance(), os.urandom(40)
    pointer = instance.alloc(64)
    instance.write(pointer + 3, secret[5:25])
    try:
        assert remnants(instance.dump(), {"secret": secret})
    finally:
        instance.reset()
    assert not remnants(instance.dump(), {"secret": secret})


def r(size: int = 32) -> bytes:
    return os.urandom(size)


L = 2**252 + 27742317777372353535851937790883648493


def _clamp(scalar: bytes) -> bytes:
    number = int.from_bytes(scalar, "little")
    return ((number & ~7 & ~(1 << 255)) | (1 << 254)).to_bytes(32, "little")


def _reduce(wide: bytes) -> bytes:
    return (int.from_bytes(wide, "little") % L).to_bytes(32, "little")


def _box_secrets(key: bytes, nonce: bytes) -> dict[str, bytes]:
    """What XChaCha20-Poly1305 derives from the key: sub-key, one-time MAC key, next key."""
    # wasmext's own HChaCha20 and ChaCha20 (checked against native Monocypher, whose Python
    # binding lacks HChaCha20 before 4.0.3, the last release for CPython 3.9).
    subkey = mc.hchacha20(key, nonce[:16])
    auth = mc.chacha20_djb(bytes(64), subkey, nonce[16:])
    return {"subkey": subkey, "poly1305 key": auth[:32], "ratchet key": auth[32:]}


def _signing_secrets(seed: bytes, msg: bytes, digest: Callable[[bytes], bytes]) -> dict[str, bytes]:
    """The expanded secret scalar, the nonce prefix and the per-message nonce of EdDSA."""
    expanded = digest(seed)
    return {
        "scalar": _clamp(expanded[:32]),
        "prefix": expanded[32:],
        "nonce r": _reduce(digest(expanded[32:] + msg)),
    }


Case = Callable[[], dict[str, bytes]]  # runs a call, returns the secrets it must not leave


def _lock() -> dict[str, bytes]:
    key, text = r(), r(100)
    _, nonce, _ = mc.aead_lock(text, key, r(20))
    return {"key": key, "text": text, **_box_secrets(key, nonce)}


def _unlock() -> dict[str, bytes]:
    key, text, ad = r(), r(100), r(10)
    mac, nonce, ciphertext = mc.aead_lock(text, key, ad)
    assert mc.aead_unlock(ciphertext, mac, key, nonce, ad) == text
    return {"key": key, "text": text, **_box_secrets(key, nonce)}


def _unlock_forged() -> dict[str, bytes]:
    key, text = r(), r(100)
    _, nonce, ciphertext = mc.aead_lock(text, key)
    with pytest.raises(ForgeryError):
        mc.aead_unlock(ciphertext, bytes(16), key, nonce)
    return {"key": key, "text": text, **_box_secrets(key, nonce)}


def _class_lock_unlock() -> dict[str, bytes]:
    box, key, text = mc.Monocypher(), r(), r(64)
    mac, nonce, ciphertext = box.aead_lock(text, key)
    assert box.aead_unlock(ciphertext, mac, key, nonce) == text
    return {"key": key, "text": text}


def _lock_large() -> dict[str, bytes]:
    key, text = r(), r(1 << 20)
    mc.aead_lock(text, key)
    return {"key": key, "text": text}


def _lock_moving_the_scratch_block() -> dict[str, bytes]:
    """A box too big for the scratch block, which cannot grow in place: it moves."""
    key, text = r(), r(100)
    mc.aead_lock(text, key)
    instance = _instance()
    instance.grow(1)  # someone else's memory now follows the block
    big_key, big_text = r(), r(instance.scratch.capacity + 1)
    before = instance.scratch.address
    mc.aead_lock(big_text, big_key)
    assert instance.scratch.address != before
    return {"key": key, "text": text, "big key": big_key, "big text": big_text}


def _chacha20(function: Callable[..., bytes], nonce_size: int) -> Case:
    def case() -> dict[str, bytes]:
        key, text = r(), r(150)
        function(text, key, r(nonce_size), 3)
        return {"key": key, "text": text}

    return case


def _one_shot(function: Callable[..., Any], *sizes: int, output_secret: bool = True) -> Case:
    """Functions of fixed-size secret inputs whose output is secret too."""

    def case() -> dict[str, bytes]:
        inputs = [r(size) for size in sizes]
        result = function(*inputs)
        secrets = {f"input{i}": data for i, data in enumerate(inputs)}
        if output_secret:
            outputs = result if isinstance(result, tuple) else (result,)
            secrets.update({f"output{i}": out for i, out in enumerate(outputs) if out})
        return secrets

    return case


def _blake2b() -> dict[str, bytes]:
    key, msg = r(), r(300)
    mac = mc.blake2b(msg, 64, key)
    return {"key": key, "msg": msg, "mac": mac}


def _blake2b_unkeyed() -> dict[str, bytes]:
    msg = r(300)
    return {"msg": msg, "digest": mc.blake2b(msg)}


def _sha512() -> dict[str, bytes]:
    msg = r(300)
    return {"msg": msg, "digest": mc.sha512(msg)}


def _hmac_sha512() -> dict[str, bytes]:
    key, long_key, msg = r(), r(200), r(300)
    pads = {f"key ^ {pad:#x}": bytes(b ^ pad for b in key) for pad in (0x36, 0x5C)}
    return {
        "key": key,
        "long key": long_key,
        "msg": msg,
        "mac": mc.hmac_sha512(key, msg),
        "long key mac": mc.hmac_sha512(long_key, msg),
        **pads,
    }


def _hkdf() -> dict[str, bytes]:
    ikm, salt = r(), r(16)
    okm = mc.hkdf_sha512(ikm, salt, b"info", 100)
    return {"ikm": ikm, "okm": okm, "prk": hmac.new(salt, ikm, "sha512").digest()}


def _hkdf_expand() -> dict[str, bytes]:
    prk = r(64)
    okm = mc.hkdf_sha512_expand(prk, b"info", 200)
    last_block = hmac.new(prk, okm[128:192] + b"info" + bytes([4]), "sha512").digest()
    return {"prk": prk, "okm": okm, "last block": last_block}


def _argon2() -> dict[str, bytes]:
    password, key = r(24), r()
    digest = mc.argon2(password, r(16), nb_blocks=64, nb_passes=2, key=key, ad=r(8))
    return {"password": password, "key": key, "hash": digest}


def _sha512_digest(data: bytes) -> bytes:
    return hashlib.sha512(data).digest()


def _blake2b_digest(data: bytes) -> bytes:
    return hashlib.blake2b(data).digest()


def _ed25519() -> dict[str, bytes]:
    seed, msg = r(), r(100)
    sk, pk = mc.ed25519_key_pair(seed)
    assert mc.ed25519_check(mc.ed25519_sign(sk, msg), pk, msg)
    return {"seed": seed, "sk": sk[:32], "msg": msg, **_signing_secrets(seed, msg, _sha512_digest)}


def _ed25519_ph() -> dict[str, bytes]:
    seed, msg = r(), r(100)
    sk, pk = mc.ed25519_key_pair(seed)
    digest = hashlib.sha512(msg).digest()
    assert mc.ed25519_ph_check(mc.ed25519_ph_sign(sk, digest), pk, digest)
    secrets = _signing_secrets(seed, msg, _sha512_digest)
    del secrets["nonce r"]  # Ed25519ph hashes a domain separator into it
    return {"seed": seed, "msg digest": digest, **secrets}


def _eddsa() -> dict[str, bytes]:
    seed, msg = r(), r(100)
    sk, pk = mc.eddsa_key_pair(seed)
    assert mc.eddsa_check(mc.eddsa_sign(sk, msg), pk, msg)
    return {"seed": seed, "msg": msg, **_signing_secrets(seed, msg, _blake2b_digest)}


def _x25519() -> dict[str, bytes]:
    alice, bob = r(), r()
    shared = mc.x25519(alice, mc.x25519_public_key(bob))
    blinded = mc.x25519_inverse(alice, mc.x25519_public_key(bob))
    return {
        "alice": alice,
        "bob": bob,
        "shared": shared,
        "clamped alice": _clamp(alice),
        "clamped bob": _clamp(bob),
        "blinded": blinded,
    }


def _elligator() -> dict[str, bytes]:
    seed, sk = r(), r()
    _, secret = mc.elligator_key_pair(seed)
    mc.elligator_rev(mc.x25519_dirty_fast(sk), 7)
    mc.elligator_rev(mc.x25519_dirty_small(sk), 8)
    return {"seed": seed, "secret": secret, "sk": sk}


CASES: dict[str, Case] = {
    "aead_lock": _lock,
    "aead_unlock": _unlock,
    "aead_unlock forged": _unlock_forged,
    "Monocypher lock/unlock": _class_lock_unlock,
    "aead_lock 1 MiB": _lock_large,
    "aead_lock moving the scratch block": _lock_moving_the_scratch_block,
    "chacha20_djb": _chacha20(mc.chacha20_djb, 8),
    "chacha20_ietf": _chacha20(mc.chacha20_ietf, 12),
    "chacha20_x": _chacha20(mc.chacha20_x, 24),
    "hchacha20": _one_shot(mc.hchacha20, 32, 16),
    "poly1305": _one_shot(lambda msg, key: mc.poly1305(msg, key), 64, 32, output_secret=False),
    "verify16": _one_shot(mc.verify16, 16, 16, output_secret=False),
    "verify32": _one_shot(mc.verify32, 32, 32, output_secret=False),
    "verify64": _one_shot(mc.verify64, 64, 64, output_secret=False),
    "blake2b": _blake2b,
    "blake2b unkeyed": _blake2b_unkeyed,
    "sha512": _sha512,
    "hmac_sha512": _hmac_sha512,
    "hkdf_sha512": _hkdf,
    "hkdf_sha512_expand": _hkdf_expand,
    "argon2": _argon2,
    "x25519 x25519_public_key x25519_inverse": _x25519,
    "x25519_dirty_small": _one_shot(mc.x25519_dirty_small, 32, output_secret=False),
    "x25519_dirty_fast": _one_shot(mc.x25519_dirty_fast, 32, output_secret=False),
    "x25519_to_eddsa": _one_shot(mc.x25519_to_eddsa, 32, output_secret=False),
    "eddsa_to_x25519": _one_shot(mc.eddsa_to_x25519, 32, output_secret=False),
    "ed25519": _ed25519,
    "ed25519_ph": _ed25519_ph,
    "eddsa": _eddsa,
    "eddsa_trim_scalar": _one_shot(mc.eddsa_trim_scalar, 32),
    "eddsa_reduce": _one_shot(mc.eddsa_reduce, 64),
    "eddsa_mul_add": _one_shot(mc.eddsa_mul_add, 32, 32, 32),
    "eddsa_scalarbase": _one_shot(mc.eddsa_scalarbase, 32, output_secret=False),
    "elligator": _elligator,
    "elligator_map": _one_shot(mc.elligator_map, 32, output_secret=False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_secret_survives_a_call(name: str) -> None:
    secrets = CASES[name]()
    assert_wiped(**secrets)


def test_rejected_arguments_leave_nothing() -> None:
    key, text = r(), r(100)
    with pytest.raises(InvalidInput):
        mc.aead_lock(text, key[:31])
    with pytest.raises(InvalidInput):
        mc.aead_unlock(text, bytes(16), key, bytes(23))
    with pytest.raises(InvalidInput):
        mc.blake2b(text, 65, key)
    assert_wiped(key=key, text=text)


class _Failing:
    """Stands in for a prepared export: fails before the guest runs, or right after it ran."""

    def __init__(self, function: Any, after_the_call: bool) -> None:
        self.function, self.after_the_call = function, after_the_call

    def _call_trusted(self, args: Any) -> Any:
        if self.after_the_call:
            self.function._call_trusted(args)
        raise RuntimeError("injected failure")


@pytest.mark.parametrize("after_the_call", [False, True])
@pytest.mark.parametrize("size", [100, 100_000])  # zeroed by a slice copy, or by memset
def test_an_exception_half_way_still_wipes(after_the_call: bool, size: int) -> None:
    """The key and text are in the scratch block, and the guest may have run, when it fails."""
    key, text = r(), r(size)
    mac, nonce, ciphertext = mc.aead_lock(text, key)
    state = mc.Blake2b(key=key)
    before = bytes(state._state)
    sessions = {
        "aead_unlock_packed": mc.aead_unlock.__self__.bindings._session(),
        "crypto_blake2b_update": state._bindings._session(),
    }
    for export, session in sessions.items():
        setattr(session, export, _Failing(getattr(session, export), after_the_call))
    try:
        with pytest.raises(RuntimeError, match="injected"):
            mc.aead_unlock(ciphertext, mac, key, nonce)
        with pytest.raises(RuntimeError, match="injected"):
            state.update(text)
    finally:
        for export, session in sessions.items():
            delattr(session, export)  # the prepared handle comes back on next use
    assert bytes(state._state) == before  # a failed update changes nothing
    assert_wiped(key=key, text=text, **_box_secrets(key, nonce))
    scratch = _instance().scratch
    assert _instance().read(scratch.address, scratch.capacity) == bytes(scratch.capacity)


def test_incremental_objects_keep_nothing_in_the_guest_between_calls() -> None:
    key, msg, text = r(), r(200), r(120)
    blake = mc.Blake2b(msg[:10], key=key)
    hmac_state = mc.HmacSha512(key, msg[:10])
    poly = mc.Poly1305(key)
    stream = mc.AeadContext(key, r(24))
    for obj in (blake, hmac_state, poly):
        obj.update(msg)
    stream.write(text)
    blake.digest()
    hmac_state.digest()
    states = {f"{type(o).__name__} state": bytes(o._state) for o in (blake, hmac_state, stream)}
    poly.digest()
    # The contexts' bytes (key-derived) are outside linear memory, only in their objects.
    assert_wiped(key=key, msg=msg, text=text, **states)
    for obj in (blake, hmac_state, stream):
        obj.close()
        assert not any(obj._state)


def test_other_operations_cannot_clobber_a_context() -> None:
    # Contexts live outside the arena, so other calls' resets on the same instance cannot
    # touch them, and objects may be used from any thread.
    key = r()
    expected = hashlib.blake2b(b"part one, part two", key=key).digest()
    state = mc.Blake2b(b"part one, ", key=key)
    mc.aead_lock(r(1000), r())  # allocates and resets the same instance
    instance = _instance()
    with instance.arena():
        instance.write(instance.alloc(4096), b"\xff" * 4096)
    state.update(b"part two")
    assert state.digest() == expected
