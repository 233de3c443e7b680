"""What the numbers were measured on: machine, versions, commit and the exact artifacts."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from wasmext import _fastcall
from wasmext.runtime import GUESTS_DIR, bundled

__all__ = ["REPOSITORY", "artifacts", "describe"]

REPOSITORY = Path(__file__).resolve().parents[2]
#: Distributions whose versions the report records (the compared libraries and the tools).
_DISTRIBUTIONS = (
    "wasmext",
    "wasmtime",
    "pymonocypher",
    "PyNaCl",
    "cryptography",
    "argon2-cffi",
    "numpy",
    "matplotlib",
)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(REPOSITORY), *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _openssl() -> str | None:
    try:
        from cryptography.hazmat.backends.openssl import backend
    except ImportError:
        return None
    return str(backend.openssl_version_text())


def describe() -> dict[str, object]:
    """The machine and the software the run measured."""
    commit = _git("rev-parse", "HEAD")
    changes = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "git_commit": commit,
        "git_dirty": bool(changes) if changes is not None else None,
        "fast_calls": _fastcall.AVAILABLE,
        "fast_calls_reason": _fastcall.REASON,
        "versions": {name: _version(name) for name in _DISTRIBUTIONS},
        "openssl": _openssl(),
    }


def artifacts(profiles: Path) -> list[dict[str, object]]:
    """The shipped artifacts (checked against the bytes actually loaded) and both profiles."""
    shipped = json.loads((GUESTS_DIR / "manifest.json").read_text(encoding="utf-8"))
    found: list[dict[str, object]] = []
    for entry in shipped["guests"]:
        loaded = bundled(entry["name"]).sha256
        if loaded != entry["sha256"]:
            raise RuntimeError(
                f"{entry['file']} is not the artifact its manifest describes "
                f"(sha256 {loaded} against {entry['sha256']}): rebuild with `cargo xtask build`"
            )
        found.append(_summary(entry, "shipped"))
    for manifest in sorted(profiles.glob("*/manifest.json")):
        for entry in json.loads(manifest.read_text(encoding="utf-8"))["guests"]:
            found.append(_summary(entry, f"profiles/{manifest.parent.name}"))
    return found


def _summary(entry: dict[str, object], where: str) -> dict[str, object]:
    keys = ("name", "profile", "bytes", "sha256")
    return {"where": where, **{key: entry[key] for key in keys}}
