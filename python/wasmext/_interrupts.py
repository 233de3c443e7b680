"""Stopping guest calls that run too long: signals (Ctrl-C) and deadlines.

Python runs signal handlers between bytecodes, and a guest call is one long foreign call, so
a handler cannot run until the guest returns. wasmtime's epochs are the way in: code compiled
with ``epoch_interruption`` compares its engine's epoch with its store's deadline at every
function entry and loop header, and traps once the epoch reaches it. Checks cost something in
tight loops (measured in ``docs/benchmarks.md``), so guests opt in (``Guest(interruptible=True)``).

The design, and why:

- **One engine per thread** (per :class:`Line`). An epoch belongs to an engine, and bumping it
  stops every call running on that engine. With an engine per thread, a deadline or a signal
  stops exactly the thread it is meant for. Engines and modules are cheap (about 0.4 ms each,
  the module deserialized from bytes compiled once per process).
- **No epoch callback.** wasmtime can call back into the host at each deadline instead of
  trapping, but on the main thread a pending signal handler would then run inside a ctypes
  callback, where an exception it raises is printed and swallowed. Stores trap instead, and the
  handler runs in ordinary Python code after the call returns.
- **A watcher thread** sleeps on a selector over two socket pairs: the signal wakeup fd
  (:func:`signal.set_wakeup_fd`, which CPython writes the signal number to from its C-level
  handler, on whatever thread) and one calls poke when a deadline needs watching. It ticks
  every :data:`TICK` seconds only while a call with a deadline is running: nothing spins
  while no guest runs.
- **Re-arming.** Each store's deadline is "one tick after the epoch it was armed at". A bump
  meant for a call that has already returned must not stop the thread's next call, so every
  call first compares the line's bump count with the one its store was armed at, and re-arms
  when they differ (rare: it happens once after each interruption). Bumps and re-arms take the
  line's lock, and a call that sees a bump in progress waits for it, so no call starts armed
  for an epoch that is about to pass.

A call registers in its thread's :class:`Calls` (the line it runs on, its deadline). The
watcher reads those; it sets :attr:`Calls.reason` before it bumps, so the interrupted call can
tell a deadline from a signal, and both from the collateral of a bump meant for another thread
sharing the engine (an instance handed between threads).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading
import time
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Callable

import wasmtime

from . import _forksafe
from ._values import exact_seconds
from .errors import GuestInterrupted, GuestTimeout

if TYPE_CHECKING:
    import socket

# signal, socket and select are imported where used: only an interruptible guest starts the
# watcher, and a process that never makes one should not pay for them at import.

__all__ = [
    "TICK",
    "Calls",
    "Line",
    "call_limit",
    "deadline",
    "interrupt_on",
    "line",
    "outlived",
    "past_deadline",
    "run_pending_signal_handlers",
    "thread_calls",
    "watch",
]

#: How often a running call's deadline is checked, in seconds. A deadline is met within a tick
#: plus however long the guest takes to reach its next loop header or call.
TICK = 0.01

# What stopped a call: set by the watcher before it bumps the call's engine.
SIGNAL = "signal"
DEADLINE = "deadline"
EVERYONE = "everyone"


class Line:
    """One engine's interrupt line: bumping the epoch stops the calls running on it."""

    __slots__ = ("__weakref__", "bumps", "busy", "engine", "lock", "modules")

    def __init__(self, engine: wasmtime.Engine) -> None:
        self.engine = engine
        #: Modules deserialized for this engine, by sha256 of their wasm.
        self.modules: dict[str, wasmtime.Module] = {}
        #: How many times the epoch was bumped; a store armed at another count re-arms.
        self.bumps = 0
        #: True while a bump is in progress (a call then waits for it, see :meth:`arm`).
        self.busy = False
        self.lock = _forksafe.lock(_forksafe.LINE)

    def arm(self, store: wasmtime.Store) -> int:
        """Give ``store`` a deadline one tick after the current epoch; return the bump count.

        Under the lock: a bump in progress finishes first, so the deadline is past its epoch.
        """
        with self.lock:
            store.set_epoch_deadline(1)
            return self.bumps

    def stop(self, target: Calls, reason: str) -> None:
        """Bump the epoch if ``target`` still runs a call here that ``reason`` stops (watcher only).

        Checked again under the lock: the thread may have started another call since the
        watcher looked, with a later deadline.
        """
        with self.lock:
            self.busy = True
            try:
                limit = target.limit
                expired = limit is not None and time.monotonic() >= limit
                if target.line is self and (reason != DEADLINE or expired):
                    target.reason = reason
                    self.engine.increment_epoch()
                    self.bumps += 1
            finally:
                self.busy = False


