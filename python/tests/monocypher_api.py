"""The public API of :mod:`wasmext.monocypher`, described once for the tests that derive their
calls from it: every function, method and constructor, each argument and what it accepts.

``test_monocypher_args`` proves the table covers the whole API; the argument, fuzz, secret and
fault tests iterate over it, so a new function is checked everywhere once it is listed here.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any, Callable

from wasmext import monocypher as mc

U32 = 2**32 - 1
U64 = 2**64 - 1


@dataclass(frozen=True)
class Buf:
    """A byte-string argument: exact size, or a range of sizes."""

    size: int | None = None
    low: int = 0
    high: int | None = None
    optional: bool = False  # accepts None (then drawn at random)

    def valid(self) -> bytes:
        return os.urandom(self.size if self.size is not None else max(self.low, 5))

    def accepts(self, size: int) -> bool:
        """Whether a buffer of ``size`` bytes is a valid value."""
        if self.size is not None:
            return size == self.size
        return self.low <= size and (self.high is None or size <= self.high)

    def wrong_sizes(self) -> list[int]:
        if self.size is not None:
            return [self.size - 1, self.size + 1, 0] if self.size else [1]
        wrong = []
        if self.low:
            wrong.append(self.low - 1)
        if self.high is not None:
            wrong.append(self.high + 1)
        return wrong


@dataclass(frozen=True)
class Int:
    """An integer argument with an inclusive range."""

    low: int
    high: int
    default: int


@dataclass(frozen=True)
class Choice:
    """A string argument taking one of a few values."""

    values: tuple[str, ...]


Spec = dict[str, Any]


def _stream(variant: str = "x") -> mc.AeadContext:
    size = {"x": 24, "djb": 8, "ietf": 12}[variant]
    return mc.AeadContext(bytes(32), bytes(size), variant=variant)  # type: ignore[arg-type]


def _is(function: Callable[..., Any]) -> Callable[[], Callable[..., Any]]:
    return lambda: function


# Every public callable: a factory for it (methods need their object, built before the test
# snapshots memory) and its arguments in order, fixed-size ones with their size.
FUNCTIONS: dict[str, tuple[Callable[[], Callable[..., Any]], Spec]] = {
    "aead_lock": (
        _is(mc.aead_lock),
        {"text": Buf(), "key": Buf(32), "ad": Buf(), "nonce": Buf(24, optional=True)},
    ),
    "aead_unlock": (
        _is(mc.aead_unlock),
        {"text": Buf(), "mac": Buf(16), "key": Buf(32), "nonce": Buf(24), "ad": Buf()},
    ),
    "Monocypher.aead_lock": (
        lambda: mc.Monocypher().aead_lock,
        {"text": Buf(), "key": Buf(32), "ad": Buf(), "nonce": Buf(24, optional=True)},
    ),
    "Monocypher.aead_unlock": (
        lambda: mc.Monocypher().aead_unlock,
        {"text": Buf(), "mac": Buf(16), "key": Buf(32), "nonce": Buf(24), "ad": Buf()},
    ),
    "chacha20_djb": (
        _is(mc.chacha20_djb),
        {"text": Buf(), "key": Buf(32), "nonce": Buf(8), "ctr": Int(0, U64, 0)},
    ),
    "chacha20_ietf": (
        _is(mc.chacha20_ietf),
        {"text": Buf(), "key": Buf(32), "nonce": Buf(12), "ctr": Int(0, U32, 0)},
    ),
    "chacha20_x": (
        _is(mc.chacha20_x),
        {"text": Buf(), "key": Buf(32), "nonce": Buf(24), "ctr": Int(0, U64, 0)},
    ),
    "hchacha20": (_is(mc.hchacha20), {"key": Buf(32), "data": Buf(16)}),
    "poly1305": (_is(mc.poly1305), {"msg": Buf(), "key": Buf(32)}),
    "verify16": (_is(mc.verify16), {"a": Buf(16), "b": Buf(16)}),
    "verify32": (_is(mc.verify32), {"a": Buf(32), "b": Buf(32)}),
    "verify64": (_is(mc.verify64), {"a": Buf(64), "b": Buf(64)}),
    "blake2b": (_is(mc.blake2b), {"msg": Buf(), "size": Int(1, 64, 64), "key": Buf(high=64)}),
    "sha512": (_is(mc.sha512), {"msg": Buf()}),
    "hmac_sha512": (_is(mc.hmac_sha512), {"key": Buf(), "msg": Buf()}),
    "hkdf_sha512": (
        _is(mc.hkdf_sha512),
        {"ikm": Buf(), "salt": Buf(), "info": Buf(), "size": Int(1, 16320, 64)},
    ),
    "hkdf_sha512_expand": (
        _is(mc.hkdf_sha512_expand),
        {"prk": Buf(), "info": Buf(), "size": Int(1, 16320, 64)},
    ),
    "argon2": (
        _is(mc.argon2),
        {
            "password": Buf(),
            "salt": Buf(low=8),
            "nb_blocks": Int(8, U32 // 1024, 8),
            "nb_passes": Int(1, U32, 1),
            "algorithm": Choice(("argon2id", "argon2i", "argon2d")),
            "size": Int(4, U32, 32),
            "key": Buf(),
            "ad": Buf(),
            "nb_lanes": Int(1, 2**24 - 1, 1),
        },
    ),
    "x25519_public_key": (_is(mc.x25519_public_key), {"sk": Buf(32)}),
    "x25519": (_is(mc.x25519), {"sk": Buf(32), "their_pk": Buf(32)}),
    "x25519_to_eddsa": (_is(mc.x25519_to_eddsa), {"x25519_pk": Buf(32)}),
    "x25519_inverse": (_is(mc.x25519_inverse), {"sk": Buf(32), "curve_point": Buf(32)}),
    "x25519_dirty_small": (_is(mc.x25519_dirty_small), {"sk": Buf(32)}),
    "x25519_dirty_fast": (_is(mc.x25519_dirty_fast), {"sk": Buf(32)}),
    "eddsa_key_pair": (_is(mc.eddsa_key_pair), {"seed": Buf(32, optional=True)}),
    "eddsa_sign": (_is(mc.eddsa_sign), {"sk": Buf(64), "msg": Buf()}),
    "eddsa_check": (_is(mc.eddsa_check), {"sig": Buf(64), "pk": Buf(32), "msg": Buf()}),
    "eddsa_to_x25519": (_is(mc.eddsa_to_x25519), {"eddsa_pk": Buf(32)}),
    "eddsa_trim_scalar": (_is(mc.eddsa_trim_scalar), {"scalar": Buf(32)}),
    "eddsa_reduce": (_is(mc.eddsa_reduce), {"expanded": Buf(64)}),
    "eddsa_mul_add": (_is(mc.eddsa_mul_add), {"a": Buf(32), "b": Buf(32), "c": Buf(32)}),
    "eddsa_scalarbase": (_is(mc.eddsa_scalarbase), {"scalar": Buf(32)}),
    "eddsa_check_equation": (
        _is(mc.eddsa_check_equation),
        {"sig": Buf(64), "pk": Buf(32), "h_ram": Buf(32)},
    ),
    "ed25519_key_pair": (_is(mc.ed25519_key_pair), {"seed": Buf(32, optional=True)}),
    "ed25519_sign": (_is(mc.ed25519_sign), {"sk": Buf(64), "msg": Buf()}),
    "ed25519_check": (_is(mc.ed25519_check), {"sig": Buf(64), "pk": Buf(32), "msg": Buf()}),
    "ed25519_ph_sign": (_is(mc.ed25519_ph_sign), {"sk": Buf(64), "msg_hash": Buf(64)}),
    "ed25519_ph_check": (
        _is(mc.ed25519_ph_check),
        {"sig": Buf(64), "pk": Buf(32), "msg_hash": Buf(64)},
    ),
    "elligator_map": (_is(mc.elligator_map), {"hidden": Buf(32)}),
    "elligator_rev": (_is(mc.elligator_rev), {"curve": Buf(32), "tweak": Int(0, 255, 0)}),
    "elligator_key_pair": (_is(mc.elligator_key_pair), {"seed": Buf(32, optional=True)}),
    "Blake2b": (_is(mc.Blake2b), {"msg": Buf(), "size": Int(1, 64, 64), "key": Buf(high=64)}),
    "Blake2b.update": (lambda: mc.Blake2b().update, {"msg": Buf()}),
    "Sha512": (_is(mc.Sha512), {"msg": Buf()}),
    "Sha512.update": (lambda: mc.Sha512().update, {"msg": Buf()}),
    "HmacSha512": (_is(mc.HmacSha512), {"key": Buf(), "msg": Buf()}),
    "HmacSha512.update": (lambda: mc.HmacSha512(b"k").update, {"msg": Buf()}),
    "Poly1305": (_is(mc.Poly1305), {"key": Buf(32)}),
    "Poly1305.update": (lambda: mc.Poly1305(bytes(32)).update, {"msg": Buf()}),
    "AeadContext": (
        _is(mc.AeadContext),
        {"key": Buf(32), "nonce": Buf(24), "variant": Choice(("x",))},
    ),
    "AeadContext.djb": (
        _is(functools.partial(mc.AeadContext, variant="djb")),
        {"key": Buf(32), "nonce": Buf(8)},
    ),
    "AeadContext.ietf": (
        _is(functools.partial(mc.AeadContext, variant="ietf")),
        {"key": Buf(32), "nonce": Buf(12)},
    ),
    "AeadContext.write": (lambda: _stream().write, {"text": Buf(), "ad": Buf()}),
    "AeadContext.read": (lambda: _stream().read, {"text": Buf(), "mac": Buf(16), "ad": Buf()}),
}

# Functions whose good calls may fail for a reason other than arguments (a random MAC).
RAISES_ON_RANDOM_INPUT = {
    "aead_unlock": mc.ForgeryError,
    "Monocypher.aead_unlock": mc.ForgeryError,
    "AeadContext.read": mc.ForgeryError,
}


def valid_arguments(spec: Spec) -> dict[str, Any]:
    """A good value for every argument of ``spec`` (random bytes of an accepted size)."""
    values = {}
    for name, kind in spec.items():
        if isinstance(kind, Buf):
            values[name] = kind.valid()
        elif isinstance(kind, Int):
            values[name] = kind.default
        else:
            values[name] = kind.values[0]
    return values
