"""An exception at any point of the runtime leaves no lock held, no secret and no broken state.

A signal handler (Ctrl-C's, say) runs between two bytecodes of whatever the thread is running,
wasmext's own code included, and what it raises propagates from there. Each scenario here runs
once to count the points where that can happen in wasmext's frames: every line, every entry
into a Python function, and every return from a C function (where CPython looks for pending
signals). Then it runs once per point, with ``KeyboardInterrupt`` raised at exactly that point,
each time on a fresh ``Guest`` (so the first use of everything, compilation aside, is among the
points: instantiation, the scratch block's growth, preparing exports). After each fault:

* no lock of wasmext is held;
* the instance is either consistent (the same operation then gives the right answer on it)
  or poisoned, its memory discarded, and replaced by ``Guest.instance()``;
* no piece of any secret argument is anywhere in its linear memory, and the scratch block is
  all zeros;
* an incremental object's context is the one from before the call or the one from after it.
"""

from __future__ import annotations

import dis
import functools
import inspect
import os
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, FrameType
from typing import Any, Callable

import pytest
from conftest import CallPath, assert_discarded, require_bundled, tally, twosum_reference
from secret_scan import assert_no_secrets

import wasmext
from wasmext import _forksafe
from wasmext import monocypher as mc
from wasmext.runtime import GUESTS_DIR, Guest, Instance
from wasmext.twosum import TwoSum

_RUNTIME = str(Path(wasmext.__file__).resolve().parent) + os.sep


class _Fault:
    """Counts the points in wasmext's frames, and raises at point ``at`` (once)."""

    def __init__(self, at: int | None = None) -> None:
        self.at = at
        self.points = 0
        self.where = ""
        self.generators = _Generators()

    def _point(self, frame: FrameType, event: str) -> None:
        index = self.points
        self.points += 1
        if index == self.at:
            sys.settrace(None)
            sys.setprofile(None)
            code = frame.f_code
            self.where = f"{Path(code.co_filename).name}:{frame.f_lineno} {code.co_name} ({event})"
            raise KeyboardInterrupt(self.where)

    def _trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        if not frame.f_code.co_filename.startswith(_RUNTIME):
            return None
        if _is_a_point(frame, event, self.generators):
            self._point(frame, event)
        return self._trace

    def _profile(self, frame: FrameType, event: str, arg: Any) -> None:
        if event == "c_return" and frame.f_code.co_filename.startswith(_RUNTIME):
            self._point(frame, event)

    @contextmanager
    def armed(self) -> Iterator[None]:
        sys.settrace(self._trace)
        sys.setprofile(self._profile)
        try:
            yield
        finally:
            sys.settrace(None)
            sys.setprofile(None)


@functools.cache
def _no_bytecode_runs(code: CodeType) -> frozenset[int]:
    """Offsets in ``code`` where a line starts but no real exception can arise.

    Two kinds, both where a line event fires but CPython never looks for pending signals:

    * a ``try:`` line: a ``NOP`` (3.11 on), which CPython leaves outside the enclosing
      ``with`` block's exception table, or a ``SETUP_FINALLY``/``SETUP_WITH`` (3.9, 3.10),
      which CPython's loop exempts from the signal check so that nothing can strike between
      it and the block it protects; raising there would skip a ``finally`` or ``__exit__``;
    * the start of a ``with`` block's normal exit, ``__exit__(None, None, None)``: nothing
      between the constants and the call checks for signals, so the next real exception can
      only come once ``__exit__`` has run; raising at the line would skip it.
    """
    instructions = list(dis.get_instructions(code))
    skipped = set()
    for index, instruction in enumerate(instructions):
        if instruction.opname in ("NOP", "SETUP_FINALLY", "SETUP_WITH", "SETUP_ASYNC_WITH"):
            skipped.add(instruction.offset)
            continue
        # Stack shuffling first when the block ends in a `return` (the value moves aside).
        rest = iter(instructions[index:])
        step = next(rest)
        while step.opname in ("SWAP", "COPY"):
            step = next(rest, step)
        constants = [step, next(rest, step), next(rest, step)]
        call = next(rest, step)
        if call.opname == "PRECALL":
            call = next(rest, call)
        if (
            all(i.opname == "LOAD_CONST" and i.argval is None for i in constants)
            and call.opname == "CALL"
            and call.arg == 2
        ):
            skipped.add(instruction.offset)
    return frozenset(skipped)


