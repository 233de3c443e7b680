"""Calling a guest's functions with Python values, as its interface describes them.

:func:`bind` gives a :class:`Bound`: one attribute per guest function, taking and returning
Python values. Everything that can be decided once is decided at bind time: each parameter
gets a converter (its type, its range, its lowering to wasm values), each result a reader,
each status code its exception. A call then converts its arguments (every check happens
here, before anything reaches the guest) and, under one hold of the instance's lock, lays
them out where the guest's shim accepts them (in what ``bump_alloc`` handed out since the last
reset, and nothing else: see ``docs/abi.md``), makes the call, reads the result and copies
``&mut`` slices back into the caller's buffers. Where depends on the result:

* not a vector: in the instance's staging block (``_staging.py``), kept across calls; the
  host zeroes what it wrote, and the call is one guest call, written out for the function's
  parameters by ``_boundgen.py`` (its uncommon cases come back to ``dispatch`` here);
* a vector, which the guest copies into the arena: in an arena block of its own, and the
  arena is reset (``bump_reset`` zeroes all of it) in ``finally``.
"""

from __future__ import annotations

import array
import ctypes
import functools
import struct
import sys
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, NoReturn, Protocol, SupportsIndex

from . import _boundgen
from ._core import RETAINED_MEMORY
from ._interface import (
    ELEMENTS,
    SCALARS,
    FunctionSpec,
    Interface,
    InterfaceSource,
    ParamType,
    ResultType,
    check_exports,
    find,
    parse,
)
from ._scratch import PAGE, ZEROS
from ._staging import LARGEST
from ._values import byte_view, exact_int
from .errors import (
    GuestError,
    GuestMemoryError,
    InvalidInput,
    InvalidModule,
    InvalidType,
    OutOfRange,
    RejectedArgument,
)

if TYPE_CHECKING:
    from ._function import Function
    from ._instance import Instance
    from ._module import Signature


class Bindable(Protocol):
    """What :func:`bind` needs of a :class:`~wasmext.runtime.Guest` (which is one)."""

    @property
    def name(self) -> str:
        """The artifact's file name, for messages."""

    @property
    def sha256(self) -> str:
        """Hex sha256 of the module's bytes."""

    @property
    def functions(self) -> Mapping[str, Signature]:
        """Signatures of every exported function."""

    @property
    def source_path(self) -> str | None:
        """The absolute path the module was read from, ``None`` for bytes."""

    def instance(self) -> Instance:
        """The calling thread's instance."""

    def new_instance(self) -> Instance:
        """A fresh instance owned by the caller."""


__all__ = ["Bound", "bind"]

_RECORD = 16  # the result record: 16 bytes, 8-aligned, at the start of the block
_OUT_OF_MEMORY = -1000
_BAD_RECORD = -1001
_U32_MAX = (1 << 32) - 1
_MASK = {"i32": _U32_MAX, "i64": (1 << 64) - 1}
_F32 = struct.Struct("<f")
_F64 = struct.Struct("<d")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_VEC = struct.Struct("<I4xI")  # pointer, then the length at byte 8
_float_of_float = float.__float__
# Buffer formats by (kind, size): the byte-order prefixes that mean little-endian here.
_NATIVE = "@=<" if sys.byteorder == "little" else "<"
_KINDS = {**dict.fromkeys("bhilqn", "int"), **dict.fromkeys("BHILQN", "uint"), "f": "float"}
_KINDS["d"] = "float"
_ELEMENT_KIND = {
    "i32": ("int", 4),
    "u32": ("uint", 4),
    "i64": ("int", 8),
    "u64": ("uint", 8),
    "f32": ("float", 4),
    "f64": ("float", 8),
}
_F32_MAX = 3.4028234663852886e38
_INFINITY = float("inf")

# A converter appends a parameter's wasm values to `lowered` and, for data that goes into the
# block, (slot of its pointer in `lowered`, offset, bytes to copy in, buffer to copy back into)
# to `buffers`; it returns the block size so far. Values and lengths are unsigned.
Buffers = list[tuple[int, int, Any, Any]]
Converter = Callable[[object, list[int], Buffers, int], int]


# ----------------------------------------------------------------------------- arguments


def _type_name(value: object) -> str:
    return type(value).__name__


