"""wasmext.twosum against the Python reference, on every input kind, on both call paths.

Each test runs against a brute-force WAT guest with the real ABI (checks the Python
side on its own) and against the shipped Rust guest when it has been built.
"""

from __future__ import annotations

import array
import collections
import ctypes
import gc
import random
import threading
import weakref
from collections.abc import Sequence

import numpy as np
import pytest
import wasmtime
from conftest import (
    ARENA,
    TAIL_ALLOCATOR,
    TWOSUM,
    CallPath,
    GuestFactory,
    bundled_twosum_path,
    module,
    require_bundled,
)
from conftest import (
    twosum_reference as reference,
)
from hypothesis import example, given
from hypothesis import strategies as st

from wasmext import twosum as twosum_module
from wasmext.errors import GuestMemoryError, InvalidType, WasmextError
from wasmext.runtime import RETAINED_MEMORY, Guest
from wasmext.twosum import TwoSum, twosum

I32 = (-(2**31), 2**31 - 1)
I64 = (-(2**63), 2**63 - 1)
EDGES = [
    0,
    1,
    -1,
    2,
    *I32,
    I32[0] + 1,
    I32[1] - 1,
    2**31,
    -(2**31) - 1,
    *I64,
    I64[0] + 1,
    I64[1] - 1,
    2**63,
    -(2**63) - 1,
    2**64,
    -(2**64),
    3**50,
]


@pytest.fixture(params=["wat", "rust"])
def solver(request: pytest.FixtureRequest, make_guest: GuestFactory) -> TwoSum:
    """A solver over the WAT stand-in or the shipped Rust guest, on the current call path."""
    if request.param == "wat":
        return TwoSum(make_guest(module(ARENA, TWOSUM)), python_cutoff=0)
    return TwoSum(make_guest(require_bundled("twosum").read_bytes()), python_cutoff=0)


def check(solver: TwoSum, nums: Sequence[int], target: int, *extra_forms: object) -> None:
    expected = reference(nums, target)
    assert solver.twosum(nums, target) == expected
    for form in extra_forms:
        assert solver.twosum(form, target) == expected, type(form)


small_ints = st.lists(st.integers(min_value=-20, max_value=20), max_size=40)


@given(nums=small_ints, target=st.integers(min_value=-45, max_value=45))
@example(nums=[3, 3], target=6)
@example(nums=[1, 2, 1, 2], target=3)
@example(nums=[5, 5, 5], target=10)
@example(nums=[], target=0)
@example(nums=[7], target=14)
def test_small_ints_match_reference(solver: TwoSum, nums: list[int], target: int) -> None:
    check(solver, nums, target, tuple(nums), array.array("i", nums), np.array(nums, np.int64))


edge_ints = st.one_of(
    st.sampled_from(EDGES),
    st.integers(min_value=I32[0], max_value=I32[1]),
    st.integers(min_value=I64[0], max_value=I64[1]),
    st.integers(min_value=-(2**70), max_value=2**70),
)


@given(nums=st.lists(edge_ints, max_size=12), data=st.data())
def test_edge_values_match_reference(solver: TwoSum, nums: list[int], data: st.DataObject) -> None:
    pair_sums = [a + b for a in nums for b in nums]
    target = data.draw(
        st.one_of(
            st.sampled_from(pair_sums or [0]),
            edge_ints,
            st.sampled_from([2 * I64[1], 2 * I64[0], 2**64, -(2**64) - 2]),
        )
    )
    check(solver, nums, target)
    if all(I64[0] <= num <= I64[1] for num in nums):
        check(solver, nums, target, array.array("q", nums), np.array(nums, dtype=np.int64))


@pytest.mark.parametrize(
    ("nums", "target"),
    [
        ([I32[1], I32[1]], 2 * I32[1]),  # target needs int64 though elements fit int32
        ([I32[0], I32[0]], 2 * I32[0]),
        ([I32[0], 5, I32[1]], -1),
        ([I64[1], I64[1]], 2 * I64[1]),  # target beyond int64: exact path
        ([I64[0], 1, I64[0]], 2 * I64[0]),
        ([I64[1], I64[0]], -1),
        ([1, 2], 2**64 + 3),  # impossible target
        ([2**100, -(2**100) + 5, 3], 5),
        ([2**100, 2**100], 2**101),
        ([1, 2**64, 4, 2**64], 2**65),
        ([1, 2, 3], 2**80),
        ([0, 0], 0),
        ([1, 1, 1, 1], 2),  # later duplicates overwrite earlier ones
        ([2, 7, 11, 15], 9),
        ([3, 2, 4], 6),
    ],
)
def test_known_cases(solver: TwoSum, nums: list[int], target: int) -> None:
    check(solver, nums, target)


