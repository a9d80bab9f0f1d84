"""What ``liqwatch alerts`` prints: the documented JSON and a text table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from liqwatch.alerts.alert_rows import LogEntry
from liqwatch.alerts.model import Alert
from liqwatch.storage.timefmt import iso, opt_ts, to_ts


def _status(a: Alert) -> str:
    return "cleared" if a.cleared_at is not None else "active"


def alert_json(a: Alert, entries: Sequence[LogEntry]) -> dict[str, Any]:
    return {
        "id": a.id,
        "account": a.key.account,
        "rule": a.key.rule.value,
        "subject": a.key.subject,
        "level": a.level.value,
        "peak_level": a.announced.value,
        "status": _status(a),
        "acknowledged": a.acknowledged,
        "acknowledged_at": iso(opt_ts(a.acked_at)),
        "snoozed_until": iso(opt_ts(a.snoozed_until)),
        "value": a.value,
        "threshold": a.threshold,
        "message": a.message,
        "raised_at": iso(to_ts(a.raised_at)),
        "updated_at": iso(to_ts(a.updated_at)),
        "cleared_at": iso(opt_ts(a.cleared_at)),
        "events": [
            {
                "time": iso(e.time),
                "event": e.event,
                "level": e.level,
                "value": e.value,
                "threshold": e.threshold,
                "channel": e.channel,
                "source": e.source,
                "message": e.message,
            }
            for e in entries
            if e.alert_id == a.id
        ],
    }


def render_alerts_json(path: Path, since: datetime, alerts: Sequence[Alert],
                       entries: Sequence[LogEntry]) -> dict[str, Any]:
    return {
        "database": str(path),
        "since": iso(to_ts(since)),
        "alerts": [alert_json(a, entries) for a in alerts],
    }


def _short(ts: float | None) -> str:
    text = iso(ts)
    return "" if text is None else text[:19].replace("T", " ")


def render_alerts_text(path: Path, since: datetime, alerts: Sequence[Alert], entries: Sequence[LogEntry],
                       found: bool) -> str:
    head = f"# alerts active now or changed since {_short(to_ts(since))} UTC; database {path}"
    if not found:
        return head + "\n# no database yet: nothing has been recorded\n"
    if not alerts:
        return head + "\nno alerts\n"
    rows = [("ID", "LEVEL", "STATE", "RAISED (UTC)", "MESSAGE")]
    for a in alerts:
        state = _status(a)
        if a.cleared_at is None and a.acknowledged:
            state += ", acked"
        if a.snoozed_until is not None and a.cleared_at is None:
            state += ", snoozed"
        delivered = sorted({e.channel for e in entries if e.alert_id == a.id and e.event == "delivered" and e.channel})
        message = a.message + (f"  [sent: {', '.join(delivered)}]" if delivered else "")
        rows.append((a.id, a.level.value, state, _short(to_ts(a.raised_at)), message))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [head] + ["  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4] for r in rows]
    return "\n".join(lines) + "\n"
