"""Monocypher's builds side by side: ``speed`` (-O3), ``size`` (-Oz) and ``speed`` + SIMD128.

The last is clang's ``-msimd128``: loops autovectorised to wasm SIMD, which wasmtime runs by
default.

``cargo xtask bench`` builds them into ``target/bench/profiles/{speed,size,speed-simd128}/``
(the shipped artifact in ``target/guests/`` is whichever the guest declares as its default).
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
from collections.abc import Callable
from pathlib import Path

import nacl.bindings as sodium

from suite import Context, expect
from wasmext.monocypher import Monocypher
from wasmext.runtime import Guest

GROUP = "profiles"
PROFILES = ("speed", "size", "speed-simd128")
GUEST = "monocypher"
ARGON2_BLOCKS = 8 << 10
SIZES = {
    "AEAD lock 64 B": 64,
    "AEAD lock 1 MiB": 1 << 20,
    "BLAKE2b 64 B": 64,
    "BLAKE2b 1 MiB": 1 << 20,
}


def artifact(profiles: Path, profile: str) -> dict[str, object]:
    """The manifest entry of the guest built with ``profile``."""
    manifest = json.loads((profiles / profile / "manifest.json").read_text(encoding="utf-8"))
    (entry,) = (g for g in manifest["guests"] if g["name"] == GUEST)
    return {**entry, "path": str(profiles / profile / entry["file"])}


def run(ctx: Context) -> None:
    """Time a few operations on each profile's artifact; both must give the same bytes."""
    names = (
        "AEAD lock 64 B",
        "AEAD lock 1 MiB",
        "BLAKE2b 64 B",
        "BLAKE2b 1 MiB",
        "X25519",
        "Ed25519 sign",
        "Argon2i 8 MiB",
    )
    if not any(ctx.selected(GROUP, name) for name in names):
        return
    # A quick run (``cargo xtask test``) builds no SIMD variant.
    built = [p for p in PROFILES if (ctx.profiles / p / "manifest.json").is_file()]
    entries = {profile: artifact(ctx.profiles, profile) for profile in built}
    boxes = {
        profile: Monocypher(Guest(Path(str(entry["path"])))) for profile, entry in entries.items()
    }
    speed, size, simd = "speed profile", "size profile", "speed profile + SIMD128"
    note = ", ".join(f"{p}: {int(str(e['bytes'])):,} B" for p, e in entries.items())
    rng = random.Random(GROUP)
    key, nonce, seed = rng.randbytes(32), rng.randbytes(24), rng.randbytes(32)

    def operations(box: Monocypher) -> dict[str, Callable[[], object]]:
        secret = box.ed25519_key_pair(seed)[0]
        return {
            "AEAD lock 64 B": functools.partial(box.aead_lock, bytes(64), key, nonce=nonce),
            "AEAD lock 1 MiB": functools.partial(box.aead_lock, bytes(1 << 20), key, nonce=nonce),
            "BLAKE2b 64 B": functools.partial(box.blake2b, bytes(64)),
            "BLAKE2b 1 MiB": functools.partial(box.blake2b, bytes(1 << 20)),
            "X25519": functools.partial(box.x25519, seed, box.x25519_public_key(key)),
            "Ed25519 sign": functools.partial(box.ed25519_sign, secret, bytes(64)),
            "Argon2i 8 MiB": functools.partial(
                box.argon2, key, nonce, nb_blocks=ARGON2_BLOCKS, nb_passes=3, algorithm="argon2i"
            ),
        }

    calls = {profile: operations(box) for profile, box in boxes.items()}
    for name in names:
        if not ctx.selected(GROUP, name):
            continue
        results = {profile: calls[profile][name]() for profile in built}
        for other in built[1:]:
            expect(f"{GROUP}: {name}, {other} against speed", results[other], results["speed"])
        if name.startswith("AEAD"):
            text = bytes(SIZES[name])
            boxed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(text, None, nonce, key)
            expect(f"{GROUP}: {name}", results["speed"], (boxed[-16:], nonce, boxed[:-16]))
        if name.startswith("BLAKE2b"):
            digest = hashlib.blake2b(bytes(SIZES[name])).digest()
            expect(f"{GROUP}: {name}", results["speed"], digest)
        labels = {"speed": speed, "size": size, "speed-simd128": simd}
        contenders = {labels[profile]: calls[profile][name] for profile in built}
        ctx.measure(
            GROUP,
            name,
            contenders,
            comparisons=[(labels[p], speed) for p in built[1:]],
            size=SIZES.get(name),
            note=note,
        )
