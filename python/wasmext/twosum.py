"""Two sum, computed by a WebAssembly guest: a drop-in for the classic dict solution.

:func:`twosum` returns exactly what this reference returns, for every input::

    def twosum(nums, target):
        seen = {}
        for i, num in enumerate(nums):
            if target - num in seen:
                return seen[target - num], i
            seen[num] = i
        return None

``nums`` may be any iterable of ints (list, tuple, range, generator...) or an
integer buffer (``array('i'/'l'/'q')``, numpy int32/int64 arrays, ``memoryview``):
buffers of 4- or 8-byte signed ints are copied straight into the guest with no
per-element Python work.  Lists are packed to int32 when every element fits, else
int64.  Ints beyond int64 take an exact pure-Python path, so the
answer is right for any Python ints.  A long list is packed in chunks on a helper
thread while the guest searches the chunks already packed (``_chunkpack.py``), so
it costs about what packing it alone does.

Elements must be integers: ``int`` or any ``numbers.Integral`` (numpy integers);
``bool``, ``float`` and other types raise :class:`~wasmext.errors.InvalidType`
(a ``TypeError``) naming ``nums`` or ``target``.
"""

from __future__ import annotations

import collections
import os
import random
import threading
import weakref
from collections.abc import Iterable
from numbers import Integral
from typing import Any

from . import _forksafe
from ._chunkpack import Chunks
from ._intpack import Packed, check_element, exact_ints, pack
from ._values import exact_int
from .errors import GuestMemoryError, InvalidType, WasmextError
from .runtime import RETAINED_MEMORY, Function, Guest, Instance, bundled

__all__ = ["TwoSum", "twosum"]

_NO_PAIR = -1
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_GUEST_FUNCTION = {4: "twosum_i32", 8: "twosum_i64"}
# Bits of the guest's result (docs/abi.md): the pair, once found, and whether the numbers it
# scanned hold a 0 or 1 (what a bool packs to).
_FOUND = 1 << 62
_ZERO_OR_ONE = 1 << 63
_PAIR_BITS = (1 << 62) - 1
# Smallest and largest sum of two elements of each width.
_PAIR_SUM_RANGE = {4: (-(2**32), 2**32 - 2), 8: (-(2**64), 2**64 - 2)}

#: Inputs shorter than this are solved in Python: below it, crossing into the guest
#: (packing, copying, the call) costs more than the dict loop (measured: ~64-128).
PYTHON_CUTOFF = 64


# Instances of dropped solvers, kept per guest for the next TwoSum(): creating one per call
# then costs what sharing one does, instead of a fresh instance faulting in its linear
# memory again (~6 MB for 500,000 ints, measured ~40% of such a call). A drop only appends
# to a bounded deque (atomic, no lock, no guest call): it runs wherever the garbage collector
# happens to, even inside os.fork() with every lock held. Checking and wiping an instance
# waits until a new solver takes it, in ordinary code.
#
# The drop is a weakref.finalize, not __del__: the finalizer holds the instance until the
# solver dies, so the instance is never garbage itself. With __del__, a solver caught in a
# reference cycle handed back an instance whose wasmtime store the same collection then
# deleted, and the next solver crashed the process in it.
_IDLE_PER_GUEST = 2
_idle: weakref.WeakKeyDictionary[Guest, collections.deque[_Lease]] = weakref.WeakKeyDictionary()
_idle_lock = _forksafe.lock(_forksafe.IDLE)


def _idle_for(guest: Guest) -> collections.deque[_Lease]:
    with _idle_lock:
        idle = _idle.get(guest)
        if idle is None:
            idle = _idle[guest] = collections.deque(maxlen=_IDLE_PER_GUEST)
        return idle


def _take_idle(idle: collections.deque[_Lease]) -> _Lease | None:
    while True:
        try:
            lease = idle.pop()
        except IndexError:
            return None
        # Memory never shrinks: an instance grown big (through `TwoSum.instance`, since
        # `_solve` lets go of the ones it grows) goes, rather than serve again. (A poisoned
        # one is never queued.)
        if lease.instance.poisoned or lease.instance.memory_size > RETAINED_MEMORY:
            continue
        return lease


def _park(idle: collections.deque[_Lease], lease: _Lease) -> None:
    """Leave a dropped solver's instance, with its areas, to the next solver."""
    if not lease.instance.poisoned:  # an attribute read, no lock
        idle.append(lease)


def _reference(values: list[int], target: int) -> tuple[int, int] | None:
    seen: dict[int, int] = {}
    for index, value in enumerate(values):
        complement = target - value
        if complement in seen:
            return seen[complement], index
        seen[value] = index
    return None


