"""Direct access to the wasmtime C API that wasmtime-py has already loaded.

wasmtime-py's ``Func.__call__`` re-reads the function type, converts every argument
into a boxed ``wasmtime_val_t`` and uses the checked call: tens of microseconds per
call.  ``wasmtime_func_call_unchecked`` with a prepared ``wasmtime_val_raw_t`` array
costs about one.  Those are private details of wasmtime-py, so this module only
enables itself for wasmtime-py versions we have tested and only after checking the
layout assumptions below. On a wasmtime-py major the suite has not run on, a self-test then
drives every entry point through a tiny module and compares with the public API. Anything
amiss leaves :data:`AVAILABLE` false, :data:`REASON` says why, and the runtime uses
wasmtime-py's public API instead.

The entry points take plain addresses, never wasmtime-py's ctypes structures. The hot
one, ``wasmtime_func_call_unchecked``, is bound once per exported function with all five
arguments as prebuilt ctypes objects (:meth:`FastApi.prepared_call`), so a call converts
nothing; the others take Python ints.
"""

from __future__ import annotations

import ctypes
import functools
import os
from typing import Any, Callable

import wasmtime

from ._values import env_flag

__all__ = [
    "AVAILABLE",
    "RAW_SLOT_BYTES",
    "REASON",
    "TESTED_MAJOR_VERSIONS",
    "WASMTIME_VERSION",
    "FastApi",
    "api",
    "public_api_forced",
]

#: wasmtime-py majors the whole suite passed on with the fast path (``cargo xtask compat``).
#: Another version gets the fast path only if the structural checks and the self-test pass.
TESTED_MAJOR_VERSIONS = frozenset({48, 49, 50, 51})

#: Size of one ``wasmtime_val_raw_t`` (a union that includes a v128).
RAW_SLOT_BYTES = 16

#: Environment variable that forces wasmtime-py's public API (useful to compare paths).
FORCE_PUBLIC_ENV = "WASMEXT_PUBLIC_API"


def _installed_version() -> str:
    # The dist-info directory next to the package names the version; importlib.metadata
    # would say the same but costs more to import than wasmtime itself. A plain listing, not
    # Path.glob: this runs in every process's cold start, and glob's pattern machinery
    # costs it half a millisecond.
    site = os.path.dirname(os.path.dirname(os.path.realpath(wasmtime.__file__)))
    try:
        names = os.listdir(site)
    except OSError:
        names = []
    found = [name for name in names if name.startswith("wasmtime-") and name.endswith(".dist-info")]
    if len(found) == 1:
        return found[0][len("wasmtime-") : -len(".dist-info")]
    from importlib import metadata

    try:
        return metadata.version("wasmtime")
    except metadata.PackageNotFoundError:
        return "unknown"


WASMTIME_VERSION: str = _installed_version()


def _word(value: int) -> Any:
    """A ctypes argument that passes ``value`` as a pointer-sized word, converting nothing.

    ctypes converts a ``c_void_p`` or ``c_size_t`` argument on every call (a third of the cost
    of the call itself), but hands over the object :func:`ctypes.byref` makes as it is. A
    reference to a one-byte object at address ``value`` is that word, for the addresses and
    for the slot count alike: :func:`_structure` checks that ``size_t`` is as wide as a
    pointer, and every ABI wasmtime runs on passes the two the same way. Nothing is read
    there.
    """
    return ctypes.byref(ctypes.c_char.from_address(value))


def public_api_forced() -> bool:
    """Whether ``$WASMEXT_PUBLIC_API`` asks for the public (slow, checked) call path."""
    return env_flag(FORCE_PUBLIC_ENV)


