"""Review of issue 10, the record: a write that can never land (one that sqlite refuses for what it holds, not
for the state of the file) must not wedge the queue. ``Record._work`` retries every ``sqlite3.Error`` at the
head of the queue forever, so one such write holds back every alert queued behind it, and the record reads
"unavailable" with a database that is perfectly writable."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from liqwatch.storage.db import Database
from liqwatch.storage.record import Record
from tests.feeds.harness import eventually

FAST = {"reopen_s": 0.05, "retry_s": (0.02, 0.05)}


def _note(db: Database, n: int) -> None:
    with db.transaction() as conn:
        conn.execute("INSERT INTO feed_incidents (account, channel, kind, started_at, ended_at, detail)"
                     " VALUES ('a', '', 'exchange', ?, ?, ?)", (float(n), float(n), f"note {n}"))


def _unbindable(db: Database) -> None:
    # A bug in one write (a value sqlite cannot bind): sqlite3.ProgrammingError, on every attempt.
    with db.transaction() as conn:
        conn.execute("INSERT INTO feed_incidents (account, channel, kind, started_at, ended_at, detail)"
                     " VALUES ('a', '', 'exchange', ?, ?, ?)", (0.0, 0.0, {"not": "bindable"}))


def _violating(db: Database) -> None:
    # A constraint it can never meet (NOT NULL): sqlite3.IntegrityError, on every attempt.
    with db.transaction() as conn:
        conn.execute("INSERT INTO feed_incidents (account, channel, kind, started_at, ended_at, detail)"
                     " VALUES (NULL, NULL, NULL, NULL, NULL, NULL)")


def _notes(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT detail FROM feed_incidents ORDER BY id")]
    finally:
        conn.close()


def test_the_poison_writes_really_fail(tmp_path: Path) -> None:
    """Control: each poison write raises a sqlite3.Error of its own making on a healthy database."""
    db = Database.open(tmp_path / "c.sqlite3")
    try:
        with pytest.raises(sqlite3.ProgrammingError):
            _unbindable(db)
        with pytest.raises(sqlite3.IntegrityError):
            _violating(db)
        _note(db, 1)  # the file itself is fine
    finally:
        db.close()


@pytest.mark.parametrize("poison", [_unbindable, _violating])
async def test_one_write_that_can_never_land_does_not_hold_back_the_ones_behind_it(tmp_path: Path, poison) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "r.sqlite3"
    record = await Record.open(path, **FAST)
    try:
        record.submit(_note, 0)
        bad = record.submit(poison)
        after = [record.submit(_note, n) for n in (1, 2)]
        await eventually(lambda: bad.done() or record.health.attempts >= 20, 5, "the poison write tried")
        await eventually(lambda: all(f.done() for f in after), 5, "the writes queued behind it to land")
        assert _notes(path) == ["note 0", "note 1", "note 2"]
        assert record.health.text == "ok"
    finally:
        await record.aclose(wait_s=0)


def _io_error(db: Database) -> None:
    # A disk that fails every write while the file still opens (a failing disk, a network mount going away).
    raise sqlite3.OperationalError("disk I/O error")


async def test_the_record_does_not_read_ok_while_no_write_lands(tmp_path: Path) -> None:
    record = await Record.open(tmp_path / "r.sqlite3", **FAST)
    try:
        record.submit(_io_error)
        alert = record.submit(_note, 1)
        await eventually(lambda: record.health.reason is not None, 5, "the failure seen")
        seen = set()
        loop = asyncio.get_running_loop()
        end = loop.time() + 1.0  # ~20 retry cycles at FAST's pace
        while loop.time() < end:
            seen.add(record.health.text == "ok")
            await asyncio.sleep(0.005)
        assert not alert.done() and record.pending == 2  # nothing landed all along...
        assert seen == {False}, "...yet the record read 'ok' between retries"
    finally:
        await record.aclose(wait_s=0)
