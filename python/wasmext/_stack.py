"""Refusing guest calls on threads whose native stack cannot hold the guest's stack.

wasmtime runs wasm on the calling thread's own stack. At every entry into wasm it sets the
guest's stack limit to (stack pointer at entry) - :data:`MAX_WASM_STACK`, and each wasm
function checks that limit in its prologue: a guest that recurses too deep gets a clean
"call stack exhausted" trap, *provided* the thread's stack really extends that far below the
entry point. On a thread with a smaller stack the guest runs into the guard page first and
the process dies with SIGSEGV. wasmtime cannot know the thread's stack size; we can.

:func:`check_thread_stack` (or, on hot paths, the same test inline on :data:`thread_stack`)
runs before every guest call, instantiation (which may run a start function) and compilation
(Cranelift's own frames). It asks the C library once per thread how big the thread's stack
is and raises :class:`~wasmext.errors.StackTooSmall` if that is less than
:data:`MAX_WASM_STACK` plus :data:`HOST_STACK_MARGIN`; afterwards it only reads the verdict
cached for the thread.

It compares the stack's *total* size, not what remains below the caller: the verdict is
cached, and a later call may come from deeper in the interpreter than the first one, so
the remaining stack measured once would promise nothing about later calls. The margin is
the budget for everything above the guest's frames: the interpreter's C frames (Python
code calling Python code through C, as decorators, ``map`` and the like do), ctypes or
wasmtime-py, and wasmtime's entry trampolines. Python code that recurses through C deeper
than that budget can overflow a small thread stack with or without wasmext.

Where the size cannot be found (Windows, or a C library without the calls used here), the
check lets the call through: it refuses only what it can prove too small.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from typing import Callable

from .errors import StackTooSmall

__all__ = [
    "HOST_STACK_MARGIN",
    "MAX_WASM_STACK",
    "check_thread_stack",
    "required_stack_size",
    "thread_stack",
    "thread_stack_size",
]

#: Stack the guest's own frames may use: ``wasmtime.Config.max_wasm_stack`` of the engine.
#: Half wasmtime's default (512 KiB), so that with the margin a 512 KiB thread qualifies:
#: the stack macOS gives threads it starts itself, and a common explicit choice. The
#: bundled guests' deepest calls (EdDSA, X25519, Elligator) pass with 2 KiB and trap with
#: 1 KiB, as C and Rust keep their big locals on the shadow stack in linear memory, so
#: this is over a hundred times what they need; a guest recursing deeper gets a trap.
#: Compiled code does not depend on it: cached artifacts are valid for any value.
MAX_WASM_STACK = 256 * 1024

#: Stack kept for everything above and beside the guest's frames: the thread's TLS and
#: start-up frames, the interpreter's C frames down to the call, ctypes or wasmtime-py,
#: wasmtime's entry frames, and the host code wasm calls below its own limit
#: (``memory.grow``). At the top of a thread all that is under 12 KiB (measured on
#: CPython 3.11, x86-64 glibc); the rest covers about 350 levels of Python code calling
#: Python code through C (600-750 bytes each: ``map``, ``__call__``, properties).
HOST_STACK_MARGIN = 256 * 1024


def required_stack_size() -> int:
    """The smallest thread stack, in bytes, that guest calls are allowed on."""
    return MAX_WASM_STACK + HOST_STACK_MARGIN


def _bind_glibc() -> Callable[[], int | None] | None:
    """A query of the calling thread's stack size through ``pthread_getattr_np``.

    glibc and musl both have it. ``None`` if the C library lacks one of the calls.
    """
    try:
        # dlopen(NULL): the symbols the process has already loaded, so no library name to
        # guess; before glibc 2.34 these live in libpthread, which CPython links. A CDLL of
        # our own, so the types set below cannot clash with another user of the same calls.
        libc = ctypes.CDLL(None)
        pthread_self = libc.pthread_self
        getattr_np = libc.pthread_getattr_np
        getstack = libc.pthread_attr_getstack
        destroy = libc.pthread_attr_destroy
    except (OSError, AttributeError):
        return None
    # pthread_t is an unsigned long on Linux: left to ctypes' default (C int) it would be
    # truncated, and pthread_getattr_np would look up another thread, or none.
    pthread_self.restype = ctypes.c_ulong
    pthread_self.argtypes = []
    getattr_np.restype = ctypes.c_int
    getattr_np.argtypes = [ctypes.c_ulong, ctypes.c_void_p]
    getstack.restype = ctypes.c_int
    getstack.argtypes = [
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_void_p),
        ctypes.POINTER(ctypes.c_size_t),
    ]
    destroy.restype = ctypes.c_int
    destroy.argtypes = [ctypes.c_void_p]

    def stack_size() -> int | None:
        # pthread_attr_t is 56 bytes on x86-64 and 64 on arm64: 128 bytes, 8-byte aligned,
        # leave room for any ABI. A fresh buffer per query, as threads query concurrently.
        attr = (ctypes.c_uint64 * 16)()
        # Fills attr with the running thread's actual stack (for the main thread glibc
        # derives it from /proc/self/maps and RLIMIT_STACK), allocating: destroy it after.
        if getattr_np(pthread_self(), attr) != 0:
            return None
        try:
            low = ctypes.c_void_p()
            size = ctypes.c_size_t()
            if getstack(attr, ctypes.byref(low), ctypes.byref(size)) != 0:
                return None
            # Excludes the guard page; includes the TLS and thread descriptor glibc keeps
            # at the top of the stack, which the margin covers.
            return size.value or None
        finally:
            destroy(attr)

    return stack_size


def _bind_darwin() -> Callable[[], int | None] | None:
    """A query of the calling thread's stack size through ``pthread_get_stacksize_np``."""
    try:
        libc = ctypes.CDLL(None)
        pthread_self = libc.pthread_self
        get_size = libc.pthread_get_stacksize_np
    except (OSError, AttributeError):
        return None
    # pthread_t is a pointer on macOS: c_void_p keeps all 64 bits of it.
    pthread_self.restype = ctypes.c_void_p
    pthread_self.argtypes = []
    get_size.restype = ctypes.c_size_t
    get_size.argtypes = [ctypes.c_void_p]

    def stack_size() -> int | None:
        return int(get_size(pthread_self())) or None

    return stack_size


