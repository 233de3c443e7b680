"""Typed Python modules for a guest, written from its interface (``python -m wasmext bindgen``).

:func:`render` turns a guest's interface (its ``manifest.json`` entry's ``"interface"``) into
the source of a module for the user's own package: one function per guest function with a
real signature, annotations and the Rust doc comment as its docstring, one exception class
per error enum and variant, and the guest loaded from the ``.wasm`` file next to the module.
The calls go through :meth:`Guest.bind <wasmext.runtime.Guest.bind>`, given the module's own
exception classes. The output is ruff- and ``mypy --strict``-clean (the tests check both).
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from ._interface import FunctionSpec, Interface, ParamType, ResultType, parse
from .errors import InvalidModule

__all__ = ["render"]

_WIDTH = 100
# Names the generated module defines or imports itself.
_RESERVED = frozenset({
    "annotations", "array", "functools", "sys", "Any", "Path", "Sequence", "TYPE_CHECKING",
    "Union", "Buffer", "Bound", "Guest", "GuestError", "GUEST",
})  # fmt: skip
_PUNCTUATION = (".", "!", "?")


def _param_annotation(param: ParamType) -> str:
    if param.kind == "scalar":
        item = param.item
        return "bool" if item == "bool" else "float" if item in ("f32", "f64") else "int"
    if param.kind == "str":
        return "str"
    if param.kind == "slice" and param.item != "u8":
        number = "float" if param.item in ("f32", "f64") else "int"
        return f"Buffer | Sequence[{number}]"
    return "Buffer"


def _result_annotation(result: ResultType) -> str:
    number = (
        "float" if result.item in ("f32", "f64") else "bool" if result.item == "bool" else "int"
    )
    if result.kind == "unit":
        return "None"
    if result.kind == "scalar":
        return number
    if result.kind == "option":
        return f"{number} | None"
    if result.kind == "string":
        return "str"
    return "bytes" if result.item == "u8" else f"array.array[{number}]"


def _string(text: str) -> str:
    """A double-quoted Python literal of ``text``."""
    return '"' + repr(text)[1:-1].replace('"', '\\"').replace("\\'", "'") + '"'


def _literal(value: object, indent: int) -> str:
    """``value`` (JSON data) as Python source, one item per line with trailing commas."""
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = "".join(
            f"{pad}{_string(k)}: {_literal(v, indent + 4)},\n" for k, v in value.items()
        )
        return "{\n" + items + " " * indent + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        items = "".join(f"{pad}{_literal(v, indent + 4)},\n" for v in value)
        return "[\n" + items + " " * indent + "]"
    if isinstance(value, str):
        return _string(value)
    return repr(value)


def _docstring(doc: str, fallback: str, indent: int) -> str:
    """``doc`` as a docstring that passes pydocstyle.

    A one-line summary ending in a period, a blank line, then the rest, within the width.
    """
    paragraphs = [p for p in re.split(r"\n\s*\n", doc.strip()) if p.strip()]
    pad = " " * indent
    room = _WIDTH - indent - 6
    summary = " ".join(paragraphs[0].split()) if paragraphs else ""
    rest = paragraphs[1:]
    if not summary or len(summary) > room or summary.startswith(("#", "`" * 3, "-", "*")):
        if summary:
            rest = paragraphs
        summary = fallback
    if not summary.endswith(_PUNCTUATION):
        summary += "."
    summary = summary[0].upper() + summary[1:]
    lines = [summary]
    for paragraph in rest:
        lines.append("")
        for line in paragraph.split("\n"):
            line = line.rstrip()
            if len(line) + indent > _WIDTH:
                lead = line[: len(line) - len(line.lstrip())]
                lines += textwrap.wrap(line, _WIDTH - indent, subsequent_indent=lead)
            else:
                lines.append(line)
    body = "\n".join(lines)
    # Backslashes stay as written in a raw docstring (pydocstyle's D301); so does a quote
    # that breaks up a triple quote, the one sequence a raw string cannot hold.
    prefix = "r" if "\\" in body or '"""' in body else ""
    body = body.replace('"""', '""\\"')
    if len(lines) == 1:
        return f'{pad}{prefix}"""{body}"""\n'
    indented = "\n".join(pad + line if line else "" for line in body.split("\n"))
    return f'{pad}{prefix}"""{indented.lstrip()}\n{pad}"""\n'


def _sort_key(name: str) -> tuple[int, list[Any]]:
    # ruff's isort-style order for __all__: CONSTANTS, then Classes, then the rest, each in
    # natural order (u8 before u16).
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _function(spec: FunctionSpec) -> str:
    params = ", ".join(f"{p.python_name}: {_param_annotation(p.type)}" for p in spec.params)
    returns = _result_annotation(spec.result)
    head = f"def {spec.python_name}({params}) -> {returns}:\n"
    if len(head) > _WIDTH:
        lines = "".join(f"    {p.python_name}: {_param_annotation(p.type)},\n" for p in spec.params)
        head = f"def {spec.python_name}(\n{lines}) -> {returns}:\n"
    call_args = ", ".join(p.python_name for p in spec.params)
    call = f"_bound().{spec.python_name}({call_args})"
    fallback = f"Call the guest's ``{spec.name}``"
    text = head + _docstring(spec.doc, fallback, 4)
    if returns == "None":
        text += f"    {call}\n"
    else:
        text += f"    result: {returns} = {call}\n    return result\n"
    return text