class _Generators:
    """The generator frames seen to start, kept alive so that their ids stay theirs."""

    _FLAGS = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR

    def __init__(self) -> None:
        self._started: dict[int, FrameType] = {}

    def resumes(self, frame: FrameType) -> bool:
        """Whether this "call" event resumes a generator rather than starting a function.

        CPython checks for signals when a function starts, not when a generator resumes
        (and 3.9 lets an exception raised by a tracer there skip the generator's `finally`).
        """
        if not frame.f_code.co_flags & self._FLAGS:
            return False
        if id(frame) in self._started:
            return True
        self._started[id(frame)] = frame
        return False


def _is_a_point(frame: FrameType, event: str, generators: _Generators) -> bool:
    """Whether CPython could raise a signal handler's exception at this trace event."""
    if event == "call":
        return not generators.resumes(frame)
    return event == "line" and frame.f_lasti not in _no_bytecode_runs(frame.f_code)


def _no_lock_held() -> None:
    # Single-threaded here: a held lock could only be held by this thread.
    for rank in _forksafe._registry:
        for lock in list(rank):
            assert not lock._is_owned(), f"a wasmext lock is still held: {lock!r}"


@dataclass
class _Scenario:
    """One operation on a fresh guest: how to run it, what it must give, what is secret."""

    artifact: str
    #: Given the guest: the operation, and what finishes it after a fault (checking what the
    #: fault left) and returns its result; both are run with no arguments.
    make: Callable[[Guest], tuple[Callable[[], Any], Callable[[], Any]]]
    expected: Any
    secrets: dict[str, bytes]
    #: Each run on a new Guest, so that instantiation and first uses are among the points;
    #: otherwise the runs share one Guest (and whatever instance the last run left).
    cold: bool = True


def _r(size: int) -> bytes:
    return os.urandom(size)


def _scenarios() -> dict[str, _Scenario]:
    key, nonce, text, ad, big = _r(32), _r(24), _r(100), _r(20), _r(70_000)
    box = mc.Monocypher()
    mac, _, ciphertext = box.aead_lock(text, key, ad, nonce=nonce)
    seed = _r(32)
    sk, _ = box.eddsa_key_pair(seed)
    password, salt = _r(16), _r(16)
    msg = _r(200)
    secret = {"key": key, "text": text, "ad": ad}

    def one_shot(call: Callable[[mc.Monocypher], Any]) -> Callable[[Guest], Any]:
        def make(guest: Guest) -> tuple[Callable[[], Any], Callable[[], Any]]:
            on = mc.Monocypher(guest)
            run = lambda: call(on)  # noqa: E731
            return run, run

        return make

    def blake2b_update(guest: Guest) -> tuple[Callable[[], Any], Callable[[], Any]]:
        on = mc.Monocypher(guest)
        state = mc.Blake2b(key=key, backend=on)
        before = bytes(state._state)
        after_object = state.copy()
        after_object.update(msg)
        after = bytes(after_object._state)

        def run() -> bytes:
            state.update(msg)
            return state.digest()

        def finish() -> bytes:
            assert bytes(state._state) in (before, after), "the context was half-updated"
            if bytes(state._state) == before:
                state.update(msg)
            return state.digest()

        return run, finish

    def arena(guest: Guest) -> tuple[Callable[[], Any], Callable[[], Any]]:
        def run() -> bytes:
            instance = guest.instance()
            with instance.arena():
                at = instance.alloc(len(key) + 32)
                instance.write(at, key)
                instance.call("crypto_blake2b", at + 32, 32, at, len(key))
                return instance.read(at + 32, 32)

        return run, run

    # Big numbers: small ones make the packer's scan for possible bools loop over them.
    numbers = random.Random(17).sample(range(2**24, 2**30), 1000)
    pair_sum = numbers[998] + numbers[999]

    def twosum(guest: Guest) -> tuple[Callable[[], Any], Callable[[], Any]]:
        solver = TwoSum(guest, python_cutoff=0)
        run = lambda: solver.twosum(numbers, pair_sum)  # noqa: E731
        return run, run

    return {
        "aead_lock": _Scenario(
            "monocypher",
            one_shot(lambda m: m.aead_lock(text, key, ad, nonce=nonce)),
            (mac, nonce, ciphertext),
            secret,
        ),
        "aead_unlock": _Scenario(
            "monocypher",
            one_shot(lambda m: m.aead_unlock(ciphertext, mac, key, nonce, ad)),
            text,
            secret,
            cold=False,
        ),
        "aead_lock of 70 KB (the block grows twice)": _Scenario(
            "monocypher",
            one_shot(lambda m: (m.blake2b(text), m.aead_lock(big, key, nonce=nonce))[1][0]),
            box.aead_lock(big, key, nonce=nonce)[0],
            {"key": key, "big": big},
        ),
        "blake2b keyed": _Scenario(
            "monocypher",
            one_shot(lambda m: m.blake2b(text, 32, key)),
            box.blake2b(text, 32, key),
            {"key": key, "text": text},
            cold=False,
        ),
        "argon2": _Scenario(
            "monocypher",
            one_shot(lambda m: m.argon2(password, salt, nb_blocks=8, nb_passes=1)),
            box.argon2(password, salt, nb_blocks=8, nb_passes=1),
            {"password": password},
            cold=False,
        ),
        "eddsa_sign": _Scenario(
            "monocypher",
            one_shot(lambda m: m.eddsa_sign(sk, msg)),
            box.eddsa_sign(sk, msg),
            {"seed": seed, "msg": msg},
            cold=False,
        ),
        "Blake2b.update": _Scenario(
            "monocypher",
            blake2b_update,
            mc.Blake2b(msg, key=key).digest(),
            {"key": key, "msg": msg},
            cold=False,
        ),
        "arena: alloc, write, call, read": _Scenario(
            "monocypher", arena, mc.blake2b(key, 32), {"key": key}, cold=False
        ),
        "TwoSum": _Scenario("twosum", twosum, twosum_reference(numbers, pair_sum), {}, cold=False),
    }


