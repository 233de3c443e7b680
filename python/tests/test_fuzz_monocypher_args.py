"""Fuzzing the argument checks of every public function of wasmext.monocypher.

Each example picks a function from the API table (``monocypher_api``) and gives each of its
arguments either a good value (any kind of buffer of an accepted size) or a random bad one: a
wrong length, a wrong type (text, numbers, None, lists, objects, strided views), an integer out
of range, an unknown choice. With no bad argument, the call must succeed (or give its verdict,
say on a random MAC); with some, it must raise InvalidType or InvalidInput as the argument's
fault warrants, the message must start with that argument's name, and linear memory must be
byte-for-byte what it was: nothing reached the guest.
"""

from __future__ import annotations

import array
from typing import Any

import numpy as np
import pytest
from conftest import require_bundled, tally
from hypothesis import given
from hypothesis import strategies as st
from monocypher_api import FUNCTIONS, RAISES_ON_RANDOM_INPUT, Buf, Choice, Int

from wasmext import monocypher as mc
from wasmext.errors import InvalidInput, InvalidType

CHOICES = {"x", "djb", "ietf", "argon2d", "argon2i", "argon2id"}
# An explicit alphabet: drawing from all of Unicode costs Hypothesis seconds to set up.
TEXT = st.text(alphabet="argon2idjbxetf-_ 0é€\x00", max_size=40)
OK = None  # the expected fault of a good value


@pytest.fixture(autouse=True)
def _artifact() -> None:
    require_bundled("monocypher")


def _buffer(draw: Any, size: int) -> Any:
    """A buffer of ``size`` bytes, of any of the kinds the API accepts."""
    data = draw(st.binary(min_size=size, max_size=size))
    kinds = ["bytes", "bytearray", "memoryview", "slice", "array B", "numpy"]
    if size % 4 == 0:
        kinds.append("array I")
    if size % 2 == 0 and size:
        kinds.append("2-D")
    kind = draw(st.sampled_from(kinds))
    if kind == "bytearray":
        return bytearray(data)
    if kind == "memoryview":
        return memoryview(data)
    if kind == "slice":
        return memoryview(b"<" + data + b">")[1:-1]
    if kind == "array B":
        return array.array("B", data)
    if kind == "array I":
        return array.array("I", data)
    if kind == "numpy":
        return np.frombuffer(data, dtype=np.uint8)
    if kind == "2-D":
        return memoryview(data).cast("B", [2, size // 2])
    return data


@st.composite
def _argument(draw: Any, kind: Any) -> tuple[Any, Any]:
    """``(value, expected fault)``: a good value (fault OK) or a bad one and its error."""
    good = draw(st.booleans())
    if isinstance(kind, Buf):
        if good:
            if kind.size is not None:
                size = kind.size
            else:
                high = kind.high if kind.high is not None else kind.low + 300
                size = draw(st.integers(kind.low, high))
            return _buffer(draw, size), OK
        fault = draw(st.sampled_from(["size", "type", "strided"]))
        if fault == "size":
            size = draw(st.integers(0, (kind.size or kind.high or kind.low) + 70))
            if not kind.accepts(size):
                return _buffer(draw, size), InvalidInput
        if fault == "strided":
            size = draw(st.integers(2, 100))
            source = np.frombuffer(draw(st.binary(min_size=2 * size, max_size=2 * size)), "u1")
            return draw(st.sampled_from([source[::2], memoryview(source)[::2]])), InvalidType
        value = draw(
            st.one_of(
                TEXT,
                st.integers(),
                st.floats(),
                st.lists(st.integers(0, 255), max_size=40),
                st.sampled_from([True, object(), {}, range(4)]),
                st.none(),
            )
        )
        if value is None and kind.optional:
            return None, OK
        return value, InvalidType
    if isinstance(kind, Int):
        if good:
            return draw(st.sampled_from([kind.default, np.int64(kind.default)])), OK
        out_of_range = st.one_of(
            st.integers(max_value=kind.low - 1), st.integers(min_value=kind.high + 1)
        )
        if draw(st.booleans()):
            return draw(out_of_range), InvalidInput
        bad_type = st.one_of(st.floats(), TEXT, st.booleans(), st.none())
        return draw(st.one_of(bad_type, st.binary(max_size=4))), InvalidType
    assert isinstance(kind, Choice)
    if good:
        return kind.values[0], OK
    if draw(st.booleans()):
        return draw(TEXT.filter(lambda text: text not in CHOICES)), InvalidInput
    return draw(st.one_of(st.binary(max_size=8), st.integers(), st.none())), InvalidType


@given(data=st.data())
def test_random_arguments_of_random_functions(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(FUNCTIONS)), label="function")
    make, spec = FUNCTIONS[name]
    arguments, faults = {}, {}
    for argument, kind in spec.items():
        arguments[argument], faults[argument] = data.draw(_argument(kind), label=argument)
    bad = {argument: fault for argument, fault in faults.items() if fault is not OK}
    function = make()
    instance = mc.Monocypher().instance
    before = instance.dump()
    if not bad:
        try:
            function(**arguments)
        except RAISES_ON_RANDOM_INPUT.get(name, ()):
            pass
        return
    with pytest.raises((InvalidType, InvalidInput)) as caught:
        function(**arguments)
    named = str(caught.value).split(" ", 1)[0]
    assert named in bad, f"{name}: {caught.value!r} names no bad argument of {sorted(bad)}"
    assert isinstance(caught.value, bad[named]), f"{name}({named}=...): {caught.value!r}"
    assert instance.dump() == before
    tally("bad inputs", "monocypher arguments (fuzz)")
