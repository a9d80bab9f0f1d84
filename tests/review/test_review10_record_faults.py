"""Hostile review of issue 10 (the record): the database file deleted or replaced under a running monitor,
and a disk that fills and frees mid-run. Each xfail test fails on the code it was written against and passes
once its defect is fixed; the others are checks that came out sound."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from liqwatch.alert_levels import AlertLevel
from liqwatch.alerts.delivery.from_config import Deliveries
from liqwatch.alerts.delivery.webhooks import WebhookChannel
from liqwatch.alerts.model import EventKind
from liqwatch.alerts.service import AlertService
from liqwatch.storage.record import Record
from tests.alerts.alert_scenarios import RISK_ONLY_MAP, Scenario
from tests.feeds.harness import eventually

FAST = {"reopen_s": 0.05, "retry_s": (0.02, 0.05)}


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def test_alerts_raised_after_the_database_file_is_deleted_reach_a_database_at_its_path(tmp_path: Path) -> None:
    """DEFECT: the record keeps writing through the connection it has: once the file is deleted (a clean-up
    script, `rm ~/.local/share/liqwatch/*` to "start afresh", a restore that moves another file in place) every
    alert goes into an unlinked inode that vanishes at exit, ``record`` stays "ok", and ``liqwatch alerts``
    reads an empty or foreign database. The issue's promise, "what was shown is what gets recorded", is broken
    without a word.
    EXPECTED: the record notices that the file at its path is no longer the one it has open (gone, or another
    inode) and either reopens there (writing what comes next) or reports itself unavailable with the reason."""
    path = tmp_path / "liqwatch.sqlite3"
    sc = Scenario()
    record = await Record.open(path, **FAST)
    try:
        svc = await AlertService.open(record, RISK_ONLY_MAP, clock=sc.clock)
        await svc.update(sc.tick(risk=0.55))  # a warning, recorded
        await record.drain()
        assert len(_rows(path, "SELECT id FROM alerts")) == 1
        _remove_database(path)
        events = await svc.update(sc.tick(risk=0.85))  # escalates to critical: shown ...
        assert [e.kind for e in events] == [EventKind.ESCALATED]
        for _ in range(20):
            await svc.update(sc.tick(risk=0.85))
        await record.drain()
        # ... and either recorded where `liqwatch alerts` looks, or the record says it is not recording.
        landed = path.exists() and any(
            r[0] == "escalated" for r in _rows(path, "SELECT event FROM alert_log"))
        assert landed or record.health.text != "ok", (
            f"record says {record.health.text!r}; file at the path: {path.exists()}")
    finally:
        await record.aclose()


@contextlib.contextmanager
def _small_disk(where: Path, size: str = "4m") -> Iterator[Path]:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, timeout=10, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=10, check=False)


def _fill(where: Path) -> Path:
    ballast = where / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 16, 4096, 512, 1):  # to the last byte
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"x" * size)
    finally:
        os.close(fd)
    return ballast


async def test_control_a_disk_that_fills_and_frees_records_every_alert_once_in_order(tmp_path: Path) -> None:
    """Sound (checked): a real full disk (a small tmpfs, as root) for a stretch in which the alert is raised,
    escalated and cleared, then freed: every event lands once, in order, with one outbox row per sent event."""
    with _small_disk(tmp_path / "disk") as disk:
        path = disk / "liqwatch.sqlite3"
        sc = Scenario()
        record = await Record.open(path, **FAST)
        hook = WebhookChannel("ops", "generic", SecretStr("http://127.0.0.1:9/hook"), timeout_s=1,
                              min_level=AlertLevel.WARNING)
        try:
            svc = await AlertService.open(record, RISK_ONLY_MAP, clock=sc.clock,
                                          deliveries=Deliveries(webhooks=[hook]))
            await svc.update(sc.tick(risk=0.1))
            await record.drain()
            ballast = _fill(disk)
            kinds: list[str] = []
            for risk in (0.55, 0.85, 0.95, 0.1, 0.1, 0.1):
                kinds += [e.kind.value for e in await svc.update(sc.tick(risk=risk))]
                for _ in range(3):
                    await svc.update(sc.tick(risk=risk))
            await eventually(lambda: record.health.attempts >= 2, 5, f"retries while full {record.health}")
            assert "full" in record.health.text and record.pending >= 1
            ballast.unlink()  # room again
            await eventually(lambda: record.pending == 0, 15, "the queue to land")
            logged = [r[0] for r in _rows(path, "SELECT event FROM alert_log WHERE source = 'engine' ORDER BY id")]
            assert logged == kinds and logged[0] == "raised" and logged[-1] == "cleared"
            outbox = _rows(path, "SELECT log_id FROM outbox ORDER BY id")
            assert len(outbox) == len(set(outbox)) >= 1
            assert record.health.lost == 0 and record.health.text == "ok"
        finally:
            await record.aclose()


async def test_a_write_that_can_never_land_does_not_wedge_the_alerts_behind_it(tmp_path: Path) -> None:
    """DEFECT: ``Record._work`` treats every ``sqlite3.Error`` as "the database is unwell, try again": a
    write the database refuses on its merits (NOT NULL or UNIQUE constraint failed, a value of a type SQLite
    cannot bind) fails the same way on every attempt, so it stays at the head of the queue for ever, every
    alert behind it is never recorded nor sent, the record reads "unavailable: IntegrityError: ..." and the
    connection is reopened every retry. The module's own comment says "a bug in one write must not wedge the
    queue behind it", but only non-sqlite exceptions get that treatment.
    EXPECTED: a write that fails with an error that is not about the database's state (locked, busy, full,
    I/O, unopenable) is dropped (counted, logged) like any other bug, and the alerts behind it land."""
    path = tmp_path / "liqwatch.sqlite3"
    sc = Scenario()
    record = await Record.open(path, **FAST)
    try:
        svc = await AlertService.open(record, RISK_ONLY_MAP, clock=sc.clock)

        def bad(db: object) -> None:
            from liqwatch.storage.db import Database

            assert isinstance(db, Database)
            with db.transaction() as conn:
                conn.execute("INSERT INTO funding_payments (account, payment_key, symbol, time, amount)"
                             " VALUES ('a', 'k', 'BTC', 1, ?)", (float("nan"),))  # NaN binds as NULL

        broken = record.submit(bad)
        events = await svc.update(sc.tick(risk=0.85))
        assert [e.kind for e in events] == [EventKind.RAISED]
        await eventually(lambda: broken.done() or record.health.attempts >= 5, 10, "the bad write's attempts")
        await eventually(lambda: record.pending == 0, 5, f"the alert behind it to land ({record.health})")
        assert [r[0] for r in _rows(path, "SELECT event FROM alert_log")] == ["raised"]
    finally:
        await record.aclose()


async def test_a_full_queue_drops_history_before_an_alert(tmp_path: Path) -> None:
    """DEFECT: the record's contract (``Record`` docstring): when the queue is full "the oldest write marked
    droppable (a history sample, ...) goes first; alerts go only when nothing else is left". But
    ``HistoryRecorder.on_snapshot`` queues its batches with ``submit``, not ``submit_droppable``: with the
    database locked long enough to fill the queue, the alert raised first is the oldest non-head write and
    is the one dropped, with its outbox rows, while a minute-by-minute margin history survives.
    EXPECTED: the alert's "raised" is in the record afterwards; history samples were dropped instead."""
    from liqwatch.history_recorder import HistoryRecorder

    path = tmp_path / "liqwatch.sqlite3"
    sc = Scenario()
    record = await Record.open(path, max_pending=8, **FAST)

    def short(db: object) -> None:
        db.conn.execute("PRAGMA busy_timeout = 50")  # type: ignore[attr-defined]

    await record.run(short)
    svc = AlertService(record, RISK_ONLY_MAP, clock=sc.clock, ack_poll_s=1e9)
    recorder = HistoryRecorder(record, interval_s=60.0)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        record.submit(short)  # the head: mid-attempt, never dropped
        events = await svc.update(sc.tick(risk=0.85))
        assert [e.kind for e in events] == [EventKind.RAISED]
        for _ in range(12):  # twelve minutes of history while the lock lasts
            await recorder.on_snapshot(sc.tick(risk=0.85, advance=60.0))
        assert record.health.lost >= 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    try:
        await record.drain()
        assert [r[0] for r in _rows(path, "SELECT event FROM alert_log")] == ["raised"]
    finally:
        await record.aclose()