def _numpy_bool(value: object) -> bool:
    kind = type(value)
    return kind.__module__ == "numpy" and kind.__name__ in ("bool_", "bool")


def _to_float(value: object, label: str) -> float:
    if isinstance(value, float):
        return _float_of_float(value)  # a subclass's own __float__ cannot change the number
    if isinstance(value, (bool, str, bytes, bytearray)):
        raise InvalidType(f"{label} must be a float, not {_type_name(value)}")
    if hasattr(type(value), "__index__"):
        number = exact_int(value, label)
        try:
            return float(number)
        except OverflowError:
            raise OutOfRange(f"{label} = {number} is too large for a float") from None
    if hasattr(type(value), "__float__"):  # numpy floats, Decimal, Fraction
        result = float(value)  # type: ignore[arg-type]
        return _float_of_float(result)
    raise InvalidType(f"{label} must be a float, not {_type_name(value)}")


def _scalar_converter(item: str, label: str) -> Converter:
    scalar = SCALARS[item]
    if item == "bool":

        def convert_bool(value: object, lowered: list[int], buffers: Buffers, size: int) -> int:
            if value is True or value is False or _numpy_bool(value):
                lowered.append(1 if value else 0)
            else:
                raise InvalidType(f"{label} must be a bool, not {_type_name(value)}")
            return size

        return convert_bool
    if item in ("f32", "f64"):
        pack, bits = (_F32.pack, _U32.unpack) if item == "f32" else (_F64.pack, _U64.unpack)

        def convert_float(value: object, lowered: list[int], buffers: Buffers, size: int) -> int:
            number = value if type(value) is float else _to_float(value, label)
            try:
                lowered.append(bits(pack(number))[0])
            except OverflowError:
                raise OutOfRange(f"{label} = {number!r} is too large for an f32") from None
            return size

        return convert_float
    low, high, mask = scalar.low, scalar.high, _MASK[scalar.wasm]

    def convert_int(value: object, lowered: list[int], buffers: Buffers, size: int) -> int:
        if type(value) is not int:
            value = exact_int(value, label)
        if value < low or value > high:
            raise OutOfRange(f"{label} = {value} does not fit {item} ({low}..{high})")
        lowered.append(value & mask)
        return size

    return convert_int


def _list_to_array(value: list[Any] | tuple[Any, ...], item: str, label: str) -> array.array[Any]:
    typecode = ELEMENTS[item][0]
    floats = item in ("f32", "f64")
    allowed = {int, float} if floats else {int}
    if not set(map(type, value)) <= allowed:
        # The exact checks, element by element, naming the first bad one.
        value = [
            _to_float(x, f"{label}[{i}]") if floats else exact_int(x, f"{label}[{i}]")
            for i, x in enumerate(value)
        ]
    try:
        packed = array.array(typecode, value)
    except OverflowError:
        scalar = SCALARS[item]
        bad = next((x for x in value if not scalar.low <= x <= scalar.high), None)
        raise OutOfRange(
            f"{label} holds {bad}, which does not fit {item} ({scalar.low}..{scalar.high})"
        ) from None
    if item == "f32":
        for x in value:
            if _F32_MAX < abs(x) < _INFINITY:
                raise OutOfRange(f"{label} holds {x!r}, which is too large for an f32")
    return packed


def _numeric_view(value: object, item: str, label: str, writable: bool) -> tuple[Any, int]:
    """``value`` as a byte view of ``item`` elements and their count."""
    kind, size = _ELEMENT_KIND[item]
    typecode = ELEMENTS[item][0]
    if isinstance(value, (list, tuple)) and not writable:
        value = _list_to_array(value, item, label)
    try:
        view = memoryview(value)  # type: ignore[arg-type]
    except TypeError:
        what = "a writable buffer" if writable else "a buffer or a list"
        raise InvalidType(
            f"{label} must be {what} of {item} (array('{typecode}'), a numpy array), not "
            f"{_type_name(value)}"
        ) from None
    fmt = view.format
    if fmt[:1] in _NATIVE and len(fmt) == 2:
        fmt = fmt[1:]
    if _KINDS.get(fmt) != kind or view.itemsize != size:
        raise InvalidType(
            f"{label} must hold {item} elements (array('{typecode}'), a numpy array of that "
            f"type), not {_type_name(value)} of format {view.format!r}"
        )
    if writable and view.readonly:
        raise InvalidType(
            f"{label} must be a writable buffer (array('{typecode}'), a numpy array), not a "
            f"read-only {_type_name(value)}: the guest's output is copied back into it"
        )
    if not view.c_contiguous:
        raise InvalidType(f"{label} must be a C-contiguous buffer")
    count = view.nbytes // size
    return view.cast("B"), count


