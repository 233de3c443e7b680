"""A bound function's staged call, written out for its parameters.

A bound call whose result is not a vector is one guest call on the instance's staging block
(``_bound.py``, ``_staging.py``). Written generically, its Python costs more than the guest
call itself: a converter call per parameter, lists of lowered values and of buffers, loops
over both. As :mod:`wasmext._callgen` does for the fast path, this module writes the call out
for one function's parameters: an int is checked in place, bytes are taken as they are, and
every other kind still goes through its converter, once, without the loops. For
``byte_sum(data: &[u8]) -> u32`` the call reads::

    def call(*args, **kwargs):
        if kwargs or len(args) != 1:
            args = arrange(args, kwargs)
        (a0,) = args
        size = 16
        d0 = a0 if type(a0) is bytes else view0(a0)
        n0 = len(d0)
        o0 = size
        size += (n0 + 7) & -8
        session = local.get("session")
        if (
            session is None
            or session.core.poisoned is not None
            or session.core.size > RETAINED_MEMORY
            or session.lock._is_owned()
            or size > LARGEST
        ):
            return dispatch([o0, n0], [(0, o0, d0, None)], size)
        staging = session.staging
        core = session.core
        with session.lock:
            ...
                    view[o0 : o0 + n0] = d0
                    status = session.calls[INDEX]([base + o0, n0, base])
            ...

Only the common case is written out: a thread's kept session, a block that fits. Anything
else (a new or retired instance, a nested call from a signal handler, a block past
:data:`~wasmext._staging.LARGEST`) hands the converted arguments, in the generic layout, to
``dispatch``, the generic call. The source depends only on the parameters' forms and the
kind of result, so functions of the same shape share one code object, each with its own
globals (its converters, its index, its reader).
"""

from __future__ import annotations

import functools
from types import CodeType, FunctionType
from typing import Any, Callable

from ._callgen import SourceLines, compile_in_package, indent
from ._interface import SCALARS, ParamType

__all__ = ["Form", "form", "source", "staged_call"]

#: How a parameter is converted in the written-out call:
#: ``("int", low, high, mask)``: an integer scalar, checked in place, lowered ``& mask`` if
#: it is signed (``mask`` 0 if not);
#: ``("bytes",)``: an ``&[u8]``, bytes taken as they are, other buffers viewed;
#: ``("scalar",)``: a ``bool``, ``f32`` or ``f64``, through its converter;
#: ``("buffer", values, writable, scrubbed)``: any other pointer parameter, through its
#: converter, which lowers it to ``values`` wasm values (a pointer, and a length if 2).
Form = tuple[Any, ...]

# The three result shapes: a number unpacked by one C call, a reader, nothing.
RESULTS = ("plain", "read", "none")


def form(param: ParamType) -> Form:
    """How ``param`` is converted in a written-out call."""
    if param.kind == "scalar":
        if param.item in ("bool", "f32", "f64"):
            return ("scalar",)
        scalar = SCALARS[param.item]
        mask = 0 if scalar.low == 0 else (1 << (64 if scalar.wasm == "i64" else 32)) - 1
        return ("int", scalar.low, scalar.high, mask)
    if param.kind == "slice" and param.item == "u8":
        return ("bytes",)
    values = len(param.lowered)
    return ("buffer", values, param.kind == "mut_slice", param.kind == "str")


