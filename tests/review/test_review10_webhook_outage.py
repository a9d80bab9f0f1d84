"""Hostile review of issue 10: a critical alert while the record stays unwritable for a long time (a full disk
over a weekend, a backup holding the file). Webhook receiver on 127.0.0.1. Fails on the code it was written
against (xfail strict) and passes once its defect is fixed."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
from aiohttp import web
from pydantic import SecretStr

from liqwatch.alert_levels import AlertLevel
from liqwatch.alerts.delivery import outbox
from liqwatch.alerts.delivery.from_config import Deliveries
from liqwatch.alerts.delivery.outbox_sender import OutboxSender
from liqwatch.alerts.delivery.webhooks import WebhookChannel
from liqwatch.alerts.model import EventKind
from liqwatch.alerts.service import AlertService
from liqwatch.storage.db import Database
from liqwatch.storage.record import Record
from tests.alerts.alert_receiver import Receiver
from tests.alerts.alert_scenarios import RISK_ONLY_MAP, Scenario

FAST_SENDER = {"backoff_base_s": 0.05, "backoff_max_s": 0.2, "poll_s": 0.05}


def _short_busy_timeout(db: Database) -> None:
    db.conn.execute("PRAGMA busy_timeout = 50")


async def test_a_critical_alert_reaches_the_webhook_while_the_record_stays_unwritable(tmp_path: Path) -> None:
    """DEFECT: webhooks are sent only from outbox rows, and the outbox row is written in the same queued
    transaction as the alert. While the database stays locked or the disk full, the alert is shown on screen
    (and rung) but the webhook, the one channel that reaches a trader away from the screen, waits for the
    record: for as long as the outage lasts (the weekend the disk filled up). The alert is "not lost", only
    delivered after the liquidation it warned of.
    EXPECTED: an alert's webhooks go out within seconds whatever the state of the record (kept in memory
    while it cannot be written, recorded as delivered once it can, and not sent twice)."""
    path = tmp_path / "liqwatch.sqlite3"
    rx = Receiver()
    port = await rx.start()
    hook = WebhookChannel("ops", "generic", SecretStr(f"http://127.0.0.1:{port}/hook"), timeout_s=2,
                          min_level=AlertLevel.WARNING)
    record = await Record.open(path, reopen_s=0.05, retry_s=(0.02, 0.05))
    await record.run(_short_busy_timeout)
    sender = OutboxSender(record, [hook], **FAST_SENDER)  # type: ignore[arg-type]
    sc = Scenario()
    svc = await AlertService.open(record, RISK_ONLY_MAP, clock=sc.clock, deliveries=Deliveries(webhooks=[hook]),
                                  sender=sender)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        async with sender:
            holder.execute("BEGIN EXCLUSIVE")  # and it stays held: the outage outlasts this test
            events = await svc.update(sc.tick(risk=0.85))
            assert [e.kind for e in events] == [EventKind.RAISED] and svc.alerts()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 8.0
            while not rx.requests and loop.time() < deadline:
                await svc.update(sc.tick(risk=0.85))  # the monitor runs on at 1 Hz-ish
                await asyncio.sleep(0.1)
            assert svc.record_status.startswith("unavailable: ")  # still unwritable
            assert rx.requests, "the critical alert's webhook was not sent within 8 s of the raise"
            assert json.loads(rx.requests[0].body)["alert_id"] == events[0].alert_id
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        await rx.stop()
        await record.aclose()


class _LockingReceiver(Receiver):
    """Answers 200, and at that moment another process takes the database's write lock (a backup, a
    ``liqwatch history`` export, the other liqwatch's long transaction)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.holder = sqlite3.connect(path, isolation_level=None)

    async def _handle(self, request: web.Request) -> web.Response:
        if not self.requests:
            self.holder.execute("BEGIN EXCLUSIVE")
        return await super()._handle(request)


async def test_a_webhook_sent_while_the_record_locks_is_not_sent_twice(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    """DEFECT: ``OutboxSender._send_row`` posts the row, then records the delivery with ``record.run``
    (``mark_delivered``): once, not queued. If the database is locked past the busy timeout at that moment
    the outcome is lost (an ERROR in the log), the row stays pending with its lease, and when the lease runs out
    the row is claimed and posted again: the trader's phone gets the same critical alert twice (three times,
    ...: every lock at the wrong moment adds one). The issue's fix for the lease ("a second process sends the
    row twice") does not cover the sender's own outcome write.
    EXPECTED: an outcome that could not be written is kept and retried (the record's queue), and the row is
    never posted again once the receiver answered 2xx."""
    path = tmp_path / "liqwatch.sqlite3"
    rx = _LockingReceiver(path)
    port = await rx.start()
    hook = WebhookChannel("ops", "generic", SecretStr(f"http://127.0.0.1:{port}/hook"), timeout_s=2,
                          min_level=AlertLevel.WARNING)
    record = await Record.open(path, reopen_s=0.05, retry_s=(0.02, 0.05))
    await record.run(_short_busy_timeout)
    sc = Scenario()
    sender = OutboxSender(record, [hook], clock=sc.clock, **FAST_SENDER)  # type: ignore[arg-type]
    svc = await AlertService.open(record, RISK_ONLY_MAP, clock=sc.clock, deliveries=Deliveries(webhooks=[hook]),
                                  sender=sender)
    try:
        async with sender:
            await svc.update(sc.tick(risk=0.85))
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while sender.sent < 1:  # posted and answered 200; its outcome meets the lock
                assert loop.time() < deadline, "the webhook was never sent"
                await asyncio.sleep(0.02)
            deadline = loop.time() + 10
            while not any("locked" in str(r.exc_info and r.exc_info[1]) for r in caplog.records):
                assert loop.time() < deadline, "the outcome's write never met the lock"
                await asyncio.sleep(0.02)  # polled: the outcome's write meets the lock (busy timeout 50 ms)
            rx.holder.execute("ROLLBACK")  # the other process is done
            sc.clock.advance(60.0)  # past the claim's lease (timeout_s + 10 s)
            sender.wake()

            async def settled() -> bool:
                rows = await record.run(outbox.rows)
                return bool(rows) and all(r.status == outbox.DELIVERED for r in rows)

            deadline = loop.time() + 10
            while not await settled():
                assert loop.time() < deadline, "the row never reached 'delivered'"
                await asyncio.sleep(0.05)
            assert len(rx.requests) == 1, f"the same alert posted {len(rx.requests)} times"
    finally:
        if rx.holder.in_transaction:
            rx.holder.execute("ROLLBACK")
        rx.holder.close()
        await rx.stop()
        await record.aclose()