class Calls:
    """One thread's guest calls, as the watcher sees them."""

    __slots__ = ("__weakref__", "deadlines", "limit", "line", "main", "reason")

    def __init__(self) -> None:
        #: The line the thread's current call runs on, ``None`` between calls.
        self.line: Line | None = None
        #: The current call's deadline (``time.monotonic()`` seconds), or ``None``.
        self.limit: float | None = None
        #: Why the watcher stopped the current call (set before the bump), or ``None``.
        self.reason: str | None = None
        #: The thread's open :func:`deadline` scopes, earliest last.
        self.deadlines: list[float] = []
        self.main = threading.current_thread() is threading.main_thread()


class _Local(threading.local):
    def __init__(self) -> None:
        self.calls = Calls()
        with _registry_lock:
            _registry.add(self.calls)


_registry_lock = _forksafe.lock(_forksafe.LINE)
_registry: weakref.WeakSet[Calls] = weakref.WeakSet()

#: ``thread_calls.calls`` is the calling thread's :class:`Calls`.
thread_calls = _Local()


class _Lines(threading.local):
    def __init__(self) -> None:
        self.by_kind: dict[str, Line] = {}


_thread_lines = _Lines()


def line(kind: str, config: Callable[[], wasmtime.Config]) -> Line:
    """The calling thread's line for engines of ``kind``, built from ``config()`` once."""
    lines = _thread_lines.by_kind
    found = lines.get(kind)
    if found is None:
        found = lines[kind] = Line(wasmtime.Engine(config()))
    return found


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Stop interruptible guest calls this thread makes inside the block after ``seconds``.

    Past the deadline a running call traps and raises
    :class:`~wasmext.errors.GuestTimeout`; a call that starts past it raises before it runs.
    Nested blocks keep the earliest deadline. Guests that are not interruptible
    (``Guest(interruptible=False)``, the default) cannot be stopped and ignore it.
    """
    seconds = exact_seconds(seconds, "seconds")
    limit = time.monotonic() + seconds
    scopes = thread_calls.calls.deadlines
    # The earliest of the enclosing scopes stays the one in force.
    scopes.append(min(limit, scopes[-1]) if scopes else limit)
    try:
        yield
    finally:
        scopes.pop()


def past_deadline(core_name: str, function: str) -> GuestTimeout:
    """The error for a call that would start after its deadline (it does not run)."""
    return GuestTimeout(f"{core_name}: {function} was not started: its deadline had passed")


def call_limit(core: Any, calls: Calls, function: str) -> float | None:
    """The deadline of a call of ``function`` on ``core`` now; refuses one past it already.

    ``core`` is a :class:`~wasmext._core.Core` (its ``timeout`` and ``name``); the limit is
    the earlier of the thread's innermost :func:`deadline` and the core's own timeout. The
    caller registers the call (``calls.limit``, then ``calls.line``) and only then calls
    :func:`poke_if_asleep`.
    """
    scopes = calls.deadlines
    limit = scopes[-1] if scopes else None
    if limit is not None and time.monotonic() >= limit:
        raise past_deadline(core.name, function)
    if core.timeout is not None:
        own = time.monotonic() + core.timeout
        if limit is None or own < limit:
            limit = own
    return limit


def outlived(calls: Calls, core_name: str, function: str) -> None:
    """After a call re-armed past a bump: honour the bump if it was meant for this call.

    The watcher bumps a line for a call it saw registered; if the call had not reached its
    arming check yet, it re-armed after the bump and would run on. A deadline that has passed
    or a Ctrl-C for every thread still stops it, before it runs. A signal for the main thread
    needs nothing: its handler runs at the next bytecode, before the guest starts.
    """
    reason, calls.reason = calls.reason, None
    if reason == DEADLINE:
        limit = calls.limit
        if limit is not None and time.monotonic() >= limit:
            calls.line = None
            raise past_deadline(core_name, function)
    elif reason == EVERYONE:
        calls.line = None
        raise GuestInterrupted(f"{core_name}: {function} was not started: Ctrl-C stopped it")


def run_pending_signal_handlers() -> None:
    """Run the Python handlers of signals that arrived, raising what they raise.

    The interpreter would run them at its next check anyway; running them here makes the
    exception of a handler surface from the interrupted call itself.
    """
    _check_signals()


_check_signals: Callable[[], Any] = ctypes.pythonapi.PyErr_CheckSignals

# Signals whose Python handler stops the main thread's guest call (SIGINT always does, when
# its handler is Python's default, which raises KeyboardInterrupt).
_interrupting: set[int] = set()


def interrupt_on(*signals: int) -> None:
    """Let these signals stop the main thread's interruptible guest call.

    For handlers that raise (a ``SIGTERM`` handler raising ``SystemExit``, a ``SIGALRM`` one
    raising ``TimeoutError``). When such a signal arrives during a call, the call is stopped,
    and the handler runs as the call returns; if it returns normally, the call raises
    :class:`~wasmext.errors.GuestInterrupted`, since a stopped guest cannot resume. ``SIGINT``
    under Python's default handler needs no registration. Call from the main thread.
    """
    import signal

    for each in signals:
        _interrupting.add(signal.Signals(each).value)
    watch()


class _Watcher:
    """The watcher thread's pipes and state (recreated in a forked child)."""

    def __init__(self) -> None:
        self.signals_r, self.signals_w = _channel()
        self.pokes_r, self.pokes_w = _channel()
        #: The wakeup fd that was installed before ours (-1: none); bytes are forwarded to it.
        self.previous_fd = -1
        self.installed = False
        #: True while the watcher may sleep without a timeout: a call with a deadline pokes it.
        self.asleep = True
        #: Whether a call with a deadline started since the last scan: keep ticking then, so
        #: that a stream of short calls does not poke a sleeping watcher each time.
        self.seen = False
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        thread = threading.Thread(target=_run, args=(self,), name="wasmext-watcher", daemon=True)
        thread.start()
        self.thread = thread

    def poke(self) -> None:
        with contextlib.suppress(BlockingIOError):
            self.pokes_w.send(b"\0")


