"""Fuzzing the runtime's alloc/read/write/reset against a model, on the real SDK arena.

Each example is a random sequence of operations on a fresh instance of a shipped artifact
capped at a few MiB: allocations of every size (zero, small, large, past the cap, past 4 GiB,
negative, not an int), writes and reads inside allocations, stray reads and writes anywhere
(negative, past the end, overflowing), and resets. The model knows what each allocation must
hold; every answer is checked against it, and the instance must stay usable throughout.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import require_bundled, tally
from hypothesis import given
from hypothesis import strategies as st

from wasmext.errors import GuestMemoryError, InvalidInput, InvalidType, OutOfBounds
from wasmext.runtime import Guest, Instance

PAGE = 65536
CAP = 64 * PAGE

SIZES = st.one_of(
    st.integers(0, 300),
    st.integers(300, 3 * PAGE),
    st.integers(CAP - 2 * PAGE, CAP + PAGE),
    st.integers(2**32 - 16, 2**40),
    st.integers(-(2**33), -1),
)
BAD_VALUES = st.sampled_from([1.5, "16", None, b"\x10", [16], True, object()])
ANYWHERE = st.one_of(st.integers(-(2**33), 2**33), st.integers(CAP - 64, CAP + 64))
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("alloc"), SIZES),
        st.tuples(st.just("write"), st.integers(0, 2**16), st.integers(0, 2**16), st.binary()),
        st.tuples(st.just("read"), st.integers(0, 2**16)),
        st.tuples(st.just("stray read"), ANYWHERE, st.integers(-(2**33), 2**33)),
        st.tuples(st.just("stray write"), ANYWHERE, st.binary(min_size=1, max_size=64)),
        st.tuples(st.just("bad argument"), st.sampled_from(["alloc", "read", "write"]), BAD_VALUES),
        st.tuples(st.just("reset")),
    ),
    max_size=40,
)


@pytest.fixture(scope="module")
def capped() -> Guest:
    return Guest(require_bundled("twosum"), max_memory=CAP)


def _misuse(instance: Instance, method: str, value: Any) -> None:
    """Call ``method`` with ``value`` where an int (or, for data, a buffer) belongs."""
    if method == "alloc":
        instance.alloc(value)
    elif method == "read":
        instance.read(value, 1)
    elif isinstance(value, (bytes, str)):
        instance.write(value, b"x")  # `value` as the pointer
    else:
        instance.write(16, value)


@given(operations=OPERATIONS)
def test_alloc_read_write_reset_against_a_model(capped: Guest, operations: list[Any]) -> None:
    instance = capped.new_instance()
    live: list[tuple[int, bytearray]] = []  # (pointer, what it must hold)
    for operation in operations:
        kind = operation[0]
        size = instance.memory_size
        assert size <= CAP
        if kind == "alloc":
            n = operation[1]
            if n < 0:
                with pytest.raises(InvalidInput):
                    instance.alloc(n)
                continue
            try:
                pointer = instance.alloc(n)
            except GuestMemoryError:
                # Only when growing by n (plus alignment and page rounding) would pass the cap.
                assert size + n + 16 + PAGE > CAP, (n, size)
                continue
            assert pointer % 16 == 0
            assert pointer + n <= instance.memory_size
            for other, contents in live:
                assert pointer + n <= other or other + len(contents) <= pointer or not n
            assert instance.read(pointer, n) == bytes(n)
            live.append((pointer, bytearray(n)))
        elif kind == "write" and live:
            pointer, contents = live[operation[1] % len(live)]
            data = operation[3][: len(contents)]
            offset = operation[2] % (len(contents) - len(data) + 1)
            instance.write(pointer + offset, data)
            contents[offset : offset + len(data)] = data
        elif kind == "read" and live:
            pointer, contents = live[operation[1] % len(live)]
            assert instance.read(pointer, len(contents)) == contents
        elif kind == "stray read":
            pointer, n = operation[1], operation[2]
            if pointer >= 0 and n >= 0 and pointer + n <= size:
                assert len(instance.read(pointer, min(n, 64))) == min(n, 64)
            else:
                with pytest.raises(OutOfBounds):
                    instance.read(pointer, n)
        elif kind == "stray write":
            pointer, data = operation[1], operation[2]
            if pointer < 0 or pointer + len(data) > size:  # in bounds, it would clobber the guest
                with pytest.raises(OutOfBounds):
                    instance.write(pointer, data)
        elif kind == "bad argument":
            with pytest.raises(InvalidType):
                _misuse(instance, operation[1], operation[2])
        elif kind == "reset":
            instance.reset()
            for pointer, contents in live:
                assert instance.read(pointer, len(contents)) == bytes(len(contents))
            live.clear()
        tally("runtime operations", "alloc/read/write/reset model")
    for pointer, contents in live:
        assert instance.read(pointer, len(contents)) == contents
    assert not instance.poisoned
