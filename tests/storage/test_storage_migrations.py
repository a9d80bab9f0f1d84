"""Schema migrations from an empty file, idempotence, order, refusal of a newer schema; file settings."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from liqwatch.config import load_settings
from liqwatch.storage.db import Database
from liqwatch.storage.migrations import MIGRATIONS, Migration, SchemaTooNew, migrate, schema_version
from liqwatch.storage.paths import database_path

TABLES = {"schema_version", "meta", "alerts", "alert_log", "outbox", "ack_requests", "funding_payments",
          "account_samples", "feed_incidents"}


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return {r[0] for r in rows}


def test_empty_file_is_migrated_to_the_latest_schema(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "liqwatch.sqlite3"
    db = Database.open(path)
    try:
        assert schema_version(db.conn) == MIGRATIONS[-1].version
        assert _tables(db.conn) == TABLES
        assert db.query("PRAGMA journal_mode")[0][0] == "wal"
    finally:
        db.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    Database.open(path).close()
    db = Database.open(path)
    try:
        assert migrate(db.conn) == []
        assert [r[0] for r in db.query("SELECT version FROM schema_version")] == [m.version for m in MIGRATIONS]
    finally:
        db.close()


def test_migrations_apply_in_order_and_only_the_missing_ones() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    m2 = Migration(2, "add a column", ("ALTER TABLE alerts ADD COLUMN note TEXT",))
    m3 = Migration(3, "an index", ("CREATE INDEX alerts_note ON alerts (note)",))
    assert migrate(conn, [MIGRATIONS[0]]) == [1]
    assert migrate(conn, [m3, MIGRATIONS[0], m2]) == [2, 3]  # given out of order, applied in order
    assert migrate(conn, [MIGRATIONS[0], m2, m3]) == []
    assert "note" in [r[1] for r in conn.execute("PRAGMA table_info(alerts)")]


def test_a_failing_migration_leaves_the_previous_version_intact() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    bad = Migration(2, "broken", ("CREATE TABLE fine (x)", "THIS IS NOT SQL"))
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, [MIGRATIONS[0], bad])
    assert schema_version(conn) == 1
    assert "fine" not in _tables(conn)


def test_gaps_and_newer_databases_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="without gaps"):
        migrate(sqlite3.connect(":memory:", isolation_level=None), [Migration(2, "x", ())])
    path = tmp_path / "db.sqlite3"
    future = Migration(MIGRATIONS[-1].version + 1, "future", ("CREATE TABLE future (x)",))
    db = Database.open(path, migrations=[*MIGRATIONS, future])
    db.close()
    with pytest.raises(SchemaTooNew, match="newer than this liqwatch"):
        Database.open(path)


def test_demo_runs_use_their_own_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\npath = "{tmp_path / "data" / "lw.sqlite3"}"\n', encoding="utf-8")
    settings = load_settings(config, environ={})
    assert database_path(settings) == tmp_path / "data" / "lw.sqlite3"
    assert database_path(settings, demo=True) == tmp_path / "data" / "demo" / "lw.sqlite3"  # until a demo run
    assert database_path(None, demo=True).parent.name == "demo"


def test_an_event_row_written_before_schema_3_stays_readable(tmp_path: Path) -> None:
    """Schema 3 gives a logged event its own kind and figures; a row of schema 2 reads as it did."""
    from datetime import UTC, datetime

    from liqwatch.storage import history

    path = tmp_path / "db.sqlite3"
    Database.open(path, migrations=MIGRATIONS[:2]).close()
    db = Database.open(path, migrations=MIGRATIONS[:2])
    with db.transaction() as conn:
        conn.execute("INSERT INTO feed_incidents (account, channel, kind, started_at, ended_at, detail)"
                     " VALUES ('a', '', 'exchange', 10, 10, 'Binance MARGIN_CALL')")
    db.close()
    db = Database.open(path)
    try:
        history.add_note(db, "a", datetime.fromtimestamp(20, UTC), "BTC/USDT:USDT long LIQUIDATED at 1",
                         history.LoggedNote("a", "", "exchange", "liquidation", "BTC/USDT:USDT", "long", 0.5, 1.0))
        old, new = history.incidents(db, "a", datetime.fromtimestamp(0, UTC))
        assert (old.kind, old.detail, old.event, old.size) == ("exchange", "Binance MARGIN_CALL", None, None)
        assert (new.kind, new.event, new.symbol, new.side, new.size, new.price) == (
            "exchange", "liquidation", "BTC/USDT:USDT", "long", 0.5, 1.0)
    finally:
        db.close()
