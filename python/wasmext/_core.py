"""The state behind one instance: its store, memory bookkeeping and trap poisoning.

It lives apart from :class:`~wasmext.runtime.Instance` so that nothing here points
back at the instance or its function handles: without reference cycles a dropped
instance frees its store (and its linear memory) at once, not at the next garbage
collection, which matters when instances are created per call.
"""

from __future__ import annotations

import ctypes
import sys

import wasmtime

from . import _fastcall, _forksafe, _interrupts, _stack
from ._interrupts import Line
from ._module import CompiledModule, config, engine
from .errors import (
    GuestBudgetExceeded,
    GuestInterrupted,
    GuestMemoryError,
    GuestTimeout,
    GuestTrap,
    InvalidModule,
    OutOfBounds,
)

__all__ = ["RETAINED_MEMORY", "WASM32_MEMORY", "Core", "discard"]

#: What one arena block may allocate before its instance is retired: 64 MiB. Linear memory
#: never shrinks (and the reset's wipe keeps it resident), so :meth:`Guest.instance` replaces
#: an instance after such a block: one big input does not pin its memory to the thread.
RETAINED_MEMORY = 64 << 20

#: All that a 32-bit linear memory can address: 4 GiB.
WASM32_MEMORY = 1 << 32

_OS_PAGE = 4096
_MADV_DONTNEED = 4  # Linux: private anonymous pages read back as zeros afterwards


def _madvise() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return None
    function.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    function.restype = ctypes.c_int
    return function


_release_pages = _madvise()


def discard(base: int, size: int) -> None:
    """Make ``size`` bytes of linear memory at host address ``base`` read back as zeros.

    On Linux the pages are handed back to the kernel (``MADV_DONTNEED``): what the guest
    touched is dropped, and untouched reservation is never committed, so discarding a
    3 GiB instance costs what it used, not 3 GiB of zeros. Pages wasmtime mapped from the
    module's own data image (copy-on-write) read back as that image, which holds nothing of
    any call. Elsewhere, or if the kernel refuses, the bytes are overwritten with zeros.
    """
    if not size:
        return
    aligned = base % _OS_PAGE == 0 and size % _OS_PAGE == 0
    if _release_pages is None or not aligned or _release_pages(base, size, _MADV_DONTNEED):
        ctypes.memset(base, 0, size)


# The last line of wasmtime's message for an epoch interruption and for fuel running out.
_INTERRUPTED = "wasm trap: interrupt"
_OUT_OF_FUEL = "wasm trap: all fuel consumed by WebAssembly"


def _trap_summary(message: str) -> str:
    # wasmtime puts the backtrace first and the reason ("wasm trap: ...") last.
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "unknown trap"


