"""Child processes for the crash test, run as ``python -m tests.alerts.alert_crash_scripts raise|deliver DB PORT``.

``raise``: raises an alert through AlertService with a webhook configured but no sender running, prints
the alert id, then waits to be killed. ``deliver``: what the next run does at start: the outbox sender
sends what is pending, then the process reports and exits.
"""

from __future__ import annotations

import asyncio
import sys

from pydantic import SecretStr

from liqwatch.alerts.delivery import outbox
from liqwatch.alerts.delivery.from_config import Deliveries
from liqwatch.alerts.delivery.outbox_sender import OutboxSender
from liqwatch.alerts.delivery.webhooks import WebhookChannel
from liqwatch.alerts.service import AlertService
from liqwatch.storage.async_db import AsyncDatabase
from tests.alerts.alert_scenarios import RISK_ONLY_MAP, Scenario


def _hook(port: str) -> WebhookChannel:
    return WebhookChannel("ops", "generic", SecretStr(f"http://127.0.0.1:{port}/hook"), timeout_s=2)


async def raise_and_wait(db_path: str, port: str) -> None:
    db = await AsyncDatabase.open(db_path)
    svc = await AlertService.open(db, RISK_ONLY_MAP, deliveries=Deliveries(webhooks=[_hook(port)]))
    events = await svc.update(Scenario().tick(risk=0.95))
    print(f"RAISED {events[0].alert_id}", flush=True)
    await asyncio.sleep(120)  # the parent kills us long before this


async def deliver(db_path: str, port: str) -> None:
    db = await AsyncDatabase.open(db_path)
    async with asyncio.timeout(20), OutboxSender(db, [_hook(port)], poll_s=0.05, backoff_base_s=0.05):
        while True:
            if not await db.run(outbox.rows, outbox.PENDING):
                break
            await asyncio.sleep(0.02)
    print(f"DELIVERED {len(await db.run(outbox.rows, outbox.DELIVERED))}", flush=True)
    await db.aclose()


if __name__ == "__main__":
    action, path, port_arg = sys.argv[1:4]
    asyncio.run(raise_and_wait(path, port_arg) if action == "raise" else deliver(path, port_arg))
