"""python -m wasmext bindgen: a typed module that is ruff- and mypy-clean, imports and calls."""

from __future__ import annotations

import array
import copy
import importlib
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import bound_fixture
import pytest

import wasmext
from wasmext._bindgen import render
from wasmext.errors import GuestError, InvalidModule

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "python" / "pyproject.toml"
TRICKY_DOCS = {
    "reverse": "returns the bytes of `data` in reverse order, which is a long first paragraph "
    "that goes on and on and cannot be one summary line\n\n"
    '```\nlet quote = """; let path = "C:\\\\dir";\n```\n\n' + "word " * 40,
    "nothing": "Does nothing at all",
    "flip": "# Heading first\n\nThen text.",
}


def _interface() -> dict[str, Any]:
    interface = copy.deepcopy(bound_fixture.INTERFACE)
    for function in interface["functions"]:
        if function["name"] in TRICKY_DOCS:
            function["doc"] = TRICKY_DOCS[function["name"]]
    return interface


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``mypkg/`` with the fixture's .wasm and the module the CLI wrote for it."""
    root = tmp_path_factory.mktemp("bindgen")
    package = root / "mypkg"
    package.mkdir()
    (package / "__init__.py").write_text('"""A user\'s package."""\n')
    bound_fixture.write(package)
    manifest = json.loads((package / "manifest.json").read_text())
    manifest["guests"][0]["interface"] = _interface()
    (package / "manifest.json").write_text(json.dumps(manifest))
    command = [sys.executable, "-m", "wasmext", "bindgen", str(package / "manifest.json")]
    command += ["--guest", "fixture", "-o", str(package / "fixture_api.py")]
    done = subprocess.run(command, capture_output=True, text=True, env=_env(), check=False)
    assert done.returncode == 0, done.stderr
    (package / "manifest.json").unlink()  # the module must not need it
    return package


def _env() -> dict[str, str]:
    env = dict(os.environ)
    source = Path(wasmext.__file__).resolve().parents[1]
    if "site-packages" not in source.parts:
        env["PYTHONPATH"] = str(source)
    return env


def _tool(name: str) -> Path:
    tool = Path(sys.executable).with_name(name)
    if not tool.is_file():
        pytest.skip(f"{name} is not installed next to {sys.executable}")
    return tool


def test_the_module_is_ruff_clean(package: Path) -> None:
    ruff = _tool("ruff")
    config = ["--config", str(PYPROJECT)] if PYPROJECT.is_file() else []
    for check in (["check"], ["format", "--check", "--diff"]):
        done = subprocess.run(
            [str(ruff), *check, *config, "fixture_api.py"],
            cwd=package,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_module_is_mypy_strict_clean(package: Path, tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    user = tmp_path / "use_it.py"
    user.write_text(
        "import array\n\n"
        "from mypkg import fixture_api\n\n"
        "out: bytes = fixture_api.reverse(b'abc')\n"
        "values = array.array('i', [1, 2])\n"
        "fixture_api.scale(values, 2)\n"
        "squares: 'array.array[int]' = fixture_api.squares(3)\n"
        "where: int | None = fixture_api.find(b'abc', 1)\n"
        "text: str = fixture_api.greet('you')\n"
        "try:\n"
        "    fixture_api.divide(1, 0)\n"
        "except fixture_api.DivideByZero:\n"
        "    pass\n"
    )
    env = _env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package.parent), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "mypy", "--strict", "--python-version", "3.10"]
    command += ["--cache-dir", str(tmp_path / "cache"), str(package / "fixture_api.py"), str(user)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_module_imports_and_calls(package: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(package.parent))
    try:
        api: Any = importlib.import_module("mypkg.fixture_api")
        assert api.reverse(b"abc") == b"cba"
        assert api.greet("you") == "hi, you"
        values = array.array("i", [1, 2])
        api.scale(values, 3)
        assert values == array.array("i", [3, 6])
        assert api.squares(3) == array.array("q", [0, 1, 4])
        assert api.find(b"abc", ord("b")) == 1
        with pytest.raises(api.DivideByZero, match="DivideByZero") as raised:
            api.divide(1, 0)
        assert isinstance(raised.value, api.MathError)
        assert isinstance(raised.value, GuestError)
        assert isinstance(raised.value, ValueError)
        assert pickle.loads(pickle.dumps(api.reverse)) is api.reverse
        assert pickle.loads(pickle.dumps(raised.value)).args == raised.value.args
        assert api.flip.__doc__.startswith("Call the guest's ``flip``.")
        assert "```" in api.reverse.__doc__
        assert str(api.GUEST.name) == "fixture.wasm"
    finally:
        for name in ("mypkg", "mypkg.fixture_api"):
            sys.modules.pop(name, None)


def test_names_that_would_shadow_the_module_are_refused() -> None:
    interface = copy.deepcopy(bound_fixture.INTERFACE)
    interface["functions"][0]["name"] = "functools"
    with pytest.raises(InvalidModule, match="'functools' would shadow"):
        render(interface, "fixture", "fixture_api")


def test_the_cli_reports_problems(tmp_path: Path) -> None:
    bound_fixture.write(tmp_path)
    shutil.copy(tmp_path / "manifest.json", tmp_path / "copy.json")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "wasmext", "bindgen", *args]
        return subprocess.run(command, capture_output=True, text=True, env=_env(), check=False)

    done = run(str(tmp_path))
    assert done.returncode == 0
    assert "def reverse(data: Buffer) -> bytes:" in done.stdout
    done = run(str(tmp_path), "--guest", "nope")
    assert done.returncode == 2
    assert "no guest 'nope' (listed: fixture)" in done.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    del manifest["guests"][0]["interface"]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    done = run(str(tmp_path))
    assert done.returncode == 1
    assert "has no interface" in done.stderr
    manifest["guests"][0]["interface"] = {"functions": [{"name": "f"}]}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    done = run(str(tmp_path))
    assert done.returncode == 1
    assert "function 'f' of the interface: no 'params'" in done.stderr
