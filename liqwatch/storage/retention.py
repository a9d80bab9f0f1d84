"""Retention: rows older than ``[storage].retention_days`` are deleted. Open alerts, pending deliveries and
open feed incidents are kept whatever their age: they are not history yet."""

from __future__ import annotations

from datetime import datetime, timedelta

from liqwatch.storage.db import Database
from liqwatch.storage.timefmt import to_ts

_PURGES = (
    ("alert_log", "DELETE FROM alert_log WHERE time < ? AND alert_id NOT IN"
                  " (SELECT id FROM alerts WHERE cleared_at IS NULL)"),
    ("alerts", "DELETE FROM alerts WHERE cleared_at IS NOT NULL AND cleared_at < ?"),
    ("outbox", "DELETE FROM outbox WHERE status != 'pending' AND finished_at < ?"),
    ("ack_requests", "DELETE FROM ack_requests WHERE handled_at IS NOT NULL AND handled_at < ?"),
    ("funding_payments", "DELETE FROM funding_payments WHERE time < ?"),
    ("account_samples", "DELETE FROM account_samples WHERE time < ?"),
    ("feed_incidents", "DELETE FROM feed_incidents WHERE ended_at IS NOT NULL AND ended_at < ?"),
)


def purge(db: Database, now: datetime, retention_days: int) -> dict[str, int]:
    """Delete what is older than ``retention_days`` before ``now``; returns the rows deleted per table."""
    if retention_days < 1:
        raise ValueError("retention_days must be >= 1")
    cutoff = to_ts(now - timedelta(days=retention_days))
    deleted: dict[str, int] = {}
    # One transaction per table: each stays short, so a running app is never held up for long.
    for table, sql in _PURGES:
        with db.transaction() as conn:
            deleted[table] = conn.execute(sql, (cutoff,)).rowcount
    return deleted
