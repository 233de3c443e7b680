"""Linear memory: alloc, bounds-checked read/write, growth, caps, pointers above 2 GiB."""

from __future__ import annotations

import array
import ctypes
import gc
import weakref

import numpy as np
import pytest
from conftest import ARENA, TAIL_ALLOCATOR, TOOLS, GuestFactory, module
from hypothesis import given
from hypothesis import strategies as st

from wasmext.errors import GuestMemoryError, InvalidInput, InvalidType, OutOfBounds
from wasmext.runtime import Guest

PAGE = 65536


def test_alloc_is_aligned_zeroed_and_distinct(tools_guest: Guest) -> None:
    instance = tools_guest.instance()
    first = instance.alloc(3)
    second = instance.alloc(0)
    third = instance.alloc(100)
    assert first % 16 == second % 16 == third % 16 == 0
    assert first < second <= third
    assert instance.read(third, 100) == bytes(100)


def test_write_read_round_trip_with_every_buffer_kind(tools_guest: Guest) -> None:
    instance = tools_guest.instance()
    pointer = instance.alloc(64)
    instance.write(pointer, b"bytes")
    assert instance.read(pointer, 5) == b"bytes"
    instance.write(pointer, bytearray(b"bytearray"))
    assert instance.read(pointer, 9) == b"bytearray"
    instance.write(pointer, memoryview(b"xxreadonly slicexx")[2:-2])
    assert instance.read(pointer, 14) == b"readonly slice"
    instance.write(pointer, array.array("q", [-2, 3]))
    assert instance.read(pointer, 16) == array.array("q", [-2, 3]).tobytes()
    instance.write(pointer, np.arange(4, dtype=np.int32)[::2])  # not contiguous
    assert instance.read(pointer, 8) == np.array([0, 2], dtype=np.int32).tobytes()
    instance.write(pointer, (ctypes.c_uint16 * 2)(0x0102, 0x0304))
    assert instance.read(pointer, 4) == b"\x02\x01\x04\x03"
    instance.write(pointer, b"")
    assert instance.read(pointer, 0) == b""


def test_write_refuses_non_buffers(tools_guest: Guest) -> None:
    instance = tools_guest.instance()
    with pytest.raises(InvalidType, match="bytes-like"):
        instance.write(instance.alloc(8), "text")  # type: ignore[arg-type]
    with pytest.raises(InvalidType, match="ptr must be an int"):
        instance.read(1.5, 1)  # type: ignore[arg-type]
    with pytest.raises(InvalidType):
        instance.read(True, 1)


# Memory is one 64 KiB page: the narrow ranges probe its edges, the wide ones overflow.
NEAR_MEMORY = st.integers(min_value=-16, max_value=PAGE + 16)
POINTERS = st.one_of(NEAR_MEMORY, st.integers(min_value=-(2**40), max_value=2**40))


@given(ptr=POINTERS, n=st.one_of(NEAR_MEMORY, st.integers(-(2**40), 2**40)))
def test_read_bounds(tools_guest: Guest, ptr: int, n: int) -> None:
    instance = tools_guest.instance()
    size = instance.memory_size
    if ptr >= 0 and n >= 0 and ptr + n <= size:
        assert len(instance.read(ptr, n)) == n
    else:
        with pytest.raises(OutOfBounds):
            instance.read(ptr, n)


@given(ptr=POINTERS, data=st.binary(max_size=300))
def test_write_bounds(tools_guest: Guest, ptr: int, data: bytes) -> None:
    instance = tools_guest.instance()
    size = instance.memory_size
    fits = ptr >= 0 and ptr + len(data) <= size
    for payload in (data, bytearray(data), memoryview(data)):
        if fits:
            instance.write(ptr, payload)
            assert instance.read(ptr, len(data)) == data
        else:
            with pytest.raises(OutOfBounds):
                instance.write(ptr, payload)


