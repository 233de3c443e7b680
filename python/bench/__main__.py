r"""The wasmext benchmark suite; ``cargo xtask bench`` builds everything and runs it.

Run by hand (after ``cargo xtask build`` and installing the wheel into the venv)::

    target/venv/bin/python python/bench --out target/bench \
        --profiles target/bench/profiles --guests target/guests

It prints a table, writes ``report.json`` (times, ratios, targets, machine and versions),
``ratios.png`` and ``summary.md`` (docs/benchmarks.md's section) into ``--out``.  Exit
status 0 even when a target is missed (that is a finding, reported); 1 when a contender
computed a wrong result (then its timing would mean nothing); 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

import case_bindings
import case_calls
import case_coldstart
import case_crypto
import case_deflate
import case_interrupts
import case_profiles
import case_twosum
import chart
import machine
import report
from harness import FULL, QUICK, loop_floor
from suite import Context, WrongResult
from targets import evaluate

#: In the order they run: the long, noisy process spawns last.
GROUPS = (
    case_twosum,
    case_crypto,
    case_deflate,
    case_calls,
    case_bindings,
    case_interrupts,
    case_profiles,
    case_coldstart,
)
CHART = "ratios.png"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python python/bench", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="where the report goes")
    parser.add_argument(
        "--profiles", type=Path, required=True, help="{size,speed}/monocypher.wasm built by xtask"
    )
    parser.add_argument(
        "--guests", type=Path, required=True, help="every built guest, fixtures included"
    )
    parser.add_argument(
        "--native-twosum", type=Path, help="the twosum search built for the host (a cdylib)"
    )
    parser.add_argument("--quick", action="store_true", help="3 short rounds: checks, not numbers")
    parser.add_argument("--filter", help='only cases whose "group: name" contains this')
    parser.add_argument(
        "--readme-charts",
        default="../python/bench/results",
        help="where docs/benchmarks.md finds the charts (relative to docs/)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the selected cases, then write and print the results."""
    args = _arguments(argv)
    settings = QUICK if args.quick else FULL
    ctx = Context(settings, args.profiles, args.guests, args.native_twosum, args.filter)
    started = datetime.datetime.now(datetime.timezone.utc)
    clock = time.perf_counter()
    artifacts = machine.artifacts(args.profiles)
    floor = loop_floor(settings)
    try:
        for group in GROUPS:
            before = len(ctx.cases)
            group_clock = time.perf_counter()
            group.run(ctx)
            for case in ctx.cases[before:]:
                print(f"measured {case.group}: {case.name}", file=sys.stderr)
            if len(ctx.cases) > before:
                spent = time.perf_counter() - group_clock
                print(f"  ({group.__name__}: {spent:.1f} s)", file=sys.stderr)
    except WrongResult as error:
        print(f"error: wrong result, nothing was reported: {error}", file=sys.stderr)
        return 1
    if not ctx.cases:
        print(f"error: no case matches --filter {args.filter!r}", file=sys.stderr)
        return 2

    evaluated = evaluate(ctx.cases)
    args.out.mkdir(parents=True, exist_ok=True)
    chart.draw(args.out / CHART, ctx.cases, evaluated)
    document = report.document(
        mode="quick" if args.quick else "full",
        started=started,
        duration=time.perf_counter() - clock,
        settings=settings,
        floor=floor,
        machine=machine.describe(),
        artifacts=artifacts,
        cases=ctx.cases,
        evaluated=evaluated,
        charts=[CHART],
    )
    report.write_json(args.out / "report.json", document)
    summary = report.markdown(document, ctx.cases, evaluated, [f"{args.readme_charts}/{CHART}"])
    (args.out / "summary.md").write_text(summary, encoding="utf-8")
    print(report.text(ctx.cases, evaluated))
    print(f"wrote {args.out / 'report.json'}, {args.out / CHART}, {args.out / 'summary.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