def _channel() -> tuple[socket.socket, socket.socket]:
    """A connected, non-blocking pair of sockets.

    Sockets, not a pipe: ``set_wakeup_fd`` and ``select`` take them everywhere, and on
    Windows nothing else.
    """
    import socket

    read_end, write_end = socket.socketpair()
    for end in (read_end, write_end):
        end.setblocking(False)
    return read_end, write_end


_watcher: _Watcher | None = None
_watcher_lock = threading.Lock()


def watch() -> _Watcher:
    """Start the watcher if needed; on the main thread, make sure it hears signals."""
    global _watcher
    watcher = _watcher
    if watcher is None:
        with _watcher_lock:
            watcher = _watcher
            if watcher is None:
                watcher = _Watcher()
                watcher.start()
                _watcher = watcher
    if not watcher.installed and threading.current_thread() is threading.main_thread():
        _install(watcher)
    return watcher


def _install(watcher: _Watcher) -> None:
    import signal

    try:
        previous = signal.set_wakeup_fd(watcher.signals_w.fileno(), warn_on_full_buffer=False)
    except ValueError:  # not the main thread of the main interpreter after all
        return
    if previous != watcher.signals_w.fileno():
        watcher.previous_fd = previous
    watcher.installed = True


def poke_if_asleep() -> None:
    """A call with a deadline starts: keep the watcher ticking, or wake it if it sleeps.

    Only once the call is registered (its ``limit`` and ``line`` set): the scan this asks for
    must find it. Poked earlier, a watcher could scan before the registration, find nothing,
    and go to sleep without a timeout while the call ran on past its deadline.
    """
    watcher = _watcher
    if watcher is not None:
        watcher.seen = True
        if watcher.asleep:
            watcher.poke()


