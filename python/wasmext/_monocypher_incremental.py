"""Incremental interfaces: hash, MAC and authenticated-stream objects.

Where the state lives
    Monocypher's contexts (``crypto_blake2b_ctx`` and friends) are plain bytes with no pointers
    inside, so an object here keeps its context in a private ``bytearray`` *outside* linear
    memory. Each call copies the context into the thread's scratch block next to its input,
    runs one Monocypher function, copies the context back into the object and zeroes the
    block. Between calls nothing of the object is in the guest, so:

    * nothing else on the same instance (other operations, an arena ``reset()``) can clobber
      a context, and a context cannot leak into a memory dump taken between calls;
    * an object is not tied to an instance or a thread: any thread may use it (calls on one
      object are serialised by a lock), and a guest trap loses nothing.

    The copy costs two memcpy's of at most 344 bytes per call, small next to a guest call.

Lifetime and wiping
    The Python copy of a context holds secrets (the key of a keyed hash, HMAC or AEAD stream,
    Poly1305's one-time key). It is overwritten with zeros when the object is closed:
    ``close()``, the end of a ``with`` block, :meth:`Poly1305.digest` (a one-time MAC is
    finished by its digest), or garbage collection (a ``weakref.finalize``, which also runs at
    interpreter exit). Using a closed object raises :class:`~wasmext.errors.InvalidInput`.
    :meth:`Blake2b.digest` and friends follow :mod:`hashlib`: they do not end the object, so
    close it (or use ``with``) when the key must go. Bytes objects the interpreter creates
    along the way (arguments, results) are immutable and outside any library's control; the
    context itself comes back from the guest straight into the object's ``bytearray``.

Pickling and copying
    The objects refuse ``pickle``, ``copy.copy`` and ``copy.deepcopy`` with
    :class:`~wasmext.errors.InvalidType`: a pickle would carry the secret context out of the
    object (to another process, a file, a log), where nothing wipes it. A hash's own
    ``copy()`` makes an in-process copy; Poly1305 and AEAD streams have none, since a copy
    would authenticate or encrypt two messages under one key. Send the data to the process
    that holds the object instead.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Callable, ClassVar, Literal, NoReturn, SupportsIndex, TypeVar

from . import _forksafe
from ._monocypher_args import BytesLike, buffer, fixed
from ._monocypher_bindings import (
    AEAD_CTX_SIZE,
    BLAKE2B_CTX_SIZE,
    POLY1305_CTX_SIZE,
    SHA512_CTX_SIZE,
    SHA512_HMAC_CTX_SIZE,
    Backend,
    Bindings,
    shared_bindings,
)
from ._monocypher_hashing import blake2b_key, blake2b_size
from ._values import exact_str
from .errors import ForgeryError, InvalidInput, InvalidType, ReentrantCall

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["AeadContext", "Blake2b", "HmacSha512", "Poly1305", "Sha512"]

_Self = TypeVar("_Self", bound="_Context")
_AEAD_NONCE_SIZES = {"x": 24, "djb": 8, "ietf": 12}
_CONTEXT_SLOTS = frozenset({"_backend", "_bindings", "_state", "_mutex", "_wipe"})


def _zero(state: bytearray) -> None:
    """Overwrite ``state`` in place (same length: no reallocation, no stale copy)."""
    state[:] = bytes(len(state))


class _Context:
    """A Monocypher context kept outside linear memory (see the module docstring)."""

    _STATE_SIZE: ClassVar[int]
    #: What the context holds, and what to do instead of pickling: the refusal's message.
    _SECRET: ClassVar[str] = "a key"
    _INSTEAD: ClassVar[str] = "send the data to the process that holds the object instead"

    def __init__(self, backend: Backend | None) -> None:
        """Start with a zeroed context; subclasses then run the Monocypher ``init``."""
        found: object = shared_bindings() if backend is None else getattr(backend, "bindings", None)
        if not isinstance(found, Bindings):
            raise InvalidType(f"backend must be a Monocypher, not {type(backend).__name__}")
        bindings = found
        self._backend = backend
        self._bindings = bindings
        self._state = bytearray(self._STATE_SIZE)
        self._mutex = _forksafe.lock(_forksafe.OBJECT)
        self._wipe = weakref.finalize(self, _zero, self._state)

    @property
    def closed(self) -> bool:
        """Whether the object was closed (its secrets wiped); it is unusable then."""
        return not self._wipe.alive

    def close(self) -> None:
        """Wipe the context. Idempotent; the object is unusable afterwards."""
        self._refuse_reentry()
        with self._mutex:
            self._wipe()

    def _refuse_reentry(self) -> None:
        # The thread holding the mutex is half-way through an update of the context: a use
        # from a signal handler or __del__ in between would be lost or undone.
        if self._mutex._is_owned():  # type: ignore[attr-defined]
            raise ReentrantCall(
                f"this {type(self).__name__} is in the middle of an update on this thread "
                "(a signal handler or __del__ used it): use another object there"
            )

    def __reduce_ex__(self, protocol: SupportsIndex) -> NoReturn:
        # Also what copy.copy and copy.deepcopy call: see "Pickling and copying" above.
        raise InvalidType(
            f"{type(self).__name__} objects cannot be pickled or copied by copy/pickle: their "
            f"context holds {self._SECRET}, which must not leave the object; {self._INSTEAD}"
        )

    def __enter__(self: _Self) -> _Self:
        """Return self; the ``with`` block closes (wipes) the object on exit."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the object."""
        self.close()

    def _run(
        self,
        export: str,
        output: int,
        inputs: tuple[BytesLike, ...],
        arguments: Callable[..., tuple[int, ...]],
        *,
        keep: bool = True,
        read_first_input: bool = False,
    ) -> tuple[int | None, list[bytes]]:
        """Run ``export`` on this object's context as one call in the thread's scratch block.

        The block holds the context, then ``output`` bytes for a result, then each input.
        ``arguments(ctx, out, *inputs)`` turns their addresses into the export's arguments.
        With ``keep``, the context the call leaves is copied back into the object (in place,
        no copy in between), once the outputs are out, unless the call returned a nonzero
        status: a failed call changes nothing, whatever way it failed. Returns the status and
        the output, followed by the first input as the call left it with ``read_first_input``
        (a text encrypted or decrypted in place).
        """
        self._refuse_reentry()
        with self._mutex:
            if not self._wipe.alive:
                raise InvalidInput(f"this {type(self).__name__} is closed")
            return self._bindings.with_context(
                self._state, export, output, inputs, arguments, keep, read_first_input
            )

    def _clone(self: _Self) -> _Self:
        """Return a new open object of the same class with a copy of this context."""
        other = type(self).__new__(type(self))
        _Context.__init__(other, self._backend)
        for name, value in vars(self).items():
            if name not in _CONTEXT_SLOTS:  # parameters such as a Blake2b's digest_size
                setattr(other, name, value)
        self._refuse_reentry()
        with self._mutex:
            if not self._wipe.alive:
                raise InvalidInput(f"this {type(self).__name__} is closed")
            other._state[:] = self._state
        return other


