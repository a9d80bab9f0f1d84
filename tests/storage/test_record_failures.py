"""The record under a locked, full, corrupt or unopenable database: writes kept in order and retried until
they land, the submitter never waits, the file never overwritten, the queue bounded."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from liqwatch.storage import history
from liqwatch.storage.db import Database
from liqwatch.storage.record import Record
from tests.feeds.harness import eventually

FAST = {"reopen_s": 0.05, "retry_s": (0.02, 0.05)}


def _note(db: Database, n: int) -> None:
    with db.transaction() as conn:
        conn.execute("INSERT INTO feed_incidents (account, channel, kind, started_at, ended_at, detail)"
                     " VALUES ('a', '', 'exchange', ?, ?, ?)", (float(n), float(n), f"note {n}"))


def _notes(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT detail FROM feed_incidents ORDER BY id")]
    finally:
        conn.close()


def _short_busy_timeout(db: Database) -> None:
    # The default 5 s busy timeout would make this test slow, not different.
    db.conn.execute("PRAGMA busy_timeout = 50")


async def test_writes_made_while_another_connection_holds_the_lock_land_in_order_afterwards(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    record = await Record.open(path, **FAST)
    await record.run(_short_busy_timeout)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # as `sqlite3 r.sqlite3 'BEGIN EXCLUSIVE; ...'` in another terminal
    try:
        futures = [record.submit(_note, n) for n in range(5)]  # returns at once: nothing awaited
        assert all(not f.done() for f in futures)
        await eventually(lambda: record.health.reason is not None)
        assert "locked" in record.health.text and record.health.text.startswith("unavailable: ")
        assert record.pending == 5 and not record.available
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    await record.drain()
    assert _notes(path) == [f"note {n}" for n in range(5)]
    assert record.health.text == "ok" and record.health.lost == 0
    await record.aclose()


async def test_a_full_disk_keeps_the_write_and_lands_it_once_there_is_room(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    record = await Record.open(path, **FAST)
    pages = (await record.run(Database.query, "PRAGMA page_count"))[0][0]

    def full(db: Database) -> None:
        db.conn.execute(f"PRAGMA max_page_count = {pages}")

    await record.run(full)
    big = "x" * 50_000

    def write_big(db: Database) -> None:
        with db.transaction() as conn:
            conn.execute("INSERT INTO feed_incidents (account, channel, kind, started_at, detail)"
                         " VALUES ('a', '', 'exchange', 1, ?)", (big,))

    landed = record.submit(write_big)
    after = record.submit(_note, 1)
    await eventually(lambda: record.health.reason is not None)
    assert "full" in record.health.text
    await eventually(lambda: record.health.attempts >= 3)  # retried while full: nothing half written or overtaken
    assert not landed.done() and not after.done() and _notes(path) == []
    await record.run(lambda db: db.conn.execute("PRAGMA max_page_count = 1073741823"))
    await record.drain()
    assert _notes(path) == [big, "note 1"]
    await record.aclose()


async def test_a_corrupt_file_is_never_overwritten_and_is_retried_until_it_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    garbage = b"this is not a database, and it is the trader's file" * 100
    path.write_bytes(garbage)
    record = await Record.open(path, **FAST)
    assert not record.available
    assert record.health.text.startswith("unavailable: ") and str(path) in record.health.text
    record.submit(_note, 1)
    await eventually(lambda: record.health.reopen_attempts >= 3)
    assert path.read_bytes() == garbage  # neither overwritten nor deleted
    with pytest.raises(Exception, match="unavailable"):
        await record.run(Database.query, "SELECT 1")
    path.unlink()  # the trader moves it away
    await record.drain()
    assert _notes(path) == ["note 1"] and record.health.text == "ok"
    await record.aclose()


async def test_a_parent_path_that_is_a_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file, not a directory")
    record = await Record.open(tmp_path / "blocker" / "r.sqlite3", **FAST)
    assert not record.available and "blocker" in record.health.text
    record.submit(_note, 1)
    assert await record.aclose() == 1  # counted as lost at exit, and logged, never silently
    assert (tmp_path / "blocker").read_text() == "a file, not a directory"


async def test_the_queue_is_bounded_and_drops_superseded_writes_first(tmp_path: Path) -> None:
    path = tmp_path / "blocker" / "r.sqlite3"
    (tmp_path / "blocker").write_text("")
    record = await Record.open(path, max_pending=3, **FAST)
    alerts = [record.submit(_note, 1)]
    samples = [record.submit_droppable(_note, 100 + n) for n in range(2)]
    alerts.append(record.submit(_note, 2))  # full: the oldest droppable write goes
    assert record.pending == 3 and record.health.lost == 1
    assert samples[0].done() and isinstance(samples[0].exception(), Exception)
    assert not any(f.done() for f in alerts)
    (tmp_path / "blocker").unlink()
    await record.drain()
    assert _notes(path) == ["note 1", "note 101", "note 2"]
    await record.aclose()


async def test_a_failed_commit_leaves_no_transaction_open(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "r.sqlite3")
    pages = db.query("PRAGMA page_count")[0][0]
    db.conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(sqlite3.Error), db.transaction() as conn:
        conn.execute("INSERT INTO feed_incidents (account, channel, kind, started_at, detail)"
                     " VALUES ('a', '', 'exchange', 1, ?)", ("y" * 50_000,))
    assert not db.conn.in_transaction
    db.conn.execute("PRAGMA max_page_count = 1073741823")
    history.add_note(db, "a", datetime.fromtimestamp(1.0, UTC), "after")
    assert [r["detail"] for r in db.query("SELECT detail FROM feed_incidents")] == ["after"]
    db.close()

