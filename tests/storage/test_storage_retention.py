"""Retention purges old history and keeps what is still open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from liqwatch.alert_levels import AlertLevel, AlertRule
from liqwatch.alerts import alert_rows
from liqwatch.alerts.delivery import outbox
from liqwatch.alerts.model import Alert, AlertEvent, AlertKey, EventKind
from liqwatch.model import FundingPayment
from liqwatch.storage import history
from liqwatch.storage.db import Database
from liqwatch.storage.history import Sample
from liqwatch.storage.retention import purge

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def _event(alert_id: str, when: datetime, cleared: bool) -> AlertEvent:
    alert = Alert(alert_id, AlertKey("main", AlertRule.RISK, alert_id), AlertLevel.WARNING, 0.6, 0.5, "m", when,
                  when, AlertLevel.WARNING, cleared_at=when if cleared else None)
    return AlertEvent(EventKind.CLEARED if cleared else EventKind.RAISED, when, alert, True)


def test_purge_deletes_rows_older_than_retention_and_keeps_open_ones() -> None:
    db = Database.memory()
    old, recent = NOW - timedelta(days=40), NOW - timedelta(days=1)
    alert_rows.save_events(db, [_event("old-cleared", old, True), _event("old-open", old, False),
                                _event("new", recent, True)],
                           outbox_for=lambda e: [("ops", lambda log_id: "{}")])
    rows = outbox.rows(db)
    outbox.mark_delivered(db, rows[0], old.timestamp(), "warning")  # old and finished
    history.add_samples(db, [Sample("main", old.timestamp(), 1, 1, 0, 0, 0, 1, True),
                             Sample("main", recent.timestamp(), 1, 1, 0, 0, 0, 1, True)])
    history.add_funding(db, "main", [FundingPayment("BTC", -1.0, old), FundingPayment("BTC", -1.0, recent)])
    closed = history.open_incident(db, "main", "mark", "stale", old)
    history.close_incident(db, closed, old + timedelta(minutes=1))
    history.open_incident(db, "main", "user", "reconnecting", old)  # still open: kept

    deleted = purge(db, NOW, retention_days=30)

    assert deleted["alerts"] == 1 and deleted["account_samples"] == 1 and deleted["funding_payments"] == 1
    assert deleted["feed_incidents"] == 1 and deleted["outbox"] == 1
    assert {a.id for a in alert_rows.alerts_since(db, old - timedelta(days=1))} == {"old-open", "new"}
    kept_log = {e.alert_id for e in alert_rows.log_entries(db)}
    assert "old-cleared" not in kept_log and "old-open" in kept_log  # an open alert keeps its history
    assert [r.status for r in outbox.rows(db)] == ["pending", "pending"]
    assert [i.kind for i in history.incidents(db, "main", old - timedelta(days=1))] == ["reconnecting"]
    assert purge(db, NOW, retention_days=30) == dict.fromkeys(deleted, 0)
