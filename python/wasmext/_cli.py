"""``python -m wasmext``: look into guest artifacts with Python alone (no Rust toolchain).

``inspect FILE...`` reports what each blob is (see :mod:`._inspect`); ``verify PATH...``
checks a directory of blobs against its ``manifest.json`` (see :mod:`._verify`); ``bindgen
MANIFEST --guest NAME -o FILE.py`` writes a typed module for a guest (see :mod:`._bindgen`).

Exit status: 0 when everything is fine; 1 when a file is not a valid module, does not follow
the ABI (``inspect``) or differs from its manifest (``verify``); 2 when the command could not
check: bad arguments, an unreadable file, a missing or broken manifest. Every failure is one
line naming the file, never a traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

from ._bindgen import render
from ._inspect import JSON_SCHEMA, inspect, unreadable_json
from ._verify import MANIFEST, ManifestError, check
from .errors import WasmextError

__all__ = ["main"]

PROG = "python -m wasmext"
OK, FAILED, USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Inspect and verify wasmext guest artifacts (.wasm) without Rust.",
        epilog="Exit status: 0 all fine, 1 a file is invalid or differs, 2 could not check.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    inspect_parser = commands.add_parser(
        "inspect",
        help="show a blob's size, sha256, exports, memory and ABI verdict",
        description="Show each file's size, sha256, imports, memory, exports with "
        "signatures, custom sections, start function, and whether it follows the wasmext "
        "arena ABI (and if not, why). Exit 1 if any file is invalid or breaks the ABI.",
    )
    inspect_parser.add_argument("files", nargs="+", metavar="FILE", help="a .wasm file")
    inspect_parser.add_argument(
        "--json", action="store_true", help=f"print one JSON document ({JSON_SCHEMA})"
    )
    verify_parser = commands.add_parser(
        "verify",
        help=f"check a directory's .wasm files against its {MANIFEST}",
        description=f"Check that every file the {MANIFEST} of each directory lists is there "
        "with the listed size, sha256 and exports, and that no .wasm file is unlisted. "
        "One line per check; exit 1 if any differs.",
    )
    verify_parser.add_argument(
        "paths", nargs="+", metavar="PATH", help=f"a directory, or the path of its {MANIFEST}"
    )
    bindgen_parser = commands.add_parser(
        "bindgen",
        help="write a typed Python module for a guest from its manifest.json interface",
        description="Write a typed module (signatures, docstrings, exception classes) for one "
        f"guest of a {MANIFEST} whose entry has an 'interface'. The module loads the guest's "
        ".wasm from its own directory: put the two side by side in your package.",
    )
    bindgen_parser.add_argument(
        "manifest", metavar="MANIFEST", help=f"the {MANIFEST}, or its directory"
    )
    bindgen_parser.add_argument(
        "--guest", metavar="NAME", help="the guest (default: the manifest's only one)"
    )
    bindgen_parser.add_argument(
        "-o", "--output", metavar="FILE.py", help="where to write it (default: stdout)"
    )
    return parser


def _bindgen(manifest_arg: str, guest: str | None, output: str | None) -> int:
    try:
        path = _manifest_of(manifest_arg)
        manifest = json.loads(path.read_text(encoding="utf-8"))
        entries = [g for g in manifest.get("guests", []) if isinstance(g, dict)]
    except (ManifestError, OSError, ValueError, AttributeError) as error:
        _fail(f"{manifest_arg}: {error}")
        return USAGE
    names = [str(g.get("name")) for g in entries]
    if guest is None and len(entries) != 1:
        _fail(f"{path}: pick a guest with --guest ({', '.join(names) or 'none listed'})")
        return USAGE
    entry = (
        entries[0] if guest is None else next((g for g in entries if g.get("name") == guest), None)
    )
    if entry is None:
        _fail(f"{path}: no guest {guest!r} (listed: {', '.join(names) or 'none'})")
        return USAGE
    name = str(entry.get("name"))
    if entry.get("interface") is None:
        _fail(f"{path}: the guest {name!r} has no interface (export with #[guest_sdk::export])")
        return FAILED
    module = Path(output).stem if output else name
    try:
        source = render(
            entry["interface"], Path(str(entry.get("file", f"{name}.wasm"))).stem, module
        )
    except WasmextError as error:
        _fail(f"{path}: {error}")
        return FAILED
    if output is None:
        sys.stdout.write(source)
        return OK
    try:
        Path(output).write_text(source, encoding="utf-8")
    except OSError as error:
        _fail(f"{output}: cannot write: {error.strerror or error}")
        return USAGE
    print(f"wrote {output}: bindings for {name}", file=sys.stderr)
    return OK


def _fail(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def _unreadable(file: str, error: OSError) -> str:
    reason = error.strerror or str(error)
    if isinstance(error, IsADirectoryError):
        reason = "a directory (inspect takes .wasm files; verify takes a directory)"
    return f"cannot be read: {reason}"


def _inspect_files(files: list[str], as_json: bool) -> int:
    status = OK
    reports: list[dict[str, Any]] = []
    for file in files:
        try:
            wasm = Path(file).read_bytes()
        except OSError as error:
            message = _unreadable(file, error)
            _fail(f"{file}: {message}")
            reports.append(unreadable_json(file, message))
            status = USAGE
            continue
        found = inspect(wasm, file)
        reports.append(found.to_json())
        if found.error is not None:
            _fail(f"{file}: {found.error}")
        elif not as_json:
            if len(reports) > 1:
                print()
            print("\n".join(found.text()))
        if not found.follows_abi:
            status = max(status, FAILED)
    if as_json:
        print(json.dumps({"schema": JSON_SCHEMA, "files": reports}, indent=2))
    return status


def _manifest_of(path: str) -> Path:
    """The manifest a ``verify`` argument names; :class:`ManifestError` if it names none."""
    given = Path(path)
    if given.is_dir():
        manifest = given / MANIFEST
        if not manifest.is_file():
            raise ManifestError(f"{path}: a directory without {MANIFEST}, nothing to verify")
        return manifest
    if given.suffix == ".wasm":
        raise ManifestError(
            f"{path}: verify takes a directory or its {MANIFEST} (inspect shows one file)"
        )
    if not given.exists():
        raise ManifestError(f"{path}: no such file or directory")
    return given


def _verify_paths(paths: list[str]) -> int:
    status = OK
    for path in paths:
        try:
            report = check(_manifest_of(path))
        except ManifestError as error:
            _fail(str(error))
            status = USAGE
            continue
        print("\n".join(report.lines))
        failed = sum(1 for line in report.lines if not line.startswith("ok"))
        checks = len(report.lines)
        if failed:
            summary = f"verify: {failed} of {checks} check(s) failed in {path}"
        else:
            summary = f"verify: {checks} check(s), all match {MANIFEST} in {path}"
        print(summary, file=sys.stderr)
        status = max(status, report.status)
    return status


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    # A file name that is not valid UTF-8 must print, not raise UnicodeEncodeError.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "inspect":
        return _inspect_files(args.files, args.json)
    if args.command == "verify":
        return _verify_paths(args.paths)
    if args.command == "bindgen":
        return _bindgen(args.manifest, args.guest, args.output)
    parser.print_help(sys.stderr)
    return USAGE
