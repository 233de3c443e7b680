"""Processes: pools that fork after the parent used wasmext (compilations and thread-local
instances included, and while other threads are inside guest calls), and pools that spawn.

What really happens across a fork: the child gets a copy of the parent's memory, so the engine,
every compiled module and the forking thread's instances come along and work as they are (the
fast-call path's raw pointers stay valid, since the address space is copied). Nothing is
shared afterwards: a child's writes to its copy of an instance never reach the parent. Two
things would break without care, and both are tested here: wasmtime's parallel compilation
leaves a thread pool that the child lacks (wasmext compiles on the calling thread), and a
lock held by another thread at the fork (wasmext takes its locks around every fork).
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import warnings

import pytest
from conftest import require_bundled, tally
from process_workers import fresh_module, mixed_work

from wasmext import monocypher as mc
from wasmext.runtime import Guest, bundled

POOL_TIMEOUT = 300  # seconds: a deadlocked child fails the test instead of hanging the run

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="Windows has no fork")


@pytest.fixture(autouse=True)
def _artifacts() -> None:
    require_bundled("monocypher")
    require_bundled("twosum")


def _use_everything_in_the_parent() -> tuple[int, int]:
    """Load, compile and run in the parent: what the children will inherit."""
    mixed_work(0)
    # Cranelift runs here, in the parent: the compilation the children used to hang after.
    assert Guest(fresh_module(1), cache=False).load().origin == "compiled"
    guest = bundled("monocypher")
    return id(guest._compiled), id(guest.instance())


def _fork_pool(processes: int) -> multiprocessing.pool.Pool:
    with warnings.catch_warnings():
        # Python 3.12+ warns about forking a process that has threads; that is the point.
        warnings.simplefilter("ignore", DeprecationWarning)
        return multiprocessing.get_context("fork").Pool(processes)


def test_a_fork_pool_after_the_parent_used_wasmext() -> None:
    parent_module, parent_instance = _use_everything_in_the_parent()
    with _fork_pool(3) as pool:
        results = pool.map_async(mixed_work, range(1, 13)).get(POOL_TIMEOUT)
    pids = {result["pid"] for result in results}
    assert len(pids) == 3
    for result in results:
        assert result["compiled"] == "compiled"  # a compilation in the child did not hang
        assert result["module"] == parent_module  # the parent's compiled module, as is
    # The children's tasks ran on the instance they inherited from the forking thread.
    assert {result["instance"] for result in results} == {parent_instance}
    mixed_work(13)  # and the parent carries on
    tally("processes", "fork pool after use", len(pids))


def test_a_childs_writes_stay_in_the_child() -> None:
    instance = bundled("twosum").instance()
    with instance.arena():
        pointer = instance.alloc(16)
        instance.write(pointer, b"parent's bytes!!")
        with _fork_pool(1) as pool:
            seen = pool.apply_async(_overwrite, (pointer,)).get(POOL_TIMEOUT)
        assert seen == b"parent's bytes!!"
        assert instance.read(pointer, 16) == b"parent's bytes!!"
    tally("processes", "fork pool, copy on write", 1)


def _overwrite(pointer: int) -> bytes:
    instance = bundled("twosum").instance()
    before = instance.read(pointer, 16)
    instance.write(pointer, b"child's bytes!!!")
    return before


_shared: mc.HmacSha512 | None = None  # what a forked child inherits without pickling


def test_a_fork_while_other_threads_are_inside_guest_calls() -> None:
    global _shared
    _use_everything_in_the_parent()
    stop = threading.Event()
    shared = _shared = mc.HmacSha512(b"shared key")  # other threads hold its lock
    errors: list[BaseException] = []
    rounds = [0] * 4

    def busy(index: int) -> None:
        try:
            while not stop.is_set():
                mixed_work(100 + index)
                shared.update(b"x")
                rounds[index] += 1
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=busy, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    try:
        with _fork_pool(2) as pool:
            results = pool.map_async(mixed_work, range(20, 26)).get(POOL_TIMEOUT)
            copies = pool.map_async(_digest_of_the_shared_object, range(2)).get(POOL_TIMEOUT)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not errors, errors
    assert all(rounds), rounds
    assert len(results) == 6
    assert all(len(digest) == 64 for digest in copies)
    tally("processes", "fork pool while threads run", 2)
    tally("threads", "busy during a fork", len(threads))


def _digest_of_the_shared_object(_: int) -> bytes:
    assert _shared is not None
    _shared.update(b"in the child")
    return _shared.digest()


def test_a_spawn_pool_loads_from_the_disk_cache() -> None:
    _use_everything_in_the_parent()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.map_async(mixed_work, range(30, 34)).get(POOL_TIMEOUT)
    assert len({result["pid"] for result in results}) == 2
    assert {result["origin"] for result in results} == {"disk-cache"}
    tally("processes", "spawn pool", 2)