def _check_names(interface: Interface) -> None:
    names = [f.python_name for f in interface.functions]
    names += [e.name for e in interface.errors]
    names += list(interface.exception_names().values())
    for name in names:
        if name in _RESERVED or name.startswith("_"):
            raise InvalidModule(
                f"the interface's {name!r} would shadow a name the generated module needs"
            )
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise InvalidModule(f"the interface uses {', '.join(twice)} for two things")


def _runtime_record(record: dict[str, Any]) -> dict[str, Any]:
    """The interface without its docs, which the generated code carries as docstrings."""
    functions = [{k: v for k, v in f.items() if k != "doc"} for f in record["functions"]]
    errors = [
        {"name": e["name"], "variants": [{"name": v["name"]} for v in e["variants"]]}
        for e in record.get("errors", [])
    ]
    return {"functions": functions, "errors": errors}


def render(interface: object, guest: str, module: str) -> str:
    """The source of a typed module ``module`` for the guest ``guest`` (``guest.wasm``).

    ``interface`` is the guest's interface record (a manifest entry's ``"interface"``);
    raises :class:`~wasmext.errors.InvalidModule` naming the function if it is malformed.
    """
    parsed = parse(interface, f"the interface of {guest}")
    _check_names(parsed)
    assert isinstance(interface, dict)
    exceptions = parsed.exception_names()
    params = [p.type for f in parsed.functions for p in f.params]
    results = [f.result for f in parsed.functions]
    uses_array = any(r.kind == "vec" and r.item != "u8" for r in results)
    uses_buffer = any(p.kind not in ("scalar", "str") for p in params)
    uses_sequence = any(p.kind == "slice" and p.item != "u8" for p in params)

    out = [
        _docstring(
            f"Typed bindings for the ``{guest}`` guest, written by ``python -m wasmext bindgen``."
            f"\n\nDo not edit: generate it again from the guest's manifest.json. The module loads "
            f"``{guest}.wasm`` from its own directory, so ship the two side by side.",
            "",
            0,
        ),
        "\nfrom __future__ import annotations\n\n",
    ]
    imports = ["import array\n"] if uses_array or uses_buffer else []
    imports.append("import functools\n")
    if uses_buffer:
        imports.append("import sys\n")
    imports.append("from pathlib import Path\n")
    typing_names = ["TYPE_CHECKING", "Any"] if uses_buffer or uses_sequence else ["Any"]
    if uses_buffer:
        typing_names.append("Union")
    imports.append(f"from typing import {', '.join(typing_names)}\n")
    out += imports
    out.append(
        "\nfrom wasmext.errors import GuestError\nfrom wasmext.runtime import Bound, Guest\n"
    )
    if uses_buffer or uses_sequence:
        out.append("\nif TYPE_CHECKING:\n")
        if uses_sequence:
            out.append("    from collections.abc import Sequence\n\n")
        if uses_buffer:
            out.append(
                "    if sys.version_info >= (3, 12):\n"
                "        from collections.abc import Buffer\n"
                "    else:\n"
                '        Buffer = Union[bytes, bytearray, memoryview, "array.array[Any]"]\n'
            )
    names = ["GUEST", *(f.python_name for f in parsed.functions)]
    names += [e.name for e in parsed.errors] + list(exceptions.values())
    out.append("\n__all__ = [\n")
    out += [f"    {_string(name)},\n" for name in sorted(names, key=_sort_key)]
    out.append("]\n\n")
    out.append(f'GUEST = Guest(Path(__file__).resolve().with_name("{guest}.wasm"))\n')
    out.append('"""The guest, compiled on first use (see wasmext.runtime.Guest)."""\n\n')
    record = _runtime_record(interface)
    out.append(f"_INTERFACE: dict[str, Any] = {_literal(record, 0)}\n")
    mapping = []
    for enum in parsed.errors:
        doc = _docstring(enum.doc, f"An error ``{enum.name}`` of the guest", 4)
        out.append(f"\n\nclass {enum.name}(GuestError, ValueError):\n{doc}")
        mapping.append(enum.name)
        for variant in enum.variants:
            name = exceptions[enum.name, variant.name]
            doc = _docstring(variant.doc, f"``{enum.name}::{variant.name}``", 4)
            out.append(f"\n\nclass {name}({enum.name}):\n{doc}")
            mapping.append(name)
    entries = "".join(f"    {_string(name)}: {name},\n" for name in mapping)
    out.append(
        "\n\n_EXCEPTIONS: dict[str, type[GuestError]] = "
        + (f"{{\n{entries}}}\n" if mapping else "{}\n")
        + "\n\n@functools.cache\n"
        "def _bound() -> Bound:\n"
        "    return GUEST.bind(_INTERFACE, exceptions=_EXCEPTIONS)\n"
    )
    for spec in parsed.functions:
        out.append("\n\n" + _function(spec))
    return "".join(out)
