"""Every benchmark with a goal, each in a process of its own, and one table of their figures against the goals.

Each benchmark runs as ``python benchmarks/NAME.py --json`` (``--quick`` passed on where it takes one) and prints
one flat JSON object; this reads the figures named in ``BENCHES`` from it. A benchmark whose file is missing, that
fails, or whose output lacks a figure is a "not run" or "failed" row, never a crash of the table. The header
names the date, the machine (CPU model and cores from /proc/cpuinfo, Python) and the load average before and
after: ratios measured within one benchmark's run are what compare across machines; absolute times are this
machine's, at that load. Run: python benchmarks/run_all.py [--quick] [--only NAME] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Figure:
    key: str  # the benchmark's JSON key
    label: str
    goal: float | None = None  # None: reported, no goal
    cmp: str = "<="  # how the value meets the goal: "<=", ">=" or "=="


@dataclass(frozen=True)
class Bench:
    name: str  # benchmarks/<name>.py
    figures: tuple[Figure, ...]
    takes_quick: bool = True
    timeout_s: float = 900.0


BENCHES: tuple[Bench, ...] = (
    Bench("bench_feeds", (
        Figure("liqwatch_vs_bare_throughput", "feed hot path vs bare aiohttp+orjson (x)", 0.6, ">="),
        Figure("liqwatch_vs_ccxt_throughput", "feed hot path vs stock ccxt.pro (x)", 2.0, ">="),
    )),
    Bench("bench_tick_alert", (
        Figure("p50_ms", "tick to alert queued, p50 (ms)"),
        Figure("p99_ms", "tick to alert queued, p99 (ms)", 2.0, "<="),
    )),
    Bench("bench_ui", (
        Figure("app_core_pct", "App at 10 Hz, 200 positions (% of a core)", 15.0, "<="),
        Figure("app_vs_naive", "App vs naive table, CPU (x)", 0.2, "<="),
        Figure("idle_cells_repainted", "cells repainted when nothing changed", 0.0, "=="),
    )),
    Bench("bench_startup", (
        Figure("check_demo_s", "check --demo to all feeds LIVE (s)", 1.0, "<="),
        Figure("check_demo_cpu_s", "check --demo CPU, the whole command (s)"),  # less moved by others' load
        Figure("demo_first_paint_s", "demo to the first painted position (s)", 2.5, "<="),
        Figure("demo_peak_rss_mb", "demo peak RSS (MB)", 120.0, "<="),
    )),
    Bench("bench_uvloop", (
        Figure("uvloop_vs_default_feeds", "uvloop vs default loop, feeds (x; >1 faster)"),
        Figure("uvloop_vs_default_startup", "uvloop vs default loop, start-up (x; >1 faster)"),
    )),
    # No goal in issue 15: shown for what the engine's incremental sums are worth (2 s, no --quick).
    Bench("bench_risk", (
        Figure("speedup_vs_full", "risk: incremental vs full recompute (x)"),
        Figure("speedup_vs_full_with_liq", "risk: incremental vs recompute with liq prices (x)"),
    ), takes_quick=False),
)


@dataclass
class Outcome:
    """One benchmark's run: its figures, or why there are none."""

    values: dict[str, Any] | None = None
    error: str | None = None  # "not run: ..." or "failed: ..."
    seconds: float = 0.0


@dataclass
class Row:
    benchmark: str
    figure: str
    key: str
    value: float | None
    goal: str  # "<= 1", "" for none
    result: str  # "met", "NOT met", "-" (no goal), or why there is no value
    met: bool | None = field(default=None)


def parse_output(stdout: str) -> dict[str, Any]:
    """The JSON object a benchmark printed: the whole output (bench_feeds indents it), else its last line."""
    text = stdout.strip()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines:
            raise ValueError("no output") from None
        doc = json.loads(lines[-1])
    if not isinstance(doc, dict):
        raise ValueError("the output is not a JSON object")
    return doc


def run_bench(bench: Bench, quick: bool, directory: Path = HERE) -> Outcome:
    script = directory / f"{bench.name}.py"
    if not script.exists():
        return Outcome(error=f"not run: no benchmarks/{script.name}")
    argv = [sys.executable, str(script), "--json", *(["--quick"] if quick and bench.takes_quick else [])]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=bench.timeout_s, cwd=directory.parent,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return Outcome(error=f"failed: timed out after {bench.timeout_s:.0f} s", seconds=time.perf_counter() - t0)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        return Outcome(error=f"failed: exit {proc.returncode}: {last[:100]}", seconds=seconds)
    try:
        return Outcome(values=parse_output(proc.stdout), seconds=seconds)
    except ValueError as exc:
        return Outcome(error=f"failed: unreadable output ({exc})", seconds=seconds)


