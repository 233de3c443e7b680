"""Guest.bind(): every parameter and result type, checked before anything reaches Wasm."""

from __future__ import annotations

import array
import math
from fractions import Fraction
from typing import Any

import bound_fixture
import pytest
from conftest import GuestFactory, tally
from hypothesis import given
from hypothesis import strategies as st

from wasmext.errors import (
    GuestError,
    GuestMemoryError,
    GuestTrap,
    InvalidInput,
    InvalidType,
    OutOfRange,
    RejectedArgument,
    WasmextError,
)
from wasmext.runtime import Bound

RANGES = {
    "u8": (0, 255),
    "u16": (0, 2**16 - 1),
    "u32": (0, 2**32 - 1),
    "u64": (0, 2**64 - 1),
    "i8": (-128, 127),
    "i16": (-(2**15), 2**15 - 1),
    "i32": (-(2**31), 2**31 - 1),
    "i64": (-(2**63), 2**63 - 1),
}


@pytest.fixture
def bound(make_guest: GuestFactory) -> Bound:
    return make_guest(bound_fixture.wasm()).bind(bound_fixture.INTERFACE)


class LyingIndex(int):
    """An int subclass whose comparisons and __index__ lie."""

    def __index__(self) -> int:
        return 5

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return False


@pytest.mark.parametrize("item", sorted(RANGES))
def test_integers_round_trip_at_their_limits(bound: Bound, item: str) -> None:
    echo = getattr(bound, f"echo_{item}")
    low, high = RANGES[item]
    for value in (low, high, 0, 1):
        assert echo(value) == value
        assert type(echo(value)) is int
    for value in (low - 1, high + 1):
        with pytest.raises(OutOfRange, match=rf"echo_{item}\(\): x = {value} does not fit"):
            echo(value)
        tally("bad inputs", "bound integer ranges")


@pytest.mark.parametrize("item", sorted(RANGES))
def test_integers_refuse_other_types_naming_the_parameter(bound: Bound, item: str) -> None:
    echo = getattr(bound, f"echo_{item}")
    for value in (1.0, "1", True, None, b"\x01"):
        with pytest.raises(InvalidType, match=rf"echo_{item}\(\): x must be an int"):
            echo(value)
    assert isinstance(OutOfRange("x"), OverflowError)


def test_an_int_subclass_cannot_lie_its_way_past_the_range_check(bound: Bound) -> None:
    # The value checked and passed is the int's own, whatever its methods say.
    assert bound.echo_u8(LyingIndex(7)) == 7
    with pytest.raises(OutOfRange, match="x = 300 does not fit u8"):
        bound.echo_u8(LyingIndex(300))


def test_numpy_scalars_are_accepted() -> None:
    numpy = pytest.importorskip("numpy")
    guest = bound_fixture.wasm()
    from wasmext.runtime import Guest

    bound = Guest(guest, cache=False).bind(bound_fixture.INTERFACE)
    assert bound.echo_i16(numpy.int16(-7)) == -7
    assert bound.echo_f32(numpy.float32(1.5)) == 1.5
    assert bound.echo_bool(numpy.bool_(True)) is True
    with pytest.raises(OutOfRange):
        bound.echo_u8(numpy.int64(256))


def test_bool_is_strict(bound: Bound) -> None:
    assert bound.echo_bool(True) is True
    assert bound.echo_bool(False) is False
    assert bound.flip(False) is True
    for value in (0, 1, None, "yes"):
        with pytest.raises(InvalidType, match=r"echo_bool\(\): x must be a bool"):
            bound.echo_bool(value)


def test_floats(bound: Bound) -> None:
    assert bound.echo_f64(0.1) == 0.1
    assert bound.echo_f64(-0.0) == 0.0
    assert math.copysign(1, bound.echo_f64(-0.0)) == -1
    assert bound.echo_f64(math.inf) == math.inf
    assert math.isnan(bound.echo_f64(math.nan))
    assert bound.echo_f64(3) == 3.0  # an int is a number too
    assert bound.echo_f64(Fraction(1, 4)) == 0.25
    assert bound.echo_f32(0.1) == array.array("f", [0.1])[0]  # rounded to f32
    assert bound.echo_f32(math.inf) == math.inf
    with pytest.raises(OutOfRange, match=r"echo_f32\(\): x = 1e\+300 is too large for an f32"):
        bound.echo_f32(1e300)
    with pytest.raises(OutOfRange):
        bound.echo_f64(10**400)
    for value in ("1.0", True, None, b"1"):
        with pytest.raises(InvalidType, match=r"echo_f64\(\): x must be a float"):
            bound.echo_f64(value)


