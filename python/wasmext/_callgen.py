"""The fast path's call methods, written out once per signature.

Around its C call (ctypes, then wasmtime: about half a microsecond), a guest call written for
any signature spends more again in Python: a tuple of ``*args``, a loop zipping it with the
bounds, a list of converted values, a ``struct`` call to lay them out. For one signature the
same work is straight-line code: one test per argument, one store per slot, no container. So,
as :mod:`dataclasses` does for ``__init__``, the methods of :class:`~wasmext._function.Function`'s
fast path are source text made for each signature and compiled once. For ``(i32, i64) -> i32``
the call method reads::

    def __call__(self, a0=MISSING, a1=MISSING, /, *extra):
        if extra:
            raise self._arity_error(2 + len(extra))
        if type(a0) is not int or not -2147483648 <= a0 <= 4294967295:
            a0 = self._argument(0, a0)
        if type(a1) is not int or not -9223372036854775808 <= a1 <= 18446744073709551615:
            a1 = self._argument(1, a1)
        if not thread_stack.ok:
            raise thread_stack.error()
        core = self._core
        with self._lock:
            if core.poisoned is not None:
                raise core.poison_error(self.name)
            slots = self._slots
            slots[0] = a0
            slots[2] = a1 - 18446744073709551616 if a1 > 9223372036854775807 else a1
            core.memory_stale = True
            error = None
            try:
                error = self._invoke()
            finally:
                if error or self._trap.value:
                    raise core.fail_fast(self.name, error)
            return self._result[0]

``_call_trusted(args)``, for the package's own layers (lock held, arguments known good), is
the part from ``if core.poisoned`` on, after ``a0, a1 = args``. An interruptible or budgeted
instance's methods add the steps of :mod:`wasmext._interrupts` around the call
(:func:`call_methods`'s ``guarded``). Everything else a call needs lives on the object, in
slots the constructor fills: the generated code holds no state of its own.

Each method is compiled when first looked up (:class:`_Compiled`), not with its class: a
process whose first call goes through the package's own layers compiles only the
``_call_trusted`` of the signatures it uses, which is most of what writing them costs on the
way to that first call. For the same reason the source lines reach :mod:`linecache` through a
loader only when a traceback asks for them: importing it costs about a millisecond.

Each 16-byte ``wasmtime_val_raw_t`` slot is written as an int64 at its start (``slots`` views
them as int64s: slot ``k`` is item ``2 * k``): an i32 parameter reads the low half, which is
the same for the signed and the unsigned reading of a value, so an i32 goes in as given and
an i64 is folded onto the signed range first. Results are read back the same way, as an
int32 or an int64.
"""

from __future__ import annotations

import functools
import os
from types import CodeType, MethodType
from typing import Any, Callable

from . import _interrupts
from ._interrupts import thread_calls
from ._stack import thread_stack

__all__ = ["MISSING", "SourceLines", "call_methods", "compile_in_package", "indent"]

#: The default of every parameter of a generated ``__call__``: an argument not given.
MISSING: Any = object()

_RANGES = {"i32": (-(2**31), 2**32 - 1), "i64": (-(2**63), 2**64 - 1)}

_CHECK = """\
    if type({a}) is not int or not {low} <= {a} <= {high}:
        {a} = self._argument({index}, {a})
"""

_ENTER = """\
    if extra:
        raise self._arity_error({count} + len(extra))
{checks}\
    if not thread_stack.ok:
        raise thread_stack.error()
    core = self._core
    with self._lock:
{body}"""

_TRUSTED = """\
    core = self._core
{body}"""

_PLAIN = """\
if core.poisoned is not None:
    raise core.poison_error(self.name)
{stores}\
core.memory_stale = True
error = None
try:
    error = self._invoke()
finally:
    if error or self._trap.value:
        raise core.fail_fast(self.name, error)
{result}
"""

# The steps of _interrupts around the call (_function._enter() explains their order), inline.
_GUARDED = """\
if core.poisoned is not None:
    raise core.poison_error(self.name)
{stores}\
core.memory_stale = True
if self._fuel is not None:
    core.store.set_fuel(self._fuel)
calls = thread_calls.calls
line = self._line
if line is not None:
    deadline = calls.limit = (
        limit(core, calls, self.name) if self._watched or calls.deadlines else None
    )
    calls.line = line
    if deadline is not None:
        poke()
    if line.busy or line.bumps != core.armed:
        core.armed = line.arm(core.store)
        outlived(calls, core.name, self.name)
error = None
# Until the result is in hand, an exception in flight is a signal handler's, raised as the
# call returned: it goes on, over whatever the trap would have raised.
quiet = True
try:
    error = self._invoke()
    quiet = False
finally:
    calls.line = None
    if error or self._trap.value:
        failure = core.fail_guarded(self.name, core.fail_fast(self.name, error), calls, quiet)
        if failure is not None:
            raise failure
{result}
"""


