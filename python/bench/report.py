"""The run's outputs: ``report.json``, the terminal table and docs/benchmarks.md's section."""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from pathlib import Path

from harness import Settings
from suite import Case
from targets import Target

__all__ = ["describe_target", "document", "markdown", "relative", "seconds", "text", "write_json"]

Evaluated = Sequence[tuple[Target, "float | None"]]
TIMES = "\N{MULTIPLICATION SIGN}"


def seconds(value: float) -> str:
    """A duration with three significant digits in the unit that suits it."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value / 1e-9:.3g} ns"


def relative(ratio: float) -> str:
    """A time ratio (subject / reference) in words: "3.1x faster", "1.2x slower", with TIMES."""
    if ratio < 1:
        return f"{1 / ratio:.3g}{TIMES} faster"
    return f"{ratio:.3g}{TIMES} slower"


def _throughput(case: Case, label: str) -> str:
    if case.size is None:
        return ""
    mib_per_second = case.size / case.time(label) / (1 << 20)
    return (
        f"{mib_per_second:,.0f} MiB/s" if mib_per_second >= 100 else f"{mib_per_second:.3g} MiB/s"
    )


def describe_target(target: Target, measured: float | None) -> tuple[str, str, str]:
    """``(measured, goal, verdict)`` in words."""
    if target.kind == "time":
        goal = f"≤ {seconds(target.limit)}"
    elif target.kind == "adds":
        goal = f"≤ {seconds(target.limit)} more"
    elif target.kind == "faster":
        goal = (
            "faster" if target.strict and target.limit == 1 else f"≥ {target.limit:g}{TIMES} faster"
        )
    else:
        goal = f"≤ {target.limit:g}{TIMES} the time"
    if measured is None:
        return "not run", goal, "not run"
    if target.kind == "time":
        shown = seconds(measured)
    elif target.kind == "adds":
        shown = f"{seconds(measured)} more"
    elif target.kind == "faster":
        shown = relative(1 / measured)
    else:
        shown = f"{measured:.3g}{TIMES} the time"
    return shown, goal, "met" if target.met_by(measured) else "MISSED"


def document(
    *,
    mode: str,
    started: datetime.datetime,
    duration: float,
    settings: Settings,
    floor: float,
    machine: dict[str, object],
    artifacts: list[dict[str, object]],
    cases: Sequence[Case],
    evaluated: Evaluated,
    charts: Sequence[str],
) -> dict[str, object]:
    """Everything the run measured, as the JSON report's object (times in seconds per call)."""
    return {
        "schema": 1,
        "mode": mode,
        "started": started.isoformat(timespec="seconds"),
        "duration_s": round(duration, 1),
        "settings": {
            "rounds": settings.rounds,
            "process_rounds": settings.process_rounds,
            "warmup_rounds": settings.warmup,
            "min_round_s": settings.round_seconds,
            "loop_floor_s": floor,
            "ratios_use": "best",
        },
        "machine": machine,
        "artifacts": artifacts,
        "cases": [_case(case) for case in cases],
        "targets": [_target(target, measured) for target, measured in evaluated],
        "charts": list(charts),
    }


def _case(case: Case) -> dict[str, object]:
    return {
        "group": case.group,
        "name": case.name,
        "note": case.note,
        "bytes_per_call": case.size,
        "baseline": case.baseline,
        "also_against": case.also,
        "contenders": [
            {
                "label": timing.label,
                "median_s": timing.median,
                "best_s": timing.best,
                "calls_per_round": timing.inner,
                "rounds_s": list(timing.samples),
                "time_vs_baseline": case.ratio(timing.label, case.baseline),
                **(
                    {"time_vs_also": case.ratio(timing.label, case.also)}
                    if case.also is not None
                    else {}
                ),
            }
            for timing in case.timings.values()
        ],
        "comparisons": [
            {"subject": s, "reference": r, "time_ratio": case.ratio(s, r)}
            for s, r in case.comparisons
        ],
    }