def _buffer_converter(param: ParamType, label: str) -> Converter:
    kind = param.kind
    writable = kind == "mut_slice"
    if kind == "str":

        def convert_str(value: object, lowered: list[int], buffers: Buffers, size: int) -> int:
            if not isinstance(value, str):
                raise InvalidType(f"{label} must be a str, not {_type_name(value)}")
            try:
                # A bytearray, not bytes: the copy is zeroed once it is in the block.
                data = bytearray(str.__str__(value), "utf-8")
            except UnicodeEncodeError as error:
                raise InvalidInput(f"{label} cannot be encoded as UTF-8: {error.reason}") from None
            lowered += (size, len(data))
            buffers.append((len(lowered) - 2, size, data, None))
            return size + ((len(data) + 7) & -8)

        return convert_str
    if kind == "array":
        length = param.length

        def convert_array(value: object, lowered: list[int], buffers: Buffers, size: int) -> int:
            data = byte_view(value, label)
            if len(data) != length:
                raise InvalidInput(f"{label} must be {length} bytes long, got {len(data)}")
            lowered.append(size)
            buffers.append((len(lowered) - 1, size, data, None))
            return size + ((length + 7) & -8)

        return convert_array
    if param.item == "u8" and writable:

        def convert_out_bytes(
            value: object, lowered: list[int], buffers: Buffers, size: int
        ) -> int:
            data = byte_view(value, label, writable=True)
            count = len(data)
            lowered += (size, count)
            buffers.append((len(lowered) - 2, size, data, data))
            return size + ((count + 7) & -8)

        return convert_out_bytes
    if param.item == "u8":

        def convert_bytes(value: object, lowered: list[int], buffers: Buffers, size: int) -> int:
            # bytes, the common case, inline: no view to make, nothing to check.
            data = value if type(value) is bytes else byte_view(value, label)
            count = len(data)
            lowered += (size, count)
            buffers.append((len(lowered) - 2, size, data, None))
            return size + ((count + 7) & -8)

        return convert_bytes
    item = param.item

    def convert_slice(value: object, lowered: list[int], buffers: Buffers, size: int) -> int:
        data, count = _numeric_view(value, item, label, writable)
        lowered += (size, count)
        buffers.append((len(lowered) - 2, size, data, data if writable else None))
        return size + ((len(data) + 7) & -8)

    return convert_slice


def _converter(spec: FunctionSpec, index: int) -> Converter:
    param = spec.params[index]
    label = f"{spec.python_name}(): {param.python_name}"
    if param.type.kind == "scalar":
        return _scalar_converter(param.type.item, label)
    return _buffer_converter(param.type, label)


# ----------------------------------------------------------------------------- results


def _plain_reader(result: ResultType) -> Callable[[memoryview], tuple[Any, ...]] | None:
    """For an int or float result (not bool, not an option), what unpacks it from the record."""
    if result.kind != "scalar" or result.item == "bool":
        return None
    return struct.Struct("<" + SCALARS[result.item].code).unpack_from


# A reader turns the result record (at its offset in a view of all of linear memory) into the
# Python result; it runs before the arena's reset, with the instance's lock held.
Reader = Callable[[memoryview, int, Any], Any]


def _broken(guest: str, spec: FunctionSpec, what: str) -> GuestError:
    return GuestError(f"{guest}: {spec.python_name}() {what} (a broken guest)")


