"""The ratios as a picture: one bar per comparison, on a log scale centred on "as fast".

A bar runs from 1 to ``subject time / reference time``: to the left, the wasmext contender
is faster; to the right, slower.  A target is a red mark on its bar's row at the ratio it
allows: the bar must end on the mark's left.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display, the same pixels everywhere

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

from report import relative, seconds
from suite import Case
from targets import Target

__all__ = ["draw"]

FASTER = "#2a9d8f"
SLOWER = "#e76f51"
TARGET = "#c1121f"
#: Room, in decades of the log axis, left of the fastest bar and for the text right of bars.
_MARGIN = 0.3
_TEXT_ROOM = 1.6


def _bars(cases: Sequence[Case]) -> dict[str, list[tuple[Case, str, str]]]:
    groups: dict[str, list[tuple[Case, str, str]]] = {}
    for case in cases:
        if case.charted:
            for subject, reference in case.comparisons:
                groups.setdefault(case.group, []).append((case, subject, reference))
    return groups


def draw(
    path: Path, cases: Sequence[Case], evaluated: Sequence[tuple[Target, float | None]]
) -> None:
    """Write the chart of the charted cases' comparisons to ``path`` (PNG)."""
    groups = _bars(cases)
    if not groups:
        return
    limits = {(t.group, t.case, t.subject, t.reference): t.time_ratio_limit() for t, _ in evaluated}
    rows = [len(bars) for bars in groups.values()]
    figure, axes = plt.subplots(
        len(groups),
        1,
        figsize=(11, 0.9 + 0.3 * sum(rows) + 0.5 * len(groups)),
        gridspec_kw={"height_ratios": rows},
        squeeze=False,
        sharex=True,
    )
    extremes = [1.0]
    for ax, (group, bars) in zip(axes[:, 0], groups.items()):
        several_cases = len({case.name for case, _, _ in bars}) > 1
        labels = []
        for y, (case, subject, reference) in enumerate(bars):
            ratio = case.ratio(subject, reference)
            extremes.append(ratio)
            ax.barh(y, ratio - 1, left=1, height=0.6, color=FASTER if ratio < 1 else SLOWER)
            limit = limits.get((case.group, case.name, subject, reference))
            if limit is not None:
                extremes.append(limit)
                ax.plot([limit, limit], [y - 0.42, y + 0.42], color=TARGET, linewidth=2.2, zorder=3)
            # Right of the bar, the line at 1 and the target mark, so nothing crosses the text.
            ax.annotate(
                f"{relative(ratio)}  ({seconds(case.time(subject))} vs "
                f"{seconds(case.time(reference))})",
                (max(ratio, limit or 0.0, 1.0), y),
                xytext=(5, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
            )
            pair = f"{subject} vs {reference}"
            labels.append(f"{case.name}: {pair}" if several_cases else pair)
        ax.set_yticks(range(len(labels)), labels, fontsize=7.5)
        ax.set_ylim(len(labels) - 0.5, -0.5)
        ax.axvline(1, color="black", linewidth=0.8, zorder=2)
        ax.set_title(group, loc="left", fontsize=9, fontweight="bold")
        ax.grid(axis="x", alpha=0.3)
    low = math.log10(min(extremes)) - _MARGIN
    high = math.log10(max(extremes)) + _TEXT_ROOM
    bottom = axes[-1, 0]
    bottom.set_xscale("log")
    bottom.set_xlim(10**low, 10**high)
    bottom.set_xlabel(
        "time relative to the comparison, log scale: left of 1 the wasmext contender is "
        "faster, right of 1 slower",
        fontsize=8,
    )
    axes[0, 0].legend(
        [Line2D([], [], color=TARGET, linewidth=2.2)],
        ["target: the bar must end left of it"],
        loc="lower right",
        bbox_to_anchor=(1, 1),
        fontsize=7,
        frameon=False,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
