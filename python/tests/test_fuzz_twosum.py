"""Fuzzing ``wasmext.twosum.twosum`` (the public function, bundled guest) against the reference.

Lists long enough to reach the guest (the public function answers short ones in Python), with
values from narrow ranges (many duplicates, so "later duplicates overwrite earlier ones"
matters), from the int32 and int64 edges, and now and then one beyond int64; as lists, arrays
and numpy arrays; with targets that are pair sums, near misses, or out of any pair's reach.
"""

from __future__ import annotations

import array

import numpy as np
from conftest import require_bundled, tally
from conftest import twosum_reference as reference
from hypothesis import given
from hypothesis import strategies as st

from wasmext.twosum import PYTHON_CUTOFF, twosum

I32 = (-(2**31), 2**31 - 1)
I64 = (-(2**63), 2**63 - 1)
VALUES = st.one_of(
    st.integers(-50, 50),
    st.integers(*I32),
    st.sampled_from([I32[0], I32[1], I64[0], I64[1], 0, -1, 1]),
    st.integers(*I64),
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[int], int]:
    values = st.one_of(st.integers(-50, 50), st.integers(-(10**4), 10**4), VALUES)
    nums = draw(st.lists(values, min_size=PYTHON_CUTOFF, max_size=2000))
    if draw(st.integers(0, 9)) == 0:
        nums[draw(st.integers(0, len(nums) - 1))] = draw(st.sampled_from([2**64, -(2**70)]))
    i, j = draw(st.integers(0, len(nums) - 1)), draw(st.integers(0, len(nums) - 1))
    target = draw(
        st.one_of(
            st.just(nums[i] + nums[j]),
            st.just(nums[i] + nums[j] + 1),
            st.integers(-(2**65), 2**65),
            st.sampled_from([2 * I64[1], 2 * I64[0], 2 * I32[1] + 1]),
        )
    )
    return nums, target


@given(case=cases())
def test_the_public_function_matches_the_reference(case: tuple[list[int], int]) -> None:
    require_bundled("twosum")
    nums, target = case
    expected = reference(nums, target)
    assert twosum(nums, target) == expected
    if all(I64[0] <= num <= I64[1] for num in nums):
        assert twosum(array.array("q", nums), target) == expected
        assert twosum(np.array(nums, dtype=np.int64), target) == expected
    if all(I32[0] <= num <= I32[1] for num in nums):
        assert twosum(np.array(nums, dtype=np.int32), target) == expected
    tally("twosum elements checked", "public function vs reference", len(nums))
