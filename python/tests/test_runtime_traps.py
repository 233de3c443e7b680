"""Traps: they raise GuestTrap with wasmtime's message and never leave a broken instance in use."""

from __future__ import annotations

import os
import sys

import pytest
from conftest import ARENA, TOOLS, GuestFactory, module

from wasmext.errors import GuestTrap, WasmextError
from wasmext.runtime import Guest


def test_trap_raises_with_the_trap_text(tools_guest: Guest) -> None:
    with pytest.raises(GuestTrap, match=r"boom trapped: .*unreachable") as caught:
        tools_guest.instance().call("boom")
    assert isinstance(caught.value, RuntimeError)
    assert isinstance(caught.value, WasmextError)


@pytest.mark.parametrize(
    ("name", "args", "text"),
    [
        ("div", (1, 0), "divide by zero"),
        ("div", (-(2**31), -1), "integer overflow"),
        ("poke", (2**32 - 1, 1), "out of bounds"),
        ("peek", (2**31,), "out of bounds"),
    ],
)
def test_trap_kinds(tools_guest: Guest, name: str, args: tuple[int, ...], text: str) -> None:
    with pytest.raises(GuestTrap, match=text):
        tools_guest.instance().call(name, *args)


def test_thread_instance_is_replaced_after_a_trap(tools_guest: Guest) -> None:
    instance = tools_guest.instance()
    pointer = instance.alloc(4)
    instance.write(pointer, b"keep")
    with pytest.raises(GuestTrap):
        instance.call("boom")
    assert instance.poisoned
    fresh = tools_guest.instance()
    assert fresh is not instance
    assert not fresh.poisoned
    assert fresh.call("add", 2, 2) == 4
    assert tools_guest.instance() is fresh


def test_held_instance_stays_poisoned(tools_guest: Guest) -> None:
    instance = tools_guest.new_instance()
    add = instance.function("add")
    with pytest.raises(GuestTrap):
        instance.call("div", 1, 0)
    for attempt in (
        lambda: add(1, 2),
        lambda: instance.alloc(1),
        instance.reset,
        lambda: instance.call("noop"),
    ):
        with pytest.raises(GuestTrap, match=r"trapped earlier.*divide by zero"):
            attempt()
    assert "poisoned" in repr(instance)


def test_a_trap_wipes_all_of_memory(tools_guest: Guest) -> None:
    # A trap can strike before anything was wiped: the poisoned instance keeps no secret.
    instance = tools_guest.new_instance()
    pointer = instance.alloc(9)
    instance.write(pointer, b"secret-ab")
    with pytest.raises(GuestTrap):
        instance.call("boom")
    assert instance.read(pointer, 9) == bytes(9)
    assert b"secret-ab" not in instance.dump()
    assert not any(instance.dump())


def test_arena_skips_reset_after_trap_and_keeps_the_trap(tools_guest: Guest) -> None:
    instance = tools_guest.new_instance()

    def trap_inside_arena() -> None:
        with instance.arena():
            instance.alloc(8)
            instance.call("boom")

    with pytest.raises(GuestTrap, match="unreachable"):
        trap_inside_arena()


def test_fresh_instances_are_independent(tools_guest: Guest) -> None:
    first = tools_guest.new_instance()
    second = tools_guest.new_instance()
    pointer = first.alloc(4)
    first.write(pointer, b"mine")
    assert second.read(pointer, 4) == bytes(4)
    with pytest.raises(GuestTrap):
        first.call("boom")
    assert second.call("add", 1, 1) == 2


def test_many_traps_in_a_row(tools_guest: Guest) -> None:
    for _ in range(50):
        with pytest.raises(GuestTrap):
            tools_guest.instance().call("boom")
        assert tools_guest.instance().call("add", 20, 22) == 42


def test_trapping_start_function(make_guest: GuestFactory) -> None:
    guest = make_guest(module(ARENA, "(func $start unreachable) (start $start)"))
    with pytest.raises(GuestTrap, match="instantiation trapped"):
        guest.instance()
    with pytest.raises(GuestTrap):
        guest.new_instance()


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_a_trap_in_a_big_instance_costs_what_it_touched(make_guest: GuestFactory) -> None:
    """Memory is discarded, not zeroed: 3 GiB of reservation must not become resident."""
    instance = make_guest(module(ARENA, TOOLS), max_memory=None).new_instance()
    instance.grow(3 * 2**30 // 65536)
    secret_at = instance.memory_size - 4096
    instance.write(secret_at, b"secret at the top of 3 GiB")
    before = _resident_bytes()
    with pytest.raises(GuestTrap):
        instance.call("boom")
    grown = _resident_bytes() - before
    assert grown < 64 << 20, f"the trap made {grown >> 20} MiB resident"
    assert instance.read(secret_at, 26) == bytes(26)
