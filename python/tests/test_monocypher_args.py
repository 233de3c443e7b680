"""Argument checking of every public function, method and constructor of wasmext.monocypher.

Each function is described once (its arguments and what each accepts); the tests derive the
bad calls from that: wrong types raise InvalidType and wrong lengths or ranges InvalidInput,
both naming the argument, and nothing reaches the guest (linear memory is byte-for-byte the
same before and after). Good calls accept bytes, bytearray and memoryview alike.
"""

from __future__ import annotations

import array
import functools
import inspect
import os
from dataclasses import dataclass
from typing import Any, Callable

import pytest
from conftest import require_bundled

from wasmext import monocypher as mc
from wasmext.errors import InvalidInput, InvalidType


@pytest.fixture(autouse=True)
def _artifact() -> None:
    require_bundled("monocypher")


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


def _valid(spec: Spec) -> dict[str, Any]:
    values = {}
    for name, kind in spec.items():
        if isinstance(kind, Buf):
            values[name] = kind.valid()
        elif isinstance(kind, Int):
            values[name] = kind.default
        else:
            values[name] = kind.values[0]
    return values


def _bad_calls() -> list[Any]:
    cases = []
    for function_name, (_, spec) in FUNCTIONS.items():
        for arg, kind in spec.items():
            if isinstance(kind, Buf):
                bad_types = ["text", 42, 3.5, [1, 2], object()]
                if not kind.optional:
                    bad_types.append(None)
                for value in bad_types:
                    cases.append((function_name, arg, value, InvalidType))
                strided = memoryview(bytes(2 * (kind.size or 6)))[::2]
                cases.append((function_name, arg, strided, InvalidType))
                for size in kind.wrong_sizes():
                    cases.append((function_name, arg, bytes(size), InvalidInput))
            elif isinstance(kind, Int):
                for value in ["1", 1.0, True, None, b"\x01"]:
                    cases.append((function_name, arg, value, InvalidType))
                for value in [kind.low - 1, kind.high + 1]:
                    cases.append((function_name, arg, value, InvalidInput))
            else:
                cases.append((function_name, arg, b"argon2id", InvalidType))
                cases.append((function_name, arg, "argon3", InvalidInput))
    return [
        pytest.param(*case, id=f"{case[0]}-{case[1]}-{type(case[2]).__name__}-{i}")
        for i, case in enumerate(cases)
    ]


@pytest.mark.parametrize(("function_name", "arg", "value", "error"), _bad_calls())
def test_bad_argument_is_named_and_never_reaches_the_guest(
    function_name: str, arg: str, value: Any, error: type[Exception]
) -> None:
    make, spec = FUNCTIONS[function_name]
    function = make()
    kwargs = _valid(spec)
    kwargs[arg] = value
    instance = mc.Monocypher().instance
    before = instance.dump()
    with pytest.raises(error, match=rf"\b{arg}\b"):
        function(**kwargs)
    assert instance.dump() == before


@pytest.mark.parametrize("function_name", sorted(FUNCTIONS))
def test_every_bytes_like_is_accepted(function_name: str) -> None:
    make, spec = FUNCTIONS[function_name]
    base = _valid(spec)

    def call(values: dict[str, Any]) -> Any:
        try:
            result = make()(**values)
        except RAISES_ON_RANDOM_INPUT.get(function_name, ()) as error:
            return type(error)
        return result if isinstance(result, (bytes, bool, tuple, type(None))) else type(result)

    expected = call(base)
    for convert in (bytearray, memoryview, lambda data: memoryview(array.array("B", data))):
        converted = {k: convert(v) if isinstance(v, bytes) else v for k, v in base.items()}
        assert call(converted) == expected


def test_the_table_covers_the_whole_public_api() -> None:
    public = {
        name
        for name in mc.__all__
        if inspect.ismethod(getattr(mc, name))  # the functions are the default backend's methods
    }
    assert public <= set(FUNCTIONS)
    classes = {"Blake2b", "Sha512", "HmacSha512", "Poly1305", "AeadContext"}
    assert classes <= set(FUNCTIONS)


def test_errors_are_the_builtin_exceptions_too() -> None:
    with pytest.raises(TypeError):
        mc.blake2b("text")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="their_pk must be 32 bytes long, got 31"):
        mc.x25519(bytes(32), bytes(31))
    with pytest.raises(InvalidType, match="encode it first"):
        mc.sha512("text")  # type: ignore[arg-type]


def test_numpy_style_buffers_and_integers_are_accepted() -> None:
    numpy = pytest.importorskip("numpy")
    data = numpy.arange(16, dtype=numpy.uint32)
    assert mc.blake2b(data, numpy.int64(32)) == mc.blake2b(data.tobytes(), 32)
    with pytest.raises(InvalidType, match="msg must be a C-contiguous buffer"):
        mc.blake2b(data[::2])
