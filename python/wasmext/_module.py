"""Compiling, caching and validating guest modules (one shared engine per process)."""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Literal, NamedTuple

import wasmtime

from . import _fastcall, _forksafe, _stack
from ._cache import ModuleCache, cache_key
from .errors import InvalidModule

if TYPE_CHECKING:
    from ._interrupts import Line

__all__ = [
    "CompiledModule",
    "Origin",
    "Signature",
    "Signatures",
    "Variant",
    "config",
    "engine",
    "forget_loaded_modules",
    "load",
    "variant",
]

#: How a module came to be in memory.
Origin = Literal["compiled", "disk-cache", "process"]

WASM_MAGIC = b"\0asm"
SUPPORTED_VALUE_TYPES = frozenset({"i32", "i64"})
_REQUIRED_FUNCTIONS = {
    "bump_alloc": (("i32",), ("i32",)),
    "bump_reset": ((), ()),
}

_engines: dict[str, wasmtime.Engine] = {}
_engine_lock = _forksafe.lock(_forksafe.ENGINE)
_load_lock = _forksafe.lock(_forksafe.LOADER)
_loaded: weakref.WeakValueDictionary[tuple[str, str], CompiledModule] = (
    weakref.WeakValueDictionary()
)

#: The engine variants, by what compiled code does besides running: ``""`` nothing,
#: ``"epoch"`` checks for interruption (:mod:`wasmext._interrupts`), ``"fuel"`` counts fuel,
#: ``"epoch+fuel"`` both. Each compiles to different code, so each has its own cache entries.
Variant = Literal["", "epoch", "fuel", "epoch+fuel"]


def variant(*, interruptible: bool, fuel: bool) -> Variant:
    """The engine variant for guests with these options."""
    if interruptible:
        return "epoch+fuel" if fuel else "epoch"
    return "fuel" if fuel else ""


def config(kind: Variant) -> wasmtime.Config:
    """A fresh engine configuration of variant ``kind``.

    It compiles on the calling thread: wasmtime's parallel compilation starts a thread pool
    that a process forked afterwards does not have, and the child's first compilation then
    waits for it forever. Compiling serially costs a few tens of milliseconds once per
    artifact and machine (the disk cache keeps the result).
    """
    settings = wasmtime.Config()
    # Linear memory never moves: it grows inside the reservation wasmtime makes for it (all
    # of a 32-bit memory's 4 GiB on 64-bit hosts), so a host pointer into it stays valid for
    # the store's life instead of dangling after growth (wasmtime#9334). Scratch blocks rely
    # on it (see _scratch.py).
    settings.memory_may_move = False
    settings.parallel_compilation = False
    # Explicit, because _stack.check_thread_stack() refuses threads whose stack cannot hold
    # it: the two must agree. Compiled code does not depend on it (wasmtime sets the limit at
    # each entry), so cached artifacts stay valid.
    settings.max_wasm_stack = _stack.MAX_WASM_STACK
    settings.epoch_interruption = kind.startswith("epoch")
    settings.consume_fuel = kind.endswith("fuel")
    return settings


def engine(kind: Variant = "") -> wasmtime.Engine:
    """The process-wide engine of variant ``kind``, which modules are compiled for.

    Stores of interruptible guests live on their thread's own engine instead (see
    :func:`wasmext._interrupts.line`), which gets its modules by deserializing what this one
    compiled.
    """
    found = _engines.get(kind)
    if found is None:
        with _engine_lock:
            found = _engines.get(kind)
            if found is None:
                created = wasmtime.Engine(config(kind))
                # A signal handler may have made one while this thread was here (the lock
                # is reentrant): keep the first, which modules may already be compiled for.
                found = _engines.setdefault(kind, created)
    return found


# A NamedTuple rather than a dataclass: importing dataclasses (with inspect, ast, dis...) is
# a tenth of a cold start's budget, and this is on the path of every first call.
class Signature(NamedTuple):
    """Parameter and result types of an exported function, as wasm type names."""

    params: tuple[str, ...]
    results: tuple[str, ...]

    def __str__(self) -> str:
        """Render as ``(i32, i64) -> i32``."""
        results = ", ".join(self.results) or "()"
        return f"({', '.join(self.params)}) -> {results}"


class CompiledModule:
    """A validated module plus what the runtime needs to know about its exports."""

    __slots__ = ("__weakref__", "functions", "module", "serialized", "sha256", "variant")

    def __init__(
        self,
        module: wasmtime.Module,
        sha256: str,
        functions: Signatures,
        variant: Variant = "",
        serialized: bytes | None = None,
    ) -> None:
        """Hold the module, the sha256 of its bytes and its functions' signatures.

        ``variant`` is the engine variant it was compiled for; ``serialized`` its compiled
        code, which interruptible guests deserialize for each thread's engine (else ``None``).
        """
        self.module = module
        self.sha256 = sha256
        self.functions = functions
        self.variant = variant
        self.serialized = serialized

    def for_line(self, line: Line) -> wasmtime.Module:
        """The module deserialized for ``line``'s engine, once (about half a millisecond)."""
        found = line.modules.get(self.sha256)
        if found is None:
            assert self.serialized is not None, "only interruptible modules run on lines"
            found = line.modules[self.sha256] = wasmtime.Module.deserialize(
                line.engine, self.serialized
            )
        return found


def _signature(func_type: wasmtime.FuncType) -> Signature:
    return Signature(
        tuple(str(t) for t in func_type.params), tuple(str(t) for t in func_type.results)
    )