def test_complement_outside_the_element_type(solver: TwoSum) -> None:
    # target - num wraps in 32/64-bit arithmetic; a wrapping guest would "find" these.
    assert solver.twosum([I32[0], 0], 2**32 + I32[0]) is None
    assert solver.twosum(array.array("i", [1, I32[0] + 1]), I32[0] + 2) == (0, 1)
    assert solver.twosum(array.array("i", [2**31 - 1, -(2**31)]), 2**32 - 1 - 2**32) == (0, 1)
    assert solver.twosum(array.array("q", [I64[0], 10]), I64[0] + 10) == (0, 1)
    assert solver.twosum(array.array("q", [-1, I64[1]]), I64[1] - 1) == (0, 1)
    assert solver.twosum(array.array("q", [1, I64[0]]), I64[1]) is None
    assert solver.twosum(array.array("i", [-1, I32[1]]), I32[1] - 2**32 - 1) is None


BUFFER_FORMS = [
    lambda v: array.array("b", v),
    lambda v: array.array("h", v),
    lambda v: array.array("i", v),
    lambda v: array.array("l", v),
    lambda v: array.array("q", v),
    lambda v: memoryview(array.array("i", v)),
    lambda v: memoryview(array.array("q", v))[::-1][::-1],
    lambda v: np.array(v, dtype=np.int8),
    lambda v: np.array(v, dtype=np.int16),
    lambda v: np.array(v, dtype=np.int32),
    lambda v: np.array(v, dtype=np.int64),
    lambda v: np.array(v, dtype=">i4"),
    lambda v: np.array(v, dtype=">i8"),
    lambda v: np.array(v, dtype="<i8"),
    lambda v: np.repeat(np.array(v, dtype=np.int64), 2)[::2],
    lambda v: (ctypes.c_int32 * len(v))(*v),
    lambda v: tuple(v),
    lambda v: collections.deque(v),
    lambda v: iter(v),
    lambda v: (x for x in v),
    lambda v: [np.int64(x) for x in v],
]
UNSIGNED_FORMS = [
    lambda v: array.array("B", v),
    lambda v: array.array("H", v),
    lambda v: array.array("I", v),
    lambda v: array.array("Q", v),
    lambda v: np.array(v, dtype=np.uint32),
    lambda v: np.array(v, dtype=np.uint64),
    lambda v: np.array(v, dtype=">u8"),
    lambda v: bytes(v),
    lambda v: bytearray(v),
]


@pytest.mark.parametrize("form", range(len(BUFFER_FORMS)))
def test_signed_input_kinds(solver: TwoSum, form: int) -> None:
    rng = random.Random(form)
    for _ in range(20):
        values = [rng.randint(-100, 100) for _ in range(rng.randrange(0, 30))]
        target = rng.randint(-200, 200)
        assert solver.twosum(BUFFER_FORMS[form](values), target) == reference(values, target)


@pytest.mark.parametrize("form", range(len(UNSIGNED_FORMS)))
def test_unsigned_input_kinds(solver: TwoSum, form: int) -> None:
    rng = random.Random(form)
    for _ in range(20):
        values = [rng.randint(0, 255) for _ in range(rng.randrange(0, 30))]
        target = rng.randint(0, 510)
        assert solver.twosum(UNSIGNED_FORMS[form](values), target) == reference(values, target)


def test_unsigned_64_bit_values_beyond_int64(solver: TwoSum) -> None:
    values = [2**64 - 1, 5, 2**63, 2**63 + 7]
    for form in (array.array("Q", values), np.array(values, dtype=np.uint64)):
        assert solver.twosum(form, 2**64 + 7) == (2, 3)
        assert solver.twosum(form, 2**64 + 4) == (0, 1)
    assert solver.twosum(range(10, 20), 37) == reference(range(10, 20), 37)


