"""The memory cap: wasmtime's store limits stop a guest's growth at ``max_memory``, past it
every entry point raises GuestMemoryError (a MemoryError), and the same instance keeps working.
And memory a big operation grew is given back by retiring its instance.
"""

from __future__ import annotations

import gc
import os
import weakref

import numpy as np
import pytest
from conftest import ARENA, TOOLS, GuestFactory, module, require_bundled

from wasmext import monocypher as mc
from wasmext.errors import GuestMemoryError, WasmextError
from wasmext.runtime import DEFAULT_MAX_MEMORY, RETAINED_MEMORY, Guest, bundled
from wasmext.twosum import TwoSum

CAP = 8 << 20


def test_the_default_cap_is_one_gib_everywhere() -> None:
    require_bundled("monocypher")
    assert DEFAULT_MAX_MEMORY == 1 << 30
    assert Guest(require_bundled("twosum")).max_memory == DEFAULT_MAX_MEMORY
    assert bundled("monocypher").max_memory == DEFAULT_MAX_MEMORY
    assert Guest(require_bundled("twosum"), max_memory=None).max_memory is None


def test_past_the_default_cap_is_a_memory_error_not_an_allocation() -> None:
    instance = Guest(require_bundled("twosum")).new_instance()
    before = instance.memory_size
    with pytest.raises(MemoryError, match="max_memory=1073741824; Guest"):
        instance.alloc(DEFAULT_MAX_MEMORY + 1)
    assert instance.memory_size == before
    assert instance.alloc(16)


def test_the_guest_itself_cannot_grow_past_the_cap() -> None:
    instance = Guest(require_bundled("twosum"), max_memory=CAP).new_instance()
    first = instance.alloc(CAP // 2)
    with pytest.raises(GuestMemoryError, match=r"could not allocate .*max_memory=8388608"):
        instance.alloc(CAP // 2)  # fits the cap on its own, not next to the first block
    assert instance.memory_size <= CAP
    assert not instance.poisoned
    instance.write(first, b"still usable")
    assert instance.read(first, 12) == b"still usable"
    instance.reset()
    assert instance.alloc(CAP // 2) == first


def test_monocypher_past_the_cap_then_on_the_same_instance() -> None:
    box = mc.Monocypher(Guest(require_bundled("monocypher"), max_memory=CAP))
    instance = box.instance
    key = os.urandom(32)
    # The guest refuses (its stack and data take the first MiB), the host refuses up front.
    for size in (CAP - (1 << 20), CAP, 4 * CAP):
        with pytest.raises(GuestMemoryError) as caught:
            box.aead_lock(bytes(size), key)
        assert isinstance(caught.value, MemoryError)
        assert isinstance(caught.value, WasmextError)
    with pytest.raises(GuestMemoryError):
        box.argon2(b"password", b"saltsalt", nb_blocks=CAP // 1024, nb_passes=1)
    assert box.instance is instance
    assert instance.memory_size <= CAP
    mac, nonce, ciphertext = box.aead_lock(b"after", key)
    assert box.aead_unlock(ciphertext, mac, key, nonce) == b"after"
    assert box.blake2b(bytes(CAP // 4)) == mc.blake2b(bytes(CAP // 4))


def test_twosum_past_the_cap_then_on_the_same_solver() -> None:
    solver = TwoSum(Guest(require_bundled("twosum"), max_memory=CAP))
    instance = solver.instance
    fits_input_not_table = np.arange(CAP // 2 // 4 + 1000, dtype=np.int32)
    too_big_for_input = np.arange(CAP // 4, dtype=np.int32)
    for values in (fits_input_not_table, too_big_for_input):
        with pytest.raises(GuestMemoryError):
            solver.twosum(values, -5)
    assert solver.instance is instance
    assert not instance.poisoned
    assert instance.memory_size <= CAP
    assert solver.twosum(np.arange(100_000, dtype=np.int32), 199_997) == (99_998, 99_999)


def test_a_big_arena_block_retires_its_instance(make_guest: GuestFactory) -> None:
    """Linear memory never shrinks: after a block that allocated more than RETAINED_MEMORY,
    the thread gets a fresh instance and the old one, with its memory, can go."""
    guest = make_guest(module(ARENA, TOOLS), max_memory=None)
    instance = guest.instance()
    with instance.arena():
        instance.alloc(RETAINED_MEMORY)  # exactly the limit: kept
    assert not instance.oversized
    assert guest.instance() is instance
    with instance.arena():
        instance.alloc(RETAINED_MEMORY // 2)
        instance.alloc(RETAINED_MEMORY // 2 + 1)
    assert instance.oversized
    assert instance.call("add", 1, 2) == 3  # still works for whoever holds it
    fresh = guest.instance()
    assert fresh is not instance
    assert fresh.memory_size < instance.memory_size
    gone = weakref.ref(instance)
    del instance
    gc.collect()
    assert gone() is None
