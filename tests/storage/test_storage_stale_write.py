"""A write based on an old read of an alert (another process's `alerts ack`) never overwrites a newer state."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from liqwatch.alert_levels import AlertLevel
from liqwatch.alerts import alert_rows, engine
from liqwatch.storage.db import Database
from tests.alerts.alert_scenarios import RISK_ONLY_MAP, Scenario


def test_an_ack_on_a_stale_copy_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "a.sqlite3")
    sc = Scenario()
    state, events = engine.evaluate(engine.AlertState(), sc.tick(risk=0.55), RISK_ONLY_MAP, sc.clock.now())
    alert_rows.save_events(db, events)
    read_by_cli = alert_rows.load_active(db)[0]
    assert read_by_cli.level is AlertLevel.WARNING
    # Meanwhile the app escalates it.
    sc.clock.advance(1)
    state, escalation = engine.evaluate(state, sc.tick(risk=0.85), RISK_ONLY_MAP, sc.clock.now())
    alert_rows.save_events(db, escalation)
    # The CLI acks what it read: refused, and the escalation stands.
    old_state = engine.AlertState(active={read_by_cli.key: read_by_cli})  # type: ignore[arg-type]
    _, ack = engine.ack(old_state, read_by_cli.id, sc.clock.now() + timedelta(seconds=1))
    with pytest.raises(alert_rows.AlertChanged):
        alert_rows.save_events(db, ack, unchanged_since=read_by_cli)
    stored = alert_rows.get_alert(db, read_by_cli.id)
    assert stored is not None and stored.level is not AlertLevel.WARNING and stored.acked_at is None
    # Acking the current copy works.
    _, ack = engine.ack(engine.AlertState(active={stored.key: stored}), stored.id,  # type: ignore[arg-type]
                        sc.clock.now() + timedelta(seconds=2))
    alert_rows.save_events(db, ack, unchanged_since=stored)
    after = alert_rows.get_alert(db, stored.id)
    assert after is not None and after.acked_at is not None
    assert replace(after, acked_at=None, acked_level=None).level == stored.level
    db.close()
