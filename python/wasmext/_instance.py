"""One instantiated guest: its store, linear memory and function handles."""

from __future__ import annotations

import ctypes
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NoReturn, Protocol, SupportsIndex

import wasmtime

from ._core import RETAINED_MEMORY, WASM32_MEMORY, Core
from ._function import Function, make_function
from ._module import CompiledModule
from ._scratch import PAGE, Scratch
from ._staging import Staging
from ._values import exact_int, exact_str
from .errors import GuestMemoryError, InvalidInput, InvalidType

__all__ = ["RETAINED_MEMORY", "Instance"]

_U32_MAX = WASM32_MEMORY - 1
_WASM32_PAGES = WASM32_MEMORY // PAGE
_RAISE_THE_CAP = "; Guest(..., max_memory=N) raises the cap, None lifts it to 4 GiB"


class Owner(Protocol):
    """What an instance needs of its :class:`~wasmext.runtime.Guest` (which is one)."""

    @property
    def name(self) -> str:
        """The artifact's file name, for messages."""

    @property
    def max_memory(self) -> int | None:
        """The cap on linear memory, in bytes."""

    @property
    def timeout(self) -> float | None:
        """Each call's time limit in seconds (interruptible guests), or ``None``."""

    @property
    def fuel(self) -> int | None:
        """Each call's fuel budget, or ``None``."""

    def new_instance(self) -> Instance:
        """Another instance of the same module."""


