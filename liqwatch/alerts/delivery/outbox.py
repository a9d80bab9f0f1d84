"""The delivery outbox: a row per (event, webhook), written with the event; a sender claims due rows with a
lease (so a second process does not send them too), then marks them delivered, retries them later, or
gives up. A row survives a restart until one of those happens."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import dataclass, replace

from liqwatch.storage.db import Database

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    channel: str
    alert_id: str
    log_id: int
    payload: str
    attempts: int
    created_at: float
    next_attempt_at: float
    status: str = PENDING
    last_error: str | None = None
    lease_until: float | None = None


def _row(r: sqlite3.Row) -> OutboxRow:
    return OutboxRow(r["id"], r["channel"], r["alert_id"], r["log_id"], r["payload"], r["attempts"],
                     r["created_at"], r["next_attempt_at"], r["status"], r["last_error"], r["lease_until"])


def claim_due(db: Database, now: float, lease_s: float, channels: Collection[str], limit: int = 50,
              exclude: Collection[int] = ()) -> list[OutboxRow]:
    """Lease the due rows of ``channels``; ``exclude``: rows whose outcome this process has queued (sent,
    the outcome not written yet): never claimed again."""
    if not channels:
        return []
    marks = ", ".join("?" for _ in channels)
    skip = "".join(f" AND id != {int(i)}" for i in exclude)
    with db.transaction() as conn:
        rows = conn.execute(
            f"SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?"
            f" AND (lease_until IS NULL OR lease_until < ?) AND channel IN ({marks}){skip} ORDER BY id LIMIT ?",
            (now, now, *channels, limit),
        ).fetchall()
        for r in rows:
            conn.execute("UPDATE outbox SET lease_until = ? WHERE id = ?", (now + lease_s, r["id"]))
    return [replace(_row(r), lease_until=now + lease_s) for r in rows]


def renew_lease(db: Database, row: OutboxRow, now: float, lease_s: float) -> OutboxRow | None:
    """Extend this process's lease on ``row`` from ``now``; None if the lease is no longer ours (it ran out
    and another process claimed the row, or the row is no longer pending)."""
    until = now + lease_s
    with db.transaction() as conn:
        cur = conn.execute(
            "UPDATE outbox SET lease_until = ? WHERE id = ? AND status = 'pending' AND lease_until IS ?",
            (until, row.id, row.lease_until),
        )
    return replace(row, lease_until=until) if cur.rowcount == 1 else None


def mark_delivered(db: Database, row: OutboxRow, now: float, level: str) -> None:
    with db.transaction() as conn:
        conn.execute(
            "UPDATE outbox SET status = 'delivered', finished_at = ?, lease_until = NULL,"
            " attempts = attempts + 1 WHERE id = ?",
            (now, row.id),
        )
        conn.execute(
            "INSERT INTO alert_log (time, alert_id, event, level, channel, source)"
            " VALUES (?, ?, 'delivered', ?, ?, 'delivery')",
            (now, row.alert_id, level, row.channel),
        )


def reschedule(db: Database, row: OutboxRow, next_at: float, error: str | None, *, attempted: bool = True) -> None:
    with db.transaction() as conn:
        conn.execute(
            "UPDATE outbox SET next_attempt_at = ?, lease_until = NULL, last_error = COALESCE(?, last_error),"
            " attempts = attempts + ? WHERE id = ?",
            (next_at, error, 1 if attempted else 0, row.id),
        )


def mark_failed(db: Database, row: OutboxRow, now: float, error: str, level: str) -> None:
    with db.transaction() as conn:
        conn.execute(
            "UPDATE outbox SET status = 'failed', finished_at = ?, lease_until = NULL, last_error = ?,"
            " attempts = attempts + 1 WHERE id = ?",
            (now, error, row.id),
        )
        conn.execute(
            "INSERT INTO alert_log (time, alert_id, event, level, channel, message, source)"
            " VALUES (?, ?, 'delivery_failed', ?, ?, ?, 'delivery')",
            (now, row.alert_id, level, row.channel, error),
        )


def next_due(db: Database, channels: Collection[str]) -> float | None:
    if not channels:
        return None
    marks = ", ".join("?" for _ in channels)
    value = db.query(
        f"SELECT MIN(MAX(next_attempt_at, COALESCE(lease_until, 0))) FROM outbox"
        f" WHERE status = 'pending' AND channel IN ({marks})",
        tuple(channels),
    )[0][0]
    return None if value is None else float(value)


def rows(db: Database, status: str | None = None) -> list[OutboxRow]:
    if status is None:
        return [_row(r) for r in db.query("SELECT * FROM outbox ORDER BY id")]
    return [_row(r) for r in db.query("SELECT * FROM outbox WHERE status = ? ORDER BY id", (status,))]


def row_for(db: Database, log_id: int, channel: str) -> OutboxRow | None:
    found = db.query("SELECT * FROM outbox WHERE log_id = ? AND channel = ?", (log_id, channel))
    return _row(found[0]) if found else None
