"""Guest.bind(): the staging block that makes a call without a vector result one guest call.

The block is only ever written while the arena has not been reset since it was allocated: every
reset the runtime makes counts first, and a stale block is replaced, never written (a later
allocation may own those bytes). Between calls it is all zeros.
"""

from __future__ import annotations

import os
import sys
import threading
from contextlib import suppress
from typing import Any, Callable

import bound_fixture
import pytest
from conftest import GuestFactory, tally
from secret_scan import assert_no_secrets
from test_fault_injection import _Fault, _no_lock_held
from test_reentry import _Interruptions

from wasmext._staging import LARGEST
from wasmext.errors import (
    GuestBudgetExceeded,
    GuestError,
    GuestTimeout,
    RejectedArgument,
    WasmextError,
)
from wasmext.runtime import Bound, Guest, Instance


@pytest.fixture
def guest(make_guest: GuestFactory) -> Guest:
    return make_guest(bound_fixture.wasm())


def _block(instance: Instance) -> tuple[int, int, int]:
    count, address, capacity, _ = instance.staging.block
    return count, address, capacity


def _assert_block_is_zero(instance: Instance) -> None:
    _, address, capacity = _block(instance)
    assert not any(instance.read(address, capacity)), "the staging block holds data between calls"


def test_calls_reuse_one_block(guest: Guest) -> None:
    bound = guest.bind(bound_fixture.INTERFACE)
    assert bound.checksum(b"abc") == 294
    instance = guest.instance()
    first = _block(instance)
    assert first[0] == instance._core.resets
    for size in (0, 1, 100, 500):
        assert bound.checksum(bytes(size)) == 0
        assert bound.divide(7, 2) == 3
        assert bound.find(b"xyz", ord("z")) == 2
        assert _block(instance) == first, "a small call allocated a new block"
    _assert_block_is_zero(instance)
    assert bound.checksum(b"\x01" * 5000) == 5000  # too big: a bigger block takes over
    grown = _block(instance)
    assert grown[1] != first[1]
    assert grown[2] >= 5000 + 16
    _assert_block_is_zero(instance)


def _reset_routes() -> dict[str, Callable[[Instance, Bound], object]]:
    def arena(instance: Instance, bound: Bound) -> None:
        with instance.arena():
            instance.alloc(8)

    return {
        "Instance.reset()": lambda instance, bound: instance.reset(),
        "the end of an arena() block": arena,
        "a bound call with a vector result": lambda instance, bound: bound.reverse(b"ab"),
        "function('bump_reset')()": lambda instance, bound: instance.function("bump_reset")(),
        "function('bump_reset').unsigned()": lambda instance, bound: instance.function(
            "bump_reset"
        ).unsigned(),
        "call('bump_reset')": lambda instance, bound: instance.call("bump_reset"),
    }


@pytest.mark.parametrize("route", sorted(_reset_routes()))
def test_every_reset_makes_the_block_stale(guest: Guest, route: str) -> None:
    bound = guest.bind(bound_fixture.INTERFACE)
    assert bound.checksum(b"abc") == 294
    instance = guest.instance()
    count, address, capacity = _block(instance)
    _reset_routes()[route](instance, bound)
    assert instance._core.resets > count
    # The arena rewound: its next allocation is where the block was, and belongs to the caller.
    mine = instance.alloc(capacity)
    assert mine == address, "the test needs the arena to hand the block's bytes out again"
    marker = os.urandom(capacity)
    instance.write(mine, marker)
    assert bound.checksum(b"\x02" * 40) == 80
    assert bound.strict_sum(b"\x03" * 40) == 120  # the guest's own pointer check agrees
    assert instance.read(mine, capacity) == marker, "a stale block was written"
    assert _block(instance)[1] != address
    instance.reset()
    tally("bound staging", "reset routes")


def test_a_guest_that_resets_behind_the_hosts_back_gets_an_error_not_a_loop(guest: Guest) -> None:
    bound = guest.bind(bound_fixture.INTERFACE)
    assert bound.strict_sum(b"abc") == 294
    bound.forget()  # the guest's own reset: the host cannot know
    with pytest.raises(GuestError, match=r"strict_sum\(\) refused the host's result record"):
        bound.strict_sum(b"abc")
    assert bound.strict_sum(b"abc") == 294  # the failed call reset the arena: a new block
    with pytest.raises(RejectedArgument, match=r"picky\(\) rejected its argument limit"):
        bound.picky(b"abc", 4)
    assert bound.picky(b"abc", 3) == 3


