"""Every path out of every public function of wasmext.monocypher leaves no secret behind.

For each entry of the API table (``monocypher_api``), with fresh random arguments, the whole of
linear memory (shadow stack, data and arena) holds no piece of any byte-string argument, public
ones included, after:

* the call itself, which may succeed or give its own verdict (a forged box, a failed check);
* running out of memory: GuestMemoryError before anything is written, then the same instance
  gives the right answer;
* a trap right after any guest call of the operation, the worst moment (every input and every
  intermediate value is in memory): GuestTrap and no output; the trapped instance's memory is
  zeroed, and the next call, on a fresh instance, gives the right answer;
* KeyboardInterrupt right after any step (allocation, copy in, guest call, copy out): it
  propagates, the arena is back at its start, and the same instance gives the right answer.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
from conftest import require_bundled, tally
from monocypher_api import FUNCTIONS, Buf, Int, Spec
from secret_scan import assert_no_secrets

from wasmext import monocypher as mc
from wasmext.errors import GuestMemoryError, GuestTrap
from wasmext.runtime import GUESTS_DIR, Guest, Instance, bundled


@pytest.fixture(autouse=True)
def _artifact() -> None:
    require_bundled("monocypher")


def _secret_arguments(spec: Spec, rng: random.Random) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, kind in spec.items():
        if isinstance(kind, Buf):
            size = kind.size
            if size is None:
                size = max(kind.low, rng.randrange(16, 300))
                size = min(size, kind.high) if kind.high is not None else size
            values[name] = os.urandom(size)
        elif isinstance(kind, Int):
            values[name] = kind.default
        else:
            values[name] = kind.values[0]
    return values


def _secrets(arguments: dict[str, Any]) -> dict[str, bytes]:
    # Every byte-string argument, public ones too (nonces, MACs, public keys): the guest's
    # stack frames and the arena are all wiped, so nothing of any of them may remain.
    return {
        name: value
        for name, value in arguments.items()
        if isinstance(value, bytes) and len(value) >= 8
    }


def _outcome(call: Callable[[], Any]) -> Any:
    """What a call gave, comparable across runs: its result, or the verdict it raised."""
    try:
        result = call()
    except mc.ForgeryError:
        return mc.ForgeryError
    return result if isinstance(result, (bytes, bool, tuple, type(None))) else type(result)


@contextmanager
def _running_on(instance: Instance) -> Iterator[Instance]:
    """Make ``instance`` this thread's Monocypher instance for the block."""
    guest = bundled("monocypher")
    previous = getattr(guest._local, "instance", None)
    guest._local.instance = instance
    try:
        yield instance
    finally:
        guest._local.instance = previous


@dataclass
class _Steps:
    """Records the steps an operation takes on an instance, and fails right after one."""

    taken: list[str] = field(default_factory=list)
    fail_after: int | None = None
    fault: Callable[[], None] = lambda: None

    def step(self, kind: str) -> None:
        self.taken.append(kind)
        if self.fail_after == len(self.taken) - 1:
            self.fail_after = None
            self.fault()


def _instrumented(instance: Instance, steps: _Steps) -> Instance:
    real_alloc, real_write, real_read = instance.alloc, instance.write, instance.read
    real_function = instance.function

    def alloc(n: int) -> int:
        pointer = real_alloc(n)
        steps.step("alloc")
        return pointer

    def write(pointer: int, data: Any) -> None:
        real_write(pointer, data)
        steps.step("write")

    def read(pointer: int, n: int) -> bytes:
        data = real_read(pointer, n)
        steps.step("read")
        return data

    def function(name: str) -> Callable[..., Any]:
        real = real_function(name)

        def call(*args: int) -> Any:
            result = real(*args)
            steps.step(f"call {name}")
            return result

        return call

    instance.alloc = alloc  # type: ignore[method-assign]
    instance.write = write  # type: ignore[method-assign]
    instance.read = read  # type: ignore[method-assign]
    instance.function = function  # type: ignore[method-assign]
    return instance