def test_edges_of_memory(tools_guest: Guest) -> None:
    instance = tools_guest.instance()
    size = instance.memory_size
    instance.write(size - 4, b"tail")
    assert instance.read(size - 4, 4) == b"tail"
    assert instance.read(size, 0) == b""
    with pytest.raises(OutOfBounds):
        instance.read(size - 3, 4)
    with pytest.raises(OutOfBounds):
        instance.read(-1, 1)  # never the negative-index footgun
    with pytest.raises(OutOfBounds):
        instance.write(-4, b"tail")
    with pytest.raises(IndexError):
        instance.read(size + 1, 0)


def test_no_stale_size_after_guest_growth(tools_guest: Guest) -> None:
    instance = tools_guest.instance()
    before = instance.memory_size
    with pytest.raises(OutOfBounds):
        instance.read(before, 1)
    assert instance.call("grow", 3) == before // PAGE
    assert instance.memory_size == before + 3 * PAGE
    instance.write(before + 3 * PAGE - 5, b"grown")
    assert instance.read(before + 3 * PAGE - 5, 5) == b"grown"
    assert instance.call("peek", before + 3 * PAGE - 5) == ord("g")


def test_linear_memory_never_moves(tools_guest: Guest) -> None:
    # The engine keeps memory in place as it grows (memory_may_move off), which is what lets a
    # scratch block keep a host pointer for the store's life. Growth by the guest and by the
    # host, small and large, leaves the host address of byte 0 where it was.
    instance = tools_guest.instance()
    core = instance._core
    instance.write(0, b"x")
    base = core.base
    for pages in (1, 15, 1000):
        instance.call("grow", pages)
        instance.grow(pages)
        instance.write(instance.memory_size - 1, b"y")  # refreshes base and size
        assert core.base == base


def test_writes_after_growth_land_in_guest_memory(tools_guest: Guest) -> None:
    instance = tools_guest.instance()
    # Cache a view of memory, then let the guest grow it: the next write must use
    # the current memory, which the guest observes.
    instance.write(16, bytearray(b"a"))
    for step in range(1, 40):
        instance.call("grow", 1)
        pointer = instance.memory_size - step
        instance.write(pointer, bytearray([step]))
        assert instance.call("peek", pointer) == step
        instance.call("poke", pointer, step + 1)
        assert instance.read(pointer, 1) == bytes([step + 1])


def test_dump_copies_all_memory(tools_guest: Guest) -> None:
    instance = tools_guest.instance()
    pointer = instance.alloc(4)
    instance.write(pointer, b"dump")
    image = instance.dump()
    assert len(image) == instance.memory_size
    assert image[pointer : pointer + 4] == b"dump"


def test_reset_zeroes_and_rewinds(tools_guest: Guest) -> None:
    instance = tools_guest.instance()
    first = instance.alloc(8)
    instance.write(first, b"secret!!")
    instance.reset()
    assert instance.read(first, 8) == bytes(8)
    assert instance.alloc(8) == first


def test_arena_resets_on_exit_and_on_interrupt(tools_guest: Guest) -> None:
    instance = tools_guest.instance()
    with instance.arena() as arena:
        pointer = arena.alloc(8)
        arena.write(pointer, b"abcdefgh")
    assert instance.read(pointer, 8) == bytes(8)
    pointer = 0

    def interrupted() -> None:
        nonlocal pointer
        with instance.arena():
            pointer = instance.alloc(8)
            instance.write(pointer, b"abcdefgh")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert instance.read(pointer, 8) == bytes(8)
    assert instance.alloc(8) == pointer


def test_nested_arenas_reset_once_at_the_outermost_exit(tools_guest: Guest) -> None:
    instance = tools_guest.instance()
    with instance.arena():
        outer = instance.alloc(4)
        instance.write(outer, b"keep")
        with instance.arena():
            inner = instance.alloc(4)
            instance.write(inner, b"temp")
        assert instance.read(outer, 4) == b"keep"
        assert instance.read(inner, 4) == b"temp"
    assert instance.read(outer, 8) == bytes(8)
    assert instance.alloc(4) == outer


