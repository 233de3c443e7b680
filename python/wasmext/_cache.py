"""On-disk cache of precompiled (serialized) wasmtime modules.

Compiling a module with Cranelift takes tens of milliseconds; deserializing a
precompiled one takes about one.  Entries are keyed by the artifact's sha256, the
wasmtime version and the host, because a serialized module is only valid for the
exact engine build and CPU family that produced it.

wasmtime trusts serialized bytes completely (deserializing garbage is undefined
behaviour), so every entry carries a sha256 of its payload and is verified before
it reaches wasmtime.  That is also why entries are read into memory and passed to
``Module.deserialize`` rather than mapped with ``Module.deserialize_file``: the file
would have to be read for the check anyway, and checking one copy but mapping
another would leave a window for the file to change in between.  Any unreadable,
truncated or corrupt entry is treated as a miss and rewritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import sys
import tempfile
from pathlib import Path

__all__ = ["CACHE_DIR_ENV", "ModuleCache", "cache_key", "default_cache_dir"]

#: Environment variable naming the cache directory; overrides the platform default.
CACHE_DIR_ENV = "WASMEXT_CACHE_DIR"

_MAGIC = b"WASMEXT-CWASM-1\n"
_DIGEST_BYTES = 32
_HEADER_BYTES = len(_MAGIC) + _DIGEST_BYTES
# Bump when the engine configuration changes: it is part of what a payload depends on.
_ENGINE_CONFIG_TAG = "cfg2"  # cfg2: memory_may_move off


def default_cache_dir() -> Path:
    """The per-user cache directory: ``$WASMEXT_CACHE_DIR`` or the platform's cache home."""
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "wasmext" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "wasmext"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wasmext"


def cache_key(wasm_sha256: str, wasmtime_version: str) -> str:
    """File name of the entry for one artifact under one engine build on this host."""
    host = f"{platform.system()}-{platform.machine()}".lower()
    parts = (wasm_sha256, f"wasmtime-{wasmtime_version}", host, _ENGINE_CONFIG_TAG)
    return "-".join(part.replace(os.sep, "_") for part in parts) + ".cwasm"


class ModuleCache:
    """A directory of verified serialized modules; every failure degrades to a miss."""

    def __init__(self, directory: Path) -> None:
        """Use ``directory`` (created on first store)."""
        self.directory = Path(directory)

    def path(self, key: str) -> Path:
        """Where the entry for ``key`` lives."""
        return self.directory / key

    def load(self, key: str) -> bytes | None:
        """The verified payload stored under ``key``, or ``None`` if missing or corrupt."""
        try:
            blob = self.path(key).read_bytes()
        except OSError:
            return None
        if len(blob) < _HEADER_BYTES or not blob.startswith(_MAGIC):
            return None
        digest = blob[len(_MAGIC) : _HEADER_BYTES]
        payload = blob[_HEADER_BYTES:]
        if hashlib.sha256(payload).digest() != digest:
            return None
        return payload

    def store(self, key: str, payload: bytes) -> bool:
        """Atomically write ``payload`` under ``key``; ``False`` if the cache is unwritable."""
        temporary = None
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=self.directory)
            with os.fdopen(handle, "wb") as file:
                file.write(_MAGIC)
                file.write(hashlib.sha256(payload).digest())
                file.write(payload)
                file.flush()
                os.fsync(file.fileno())
            # Readers see either the old entry or the complete new one, never a torn write.
            os.replace(temporary, self.path(key))
            return True
        except OSError:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
            return False
