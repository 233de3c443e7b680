"""Monocypher 4.0.2, compiled to WebAssembly, with a typed Python API.

Quick start::

    from wasmext import monocypher

    key = monocypher.generate_key()
    mac, nonce, box = monocypher.aead_lock(b"attack at dawn", key)
    assert monocypher.aead_unlock(box, mac, key, nonce) == b"attack at dawn"

Everything in ``monocypher.h`` and ``optional/monocypher-ed25519.h`` is here: authenticated
encryption (one-shot and streaming), BLAKE2b, SHA-512 with HMAC and HKDF, Argon2, X25519,
EdDSA and Ed25519, Elligator 2, ChaCha20, Poly1305 and constant-time comparison. The output of
each function is byte-identical to the standard it names (checked against libsodium, OpenSSL,
hashlib, argon2-cffi and native Monocypher by the test suite).

Rules every function follows
    * Byte-string arguments accept bytes, bytearray, memoryview or any C-contiguous buffer, and
      never ``str``. A wrong type raises :class:`~wasmext.errors.InvalidType` (a
      ``TypeError``), a wrong length or range :class:`~wasmext.errors.InvalidInput` (a
      ``ValueError``); both name the argument, and both are raised before anything enters the
      guest. A failed authentication raises :class:`~wasmext.errors.ForgeryError` (a
      ``ValueError``); ``*_check`` and ``verify*`` return a bool instead.
    * Results are ``bytes``. The caller's objects are never modified.
    * One call = one guest call: every buffer is laid out in the instance's scratch block,
      linear memory that the host grew and that the guest's arena never touches. The inputs
      are copied in straight from the caller's buffers, one guest function runs through the
      runtime's prepared fast-call handle (AEAD boxes through the guest's packed exports, three
      arguments each), the outputs are copied out once, and the part of the block the call
      used is zeroed, however the call ends (success, forgery, exception): no key, seed,
      password or plaintext stays in linear memory. Monocypher wipes its stack temporaries,
      and the guest scrubs the stack after the few upstream functions that miss one. A guest
      that traps is discarded with its memory, and the next call gets a fresh instance.
    * Threads: each thread runs on its own instance of the guest (see
      :meth:`wasmext.runtime.Guest.instance`), so the functions are thread-safe and never share
      linear memory. A guest call releases the GIL. A forked child may use them too.
    * Memory: an instance's linear memory is capped at its guest's ``max_memory``, 1 GiB for
      the bundled artifact; past it a call raises :class:`~wasmext.errors.GuestMemoryError`
      (a ``MemoryError``) before anything is written, and the next call works as usual.
    * The functions leave the calling thread's arena alone: allocations of your own on the
      same instance survive them.

The module-level functions run on the bundled artifact. :class:`Monocypher` offers the same
functions as methods over a guest of your choice (for example one with a ``max_memory`` cap),
plus the interface of the article this package grew from (:meth:`Monocypher.aead_lock`).

Incremental objects
    :class:`Blake2b`, :class:`Sha512`, :class:`HmacSha512`, :class:`Poly1305` and
    :class:`AeadContext` keep their Monocypher context in a private ``bytearray`` outside
    linear memory; each call copies it into the scratch block and back, and zeroes the
    guest's copy. Between calls nothing of an object is in the guest: other operations cannot
    clobber it, a trap loses nothing, and an object may move between threads (calls on one
    object are serialised). The context holds secrets, zeroed when the object is closed:
    ``close()``, the end of a ``with`` block, :meth:`Poly1305.digest` (a one-time MAC ends
    with its digest), or garbage collection. Hash ``digest()`` methods follow :mod:`hashlib`
    and leave the object open. A closed object raises :class:`~wasmext.errors.InvalidInput`.
"""

from __future__ import annotations

# os.urandom is what secrets.token_bytes returns; importing secrets (hmac, base64, random)
# would cost every process's first call over a millisecond.
import os
from typing import TYPE_CHECKING, Any

from ._monocypher_args import BytesLike
from ._monocypher_bindings import Bindings
from ._monocypher_ciphers import KEY_SIZE, MAC_SIZE, NONCE_SIZE, Ciphers
from ._monocypher_curves import Curves
from ._monocypher_hashing import Hashing
from ._monocypher_incremental import AeadContext, Blake2b, HmacSha512, Poly1305, Sha512
from .errors import ForgeryError, InvalidInput, InvalidType

if TYPE_CHECKING:
    from .runtime import Guest, Instance

