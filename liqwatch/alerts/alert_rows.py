"""The alerts table (each alert's latest state), the alert log (every event, with time and value) and the
acknowledgement requests written by ``liqwatch alerts ack`` for the running app to pick up."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from liqwatch.alert_levels import AlertLevel, AlertRule
from liqwatch.alerts.model import Alert, AlertEvent, AlertKey
from liqwatch.storage.db import Database
from liqwatch.storage.timefmt import from_ts, opt_dt, opt_ts, to_ts

# For each event, the outbox rows to add: (channel name, payload built from the event and its log id).
OutboxFor = Callable[[AlertEvent], Sequence[tuple[str, Callable[[int], str]]]]


def _no_outbox(_event: AlertEvent) -> Sequence[tuple[str, Callable[[int], str]]]:
    return ()


@dataclass(frozen=True, slots=True)
class LogEntry:
    id: int
    time: float
    alert_id: str
    event: str
    level: str | None
    value: float | None
    threshold: float | None
    message: str | None
    channel: str | None
    source: str


@dataclass(frozen=True, slots=True)
class AckRequest:
    id: int
    alert_id: str
    action: str  # "ack" | "snooze"
    level: AlertLevel  # the level the trader saw: an alert that escalated since is not acknowledged by it
    until: float | None


def next_id_prefix(db: Database) -> str:
    """A number unique to this process run; alert ids are ``<prefix>-<n>``, short enough to type."""
    with db.transaction() as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'runs'").fetchone()
        runs = int(row["value"]) + 1 if row is not None else 1
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('runs', ?)", (str(runs),))
    return str(runs)


class AlertChanged(Exception):
    """The stored alert changed between a read and a write based on it."""


def save_events(
    db: Database,
    events: Sequence[AlertEvent],
    *,
    outbox_for: OutboxFor = _no_outbox,
    now: datetime | None = None,
    source: str = "engine",
    log: bool = True,
    unchanged_since: Alert | None = None,
    leased_for: Callable[[AlertEvent], float | None] | None = None,
) -> list[int]:
    """In one transaction: the log rows, each alert's latest state, and the outbox rows of every event
    to be sent. Returns the log ids (empty when ``log`` is false: the state is saved alone).

    ``unchanged_since``: the alert as the caller read it (another process, e.g. ``liqwatch alerts ack``);
    if the stored row has moved on since (escalated, cleared), nothing is written and ``AlertChanged`` is
    raised, so that a stale copy never overwrites a newer state.

    ``leased_for(event)``: a lease to write on the event's outbox rows (this process is sending them
    from memory: no sender claims them), or None."""
    ids: list[int] = []
    if not events:
        return ids
    with db.transaction() as conn:
        if unchanged_since is not None:
            row = conn.execute("SELECT level, updated_at, cleared_at FROM alerts WHERE id = ?",
                               (unchanged_since.id,)).fetchone()
            if row is None or row["cleared_at"] is not None or row["level"] != unchanged_since.level.value or (
                row["updated_at"] != to_ts(unchanged_since.updated_at)
            ):
                raise AlertChanged(unchanged_since.id)
        for event in events:
            _upsert(conn, event.alert)
            if not log:
                continue
            a = event.alert
            cur = conn.execute(
                "INSERT INTO alert_log (time, alert_id, event, level, value, threshold, message, source)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (to_ts(event.time), a.id, event.kind.value, event.level.value, event.value, a.threshold,
                 event.message, source),
            )
            log_id = int(cur.lastrowid or 0)
            ids.append(log_id)
            created = to_ts(now or event.time)
            rows = outbox_for(event)
            lease = leased_for(event) if rows and leased_for is not None else None
            for channel, payload in rows:
                conn.execute(
                    "INSERT OR IGNORE INTO outbox (created_at, channel, alert_id, log_id, payload, next_attempt_at,"
                    " lease_until) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (created, channel, a.id, log_id, payload(log_id), created, lease),
                )
    return ids


def _upsert(conn: sqlite3.Connection, a: Alert) -> None:
    conn.execute(
        """INSERT OR REPLACE INTO alerts (id, account, rule, subject, level, announced, value, threshold, message,
               raised_at, updated_at, cleared_at, acked_at, acked_level, snoozed_until, snoozed_level,
               below_announced_since, reopened)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            a.id, a.key.account, a.key.rule.value, a.key.subject, a.level.value, a.announced.value, a.value,
            a.threshold, a.message, to_ts(a.raised_at), to_ts(a.updated_at), opt_ts(a.cleared_at),
            opt_ts(a.acked_at), a.acked_level.value if a.acked_level else None, opt_ts(a.snoozed_until),
            a.snoozed_level.value if a.snoozed_level else None, opt_ts(a.below_announced_since), a.reopened,
        ),
    )


