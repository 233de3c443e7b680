"""A guest's interface: the typed signatures ``#[guest_sdk::export]`` records for its functions.

``cargo xtask build`` writes it into each guest's entry of ``manifest.json`` (``"interface"``);
a C guest declares the same records in its ``Cargo.toml``. :func:`parse` turns the JSON into
:class:`Interface` and refuses anything malformed, naming the function; :func:`check_exports`
then holds it against the wasm types the module really exports, so that a stale or foreign
interface never lays a call out wrongly. :func:`find` says where an interface comes from when
:meth:`Guest.bind <wasmext.runtime.Guest.bind>` is not given one.

The lowering of each type to wasm values (``docs/bindings.md``, the ABI) is written down here
once; the call machinery (``_bound.py``) and the code generator (``_bindgen.py``) read it.
"""

from __future__ import annotations

import json
import keyword
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from ._module import Signature
from .errors import InvalidInput, InvalidModule, InvalidType

__all__ = [
    "ELEMENTS",
    "SCALARS",
    "ErrorEnum",
    "FunctionSpec",
    "Interface",
    "InterfaceSource",
    "Param",
    "ParamType",
    "ResultType",
    "Variant",
    "check_exports",
    "find",
    "parse",
]

InterfaceSource = Union[Mapping[str, Any], str, "os.PathLike[str]"]


@dataclass(frozen=True)
class Scalar:
    """One scalar type: its wasm lowering, range, ``struct`` code and Python type."""

    wasm: str  # "i32" or "i64"
    low: int
    high: int
    code: str  # struct code of the value in its 8-byte result slot (little-endian)
    python: str  # "int", "float" or "bool"


def _int(bits: int, signed: bool) -> Scalar:
    wasm = "i64" if bits == 64 else "i32"
    codes = {8: "b", 16: "h", 32: "i", 64: "q"}
    code = codes[bits] if signed else codes[bits].upper()
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return Scalar(wasm, low, high, code, "int")


SCALARS: dict[str, Scalar] = {
    "bool": Scalar("i32", 0, 1, "B", "bool"),
    **{f"u{bits}": _int(bits, False) for bits in (8, 16, 32, 64)},
    **{f"i{bits}": _int(bits, True) for bits in (8, 16, 32, 64)},
    "f32": Scalar("i32", 0, 0, "f", "float"),
    "f64": Scalar("i64", 0, 0, "d", "float"),
}

#: Element types of slices and vectors: their ``array`` typecode and size in bytes.
ELEMENTS: dict[str, tuple[str, int]] = {
    "u8": ("B", 1),
    "i32": ("i", 4),
    "u32": ("I", 4),
    "i64": ("q", 8),
    "u64": ("Q", 8),
    "f32": ("f", 4),
    "f64": ("d", 8),
}

_SLICE = re.compile(r"&(mut )?\[(\w+)\]")
_ARRAY = re.compile(r"&\[u8; ([0-9]+)\]")
_OPTION = re.compile(r"Option<(\w+)>")
_VEC = re.compile(r"Vec<(\w+)>")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_U32_MAX = (1 << 32) - 1


@dataclass(frozen=True)
class ParamType:
    """A parameter's type: ``kind`` is ``scalar``, ``slice``, ``mut_slice``, ``array`` or ``str``.

    ``item`` is the scalar (for ``scalar``) or the element type (slices); ``length`` is N of
    ``&[u8; N]``.
    """

    spelling: str
    kind: str
    item: str = "u8"
    length: int = 0

    @property
    def lowered(self) -> tuple[str, ...]:
        """The wasm values this parameter becomes."""
        if self.kind == "scalar":
            return (SCALARS[self.item].wasm,)
        if self.kind == "array":
            return ("i32",)
        return ("i32", "i32")  # pointer and length


@dataclass(frozen=True)
class ResultType:
    """A result's type: ``kind`` is ``unit``, ``scalar``, ``option``, ``vec`` or ``string``."""

    spelling: str
    kind: str
    item: str = "u8"


