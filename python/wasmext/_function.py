"""Prepared handles on exported guest functions (the two call paths live here)."""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn, SupportsIndex

import wasmtime

from . import _fastcall, _interrupts
from ._callgen import MISSING, call_methods
from ._module import SUPPORTED_VALUE_TYPES, Signature
from ._stack import thread_stack
from ._values import exact_int
from .errors import InvalidInput, InvalidModule, InvalidType

if TYPE_CHECKING:
    from ._core import Core

__all__ = ["Function", "make_function"]

_INT_RANGES = {
    # (smallest accepted, largest accepted, largest signed, modulus): both the signed
    # and the unsigned reading of the type are accepted and folded onto the signed one.
    "i32": (-(2**31), 2**32 - 1, 2**31 - 1, 2**32),
    "i64": (-(2**63), 2**64 - 1, 2**63 - 1, 2**64),
}
_UNSIGNED_MASK = {"i32": 2**32 - 1, "i64": 2**64 - 1}


def _argument(value: object, function: str, index: int) -> int:
    return exact_int(value, f"{function}: argument {index}")


class Function:
    """A callable handle on one exported function of one :class:`Instance`.

    ``fn(*args)`` calls the guest and returns its result as a signed int (the C
    ``int``/``int64_t`` view), or ``None`` for functions without a result.  Arguments
    may be given signed or unsigned: ``0xFFFF_FFFF`` and ``-1`` are the same i32.
    ``fn.unsigned(*args)`` returns the result as an unsigned int instead (pointers).

    Handles are cheap to keep and fast to call; get them once with
    :meth:`Instance.function` and reuse them.  A call on an instance that trapped
    raises :class:`~wasmext.errors.GuestTrap`.

    A handle cannot be pickled or copied: it belongs to its instance (see :class:`Instance`).
    """

    __slots__ = ("_bounds", "_core", "_mask", "name", "signature")

    name: str
    signature: Signature

    def __init__(self, core: Core, name: str, signature: Signature) -> None:
        """Prepare export ``name``; use :meth:`Instance.function` instead."""
        self.name = name
        self.signature = signature
        self._core = core
        self._bounds = tuple(_INT_RANGES[t] for t in signature.params)
        self._mask = _UNSIGNED_MASK[signature.results[0]] if signature.results else 0

    def __call__(self, *args: int) -> int | None:
        """Call the guest function; the result is signed (or ``None`` without a result)."""
        raise NotImplementedError

    def _call_trusted(self, args: Sequence[int]) -> int | None:
        """Call with the instance's lock held and ``args`` known good: unsigned, in range.

        For the package's own layers, which check everything before they take the lock (see
        :class:`~wasmext._scratch.Scratch`), on a thread whose stack passed
        :func:`~wasmext._stack.check_thread_stack` (any thread that instantiated a guest did);
        the result is as from ``fn(*args)``.
        """
        raise NotImplementedError

    def unsigned(self, *args: int) -> int | None:
        """Like calling the function, but return the result as an unsigned int."""
        result = self(*args)
        return None if result is None else result & self._mask

    def __reduce_ex__(self, protocol: SupportsIndex) -> NoReturn:
        # Also what copy.copy and copy.deepcopy call.
        raise InvalidType(
            f"a Function ({self._core.name}.{self.name}) cannot be pickled or copied: it calls "
            "into a live instance of this process; send the Guest (it pickles) and the name, "
            f"and call guest.instance().function({self.name!r}) there"
        )

    def __repr__(self) -> str:
        """Show the export and its signature."""
        return f"<wasmext.Function {self._core.name}.{self.name} {self.signature}>"

    def _arity_error(self, given: int) -> InvalidType:
        expected = len(self.signature.params)
        return InvalidType(
            f"{self.name}{self.signature} takes {expected} argument(s), {given} given"
        )

    def _range_error(self, index: int, value: int) -> InvalidInput:
        kind = self.signature.params[index]
        low, high = _INT_RANGES[kind][:2]
        return InvalidInput(
            f"{self.name}: argument {index} = {value} does not fit {kind} ({low}..{high})"
        )