def _trap(instance: Instance) -> Callable[[], None]:
    wipe = instance.function("crypto_wipe")
    return lambda: wipe(0xFFFF_FFF0, 64)  # zeroes past the end of memory: a trap


def _interrupt() -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_no_path_out_of_a_function_leaves_a_secret(name: str) -> None:
    make, spec = FUNCTIONS[name]
    arguments = _secret_arguments(spec, random.Random(name))
    secrets = _secrets(arguments)
    guest = bundled("monocypher")
    arena_start = guest.new_instance().alloc(0)

    # The call, counting its steps.
    # Methods need their object, made before any instance is swapped in: only the method's
    # own steps count.
    function = make()
    steps = _Steps()
    with _running_on(_instrumented(guest.new_instance(), steps)) as instance:
        expected = _outcome(lambda: function(**arguments))
        assert_no_secrets(instance.dump(), secrets)
    assert steps.taken, "the operation took no step on this thread's instance"
    faults = 0

    # Out of memory: the cap is the initial memory, and the arena is full but for 16 bytes.
    capped = Guest(GUESTS_DIR / "monocypher.wasm", max_memory=guest.new_instance().memory_size)
    function = make()
    with _running_on(capped.new_instance()) as instance:
        instance.alloc(instance.memory_size - instance.alloc(0) - 16)
        with pytest.raises(GuestMemoryError):
            function(**arguments)
        assert instance.alloc(0) == arena_start  # the failed operation reset the arena
        assert_no_secrets(instance.dump(), secrets)
        assert _outcome(lambda: make()(**arguments)) == expected
        faults += 1

    calls = [index for index, kind in enumerate(steps.taken) if kind.startswith("call ")]
    for index in calls:
        steps = _Steps(fail_after=index)
        function = make()
        with _running_on(_instrumented(guest.new_instance(), steps)) as instance:
            steps.fault = _trap(instance)
            with pytest.raises(GuestTrap, match="out of bounds"):
                function(**arguments)
            assert instance.poisoned
            assert not any(instance.dump())
            assert _outcome(lambda: make()(**arguments)) == expected
            assert guest.instance() is not instance
            assert_no_secrets(guest.instance().dump(), secrets)
        faults += 1

    for index in range(len(steps.taken)):
        steps = _Steps(fail_after=index, fault=_interrupt)
        function = make()
        with _running_on(_instrumented(guest.new_instance(), steps)) as instance:
            with pytest.raises(KeyboardInterrupt):
                function(**arguments)
            assert_no_secrets(instance.dump(), secrets)
            assert instance.alloc(0) == arena_start
            instance.reset()
            assert _outcome(lambda: make()(**arguments)) == expected
            assert guest.instance() is instance
        faults += 1
    tally("faults injected", "monocypher API", faults)


@pytest.mark.parametrize("export", ["crypto_aead_lock", "crypto_blake2b_keyed"])
def test_a_trap_inside_the_guest_leaves_nothing(export: str) -> None:
    """The guest itself traps half-way: the data runs past the end of linear memory, so the
    guest faults while its key schedule is on the shadow stack and half the text is done."""
    instance = bundled("monocypher").new_instance()
    key, text = os.urandom(32), os.urandom(4096)
    out, k, n = (instance.alloc(size) for size in (64, 32, 24))
    instance.write(k, key)
    # The text sits in the last 4 KiB of memory, but the guest is told it is 64 KiB long.
    t = instance.memory_size - len(text)
    instance.write(t, text)
    if export == "crypto_aead_lock":
        arguments = (t, out, k, n, 0, 0, t, 65536)
    else:
        arguments = (out, 64, k, 32, t, 65536)
    with pytest.raises(GuestTrap, match="out of bounds"):
        instance.call(export, *arguments)
    assert instance.poisoned
    assert not any(instance.dump())
    assert mc.blake2b(text, key=key) == mc.Blake2b(text, key=key).digest()
    tally("faults injected", "monocypher traps inside the guest")
