"""The timing core: inner loops sized to the clock, warm-up, then interleaved rounds.

Every contender of a comparison is timed in the same rounds, taking turns (A, B, C, then
B, C, A, ...), so a noisy neighbour or a frequency change slows them alike and their ratio
stays honest.  A round calls one contender ``inner`` times back to back with the garbage
collector paused (as :mod:`timeit` does); ``inner`` is chosen once per contender so that a
round lasts at least :attr:`Settings.round_seconds`, which keeps the clock's resolution and
the loop's own cost negligible even for sub-microsecond calls.
"""

from __future__ import annotations

import gc
import itertools
import math
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["FULL", "QUICK", "Settings", "Timing", "loop_floor", "race"]


@dataclass(frozen=True)
class Settings:
    """How long and how often to time."""

    #: Timed rounds per contender.
    rounds: int
    #: Untimed rounds per contender before them (caches, branch predictors, lazy setup).
    warmup: int
    #: A round repeats its call until it has run at least this long.
    round_seconds: float
    #: Rounds for cases whose single call is a whole process (cold start).
    process_rounds: int
    max_inner: int = 1_000_000


FULL = Settings(rounds=15, warmup=2, round_seconds=0.05, process_rounds=10)
QUICK = Settings(rounds=3, warmup=1, round_seconds=0.005, process_rounds=3)


@dataclass(frozen=True)
class Timing:
    """Seconds per call of one contender, one sample per round."""

    label: str
    #: Calls per round.
    inner: int
    samples: tuple[float, ...]

    @property
    def best(self) -> float:
        """The fastest round: what the code costs when nothing else gets in its way.

        Ratios use it: on a shared machine noise only ever adds time, so the best round
        is the most repeatable measure of the code itself.
        """
        return min(self.samples)

    @property
    def median(self) -> float:
        """The middle round: the typical cost on this machine, with its noise."""
        return statistics.median(self.samples)


def race(
    contenders: Mapping[str, Callable[[], object]],
    settings: Settings,
    *,
    rounds: int | None = None,
) -> dict[str, Timing]:
    """Time every contender in the same, interleaved rounds; seconds per call for each."""
    labels = list(contenders)
    calls = [contenders[label] for label in labels]
    inner = [_calibrate(call, settings) for call in calls]
    for _ in range(settings.warmup):
        for call, count in zip(calls, inner):
            _round(call, count)
    samples: list[list[float]] = [[] for _ in labels]
    for index in range(rounds if rounds is not None else settings.rounds):
        # Rotate who goes first, so no contender always follows the same one.
        shift = index % len(labels)
        for slot in [*range(shift, len(labels)), *range(shift)]:
            samples[slot].append(_round(calls[slot], inner[slot]) / inner[slot])
    return {
        label: Timing(label, count, tuple(taken))
        for label, count, taken in zip(labels, inner, samples)
    }


def loop_floor(settings: Settings) -> float:
    """Seconds per call of a no-op C function in a round: the harness's own share of a call."""
    return race({"floor": int}, settings)["floor"].median


def _round(call: Callable[[], object], count: int) -> float:
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in itertools.repeat(None, count):
            call()
        return time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()


def _calibrate(call: Callable[[], object], settings: Settings) -> int:
    count = 1
    while True:
        elapsed = _round(call, count)
        if elapsed >= settings.round_seconds or count >= settings.max_inner:
            return count
        # Aim a little past the goal from this pass's speed, at least doubling.
        scaled = math.ceil(count * 1.2 * settings.round_seconds / max(elapsed, 1e-9))
        count = min(settings.max_inner, max(2 * count, scaled))
