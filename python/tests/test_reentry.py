"""A signal handler or a ``__del__`` that uses wasmext on the thread it interrupted.

Both run between two bytecodes of whatever the thread was doing, possibly half-way through an
operation of wasmext that holds an instance's lock. They must neither deadlock nor disturb that
operation: functions, instances, the Monocypher API and two-sum serve the nested call (the
ones that own a scratch block or input area on another instance), and an incremental object
that is half-way through an update refuses with :class:`~wasmext.errors.ReentrantCall`.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import require_bundled, tally
from test_fault_injection import _RUNTIME, _Generators, _is_a_point

import wasmext
from wasmext import monocypher as mc
from wasmext.errors import ReentrantCall
from wasmext.runtime import bundled
from wasmext.twosum import TwoSum, twosum


class _Interruptions:
    """Runs ``nested`` at every point of wasmext's frames (as a signal handler would run)."""

    def __init__(self, nested: Callable[[], None]) -> None:
        self.nested = nested
        self.points = 0
        self._inside = False
        self._generators = _Generators()

    def _point(self) -> None:
        if self._inside:
            return
        self._inside = True
        try:
            self.points += 1
            self.nested()
        finally:
            self._inside = False

    def _trace(self, frame: Any, event: str, arg: Any) -> Any:
        if not frame.f_code.co_filename.startswith(_RUNTIME):
            return None
        if _is_a_point(frame, event, self._generators):
            self._point()
        return self._trace

    def _profile(self, frame: Any, event: str, arg: Any) -> None:
        if event == "c_return" and frame.f_code.co_filename.startswith(_RUNTIME):
            self._point()

    def run(self, operation: Callable[[], Any]) -> Any:
        sys.settrace(self._trace)
        sys.setprofile(self._profile)
        try:
            return operation()
        finally:
            sys.settrace(None)
            sys.setprofile(None)


def test_nested_calls_at_every_point_of_an_operation() -> None:
    require_bundled("monocypher")
    require_bundled("twosum")
    key, nonce, text = bytes(range(32)), bytes(24), b"attack at dawn" * 10
    mac, _, box = mc.aead_lock(text, key, nonce=nonce)
    digest = mc.blake2b(text)
    numbers = list(range(200))
    nested_results: list[bool] = []

    def nested() -> None:
        # The module-level APIs run on this thread's instances: the very ones interrupted.
        nested_results.append(mc.blake2b(text) == digest)
        nested_results.append(mc.aead_unlock(box, mac, key, nonce) == text)
        nested_results.append(twosum(numbers, 397) == (198, 199))

    for name, operation, expected in [
        ("aead_lock", lambda: mc.aead_lock(text, key, nonce=nonce), (mac, nonce, box)),
        ("blake2b", lambda: mc.blake2b(text), digest),
        ("twosum", lambda: TwoSum(python_cutoff=0).twosum(numbers, 397), (198, 199)),
        ("module twosum", lambda: twosum(numbers, 397), (198, 199)),
    ]:
        interruptions = _Interruptions(nested)
        assert interruptions.run(operation) == expected, name
        assert interruptions.points > 10, name
        tally("re-entries", name, interruptions.points)
    assert nested_results
    assert all(nested_results)


def test_nested_use_of_an_instance_at_every_point_of_its_arena() -> None:
    require_bundled("monocypher")
    instance = bundled("monocypher").new_instance()
    size = instance.memory_size

    def nested() -> None:
        # Reads, and a guest call that touches no memory it would not read back the same.
        assert instance.memory_size == size
        assert len(instance.read(size - 16, 16)) == 16
        assert instance.call("crypto_verify16", 1024, 1024) == 0

    def operation() -> bytes:
        with instance.arena():
            at = instance.alloc(64)
            instance.write(at, b"k" * 32)
            instance.call("crypto_blake2b", at + 32, 32, at, 32)
            return instance.read(at + 32, 32)

    interruptions = _Interruptions(nested)
    assert interruptions.run(operation) == mc.blake2b(b"k" * 32, 32)
    tally("re-entries", "instance", interruptions.points)


def test_an_object_half_way_through_an_update_refuses_a_nested_use() -> None:
    require_bundled("monocypher")
    state = mc.Blake2b(b"first part, ")
    outcomes: list[bool] = []

    def nested() -> None:
        try:
            state.update(b"x")
            outcomes.append(True)
        except ReentrantCall:
            outcomes.append(False)

    # Outside the update's critical section a nested update is simply the next one, inside it
    # is refused: either way each update is whole, so the digest counts every one applied.
    _Interruptions(nested).run(lambda: state.update(b"x"))
    assert False in outcomes, "no nested use came while the update was under way"
    assert state.digest() == mc.blake2b(b"first part, " + b"x" * (1 + outcomes.count(True)))
    with state._mutex, pytest.raises(ReentrantCall, match="signal handler or __del__"):
        state.close()
    assert not state.closed


def _child(code: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    root = str(Path(wasmext.__file__).resolve().parent.parent)
    return subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {root!r})\n" + code],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_real_signals_and_finalizers_that_use_wasmext() -> None:
    """SIGALRM every 500 µs, and objects whose ``__del__`` hashes, during a second of calls.

    With plain locks this deadlocked within milliseconds (the handler waited for the lock its
    own thread held); a deadlock here is a timeout.
    """
    require_bundled("monocypher")
    code = textwrap.dedent(
        """
        import gc, signal, time
        from wasmext import monocypher as mc
        from wasmext.twosum import twosum
        text = bytes(range(200))
        digest = mc.blake2b(text)
        handled = [0, 0]

        busy = []

        def handler(signum, frame):
            if busy:  # the next tick came before this handler finished: let it go
                return
            busy.append(1)
            try:
                assert mc.blake2b(text) == digest
                assert twosum(list(range(100)), 197) == (98, 99)
                handled[0] += 1
            finally:
                busy.clear()

        class Hashes:
            def __init__(self):
                self.cycle = self
            def __del__(self):
                assert mc.blake2b(text) == digest
                handled[1] += 1

        gc.set_threshold(50)
        signal.signal(signal.SIGALRM, handler)
        signal.setitimer(signal.ITIMER_REAL, 0.0005, 0.0005)
        key, nonce = bytes(32), bytes(24)
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            Hashes()
            mac, _, box = mc.aead_lock(text, key, nonce=nonce)
            assert mc.aead_unlock(box, mac, key, nonce) == text
            assert twosum(list(range(300)), 597) == (298, 299)
        signal.setitimer(signal.ITIMER_REAL, 0)
        print(handled[0], handled[1])
        """
    )
    result = _child(code, timeout=60)
    assert result.returncode == 0, result.stderr
    signals, finalizers = map(int, result.stdout.split())
    assert signals > 10, result.stdout
    assert finalizers > 10, result.stdout
    tally("re-entries", "real signals", signals)
    tally("re-entries", "finalizers", finalizers)
