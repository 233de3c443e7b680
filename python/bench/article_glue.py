"""The source article's way of calling a C guest from Python, written as it describes.

One ``wasmtime.Store`` (and one compilation) per object, exports bound with
``functools.partial``, the list copied in with ``struct.pack_into(f"<{n}i", memory, ptr,
*nums)``, and the packed result split with ``& 0xffffffff``.  It drives the
``article-twosum`` fixture (``host-test/fixtures/article-twosum``), a C two-sum over int32,
so that ``cargo xtask bench`` times wasmext against the approach it replaces.  Nothing here is
checked or safe beyond what the benchmark's input needs: that is the point of the comparison.
"""

from __future__ import annotations

import functools
import struct
from pathlib import Path

import wasmtime

__all__ = ["ArticleTwoSum"]


class ArticleTwoSum:
    """A two-sum solver around its own store and instance of the C guest."""

    def __init__(self, wasm: Path) -> None:
        """Compile ``wasm`` in a new store and bind its exports."""
        self.store = wasmtime.Store()
        module = wasmtime.Module.from_file(self.store.engine, str(wasm))
        instance = wasmtime.Instance(self.store, module, [])
        exports = instance.exports(self.store)
        memory = exports["memory"]
        assert isinstance(memory, wasmtime.Memory)
        self.memory = memory
        self.alloc = functools.partial(exports["bump_alloc"], self.store)
        self.reset = functools.partial(exports["bump_reset"], self.store)
        self.search = functools.partial(exports["two_sum"], self.store)

    def two_sum(self, nums: list[int], target: int) -> tuple[int, int] | None:
        """The pair of indices the dict-based reference returns, or ``None``."""
        n = len(nums)
        ptr = self.alloc(4 * n) & 0xFFFFFFFF
        buffer = self.memory.get_buffer_ptr(self.store)
        struct.pack_into(f"<{n}i", buffer, ptr, *nums)
        found = self.search(ptr, n, target)
        self.reset()
        if found < 0:
            return None
        return found >> 32, found & 0xFFFFFFFF