def test_several_parameters_of_mixed_lowering(bound: Bound) -> None:
    assert bound.add3(200, -(2**40), 0.5) == 200 - 2**40 + 0.5
    assert bound.add3(c=0.5, b=1, a=2) == 3.5
    assert bound.add3(1, c=1.0, b=1) == 3.0


def test_arity_and_keywords_are_checked(bound: Bound) -> None:
    with pytest.raises(InvalidType, match=r"add3\(\) takes 3 argument\(s\), 4 given"):
        bound.add3(1, 2, 3.0, 4)
    with pytest.raises(InvalidType, match=r"add3\(\) missing argument\(s\): c"):
        bound.add3(1, 2)
    with pytest.raises(InvalidType, match="unexpected keyword argument 'd'"):
        bound.add3(1, 2, 3.0, d=1)
    with pytest.raises(InvalidType, match="multiple values for argument 'a'"):
        bound.add3(1, 2, 3.0, a=1)


def test_bytes_in_bytes_out(bound: Bound) -> None:
    assert bound.reverse(b"abc") == b"cba"
    assert bound.reverse(b"") == b""
    assert bound.reverse(bytearray(b"xy")) == b"yx"
    assert bound.reverse(memoryview(b"hello")[1:4]) == b"lle"
    assert bound.reverse(array.array("H", [0x0102])) == b"\x01\x02"  # any buffer, as bytes
    assert bound.checksum(bytes(range(64))) == sum(range(64))
    with pytest.raises(InvalidType, match=r"data must be a bytes-like object, not str"):
        bound.reverse("abc")
    with pytest.raises(InvalidType, match=r"reverse\(\): data must be a bytes-like"):
        bound.reverse([1, 2])


def test_fixed_size_arrays(bound: Bound) -> None:
    assert bound.key_sum(bytes(range(32))) == sum(range(32))
    for size in (0, 31, 33):
        with pytest.raises(
            InvalidInput, match=rf"key_sum\(\): key must be 32 bytes long, got {size}$"
        ):
            bound.key_sum(bytes(size))


def test_strings(bound: Bound) -> None:
    assert bound.greet("wörld") == "hi, wörld"
    assert bound.greet("") == "hi, "
    assert bound.greet("🦀" * 1000) == "hi, " + "🦀" * 1000
    with pytest.raises(InvalidInput, match=r"greet\(\): name cannot be encoded as UTF-8"):
        bound.greet("\ud800")
    with pytest.raises(InvalidType, match=r"greet\(\): name must be a str, not bytes"):
        bound.greet(b"abc")


def test_strings_in_a_one_call_function(bound: Bound) -> None:
    # A str to a function whose result is not a vector: the staged call, not the arena's.
    for text in ("wörld", "", "🦀" * 1000):
        assert bound.text_sum(text) == sum(text.encode()), text
    with pytest.raises(InvalidInput, match=r"text_sum\(\): text cannot be encoded as UTF-8"):
        bound.text_sum("\ud800")
    with pytest.raises(InvalidType, match=r"text_sum\(\): text must be a str, not bytes"):
        bound.text_sum(b"abc")


def test_options(bound: Bound) -> None:
    assert bound.find(b"abc", ord("c")) == 2
    assert bound.find(b"abc", 0) is None
    assert bound.maybe_sqrt(9.0) == 3.0
    assert bound.maybe_sqrt(-1.0) is None


def test_unit_results_are_none(bound: Bound) -> None:
    assert bound.nothing() is None


@pytest.mark.parametrize("item", ["i32", "u32", "i64", "u64", "f32", "f64"])
def test_numeric_vectors_are_arrays(bound: Bound, item: str) -> None:
    typecode = {"i32": "i", "u32": "I", "i64": "q", "u64": "Q", "f32": "f", "f64": "d"}[item]
    values = array.array(typecode, [1, 2, 3])
    copied = getattr(bound, f"copy_{item}")(values)
    assert type(copied) is array.array
    assert copied.typecode == typecode
    assert copied == values
    assert getattr(bound, f"copy_{item}")([4, 5]) == array.array(typecode, [4, 5])
    assert getattr(bound, f"copy_{item}")(()) == array.array(typecode)
    assert bound.squares(4) == array.array("q", [0, 1, 4, 9])


