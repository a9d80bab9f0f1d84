"""Webhooks against a local receiver: formats, the outbox across an outage (delivered exactly once),
permanent refusals, giving up, and secrets kept out of the database and the logs."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from liqwatch.alert_levels import AlertLevel
from liqwatch.alerts import alert_rows
from liqwatch.alerts.delivery import outbox
from liqwatch.alerts.delivery.from_config import Deliveries
from liqwatch.alerts.delivery.outbox_sender import OutboxSender
from liqwatch.alerts.delivery.webhooks import WebhookChannel, build_request, post
from liqwatch.alerts.service import AlertService
from liqwatch.clock import FakeClock
from liqwatch.storage.async_db import AsyncDatabase
from tests.alerts.alert_receiver import Receiver, eventually
from tests.alerts.alert_scenarios import RISK_ONLY_MAP, Scenario
from tests.alerts.test_alert_terminal import note

SECRET = "s3cr3t-topic-0a9f8e7d"


async def _service(tmp_path: Path, hook: WebhookChannel, **sender_kw: float) -> tuple[AlertService, OutboxSender]:
    db = await AsyncDatabase.open(tmp_path / "liqwatch.sqlite3")
    kw = {"backoff_base_s": 0.05, "backoff_max_s": 0.2, "poll_s": 0.05} | sender_kw
    sender = OutboxSender(db, [hook], **kw)  # type: ignore[arg-type]
    svc = await AlertService.open(db, RISK_ONLY_MAP, deliveries=Deliveries(webhooks=[hook]), sender=sender)
    return svc, sender


def _db_bytes(tmp_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in tmp_path.glob("liqwatch.sqlite3*"))


async def test_receiver_down_then_up_gets_each_alert_exactly_once(tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    rx = Receiver()
    port = await rx.start()
    await rx.stop()  # the endpoint is down when the alert is raised
    hook = WebhookChannel("ops", "generic", SecretStr(f"http://127.0.0.1:{port}/hook/{SECRET}"), timeout_s=2,
                          min_level=AlertLevel.WARNING)
    svc, sender = await _service(tmp_path, hook)
    try:
        async with sender:
            events = await svc.update(Scenario().tick(risk=0.85))
            alert_id = events[0].alert_id

            async def failed_twice() -> bool:
                rows = await svc.db.run(outbox.rows)
                return bool(rows) and rows[0].attempts >= 2

            await eventually(failed_twice)
            pending = await svc.db.run(outbox.rows, outbox.PENDING)
            assert len(pending) == 1 and pending[0].last_error == "ClientConnectorError"
            await rx.start(port)

            async def delivered() -> bool:
                return len(await svc.db.run(outbox.rows, outbox.DELIVERED)) == 1

            await eventually(delivered)
        assert len(rx.requests) == 1
        body = json.loads(rx.requests[0].body)
        assert body["alert_id"] == alert_id and body["level"] == "critical" and body["event"] == "raised"
        assert rx.requests[0].headers["Idempotency-Key"] == f"liqwatch-{alert_id}-{body['id']}"
        log = await svc.db.run(alert_rows.log_entries, [alert_id])
        assert [(e.event, e.channel) for e in log] == [("raised", None), ("delivered", "ops")]
    finally:
        await rx.stop()
        await svc.db.aclose()
    assert SECRET.encode() not in _db_bytes(tmp_path)
    # Everything but the test receiver's own access log (which is the far end, not liqwatch).
    ours = [r.getMessage() for r in caplog.records if r.name != "aiohttp.access"]
    assert ours and not any(SECRET in m for m in ours)


async def test_refused_request_is_failed_once_not_retried(tmp_path: Path) -> None:
    rx = Receiver(status=404)
    port = await rx.start()
    hook = WebhookChannel("ops", "slack", SecretStr(f"http://127.0.0.1:{port}/services/{SECRET}"))
    svc, sender = await _service(tmp_path, hook)
    try:
        async with sender:
            await svc.update(Scenario().tick(risk=0.85))

            async def failed() -> bool:
                return len(await svc.db.run(outbox.rows, outbox.FAILED)) == 1

            await eventually(failed)
        assert len(rx.requests) == 1
        log = await svc.db.run(alert_rows.log_entries)
        assert [(e.event, e.message) for e in log if e.event == "delivery_failed"] == [("delivery_failed", "HTTP 404")]
    finally:
        await rx.stop()
        await svc.db.aclose()


async def test_gives_up_after_retry_for_s(tmp_path: Path) -> None:
    # On a clock that moves only when told: under load a real 0.3 s window could pass before the first
    # attempt, and the row would expire unsent instead of being given up after its retries.
    rx = Receiver(status=503)
    port = await rx.start()
    hook = WebhookChannel("ops", "generic", SecretStr(f"http://127.0.0.1:{port}/"), retry_for_s=0.3)
    clock = FakeClock(datetime.now(UTC))
    db = await AsyncDatabase.open(tmp_path / "liqwatch.sqlite3")
    sender = OutboxSender(db, [hook], clock=clock, backoff_base_s=0.05, backoff_max_s=0.2, poll_s=0.05)
    svc = await AlertService.open(db, RISK_ONLY_MAP, clock=clock, deliveries=Deliveries(webhooks=[hook]),
                                  sender=sender)
    try:
        await svc.update(Scenario().tick(risk=0.85))
        # 503 at 0 s (retry in 0.05 s), at 0.05 s (retry in 0.1 s), at 0.15 s: a retry in 0.2 s would
        # land past the 0.3 s window, so the third failure gives up.
        for advance in (0.0, 0.05, 0.1):
            clock.advance(advance)
            assert await sender.run_once() == 1
        assert await sender.run_once() == 0
        await sender.stop()
        row = (await svc.db.run(outbox.rows))[0]
        assert row.status == outbox.FAILED
        assert row.last_error is not None
        assert row.last_error.startswith("gave up after 3 attempts") and "HTTP 503" in row.last_error
        assert len(rx.requests) == row.attempts >= 2
    finally:
        await rx.stop()
        await svc.db.aclose()


async def test_ntfy_telegram_and_slack_requests() -> None:
    rx = Receiver()
    port = await rx.start()
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            await post(session, build_request("ntfy", f"{base}/{SECRET}", note()), 2)
            await post(session, build_request("telegram", base, note(), token="123:ABC", chat_id="-100"), 2)
            await post(session, build_request("slack", f"{base}/services/x", note()), 2)
    finally:
        await rx.stop()
    ntfy, telegram, slack = rx.requests
    assert ntfy.path == f"/{SECRET}" and ntfy.headers["Title"] == "liqwatch CRITICAL: main"
    assert ntfy.headers["Priority"] == "4" and ntfy.body == b"main: risk 0.85, critical [alert 3-1]"
    assert telegram.path == "/bot123:ABC/sendMessage"
    assert json.loads(telegram.body) == {"chat_id": "-100", "disable_web_page_preview": True,
                                         "text": "liqwatch CRITICAL: main\nmain: risk 0.85, critical [alert 3-1]"}
    assert json.loads(slack.body) == {"text": "*liqwatch CRITICAL: main*\nmain: risk 0.85, critical [alert 3-1]"}


def test_channel_repr_hides_the_url() -> None:
    hook = WebhookChannel("ops", "ntfy", SecretStr(f"https://ntfy.sh/{SECRET}"))
    assert SECRET not in repr(hook) and SECRET not in str(vars(hook))


async def test_a_notification_past_its_retry_window_is_never_sent_late(tmp_path: Path) -> None:
    import asyncio

    rx = Receiver()
    port = await rx.start()
    hook = WebhookChannel("ops", "generic", SecretStr(f"http://127.0.0.1:{port}/"), retry_for_s=0.2)
    svc, sender = await _service(tmp_path, hook)
    try:
        await svc.update(Scenario().tick(risk=0.85))  # queued while no sender runs (liqwatch "was off")
        await asyncio.sleep(0.3)  # the window passes: this wait is the scenario itself
        async with sender:

            async def failed() -> bool:
                return len(await svc.db.run(outbox.rows, outbox.FAILED)) == 1

            await eventually(failed)
        row = (await svc.db.run(outbox.rows))[0]
        assert row.last_error is not None and row.last_error.startswith("expired unsent")
        assert rx.requests == []
    finally:
        await rx.stop()
        await svc.db.aclose()
