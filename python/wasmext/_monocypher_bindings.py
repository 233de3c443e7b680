"""The only layer of :mod:`wasmext.monocypher` that touches guest memory.

It knows the wasm32 layouts of Monocypher 4.0.2's structs and of the guest's exports (both
written down once, in ``docs/abi.md``), lays each operation out in the calling thread's scratch
block (host-owned linear memory, see ``_scratch.py``), runs it as one guest call, copies the
outputs out and maps status codes to exceptions. Every operation goes through
:meth:`Bindings._run`, the one place that takes the block and wipes it. Nothing here checks
arguments: the public classes (``_monocypher_ciphers.py`` and its siblings) do that first, and
call these methods with buffers of the right sizes and ints in range.
"""

from __future__ import annotations

import struct
import threading
from typing import TYPE_CHECKING, Any, Callable, Protocol, TypeVar

from . import _forksafe
from ._core import RETAINED_MEMORY
from ._scratch import PAGE, ZEROS
from .errors import ForgeryError, WasmextError

if TYPE_CHECKING:
    from ._monocypher_args import BytesLike
    from ._scratch import Scratch
    from .runtime import Function, Guest, Instance

__all__ = [
    "AEAD_CTX_SIZE",
    "ARGON2_STRUCT",
    "BLAKE2B_CTX_SIZE",
    "KEY_SIZE",
    "MAC_SIZE",
    "NONCE_SIZE",
    "POLY1305_CTX_SIZE",
    "SHA512_CTX_SIZE",
    "SHA512_HMAC_CTX_SIZE",
    "Backend",
    "Bindings",
    "shared_bindings",
]

# wasm32 sizes of the incremental contexts (uint64_t aligned to 8, size_t and pointers 4
# bytes; see docs/abi.md). None of them holds a pointer, so their bytes can be moved between
# addresses and in and out of linear memory: the incremental classes rely on that.
AEAD_CTX_SIZE = 48
BLAKE2B_CTX_SIZE = 216
POLY1305_CTX_SIZE = 72
SHA512_CTX_SIZE = 216
SHA512_HMAC_CTX_SIZE = 128 + SHA512_CTX_SIZE

KEY_SIZE = 32
NONCE_SIZE = 24
MAC_SIZE = 16

# crypto_argon2_config, crypto_argon2_inputs and crypto_argon2_extras: four 32-bit fields each
# on wasm32, passed by pointer (the wasm32 C ABI passes structs indirectly).
ARGON2_STRUCT = struct.Struct("<4I")
_ARGON2_BLOCK_SIZE = 1024
_ARGON2_ALGORITHMS = {"argon2d": 0, "argon2i": 1, "argon2id": 2}

# The block of a box, as aead_lock_packed/aead_unlock_packed take it (the raw ChaCha20 and
# Poly1305 layouts share it): key at 0, nonce at 32 (up to 24 bytes), MAC at 64, then the text,
# encrypted or decrypted in place, then the additional data.
_NONCE_AT = KEY_SIZE
_MAC_AT = 64
_TEXT_AT = _MAC_AT + MAC_SIZE
_FORGED = -1  # the packed exports' status for a box that failed authentication
_BLAKE2B_MAX = 64  # the largest digest, and the largest key

_Result = TypeVar("_Result")


def _rejected(export: str, *args: int) -> WasmextError:
    # Only a broken artifact gets here: every block lies inside memory.
    return WasmextError(f"the monocypher guest rejected {export}{args}")


class Session:
    """One instance's way in: its scratch block and its exports, prepared on first use.

    The exports are attributes named after the C functions (``session.crypto_aead_lock``).
    """

    def __init__(self, instance: Instance) -> None:
        """Bind to ``instance``; no handle is prepared until it is used."""
        self.instance = instance
        self.scratch: Scratch = instance.scratch

    def __getattr__(self, name: str) -> Function:
        """Prepare the export ``name`` and cache it as an attribute (called once per name)."""
        if name.startswith("__"):
            raise AttributeError(name)
        function = self.instance.function(name)
        setattr(self, name, function)
        return function


