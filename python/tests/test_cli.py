"""``python -m wasmext inspect`` and ``verify``, run as a user runs them: as a subprocess.

The bundled artifacts must read back as their manifest describes them; guests that break the
ABI must be refused for exactly the reasons the runtime gives; text, random bytes and every
truncation of a small module must each get a one-line message, never a traceback; and verify
must find a tampered byte, a missing or unlisted file and a broken manifest.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import wasmtime
from conftest import ARENA, module, require_bundled, tally

import wasmext
from wasmext import _inspect, _module, _sections
from wasmext.errors import InvalidModule
from wasmext.runtime import GUESTS_DIR

# The wasmext under test, not whichever one the subprocess's sys.path would find first.
_PACKAGE_ROOT = str(Path(wasmext.__file__).resolve().parent.parent)
_ENV = {**os.environ, "PYTHONPATH": _PACKAGE_ROOT}
GUESTS = ("twosum", "monocypher")
JSON_KEYS = {
    "file",
    "bytes",
    "sha256",
    "error",
    "imports",
    "memories",
    "functions",
    "other_exports",
    "custom_sections",
    "start_function",
    "abi",
}

# Breaks the ABI in every way an export can, plus what a build would never ship.
BROKEN = wasmtime.wat2wasm(
    """(module
      (memory (export "memory") i64 1)
      (table (export "table") 1 funcref)
      (global (export "bump_reset") i32 (i32.const 0))
      (func (export "bump_alloc") (param i64) (result i32) (i32.const 0))
      (func (export "pair") (param i32) (result i32 i64) (i32.const 0) (i64.const 0))
      (func $init)
      (start $init)
      (@custom "producers" "x"))"""
)
IMPORTING = module(
    '(import "env" "clock" (func (result i64)))', '(memory (export "memory") 1)', ARENA, memory=""
)
SMALL = module(ARENA)


def run(*args: str | Path, code: int | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m wasmext ARGS``; fails on a traceback or an exit status other than ``code``."""
    done = subprocess.run(
        [sys.executable, "-m", "wasmext", *map(str, args)],
        capture_output=True,
        text=True,
        env=_ENV,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    if code is not None:
        assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    return done


def inspect_json(*files: Path, code: int) -> list[dict[str, Any]]:
    document = json.loads(run("inspect", "--json", *files, code=code).stdout)
    assert document["schema"] == "wasmext-inspect/1"
    return document["files"]  # type: ignore[no-any-return]


def manifest() -> dict[str, Any]:
    for name in GUESTS:
        require_bundled(name)
    return json.loads((GUESTS_DIR / "manifest.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def guests_copy(tmp_path: Path) -> Path:
    entries = manifest()["guests"]
    target = tmp_path / "guests"
    target.mkdir()
    for name in ["manifest.json", *(entry["file"] for entry in entries)]:
        shutil.copyfile(GUESTS_DIR / name, target / name)
    return target


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# ------------------------------------------------------------------------------- usage


def test_no_arguments_prints_usage() -> None:
    done = run(code=2)
    assert "usage: python -m wasmext" in done.stderr
    assert "inspect" in done.stderr
    assert "verify" in done.stderr


@pytest.mark.parametrize("args", [["--help"], ["inspect", "--help"], ["verify", "-h"]])
def test_help(args: list[str]) -> None:
    assert run(*args, code=0).stdout.startswith("usage: python -m wasmext")


@pytest.mark.parametrize("args", [["inspect"], ["verify"], ["frobnicate"], ["inspect", "--x"]])
def test_bad_usage_is_status_2(args: list[str]) -> None:
    assert "usage:" in run(*args, code=2).stderr


# ----------------------------------------------------------------------------- inspect


def test_inspect_bundled_artifacts_as_the_manifest_says() -> None:
    entries = manifest()["guests"]
    found = inspect_json(*(GUESTS_DIR / entry["file"] for entry in entries), code=0)
    for entry, report in zip(entries, found):
        assert set(report) == JSON_KEYS
        assert report["error"] is None
        assert (report["bytes"], report["sha256"]) == (entry["bytes"], entry["sha256"])
        assert report["imports"] == []
        assert report["custom_sections"] == []
        assert report["start_function"] is None
        assert report["other_exports"] == []
        assert report["abi"] == {"follows": True, "reasons": [], "build_notes": []}
        functions = {e["name"]: e["signature"] for e in entry["exports"] if e["kind"] == "func"}
        assert {f["name"]: f["signature"] for f in report["functions"]} == functions
        (memory,) = report["memories"]
        listed = next(e for e in entry["exports"] if e["kind"] == "memory")
        assert f"{memory['minimum_pages']} pages" == listed["signature"]
        assert (memory["name"], memory["bits"], memory["shared"]) == ("memory", 32, False)


def test_inspect_text_report() -> None:
    entry = next(e for e in manifest()["guests"] if e["name"] == "twosum")
    text = run("inspect", GUESTS_DIR / entry["file"], code=0).stdout
    assert entry["sha256"] in text
    assert f"{entry['bytes']} bytes" in text
    for export in entry["exports"]:
        if export["kind"] == "func":
            row = re.escape(export["name"]) + " +" + re.escape(export["signature"])
            assert re.search(row, text), f"no row for {export} in:\n{text}"
    assert "wasmext ABI     yes" in text
    assert "32-bit, unshared" in text


def test_inspect_a_guest_that_breaks_the_abi(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.wasm", BROKEN)
    (report,) = inspect_json(path, code=1)
    assert report["error"] is None
    with pytest.raises(InvalidModule) as refused:
        _module.validate(wasmtime.Module(_module.engine(), BROKEN), "module")
    reasons = report["abi"]["reasons"]
    assert len(reasons) == 3
    # The runtime's own reasons, word for word.
    assert str(refused.value).endswith(": " + "; ".join(reasons))
    assert "unshared 32-bit memory" in reasons[0]
    assert "'bump_alloc' must be (i32) -> i32, found (i64) -> i32" in reasons[1]
    assert "'bump_reset' () -> () is a global, not a function" in reasons[2]
    assert report["memories"] == [
        {"name": "memory", "minimum_pages": 1, "maximum_pages": None, "bits": 64, "shared": False}
    ]
    assert {"name": "pair", "signature": "(i32) -> (i32, i64)"} in report["functions"]
    assert [e["kind"] for e in report["other_exports"]] == ["table", "global"]
    assert report["custom_sections"] == ["producers", "name"]  # wat2wasm adds "name"
    assert report["start_function"] == 2
    assert len(report["abi"]["build_notes"]) == 2
    text = run("inspect", path, code=1).stdout
    assert "wasmext ABI     NO: export 'memory' must be an unshared 32-bit memory;" in text
    assert "start           function 2" in text


def test_inspect_a_guest_with_imports(tmp_path: Path) -> None:
    (report,) = inspect_json(write(tmp_path / "imports.wasm", IMPORTING), code=1)
    assert report["imports"] == [
        {"module": "env", "name": "clock", "kind": "func", "type": "() -> i64"}
    ]
    (reason,) = report["abi"]["reasons"]
    assert reason == "guests must be self-contained, but the module imports env.clock"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'  (module (memory (export "memory") 1))', "WebAssembly text, not a binary: compile"),
        (b";; a comment\n(module)", "WebAssembly text"),
        (b"", "an empty file"),
        (b"\0as", "no \\0asm header"),
        (b"\0asm\x01\0", "truncated inside the 8-byte header"),
        (b"\0asm\x0d\0\x01\0", "a WebAssembly component, not a core module"),
        (b"\0asm\x02\0\0\0", "binary version 02 00 00 00"),
        (b"\0asm\x01\0\0\0\x0a\xff\xff\xff\xff\x7f", "does not fit in 32 bits"),
        (b"\0asm\x01\0\0\0\x0a\x80\x80\x80\x80\x80\x00", "longer than 5 bytes"),
        (b"\0asm\x01\0\0\0\x0a\x80", "truncated size of the code section at offset 0x9"),
        (b"\0asm\x01\0\0\0\x0a\x05\0", "truncated code section at offset 0x8"),
        (b"\0asm\x01\0\0\0\x2a\x00", "unknown section id 42 at offset 0x8"),
        (b"\0asm\x01\0\0\0\x00\x02\x05a", "custom section at offset 0xa: its name"),
        (b"\0asm\x01\0\0\0\x00\x02\x01\xff", "its name is not UTF-8"),
        (b"\0asm\x01\0\0\0\x05\x03\x01\0\x01\x05\x03\x01\0\x01", "not a valid WebAssembly"),
    ],
)
def test_inspect_what_is_not_a_module(tmp_path: Path, content: bytes, message: str) -> None:
    path = write(tmp_path / "input.wasm", content)
    done = run("inspect", path, code=1)
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"python -m wasmext: {path}: ")
    assert message in line


