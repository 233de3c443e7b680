"""Shared fixtures: small inline WAT guests, both call paths, an isolated cache dir, and the
tally of what the run tried (property examples, bad inputs, threads, processes, input sizes)."""

from __future__ import annotations

import functools
import os
import random
import shutil
import tempfile
import threading
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Callable

import pytest
import wasmtime
from hypothesis import HealthCheck, settings

from wasmext import _fastcall
from wasmext.runtime import GUESTS_DIR, Guest

# Our function-scoped fixtures are stateless factories and fresh guests, safe to reuse
# across the examples of one test.
settings.register_profile(
    "ci", print_blob=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# `cargo xtask fuzz` runs the property tests for longer: HYPOTHESIS_PROFILE=fuzz, with
# WASMEXT_FUZZ_EXAMPLES examples per test (each round, with a fresh seed).
settings.register_profile(
    "fuzz",
    parent=settings.get_profile("ci"),
    max_examples=int(os.environ.get("WASMEXT_FUZZ_EXAMPLES", "1000")),
    deadline=None,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Set before any test module is imported (some create guests at import time), so the
# run never touches the user's real cache directory.
_CACHE_DIR = tempfile.mkdtemp(prefix="wasmext-test-cache-")
os.environ["WASMEXT_CACHE_DIR"] = _CACHE_DIR


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Pick the Hypothesis seed ourselves (unless given) so every run can be replayed."""
    if config.getoption("hypothesis_seed", None) is None:
        config.option.hypothesis_seed = str(random.SystemRandom().randrange(2**32))


def pytest_report_header(config: pytest.Config) -> str:
    """Print the seed: rerun with ``--hypothesis-seed=N`` to replay every property test."""
    return f"hypothesis seed: {config.getoption('hypothesis_seed')}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the run's cache directory; hand the tally to xtask if it asked for it."""
    shutil.rmtree(_CACHE_DIR, ignore_errors=True)
    path = os.environ.get(TALLY_ENV)
    if path and _tallies:
        with open(path, "a", encoding="utf-8") as file:
            for (kind, what), count in sorted(_tallies.items()):
                file.write(f"{kind}\t{what}\t{count}\n")


# ---------------------------------------------------------------------------------- tally

#: File that `cargo xtask test` and `cargo xtask fuzz` read the counts from (one line per
#: counter: kind, what, count), so that their summaries quote what really ran.
TALLY_ENV = "WASMEXT_TALLY"
#: Kinds whose counters keep the largest value instead of a sum.
LARGEST = "largest input (bytes)"
_tallies: defaultdict[tuple[str, str], int] = defaultdict(int)


def tally(kind: str, what: str, count: int = 1) -> None:
    """Count ``count`` more of ``kind`` (``"bad inputs"``, ``"threads"``...) for ``what``."""
    key = (kind, what)
    _tallies[key] = max(_tallies[key], count) if kind == LARGEST else _tallies[key] + count


def assert_unlocked(lock: Any) -> None:
    """``lock`` (one of wasmext's reentrant locks) is free: another thread can take it."""
    taken: list[bool] = []

    def take() -> None:
        got = lock.acquire(blocking=False)
        taken.append(got)
        if got:
            lock.release()

    thread = threading.Thread(target=take)
    thread.start()
    thread.join()
    assert taken == [True], f"the lock is held: {lock!r}"


def assert_discarded(instance: Any) -> None:
    """``instance`` (poisoned) holds nothing but what a freshly instantiated one holds.

    Discarded memory reads back as zeros, or, for pages wasmtime maps from the module's own
    data image, as that image: nothing of any call.
    """
    fresh = instance.guest.new_instance().dump()
    dump = instance.dump()
    image = dump[: len(fresh)]
    assert image in (fresh, bytes(len(fresh))), "the discarded memory is not as instantiated"
    assert not any(dump[len(fresh) :]), "the discarded memory is not zero past the image"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Count every example each Hypothesis test runs (``hypothesis.inner_test`` is the hook
    Hypothesis documents for wrapping the body); with ``$WASMEXT_PROPERTIES_ONLY`` (``cargo
    xtask fuzz``), run only the Hypothesis tests."""
    wrapped: set[int] = set()
    properties = []
    for item in items:
        function = getattr(item, "obj", None)
        handle = getattr(function, "hypothesis", None)
        if handle is None:
            continue
        properties.append(item)
        if id(function) in wrapped:
            continue
        wrapped.add(id(function))
        name = f"{function.__module__}.{function.__name__}"  # type: ignore[union-attr]
        handle.inner_test = _counted(handle.inner_test, name)
    if os.environ.get("WASMEXT_PROPERTIES_ONLY"):
        config.hook.pytest_deselected(items=[item for item in items if item not in properties])
        items[:] = properties


def _counted(inner: Callable[..., Any], name: str) -> Callable[..., Any]:
    @functools.wraps(inner)
    def run_example(*args: Any, **kwargs: Any) -> Any:
        tally("property examples", name)
        return inner(*args, **kwargs)

    return run_example


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the tally's totals under the test results."""
    totals: defaultdict[str, int] = defaultdict(int)
    for (kind, _), count in _tallies.items():
        totals[kind] = max(totals[kind], count) if kind == LARGEST else totals[kind] + count
    if totals:
        terminalreporter.write_line(
            "tally: " + ", ".join(f"{kind} {count:,}" for kind, count in sorted(totals.items()))
        )


# A bump arena in the shape of the wasmext ABI: 16-byte aligned, zeroed, 0 on failure.
ARENA = """
  (global $heap i32 (i32.const 1024))
  (global $top (mut i32) (i32.const 1024))
  (func $bump_alloc (export "bump_alloc") (param $n i32) (result i32)
    (local $p i64) (local $end i64) (local $have i64)
    (local.set $p (i64.and (i64.add (i64.extend_i32_u (global.get $top)) (i64.const 15))
                           (i64.const -16)))
    (local.set $end (i64.add (local.get $p) (i64.extend_i32_u (local.get $n))))
    (if (i64.ge_u (local.get $end) (i64.const 0x100000000)) (then (return (i32.const 0))))
    (local.set $have (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)))
    (if (i64.gt_u (local.get $end) (local.get $have))
      (then (if (i32.eq (memory.grow (i32.wrap_i64 (i64.shr_u
                  (i64.add (i64.sub (local.get $end) (local.get $have)) (i64.const 0xFFFF))
                  (i64.const 16))))
                (i32.const -1))
              (then (return (i32.const 0))))))
    (global.set $top (i32.wrap_i64 (local.get $end)))
    (i32.wrap_i64 (local.get $p)))
  (func (export "bump_reset")
    (memory.fill (global.get $heap) (i32.const 0) (i32.sub (global.get $top) (global.get $heap)))
    (global.set $top (global.get $heap)))
"""

# An allocator that always hands out fresh pages at the end of memory, so it follows
# memory the host grew (the SDK arena skips such memory the same way).
TAIL_ALLOCATOR = """
  (func (export "bump_alloc") (param $n i32) (result i32)
    (local $old i32)
    (local.set $old (memory.grow (i32.wrap_i64 (i64.shr_u
        (i64.add (i64.extend_i32_u (local.get $n)) (i64.const 0xFFFF)) (i64.const 16)))))
    (if (i32.eq (local.get $old) (i32.const -1)) (then (return (i32.const 0))))
    (i32.shl (local.get $old) (i32.const 16)))
  (func (export "bump_reset"))
"""

TOOLS = """
  (func (export "boom") unreachable)
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "echo32") (param i32) (result i32) (local.get 0))
  (func (export "echo64") (param i64) (result i64) (local.get 0))
  (func (export "noop"))
  (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "spin") (param $n i32) (result i32)
    (local $acc i32)
    (block $done (loop $again
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $acc (i32.add (local.get $acc) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $again)))
    (local.get $acc))
  (func (export "floaty") (param f64) (result f64) (local.get 0))
  (func (export "pair") (result i32 i32) (i32.const 1) (i32.const 2))
"""

# The reference two-sum, brute force (O(n^2)), with the twosum ABI (docs/abi.md; it ignores the
# table): scanning j forward from `from` and i backward finds exactly the pair the dict-based
# reference returns, and every number from `from` on is scanned for a 0 or 1.
TWOSUM = """
  (func $load (param $ptr i32) (param $k i32) (param $log i32) (result i64)
    (if (result i64) (i32.eq (local.get $log) (i32.const 2))
      (then (i64.load32_s (i32.add (local.get $ptr) (i32.shl (local.get $k) (i32.const 2)))))
      (else (i64.load (i32.add (local.get $ptr) (i32.shl (local.get $k) (i32.const 3)))))))
  (func $scan (param $ptr i32) (param $k i32) (param $len i32) (param $log i32) (result i64)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $k) (local.get $len)))
      (if (i64.le_u (call $load (local.get $ptr) (local.get $k) (local.get $log)) (i64.const 1))
        (then (return (i64.const 0x8000000000000000))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next)))
    (i64.const 0))
  (func $solve (param $ptr i32) (param $len i32) (param $from i32) (param $t i64) (param $out i32)
               (param $log i32) (result i32)
    (local $end i64)
    (if (i32.and (local.get $ptr) (i32.sub (i32.shl (i32.const 1) (local.get $log)) (i32.const 1)))
      (then (return (i32.const -1))))
    (local.set $end (i64.add (i64.extend_i32_u (local.get $ptr))
                             (i64.shl (i64.extend_i32_u (local.get $len))
                                      (i64.extend_i32_u (local.get $log)))))
    (if (i64.gt_u (local.get $end) (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)))
      (then (return (i32.const -1))))
    (if (i32.gt_u (local.get $from) (local.get $len)) (then (return (i32.const 2))))
    (i64.store (local.get $out)
      (i64.or (call $search (local.get $ptr) (local.get $len) (local.get $from) (local.get $t)
                            (local.get $log))
              (call $scan (local.get $ptr) (local.get $from) (local.get $len) (local.get $log))))
    (i32.const 0))
  (func $search (param $ptr i32) (param $len i32) (param $j i32) (param $t i64) (param $log i32)
                (result i64)
    (local $i i32) (local $vj i64) (local $want i64)
    (block $done (loop $outer
      (br_if $done (i32.ge_u (local.get $j) (local.get $len)))
      (local.set $vj (call $load (local.get $ptr) (local.get $j) (local.get $log)))
      (local.set $want (i64.sub (local.get $t) (local.get $vj)))
      ;; skip when t - vj overflowed i64, or (int32 input) the complement is not an int32
      (if (i32.and
            (i64.ge_s (i64.and (i64.xor (local.get $t) (local.get $vj))
                               (i64.xor (local.get $t) (local.get $want)))
                      (i64.const 0))
            (i32.or (i32.eq (local.get $log) (i32.const 3))
                    (i64.eq (local.get $want)
                            (i64.extend_i32_s (i32.wrap_i64 (local.get $want))))))
        (then
          (local.set $i (local.get $j))
          (block $miss (loop $inner
            (br_if $miss (i32.eqz (local.get $i)))
            (local.set $i (i32.sub (local.get $i) (i32.const 1)))
            (if (i64.eq (call $load (local.get $ptr) (local.get $i) (local.get $log))
                        (local.get $want))
              (then (return (i64.or (i64.or (i64.shl (i64.extend_i32_u (local.get $i))
                                                     (i64.const 32))
                                            (i64.extend_i32_u (local.get $j)))
                                    (i64.const 0x4000000000000000)))))
            (br $inner)))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $outer)))
    (i64.const 0))
  (func (export "twosum_i32") (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)
    (call $solve (local.get 0) (local.get 1) (local.get 2) (local.get 5) (local.get 8)
                 (i32.const 2)))
  (func (export "twosum_i64") (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)
    (call $solve (local.get 0) (local.get 1) (local.get 2) (local.get 5) (local.get 8)
                 (i32.const 3)))
"""


def twosum_reference(nums: Iterable[int], target: int) -> tuple[int, int] | None:
    """The dict-based two-sum every wasmext answer must equal, verbatim."""
    seen: dict[int, int] = {}
    for i, num in enumerate(nums):
        if target - num in seen:
            return seen[target - num], i
        seen[num] = i
    return None


def module(*parts: str, memory: str = '(memory (export "memory") 1)') -> bytes:
    """Assemble a module from WAT snippets."""
    return wasmtime.wat2wasm("(module " + memory + "".join(parts) + ")")


CallPath = str
CALL_PATHS = ["fast", "public"] if _fastcall.AVAILABLE else ["public"]


@pytest.fixture(params=CALL_PATHS)
def call_path(request: pytest.FixtureRequest) -> CallPath:
    """Run the test once per call path (fast unchecked calls and wasmtime-py's public API)."""
    return request.param  # type: ignore[no-any-return]


GuestFactory = Callable[..., Guest]


@pytest.fixture
def make_guest(call_path: CallPath) -> GuestFactory:
    """Build an uncached Guest on the current call path; extra kwargs go to Guest."""

    def make(wasm: bytes, **kwargs: object) -> Guest:
        kwargs.setdefault("cache", False)
        return Guest(wasm, fast_calls=call_path == "fast", **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture
def tools_guest(make_guest: GuestFactory) -> Guest:
    """The arena plus small tool functions."""
    return make_guest(module(ARENA, TOOLS))


@pytest.fixture
def wat_twosum_guest(make_guest: GuestFactory) -> Guest:
    """A brute-force two-sum guest with the real guest's ABI."""
    return make_guest(module(ARENA, TWOSUM))


def bundled_twosum_path() -> Path | None:
    """The shipped twosum artifact, if it has been built."""
    path = GUESTS_DIR / "twosum.wasm"
    return path if path.is_file() else None


def require_bundled(name: str) -> Path:
    """Path of a shipped artifact; skip the test if it is missing (fail under CI)."""
    path = GUESTS_DIR / f"{name}.wasm"
    if not path.is_file():
        if os.environ.get("WASMEXT_REQUIRE_GUESTS"):
            pytest.fail(f"{path} is missing; run `cargo xtask build`")
        pytest.skip(f"{path} not built; run `cargo xtask build`")
    return path