class _Hash(_Context):
    """What the three hashes share: :mod:`hashlib`'s object interface."""

    name: str
    digest_size: int
    block_size = 128
    _SECRET = "the state of everything fed so far (and any key)"
    _INSTEAD = (
        "use its copy() method for a copy in this process, or send the data to the process "
        "that hashes it"
    )
    _UPDATE: ClassVar[str]
    _FINAL: ClassVar[str]

    def update(self, msg: BytesLike) -> None:
        """Feed more of the message."""
        msg = buffer("msg", msg)
        size = len(msg)
        self._run(self._UPDATE, 0, (msg,), lambda ctx, _, m: (ctx, m, size))

    def digest(self) -> bytes:
        """Return the digest of everything fed so far; the object stays usable (as in hashlib)."""
        # The object keeps its context: finalising works on the guest's copy only.
        _, (digest,) = self._run(
            self._FINAL, self.digest_size, (), lambda ctx, out: (ctx, out), keep=False
        )
        return digest

    def hexdigest(self) -> str:
        """:meth:`digest` as lowercase hex."""
        return self.digest().hex()

    def copy(self: _Self) -> _Self:
        """Return an independent copy of the current state (close it too when keyed)."""
        return self._clone()

    def _start(self, init: str, key: BytesLike | None, msg: BytesLike) -> None:
        """Run ``init(ctx, ...)`` (with ``key`` when there is one), then an update with ``msg``."""
        msg = buffer("msg", msg)
        if key is None:
            self._run(init, 0, (), lambda ctx, _: (ctx,))
        else:
            key_size = len(key)
            self._run(init, 0, (key,), lambda ctx, _, k: self._init_arguments(ctx, k, key_size))
        if len(msg):
            self.update(msg)

    def _init_arguments(self, ctx: int, key: int, key_size: int) -> tuple[int, ...]:
        """The arguments of a keyed ``init``, given the addresses of the context and key."""
        return (ctx, key, key_size)


