"""A bounds-checked walk over a WebAssembly binary's section headers.

wasmtime's Python API shows a module's imports and exports but neither its custom sections nor
its start function, so ``python -m wasmext inspect`` reads those two from the binary itself.
Only the framing is read (header, section ids and sizes, custom section names, the start
section's index); everything else is left to wasmtime's validator. The input may be hostile:
every length is checked against the bytes that remain before it is used, and each failure
raises :class:`~wasmext.errors.InvalidModule` naming the section and offset.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import InvalidModule

__all__ = ["SECTION_NAMES", "Layout", "Section", "describe_header", "walk"]

MAGIC = b"\0asm"
#: Version 1, layer 0: a core module (a component has layer 1).
CORE_VERSION = b"\x01\x00\x00\x00"
CUSTOM = 0
START = 8
SECTION_NAMES = {
    0: "custom",
    1: "type",
    2: "import",
    3: "function",
    4: "table",
    5: "memory",
    6: "global",
    7: "export",
    8: "start",
    9: "element",
    10: "code",
    11: "data",
    12: "data count",
    13: "tag",
}
#: A u32 takes at most five LEB128 bytes; a longer encoding is malformed, not just large.
_MAX_U32_BYTES = 5


@dataclass(frozen=True)
class Section:
    """One section's id, where its payload starts, its size, and a custom section's name."""

    id: int
    offset: int
    size: int
    name: str | None = None

    @property
    def kind(self) -> str:
        """The section's name in the spec (``code``, ``custom``...)."""
        return SECTION_NAMES.get(self.id, f"unknown ({self.id})")


@dataclass
class Layout:
    """What the walk found: every section in order, and the start function's index if any."""

    sections: list[Section] = field(default_factory=list)
    start_function: int | None = None

    @property
    def custom_sections(self) -> list[str]:
        """The names of the custom sections, in order (a name may repeat)."""
        return [s.name for s in self.sections if s.id == CUSTOM and s.name is not None]


def describe_header(wasm: bytes) -> str | None:
    """What ``wasm`` is instead of a core WebAssembly binary, or None if its header is one."""
    if wasm.startswith(MAGIC):
        if len(wasm) < len(MAGIC) + len(CORE_VERSION):
            return "truncated inside the 8-byte header"
        version = wasm[4:8]
        if version == CORE_VERSION:
            return None
        if version[2:4] == b"\x01\x00":
            return "a WebAssembly component, not a core module (wasmext runs core modules)"
        return f"WebAssembly binary version {version.hex(' ')}, not 01 00 00 00"
    if not wasm:
        return "an empty file, not a WebAssembly binary"
    start = wasm.lstrip()
    if start[:1] == b"(" or start[:2] == b";;":
        return (
            "WebAssembly text, not a binary: compile it first "
            "(wasmtime.wat2wasm, or wat2wasm from wabt)"
        )
    return "not a WebAssembly binary (no \\0asm header)"


def _u32(wasm: bytes, offset: int, end: int, what: str) -> tuple[int, int]:
    """Decode an unsigned LEB128 u32 at ``offset``, reading no further than ``end``."""
    value = 0
    for index in range(_MAX_U32_BYTES):
        position = offset + index
        if position >= end:
            raise InvalidModule(f"truncated {what} at offset {offset:#x}")
        byte = wasm[position]
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            if value >= 1 << 32:
                raise InvalidModule(f"{what} at offset {offset:#x} does not fit in 32 bits")
            return value, position + 1
    raise InvalidModule(f"{what} at offset {offset:#x} is longer than 5 bytes")


def _custom_name(wasm: bytes, offset: int, end: int) -> str:
    """The name at the start of a custom section's payload ``wasm[offset:end]``."""
    length, start = _u32(wasm, offset, end, "custom section name length")
    if length > end - start:
        raise InvalidModule(
            f"custom section at offset {offset:#x}: its name ({length} bytes) "
            "runs past the section's end"
        )
    try:
        return wasm[start : start + length].decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidModule(
            f"custom section at offset {offset:#x}: its name is not UTF-8"
        ) from None


def walk(wasm: bytes) -> Layout:
    """Every section of a core module, checked for framing only (see the module docstring)."""
    problem = describe_header(wasm)
    if problem is not None:
        raise InvalidModule(problem)
    layout = Layout()
    offset = len(MAGIC) + len(CORE_VERSION)
    while offset < len(wasm):
        section_id = wasm[offset]
        if section_id not in SECTION_NAMES:
            raise InvalidModule(f"unknown section id {section_id} at offset {offset:#x}")
        kind = SECTION_NAMES[section_id]
        size, start = _u32(wasm, offset + 1, len(wasm), f"size of the {kind} section")
        if size > len(wasm) - start:
            raise InvalidModule(
                f"truncated {kind} section at offset {offset:#x}: it declares {size} bytes, "
                f"{len(wasm) - start} remain"
            )
        end = start + size
        name = _custom_name(wasm, start, end) if section_id == CUSTOM else None
        if section_id == START:
            layout.start_function, _ = _u32(wasm, start, end, "start function index")
        layout.sections.append(Section(section_id, start, size, name))
        offset = end
    return layout
