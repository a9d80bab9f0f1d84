"""Hostile review of issue 10 ("a monitor that is known to be watching"): the run marker under a full disk and
a jumping wall clock, with two processes on one database. Each xfail test fails on the code it was written
against and passes once its defect is fixed."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from liqwatch.storage.run_marker import RunMarker


@pytest.fixture
def other_process() -> Iterator[int]:
    """A live process started before the markers below were written (stands in for a running liqwatch)."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield child.pid
    finally:
        child.kill()
        child.wait(10)


def _marker(directory: Path, pid: int, started_at: datetime, seen_at: datetime) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{pid}.json"
    path.write_text(json.dumps({"pid": pid, "started_at": started_at.isoformat(), "seen_at": seen_at.isoformat(),
                                "error": None}), encoding="utf-8")
    return path


def test_a_running_process_whose_marker_is_not_fresh_is_not_reported_as_an_unclean_stop(
        tmp_path: Path, other_process: int) -> None:
    """DEFECT: ``RunMarker.start`` treats a marker whose pid is alive as another running liqwatch only while
    its ``seen_at`` is under ``STALE_S`` (120 s) old by the wall clock. The running app rewrites it every 5 s
    (``touch``) but a full disk makes that fail (logged, marker kept "a little early"), and a wall clock stepped
    forward makes a fresh marker look old at once. A ``liqwatch check`` (or a second app) started then reports
    "liqwatch stopped uncleanly" for the app that is still running, raises that warning alert (latched until
    acknowledged), and deletes the app's marker, so a real crash of the app afterwards (before its next
    successful touch) is never reported. The staleness was meant for a recycled pid, which can be told apart
    without the wall clock: a pid in use by a process that started after the marker did is not that run's.
    EXPECTED: a live pid whose process started before the marker's ``started_at`` is a running liqwatch, not
    an unclean stop, however old its ``seen_at``; its marker is left alone."""
    runs = tmp_path / "liqwatch.sqlite3.runs"
    # The marker was written after the other process started (as a run writes its own at start) ...
    written = datetime.now(UTC) + timedelta(seconds=5)
    path = _marker(runs, other_process, written, written)
    # ... and 5 minutes later it is still that old (disk full since), or the clock jumped 5 minutes ahead.
    found = RunMarker(runs, pid=other_process + 100_000).start(written + timedelta(minutes=5))
    assert found == [], f"a running process reported as stopped: {[s.message() for s in found]}"
    assert path.exists(), "the running process's marker was deleted"


def test_control_a_recycled_pid_is_still_an_unclean_stop(tmp_path: Path, other_process: int) -> None:
    """Sound (checked), and must stay so: a marker older than the process now holding its pid is reported."""
    runs = tmp_path / "liqwatch.sqlite3.runs"
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    _marker(runs, other_process, long_ago, long_ago + timedelta(minutes=30))
    found = RunMarker(runs, pid=other_process + 100_000).start(datetime.now(UTC))
    assert [s.pid for s in found] == [other_process]


@pytest.mark.slow(3)
async def test_an_unclean_stop_found_while_the_record_is_locked_is_still_reported_later(tmp_path: Path) -> None:
    """DEFECT: ``RunMarker.start`` renames and deletes the dead process's marker as soon as it reads it; the
    report then exists only as an alert in this run's memory and the record's queue. With the database locked
    (or the disk full) for this whole run, the alert's write is dropped at exit ("could not be saved before
    exit"), the marker is gone, and no later start ever says that liqwatch stopped uncleanly.
    EXPECTED: the marker is kept (or re-written) until the alert that reports it has landed in the record, so
    the next start still reports it."""
    import sqlite3

    from liqwatch.alert_runtime import AlertRuntime
    from liqwatch.alerts import alert_rows
    from liqwatch.config.settings import Settings
    from liqwatch.storage.db import Database
    from liqwatch.storage.run_marker import marker_dir
    from tests.alerts.alert_scenarios import Scenario

    db_path = tmp_path / "liqwatch.sqlite3"
    dead = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    async with asyncio.timeout(30):
        await dead.wait()  # gone: its pid is a dead process's
    seen = datetime.now(UTC) - timedelta(minutes=10)
    _marker(marker_dir(db_path), dead.pid, seen - timedelta(hours=1), seen)
    Database.open(db_path).close()
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # locked for the whole of the first run
    try:
        async with AlertRuntime(Settings(), db_path=db_path) as alerting:
            sc = Scenario()
            for _ in range(3):
                await alerting.on_snapshot(sc.tick(59_000.0))
            assert any("stopped uncleanly" in a.message for a in alerting.service.alerts())  # shown ...
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # ... and the next run, on a healthy record, must still know of it.
    async with AlertRuntime(Settings(), db_path=db_path) as alerting:
        sc = Scenario()
        for _ in range(3):
            await alerting.on_snapshot(sc.tick(59_000.0))
        assert alerting.db is not None
        await alerting.db.drain()
        active = await alerting.db.run(alert_rows.load_active)
        assert any(f"pid {dead.pid}" in a.message for a in active), [a.message for a in active]
