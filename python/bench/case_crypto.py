"""Monocypher in wasm against native Monocypher, libsodium, hashlib, OpenSSL and libargon2.

Each case first checks that every contender computes the same bytes, then times them.
Inputs come from generators seeded per case, so every run (filtered or not) hashes and
encrypts the same data.
"""

from __future__ import annotations

import functools
import hashlib
import random
from collections.abc import Callable

import monocypher as native
import nacl.bindings as sodium
from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from suite import Context, expect
from wasmext import monocypher as mc

WASMEXT = "wasmext"
NATIVE = "native Monocypher"
PYNACL = "PyNaCl (libsodium)"
HASHLIB = "hashlib"
CRYPTOGRAPHY = "cryptography (OpenSSL)"
ARGON2_CFFI = "argon2-cffi (libargon2)"

AEAD_SIZES = (64, 1 << 10, 64 << 10, 1 << 20)
BLAKE2B_SIZES = (64, 1 << 20)
SIGNED_MESSAGE = 64
#: Argon2i with 8 MiB and 3 passes: the smallest cost RFC 9106 would not call weak for i.
ARGON2_BLOCKS = 8 << 10
ARGON2_PASSES = 3


def size_label(size: int) -> str:
    """64 B, 1 KiB, 1 MiB."""
    for unit, shift in (("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size} B"


def run(ctx: Context) -> None:
    """Every crypto case the filter selects."""
    _aead(ctx)
    _blake2b(ctx)
    _x25519(ctx)
    _ed25519(ctx)
    _argon2(ctx)


def _aead(ctx: Context) -> None:
    for size in AEAD_SIZES:
        lock_name, unlock_name = f"lock {size_label(size)}", f"unlock {size_label(size)}"
        if not (ctx.selected("AEAD", lock_name) or ctx.selected("AEAD", unlock_name)):
            continue
        rng = random.Random(f"AEAD {size}")
        key, nonce, text = rng.randbytes(32), rng.randbytes(24), rng.randbytes(size)
        # XChaCha20-Poly1305 without additional data; libsodium appends the MAC.
        boxed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(text, None, nonce, key)
        cipher, mac = boxed[:-16], boxed[-16:]
        # Native code first: it is the table's baseline.
        lock = {
            NATIVE: functools.partial(native.lock, key, nonce, text),
            WASMEXT: functools.partial(mc.aead_lock, text, key, nonce=nonce),
            PYNACL: functools.partial(
                sodium.crypto_aead_xchacha20poly1305_ietf_encrypt, text, None, nonce, key
            ),
        }
        expect(f"AEAD {lock_name}: {WASMEXT}", lock[WASMEXT](), (mac, nonce, cipher))
        expect(f"AEAD {lock_name}: {NATIVE}", lock[NATIVE](), (mac, cipher))
        unlock = {
            NATIVE: functools.partial(native.unlock, key, nonce, mac, cipher),
            WASMEXT: functools.partial(mc.aead_unlock, cipher, mac, key, nonce),
            PYNACL: functools.partial(
                sodium.crypto_aead_xchacha20poly1305_ietf_decrypt, boxed, None, nonce, key
            ),
        }
        for label, call in unlock.items():
            expect(f"AEAD {unlock_name}: {label}", call(), text)
        pairs = [(WASMEXT, NATIVE), (WASMEXT, PYNACL)]
        # Unlocking costs what locking does: the chart shows locks only, the table both.
        for name, contenders in ((lock_name, lock), (unlock_name, unlock)):
            if ctx.selected("AEAD", name):
                charted = contenders is lock
                ctx.measure("AEAD", name, contenders, comparisons=pairs, size=size, charted=charted)


def _hashlib_blake2b(message: bytes) -> bytes:
    return hashlib.blake2b(message).digest()


def _blake2b(ctx: Context) -> None:
    for size in BLAKE2B_SIZES:
        name = size_label(size)
        if not ctx.selected("BLAKE2b", name):
            continue
        message = random.Random(f"BLAKE2b {size}").randbytes(size)
        contenders: dict[str, Callable[[], object]] = {
            NATIVE: functools.partial(native.blake2b, message),
            WASMEXT: functools.partial(mc.blake2b, message),
            HASHLIB: functools.partial(_hashlib_blake2b, message),
        }
        want = hashlib.blake2b(message).digest()
        for label, call in contenders.items():
            expect(f"BLAKE2b {name}: {label}", call(), want)
        ctx.measure(
            "BLAKE2b",
            name,
            contenders,
            comparisons=[(WASMEXT, NATIVE), (WASMEXT, HASHLIB)],
            size=size,
            note="64-byte digest",
        )


def _x25519(ctx: Context) -> None:
    name = "shared secret"
    if not ctx.selected("X25519", name):
        return
    rng = random.Random("X25519")
    ours, theirs = rng.randbytes(32), rng.randbytes(32)
    their_public = mc.x25519_public_key(theirs)
    private = X25519PrivateKey.from_private_bytes(ours)
    public = X25519PublicKey.from_public_bytes(their_public)
    contenders = {
        NATIVE: functools.partial(native.x25519, ours, their_public),
        WASMEXT: functools.partial(mc.x25519, ours, their_public),
        CRYPTOGRAPHY: functools.partial(private.exchange, public),
    }
    want = private.exchange(public)
    for label, call in contenders.items():
        expect(f"X25519: {label}", call(), want)
    ctx.measure(
        "X25519",
        name,
        contenders,
        comparisons=[(WASMEXT, NATIVE), (WASMEXT, CRYPTOGRAPHY)],
        note="keys already parsed by each library",
    )


def _ed25519(ctx: Context) -> None:
    if not (ctx.selected("Ed25519", "sign") or ctx.selected("Ed25519", "verify")):
        return
    rng = random.Random("Ed25519")
    seed, message = rng.randbytes(32), rng.randbytes(SIGNED_MESSAGE)
    secret, public = mc.ed25519_key_pair(seed)
    private = Ed25519PrivateKey.from_private_bytes(seed)
    signature = private.sign(message)
    expect("Ed25519: public key", public, private.public_key().public_bytes_raw())
    pairs = [(WASMEXT, CRYPTOGRAPHY)]
    note = f"{SIGNED_MESSAGE}-byte message; native Monocypher's Python binding has no Ed25519"
    if ctx.selected("Ed25519", "sign"):
        sign = {
            CRYPTOGRAPHY: functools.partial(private.sign, message),
            WASMEXT: functools.partial(mc.ed25519_sign, secret, message),
        }
        for label, call in sign.items():
            expect(f"Ed25519 sign: {label}", call(), signature)
        ctx.measure("Ed25519", "sign", sign, comparisons=pairs, note=note)
    if ctx.selected("Ed25519", "verify"):
        verifier = private.public_key()
        check = {
            CRYPTOGRAPHY: functools.partial(verifier.verify, signature, message),
            WASMEXT: functools.partial(mc.ed25519_check, signature, public, message),
        }
        expect(f"Ed25519 verify: {CRYPTOGRAPHY}", check[CRYPTOGRAPHY](), None)  # raises if bad
        expect(f"Ed25519 verify: {WASMEXT}", check[WASMEXT](), True)
        expect(
            f"Ed25519 verify: {WASMEXT}, forged", mc.ed25519_check(signature, public, b""), False
        )
        ctx.measure("Ed25519", "verify", check, comparisons=pairs, note=note)


def _argon2(ctx: Context) -> None:
    name = f"Argon2i {size_label(ARGON2_BLOCKS << 10)}, {ARGON2_PASSES} passes"
    if not ctx.selected("Argon2", name):
        return
    rng = random.Random("Argon2")
    password, salt = rng.randbytes(16), rng.randbytes(16)
    contenders = {
        NATIVE: functools.partial(native.argon2i_32, ARGON2_BLOCKS, ARGON2_PASSES, password, salt),
        WASMEXT: functools.partial(
            mc.argon2,
            password,
            salt,
            nb_blocks=ARGON2_BLOCKS,
            nb_passes=ARGON2_PASSES,
            algorithm="argon2i",
        ),
        ARGON2_CFFI: functools.partial(
            hash_secret_raw,
            password,
            salt,
            time_cost=ARGON2_PASSES,
            memory_cost=ARGON2_BLOCKS,
            parallelism=1,
            hash_len=32,
            type=Type.I,
        ),
    }
    want = contenders[ARGON2_CFFI]()
    for label, call in contenders.items():
        expect(f"{name}: {label}", call(), want)
    ctx.measure(
        "Argon2",
        name,
        contenders,
        comparisons=[(WASMEXT, NATIVE), (WASMEXT, ARGON2_CFFI)],
        note="one lane, 32-byte hash",
    )
