"""Guest.bind(): where the interface comes from, and what a malformed one raises."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import bound_fixture
import pytest

from wasmext.errors import InvalidInput, InvalidModule, InvalidType
from wasmext.runtime import Guest


def _interface() -> dict[str, Any]:
    return copy.deepcopy(bound_fixture.INTERFACE)


def test_the_manifest_next_to_the_file(tmp_path: Path) -> None:
    path = bound_fixture.write(tmp_path)
    bound = Guest(path, cache=False).bind()
    assert bound.reverse(b"ab") == b"ba"
    assert Guest(path, cache=False).bind(tmp_path / "manifest.json").reverse(b"a") == b"a"
    assert Guest(path, cache=False).bind(str(tmp_path)).reverse(b"a") == b"a"
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert Guest(path, cache=False).bind(manifest).nothing() is None
    assert Guest(path, cache=False).bind(manifest["guests"][0]).nothing() is None


def test_no_interface_to_be_found_says_how_to_give_one(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"loaded from bytes.*Guest.bind\(interface=...\)"):
        Guest(bound_fixture.wasm(), cache=False).bind()
    path = tmp_path / "lonely.wasm"
    path.write_bytes(bound_fixture.wasm())
    with pytest.raises(InvalidInput, match=r"no manifest.json next to"):
        Guest(path, cache=False).bind()
    bound_fixture.write(tmp_path, "other")
    with pytest.raises(InvalidInput, match=r"lists no guest lonely.wasm"):
        Guest(path, cache=False).bind()
    with pytest.raises(InvalidType, match=r"interface must be a dict or the path"):
        Guest(path, cache=False).bind(42)  # type: ignore[arg-type]


def test_an_entry_without_interface(tmp_path: Path) -> None:
    path = bound_fixture.write(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    del manifest["guests"][0]["interface"]
    with pytest.raises(InvalidInput, match=r"has no 'interface'.*#\[guest_sdk::export\]"):
        Guest(path, cache=False).bind(manifest)


def test_a_manifest_of_other_bytes_is_refused(tmp_path: Path) -> None:
    path = bound_fixture.write(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["guests"][0]["sha256"] = "0" * 64
    with pytest.raises(InvalidModule, match=r"describes other bytes"):
        Guest(path, cache=False).bind(manifest)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.update(result="Vec<u16>"), "function 'reverse' .* type 'Vec<u16>'"),
        (lambda f: f["params"][0].update(type="&[u16]"), "function 'reverse' .* parameter 'data'"),
        (lambda f: f.update(error="Nope"), "function 'reverse' .* error enum 'Nope'"),
        (lambda f: f.update(name="no way"), "function 'no way' .* not an identifier"),
        (lambda f: f.pop("params"), "function 'reverse' .* no 'params'"),
        (lambda f: f.update(params="data"), "function 'reverse' .* 'params' must be a list"),
        (lambda f: f.update(name="_private"), "function '_private' .* underscore"),
        (lambda f: f["params"].append(f["params"][0]), "function 'reverse' .* share a name"),
        (lambda f: f.update(name="checksum"), "function 'checksum' .* taken twice"),
    ],
)
def test_a_malformed_interface_names_the_function(change: Any, message: str) -> None:
    interface = _interface()
    function = next(f for f in interface["functions"] if f["name"] == "reverse")
    change(function)
    with pytest.raises(InvalidModule, match=message):
        Guest(bound_fixture.wasm(), cache=False).bind(interface)


def test_an_interface_that_disagrees_with_the_exports(tmp_path: Path) -> None:
    interface = _interface()
    function = next(f for f in interface["functions"] if f["name"] == "add3")
    function["params"][1]["type"] = "i32"  # exported as i64
    with pytest.raises(InvalidModule, match=r"'add3' is exported as \(i32, i64, i64, i32\)"):
        Guest(bound_fixture.wasm(), cache=False).bind(interface)
    interface = _interface()
    interface["functions"].append({"name": "ghost", "params": [], "result": "()"})
    with pytest.raises(InvalidModule, match=r"'ghost' of the interface is not exported"):
        Guest(bound_fixture.wasm(), cache=False).bind(interface)


def test_malformed_error_enums() -> None:
    interface = _interface()
    interface["errors"][0]["variants"] = [{"name": f"V{i}"} for i in range(256)]
    with pytest.raises(InvalidModule, match=r"error enum 'MathError' .* at most 255"):
        Guest(bound_fixture.wasm(), cache=False).bind(interface)


def test_keywords_get_an_underscore() -> None:
    interface = _interface()
    function = next(f for f in interface["functions"] if f["name"] == "reverse")
    function["params"][0]["name"] = "from"
    bound = Guest(bound_fixture.wasm(), cache=False).bind(interface)
    assert bound.reverse(from_=b"ab") == b"ba"