class FastApi:
    """Raw C entry points bound with address-only prototypes."""

    def __init__(self, ffi: Any) -> None:
        dll = ffi.dll
        vp = ctypes.c_void_p
        # No argtypes: every call passes the same five prebuilt words (see _word), which
        # ctypes hands over as they are, where a prototype would convert five Python ints on
        # each call. A private function pointer object, so wasmtime-py's own binding keeps its
        # prototype.
        self._call_unchecked = dll._FuncPtr(("wasmtime_func_call_unchecked", dll))
        self._call_unchecked.restype = vp
        self.memory_data = ctypes.CFUNCTYPE(vp, vp, vp)(("wasmtime_memory_data", dll))
        self.memory_data_size = ctypes.CFUNCTYPE(ctypes.c_size_t, vp, vp)(
            ("wasmtime_memory_data_size", dll)
        )
        self._ffi = ffi
        #: ``wasmtime_val_raw_t``, for argument/result arrays with the C layout and alignment.
        self.raw_value_type = ffi.wasmtime_val_raw_t
        self._extern_func = ffi.WASMTIME_EXTERN_FUNC.value
        self._extern_memory = ffi.WASMTIME_EXTERN_MEMORY.value

    def prepared_call(
        self, context: int, func: int, values: int, count: int, trap: int
    ) -> Callable[[], int | None]:
        """``wasmtime_func_call_unchecked`` with every argument bound: call it with none.

        ``values`` is the address of ``count`` raw slots (arguments in, results out) and
        ``trap`` that of a ``wasm_trap_t*`` the call sets on a trap. The result is the
        ``wasmtime_error_t*`` address, or ``None`` when there is no error.
        """
        return functools.partial(
            self._call_unchecked,
            _word(context),
            _word(func),
            _word(values),
            _word(count),
            _word(trap),
        )

    @staticmethod
    def context_address(store: wasmtime.Store) -> int:
        """Address of the store's ``wasmtime_context_t`` (stable for the store's life)."""
        address = ctypes.cast(store._context(), ctypes.c_void_p).value
        assert address is not None
        return address

    @staticmethod
    def func_address(func: wasmtime.Func) -> int:
        """Address of the ``wasmtime_func_t`` inside ``func`` (valid while ``func`` lives)."""
        return ctypes.addressof(func._func)

    @staticmethod
    def memory_address(memory: wasmtime.Memory) -> int:
        """Address of the ``wasmtime_memory_t`` inside ``memory``."""
        return ctypes.addressof(memory._memory)

    def export(self, store: wasmtime.Store, instance: wasmtime.Instance, name: str) -> Any:
        """Look up one export by name.

        wasmtime-py's ``Instance.exports`` wraps every export up front: about 15 µs
        each, most of a millisecond for a guest with 60 functions.
        """
        ffi = self._ffi
        encoded = name.encode("utf-8")
        item = ffi.wasmtime_extern_t()
        found = ffi.wasmtime_instance_export_get(
            store._context(),
            ctypes.byref(instance._instance),
            ctypes.create_string_buffer(encoded),
            len(encoded),
            ctypes.byref(item),
        )
        if not found:
            return None
        if item.kind == self._extern_func:
            return wasmtime.Func._from_raw(item.of.func)
        if item.kind == self._extern_memory:
            return wasmtime.Memory._from_raw(item.of.memory)
        return None

    def trap_message(self, trap_address: int) -> str:
        """Take ownership of a ``wasm_trap_t*`` and return its message."""
        pointer = ctypes.cast(trap_address, ctypes.POINTER(self._ffi.wasm_trap_t))
        return str(wasmtime.Trap._from_ptr(pointer))

    def error_message(self, error_address: int) -> str:
        """Take ownership of a ``wasmtime_error_t*`` and return its message."""
        pointer = ctypes.cast(error_address, ctypes.POINTER(self._ffi.wasmtime_error_t))
        return str(wasmtime.WasmtimeError._from_ptr(pointer))


# What the self-test runs: arguments and results of both widths, a trap, and memory.
_SELF_TEST_WAT = """
(module
  (memory (export "memory") 1)
  (func (export "widen") (param i32 i64) (result i64)
    (i64.add (i64.extend_i32_u (local.get 0)) (local.get 1)))
  (func (export "less") (param i32) (result i32) (i32.sub (local.get 0) (i32.const 1)))
  (func (export "boom") unreachable))
"""