class Instance:
    """A guest instance: a private wasmtime store, its linear memory and its exports.

    Get one from :meth:`Guest.instance` (this thread's instance) or
    :meth:`Guest.new_instance` (a fresh one you own).  Every operation takes the
    instance's lock, so sharing an instance between threads is memory-safe, but the
    arena is shared too: give each thread its own instance, as ``Guest.instance()``
    does.

    Pointers are unsigned 32-bit ints.  :meth:`read` and :meth:`write` check every
    access against the memory's *current* size and re-read the memory's address
    after any guest call, so growth never leaves a stale pointer behind.

    After a trap the instance is *poisoned*: the guest's state is unknowable, so
    every further guest call (functions, :meth:`alloc`, :meth:`reset`) raises
    :class:`~wasmext.errors.GuestTrap`.  Its linear memory is discarded at the trap, since
    the trap may have struck before anything was wiped: reads still work, and see what a
    fresh instance holds (zeros, and the module's own data).
    ``Guest.instance()`` replaces a poisoned instance transparently.

    An instance cannot be pickled or copied (``copy``, ``pickle``): it is live state of this
    process, and its memory may hold secrets. Send its guest (a :class:`Guest` pickles) and
    take ``guest.instance()`` on the other side.
    """

    def __init__(self, guest: Owner, compiled: CompiledModule, fast: bool) -> None:
        """Instantiate ``compiled`` in a new store; use :meth:`Guest.instance` instead."""
        self.guest = guest
        self._compiled = compiled
        self._core = Core(guest.name, compiled, guest.max_memory, fast, guest.timeout, guest.fuel)
        self._functions: dict[str, Function] = {}
        # One token per open arena block; an outermost block's token stays until its reset is
        # done (see arena()).
        self._arenas: list[object] = []
        self._scratch_block: Scratch | None = None
        self._staging: Staging | None = None
        self._oversized = False
        self._allocated = 0  # bytes handed out since the last reset
        self._bump_alloc = self.function("bump_alloc")
        self._bump_reset = self.function("bump_reset")

    # ----------------------------------------------------------------- properties

    @property
    def fast_calls(self) -> bool:
        """Whether calls go through ``wasmtime_func_call_unchecked`` (else the public API)."""
        return self._core.fast

    @property
    def poisoned(self) -> bool:
        """Whether a trap (or an interrupted call) has made this instance unusable.

        Finding it poisoned finishes discarding its memory, if an interrupt cut that short.
        """
        core = self._core
        if core.poisoned is None:
            return False
        if not core.discarded:
            with core.lock:
                core.discard()
        return True

    @property
    def oversized(self) -> bool:
        """Whether an arena block, or the scratch block, took more than :data:`RETAINED_MEMORY`."""
        scratch = self._scratch_block
        return self._oversized or (scratch is not None and scratch.capacity > RETAINED_MEMORY)

    @property
    def open_arenas(self) -> list[object]:
        """The tokens of the open :meth:`arena` blocks, outermost first (package-internal).

        Live, not a copy: a layer that keeps it sees blocks open and close. While one is open,
        what the arena handed out belongs to it, and only its end resets.
        """
        return self._arenas

    def retire(self) -> None:
        """Mark the instance :attr:`oversized`: :meth:`Guest.instance` replaces it next time.

        Package-internal: for layers that let the guest grow memory outside :meth:`arena`
        blocks (a guest's own vector results, see ``_bound.py``).
        """
        self._oversized = True

    @property
    def fuel_left(self) -> int | None:
        """The fuel the last guest call left unspent, or ``None`` without a budget.

        ``guest.fuel - instance.fuel_left`` after a call is what that call used: the way to
        measure a workload before choosing ``Guest(fuel=...)`` (``docs/security.md``).
        """
        core = self._core
        if core.fuel is None:
            return None
        with core.lock:
            return core.store.get_fuel()

    @property
    def memory_size(self) -> int:
        """Current size of linear memory in bytes."""
        core = self._core
        with core.lock:
            core.refresh_memory()
            return core.size

    @property
    def resets(self) -> int:
        """How many arena resets the runtime has started on this instance (package-internal).

        Counted before each reset reaches the guest: memory the arena handed out at another
        count may have been wiped and handed out again, so a layer that keeps an arena block
        across calls (two-sum's input area, the staging block) checks the count it got it at.
        """
        return self._core.resets

    # ----------------------------------------------------------------- functions

    def function(self, name: str) -> Function:
        """A prepared handle on the exported function ``name`` (cached per instance)."""
        if type(name) is not str:
            # A str subclass could hash or compare as one export and spell another.
            name = exact_str(name, "function name")
        function = self._functions.get(name)
        if function is not None:
            return function
        signature = self._compiled.functions.get(name)
        if signature is None:
            available = ", ".join(sorted(self._compiled.functions)) or "none"
            raise InvalidInput(
                f"{self.guest.name} exports no function {name!r} (functions: {available})"
            )
        core = self._core
        with core.lock:
            function = make_function(core, name, signature, core.export(name))
            if name == "bump_reset":
                function = _CountedReset(core, function)
        self._functions[name] = function
        return function

    def call(self, name: str, *args: int) -> int | None:
        """Call the exported function ``name``: ``function(name)(*args)``."""
        return self.function(name)(*args)

    # ----------------------------------------------------------------- arena

    def alloc(self, n: int) -> int:
        """Allocate ``n`` zeroed bytes in the guest arena; return the (unsigned) pointer.

        Raises :class:`~wasmext.errors.GuestMemoryError` (a ``MemoryError``) if the guest
        cannot provide them (the guest's ``max_memory`` cap, or ``n`` beyond 32 bits); the
        instance stays usable, and what was allocated before is untouched.
        """
        n = exact_int(n, "alloc size")
        if n < 0:
            raise InvalidInput(f"alloc size must be >= 0, got {n}")
        cap = self.guest.max_memory
        if n > _U32_MAX or (cap is not None and n > cap):
            if cap is None or cap > _U32_MAX:
                limit = "the 4 GiB a wasm32 guest can address"
            else:
                limit = f"max_memory={cap}{_RAISE_THE_CAP}"
            raise GuestMemoryError(f"{self.guest.name}: cannot allocate {n} bytes within {limit}")
        pointer = self._bump_alloc.unsigned(n)
        if not pointer:
            hint = _RAISE_THE_CAP if cap is not None and cap <= _U32_MAX else ""
            raise GuestMemoryError(
                f"{self.guest.name}: the guest could not allocate {n} bytes "
                f"(memory is {self.memory_size} bytes, max_memory={cap}{hint})"
            )
        self._allocated += n
        return pointer

    def reset(self) -> None:
        """Zero everything allocated since the last reset and rewind the arena."""
        self._bump_reset()
        self._allocated = 0

    @contextmanager
    def arena(self) -> Iterator[Instance]:
        """Scope allocations: the arena is reset when the block exits, however it exits.

        The reset runs in ``finally``, so it also happens on ``KeyboardInterrupt``; on an
        instance the block left poisoned, the memory is discarded instead. Arenas nest: only
        the outermost block resets, so a helper that opens its own arena never frees its
        caller's allocations. A block that allocated more than :data:`RETAINED_MEMORY` marks
        the instance :attr:`oversized`: it keeps working, but :meth:`Guest.instance` hands the
        thread a fresh one, and the memory goes with the old instance.
        """
        token = object()
        try:
            self._arenas.append(token)
            yield self
        finally:
            # Twice if need be: an exception (a signal handler's) may cut the first attempt
            # short at any line, and the block's secrets must not outlive it. The token goes
            # only once the reset is done, so "token still there" means "not done".
            try:
                self._close_arena(token)
            finally:
                if token in self._arenas:
                    self._close_arena(token)

    def _close_arena(self, token: object) -> None:
        """End the arena block of ``token``: the last one open resets (or discards) first."""
        core = self._core
        with core.lock:
            arenas = self._arenas
            if arenas == [token]:
                if core.poisoned is not None:
                    core.discard()
                else:
                    if self._allocated > RETAINED_MEMORY:
                        self._oversized = True
                    self.reset()
            if token in arenas:
                arenas.remove(token)

    @property
    def scratch(self) -> Scratch:
        """The instance's host-owned scratch block (``_scratch.py``), empty until used.

        Package-internal: wasmext's own bindings (Monocypher) lay their calls out in it.
        """
        scratch = self._scratch_block
        if scratch is None:
            scratch = self._scratch_block = Scratch(self._core)
        return scratch

    @property
    def staging(self) -> Staging:
        """The instance's staging block for bound calls (``_staging.py``), empty until used.

        Package-internal: :mod:`wasmext._bound` lays its calls out in it.
        """
        staging = self._staging
        if staging is None:
            staging = self._staging = Staging(self._core, self._bump_alloc._call_trusted)
        return staging

    # ----------------------------------------------------------------- memory

    def read(self, ptr: int, n: int) -> bytes:
        """Copy ``n`` bytes of linear memory starting at ``ptr``."""
        ptr = exact_int(ptr, "ptr")
        n = exact_int(n, "n")
        core = self._core
        with core.lock:
            core.check_range(ptr, n)
            return ctypes.string_at(core.base + ptr, n) if n else b""

    def write(self, ptr: int, data: bytes | bytearray | memoryview) -> None:
        """Copy the bytes-like ``data`` (any buffer, e.g. an array or numpy array) to ``ptr``."""
        ptr = exact_int(ptr, "ptr")
        core = self._core
        if type(data) is bytes:
            with core.lock:
                core.check_range(ptr, len(data))
                ctypes.memmove(core.base + ptr, data, len(data))
            return
        try:
            source = memoryview(data)
        except TypeError:
            raise InvalidType(
                f"data must be a bytes-like object, not {type(data).__name__}"
            ) from None
        if not source.c_contiguous:
            source = memoryview(source.tobytes())
        source = source.cast("B")
        with core.lock:
            core.check_range(ptr, source.nbytes)
            if source.nbytes:
                # One memcpy from any buffer, read-only ones included, into current memory.
                core.view()[ptr : ptr + source.nbytes] = source

    def dump(self) -> bytes:
        """A copy of all of linear memory."""
        core = self._core
        with core.lock:
            core.refresh_memory()
            return ctypes.string_at(core.base, core.size) if core.size else b""

    def grow(self, pages: int) -> int:
        """Grow linear memory by ``pages`` 64 KiB pages from the host; return the old page count.

        The guest's arena skips memory it did not grow itself, so this only reserves
        address space: useful to test pointers above 2 GiB.
        """
        pages = exact_int(pages, "pages")
        if pages < 0:
            raise InvalidInput(f"pages must be >= 0, got {pages}")
        if pages > _WASM32_PAGES:
            # wasmtime takes a uint64, which a bigger int would wrap into a small growth.
            raise GuestMemoryError(
                f"{self.guest.name}: cannot grow memory by {pages} pages: a wasm32 memory has "
                f"at most {_WASM32_PAGES}"
            )
        core = self._core
        with core.lock:
            core.memory_stale = True
            try:
                return core.memory.grow(core.store, pages)
            except wasmtime.WasmtimeError as error:
                raise GuestMemoryError(
                    f"{self.guest.name}: cannot grow memory by {pages} pages: {error}"
                ) from None

    def __reduce_ex__(self, protocol: SupportsIndex) -> NoReturn:
        # Also what copy.copy and copy.deepcopy call: a copy would share the wasmtime store.
        raise InvalidType(
            f"an Instance of {self.guest.name} cannot be pickled or copied: it is a live "
            "wasmtime store of this process, and its linear memory may hold secrets; send "
            "its Guest (instance.guest pickles) and call .instance() on it there"
        )

    def __repr__(self) -> str:
        """Identify the guest and the call path."""
        core = self._core
        state = "poisoned" if core.poisoned else ("fast" if core.fast else "public")
        return f"<wasmext.Instance of {self.guest.name} ({state})>"


class _CountedReset(Function):
    """``bump_reset``, counted on the core before each call (:attr:`Core.resets`).

    Every reset the runtime makes goes through this handle (:meth:`Instance.reset`, the end of
    an arena block, bound calls, ``instance.function("bump_reset")``), so a staging block
    allocated before it is known to be stale (``_staging.py``). The count goes up first, under
    the lock: an exception between the two leaves a block wrongly thought stale (it is
    replaced), never one wrongly thought valid.
    """

    __slots__ = ("_inner",)

    def __init__(self, core: Core, inner: Function) -> None:
        super().__init__(core, inner.name, inner.signature)
        self._inner = inner

    def __call__(self, *args: int) -> int | None:
        """Count the reset, then call the guest's ``bump_reset``."""
        core = self._core
        with core.lock:
            core.resets += 1
            return self._inner(*args)

    def _call_trusted(self, args: Sequence[int]) -> int | None:
        self._core.resets += 1
        return self._inner._call_trusted(args)
