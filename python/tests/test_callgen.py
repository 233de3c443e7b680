"""The fast path's call methods, written per signature (``wasmext._callgen``).

Every shape of signature must behave as wasmtime-py's public API does: each parameter type at
every position, both readings of each value, results of each width and none, and the trusted
entry point the package's own layers use.
"""

from __future__ import annotations

import re
import traceback

import pytest
from conftest import ARENA, module
from hypothesis import given
from hypothesis import strategies as st

import wasmext._callgen
from wasmext import _fastcall
from wasmext.errors import GuestTrap, InvalidType
from wasmext.runtime import Guest

pytestmark = pytest.mark.skipif(not _fastcall.AVAILABLE, reason=_fastcall.REASON)

# Each function folds its arguments into one value that depends on every bit of each, so a
# value written to the wrong slot, or truncated, or sign-extended wrongly, shows.
SHAPES = """
  (global $kept (mut i64) (i64.const 0))
  (func (export "none") (result i32) (i32.const -7))
  (func (export "one32") (param i32) (result i32) (i32.xor (local.get 0) (i32.const 0x5a5a5a5a)))
  (func (export "one64") (param i64) (result i64) (i64.rotl (local.get 0) (i64.const 13)))
  (func (export "mixed") (param i32 i64 i32 i64) (result i64)
    (i64.xor
      (i64.xor (i64.extend_i32_u (local.get 0)) (i64.rotl (local.get 1) (i64.const 7)))
      (i64.xor (i64.shl (i64.extend_i32_u (local.get 2)) (i64.const 32))
               (i64.rotl (local.get 3) (i64.const 29)))))
  (func (export "keep") (param i64 i32) (global.set $kept
    (i64.add (local.get 0) (i64.extend_i32_s (local.get 1)))))
  (func (export "kept") (result i64) (global.get $kept))
  (func (export "boom") (param i32) unreachable)
"""

I32 = st.integers(-(2**31), 2**32 - 1)
I64 = st.integers(-(2**63), 2**64 - 1)


@pytest.fixture(scope="module")
def paths() -> tuple[Guest, Guest]:
    wasm = module(ARENA, SHAPES)
    return Guest(wasm, fast_calls=True, cache=False), Guest(wasm, fast_calls=False, cache=False)


def _unsigned(value: int, bits: int) -> int:
    return value % (1 << bits)


@given(a=I32, b=I64, c=I32, d=I64)
def test_every_shape_agrees_with_the_public_api(
    paths: tuple[Guest, Guest], a: int, b: int, c: int, d: int
) -> None:
    fast, public = (guest.instance() for guest in paths)
    for name, args in [
        ("none", ()),
        ("one32", (a,)),
        ("one64", (b,)),
        ("mixed", (a, b, c, d)),
    ]:
        want = public.function(name)(*args)
        got = fast.function(name)(*args)
        assert got == want, f"{name}{args}: fast {got}, public {want}"
        # The trusted entry point takes the unsigned reading of every argument.
        kinds = fast.function(name).signature.params
        unsigned = [_unsigned(v, 64 if kind == "i64" else 32) for v, kind in zip(args, kinds)]
        with fast.function(name)._core.lock:
            trusted = fast.function(name)._call_trusted(unsigned)
        assert trusted == want, f"{name}{tuple(unsigned)} trusted: {trusted}, public {want}"
    assert fast.function("keep")(b, c) is None
    assert public.function("keep")(b, c) is None
    assert fast.function("kept")() == public.function("kept")()


def test_arity_errors_name_what_was_given(paths: tuple[Guest, Guest]) -> None:
    mixed = paths[0].instance().function("mixed")
    for args in [(), (1,), (1, 2, 3), (1, 2, 3, 4, 5)]:
        with pytest.raises(InvalidType, match=rf"takes 4 argument\(s\), {len(args)} given"):
            mixed(*args)
    with pytest.raises(InvalidType, match=r"takes 0 argument\(s\), 1 given"):
        paths[0].instance().function("none")(1)
    with pytest.raises(TypeError):
        mixed(1, 2, 3, a3=4)  # type: ignore[call-arg]


def test_a_trap_poisons_on_the_generated_path(paths: tuple[Guest, Guest]) -> None:
    instance = paths[0].new_instance()
    with pytest.raises(GuestTrap, match="unreachable"):
        instance.function("boom")(0)
    with pytest.raises(GuestTrap):
        instance.function("one32")(1)


def test_the_documented_method_is_the_generated_one() -> None:
    """The module's docstring shows the method for ``(i32, i64) -> i32``: it must be real."""
    doc = wasmext._callgen.__doc__
    assert doc is not None
    shown = re.search(r"::\n\n(    def __call__.*?)\n\n``_call_trusted", doc, re.S)
    assert shown is not None
    documented = "\n".join(line[4:] for line in shown.group(1).splitlines())
    generated = wasmext._callgen.source(("i32", "i64"), ("i32",), guarded=False)
    assert generated.startswith(documented + "\n"), f"{documented}\n---\n{generated}"


def test_each_method_is_compiled_when_first_looked_up() -> None:
    """A signature no other test uses: its class starts with neither method compiled."""
    guest = Guest(module(ARENA, '(func (export "f") (param i64 i64 i64) (result i32) i32.const 7)'))
    function = guest.new_instance().function("f")
    methods = type(function).__dict__
    assert not callable(methods["__call__"])
    assert not callable(methods["_call_trusted"])
    with function._core.lock:
        assert function._call_trusted([1, 2, 3]) == 7
    assert callable(type(function).__dict__["_call_trusted"])
    assert not callable(type(function).__dict__["__call__"]), "__call__ compiled unasked"
    assert function(1, 2, 3) == 7
    assert callable(type(function).__dict__["__call__"])


def test_tracebacks_show_the_generated_lines() -> None:
    function = Guest(module(ARENA, SHAPES)).new_instance().function("one32")
    try:
        function("x")  # type: ignore[arg-type]
    except InvalidType as error:
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    else:
        raise AssertionError("a str argument was accepted")
    assert "<__call__ (i32) -> (i32)>" in text, text
    assert "a0 = self._argument(0, a0)" in text, text