def _reader(result: ResultType, spec: FunctionSpec, guest: str) -> Reader | None:
    kind = result.kind
    if kind == "unit":
        return None
    if kind in ("scalar", "option"):
        item = result.item
        code = "Q" if item == "bool" else SCALARS[item].code
        pad = 8 - struct.calcsize("<" + code)
        unpack = struct.Struct(f"<{code}{pad}xI").unpack_from
        option = kind == "option"

        def read_scalar(memory: memoryview, record: int, core: Any) -> Any:
            value, present = unpack(memory, record)
            if option:
                if present == 0:
                    return None
                if present != 1:
                    raise _broken(guest, spec, f"set its Option's flag to {present}")
            if item == "bool":
                if value > 1:
                    raise _broken(guest, spec, f"returned {value} for a bool")
                return value == 1
            return value

        return read_scalar
    typecode, size = ELEMENTS[result.item]
    string = kind == "string"

    def read_vector(memory: memoryview, record: int, core: Any) -> Any:
        pointer, count = _VEC.unpack_from(memory, record)
        nbytes = count * size
        core.refresh_memory()
        if pointer % size or pointer + nbytes > core.size or (pointer == 0 and count):
            raise _broken(guest, spec, f"returned {count} elements at {pointer:#x}, outside memory")
        if string:
            try:
                return str(core.view()[pointer : pointer + nbytes], "utf-8") if count else ""
            except UnicodeDecodeError:
                raise _broken(guest, spec, "returned a String that is not UTF-8") from None
        if typecode == "B":
            return ctypes.string_at(core.base + pointer, nbytes) if count else b""
        vector = array.array(typecode, bytes(size)) * count
        if count:
            ctypes.memmove(vector.buffer_info()[0], core.base + pointer, nbytes)
        return vector

    return read_vector


def _failures(
    spec: FunctionSpec, guest: str, classes: Mapping[tuple[str, str], type[GuestError]]
) -> Callable[[int], Exception]:
    """The exception for each nonzero status of ``spec``'s function."""
    variants = []
    if spec.error is not None:
        for variant in spec.error.variants:
            cls = classes[spec.error.name, variant.name]
            summary = variant.doc.strip().split("\n")[0] if variant.doc else ""
            detail = f": {summary}" if summary else ""
            variants.append((cls, f"{spec.python_name}() failed: {variant.name}{detail}"))
    params = spec.params

    def failure(status: int) -> Exception:
        if 0 < status <= len(variants):
            cls, message = variants[status - 1]
            return cls(message)
        if -len(params) <= status < 0:
            param = params[-status - 1]
            return RejectedArgument(
                f"{guest}: {spec.python_name}() rejected its argument {param.python_name} "
                f"({param.type.spelling}): out of range, misaligned, overlapping or not UTF-8"
            )
        if status == _OUT_OF_MEMORY:
            return GuestMemoryError(
                f"{guest}: {spec.python_name}(): the result did not fit in the guest's memory"
            )
        if status == _BAD_RECORD:
            return _broken(guest, spec, "refused the host's result record")
        return _broken(guest, spec, f"returned the unknown status {status}")

    return failure


# ----------------------------------------------------------------------------- sessions


class _Session:
    """One thread's instance with the handles a bound call uses, prepared once."""

    __slots__ = ("alloc", "arenas", "calls", "core", "instance", "lock", "reset", "staging")

    def __init__(self, instance: Instance, names: tuple[str, ...]) -> None:
        self.instance = instance
        self.core = instance.scratch.core
        self.lock = self.core.lock
        # Each export's trusted call, bound once (see Function._call_trusted).
        functions: list[Function] = [instance.function(name) for name in names]
        self.calls = [function._call_trusted for function in functions]
        self.alloc = instance.function("bump_alloc")._call_trusted
        self.reset = instance.function("bump_reset")._call_trusted
        # The instance's open arena blocks (package-internal): while a caller holds one, its
        # allocations are live, and the reset is left to the end of that block.
        self.arenas = instance.open_arenas
        self.staging = instance.staging


def _exception_classes(
    interface: Interface, module: str, given: Mapping[str, type[GuestError]]
) -> tuple[dict[str, type[GuestError]], dict[tuple[str, str], type[GuestError]]]:
    """One class per error enum (a ``GuestError`` and ``ValueError``) and per variant."""
    by_name: dict[str, type[GuestError]] = {}
    by_variant: dict[tuple[str, str], type[GuestError]] = {}
    names = interface.exception_names()
    for enum in interface.errors:
        base = given.get(enum.name)
        if base is None:
            doc = enum.doc or f"An error ``{enum.name}`` of the guest."
            base = type(enum.name, (GuestError, ValueError), {"__doc__": doc, "__module__": module})
        elif not (isinstance(base, type) and issubclass(base, GuestError)):
            raise InvalidType(f"exceptions[{enum.name!r}] must be a subclass of GuestError")
        by_name[enum.name] = base
        for code, variant in enumerate(enum.variants, 1):
            name = names[enum.name, variant.name]
            cls = given.get(name)
            if cls is None:
                doc = variant.doc or f"``{enum.name}::{variant.name}``."
                attrs = {"__doc__": doc, "__module__": module, "code": code}
                cls = type(name, (base,), attrs)
            elif not (isinstance(cls, type) and issubclass(cls, base)):
                raise InvalidType(f"exceptions[{name!r}] must be a subclass of {enum.name}")
            by_name[name] = cls
            by_variant[enum.name, variant.name] = cls
    return by_name, by_variant


