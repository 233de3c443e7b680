"""Eight threads doing mixed work at once; every result is checked."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

import pytest

from wasmext.errors import GuestTrap, OutOfBounds
from wasmext.runtime import Guest, Instance

THREADS = 8
ROUNDS = 300


def _run_threads(work: Callable[[int], None]) -> None:
    barrier = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as error:  # reported below with the thread's index
            failures.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures


def test_per_thread_instances_under_mixed_load(tools_guest: Guest) -> None:
    def work(index: int) -> None:
        rng = random.Random(index)
        for round_number in range(ROUNDS):
            instance = tools_guest.instance()
            choice = rng.randrange(6)
            if choice == 0:
                with pytest.raises(GuestTrap):
                    instance.call("boom")
                assert instance.poisoned
            elif choice == 1:
                a, b = rng.randrange(2**31), rng.randrange(2**31)
                assert instance.function("add").unsigned(a, b) == (a + b) % 2**32
            elif choice == 2:
                payload = bytes([index]) * rng.randrange(1, 5000) + round_number.to_bytes(
                    4, "little"
                )
                with instance.arena():
                    pointer = instance.alloc(len(payload))
                    instance.write(pointer, payload)
                    assert instance.read(pointer, len(payload)) == payload
                    assert instance.call("peek", pointer) == index
            elif choice == 3:
                before = instance.memory_size
                instance.call("grow", 1)
                assert instance.memory_size == before + 65536
                instance.write(before + 65535, bytearray([index]))
                assert instance.call("peek", before + 65535) == index
            elif choice == 4:
                with pytest.raises(OutOfBounds):
                    instance.read(instance.memory_size, 1)
            else:
                assert instance.call("spin", 1000) == 500500

    _run_threads(work)


def test_thread_instances_are_distinct(tools_guest: Guest) -> None:
    seen: list[Instance] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        instance = tools_guest.instance()
        assert tools_guest.instance() is instance
        with lock:
            seen.append(instance)

    _run_threads(work)
    assert len({id(instance) for instance in seen}) == THREADS


def test_one_instance_shared_by_threads_is_serialised(tools_guest: Guest) -> None:
    shared = tools_guest.new_instance()
    pointer = shared.alloc(THREADS * 16)

    def work(index: int) -> None:
        slot = pointer + 16 * index
        for round_number in range(ROUNDS):
            value = (index * 1000 + round_number) & 0xFF
            shared.call("poke", slot, value)
            assert shared.read(slot, 1) == bytes([value])
            shared.write(slot + 1, bytes([value]))
            assert shared.call("peek", slot + 1) == value
            assert shared.call("add", index, round_number) == index + round_number

    _run_threads(work)