def _run(watcher: _Watcher) -> None:
    # A selector, not select.select(): that refuses descriptors past FD_SETSIZE (1024), which
    # a busy process reaches, and the watcher would die with interrupts silently gone.
    import selectors

    selector = selectors.DefaultSelector()
    selector.register(watcher.signals_r, selectors.EVENT_READ)
    selector.register(watcher.pokes_r, selectors.EVENT_READ)
    while True:
        # Asleep before the scan: a call that registers after the scan sees it and pokes.
        watcher.asleep = True
        seen, watcher.seen = watcher.seen, False
        now = time.monotonic()
        timeout = TICK if seen else None
        with _registry_lock:
            targets = list(_registry)
        for target in targets:
            target_line, limit = target.line, target.limit
            if target_line is None or limit is None:
                continue
            if now >= limit:
                target_line.stop(target, DEADLINE)
            else:
                timeout = TICK
        if timeout is not None:
            watcher.asleep = False
        try:
            ready = {key.fileobj for key, _ in selector.select(timeout)}
        except (OSError, ValueError):  # closed under us: a fork's child replaced them
            if watcher.signals_r.fileno() < 0:
                return
            raise
        if watcher.pokes_r in ready:
            _drain(watcher.pokes_r)
        if watcher.signals_r in ready:
            _signalled(watcher, _drain(watcher.signals_r))


def _drain(end: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = end.recv(512)
        except (BlockingIOError, InterruptedError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _signalled(watcher: _Watcher, numbers: bytes) -> None:
    import signal

    if watcher.previous_fd >= 0:
        # Whoever installed a wakeup fd before us (an event loop) still hears its signals.
        with contextlib.suppress(OSError):
            os.write(watcher.previous_fd, numbers)
    with _registry_lock:
        targets = list(_registry)
    for number in set(numbers):
        try:
            handler = signal.getsignal(number)
        except ValueError:  # not a signal number: a stray byte someone wrote to the fd
            continue
        if handler is signal.default_int_handler:
            # KeyboardInterrupt: the main thread's call gets it, and every other call stops
            # too, so that nothing the main thread then waits for (a join, a future, the
            # interpreter's exit) is left running a guest.
            for target in targets:
                target_line = target.line
                if target_line is not None:
                    target_line.stop(target, SIGNAL if target.main else EVERYONE)
        elif number in _interrupting and callable(handler):
            for target in targets:
                target_line = target.line
                if target.main and target_line is not None:
                    target_line.stop(target, SIGNAL)


def _after_fork_in_child() -> None:
    """The watcher thread did not survive the fork, and its pipes are shared with the parent."""
    global _watcher
    old = _watcher
    _watcher = None
    mine = thread_calls.calls
    mine.main = True  # the forking thread is the child's main thread
    with _registry_lock:
        for other in list(_registry):
            if other is not mine:
                _registry.discard(other)
    if old is None:
        return
    new = watch()  # a new thread and pipes; on this (main) thread, the new wakeup fd
    if old.installed and new.installed:
        new.previous_fd = old.previous_fd
    for end in (old.signals_r, old.signals_w, old.pokes_r, old.pokes_w):
        end.close()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