class Blake2b(_Hash):
    """Incremental BLAKE2b, like ``hashlib.blake2b`` (``update``/``digest``/``copy``).

    Args:
        msg: Optional first part of the message.
        size: Digest size in bytes, 1 to 64.
        key: Optional key, up to 64 bytes (then it is a MAC; close the object when done).
        backend: The :class:`~wasmext.monocypher.Monocypher` to run on (default: bundled).

    """

    name = "blake2b"
    _STATE_SIZE = BLAKE2B_CTX_SIZE
    _UPDATE = "crypto_blake2b_update"
    _FINAL = "crypto_blake2b_final"

    def __init__(
        self,
        msg: BytesLike = b"",
        size: int = 64,
        key: BytesLike = b"",
        *,
        backend: Backend | None = None,
    ) -> None:
        """Start a hash; see the class docstring."""
        self.digest_size = blake2b_size(size)
        key = blake2b_key(key)
        super().__init__(backend)
        self._start("crypto_blake2b_keyed_init", key, msg)

    def _init_arguments(self, ctx: int, key: int, key_size: int) -> tuple[int, ...]:
        """``crypto_blake2b_keyed_init(ctx, hash_size, key, key_size)``."""
        return (ctx, self.digest_size, key, key_size)


class Sha512(_Hash):
    """Incremental SHA-512, like ``hashlib.sha512``."""

    name = "sha512"
    digest_size = 64
    _STATE_SIZE = SHA512_CTX_SIZE
    _UPDATE = "crypto_sha512_update"
    _FINAL = "crypto_sha512_final"

    def __init__(self, msg: BytesLike = b"", *, backend: Backend | None = None) -> None:
        """Start a hash, optionally with a first part of the message."""
        super().__init__(backend)
        self._start("crypto_sha512_init", None, msg)


class HmacSha512(_Hash):
    """Incremental HMAC-SHA-512, like ``hmac.new(key, msg, "sha512")``.

    The object holds key material: close it (or use ``with``) when done.
    """

    name = "hmac-sha512"
    digest_size = 64
    _STATE_SIZE = SHA512_HMAC_CTX_SIZE
    _UPDATE = "crypto_sha512_hmac_update"
    _FINAL = "crypto_sha512_hmac_final"

    def __init__(
        self, key: BytesLike, msg: BytesLike = b"", *, backend: Backend | None = None
    ) -> None:
        """Start a MAC under ``key`` (any length), optionally with a first part of ``msg``."""
        key = buffer("key", key)
        super().__init__(backend)
        # crypto_sha512_hmac_init(ctx, key, key_size): the default keyed init arguments.
        self._start("crypto_sha512_hmac_init", key, msg)


class Poly1305(_Context):
    """Incremental Poly1305 one-time authenticator.

    :meth:`digest` finishes the object (a one-time key must not authenticate anything else)
    and wipes it.
    """

    digest_size = 16
    _STATE_SIZE = POLY1305_CTX_SIZE
    _SECRET = "the one-time key"
    _INSTEAD = (
        "a copy would authenticate two messages under one one-time key; feed the message to "
        "this object, in its process, instead"
    )

    def __init__(self, key: BytesLike, *, backend: Backend | None = None) -> None:
        """Start a MAC under the 32-byte one-time ``key``."""
        key = fixed("key", key, 32)
        super().__init__(backend)
        self._run("crypto_poly1305_init", 0, (key,), lambda ctx, _, k: (ctx, k))

    def update(self, msg: BytesLike) -> None:
        """Feed more of the message."""
        msg = buffer("msg", msg)
        size = len(msg)
        self._run("crypto_poly1305_update", 0, (msg,), lambda ctx, _, m: (ctx, m, size))

    def digest(self) -> bytes:
        """Return the 16-byte MAC of everything fed, and close (wipe) the object."""
        _, (mac,) = self._run(
            "crypto_poly1305_final", self.digest_size, (), lambda ctx, out: (ctx, out), keep=False
        )
        self.close()
        return mac


