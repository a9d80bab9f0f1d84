"""Versioned schema: ``schema_version`` holds one row per applied migration; migrations run in order, each
in its own transaction, and a database from a newer liqwatch is refused rather than written to."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


class SchemaTooNew(RuntimeError):
    pass


V1 = Migration(
    1,
    "alert log, outbox, ack requests, funding, account samples, feed incidents",
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE alerts (
            id TEXT PRIMARY KEY,
            account TEXT NOT NULL, rule TEXT NOT NULL, subject TEXT NOT NULL,
            level TEXT NOT NULL, announced TEXT NOT NULL,
            value REAL, threshold REAL, message TEXT NOT NULL,
            raised_at REAL NOT NULL, updated_at REAL NOT NULL, cleared_at REAL,
            acked_at REAL, acked_level TEXT, snoozed_until REAL, snoozed_level TEXT,
            below_announced_since REAL, reopened INTEGER NOT NULL DEFAULT 0)""",
        "CREATE INDEX alerts_open ON alerts (cleared_at)",
        "CREATE INDEX alerts_updated ON alerts (updated_at)",
        """CREATE TABLE alert_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            time REAL NOT NULL, alert_id TEXT NOT NULL, event TEXT NOT NULL,
            level TEXT, value REAL, threshold REAL, message TEXT,
            channel TEXT, source TEXT NOT NULL DEFAULT 'engine')""",
        "CREATE INDEX alert_log_alert ON alert_log (alert_id, id)",
        "CREATE INDEX alert_log_time ON alert_log (time)",
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at REAL NOT NULL, channel TEXT NOT NULL, alert_id TEXT NOT NULL, log_id INTEGER NOT NULL,
            payload TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL, lease_until REAL,
            finished_at REAL, last_error TEXT,
            UNIQUE (log_id, channel))""",
        "CREATE INDEX outbox_due ON outbox (status, next_attempt_at)",
        """CREATE TABLE ack_requests (
            id INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL, action TEXT NOT NULL,
            level TEXT NOT NULL, until REAL, requested_at REAL NOT NULL, handled_at REAL)""",
        """CREATE TABLE funding_payments (
            account TEXT NOT NULL, payment_key TEXT NOT NULL, symbol TEXT NOT NULL, time REAL NOT NULL,
            amount REAL NOT NULL, rate REAL,
            PRIMARY KEY (account, payment_key))""",
        "CREATE INDEX funding_time ON funding_payments (account, time)",
        """CREATE TABLE account_samples (
            account TEXT NOT NULL, time REAL NOT NULL,
            wallet_balance REAL, equity REAL, maintenance_margin REAL, margin_ratio REAL, risk REAL,
            positions INTEGER NOT NULL, fresh INTEGER NOT NULL,
            PRIMARY KEY (account, time))""",
        """CREATE TABLE feed_incidents (
            id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, channel TEXT NOT NULL,
            kind TEXT NOT NULL, started_at REAL NOT NULL, ended_at REAL, detail TEXT NOT NULL DEFAULT '')""",
        "CREATE INDEX feed_incidents_time ON feed_incidents (account, started_at)",
    ),
)

V2 = Migration(
    2,
    "account samples: cross wallet and cross margin balance beside the exchange's totals",
    (
        "ALTER TABLE account_samples ADD COLUMN cross_wallet_balance REAL",
        "ALTER TABLE account_samples ADD COLUMN cross_margin_balance REAL",
    ),
)

V3 = Migration(
    3,
    "feed incidents: a logged event's own kind and figures (rows before it keep them NULL: read as before)",
    (
        "ALTER TABLE feed_incidents ADD COLUMN event TEXT",
        "ALTER TABLE feed_incidents ADD COLUMN symbol TEXT",
        "ALTER TABLE feed_incidents ADD COLUMN side TEXT",
        "ALTER TABLE feed_incidents ADD COLUMN size REAL",
        "ALTER TABLE feed_incidents ADD COLUMN price REAL",
    ),
)

MIGRATIONS: tuple[Migration, ...] = (V1, V2, V3)


def schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if row is None:
        return 0
    value = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    return int(value or 0)


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Apply the missing migrations in order; returns the versions applied (empty when up to date).

    ``conn`` must be in autocommit mode (``isolation_level=None``): each migration takes its own
    ``BEGIN IMMEDIATE``, which also serializes two processes opening a new file at once.
    """
    ordered = sorted(migrations, key=lambda m: m.version)
    if [m.version for m in ordered] != list(range(1, len(ordered) + 1)):
        raise ValueError("migrations must be numbered 1, 2, 3, ... without gaps")
    known = ordered[-1].version if ordered else 0
    applied: list[int] = []
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)")
    for m in ordered:
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = schema_version(conn)  # again, inside the lock: another process may have run it
            if current > known:
                raise SchemaTooNew(
                    f"the database has schema version {current}, newer than this liqwatch knows ({known}); "
                    "upgrade liqwatch or use another [storage].path"
                )
            if m.version <= current:
                conn.execute("COMMIT")
                continue
            for statement in m.statements:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (m.version, time.time()))
            conn.execute("COMMIT")
            applied.append(m.version)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    if not ordered and schema_version(conn) > 0:
        raise SchemaTooNew("the database has a schema this liqwatch does not know")
    return applied