def _self_test(api: FastApi) -> str | None:
    """Drive every entry point the fast path uses; ``None`` if all agree with the public API."""
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    module = wasmtime.Module(engine, bytes(wasmtime.wat2wasm(_SELF_TEST_WAT)))
    instance = wasmtime.Instance(store, module, [])
    context = api.context_address(store)
    trap = ctypes.c_void_p()
    raw = (api.raw_value_type * 2)()
    wide = (ctypes.c_int64 * 4).from_buffer(raw)
    narrow = (ctypes.c_int32 * 8).from_buffer(raw)

    def call(name: str) -> int | None:
        func = api.export(store, instance, name)
        if not isinstance(func, wasmtime.Func):
            raise TypeError(f"export {name!r} did not come back as a function")
        invoke = api.prepared_call(
            context, api.func_address(func), ctypes.addressof(raw), 2, ctypes.addressof(trap)
        )
        return invoke()

    wide[0], wide[2] = 0xFFFF_FFFF, 1 << 40
    if call("widen") or trap.value or wide[0] != (1 << 40) + 0xFFFF_FFFF:
        return f"an i32 and an i64 argument gave {wide[0]}"
    wide[0] = 0
    if call("less") or trap.value or narrow[0] != -1:
        return f"an i32 result came back as {narrow[0]}"
    error = call("boom")
    if error:
        api.error_message(error)
    if not trap.value:
        return "a trap was not reported"
    message = api.trap_message(trap.value)
    if "unreachable" not in message:
        return f"a trap's message reads {message!r}"
    memory = api.export(store, instance, "memory")
    if not isinstance(memory, wasmtime.Memory):
        return "the memory export did not come back as a memory"
    address = api.memory_address(memory)
    size = api.memory_data_size(context, address)
    base = api.memory_data(context, address)
    if size != memory.data_len(store) or base != ctypes.addressof(memory.data_ptr(store).contents):
        return "linear memory's address or size disagrees with the public API"
    return None


def _structure() -> tuple[FastApi | None, str]:
    """The C entry points, if wasmtime-py's private bindings have the shape they rely on."""
    try:
        from wasmtime import _bindings
        from wasmtime import _ffi as ffi

        if ctypes.sizeof(ffi.wasmtime_val_raw_t) != RAW_SLOT_BYTES:
            return None, "wasmtime_val_raw_t has an unexpected size"
        if ctypes.sizeof(ctypes.c_size_t) != ctypes.sizeof(ctypes.c_void_p):
            return None, "size_t is not as wide as a pointer"
        # The signature we bind must be the one wasmtime-py itself declares.
        declared = _bindings._wasmtime_func_call_unchecked.argtypes
        if len(declared) != 5 or declared[3] is not ctypes.c_size_t:
            return None, "wasmtime_func_call_unchecked has an unexpected signature"
        for cls, attribute in ((wasmtime.Func, "_func"), (wasmtime.Memory, "_memory")):
            if attribute not in getattr(cls, "__annotations__", {}):
                return None, f"wasmtime.{cls.__name__} has no {attribute} field"
        if not hasattr(wasmtime.Store, "_context") or not hasattr(wasmtime.Trap, "_from_ptr"):
            return None, "wasmtime.Store/Trap lack the private hooks we rely on"
        if "_instance" not in getattr(wasmtime.Instance, "__annotations__", {}):
            return None, "wasmtime.Instance has no _instance field"
        if not hasattr(wasmtime.Func, "_from_raw") or not hasattr(wasmtime.Memory, "_from_raw"):
            return None, "wasmtime.Func/Memory cannot be built from raw externs"
        return FastApi(ffi), "enabled"
    except (ImportError, AttributeError, TypeError, ValueError, OSError) as error:
        return None, f"wasmtime's C bindings are not as expected: {error}"


def _probe() -> tuple[FastApi | None, str]:
    try:
        major = int(WASMTIME_VERSION.split(".")[0])
    except ValueError:
        return None, f"cannot parse the wasmtime version {WASMTIME_VERSION!r}"
    found, reason = _structure()
    if found is None or major in TESTED_MAJOR_VERSIONS:
        return found, reason
    tested = f"{min(TESTED_MAJOR_VERSIONS)} to {max(TESTED_MAJOR_VERSIONS)}"
    try:
        problem = _self_test(found)
    except Exception as error:  # any failure of an untested layout means: not this path
        problem = f"{type(error).__name__}: {error}"
    if problem is not None:
        return None, (
            f"wasmtime {WASMTIME_VERSION} is not a version the fast path was tested with "
            f"({tested}), and its self-test failed: {problem}"
        )
    return found, f"enabled: wasmtime {WASMTIME_VERSION} is untested ({tested}); self-test passed"


api, REASON = _probe()

#: Whether the fast call path can be used with the installed wasmtime.
AVAILABLE: bool = api is not None
