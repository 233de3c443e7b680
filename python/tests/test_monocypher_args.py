"""Argument checking of every public function, method and constructor of wasmext.monocypher.

Each function is described once, in ``monocypher_api`` (its arguments and what each accepts);
the tests derive the bad calls from that: wrong types raise InvalidType and wrong lengths or
ranges InvalidInput, both naming the argument, and nothing reaches the guest (linear memory is
byte-for-byte the same before and after). Good calls accept bytes, bytearray and memoryview
alike.
"""

from __future__ import annotations

import array
import inspect
from typing import Any

import pytest
from conftest import require_bundled, tally
from monocypher_api import FUNCTIONS, RAISES_ON_RANDOM_INPUT, Buf, Int, valid_arguments

from wasmext import monocypher as mc
from wasmext.errors import InvalidInput, InvalidType


@pytest.fixture(autouse=True)
def _artifact() -> None:
    require_bundled("monocypher")


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
    kwargs = valid_arguments(spec)
    kwargs[arg] = value
    instance = mc.Monocypher().instance
    before = instance.dump()
    with pytest.raises(error, match=rf"\b{arg}\b"):
        function(**kwargs)
    assert instance.dump() == before
    tally("bad inputs", "monocypher arguments (table)")


@pytest.mark.parametrize("function_name", sorted(FUNCTIONS))
def test_every_bytes_like_is_accepted(function_name: str) -> None:
    make, spec = FUNCTIONS[function_name]
    base = valid_arguments(spec)

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
