"""Pickling: what crosses into another process and what refuses to.

A Guest pickles as its source (bundled name, path or bytes) and the sha256 of the bytes it
loaded, and refuses to unpickle onto other bytes; a TwoSum or a Monocypher pickles as a fresh
object of the same guest; instances, function handles and the incremental objects (secret
contexts) refuse. Then the bundled APIs and pickled solvers are mapped over inputs by
``ProcessPoolExecutor`` pools that spawn or forkserver, and by a Dask ``LocalCluster`` of two
worker processes, and their results compared with the local ones.

Every function the children run is wasmext's own (``wasmext.twosum.twosum``,
``wasmext.monocypher.blake2b``, a pickled object's bound method), so a child needs nothing
of the test harness: it imports wasmext from the parent's ``sys.path`` (spawn and forkserver
hand it over; Dask's nannies spawn too) or from the installed wheel.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import multiprocessing
import os
import pickle
import random
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import ARENA, TOOLS, module, require_bundled, tally, twosum_reference

from wasmext import InvalidModule, InvalidType
from wasmext import monocypher as mc
from wasmext.monocypher import Monocypher
from wasmext.runtime import GUESTS_DIR, Guest, bundled
from wasmext.twosum import TwoSum, twosum

POOL_TIMEOUT = 300  # seconds: a stuck child fails the test instead of hanging the run
START_METHODS = [m for m in ("spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]


@pytest.fixture(autouse=True)
def _artifacts() -> None:
    require_bundled("monocypher")
    require_bundled("twosum")


def _round_trip(obj: Any) -> Any:
    return pickle.loads(pickle.dumps(obj))


def _inputs(seed: int) -> tuple[list[list[int]], list[int], list[bytes]]:
    """Two-sum partitions (half with a pair, some long enough for the guest) and messages."""
    rng = random.Random(seed)
    partitions, targets = [], []
    for index in range(8):
        values = [rng.randrange(-(10**6), 10**6) for _ in range(rng.choice((10, 300, 3000)))]
        partitions.append(values)
        targets.append(values[3] + values[-2] if index % 2 else rng.randrange(3 * 10**6, 10**7))
    messages = [rng.randbytes(rng.randrange(5000)) for _ in range(8)]
    return partitions, targets, messages


# ------------------------------------------------------------------------------ Guest


def test_a_bundled_guest_unpickles_as_the_process_wide_one() -> None:
    guest = bundled("twosum")
    blob = pickle.dumps(guest)
    assert len(blob) < 200  # the name and the hash, not the module
    assert pickle.loads(blob) is guest


def test_a_guest_from_a_file_pickles_as_its_path_its_hash_and_its_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wasm = module(ARENA, TOOLS)
    (tmp_path / "tools.wasm").write_bytes(wasm)
    cache = tmp_path / "cache"
    with monkeypatch.context() as patch:
        patch.chdir(tmp_path)  # relative paths pickle as absolute ones
        guest = Guest("tools.wasm", max_memory=1 << 20, cache="cache", fast_calls=False)
    blob = pickle.dumps(guest)
    assert wasm not in blob
    copied = pickle.loads(blob)
    assert copied is not guest
    assert (copied.name, copied.sha256, copied.max_memory) == ("tools.wasm", guest.sha256, 1 << 20)
    assert copied.fast_calls is False
    assert copied._cache is not None
    assert copied._cache.directory == cache
    assert copied.instance().call("add", 2, 3) == 5


def test_a_guest_from_bytes_carries_its_bytes() -> None:
    wasm = module(ARENA, TOOLS)
    guest = Guest(wasm, cache=False, max_memory=None)
    blob = pickle.dumps(guest)
    assert wasm in blob
    copied = pickle.loads(blob)
    assert (copied.name, copied.sha256, copied.max_memory) == ("<bytes>", guest.sha256, None)
    assert copied._cache is None
    assert copied.instance().call("add", 2, 3) == 5


def test_the_default_cache_is_the_receivers_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    guest = Guest(module(ARENA, TOOLS))  # cache=True: the default directory
    monkeypatch.setenv("WASMEXT_CACHE_DIR", str(tmp_path))
    copied = _round_trip(guest)
    assert copied._cache is not None
    assert copied._cache.directory == tmp_path


def test_a_changed_file_refuses_to_unpickle(tmp_path: Path) -> None:
    path = tmp_path / "guest.wasm"
    path.write_bytes(module(ARENA, TOOLS))
    guest = Guest(path, cache=False)
    blob = pickle.dumps(guest)
    path.write_bytes(module(ARENA))  # another valid module, same name
    other = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(InvalidModule) as refusal:
        pickle.loads(blob)
    message = str(refusal.value)
    assert f"the file {path} has sha256 {other} here" in message
    assert f"had loaded sha256 {guest.sha256}" in message
    path.unlink()
    with pytest.raises(InvalidModule, match=r"cannot read the file .*guest\.wasm"):
        pickle.loads(blob)


def test_a_bundled_guest_of_other_bytes_refuses_to_unpickle() -> None:
    # What a worker with another build of the wheel would find.
    rebuild, (kind, name, _, *settings) = bundled("twosum").__reduce__()
    with pytest.raises(InvalidModule) as refusal:
        rebuild(kind, name, "0" * 64, *settings)
    message = str(refusal.value)
    assert f"the bundled guest 'twosum' has sha256 {bundled('twosum').sha256} here" in message
    assert f"had loaded sha256 {'0' * 64}" in message


def test_copying_a_guest_returns_the_guest() -> None:
    guest = Guest(GUESTS_DIR / "twosum.wasm")
    assert copy.copy(guest) is guest
    assert copy.deepcopy(guest) is guest


# ------------------------------------------------------------------------------ TwoSum, Monocypher


def test_a_solver_pickles_as_a_fresh_solver_of_its_guest() -> None:
    guest = Guest(GUESTS_DIR / "twosum.wasm", max_memory=64 << 20)
    solver = TwoSum(guest, python_cutoff=0)
    values = list(range(1000))
    assert solver.twosum(values, 1997) == (998, 999)
    for copied in (_round_trip(solver), copy.deepcopy(solver)):
        assert copied._guest.sha256 == guest.sha256
        assert copied._guest.max_memory == 64 << 20
        assert copied._python_cutoff == 0
        assert copied.instance is not solver.instance  # its own instance: no memory crossed
        assert copied.twosum(values, 1997) == (998, 999)
    assert copy.copy(solver)._guest is guest  # a shallow copy keeps the very guest
    assert _round_trip(TwoSum())._guest is bundled("twosum")


def test_a_monocypher_pickles_as_a_fresh_one_of_its_guest() -> None:
    key = b"k" * 32
    default = Monocypher()
    default.aead_lock(b"text", key)
    blob = pickle.dumps(default)
    assert key not in blob
    copied = pickle.loads(blob)
    assert copied is not default
    assert copied._guest is None  # still the bundled default
    assert copied.guest is bundled("monocypher")
    small = Monocypher(Guest(GUESTS_DIR / "monocypher.wasm", max_memory=16 << 20))
    for other in (_round_trip(small), copy.deepcopy(small)):
        assert other.guest.max_memory == 16 << 20
        assert other.blake2b(b"abc") == hashlib.blake2b(b"abc").digest()


def test_the_module_level_functions_pickle_by_reference() -> None:
    assert _round_trip(twosum) is twosum
    for name in ("blake2b", "aead_lock", "aead_unlock", "sha512", "x25519", "argon2"):
        function = getattr(mc, name)
        copied = _round_trip(function)
        assert copied == function, name
        assert copied.__self__ is mc._default, name
    assert len(pickle.dumps(mc.blake2b)) < 100  # a reference, not an object
    assert copy.deepcopy(mc._default) is mc._default
    cloudpickle = pytest.importorskip("cloudpickle")  # what Dask and Ray fall back to
    assert cloudpickle.loads(cloudpickle.dumps(mc.blake2b)).__self__ is mc._default
    assert cloudpickle.loads(cloudpickle.dumps(twosum)) is twosum


# ------------------------------------------------------------------------------ refusals

_HASHES: dict[str, Callable[[], mc.Blake2b | mc.Sha512 | mc.HmacSha512]] = {
    "Blake2b": lambda: mc.Blake2b(b"abc", key=b"secret key"),
    "Sha512": lambda: mc.Sha512(b"abc"),
    "HmacSha512": lambda: mc.HmacSha512(b"secret key", b"abc"),
}
_STREAMS: dict[str, tuple[Callable[[], Any], str]] = {
    "Poly1305": (lambda: mc.Poly1305(b"k" * 32), "one-time key"),
    "AeadContext": (lambda: mc.AeadContext(b"k" * 32, b"n" * 24), "current key"),
}
_WAYS = {"pickle": pickle.dumps, "copy": copy.copy, "deepcopy": copy.deepcopy}


@pytest.mark.parametrize("way", _WAYS)
@pytest.mark.parametrize("name", _HASHES)
def test_a_hash_refuses_and_points_to_its_copy_method(name: str, way: str) -> None:
    state = _HASHES[name]()
    with pytest.raises(InvalidType, match=rf"{name} objects cannot be pickled .* copy\(\) method"):
        _WAYS[way](state)
    twin = state.copy()  # the in-process copy still works
    state.update(b"def")
    twin.update(b"def")
    assert twin.digest() == state.digest()


@pytest.mark.parametrize("way", _WAYS)
@pytest.mark.parametrize("name", _STREAMS)
def test_a_one_time_key_or_stream_refuses(name: str, way: str) -> None:
    make, secret = _STREAMS[name]
    with pytest.raises(InvalidType, match=f"{name} objects cannot be pickled .*{secret}"):
        _WAYS[way](make())


@pytest.mark.parametrize("way", _WAYS)
def test_an_instance_and_its_functions_refuse(way: str) -> None:
    instance = bundled("twosum").instance()
    with pytest.raises(InvalidType, match=r"Instance .* live .* \.instance\(\)"):
        _WAYS[way](instance)
    with pytest.raises(InvalidType, match=r"Function .* guest\.instance\(\)\.function"):
        _WAYS[way](instance.function("twosum_i32"))
    with pytest.raises(InvalidType, match="Instance"):
        _WAYS[way](mc.Monocypher().instance)


# ------------------------------------------------------------------------------ process pools


@pytest.mark.skipif(not START_METHODS, reason="neither spawn nor forkserver on this platform")
@pytest.mark.parametrize("method", START_METHODS)
def test_a_pool_maps_the_apis_and_pickled_objects(method: str) -> None:
    partitions, targets, messages = _inputs(16)
    expected_pairs = [twosum_reference(nums, t) for nums, t in zip(partitions, targets)]
    expected_digests = [hashlib.blake2b(message).digest() for message in messages]
    assert [twosum(nums, t) for nums, t in zip(partitions, targets)] == expected_pairs
    assert [mc.blake2b(message) for message in messages] == expected_digests
    solver = TwoSum(Guest(GUESTS_DIR / "twosum.wasm", max_memory=64 << 20), python_cutoff=0)
    box = Monocypher(Guest(GUESTS_DIR / "monocypher.wasm", max_memory=64 << 20))
    keyed = functools.partial(mc.blake2b, size=32, key=b"not a secret")
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        pairs = list(pool.map(twosum, partitions, targets, timeout=POOL_TIMEOUT))
        digests = list(pool.map(mc.blake2b, messages, timeout=POOL_TIMEOUT))
        solved = list(pool.map(solver.twosum, partitions, targets, timeout=POOL_TIMEOUT))
        boxed = list(pool.map(box.blake2b, messages, timeout=POOL_TIMEOUT))
        macs = list(pool.map(keyed, messages, timeout=POOL_TIMEOUT))
        read_there = pool.submit(getattr, box.guest, "max_memory").result(POOL_TIMEOUT)
        refused = pool.submit(len, mc.Blake2b(key=b"secret key"))
        with pytest.raises(InvalidType, match="Blake2b objects cannot be pickled"):
            refused.result(POOL_TIMEOUT)
    assert pairs == solved == expected_pairs
    assert digests == boxed == expected_digests
    assert macs == [keyed(message) for message in messages]
    assert read_there == 64 << 20
    tally("processes", f"{method} ProcessPoolExecutor", 2)


# ------------------------------------------------------------------------------ Dask

DASK_TIMEOUT = 120  # seconds, for the cluster to start and for each batch of tasks


@pytest.fixture(scope="module")
def dask_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A client of a two-process ``LocalCluster``, started once for this module."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        local_directory=str(tmp_path_factory.mktemp("dask")),
        timeout=DASK_TIMEOUT,
    )
    with cluster, distributed.Client(cluster, timeout=DASK_TIMEOUT) as client:
        client.wait_for_workers(2, timeout=DASK_TIMEOUT)
        yield client


def _gather(client: Any, futures: list[Any]) -> list[Any]:
    from distributed import wait

    wait(futures, timeout=DASK_TIMEOUT)
    return client.gather(futures)  # type: ignore[no-any-return]


def test_a_dask_cluster_runs_the_apis_over_partitions(dask_client: Any) -> None:
    client = dask_client
    pids = client.run(os.getpid)
    assert len(pids) == 2
    assert os.getpid() not in pids.values()
    partitions, targets, messages = _inputs(17)
    solver = TwoSum(Guest(GUESTS_DIR / "twosum.wasm", max_memory=64 << 20), python_cutoff=0)
    box = Monocypher(Guest(GUESTS_DIR / "monocypher.wasm", max_memory=64 << 20))
    local_pairs = [twosum(nums, t) for nums, t in zip(partitions, targets)]
    local_digests = [mc.blake2b(message) for message in messages]
    assert local_pairs == [twosum_reference(nums, t) for nums, t in zip(partitions, targets)]
    pairs = _gather(client, client.map(twosum, partitions, targets))
    solved = _gather(client, client.map(solver.twosum, partitions, targets))
    digests = _gather(client, client.map(mc.blake2b, messages))
    boxed = _gather(client, client.map(box.blake2b, messages))
    assert pairs == solved == local_pairs
    assert digests == boxed == local_digests
    tally("processes", "Dask LocalCluster workers", len(pids))


def test_a_dask_bag_hashes_its_partitions(dask_client: Any) -> None:
    bag = pytest.importorskip("dask.bag")
    _, _, messages = _inputs(18)
    digests = bag.from_sequence(messages, npartitions=4).map(mc.blake2b, size=32)
    result = dask_client.compute(digests).result(timeout=DASK_TIMEOUT)
    assert result == [mc.blake2b(message, size=32) for message in messages]
