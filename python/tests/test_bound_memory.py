"""Guest.bind(): each call leaves the arena reset and wiped, on both call paths and threads."""

from __future__ import annotations

import os
import threading

import bound_fixture
import pytest
from conftest import GuestFactory, tally
from secret_scan import assert_no_secrets

from wasmext.errors import GuestTrap, InvalidInput
from wasmext.runtime import Guest, Instance


@pytest.fixture
def guest(make_guest: GuestFactory) -> Guest:
    return make_guest(bound_fixture.wasm())


def test_nothing_of_a_call_is_left_in_memory(guest: Guest) -> None:
    bound = guest.bind(bound_fixture.INTERFACE)
    secret, text = os.urandom(4096), os.urandom(32).hex()
    key = os.urandom(32)
    assert bound.stash(secret) == len(secret)  # the guest copies it into its arena
    assert bound.reverse(secret) == secret[::-1]  # a vector result, in the arena
    assert bound.greet(text) == "hi, " + text
    assert bound.key_sum(key) == sum(key)
    values = bytearray(secret[:512])
    bound.bump_u8(values)
    with pytest.raises(bound.DivideByZero):
        bound.divide(int.from_bytes(secret[:4], "little") >> 1, 0)
    dump = guest.instance().dump()
    assert_no_secrets(
        dump,
        {
            "secret": secret,
            "reversed": secret[::-1],
            "text": text.encode(),
            "key": key,
            "bumped": bytes(values),
        },
    )


def test_a_bound_call_inside_an_open_arena_leaves_its_allocations_alone(guest: Guest) -> None:
    bound = guest.bind(bound_fixture.INTERFACE)
    instance = guest.instance()
    with instance.arena():
        pointer = instance.alloc(16)
        instance.write(pointer, b"still here, yes!")
        assert bound.reverse(b"abc") == b"cba"
        assert instance.read(pointer, 16) == b"still here, yes!"
    assert instance.read(pointer, 16) == bytes(16)  # the block's end reset everything


def test_a_trap_discards_memory_and_a_fresh_instance_takes_over(guest: Guest) -> None:
    bound = guest.bind(bound_fixture.INTERFACE)
    bound.stash(b"x" * 64)
    first = guest.instance()
    with pytest.raises(GuestTrap):
        bound.boom()
    assert first.poisoned
    assert bound.reverse(b"ab") == b"ba"
    assert guest.instance() is not first


def test_a_big_result_retires_the_instance(guest: Guest) -> None:
    bound = guest.bind(bound_fixture.INTERFACE)
    first = guest.instance()
    assert len(bound.fill(80 << 20)) == 80 << 20
    bound.nothing()
    assert guest.instance() is not first  # linear memory never shrinks: the big one goes


def test_threads_each_call_on_their_own_instance(guest: Guest) -> None:
    bound = guest.bind(bound_fixture.INTERFACE)
    # The instances themselves, not their ids: a finished thread's instance dies with it, and a
    # later one could be given its address.
    instances: list[Instance] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(seed: int) -> None:
        try:
            data = os.urandom(1000 + seed)
            for _ in range(200):
                assert bound.reverse(data) == data[::-1]
                assert bound.greet(str(seed)) == f"hi, {seed}"
            with lock:
                instances.append(guest.instance())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len({id(instance) for instance in instances}) == 8
    tally("threads", "bound", len(threads))


def test_a_bound_object_cannot_be_pickled(guest: Guest) -> None:
    import pickle

    bound = guest.bind(bound_fixture.INTERFACE)
    with pytest.raises(TypeError, match="send its Guest"):
        pickle.dumps(bound)
    assert isinstance(InvalidInput("x"), ValueError)
