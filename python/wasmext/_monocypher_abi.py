"""The thin layer between :mod:`wasmext.monocypher` and the guest.

It knows the wasm32 layouts of Monocypher 4.0.2's structs, keeps the prepared
:class:`~wasmext.runtime.Function` handles of each thread's instance, and lays out every buffer
an operation needs in one arena allocation. It checks nothing: callers validate first.
"""

from __future__ import annotations

import struct
import threading
from typing import TYPE_CHECKING

from . import _forksafe

if TYPE_CHECKING:
    from ._monocypher_args import BytesLike
    from .runtime import Function, Guest, Instance

__all__ = [
    "AEAD_CTX_SIZE",
    "ARGON2_BLOCK_SIZE",
    "ARGON2_STRUCT",
    "BLAKE2B_CTX_SIZE",
    "POLY1305_CTX_SIZE",
    "SHA512_CTX_SIZE",
    "SHA512_HMAC_CTX_SIZE",
    "Backend",
    "Exports",
    "place",
    "shared_backend",
]

# wasm32 sizes of the incremental contexts, from the struct definitions in monocypher.h and
# optional/monocypher-ed25519.h (uint64_t aligned to 8, size_t and pointers 4 bytes). None of
# them holds a pointer, so their bytes can be moved between addresses and in and out of linear
# memory: the incremental classes rely on that.
AEAD_CTX_SIZE = 48  # u64 counter, u8 key[32], u8 nonce[8]
BLAKE2B_CTX_SIZE = 216  # u64 hash[8], u64 input_offset[2], u64 input[16], size_t idx, size_t size
POLY1305_CTX_SIZE = 72  # u8 c[16], size_t c_idx, u32 r[4], u32 pad[4], u32 h[5]
SHA512_CTX_SIZE = 216  # u64 hash[8], u64 input[16], u64 input_size[2], size_t idx, 4 padding
SHA512_HMAC_CTX_SIZE = 128 + SHA512_CTX_SIZE  # u8 key[128], crypto_sha512_ctx

# crypto_argon2_config {algorithm, nb_blocks, nb_passes, nb_lanes}, crypto_argon2_inputs
# {pass, salt, pass_size, salt_size} and crypto_argon2_extras {key, ad, key_size, ad_size}: four
# 32-bit fields each on wasm32, passed by pointer because the wasm32 C ABI passes structs
# indirectly.
ARGON2_STRUCT = struct.Struct("<4I")
ARGON2_BLOCK_SIZE = 1024

_ALIGN = 16  # what bump_alloc guarantees; more than any Monocypher type needs
_ONE_WRITE_MAX = 4096  # blocks up to this size are written in one go (see place)


class Exports:
    """The guest's exports on one instance, as prepared handles (the runtime's fast path).

    Attributes are the C names (``x.crypto_aead_lock(...)``); each handle is prepared on first
    use and cached on this object. One ``Exports`` belongs to one thread, like its instance.
    """

    def __init__(self, instance: Instance) -> None:
        """Bind to ``instance``; no handle is prepared until it is used."""
        self.instance = instance

    def __getattr__(self, name: str) -> Function:
        """Prepare the export ``name`` and cache it as an attribute (called once per name)."""
        if name.startswith("__"):
            raise AttributeError(name)
        function = self.instance.function(name)
        setattr(self, name, function)
        return function


class Backend:
    """Where a :mod:`wasmext.monocypher` operation runs: a guest and its per-thread instances.

    ``guest=None`` means the bundled ``monocypher.wasm``, loaded on first use. Each thread
    gets its own instance from :meth:`Guest.instance` (a wasmtime store is never shared between
    threads), so one backend serves any number of threads.
    """

    def __init__(self, guest: Guest | None = None) -> None:
        """Use ``guest``, or the bundled Monocypher artifact when it is ``None``."""
        self._guest = guest
        self._guest_lock = _forksafe.lock(_forksafe.BACKEND)
        self._local = threading.local()

    @property
    def guest(self) -> Guest:
        """The :class:`~wasmext.runtime.Guest` whose instances run the operations."""
        guest = self._guest
        if guest is None:
            with self._guest_lock:
                if self._guest is None:
                    from .runtime import bundled

                    self._guest = bundled("monocypher")
                guest = self._guest
        return guest

    @property
    def instance(self) -> Instance:
        """The calling thread's instance: the linear memory its operations use."""
        return self._exports().instance

    def _exports(self) -> Exports:
        """Return the calling thread's exports, rebuilt when the runtime replaced its instance."""
        instance = self.guest.instance()
        exports: Exports | None = getattr(self._local, "exports", None)
        if exports is None or exports.instance is not instance:
            exports = Exports(instance)
            self._local.exports = exports
        return exports

    def _fixed_output(self, export: str, size: int, *inputs: BytesLike) -> bytes:
        """Call ``export(out, *inputs)`` for a function whose output is ``size`` bytes."""
        exports = self._exports()
        instance = exports.instance
        with instance.arena():
            out, *pointers = place(instance, size, *inputs)
            getattr(exports, export)(out, *pointers)
            return instance.read(out, size)

    def _status(self, export: str, *inputs: BytesLike) -> int:
        """Call ``export(*inputs)`` for a function returning a C ``int`` status (0 = success)."""
        exports = self._exports()
        instance = exports.instance
        with instance.arena():
            result = getattr(exports, export)(*place(instance, *inputs))
            return int(result)


_shared: Backend | None = None
_shared_lock = _forksafe.lock(_forksafe.BACKEND)


def shared_backend() -> Backend:
    """Return the process-wide backend over the bundled artifact (for objects given none)."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = Backend()
    return _shared


def place(instance: Instance, *items: int | BytesLike) -> list[int]:
    """Allocate one arena block for ``items`` and return a pointer to each.

    An ``int`` reserves that many zeroed bytes (an output); a buffer is copied in (an input).
    Each item starts on a 16-byte boundary. Call inside ``instance.arena()``: the block is
    wiped and released by its reset.

    A small block is assembled in a scratch buffer and copied in one write (each write is a
    locked call into the runtime); the scratch buffer is zeroed right after, since it holds
    keys and plaintexts. A large block gets one write per input, so big inputs are copied
    once, straight from the caller's buffer.
    """
    offsets = []
    total = 0
    for item in items:
        offsets.append(total)
        size = item if isinstance(item, int) else len(item)
        total += (size + _ALIGN - 1) & -_ALIGN
    base = instance.alloc(total)  # GuestMemoryError beyond the arena, a cap or 4 GiB
    if total <= _ONE_WRITE_MAX:
        image = bytearray(total)  # zeros where the outputs go, as in fresh arena memory
        for item, offset in zip(items, offsets):
            if not isinstance(item, int):
                image[offset : offset + len(item)] = item
        try:
            instance.write(base, image)
        finally:
            image[:] = bytes(total)
        return [base + offset for offset in offsets]
    pointers = []
    for item, offset in zip(items, offsets):
        pointer = base + offset
        if not isinstance(item, int) and len(item):
            instance.write(pointer, item)
        pointers.append(pointer)
    return pointers
