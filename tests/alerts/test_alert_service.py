"""AlertService: stored before shown, acknowledgements from the command line, carrying on after a restart,
desktop notifications, and a broken disk that must not hide an alert."""

from __future__ import annotations

import io
import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from liqwatch.alert_levels import AlertLevel
from liqwatch.alerts import alert_rows
from liqwatch.alerts.delivery.desktop import DesktopNotifier
from liqwatch.alerts.delivery.from_config import Deliveries
from liqwatch.alerts.delivery.terminal import TerminalBell
from liqwatch.alerts.model import EventKind
from liqwatch.alerts.service import AlertService
from liqwatch.clock import FakeClock
from liqwatch.storage.async_db import AsyncDatabase
from liqwatch.storage.db import Database
from tests.alerts.alert_scenarios import RISK_ONLY_MAP, Scenario
from tui.cli import main


async def test_an_alert_is_shown_rung_and_recorded_with_its_delivery(tmp_path: Path) -> None:
    db = await AsyncDatabase.open(tmp_path / "db.sqlite3")
    bell_out = io.BytesIO()
    sc = Scenario()
    svc = AlertService(db, RISK_ONLY_MAP, clock=sc.clock,
                       deliveries=Deliveries(immediate=[TerminalBell(bell_out)]))
    try:
        events = await svc.update(sc.tick(risk=0.85))
        assert [a.id for a in svc.alerts()] == [events[0].alert_id]
        assert bell_out.getvalue() == b"\x07"
        await svc.record.drain()
        log = await db.run(alert_rows.log_entries)
        assert [(e.event, e.channel) for e in log] == [("raised", None), ("delivered", "bell")]
        assert log[0].value == pytest.approx(0.85) and log[0].threshold == 0.8
        assert svc.record_status == "ok"
    finally:
        await svc.record.aclose()


