"""Exceptions raised by wasmext.

Every error derives from :class:`WasmextError`, so ``except WasmextError`` catches
anything this package raises on purpose.  Each subclass also inherits the builtin
exception a Python programmer would expect for that failure, so code written
against plain Python (``except ValueError``, ``except MemoryError``...) keeps working.
"""

from __future__ import annotations

__all__ = [
    "ForgeryError",
    "GuestBudgetExceeded",
    "GuestError",
    "GuestInterrupted",
    "GuestMemoryError",
    "GuestTimeout",
    "GuestTrap",
    "InvalidInput",
    "InvalidModule",
    "InvalidType",
    "OutOfBounds",
    "OutOfRange",
    "ReentrantCall",
    "RejectedArgument",
    "StackTooSmall",
    "WasmextError",
]


class WasmextError(Exception):
    """Root of every exception raised by wasmext."""


class GuestTrap(WasmextError, RuntimeError):
    """The guest trapped (or the engine refused the call).

    The instance that trapped is unusable afterwards: :meth:`Guest.instance`
    hands out a fresh one on the next call, and a held :class:`Instance` raises
    this error again for every further guest call.
    """

    #: The trap's reason, one line (``"wasm trap: unreachable"``...), when known.
    summary: str = ""


class GuestBudgetExceeded(GuestTrap):
    """The guest call used up its fuel (``Guest(fuel=...)``) and was stopped there.

    Like any trap, the instance is unusable afterwards (and its memory was discarded).
    """


class GuestTimeout(WasmextError, TimeoutError):
    """An interruptible guest call ran past its deadline and was stopped there.

    The deadline is ``Guest(timeout=...)`` or an enclosing :func:`wasmext.deadline` block.
    The instance is handled like one that trapped: discarded, and replaced by the next
    :meth:`Guest.instance`. A call that would start after the deadline raises this too,
    without running.
    """


class GuestInterrupted(WasmextError, InterruptedError):
    """An interruptible guest call was stopped by a signal, and no handler raised instead.

    Raised in threads other than the main one when Ctrl-C stops every call (the main thread
    gets the ``KeyboardInterrupt``), and on the main thread when a signal registered with
    :func:`wasmext.interrupt_on` stopped the call but its handler returned normally. The
    instance is handled like one that trapped.
    """


class OutOfBounds(WasmextError, IndexError):
    """A pointer/length pair falls outside the guest's linear memory, or is negative."""


class GuestMemoryError(WasmextError, MemoryError):
    """The guest could not provide the memory asked for (arena exhausted or cap reached)."""


class InvalidInput(WasmextError, ValueError):
    """An argument has the right type but an unacceptable value."""


class InvalidType(WasmextError, TypeError):
    """An argument has the wrong type."""


class OutOfRange(WasmextError, OverflowError):
    """A number does not fit the type of the guest parameter it is passed to."""


class InvalidModule(WasmextError, ValueError):
    """The WebAssembly module is malformed or does not follow the wasmext guest ABI."""


class ForgeryError(WasmextError, ValueError):
    """A message authentication code or signature did not verify."""


class ReentrantCall(WasmextError, RuntimeError):
    """An object was used again by the thread that is in the middle of using it.

    A signal handler or a ``__del__`` runs between any two bytecodes of the thread it
    interrupts. Functions, instances and the module-level APIs serve such nested calls; an
    object whose state is half-way through an update (an incremental hash, say) refuses them.
    """


class StackTooSmall(WasmextError, RuntimeError):
    """The calling thread's native stack is too small to run a guest safely.

    wasmtime runs guests on the calling thread's stack and lets them use up to a fixed
    amount of it; on a smaller stack a deep guest call would crash the whole process
    instead of trapping. The message names the ``threading.stack_size()`` that fixes it.
    """


class GuestError(WasmextError):
    """A guest function reported a failure through its status code.

    The bindings (:meth:`Guest.bind <wasmext.runtime.Guest.bind>` and the modules ``python -m
    wasmext bindgen`` writes) raise a subclass: one class per error enum of the guest, which
    also derives from ``ValueError``, with one subclass per variant named after it;
    :class:`RejectedArgument` when the guest refused an argument; or this class itself for a
    status the guest's interface does not explain.
    """


class RejectedArgument(GuestError, ValueError):
    """The guest refused an argument that passed the host's checks (bounds, overlap, UTF-8...)."""