def judge(fig: Figure, value: float) -> bool | None:
    if fig.goal is None:
        return None
    if fig.cmp == ">=":
        return value >= fig.goal
    if fig.cmp == "==":
        return value == fig.goal
    return value <= fig.goal


def assemble(benches: tuple[Bench, ...], outcomes: dict[str, Outcome]) -> list[Row]:
    """One row per figure of each benchmark asked for, with its verdict (pure: tests feed it fake outcomes)."""
    rows = []
    for bench in benches:
        outcome = outcomes.get(bench.name, Outcome(error="not run"))
        for fig in bench.figures:
            goal = f"{fig.cmp} {fig.goal:g}" if fig.goal is not None else ""
            raw = None if outcome.values is None else outcome.values.get(fig.key)
            if outcome.values is None:
                rows.append(Row(bench.name, fig.label, fig.key, None, goal, outcome.error or "not run"))
            elif not isinstance(raw, int | float) or isinstance(raw, bool):
                rows.append(Row(bench.name, fig.label, fig.key, None, goal, f"not run: no {fig.key} in its output"))
            else:
                met = judge(fig, float(raw))
                rows.append(Row(bench.name, fig.label, fig.key, float(raw), goal,
                                "-" if met is None else ("met" if met else "NOT met"), met))
    return rows


def machine() -> dict[str, Any]:
    model, cores = platform.processor() or platform.machine(), os.cpu_count() or 0
    try:
        with open("/proc/cpuinfo") as f:
            lines = f.read().splitlines()
        names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
        model = names[0] if names else model
        cores = sum(1 for line in lines if line.startswith("processor")) or cores
    except OSError:
        pass
    return {"cpu": model, "cores": cores, "python": platform.python_version(),
            "load_average": round(os.getloadavg()[0], 2)}


def _value(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.0f}" if v == int(v) and abs(v) >= 100 else f"{v:.3g}"


def render(rows: list[Row], info: dict[str, Any]) -> str:
    head = [f"liqwatch benchmarks, {info['date']}{' (--quick)' if info.get('quick') else ''}",
            f"machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}; load average "
            f"{info['load_before']} before, {info['load_after']} after"]
    cols = ("benchmark", "figure", "value", "goal", "result")
    cells = [(r.benchmark, r.figure, _value(r.value), r.goal or "-", r.result) for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c) for i, c in enumerate(cols)]
    widths[4] = len(cols[4])  # the result column is last: its text runs on
    line = "  ".join(f"{c:<{w}}" for c, w in zip(cols, widths, strict=True))
    out = [*head, "", line, "-" * len(line)]
    out += ["  ".join(f"{c:<{w}}" for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    met = sum(1 for r in rows if r.met is True)
    goals = sum(1 for r in rows if r.goal)
    out += ["", f"{met} of {goals} goals met"]
    return "\n".join(out)


def select(names: list[str] | None) -> tuple[Bench, ...]:
    if not names:
        return BENCHES
    wanted = {n if n.startswith("bench_") else f"bench_{n}" for arg in names for n in arg.split(",") if n}
    unknown = wanted - {b.name for b in BENCHES}
    if unknown:
        raise SystemExit(f"run_all: unknown benchmark(s) {', '.join(sorted(unknown))}; "
                         f"one of {', '.join(b.name for b in BENCHES)}")
    return tuple(b for b in BENCHES if b.name in wanted)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="pass --quick to every benchmark that takes it")
    ap.add_argument("--only", action="append", metavar="NAME",
                    help="run only this benchmark (bench_startup or startup; repeat or comma-separate for more)")
    ap.add_argument("--json", action="store_true", help="print the header and the rows as one JSON object")
    args = ap.parse_args(argv)
    benches = select(args.only)
    info = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "quick": args.quick, **machine()}
    info["load_before"] = info.pop("load_average")
    outcomes = {}
    for bench in benches:
        if not args.json:
            print(f"running {bench.name} ...", file=sys.stderr, flush=True)
        outcomes[bench.name] = outcome = run_bench(bench, args.quick)
        if not args.json:
            print(f"  {outcome.seconds:.0f} s{': ' + outcome.error if outcome.error else ''}", file=sys.stderr)
    info["load_after"] = round(os.getloadavg()[0], 2)
    rows = assemble(benches, outcomes)
    if args.json:
        print(json.dumps({**info, "rows": [asdict(r) for r in rows],
                          "seconds": {n: round(o.seconds, 1) for n, o in outcomes.items()}}))
    else:
        print(render(rows, info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
