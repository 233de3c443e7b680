"""wasmext.deflate against Python's zlib and gzip: interop both ways in every format, errors
for corrupt, truncated and oversized streams, the memory cap, wipes, pickling and both call
paths."""

from __future__ import annotations

import gzip
import io
import os
import pickle
import random
import zlib

import pytest
from conftest import CallPath, require_bundled
from hypothesis import given
from hypothesis import strategies as st
from secret_scan import assert_no_secrets

from wasmext import deflate
from wasmext.errors import GuestMemoryError, InvalidType, OutOfRange, WasmextError
from wasmext.runtime import GUESTS_DIR, Guest

FORMATS = ("raw", "zlib", "gzip")


@pytest.fixture(autouse=True)
def _artifact() -> None:
    require_bundled("deflate")


def python_compress(data: bytes, level: int, fmt: str) -> bytes:
    """Python's own stream of ``data`` in ``fmt``."""
    if fmt == "gzip":
        return gzip.compress(data, compresslevel=level)
    return zlib.compress(data, level, wbits=-15 if fmt == "raw" else 15)


def python_decompress(data: bytes, fmt: str) -> bytes:
    if fmt == "gzip":
        return gzip.decompress(data)
    return zlib.decompress(data, -15) if fmt == "raw" else zlib.decompress(data)