class Bound:
    """A guest's functions taking and returning Python values; from :meth:`Guest.bind`.

    Each guest function is an attribute (``bound.compress(data, level=6)``), and so is each
    exception class: one per error enum (a :class:`~wasmext.errors.GuestError` and a
    ``ValueError``) and one per variant (a subclass of its enum's, named after the variant).
    Calls run on the calling thread's instance (:meth:`Guest.instance`), so one bound object
    serves every thread. What is not a guest function or exception starts with ``_``:
    ``_guest``, ``_interface``, ``_errors`` (the exception classes by name).
    """

    _guest: Bindable
    _interface: Interface
    _errors: dict[str, type[GuestError]]

    def __init__(
        self,
        guest: Bindable,
        interface: Interface,
        exceptions: Mapping[str, type[GuestError]] | None = None,
        module: str = "wasmext.bound",
    ) -> None:
        """Bind ``interface`` (already checked against ``guest``'s exports); see :func:`bind`."""
        self._guest = guest
        self._interface = interface
        self._names = tuple(spec.name for spec in interface.functions)
        self._local = threading.local()
        errors, by_variant = _exception_classes(interface, module, exceptions or {})
        self._errors = errors
        for name, cls in errors.items():
            setattr(self, name, cls)
        for index, spec in enumerate(interface.functions):
            setattr(self, spec.python_name, self._function(spec, index, by_variant))

    if TYPE_CHECKING:
        # The guest's functions and exceptions are set per instance: typed code sees Any.
        def __getattr__(self, name: str) -> Any: ...

    def _session(self) -> _Session:
        """The calling thread's session, on a fresh instance once its own is retired."""
        session: _Session | None = self._local.__dict__.get("session")
        if session is not None:
            # The retirement test of Guest.instance(), on plain attributes: a property call
            # costs a tenth of a small call.
            if session.core.poisoned is None and session.core.size <= RETAINED_MEMORY:
                return session
            if session.core.poisoned is None:
                session.instance.retire()  # memory never shrinks: let the big one go
        # Guest.instance() creates the thread's instance on this thread, which checks that its
        # stack can run guests: every session's thread has passed that check.
        session = self._local.session = _Session(self._guest.instance(), self._names)
        return session

    def _function(
        self,
        spec: FunctionSpec,
        index: int,
        classes: Mapping[tuple[str, str], type[GuestError]],
    ) -> Callable[..., Any]:
        converters = tuple(_converter(spec, i) for i in range(len(spec.params)))
        names = [param.python_name for param in spec.params]
        arity = len(converters)
        # What a call must do after the guest's, decided once: copy &mut slices back, zero
        # its own UTF-8 copies of strs.
        copies = any(param.type.kind == "mut_slice" for param in spec.params)
        scrubs = any(param.type.kind == "str" for param in spec.params)
        read = _reader(spec.result, spec, self._guest.name)
        failure = _failures(spec, self._guest.name, classes)
        session_of = self._session
        new_instance = self._guest.new_instance
        all_names = self._names
        local = self._local.__dict__
        guest_name = self._guest.name
        # A vector result is copied into the arena by the guest: only a reset wipes it.
        staged = spec.result.kind not in ("vec", "string")

        def session_now() -> _Session:
            session: _Session | None = local.get("session")
            # _session()'s test of a kept session, inline: this is the hot path.
            if (
                session is None
                or session.core.poisoned is not None
                or session.core.size > RETAINED_MEMORY
            ):
                session = session_of()
            if session.lock._is_owned():  # type: ignore[attr-defined]
                # This thread is in the middle of a call on this instance: a signal handler or
                # a __del__ ran between two of its bytecodes and came here. Its block is in
                # use, so the nested call runs on an instance of its own.
                session = _Session(new_instance(), all_names)
            return session

        def in_arena(session: _Session, lowered: list[int], buffers: Buffers, size: int) -> Any:
            """Allocate, lay out, call, read, copy back and reset, under one hold of the lock."""
            core = session.core
            with session.lock:
                # Inside an open arena() block of the caller's, its reset zeroes our block.
                resets = not session.arenas
                try:
                    base = (session.alloc((size,)) or 0) & 0xFFFF_FFFF
                    if not base:
                        raise GuestMemoryError(
                            f"{guest_name}: the guest could not allocate the {size} bytes "
                            "of a call's arguments"
                        )
                    if size > RETAINED_MEMORY:
                        session.instance.retire()  # memory never shrinks: a fresh one next
                    if base + size > core.size:
                        # Otherwise no refresh (a C call, a tenth of the whole): memory
                        # never moves nor shrinks (memory_may_move is off), so the block
                        # lies in the memory the last refresh saw, and its view holds.
                        core.refresh_memory()
                        if base + size > core.size:
                            raise GuestError(
                                f"{guest_name}: bump_alloc returned {size} bytes at "
                                f"{base:#x}, outside memory (a broken guest)"
                            )
                    memory = core.view()
                    for slot, offset, data, _ in buffers:
                        at = base + offset
                        memory[at : at + len(data)] = data
                        lowered[slot] = at
                    lowered.append(base)
                    status = session.calls[index](lowered)
                    if status:
                        raise failure(status)
                    result = None if read is None else read(memory, base, core)
                    if copies:
                        memory = core.view()  # refreshed if a vector reader saw growth
                        for _, offset, data, target in buffers:
                            if target is not None:
                                at = base + offset
                                target[:] = memory[at : at + len(data)]
                    return result
                finally:
                    if resets and core.poisoned is None:
                        session.reset(())

        def call_in_arena(*args: object, **kwargs: object) -> Any:
            if kwargs or len(args) != arity:
                args = _arrange(spec.python_name, names, args, kwargs)
            lowered: list[int] = []
            buffers: Buffers = []
            size = _RECORD
            for convert, value in zip(converters, args):
                size = convert(value, lowered, buffers, size)
            try:
                return in_arena(session_now(), lowered, buffers, size)
            finally:
                if scrubs:
                    _scrub(buffers)

        # A number's reader is one C call: no Python frame for it.
        plain = _plain_reader(spec.result)

        def dispatch(lowered: list[int], buffers: Buffers, size: int) -> Any:
            """The staged call of arguments converted already, whatever the session."""
            session = session_now()
            if size > LARGEST:
                return in_arena(session, lowered, buffers, size)
            staging = session.staging
            core = session.core
            # Lay out in the staging block, call, read, copy back and wipe: one guest call.
            with session.lock:
                try:
                    try:
                        block = staging.block
                        if block[0] != core.resets or block[2] < size or staging.dirty:
                            block = staging.take(size)
                        # Before the first write: whatever happens next, the wipe covers it.
                        staging.dirty = size
                        base = block[1]
                        view = block[3]
                        for slot, offset, data, _ in buffers:
                            view[offset : offset + len(data)] = data
                            lowered[slot] = base + offset
                        lowered.append(base)
                        status = session.calls[index](lowered)
                        if status:
                            if not session.arenas:
                                # Errors are rare: a reset then also clears whatever a guest
                                # that broke the rules (docs/abi.md) left behind.
                                session.reset(())
                            raise failure(status)
                        if copies:
                            for _, offset, data, target in buffers:
                                if target is not None:
                                    target[:] = view[offset : offset + len(data)]
                        if plain is not None:
                            result = plain(view)[0]
                        else:
                            result = None if read is None else read(view, 0, None)
                        if block[0] != core.resets:
                            raise reset_during_call()
                        return result
                    finally:
                        # Our own bytes, even if a reset struck meanwhile: the arena's free
                        # memory must read as zeros again.
                        staging.wipe(own=True)
                finally:
                    if staging.dirty:
                        staging.wipe(own=True)

        def reset_during_call() -> GuestError:
            return GuestError(
                f"{guest_name}: {spec.python_name}(): the arena was reset during the call (by "
                "a signal handler or __del__ on this thread), so its inputs were lost; call it "
                "again"
            )

        if staged:
            # The common case written out for these parameters (_boundgen.py); it hands
            # everything else to dispatch().
            forms = tuple(_boundgen.form(param.type) for param in spec.params)
            result_kind = "plain" if plain is not None else "none" if read is None else "read"
            namespace: dict[str, Any] = {
                "arrange": functools.partial(_arrange, spec.python_name, names),
                "local": local,
                "dispatch": dispatch,
                "failure": failure,
                "plain": plain,
                "read": read,
                "reset_during_call": reset_during_call,
                "scrub": _scrub,
                "INDEX": index,
                "RETAINED_MEMORY": RETAINED_MEMORY,
                "LARGEST": LARGEST,
                "PAGE": PAGE,
                "ZEROS": ZEROS,
            }
            for k, (shape, param, convert) in enumerate(zip(forms, spec.params, converters)):
                if shape[0] in ("int", "scalar"):
                    namespace[f"lift{k}"] = _lift(convert)
                elif shape[0] == "bytes":
                    label = f"{spec.python_name}(): {param.python_name}"
                    namespace[f"view{k}"] = functools.partial(byte_view, what=label)
                else:
                    namespace[f"convert{k}"] = convert
            call = _boundgen.staged_call(forms, result_kind, namespace)
        else:
            call = call_in_arena

        call.__name__ = call.__qualname__ = spec.python_name
        call.__doc__ = spec.doc or None
        return call

    def __dir__(self) -> list[str]:
        """The guest's functions and exception classes."""
        return sorted([*(f.python_name for f in self._interface.functions), *self._errors])

    def __reduce_ex__(self, protocol: SupportsIndex) -> NoReturn:
        raise InvalidType(
            f"a bound guest ({self._guest.name}) cannot be pickled: send its Guest (it pickles) "
            "and call .bind() there, or use a module from `python -m wasmext bindgen`"
        )

    def __repr__(self) -> str:
        """The guest and its functions."""
        functions = ", ".join(f.python_name for f in self._interface.functions)
        return f"<wasmext.Bound {self._guest.name}: {functions}>"


