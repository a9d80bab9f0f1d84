"""Webhooks of an event whose write is late go out from memory, and exactly once: when the write lands, its
outbox rows are recorded as delivered, and the outbox does not post them again (receiver on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

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
from tests.feeds.harness import eventually


def _short_busy_timeout(db: Database) -> None:
    db.conn.execute("PRAGMA busy_timeout = 50")


async def _delivered_once(path: Path, rx: Receiver, write_lands_after_s: float, late_after_s: float,
                          direct: bool) -> None:
    hook = WebhookChannel("ops", "generic", SecretStr(f"http://127.0.0.1:{rx.port}/hook"), timeout_s=2,
                          min_level=AlertLevel.WARNING)
    record = await Record.open(path, reopen_s=0.05, retry_s=(0.02, 0.05))
    await record.run(_short_busy_timeout)
    sc = Scenario()
    sender = OutboxSender(record, [hook], clock=sc.clock, backoff_base_s=0.05, backoff_max_s=0.2, poll_s=0.05)
    sender.late_after_s = late_after_s
    svc = await AlertService.open(record, RISK_ONLY_MAP, clock=sc.clock, deliveries=Deliveries(webhooks=[hook]),
                                  sender=sender)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        async with sender:
            holder.execute("BEGIN EXCLUSIVE")
            events = await svc.update(sc.tick(risk=0.85))
            assert [e.kind for e in events] == [EventKind.RAISED]
            await asyncio.sleep(write_lands_after_s)  # the lock lasts this long (a test of a duration)
            holder.execute("ROLLBACK")
            await eventually(lambda: record.pending == 0, 10, "the queue to land")

            async def settled() -> bool:
                rows = await record.run(outbox.rows)
                return bool(rows) and all(r.status == outbox.DELIVERED for r in rows)

            deadline = asyncio.get_running_loop().time() + 10
            while not await settled():
                assert asyncio.get_running_loop().time() < deadline, await record.run(outbox.rows)
                await asyncio.sleep(0.05)
            sc.clock.advance(3600.0)  # past every lease: nothing may be claimed again
            sender.wake()
            await asyncio.sleep(0.5)  # the outbox's rounds in which a second post would happen
            assert len(rx.requests) == 1, f"the alert posted {len(rx.requests)} times"
            logged = await record.run(lambda db: [r["event"] for r in db.query("SELECT event FROM alert_log")])
            assert logged.count("delivered") == 1
            # From memory (no log id yet: an id of its own) or from the outbox (the event's log id).
            assert ("@" in json.loads(rx.requests[0].body)["id"]) is direct
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()
        await record.aclose()


async def test_a_webhook_sent_from_memory_is_recorded_as_delivered_and_not_sent_again(tmp_path: Path) -> None:
    rx = Receiver()
    await rx.start()
    try:
        await _delivered_once(tmp_path / "a.sqlite3", rx, write_lands_after_s=1.5, late_after_s=0.3, direct=True)
    finally:
        await rx.stop()


async def test_a_write_that_lands_before_the_direct_send_leaves_it_to_the_outbox(tmp_path: Path) -> None:
    rx = Receiver()
    await rx.start()
    try:
        await _delivered_once(tmp_path / "b.sqlite3", rx, write_lands_after_s=0.2, late_after_s=5.0, direct=False)
    finally:
        await rx.stop()
