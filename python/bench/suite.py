"""What a benchmark case is, what every case module gets, and how a wrong result stops the run."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness import Settings, Timing, race

__all__ = ["Case", "Context", "WrongResult", "expect"]


class WrongResult(Exception):
    """A contender computed something else than its reference: the timings would be void."""


def expect(what: str, got: object, want: object) -> None:
    """Raise :class:`WrongResult` unless ``got == want``."""
    if got != want:
        shown_got, shown_want = _short(got), _short(want)
        raise WrongResult(f"{what}: got {shown_got}, expected {shown_want}")


def _short(value: object) -> str:
    if isinstance(value, (bytes, bytearray)):
        shown = bytes(value[:16]).hex()
        return f"{len(value)} bytes {shown}{'...' if len(value) > 16 else ''}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_short(item) for item in value) + ")"
    return repr(value)


@dataclass(frozen=True)
class Case:
    """One measurement: contenders timed together on the same input."""

    group: str
    name: str
    timings: Mapping[str, Timing]
    #: The contender the table's ratios are against.
    baseline: str
    #: ``(subject, reference)`` pairs worth a bar in the chart: subject's time / reference's.
    comparisons: Sequence[tuple[str, str]]
    #: Bytes each call processes, for a throughput column; ``None`` when that means nothing.
    size: int | None = None
    note: str = ""
    #: Whether the chart draws this case's comparisons (the table always shows every case).
    charted: bool = True
    #: A second contender every row's ratio is also shown against, if any.
    also: str | None = None

    def time(self, label: str) -> float:
        """Seconds per call of a contender, as ratios and targets see it: its best round."""
        return self.timings[label].best

    def ratio(self, subject: str, reference: str) -> float:
        """Time of ``subject`` over that of ``reference`` (< 1: subject is faster)."""
        return self.time(subject) / self.time(reference)


@dataclass
class Context:
    """The run's settings, and which cases it selected."""

    settings: Settings
    #: ``target/bench/profiles``: ``{size,speed}/monocypher.wasm`` and their manifests.
    profiles: Path
    #: ``target/guests``: every guest built, fixtures (``ship = false``) included.
    guests: Path
    #: The twosum guest's search built for the host as a shared library, if it was built.
    native_twosum: Path | None = None
    filter: str | None = None
    cases: list[Case] = field(default_factory=list)

    def selected(self, group: str, name: str) -> bool:
        """Whether ``--filter`` (case-insensitive, on "group: name") keeps this case."""
        return self.filter is None or self.filter.lower() in f"{group}: {name}".lower()

    def measure(
        self,
        group: str,
        name: str,
        contenders: Mapping[str, Callable[[], object]],
        *,
        comparisons: Sequence[tuple[str, str]],
        size: int | None = None,
        note: str = "",
        process_rounds: bool = False,
        charted: bool = True,
        also: str | None = None,
    ) -> Case:
        """Race the contenders (the first one is the baseline) and record the case."""
        rounds = self.settings.process_rounds if process_rounds else None
        timings = race(contenders, self.settings, rounds=rounds)
        baseline = next(iter(contenders))
        case = Case(group, name, timings, baseline, comparisons, size, note, charted, also)
        self.cases.append(case)
        return case
