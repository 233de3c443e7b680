"""What a ``.wasm`` blob is: its exports and their types, memory, size, hash, ABI verdict.

Used by ``python -m wasmext inspect`` and ``verify``. Parsing and validation are wasmtime's
(the same engine :class:`~wasmext.runtime.Guest` compiles with, so a module that passes here
passes there); the section framing (custom sections, start function) is :mod:`._sections`'s.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import wasmtime

from . import _module, _sections
from .errors import InvalidModule

__all__ = ["JSON_SCHEMA", "Inspection", "inspect", "signature_text", "unreadable_json"]

#: The ``schema`` value of ``inspect --json``'s output; bumped if a field changes meaning.
JSON_SCHEMA = "wasmext-inspect/1"
_PAGE = 64 * 1024
#: Width of the labels of the text report, so that the values line up.
_LABEL = 15


def signature_text(params: list[str], results: list[str]) -> str:
    """``(i32, i64) -> i32``, spelled as ``cargo xtask build``'s manifest spells it."""
    if not results:
        shown = "()"
    elif len(results) == 1:
        shown = results[0]
    else:
        shown = f"({', '.join(results)})"
    return f"({', '.join(params)}) -> {shown}"


def _kind(extern_type: object) -> str:
    """The manifest's word for an extern's kind (``func``, ``memory``, ``table``...)."""
    if isinstance(extern_type, wasmtime.FuncType):
        return "func"
    return type(extern_type).__name__.removesuffix("Type").lower()


def _count(number: int, unit: str) -> str:
    return f"{number:,} {unit}{'' if number == 1 else 's'}"


def _limits(minimum: int, maximum: int | None, unit: str) -> str:
    upper = "no maximum" if maximum is None else f"maximum {maximum:,}"
    return f"minimum {_count(minimum, unit)}, {upper}"


def _type_text(extern_type: object) -> str:
    """One line describing an import's or export's type."""
    if isinstance(extern_type, wasmtime.FuncType):
        return signature_text(
            [str(t) for t in extern_type.params], [str(t) for t in extern_type.results]
        )
    if isinstance(extern_type, wasmtime.MemoryType):
        limits = extern_type.limits
        bits = 64 if extern_type.is_64 else 32
        shared = "shared" if extern_type.is_shared else "unshared"
        return f"{_limits(limits.min, limits.max, 'page')}, {bits}-bit, {shared}"
    if isinstance(extern_type, wasmtime.TableType):
        limits = extern_type.limits
        return f"{extern_type.element}, {_limits(limits.min, limits.max, 'element')}"
    if isinstance(extern_type, wasmtime.GlobalType):
        mutable = "mutable" if extern_type.mutable else "immutable"
        return f"{extern_type.content}, {mutable}"
    return _kind(extern_type)


def _memory(name: str, memory: wasmtime.MemoryType) -> dict[str, Any]:
    return {
        "name": name,
        "minimum_pages": memory.limits.min,
        "maximum_pages": memory.limits.max,
        "bits": 64 if memory.is_64 else 32,
        "shared": memory.is_shared,
    }


def _abi_reasons(module: wasmtime.Module) -> list[str]:
    """Why the runtime would refuse ``module`` (empty if it follows the ABI).

    The reasons are :func:`wasmext._module.validate`'s own, taken from its message so that
    this tool and :class:`~wasmext.runtime.Guest` can never disagree.
    """
    name = "module"
    try:
        _module.validate(module, name)
    except InvalidModule as error:
        message = str(error)
        heading = f"{name} does not follow the wasmext guest ABI: "
        if message.startswith(heading):
            return message[len(heading) :].split("; ")
        return [message.removeprefix(f"{name}: ")]
    return []