def _target(target: Target, measured: float | None) -> dict[str, object]:
    return {
        "id": target.id,
        "description": target.description,
        "case": f"{target.group}: {target.case}",
        "subject": target.subject,
        "reference": target.reference,
        "kind": target.kind,
        "limit": target.limit,
        "strict": target.strict,
        "measured": measured,
        "met": None if measured is None else target.met_by(measured),
    }


def write_json(path: Path, report: dict[str, object]) -> None:
    """Write the report, pretty-printed."""
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def text(cases: Sequence[Case], evaluated: Evaluated) -> str:
    """The terminal table: every case's contenders, then the targets."""
    lines: list[str] = []
    width = max((len(label) for case in cases for label in case.timings), default=10)
    for case in cases:
        heading = f"{case.group}: {case.name}"
        lines += ["", heading + (f"  ({case.note})" if case.note else "")]
        lines.append(
            f"  {'':<{width}}  {'best':>10}  {'median':>10}  {'throughput':>12}  vs {case.baseline}"
        )
        for label, timing in case.timings.items():
            versus = _versus(case, label) or "baseline"
            lines.append(
                f"  {label:<{width}}  {seconds(timing.best):>10}  {seconds(timing.median):>10}"
                f"  {_throughput(case, label):>12}  {versus}"
            )
    if evaluated:
        lines += ["", "targets (ratios of best rounds, from this run):"]
        for target, measured in evaluated:
            shown, goal, verdict = describe_target(target, measured)
            lines.append(f"  {verdict:<7}  {target.description}: {shown} (goal {goal})")
    return "\n".join(lines) + "\n"


def _versus(case: Case, label: str) -> str:
    shown = "" if label == case.baseline else relative(case.ratio(label, case.baseline))
    if case.also is not None and label != case.also:
        also = f"{relative(case.ratio(label, case.also))} than {case.also}"
        shown = f"{shown}; {also}" if shown else also
    return shown


def markdown(
    report: dict[str, object],
    cases: Sequence[Case],
    evaluated: Evaluated,
    chart_links: Sequence[str],
) -> str:
    """docs/benchmarks.md's benchmark section for this run."""
    machine = report["machine"]
    settings = report["settings"]
    assert isinstance(machine, dict)
    assert isinstance(settings, dict)
    commit = str(machine.get("git_commit") or "unknown")[:10]
    dirty = " with local changes" if machine.get("git_dirty") else ""
    lines = [
        f"A run of `cargo xtask bench` on {report['started']}:",
        f"{machine['cpu']}, {machine['cores']} cores, {machine['os']},",
        f"{machine['python']}, wasmtime-py {machine['versions']['wasmtime']}, "
        f"commit `{commit}`{dirty}.",
        f"Each contender ran {settings['rounds']} rounds ({settings['process_rounds']} for "
        "whole processes), taking turns with the others of its case.",
        "Ratios compare the best rounds: noise on a shared machine only ever adds time.",
        "",
        "| target | measured | goal | |",
        "| --- | --- | --- | --- |",
    ]
    for target, measured in evaluated:
        shown, goal, verdict = describe_target(target, measured)
        mark = {"met": "✅ met", "MISSED": "❌ missed"}.get(verdict, verdict)
        lines.append(f"| {target.description} | {shown} | {goal} | {mark} |")
    lines.append("")
    for link in chart_links:
        lines += [
            f"![Each wasmext contender's time relative to what it is compared with]({link})",
            "",
        ]
    lines += [
        "| case | contender | best | median | throughput | vs. the case's first row |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for case in cases:
        for row, (label, timing) in enumerate(case.timings.items()):
            title = f"**{case.group}: {case.name}**" if row == 0 else ""
            versus = _versus(case, label)
            lines.append(
                f"| {title} | {label} | {seconds(timing.best)} | {seconds(timing.median)} | "
                f"{_throughput(case, label)} | {versus} |"
            )
    notes: dict[tuple[str, str], list[str]] = {}
    for case in cases:
        if case.note:
            notes.setdefault((case.group, case.note), []).append(case.name)
    lines.append("")
    for (group, note), names in notes.items():
        every_case = len(names) == sum(c.group == group for c in cases)
        lines.append(f"- {group if every_case else f'{group}: {names[0]}'}: {note}.")
    return "\n".join(lines) + "\n"
