"""Packing a list of ints in chunks, one chunk ahead of the guest that searches them.

``struct.Struct.pack`` holds the GIL, and a guest call releases it: with the packing on a
helper thread, Python packs chunk ``k + 1`` while the guest searches chunk ``k``, so a long
list costs about its packing alone.  The helper only ever reads the list and makes ``bytes``:
every guest call, and so every change of state an interrupt could cut short, stays on the
calling thread.

The two threads take turns on the GIL by hand.  CPython lets a thread waiting for the GIL have
it only after a 5 ms switch interval, or when the holder blocks; so the helper blocks after
each chunk until the caller is about to enter the guest (:meth:`Chunks.go`), and the caller
blocks until the next chunk is ready (:meth:`Chunks.next`).  Each then finds the GIL free.
"""

from __future__ import annotations

import collections
import functools
import struct
import threading
from typing import Any, Callable

__all__ = ["CHUNK", "THREADED_MIN", "Chunks"]

#: Elements per chunk: big enough that the hand-over (two thread wake-ups) is noise, small
#: enough that the last chunk's search, which nothing overlaps, is short.
CHUNK = 32_768
#: Lists shorter than this are packed on the calling thread: a thread start costs more than
#: the overlap saves.
THREADED_MIN = 4 * CHUNK

_CODE = {4: "i", 8: "q"}


@functools.lru_cache(maxsize=16)
def _packer(count: int, code: str) -> Callable[..., bytes]:
    """``struct.Struct(...).pack`` for ``count`` elements.

    About an eighth faster than ``struct.pack`` with a format string, which a long list would
    pay on every chunk.
    """
    return struct.Struct(f"<{count}{code}").pack


class Chunks:
    """The chunks of ``values`` as little-endian ints of ``width`` bytes, in order.

    :meth:`next` returns ``(start, data)``: ``data`` is the packed elements from ``start`` on
    (``len(data) // width`` of them), or ``None`` when some element of that chunk does not
    pack at this width (out of range, or not an integer): no chunk follows it.  Any other
    exception of the packer is raised by :meth:`next`.  Always :meth:`close` it.
    """

    def __init__(self, values: list[Any] | tuple[Any, ...], width: int) -> None:
        """Start packing ``values`` (on a helper thread if the list is long)."""
        self._values = values
        self._code = _CODE[width]
        self._chunk = CHUNK
        self._items: collections.deque[tuple[int, bytes | BaseException | None]] = (
            collections.deque()
        )
        self._next_start = 0
        self._stop = False
        self._thread: threading.Thread | None = None
        if len(values) >= THREADED_MIN:
            self._ready = threading.Semaphore(0)
            self._go = threading.Semaphore(0)
            self._thread = threading.Thread(
                target=self._run, name="wasmext-twosum-packer", daemon=True
            )
            self._thread.start()

    def _pack(self, start: int) -> bytes | None:
        stop = min(start + self._chunk, len(self._values))
        try:
            return _packer(stop - start, self._code)(*self._values[start:stop])
        except struct.error:
            return None  # out of range for this width, or not an integer: the caller decides

    def _run(self) -> None:
        start = 0
        total = len(self._values)
        while start < total and not self._stop:
            try:
                item: bytes | BaseException | None = self._pack(start)
            except BaseException as error:  # handed to the caller, which raises it
                item = error
            self._items.append((start, item))
            self._ready.release()
            if not isinstance(item, bytes):
                return
            start += self._chunk
            self._go.acquire()

    def next(self) -> tuple[int, bytes | None]:
        """The next chunk, waiting for the helper if it is still packing it."""
        if self._thread is None:
            start = self._next_start
            data = self._pack(start)
            self._next_start = start + self._chunk
            return start, data
        self._ready.acquire()
        start, item = self._items.popleft()
        if isinstance(item, BaseException):
            raise item
        return start, item

    def go(self) -> None:
        """Let the helper pack the next chunk: call it right before the guest call."""
        if self._thread is not None:
            self._go.release()

    def close(self) -> None:
        """Stop the helper after the chunk it is packing, if any (it touches nothing else)."""
        self._stop = True
        if self._thread is not None:
            self._go.release()
