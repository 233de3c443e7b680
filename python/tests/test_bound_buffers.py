"""Guest.bind(): buffers for slices (array, memoryview, numpy), in/out slices, big inputs."""

from __future__ import annotations

import array

import bound_fixture
import pytest
from conftest import LARGEST, GuestFactory, tally

from wasmext.errors import InvalidType
from wasmext.runtime import Bound

TYPECODES = {"i32": "i", "u32": "I", "i64": "q", "u64": "Q", "f32": "f", "f64": "d", "u8": "B"}


@pytest.fixture
def bound(make_guest: GuestFactory) -> Bound:
    return make_guest(bound_fixture.wasm()).bind(bound_fixture.INTERFACE)


@pytest.mark.parametrize("item", sorted(TYPECODES))
def test_mut_slices_are_copied_back(bound: Bound, item: str) -> None:
    values = array.array(TYPECODES[item], [1, 2, 3])
    assert getattr(bound, f"bump_{item}")(values) is None
    assert values == array.array(TYPECODES[item], [2, 3, 4])
    view = memoryview(values)
    getattr(bound, f"bump_{item}")(view[1:])
    assert values == array.array(TYPECODES[item], [2, 4, 5])


def test_mut_slices_need_a_writable_buffer(bound: Bound) -> None:
    with pytest.raises(InvalidType, match=r"bump_u8\(\): values must be a writable buffer"):
        bound.bump_u8(b"abc")
    with pytest.raises(InvalidType, match=r"scale\(\): values must be a writable buffer"):
        bound.scale(memoryview(array.array("i", [1])).toreadonly(), 2)
    with pytest.raises(InvalidType, match=r"scale\(\): values must be a writable buffer of i32"):
        bound.scale([1, 2], 2)  # a list cannot take the output back
    with pytest.raises(InvalidType, match=r"scale\(\): values must hold i32 elements"):
        bound.scale(array.array("I", [1]), 2)
    with pytest.raises(InvalidType, match=r"scale\(\): values must hold i32 elements"):
        bound.scale(array.array("q", [1]), 2)
    values = bytearray(b"ab")
    bound.bump_u8(values)
    assert values == b"bc"


def test_slices_check_the_element_type(bound: Bound) -> None:
    for wrong in ("f", "I", "q", "b"):
        pattern = rf"copy_i32\(\): values must hold i32 .* format '{wrong}'"
        with pytest.raises(InvalidType, match=pattern):
            bound.copy_i32(array.array(wrong, [1]))
        tally("bad inputs", "bound buffer formats")
    assert bound.copy_f64(memoryview(bytes(16)).cast("d")) == array.array("d", [0.0, 0.0])
    with pytest.raises(InvalidType, match=r"copy_f64\(\): values must hold f64"):
        bound.copy_f64(bytes(16))  # raw bytes are not f64s
    with pytest.raises(InvalidType, match="C-contiguous"):
        bound.copy_i32(memoryview(array.array("i", [1, 2, 3, 4]))[::2])


def test_numpy_arrays() -> None:
    numpy = pytest.importorskip("numpy")
    from wasmext.runtime import Guest

    bound = Guest(bound_fixture.wasm(), cache=False).bind(bound_fixture.INTERFACE)
    values = numpy.arange(10, dtype=numpy.int32)
    bound.scale(values, 3)
    assert values.tolist() == [3 * i for i in range(10)]
    assert bound.sum_f64(numpy.array([1.5, 2.5])) == 4.0
    assert bound.copy_u64(numpy.array([2**64 - 1], dtype=numpy.uint64))[0] == 2**64 - 1
    assert bound.copy_i32(numpy.arange(6, dtype="<i4").reshape(2, 3)) == array.array("i", range(6))
    with pytest.raises(InvalidType, match="format '>i'"):
        bound.copy_i32(numpy.arange(3, dtype=">i4"))
    with pytest.raises(InvalidType, match="must hold i32"):
        bound.scale(numpy.arange(3, dtype=numpy.int64), 2)
    with pytest.raises(InvalidType, match="C-contiguous"):
        bound.scale(numpy.arange(6, dtype=numpy.int32)[::2], 2)
    frozen = numpy.arange(3, dtype=numpy.int32)
    frozen.flags.writeable = False
    with pytest.raises(InvalidType, match="writable"):
        bound.scale(frozen, 2)
    assert bound.reverse(numpy.frombuffer(b"abc", dtype=numpy.uint8)) == b"cba"


@pytest.mark.parametrize("megabytes", [1, 16])
def test_big_inputs_and_outputs(bound: Bound, megabytes: int) -> None:
    size = megabytes << 20
    data = bytes(range(256)) * (size // 256)
    assert bound.reverse(data) == data[::-1]
    values = array.array("d", range(size // 8))
    assert bound.sum_f64(values) == sum(range(size // 8))
    copied = bound.copy_f64(values)
    assert copied == values
    in_out = array.array("i", range(size // 4))
    bound.scale(in_out, 2)
    assert in_out[-1] == 2 * (size // 4 - 1)
    assert len(bound.fill(size)) == size
    tally(LARGEST, "bound", size)
