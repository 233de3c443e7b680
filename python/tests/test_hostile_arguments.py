"""Arguments that lie: every public entry works on exact builtins, never on what it was handed.

An ``int`` subclass can override comparisons and arithmetic, an ``__index__`` can return such a
subclass, and a ``str`` subclass can hash and compare as one name while spelling another. A
check made on such an object proves nothing about the value finally used; the runtime turns
every argument into a plain ``int`` or ``str`` first. The memory-unsafe cases (which used to
reach ctypes with an address of the liar's choosing, or prepare a call with the wrong number of
slots) run in a child process, so that a regression fails this test instead of killing the run.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import ARENA, TOOLS, GuestFactory, module, require_bundled, tally

import wasmext
from wasmext import monocypher as mc
from wasmext.errors import GuestMemoryError, InvalidInput, InvalidType, OutOfBounds
from wasmext.runtime import GUESTS_DIR, Guest
from wasmext.twosum import TwoSum

PAGE = 65536

# Returning an int subclass from __index__ is deprecated, and exactly what these tests do.
pytestmark = pytest.mark.filterwarnings("ignore:__index__ returned non-int:DeprecationWarning")


class LyingInt(int):
    """An int that says it is in every range, and adds up to whatever suits it."""

    def __lt__(self, other: object) -> bool:
        return False

    def __le__(self, other: object) -> bool:
        return True

    def __gt__(self, other: object) -> bool:
        return False

    def __ge__(self, other: object) -> bool:
        return True

    def __add__(self, other: object) -> int:
        return 0x1000

    __radd__ = __add__

    def __int__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return 0


class IndexLies:
    """Not an int, but ``__index__`` returns a :class:`LyingInt` holding ``value``."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return LyingInt(self.value)


class NamedAs(str):
    """A str that hashes and compares as ``alias`` (and prints as it), whatever it spells."""

    alias = ""

    def __eq__(self, other: object) -> bool:
        return other == self.alias

    def __hash__(self) -> int:
        return hash(self.alias)

    def __str__(self) -> str:
        return self.alias


def named_as(text: str, alias: str) -> NamedAs:
    lie = NamedAs(text)
    lie.alias = alias
    return lie


def liars(value: int) -> list[Any]:
    return [LyingInt(value), IndexLies(value)]


