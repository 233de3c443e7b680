"""Every path out of every public function of wasmext.monocypher leaves no secret behind.

An operation is one guest call in its instance's scratch block (``_scratch.py``): the block is
taken (grown on first use), the inputs are written into it, the guest runs, the outputs are
copied out, and the bytes it used are zeroed. For each entry of the API table
(``monocypher_api``), plus the methods that finish an object (``digest``), the test hooks the
real steps of that flow on an instance of its own: the block's growth, each access to the
block's view, and the guest call, all seen from the operation's code (on both call paths).
Then, with fresh random arguments, the whole of linear memory (shadow stack, data, arena and
block) holds no piece of any byte-string argument, public ones included, and the block is all
zeros and its lock free, after:

* the call itself, which may succeed or give its own verdict (a forged box, a failed check);
* running out of memory (the block cannot grow under ``max_memory``): GuestMemoryError before
  anything is written, the caller's own arena allocation untouched, and with room again the
  same instance gives the right answer; likewise when an existing block cannot grow for a
  bigger call;
* a trap in the guest call, right after it did its work (the worst moment: every input and
  output is in memory): GuestTrap and no output; the trapped instance's memory is zeroed, and
  the next call, on a fresh instance, gives the right answer;
* KeyboardInterrupt at every step (the block's growth, the block taken, each input written,
  the guest call, each output about to be copied and copied): it propagates, the arena is
  untouched, and the same instance gives the right answer.

An object's failed call changes nothing: its context is the same after any of these, so the
same object then gives the right answer too.
"""

from __future__ import annotations

import functools
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
from conftest import CallPath, assert_discarded, assert_unlocked, require_bundled, tally
from monocypher_api import FUNCTIONS, Buf, Int, Spec
from secret_scan import assert_no_secrets

from wasmext import monocypher as mc
from wasmext._monocypher_bindings import Bindings, shared_bindings
from wasmext._scratch import PAGE, Scratch
from wasmext.errors import GuestMemoryError, GuestTrap
from wasmext.runtime import DEFAULT_MAX_MEMORY, GUESTS_DIR, Function, Guest, Instance, bundled


@pytest.fixture(autouse=True)
def _artifact() -> None:
    require_bundled("monocypher")


# The methods that finish an object take no argument: their secrets are those the object was
# made with, which its context carries into the guest (a keyed hash's key block, Poly1305's
# pad, the message bytes not hashed yet).
FINISHERS: dict[str, tuple[Callable[..., Callable[[], Any]], Spec]] = {
    "Blake2b.digest": (
        lambda key, msg: mc.Blake2b(msg, key=key).digest,
        {"key": Buf(64), "msg": Buf(high=127)},
    ),
    "Sha512.digest": (lambda msg: mc.Sha512(msg).digest, {"msg": Buf(high=127)}),
    "HmacSha512.digest": (
        lambda key, msg: mc.HmacSha512(key, msg).digest,
        {"key": Buf(), "msg": Buf(high=127)},
    ),
    "Poly1305.digest": (
        lambda key, msg: _fed(mc.Poly1305(key), msg).digest,
        {"key": Buf(32), "msg": Buf(high=15)},
    ),
}


def _fed(state: mc.Poly1305, msg: bytes) -> mc.Poly1305:
    state.update(msg)
    return state


def _secret_arguments(spec: Spec, rng: random.Random) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, kind in spec.items():
        if isinstance(kind, Buf):
            size = kind.size
            if size is None:
                # Now and then more than a page, so that the block is zeroed by memset too.
                big = kind.high is None and rng.random() < 0.25
                size = rng.randrange(PAGE, PAGE + 4096) if big else rng.randrange(16, 300)
                size = max(kind.low, size if kind.high is None else min(size, kind.high))
            values[name] = os.urandom(size)
        elif isinstance(kind, Int):
            values[name] = kind.default
        else:
            values[name] = kind.values[0]
    return values


def _secrets(arguments: dict[str, Any]) -> dict[str, bytes]:
    # Every byte-string argument, public ones too (nonces, MACs, public keys): the guest's
    # stack frames and the block are all wiped, so nothing of any of them may remain.
    return {
        name: value
        for name, value in arguments.items()
        if isinstance(value, bytes) and len(value) >= 8
    }


@dataclass
class _Case:
    """One public function: how to get it, what to call it with, and what must not remain."""

    make: Callable[[], Callable[..., Any]]
    arguments: dict[str, Any]
    spec: Spec
    secrets: dict[str, bytes]