def test_lists_for_slices_are_checked(bound: Bound) -> None:
    with pytest.raises(OutOfRange, match=r"copy_i32\(\): values holds 2147483648"):
        bound.copy_i32([1, 2**31])
    with pytest.raises(InvalidType, match=r"copy_i32\(\): values\[1\] must be an int"):
        bound.copy_i32([1, 2.0])
    with pytest.raises(InvalidType, match=r"copy_u64\(\): values\[0\] must be an int"):
        bound.copy_u64([True])
    with pytest.raises(OutOfRange, match=r"copy_f32\(\): values holds 1e\+300"):
        bound.copy_f32([1.0, 1e300])
    assert bound.sum_f64([1, 2.5]) == 3.5


def test_error_enums_become_exception_classes(bound: Bound) -> None:
    assert bound.divide(7, -2) == -3
    math_error: Any = bound.MathError
    assert issubclass(math_error, GuestError)
    assert issubclass(math_error, ValueError)
    assert issubclass(bound.DivideByZero, math_error)
    assert bound.DivideByZero.__name__ == "DivideByZero"
    assert bound.DivideByZero.__doc__ == "The divisor is zero."
    with pytest.raises(bound.DivideByZero, match="divide\\(\\) failed: DivideByZero: The divisor"):
        bound.divide(1, 0)
    with pytest.raises(bound.Overflow):
        bound.divide(-(2**31), -1)
    with pytest.raises(ValueError, match="DivideByZero"):
        bound.divide(1, 0)
    assert set(dir(bound)) >= {"divide", "MathError", "DivideByZero", "Overflow"}


def test_a_rejected_argument_is_named(bound: Bound) -> None:
    assert bound.picky(b"abc", 3) == 3
    with pytest.raises(RejectedArgument, match=r"picky\(\) rejected its argument limit \(u32\)"):
        bound.picky(b"abc", 4)
    assert issubclass(RejectedArgument, ValueError)


def test_broken_results_are_guest_errors(bound: Bound) -> None:
    with pytest.raises(GuestError, match=r"bad_vec\(\) returned 100 elements at 0xffff0000"):
        bound.bad_vec()
    with pytest.raises(GuestError, match="not UTF-8"):
        bound.bad_utf8()
    with pytest.raises(GuestError, match="unknown status 77"):
        bound.bad_status()
    assert bound.reverse(b"ok") == b"ko"  # none of them hurt the instance


def test_out_of_memory(make_guest: GuestFactory) -> None:
    bound = make_guest(bound_fixture.wasm(), max_memory=4 << 20).bind(bound_fixture.INTERFACE)
    with pytest.raises(GuestMemoryError, match=r"fill\(\): the result did not fit"):
        bound.fill(8 << 20)
    with pytest.raises(GuestMemoryError):
        bound.reverse(bytes(8 << 20))  # the scratch block cannot hold the input
    assert bound.fill(3) == b"AAA"


def test_a_trap_poisons_and_the_next_call_gets_a_fresh_instance(bound: Bound) -> None:
    with pytest.raises(GuestTrap, match="boom trapped"):
        bound.boom()
    assert bound.reverse(b"ab") == b"ba"
    assert isinstance(GuestTrap("x"), WasmextError)


@given(st.binary(max_size=2000))
def test_reverse_round_trips(data: bytes) -> None:
    assert _shared_bound().reverse(data) == data[::-1]


@given(st.text(max_size=200))
def test_greet_round_trips(text: str) -> None:
    assert _shared_bound().greet(text) == "hi, " + text


@given(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=100))
def test_i64_vectors_round_trip(values: list[int]) -> None:
    assert list(_shared_bound().copy_i64(values)) == values


_bound: list[Bound] = []


def _shared_bound() -> Bound:
    if not _bound:
        from wasmext.runtime import Guest

        _bound.append(Guest(bound_fixture.wasm(), cache=False).bind(bound_fixture.INTERFACE))
    return _bound[0]
