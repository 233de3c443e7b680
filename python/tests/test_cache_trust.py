"""The module cache's trust model (issue 17): what another account could write is never run.

Each attack plants, under the genuine artifact's exact key and with a correct header and
sha256, the serialized form of a *different* module: its ``answer`` returns 666 instead of
42. The cache must not use it, and the guest must still answer 42, compiled. "Another
account" is uid 65534 (nobody), set with chown, so those cases need root (as in CI).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import wasmtime
from conftest import ARENA, module

import wasmext
from wasmext import _cache, _fastcall, _module
from wasmext._cache import ModuleCache, cache_key
from wasmext.runtime import Guest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX ownership and modes")

OTHER_UID = 65534
# Giving a file to another account takes root (the suite runs as root in CI).
as_root = pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() != 0, reason="chown to another uid needs root"
)
GENUINE = module(ARENA, '(func (export "answer") (result i32) (i32.const 42))')
DOCTORED = module(ARENA, '(func (export "answer") (result i32) (i32.const 666))')
KEY = cache_key(Guest(GENUINE, cache=False).sha256, _fastcall.WASMTIME_VERSION)


def _ids(value: object) -> str:
    """Show modes in octal and uids by name in test ids."""
    if value == OTHER_UID:
        return "nobody"
    if value is None:
        return "mine"
    return f"{value:04o}" if isinstance(value, int) else str(value)


def _load(directory: Path) -> Guest:
    """A guest for GENUINE whose module can only come from ``directory`` or the compiler."""
    _module.forget_loaded_modules()
    return Guest(GENUINE, cache=directory).load()


def _load_recording_warnings(directory: Path) -> tuple[Guest, list[str]]:
    """Like :func:`_load`, plus the messages of the RuntimeWarnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        guest = _load(directory)
    return guest, [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def _answer(guest: Guest) -> int:
    return guest.new_instance().call("answer")  # type: ignore[no-any-return]


def _doctored_entry(staging: Path) -> bytes:
    """A well-formed entry (header, sha256) for GENUINE's key holding DOCTORED's code."""
    payload = bytes(wasmtime.Module(_module.engine(), DOCTORED).serialize())
    assert ModuleCache(staging).store(KEY, payload)
    return (staging / KEY).read_bytes()


def _plant(directory: Path, staging: Path) -> Path:
    directory.mkdir(exist_ok=True)
    entry = directory / KEY
    entry.write_bytes(_doctored_entry(staging))
    entry.chmod(0o600)
    return entry


@pytest.fixture
def no_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _assert_replaced_by_genuine(entry: Path) -> None:
    """The store after the miss wrote a private regular file, which the next load uses."""
    status = entry.lstat()
    assert entry.is_file()
    assert not entry.is_symlink()
    assert (status.st_uid, status.st_mode & 0o777) == (os.geteuid(), 0o600)
    guest = _load(entry.parent)
    assert (guest.origin, _answer(guest)) == ("disk-cache", 42)


def test_a_planted_entry_in_a_trusted_directory_is_used(tmp_path: Path) -> None:
    # The premise of every test below: the cache trusts what the user could have written,
    # and the planted entry is good enough to be run if trusted.
    cache = tmp_path / "cache"
    _plant(cache, tmp_path / "staging")
    guest = _load(cache)
    assert (guest.origin, _answer(guest)) == ("disk-cache", 666)


@as_root
@pytest.mark.parametrize(("owner", "mode"), [(OTHER_UID, 0o777), (OTHER_UID, 0o755)], ids=_ids)
def test_a_directory_owned_by_another_account_is_not_used(
    tmp_path: Path, owner: int, mode: int
) -> None:
    shared = tmp_path / "shared"
    entry = _plant(shared, tmp_path / "staging")
    planted = entry.read_bytes()
    os.chown(shared, owner, -1)
    shared.chmod(mode)
    guest, warned = _load_recording_warnings(shared)
    assert (guest.origin, _answer(guest)) == ("compiled", 42)
    assert len(warned) == 1
    assert re.search(rf"{re.escape(str(shared))}.*owned by uid {owner}", warned[0])
    # Not used at all: the compiled module was not stored there either.
    assert sorted(shared.iterdir()) == [entry]
    assert entry.read_bytes() == planted
    # One warning per directory per process.
    guest, warned = _load_recording_warnings(shared)
    assert (guest.origin, warned) == ("compiled", [])


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o720, 0o1777], ids=_ids)
def test_a_directory_others_can_write_is_not_used(tmp_path: Path, mode: int) -> None:
    shared = tmp_path / "shared"
    entry = _plant(shared, tmp_path / "staging")
    shared.chmod(mode)
    guest, warned = _load_recording_warnings(shared)
    assert (guest.origin, _answer(guest)) == ("compiled", 42)
    assert len(warned) == 1
    assert re.search(rf"{re.escape(str(shared))} is writable by its group or others", warned[0])
    assert sorted(shared.iterdir()) == [entry]


