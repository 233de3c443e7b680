"""Cold start: a whole new process that imports wasmext and makes its first Monocypher call.

Each contender is a fresh interpreter (this venv's), timed from spawn to exit, run from an
empty directory so the source tree can't shadow the installed package.  The module cache is
either warm (a run before filled it) or unusable (its directory can't be created, so the
module is compiled by Cranelift every time, as on a first run or with a read-only home).
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from suite import Context, expect
from wasmext import monocypher as mc

GROUP = "cold start"
NAME = "new process, first Monocypher call"

PYTHON = "Python alone"
WASMTIME = "import wasmtime"
CACHED = "first call, module cache warm"
UNCACHED = "first call, no module cache"

#: Where wasmext keeps compiled modules (documented on ``wasmext.runtime.Guest``).
CACHE_DIR_ENV = "WASMEXT_CACHE_DIR"

FIRST_CALL = """\
from wasmext import monocypher
from wasmext.runtime import bundled
mac = monocypher.aead_lock(bytes(64), bytes(32), nonce=bytes(24))[0]
print(mac.hex(), bundled("monocypher").origin)
"""


def _process(code: str, cwd: Path, cache: Path | None = None) -> str:
    env = dict(os.environ)
    if cache is not None:
        env[CACHE_DIR_ENV] = str(cache)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the cold-start process failed:\n{done.stderr}")
    return done.stdout.strip()


def run(ctx: Context) -> None:
    """Time whole processes: the interpreter, wasmtime's import, and wasmext's first call."""
    if not ctx.selected(GROUP, NAME):
        return
    with tempfile.TemporaryDirectory(prefix="wasmext-bench-") as scratch:
        cwd = Path(scratch)
        warm = cwd / "cache"
        blocker = cwd / "not-a-directory"
        blocker.write_bytes(b"")
        unusable = blocker / "cache"
        contenders = {
            WASMTIME: functools.partial(_process, "import wasmtime", cwd),
            PYTHON: functools.partial(_process, "pass", cwd),
            CACHED: functools.partial(_process, FIRST_CALL, cwd, warm),
            UNCACHED: functools.partial(_process, FIRST_CALL, cwd, unusable),
        }
        mac = mc.aead_lock(bytes(64), bytes(32), nonce=bytes(24))[0].hex()
        expect(f"{GROUP}: filling the cache", contenders[CACHED](), f"{mac} compiled")
        expect(f"{GROUP}: {CACHED}", contenders[CACHED](), f"{mac} disk-cache")
        expect(f"{GROUP}: {UNCACHED}", contenders[UNCACHED](), f"{mac} compiled")
        ctx.measure(
            GROUP,
            NAME,
            contenders,
            comparisons=[(CACHED, WASMTIME), (UNCACHED, WASMTIME)],
            note="spawn to exit; AEAD lock of 64 B as the first call",
            process_rounds=True,
        )