class Bindings:
    """Monocypher's exports on one guest, for every thread (each on its own instance).

    ``guest=None`` means the bundled ``monocypher.wasm``, loaded on first use.
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

    def forget_session(self) -> None:
        """Drop this thread's session: the next operation asks ``Guest.instance()`` again."""
        vars(self._local).pop("session", None)

    def _session(self) -> Session:
        """The calling thread's session, rebuilt when its instance must be replaced.

        ``Guest.instance()`` replaces an instance when it is poisoned or oversized; Monocypher
        never uses the arena, so the scratch block alone says whether that is due.
        """
        try:
            session: Session = self._local.session
        except AttributeError:  # this thread's first operation
            pass
        else:
            # Retired if poisoned or oversized (then Guest.instance() replaces it), read as plain
            # attributes: a property call costs a tenth of a small operation.
            scratch = session.scratch
            if scratch.core.poisoned is None and scratch.block[1] <= RETAINED_MEMORY:
                return session
        return self._new_session()

    def _new_session(self) -> Session:
        """A session on the thread's instance, as ``Guest.instance()`` gives it now.

        That creates the thread's instance on this thread, which checks that its stack can
        run guests: every session's thread has passed that check.
        """
        session = self._local.session = Session(self.guest.instance())
        return session

    # ------------------------------------------------------------------- the one skeleton

    def _run(
        self,
        size: int,
        dirty: int | None,
        body: Callable[[Session, int, memoryview, Any], _Result],
        args: Any,
    ) -> _Result:
        """``body(session, base, view, args)`` on a block of ``size`` bytes, then the wipe.

        ``dirty`` (default ``size``) is how much of the block the operation may leave nonzero.
        The lock is taken by ``with``, and the wipe runs in ``finally`` twice over: an
        exception (a signal handler raises between any two bytecodes) can cut the first
        attempt short, and :attr:`Scratch.dirty` stays set until a wipe has finished.
        ``args`` is one tuple rather than ``*args``: this is every operation's hot path.
        """
        # _session()'s common case spelled out: a method call is a tenth of a small operation.
        session = self._local.__dict__.get("session")
        if session is None:
            session = self._new_session()
            scratch = session.scratch
        else:
            scratch = session.scratch
            if scratch.core.poisoned is not None or scratch.block[1] > RETAINED_MEMORY:
                session = self._new_session()
                scratch = session.scratch
        if scratch.lock._is_owned():  # type: ignore[attr-defined]
            # This thread is in the middle of an operation on this instance: a signal handler
            # or a __del__ ran between two of its bytecodes and came here. Its block is in use,
            # so the nested operation runs on an instance of its own.
            session = Session(self.guest.new_instance())
            scratch = session.scratch
        with scratch.lock:
            block = scratch.block
            if size > block[1]:
                base, view = scratch.take(size, dirty)  # the block grows
            else:
                # Scratch.take()'s common case, inline (a method call is a twentieth of a
                # small operation): the dirty mark before anything is written.
                used = size if dirty is None else dirty
                if used > scratch.dirty:
                    scratch.dirty = used
                base, view = block[0], block[3]
            try:
                try:
                    return body(session, base, view, args)
                finally:
                    # Scratch.wipe()'s common case, inline.
                    used = scratch.dirty
                    if used <= PAGE:
                        scratch.block[3][:used] = ZEROS[:used]
                        scratch.dirty = 0
                    else:
                        scratch.wipe()
            finally:
                if scratch.dirty:
                    scratch.wipe()

    # ------------------------------------------------------------------- operations

    def call(
        self,
        export: str,
        outputs: int,
        inputs: tuple[BytesLike, ...],
        tail: tuple[int, ...] = (),
        *,
        sized: bool = False,
        output_sized: bool = False,
    ) -> tuple[int | None, bytes]:
        """``export(out, in_0, ..., in_n, *tail)``: the shape of most Monocypher functions.

        ``out`` is ``outputs`` bytes (left out of the arguments when 0), followed by its size
        when ``output_sized``; each input is passed by address, followed by its size when
        ``sized``. Returns the call's result and the output.
        """
        size = outputs
        for data in inputs:
            size += len(data)
        return self._run(
            size, None, _call_body, (export, outputs, inputs, tail, sized, output_sized)
        )

    def fixed_output(self, export: str, size: int, *inputs: BytesLike) -> bytes:
        """``export(out, *inputs)`` for a function whose output is ``size`` bytes."""
        return self.call(export, size, inputs)[1]

    def status(self, export: str, *inputs: BytesLike) -> int:
        """``export(*inputs)`` for a function that returns a C ``int`` status (0: success)."""
        return int(self.call(export, 0, inputs)[0] or 0)

    def aead_lock(
        self, text: BytesLike, key: BytesLike, nonce: BytesLike, ad: BytesLike
    ) -> tuple[bytes, bytes]:
        """``crypto_aead_lock`` of ``text``: ``(mac, ciphertext)``."""
        end = _TEXT_AT + len(text)
        return self._run(end + len(ad), None, _aead_lock_body, (text, key, nonce, ad, end))

    def aead_unlock(
        self, text: BytesLike, mac: BytesLike, key: BytesLike, nonce: BytesLike, ad: BytesLike
    ) -> bytes:
        """``crypto_aead_unlock`` of ``text``: the plaintext, or :class:`ForgeryError`."""
        end = _TEXT_AT + len(text)
        return self._run(end + len(ad), None, _aead_unlock_body, (text, mac, key, nonce, ad, end))

    def chacha20(
        self, export: str, text: BytesLike, key: BytesLike, nonce: BytesLike, ctr: int
    ) -> bytes:
        """``export(out, in, size, key, nonce, ctr)``, one of the three ChaCha20 variants."""
        return self._run(
            _TEXT_AT + len(text), None, _chacha20_body, (export, text, key, nonce, ctr)
        )

    def poly1305(self, msg: BytesLike, key: BytesLike) -> bytes:
        """``crypto_poly1305(mac, msg, msg_size, key)``: the 16-byte MAC."""
        return self._run(_TEXT_AT + len(msg), None, _poly1305_body, (msg, key))

    def blake2b(self, msg: BytesLike, size: int, key: BytesLike) -> bytes:
        """``crypto_blake2b`` (or ``_keyed`` when ``key`` is not empty): the digest."""
        msg_at = _BLAKE2B_MAX + len(key)
        return self._run(msg_at + len(msg), None, _blake2b_body, (msg, size, key, msg_at))

    def argon2(
        self,
        algorithm: str,
        nb_blocks: int,
        nb_passes: int,
        nb_lanes: int,
        size: int,
        buffers: tuple[BytesLike, BytesLike, BytesLike, BytesLike],
    ) -> bytes:
        """``crypto_argon2`` over ``(password, salt, key, ad)``: the ``size``-byte hash.

        The layout: the three structs, the hash, the four buffers, then the work area,
        8-aligned. Only what precedes the work area is wiped here: ``crypto_argon2`` wipes
        the work area itself, and it is the bulk.
        """
        hash_at = 3 * ARGON2_STRUCT.size
        offsets = [hash_at + size]
        for data in buffers[:3]:
            offsets.append(offsets[-1] + len(data))
        work_at = (offsets[-1] + len(buffers[3]) + 7) & -8
        config = (_ARGON2_ALGORITHMS[algorithm], nb_blocks, nb_passes, nb_lanes)
        total = work_at + nb_blocks * _ARGON2_BLOCK_SIZE
        return self._run(
            total, work_at, _argon2_body, (config, size, buffers, offsets, hash_at, work_at)
        )

    def key_pair(self, export: str, first_size: int, seed: BytesLike) -> tuple[bytes, bytes]:
        """``export(first, second, seed)``: a key pair of ``first_size`` and 32 bytes."""
        return self._run(
            first_size + 2 * KEY_SIZE, None, _key_pair_body, (export, first_size, seed)
        )

    def with_context(
        self,
        state: bytearray,
        export: str,
        output: int,
        inputs: tuple[BytesLike, ...],
        arguments: Callable[..., tuple[int, ...]],
        keep: bool,
        read_first_input: bool,
    ) -> tuple[int | None, list[bytes]]:
        """Run ``export`` on an incremental context kept outside linear memory (``state``).

        The block holds the context, then ``output`` bytes for a result, then each input;
        ``arguments(ctx, out, *inputs)`` turns their addresses into the export's arguments.
        With ``keep``, the context the call leaves is copied back into ``state`` once the
        outputs are out, unless the call returned a nonzero status: a failed call changes
        nothing. Returns the status and the output, followed by the first input as the call
        left it with ``read_first_input`` (a text encrypted or decrypted in place).
        """
        size = len(state) + output
        for data in inputs:
            size += len(data)
        return self._run(
            size,
            None,
            _context_body,
            (state, export, output, inputs, arguments, keep, read_first_input),
        )


