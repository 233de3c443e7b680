"""Monocypher's two build profiles side by side: ``speed`` (-O3) against ``size`` (-Oz).

``cargo xtask bench`` builds both into ``target/bench/profiles/{speed,size}/`` (the shipped
artifact in ``target/guests/`` is whichever the guest declares as its default).
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Callable
from pathlib import Path

import nacl.bindings as sodium

from suite import Context, expect
from wasmext.monocypher import Monocypher
from wasmext.runtime import Guest

GROUP = "profiles"
PROFILES = ("speed", "size")
GUEST = "monocypher"
ARGON2_BLOCKS = 8 << 10
SIZES = {"AEAD lock 64 B": 64, "AEAD lock 1 MiB": 1 << 20}


def artifact(profiles: Path, profile: str) -> dict[str, object]:
    """The manifest entry of the guest built with ``profile``."""
    manifest = json.loads((profiles / profile / "manifest.json").read_text(encoding="utf-8"))
    (entry,) = (g for g in manifest["guests"] if g["name"] == GUEST)
    return {**entry, "path": str(profiles / profile / entry["file"])}


def run(ctx: Context) -> None:
    """Time a few operations on each profile's artifact; both must give the same bytes."""
    names = ("AEAD lock 64 B", "AEAD lock 1 MiB", "X25519", "Ed25519 sign", "Argon2i 8 MiB")
    if not any(ctx.selected(GROUP, name) for name in names):
        return
    entries = {profile: artifact(ctx.profiles, profile) for profile in PROFILES}
    boxes = {
        profile: Monocypher(Guest(Path(str(entry["path"])))) for profile, entry in entries.items()
    }
    speed, size = "speed profile", "size profile"
    note = ", ".join(f"{p}: {int(str(e['bytes'])):,} B" for p, e in entries.items())
    rng = random.Random(GROUP)
    key, nonce, seed = rng.randbytes(32), rng.randbytes(24), rng.randbytes(32)

    def operations(box: Monocypher) -> dict[str, Callable[[], object]]:
        secret = box.ed25519_key_pair(seed)[0]
        return {
            "AEAD lock 64 B": functools.partial(box.aead_lock, bytes(64), key, nonce=nonce),
            "AEAD lock 1 MiB": functools.partial(box.aead_lock, bytes(1 << 20), key, nonce=nonce),
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
        results = {profile: calls[profile][name]() for profile in PROFILES}
        expect(f"{GROUP}: {name}, size against speed", results["size"], results["speed"])
        if name.startswith("AEAD"):
            text = bytes(SIZES[name])
            boxed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(text, None, nonce, key)
            expect(f"{GROUP}: {name}", results["speed"], (boxed[-16:], nonce, boxed[:-16]))
        contenders = {speed: calls["speed"][name], size: calls["size"][name]}
        ctx.measure(
            GROUP,
            name,
            contenders,
            comparisons=[(size, speed)],
            size=SIZES.get(name),
            note=note,
        )