def alert_from_row(row: sqlite3.Row) -> Alert:
    return Alert(
        id=row["id"],
        key=AlertKey(row["account"], AlertRule(row["rule"]), row["subject"]),
        level=AlertLevel(row["level"]),
        value=row["value"],
        threshold=row["threshold"],
        message=row["message"],
        raised_at=from_ts(row["raised_at"]),
        updated_at=from_ts(row["updated_at"]),
        announced=AlertLevel(row["announced"]),
        below_announced_since=opt_dt(row["below_announced_since"]),
        acked_at=opt_dt(row["acked_at"]),
        acked_level=AlertLevel(row["acked_level"]) if row["acked_level"] else None,
        snoozed_until=opt_dt(row["snoozed_until"]),
        snoozed_level=AlertLevel(row["snoozed_level"]) if row["snoozed_level"] else None,
        reopened=row["reopened"],
        cleared_at=opt_dt(row["cleared_at"]),
    )


def load_active(db: Database) -> list[Alert]:
    rows = db.query("SELECT * FROM alerts WHERE cleared_at IS NULL ORDER BY raised_at, id")
    return [alert_from_row(r) for r in rows]


def get_alert(db: Database, alert_id: str) -> Alert | None:
    rows = db.query("SELECT * FROM alerts WHERE id = ?", (alert_id,))
    return alert_from_row(rows[0]) if rows else None


def alerts_since(db: Database, since: datetime) -> list[Alert]:
    """Every alert still active, and every alert that changed since ``since``; worst and newest first."""
    rows = db.query(
        "SELECT * FROM alerts WHERE cleared_at IS NULL OR updated_at >= ? ORDER BY raised_at DESC, id",
        (to_ts(since),),
    )
    return [alert_from_row(r) for r in rows]


def log_entries(db: Database, alert_ids: Sequence[str] | None = None, since: datetime | None = None) -> list[LogEntry]:
    sql = "SELECT * FROM alert_log WHERE 1 = 1"
    params: list[object] = []
    if since is not None:
        sql += " AND time >= ?"
        params.append(to_ts(since))
    if alert_ids is not None:
        sql += f" AND alert_id IN ({', '.join('?' for _ in alert_ids)})"
        params.extend(alert_ids)
    rows = db.query(sql + " ORDER BY id", params)
    return [
        LogEntry(r["id"], r["time"], r["alert_id"], r["event"], r["level"], r["value"], r["threshold"],
                 r["message"], r["channel"], r["source"])
        for r in rows
    ]


def log_delivery(db: Database, alert_id: str, channel: str, level: AlertLevel, when: datetime,
                 event: str = "delivered", message: str | None = None) -> None:
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO alert_log (time, alert_id, event, level, channel, message, source)"
            " VALUES (?, ?, ?, ?, ?, ?, 'delivery')",
            (to_ts(when), alert_id, event, level.value, channel, message),
        )


def add_ack_request(db: Database, alert_id: str, action: str, level: AlertLevel, when: datetime,
                    until: datetime | None = None) -> None:
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO ack_requests (alert_id, action, level, until, requested_at) VALUES (?, ?, ?, ?, ?)",
            (alert_id, action, level.value, opt_ts(until), to_ts(when)),
        )


def take_ack_requests(db: Database, when: datetime) -> list[AckRequest]:
    """The requests not yet handled, marked handled in the same transaction (each is applied once)."""
    with db.transaction() as conn:
        rows = conn.execute("SELECT * FROM ack_requests WHERE handled_at IS NULL ORDER BY id").fetchall()
        if rows:
            conn.execute("UPDATE ack_requests SET handled_at = ? WHERE handled_at IS NULL AND id <= ?",
                         (to_ts(when), rows[-1]["id"]))
    return [AckRequest(r["id"], r["alert_id"], r["action"], AlertLevel(r["level"]), r["until"]) for r in rows]


def close_all_active(db: Database, when: datetime, reason: str) -> int:
    """Clear every active alert (logged with ``reason``); a new demo run starts a new simulated world, and
    alerts about the previous one must not greet it."""
    rows = db.query("SELECT id, level FROM alerts WHERE cleared_at IS NULL")
    with db.transaction() as conn:
        for r in rows:
            conn.execute("UPDATE alerts SET cleared_at = ?, updated_at = ? WHERE id = ?",
                         (to_ts(when), to_ts(when), r["id"]))
            conn.execute(
                "INSERT INTO alert_log (time, alert_id, event, level, message, source) VALUES (?, ?, 'cleared', ?, ?,"
                " 'engine')",
                (to_ts(when), r["id"], r["level"], reason),
            )
    return len(rows)