@dataclass(frozen=True)
class Param:
    """A parameter: its Rust name, the name Python code uses for it, and its type."""

    name: str
    python_name: str
    type: ParamType


@dataclass(frozen=True)
class Variant:
    """One variant of an error enum; its status code is ``1 + index``."""

    name: str
    doc: str


@dataclass(frozen=True)
class ErrorEnum:
    """A fieldless Rust enum whose variants a function returns as ``Err``."""

    name: str
    doc: str
    variants: tuple[Variant, ...]


@dataclass(frozen=True)
class FunctionSpec:
    """One exported function as the guest's author wrote it."""

    name: str
    python_name: str
    doc: str
    params: tuple[Param, ...]
    result: ResultType
    error: ErrorEnum | None

    @property
    def signature(self) -> Signature:
        """The wasm type of the export: the lowered parameters, the result record's pointer."""
        lowered = tuple(t for param in self.params for t in param.type.lowered)
        return Signature((*lowered, "i32"), ("i32",))


@dataclass(frozen=True)
class Interface:
    """Every function and error enum of one guest."""

    functions: tuple[FunctionSpec, ...]
    errors: tuple[ErrorEnum, ...]

    def exception_names(self) -> dict[tuple[str, str], str]:
        """The Python class name of each ``(enum, variant)``.

        The variant's own name, or ``EnumVariant`` where two enums share a variant name or the
        name is taken otherwise.
        """
        taken = {e.name for e in self.errors} | {f.python_name for f in self.functions}
        counts: dict[str, int] = {}
        for enum in self.errors:
            for variant in enum.variants:
                counts[variant.name] = counts.get(variant.name, 0) + 1
        names = {}
        for enum in self.errors:
            for variant in enum.variants:
                unique = counts[variant.name] == 1 and variant.name not in taken
                names[enum.name, variant.name] = (
                    variant.name if unique else f"{enum.name}{variant.name}"
                )
        return names


def python_name(name: str) -> str:
    """``name`` as a Python identifier: a keyword gets a trailing underscore (``from_``)."""
    return f"{name}_" if keyword.iskeyword(name) else name


def _parse_param_type(spelling: str) -> ParamType | None:
    if spelling in SCALARS:
        return ParamType(spelling, "scalar", spelling)
    if spelling == "&str":
        return ParamType(spelling, "str")
    match = _SLICE.fullmatch(spelling)
    if match and match.group(2) in ELEMENTS:
        return ParamType(spelling, "mut_slice" if match.group(1) else "slice", match.group(2))
    match = _ARRAY.fullmatch(spelling)
    if match and int(match.group(1)) <= _U32_MAX and not match.group(1).startswith("00"):
        return ParamType(spelling, "array", "u8", int(match.group(1)))
    return None


def _parse_result_type(spelling: str) -> ResultType | None:
    if spelling == "()":
        return ResultType(spelling, "unit")
    if spelling == "String":
        return ResultType(spelling, "string")
    if spelling in SCALARS:
        return ResultType(spelling, "scalar", spelling)
    match = _OPTION.fullmatch(spelling)
    if match and match.group(1) in SCALARS:
        return ResultType(spelling, "option", match.group(1))
    match = _VEC.fullmatch(spelling)
    if match and match.group(1) in ELEMENTS:
        return ResultType(spelling, "vec", match.group(1))
    return None


class _Malformed(Exception):
    """A problem in one record; :func:`parse` adds where it is."""


def _field(record: Mapping[str, Any], key: str, kind: type, optional: bool = False) -> Any:
    if key not in record:
        if optional:
            return None
        raise _Malformed(f"no {key!r}")
    value = record[key]
    if value is None and optional:
        return None
    if type(value) is not kind:
        raise _Malformed(f"{key!r} must be a {kind.__name__}, not {type(value).__name__}")
    return value


def _identifier(value: object, what: str) -> str:
    if type(value) is not str or not _NAME.fullmatch(value):
        raise _Malformed(f"{what} {value!r} is not an identifier")
    return value


def _doc(record: Mapping[str, Any]) -> str:
    doc = _field(record, "doc", str, optional=True)
    return doc or ""