def test_calls_inside_an_open_arena_leave_its_allocations_alone(guest: Guest) -> None:
    bound = guest.bind(bound_fixture.INTERFACE)
    instance = guest.instance()
    assert bound.checksum(b"abc") == 294  # a block from before the arena
    with instance.arena():
        pointer = instance.alloc(16)
        instance.write(pointer, b"still here, yes!")
        assert bound.checksum(b"abcd") == 394
        assert bound.reverse(b"abc") == b"cba"  # no reset inside the caller's block
        assert bound.checksum(b"abcde") == 495
        assert instance.read(pointer, 16) == b"still here, yes!"
    assert instance.read(pointer, 16) == bytes(16)
    assert bound.strict_sum(b"abc") == 294  # the block's end made the block stale


def test_nothing_of_a_call_is_left_between_calls(guest: Guest) -> None:
    bound = guest.bind(bound_fixture.INTERFACE)
    secret, key, text = os.urandom(3000), os.urandom(32), os.urandom(24).hex()
    number = int.from_bytes(os.urandom(8), "little") | 1 << 63
    values = bytearray(secret[:100])
    assert bound.checksum(secret) == sum(secret)
    assert bound.key_sum(key) == sum(key)
    assert bound.echo_u64(number) == number
    bound.bump_u8(values)
    assert bound.text_sum(text) == sum(text.encode())
    assert bound.find(secret[:64], secret[63]) is not None
    with pytest.raises(bound.DivideByZero):
        bound.divide(int.from_bytes(secret[:4], "little") >> 1, 0)
    instance = guest.instance()
    _assert_block_is_zero(instance)
    assert_no_secrets(
        instance.dump(),
        {
            "secret": secret,
            "key": key,
            "number": number.to_bytes(8, "little"),
            "bumped": bytes(values),
            "text": text.encode(),
        },
    )


def test_big_calls_take_the_arena_and_retire_past_the_retained_memory(guest: Guest) -> None:
    bound = guest.bind(bound_fixture.INTERFACE)
    data = b"\x01" * (LARGEST + 1)
    assert bound.checksum(data) == len(data)
    assert bound.checksum(b"abc") == 294
    first = guest.instance()
    assert _block(first)[2] <= LARGEST
    huge = bytes(70 << 20)
    assert bound.checksum(huge) == 0
    assert bound.checksum(b"abc") == 294
    assert guest.instance() is not first  # linear memory never shrinks: the big one goes


def test_nested_calls_at_every_point_of_a_call(guest: Guest) -> None:
    bound = guest.bind(bound_fixture.INTERFACE)
    secret = os.urandom(200)
    outcomes: list[bool] = []

    def nested() -> None:
        # The same function, another one and a resetting one, on the interrupted thread.
        outcomes.append(bound.checksum(b"abc") == 294)
        outcomes.append(bound.strict_sum(b"xy") == 241)
        outcomes.append(bound.reverse(b"ab") == b"ba")

    interruptions = _Interruptions(nested)
    assert interruptions.run(lambda: bound.strict_sum(secret)) == sum(secret)
    assert interruptions.points > 10
    assert outcomes
    assert all(outcomes)
    assert bound.strict_sum(secret) == sum(secret)
    tally("re-entries", "bound staging", interruptions.points)


def _staged_then_reset(bound: Bound, guest: Guest, secret: bytes) -> int:
    # strict_sum refuses a block the arena did not lend since its last reset: a block wrongly
    # thought valid after a reset fails the call.
    first: int = bound.strict_sum(secret)
    guest.instance().reset()
    second: int = bound.strict_sum(secret)
    assert first == second
    return second


