"""Calling guest functions: argument conversion, results, errors, on both call paths."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import wasmtime
from conftest import ARENA, CallPath, module
from hypothesis import given
from hypothesis import strategies as st

from wasmext import _fastcall
from wasmext.errors import InvalidInput, InvalidModule, InvalidType, WasmextError
from wasmext.runtime import Function, Guest


def test_call_path_is_the_requested_one(tools_guest: Guest, call_path: CallPath) -> None:
    instance = tools_guest.instance()
    assert instance.fast_calls is (call_path == "fast")
    assert tools_guest.fast_calls is (call_path == "fast")


def test_fast_path_available_with_tested_wasmtime() -> None:
    major = int(_fastcall.WASMTIME_VERSION.split(".")[0])
    if major in _fastcall.TESTED_MAJOR_VERSIONS:
        assert _fastcall.AVAILABLE, _fastcall.REASON


def test_an_untested_wasmtime_gets_the_fast_path_only_through_the_self_test(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not _fastcall.AVAILABLE:
        pytest.skip(_fastcall.REASON)
    monkeypatch.setattr(_fastcall, "TESTED_MAJOR_VERSIONS", frozenset({0}))
    api, reason = _fastcall._probe()
    assert api is not None, reason
    assert "self-test passed" in reason

    # A layout it does not know: results that come back from the wrong place.
    real = _fastcall.FastApi.prepared_call

    def shifted(self: _fastcall.FastApi, context: int, func: int, values: int, *rest: int) -> Any:
        return real(self, context, func, values + 8, *rest)

    monkeypatch.setattr(_fastcall.FastApi, "prepared_call", shifted)
    api, reason = _fastcall._probe()
    assert api is None
    assert "self-test failed" in reason, reason

    # A field it relies on has gone: refused before anything runs.
    monkeypatch.setattr(_fastcall.FastApi, "prepared_call", real)
    monkeypatch.setattr(wasmtime.Memory, "__annotations__", {})
    api, reason = _fastcall._probe()
    assert api is None
    assert "no _memory field" in reason, reason


def test_public_api_env_var_forces_public_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMEXT_PUBLIC_API", "1")
    assert not Guest(module(ARENA), cache=False).instance().fast_calls
    monkeypatch.setenv("WASMEXT_PUBLIC_API", "0")
    assert Guest(module(ARENA), cache=False).fast_calls is _fastcall.AVAILABLE


def test_results_are_signed_and_unsigned_on_request(tools_guest: Guest) -> None:
    instance = tools_guest.instance()
    add = instance.function("add")
    assert add(2, 3) == 5
    assert add(0x7FFF_FFFF, 1) == -(2**31)
    assert add.unsigned(0x7FFF_FFFF, 1) == 2**31
    assert instance.call("echo64", 2**64 - 1) == -1
    assert instance.function("echo64").unsigned(-1) == 2**64 - 1
    assert instance.call("noop") is None
    assert instance.function("noop").unsigned() is None


@given(value=st.integers(min_value=-(2**31), max_value=2**32 - 1))
def test_i32_arguments_accept_signed_and_unsigned(tools_guest: Guest, value: int) -> None:
    function = tools_guest.instance().function("echo32")
    assert function.unsigned(value) == value % 2**32
    assert function(value) == (value + 2**31) % 2**32 - 2**31


@given(value=st.integers(min_value=-(2**63), max_value=2**64 - 1))
def test_i64_arguments_accept_signed_and_unsigned(tools_guest: Guest, value: int) -> None:
    function = tools_guest.instance().function("echo64")
    assert function.unsigned(value) == value % 2**64
    assert function(value) == (value + 2**63) % 2**64 - 2**63


@pytest.mark.parametrize(
    ("name", "value"),
    [("echo32", 2**32), ("echo32", -(2**31) - 1), ("echo64", 2**64), ("echo64", -(2**63) - 1)],
)
def test_out_of_range_arguments_are_refused(tools_guest: Guest, name: str, value: int) -> None:
    with pytest.raises(InvalidInput, match="does not fit"):
        tools_guest.instance().call(name, value)


@pytest.mark.parametrize("value", [1.0, "1", None, True, b"\x01"])
def test_non_int_arguments_are_refused(tools_guest: Guest, value: object) -> None:
    with pytest.raises(InvalidType, match="argument 0 must be an int"):
        tools_guest.instance().call("echo32", value)  # type: ignore[arg-type]


def test_index_types_are_accepted(tools_guest: Guest) -> None:
    instance = tools_guest.instance()
    assert instance.call("echo32", np.int32(-5)) == -5  # type: ignore[arg-type]
    assert instance.call("echo64", np.uint64(2**64 - 1)) == -1  # type: ignore[arg-type]


def test_wrong_argument_count(tools_guest: Guest) -> None:
    add = tools_guest.instance().function("add")
    with pytest.raises(InvalidType, match="takes 2 argument"):
        add(1)
    with pytest.raises(InvalidType, match="takes 2 argument"):
        add(1, 2, 3)


def test_unknown_export(tools_guest: Guest) -> None:
    with pytest.raises(InvalidInput, match=r"no function 'nope'.*bump_alloc"):
        tools_guest.instance().function("nope")
    with pytest.raises(InvalidInput):
        tools_guest.instance().function("memory")
    with pytest.raises(InvalidType):
        tools_guest.instance().function(["add"])  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["floaty", "pair"])
def test_unsupported_signatures_are_refused(tools_guest: Guest, name: str) -> None:
    with pytest.raises(InvalidModule, match=name):
        tools_guest.instance().function(name)


def test_function_handles_are_cached_and_described(tools_guest: Guest) -> None:
    instance = tools_guest.instance()
    add = instance.function("add")
    assert isinstance(add, Function)
    assert instance.function("add") is add
    assert str(add.signature) == "(i32, i32) -> i32"
    assert "add" in repr(add)
    assert tools_guest.functions["div"].params == ("i32", "i32")


def test_errors_share_the_root(tools_guest: Guest) -> None:
    with pytest.raises(WasmextError):
        tools_guest.instance().call("add", 1)
    with pytest.raises(TypeError):
        tools_guest.instance().call("add", 1)


def test_guest_loop_runs(tools_guest: Guest) -> None:
    total = (100_000 * 100_001 // 2) % 2**32
    assert tools_guest.instance().function("spin").unsigned(100_000) == total


def test_unavailable_fast_path_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fastcall, "AVAILABLE", False)
    guest = Guest(module(ARENA), cache=False, fast_calls=True)
    assert not guest.fast_calls
    instance = guest.instance()
    assert not instance.fast_calls
    assert instance.alloc(4) % 16 == 0