class _FastFunction(Function):
    """Calls through ``wasmtime_func_call_unchecked`` with a prepared raw value array.

    Its ``__call__`` and ``_call_trusted`` are written for each signature by
    :mod:`wasmext._callgen` (see :func:`_fast_class`); this class holds what they use.
    """

    __slots__ = ("_func", "_invoke", "_lock", "_raw", "_result", "_slots", "_trap")

    def __init__(self, core: Core, name: str, signature: Signature, func: object) -> None:
        super().__init__(core, name, signature)
        api = _fastcall.api
        assert api is not None
        assert isinstance(func, wasmtime.Func)
        self._func = func  # keeps the wasmtime_func_t we point at alive
        # One raw slot per parameter and per result, shared: results overwrite params.
        slot_count = max(len(signature.params), len(signature.results), 1)
        self._raw = (api.raw_value_type * slot_count)()
        # The slots as int64s (slot k is item 2k), for the arguments; the first as the result.
        self._slots = memoryview(self._raw).cast("B").cast("q")
        self._result = self._slots.cast("B").cast("i" if self._mask == 0xFFFF_FFFF else "q")
        self._invoke = api.prepared_call(
            core.context,
            api.func_address(func),
            ctypes.addressof(self._raw),
            slot_count,
            core.trap_address,
        )
        self._lock = core.lock
        self._trap = core.trap

    def _argument(self, index: int, value: object) -> int:
        """Argument ``index`` as an int in its type's range, or the error saying why not."""
        if value is MISSING:
            raise self._arity_error(index)
        checked = _argument(value, self.name, index)
        low, high = self._bounds[index][:2]
        if checked < low or checked > high:
            raise self._range_error(index, checked)
        return checked


class _PublicFunction(Function):
    """Calls through wasmtime-py's public ``Func.__call__`` (checked, slower)."""

    __slots__ = ("_func",)

    def __init__(self, core: Core, name: str, signature: Signature, func: object) -> None:
        super().__init__(core, name, signature)
        assert isinstance(func, wasmtime.Func)
        self._func = func

    def __call__(self, *args: int) -> int | None:
        """Call the guest function; the result is signed (or ``None`` without a result)."""
        if len(args) != len(self._bounds):
            raise self._arity_error(len(args))
        signed = []
        for index, (arg, (low, high, signed_max, modulus)) in enumerate(zip(args, self._bounds)):
            if type(arg) is not int:
                arg = _argument(arg, self.name, index)
            if arg < low or arg > high:
                raise self._range_error(index, arg)
            signed.append(arg - modulus if arg > signed_max else arg)
        if not thread_stack.ok:
            raise thread_stack.error()
        with self._core.lock:
            return self._call_signed(signed)

    def _call_trusted(self, args: Sequence[int]) -> int | None:
        bounds = self._bounds
        return self._call_signed(
            [arg - bound[3] if arg > bound[2] else arg for arg, bound in zip(args, bounds)]
        )

    def _call_signed(self, signed: list[int]) -> int | None:
        """Call with signed arguments (and the lock held)."""
        core = self._core
        if core.poisoned is not None:
            raise core.poison_error(self.name)
        core.memory_stale = True
        # Poisoned until the call is known to have returned normally: wasmtime-py turns a
        # trap into an exception in Python code of its own, which a signal handler's
        # exception can pre-empt, and then nobody would know the instance had trapped.
        core.poisoned = f"{self.name}: interrupted before its outcome was known"
        try:
            result = self._func(core.store, *signed)
        except (wasmtime.Trap, wasmtime.WasmtimeError) as error:
            raise core.fail(self.name, str(error)) from None
        core.poisoned = None
        return result  # type: ignore[no-any-return]


