"""benchmarks/run_all.py's table, from fake benchmark outputs (nothing timed): figures against their goals, and a
missing, failing or incomplete benchmark as a row that says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import run_all
from benchmarks.run_all import Bench, Figure, Outcome

BENCHES = (
    Bench("bench_a", (Figure("ratio", "a ratio", 0.6, ">="), Figure("info", "a figure"))),
    Bench("bench_b", (Figure("p99_ms", "b p99", 2.0, "<="), Figure("zero", "b zero", 0.0, "=="))),
    Bench("bench_c", (Figure("x", "c x", 1.0),)),
)


def test_each_figure_is_judged_against_its_goal() -> None:
    rows = run_all.assemble(BENCHES, {
        "bench_a": Outcome({"ratio": 0.61, "info": 3}),
        "bench_b": Outcome({"p99_ms": 2.5, "zero": 0}),
        "bench_c": Outcome({"x": 1.0}),
    })
    assert [(r.key, r.result, r.met) for r in rows] == [
        ("ratio", "met", True), ("info", "-", None), ("p99_ms", "NOT met", False), ("zero", "met", True),
        ("x", "met", True),
    ]
    assert [r.goal for r in rows] == [">= 0.6", "", "<= 2", "== 0", "<= 1"]


def test_a_missing_benchmark_or_figure_is_not_run_and_a_failure_says_so() -> None:
    rows = run_all.assemble(BENCHES, {
        "bench_a": Outcome({"info": 1.0, "ratio": "fast"}),  # ratio not a number
        "bench_b": Outcome(error="failed: exit 2: unrecognized arguments: --json"),
    })  # bench_c: never run
    assert [(r.key, r.value, r.result) for r in rows] == [
        ("ratio", None, "not run: no ratio in its output"),
        ("info", 1.0, "-"),
        ("p99_ms", None, "failed: exit 2: unrecognized arguments: --json"),
        ("zero", None, "failed: exit 2: unrecognized arguments: --json"),
        ("x", None, "not run"),
    ]
    table = run_all.render(rows, {"date": "2026-01-01 00:00 UTC", "cpu": "CPU", "cores": 2, "python": "3.11",
                                  "load_before": 0.5, "load_after": 0.7})
    assert "CPU, 2 cores, Python 3.11; load average 0.5 before, 0.7 after" in table
    assert "0 of 4 goals met" in table
    assert "failed: exit 2: unrecognized arguments: --json" in table


def test_benchmarks_run_as_processes_and_their_json_is_read(tmp_path: Path) -> None:
    (tmp_path / "bench_a.py").write_text(  # an indented object (as bench_feeds prints) and --quick passed on
        "import json, sys\nprint(json.dumps({'ratio': 0.7, 'info': len(sys.argv)}, indent=1))\n")
    (tmp_path / "bench_b.py").write_text("import sys\nprint('working'); print('{\"p99_ms\": 1.5, \"zero\": 0}')\n")
    (tmp_path / "bench_c.py").write_text("import sys\nsys.exit('broken')\n")
    outcomes = {b.name: run_all.run_bench(b, quick=True, directory=tmp_path) for b in BENCHES}
    assert outcomes["bench_a"].values == {"ratio": 0.7, "info": 3}  # the script, --json and --quick
    assert outcomes["bench_b"].values == {"p99_ms": 1.5, "zero": 0}
    assert outcomes["bench_c"].values is None and outcomes["bench_c"].error == "failed: exit 1: broken"
    missing = run_all.run_bench(Bench("bench_d", ()), quick=False, directory=tmp_path)
    assert missing.error == "not run: no benchmarks/bench_d.py"


def test_only_selects_by_name_with_or_without_the_prefix() -> None:
    assert [b.name for b in run_all.select(["startup", "bench_feeds"])] == ["bench_feeds", "bench_startup"]
    assert [b.name for b in run_all.select(["ui,uvloop"])] == ["bench_ui", "bench_uvloop"]
    assert run_all.select(None) == run_all.BENCHES
    with pytest.raises(SystemExit, match=r"unknown benchmark\(s\) bench_nope"):
        run_all.select(["nope"])