class AeadContext(_Context):
    """An authenticated stream: a sequence of messages under one key and nonce.

    Each :meth:`write` returns ``(mac, ciphertext)`` and then ratchets the key, so messages
    must be read back in the same order with :meth:`read`. The first message is the same as
    a one-shot box: :func:`~wasmext.monocypher.aead_lock` for ``variant="x"``, RFC 8439
    ChaCha20-Poly1305 (libsodium's ``crypto_aead_chacha20poly1305_ietf_encrypt``) for
    ``variant="ietf"``.

    Args:
        key: The 32-byte secret key.
        nonce: Never reused with ``key``: 24 bytes for ``"x"`` (XChaCha20, random nonces are
            safe), 8 for ``"djb"``, 12 for ``"ietf"``.
        variant: ``"x"`` (``crypto_aead_init_x``), ``"djb"`` or ``"ietf"``.
        backend: The :class:`~wasmext.monocypher.Monocypher` to run on (default: bundled).

    The object holds the current key: close it (or use ``with``) when the stream ends.

    """

    _STATE_SIZE = AEAD_CTX_SIZE
    _SECRET = "the stream's current key"
    _INSTEAD = (
        "a copy would encrypt two messages under one key and nonce; run the stream in one "
        "process and send the (mac, ciphertext) pairs instead"
    )

    def __init__(
        self,
        key: BytesLike,
        nonce: BytesLike,
        *,
        variant: Literal["x", "djb", "ietf"] = "x",
        backend: Backend | None = None,
    ) -> None:
        """Start a stream; see the class docstring."""
        variant = exact_str(variant, "variant")  # type: ignore[assignment]
        if variant not in _AEAD_NONCE_SIZES:
            raise InvalidInput(f"variant must be 'x', 'djb' or 'ietf', got {variant!r}")
        key = fixed("key", key, 32)
        nonce = fixed("nonce", nonce, _AEAD_NONCE_SIZES[variant])
        super().__init__(backend)
        self.variant = variant
        self._run(f"crypto_aead_init_{variant}", 0, (key, nonce), lambda ctx, _, k, n: (ctx, k, n))

    def write(self, text: BytesLike, ad: BytesLike = b"") -> tuple[bytes, bytes]:
        """Encrypt and authenticate the next message: ``(mac, ciphertext)``."""
        text = buffer("text", text)
        ad = buffer("ad", ad)
        size, ad_size = len(text), len(ad)
        # crypto_aead_write(ctx, cipher_text, mac, ad, ad_size, plain_text, text_size), in place.
        _, (mac, ciphertext) = self._run(
            "crypto_aead_write",
            16,
            (text, ad),
            lambda ctx, mac, t, a: (ctx, t, mac, a, ad_size, t, size),
            read_first_input=True,
        )
        return mac, ciphertext

    def read(self, text: BytesLike, mac: BytesLike, ad: BytesLike = b"") -> bytes:
        """Check and decrypt the next message.

        Raises:
            ForgeryError: It was forged, corrupted, or out of order. The stream is unchanged,
                so the genuine message can still be read.

        """
        text = buffer("text", text)
        mac = fixed("mac", mac, 16)
        ad = buffer("ad", ad)
        size, ad_size = len(text), len(ad)
        # crypto_aead_read(ctx, plain_text, mac, ad, ad_size, cipher_text, text_size), in place.
        status, (plaintext,) = self._run(
            "crypto_aead_read",
            0,
            (text, mac, ad),
            lambda ctx, _, t, m, a: (ctx, t, m, a, ad_size, t, size),
            read_first_input=True,
        )
        if status:
            raise ForgeryError("the message failed authentication: forged or corrupted")
        return plaintext
