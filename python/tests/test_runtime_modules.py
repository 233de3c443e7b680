"""Loading guests: ABI validation, compile-once, the on-disk cache, bundled artifacts."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import wasmtime
from conftest import ARENA, TOOLS, module, require_bundled

from wasmext import _module
from wasmext._cache import ModuleCache, cache_key, default_cache_dir
from wasmext.errors import InvalidInput, InvalidModule, InvalidType
from wasmext.runtime import Guest, bundled

ALLOC = '(func (export "bump_alloc") (param i32) (result i32) (i32.const 16))'
RESET = '(func (export "bump_reset"))'


@pytest.mark.parametrize(
    ("wasm", "message"),
    [
        (b"", "not a WebAssembly binary"),
        (b"\0asm\x01\0\0\0\xff\xff", "not a valid WebAssembly module"),
        (b"(module)", "WebAssembly text, not a binary"),
        (module(RESET), r"'bump_alloc' \(i32\) -> i32 is missing"),
        (module(ALLOC), r"'bump_reset' \(\) -> \(\) is missing"),
        (module(ALLOC, RESET, memory=""), "'memory' must be a linear memory"),
        (module(ALLOC, RESET, memory='(memory (export "mem") 1)'), "found nothing"),
        (
            module(ALLOC, RESET, memory='(memory (export "memory") i64 1)'),
            "unshared 32-bit memory",
        ),
        (
            module(RESET, '(func (export "bump_alloc") (param i64) (result i32) (i32.const 0))'),
            r"'bump_alloc' must be \(i32\) -> i32, found \(i64\) -> i32",
        ),
        (
            module(ALLOC, '(func (export "bump_reset") (result i32) (i32.const 0))'),
            r"'bump_reset' must be \(\) -> \(\), found \(\) -> i32",
        ),
        (
            module(ALLOC, '(global (export "bump_reset") i32 (i32.const 0))'),
            "global, not a function",
        ),
        (
            wasmtime.wat2wasm(
                f'(module (import "env" "f" (func)) (memory (export "memory") 1) {ALLOC} {RESET})'
            ),
            "imports env.f",
        ),
    ],
)
def test_invalid_modules_are_refused(wasm: bytes, message: str) -> None:
    guest = Guest(wasm, cache=False)
    with pytest.raises(InvalidModule, match=message):
        guest.instance()
    with pytest.raises(ValueError, match=message):
        guest.load()


def test_all_problems_are_reported_together() -> None:
    with pytest.raises(InvalidModule, match=r"'memory'.*'bump_alloc'.*'bump_reset'"):
        Guest(module(memory=""), cache=False).load()


def test_source_kinds(tmp_path: Path) -> None:
    wasm = module(ARENA, TOOLS)
    path = tmp_path / "tools.wasm"
    path.write_bytes(wasm)
    for source in (wasm, bytearray(wasm), memoryview(wasm), path, str(path)):
        guest = Guest(source, cache=False)
        assert guest.instance().call("add", 1, 2) == 3
    assert Guest(path, cache=False).name == "tools.wasm"
    with pytest.raises(FileNotFoundError):
        Guest(tmp_path / "missing.wasm")
    with pytest.raises(InvalidType):
        Guest(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidType):
        Guest(wasm, cache=3)  # type: ignore[arg-type]


def test_compiled_once_per_process() -> None:
    wasm = module(ARENA, TOOLS, '(func (export "unique_compile_once"))')
    first = Guest(wasm, cache=False)
    assert first.origin is None
    first.load()
    assert first.origin == "compiled"
    second = Guest(wasm, cache=False).load()
    assert second.origin == "process"
    assert second._compiled is first._compiled


def test_concurrent_first_use_compiles_once() -> None:
    guest = Guest(module(ARENA, TOOLS, '(func (export "unique_concurrent"))'), cache=False)
    barrier = threading.Barrier(8)
    seen: list[object] = []

    def worker() -> None:
        barrier.wait()
        seen.append(guest.instance()._compiled)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8
    assert all(compiled is seen[0] for compiled in seen)
    assert guest.origin == "compiled"


def test_new_instances_reuse_the_module(monkeypatch: pytest.MonkeyPatch) -> None:
    guest = Guest(module(ARENA, TOOLS), cache=False).load()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled or deserialized again")

    monkeypatch.setattr(wasmtime.Module, "__init__", refuse)
    monkeypatch.setattr(wasmtime.Module, "deserialize", refuse)
    for _ in range(5):
        assert guest.new_instance().call("add", 1, 1) == 2


def _cached_guest(wasm: bytes, directory: Path) -> Guest:
    _module.forget_loaded_modules()  # make the disk the only place to find it
    return Guest(wasm, cache=directory).load()


def test_disk_cache_miss_then_hit(tmp_path: Path) -> None:
    wasm = module(ARENA, TOOLS, '(func (export "unique_disk"))')
    assert _cached_guest(wasm, tmp_path).origin == "compiled"
    entries = list(tmp_path.glob("*.cwasm"))
    assert len(entries) == 1
    guest = _cached_guest(wasm, tmp_path)
    assert guest.origin == "disk-cache"
    assert guest.instance().call("add", 2, 3) == 5


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: blob[: len(blob) // 2],  # truncated
        lambda blob: blob[:-1] + bytes([blob[-1] ^ 1]),  # payload bit flip
        lambda blob: b"garbage" + blob[7:],  # bad header
        lambda blob: b"",
    ],
)
def test_corrupt_cache_entries_fall_back_to_compiling(tmp_path: Path, damage: object) -> None:
    wasm = module(ARENA, TOOLS, '(func (export "unique_corrupt"))')
    _cached_guest(wasm, tmp_path)
    (entry,) = tmp_path.glob("*.cwasm")
    entry.write_bytes(damage(entry.read_bytes()))  # type: ignore[operator]
    guest = _cached_guest(wasm, tmp_path)
    assert guest.origin == "compiled"
    assert guest.instance().call("add", 2, 2) == 4
    assert _cached_guest(wasm, tmp_path).origin == "disk-cache"  # rewritten


def test_verified_entry_that_wasmtime_refuses_is_recompiled(tmp_path: Path) -> None:
    wasm = module(ARENA, TOOLS, '(func (export "unique_refused"))')
    guest = _cached_guest(wasm, tmp_path)
    cache = ModuleCache(tmp_path)
    key = cache_key(guest.sha256, _module._fastcall.WASMTIME_VERSION)
    assert cache.store(key, b"well-formed entry, but not a serialized module")
    assert _cached_guest(wasm, tmp_path).origin == "compiled"
    assert _cached_guest(wasm, tmp_path).origin == "disk-cache"


def test_unwritable_cache_is_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    guest = _cached_guest(module(ARENA, TOOLS), blocker / "cache")
    assert guest.origin == "compiled"
    assert guest.instance().call("add", 1, 1) == 2


def test_cache_key_and_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key = cache_key("ab" * 32, "50.0.1")
    assert key.startswith("ab" * 32)
    assert "wasmtime-50.0.1" in key
    assert cache_key("ab" * 32, "49.0.0") != key
    monkeypatch.setenv("WASMEXT_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv("WASMEXT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "wasmext"


def test_default_cache_uses_the_env_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WASMEXT_CACHE_DIR", str(tmp_path))
    _module.forget_loaded_modules()
    Guest(module(ARENA, TOOLS, '(func (export "unique_env"))')).load()
    assert len(list(tmp_path.glob("*.cwasm"))) == 1


def test_bundled_rejects_unknown_names() -> None:
    with pytest.raises(InvalidInput, match="no bundled guest 'nope'"):
        bundled("nope")
    with pytest.raises(InvalidInput):
        bundled("../twosum")
    with pytest.raises(InvalidType):
        bundled(3)  # type: ignore[arg-type]


def test_bundled_twosum_is_process_wide() -> None:
    require_bundled("twosum")
    guest = bundled("twosum")
    assert bundled("twosum") is guest
    assert {"twosum_i32", "twosum_i64", "bump_alloc", "bump_reset"} <= set(guest.functions)