def test_alloc_argument_checks(make_guest: GuestFactory) -> None:
    instance = make_guest(module(ARENA, TOOLS), max_memory=None).instance()
    with pytest.raises(InvalidInput):
        instance.alloc(-1)
    with pytest.raises(InvalidType):
        instance.alloc(1.0)  # type: ignore[arg-type]
    with pytest.raises(GuestMemoryError, match="4 GiB"):
        instance.alloc(2**32)


def test_alloc_failure_when_guest_returns_zero(make_guest: GuestFactory) -> None:
    instance = make_guest(module(ARENA, TOOLS), max_memory=None).instance()
    with pytest.raises(GuestMemoryError, match="could not allocate"):
        instance.alloc(2**32 - 1)
    with pytest.raises(MemoryError):
        instance.alloc(2**32 - 16)
    assert instance.alloc(16)  # the failed requests left the arena usable


def test_max_memory_caps_guest_growth(make_guest: GuestFactory) -> None:
    guest = make_guest(module(ARENA, TOOLS), max_memory=4 * PAGE)
    instance = guest.instance()
    assert guest.max_memory == 4 * PAGE
    pointer = instance.alloc(2 * PAGE)
    instance.write(pointer, b"x" * (2 * PAGE))
    with pytest.raises(GuestMemoryError, match="could not allocate"):
        instance.alloc(2 * PAGE)
    with pytest.raises(GuestMemoryError, match="max_memory"):
        instance.alloc(5 * PAGE)
    assert instance.call("grow", 8) == -1
    with pytest.raises(GuestMemoryError):
        instance.grow(8)
    assert instance.memory_size <= 4 * PAGE
    instance.reset()
    assert instance.alloc(2 * PAGE)


def test_max_memory_below_initial_memory(make_guest: GuestFactory) -> None:
    guest = make_guest(module(ARENA, memory='(memory (export "memory") 4)'), max_memory=PAGE)
    with pytest.raises(GuestMemoryError, match="max_memory"):
        guest.instance()


def test_bad_max_memory() -> None:
    with pytest.raises(InvalidInput):
        Guest(module(ARENA), max_memory=-1)
    with pytest.raises(InvalidType):
        Guest(module(ARENA), max_memory=1.5)  # type: ignore[arg-type]


def test_pointers_above_2_gib(make_guest: GuestFactory) -> None:
    guest = make_guest(module(TAIL_ALLOCATOR, TOOLS), max_memory=None)
    instance = guest.instance()
    instance.grow(2**31 // PAGE + 3)  # host-grown address space the arena must skip
    pointer = instance.alloc(32)
    assert pointer > 2**31
    instance.write(pointer, b"above two gigabytes")
    assert instance.read(pointer, 19) == b"above two gigabytes"
    assert instance.call("peek", pointer) == ord("a")  # the guest sees the same bytes
    instance.call("poke", pointer + 1, ord("B"))
    assert instance.read(pointer, 2) == b"aB"
    assert instance.function("echo32").unsigned(pointer) == pointer
    assert instance.memory_size > pointer + 31
    with pytest.raises(OutOfBounds):
        instance.read(instance.memory_size - 1, 2)


def test_dropped_instances_free_their_store_without_gc(tools_guest: Guest) -> None:
    # No reference cycles: per-call instances must not pile up linear memories until
    # the cyclic garbage collector happens to run.
    gc.collect()
    gc.disable()
    try:
        instance = tools_guest.new_instance()
        instance.function("add")(1, 2)
        instance.alloc(PAGE)
        refs = [weakref.ref(instance), weakref.ref(instance._core)]
        del instance
        assert [ref() for ref in refs] == [None, None]
    finally:
        gc.enable()
