"""Whether the ``.wasm`` files of a directory are what the ``manifest.json`` beside them says.

The Python-only half of ``cargo xtask verify``: that command also rebuilds the guests and
compares with its own build, which needs the Rust toolchain; this one trusts the manifest and
checks that every file it lists is there with the listed size, sha256 and exports, and that
no ``.wasm`` file is there unlisted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._inspect import inspect

__all__ = ["Entry", "ManifestError", "Report", "check", "read_manifest"]

MANIFEST = "manifest.json"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_KIND_NAMES = {str: "a string", int: "an integer", list: "a list"}


class ManifestError(Exception):
    """The manifest is missing, unreadable or not in ``cargo xtask build``'s format."""


@dataclass(frozen=True)
class Entry:
    """One guest of the manifest: the fields this check compares."""

    file: str
    bytes: int
    sha256: str
    exports: dict[str, tuple[str, str]]


@dataclass
class Report:
    """One line per check, each starting ``ok``, ``DIFF`` (a mismatch) or ``ERROR`` (unread)."""

    lines: list[str]

    @property
    def status(self) -> int:
        """The exit status: 0 if all is ok, 1 if anything differs, 2 if a file was unreadable."""
        if any(line.startswith("ERROR") for line in self.lines):
            return 2
        return 1 if any(line.startswith("DIFF") for line in self.lines) else 0


def _field(where: str, record: dict[str, Any], name: str, kind: type) -> Any:
    value = record.get(name)
    # bool is an int to isinstance, and a manifest's sizes never are.
    if value is None or not isinstance(value, kind) or isinstance(value, bool):
        found = "lacks it" if value is None else f"has {type(value).__name__} {value!r}"
        wanted = _KIND_NAMES[kind]
        raise ManifestError(f"{where}: field '{name}' must be {wanted}, but it {found}")
    return value


def _export(where: str, record: object) -> tuple[str, tuple[str, str]]:
    if not isinstance(record, dict):
        raise ManifestError(f"{where} is not an object")
    name = _field(where, record, "name", str)
    return name, (_field(where, record, "kind", str), _field(where, record, "signature", str))


def _entry(where: str, record: object) -> Entry:
    if not isinstance(record, dict):
        raise ManifestError(f"{where} is not an object")
    file = _field(where, record, "file", str)
    # A manifest lists the files beside it: never let one steer the check elsewhere.
    if Path(file).name != file or file in ("", ".", ".."):
        raise ManifestError(f"{where}: file {file!r} is not a plain file name")
    sha256 = _field(where, record, "sha256", str)
    if not _SHA256.fullmatch(sha256):
        raise ManifestError(f"{where}: sha256 {sha256!r} is not 64 lowercase hex digits")
    exports = _field(where, record, "exports", list)
    return Entry(
        file,
        _field(where, record, "bytes", int),
        sha256,
        dict(_export(f"{where}.exports[{i}]", e) for i, e in enumerate(exports)),
    )


def read_manifest(path: Path) -> list[Entry]:
    """The entries of the manifest at ``path``; :class:`ManifestError` if it is unusable."""
    try:
        text = path.read_bytes().decode("utf-8")
        document = json.loads(text)
    except FileNotFoundError:
        raise ManifestError(
            f"{path}: no such file (a directory to verify holds its {MANIFEST})"
        ) from None
    except OSError as error:
        raise ManifestError(f"{path}: cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ManifestError(f"{path}: not UTF-8 text, so not a manifest") from None
    except json.JSONDecodeError as error:
        raise ManifestError(
            f"{path}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    except RecursionError:
        raise ManifestError(f"{path}: JSON nested too deeply to be a manifest") from None
    if not isinstance(document, dict) or not isinstance(document.get("guests"), list):
        raise ManifestError(f"{path}: not a wasmext manifest (no 'guests' list)")
    entries = [_entry(f"{path}: guests[{i}]", g) for i, g in enumerate(document["guests"])]
    files = [entry.file for entry in entries]
    twice = sorted({file for file in files if files.count(file) > 1})
    if twice:
        raise ManifestError(f"{path}: lists {', '.join(twice)} more than once")
    return entries


def _export_problems(where: str, found: dict[str, tuple[str, str]], entry: Entry) -> list[str]:
    problems = []
    for name, (kind, signature) in entry.exports.items():
        actual = found.get(name)
        if actual is None:
            problems.append(f"DIFF  {where}: export '{name}' ({kind} {signature}) is missing")
        elif actual != (kind, signature):
            problems.append(
                f"DIFF  {where}: export '{name}' is {' '.join(actual)}, "
                f"the manifest says {kind} {signature}"
            )
    for name in sorted(found.keys() - entry.exports.keys()):
        problems.append(f"DIFF  {where}: export '{name}' is not in the manifest")
    return problems


def _check_entry(directory: Path, entry: Entry) -> list[str]:
    where = f"{entry.file} ({directory})"
    try:
        wasm = (directory / entry.file).read_bytes()
    except FileNotFoundError:
        return [f"DIFF  {where}: listed in {MANIFEST} but missing"]
    except OSError as error:
        return [f"ERROR {where}: cannot be read: {error.strerror or error}"]
    found = inspect(wasm, entry.file)
    problems = []
    if found.bytes != entry.bytes:
        problems.append(f"DIFF  {where}: {found.bytes} bytes, the manifest says {entry.bytes}")
    if found.sha256 != entry.sha256:
        problems.append(f"DIFF  {where}: sha256 {found.sha256}, the manifest says {entry.sha256}")
    if found.error is not None:
        problems.append(f"DIFF  {where}: {found.error}")
    else:
        exports = {e["name"]: (e["kind"], e["signature"]) for e in found.manifest_exports()}
        problems += _export_problems(where, exports, entry)
    if problems:
        return problems
    digest = found.sha256[:16]
    return [f"ok    {where}: {found.bytes} bytes, sha256 {digest}..., exports as listed"]


def check(manifest: Path) -> Report:
    """Check the directory of ``manifest`` against it (see the module docstring)."""
    entries = read_manifest(manifest)
    directory = manifest.parent
    lines = [line for entry in entries for line in _check_entry(directory, entry)]
    listed = {entry.file for entry in entries}
    for path in sorted(directory.glob("*.wasm")):
        if path.name not in listed and path.is_file():
            lines.append(f"DIFF  {path.name} ({directory}): {MANIFEST} does not list it")
    return Report(lines)