def _case(name: str) -> _Case:
    rng = random.Random(name)
    if name in FUNCTIONS:
        make, spec = FUNCTIONS[name]
        arguments = _secret_arguments(spec, rng)
        return _Case(make, arguments, spec, _secrets(arguments))
    build, spec = FINISHERS[name]
    made_with = _secret_arguments(spec, rng)
    return _Case(lambda: build(**made_with), {}, {}, _secrets(made_with))


def _outcome(function: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    """What a call gave, comparable across runs: its result, or the verdict it raised."""
    try:
        result = function(**arguments)
    except mc.ForgeryError:
        return mc.ForgeryError
    return result if isinstance(result, (bytes, bool, tuple, type(None))) else type(result)


def _backend_of(function: Callable[..., Any]) -> Bindings:
    """The bindings ``function`` runs on: its Monocypher's, its object's, or the shared ones."""
    owner = getattr(function, "__self__", None)
    bindings = getattr(owner, "bindings", None) or getattr(owner, "_bindings", None)
    return bindings if isinstance(bindings, Bindings) else shared_bindings()


def _context_of(function: Callable[..., Any]) -> bytes | None:
    """A copy of the context of the object ``function`` is a method of (None for the rest)."""
    state = getattr(getattr(function, "__self__", None), "_state", None)
    return bytes(state) if state is not None else None


def _forget_session(bindings: Bindings) -> None:
    bindings.forget_session()


@contextmanager
def _running_on(instance: Instance, function: Callable[..., Any]) -> Iterator[Instance]:
    """Make ``instance`` this thread's Monocypher instance for ``function``, for the block.

    ``function``'s backend keeps a session on the thread's instance; it is dropped, so the
    next call asks :meth:`Guest.instance` again, and gets ``instance``.
    """
    guest = bundled("monocypher")
    backend = _backend_of(function)
    previous = getattr(guest._local, "instance", None)
    guest._local.instance = instance
    _forget_session(backend)
    try:
        yield instance
    finally:
        guest._local.instance = previous
        _forget_session(backend)


# ------------------------------------------------------------------------- the steps, hooked


@dataclass
class _Steps:
    """Records the steps an operation takes on an instance, and fails right after one."""

    taken: list[str] = field(default_factory=list)
    fail_after: int | None = None
    fault: Callable[[], None] = lambda: None
    #: The size of every block the operation asked for, and of those it was refused.
    sizes: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)

    def step(self, kind: str) -> None:
        self.taken.append(kind)
        if self.fail_after == len(self.taken) - 1:
            self.fail_after = None
            self.fault()


class _Copy(bytearray):
    """An output as the operation takes it from the block; ``tobytes()`` ends its copy."""

    def __init__(self, data: memoryview, steps: _Steps) -> None:
        super().__init__(data)
        self._steps = steps

    def tobytes(self) -> bytes:
        copied = bytes(self)
        self._steps.step("copied")
        return copied


class _View:
    """The block's view as the operation uses it: each access is a step.

    The first access is the step "taken": raised there, a fault strikes after the block was
    taken and before anything was written, inside the operation's ``try``. (An exception
    between ``Scratch.take`` and that ``try`` leaves nothing to wipe: ``test_interrupts`` raises
    at every line of the runtime, that one included.)
    """

    def __init__(self, view: memoryview, steps: _Steps) -> None:
        self._view = view
        self._steps = steps
        self._fresh = True

    def _touch(self) -> None:
        if self._fresh:
            self._fresh = False
            self._steps.step("taken")

    def __setitem__(self, key: slice, data: Any) -> None:
        self._touch()
        self._view[key] = data
        self._steps.step("write")

    def __getitem__(self, key: slice) -> _Copy:
        self._touch()
        self._steps.step("read")
        return _Copy(self._view[key], self._steps)


class _CountedScratch(Scratch):
    """The instance's real scratch block, handing out a :class:`_View` of itself."""

    def __init__(self, instance: Instance, steps: _Steps) -> None:
        super().__init__(instance._core)
        self._steps = steps

    def take(self, size: int, dirty: int | None = None) -> tuple[int, memoryview]:
        self._steps.sizes.append(size)
        try:
            base, view = super().take(size, dirty)
        except GuestMemoryError:
            self._steps.refused.append(size)
            raise
        return base, _View(view, self._steps)  # type: ignore[return-value]


