"""The article's two-sum benchmark: 500,000 random ints, against the dict-based reference."""

from __future__ import annotations

import array
import ctypes
import functools
import random
import struct
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from article_glue import ArticleTwoSum
from suite import Context, expect
from wasmext.twosum import TwoSum, twosum

GROUP = "twosum"
NAME = "500,000 ints"
SIZE = 500_000
SEED = 150

#: The C guest the article's glue drives (a ship = false fixture, in target/guests/).
ARTICLE_GUEST = "article-twosum"

PURE = "pure Python, `in`"
PURE_TRY = "pure Python, try/except KeyError"
ARTICLE = "article's glue, shared object"
ARTICLE_FRESH = "article's glue, fresh object per call"
LIST = "twosum(list)"
ARRAY = "twosum(array('i'))"
NUMPY = "twosum(numpy int32)"
FRESH_LIST = "TwoSum() per call, list"
FRESH_ARRAY = "TwoSum() per call, array('i')"
PACK = "struct.Struct(f'<{n}i').pack(*nums) alone"
NATIVE = "native find_pair (ctypes), array('i')"


def reference(nums: list[int], target: int) -> tuple[int, int] | None:
    """The article's solution: one pass with a dict of the values seen so far."""
    seen: dict[int, int] = {}
    for i, num in enumerate(nums):
        if target - num in seen:
            return seen[target - num], i
        seen[num] = i
    return None


def reference_try(nums: list[int], target: int) -> tuple[int, int] | None:
    """The same with ``try``/``except KeyError``: fast on a hit, slow on the usual miss."""
    seen: dict[int, int] = {}
    for i, num in enumerate(nums):
        try:
            return seen[target - num], i
        except KeyError:
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


def _article_fresh(wasm: Path, nums: list[int], target: int) -> tuple[int, int] | None:
    return ArticleTwoSum(wasm).two_sum(nums, target)


def _native(library: Path) -> Callable[[array.array[int], int], tuple[int, int] | None]:
    """The twosum guest's search compiled for this machine, called through ctypes."""
    search = ctypes.CDLL(str(library)).native_twosum_i32
    search.argtypes = (ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int64, ctypes.c_uint64)
    search.restype = ctypes.c_int64

    def call(nums: array.array[int], target: int) -> tuple[int, int] | None:
        address, count = nums.buffer_info()
        found = search(address, count, target, 0)
        return None if found < 0 else (found >> 32, found & 0xFFFFFFFF)

    return call


def run(ctx: Context) -> None:
    """Time every way of calling twosum on the article's input, with the reference alongside."""
    if not ctx.selected(GROUP, NAME):
        return
    nums, target = article_input()
    as_array = array.array("i", nums)
    as_numpy = np.array(nums, dtype=np.int32)
    wasm = ctx.guests / f"{ARTICLE_GUEST}.wasm"
    contenders: dict[str, Callable[[], object]] = {
        PURE: functools.partial(reference, nums, target),
        PURE_TRY: functools.partial(reference_try, nums, target),
        ARTICLE: functools.partial(ArticleTwoSum(wasm).two_sum, nums, target),
        ARTICLE_FRESH: functools.partial(_article_fresh, wasm, nums, target),
        LIST: functools.partial(twosum, nums, target),
        ARRAY: functools.partial(twosum, as_array, target),
        NUMPY: functools.partial(twosum, as_numpy, target),
        FRESH_LIST: functools.partial(_fresh, nums, target),
        FRESH_ARRAY: functools.partial(_fresh, as_array, target),
    }
    if ctx.native_twosum is not None:
        contenders[NATIVE] = functools.partial(_native(ctx.native_twosum), as_array, target)
    pack = functools.partial(struct.Struct(f"<{SIZE}i").pack, *nums)
    want = reference(nums, target)
    if want is None:
        raise AssertionError("the article's input always holds a pair")
    for label, call in contenders.items():
        expect(f"{GROUP}: {label}", call(), want)
    expect(f"{GROUP}: {PACK}", pack(), as_array.tobytes())
    contenders[PACK] = pack
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
            (ARTICLE, PURE),
            (LIST, ARTICLE),
            (ARRAY, ARTICLE),
            (LIST, PACK),
            *([(ARRAY, NATIVE)] if NATIVE in contenders else []),
        ],
        note=(
            f"random.Random({SEED}); the pair is {want}; the first column's ratios are against "
            f"the `in` reference (`{PURE_TRY}` is the other way to write it)"
        ),
        also=ARTICLE,
    )