@pytest.mark.parametrize(
    ("owner", "mode"),
    [
        pytest.param(OTHER_UID, 0o600, marks=as_root),
        (None, 0o666),
        (None, 0o620),
        pytest.param(OTHER_UID, 0o644, marks=as_root),
    ],
    ids=_ids,
)
def test_an_entry_another_account_could_write_is_a_miss(
    tmp_path: Path, owner: int | None, mode: int, no_warnings: None
) -> None:
    cache = tmp_path / "cache"
    entry = _plant(cache, tmp_path / "staging")
    if owner is not None:
        os.chown(entry, owner, -1)
    entry.chmod(mode)
    guest = _load(cache)
    assert (guest.origin, _answer(guest)) == ("compiled", 42)
    _assert_replaced_by_genuine(entry)


@pytest.mark.parametrize("target", ["doctored entry", "/dev/zero"])
def test_an_entry_that_is_a_symbolic_link_is_not_followed(
    tmp_path: Path, target: str, no_warnings: None
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    if target == "/dev/zero":
        pointee = Path("/dev/zero")
    else:
        pointee = _plant(tmp_path / "elsewhere", tmp_path / "staging")
    planted = pointee.read_bytes() if pointee.is_file() else None
    (cache / KEY).symlink_to(pointee)
    # In a child with a small address space: following the link to /dev/zero would
    # otherwise read until this machine runs out of memory.
    assert _load_in_child(cache) == "compiled 42"
    _assert_replaced_by_genuine(cache / KEY)
    if planted is not None:
        assert pointee.read_bytes() == planted  # the store replaced the link, not its target


def test_a_fifo_entry_does_not_block(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    os.mkfifo(cache / KEY, 0o600)
    assert _load_in_child(cache) == "compiled 42"
    _assert_replaced_by_genuine(cache / KEY)


def test_an_oversized_entry_is_not_read(tmp_path: Path, no_warnings: None) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    with open(cache / KEY, "wb") as sparse:
        sparse.truncate(_cache.MAX_ENTRY_BYTES + 1)
    (cache / KEY).chmod(0o600)
    assert _load(cache).origin == "compiled"
    _assert_replaced_by_genuine(cache / KEY)


@pytest.mark.parametrize(
    ("owner", "mode", "problem"),
    [
        (None, 0o777, "writable by its group or others and not sticky"),
        (None, 0o775, "writable by its group or others and not sticky"),
        pytest.param(OTHER_UID, 0o755, f"owned by uid {OTHER_UID}", marks=as_root),
    ],
    ids=["0777", "0775", "other-owner"],
)
def test_a_directory_inside_one_others_can_change_is_not_used(
    tmp_path: Path, owner: int | None, mode: int, problem: str
) -> None:
    # Whoever can write the parent can rename the private cache away and put theirs there.
    parent = tmp_path / "parent"
    cache = parent / "cache"
    parent.mkdir()
    entry = _plant(cache, tmp_path / "staging")
    cache.chmod(0o700)
    if owner is not None:
        os.chown(parent, owner, -1)
    parent.chmod(mode)
    guest, warned = _load_recording_warnings(cache)
    assert (guest.origin, _answer(guest)) == ("compiled", 42)
    assert len(warned) == 1
    assert re.search(rf"{re.escape(str(parent))}.*{problem}", warned[0])
    assert sorted(cache.iterdir()) == [entry]


def test_a_private_directory_in_a_sticky_one_is_used(tmp_path: Path, no_warnings: None) -> None:
    sticky = tmp_path / "tmp"
    sticky.mkdir()
    sticky.chmod(0o1777)
    cache = sticky / "mine"
    assert _load(cache).origin == "compiled"
    _assert_replaced_by_genuine(cache / KEY)


def test_a_missing_directory_is_created_private_and_then_used(
    tmp_path: Path, no_warnings: None
) -> None:
    cache = tmp_path / "a" / "b" / "cache"
    old_umask = os.umask(0o002)  # parents made with the umask's mode would be group-writable
    try:
        guest = _load(cache)
    finally:
        os.umask(old_umask)
    assert (guest.origin, _answer(guest)) == ("compiled", 42)
    for directory in (tmp_path / "a", tmp_path / "a" / "b", cache):
        assert directory.stat().st_mode & 0o777 == 0o700
    _assert_replaced_by_genuine(cache / KEY)


def test_a_symbolic_link_to_a_private_directory_is_followed(
    tmp_path: Path, no_warnings: None
) -> None:
    (tmp_path / "real").mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "real")
    assert _load(link).origin == "compiled"
    assert _load(link).origin == "disk-cache"
    assert (tmp_path / "real" / KEY).is_file()


def _load_in_child(directory: Path) -> str:
    """Load GENUINE from ``directory`` in a child process: ``"<origin> <answer>"``.

    A hang or a runaway read then fails this test instead of stalling or sinking the run.
    """
    script = textwrap.dedent(
        f"""
        import resource
        from pathlib import Path
        from wasmext.runtime import Guest

        # Reading /dev/zero into memory must fail fast, not exhaust the machine.
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, hard))
        guest = Guest({GENUINE!r}, cache=Path({str(directory)!r})).load()
        # Instances reserve 4 GiB of address space for their memory.
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        print(guest.origin, guest.new_instance().call("answer"))
        """
    )
    package_root = str(Path(wasmext.__file__).parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([package_root, *sys.path])}
    try:
        child = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("loading from the cache blocked for 60 s")
    assert child.returncode == 0, child.stderr
    return child.stdout.strip()
