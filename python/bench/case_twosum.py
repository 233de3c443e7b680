"""The article's two-sum benchmark: 500,000 random ints, against the dict-based reference."""

from __future__ import annotations

import array
import functools
import random
from collections.abc import Iterable

import numpy as np

from suite import Context, expect
from wasmext.twosum import TwoSum, twosum

GROUP = "twosum"
NAME = "500,000 ints"
SIZE = 500_000
SEED = 150

PURE = "pure Python"
LIST = "twosum(list)"
ARRAY = "twosum(array('i'))"
NUMPY = "twosum(numpy int32)"
FRESH_LIST = "TwoSum() per call, list"
FRESH_ARRAY = "TwoSum() per call, array('i')"


def reference(nums: list[int], target: int) -> tuple[int, int] | None:
    """The article's solution: one pass with a dict of the values seen so far."""
    seen: dict[int, int] = {}
    for i, num in enumerate(nums):
        if target - num in seen:
            return seen[target - num], i
        seen[num] = i
    return None


def article_input() -> tuple[list[int], int]:
    """The article's input: ints in [-10**9, 10**9] and the sum of two of them at random places."""
    rng = random.Random(SEED)
    nums = [rng.randint(-(10**9), 10**9) for _ in range(SIZE)]
    ai, aj = rng.sample(range(SIZE), 2)
    return nums, nums[ai] + nums[aj]


def _fresh(nums: Iterable[int], target: int) -> tuple[int, int] | None:
    return TwoSum().twosum(nums, target)


def run(ctx: Context) -> None:
    """Time every way of calling twosum on the article's input, with the reference alongside."""
    if not ctx.selected(GROUP, NAME):
        return
    nums, target = article_input()
    as_array = array.array("i", nums)
    as_numpy = np.array(nums, dtype=np.int32)
    contenders = {
        PURE: functools.partial(reference, nums, target),
        LIST: functools.partial(twosum, nums, target),
        ARRAY: functools.partial(twosum, as_array, target),
        NUMPY: functools.partial(twosum, as_numpy, target),
        FRESH_LIST: functools.partial(_fresh, nums, target),
        FRESH_ARRAY: functools.partial(_fresh, as_array, target),
    }
    want = reference(nums, target)
    if want is None:
        raise AssertionError("the article's input always holds a pair")
    for label, call in contenders.items():
        expect(f"{GROUP}: {label}", call(), want)
    ctx.measure(
        GROUP,
        NAME,
        contenders,
        comparisons=[
            (LIST, PURE),
            (ARRAY, PURE),
            (NUMPY, PURE),
            (FRESH_LIST, LIST),
            (FRESH_ARRAY, ARRAY),
        ],
        note=f"random.Random({SEED}); the pair is {want}",
    )