def _parse_enum(record: object) -> ErrorEnum:
    if not isinstance(record, Mapping):
        raise _Malformed(f"an error enum must be an object, not {type(record).__name__}")
    name = _identifier(record.get("name"), "name")
    variants = []
    for item in _field(record, "variants", list):
        if not isinstance(item, Mapping):
            raise _Malformed(f"a variant must be an object, not {type(item).__name__}")
        variants.append(Variant(_identifier(item.get("name"), "variant"), _doc(item)))
    if len(variants) > 255:
        raise _Malformed(f"{len(variants)} variants; an error enum has at most 255")
    if len({v.name for v in variants}) != len(variants):
        raise _Malformed("two variants share a name")
    return ErrorEnum(name, _doc(record), tuple(variants))


def _parse_function(record: Mapping[str, Any], enums: dict[str, ErrorEnum]) -> FunctionSpec:
    name = _identifier(record.get("name"), "name")
    params = []
    for item in _field(record, "params", list):
        if not isinstance(item, Mapping):
            raise _Malformed(f"a parameter must be an object, not {type(item).__name__}")
        param_name = _identifier(item.get("name"), "parameter")
        spelling = _field(item, "type", str)
        param_type = _parse_param_type(spelling)
        if param_type is None:
            raise _Malformed(f"parameter {param_name!r} has the unsupported type {spelling!r}")
        params.append(Param(param_name, python_name(param_name), param_type))
    if len({p.python_name for p in params}) != len(params):
        raise _Malformed("two parameters share a name")
    spelling = _field(record, "result", str)
    result = _parse_result_type(spelling)
    if result is None:
        raise _Malformed(f"the result has the unsupported type {spelling!r}")
    error_name = _field(record, "error", str, optional=True)
    error = None
    if error_name is not None:
        error = enums.get(error_name)
        if error is None:
            raise _Malformed(f"its error enum {error_name!r} is not among the interface's errors")
    return FunctionSpec(name, python_name(name), _doc(record), tuple(params), result, error)


def parse(record: object, where: str) -> Interface:
    """The :class:`Interface` of the JSON object ``record`` (an entry's ``"interface"``).

    Raises :class:`~wasmext.errors.InvalidModule` naming ``where`` and the function (or enum)
    whose record is malformed.
    """
    if not isinstance(record, Mapping):
        kind = type(record).__name__
        raise InvalidModule(f"{where}: the interface must be an object, not {kind}")
    enums: dict[str, ErrorEnum] = {}
    errors = record.get("errors", [])
    if not isinstance(errors, list):
        raise InvalidModule(f"{where}: the interface's 'errors' must be a list")
    for index, item in enumerate(errors):
        try:
            enum = _parse_enum(item)
        except _Malformed as problem:
            label = item.get("name") if isinstance(item, Mapping) else None
            raise InvalidModule(
                f"{where}: error enum {label or f'#{index}'!r} of the interface: {problem}"
            ) from None
        if enum.name in enums:
            raise InvalidModule(f"{where}: the interface has two error enums named {enum.name!r}")
        enums[enum.name] = enum
    functions = record.get("functions")
    if not isinstance(functions, list):
        raise InvalidModule(f"{where}: the interface has no list of 'functions'")
    parsed: dict[str, FunctionSpec] = {}
    for index, item in enumerate(functions):
        label = item.get("name") if isinstance(item, Mapping) else None
        try:
            if not isinstance(item, Mapping):
                raise _Malformed(f"a function must be an object, not {type(item).__name__}")
            function = _parse_function(item, enums)
        except _Malformed as problem:
            raise InvalidModule(
                f"{where}: function {label or f'#{index}'!r} of the interface: {problem}"
            ) from None
        if function.python_name in parsed:
            raise InvalidModule(
                f"{where}: function {function.name!r} of the interface: the name is taken twice"
            )
        if function.name.startswith("_"):
            # Bound objects keep their own attributes under leading underscores.
            raise InvalidModule(
                f"{where}: function {function.name!r} of the interface: a name may not start "
                "with an underscore"
            )
        parsed[function.python_name] = function
    return Interface(tuple(parsed.values()), tuple(enums.values()))


