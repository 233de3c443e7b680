"""Locks that ``os.fork()`` never leaves held in the child.

A lock held by another thread at the moment a process forks stays held forever in the child,
where that thread does not exist: the child's first use of it deadlocks. So every lock of
wasmext comes from :func:`lock`, with a rank saying in which order code may nest them. Just
before a fork, the forking thread takes them all, outermost rank first (the order the code
itself nests them in, so this cannot deadlock), and both processes release them right after.
The fork therefore happens between operations: no module half-compiled, no instance half-way
through a call, and nothing locked in the child. The price: a fork waits for the guest calls
other threads have in flight.

The locks are reentrant. A signal handler or a ``__del__`` runs between any two bytecodes of
the thread it interrupts, possibly while that thread holds a lock of wasmext; if the handler
uses wasmext too, a plain lock would wait for itself forever. A reentrant one lets it in, and
the code behind each lock decides what a nested use may do (see ``docs/security.md``).

The engine compiles on the calling thread only (see :func:`wasmext._module.engine`): wasmtime's
parallel compilation uses a thread pool that a forked child does not have.
"""

from __future__ import annotations

import os
import threading
import weakref

__all__ = [
    "BACKEND",
    "BUNDLED",
    "ENGINE",
    "GUEST",
    "IDLE",
    "INSTANCE",
    "LINE",
    "LOADER",
    "OBJECT",
    "Lock",
    "lock",
]

# Outermost first: code holding a lock of one rank only ever waits for locks of later ranks.
OBJECT = 0  # an incremental hash or two-sum solver used by several threads
BACKEND = 1  # a Monocypher backend's lazy choice of guest
BUNDLED = 2  # the table of bundled guests
GUEST = 3  # a Guest's lazy load
LOADER = 4  # the process-wide table of loaded modules
ENGINE = 5  # the lazy creation of the engine
INSTANCE = 6  # one instance's store and memory
IDLE = 7  # the idle instances two-sum solvers hand on
LINE = 8  # an engine's interrupt line, and the table of threads' calls (see _interrupts.py)

_RANKS = 9
#: The type of the locks :func:`lock` makes.
Lock = threading.RLock
_registry: list[weakref.WeakSet[Lock]] = [weakref.WeakSet() for _ in range(_RANKS)]
_held: list[Lock] = []


def lock(rank: int) -> Lock:
    """A new reentrant lock, taken around every fork along with all the others of its rank."""
    new = threading.RLock()
    _registry[rank].add(new)
    return new


def _acquire_all() -> None:
    for locks in _registry:
        for each in list(locks):
            each.acquire()
            _held.append(each)


def _release_all() -> None:
    while _held:
        _held.pop().release()


if hasattr(os, "register_at_fork"):  # POSIX; Windows cannot fork
    os.register_at_fork(
        before=_acquire_all, after_in_parent=_release_all, after_in_child=_release_all
    )
