"""Turning caller-supplied ints and names into exact builtins before anything checks them.

A value that reaches a bounds check, a dictionary of exports or ctypes must be a plain ``int``
or ``str``: a subclass (or an ``__index__`` that returns one) can override comparisons,
arithmetic, hashing and equality, so a check done on it proves nothing about the number or
name that is finally used. Every public entry of the runtime normalises its arguments here,
once, and works on the result only.
"""

from __future__ import annotations

import math
import operator
import os
from typing import SupportsIndex, cast

from .errors import InvalidInput, InvalidType

__all__ = ["byte_view", "env_flag", "exact_int", "exact_seconds", "exact_str"]

# The C-level conversions, looked up on the builtin types so that no override can intercept
# them: for an int (str) subclass they return an exact int (str) with the same value.
_int_of_int = int.__index__
_str_of_str = str.__str__


def exact_int(value: object, what: str) -> int:
    """``value`` as an exact ``int``: anything with ``__index__`` except ``bool``.

    ``bool`` is refused because where a size, count or pointer is expected it is almost
    always a mistake. Raises :class:`~wasmext.errors.InvalidType` naming ``what``.
    """
    if type(value) is int:
        return value
    if isinstance(value, bool) or not hasattr(type(value), "__index__"):
        raise InvalidType(f"{what} must be an int, not {type(value).__name__}")
    index = operator.index(cast("SupportsIndex", value))
    # CPython 3.9 passes an int subclass returned by __index__ through unchanged.
    return index if type(index) is int else _int_of_int(index)


def exact_str(value: object, what: str) -> str:
    """``value`` as an exact ``str`` (a subclass is copied into a plain one)."""
    if type(value) is str:
        return value
    if not isinstance(value, str):
        raise InvalidType(f"{what} must be a str, not {type(value).__name__}")
    return _str_of_str(value)


def exact_seconds(value: object, what: str) -> float:
    """``value`` (an ``int`` or ``float``, not ``bool``) as a finite, positive ``float``.

    Raises :class:`~wasmext.errors.InvalidType` or :class:`~wasmext.errors.InvalidInput`
    naming ``what``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidType(f"{what} must be a number of seconds, not {type(value).__name__}")
    # float.__float__ and int.__float__ from the builtins: no override of a subclass runs.
    seconds = float.__float__(value) if isinstance(value, float) else int.__float__(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise InvalidInput(f"{what} must be a positive, finite number of seconds, got {seconds}")
    return seconds


def byte_view(value: object, what: str, *, writable: bool = False) -> bytes | memoryview:
    """``value`` as ``bytes`` or a one-dimensional unsigned-byte view of it, without copying.

    Accepts any C-contiguous buffer (bytes, bytearray, memoryview, array.array, numpy arrays);
    ``writable`` also demands that it can be written (a guest's output is copied back into
    it). ``str`` is refused: text has no single byte encoding, so the caller must choose one.
    Raises :class:`~wasmext.errors.InvalidType` naming ``what``.
    """
    if type(value) is bytes and not writable:
        return value
    if isinstance(value, str):
        raise InvalidType(f"{what} must be a bytes-like object, not str (encode it first)")
    try:
        view = memoryview(value)  # type: ignore[arg-type]
    except TypeError:
        raise InvalidType(
            f"{what} must be a bytes-like object (bytes, bytearray, memoryview, array, numpy "
            f"array), not {type(value).__name__}"
        ) from None
    if writable and view.readonly:
        raise InvalidType(
            f"{what} must be a writable buffer (bytearray, array, numpy array), not the "
            f"read-only {type(value).__name__}: the guest's output is copied back into it"
        )
    if not view.c_contiguous:
        raise InvalidType(f"{what} must be a C-contiguous buffer")
    if view.ndim != 1 or view.format != "B":
        view = view.cast("B")
    return view


def env_flag(name: str) -> bool:
    """Whether the environment variable ``name`` is set to something other than off.

    Unset, empty, ``0``, ``false`` and ``no`` (any case, spaces ignored) are off.
    """
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")
