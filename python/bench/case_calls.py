"""What one guest call costs the host: wasmext's two call paths against raw wasmtime-py.

The call is Monocypher's ``crypto_verify16(a, b)``: two pointers in, an int out, and 16 bytes
compared inside, so the time is almost all crossing the boundary.
"""

from __future__ import annotations

import functools

import wasmtime

from suite import Context, expect
from wasmext import _fastcall
from wasmext import monocypher as mc
from wasmext.runtime import GUESTS_DIR, Guest

GROUP = "guest call"
NAME = "crypto_verify16(a, b)"
EXPORT = "crypto_verify16"

RAW = "raw wasmtime-py Func"
PUBLIC = "wasmext, public path"
FAST = "wasmext, fast path"
WHOLE_API = "monocypher.verify16 (whole API)"


def run(ctx: Context) -> None:
    """Time one call of each kind; skip the fast path (and say why) where it is unavailable."""
    if not ctx.selected(GROUP, NAME):
        return
    wasm = (GUESTS_DIR / "monocypher.wasm").read_bytes()
    contenders = {RAW: _raw_wasmtime(wasm), PUBLIC: _wasmext(wasm, fast=False)}
    note = "µs per call, the 16-byte comparison included"
    comparisons = [(PUBLIC, RAW)]
    if _fastcall.AVAILABLE:
        contenders[FAST] = _wasmext(wasm, fast=True)
        comparisons = [(FAST, RAW), (FAST, PUBLIC), *comparisons]
    else:
        note += f"; no fast path here: {_fastcall.REASON}"
    contenders[WHOLE_API] = functools.partial(mc.verify16, bytes(16), bytes(16))
    for label, call in contenders.items():
        expect(f"{GROUP}: {label}", call(), True if label == WHOLE_API else 0)
    ctx.measure(GROUP, NAME, contenders, comparisons=comparisons, note=note)


def _raw_wasmtime(wasm: bytes) -> functools.partial[object]:
    """wasmtime-py's public API as a user without wasmext would call it."""
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    instance = wasmtime.Instance(store, wasmtime.Module(engine, wasm), [])
    exports = instance.exports(store)
    alloc, verify = exports["bump_alloc"], exports["crypto_verify16"]
    assert isinstance(alloc, wasmtime.Func)
    assert isinstance(verify, wasmtime.Func)
    pair = alloc(store, 32)
    return functools.partial(verify, store, pair, pair + 16)


def _wasmext(wasm: bytes, *, fast: bool) -> functools.partial[object]:
    """A prepared :class:`~wasmext.runtime.Function` on the chosen call path."""
    guest = Guest(wasm, fast_calls=fast)
    instance = guest.new_instance()
    verify = instance.function(EXPORT)
    pair = instance.alloc(32)
    # The path really reads guest memory: a differing byte must be seen.
    instance.write(pair + 16, b"\x01")
    path = "fast" if fast else "public"
    expect(f"{GROUP}: {path} path on differing buffers", verify(pair, pair + 16), -1)
    instance.write(pair + 16, b"\x00")
    return functools.partial(verify, pair, pair + 16)