def source(forms: tuple[Form, ...], result: str) -> str:
    """The source of the call for parameters of ``forms`` and a result of kind ``result``."""
    count = len(forms)
    names = [f"a{k}" for k in range(count)]
    header = [
        "def call(*args, **kwargs):\n",
        f"    if kwargs or len(args) != {count}:\n",
        "        args = arrange(args, kwargs)\n",
    ]
    if count == 1:
        header.append("    (a0,) = args\n")
    elif count:
        header.append(f"    {', '.join(names)} = args\n")
    lines = ["size = 16\n"]  # the conversions, at the body's indentation
    lowered: list[str] = []  # the generic layout: pointers as offsets
    buffers: list[str] = []
    passed: list[str] = []  # what the guest gets
    copies_in: list[str] = []
    copies_back: list[str] = []
    scrubs: list[int] = []
    for k, shape in enumerate(forms):
        a = f"a{k}"
        if shape[0] == "int":
            _, low, high, mask = shape
            lines.append(f"if type({a}) is not int or not {low} <= {a} <= {high}:\n")
            lines.append(f"    {a} = lift{k}({a})\n")
            value = f"{a} & {mask}" if mask else a
            lowered.append(value)
            passed.append(value)
            continue
        if shape[0] == "scalar":
            lines.append(f"v{k} = lift{k}({a})\n")
            lowered.append(f"v{k}")
            passed.append(f"v{k}")
            continue
        if shape[0] == "bytes":
            lines.append(f"d{k} = {a} if type({a}) is bytes else view{k}({a})\n")
            lines.append(f"n{k} = len(d{k})\n")
            lines.append(f"o{k} = size\n")
            lines.append(f"size += (n{k} + 7) & -8\n")
            length, target = f"n{k}", "None"
            values = 2
        else:
            _, values, writable, scrubbed = shape
            lines.append(f"l{k} = []\n")
            if not scrubbed:  # a scrubbed one's list is made before anything can fail
                lines.append(f"b{k} = []\n")
            lines.append(f"size = convert{k}({a}, l{k}, b{k}, size)\n")
            lines.append(f"_, o{k}, d{k}, t{k} = b{k}[0]\n")
            length, target = f"len(d{k})", f"t{k}"
            if writable:
                copies_back.append(f"t{k}[:] = view[o{k} : o{k} + {length}]\n")
            if scrubbed:
                scrubs.append(k)
        buffers.append(f"({len(lowered)}, o{k}, d{k}, {target})")
        lowered.append(f"o{k}")
        passed.append(f"base + o{k}")
        if values == 2:
            count_value = f"n{k}" if shape[0] == "bytes" else f"l{k}[1]"
            lowered.append(count_value)
            passed.append(count_value)
        copies_in.append(f"view[o{k} : o{k} + {length}] = d{k}\n")
    read = {
        "plain": "result = plain(view)[0]\n",
        "read": "result = read(view, 0, None)\n",
        "none": "result = None\n",
    }[result]
    body = (
        'session = local.get("session")\n'
        "if (\n"
        "    session is None\n"
        "    or session.core.poisoned is not None\n"
        "    or session.core.size > RETAINED_MEMORY\n"
        "    or session.lock._is_owned()\n"
        "    or size > LARGEST\n"
        "):\n"
        f"    return dispatch([{', '.join(lowered)}], [{', '.join(buffers)}], size)\n"
        "staging = session.staging\n"
        "core = session.core\n"
        "with session.lock:\n"
        "    try:\n"
        "        try:\n"
        "            block = staging.block\n"
        "            if block[0] != core.resets or block[2] < size or staging.dirty:\n"
        "                block = staging.take(size)\n"
        "            # Before the first write: whatever happens next, the wipe covers it.\n"
        "            staging.dirty = size\n"
        "            base = block[1]\n"
        "            view = block[3]\n"
        + indent("".join(copies_in), 12)
        + f"            status = session.calls[INDEX]([{', '.join([*passed, 'base'])}])\n"
        "            if status:\n"
        "                if not session.arenas:\n"
        "                    # A reset also clears whatever a guest that broke the rules left.\n"
        "                    session.reset(())\n"
        "                raise failure(status)\n"
        + indent("".join(copies_back), 12)
        + indent(read, 12)
        + "            if block[0] != core.resets:\n"
        "                # A reset struck since the block was checked (a signal handler's, on\n"
        "                # this thread): the guest may have read wiped inputs, or we a wiped\n"
        "                # record.\n"
        "                raise reset_during_call()\n"
        "            return result\n"
        "        finally:\n"
        "            # Staging.wipe() inline for the common case: our own bytes, even if a\n"
        "            # reset struck meanwhile.\n"
        "            dirty = staging.dirty\n"
        "            if dirty <= PAGE:\n"
        "                staging.block[3][:dirty] = ZEROS[:dirty]\n"
        "                staging.dirty = 0\n"
        "            else:\n"
        "                staging.wipe(own=True)\n"
        "    finally:\n"
        "        if staging.dirty:\n"
        "            staging.wipe(own=True)\n"
    )
    inner = "".join(lines) + body
    if not scrubs:
        return "".join(header) + indent(inner, 4)
    # The call's own UTF-8 copies of strs are zeroed whatever happens, from the conversion of
    # the first parameter on (a later one may be refused).
    made = "".join(f"    b{k} = []\n" for k in scrubs)
    zeroed = "".join(f"        scrub(b{k})\n" for k in scrubs)
    return "".join(header) + made + "    try:\n" + indent(inner, 8) + "    finally:\n" + zeroed


@functools.cache
def _compiled(forms: tuple[Form, ...], result: str) -> tuple[CodeType, SourceLines]:
    text = source(forms, result)
    shape = ", ".join(shape[0] for shape in forms)
    module = compile_in_package(text, f"bound call ({shape}) -> {result}")
    code = next(c for c in module.co_consts if isinstance(c, CodeType))
    return code, SourceLines(text)


def staged_call(forms: tuple[Form, ...], result: str, names: dict[str, Any]) -> Callable[..., Any]:
    """The call for ``forms`` and ``result``, its globals ``names`` (see the module's docs)."""
    code, lines = _compiled(forms, result)
    namespace = {"__name__": __name__, "__loader__": lines, "__builtins__": __builtins__}
    namespace.update(names)
    return FunctionType(code, namespace, "call")
