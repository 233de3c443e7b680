"""Guest calls on threads with small native stacks: a clear error, never a crash (issue 17/6).

wasmtime lets a guest use ``max_wasm_stack`` bytes below the point where the call enters
wasm; on a thread whose stack is smaller the guest overflows into the guard page and the
process dies with SIGSEGV. Each case therefore runs in a child process, on a thread started
after ``threading.stack_size(N)`` (or on the main thread), and the parent checks how the
child ended: a small stack must give ``StackTooSmall``, a big one a ``GuestTrap`` for
unbounded recursion and the right digest for an ordinary bundled call.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ARENA, CALL_PATHS, require_bundled

import wasmext
from wasmext import _stack

pytestmark = pytest.mark.skipif(
    _stack.thread_stack_size() is None,
    reason="the thread's stack size is unknown here (Windows), so nothing is refused",
)

KIB = 1024
#: Thread stack sizes to try (0: the main thread, whatever RLIMIT_STACK gives it).
STACKS = [64 * KIB, 256 * KIB, 512 * KIB, 1024 * KIB, 8192 * KIB, 0]

# Unbounded recursion, in the wasmext ABI (the arena provides bump_alloc and bump_reset).
RECURSE = """
  (func $down (export "recurse") (param $n i32) (result i32)
    (i32.add (call $down (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))
"""
# The same recursion in a start function: instantiation itself runs wasm.
START = """
  (func $down (param $n i32) (result i32)
    (i32.add (call $down (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))
  (func $start (drop (call $down (i32.const 0))))
  (start $start)
"""

CHILD = """
import sys
import threading

import wasmtime

import wasmext
from wasmext.runtime import Guest

def case():
    {case}

def run():
    try:
        outcome = case()
    except wasmext.StackTooSmall as error:
        outcome = "StackTooSmall: " + str(error)
    except wasmext.GuestTrap as error:
        outcome = "GuestTrap: " + str(error).splitlines()[0]
    print(outcome, flush=True)

if {stack}:
    threading.stack_size({stack})
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
else:
    run()
"""


def _package_root() -> str:
    """The directory wasmext was imported from (source tree or site-packages)."""
    return str(Path(wasmext.__file__).resolve().parent.parent)


def run_child(case: str, stack: int) -> str:
    """Run ``case`` (an expression) on a thread with ``stack`` bytes; return its outcome."""
    code = CHILD.format(case=f"return {case}", stack=stack)
    env = {**os.environ, "PYTHONPATH": _package_root()}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    # A negative return code is the signal that killed the child: -11 is SIGSEGV, the bug.
    assert done.returncode == 0, (
        f"child died with return code {done.returncode} on a "
        f"{stack // KIB or 'main-thread'} KiB stack\nstderr: {done.stderr[-2000:]}"
    )
    return done.stdout.strip().splitlines()[-1]


def refused(stack: int) -> bool:
    """Whether a thread started with ``threading.stack_size(stack)`` must be refused."""
    if stack == 0:
        # The child's main thread gets the same RLIMIT_STACK as ours (pytest runs tests on
        # the main thread): normally 8 MiB, but `ulimit -s 256` must give a refusal too.
        stack = _stack.thread_stack_size() or 0
    return stack < _stack.required_stack_size()


def stack_id(stack: int) -> str:
    return f"{stack // KIB}KiB" if stack else "main"


def assert_refused(outcome: str, stack: int) -> None:
    assert outcome.startswith("StackTooSmall: "), outcome
    # The message says what the thread has, what is needed and how to get it.
    if stack:
        assert f"native stack is {stack // KIB} KiB" in outcome
    assert f"threading.stack_size({_stack.required_stack_size()})" in outcome


def assert_trapped_unless_refused(outcome: str, stack: int, trap: str) -> None:
    """A clean refusal on a stack too small, else the guest's own trap: never a crash."""
    if refused(stack):
        assert_refused(outcome, stack)
    else:
        assert outcome.startswith("GuestTrap: "), outcome
        assert trap in outcome


def guest_from_wat(wat: str, options: str) -> str:
    """Child code building a Guest from ``wat`` (the ABI's memory added) with ``options``."""
    return (
        f'Guest(wasmtime.wat2wasm("(module (memory (export \\"memory\\") 1)" + {wat!r} + ")"),'
        f" cache=False{options})"
    )


@pytest.mark.parametrize("stack", STACKS, ids=stack_id)
@pytest.mark.parametrize("path", CALL_PATHS)
def test_deep_recursion(stack: int, path: str) -> None:
    guest = guest_from_wat(ARENA + RECURSE, f", fast_calls={path == 'fast'}")
    outcome = run_child(f'{guest}.instance().call("recurse", 0)', stack)
    assert_trapped_unless_refused(outcome, stack, "call stack exhausted")


@pytest.mark.parametrize("stack", STACKS, ids=stack_id)
def test_recursing_start_function(stack: int) -> None:
    outcome = run_child(f"{guest_from_wat(ARENA + START, '')}.instance()", stack)
    assert_trapped_unless_refused(outcome, stack, "instantiation trapped")


@pytest.mark.parametrize("stack", STACKS, ids=stack_id)
def test_bundled_call(stack: int) -> None:
    require_bundled("monocypher")
    outcome = run_child("__import__('wasmext.monocypher').monocypher.blake2b(b'abc').hex()", stack)
    if refused(stack):
        assert_refused(outcome, stack)
    else:
        assert outcome == hashlib.blake2b(b"abc").hexdigest()


def test_verdict_is_per_thread() -> None:
    """A refused thread does not taint the next one, nor the other way round."""
    code = """
    import threading
    from wasmext import _stack
    seen = []
    def probe():
        seen.append(_stack.thread_stack.ok)
    for size in (256 * 1024, 8 * 1024 * 1024, 256 * 1024, 8 * 1024 * 1024):
        threading.stack_size(size)
        thread = threading.Thread(target=probe)
        thread.start()
        thread.join()
    probe()
    print(seen)
    """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": _package_root()},
        check=True,
    )
    assert done.stdout.strip() == f"[False, True, False, True, {not refused(0)}]"


def test_check_is_cheap_to_pass_here() -> None:
    """The test process's main thread (a multi-MiB stack) passes, and keeps passing."""
    if refused(0):
        pytest.skip("this process runs with a stack limit below what guests need")
    for _ in range(3):
        _stack.check_thread_stack()
    assert _stack.thread_stack.ok
