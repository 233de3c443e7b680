"""The state behind one instance: its store, memory bookkeeping and trap poisoning.

It lives apart from :class:`~wasmext.runtime.Instance` so that nothing here points
back at the instance or its function handles: without reference cycles a dropped
instance frees its store (and its linear memory) at once, not at the next garbage
collection, which matters when instances are created per call.
"""

from __future__ import annotations

import ctypes

import wasmtime

from . import _fastcall, _forksafe
from ._module import CompiledModule, engine
from .errors import GuestMemoryError, GuestTrap, InvalidModule, OutOfBounds

__all__ = ["Core"]


def _trap_summary(message: str) -> str:
    # wasmtime puts the backtrace first and the reason ("wasm trap: ...") last.
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "unknown trap"


class Core:
    """A store with one instantiated guest; every access happens under :attr:`lock`."""

    def __init__(
        self, name: str, compiled: CompiledModule, max_memory: int | None, fast: bool
    ) -> None:
        """Instantiate ``compiled`` in a new store capped at ``max_memory`` bytes."""
        self.name = name
        self.fast = fast
        self.lock = _forksafe.lock(_forksafe.INSTANCE)
        #: Why the instance is unusable (set by a trap), or ``None``.
        self.poisoned: str | None = None
        store = wasmtime.Store(engine())
        if max_memory is not None:
            store.set_limits(memory_size=max_memory)
        try:
            # Under the lock, like every other use of the store: a fork waits for it.
            with self.lock:
                self.wasm = wasmtime.Instance(store, compiled.module, [])
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
            self.memory_address = api.memory_address(memory)
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

    def fail(self, function: str, message: str) -> GuestTrap:
        """Poison the instance after ``function`` trapped; return the error to raise.

        A trap can strike half-way through an operation, before the guest or the arena
        wiped anything, so all of linear memory is zeroed here: a poisoned instance
        holds no secret, whatever ``dump()`` is later asked for.
        """
        summary = _trap_summary(message)
        self.poisoned = f"{function}: {summary}"
        self.memory_stale = True
        self.refresh_memory()
        if self.size:
            ctypes.memset(self.base, 0, self.size)
        return GuestTrap(f"{self.name}: {function} trapped: {summary}\n{message.strip()}")

    def fail_fast(self, function: str, error: int | None) -> GuestTrap:
        """:meth:`fail` for the fast path: take ownership of the C trap/error objects."""
        api = _fastcall.api
        assert api is not None
        trap = self.trap.value
        self.trap.value = None
        parts = []
        if trap:
            parts.append(api.trap_message(trap))
        if error:
            parts.append(api.error_message(error))
        return self.fail(function, "\n".join(parts))

    def poison_error(self, function: str) -> GuestTrap:
        """The error for calling ``function`` on a poisoned instance."""
        return GuestTrap(
            f"{self.name}: cannot call {function}: this instance trapped earlier "
            f"({self.poisoned}); Guest.instance() gives a fresh one"
        )