def _lift(convert: Converter) -> Callable[[object], int]:
    """A scalar parameter's converter as a function of the value alone: its lowered value."""

    def lift(value: object) -> int:
        lowered: list[int] = []
        convert(value, lowered, [], 0)
        return lowered[0]

    return lift


def _scrub(buffers: Buffers) -> None:
    """Zero the call's own UTF-8 copies of strs."""
    for _, _, data, _ in buffers:
        if type(data) is bytearray:
            data[:] = bytes(len(data))


def _arrange(
    function: str, names: list[str], args: tuple[object, ...], kwargs: Mapping[str, object]
) -> tuple[object, ...]:
    """Positional and keyword arguments as one tuple in parameter order, as Python would."""
    if len(args) > len(names):
        raise InvalidType(f"{function}() takes {len(names)} argument(s), {len(args)} given")
    missing = object()
    values: list[object] = [*args, *[missing] * (len(names) - len(args))]
    for key, value in kwargs.items():
        if key not in names:
            raise InvalidType(f"{function}() got an unexpected keyword argument {key!r}")
        position = names.index(key)
        if values[position] is not missing:
            raise InvalidType(f"{function}() got multiple values for argument {key!r}")
        values[position] = value
    absent = [name for name, value in zip(names, values) if value is missing]
    if absent:
        raise InvalidType(f"{function}() missing argument(s): {', '.join(absent)}")
    return tuple(values)


def bind(
    guest: Bindable,
    interface: InterfaceSource | None,
    exceptions: Mapping[str, type[GuestError]] | None = None,
    module: str = "wasmext.bound",
) -> Bound:
    """:meth:`Guest.bind <wasmext.runtime.Guest.bind>`: find, parse and check the interface."""
    raw, where = find(interface, guest.name, guest.source_path, guest.sha256)
    parsed = parse(raw, where)
    check_exports(parsed, guest.functions, guest.name)
    for name in ("bump_alloc", "bump_reset"):
        if name not in guest.functions:  # Guest loading checks these; here for clarity
            raise InvalidModule(f"{guest.name}: no {name} export")
    return Bound(guest, parsed, exceptions, module)
