"""Hostile review of issue 10 (the record): a database locked at the moment the alert service starts.
Each test fails on the code it was written against (xfail strict) and passes once its defect is fixed."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

from liqwatch.alerts import alert_rows
from liqwatch.alerts.model import EventKind
from liqwatch.alerts.service import AlertService
from liqwatch.storage.db import Database
from liqwatch.storage.record import Record
from tests.alerts.alert_scenarios import RISK_ONLY_MAP, Scenario

FAST = {"reopen_s": 0.05, "retry_s": (0.02, 0.05)}


def _short_busy_timeout(db: Database) -> None:
    db.conn.execute("PRAGMA busy_timeout = 50")


def _active(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return [(r[0], r[1]) for r in conn.execute("SELECT id, subject FROM alerts WHERE cleared_at IS NULL")]
    finally:
        conn.close()


async def test_an_active_alert_of_an_earlier_run_clears_after_a_start_on_a_locked_record(tmp_path: Path) -> None:
    """DEFECT: ``AlertService.open`` on a record it cannot read at the moment (locked by another process,
    e.g. a ``check --watch`` writing, or a backup) starts "without the alerts of earlier runs" and never
    loads them once the record is back. The earlier run's alert stays active in the database: this run
    raises a second alert for the same account and rule beside it, clears only its own, and the earlier one
    is listed by ``liqwatch alerts`` and restored by every later start although the condition is long gone.
    EXPECTED: once the record is readable again, whatever is active there is taken over (or closed), so that
    after the condition clears nothing stays active."""
    path = tmp_path / "liqwatch.sqlite3"
    sc = Scenario()
    # Run 1: an alert raised, and the run ends (as a kill would) with it active.
    record = await Record.open(path, **FAST)
    svc = await AlertService.open(record, RISK_ONLY_MAP, clock=sc.clock)
    events = await svc.update(sc.tick(risk=0.85))
    assert [e.kind for e in events] == [EventKind.RAISED]
    await record.drain()
    await record.aclose()
    assert len(_active(path)) == 1

    # Run 2 starts while another process holds a write lock for a moment.
    record = await Record.open(path, **FAST)
    await record.run(_short_busy_timeout)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        svc = await AlertService.open(record, RISK_ONLY_MAP, clock=sc.clock)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    try:
        await svc.update(sc.tick(risk=0.85))  # still at risk: the same alert
        for _ in range(3):
            await svc.update(sc.tick(risk=0.1))  # the condition is gone
        await record.drain()
        assert svc.alerts() == []
        assert _active(path) == [], "alerts left active in the record after the condition cleared"
    finally:
        await record.aclose()


def test_two_starts_on_an_unreadable_record_in_one_second_get_distinct_id_prefixes(
        tmp_path: Path) -> None:
    """DEFECT: the fallback prefix (``_time_prefix``) is the wall-clock second in base 36. The app and a
    ``check --watch`` started together (a login script, systemd) on a record locked at that moment get the
    same prefix, so both number their alerts ``t<second>-1, -2, ...``; ``alerts`` rows are written with
    INSERT OR REPLACE by id, so one process's alert silently replaces the other's in the record (and an ack
    by id acknowledges the wrong one). A wall clock stepped back onto an earlier run's second does the same.
    EXPECTED: the fallback prefix is unique per process run (e.g. include the pid or random bits)."""
    unreadable = tmp_path / "not-a-dir"
    unreadable.write_text("a file where the database's directory should be")
    script = (
        "import asyncio, sys, time\n"
        "time.time = lambda: 1_780_000_000.0  # both processes start in the same second\n"
        "from liqwatch.alerts.service import AlertService\n"
        "from liqwatch.storage.record import Record\n"
        "from tests.alerts.alert_scenarios import RISK_ONLY_MAP\n"
        "async def main():\n"
        "    record = await Record.open(sys.argv[1])\n"
        "    assert not record.available\n"
        "    svc = await AlertService.open(record, RISK_ONLY_MAP)\n"
        "    print(svc.state.id_prefix)\n"
        "    await record.aclose()\n"
        "asyncio.run(main())\n"
    )
    prefixes = []
    for name in ("app.sqlite3", "watch.sqlite3"):
        done = subprocess.run([sys.executable, "-c", script, str(unreadable / name)], capture_output=True,
                              text=True, timeout=60, check=True)
        prefixes.append(done.stdout.strip().splitlines()[-1])
    assert prefixes[0] != prefixes[1]


async def test_control_next_id_prefix_is_a_run_counter(tmp_path: Path) -> None:
    """Sound (checked): on a readable record each start gets the next run number, never a ``t`` prefix."""
    record = await Record.open(tmp_path / "r.sqlite3", **FAST)
    try:
        first = await record.run(alert_rows.next_id_prefix)
        second = await record.run(alert_rows.next_id_prefix)
        assert (first, second) == ("1", "2")
    finally:
        await record.aclose()


async def test_a_record_locked_at_start_does_not_hold_up_the_start(tmp_path: Path) -> None:
    """DEFECT: ``Record.open`` makes its first attempt with the connection's full busy timeout (5 s: the
    migrations need the write lock), and ``AlertRuntime.__aenter__`` awaits it before the monitor's first
    evaluation: measured with the demo database held by ``BEGIN EXCLUSIVE``, ``check --demo --watch`` printed
    its first line after 5.7 s instead of 1.6 s, and the App waits the same. The issue: a locked database
    never stalls the monitor; the record is tried again every 5 s anyway.
    EXPECTED: ``Record.open`` on a locked file comes back unavailable within a moment (well under 2.5 s here)
    and the reopen loop takes it from there."""
    path = tmp_path / "liqwatch.sqlite3"
    first = await Record.open(path, **FAST)
    await first.aclose()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        record = await Record.open(path, **FAST)
        took = loop.time() - started
        try:
            assert not record.available
            assert took < 2.5, f"Record.open took {took:.1f} s on a locked file"
        finally:
            holder.execute("ROLLBACK")
            await record.aclose()
    finally:
        holder.close()


async def test_two_processes_restoring_one_alert_clear_it_once(tmp_path: Path) -> None:
    """DEFECT: every ``AlertService.open`` takes over all alerts still active in the record. The README has the
    app and ``check --watch`` share a database; started after a run that left an alert active, both restore
    it, both see its condition gone, and both write "cleared" for the same alert id, each with its own outbox
    rows: the trader's webhook says the same alert cleared twice, and the log holds two ends of one alert.
    EXPECTED: one alert, one "cleared" (whichever process writes first; the other sees it is no longer active
    in the record and drops its copy), one outbox row for it."""
    from pydantic import SecretStr

    from liqwatch.alert_levels import AlertLevel
    from liqwatch.alerts.delivery.from_config import Deliveries
    from liqwatch.alerts.delivery.webhooks import WebhookChannel

    path = tmp_path / "liqwatch.sqlite3"
    hook = WebhookChannel("ops", "generic", SecretStr("http://127.0.0.1:9/hook"), timeout_s=1,
                          min_level=AlertLevel.INFO)
    sc = Scenario()
    first = await Record.open(path, **FAST)
    svc = await AlertService.open(first, RISK_ONLY_MAP, clock=sc.clock)
    raised = await svc.update(sc.tick(risk=0.85))
    alert_id = raised[0].alert_id
    await first.drain()
    await first.aclose()
    app = await Record.open(path, **FAST)
    watch = await Record.open(path, **FAST)  # the other process: its own connection
    try:
        services = [await AlertService.open(r, RISK_ONLY_MAP, clock=sc.clock,
                                            deliveries=Deliveries(webhooks=[hook])) for r in (app, watch)]
        for _ in range(3):
            snap = sc.tick(risk=0.1)
            for s in services:
                await s.update(snap)
                await s.record.drain()
        conn = sqlite3.connect(path)
        try:
            cleared = conn.execute("SELECT COUNT(*) FROM alert_log WHERE alert_id = ? AND event = 'cleared'",
                                   (alert_id,)).fetchone()[0]
            rows = conn.execute("SELECT COUNT(*) FROM outbox WHERE alert_id = ?", (alert_id,)).fetchone()[0]
        finally:
            conn.close()
        assert (cleared, rows) == (1, 1)
    finally:
        await app.aclose()
        await watch.aclose()
