"""Lists through the chunked search: every chunk boundary, on the calling thread and the helper.

Chunks are made tiny here, so short lists cross many boundaries: a pair straddling two chunks,
one inside the first, a width switch in the middle, a bool or a float after the pair.
"""

from __future__ import annotations

import threading
import time

import pytest
from conftest import GuestFactory, require_bundled
from conftest import twosum_reference as reference
from hypothesis import given
from hypothesis import strategies as st

from wasmext import _chunkpack
from wasmext.errors import InvalidType
from wasmext.twosum import TwoSum

I32 = (-(2**31), 2**31 - 1)
I64 = (-(2**63), 2**63 - 1)


@pytest.fixture(params=["inline", "threaded"])
def solver(
    request: pytest.FixtureRequest, make_guest: GuestFactory, monkeypatch: pytest.MonkeyPatch
) -> TwoSum:
    """The shipped guest, chunks of 4 elements, packed on a helper thread or not."""
    monkeypatch.setattr(_chunkpack, "CHUNK", 4)
    monkeypatch.setattr(_chunkpack, "THREADED_MIN", 8 if request.param == "threaded" else 10**9)
    return TwoSum(make_guest(require_bundled("twosum").read_bytes()), python_cutoff=0)


def test_a_pair_straddling_chunks(solver: TwoSum) -> None:
    nums = [10, 20, 30, 40, 50, 60, 70, 80, 90]
    assert solver.twosum(nums, 30 + 50) == reference(nums, 80) == (2, 4)
    assert solver.twosum(nums, 80 + 90) == (7, 8)  # the last chunk, alone
    assert solver.twosum(nums, 1000) is None


def test_a_pair_inside_the_first_chunk_then_more(solver: TwoSum) -> None:
    nums = [1, 2, 3, 4, 3, 2, 1, 7, 7, 7, 7, 7]
    assert solver.twosum(nums, 5) == reference(nums, 5) == (1, 2)


def test_duplicates_across_chunks_name_the_latest(solver: TwoSum) -> None:
    nums = [5, 9, 9, 9, 5, 9, 9, 9, 5, 9, 9, 9, 2]
    assert solver.twosum(nums, 7) == reference(nums, 7) == (8, 12)


def test_a_width_switch_in_the_middle(solver: TwoSum) -> None:
    for wide in (2**31, -(2**31) - 1, I64[1], I64[0]):
        nums = [3, -4, 8, 1, 6, 7, 2, 9, wide, 11, 5, 12]
        for target in (wide + 3, wide + 12, 13, 20, 9):
            assert solver.twosum(nums, target) == reference(nums, target), (wide, target)
    nums = [*range(10), 2**40, 2**40]
    assert solver.twosum(nums, 2**41) == (10, 11)


def test_an_int_beyond_int64_in_the_middle(solver: TwoSum) -> None:
    nums = [1, 2, 3, 4, 5, 6, 2**70, 8, -(2**70), 10]
    assert solver.twosum(nums, 0) == reference(nums, 0) == (6, 8)
    assert solver.twosum(nums, 11) == reference(nums, 11)


@pytest.mark.parametrize("bad", [True, False, 1.0, None, "1"])
@pytest.mark.parametrize("position", [0, 3, 4, 9, 14])
def test_a_bad_element_anywhere_raises_even_after_the_pair(
    solver: TwoSum, bad: object, position: int
) -> None:
    nums: list[object] = [2, 3, *range(100, 112)]
    nums.insert(position, bad)
    with pytest.raises(InvalidType, match=rf"nums\[{position}\] is {type(bad).__name__}"):
        solver.twosum(nums, 5)  # type: ignore[arg-type]


def test_zeros_and_ones_are_not_bools(solver: TwoSum) -> None:
    nums = [0, 1, 5, 1, 0, 1, 1, 0, 9, 1]
    for target in (1, 2, 0, 10, 14):
        assert solver.twosum(nums, target) == reference(nums, target)


def test_a_failing_element_raises_what_it_raises() -> None:
    class Broken:
        def __index__(self) -> int:
            raise ArithmeticError("no index today")

    solver = TwoSum(python_cutoff=0)
    nums: list[object] = [*range(2, 300_000), Broken()]
    with pytest.raises(ArithmeticError, match="no index today"):
        solver.twosum(nums, 5)  # type: ignore[arg-type]
    assert solver.twosum(list(range(300_000)), 599_997) == (299_998, 299_999)


def test_the_helper_thread_ends_with_the_call() -> None:
    solver = TwoSum(python_cutoff=0)
    nums = list(range(200_000))
    assert solver.twosum(nums, 3) == (1, 2)
    deadline = time.monotonic() + 10
    while any(t.name == "wasmext-twosum-packer" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the packer thread outlived its call"
        time.sleep(0.01)


values = st.one_of(
    st.integers(-20, 20),
    st.sampled_from([0, 1, *I32, *I64, 2**31, 2**64]),
    st.integers(*I64),
)


@given(nums=st.lists(values, max_size=40), data=st.data())
def test_any_list_matches_the_reference(
    solver: TwoSum, nums: list[int], data: st.DataObject
) -> None:
    target = data.draw(
        st.one_of(
            st.sampled_from([a + b for a in nums for b in nums] or [0]),
            st.integers(-45, 45),
        )
    )
    assert solver.twosum(nums, target) == reference(nums, target)
