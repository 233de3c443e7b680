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
outlives the operation that used it, whatever way it ended. The block's geometry is one
tuple, replaced whole, so an exception raised anywhere (a signal handler runs between any
two bytecodes) leaves either the old block or the new one, never a mix. :attr:`Scratch.dirty`
says how many bytes may hold data; it is set before anything is written and cleared only
after they are zeroed, so a wipe that an exception cut short is finished by the next one.
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING

import wasmtime

from .errors import GuestMemoryError

if TYPE_CHECKING:
    from ._core import Core

__all__ = ["PAGE", "ZEROS", "Scratch"]

PAGE = 65536
#: A page of zeros that wipes copy from: sliced as bytes, not through a memoryview, since the
#: copy of a small slice costs less than a view (and than a memset).
ZEROS = bytes(PAGE)
_EMPTY = (0, 0, 0, memoryview(bytearray()))


class Scratch:
    """A block of one instance's linear memory that only the host uses (see the module doc).

    It starts empty and grows on demand (:meth:`take`): in place while it ends where
    linear memory ends, otherwise as a new block at the end of memory, at least twice as
    large, so that the space left behind stays below the size of the largest operation.

    Every method expects the instance's lock (:attr:`lock`) to be held by the caller, taken
    with a ``with`` statement so that no exception can separate taking it from the code that
    releases it.
    """

    __slots__ = ("block", "core", "dirty", "lock")

    def __init__(self, core: Core) -> None:
        """An empty scratch block on ``core``'s memory; nothing is grown until it is needed."""
        #: The instance's state (its poisoning, its memory).
        self.core = core
        #: The instance's lock, which every use of the block holds.
        self.lock = core.lock
        #: (guest address, capacity, host address, writable view): one value, replaced whole.
        self.block = _EMPTY
        #: How many bytes at the start of the block may be nonzero (0 between operations).
        self.dirty = 0

    @property
    def address(self) -> int:
        """Guest address of the block (0 while it is empty)."""
        return self.block[0]

    @property
    def capacity(self) -> int:
        """Size of the block in bytes."""
        return self.block[1]

    def take(self, size: int, dirty: int | None = None) -> tuple[int, memoryview]:
        """A block of at least ``size`` zero bytes: its guest address and a writable view.

        ``dirty`` (default ``size``) is how much of it the operation may leave nonzero, and
        what :meth:`wipe` zeroes. Raises :class:`~wasmext.errors.GuestMemoryError` when
        linear memory cannot grow enough (the guest's ``max_memory``, or 4 GiB); nothing has
        been written then.
        """
        block = self.block
        if size > block[1]:
            block = self._grow(size)
        used = size if dirty is None else dirty
        if used > self.dirty:
            self.dirty = used
        return block[0], block[3]

    def wipe(self) -> None:
        """Zero the bytes an operation may have left (:attr:`dirty`); idempotent."""
        size = self.dirty
        if not size:
            return
        _, _, host, view = self.block
        if size <= PAGE:
            view[:size] = ZEROS[:size]
        else:
            ctypes.memset(host, 0, size)
        self.dirty = 0

    def _grow(self, size: int) -> tuple[int, int, int, memoryview]:
        """Make the block at least ``size`` bytes; return the new block."""
        # A block that moves leaves its old bytes behind: zero what an interrupted
        # operation may have left there first.
        self.wipe()
        core = self.core
        address, capacity, _, _ = self.block
        core.memory_stale = True
        core.refresh_memory()
        in_place = capacity and address + capacity == core.size
        wanted = max(-(-size // PAGE), 2 * capacity // PAGE, 1)
        # Doubling keeps the number of moves logarithmic; a capped guest still gets exactly
        # what the operation needs if the doubled size does not fit.
        for pages in dict.fromkeys((wanted, -(-size // PAGE))):
            extra = pages - capacity // PAGE if in_place else pages
            # Before the growth: an exception right after it must not leave the old size
            # trusted (the block stays as it was, and the next take starts over).
            core.memory_stale = True
            try:
                old_pages = core.memory.grow(core.store, extra)
            except wasmtime.WasmtimeError:
                continue
            core.refresh_memory()
            new_address = address if in_place else old_pages * PAGE
            new_capacity = pages * PAGE
            host = core.base + new_address
            array = (ctypes.c_ubyte * new_capacity).from_address(host)
            block = (new_address, new_capacity, host, memoryview(array).cast("B"))
            self.block = block
            return block
        raise GuestMemoryError(
            f"{core.name}: an operation on {size} bytes needs more linear memory than the "
            f"guest may have (memory is {core.size} bytes)"
        )
