"""Webhooks and the record: an alert raised while the database is locked is sent once the write lands (its
outbox row goes in with it), and a slow receiver cannot make a second process send a row twice."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

from aiohttp import web
from pydantic import SecretStr

from liqwatch.alert_levels import AlertLevel
from liqwatch.alerts.delivery import outbox
from liqwatch.alerts.delivery.from_config import Deliveries
from liqwatch.alerts.delivery.outbox_sender import OutboxSender
from liqwatch.alerts.delivery.webhooks import WebhookChannel
from liqwatch.alerts.model import EventKind
from liqwatch.alerts.service import AlertService
from liqwatch.storage.async_db import AsyncDatabase
from liqwatch.storage.db import Database
from liqwatch.storage.record import Record
from tests.alerts.alert_receiver import Receiver, eventually
from tests.alerts.alert_scenarios import RISK_ONLY_MAP, Scenario

FAST_SENDER = {"backoff_base_s": 0.05, "backoff_max_s": 0.2, "poll_s": 0.05}


def _hook(port: int) -> WebhookChannel:
    return WebhookChannel("ops", "generic", SecretStr(f"http://127.0.0.1:{port}/hook"), timeout_s=2,
                          min_level=AlertLevel.WARNING)


def _short_busy_timeout(db: Database) -> None:
    db.conn.execute("PRAGMA busy_timeout = 50")


async def test_an_alert_raised_while_the_record_is_locked_is_sent_once_it_lands(tmp_path: Path) -> None:
    path = tmp_path / "liqwatch.sqlite3"
    rx = Receiver()
    hook = _hook(await rx.start())
    record = await Record.open(path, reopen_s=0.05, retry_s=(0.02, 0.05))
    await record.run(_short_busy_timeout)
    sender = OutboxSender(record, [hook], **FAST_SENDER)  # type: ignore[arg-type]
    svc = await AlertService.open(record, RISK_ONLY_MAP, deliveries=Deliveries(webhooks=[hook]), sender=sender)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        async with sender:
            holder.execute("BEGIN EXCLUSIVE")
            events = await svc.update(Scenario().tick(risk=0.85))
            assert [e.kind for e in events] == [EventKind.RAISED] and svc.alerts()  # shown at once
            assert svc.record_status.startswith("unavailable: ")
            assert rx.requests == []
            holder.execute("ROLLBACK")

            async def sent() -> bool:
                return len(rx.requests) == 1

            await eventually(sent, timeout_s=10)
            assert json.loads(rx.requests[0].body)["alert_id"] == events[0].alert_id

            async def delivered() -> bool:
                return [r.status for r in await record.run(outbox.rows)] == [outbox.DELIVERED]

            await eventually(delivered, timeout_s=10)
            assert len(rx.requests) == 1
    finally:
        holder.close()
        await rx.stop()
        await record.aclose()


#: Each answer this slow, the lease longer than one answer with room to spare (a loaded machine stretched one
#: answer and its outcome's write past a lease of 0.3 s after a 0.25 s answer, and the other sender rightly
#: took the row) and shorter than two: without the renewal before each row, the second row's lease runs out
#: while it is sent, and the other sender sends it again (its answer back before the third row's).
SLOW_ANSWER_S, LEASE_S = 0.6, 1.0


class SlowReceiver(Receiver):
    async def _handle(self, request: web.Request) -> web.Response:
        await asyncio.sleep(SLOW_ANSWER_S)  # the slow receiver under test, not a wait for luck
        return await super()._handle(request)


async def test_a_slow_receiver_cannot_make_a_second_process_send_a_row_twice(tmp_path: Path) -> None:
    path = tmp_path / "liqwatch.sqlite3"
    rx = SlowReceiver()
    hook = _hook(await rx.start())
    first_db = await AsyncDatabase.open(path)
    second_db = await AsyncDatabase.open(path)  # the second process: its own connection to the same file
    svc = await AlertService.open(first_db, RISK_ONLY_MAP, deliveries=Deliveries(webhooks=[hook]))
    sc = Scenario()
    for risk in (0.85, 0.2):  # raised, then cleared: two rows; and a third from a second raise
        await svc.update(sc.tick(risk=risk))
    await svc.update(sc.tick(risk=0.95, advance=400))
    await svc.record.drain()
    assert len(await first_db.run(outbox.rows)) == 3
    senders = [OutboxSender(db, [hook], **FAST_SENDER) for db in (first_db, second_db)]  # type: ignore[arg-type]
    for s in senders:
        s.lease_s = LEASE_S
    try:
        async with senders[0], senders[1]:
            async def all_delivered() -> bool:
                rows = await first_db.run(outbox.rows)
                return all(r.status == outbox.DELIVERED for r in rows)

            await eventually(all_delivered, timeout_s=15)
        ids = [json.loads(r.body)["id"] for r in rx.requests]
        assert sorted(ids) == sorted(set(ids)) and len(ids) == 3, ids
    finally:
        await rx.stop()
        await svc.record.aclose()
        await second_db.aclose()