class Signatures(Mapping[str, Signature]):
    """Exported function name to :class:`Signature`, each read from wasmtime when first asked.

    Reading every type costs about a millisecond for Monocypher's 64 exports, on the way to
    a process's first call, which needs three of them.
    """

    def __init__(self, types: dict[str, wasmtime.FuncType]) -> None:
        """Describe the functions of ``types`` (export name to function type)."""
        self._types = types
        self._read: dict[str, Signature] = {}

    def __getitem__(self, name: str) -> Signature:
        """The signature of the function ``name``; ``KeyError`` if none is exported."""
        signature = self._read.get(name)
        if signature is None:
            signature = self._read[name] = _signature(self._types[name])
        return signature

    def __iter__(self) -> Iterator[str]:
        """The function names, in export order."""
        return iter(self._types)

    def __len__(self) -> int:
        """How many functions the module exports."""
        return len(self._types)


def _describe(extern_type: object) -> str:
    if isinstance(extern_type, wasmtime.FuncType):
        return f"function {_signature(extern_type)}"
    return type(extern_type).__name__.removesuffix("Type").lower()


def validate(module: wasmtime.Module, name: str) -> Signatures:
    """Check the wasmext guest ABI; return every exported function's signature."""
    imports = [f"{item.module}.{item.name}" for item in module.imports]
    if imports:
        raise InvalidModule(
            f"{name}: guests must be self-contained, but the module imports {', '.join(imports)}"
        )
    exports = {item.name: item.type for item in module.exports}
    problems: list[str] = []
    memory = exports.get("memory")
    if not isinstance(memory, wasmtime.MemoryType):
        found = "nothing" if memory is None else f"a {_describe(memory)}"
        problems.append(f"export 'memory' must be a linear memory (found {found})")
    elif memory.is_64 or memory.is_shared:
        problems.append("export 'memory' must be an unshared 32-bit memory")
    functions = Signatures(
        {
            export_name: extern_type
            for export_name, extern_type in exports.items()
            if isinstance(extern_type, wasmtime.FuncType)
        }
    )
    for required, (params, results) in _REQUIRED_FUNCTIONS.items():
        wanted = Signature(params, results)
        found_signature = functions.get(required)
        if found_signature is None:
            other = exports.get(required)
            what = "missing" if other is None else f"a {_describe(other)}, not a function"
            problems.append(f"export '{required}' {wanted} is {what}")
        elif found_signature != wanted:
            problems.append(f"export '{required}' must be {wanted}, found {found_signature}")
    if problems:
        raise InvalidModule(f"{name} does not follow the wasmext guest ABI: " + "; ".join(problems))
    return functions


def _reason(error: wasmtime.WasmtimeError) -> str:
    """The message of a wasmtime error on one line, without its generic heading."""
    lines = [" ".join(line.split()) for line in str(error).splitlines()]
    useful = [
        line
        for line in lines
        if line and line not in ("Caused by:", "failed to parse WebAssembly module")
    ]
    return "; ".join(line.split(": ", 1)[-1] if line[:1].isdigit() else line for line in useful)


def _compile(wasm: bytes, name: str, kind: Variant) -> wasmtime.Module:
    if not wasm.startswith(WASM_MAGIC):
        if wasm.lstrip()[:1] == b"(":
            raise InvalidModule(
                f"{name} is WebAssembly text, not a binary: compile it first "
                "(wasmtime.wat2wasm, or wat2wasm from wabt)"
            )
        raise InvalidModule(f"{name} is not a WebAssembly binary (no \\0asm header)")
    try:
        return wasmtime.Module(engine(kind), wasm)
    except wasmtime.WasmtimeError as error:
        raise InvalidModule(f"{name} is not a valid WebAssembly module: {_reason(error)}") from None


def _from_disk(cache: ModuleCache, key: str, kind: Variant) -> tuple[wasmtime.Module, bytes] | None:
    """The cached module and the compiled code it came from, or ``None``."""
    payload = cache.load(key)
    if payload is None:
        return None
    try:
        return wasmtime.Module.deserialize(engine(kind), payload), payload
    except wasmtime.WasmtimeError:
        # Verified bytes that this engine still refuses (e.g. CPU features differ):
        # recompile, and the store below replaces the entry.
        return None


def load(
    wasm: bytes, sha256: str, name: str, cache: ModuleCache | None, kind: Variant = ""
) -> tuple[CompiledModule, Origin]:
    """The validated module for ``wasm`` and where it came from: this process, disk, or Cranelift.

    At most one compilation per artifact per process, even with concurrent callers.
    """
    # Compiling (Cranelift) overflows a small thread stack as surely as a deep guest does.
    _stack.check_thread_stack()
    with _load_lock:
        loaded = _loaded.get((sha256, kind))
        if loaded is not None:
            return loaded, "process"
        key = cache_key(sha256, _fastcall.WASMTIME_VERSION, kind)
        found = _from_disk(cache, key, kind) if cache is not None else None
        origin: Origin = "disk-cache"
        serialized: bytes | None = None
        if found is None:
            module = _compile(wasm, name, kind)
            origin = "compiled"
        else:
            module, serialized = found
        functions = validate(module, name)
        # The compiled code: for the cache, and for the per-thread engines of interruptible
        # guests, which deserialize it (a module read from the cache has it already).
        interruptible = kind.startswith("epoch")
        if serialized is None and (cache is not None or interruptible):
            serialized = bytes(module.serialize())
        if origin == "compiled" and cache is not None:
            assert serialized is not None
            cache.store(key, serialized)
        loaded = CompiledModule(
            module, sha256, functions, kind, serialized if interruptible else None
        )
        _loaded[sha256, kind] = loaded
        return loaded, origin


def forget_loaded_modules() -> None:
    """Drop this process's table of loaded modules (tests use it to exercise the disk cache)."""
    with _load_lock:
        _loaded.clear()
