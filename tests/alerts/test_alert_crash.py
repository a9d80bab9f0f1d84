"""Killed with SIGKILL right after an alert is raised: the alert is in the log, and the next process on the
same database sends its pending delivery, once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from liqwatch.alerts import alert_rows
from liqwatch.alerts.delivery import outbox
from liqwatch.storage.db import Database
from tests.alerts.alert_receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]


async def _spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.alerts.alert_crash_scripts", *args, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
async def test_sigkill_after_raise_loses_nothing(tmp_path: Path) -> None:
    db_path = tmp_path / "liqwatch.sqlite3"
    rx = Receiver()
    port = await rx.start()
    await rx.stop()  # nothing listens while the first process runs
    first = await _spawn("raise", str(db_path), str(port))
    try:
        async with asyncio.timeout(20):
            assert first.stdout is not None
            line = (await first.stdout.readline()).decode()
        assert line.startswith("RAISED "), (line, await first.stderr.read() if first.stderr else b"")
        alert_id = line.split()[1]
        os.kill(first.pid, signal.SIGKILL)
        async with asyncio.timeout(10):
            assert await first.wait() == -signal.SIGKILL
    finally:
        with contextlib.suppress(ProcessLookupError):
            first.kill()

    db = Database.open(db_path)
    try:
        assert [e.event for e in alert_rows.log_entries(db, [alert_id])] == ["raised"]
        assert [r.alert_id for r in outbox.rows(db, outbox.PENDING)] == [alert_id]
    finally:
        db.close()

    await rx.start(port)
    try:
        second = await _spawn("deliver", str(db_path), str(port))
        async with asyncio.timeout(30):
            out, err = await second.communicate()
        assert second.returncode == 0, err.decode()
        assert out.decode().split() == ["DELIVERED", "1"]
    finally:
        await rx.stop()
    assert len(rx.requests) == 1
    assert json.loads(rx.requests[0].body)["alert_id"] == alert_id
    db = Database.open(db_path)
    try:
        assert [(e.event, e.channel) for e in alert_rows.log_entries(db, [alert_id])] == [
            ("raised", None), ("delivered", "ops")]
    finally:
        db.close()
