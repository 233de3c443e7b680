"""What a bound call costs over the bare guest call: 64 bytes in, an int out (issue 12).

The function is the abi-probe fixture's ``byte_sum(data: &[u8]) -> u32``, exported with
``#[guest_sdk::export]``, so the guest's own work is a few dozen instructions and the time is
almost all the host's. Four ways to call it, from the floor up:

- the bare fast-path call, the bytes and the result record already in the arena (what a
  caller who manages guest memory by hand pays per call, checks included);
- ``Guest.bind()``'s attribute;
- the module ``python -m wasmext bindgen`` writes (``Guest.bind()`` underneath, plus one
  Python call);
- the wrapper a user would write by hand over an instance: ``arena()``, ``alloc``,
  ``write``, ``alloc`` for the record, ``call``, ``read`` (as the scaffold's used to).
"""

from __future__ import annotations

import functools
import importlib.util
import shutil
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from suite import Context, WrongResult, expect
from wasmext import _cli
from wasmext.errors import InvalidType, WasmextError
from wasmext.runtime import Guest

GROUP = "bound call"
NAME = "byte_sum(64 bytes) -> int"

#: The fixture guest (ship = false, in target/guests/).
PROBE = "abi-probe"

BARE = "bare fast call, bytes in memory"
BOUND = "Guest.bind()"
GENERATED = "bindgen module"
HAND = "hand-written arena wrapper"

_DATA = bytes(range(100, 164))


def run(ctx: Context) -> None:
    """Time the four ways side by side; the generated module is written into a temp dir."""
    if not ctx.selected(GROUP, NAME):
        return
    wasm = ctx.guests / f"{PROBE}.wasm"
    manifest = ctx.guests / "manifest.json"
    want = sum(_DATA)
    with tempfile.TemporaryDirectory(prefix="wasmext-bench-") as scratch:
        generated = _generated(Path(scratch), wasm, manifest)
        contenders = {
            BARE: _bare(Guest(wasm)),
            BOUND: functools.partial(Guest(wasm).bind(manifest).byte_sum, _DATA),
            GENERATED: functools.partial(generated.byte_sum, _DATA),
            HAND: functools.partial(_hand_written, Guest(wasm).instance, _DATA),
        }
        for label, call in contenders.items():
            expect(f"{GROUP}: {label}", call(), 0 if label == BARE else want)
        ctx.measure(
            GROUP,
            NAME,
            contenders,
            comparisons=[(GENERATED, BARE), (BOUND, BARE), (HAND, BARE)],
            note="µs per call; the bare call's bytes and record stay in the arena",
        )


def _bare(guest: Guest) -> functools.partial[Any]:
    """``byte_sum(ptr, 64, out)`` on the fast path, its arguments allocated once."""
    instance = guest.new_instance()
    data = instance.alloc(len(_DATA))
    instance.write(data, _DATA)
    out = instance.alloc(16)
    function = instance.function("byte_sum")
    expect(f"{GROUP}: the bare call's status", function(data, len(_DATA), out), 0)
    expect(
        f"{GROUP}: the bare call's result", instance.read(out, 8), sum(_DATA).to_bytes(8, "little")
    )
    return functools.partial(function, data, len(_DATA), out)


def _generated(directory: Path, wasm: Path, manifest: Path) -> ModuleType:
    """The module ``python -m wasmext bindgen`` writes, beside a copy of the guest, imported."""
    shutil.copy(wasm, directory / wasm.name)
    path = directory / "probe_bindings.py"
    status = _cli.main(["bindgen", str(manifest), "--guest", PROBE, "-o", str(path)])
    if status != 0:
        raise WrongResult(f"{GROUP}: bindgen exited with {status}")
    spec = importlib.util.spec_from_file_location("probe_bindings", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _hand_written(instance_of: Any, data: bytes) -> int:
    """The pattern of the scaffold's former wrapper: check, then allocate, write, call, read."""
    try:
        size = memoryview(data).nbytes
    except TypeError:
        raise InvalidType(f"data must be bytes-like, not {type(data).__name__}") from None
    instance = instance_of()
    with instance.arena():
        ptr = instance.alloc(size)
        instance.write(ptr, data)
        out = instance.alloc(16)
        status = instance.call("byte_sum", ptr, size, out)
        record = instance.read(out, 8)
    if status != 0:
        raise WasmextError(f"byte_sum rejected its arguments (status {status})")
    return int.from_bytes(record, "little")