def _enter(core: Core, function: str) -> _interrupts.Calls:
    """Register the calling thread's call on ``core`` with the watcher; return its record.

    Order matters (see :mod:`wasmext._interrupts`): a passed deadline is refused before
    anything changes; the call is registered before the arming check, so that a bump the
    watcher makes after that check is meant for this call, and one made before it is seen.
    """
    calls: _interrupts.Calls = _interrupts.thread_calls.calls
    line = core.line
    if line is None:
        return calls
    watched = calls.deadlines or core.timeout is not None
    limit = calls.limit = _interrupts.call_limit(core, calls, function) if watched else None
    calls.line = line
    if limit is not None:
        _interrupts.poke_if_asleep()
    if line.busy or line.bumps != core.armed:
        core.armed = line.arm(core.store)
        _interrupts.outlived(calls, core.name, function)
    return calls


class _GuardedFastFunction(_FastFunction):
    """The fast path of an interruptible or budgeted instance (see :mod:`wasmext._interrupts`)."""

    __slots__ = ("_fuel", "_line", "_watched")

    def __init__(self, core: Core, name: str, signature: Signature, func: object) -> None:
        super().__init__(core, name, signature, func)
        self._line = core.line
        self._fuel = core.fuel
        # Whether every call has a deadline to watch, whatever the thread's scopes say.
        self._watched = core.timeout is not None


@functools.cache
def _fast_class(signature: Signature, guarded: bool) -> type[_FastFunction]:
    """The fast path's class for ``signature``: its call methods written for it."""
    base = _GuardedFastFunction if guarded else _FastFunction
    methods = call_methods(signature.params, signature.results, guarded)
    return type(base.__name__, (base,), {"__slots__": (), "__doc__": base.__doc__, **methods})


class _GuardedPublicFunction(_PublicFunction):
    """The public path of an interruptible or budgeted instance."""

    __slots__ = ()

    def _call_signed(self, signed: list[int]) -> int | None:
        core = self._core
        if core.poisoned is not None:
            raise core.poison_error(self.name)
        core.memory_stale = True
        if core.fuel is not None:
            core.store.set_fuel(core.fuel)
        calls = _enter(core, self.name)
        core.poisoned = f"{self.name}: interrupted before its outcome was known"
        quiet = True
        trap = None
        try:
            try:
                result = self._func(core.store, *signed)
            except (wasmtime.Trap, wasmtime.WasmtimeError) as error:
                trap = core.fail(self.name, str(error))
            quiet = False
        finally:
            calls.line = None
            if quiet and trap is None:
                # A handler's exception cut wasmtime-py short: whether the guest trapped is
                # unknowable, and the instance stays poisoned; discard it as after a trap.
                core.discard()
        if trap is not None:
            failure = core.fail_guarded(self.name, trap, calls, quiet=False)
            assert failure is not None
            raise failure from None
        core.poisoned = None
        return result  # type: ignore[no-any-return]


def make_function(core: Core, name: str, signature: Signature, func: object) -> Function:
    """A :class:`Function` for ``func`` on the core's call path.

    The raw call path trusts ``signature`` for the number of value slots it prepares, so it
    is checked against the type of the very export that will be called, not only against the
    module's table of exports.
    """
    if not isinstance(func, wasmtime.Func):
        raise InvalidModule(f"{core.name}: export {name!r} is not a function")
    actual = func.type(core.store)
    found = Signature(tuple(str(t) for t in actual.params), tuple(str(t) for t in actual.results))
    if found != signature:
        raise InvalidModule(
            f"{core.name}: export {name!r} has type {found}, but {signature} was expected"
        )
    for value_type in signature.params + signature.results:
        if value_type not in SUPPORTED_VALUE_TYPES:
            raise InvalidModule(
                f"{core.name}: export {name!r} has signature {signature}; "
                "only i32/i64 parameters and results are supported"
            )
    if len(signature.results) > 1:
        raise InvalidModule(f"{core.name}: export {name!r} returns several values ({signature})")
    guarded = core.line is not None or core.fuel is not None
    if core.fast:
        return _fast_class(signature, guarded)(core, name, signature, func)
    public = _GuardedPublicFunction if guarded else _PublicFunction
    return public(core, name, signature, func)