def indent(text: str, spaces: int) -> str:
    """``text`` with ``spaces`` more spaces before every line that is not blank."""
    pad = " " * spaces
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


def _store(index: int, kind: str) -> str:
    a = f"a{index}"
    if kind == "i64":
        return f"slots[{2 * index}] = {a} - {2**64} if {a} > {2**63 - 1} else {a}\n"
    return f"slots[{2 * index}] = {a}\n"


#: The methods written for each signature, in the order :func:`source` gives them.
METHODS = ("__call__", "_call_trusted")


def method_source(
    params: tuple[str, ...], results: tuple[str, ...], guarded: bool, method: str
) -> str:
    """The source of one of :data:`METHODS` for one signature."""
    names = [f"a{index}" for index in range(len(params))]
    stores = "slots = self._slots\n" if params else ""
    stores += "".join(_store(index, kind) for index, kind in enumerate(params))
    result = "return self._result[0]" if results else "return None"
    body = (_GUARDED if guarded else _PLAIN).format(stores=stores, result=result)
    if method == "_call_trusted":
        targets = ", ".join(names) if len(names) > 1 else f"({names[0]},)" if names else ""
        unpack = f"    {targets} = args\n" if names else ""
        return "def _call_trusted(self, args):\n" + unpack + _TRUSTED.format(body=indent(body, 4))
    checks = "".join(
        _CHECK.format(a=a, index=index, low=_RANGES[kind][0], high=_RANGES[kind][1])
        for index, (a, kind) in enumerate(zip(names, params))
    )
    defaults = "".join(f"{a}=MISSING, " for a in names)
    return f"def __call__(self, {defaults}/, *extra):\n" + _ENTER.format(
        count=len(names), checks=checks, body=indent(body, 8)
    )


def source(params: tuple[str, ...], results: tuple[str, ...], guarded: bool) -> str:
    """The source of every method of :data:`METHODS` for one signature."""
    return "\n\n".join(method_source(params, results, guarded, m) for m in METHODS)


class SourceLines:
    """The loader :func:`linecache.lazycache` looks for: generated code's source lines.

    Put in the generated code's globals as ``__loader__`` (with ``__name__``), it gives a
    traceback the lines of code that has no file.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def get_source(self, name: str) -> str:
        """The source, whatever the name (one loader per piece of generated code)."""
        return self.text


def compile_in_package(text: str, label: str) -> CodeType:
    """Generated ``text`` compiled as if from a file ``<label>`` inside the package.

    Tools that tell the runtime's frames by their file (the fault injector of the tests) see
    the generated code as the runtime's; tracebacks get its lines from a :class:`SourceLines`
    in the globals it runs with.
    """
    return compile(text, os.path.join(os.path.dirname(__file__), f"<{label}>"), "exec")


@functools.cache
def compiled(
    params: tuple[str, ...], results: tuple[str, ...], guarded: bool, method: str
) -> Callable[..., Any]:
    """One of :data:`METHODS` for one signature, compiled once per process."""
    text = method_source(params, results, guarded, method)
    kind = "guarded " if guarded else ""
    signature = f"({', '.join(params)}) -> ({', '.join(results)})"
    code = compile_in_package(text, f"{kind}{method} {signature}")
    namespace: dict[str, Any] = {
        "__name__": __name__,
        "__loader__": SourceLines(text),
        "MISSING": MISSING,
        "thread_stack": thread_stack,
        "thread_calls": thread_calls,
        "limit": _interrupts.call_limit,
        "outlived": _interrupts.outlived,
        "poke": _interrupts.poke_if_asleep,
    }
    exec(code, namespace)
    function: Callable[..., Any] = namespace[method]
    return function


class _Compiled:
    """A generated method in its class's dict until first looked up, then the method itself.

    Interrupted anywhere (a signal handler's exception), it leaves the class as it was or
    with the compiled method in place: either serves the next lookup.
    """

    __slots__ = ("key", "method", "owner")

    def __init__(self, params: tuple[str, ...], results: tuple[str, ...], guarded: bool) -> None:
        self.key = (params, results, guarded)
        self.method = ""
        self.owner: type | None = None

    def __set_name__(self, owner: type, name: str) -> None:
        self.owner, self.method = owner, name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        function = compiled(*self.key, self.method)
        setattr(self.owner, self.method, function)
        return function if instance is None else MethodType(function, instance)


def call_methods(
    params: tuple[str, ...], results: tuple[str, ...], guarded: bool
) -> dict[str, Any]:
    """The class attributes of :data:`METHODS` for one signature, each compiled on first use."""
    return {method: _Compiled(params, results, guarded) for method in METHODS}