# Bound once, at import: a thread's first check then costs one query, not a dlopen.
# Elsewhere (Windows, where GetCurrentThreadStackLimits would serve but is untested) the
# size is unknown and nothing is refused.
if sys.platform.startswith("linux"):
    _query = _bind_glibc()
elif sys.platform == "darwin":
    _query = _bind_darwin()
else:
    _query = None


def thread_stack_size() -> int | None:
    """The calling thread's native stack size in bytes, or ``None`` if it cannot be found."""
    return None if _query is None else _query()


def _refusal(size: int) -> str:
    """The message of :class:`StackTooSmall` for a thread whose stack is ``size`` bytes."""
    needed = required_stack_size()
    return (
        f"this thread's native stack is {size // 1024} KiB, but guest calls need at least "
        f"{needed // 1024} KiB ({MAX_WASM_STACK // 1024} KiB for the guest's frames plus "
        f"{HOST_STACK_MARGIN // 1024} KiB for the interpreter's and wasmtime's); running "
        f"the guest here could overflow the stack and crash the process. "
    ) + (
        f"Raise the main thread's stack limit to at least {needed // 1024} KiB "
        f"(ulimit -s {needed // 1024}), or call the guest from a thread started after "
        f"threading.stack_size({needed})"
        if threading.current_thread() is threading.main_thread()
        else f"Call threading.stack_size({needed}) before starting the thread, "
        "or call the guest from a thread with a bigger stack"
    )


class _ThreadStack(threading.local):
    """Each thread's verdict, found on the thread's first access (``__init__`` runs then).

    A :class:`threading.local` rather than a dict keyed by :func:`threading.get_ident`:
    it is cheaper to read (about 40 ns against 65 ns here), and identifiers are reused once
    a thread ends, so a new thread with a smaller stack could inherit the verdict of an old
    one with a big stack; a thread-local dies with its thread.
    """

    #: The thread's stack size in bytes, ``None`` if unknown.
    size: int | None
    #: Whether guests may run on this thread.
    ok: bool

    def __init__(self) -> None:
        # threading.local calls this once in each thread that touches the object.
        self.size = thread_stack_size()
        self.ok = self.size is None or self.size >= required_stack_size()

    def error(self) -> StackTooSmall:
        """The exception that refuses a guest call on this (too small) thread."""
        assert self.size is not None
        return StackTooSmall(_refusal(self.size))


#: The calling thread's verdict. On a hot path, read it inline, which saves the third of
#: the cost a function call adds: ``if not thread_stack.ok: raise thread_stack.error()``.
thread_stack = _ThreadStack()


def check_thread_stack() -> None:
    """Raise :class:`~wasmext.errors.StackTooSmall` if this thread's stack is too small.

    Call it before anything that runs wasmtime on the calling thread: loading a module
    (Cranelift needs about 76 KiB of stack to compile the Monocypher guest), instantiation
    (which runs the module's start function) and guest calls. The first call on a thread
    asks the C library (about 5 microseconds; 0.3 ms on the main thread, where glibc parses
    ``/proc/self/maps``); later ones read a thread-local (about 80 ns, 60 ns inline).
    """
    if not thread_stack.ok:
        raise thread_stack.error()
