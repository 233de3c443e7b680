"""Curve25519: X25519 key exchange, EdDSA and Ed25519 signatures, Elligator 2.

The public-key half of :class:`wasmext.monocypher.Monocypher`; see that module for the rules
every method follows (argument checking, one guest call in the scratch block, wiping).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ._monocypher_args import BytesLike, buffer, fixed, integer

if TYPE_CHECKING:
    from ._monocypher_bindings import Bindings

__all__ = ["Curves"]

_KEY = 32
_SECRET_KEY = 64  # seed followed by the public key, as Monocypher and RFC 8032 libraries store it
_SIGNATURE = 64
_HASH = 64


class Curves:
    """X25519, EdDSA (BLAKE2b), Ed25519 (SHA-512) and Elligator 2."""

    _bindings: Bindings

    # X25519 -----------------------------------------------------------------------------------

    def x25519_public_key(self, sk: BytesLike) -> bytes:
        """Compute the X25519 public key of the 32-byte secret key ``sk`` (RFC 7748)."""
        return self._bindings.fixed_output("crypto_x25519_public_key", _KEY, fixed("sk", sk, _KEY))

    def x25519(self, sk: BytesLike, their_pk: BytesLike) -> bytes:
        """Compute the raw X25519 shared secret of ``sk`` and ``their_pk`` (RFC 7748).

        It is not uniformly random: hash it (e.g. :func:`blake2b` of the secret and both
        public keys) before using it as a key.
        """
        sk = fixed("sk", sk, _KEY)
        their_pk = fixed("their_pk", their_pk, _KEY)
        return self._bindings.fixed_output("crypto_x25519", _KEY, sk, their_pk)

    def x25519_to_eddsa(self, x25519_pk: BytesLike) -> bytes:
        """Convert an X25519 public key to the EdDSA public key of the same point."""
        return self._bindings.fixed_output(
            "crypto_x25519_to_eddsa", _KEY, fixed("x25519_pk", x25519_pk, _KEY)
        )

    def x25519_inverse(self, sk: BytesLike, curve_point: BytesLike) -> bytes:
        """Scalar division: the point P with ``x25519(sk, P) == curve_point`` (for OPRFs).

        ``x25519_inverse(sk, x25519(sk, P)) == P`` for any point ``P`` of the prime-order
        subgroup.
        """
        sk = fixed("sk", sk, _KEY)
        curve_point = fixed("curve_point", curve_point, _KEY)
        return self._bindings.fixed_output("crypto_x25519_inverse", _KEY, sk, curve_point)

    def x25519_dirty_small(self, sk: BytesLike) -> bytes:
        """Compute a "dirty" X25519 public key for :meth:`elligator_rev` (small code, slower).

        It adds a low-order component chosen by the 3 low bits of ``sk`` so that Elligator
        representatives look uniformly random; X25519 with it still gives the clean shared
        secret. Leaks those 3 bits.
        """
        return self._bindings.fixed_output("crypto_x25519_dirty_small", _KEY, fixed("sk", sk, _KEY))

    def x25519_dirty_fast(self, sk: BytesLike) -> bytes:
        """Compute the same key as :meth:`x25519_dirty_small`, faster (bigger tables)."""
        return self._bindings.fixed_output("crypto_x25519_dirty_fast", _KEY, fixed("sk", sk, _KEY))

    # EdDSA with BLAKE2b ------------------------------------------------------------------------

    def eddsa_key_pair(self, seed: BytesLike | None = None) -> tuple[bytes, bytes]:
        """Derive an EdDSA (Curve25519 + BLAKE2b) key pair from a 32-byte seed.

        Args:
            seed: 32 secret random bytes; ``None`` draws them from the OS CSPRNG. The caller's
                object is never modified (the guest wipes its own copy).

        Returns:
            ``(sk, pk)``: the 64-byte secret key (seed then public key) and 32-byte public key.

        """
        return self._key_pair("crypto_eddsa_key_pair", seed)

    def eddsa_sign(self, sk: BytesLike, msg: BytesLike) -> bytes:
        """Sign ``msg`` with EdDSA (BLAKE2b) and the 64-byte ``sk``: a 64-byte signature."""
        return self._sign("crypto_eddsa_sign", sk, msg)

    def eddsa_check(self, sig: BytesLike, pk: BytesLike, msg: BytesLike) -> bool:
        """Whether ``sig`` is a valid EdDSA (BLAKE2b) signature of ``msg`` by ``pk``."""
        return self._check("crypto_eddsa_check", sig, pk, msg)

    def eddsa_to_x25519(self, eddsa_pk: BytesLike) -> bytes:
        """Convert an EdDSA/Ed25519 public key to the X25519 public key of the same point."""
        return self._bindings.fixed_output(
            "crypto_eddsa_to_x25519", _KEY, fixed("eddsa_pk", eddsa_pk, _KEY)
        )

    def eddsa_trim_scalar(self, scalar: BytesLike) -> bytes:
        """Clamp a 32-byte scalar the way X25519 and EdDSA do (clear bits 0-2 and 255, set 254)."""
        return self._bindings.fixed_output(
            "crypto_eddsa_trim_scalar", _KEY, fixed("scalar", scalar, _KEY)
        )

    def eddsa_reduce(self, expanded: BytesLike) -> bytes:
        """Reduce a 64-byte little-endian number modulo L, the order of the curve's subgroup."""
        return self._bindings.fixed_output(
            "crypto_eddsa_reduce", _KEY, fixed("expanded", expanded, 64)
        )

    def eddsa_mul_add(self, a: BytesLike, b: BytesLike, c: BytesLike) -> bytes:
        """Compute ``(a * b + c) mod L`` for 32-byte little-endian scalars."""
        a = fixed("a", a, _KEY)
        b = fixed("b", b, _KEY)
        c = fixed("c", c, _KEY)
        return self._bindings.fixed_output("crypto_eddsa_mul_add", _KEY, a, b, c)

    def eddsa_scalarbase(self, scalar: BytesLike) -> bytes:
        """Compute the encoded Edwards point ``scalar * B`` (B the base point)."""
        return self._bindings.fixed_output(
            "crypto_eddsa_scalarbase", _KEY, fixed("scalar", scalar, _KEY)
        )

    def eddsa_check_equation(self, sig: BytesLike, pk: BytesLike, h_ram: BytesLike) -> bool:
        """Whether ``[s]B = R + [h_ram]A`` holds: signature checking with a custom hash.

        ``h_ram`` is the 32-byte reduced hash of R, the public key and the message.
        """
        sig = fixed("sig", sig, _SIGNATURE)
        pk = fixed("pk", pk, _KEY)
        h_ram = fixed("h_ram", h_ram, _KEY)
        return self._bindings.status("crypto_eddsa_check_equation", sig, pk, h_ram) == 0

    # Ed25519 (RFC 8032) ------------------------------------------------------------------------

    def ed25519_key_pair(self, seed: BytesLike | None = None) -> tuple[bytes, bytes]:
        """Derive an Ed25519 key pair (RFC 8032) from a 32-byte seed.

        Returns:
            ``(sk, pk)``: the 64-byte secret key (seed then public key, the layout libsodium
            and PyNaCl use) and the 32-byte public key.

        """
        return self._key_pair("crypto_ed25519_key_pair", seed)

    def ed25519_sign(self, sk: BytesLike, msg: BytesLike) -> bytes:
        """Sign ``msg`` with Ed25519 and the 64-byte ``sk``: a 64-byte signature (RFC 8032)."""
        return self._sign("crypto_ed25519_sign", sk, msg)

    def ed25519_check(self, sig: BytesLike, pk: BytesLike, msg: BytesLike) -> bool:
        """Whether ``sig`` is a valid Ed25519 signature of ``msg`` by the public key ``pk``."""
        return self._check("crypto_ed25519_check", sig, pk, msg)

    def ed25519_ph_sign(self, sk: BytesLike, msg_hash: BytesLike) -> bytes:
        """Ed25519ph (RFC 8032 pre-hashed): sign the 64-byte SHA-512 ``msg_hash`` of a message."""
        sk = fixed("sk", sk, _SECRET_KEY)
        msg_hash = fixed("msg_hash", msg_hash, _HASH)
        return self._bindings.fixed_output("crypto_ed25519_ph_sign", _SIGNATURE, sk, msg_hash)

    def ed25519_ph_check(self, sig: BytesLike, pk: BytesLike, msg_hash: BytesLike) -> bool:
        """Whether ``sig`` is a valid Ed25519ph signature of the SHA-512 ``msg_hash``."""
        sig = fixed("sig", sig, _SIGNATURE)
        pk = fixed("pk", pk, _KEY)
        msg_hash = fixed("msg_hash", msg_hash, _HASH)
        return self._bindings.status("crypto_ed25519_ph_check", sig, pk, msg_hash) == 0

    # Elligator 2 -------------------------------------------------------------------------------

    def elligator_map(self, hidden: BytesLike) -> bytes:
        """Map a 32-byte Elligator representative to the X25519 public key it stands for.

        Every 32-byte string maps to a point; the top two bits are ignored.
        """
        return self._bindings.fixed_output(
            "crypto_elligator_map", _KEY, fixed("hidden", hidden, _KEY)
        )

    def elligator_rev(self, curve: BytesLike, tweak: int) -> bytes | None:
        """Compute the representative of a curve point, or ``None`` when it has none.

        About half the points have one: a caller hiding a fresh key retries with another key
        (or uses :meth:`elligator_key_pair`). The point should come from
        :meth:`x25519_dirty_fast` or :meth:`x25519_dirty_small`, not :meth:`x25519_public_key`,
        or the representatives are detectable.

        Args:
            curve: The 32-byte point.
            tweak: A random byte (0-255): bit 0 picks one of the two representatives and bits 6
                and 7 fill the representative's unused top bits.

        """
        curve = fixed("curve", curve, _KEY)
        tweak = integer("tweak", tweak, 0, 255)
        # crypto_elligator_rev(hidden, curve, tweak): 0 when the point has a representative.
        status, hidden = self._bindings.call("crypto_elligator_rev", _KEY, (curve,), (tweak,))
        return None if status else hidden

    def elligator_key_pair(self, seed: BytesLike | None = None) -> tuple[bytes, bytes]:
        """Derive a key pair whose public key is hidden as a uniformly random representative.

        Args:
            seed: 32 secret random bytes; ``None`` draws them from the OS CSPRNG.

        Returns:
            ``(hidden, sk)``: the 32-byte representative (send it; :meth:`elligator_map` turns it
            back into the public key) and the 32-byte X25519 secret key.

        """
        return self._key_pair("crypto_elligator_key_pair", seed)

    # Shapes shared by several functions --------------------------------------------------------

    def _key_pair(self, export: str, seed: BytesLike | None) -> tuple[bytes, bytes]:
        """Run ``export(first, second, seed)``, a key pair derivation.

        EdDSA and Ed25519 output (sk[64], pk[32]), Elligator (hidden[32], sk[32]).
        """
        seed = os.urandom(_KEY) if seed is None else fixed("seed", seed, _KEY)
        first_size = _KEY if export == "crypto_elligator_key_pair" else _SECRET_KEY
        return self._bindings.key_pair(export, first_size, seed)

    def _sign(self, export: str, sk: BytesLike, msg: BytesLike) -> bytes:
        """``export(sig, sk, msg, msg_size)`` for both signature schemes."""
        sk = fixed("sk", sk, _SECRET_KEY)
        msg = buffer("msg", msg)
        return self._bindings.call(export, _SIGNATURE, (sk, msg), (len(msg),))[1]

    def _check(self, export: str, sig: BytesLike, pk: BytesLike, msg: BytesLike) -> bool:
        """``export(sig, pk, msg, msg_size) == 0`` for both signature schemes."""
        sig = fixed("sig", sig, _SIGNATURE)
        pk = fixed("pk", pk, _KEY)
        msg = buffer("msg", msg)
        return self._bindings.call(export, 0, (sig, pk, msg), (len(msg),))[0] == 0