def check_exports(interface: Interface, exports: Mapping[str, Signature], where: str) -> None:
    """Refuse ``interface`` unless every function is exported with the type it lowers to."""
    for function in interface.functions:
        found = exports.get(function.name)
        wanted = function.signature
        if found is None:
            raise InvalidModule(
                f"{where}: function {function.name!r} of the interface is not exported"
            )
        if found != wanted:
            raise InvalidModule(
                f"{where}: function {function.name!r} is exported as {found}, but its interface "
                f"lowers to {wanted}"
            )


_HOW = (
    "pass Guest.bind(interface=...) the manifest.json `cargo xtask build` wrote (or its "
    "entry's 'interface' object), or keep that manifest.json next to the .wasm file"
)


def _read_manifest(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror or error}; {_HOW}") from None
    try:
        return json.loads(text)
    except ValueError as error:
        raise InvalidModule(f"{path} is not valid JSON: {error}") from None


def _from_manifest(manifest: object, where: str, file: str, sha256: str) -> object:
    """The interface of the guest in ``file`` from a whole manifest (or one of its entries)."""
    if not isinstance(manifest, Mapping):
        raise InvalidModule(f"{where}: a manifest must be an object")
    if "functions" in manifest:
        return manifest  # the interface itself
    if "interface" in manifest:
        entry: object = manifest
    else:
        guests = manifest.get("guests")
        if not isinstance(guests, list):
            raise InvalidModule(f"{where}: neither an interface nor a manifest with 'guests'")
        stem = file.rsplit(".", 1)[0]
        matches = [g for g in guests if isinstance(g, Mapping) and g.get("file") == file]
        matches = matches or [g for g in guests if isinstance(g, Mapping) and g.get("name") == stem]
        if not matches:
            listed = ", ".join(str(g.get("file")) for g in guests if isinstance(g, Mapping))
            raise InvalidInput(f"{where} lists no guest {file} (it lists: {listed or 'none'})")
        entry = matches[0]
    assert isinstance(entry, Mapping)
    listed_sha = entry.get("sha256")
    if isinstance(listed_sha, str) and sha256 and listed_sha != sha256:
        raise InvalidModule(
            f"{where} describes other bytes than {file}: sha256 {listed_sha} there, {sha256} "
            "loaded; rebuild, or bind with the manifest of this build"
        )
    if entry.get("interface") is None:
        raise InvalidInput(
            f"{where}: the entry of {file} has no 'interface': functions exported with "
            "#[guest_sdk::export] (or declared in a C guest's [[package.metadata.wasmext."
            "functions]]) get one from `cargo xtask build`"
        )
    return entry["interface"]


def find(
    source: InterfaceSource | None, file: str, path: str | None, sha256: str
) -> tuple[object, str]:
    """The raw interface record for the guest in ``file`` and where it was found.

    ``source``: a mapping (an interface, a manifest entry or a whole manifest) or the path of
    a ``manifest.json``; ``None`` looks for ``manifest.json`` next to the guest's ``path``.
    """
    if isinstance(source, Mapping):
        return _from_manifest(source, "the interface given", file, sha256), file
    if isinstance(source, (str, os.PathLike)):
        manifest = Path(source)
        if manifest.is_dir():
            manifest = manifest / "manifest.json"
    elif source is None:
        if path is None:
            raise InvalidInput(
                f"{file} was loaded from bytes, so there is no manifest.json next to it; {_HOW}"
            )
        manifest = Path(path).with_name("manifest.json")
        if not manifest.is_file():
            raise InvalidInput(f"there is no manifest.json next to {path}; {_HOW}")
    else:
        raise InvalidType(
            f"interface must be a dict or the path of a manifest.json, not {type(source).__name__}"
        )
    where = str(manifest)
    return _from_manifest(_read_manifest(manifest), where, file, sha256), f"{file} ({where})"
