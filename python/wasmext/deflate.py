"""DEFLATE compression and bounded decompression, sandboxed in a WebAssembly guest.

A drop-in for the one-shot functions of :mod:`zlib` and :mod:`gzip`, by ``miniz_oxide`` in
the bundled ``deflate`` guest (its formats and errors: ``docs/abi.md``)::

    from wasmext import deflate

    packed = deflate.compress(b"data" * 1000)  # zlib format, level 6, as zlib.compress
    assert deflate.decompress(packed) == b"data" * 1000
    assert gzip.decompress(deflate.compress(b"x", format="gzip")) == b"x"

``format`` is ``"zlib"`` (RFC 1950, :func:`zlib.compress`), ``"gzip"`` (RFC 1952,
:func:`gzip.compress`) or ``"raw"`` (RFC 1951, ``wbits=-15``). :func:`decompress` accepts what
``zlib.decompress(data)``, ``zlib.decompress(data, -15)`` and ``gzip.decompress(data)``
accept, and never produces more than ``max_size`` bytes (:data:`DEFAULT_MAX_SIZE` unless
given), so a decompression bomb costs at most that. Errors:

- a corrupt or truncated stream, or a wrong checksum: :class:`Corrupt`, :class:`Truncated`,
  :class:`BadChecksum`, all :class:`InflateError`, a ``ValueError``;
- more than ``max_size`` bytes: :class:`TooBig`, an :class:`InflateError`;
- an unknown ``format``: :class:`BadFormat`; a ``level`` outside ``0..10`` (or ``-1``, zlib's
  default, meaning 6): :class:`BadLevel` (both ``ValueError``);
- no room under the guest's memory cap: :class:`~wasmext.errors.GuestMemoryError`, a
  ``MemoryError``; the instance carries on.

Nothing of the data stays in the guest's linear memory after a call: the guest's heap zeroes
what it frees, and the arena holding the arguments and result is wiped.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Literal, Union

from .errors import GuestError, GuestMemoryError
from .runtime import Bound, Guest, bundled

if TYPE_CHECKING:
    if sys.version_info >= (3, 12):
        from collections.abc import Buffer
    else:
        Buffer = Union[bytes, bytearray, memoryview, "array.array[Any]"]
    import array

__all__ = [
    "DEFAULT_MAX_SIZE",
    "BadChecksum",
    "BadFormat",
    "BadLevel",
    "Corrupt",
    "Deflate",
    "DeflateError",
    "InflateError",
    "TooBig",
    "Truncated",
    "compress",
    "decompress",
]

#: :func:`decompress`'s limit unless given: 64 MiB. A limit needs as much guest memory, and
#: briefly up to three times as much (the growing output, then its copy for the host).
DEFAULT_MAX_SIZE = 64 << 20

Format = Literal["zlib", "gzip", "raw"]


class DeflateError(GuestError, ValueError):
    """:func:`compress` refused its arguments."""


class BadLevel(DeflateError):
    """``level`` is not in ``0..10`` (or ``-1``)."""


class InflateError(GuestError, ValueError):
    """:func:`decompress` could not decompress the data."""


class Corrupt(InflateError):
    """The data is not a valid stream of the format."""


class Truncated(InflateError):
    """The data ends before the stream does."""


class BadChecksum(InflateError):
    """The stream's checksum (zlib's Adler-32, gzip's CRC-32 or length) does not match."""


class TooBig(InflateError):
    """The data decompresses to more than ``max_size`` bytes."""


class BadFormat(DeflateError, InflateError):
    """``format`` is not ``"zlib"``, ``"gzip"`` or ``"raw"``."""


class _OutOfMemory(DeflateError, InflateError):
    """The guest's variant for its memory cap; raised as GuestMemoryError instead."""