def test_inspect_random_bytes(tmp_path: Path) -> None:
    rng = random.Random(16)
    blobs = [rng.randbytes(rng.randrange(1, 200)) for _ in range(20)]
    # Behind a valid header, so that the section walk itself meets the noise.
    blobs += [_sections.MAGIC + _sections.CORE_VERSION + blob for blob in blobs]
    paths = [write(tmp_path / f"{i}.bin", blob) for i, blob in enumerate(blobs)]
    done = run("inspect", *paths, code=1)
    assert len(done.stderr.splitlines()) == len(paths)
    tally("bad inputs", "cli random bytes", len(paths))


def test_inspect_every_truncation_of_a_small_module(tmp_path: Path) -> None:
    paths = [write(tmp_path / f"{n:04}.wasm", SMALL[:n]) for n in range(len(SMALL))]
    done = run("inspect", *paths, code=1)
    # A cut at a section boundary leaves a valid module, reported (without the ABI's exports).
    errors = done.stderr.splitlines()
    reported = [line for line in done.stdout.splitlines() if line and line[0] != " "]
    assert len(errors) + len(reported) == len(paths), (done.stdout, done.stderr)
    assert all(line.startswith(f"python -m wasmext: {tmp_path}") for line in errors)
    reports = inspect_json(*paths, code=1)
    assert all(set(r) == JSON_KEYS for r in reports)
    assert sum(r["error"] is None for r in reports) == len(reported)
    assert run("inspect", write(tmp_path / "whole.wasm", SMALL), code=0)
    tally("bad inputs", "cli truncations", len(paths))