async def test_cli_ack_is_picked_up_by_the_running_service(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "db.sqlite3"
    db = await AsyncDatabase.open(path)
    sc = Scenario()
    svc = await AlertService.open(db, RISK_ONLY_MAP, clock=sc.clock, ack_poll_s=2.0)
    try:
        alert_id = (await svc.update(sc.tick(risk=0.85)))[0].alert_id
        assert main(["alerts", "ack", alert_id, "--db", str(path)]) == 0
        assert f"acknowledged alert {alert_id}" in capsys.readouterr().out
        await svc.update(sc.tick(risk=0.85, advance=3))
        assert svc.alerts()[0].acknowledged and not svc.needs_attention()
        log = await db.run(alert_rows.log_entries, [alert_id])
        assert [(e.event, e.source) for e in log] == [("raised", "engine"), ("acknowledged", "cli")]
        # An ack for the level seen before an escalation does not silence the escalation.
        await svc.update(sc.tick(risk=0.95, advance=3))
        await db.run(alert_rows.add_ack_request, alert_id, "ack", AlertLevel.CRITICAL, sc.clock.now())
        await svc.update(sc.tick(risk=0.95, advance=3))
        assert not svc.alerts()[0].acknowledged
        assert main(["alerts", "ack", "9-99", "--db", str(path)]) == 2
        assert "no alert 9-99" in capsys.readouterr().err
    finally:
        await db.aclose()


async def test_restart_carries_on_with_active_alerts_and_their_acks(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    sc = Scenario()
    db = await AsyncDatabase.open(path)
    svc = await AlertService.open(db, RISK_ONLY_MAP, clock=sc.clock)
    first = (await svc.update(sc.tick(risk=0.85)))[0].alert_id
    assert await svc.ack(first)
    assert not await svc.ack("nope")
    await db.aclose()

    db = await AsyncDatabase.open(path)
    svc = await AlertService.open(db, RISK_ONLY_MAP, clock=sc.clock)
    try:
        assert [a.id for a in svc.alerts()] == [first] and svc.alerts()[0].acknowledged
        assert await svc.update(sc.tick(risk=0.86)) == []  # the same alert, still acknowledged: no noise
        events = await svc.update(sc.tick(risk=0.2))
        assert [(e.kind, e.alert_id) for e in events] == [(EventKind.CLEARED, first)]
        second = (await svc.update(sc.tick(risk=0.55, advance=400)))[0].alert_id
        assert second != first and second.split("-")[0] != first.split("-")[0]  # unique across runs
        assert await svc.snooze(second, 60) and await svc.ack_all() == 1
    finally:
        await db.aclose()


@pytest.mark.skipif(os.name != "posix", reason="a shell script stands in for notify-send")
async def test_desktop_notification_runs_notify_send(tmp_path: Path) -> None:
    record = tmp_path / "args.txt"
    exe = tmp_path / "notify-send"
    exe.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{record}"\n', encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    desktop = DesktopNotifier(which=lambda name: str(exe) if name == "notify-send" else None)
    db = await AsyncDatabase.open(tmp_path / "db.sqlite3")
    sc = Scenario()
    svc = await AlertService.open(db, RISK_ONLY_MAP, clock=sc.clock, deliveries=Deliveries(immediate=[desktop]))
    try:
        alert_id = (await svc.update(sc.tick(risk=0.95)))[0].alert_id
        await svc.flush(timeout_s=10)
        args = record.read_text(encoding="utf-8").splitlines()
        assert args[:5] == ["-a", "liqwatch", "-u", "critical", "--"]
        assert args[5] == "liqwatch LIQUIDATION IMMINENT: main" and f"[alert {alert_id}]" in args[6]
    finally:
        await db.aclose()
    assert not DesktopNotifier(which=lambda _name: None).available


async def test_a_database_that_goes_away_does_not_hide_the_alert_and_is_reopened(tmp_path: Path) -> None:
    db = await AsyncDatabase.open(tmp_path / "db.sqlite3")
    bell_out = io.BytesIO()
    sc = Scenario()
    svc = await AlertService.open(db, RISK_ONLY_MAP, clock=sc.clock,
                                  deliveries=Deliveries(immediate=[TerminalBell(bell_out)]))
    await db.run(Database.close)  # as if the disk went away under the connection
    try:
        events = await svc.update(sc.tick(risk=0.85))
        assert svc.alerts() and events[0].kind is EventKind.RAISED
        assert bell_out.getvalue() == b"\x07"
        # The failed write is kept and retried on a reopened connection: the alert reaches the record.
        await svc.record.drain()
        check = await AsyncDatabase.open(tmp_path / "db.sqlite3")
        try:
            log = await check.run(alert_rows.log_entries)
        finally:
            await check.aclose()
        assert [(e.alert_id, e.event) for e in log][:1] == [(events[0].alert_id, "raised")]
        assert svc.record_status == "ok"
    finally:
        await svc.record.aclose()


async def test_cli_snooze_is_picked_up_and_a_worse_level_still_fires(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "db.sqlite3"
    db = await AsyncDatabase.open(path)
    sc = Scenario(clock=FakeClock(datetime.now(UTC)))  # the command line uses the real clock
    svc = await AlertService.open(db, RISK_ONLY_MAP, clock=sc.clock)
    try:
        alert_id = (await svc.update(sc.tick(risk=0.55)))[0].alert_id
        assert main(["alerts", "snooze", alert_id, "10m", "--db", str(path), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["snoozed_until"].endswith("Z")
        assert await svc.update(sc.tick(risk=0.56, advance=3)) == []
        assert svc.alerts()[0].snoozed_until is not None
        events = await svc.update(sc.tick(risk=0.85))
        assert [(e.kind, e.notify) for e in events] == [(EventKind.ESCALATED, True)]
        assert main(["alerts", "snooze", alert_id, "soon", "--db", str(path)]) == 2
    finally:
        await db.aclose()