class _CountedFunction:
    """A prepared export whose trusted call (the one an operation makes) is a step."""

    def __init__(self, function: Function, steps: _Steps) -> None:
        self._function = function
        self._steps = steps

    def _call_trusted(self, args: Any) -> int | None:
        result = self._function._call_trusted(args)
        self._steps.step(f"call {self._function.name}")
        return result


class _CountedMemory:
    """The instance's linear memory, whose growth by the host (the block's) is a step."""

    def __init__(self, memory: Any, steps: _Steps) -> None:
        self._memory = memory
        self._steps = steps

    def grow(self, store: Any, pages: int) -> int:
        old: int = self._memory.grow(store, pages)
        self._steps.step("grow")
        return old

    def __getattr__(self, name: str) -> Any:
        return getattr(self._memory, name)


def _instrumented(instance: Instance, steps: _Steps) -> Instance:
    real_function = instance.function

    def function(name: str) -> Any:
        return _CountedFunction(real_function(name), steps)

    instance.function = function  # type: ignore[method-assign]
    instance._scratch_block = _CountedScratch(instance, steps)
    instance._core.memory = _CountedMemory(instance._core.memory, steps)  # type: ignore[assignment]
    return instance


def _trap(instance: Instance) -> Callable[[], None]:
    # The real handle, not the counted one; trusted, as the operation holds the lock.
    wipe = Instance.function(instance, "crypto_wipe")
    return lambda: wipe._call_trusted((0xFFFF_FFF0, 64))  # past the end of memory: a trap


def _interrupt() -> None:
    raise KeyboardInterrupt


# ------------------------------------------------------------------------- what must hold


@dataclass
class _Mark:
    """An allocation of the caller's own in the instance's arena, which operations leave be."""

    instance: Instance
    pointer: int = 0
    data: bytes = bytes(range(64))
    top: int = 0

    def __post_init__(self) -> None:
        self.pointer = self.instance.alloc(len(self.data))
        self.instance.write(self.pointer, self.data)
        self.top = self.instance.alloc(0)

    def intact(self) -> bool:
        instance = self.instance
        return instance.read(self.pointer, len(self.data)) == self.data and (
            instance.alloc(0) == self.top
        )


def _assert_clean(instance: Instance, secrets: dict[str, bytes], mark: _Mark | None) -> None:
    """What every way out of an operation leaves: its lock free, the block all zeros, no
    secret anywhere in memory, and (unless the instance trapped) the arena untouched."""
    core = instance._core
    assert_unlocked(core.lock)
    # No stale idea of the memory's size (an interrupted growth must not leave one).
    assert instance.memory_size == core.memory.data_len(core.store)
    dump = instance.dump()
    scratch = instance.scratch
    assert not any(dump[scratch.address : scratch.address + scratch.capacity])
    assert_no_secrets(dump, secrets)
    if instance.poisoned:
        assert_discarded(instance)
    elif mark is not None:
        assert mark.intact()