def test_section_walk_never_raises_anything_else() -> None:
    rng = random.Random(4)
    for _ in range(3000):
        blob = bytearray(SMALL)
        for _ in range(rng.randrange(1, 4)):
            blob[rng.randrange(len(blob))] = rng.randrange(256)
        with contextlib.suppress(InvalidModule):
            _sections.walk(bytes(blob))
        _inspect.inspect(bytes(blob), "mutant")
    tally("bad inputs", "cli section walk mutants", 3000)


def test_inspect_unreadable_files(tmp_path: Path) -> None:
    done = run("inspect", tmp_path / "absent.wasm", tmp_path, code=2)
    assert done.stderr.splitlines() == [
        f"python -m wasmext: {tmp_path / 'absent.wasm'}: cannot be read: No such file or directory",
        f"python -m wasmext: {tmp_path}: cannot be read: a directory "
        "(inspect takes .wasm files; verify takes a directory)",
    ]
    good = write(tmp_path / "good.wasm", SMALL)
    reports = inspect_json(good, tmp_path / "absent.wasm", code=2)
    assert reports[0]["abi"]["follows"] is True
    assert set(reports[1]) == JSON_KEYS
    assert reports[1]["bytes"] is None
    assert reports[1]["error"].startswith("cannot be read")


# ------------------------------------------------------------------------------ verify


def test_verify_a_faithful_copy(tmp_path: Path) -> None:
    directory = guests_copy(tmp_path)
    done = run("verify", directory, code=0)
    assert len(done.stdout.splitlines()) == len(manifest()["guests"])
    assert all(line.startswith("ok    ") for line in done.stdout.splitlines())
    assert "all match manifest.json" in done.stderr
    run("verify", directory / "manifest.json", code=0)


def test_verify_a_tampered_byte(tmp_path: Path) -> None:
    directory = guests_copy(tmp_path)
    path = directory / "twosum.wasm"
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(data)
    done = run("verify", directory, code=1)
    diffs = [line for line in done.stdout.splitlines() if line.startswith("DIFF")]
    assert diffs, done.stdout
    assert all(line.startswith("DIFF  twosum.wasm") for line in diffs)
    assert any("sha256" in line and "the manifest says" in line for line in diffs)
    assert "check(s) failed" in done.stderr


def test_verify_a_missing_and_an_unlisted_file(tmp_path: Path) -> None:
    directory = guests_copy(tmp_path)
    (directory / "twosum.wasm").rename(directory / "renamed.wasm")
    lines = run("verify", directory, code=1).stdout.splitlines()
    assert f"DIFF  twosum.wasm ({directory}): listed in manifest.json but missing" in lines
    assert f"DIFF  renamed.wasm ({directory}): manifest.json does not list it" in lines
    assert sum(line.startswith("ok") for line in lines) == len(manifest()["guests"]) - 1


