"""DEFLATE in the sandbox against Python's own zlib, both ways.

The zlib format at level 6, on 1 KiB and 1 MiB of text-like data (words with some random
bytes; it compresses about 3:1).
"""

from __future__ import annotations

import functools
import random
import zlib

from suite import Context, expect
from wasmext import deflate

GROUP = "deflate"
ZLIB = "Python's zlib"
WASMEXT = "wasmext.deflate"
SIZES = {"1 KiB": 1 << 10, "1 MiB": 1 << 20}
LEVEL = 6


def compress_name(size: str) -> str:
    """The case's name for compressing ``size``."""
    return f"compress {size}"


def decompress_name(size: str) -> str:
    """The case's name for decompressing ``size``."""
    return f"decompress {size}"


def _text(size: int) -> bytes:
    rng = random.Random(size)
    words = [b"sandbox ", b"deflate ", b"guest ", b"arena ", b"memory ", b"\n", b"0123 "]
    parts = [rng.choice(words) if rng.random() < 0.9 else rng.randbytes(2) for _ in range(size)]
    return b"".join(parts)[:size]


def run(ctx: Context) -> None:
    """Each size both ways; every contender's result is checked first."""
    for label, size in SIZES.items():
        data = _text(size)
        packed = zlib.compress(data, LEVEL)
        if ctx.selected(GROUP, compress_name(label)):
            contenders = {
                ZLIB: functools.partial(zlib.compress, data, LEVEL),
                WASMEXT: functools.partial(deflate.compress, data, LEVEL),
            }
            for name, call in contenders.items():
                expect(f"{GROUP} compress {label}: {name}", zlib.decompress(call()), data)
            ctx.measure(
                GROUP,
                compress_name(label),
                contenders,
                comparisons=[(WASMEXT, ZLIB)],
                size=size,
                note=f"zlib format, level {LEVEL}; zlib's output {len(packed)} B",
            )
        if ctx.selected(GROUP, decompress_name(label)):
            contenders = {
                ZLIB: functools.partial(zlib.decompress, packed),
                WASMEXT: functools.partial(deflate.decompress, packed, "zlib", size),
            }
            for name, call in contenders.items():
                expect(f"{GROUP} decompress {label}: {name}", call(), data)
            ctx.measure(
                GROUP,
                decompress_name(label),
                contenders,
                comparisons=[(WASMEXT, ZLIB)],
                size=size,
                note=f"zlib's level-{LEVEL} stream, max_size = the size",
            )
