"""SHA-256 for the loader, without loading OpenSSL when CPython has its own.

``hashlib`` loads OpenSSL's libcrypto on import: about 4 ms, a quarter of the time that
importing wasmext and making a first call may add to ``import wasmtime`` (the cold-start
target, 1.25x, in ``cargo xtask bench``).  The loader
hashes a few hundred KiB (the artifact and its cached compiled code), for which CPython's
built-in SHA-256 (``_sha2`` from 3.12, ``_sha256`` before) is as good: it imports in a
tenth of the time and hashes within a millisecond.  Where neither exists, ``hashlib``.
"""

from __future__ import annotations

from typing import Callable, Protocol, cast

__all__ = ["sha256"]


class Hash(Protocol):
    """The part of a ``hashlib`` hash object the loader uses."""

    def digest(self) -> bytes:
        """The digest of what the object was given."""

    def hexdigest(self) -> str:
        """The same, as hex."""


def _constructor() -> Callable[[bytes], Hash]:
    for name in ("_sha2", "_sha256"):
        try:
            return cast("Callable[[bytes], Hash]", __import__(name).sha256)
        except (ImportError, AttributeError):
            continue
    import hashlib

    return hashlib.sha256


#: ``sha256(data)``: a hash object with ``digest()`` and ``hexdigest()``.
sha256 = _constructor()