def test_verify_exports_and_sizes_against_the_manifest(tmp_path: Path) -> None:
    directory = guests_copy(tmp_path)
    document = manifest()
    twosum = next(e for e in document["guests"] if e["file"] == "twosum.wasm")
    twosum["bytes"] += 1
    twosum["exports"][-1]["signature"] = "(i32) -> i32"
    twosum["exports"].append({"name": "extra", "kind": "func", "signature": "() -> ()"})
    removed = twosum["exports"].pop(1)
    (directory / "manifest.json").write_text(json.dumps(document), encoding="utf-8")
    lines = run("verify", directory, code=1).stdout.splitlines()
    where = f"twosum.wasm ({directory})"
    assert f"DIFF  {where}: 955 bytes, the manifest says 956" in lines or any(
        "bytes, the manifest says" in line for line in lines
    )
    assert any(
        f"{where}: export 'twosum_i64' is func (i32, i32, i32, i32, i32, i64, i64, i32, i32)" in x
        for x in lines
    )
    assert f"DIFF  {where}: export 'extra' (func () -> ()) is missing" in lines
    assert f"DIFF  {where}: export '{removed['name']}' is not in the manifest" in lines


def test_verify_a_listed_file_that_is_no_module(tmp_path: Path) -> None:
    directory = guests_copy(tmp_path)
    write(directory / "twosum.wasm", b"(module)")
    lines = run("verify", directory, code=1).stdout.splitlines()
    assert any("WebAssembly text, not a binary" in line for line in lines)


def test_verify_an_unreadable_listed_file(tmp_path: Path) -> None:
    directory = guests_copy(tmp_path)
    (directory / "twosum.wasm").unlink()
    (directory / "twosum.wasm").mkdir()
    lines = run("verify", directory, code=2).stdout.splitlines()
    assert any(line.startswith("ERROR twosum.wasm") for line in lines)


@pytest.mark.parametrize(
    ("manifest_text", "message"),
    [
        ('{"guests": [', "not valid JSON (line 1, column 13"),
        ("\udcff", "not UTF-8 text"),
        ("[]", "not a wasmext manifest (no 'guests' list)"),
        ("[" * 100_000, "nested too deeply"),
        ('{"guests": [1]}', "guests[0] is not an object"),
        (
            '{"guests": [{"file": "a.wasm"}]}',
            "guests[0]: field 'sha256' must be a string, but it lacks it",
        ),
        (
            '{"guests": [{"file": "a.wasm", "sha256": "' + "0" * 64 + '", "exports": [],'
            ' "bytes": true}]}',
            "field 'bytes' must be an integer, but it has bool True",
        ),
        ('{"guests": [{"file": "a.wasm", "sha256": "xyz"}]}', "not 64 lowercase hex digits"),
        ('{"guests": [{"file": "../a.wasm"}]}', "'../a.wasm' is not a plain file name"),
        (
            '{"guests": [{"file": "a.wasm", "sha256": "' + "0" * 64 + '", "bytes": 1,'
            ' "exports": [{"name": "f", "kind": "func"}]}]}',
            "guests[0].exports[0]: field 'signature'",
        ),
    ],
)
def test_verify_a_broken_manifest(tmp_path: Path, manifest_text: str, message: str) -> None:
    path = tmp_path / "manifest.json"
    path.write_bytes(manifest_text.encode("utf-8", "surrogateescape"))
    done = run("verify", tmp_path, code=2)
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"python -m wasmext: {path}: ")
    assert message in line


def test_verify_a_manifest_listing_a_file_twice(tmp_path: Path) -> None:
    directory = guests_copy(tmp_path)
    document = manifest()
    document["guests"].append(document["guests"][0])
    (directory / "manifest.json").write_text(json.dumps(document), encoding="utf-8")
    assert "more than once" in run("verify", directory, code=2).stderr


def test_verify_what_is_no_manifest(tmp_path: Path) -> None:
    done = run("verify", tmp_path, code=2)
    assert done.stderr.strip() == (
        f"python -m wasmext: {tmp_path}: a directory without manifest.json, nothing to verify"
    )
    assert "no such file or directory" in run("verify", tmp_path / "nope", code=2).stderr
    wasm = write(tmp_path / "a.wasm", SMALL)
    assert "inspect shows one file" in run("verify", wasm, code=2).stderr