def _check_target(target: object) -> int:
    if type(target) is int:
        return target
    if isinstance(target, bool) or not isinstance(target, (int, Integral)):
        raise InvalidType(f"target must be an int, not {type(target).__name__}")
    return exact_int(target, "target")


class TwoSum:
    """A two-sum solver that owns its guest instance.

    Creating one is cheap: the module is compiled once per process, and the instance of a
    dropped solver, with its areas, serves the next one, so even ``TwoSum()`` per call
    costs about what sharing one does.  It keeps its input area, hash table and result
    record in linear memory between calls, so a call on a buffer is one copy, one guest call
    and an 8-byte read.  Safe to share between threads (calls are serialised); for
    parallelism give each thread its own solver.

    ``guest`` defaults to the bundled ``twosum`` artifact; any guest exporting
    ``twosum_i32``/``twosum_i64`` with the wasmext two-sum ABI (docs/abi.md) works.

    A solver pickles (and copies) as a fresh solver of the same guest and ``python_cutoff``:
    its instance and input area stay here, so ``ProcessPoolExecutor``, Dask or Ray can send
    it, or its bound ``twosum``, to a worker (see :class:`~wasmext.runtime.Guest` for how
    the guest travels).
    """

    def __init__(self, guest: Guest | None = None, *, python_cutoff: int = PYTHON_CUTOFF) -> None:
        """Instantiate ``guest`` (default: the bundled ``twosum``).

        Inputs with fewer than ``python_cutoff`` elements are solved in Python, which is
        faster for them; ``0`` sends everything to the guest.
        """
        self._guest = guest if guest is not None else bundled("twosum")
        self._python_cutoff = python_cutoff
        self._lock = _forksafe.lock(_forksafe.OBJECT)
        # Keys the guest's hash table afresh for every call, so no input can be crafted in
        # advance to collide in it (which would make the linear search quadratic).
        self._seeds = random.Random(os.urandom(16))
        self._idle = _idle_for(self._guest)
        idle = _take_idle(self._idle)
        if idle is None:
            self._attach(self._guest.new_instance())
        else:
            self._attach(idle.instance, idle)

    def _attach(self, instance: Instance, areas: _Lease | None = None) -> _Lease:
        """Make ``instance`` this solver's, in one assignment (see :class:`_Lease`).

        ``areas`` is a dropped solver's lease of the same instance: its input area, table and
        record serve on (unless a reset made them stale, see :meth:`_reserve`). The last
        solver's input is wiped; its table (indices, not numbers) is not: the next search
        clears it anyway, and a reset would clear 4 MB for 500,000 numbers twice over.
        """
        functions = {width: instance.function(name) for width, name in _GUEST_FUNCTION.items()}
        lease = _Lease(instance, functions)
        if areas is not None and areas.resets == instance.resets:
            # Still lent (no reset since): wipe the last solver's input, keep the rest.
            if areas.written:
                instance.write(areas.input, bytes(areas.written))
            lease.take_areas(areas)
        # When this solver dies, the next solver of the same guest gets the instance.
        handover = weakref.finalize(self, _park, self._idle, lease)
        handover.atexit = False
        lease.handover = handover
        previous: _Lease | None = getattr(self, "_lease", None)
        self._lease = lease
        if previous is not None and previous.handover is not None:
            previous.handover.detach()  # that instance is poisoned or retired: nobody gets it
        return lease

    def __reduce__(self) -> tuple[Any, tuple[object, ...]]:
        """Pickle as the guest and the cutoff; no memory crosses (see the class docstring)."""
        return _new_solver, (type(self), self._guest, self._python_cutoff)

    @property
    def instance(self) -> Instance:
        """The guest instance this solver owns."""
        return self._lease.instance

    def twosum(self, nums: Iterable[int], target: int) -> tuple[int, int] | None:
        """Indices ``(i, j)``, ``i < j``, with ``nums[i] + nums[j] == target``, as the reference.

        Returns ``None`` when no pair exists.  Raises
        :class:`~wasmext.errors.InvalidType` for non-integer input and
        :class:`~wasmext.errors.GuestMemoryError` if the guest cannot hold the input.
        """
        target = _check_target(target)
        if isinstance(nums, (list, tuple)) and len(nums) < self._python_cutoff:
            return _reference(exact_ints(nums), target)
        if (
            isinstance(nums, (list, tuple))
            and len(nums) >= 2
            and _INT64_MIN <= target <= _INT64_MAX
            and not self._lock._is_owned()  # type: ignore[attr-defined]
        ):
            return self._twosum_chunked(nums, target)
        packed = pack(nums)
        if isinstance(packed, list):
            return _reference(packed, target)
        if packed.count < 2:
            return None
        lowest, highest = _PAIR_SUM_RANGE[packed.width]
        if not lowest <= target <= highest:
            return None  # no two elements of this width add up to it
        if not _INT64_MIN <= target <= _INT64_MAX:
            return _reference(exact_ints(_elements(packed)), target)
        if self._lock._is_owned():  # type: ignore[attr-defined]
            # This thread is in the middle of a call on this solver (a signal handler or a
            # __del__ came back here): its input area is in use, so solve on a solver of its own.
            return TwoSum(self._guest, python_cutoff=self._python_cutoff).twosum(nums, target)
        with self._lock:
            result = self._solve(packed, target)
        if not result & _FOUND:
            return None
        first, second = (result & _PAIR_BITS) >> 32, result & 0xFFFF_FFFF
        if not (first < second < packed.count and packed[first] + packed[second] == target):
            raise WasmextError(f"the twosum guest returned an impossible pair {first, second}")
        return first, second

    def _solve(self, packed: Packed, target: int) -> int:
        """The guest's result bits for ``packed``, searched in one call."""
        lease = self._lease
        if lease.instance.poisoned:
            lease = self._attach(self._guest.new_instance())
        instance = lease.instance
        count = packed.count
        slots = _table_len(count)
        numbers, table, record = self._reserve(lease, packed.nbytes, slots * 4, count)
        instance.write(numbers, packed.data)
        seed = self._seeds.getrandbits(64)
        # From 0 (the guest clears the table), and no scan for bools: a buffer holds none.
        status = lease.functions[packed.width](
            numbers, count, 0, table, slots, target, seed, 0, record
        )
        result = _result(instance, status, record)
        if instance.memory_size > RETAINED_MEMORY:
            # Memory never shrinks: rather than hold a big input's worth for the solver's
            # life, the next call starts on a fresh instance and this one is freed.
            self._attach(self._guest.new_instance())
        return result

    def _twosum_chunked(
        self, values: list[Any] | tuple[Any, ...], target: int
    ) -> tuple[int, int] | None:
        """:meth:`twosum` of a list, packed chunk by chunk while the guest searches."""
        with self._lock:
            for width in (4, 8):
                result = self._search_chunks(values, target, width)
                if result is not None:
                    break
            else:
                # Some element fits no width: a non-integer (raises, naming the first bad
                # element) or an int beyond int64, which only Python's ints add up exactly.
                return _reference(exact_ints(values), target)
        if result == _NO_PAIR:
            return None
        first, second = result >> 32, result & 0xFFFF_FFFF
        count = len(values)
        if not (
            first < second < count
            and check_element(values[first], first) + check_element(values[second], second)
            == target
        ):
            raise WasmextError(f"the twosum guest returned an impossible pair {first, second}")
        return first, second

    def _search_chunks(
        self, values: list[Any] | tuple[Any, ...], target: int, width: int
    ) -> int | None:
        """The guest's answer for ``values`` packed at ``width``; ``None`` if some element won't.

        Every chunk is packed, even past the pair: packing is what checks the elements' types,
        and a chunk the guest finds a 0 or 1 in has its elements checked for bools here. Once the
        pair is found, later chunks go to the guest with an empty table: scanned, not searched.
        """
        lease = self._lease
        if lease.instance.poisoned:
            lease = self._attach(self._guest.new_instance())
        instance = lease.instance
        search = lease.functions[width]
        count = len(values)
        slots = _table_len(count)
        chunks = Chunks(values, width)
        pair = _NO_PAIR
        try:
            numbers, table, record = self._reserve(lease, count * width, slots * 4, count)
            seed = self._seeds.getrandbits(64)
            done = 0
            while done < count:
                start, data = chunks.next()
                if data is None:
                    return None
                done = start + len(data) // width
                instance.write(numbers + start * width, data)
                chunks.go()
                if pair == _NO_PAIR:
                    status = search(numbers, done, start, table, slots, target, seed, 1, record)
                else:
                    status = search(numbers, done, start, 0, 0, target, seed, 1, record)
                result = _result(instance, status, record)
                if pair == _NO_PAIR and result & _FOUND:
                    pair = result & _PAIR_BITS
                if result & _ZERO_OR_ONE:
                    _check_elements(values, start, done)
        finally:
            chunks.close()
        if instance.memory_size > RETAINED_MEMORY:
            self._attach(self._guest.new_instance())  # as in _solve
        return pair

    def _reserve(
        self, lease: _Lease, input_size: int, table_size: int, count: int
    ) -> tuple[int, int, int]:
        """The lease's input area, table and result record, regrown if too small for this call.

        The input area and the record sit at the bottom of the arena and are reused while the
        area is big enough; the table sits above them, regrown alone when it is too small.
        """
        instance = lease.instance
        if input_size > lease.capacity or lease.resets != instance.resets:
            # Capacities drop to 0 first: an exception between these lines leaves no area
            # trusted. (A reset since the areas were handed out, through `TwoSum.instance`,
            # may have let the arena hand them out again: they are stale too.)
            lease.capacity = lease.table_capacity = lease.written = 0
            instance.reset()
            lease.resets = instance.resets
            input_size = max(input_size, 64)
            lease.input = instance.alloc(input_size)
            lease.record = instance.alloc(16)
            lease.capacity = input_size
        # Before anything is written: what the next owner of the areas must wipe.
        if input_size > lease.written:
            lease.written = input_size
        if table_size > lease.table_capacity:
            # An outgrown table stays behind until the input area is regrown; tables at least
            # double each time, so that is less than one more.
            lease.table_capacity = 0
            try:
                lease.table = instance.alloc(table_size)
            except GuestMemoryError as error:
                raise GuestMemoryError(
                    f"the twosum guest has no memory left for the hash table of {count} "
                    f"elements ({error})"
                ) from None
            lease.table_capacity = table_size
        return lease.input, lease.table, lease.record


