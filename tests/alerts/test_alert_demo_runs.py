"""Each demo run is a new simulated world: alerts left active by an earlier demo run are closed (and the
closing logged) instead of greeting the new one; the real record keeps its active alerts across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest

from liqwatch.alert_runtime import AlertRuntime
from liqwatch.alerts import alert_rows
from liqwatch.config import load_settings
from tests.alerts.alert_scenarios import Scenario


@pytest.mark.parametrize("demo", [True, False])
async def test_active_alerts_across_runs(tmp_path: Path, demo: bool) -> None:
    settings = load_settings(None, environ={}, overrides={"storage": {"path": str(tmp_path / "r.sqlite3")}})
    path = tmp_path / "r.sqlite3"
    sc = Scenario()
    async with AlertRuntime(settings, demo=demo, db_path=path, clock=sc.clock) as first:
        await first.on_snapshot(sc.tick(risk=0.85))
        raised = first.service.alerts()
        assert raised
    async with AlertRuntime(settings, demo=demo, db_path=path, clock=sc.clock) as second:
        if demo:
            assert second.service.alerts() == []
            assert second.db is not None
            log = await second.db.run(alert_rows.log_entries, [raised[0].id])
            assert log[-1].event == "cleared" and log[-1].message == "a new demo run started"
        else:
            assert [a.id for a in second.service.alerts()] == [a.id for a in raised]


async def test_a_history_write_failure_costs_the_plots_not_the_monitor(tmp_path: Path) -> None:
    import sqlite3

    settings = load_settings(None, environ={}, overrides={"storage": {"path": str(tmp_path / "r.sqlite3")}})
    sc = Scenario()
    async with AlertRuntime(settings, db_path=tmp_path / "r.sqlite3", clock=sc.clock) as rt:
        assert rt.recorder is not None

        async def full_disk(*_: object) -> None:
            raise sqlite3.OperationalError("database or disk is full")

        rt.recorder.on_snapshot = full_disk  # type: ignore[method-assign]
        events = await rt.on_snapshot(sc.tick(risk=0.85))
        assert events and rt.service.alerts()  # the alert is still raised and shown
        assert rt.bookkeeping_error is not None and "disk is full" in rt.bookkeeping_error
