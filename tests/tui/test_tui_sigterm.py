"""SIGTERM (systemctl stop, docker stop, kill) quits the App cleanly: the alerts and feeds close as on `q`,
so the run marker is removed (no "unclean stop" at the next start), and SIGTERM's default action is back
once the App is gone."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from liqwatch.config import Settings
from liqwatch.config.settings import StorageSettings
from tui.app import make_app
from tui.launch import demo_backend
from widgets.panes import PositionsTable


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or sys.platform == "win32", reason="POSIX signals")
async def test_sigterm_quits_the_app_cleanly_and_restores_the_default(tmp_path: Path) -> None:
    settings = Settings(storage=StorageSettings(path=tmp_path / "liqwatch.sqlite3"))
    app = make_app(settings.ui, connect=lambda: demo_backend(settings, speed=1.0))
    runs = tmp_path / "demo" / "liqwatch.sqlite3.runs"
    loop = asyncio.get_running_loop()
    async with app.run_test(size=(80, 24)) as pilot:
        positions = app.monitor.query_one(PositionsTable)
        deadline = loop.time() + 45
        while len(positions.row_keys) < 5:
            assert loop.time() < deadline, "the demo did not start"
            await pilot.pause(0.1)
        assert runs.is_dir() and [p.name for p in runs.iterdir()] == [f"{os.getpid()}.json"]  # running
        os.kill(os.getpid(), signal.SIGTERM)  # would end pytest itself without the App's handler
        deadline = loop.time() + 30
        while app.return_code is None:
            assert loop.time() < deadline, "SIGTERM did not quit the App"
            await pilot.pause(0.1)
    assert list(runs.iterdir()) == [], "the run marker was left: the next start would report an unclean stop"
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