@pytest.mark.parametrize(
    ("nums", "target", "message"),
    [
        ([1, True], 2, r"nums\[1\] is bool"),
        ([False, 0], 0, r"nums\[0\] is bool"),
        ([1, 2.0], 3, r"nums\[1\] is float"),
        ([1.5], 3, r"nums\[0\] is float"),
        ([2**70, 1.0], 3, r"nums\[1\] is float"),
        ([1, None], 3, r"nums\[1\] is NoneType"),
        ([1, "2"], 3, r"nums\[1\] is str"),
        ("12", 3, "nums must be a sequence of ints, not str"),
        (None, 3, "nums must be a sequence of ints, not NoneType"),
        (5, 3, "nums must be a sequence of ints, not int"),
        (np.array([1.0, 2.0]), 3, "format 'd'"),
        (np.array([True, False]), 1, "format '\\?'"),
        (np.zeros((2, 2), dtype=np.int64), 0, "one-dimensional"),
        (array.array("d", [1.0]), 1, "format 'd'"),
        ([1, 2], 3.0, "target must be an int, not float"),
        ([1, 2], True, "target must be an int, not bool"),
        ([1, 2], "3", "target must be an int, not str"),
        ([1, 2], None, "target must be an int, not NoneType"),
    ],
)
def test_bad_input_raises_type_error(
    solver: TwoSum, nums: object, target: object, message: str
) -> None:
    with pytest.raises(InvalidType, match=message):
        solver.twosum(nums, target)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        solver.twosum(nums, target)  # type: ignore[arg-type]


def test_bools_are_found_wherever_they_hide(solver: TwoSum) -> None:
    base = list(range(2, 1000))
    for position in (0, 1, 500, 997):
        for flag in (True, False):
            nums = [*base[:position], flag, *base[position:]]
            with pytest.raises(InvalidType, match=rf"nums\[{position}\] is bool"):
                solver.twosum(nums, 5)
    # Plain 0 and 1 are ints, not bools.
    assert solver.twosum([0, 1, 5, 1], 2) == (1, 3)


def test_numpy_integer_target(solver: TwoSum) -> None:
    assert solver.twosum([1, 2, 3], np.int64(5)) == (1, 2)  # type: ignore[arg-type]


