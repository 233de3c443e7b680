"""On-disk cache of precompiled (serialized) wasmtime modules.

Compiling a module with Cranelift takes tens of milliseconds; deserializing a
precompiled one takes about one.  Entries are keyed by the artifact's sha256, the
wasmtime version and the host, because a serialized module is only valid for the
exact engine build and CPU family that produced it.

wasmtime trusts serialized bytes completely: deserializing bytes it did not produce is
undefined behaviour, and a doctored entry is native code that runs in this process.
A checksum cannot tell a genuine entry from one an attacker wrote with a matching
checksum, so trust comes from who can write the bytes.  On POSIX systems an entry is
used only if nobody but the current effective user (or root) could have written it:

* the directory is owned by the user or root and is not group- or world-writable, and
  every ancestor up to ``/`` is owned by the user or root and is either not group- or
  world-writable or sticky (so ``/tmp/mine`` is fine, ``/tmp`` itself is not).  A
  missing directory is created with mode 0700, parents included.  A directory that
  fails the check is not used at all (no load, no store): a :class:`RuntimeWarning`
  names it and the reason, once per directory per process, and modules are compiled in
  memory.  It is resolved once per operation, and its real path is what gets used, so
  a symbolic link on the way is followed only while checking;
* an entry is opened without following a symbolic link or blocking (a FIFO), and must
  be a regular file owned by the user or root, not group- or world-writable, of at most
  :data:`MAX_ENTRY_BYTES`, read back at exactly the size it had when opened.

Anything else is a miss: the module is compiled and the entry atomically replaced.
Nothing in here raises.  On Windows there are no ownership or mode checks: the cache
relies on the per-user profile directory's ACLs, as the default location does.

Each entry also carries a sha256 of its payload, verified before it reaches wasmtime;
it catches corruption (a torn disk, a truncated copy), not tampering.  That is also
why entries are read into memory and passed to ``Module.deserialize`` rather than
mapped with ``Module.deserialize_file``: the file would have to be read for the check
anyway, and checking one copy but mapping another would leave a window for the file to
change in between.
"""

from __future__ import annotations

import contextlib
import os
import platform
import stat
import sys
import warnings
from pathlib import Path

from ._sha256 import sha256

__all__ = ["CACHE_DIR_ENV", "MAX_ENTRY_BYTES", "ModuleCache", "cache_key", "default_cache_dir"]

#: Environment variable naming the cache directory; overrides the platform default.
CACHE_DIR_ENV = "WASMEXT_CACHE_DIR"
#: Larger entries are ignored unread (real ones are a few MiB).
MAX_ENTRY_BYTES = 512 << 20

_MAGIC = b"WASMEXT-CWASM-1\n"
_DIGEST_BYTES = 32
_HEADER_BYTES = len(_MAGIC) + _DIGEST_BYTES
# Bump when the engine configuration changes: it is part of what a payload depends on.
_ENGINE_CONFIG_TAG = "cfg2"  # cfg2: memory_may_move off

_WRITABLE_BY_OTHERS = stat.S_IWGRP | stat.S_IWOTH
# No symbolic link is followed and a FIFO or device cannot block the open; the flags a
# platform lacks are 0 (Windows has no O_NOFOLLOW, but needs O_BINARY).
_ENTRY_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
# Directories already warned about in this process.  Cache calls from the loader are
# serialized by its lock; a race elsewhere could at worst warn twice.
_warned: set[str] = set()


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


def cache_key(wasm_sha256: str, wasmtime_version: str, variant: str = "") -> str:
    """File name of the entry for one artifact under one engine build on this host.

    ``variant`` names what the engine's code does besides running (``"epoch"``, ``"fuel"``…,
    see :func:`wasmext._module.variant`); the plain variant keeps the key it always had.
    """
    host = f"{platform.system()}-{platform.machine()}".lower()
    tag = f"{_ENGINE_CONFIG_TAG}+{variant}" if variant else _ENGINE_CONFIG_TAG
    parts = (wasm_sha256, f"wasmtime-{wasmtime_version}", host, tag)
    return "-".join(part.replace(os.sep, "_") for part in parts) + ".cwasm"


class _Untrusted(Exception):
    """Another account could write the cache directory; the message says how."""


def _trusted_owner(uid: int) -> bool:
    # Root can replace anything this process runs anyway, so a root-owned (say,
    # pre-warmed, read-only) cache is no weaker than one of our own.
    return uid in (0, os.geteuid())


def _problem(path: Path, status: os.stat_result, sticky_is_enough: bool) -> str | None:
    """How another account could change what directory ``path`` holds, or ``None``.

    In a sticky directory others can add names but not replace or remove ours: enough for
    an ancestor, whose only name that matters is ours, not for the cache, where any new
    name could be an entry.
    """
    if not _trusted_owner(status.st_uid):
        euid = os.geteuid()
        return f"{path} is owned by uid {status.st_uid}, not by this user (uid {euid}) or root"
    mode = status.st_mode
    if mode & _WRITABLE_BY_OTHERS and not (sticky_is_enough and mode & stat.S_ISVTX):
        sticky = " and not sticky" if sticky_is_enough else ""
        return f"{path} is writable by its group or others{sticky} (mode {mode & 0o7777:o})"
    return None