class Backend(Protocol):
    """What the incremental classes run on: any object with :class:`Bindings` (a Monocypher)."""

    @property
    def bindings(self) -> Bindings:
        """The object's bindings (package-internal)."""


_shared: Bindings | None = None
_shared_lock = _forksafe.lock(_forksafe.BACKEND)


def shared_bindings() -> Bindings:
    """The process-wide bindings over the bundled artifact (for objects given no backend)."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = Bindings()
    return _shared


# ----------------------------------------------------------------------- layouts and calls
# Each runs inside Bindings._run, with the instance's lock held and the block taken: `base`
# is its guest address and `view` a writable view of it. They only write, call and read.


def _call_body(
    session: Session,
    base: int,
    view: memoryview,
    args: tuple[str, int, tuple[BytesLike, ...], tuple[int, ...], bool, bool],
) -> tuple[int | None, bytes]:
    export, outputs, inputs, tail, sized, output_sized = args
    arguments = [base] if outputs else []
    if output_sized:
        arguments.append(outputs)
    offset = outputs
    for data in inputs:
        view[offset : offset + len(data)] = data
        arguments.append(base + offset)
        if sized:
            arguments.append(len(data))
        offset += len(data)
    arguments += tail
    status = getattr(session, export)._call_trusted(arguments)
    return status, view[:outputs].tobytes()


def _aead_lock_body(
    session: Session,
    base: int,
    view: memoryview,
    args: tuple[BytesLike, BytesLike, BytesLike, BytesLike, int],
) -> tuple[bytes, bytes]:
    text, key, nonce, ad, end = args
    view[:KEY_SIZE] = key
    view[_NONCE_AT : _NONCE_AT + NONCE_SIZE] = nonce
    view[_TEXT_AT:end] = text
    ad_size = len(ad)
    if ad_size:
        view[end : end + ad_size] = ad
    # crypto_aead_lock in place on the block, in one call of three arguments.
    size = end - _TEXT_AT
    if session.aead_lock_packed._call_trusted((base, size, ad_size)):
        raise _rejected("aead_lock_packed", base, size, ad_size)
    return view[_MAC_AT:_TEXT_AT].tobytes(), view[_TEXT_AT:end].tobytes()


def _aead_unlock_body(
    session: Session,
    base: int,
    view: memoryview,
    args: tuple[BytesLike, BytesLike, BytesLike, BytesLike, BytesLike, int],
) -> bytes:
    text, mac, key, nonce, ad, end = args
    view[:KEY_SIZE] = key
    view[_NONCE_AT : _NONCE_AT + NONCE_SIZE] = nonce
    view[_MAC_AT:_TEXT_AT] = mac
    view[_TEXT_AT:end] = text
    ad_size = len(ad)
    if ad_size:
        view[end : end + ad_size] = ad
    size = end - _TEXT_AT
    status = session.aead_unlock_packed._call_trusted((base, size, ad_size))
    if status:
        if status == _FORGED:
            raise ForgeryError("the box failed authentication: forged or corrupted")
        raise _rejected("aead_unlock_packed", base, size, ad_size)
    return view[_TEXT_AT:end].tobytes()


def _chacha20_body(
    session: Session,
    base: int,
    view: memoryview,
    args: tuple[str, BytesLike, BytesLike, BytesLike, int],
) -> bytes:
    export, text, key, nonce, ctr = args
    size = len(text)
    end = _TEXT_AT + size
    view[:KEY_SIZE] = key
    view[_NONCE_AT : _NONCE_AT + len(nonce)] = nonce
    view[_TEXT_AT:end] = text
    at = base + _TEXT_AT  # XORed in place
    getattr(session, export)._call_trusted((at, at, size, base, base + _NONCE_AT, ctr))
    return view[_TEXT_AT:end].tobytes()


def _poly1305_body(
    session: Session, base: int, view: memoryview, args: tuple[BytesLike, BytesLike]
) -> bytes:
    msg, key = args
    size = len(msg)
    view[:KEY_SIZE] = key
    view[_TEXT_AT : _TEXT_AT + size] = msg
    session.crypto_poly1305._call_trusted((base + _MAC_AT, base + _TEXT_AT, size, base))
    return view[_MAC_AT:_TEXT_AT].tobytes()


def _blake2b_body(
    session: Session, base: int, view: memoryview, args: tuple[BytesLike, int, BytesLike, int]
) -> bytes:
    msg, size, key, msg_at = args
    msg_size = len(msg)
    view[msg_at : msg_at + msg_size] = msg
    key_size = len(key)
    if key_size:
        view[_BLAKE2B_MAX:msg_at] = key
        # This export scrubs the stack it used: upstream leaves the raw key there.
        session.crypto_blake2b_keyed._call_trusted(
            (base, size, base + _BLAKE2B_MAX, key_size, base + msg_at, msg_size)
        )
    else:
        session.crypto_blake2b._call_trusted((base, size, base + msg_at, msg_size))
    return view[:size].tobytes()


def _argon2_body(
    session: Session,
    base: int,
    view: memoryview,
    args: tuple[
        tuple[int, int, int, int],
        int,
        tuple[BytesLike, BytesLike, BytesLike, BytesLike],
        list[int],
        int,
        int,
    ],
) -> bytes:
    config, size, buffers, offsets, hash_at, work_at = args
    password, salt, key, ad = buffers
    p, s, k, a = (base + offset for offset in offsets)
    view[:hash_at] = b"".join((
        ARGON2_STRUCT.pack(*config),
        ARGON2_STRUCT.pack(p, s, len(password), len(salt)),
        ARGON2_STRUCT.pack(k, a, len(key), len(ad)),
    ))  # fmt: skip
    for offset, data in zip(offsets, buffers):
        view[offset : offset + len(data)] = data
    session.crypto_argon2._call_trusted(
        (base + hash_at, size, base + work_at, base, base + 16, base + 32)
    )
    return view[hash_at : hash_at + size].tobytes()


def _key_pair_body(
    session: Session, base: int, view: memoryview, args: tuple[str, int, BytesLike]
) -> tuple[bytes, bytes]:
    export, first_size, seed = args
    seed_at = first_size + KEY_SIZE
    view[seed_at : seed_at + KEY_SIZE] = seed
    getattr(session, export)._call_trusted((base, base + first_size, base + seed_at))
    return view[:first_size].tobytes(), view[first_size:seed_at].tobytes()


def _context_body(
    session: Session,
    base: int,
    view: memoryview,
    args: tuple[
        bytearray, str, int, tuple[BytesLike, ...], Callable[..., tuple[int, ...]], bool, bool
    ],
) -> tuple[int | None, list[bytes]]:
    state, export, output, inputs, arguments, keep, read_first_input = args
    out_at = len(state)
    view[:out_at] = state
    pointers = [base, base + out_at]
    offset = out_at + output
    for data in inputs:
        view[offset : offset + len(data)] = data
        pointers.append(base + offset)
        offset += len(data)
    status = getattr(session, export)._call_trusted(arguments(*pointers))
    results = [view[out_at : out_at + output].tobytes()] if output else []
    if read_first_input:
        first_at = out_at + output
        results.append(view[first_at : first_at + len(inputs[0])].tobytes())
    # Last, and in one slice assignment: a call that fails before its results are out (a
    # MemoryError copying a big text) must not move the context, or a stream would skip a key.
    if keep and not status:
        state[:] = view[:out_at]
    return status, results
