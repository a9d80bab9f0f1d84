"""The demo's database locked by another process for 22 s while binance-degen is warned, margin-called and
liquidated: ``check --watch`` keeps printing (never more than 3 s between lines, by the report's own clock),
says the record is unavailable meanwhile, and afterwards ``liqwatch alerts --demo --json`` holds every one
of those alerts with its "raised" event."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_check_command import ROOT, private_home  # noqa: F401  (the fixture is autouse)
from tests.cli.watched import run_main
from tests.tui_command import tui_argv

LOCK_S = 22.0
HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


def _degen(doc: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in doc["accounts"] if a["name"] == "binance-degen")


def _liquidated(doc: dict[str, Any]) -> bool:
    return any(p.get("state") == "liquidated" for p in _degen(doc)["positions"])


async def _watch_with_the_record_locked(demo_dir: Path) -> tuple[list[dict[str, Any]], int, float]:
    # The lock is taken at the first line and released at the first line past LOCK_S with binance-degen
    # liquidated (~line 17 at --speed 5): ~line 23; the watch ends by itself (its exit status is asserted)
    # at 40 s, ~17 s after that on a quiet machine: a loaded one printed the first line several seconds
    # late, and a 30 s watch ended before the lock had been held for 22 s.
    check = await asyncio.create_subprocess_exec(
        *tui_argv(), "check", "--demo", "--speed", "5", "--watch", "40", "--json",
        cwd=ROOT, env=dict(os.environ), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    assert check.stdout is not None
    docs: list[dict[str, Any]] = []
    holder: asyncio.subprocess.Process | None = None
    loop = asyncio.get_running_loop()
    locked_at = 0.0
    held_s = 0.0
    async with asyncio.timeout(150):
        while line := await check.stdout.readline():
            docs.append(json.loads(line))
            # The run's own record, named by its start time (one listing per line of output).
            records = sorted(demo_dir.glob("liqwatch-*.sqlite3"))  # noqa: ASYNC240
            if holder is None and len(records) == 1:
                # Locked at the first line: on a quiet machine before the account is warned, so every alert of
                # its slide is raised under the lock; on a loaded one the start can come after the warning
                # (then waiting for an "ok" line locked nothing, and the test failed), and the margin call and
                # the liquidation still are.
                holder = await asyncio.create_subprocess_exec(
                    sys.executable, "-c", HOLDER, str(records[0]), stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE)
                assert holder.stdout is not None and holder.stdin is not None
                assert (await holder.stdout.readline()).strip() == b"locked"
                locked_at = loop.time()
            elif (holder is not None and holder.returncode is None and holder.stdin is not None
                  and _liquidated(docs[-1]) and loop.time() - locked_at >= LOCK_S):
                held_s = loop.time() - locked_at
                holder.stdin.write(b"go\n")
                await holder.stdin.drain()
                await holder.wait()
        rc = await check.wait()
    assert holder is not None, f"the record was never locked ({len(docs)} lines)"
    assert held_s >= LOCK_S, (f"the lock was never released after the liquidation ({len(docs)} lines, "
                              f"liquidated: {_liquidated(docs[-1]) if docs else None})")
    return docs, rc, held_s


@pytest.mark.slow(45)
def test_a_database_locked_for_22_s_loses_no_alert_and_never_stalls_check(tmp_path: Path) -> None:
    docs, rc, _ = asyncio.run(_watch_with_the_record_locked(tmp_path / "data" / "liqwatch" / "demo"))
    assert rc == 2  # critical: the liquidation

    times = [datetime.fromisoformat(d["time"].replace("Z", "+00:00")) for d in docs]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert max(gaps) <= 3.0, gaps
    unavailable = [d["record"] for d in docs if d["record"] != "ok"]
    assert unavailable and all(r.startswith("unavailable: ") and "locked" in r for r in unavailable)
    assert docs[-1]["record"] == "ok"  # the queue went in once the lock was released
    statuses = [_degen(d)["status"] for d in docs]
    assert "warning" in statuses and _liquidated(docs[-1])

    rc, out, err = run_main("alerts", "--demo", "--json")
    assert rc == 0, err
    alerts = [a for a in json.loads(out)["alerts"] if a["account"] == "binance-degen"]
    subjects = {(a["rule"], a["subject"]): a for a in alerts}
    # Warned (a distance or risk rule at warning first), margin-called, liquidated: each with its "raised".
    warned = [a for a in alerts if a["rule"] in ("distance_pct", "distance_sigma", "risk")]
    assert warned and all(a["events"][0]["event"] == "raised" for a in warned)
    assert any(e["level"] == "warning" for a in warned for e in a["events"]), warned
    assert subjects[("risk_event", "margin_call")]["events"][0]["event"] == "raised"
    liquidation = subjects[("risk_event", "liquidation ETH/USDT:USDT long")]
    assert liquidation["events"][0]["event"] == "raised" and "LIQUIDATED" in liquidation["message"]