def _pages(size: int) -> int:
    return -(-size // PAGE)


# ------------------------------------------------------------------------- the test


@functools.cache
def _monocypher(call_path: CallPath, max_memory: int | None = DEFAULT_MAX_MEMORY) -> Guest:
    """The shipped artifact on ``call_path`` (the module is compiled once for all of them)."""
    path = GUESTS_DIR / "monocypher.wasm"
    return Guest(path, max_memory=max_memory, fast_calls=call_path == "fast")


@pytest.mark.parametrize("name", sorted(FUNCTIONS) + sorted(FINISHERS))
def test_no_path_out_of_a_function_leaves_a_secret(name: str, call_path: CallPath) -> None:
    case = _case(name)
    guest = _monocypher(call_path)
    expected = _outcome(case.make(), case.arguments)  # on the thread's own instance

    # The call, counting its steps.
    # Methods need their object, made before any instance is swapped in: only the method's
    # own steps count.
    steps = _Steps()
    function = case.make()
    with _running_on(_instrumented(guest.new_instance(), steps), function) as instance:
        mark = _Mark(instance)
        assert _outcome(function, case.arguments) == expected
        _assert_clean(instance, case.secrets, mark)
    taken = steps.taken
    calls = [index for index, kind in enumerate(taken) if kind.startswith("call ")]
    assert calls, f"the operation made no guest call on this thread's instance: {taken}"
    assert taken.count("taken") == len(steps.sizes), "a block was taken and never used"

    faults = _out_of_memory(case, expected, max(steps.sizes), call_path)
    faults += _traps(case, expected, taken, calls, guest)
    faults += _interrupts(case, expected, taken, guest)
    tally("faults injected", "monocypher API", faults)


def _out_of_memory(case: _Case, expected: Any, largest: int, call_path: CallPath) -> int:
    """The block cannot grow: refused before anything is written, and nothing changed."""
    # The cap is a fresh instance's memory, the caller's allocation included: no room at all.
    roomy = _monocypher(call_path).new_instance()
    _Mark(roomy)
    cap = roomy.memory_size
    capped = _monocypher(call_path, cap)
    steps = _Steps()
    function = case.make()
    context = _context_of(function)
    with _running_on(_instrumented(capped.new_instance(), steps), function) as instance:
        mark = _Mark(instance)
        with pytest.raises(GuestMemoryError, match="needs more linear memory"):
            function(**case.arguments)
        _assert_clean(instance, case.secrets, mark)
        assert not steps.taken, "the operation did something before the block was refused"
        assert steps.refused
        assert instance.memory_size == cap
        assert _context_of(function) == context
        faults = 1

        # With room for the block again, the same instance runs the call.
        instance._core.store.set_limits(memory_size=cap + _pages(largest) * PAGE)
        assert _outcome(function, case.arguments) == expected
        _assert_clean(instance, case.secrets, mark)

        # A block that exists but cannot grow (in place, or anew at the end of memory) for a
        # bigger call: refused the same way, and the block stays where it is.
        growable = [
            arg
            for arg, kind in case.spec.items()
            if isinstance(kind, Buf) and kind.size is None and kind.high is None
        ]
        if growable:
            scratch = instance.scratch
            block = (scratch.address, scratch.capacity)
            bigger = {**case.arguments, growable[0]: os.urandom(scratch.capacity + 1)}
            function = case.make()
            context = _context_of(function)
            steps.refused.clear()
            with pytest.raises(GuestMemoryError, match="needs more linear memory"):
                function(**bigger)
            _assert_clean(instance, {**case.secrets, "bigger": bigger[growable[0]]}, mark)
            assert steps.refused
            assert (scratch.address, scratch.capacity) == block
            assert _context_of(function) == context
            assert _outcome(function, case.arguments) == expected
            _assert_clean(instance, case.secrets, mark)
            faults += 1
    return faults


def _traps(case: _Case, expected: Any, taken: list[str], calls: list[int], guest: Guest) -> int:
    """The guest traps in its call, after it did its work: the instance is discarded."""
    for index in calls:
        steps = _Steps(fail_after=index)
        function = case.make()
        context = _context_of(function)
        with _running_on(_instrumented(guest.new_instance(), steps), function) as instance:
            steps.fault = _trap(instance)
            with pytest.raises(GuestTrap, match="out of bounds"):
                function(**case.arguments)
            _assert_clean(instance, case.secrets, None)
            assert instance.poisoned
            assert steps.taken == taken[: index + 1]
            assert _context_of(function) == context
            assert _outcome(function, case.arguments) == expected
            fresh = bundled("monocypher").instance()  # the one the trap made the thread take
            assert fresh is not instance
            assert _backend_of(function).instance is fresh
            _assert_clean(fresh, case.secrets, None)
    return len(calls)


def _interrupts(case: _Case, expected: Any, taken: list[str], guest: Guest) -> int:
    """KeyboardInterrupt after each step: the operation cleans up, the instance carries on."""
    for index in range(len(taken)):
        steps = _Steps(fail_after=index, fault=_interrupt)
        function = case.make()
        context = _context_of(function)
        with _running_on(_instrumented(guest.new_instance(), steps), function) as instance:
            mark = _Mark(instance)
            with pytest.raises(KeyboardInterrupt):
                function(**case.arguments)
            _assert_clean(instance, case.secrets, mark)
            assert steps.taken == taken[: index + 1]
            assert _context_of(function) == context
            assert _outcome(function, case.arguments) == expected
            assert _backend_of(function).instance is instance
            _assert_clean(instance, case.secrets, mark)
    return len(taken)


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
    assert_discarded(instance)
    assert mc.blake2b(text, key=key) == mc.Blake2b(text, key=key).digest()
    tally("faults injected", "monocypher traps inside the guest")