# The guest's error enums and variants (by their class names in the interface) as ours.
_EXCEPTIONS: dict[str, type[GuestError]] = {
    "DeflateError": DeflateError,
    "BadLevel": BadLevel,
    "DeflateErrorBadFormat": BadFormat,
    "DeflateErrorOutOfMemory": _OutOfMemory,
    "InflateError": InflateError,
    "Corrupt": Corrupt,
    "Truncated": Truncated,
    "TooBig": TooBig,
    "BadChecksum": BadChecksum,
    "InflateErrorBadFormat": BadFormat,
    "InflateErrorOutOfMemory": _OutOfMemory,
}


class Deflate:
    """The functions of this module, on a :class:`~wasmext.runtime.Guest` of your choice.

    ``guest``: a ``deflate.wasm`` loaded from a file next to its ``manifest.json`` (for
    instance ``Guest(GUESTS_DIR / "deflate.wasm", max_memory=...)``), or ``None`` for the
    bundled one, loaded on first use. Each thread runs on its own instance. An object pickles
    as a fresh one of the same guest; the module's functions pickle by name.
    """

    def __init__(self, guest: Guest | None = None) -> None:
        """Run on ``guest`` (default: the bundled artifact, loaded on first use)."""
        self._guest = guest  # what a pickle sends: None stays "the bundled one, there"
        self._bound: Bound | None = None

    def __reduce__(self) -> str | tuple[Any, tuple[object, ...]]:
        """Pickle as the guest; the module's own object by name."""
        if self is _default:
            return "_default"
        return type(self), (self._guest,)

    @property
    def guest(self) -> Guest:
        """The :class:`~wasmext.runtime.Guest` whose instances run the operations."""
        return self._guest if self._guest is not None else bundled("deflate")

    def _functions(self) -> Bound:
        bound = self._bound
        if bound is None:  # two threads may both bind: the same result, one kept
            bound = self._bound = self.guest.bind(exceptions=_EXCEPTIONS)
        return bound

    def compress(self, data: Buffer, level: int = 6, format: Format = "zlib") -> bytes:
        """``data`` (any bytes-like object) compressed at ``level`` into a ``format`` stream.

        ``level``: 0 stores, 1 is fastest, 6 (or -1) is zlib's default, 9 is zlib's best and 10
        smaller still. The gzip format writes one member with no name and time stamp 0.
        """
        try:
            return self._functions().compress(data, 6 if level == -1 else level, format)  # type: ignore[no-any-return]
        except _OutOfMemory:
            raise GuestMemoryError(
                f"deflate.compress(): {memoryview(data).nbytes} bytes need more memory "
                "than the guest's cap (max_memory) leaves"
            ) from None

    def decompress(
        self, data: Buffer, format: Format = "zlib", max_size: int = DEFAULT_MAX_SIZE
    ) -> bytes:
        """The data of the ``format`` stream ``data``, at most ``max_size`` bytes of it.

        Bytes after a zlib or raw stream are ignored, as :func:`zlib.decompress` does; gzip
        data may hold several members, with zero bytes between them, as :func:`gzip.decompress`
        reads them. ``max_size`` (up to ``2**32 - 1``) bounds the output, whatever the input.
        """
        try:
            return self._functions().decompress(data, format, max_size)  # type: ignore[no-any-return]
        except TooBig:
            raise TooBig(
                f"deflate.decompress(): the data decompresses to more than max_size={max_size} "
                "bytes"
            ) from None
        except _OutOfMemory:
            raise GuestMemoryError(
                f"deflate.decompress(): the output needs more memory than the guest's cap "
                f"(max_memory) leaves; a smaller max_size (now {max_size}) fails sooner as TooBig"
            ) from None


_default = Deflate()


def compress(data: Buffer, level: int = 6, format: Format = "zlib") -> bytes:
    """:meth:`Deflate.compress` on the bundled guest."""
    return _default.compress(data, level, format)


def decompress(data: Buffer, format: Format = "zlib", max_size: int = DEFAULT_MAX_SIZE) -> bytes:
    """:meth:`Deflate.decompress` on the bundled guest."""
    return _default.decompress(data, format, max_size)
