"""The event loop: asyncio's default loop against uvloop (installed with ccxt), in the same run.

1. Feeds: benchmarks/bench_feeds.py as it is (the emulator's recorded Binance frames replayed to the bare reader,
   liqwatch's adapter and store, and stock ccxt.pro), once on a default loop and once on a uvloop loop, turn
   about (``--quick``: one turn each of 20k frames; default: two turns each of 100k frames). The figure: liqwatch's
   frames/s on uvloop over its frames/s on the default loop (the medians).
2. Start-up: ``check --demo`` to its first all-LIVE report (benchmarks/bench_startup.py's measure), as
   ``python -m tui`` and as the same command with uvloop's policy installed first, turn about. The figure: the
   default loop's median time over uvloop's (above 1: uvloop starts faster).

Goal (issue 15): uvloop becomes liqwatch's default only if it is faster and the whole test suite passes under
it; docs/dev/startup15.md has the decision and the suite's result. Run: python benchmarks/bench_uvloop.py
[--quick] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository, for benchmarks.*

from benchmarks import bench_feeds, bench_startup

#: ``python -m tui`` with uvloop's policy installed first: every loop it makes (stop_signal.run's Runner,
#: Textual's) is a uvloop loop.
UVLOOP_TUI = [sys.executable, "-c",
              "import asyncio, runpy, sys, uvloop; asyncio.set_event_loop_policy(uvloop.EventLoopPolicy()); "
              "sys.argv[0] = 'liqwatch'; runpy.run_module('tui', run_name='__main__', alter_sys=True)"]


def _loop_factories() -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    import uvloop

    return {"default": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}


def feeds(frames: int, turns: int) -> dict[str, dict[str, float]]:
    """bench_feeds' figures per loop: each one the median of ``turns`` runs."""
    runs: dict[str, list[dict[str, float]]] = {"default": [], "uvloop": []}
    for _ in range(turns):
        for name, factory in _loop_factories().items():
            with asyncio.Runner(loop_factory=factory) as runner:
                runs[name].append(runner.run(bench_feeds.main(frames)))
    return {name: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for name, rs in runs.items()}


def startup(runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="lw-bench-uvloop-") as home:
        env = bench_startup._env(home)
        bench_startup.check_demo_once(env)  # uncounted, as in bench_startup
        bench_startup.check_demo_once(env, python=UVLOOP_TUI)
        times: dict[str, list[float]] = {"default": [], "uvloop": []}
        for _ in range(runs):
            times["default"].append(bench_startup.check_demo_once(env))
            times["uvloop"].append(bench_startup.check_demo_once(env, python=UVLOOP_TUI))
    return {name: statistics.median(ts) for name, ts in times.items()}


def run(quick: bool) -> dict[str, float]:
    f = feeds(bench_feeds.QUICK_FRAMES if quick else 100_000, 2 if quick else 3)
    s = startup(3 if quick else 5)
    d, u = f["default"], f["uvloop"]
    return {
        "uvloop_vs_default_feeds": round(d["liqwatch_cpu_us_per_frame"] / u["liqwatch_cpu_us_per_frame"], 2),
        "uvloop_vs_default_feeds_throughput": round(u["liqwatch_frames_per_s"] / d["liqwatch_frames_per_s"], 2),
        "uvloop_vs_default_startup": round(s["default"] / s["uvloop"], 2),
        "default_liqwatch_frames_per_s": round(d["liqwatch_frames_per_s"]),
        "uvloop_liqwatch_frames_per_s": round(u["liqwatch_frames_per_s"]),
        "default_liqwatch_cpu_us_per_frame": d["liqwatch_cpu_us_per_frame"],
        "uvloop_liqwatch_cpu_us_per_frame": u["liqwatch_cpu_us_per_frame"],
        "uvloop_vs_default_bare": round(u["bare_frames_per_s"] / d["bare_frames_per_s"], 2),
        "uvloop_vs_default_ccxt": round(u["ccxt_frames_per_s"] / d["ccxt_frames_per_s"], 2),
        "default_check_demo_s": round(s["default"], 3),
        "uvloop_check_demo_s": round(s["uvloop"], 3),
    }


def table(r: dict[str, float]) -> str:
    def faster(ratio: float) -> str:
        return "uvloop faster" if ratio > 1.0 else "uvloop not faster"

    return "\n".join([
        f"load average {os.getloadavg()[0]:.2f}; ratios above 1: uvloop faster",
        f"feeds, liqwatch CPU per frame: default {r['default_liqwatch_cpu_us_per_frame']:.1f} µs, uvloop "
        f"{r['uvloop_liqwatch_cpu_us_per_frame']:.1f} µs: {r['uvloop_vs_default_feeds']:.2f}x "
        f"({faster(r['uvloop_vs_default_feeds'])})",
        f"feeds, frames/s on uvloop over the default loop's: liqwatch {r['uvloop_vs_default_feeds_throughput']:.2f}x "
        f"({r['default_liqwatch_frames_per_s']:.0f} -> {r['uvloop_liqwatch_frames_per_s']:.0f}), bare "
        f"{r['uvloop_vs_default_bare']:.2f}x, ccxt {r['uvloop_vs_default_ccxt']:.2f}x",
        f"check --demo start-up: default {r['default_check_demo_s']:.3f} s, uvloop {r['uvloop_check_demo_s']:.3f} s: "
        f"{r['uvloop_vs_default_startup']:.2f}x ({faster(r['uvloop_vs_default_startup'])})",
        "goal: uvloop the default only if faster and the whole suite passes under it (docs/dev/startup15.md)",
    ])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="two turns of 20k frames, 3 start-ups each")
    ap.add_argument("--json", action="store_true", help="print the figures as one flat JSON object")
    a = ap.parse_args()
    result = run(a.quick)
    print(json.dumps(result) if a.json else table(result))


if __name__ == "__main__":
    main()