@dataclass
class Inspection:
    """Everything ``inspect`` reports on one blob; ``error`` is set if it is no valid module."""

    file: str
    bytes: int
    sha256: str
    error: str | None = None
    imports: list[dict[str, str]] = field(default_factory=list)
    memories: list[dict[str, Any]] = field(default_factory=list)
    functions: list[dict[str, str]] = field(default_factory=list)
    other_exports: list[dict[str, str]] = field(default_factory=list)
    custom_sections: list[str] = field(default_factory=list)
    start_function: int | None = None
    abi_reasons: list[str] = field(default_factory=list)

    @property
    def build_notes(self) -> list[str]:
        """What ``cargo xtask build`` never ships, though the runtime accepts it."""
        notes = []
        if self.start_function is not None:
            notes.append("a start function runs code at every instantiation")
        if self.custom_sections:
            notes.append("custom sections (a build strips them)")
        return notes

    @property
    def follows_abi(self) -> bool:
        """A valid module that :class:`~wasmext.runtime.Guest` would accept."""
        return self.error is None and not self.abi_reasons

    def manifest_exports(self) -> list[dict[str, str]]:
        """The exports as a manifest lists them: name, kind, signature (``17 pages``)."""
        exports = [
            {"name": f["name"], "kind": "func", "signature": f["signature"]} for f in self.functions
        ]
        for memory in self.memories:
            pages = f"{memory['minimum_pages']} pages"
            exports.append({"name": memory["name"], "kind": "memory", "signature": pages})
        exports += [
            {"name": e["name"], "kind": e["kind"], "signature": e["type"]}
            for e in self.other_exports
        ]
        return exports

    def to_json(self) -> dict[str, Any]:
        """The documented ``--json`` shape of one file (see docs/building.md)."""
        valid = self.error is None
        return {
            "file": self.file,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "error": self.error,
            "imports": self.imports if valid else None,
            "memories": self.memories if valid else None,
            "functions": self.functions if valid else None,
            "other_exports": self.other_exports if valid else None,
            "custom_sections": self.custom_sections if valid else None,
            "start_function": self.start_function,
            "abi": {
                "follows": self.follows_abi,
                "reasons": self.abi_reasons,
                "build_notes": self.build_notes,
            }
            if valid
            else None,
        }

    def text(self) -> list[str]:
        """The human-readable report, one line per item."""
        lines = [self.file, *_listing("size", [f"{self.bytes} bytes"])]
        lines += _listing("sha256", [self.sha256])
        if self.error is not None:
            return [*lines, *_listing("error", [self.error])]
        lines += _listing(
            "imports", [f"{i['module']}.{i['name']}: {i['type']}" for i in self.imports]
        )
        lines += _listing(
            "memory",
            [f"{m['name']}: {_memory_text(m)}" for m in self.memories],
        )
        width = max((len(f["name"]) for f in self.functions), default=0)
        lines += _listing(
            f"functions ({len(self.functions)})",
            [f"{f['name']:<{width}}  {f['signature']}" for f in self.functions],
            inline=False,
        )
        others = [f"{e['name']}: {e['kind']} {e['type']}" for e in self.other_exports]
        lines += _listing("other exports", others)
        lines += _listing("custom sections", self.custom_sections)
        start = "none" if self.start_function is None else f"function {self.start_function}"
        lines += _listing("start", [start])
        if self.follows_abi:
            verdict = "yes (memory, bump_alloc, bump_reset; imports nothing)"
        else:
            verdict = "NO: " + "; ".join(self.abi_reasons)
        lines += _listing("wasmext ABI", [verdict])
        if self.build_notes:
            lines += _listing("not as built", ["; ".join(self.build_notes)])
        return lines


def _memory_text(memory: dict[str, Any]) -> str:
    minimum, maximum = memory["minimum_pages"], memory["maximum_pages"]
    upper = "no maximum" if maximum is None else f"maximum {maximum:,}"
    size = _count(minimum * _PAGE, "byte")
    shared = "shared" if memory["shared"] else "unshared"
    return f"minimum {_count(minimum, 'page')} ({size}), {upper}, {memory['bits']}-bit, {shared}"


def _listing(title: str, items: list[str], inline: bool = True) -> list[str]:
    """``title`` then its items: on the same line if there is at most one and ``inline``."""
    if not items:
        return [f"  {title:<{_LABEL}} none"]
    if inline and len(items) == 1:
        return [f"  {title:<{_LABEL}} {items[0]}"]
    return [f"  {title}", *(f"    {item}" for item in items)]


def inspect(wasm: bytes, file: str) -> Inspection:
    """Inspect one blob; a malformed or invalid one gets ``error``, never an exception."""
    found = Inspection(file, len(wasm), hashlib.sha256(wasm).hexdigest())
    try:
        layout = _sections.walk(wasm)
        module = wasmtime.Module(_module.engine(), wasm)
    except InvalidModule as error:
        found.error = str(error)
        return found
    except wasmtime.WasmtimeError as error:
        found.error = f"not a valid WebAssembly module: {_one_line(error)}"
        return found
    found.custom_sections = layout.custom_sections
    found.start_function = layout.start_function
    for item in module.imports:
        found.imports.append(
            {
                "module": item.module,
                "name": item.name or "",
                "kind": _kind(item.type),
                "type": _type_text(item.type),
            }
        )
    for export in module.exports:
        extern_type = export.type
        if isinstance(extern_type, wasmtime.FuncType):
            found.functions.append({"name": export.name, "signature": _type_text(extern_type)})
        elif isinstance(extern_type, wasmtime.MemoryType):
            found.memories.append(_memory(export.name, extern_type))
        else:
            kind = _kind(extern_type)
            found.other_exports.append(
                {"name": export.name, "kind": kind, "type": _type_text(extern_type)}
            )
    found.abi_reasons = _abi_reasons(module)
    return found


def unreadable_json(file: str, reason: str) -> dict[str, Any]:
    """The ``--json`` entry of a file that could not be read: the same keys, all else null."""
    return {**dict.fromkeys(Inspection(file, 0, "").to_json()), "file": file, "error": reason}


def _one_line(error: wasmtime.WasmtimeError) -> str:
    """The multi-line message of wasmtime on one line, without its generic heading."""
    lines = (" ".join(line.split()) for line in str(error).splitlines())
    generic = {"", "Caused by:", "failed to parse WebAssembly module"}
    useful = [line for line in lines if line not in generic]
    return "; ".join(useful) or "refused by wasmtime"
