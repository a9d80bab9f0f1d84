"""Alerts restored from the record are shared: the app and a ``check --watch`` on one database both restore
an earlier run's active alert. Their writes are conditional: the first process to clear it writes the
"cleared" (with its webhooks); the other finds it cleared in the record, writes nothing and drops its
copy, so one alert has one end and one set of notifications. (An escalation seen by both is written by
both: each process then owns its copy, as it owns the alerts it raised.)"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from liqwatch.alerts import alert_rows
from liqwatch.alerts.model import Alert, AlertEvent, EventKind
from liqwatch.storage.db import Database


class SharedAlerts:
    def __init__(self, alerts: Iterable[Alert] = ()) -> None:
        self._ids = {a.id for a in alerts}
        self.taken_elsewhere: set[str] = set()
        """Ids another process cleared first: dropped from this process's state on its next evaluation."""

    def add(self, alerts: Iterable[Alert]) -> None:
        self._ids.update(a.id for a in alerts)

    def split(self, events: Sequence[AlertEvent]) -> tuple[list[AlertEvent], list[list[AlertEvent]]]:
        """This run's own events (one write), and the events of each shared alert (a conditional write
        each). A shared alert this process clears is its own from then on."""
        own = [e for e in events if e.alert_id not in self._ids]
        groups: dict[str, list[AlertEvent]] = {}
        for e in events:
            if e.alert_id in self._ids:
                groups.setdefault(e.alert_id, []).append(e)
        for alert_id, group in groups.items():
            if any(e.kind is EventKind.CLEARED for e in group):
                self._ids.discard(alert_id)
        return own, list(groups.values())


def save_if_active(db: Database, /, events: Sequence[AlertEvent], **kwargs: Any) -> list[int] | None:
    """``alert_rows.save_events`` unless the alert is no longer active in the record (another process
    cleared it): then nothing is written and None is returned. One transaction: no clear slips between."""
    alert_id = events[0].alert_id
    with db.transaction() as conn:
        row = conn.execute("SELECT cleared_at FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        if row is not None and row["cleared_at"] is not None:
            return None
        return alert_rows.save_events(db, events, **kwargs)
