"""Bad modules given to Guest: each is refused with InvalidModule naming what is wrong.

Truncations of the shipped artifacts at every byte (twosum) or at every section boundary and
around it (Monocypher), random mutations of them, other formats (text, components, other
versions), and guests that break the ABI in every way an export can. Nothing gets past loading,
no other exception escapes, and nothing crashes.
"""

from __future__ import annotations

import random
import re

import pytest
import wasmtime
from conftest import ARENA, module, require_bundled, tally
from hypothesis import given
from hypothesis import strategies as st

from wasmext.errors import InvalidModule
from wasmext.runtime import Guest

MEMORY = '(memory (export "memory") 1)'
ALLOC = '(func (export "bump_alloc") (param i32) (result i32) (i32.const 16))'
RESET = '(func (export "bump_reset"))'
_MESSAGE = (
    r"is not a valid WebAssembly module: \S|does not follow the wasmext guest ABI: export '"
    r"|is not a WebAssembly binary"
)


def _refused(wasm: bytes) -> str:
    """Load ``wasm`` and return the InvalidModule message (anything else fails the test)."""
    with pytest.raises(InvalidModule) as caught:
        Guest(wasm, cache=False).load()
    return str(caught.value)


def _leb128(data: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, offset


def _section_ends(wasm: bytes) -> list[int]:
    """Offsets where each section of a well-formed module ends."""
    ends, offset = [], 8
    while offset < len(wasm):
        size, start = _leb128(wasm, offset + 1)
        offset = start + size
        ends.append(offset)
    return ends


def test_every_truncation_of_twosum_is_refused() -> None:
    wasm = require_bundled("twosum").read_bytes()
    for length in range(len(wasm)):
        assert re.search(_MESSAGE, _refused(wasm[:length])), length
    tally("bad inputs", "truncated twosum.wasm", len(wasm))


def test_truncations_of_monocypher_at_and_around_section_boundaries_are_refused() -> None:
    wasm = require_bundled("monocypher").read_bytes()
    ends = _section_ends(wasm)
    assert ends[-1] == len(wasm)
    rng = random.Random(len(wasm))
    lengths = {0, 4, 7, 8} | {end + delta for end in ends for delta in (-1, 0, 1)}
    lengths |= {rng.randrange(len(wasm)) for _ in range(100)}
    lengths = {length for length in lengths if 0 <= length < len(wasm)}
    for length in sorted(lengths):
        # Cut inside a section: malformed. At a boundary: a function section without its code,
        # or a well-formed module without the exports the ABI needs.
        assert re.search(_MESSAGE, _refused(wasm[:length])), length
    tally("bad inputs", "truncated monocypher.wasm", len(lengths))


@given(data=st.data())
def test_random_mutations_never_get_past_loading_unchecked(data: st.DataObject) -> None:
    """A mutated artifact is refused, or it is still a valid guest whose ABI checks pass."""
    wasm = bytearray(require_bundled("twosum").read_bytes())
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        offset = data.draw(st.integers(0, len(wasm) - 1), label="offset")
        kind = data.draw(st.sampled_from(["flip", "set", "insert", "delete"]), label="kind")
        if kind == "flip":
            wasm[offset] ^= 1 << data.draw(st.integers(0, 7), label="bit")
        elif kind == "set":
            wasm[offset] = data.draw(st.integers(0, 255), label="byte")
        elif kind == "insert":
            wasm.insert(offset, data.draw(st.integers(0, 255), label="byte"))
        else:
            del wasm[offset]
    tally("bad inputs", "mutated twosum.wasm")
    try:
        guest = Guest(bytes(wasm), cache=False).load()
    except InvalidModule:
        return
    # Still valid (a changed constant, say): the runtime's own checks passed.
    assert guest.functions["bump_alloc"].params == ("i32",)


BAD_MODULES = [
    (b"", "no \\\\0asm header"),
    (b"\x1f\x8b\x08\x00gzip", "no \\\\0asm header"),
    (b"  (module)", "WebAssembly text, not a binary"),
    (b"\0asm", "unexpected end-of-file"),
    (b"\0asm\x02\0\0\0", "unknown binary version"),
    (b"\0asm\x0d\0\x01\0", "given a WebAssembly component"),
    (b"\0asm\x01\0\0\0\x55\x01\x00", "malformed section id"),
    (b"\0asm\x01\0\0\0\x01\x05\x01\x60\x00\x00\x00", "section size mismatch"),
    (module(RESET), r"'bump_alloc' \(i32\) -> i32 is missing"),
    (module(ALLOC), r"'bump_reset' \(\) -> \(\) is missing"),
    (module(ALLOC, RESET, memory=""), "'memory' must be a linear memory .found nothing"),
    (module(ALLOC, RESET, '(table (export "memory") 1 funcref)', memory=""), "found a table"),
    (module(ALLOC, RESET, '(global (export "memory") i32 (i32.const 0))', memory=""), "a global"),
    (module(ALLOC, RESET, memory='(memory (export "memory") i64 1)'), "unshared 32-bit"),
    (module(ALLOC, RESET, memory='(memory (export "memory") 1 1 shared)'), "unshared 32-bit"),
    (
        wasmtime.wat2wasm(f'(module (import "env" "memory" (memory 1)) {ALLOC} {RESET})'),
        "imports env.memory",
    ),
    (
        module(RESET, '(func (export "bump_alloc") (param i64) (result i32) (i32.const 0))'),
        r"'bump_alloc' must be \(i32\) -> i32, found \(i64\) -> i32",
    ),
    (
        module(RESET, '(func (export "bump_alloc") (param i32))'),
        r"'bump_alloc' must be \(i32\) -> i32, found \(i32\) -> \(\)",
    ),
    (
        module(RESET, '(func (export "bump_alloc") (param i32 i32) (result i32) (i32.const 0))'),
        r"found \(i32, i32\) -> i32",
    ),
    (
        module(
            RESET,
            '(func (export "bump_alloc") (param i32) (result i32 i32) i32.const 0 i32.const 0)',
        ),
        r"found \(i32\) -> i32, i32",
    ),
    (
        module(ALLOC, '(func (export "bump_reset") (param i32))'),
        r"'bump_reset' must be \(\) -> \(\), found \(i32\) -> \(\)",
    ),
    (
        module(ALLOC, '(memory $m2 1) (export "bump_reset" (memory $m2))'),
        "'bump_reset' .* is a memory, not a function",
    ),
    (module(ARENA.replace('"bump_alloc"', '"bump_allocate"')), "'bump_alloc' .* is missing"),
]


@pytest.mark.parametrize(("wasm", "message"), BAD_MODULES)
def test_bad_modules_are_named(wasm: bytes, message: str) -> None:
    with pytest.raises(InvalidModule, match=message):
        Guest(wasm, cache=False).load()
    with pytest.raises(ValueError, match=message):
        Guest(wasm, cache=False).instance()
    tally("bad inputs", "malformed or non-ABI modules")


def test_messages_are_one_line_and_name_the_source() -> None:
    for wasm, _ in BAD_MODULES:
        message = _refused(wasm)
        assert "\n" not in message
        assert message.startswith("<bytes>")
