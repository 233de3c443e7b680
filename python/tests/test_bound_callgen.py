"""A bound function's staged call, written out for its parameters (``wasmext._boundgen``).

What the calls do is tested through the fixture guest in the other ``test_bound_*`` files; here
the generator itself: the documented call is the real one, every shape compiles, a str's copy
is zeroed whatever is refused after it, and functions of one shape share their code.
"""

from __future__ import annotations

import itertools
import re
import traceback
from typing import Any

import bound_fixture
import pytest
from conftest import GuestFactory

import wasmext._boundgen
from wasmext.errors import InvalidType
from wasmext.runtime import Bound

FORMS: list[wasmext._boundgen.Form] = [
    ("int", -(2**31), 2**31 - 1, 2**32 - 1),
    ("int", 0, 2**64 - 1, 0),
    ("bytes",),
    ("scalar",),
    ("buffer", 1, False, False),
    ("buffer", 2, False, False),
    ("buffer", 2, True, False),
    ("buffer", 2, False, True),
]


@pytest.fixture
def bound(make_guest: GuestFactory) -> Bound:
    return make_guest(bound_fixture.wasm()).bind(bound_fixture.INTERFACE)


def test_the_documented_call_is_the_generated_one() -> None:
    """The module's docstring shows the call of ``byte_sum(data: &[u8]) -> u32``."""
    doc = wasmext._boundgen.__doc__
    assert doc is not None
    shown = re.search(r"::\n\n(    def call.*?)\n\n", doc, re.S)
    assert shown is not None
    documented = [line[4:] for line in shown.group(1).splitlines()]
    # Two elisions: what is shown between them is two lines of the block's body.
    stripped = [line.strip() for line in documented]
    cut = stripped.index("...")
    resume = stripped.index("...", cut + 1)
    head, tail = documented[:cut], documented[cut + 1 : resume]
    generated = wasmext._boundgen.source((("bytes",),), "plain")
    assert generated.startswith("\n".join(head) + "\n"), f"{head}\n---\n{generated}"
    assert "\n".join(line.strip() for line in tail) in "\n".join(
        line.strip() for line in generated.splitlines()
    ), generated


@pytest.mark.parametrize("result", wasmext._boundgen.RESULTS)
def test_every_shape_of_up_to_three_parameters_compiles(result: str) -> None:
    for count in range(4):
        for forms in itertools.product(FORMS, repeat=count):
            text = wasmext._boundgen.source(forms, result)
            compile(text, f"<{forms}>", "exec")


def test_a_strs_copy_is_zeroed_when_a_later_argument_is_refused() -> None:
    copies: list[bytearray] = []

    def convert_str(value: object, lowered: list[int], buffers: list[Any], size: int) -> int:
        data = bytearray(str(value), "utf-8")
        copies.append(data)
        lowered += (size, len(data))
        buffers.append((len(lowered) - 2, size, data, None))
        return size + len(data)

    def refuse(value: object) -> int:
        raise InvalidType("refused")

    def scrub(buffers: list[Any]) -> None:
        for _, _, data, _ in buffers:
            data[:] = bytes(len(data))

    forms = (("buffer", 2, False, True), ("int", 0, 255, 0))
    call = wasmext._boundgen.staged_call(
        forms, "none", {"convert0": convert_str, "lift1": refuse, "scrub": scrub}
    )
    with pytest.raises(InvalidType, match="refused"):
        call("a secret", "not an int")
    assert copies == [bytearray(len("a secret"))]


def test_functions_of_one_shape_share_their_code(bound: Bound) -> None:
    # checksum and stash both take one &[u8] and return a u32; their calls differ by globals.
    assert bound.checksum.__code__ is bound.stash.__code__
    assert bound.checksum.__globals__["INDEX"] != bound.stash.__globals__["INDEX"]
    assert bound.checksum(b"\x01\x02") == 3
    assert bound.stash(b"\x01\x02") == 2


def test_tracebacks_show_the_generated_lines(bound: Bound) -> None:
    try:
        bound.checksum("text")
    except InvalidType as error:
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    else:
        raise AssertionError("a str was taken for &[u8]")
    assert "<bound call (bytes) -> plain>" in text, text
    assert "d0 = a0 if type(a0) is bytes else view0(a0)" in text, text