__all__ = [
    "KEY_SIZE",
    "MAC_SIZE",
    "NONCE_SIZE",
    "AeadContext",
    "Blake2b",
    "BytesLike",
    "ForgeryError",
    "HmacSha512",
    "InvalidInput",
    "InvalidType",
    "Monocypher",
    "Poly1305",
    "Sha512",
    "aead_lock",
    "aead_unlock",
    "argon2",
    "blake2b",
    "chacha20_djb",
    "chacha20_ietf",
    "chacha20_x",
    "ed25519_check",
    "ed25519_key_pair",
    "ed25519_ph_check",
    "ed25519_ph_sign",
    "ed25519_sign",
    "eddsa_check",
    "eddsa_check_equation",
    "eddsa_key_pair",
    "eddsa_mul_add",
    "eddsa_reduce",
    "eddsa_scalarbase",
    "eddsa_sign",
    "eddsa_to_x25519",
    "eddsa_trim_scalar",
    "elligator_key_pair",
    "elligator_map",
    "elligator_rev",
    "generate_key",
    "generate_nonce",
    "hchacha20",
    "hkdf_sha512",
    "hkdf_sha512_expand",
    "hmac_sha512",
    "poly1305",
    "sha512",
    "verify16",
    "verify32",
    "verify64",
    "x25519",
    "x25519_dirty_fast",
    "x25519_dirty_small",
    "x25519_inverse",
    "x25519_public_key",
    "x25519_to_eddsa",
]


def generate_key() -> bytes:
    """32 random bytes from the OS CSPRNG: a key for :func:`aead_lock`, or a seed."""
    return os.urandom(KEY_SIZE)


def generate_nonce() -> bytes:
    """24 random bytes from the OS CSPRNG: a nonce for :func:`aead_lock`."""
    return os.urandom(NONCE_SIZE)


class Monocypher(Hashing, Ciphers, Curves):
    """Monocypher on a given guest: every module-level function, as a method.

    Args:
        guest: A :class:`~wasmext.runtime.Guest` of ``monocypher.wasm``; ``None`` (default)
            uses the bundled artifact, loaded on first use.

    The article's interface::

        mc = Monocypher()
        key = mc.generate_key()
        mac, nonce, box = mc.aead_lock(b"text", key, b"ad")
        assert mc.aead_unlock(box, mac, key, nonce, b"ad") == b"text"

    :attr:`instance` is the runtime instance the calling thread's operations use (each thread
    has its own); pass the object as ``backend=`` to the incremental classes to run them on
    this guest too.

    An object pickles (and copies) as a fresh ``Monocypher`` of the same guest (``None``
    stays the bundled default): no instance, memory or secret crosses, so
    ``ProcessPoolExecutor``, Dask or Ray can send it, or its bound methods, to a worker.
    The module-level functions are bound methods of a module-level object, which pickles
    as a reference to that object in the receiving process.

    """

    generate_key = staticmethod(generate_key)
    generate_nonce = staticmethod(generate_nonce)

    def __init__(self, guest: Guest | None = None) -> None:
        """Run on ``guest`` (default: the bundled artifact, loaded on first use)."""
        self._bindings = Bindings(guest)
        self._guest = guest  # what a pickle sends: None stays "the bundled one, there"

    def __reduce__(self) -> str | tuple[Any, tuple[object, ...]]:
        """Pickle as the guest (see the class docstring); the module's own object by name."""
        if self is _default:
            return "_default"
        return type(self), (self._guest,)

    @property
    def guest(self) -> Guest:
        """The :class:`~wasmext.runtime.Guest` whose instances run the operations."""
        return self._bindings.guest

    @property
    def instance(self) -> Instance:
        """The calling thread's instance: the linear memory its operations use."""
        return self._bindings.instance

    @property
    def bindings(self) -> Bindings:
        """The layer that moves bytes in and out of the guest (package-internal)."""
        return self._bindings


_default = Monocypher()

aead_lock = _default.aead_lock
aead_unlock = _default.aead_unlock
chacha20_djb = _default.chacha20_djb
chacha20_ietf = _default.chacha20_ietf
chacha20_x = _default.chacha20_x
hchacha20 = _default.hchacha20
poly1305 = _default.poly1305
verify16 = _default.verify16
verify32 = _default.verify32
verify64 = _default.verify64

blake2b = _default.blake2b
sha512 = _default.sha512
hmac_sha512 = _default.hmac_sha512
hkdf_sha512 = _default.hkdf_sha512
hkdf_sha512_expand = _default.hkdf_sha512_expand
argon2 = _default.argon2

x25519_public_key = _default.x25519_public_key
x25519 = _default.x25519
x25519_to_eddsa = _default.x25519_to_eddsa
x25519_inverse = _default.x25519_inverse
x25519_dirty_small = _default.x25519_dirty_small
x25519_dirty_fast = _default.x25519_dirty_fast
eddsa_key_pair = _default.eddsa_key_pair
eddsa_sign = _default.eddsa_sign
eddsa_check = _default.eddsa_check
eddsa_to_x25519 = _default.eddsa_to_x25519
eddsa_trim_scalar = _default.eddsa_trim_scalar
eddsa_reduce = _default.eddsa_reduce
eddsa_mul_add = _default.eddsa_mul_add
eddsa_scalarbase = _default.eddsa_scalarbase
eddsa_check_equation = _default.eddsa_check_equation
ed25519_key_pair = _default.ed25519_key_pair
ed25519_sign = _default.ed25519_sign
ed25519_check = _default.ed25519_check
ed25519_ph_sign = _default.ed25519_ph_sign
ed25519_ph_check = _default.ed25519_ph_check
elligator_map = _default.elligator_map
elligator_rev = _default.elligator_rev
elligator_key_pair = _default.elligator_key_pair