def text(rng: random.Random, size: int) -> bytes:
    """Compressible, but not trivially."""
    words = [b"deflate ", b"wasm ", b"arena ", b"\n", b"guest ", bytes([rng.randrange(256)])]
    out = b"".join(rng.choice(words) for _ in range(size // 4 + 1))
    return out[:size]


@pytest.fixture(params=["fast", "public"])
def codec(request: pytest.FixtureRequest) -> deflate.Deflate:
    """A Deflate on each call path."""
    path: CallPath = request.param
    guest = Guest(GUESTS_DIR / "deflate.wasm", fast_calls=path == "fast")
    return deflate.Deflate(guest)


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_side_reads_the_other_at_every_level(codec: deflate.Deflate, fmt: str) -> None:
    rng = random.Random(12)
    for size in (0, 1, 1000, 100_000):
        data = text(rng, size)
        for level in (0, 1, 6, 9):
            ours = codec.compress(data, level, format=fmt)  # type: ignore[arg-type]
            assert python_decompress(ours, fmt) == data, (size, level)
            theirs = python_compress(data, level, fmt)
            assert codec.decompress(theirs, fmt, len(data)) == data, (size, level)  # type: ignore[arg-type]
        assert python_decompress(codec.compress(data, 10, fmt), fmt) == data  # type: ignore[arg-type]


@given(st.binary(max_size=5000), st.integers(0, 9), st.sampled_from(FORMATS))
def test_round_trips_agree_with_python(data: bytes, level: int, fmt: str) -> None:
    ours = deflate.compress(data, level, fmt)  # type: ignore[arg-type]
    assert python_decompress(ours, fmt) == data
    assert deflate.decompress(python_compress(data, level, fmt), fmt) == data  # type: ignore[arg-type]
    assert deflate.decompress(ours, fmt, max_size=len(data)) == data  # type: ignore[arg-type]


def test_defaults_are_zlibs() -> None:
    data = b"the zlib format by default " * 40
    assert deflate.compress(data) == deflate.compress(data, 6, "zlib") == deflate.compress(data, -1)
    assert zlib.decompress(deflate.compress(data)) == data
    assert deflate.decompress(zlib.compress(data)) == data
    assert deflate.decompress(bytearray(zlib.compress(data))) == data  # any bytes-like object


def test_what_python_accepts_is_accepted() -> None:
    data = b"accepted " * 100
    # Bytes after a zlib or raw stream are ignored, as zlib.decompress ignores them.
    assert deflate.decompress(zlib.compress(data) + b"tail") == data
    assert deflate.decompress(zlib.compress(data, wbits=-15) + b"tail", "raw") == data
    # Smaller windows.
    assert deflate.decompress(zlib.compress(data, wbits=9)) == data
    # Several gzip members, zero padding between them, a name, no member at all.
    members = gzip.compress(b"one ") + b"\0\0" + gzip.compress(b"two", mtime=0) + b"\0"
    assert deflate.decompress(members, "gzip") == gzip.decompress(members) == b"one two"
    assert deflate.decompress(b"", "gzip") == gzip.decompress(b"") == b""
    named = io.BytesIO()
    with gzip.GzipFile("file.txt", "wb", fileobj=named) as out:
        out.write(data)
    assert deflate.decompress(named.getvalue(), "gzip") == data


@pytest.mark.parametrize("fmt", FORMATS)
def test_truncated_and_corrupt_streams_are_value_errors(fmt: str) -> None:
    rng = random.Random(3)
    data = text(rng, 20_000)
    packed = python_compress(data, 6, fmt)
    for cut in (1, 2, len(packed) // 2, len(packed) - 1):
        with pytest.raises(deflate.InflateError) as caught:
            deflate.decompress(packed[:cut], fmt)  # type: ignore[arg-type]
        assert isinstance(caught.value, (ValueError, WasmextError))
    failures = 0
    for _ in range(200):
        bad = bytearray(packed)
        bad[rng.randrange(len(bad))] ^= 1 << rng.randrange(8)
        try:
            out = deflate.decompress(bad, fmt, max_size=len(data))  # type: ignore[arg-type]
        except deflate.InflateError:
            failures += 1
        else:
            assert fmt == "raw" or out == data  # checksummed formats never pass a wrong answer
    assert failures > 50


def test_each_error_has_its_class() -> None:
    zipped = zlib.compress(b"checked" * 10)
    with pytest.raises(deflate.BadChecksum):
        deflate.decompress(zipped[:-1] + bytes([zipped[-1] ^ 1]))
    with pytest.raises(deflate.Truncated):
        deflate.decompress(zipped[:-2])
    with pytest.raises(deflate.Corrupt):
        deflate.decompress(b"not zlib at all")
    with pytest.raises(deflate.Corrupt):
        deflate.decompress(gzip.compress(b"x") + b"junk", "gzip")
    with pytest.raises(deflate.BadFormat, match="format"):
        deflate.decompress(zipped, "deflate")  # type: ignore[arg-type]
    with pytest.raises(deflate.BadFormat):
        deflate.compress(b"x", format="zip")  # type: ignore[arg-type]
    with pytest.raises(deflate.BadLevel, match="level"):
        deflate.compress(b"x", 11)
    with pytest.raises(OutOfRange, match="level"):
        deflate.compress(b"x", 256)
    with pytest.raises(OutOfRange, match="max_size"):
        deflate.decompress(zipped, max_size=-1)
    with pytest.raises(InvalidType, match="data"):
        deflate.compress("text")  # type: ignore[arg-type]
    with pytest.raises(InvalidType, match="format"):
        deflate.compress(b"x", format=b"zlib")  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_bomb_stops_at_max_size(fmt: str) -> None:
    bomb = python_compress(bytes(64 << 20), 9, fmt)
    assert len(bomb) < 100_000
    with pytest.raises(deflate.TooBig, match="max_size=1048576"):
        deflate.decompress(bomb, fmt, max_size=1 << 20)  # type: ignore[arg-type]
    with pytest.raises(deflate.TooBig, match=f"max_size={deflate.DEFAULT_MAX_SIZE - 1}"):
        deflate.decompress(bomb, fmt, max_size=deflate.DEFAULT_MAX_SIZE - 1)  # type: ignore[arg-type]
    assert len(deflate.decompress(bomb, fmt)) == 64 << 20  # type: ignore[arg-type]


@pytest.mark.parametrize("path", ["fast", "public"])
def test_the_memory_cap_is_a_memory_error_and_the_instance_carries_on(path: str) -> None:
    guest = Guest(GUESTS_DIR / "deflate.wasm", max_memory=4 << 20, fast_calls=path == "fast")
    capped = deflate.Deflate(guest)
    instance = guest.instance()
    for fmt in FORMATS:
        bomb = deflate.compress(bytes(16 << 20), 9, fmt)  # type: ignore[arg-type]
        with pytest.raises(GuestMemoryError, match="max_memory"):
            capped.decompress(bomb, fmt, max_size=16 << 20)  # type: ignore[arg-type]
        with pytest.raises(MemoryError):
            capped.compress(os.urandom(3 << 19), 6, fmt)  # type: ignore[arg-type]
        assert capped.decompress(capped.compress(b"alive", 6, fmt), fmt) == b"alive"  # type: ignore[arg-type]
    assert guest.instance() is instance, "the cap must not cost the instance"


def test_nothing_of_the_data_is_left_in_memory() -> None:
    guest = Guest(GUESTS_DIR / "deflate.wasm")
    codec = deflate.Deflate(guest)
    secret = os.urandom(256)
    data = text(random.Random(5), 50_000) + secret + text(random.Random(6), 50_000)
    for fmt in FORMATS:
        for level in (0, 6):
            packed = codec.compress(data, level, fmt)  # type: ignore[arg-type]
            assert codec.decompress(packed, fmt) == data  # type: ignore[arg-type]
            stored = python_compress(secret * 4, 0, fmt)
            assert codec.decompress(stored, fmt) == secret * 4  # type: ignore[arg-type]
            with pytest.raises(deflate.InflateError):
                codec.decompress(stored[:-9], fmt)  # type: ignore[arg-type]
            assert_no_secrets(guest.instance().dump(), {"secret": secret})


def test_functions_and_objects_pickle() -> None:
    assert pickle.loads(pickle.dumps(deflate.compress)) is deflate.compress
    assert pickle.loads(pickle.dumps(deflate.decompress)) is deflate.decompress
    guest = Guest(GUESTS_DIR / "deflate.wasm")
    copy = pickle.loads(pickle.dumps(deflate.Deflate(guest)))
    assert copy.decompress(copy.compress(b"pickled")) == b"pickled"
    error = pickle.loads(pickle.dumps(deflate.TooBig("too big")))
    assert isinstance(error, deflate.InflateError)
    assert str(error) == "too big"
