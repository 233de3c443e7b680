"""wasmext.monocypher on the runtime's edges: pointers above 2 GiB, both call paths, traps,
memory caps, and the wasm32 struct layouts it relies on."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

import nacl.bindings as sodium
import pytest
from conftest import require_bundled

from wasmext import _monocypher_bindings as abi
from wasmext import monocypher as mc
from wasmext.errors import GuestMemoryError, GuestTrap
from wasmext.runtime import Guest

TWO_GIB = 2**31
PAGE = 65536


@pytest.fixture
def artifact() -> Path:
    return require_bundled("monocypher")


def test_lock_and_unlock_above_2_gib(artifact: Path) -> None:
    box = mc.Monocypher(Guest(artifact, cache=False, max_memory=None))
    instance = box.instance
    instance.grow((TWO_GIB - instance.memory_size) // PAGE + 1)
    assert instance.memory_size > TWO_GIB

    # The scratch block is grown on first use at the end of memory: above 2 GiB, so every
    # address the guest is given has its top bit set.
    key, nonce, text, ad = os.urandom(32), os.urandom(24), os.urandom(1 << 20), os.urandom(30)
    mac, _, ciphertext = box.aead_lock(text, key, ad, nonce=nonce)
    expected = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(text, ad, nonce, key)
    assert ciphertext + mac == expected
    assert box.aead_unlock(ciphertext, mac, key, nonce, ad) == text
    with pytest.raises(mc.ForgeryError):
        box.aead_unlock(ciphertext, bytes(16), key, nonce, ad)
    assert instance.scratch.address >= TWO_GIB

    with mc.Blake2b(text, key=key, backend=box) as state:  # context and input above 2 GiB
        assert state.digest() == mc.blake2b(text, key=key)
    assert box.x25519(key, bytes(32)) == mc.x25519(key, bytes(32))  # a small one up there too

    # What the operations used above 2 GiB was wiped like anywhere else.
    high = instance.read(TWO_GIB, instance.memory_size - TWO_GIB)
    for secret in (key, text[:64], text[-64:]):
        assert high.find(secret[:16]) < 0


@pytest.mark.parametrize("fast_calls", [True, False])
def test_both_call_paths(artifact: Path, fast_calls: bool) -> None:
    box = mc.Monocypher(Guest(artifact, cache=False, fast_calls=fast_calls))
    assert box.instance.fast_calls is (fast_calls and box.guest.fast_calls)
    key, text = os.urandom(32), os.urandom(1000)
    mac, nonce, ciphertext = box.aead_lock(text, key, b"ad")
    box_bytes = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(text, b"ad", nonce, key)
    assert ciphertext + mac == box_bytes
    assert box.aead_unlock(ciphertext, mac, key, nonce, b"ad") == text
    with pytest.raises(mc.ForgeryError):
        box.aead_unlock(ciphertext, bytes(16), key, nonce, b"ad")
    assert box.chacha20_ietf(text, key, nonce[:12], 2**32 - 16) == mc.chacha20_ietf(
        text, key, nonce[:12], 2**32 - 16
    )  # an unsigned i32 argument above 2**31
    assert box.chacha20_x(text, key, nonce, 2**64 - 16) == mc.chacha20_x(
        text, key, nonce, 2**64 - 16
    )  # an unsigned i64 argument above 2**63


def test_a_trap_costs_the_instance_not_the_objects() -> None:
    require_bundled("monocypher")
    state = mc.Blake2b(b"before the trap ", key=b"key")
    instance = mc.Monocypher().instance
    with pytest.raises(GuestTrap):
        instance.call("crypto_blake2b", 0xFFFF_FFF0, 64, 0, 0)  # writes past the end
    assert mc.blake2b(b"abc") == mc.Blake2b(b"abc").digest()  # a fresh instance took over
    assert mc.Monocypher().instance is not instance
    state.update(b"and after")  # the context was never in the lost memory
    assert state.digest() == mc.blake2b(b"before the trap and after", key=b"key")


def test_operations_leave_the_arena_alone(artifact: Path) -> None:
    # They run in the instance's scratch block, which the arena never hands out: allocations
    # of one's own survive them.
    box = mc.Monocypher(Guest(artifact, cache=False))
    instance = box.instance
    with instance.arena():
        pointer = instance.alloc(64)
        instance.write(pointer, b"mine" * 16)
        box.aead_lock(os.urandom(100_000), os.urandom(32))
        box.blake2b(b"abc", key=b"key")
        with mc.Sha512(b"abc", backend=box) as state:
            state.digest()
        assert instance.read(pointer, 64) == b"mine" * 16


def test_the_scratch_block_grows_in_place_or_moves_and_stays_zero(artifact: Path) -> None:
    box = mc.Monocypher(Guest(artifact, cache=False))
    instance = box.instance
    scratch = instance.scratch

    def all_zero(address: int, size: int) -> bool:
        return instance.read(address, size) == bytes(size)

    box.blake2b(os.urandom(1000), key=os.urandom(32))
    first = scratch.address
    assert scratch.capacity == PAGE
    assert first + PAGE == instance.memory_size  # grown by the host, at the end of memory
    box.blake2b(os.urandom(100_000))  # still at the end: grows in place, doubling
    assert (scratch.address, scratch.capacity) == (first, 2 * PAGE)
    assert all_zero(first, 2 * PAGE)

    instance.grow(1)  # memory of someone else's now follows the block
    box.aead_lock(os.urandom(300_000), os.urandom(32))
    assert scratch.address == first + 3 * PAGE  # moved to the end of memory
    assert scratch.capacity == 5 * PAGE
    assert all_zero(first, 2 * PAGE)  # the block left behind
    assert all_zero(scratch.address, scratch.capacity)


def test_a_memory_cap_is_a_clean_error(artifact: Path) -> None:
    capped = mc.Monocypher(Guest(artifact, cache=False, max_memory=2 << 20))
    key = os.urandom(32)
    with pytest.raises(GuestMemoryError):
        capped.aead_lock(bytes(4 << 20), key)
    mac, nonce, ciphertext = capped.aead_lock(b"small", key)
    assert capped.aead_unlock(ciphertext, mac, key, nonce) == b"small"


def test_monocypher_object_exposes_its_guest(artifact: Path) -> None:
    guest = Guest(artifact, cache=False)
    box = mc.Monocypher(guest)
    assert box.guest is guest
    assert box.instance is guest.instance()
    assert mc.Monocypher().guest is mc.Monocypher().guest  # the bundled artifact, shared


# The struct layouts, checked by the C compiler against Monocypher's own header -------------


def _monocypher_source() -> Path | None:
    if "MONOCYPHER_SRC" in os.environ:
        return Path(os.environ["MONOCYPHER_SRC"]) / "src"
    cargo_home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
    pattern = str(cargo_home / "registry/src/*/monocypher-sys-4.0.2/Monocypher/src")
    found = sorted(glob.glob(pattern))
    return Path(found[0]) if found else None


def test_struct_layouts_match_the_header(tmp_path: Path) -> None:
    clang = shutil.which("clang-19") or shutil.which("clang")
    source = _monocypher_source()
    if clang is None or source is None or not (source / "monocypher.h").is_file():
        pytest.skip("needs clang and Monocypher 4.0.2's source (cargo xtask build fetches it)")
    checks = {
        "sizeof(crypto_aead_ctx)": abi.AEAD_CTX_SIZE,
        "offsetof(crypto_aead_ctx, key)": 8,
        "sizeof(crypto_blake2b_ctx)": abi.BLAKE2B_CTX_SIZE,
        "sizeof(crypto_poly1305_ctx)": abi.POLY1305_CTX_SIZE,
        "sizeof(crypto_sha512_ctx)": abi.SHA512_CTX_SIZE,
        "sizeof(crypto_sha512_hmac_ctx)": abi.SHA512_HMAC_CTX_SIZE,
        "sizeof(crypto_argon2_config)": abi.ARGON2_STRUCT.size,
        "sizeof(crypto_argon2_inputs)": abi.ARGON2_STRUCT.size,
        "sizeof(crypto_argon2_extras)": abi.ARGON2_STRUCT.size,
        "offsetof(crypto_argon2_config, nb_lanes)": 12,
        "offsetof(crypto_argon2_inputs, pass_size)": 8,
        "offsetof(crypto_argon2_extras, ad_size)": 12,
        "_Alignof(crypto_blake2b_ctx)": 8,
    }
    program = tmp_path / "layout.c"
    program.write_text(
        '#include <stddef.h>\n#include "monocypher.h"\n#include "optional/monocypher-ed25519.h"\n'
        + "".join(
            f'_Static_assert({expr} == {value}, "{expr}");\n' for expr, value in checks.items()
        )
    )
    result = subprocess.run(
        [clang, "--target=wasm32-unknown-unknown", "-ffreestanding", "-fsyntax-only",
         f"-I{source}", str(program)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_incremental_objects_take_a_backend(artifact: Path) -> None:
    box = mc.Monocypher(Guest(artifact, cache=False))
    with mc.Sha512(b"abc", backend=box) as state:
        assert state.digest() == mc.sha512(b"abc")
    with pytest.raises(mc.InvalidType, match="backend"):
        mc.Sha512(backend="bundled")  # type: ignore[arg-type]