class Core:
    """A store with one instantiated guest; every access happens under :attr:`lock`."""

    def __init__(
        self,
        name: str,
        compiled: CompiledModule,
        max_memory: int | None,
        fast: bool,
        timeout: float | None = None,
        fuel: int | None = None,
    ) -> None:
        """Instantiate ``compiled`` in a new store capped at ``max_memory`` bytes.

        An interruptible module (``compiled.variant`` ``"epoch…"``) is instantiated on the
        calling thread's own engine (its :class:`~wasmext._interrupts.Line`); ``timeout``
        (seconds) then limits each call. ``fuel`` is each call's budget, for ``"…fuel"``.
        """
        # Instantiation runs guest code too (a start function, data initialisation).
        _stack.check_thread_stack()
        self.name = name
        self.fast = fast
        self.lock = _forksafe.lock(_forksafe.INSTANCE)
        #: Why the instance is unusable (set by a trap), or ``None``.
        self.poisoned: str | None = None
        #: Whether linear memory was discarded after the poisoning (see :meth:`discard`).
        self.discarded = False
        #: The interrupt line of an interruptible instance's engine, else ``None``.
        self.line: Line | None = None
        #: The bump count of :attr:`line` the store's deadline was armed at.
        self.armed = 0
        #: How many ``bump_reset`` calls the runtime has started on this instance, counted
        #: (under :attr:`lock`) before each one reaches the guest: an arena block allocated
        #: at one count may have been wiped and handed out again at any later one.
        self.resets = 0
        self.timeout = timeout
        self.fuel = fuel
        module = compiled.module
        if compiled.variant.startswith("epoch"):
            kind = compiled.variant
            self.line = _interrupts.line(kind, lambda: config(kind))
            _interrupts.watch()
            module = compiled.for_line(self.line)
            store = wasmtime.Store(self.line.engine)
            self.armed = self.line.arm(store)
        else:
            store = wasmtime.Store(engine(compiled.variant))
        if fuel is not None:
            # Instantiation runs guest code too; each call gets its own budget again.
            store.set_fuel(fuel)
        if max_memory is not None:
            # wasmtime takes an int64: a cap past what wasm32 can address is no cap at all,
            # and must not wrap into a small one.
            store.set_limits(memory_size=min(max_memory, WASM32_MEMORY))
        try:
            # Under the lock, like every other use of the store: a fork waits for it.
            with self.lock:
                self.wasm = wasmtime.Instance(store, module, [])
        except wasmtime.Trap as error:
            raise GuestTrap(f"{name}: instantiation trapped: {error}") from None
        except wasmtime.WasmtimeError as error:
            if max_memory is not None:
                raise GuestMemoryError(
                    f"{name}: cannot instantiate within max_memory={max_memory}: {error}"
                ) from None
            raise InvalidModule(f"{name}: cannot instantiate: {error}") from None
        self.store = store
        if fast:
            api = _fastcall.api
            assert api is not None
            self.context = api.context_address(store)
            # The C API writes a trap pointer here; checked and cleared after each call.
            self.trap = ctypes.c_void_p()
            self.trap_address = ctypes.addressof(self.trap)
        memory = self.export("memory")
        assert isinstance(memory, wasmtime.Memory)
        self.memory = memory
        if fast:
            assert _fastcall.api is not None
            self.memory_address = _fastcall.api.memory_address(memory)
        #: Set before every guest call: the next memory access re-reads base and size.
        self.memory_stale = True
        self.base = 0
        self.size = 0
        self._view: memoryview | None = None

    def export(self, name: str) -> object:
        """The export ``name`` (a ``wasmtime.Func``/``Memory``), or ``None``."""
        if self.fast:
            assert _fastcall.api is not None
            return _fastcall.api.export(self.store, self.wasm, name)
        return self.wasm.exports(self.store).get(name)

    def refresh_memory(self) -> None:
        """Re-read the memory's address and size if a guest call may have changed them."""
        if not self.memory_stale:
            return
        if self.fast:
            api = _fastcall.api
            assert api is not None
            size = api.memory_data_size(self.context, self.memory_address)
            if size == self.size and self.base:
                # Memory only moves when it grows, and growth changes the size.
                self.memory_stale = False
                return
            base = api.memory_data(self.context, self.memory_address) or 0
        else:
            size = self.memory.data_len(self.store)
            base = ctypes.addressof(self.memory.data_ptr(self.store).contents) if size else 0
        if base != self.base or size != self.size:
            self._view = None
        self.base = base
        self.size = size
        self.memory_stale = False

    def check_range(self, ptr: int, n: int) -> None:
        """Refresh, then refuse ``[ptr, ptr + n)`` unless it lies inside linear memory."""
        self.refresh_memory()
        if ptr < 0 or n < 0 or ptr + n > self.size:
            raise OutOfBounds(
                f"{self.name}: [{ptr}, {ptr}+{n}) is outside linear memory of {self.size} bytes"
            )

    def view(self) -> memoryview:
        """A writable byte view of all of linear memory, valid until the next refresh."""
        view = self._view
        if view is None:
            array = (ctypes.c_ubyte * self.size).from_address(self.base)
            view = self._view = memoryview(array).cast("B")
        return view

    def discard(self) -> None:
        """Discard linear memory (:func:`discard`) once; idempotent.

        Callers set ``poisoned`` first, so that whatever interrupts the discard, no guest call
        runs on the instance again; whoever next finds it poisoned (a call, an arena's end,
        ``Instance.poisoned``) finishes the discard.
        """
        if not self.discarded:
            self.memory_stale = True
            self.refresh_memory()
            discard(self.base, self.size)
            self.discarded = True

    def fail(self, function: str, message: str) -> GuestTrap:
        """Poison the instance after ``function`` trapped; return the error to raise.

        A trap can strike half-way through an operation, before the guest or the arena
        wiped anything, so all of linear memory is discarded here (:func:`discard`): a
        poisoned instance holds no secret, whatever ``dump()`` is later asked for.
        """
        summary = _trap_summary(message)
        self.poisoned = f"{function}: {summary}"  # the real reason, over a placeholder
        self.discard()
        error = GuestTrap(f"{self.name}: {function} trapped: {summary}\n{message.strip()}")
        error.summary = summary
        return error

    def fail_fast(self, function: str, error: int | None) -> GuestTrap:
        """:meth:`fail` for the fast path: take ownership of the C trap/error objects."""
        api = _fastcall.api
        assert api is not None
        # Poisoned before anything else: if this is cut short, no call runs on the instance.
        if self.poisoned is None:
            self.poisoned = f"{function}: trapped"
        trap = self.trap.value
        self.trap.value = None
        parts = []
        if trap:
            parts.append(api.trap_message(trap))
        if error:
            parts.append(api.error_message(error))
        return self.fail(function, "\n".join(parts))

    def fail_guarded(
        self, function: str, trap: GuestTrap, calls: _interrupts.Calls, quiet: bool
    ) -> BaseException | None:
        """What to raise for ``trap`` (from :meth:`fail`) of an interruptible or budgeted call.

        ``quiet``: another exception (a signal handler's, raised as the call returned) is
        already propagating, and should go on doing so: ``None`` then, the instance being
        poisoned all the same. An interruption by a signal runs the pending handlers here,
        so that what a handler raises is what the call raises.
        """
        reason, calls.reason = calls.reason, None
        if quiet:
            return None
        summary = trap.summary
        if summary == _OUT_OF_FUEL:
            return GuestBudgetExceeded(
                f"{self.name}: {function} used up its budget of {self.fuel} fuel and was "
                "stopped; Guest(fuel=...) sets the budget (docs/security.md: choosing it)"
            )
        if summary != _INTERRUPTED:
            return trap
        if reason == _interrupts.DEADLINE:
            return GuestTimeout(f"{self.name}: {function} ran past its deadline and was stopped")
        if reason == _interrupts.SIGNAL:
            _interrupts.run_pending_signal_handlers()
            return GuestInterrupted(
                f"{self.name}: {function} was stopped by a signal whose handler then "
                "returned without raising; a stopped guest call cannot resume"
            )
        if reason == _interrupts.EVERYONE:
            return GuestInterrupted(
                f"{self.name}: {function} was stopped by Ctrl-C (the main thread got the "
                "KeyboardInterrupt)"
            )
        return GuestInterrupted(
            f"{self.name}: {function} was stopped because a call of another thread on the "
            "same engine was (an instance shared between threads shares their interruptions)"
        )

    def poison_error(self, function: str) -> GuestTrap:
        """The error for calling ``function`` on a poisoned instance (whose discard it ends)."""
        self.discard()
        return GuestTrap(
            f"{self.name}: cannot call {function}: this instance trapped earlier "
            f"({self.poisoned}); Guest.instance() gives a fresh one"
        )
