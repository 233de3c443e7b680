"""Argument checking for :mod:`wasmext.monocypher`.

Every check runs before anything is written into linear memory, so a rejected call leaves the
guest untouched. Errors name the offending argument.
"""

from __future__ import annotations

from typing import Union

from ._values import byte_view, exact_int
from .errors import InvalidInput

__all__ = ["U32_MAX", "U64_MAX", "BytesLike", "buffer", "fixed", "integer"]

BytesLike = Union[bytes, bytearray, memoryview]
"""What byte-string arguments accept: any C-contiguous object with the buffer protocol."""

U32_MAX = 0xFFFF_FFFF
U64_MAX = 0xFFFF_FFFF_FFFF_FFFF


def buffer(name: str, value: object, *, max_size: int = U32_MAX) -> bytes | memoryview:
    """Return ``value`` as something whose ``len()`` is its size in bytes.

    Accepts bytes, bytearray, memoryview and any other C-contiguous buffer (array.array, numpy
    arrays...), viewed as unsigned bytes without copying. ``str`` is refused: text has no single
    byte encoding, so the caller must choose one.
    """
    if type(value) is bytes:
        size = len(value)
        if size > max_size:
            raise InvalidInput(f"{name} is {size} bytes; at most {max_size} are supported")
        return value
    view = byte_view(value, name)
    if len(view) > max_size:
        raise InvalidInput(f"{name} is {len(view)} bytes; at most {max_size} are supported")
    return view


def fixed(name: str, value: object, size: int) -> bytes | memoryview:
    """Return ``value`` as a buffer after checking it is exactly ``size`` bytes long."""
    data = buffer(name, value)
    if len(data) != size:
        raise InvalidInput(f"{name} must be {size} bytes long, got {len(data)}")
    return data


def integer(name: str, value: object, low: int, high: int) -> int:
    """Return ``value`` as an int after checking ``low <= value <= high``.

    Accepts anything with ``__index__`` (int, numpy integers) except bool, which is almost always
    a mistake where a size or count is expected.
    """
    number = exact_int(value, name)
    if not low <= number <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}, got {number}")
    return number
