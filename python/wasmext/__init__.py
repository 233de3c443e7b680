"""wasmext: extend Python with small, sandboxed WebAssembly guests.

- :mod:`wasmext.runtime`: load guests and call them (:class:`Guest`, :func:`bundled`).
- :mod:`wasmext.twosum`: a drop-in two-sum backed by a Rust guest.
- :mod:`wasmext.monocypher`: the whole Monocypher 4 API (AEAD, hashes, X25519, EdDSA, Argon2…).
- :mod:`wasmext.errors`: the exception hierarchy (root :class:`WasmextError`).
- :func:`deadline` and :func:`interrupt_on`: stopping interruptible guests' calls.
"""

from __future__ import annotations

from ._interrupts import deadline, interrupt_on
from .errors import (
    ForgeryError,
    GuestBudgetExceeded,
    GuestInterrupted,
    GuestMemoryError,
    GuestTimeout,
    GuestTrap,
    InvalidInput,
    InvalidModule,
    InvalidType,
    OutOfBounds,
    ReentrantCall,
    StackTooSmall,
    WasmextError,
)
from .runtime import Function, Guest, Instance, bundled

__version__ = "0.1.0"

__all__ = [
    "ForgeryError",
    "Function",
    "Guest",
    "GuestBudgetExceeded",
    "GuestInterrupted",
    "GuestMemoryError",
    "GuestTimeout",
    "GuestTrap",
    "Instance",
    "InvalidInput",
    "InvalidModule",
    "InvalidType",
    "OutOfBounds",
    "ReentrantCall",
    "StackTooSmall",
    "WasmextError",
    "__version__",
    "bundled",
    "deadline",
    "interrupt_on",
]