def _table_len(count: int) -> int:
    """Slots of the hash table for ``count`` numbers: a power of two at least twice as many."""
    return 1 << (2 * count - 1).bit_length()


def _result(instance: Instance, status: int | None, record: int) -> int:
    """The result bits the guest left in ``record``, or an error for a failing ``status``."""
    if status != 0:
        raise WasmextError(f"the twosum guest rejected its arguments (status {status})")
    return int.from_bytes(instance.read(record, 8), "little")


def _check_elements(values: list[Any] | tuple[Any, ...], start: int, stop: int) -> None:
    """Check ``values[start:stop]`` are ints, not bools, naming the first that is not."""
    for index in range(start, stop):
        check_element(values[index], index)


def _new_solver(cls: type[TwoSum], guest: Guest, python_cutoff: int) -> TwoSum:
    """A fresh solver: what a pickled :class:`TwoSum` becomes."""
    return cls(guest, python_cutoff=python_cutoff)


class _Lease:
    """A solver's instance with its prepared functions and areas.

    Replaced whole (one attribute store), so an exception anywhere never leaves a solver
    writing to one instance and calling another.
    """

    __slots__ = (
        "capacity",
        "functions",
        "handover",
        "input",
        "instance",
        "record",
        "resets",
        "table",
        "table_capacity",
        "written",
    )

    def __init__(self, instance: Instance, functions: dict[int, Function]) -> None:
        self.instance = instance
        self.functions = functions
        #: Hands the lease to the next solver when the owner dies (set right after creation).
        self.handover: weakref.finalize[[collections.deque[_Lease], _Lease], TwoSum] | None = None
        #: Guest address and size of the input area (0: none yet), and of the 16-byte result
        #: record allocated with it.
        self.input = 0
        self.capacity = 0
        self.record = 0
        #: Guest address and size of the hash table (0: none yet).
        self.table = 0
        self.table_capacity = 0
        #: The instance's reset count when the areas were handed out (see Instance.resets).
        self.resets = -1
        #: How many bytes of the input area calls may have written.
        self.written = 0

    def take_areas(self, other: _Lease) -> None:
        """Take over the areas of ``other``, a lease of the same instance."""
        self.input, self.capacity, self.record = other.input, other.capacity, other.record
        self.table, self.table_capacity = other.table, other.table_capacity
        self.resets = other.resets


def _elements(packed: Packed) -> list[int]:
    return [packed[index] for index in range(packed.count)]


_solvers = threading.local()


def twosum(nums: Iterable[int], target: int) -> tuple[int, int] | None:
    """Indices ``(i, j)`` of the pair the dict-based reference returns, or ``None``.

    Uses one :class:`TwoSum` per thread over the bundled ``twosum`` guest.
    """
    solver: TwoSum | None = getattr(_solvers, "solver", None)
    if solver is None:
        solver = _solvers.solver = TwoSum()
    return solver.twosum(nums, target)
