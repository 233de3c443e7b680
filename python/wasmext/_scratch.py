"""Host-owned linear memory for operations that are one guest call each.

The arena pattern (allocate, write, call, read, reset) costs four guest calls and
several locked copies around the one call that does the work: most of the time of a
small operation. A :class:`Scratch` is a block of linear memory that the *host* grew.
The SDK arena never hands out or zeroes memory it did not grow itself, so the block
belongs to the host for the instance's life, at addresses known in advance. An
operation then writes its inputs straight from the caller's buffers, makes one guest
call, copies its outputs out and zeroes what it used, all under one hold of the
instance's lock.

Two facts make the cached host pointer safe. The engine never moves linear memory
(``memory_may_move`` is off, see :func:`wasmext._module.engine`), so the block's host
address is fixed for the life of its store, which the block keeps alive. And memory
never shrinks, so a block that was inside linear memory stays inside it.

Between operations every byte of the block is zero: no key, plaintext or result
outlives the operation that used it, whatever way it ended.
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING

import wasmtime

from .errors import GuestMemoryError

if TYPE_CHECKING:
    from ._core import Core

__all__ = ["PAGE", "Scratch"]

PAGE = 65536
_ZEROS = memoryview(bytes(PAGE))


class Scratch:
    """A block of one instance's linear memory that only the host uses (see the module doc).

    It starts empty and grows on demand (:meth:`begin`): in place while it ends where
    linear memory ends, otherwise as a new block at the end of memory, at least twice as
    large, so that the space left behind stays below the size of the largest operation.
    """

    __slots__ = ("_acquire", "_core", "_host", "_release", "_view", "address", "capacity")

    def __init__(self, core: Core) -> None:
        """An empty scratch block on ``core``'s memory; nothing is grown until it is needed."""
        self._core = core
        self._acquire = core.lock.acquire
        self._release = core.lock.release
        #: Guest address of the block (0 while it is empty), and its size in bytes.
        self.address = 0
        self.capacity = 0
        self._host = 0
        self._view = memoryview(b"")

    def begin(self, size: int) -> tuple[int, memoryview]:
        """Take the instance's lock and return a block of at least ``size`` zero bytes.

        Returns its guest address and a writable view of it (offsets relative to the block).
        Always pair it with :meth:`end` in a ``finally``::

            base, view = scratch.begin(size)
            try:
                ...  # write inputs into view, call with guest addresses base + offset, read
            finally:
                scratch.end(size)

        Raises :class:`~wasmext.errors.GuestMemoryError` (without holding the lock) when
        linear memory cannot grow enough: the guest's ``max_memory``, or 4 GiB.
        """
        self._acquire()
        if size > self.capacity:
            try:
                self._grow(size)
            except BaseException:
                self._release()
                raise
        return self.address, self._view

    def end(self, size: int) -> None:
        """Zero the block's first ``size`` bytes and release the lock :meth:`begin` took."""
        try:
            if size <= PAGE:
                self._view[:size] = _ZEROS[:size]
            else:
                ctypes.memset(self._host, 0, size)
        finally:
            self._release()

    def _grow(self, size: int) -> None:
        """Make the block at least ``size`` bytes (with the lock held)."""
        core = self._core
        core.memory_stale = True
        core.refresh_memory()
        in_place = self.capacity and self.address + self.capacity == core.size
        wanted = max(-(-size // PAGE), 2 * self.capacity // PAGE, 1)
        # Doubling keeps the number of moves logarithmic; a capped guest still gets exactly
        # what the operation needs if the doubled size does not fit.
        for pages in dict.fromkeys((wanted, -(-size // PAGE))):
            extra = pages - self.capacity // PAGE if in_place else pages
            # Before the growth: an exception right after it must not leave the old size
            # trusted (the block stays as it was, and the next begin starts over).
            core.memory_stale = True
            try:
                old_pages = core.memory.grow(core.store, extra)
            except wasmtime.WasmtimeError:
                continue
            core.refresh_memory()
            if not in_place:
                self.address = old_pages * PAGE
            self.capacity = pages * PAGE
            self._host = core.base + self.address
            array = (ctypes.c_ubyte * self.capacity).from_address(self._host)
            self._view = memoryview(array).cast("B")
            return
        raise GuestMemoryError(
            f"{core.name}: an operation on {size} bytes needs more linear memory than the "
            f"guest may have (memory is {core.size} bytes)"
        )