def test_an_exception_at_every_point_of_a_call(guest: Guest) -> None:
    bound = guest.bind(bound_fixture.INTERFACE)
    secret = os.urandom(300)
    expected = sum(secret)
    assert _staged_then_reset(bound, guest, secret) == expected
    counting = _Fault()
    with counting.armed():
        _staged_then_reset(bound, guest, secret)
    assert counting.points > 10
    injected = 0
    for at in range(counting.points):
        fault = _Fault(at)
        with fault.armed(), suppress(KeyboardInterrupt):
            _staged_then_reset(bound, guest, secret)
        if not fault.where:
            continue
        injected += 1
        instance = guest._local.instance
        try:
            _no_lock_held()
            if not instance.poisoned:
                staging = instance.staging
                if staging.block[0] == instance._core.resets:
                    # A wipe cut short is finished by the next call; nothing else is left.
                    assert staging.dirty or not any(instance.read(*_block(instance)[1:]))
            assert _staged_then_reset(bound, guest, secret) == expected
            _assert_block_is_zero(guest.instance())
            assert_no_secrets(guest.instance().dump(), {"secret": secret})
        except AssertionError as error:
            raise AssertionError(f"after a fault at {fault.where}: {error}") from None
    assert injected > counting.points // 2
    tally("faults injected", "every point: bound staging", injected)


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no fork")
def test_a_forked_child_keeps_calling(guest: Guest) -> None:
    bound = guest.bind(bound_fixture.INTERFACE)
    assert bound.checksum(b"abc") == 294  # the parent's block comes along
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        ok = bound.checksum(b"abcd") == 394 and bound.reverse(b"ab") == b"ba"
        ok = ok and bound.strict_sum(b"abc") == 294
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert bound.checksum(b"abcd") == 394


def test_threads_share_a_bound_object(guest: Guest) -> None:
    bound = guest.bind(bound_fixture.INTERFACE)
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        try:
            data = bytes([seed]) * (100 + seed)
            for n in range(300):
                assert bound.checksum(data) == seed * len(data)
                assert bound.divide(seed + n, 1) == seed + n
                if n % 50 == 0:
                    assert bound.reverse(data) == data  # a reset now and then
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


@pytest.mark.parametrize("limit", [{"fuel": 100_000}, {"timeout": 0.2}])
def test_guarded_calls(make_guest: GuestFactory, limit: dict[str, Any]) -> None:
    guest = make_guest(bound_fixture.wasm(), **limit)
    bound = guest.bind(bound_fixture.INTERFACE)
    assert bound.checksum(b"abc") == 294
    first = guest.instance()
    stopped = GuestBudgetExceeded if "fuel" in limit else GuestTimeout
    with pytest.raises(stopped):
        bound.spin(10**12)
    assert first.poisoned
    assert bound.checksum(b"abcd") == 394
    assert guest.instance() is not first
    _assert_block_is_zero(guest.instance())


def test_a_reset_in_the_middle_of_a_call_is_an_error_not_a_wrong_answer(guest: Guest) -> None:
    bound = guest.bind(bound_fixture.INTERFACE)
    data = bytes(range(1, 65))
    assert bound.checksum(data) == sum(data)
    outcomes: list[str] = []

    def run() -> None:
        try:
            # checksum trusts its pointers: a wiped input would be a silent zero.
            outcomes.append("right" if bound.checksum(data) == sum(data) else "wrong")
        except WasmextError as error:
            # On the public path a reset inside bump_alloc's call poisons the instance.
            refused = "the arena was reset during the call" in str(error)
            outcomes.append("refused" if refused else type(error).__name__)

    counting = _Resetting(guest, None)
    with counting.armed():
        run()
    for at in range(counting.points):
        with _Resetting(guest, at).armed():
            run()
        _assert_block_is_zero(guest.instance())
    assert "wrong" not in outcomes
    assert "refused" in outcomes
    assert bound.checksum(data) == sum(data)
    assert_no_secrets(guest.instance().dump(), {"data": data})
    tally("bound staging", "resets at every point", counting.points)


class _Resetting(_Fault):
    """Resets the thread's instance at point ``at`` (as a signal handler might), not raising."""

    def __init__(self, guest: Guest, at: int | None) -> None:
        super().__init__(at)
        self.guest = guest

    def _point(self, frame: Any, event: str) -> None:
        index = self.points
        self.points += 1
        if index == self.at:
            sys.settrace(None)
            sys.setprofile(None)
            with suppress(WasmextError):
                self.guest.instance().reset()
