"""Load WebAssembly guests that follow the wasmext ABI and call into them.

A :class:`Guest` is a module compiled once per process (lazily, thread-safely, with
an on-disk cache of compiled code).  :meth:`Guest.instance` gives each thread its
own :class:`Instance` (a wasmtime store is never shared between threads); an
instance allocates in the guest's bump arena, moves bytes in and out of linear
memory, and calls exported functions through prepared :class:`Function` handles.

Example::

    from wasmext.runtime import bundled

    inst = bundled("twosum").instance()
    with inst.arena():
        nums, table, out = inst.alloc(8), inst.alloc(16), inst.alloc(16)
        inst.write(nums, (7).to_bytes(4, "little") + (9).to_bytes(4, "little"))
        status = inst.call("twosum_i32", nums, 2, 0, table, 4, 16, 0, 0, out)
        found = int.from_bytes(inst.read(out, 8), "little")

Calls use wasmtime's ``wasmtime_func_call_unchecked`` through the C library that
wasmtime-py already loaded (about a microsecond per call) when the installed
wasmtime is a version this was tested with, and wasmtime-py's public API otherwise.
Set ``WASMEXT_PUBLIC_API=1`` or pass ``fast_calls=False`` to force the public path.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from . import _fastcall, _forksafe, _interrupts, _module
from ._cache import ModuleCache, default_cache_dir
from ._function import Function
from ._instance import RETAINED_MEMORY, Instance
from ._module import Origin, Signature
from ._sha256 import sha256
from ._values import env_flag, exact_int, exact_seconds, exact_str
from .errors import GuestError, InvalidInput, InvalidModule, InvalidType

if TYPE_CHECKING:
    from ._bound import Bound
    from ._interface import InterfaceSource

__all__ = [
    "DEFAULT_MAX_MEMORY",
    "GUESTS_DIR",
    "RETAINED_MEMORY",
    "Bound",
    "Function",
    "Guest",
    "Instance",
    "Signature",
    "bundled",
]

#: Where the wheel ships its artifacts (``cargo xtask build`` copies them here).
GUESTS_DIR = Path(__file__).resolve().parent / "guests"

#: The linear memory cap of every instance unless its :class:`Guest` says otherwise: 1 GiB.
#: Room for a 64 MiB AEAD box, Argon2 at RFC 9106's 64 MiB setting, or two-sum over tens of
#: millions of ints, while a runaway guest (or input) fails with a ``MemoryError`` long before
#: the machine runs out. Each thread has its own instance, so the worst case is this much per
#: thread that uses a guest.
DEFAULT_MAX_MEMORY = 1 << 30

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]
CacheSetting = Union[bool, str, "os.PathLike[str]"]


class Guest:
    """A WebAssembly guest module, compiled at most once per process.

    ``source`` is a path to a ``.wasm`` file or the module's bytes.  Compilation is
    lazy (first :meth:`instance`, or :meth:`load`) and shared: guests built from the
    same bytes share one compiled module.  With ``cache`` (``True``: the per-user
    cache dir, ``$WASMEXT_CACHE_DIR`` or the XDG cache; or an explicit directory)
    the compiled code is also kept on disk across processes.

    ``max_memory`` caps each instance's linear memory in bytes (wasmtime store
    limits; default :data:`DEFAULT_MAX_MEMORY`, 1 GiB): the guest's ``memory.grow``
    fails past it, :meth:`Instance.alloc` raises :class:`~wasmext.errors.GuestMemoryError`
    (a ``MemoryError``) and the instance stays usable. ``None`` lifts the cap to what
    wasm32 can address, 4 GiB.

    ``fast_calls``: ``None`` picks the fast path when available (unless
    ``$WASMEXT_PUBLIC_API`` is set), ``False`` forces wasmtime-py's public API.

    Stopping calls (``docs/security.md``, "Stopping guests"): ``interruptible=True`` compiles
    the guest with epoch checks, so that Ctrl-C, ``timeout`` and :func:`wasmext.deadline`
    can stop a running call (:class:`~wasmext.errors.GuestTimeout`,
    :class:`~wasmext.errors.GuestInterrupted`; the instance is then handled like one that
    trapped). The checks slow tight loops down (``docs/benchmarks.md``), so it is off unless
    asked for here or by ``$WASMEXT_INTERRUPTIBLE=1`` (which also covers :func:`bundled`
    guests); ``timeout`` (seconds per call) implies it. ``fuel`` gives every call a
    deterministic budget of guest work (:class:`~wasmext.errors.GuestBudgetExceeded` when
    spent), for guests you do not trust.

    Loading raises :class:`~wasmext.errors.InvalidModule` for malformed bytes or a
    module that lacks ``memory``, ``bump_alloc: (i32) -> i32`` or ``bump_reset: () -> ()``.

    Pickling (what ``ProcessPoolExecutor``, Dask and Ray do to send it to a worker) keeps
    the source and the sha256 of the bytes this guest loaded, never compiled code or an
    instance: a guest from :func:`bundled` comes back as the receiving process's
    ``bundled(name)``, a guest from a file as that (absolute) path read again, and a guest
    from bytes carries its bytes. Unpickling raises
    :class:`~wasmext.errors.InvalidModule`, naming both hashes, if the file (or the
    bundled artifact) there has other bytes: a different module never runs in its place.
    ``max_memory``, ``cache`` (``True`` meaning the receiver's own default directory) and
    the ``fast_calls`` argument come along; the module loads there from the disk cache, or
    compiles. A guest is immutable, so ``copy.copy`` and ``copy.deepcopy`` return it as is.
    """

    def __init__(
        self,
        source: Source,
        *,
        max_memory: int | None = DEFAULT_MAX_MEMORY,
        cache: CacheSetting = True,
        fast_calls: bool | None = None,
        interruptible: bool | None = None,
        timeout: float | None = None,
        fuel: int | None = None,
    ) -> None:
        """Read ``source`` now; compile on first use."""
        # Where a pickle says the bytes come from (see the class docstring): absolute,
        # since the unpickling process may run in another directory.
        self._path: str | None = None
        self._bundled_name: str | None = None  # set by bundled()
        if isinstance(source, (bytes, bytearray, memoryview)):
            self._wasm = bytes(source)
            self._name = "<bytes>"
        elif isinstance(source, (str, os.PathLike)):
            path = Path(source)
            self._wasm = path.read_bytes()
            self._name = path.name
            self._path = os.path.abspath(path)
        else:
            raise InvalidType(f"source must be a path or bytes, not {type(source).__name__}")
        if max_memory is not None:
            max_memory = exact_int(max_memory, "max_memory")
            if max_memory < 0:
                raise InvalidInput(f"max_memory must be >= 0, got {max_memory}")
        self._max_memory = max_memory
        if cache is True:
            self._cache: ModuleCache | None = ModuleCache(default_cache_dir())
            self._cache_setting: bool | str = True  # the receiver's default, when pickled
        elif cache is False or cache is None:
            self._cache = None
            self._cache_setting = False
        elif isinstance(cache, (str, os.PathLike)):
            self._cache = ModuleCache(Path(cache))
            self._cache_setting = os.path.abspath(cache)
        else:
            raise InvalidType(f"cache must be a bool or a directory, not {type(cache).__name__}")
        # The argument, not its outcome: the receiver of a pickle decides by its own wasmtime
        # and environment whether the fast path is there.
        self._fast_calls = fast_calls
        wanted = fast_calls if fast_calls is not None else not _fastcall.public_api_forced()
        self._fast = bool(wanted) and _fastcall.AVAILABLE
        self._interruptible_setting = interruptible
        self._timeout = None if timeout is None else exact_seconds(timeout, "timeout")
        if interruptible is None:
            interruptible = self._timeout is not None or _interruptible_by_default()
        elif type(interruptible) is not bool:
            raise InvalidType(f"interruptible must be a bool, not {type(interruptible).__name__}")
        elif not interruptible and self._timeout is not None:
            raise InvalidInput("a timeout needs an interruptible guest: drop interruptible=False")
        self._interruptible = interruptible
        if fuel is not None:
            fuel = exact_int(fuel, "fuel")
            if fuel <= 0 or fuel >= 1 << 64:
                raise InvalidInput(f"fuel must be > 0 and < 2**64, got {fuel}")
        self._fuel = fuel
        self._variant = _module.variant(interruptible=interruptible, fuel=fuel is not None)
        if interruptible:
            # On the main thread, this is where Ctrl-C starts reaching guest calls.
            _interrupts.watch()
        self._sha256 = sha256(self._wasm).hexdigest()
        self._compiled: _module.CompiledModule | None = None
        self._origin: Origin | None = None
        self._lock = _forksafe.lock(_forksafe.GUEST)
        self._local = threading.local()

    @property
    def name(self) -> str:
        """File name of the artifact (``<bytes>`` when built from bytes), for messages."""
        return self._name

    @property
    def sha256(self) -> str:
        """Hex sha256 of the module's bytes."""
        return self._sha256

    @property
    def max_memory(self) -> int | None:
        """Linear memory cap per instance in bytes, or ``None`` for wasm32's 4 GiB."""
        return self._max_memory

    @property
    def source_path(self) -> str | None:
        """The absolute path the module was read from, ``None`` when built from bytes."""
        return self._path

    @property
    def interruptible(self) -> bool:
        """Whether Ctrl-C, a timeout or :func:`wasmext.deadline` can stop a running call."""
        return self._interruptible

    @property
    def timeout(self) -> float | None:
        """Each call's time limit in seconds, or ``None``."""
        return self._timeout

    @property
    def fuel(self) -> int | None:
        """Each call's budget of fuel (guest work), or ``None`` for no budget."""
        return self._fuel

    @property
    def fast_calls(self) -> bool:
        """Whether instances call through the fast path."""
        return self._fast

    @property
    def origin(self) -> Origin | None:
        """Where the compiled module came from, ``None`` until it is loaded.

        ``"compiled"`` (Cranelift ran), ``"disk-cache"`` (deserialized from the cache)
        or ``"process"`` (another Guest in this process had already loaded the same bytes).
        """
        return self._origin

    @property
    def functions(self) -> dict[str, Signature]:
        """Signatures of every exported function (loads the module)."""
        return dict(self._load().functions)

    def load(self) -> Guest:
        """Compile (or fetch from cache) and validate now instead of on first use."""
        self._load()
        return self

    def instance(self) -> Instance:
        """The calling thread's instance, created on first use.

        It is replaced after a trap, and after an arena block allocated more than
        :data:`RETAINED_MEMORY` (64 MiB): linear memory never shrinks, so a fresh
        instance is how one big input gives its memory back.
        """
        instance: Instance | None = getattr(self._local, "instance", None)
        if instance is None or instance.poisoned or instance.oversized:
            instance = self.new_instance()
            self._local.instance = instance
        return instance

    def new_instance(self) -> Instance:
        """A fresh instance owned by the caller (no recompilation: the module is reused)."""
        return Instance(self, self._load(), self._fast)

    def bind(
        self,
        interface: InterfaceSource | None = None,
        *,
        exceptions: Mapping[str, type[GuestError]] | None = None,
    ) -> Bound:
        """The guest's functions as Python functions, typed by its interface (docs/bindings.md).

        ``interface``: the ``manifest.json`` ``cargo xtask build`` wrote (its path, or the
        parsed JSON, or the guest entry's ``"interface"`` object). By default, the
        ``manifest.json`` next to the ``.wasm`` file this guest was loaded from (for
        :func:`bundled` guests, the wheel's). Raises :class:`~wasmext.errors.InvalidModule`
        naming the function if the interface is malformed or disagrees with the module's
        exports, and :class:`~wasmext.errors.InvalidInput` if there is none to be found.

        ``exceptions`` maps an error enum's or a variant's class name to a class of your own
        (a subclass of :class:`~wasmext.errors.GuestError`, and of its enum's class for a
        variant) to raise instead of a generated one; generated modules pass theirs.
        """
        # Imported here: the bindings machinery is not on the way to a process's first call.
        from ._bound import bind

        return bind(self, interface, exceptions)

    def _load(self) -> _module.CompiledModule:
        compiled = self._compiled
        if compiled is None:
            with self._lock:
                compiled = self._compiled
                if compiled is None:
                    compiled, self._origin = _module.load(
                        self._wasm, self._sha256, self._name, self._cache, self._variant
                    )
                    self._compiled = compiled
        return compiled

    def __reduce__(self) -> tuple[Any, tuple[object, ...]]:
        """Pickle as the source and the sha256 of its bytes (see the class docstring)."""
        source: str | bytes
        if self._bundled_name is not None:
            kind, source = "bundled", self._bundled_name
        elif self._path is not None:
            kind, source = "path", self._path
        else:
            kind, source = "bytes", self._wasm
        settings = (
            self._max_memory,
            self._cache_setting,
            self._fast_calls,
            self._interruptible_setting,
            self._timeout,
            self._fuel,
        )
        return _unpickle_guest, (kind, source, self._sha256, *settings)

    def __copy__(self) -> Guest:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Guest:
        return self

    def __repr__(self) -> str:
        """Name, hash prefix and call path."""
        path = "fast" if self._fast else "public"
        extras = "".join(
            f" {label}" for label, on in (("interruptible", self._interruptible),) if on
        )
        if self._timeout is not None:
            extras += f" timeout={self._timeout:g}s"
        if self._fuel is not None:
            extras += f" fuel={self._fuel}"
        return f"<wasmext.Guest {self._name} sha256={self._sha256[:12]} {path} calls{extras}>"


def _unpickle_guest(
    kind: str,
    source: str | bytes,
    sha256: str,
    max_memory: int | None,
    cache: CacheSetting,
    fast_calls: bool | None,
    interruptible: bool | None = None,
    timeout: float | None = None,
    fuel: int | None = None,
) -> Guest:
    """The :class:`Guest` a pickle describes, refused unless its bytes have ``sha256``."""
    options: dict[str, Any] = {
        "max_memory": max_memory,
        "cache": cache,
        "fast_calls": fast_calls,
        "interruptible": interruptible,
        "timeout": timeout,
        "fuel": fuel,
    }
    if kind == "bundled":
        assert isinstance(source, str)
        guest = bundled(source)
        where = f"the bundled guest {source!r}"
        fix = "install the same wasmext build everywhere, or pickle a Guest of the bytes"
    elif kind == "path":
        assert isinstance(source, str)
        where = f"the file {source}"
        fix = "put the same file there, or pickle a Guest of the bytes to send the module"
        try:
            guest = Guest(source, **options)
        except OSError as error:
            raise InvalidModule(
                f"cannot unpickle a Guest: cannot read {where}: {error.strerror or error}; {fix}"
            ) from error
    else:
        guest = Guest(source, **options)
        where, fix = "the pickled bytes", "the pickle is corrupt: send it again"
    if guest.sha256 != sha256:
        raise InvalidModule(
            f"cannot unpickle a Guest: {where} has sha256 {guest.sha256} here, but the pickled "
            f"guest had loaded sha256 {sha256}; refusing to run another module: {fix}"
        )
    return guest


def __getattr__(name: str) -> Any:
    """``Bound``, imported on first use (see :meth:`Guest.bind`)."""
    if name == "Bound":
        from ._bound import Bound

        return Bound
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Environment variable that makes guests interruptible unless they say otherwise.
INTERRUPTIBLE_ENV = "WASMEXT_INTERRUPTIBLE"


def _interruptible_by_default() -> bool:
    return env_flag(INTERRUPTIBLE_ENV)


_bundled: dict[str, Guest] = {}
_bundled_lock = _forksafe.lock(_forksafe.BUNDLED)
_BUNDLED_NAME = re.compile(r"[a-z][a-z0-9_]*")


def bundled(name: str) -> Guest:
    """The process-wide :class:`Guest` for the shipped artifact ``guests/{name}.wasm``."""
    if type(name) is not str:
        name = exact_str(name, "guest name")
    guest = _bundled.get(name)
    if guest is not None:
        return guest
    path = GUESTS_DIR / f"{name}.wasm"
    if not _BUNDLED_NAME.fullmatch(name) or not path.is_file():
        shipped = sorted(p.stem for p in GUESTS_DIR.glob("*.wasm")) if GUESTS_DIR.is_dir() else []
        raise InvalidInput(
            f"no bundled guest {name!r} (shipped: {', '.join(shipped) or 'none'}); "
            "artifacts come from `cargo xtask build`"
        )
    with _bundled_lock:
        guest = _bundled.get(name)
        if guest is None:
            guest = Guest(path)
            guest._bundled_name = name  # pickles as bundled(name), see Guest
            _bundled[name] = guest
    return guest
