"""Every ``python`` snippet of README.md and docs/*.md, run against the installed wheel.

Snippets whose first line names a scaffold file (``# python/wasmext/mine.py``) are that
file's text for a guest named ``mine``; xtask's unit tests compare them with the templates.
A snippet headed ``# mypkg/...`` is a file of the user's own package: it is written into a
temporary package next to copies of the shipped artifacts (what ``--out`` does), then imported.
"""

from __future__ import annotations

import importlib
import re
import shutil
import sys
from pathlib import Path

import pytest
from conftest import require_bundled

from wasmext.runtime import GUESTS_DIR

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
#: README.md first, then every Markdown file of docs/ (the snippets follow their files).
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_SCAFFOLD = re.compile(r"# (python|guests|host-test)/")
_USER_FILE = re.compile(r"# (mypkg/[\w/]+\.py)\n")


def _snippets() -> list[tuple[str, str]]:
    """``(where, source)`` of every snippet to run, ``where`` being ``path:line``."""
    if not README.is_file():
        return []
    snippets: list[tuple[str, str]] = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            if not _SCAFFOLD.match(match.group(1)):
                line = text.count("\n", 0, match.start()) + 2
                snippets.append((f"{doc.relative_to(ROOT).as_posix()}:{line}", match.group(1)))
    return snippets


SNIPPETS = _snippets()


def test_readme_has_snippets() -> None:
    if not README.is_file():
        pytest.skip("README.md is not next to the tests (an installed copy of them)")
    assert len(SNIPPETS) >= 5


@pytest.mark.parametrize(("where", "source"), SNIPPETS, ids=[where for where, _ in SNIPPETS])
def test_snippet_runs(
    where: str, source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("twosum", "monocypher"):
        require_bundled(name)
    user_file = _USER_FILE.match(source)
    if user_file is None:
        exec(compile(source, where, "exec"), {"__name__": "readme_snippet"})
        return
    path = tmp_path / user_file.group(1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    shutil.copytree(GUESTS_DIR, path.parent / "guests")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = path.relative_to(tmp_path).with_suffix("").as_posix().replace("/", ".")
    module = module.removesuffix(".__init__")
    try:
        importlib.import_module(module)
    finally:
        sys.modules.pop(module, None)
