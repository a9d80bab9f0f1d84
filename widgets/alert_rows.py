"""The alerts pane: active alerts with level, age and acknowledgement, worst first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from liqwatch.alerts.model import Alert
from widgets import fmt
from widgets.keyed_table import KEEP, Cell, Column
from widgets.levels import alert_cell
from widgets.table_model import Entry

#: The message takes the width left over (``flex``); the selected alert's whole text is the line under the
#: table (widgets.alert_detail).
COLUMNS = (
    Column("level", "level", 5, "left", KEEP),
    Column("age", "age", 3, priority=2),
    Column("state", "state", 5, "left", priority=1),
    Column("message", "alert", 20, "left", KEEP, flex=True),
)


def ack_state(alert: Alert, now: datetime) -> Cell:
    if alert.snoozed(now) and alert.snoozed_until is not None:
        return (f"zz{fmt.short_age((alert.snoozed_until - now).total_seconds())}", "muted")
    if alert.acknowledged:
        return ("ack", "muted")
    return ("NEW", "critical" if alert.level.is_critical else "warning")


def alert_entry(alert: Alert, now: datetime) -> Entry:
    level = alert_cell(alert.level)
    age = (now - alert.raised_at).total_seconds()
    state = ack_state(alert, now)
    quiet = " muted" if alert.acknowledged or alert.snoozed(now) else ""
    cells = (level, (fmt.age(age), ""), state, (alert.message, quiet.strip()))
    sort = (-alert.level.rank, -age, state[0], alert.message)
    search = f"{alert.key.account} {alert.key.rule.value} {alert.key.subject} {alert.message}".lower()
    return Entry(alert.id, cells, sort, search)


def alert_entries(alerts: Sequence[Alert], now: datetime) -> list[Entry]:
    return [alert_entry(a, now) for a in alerts]
