"""One arena block per instance that bound calls keep across calls: a call in one guest call.

The arena pattern costs three guest calls per bound call (``bump_alloc``, the function,
``bump_reset``), most of a small call's time. A function whose result is not a vector leaves
nothing in the arena (the SDK's shims allocate there only to copy a vector result out; a
function's own scratch lives in scopes, which wipe and rewind before it returns), so its
inputs can go into a block that ``bump_alloc`` handed out once and that stays lent across
calls: write the inputs (the result record is already zero), call, read the record, zero what
was written. The host wipes its own bytes, so nothing of a call stays behind.

The guest accepts pointers into what the arena lent since its last reset, and a reset also
wipes the block and lets the arena hand it out again. So the block is only valid while no
``bump_reset`` ran on the instance since it was allocated: the block carries the instance's
reset count (:attr:`~wasmext._core.Core.resets`, counted before every reset the runtime makes)
from when it was allocated, and a block with another count is never written again, only
replaced. Should a reset that was counted not run after all (an exception in between), the
block is replaced for nothing: the check errs only towards a fresh block.

As in ``_scratch.py``, the geometry is one tuple replaced whole, and :attr:`Staging.dirty` is
set before anything is written and cleared only once it is zeroed, so that a wipe an exception
cut short is finished by the next call (if the block is still valid: a reset since then has
wiped it already).
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Callable

from ._scratch import PAGE, ZEROS
from .errors import GuestError, GuestMemoryError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._core import Core

__all__ = ["LARGEST", "Staging"]

#: The largest block kept across calls. A call that needs more allocates for itself and
#: resets, as vector calls do: a big block held for good would pin its memory, and the one
#: guest call saved is nothing next to copying that much.
LARGEST = 1 << 20

_SMALLEST = 1024
#: (reset count when allocated, guest address, capacity, writable view): never valid.
_NONE = (-1, 0, 0, memoryview(bytearray()))


class Staging:
    """An instance's staging block (see the module doc); every method wants its lock held."""

    __slots__ = ("alloc", "block", "core", "dirty")

    def __init__(self, core: Core, alloc: Callable[[Sequence[int]], int | None]) -> None:
        """No block until the first call needs one; ``alloc`` is ``bump_alloc``'s trusted call."""
        #: The instance's state: its lock, memory and reset count.
        self.core = core
        self.alloc = alloc
        #: (reset count when allocated, guest address, capacity, writable view): one value,
        #: replaced whole.
        self.block = _NONE
        #: How many bytes at the start of the block may be nonzero (0 between calls).
        self.dirty = 0

    def take(self, size: int) -> tuple[int, int, int, memoryview]:
        """A valid block of at least ``size`` (at most :data:`LARGEST`) zero bytes.

        Allocates a new one when the block is stale (a reset since) or too small; raises
        :class:`~wasmext.errors.GuestMemoryError` when the guest cannot provide it.
        """
        core = self.core
        block = self.block
        if block[0] == core.resets:
            if size <= block[2]:
                self.wipe()
                return block
            self.wipe()  # the old block stays lent, empty, until the next reset
            capacity = max(size, 2 * block[2])
        else:
            # Stale: a reset zeroed it (or is still to, if it was cut short); hands off.
            capacity = max(size, block[2])
        capacity = min(max(capacity, _SMALLEST), max(size, LARGEST))
        self.block = _NONE
        self.dirty = 0
        count = core.resets
        address = (self.alloc((capacity,)) or 0) & 0xFFFF_FFFF
        if not address:
            raise GuestMemoryError(
                f"{core.name}: the guest could not allocate the {capacity} bytes of a call's "
                "arguments"
            )
        core.refresh_memory()
        if address + capacity > core.size:
            raise GuestError(
                f"{core.name}: bump_alloc returned {capacity} bytes at {address:#x}, outside "
                "memory (a broken guest)"
            )
        # Memory never moves (memory_may_move is off) nor shrinks: the view holds for good.
        array = (ctypes.c_ubyte * capacity).from_address(core.base + address)
        block = (count, address, capacity, memoryview(array).cast("B"))
        self.block = block
        return block

    def wipe(self, own: bool = False) -> None:
        """Zero what a call may have left in the block (:attr:`dirty`); idempotent.

        A stale block is left alone (the reset wiped it, and the arena may have handed it out
        since), unless ``own``: the caller wrote those bytes during its own hold of the lock,
        so only a reset nested in it (a signal handler's) can have made the block stale, and
        the arena's free memory must read as zeros again.
        """
        size = self.dirty
        if not size:
            return
        block = self.block
        if own or block[0] == self.core.resets:
            if size <= PAGE:
                block[3][:size] = ZEROS[:size]
            else:
                ctypes.memset(self.core.base + block[1], 0, size)
        self.dirty = 0