def _child(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter that imports the same wasmext as this one."""
    root = str(Path(wasmext.__file__).resolve().parent.parent)
    prelude = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {root!r})
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_hostile_arguments import LyingInt, IndexLies, named_as
        """
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def arena_guest(make_guest: GuestFactory) -> Guest:
    return make_guest(module(ARENA, TOOLS))


# -------------------------------------------------------------------- the runtime's entries


@pytest.mark.parametrize("liar", liars(2**40), ids=["int-subclass", "index-returns-subclass"])
def test_read_and_write_check_the_real_address(arena_guest: Guest, liar: Any) -> None:
    instance = arena_guest.new_instance()
    with pytest.raises(OutOfBounds):
        instance.read(liar, 16)
    with pytest.raises(OutOfBounds):
        instance.read(0, liar)
    with pytest.raises(OutOfBounds):
        instance.write(liar, b"x" * 16)
    tally("bad inputs", "lying ints", 3)


@pytest.mark.parametrize("liar", liars(100), ids=["int-subclass", "index-returns-subclass"])
def test_an_in_range_liar_means_its_real_value(arena_guest: Guest, liar: Any) -> None:
    instance = arena_guest.new_instance()
    instance.write(100, b"exact")
    assert instance.read(liar, 5) == b"exact"
    instance.write(liar, b"again")
    assert instance.read(100, 5) == b"again"
    with instance.arena():
        pointer = instance.alloc(LyingInt(64))
        assert instance.read(pointer, 64) == bytes(64)
    assert instance.call("add", LyingInt(2), IndexLies(3)) == 5
    assert instance.call("echo32", IndexLies(2**32 - 1)) == -1


def test_a_lying_address_never_reaches_ctypes() -> None:
    """The exploit: a bounds check passed by lying, then ``__radd__`` picked the address."""
    result = _child(
        """
        from wasmext.runtime import bundled
        from wasmext.errors import OutOfBounds
        instance = bundled("twosum").new_instance()
        for attempt in (
            lambda: instance.read(IndexLies(1 << 40), 16),
            lambda: instance.write(IndexLies(1 << 40), b"overwrite" * 4),
            lambda: instance.read(LyingInt(1 << 40), LyingInt(16)),
        ):
            try:
                attempt()
            except OutOfBounds:
                print("refused")
        """
    )
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
    assert result.stdout.split() == ["refused"] * 3, result.stderr


def test_a_str_subclass_names_the_function_it_spells() -> None:
    """Found by equality as one export, spelled as another: prepared for the one it spells."""
    result = _child(
        """
        from wasmext.runtime import bundled
        instance = bundled("monocypher").new_instance()
        liar = named_as("crypto_argon2", "crypto_verify16")
        function = instance.function(liar)
        print(type(function.name).__name__, function.name, len(function.signature.params))
        try:
            instance.call(liar, 0, 0)
        except TypeError as error:
            print("refused:", error)
        """
    )
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
    lines = result.stdout.splitlines()
    assert lines[0] == "str crypto_argon2 6", result.stdout
    assert lines[1].startswith("refused: crypto_argon2"), result.stdout


def test_sizes_are_checked_against_their_c_types(make_guest: GuestFactory) -> None:
    # A cap past 2**64 once wrapped to 4 MiB; past what wasm32 addresses, it is no cap.
    wasm = module(ARENA, TOOLS)
    instance = make_guest(wasm, max_memory=2**64 + (4 << 20)).new_instance()
    with instance.arena():
        instance.alloc(8 << 20)
    assert instance.memory_size > 8 << 20
    # 2**64 + 3 pages once grew memory by 3 pages.
    before = instance.memory_size
    with pytest.raises(GuestMemoryError, match="at most 65536"):
        instance.grow(2**64 + 3)
    with pytest.raises(GuestMemoryError, match="at most 65536"):
        instance.grow(IndexLies(2**64 + 3))
    assert instance.memory_size == before
    assert make_guest(wasm, max_memory=LyingInt(PAGE)).max_memory == PAGE
    assert type(make_guest(wasm, max_memory=IndexLies(PAGE)).max_memory) is int
    with pytest.raises(InvalidInput):
        make_guest(wasm, max_memory=IndexLies(-1))
    tally("bad inputs", "sizes past their C types", 4)


def test_names_are_exact_strings(arena_guest: Guest) -> None:
    instance = arena_guest.new_instance()
    assert instance.function(named_as("add", "noop")).name == "add"
    with pytest.raises(InvalidInput, match="no function 'nothing'"):
        instance.function(named_as("nothing", "add"))
    with pytest.raises(InvalidType, match="function name must be a str"):
        instance.function(b"add")  # type: ignore[arg-type]
    require_bundled("twosum")
    assert wasmext.bundled(named_as("twosum", "monocypher")).name == "twosum.wasm"


# -------------------------------------------------------------------- the bundled APIs


def test_monocypher_uses_the_real_values() -> None:
    require_bundled("monocypher")
    key, nonce, text = bytes(range(32)), bytes(24), b"t" * 100
    assert mc.blake2b(text, LyingInt(32)) == mc.blake2b(text, 32)
    assert mc.blake2b(text, IndexLies(20)) == mc.blake2b(text, 20)
    assert mc.chacha20_x(text, key, nonce, IndexLies(7)) == mc.chacha20_x(text, key, nonce, 7)
    with pytest.raises(InvalidInput, match="size must be between 1 and 64"):
        mc.blake2b(text, IndexLies(1000))
    with pytest.raises(InvalidInput, match="overflows"):
        mc.chacha20_ietf(text, key, bytes(12), LyingInt(2**32 - 1))
    salt = b"saltsalt"
    expected = mc.argon2(b"pw", salt, nb_blocks=8, nb_passes=1, algorithm="argon2i")
    lying_algorithm = named_as("argon2i", "argon2id")
    got = mc.argon2(
        b"pw", salt, nb_blocks=IndexLies(8), nb_passes=LyingInt(1), algorithm=lying_algorithm
    )
    assert got == expected
    with mc.AeadContext(key, bytes(8), variant=named_as("djb", "x")) as stream:
        assert stream.variant == "djb"
        assert type(stream.variant) is str
    tally("bad inputs", "lying monocypher arguments", 7)


def test_twosum_uses_the_real_values() -> None:
    require_bundled("twosum")
    solver = TwoSum(python_cutoff=0)
    numbers = list(range(1000))
    assert solver.twosum(numbers, LyingInt(1997)) == (998, 999)
    with pytest.raises(InvalidType, match="target must be an int"):
        solver.twosum(numbers, IndexLies(1997))  # type: ignore[arg-type]
    assert solver.twosum([LyingInt(n) for n in numbers], 1997) == (998, 999)
    assert solver.twosum([*numbers, LyingInt(5)], 1 << 40) is None


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "public"])
def test_a_cap_past_int64_is_no_cap_on_either_path(fast: bool) -> None:
    require_bundled("monocypher")
    guest = Guest(GUESTS_DIR / "monocypher.wasm", max_memory=2**63 + 1, fast_calls=fast)
    box = mc.Monocypher(guest)
    assert box.blake2b(bytes(8 << 20)) == mc.blake2b(bytes(8 << 20))