_SCENARIOS = _scenarios() if (GUESTS_DIR / "monocypher.wasm").is_file() else {}


def _check_instance(instance: Instance | None, secrets: dict[str, bytes]) -> None:
    if instance is None:
        return
    dump = instance.dump()
    if not instance.poisoned:
        scratch = instance.scratch
        block = dump[scratch.address : scratch.address + scratch.capacity]
        assert not any(block), "the scratch block is not all zeros"
    # A poisoned instance may not be discarded yet (an interrupt on the public path poisons
    # it before the call's outcome is known; the next use discards it), but it holds no secret.
    assert_no_secrets(dump, secrets)


@pytest.mark.parametrize("name", sorted(_SCENARIOS))
def test_an_exception_at_every_point(name: str, call_path: CallPath) -> None:
    _inject_everywhere(name, call_path == "fast", {})


# The guarded call path (a deadline to register with the watcher, fuel to set) on the
# scenarios that reach it through each layer: the raw runtime, Monocypher's, two-sum's.
GUARDED = ("aead_lock", "Blake2b.update", "arena: alloc, write, call, read", "TwoSum")


@pytest.mark.parametrize("name", [name for name in GUARDED if name in _SCENARIOS])
def test_an_exception_at_every_point_of_a_guarded_call(name: str, call_path: CallPath) -> None:
    _inject_everywhere(name, call_path == "fast", {"timeout": 60.0, "fuel": 10**15})


def _inject_everywhere(name: str, fast: bool, options: dict[str, Any]) -> None:
    scenario = _SCENARIOS[name]
    require_bundled(scenario.artifact)
    path = GUESTS_DIR / f"{scenario.artifact}.wasm"

    # Held for the whole test: every run then finds the module loaded in this process (a
    # cold run still instantiates afresh), so each run goes through the same points.
    loaded = Guest(path, fast_calls=fast, **options).load()
    counting = _Fault()
    guest = Guest(path, fast_calls=fast, **options)
    if not scenario.cold:
        run, _ = scenario.make(guest)
        assert run() == scenario.expected  # the runs will find everything in place
        # Dropped first: the counted run's object takes over what it leaves (a dropped
        # TwoSum's instance and areas), as every later run's does.
        del run, _
    run, _ = scenario.make(guest)
    with counting.armed():
        assert run() == scenario.expected
    assert counting.points > 10, "the scenario ran no runtime code"

    injected = 0
    for at in range(counting.points):
        if scenario.cold:
            guest = Guest(path, fast_calls=fast, **options)
        run, finish = scenario.make(guest)
        fault = _Fault(at)
        with fault.armed(), suppress(KeyboardInterrupt):
            run()
        if not fault.where:
            # A warm run can take fewer points than the counted one (nothing left to prepare).
            continue
        injected += 1
        used = getattr(guest._local, "instance", None)
        try:
            _no_lock_held()
            _check_instance(used, scenario.secrets)
            assert finish() == scenario.expected
            _check_instance(guest.instance(), scenario.secrets)
            if used is not None and used.poisoned:
                assert guest.instance() is not used, "a poisoned instance is still in use"
                assert_discarded(used)
        except AssertionError as error:
            raise AssertionError(f"after a fault at {fault.where}: {error}") from None
    assert injected > counting.points // 2, f"only {injected} of {counting.points} points hit"
    assert loaded.origin is not None
    label = f"every point: {name}" + (" (guarded)" if options else "")
    tally("faults injected", label, injected)
