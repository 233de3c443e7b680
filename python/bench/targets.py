"""The speed targets (issues 5, 12, 13 and 15), each judged on ratios measured in the same run.

A missed target is reported, never an error: machines differ, and a benchmark that fails
on a busy laptop teaches people to ignore it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import case_bindings
import case_calls
import case_coldstart
import case_crypto
import case_deflate
import case_interrupts
import case_twosum
from suite import Case

__all__ = ["TARGETS", "Target", "evaluate"]

#: ``faster``: reference time / subject time >= limit (> with ``strict``);
#: ``at most``: subject time / reference time <= limit; ``time``: subject's seconds <= limit;
#: ``adds``: subject's seconds minus reference's <= limit.
Kind = Literal["faster", "at most", "time", "adds"]


@dataclass(frozen=True)
class Target:
    """One promise about a measured case."""

    id: str
    description: str
    group: str
    case: str
    subject: str
    reference: str | None
    kind: Kind
    limit: float
    strict: bool = False

    def time_ratio_limit(self) -> float | None:
        """The limit as subject time / reference time (what the chart draws), if a ratio."""
        if self.kind == "faster":
            return 1 / self.limit
        return self.limit if self.kind == "at most" else None

    def measure(self, case: Case) -> float:
        """The measured value, in the target's own terms (speed-up, time ratio, seconds)."""
        subject = case.time(self.subject)
        if self.reference is None:
            return subject
        reference = case.time(self.reference)
        if self.kind == "adds":
            return subject - reference
        return reference / subject if self.kind == "faster" else subject / reference

    def met_by(self, measured: float) -> bool:
        """Whether ``measured`` keeps the promise."""
        if self.kind == "faster":
            return measured > self.limit if self.strict else measured >= self.limit
        return measured < self.limit if self.strict else measured <= self.limit


_TWOSUM = (case_twosum.GROUP, case_twosum.NAME)
TARGETS = (
    Target(
        "twosum-list",
        "twosum on a list at least 20x faster than pure Python (`in`)",
        *_TWOSUM,
        case_twosum.LIST,
        case_twosum.PURE,
        "faster",
        20,
    ),
    Target(
        "twosum-fresh",
        "a fresh TwoSum() per call at most 3% slower than the shared solver",
        *_TWOSUM,
        case_twosum.FRESH_LIST,
        case_twosum.LIST,
        "at most",
        1.03,
    ),
    Target(
        "twosum-array",
        "twosum on array('i') at least 60x faster than pure Python (`in`) on a list",
        *_TWOSUM,
        case_twosum.ARRAY,
        case_twosum.PURE,
        "faster",
        60,
    ),
    Target(
        "twosum-list-pack",
        "twosum on a list at most 1.3x the time of struct-packing the list alone",
        *_TWOSUM,
        case_twosum.LIST,
        case_twosum.PACK,
        "at most",
        1.3,
    ),
    Target(
        "twosum-list-article",
        "twosum on a list at least 1.6x faster than the article's glue (shared object)",
        *_TWOSUM,
        case_twosum.LIST,
        case_twosum.ARTICLE,
        "faster",
        1.6,
    ),
    Target(
        "twosum-array-article",
        "twosum on array('i') at least 6x faster than the article's glue on a list",
        *_TWOSUM,
        case_twosum.ARRAY,
        case_twosum.ARTICLE,
        "faster",
        6,
    ),
    Target(
        "aead-64-native",
        "AEAD lock of 64 B at most 3.5x native Monocypher's time",
        "AEAD",
        "lock 64 B",
        case_crypto.WASMEXT,
        case_crypto.NATIVE,
        "at most",
        3.5,
    ),
    Target(
        "blake2b-64-hashlib",
        "BLAKE2b of 64 B at most 4x hashlib's time",
        "BLAKE2b",
        "64 B",
        case_crypto.WASMEXT,
        case_crypto.HASHLIB,
        "at most",
        4,
    ),
    Target(
        "aead-64-pynacl",
        "AEAD lock of 64 B faster than PyNaCl",
        "AEAD",
        "lock 64 B",
        case_crypto.WASMEXT,
        case_crypto.PYNACL,
        "faster",
        1,
        strict=True,
    ),
    Target(
        "aead-1mib-native",
        "AEAD lock of 1 MiB at most 1.3x native Monocypher's time",
        "AEAD",
        "lock 1 MiB",
        case_crypto.WASMEXT,
        case_crypto.NATIVE,
        "at most",
        1.3,
    ),
    *(
        Target(
            f"deflate-{way}-1mib",
            f"deflate {way} of 1 MiB at most 2.5x Python's zlib's time",
            case_deflate.GROUP,
            name("1 MiB"),
            case_deflate.WASMEXT,
            case_deflate.ZLIB,
            "at most",
            2.5,
        )
        for way, name in (
            ("compress", case_deflate.compress_name),
            ("decompress", case_deflate.decompress_name),
        )
    ),
    Target(
        "cold-start",
        "a new process's import and first Monocypher call (warm module cache) "
        "at most 1.25x `import wasmtime` alone",
        case_coldstart.GROUP,
        case_coldstart.NAME,
        case_coldstart.CACHED,
        case_coldstart.WASMTIME,
        "at most",
        1.25,
    ),
    Target(
        "fast-call",
        "a guest call on the fast path at most 1.2 µs",
        case_calls.GROUP,
        case_calls.NAME,
        case_calls.FAST,
        None,
        "time",
        1.2e-6,
    ),
    Target(
        "bound-call",
        "a call through a generated binding (64 bytes in, an int out) at most 3 µs",
        case_bindings.GROUP,
        case_bindings.NAME,
        case_bindings.GENERATED,
        None,
        "time",
        3e-6,
    ),
    Target(
        "bound-call-bare",
        "a call through a generated binding at most 2x the bare fast guest call",
        case_bindings.GROUP,
        case_bindings.NAME,
        case_bindings.GENERATED,
        case_bindings.BARE,
        "at most",
        2,
    ),
    Target(
        "interruptible-twosum",
        "an interruptible guest's twosum(array('i')) at most 3% slower than a plain one's",
        case_interrupts.GROUP,
        case_interrupts.TWOSUM,
        case_interrupts.INTERRUPTIBLE,
        case_interrupts.PLAIN,
        "at most",
        1.03,
    ),
    Target(
        "interruptible-aead",
        "an interruptible guest's AEAD lock of 1 MiB at most 3% slower than a plain one's",
        case_interrupts.GROUP,
        case_interrupts.AEAD,
        case_interrupts.INTERRUPTIBLE,
        case_interrupts.PLAIN,
        "at most",
        1.03,
    ),
    Target(
        "interruptible-call",
        "an interruptible guest's fast call at most 0.2 µs slower than a plain one's",
        case_interrupts.GROUP,
        case_interrupts.CALL,
        case_interrupts.INTERRUPTIBLE,
        case_interrupts.PLAIN,
        "adds",
        0.2e-6,
    ),
)


def evaluate(cases: Iterable[Case]) -> list[tuple[Target, float | None]]:
    """Each target with its measured value, ``None`` when its case (or contender) did not run."""
    by_name = {(case.group, case.name): case for case in cases}
    results: list[tuple[Target, float | None]] = []
    for target in TARGETS:
        case = by_name.get((target.group, target.case))
        ran = case is not None and target.subject in case.timings
        results.append((target, target.measure(case) if ran and case else None))
    return results