def _create_private(directory: Path) -> None:
    """Create ``directory`` and its missing parents with mode 0700.

    ``Path.mkdir(parents=True)`` would create the parents with the umask's mode, which
    under a umask of 002 makes them group-writable, and the check then refuse them.
    """
    for path in [*reversed(directory.parents), directory]:
        if not path.is_dir():
            with contextlib.suppress(FileExistsError):
                os.mkdir(path, 0o700)


def _trusted_directory(directory: Path, create: bool) -> Path:
    """The real path of ``directory`` if only the user or root can write to it.

    Raises :class:`_Untrusted` if another account could, and :class:`OSError` if it is
    missing (and not ``create``) or cannot be created or inspected.
    """
    absolute = Path(os.path.abspath(directory))
    if create:
        _create_private(absolute)
    real = Path(os.path.realpath(absolute))
    status = os.stat(real)
    if not stat.S_ISDIR(status.st_mode):
        raise NotADirectoryError(f"{real} is not a directory")
    problem = _problem(real, status, sticky_is_enough=False)
    for ancestor in real.parents:
        if problem is not None:
            break
        # lstat: the path is resolved already, so a link here means it just changed.
        status = os.lstat(ancestor)
        if stat.S_ISLNK(status.st_mode):
            problem = f"{ancestor} became a symbolic link while being checked"
        else:
            problem = _problem(ancestor, status, sticky_is_enough=True)
    if problem is not None:
        raise _Untrusted(problem)
    return real


def _warn_untrusted(directory: Path, reason: str) -> None:
    name = os.path.abspath(directory)
    if name in _warned:
        return
    _warned.add(name)
    warnings.warn(
        f"wasmext is not using the module cache in {name}, which another account could "
        f"write to: {reason}. Modules are compiled in memory instead; remove the group "
        f"and world write permission, or set {CACHE_DIR_ENV} to a private directory.",
        RuntimeWarning,
        stacklevel=2,
    )


def _read_entry(path: Path) -> bytes | None:
    """The bytes of the entry at ``path`` if it passes the entry rules, else ``None``."""
    descriptor = os.open(path, _ENTRY_OPEN_FLAGS)
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_ENTRY_BYTES:
            return None
        if sys.platform != "win32" and (
            not _trusted_owner(status.st_uid) or status.st_mode & _WRITABLE_BY_OTHERS
        ):
            return None
        # One byte more than expected shows a file that grew since the fstat.
        with os.fdopen(descriptor, "rb", closefd=False) as file:
            blob = file.read(status.st_size + 1)
    finally:
        os.close(descriptor)
    return blob if len(blob) == status.st_size else None


class ModuleCache:
    """A directory of verified serialized modules; every failure degrades to a miss."""

    def __init__(self, directory: Path) -> None:
        """Use ``directory`` (created on first store, if trusted: see the module docs)."""
        self.directory = Path(directory)

    def path(self, key: str) -> Path:
        """Where the entry for ``key`` lives."""
        return self.directory / key

    def _usable_directory(self, create: bool) -> Path | None:
        """The directory to read and write entries in, or ``None`` to bypass the cache."""
        if sys.platform == "win32":
            # No ownership checks: the per-user profile directory's ACLs protect it.
            if create:
                try:
                    self.directory.mkdir(parents=True, exist_ok=True)
                except OSError:
                    return None
            return self.directory
        try:
            return _trusted_directory(self.directory, create)
        except _Untrusted as refusal:
            _warn_untrusted(self.directory, str(refusal))
        except OSError:
            pass  # missing, or cannot be created: a plain miss, as for an unwritable cache
        return None

    def load(self, key: str) -> bytes | None:
        """The verified payload stored under ``key``, or ``None`` for any kind of miss."""
        directory = self._usable_directory(create=False)
        if directory is None:
            return None
        try:
            blob = _read_entry(directory / key)
        except (OSError, MemoryError):
            return None
        if blob is None or len(blob) < _HEADER_BYTES or not blob.startswith(_MAGIC):
            return None
        digest = blob[len(_MAGIC) : _HEADER_BYTES]
        payload = blob[_HEADER_BYTES:]
        if sha256(payload).digest() != digest:
            return None
        return payload

    def store(self, key: str, payload: bytes) -> bool:
        """Atomically write ``payload`` under ``key``; ``False`` if unwritable or untrusted."""
        directory = self._usable_directory(create=True)
        if directory is None:
            return False
        # Here, not at the top: only a cache miss writes, and tempfile (with shutil and
        # random) would cost every process a few milliseconds of its first call.
        import tempfile

        temporary = None
        try:
            # mkstemp creates the file 0600, exclusively, without following links.
            handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=directory)
            with os.fdopen(handle, "wb") as file:
                file.write(_MAGIC)
                file.write(sha256(payload).digest())
                file.write(payload)
                file.flush()
                os.fsync(file.fileno())
            # Readers see either the old entry or the complete new one, never a torn write;
            # a link, FIFO or foreign file at the entry's name is replaced, not written through.
            os.replace(temporary, directory / key)
            return True
        except OSError:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
            return False