def test_input_area_is_reused_and_regrown(solver: TwoSum) -> None:
    rng = random.Random(7)
    for size in (10, 1000, 5, 20_000, 3, 20_000, 100):
        values = [rng.randint(-(10**6), 10**6) for _ in range(size)]
        target = values[-1] + values[size // 2] if size > 1 else 0
        assert solver.twosum(values, target) == reference(values, target)


def test_large_random_input(solver: TwoSum) -> None:
    rng = random.Random(150)
    size = 3000  # keeps the brute-force WAT guest quick
    nums = [rng.randint(-(10**9), 10**9) for _ in range(size)]
    first, second = rng.sample(range(size), 2)
    target = nums[first] + nums[second]
    expected = reference(nums, target)
    assert solver.twosum(nums, target) == expected
    assert solver.twosum(np.array(nums), target) == expected
    assert solver.twosum(nums, 10**10) is None


def test_pointers_above_2_gib(
    call_path: CallPath, make_guest: GuestFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Keep the instance past 2 GiB between calls (normally the solver lets one so big go).
    monkeypatch.setattr(twosum_module, "RETAINED_MEMORY", 1 << 33)
    guests = [make_guest(module(TAIL_ALLOCATOR, TWOSUM), max_memory=None)]
    if bundled_twosum_path() is not None:
        guests.append(make_guest(require_bundled("twosum").read_bytes(), max_memory=None))
    rng = random.Random(31)
    # Bigger than the Rust guest's initial memory, so its arena has to grow memory
    # beyond the host-grown 2 GiB (the WAT guest's tail allocator always does).
    nums = np.array([rng.randint(-(10**12), 10**12) for _ in range(300_000)], dtype=np.int64)
    for guest in guests:
        solver = TwoSum(guest, python_cutoff=0)
        solver.instance.grow(2**31 // 65536 + 1)
        assert solver.twosum(nums, int(nums[0] + nums[1])) == (0, 1)
        assert solver._lease.input > 2**31
        small = [4, -9, 13, 2, 8]
        assert solver.twosum(small, 10) == reference(small, 10)
        assert solver._lease.input > 2**31
    if len(guests) == 2:
        target = int(nums[-1] + nums[-2])
        assert solver.twosum(nums, target) == reference(nums.tolist(), target)


def test_fresh_solver_does_not_recompile(monkeypatch: pytest.MonkeyPatch, solver: TwoSum) -> None:
    guest = solver._guest

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled or deserialized again")

    monkeypatch.setattr(wasmtime.Module, "__init__", refuse)
    monkeypatch.setattr(wasmtime.Module, "deserialize", refuse)
    for _ in range(3):
        assert TwoSum(guest, python_cutoff=0).twosum([1, 2, 3], 5) == (1, 2)


_FOUND = 1 << 62


def _stub_guest(make_guest: GuestFactory, status: int, bits: int = 0, **kwargs: object) -> Guest:
    """A guest whose search returns ``status`` and leaves ``bits`` as its result."""
    body = f"(i64.store (local.get 8) (i64.const {bits})) (i32.const {status})"
    signature = "(param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)"
    return make_guest(
        module(
            ARENA,
            f"""
        (func (export "twosum_i32") {signature} {body})
        (func (export "twosum_i64") {signature} {body})""",
        ),
        **kwargs,
    )


def test_guest_out_of_memory(make_guest: GuestFactory) -> None:
    # One page: room for the numbers, not for their table.
    guest = _stub_guest(make_guest, 0, max_memory=65536)
    with pytest.raises(GuestMemoryError, match="hash table of 5000 elements"):
        TwoSum(guest, python_cutoff=0).twosum(array.array("i", range(5000)), 3)


@pytest.mark.parametrize(
    ("status", "bits"),
    [
        (1, 0),
        (-1, 0),
        (-1001, 0),
        (0, _FOUND | (1 << 32) | 0),
        (0, _FOUND | (0 << 32) | 5),
        (0, _FOUND | (0 << 32) | 1),
    ],
)
@pytest.mark.parametrize("nums", [[1, 2, 3], array.array("i", [1, 2, 3])])
def test_impossible_guest_answers_are_never_returned(
    make_guest: GuestFactory, status: int, bits: int, nums: list[int]
) -> None:
    with pytest.raises(WasmextError, match="twosum guest"):
        TwoSum(_stub_guest(make_guest, status, bits), python_cutoff=0).twosum(nums, 100)


def test_short_lists_are_solved_in_python(make_guest: GuestFactory) -> None:
    # The stub guest answers "no pair" to everything: only Python can find these.
    solver = TwoSum(_stub_guest(make_guest, 0), python_cutoff=8)
    assert solver.twosum([1, 2, 3], 5) == (1, 2)
    assert solver.twosum((1, 2, 1, 2), 3) == (0, 1)
    assert solver.twosum(list(range(8)), 13) is None  # reached the guest
    with pytest.raises(InvalidType, match=r"nums\[1\] is bool"):
        solver.twosum([1, True], 2)
    with pytest.raises(InvalidType, match=r"nums\[0\] is float"):
        solver.twosum([1.0], 2)


def test_solver_recovers_from_a_trap(make_guest: GuestFactory) -> None:
    guest = make_guest(module(ARENA, TWOSUM, '(func (export "boom") unreachable)'))
    solver = TwoSum(guest, python_cutoff=0)
    assert solver.twosum([1, 2], 3) == (0, 1)
    with pytest.raises(WasmextError):
        solver.instance.call("boom")
    assert solver.twosum([1, 2, 5], 7) == (1, 2)
    assert not solver.instance.poisoned


def test_shared_solver_across_threads(solver: TwoSum) -> None:
    failures: list[BaseException] = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(40):
                values = [rng.randint(-50, 50) for _ in range(rng.randrange(0, 60))]
                target = rng.randint(-100, 100)
                form = [list, tuple, lambda v: np.array(v, np.int64)][rng.randrange(3)](values)
                assert solver.twosum(form, target) == reference(values, target)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures


def test_module_function_uses_the_bundled_guest() -> None:
    require_bundled("twosum")
    assert twosum([2, 7, 11, 15], 9) == (0, 1)
    assert twosum([1, 2], 2**80) is None
    results: list[object] = []

    def work() -> None:
        results.append(twosum(list(range(100)), 197))
        results.append(twosum_module._solvers.solver)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results[::2] == [(98, 99)] * 8
    assert len({id(solver) for solver in results[1::2]}) == 8


def test_benchmark_input() -> None:
    require_bundled("twosum")
    rng = random.Random(150)
    size = 500_000
    nums = [rng.randint(-(10**9), 10**9) for _ in range(size)]
    first, second = rng.sample(range(size), 2)
    target = nums[first] + nums[second]
    assert twosum(nums, target) == (441756, 475575) == reference(nums, target)
    assert twosum(np.array(nums, dtype=np.int64), target) == (441756, 475575)
    assert twosum(array.array("i", nums), target) == (441756, 475575)


def test_a_dropped_solver_hands_its_wiped_instance_to_the_next(solver: TwoSum) -> None:
    guest = solver._guest
    first = TwoSum(guest, python_cutoff=0)
    assert first.twosum([5, 6, 7], 13) == (1, 2)
    instance, input_area = first.instance, first._lease.input
    del first
    second = TwoSum(guest, python_cutoff=0)
    assert second.instance is instance
    assert instance.read(input_area, 12) == bytes(12), "the arena was not wiped before reuse"
    assert second.twosum([1, 2, 3], 4) == (0, 2)


def test_a_reset_through_the_instance_makes_the_solvers_areas_stale(solver: TwoSum) -> None:
    # The arena no longer lends the solver's areas after a reset behind its back, and a guest
    # refuses pointers into memory it did not lend: the solver must take its areas afresh.
    guest = solver._guest
    first = TwoSum(guest, python_cutoff=0)
    assert first.twosum([5, 6, 7], 13) == (1, 2)
    first.instance.reset()
    assert first.twosum([1, 2, 3], 4) == (0, 2)
    assert first.twosum(array.array("i", [4, 0, 4]), 8) == (0, 2)
    instance = first.instance
    instance.reset()
    del first
    second = TwoSum(guest, python_cutoff=0)
    assert second.instance is instance
    assert second.twosum([8, 1, 9], 17) == (0, 2)


def test_recycling_keeps_few_instances_and_never_a_poisoned_one(make_guest: GuestFactory) -> None:
    guest = make_guest(module(ARENA, TWOSUM, '(func (export "boom") unreachable)'))
    solvers = [TwoSum(guest, python_cutoff=0) for _ in range(5)]
    instances = [each.instance for each in solvers]
    refs = [weakref.ref(instance) for instance in instances]
    del solvers, instances
    gc.collect()
    assert sum(ref() is not None for ref in refs) <= 2, "idle instances must be bounded"
    poisoned = TwoSum(guest, python_cutoff=0)
    with pytest.raises(WasmextError):
        poisoned.instance.call("boom")
    ref = weakref.ref(poisoned.instance)
    del poisoned
    gc.collect()
    assert ref() is None


def test_every_call_keys_the_hash_afresh(make_guest: GuestFactory) -> None:
    # A guest that keeps the seed it was given (below the arena, at 8) and finds nothing.
    keeps_seed = """
        (func (export "twosum_i32") (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)
          (i64.store (i32.const 8) (local.get 6)) (i32.const 0))
        (func (export "twosum_i64") (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)
          (i64.store (i32.const 8) (local.get 6)) (i32.const 0))"""
    solver = TwoSum(make_guest(module(ARENA, keeps_seed)), python_cutoff=0)
    seeds = set()
    for nums in ([1, 2, 3], [1, 2, 2**40]) * 4:
        assert solver.twosum(nums, 100) is None
        seeds.add(solver.instance.read(8, 8))
    assert len(seeds) == 8, "a seed was used twice"


def test_a_solver_lets_an_instance_a_big_input_grew_go(make_guest: GuestFactory) -> None:
    solver = TwoSum(make_guest(module(TAIL_ALLOCATOR, TWOSUM)), python_cutoff=0)
    instance = solver.instance
    instance.grow(RETAINED_MEMORY // 65536)  # as a big input would have
    assert solver.twosum([1, 2, 3], 5) == (1, 2)
    assert solver.instance is not instance
    assert solver.twosum([1, 2, 3], 5) == (1, 2)


def test_a_solver_collected_in_a_reference_cycle_leaves_a_working_instance() -> None:
    # The garbage collector finalizes a whole cycle before it frees any of it. A solver that
    # handed its instance back from __del__ handed back one whose wasmtime store the same
    # collection had just deleted, and the next solver crashed the process in it.
    class Holder:
        pass

    gc.collect()
    for _ in range(3):
        holder = Holder()
        holder.cycle = holder
        holder.solver = TwoSum(python_cutoff=0)
        holder.instance = holder.solver.instance
        assert holder.solver.twosum(list(range(100)), 3) == (1, 2)
        del holder
        gc.collect()
        assert TwoSum(python_cutoff=0).twosum(list(range(100)), 5) == (2, 3)
