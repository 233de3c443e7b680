"""The thin layer between :mod:`wasmext.monocypher` and the guest.

It knows the wasm32 layouts of Monocypher 4.0.2's structs and keeps, for each thread, the
prepared :class:`~wasmext.runtime.Function` handles of its instance and the instance's scratch
block (host-owned linear memory, see ``_scratch.py``). An operation lays its buffers out in that
block and runs as one guest call: inputs copied in, the call, outputs copied out, the block
zeroed. It checks nothing: callers validate first.
"""

from __future__ import annotations

import struct
import threading
from typing import TYPE_CHECKING

from . import _forksafe
from ._instance import RETAINED_MEMORY

if TYPE_CHECKING:
    from ._monocypher_args import BytesLike
    from ._scratch import Scratch
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
    "Session",
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


class Session:
    """One thread's way into its instance: prepared exports and the scratch block.

    The exports are attributes named after the C functions (``session.crypto_aead_lock``),
    each prepared on first use; :attr:`scratch` is the instance's host-owned block.

    Built for one instance; :meth:`Backend._session` builds a new one when the runtime replaces
    the instance after a trap.
    """

    def __init__(self, instance: Instance) -> None:
        """Bind to ``instance``; no handle is prepared until it is used."""
        self.instance = instance
        self.core = instance._core
        self.scratch: Scratch = instance._scratch()

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
        return self._session().instance

    def _session(self) -> Session:
        """Return the calling thread's session, rebuilt when its instance must be replaced.

        ``Guest.instance()`` replaces an instance when it is poisoned or oversized, so checking
        the cached session's instance for both is the same as asking the guest, and cheaper.
        """
        try:
            session: Session = self._local.session
            # (Attribute reads, not `instance.oversized`: this runs on every operation. The
            # arena half of that test needs no check here: Monocypher never uses the arena.)
            if session.core.poisoned is None and session.scratch.capacity <= RETAINED_MEMORY:
                return session
        except AttributeError:  # this thread's first operation
            pass
        session = self._local.session = Session(self.guest.instance())
        return session

    def _call(
        self,
        export: str,
        outputs: int,
        inputs: tuple[BytesLike, ...],
        tail: tuple[int, ...] = (),
        *,
        sized: bool = False,
        output_sized: bool = False,
    ) -> tuple[int | None, bytes]:
        """Call ``export(out, in_0, ..., in_n, *tail)`` in the scratch block.

        ``out`` is ``outputs`` bytes (left out of the arguments when 0), followed by its size
        when ``output_sized``; then each input is passed by address, followed by its size when
        ``sized``: the shapes of most Monocypher functions. Returns the call's result and the
        output.
        """
        session = self._session()
        scratch = session.scratch
        size = outputs
        for data in inputs:
            size += len(data)
        base, view = scratch.begin(size)
        try:
            args = [base] if outputs else []
            if output_sized:
                args.append(outputs)
            offset = outputs
            for data in inputs:
                view[offset : offset + len(data)] = data
                args.append(base + offset)
                if sized:
                    args.append(len(data))
                offset += len(data)
            args += tail
            status = getattr(session, export)._call_trusted(args)
            return status, view[:outputs].tobytes()
        finally:
            scratch.end(size)

    def _fixed_output(self, export: str, size: int, *inputs: BytesLike) -> bytes:
        """Call ``export(out, *inputs)`` for a function whose output is ``size`` bytes."""
        return self._call(export, size, inputs)[1]

    def _status(self, export: str, *inputs: BytesLike) -> int:
        """Call ``export(*inputs)`` for a function returning a C ``int`` status (0 = success)."""
        return int(self._call(export, 0, inputs)[0] or 0)


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
