"""Critical alerts are re-sent through the webhooks every ``resend_critical_s`` until acknowledged (issue 10), as
the bell repeats: engine events (stored in the log, an outbox row each, sent once each), never in the terminal.
An injected clock; the webhook receiver is an aiohttp server on 127.0.0.1."""

from __future__ import annotations

import io
import json
from pathlib import Path

from pydantic import SecretStr

from liqwatch.alerts import alert_rows
from liqwatch.alerts.delivery import outbox
from liqwatch.alerts.delivery.from_config import Deliveries
from liqwatch.alerts.delivery.outbox_sender import OutboxSender
from liqwatch.alerts.delivery.terminal import TerminalNotifier
from liqwatch.alerts.delivery.webhooks import WebhookChannel
from liqwatch.alerts.model import EventKind
from liqwatch.alerts.service import AlertService
from liqwatch.config.alerts import AlertDelivery, AlertThresholds, Webhook
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.storage.async_db import AsyncDatabase
from tests.alerts.alert_receiver import Receiver
from tests.alerts.alert_scenarios import RISK_ONLY, Scenario


def _thresholds(resend_s: float) -> ThresholdMap:
    delivery = AlertDelivery(webhooks=(Webhook(name="ops", url=SecretStr("http://127.0.0.1:9/x")),),
                             resend_critical_s=resend_s)
    return ThresholdMap(RISK_ONLY.model_copy(update={"delivery": delivery}))


async def test_unacknowledged_critical_alert_is_resent_through_webhooks_until_acked(tmp_path: Path) -> None:
    rx = Receiver()
    port = await rx.start()
    db = await AsyncDatabase.open(tmp_path / "db.sqlite3")
    sc = Scenario()
    hook = WebhookChannel("ops", "generic", SecretStr(f"http://127.0.0.1:{port}/hook"), timeout_s=2)
    term = io.BytesIO()
    notifier = TerminalNotifier(term, ("osc9",), per_minute=100)
    svc = AlertService(db, _thresholds(300.0), clock=sc.clock,
                       deliveries=Deliveries(immediate=[notifier], webhooks=[hook]))
    sender = OutboxSender(db, [hook], clock=sc.clock)
    try:
        raised = await svc.update(sc.tick(risk=0.85))
        alert_id = raised[0].alert_id
        terminal_after_raise = term.getvalue()
        assert terminal_after_raise  # the raise itself is told in the terminal
        for _ in range(2):
            events = await svc.update(sc.tick(risk=0.85, advance=149.0))
            assert [e.kind for e in events] == []  # 298 s: not yet
        events = await svc.update(sc.tick(risk=0.85, advance=2.0))
        assert [(e.kind, e.alert_id, e.notify) for e in events] == [(EventKind.REMINDED, alert_id, True)]
        assert await svc.update(sc.tick(risk=0.85, advance=1.0)) == []  # once per period
        assert term.getvalue() == terminal_after_raise  # the bell repeats in the terminal, not the reminder
        rows = await db.run(outbox.rows)
        assert [(r.channel, r.alert_id) for r in rows] == [("ops", alert_id), ("ops", alert_id)]
        assert await sender.run_once() == 2
        bodies = [json.loads(r.body) for r in rx.requests]
        assert [(b["event"], b["alert_id"]) for b in bodies] == [("raised", alert_id), ("reminded", alert_id)]
        assert bodies[0]["id"] != bodies[1]["id"]  # two notifications, each de-duplicable on its own
        # Another period: a second reminder.
        events = await svc.update(sc.tick(risk=0.85, advance=300.0))
        assert [e.kind for e in events] == [EventKind.REMINDED]
        # Acknowledged: no more.
        assert await svc.ack(alert_id)
        for _ in range(3):
            assert [e.kind for e in await svc.update(sc.tick(risk=0.85, advance=300.0))] == []
        log = await db.run(alert_rows.log_entries, [alert_id])
        assert [e.event for e in log if e.channel is None] == ["raised", "reminded", "reminded", "acknowledged"]
    finally:
        await sender.stop()
        await db.aclose()
        await rx.stop()


async def test_zero_sends_once_and_a_warning_is_never_resent(tmp_path: Path) -> None:
    for resend_s, risk in ((0.0, 0.85), (300.0, 0.55)):
        db = await AsyncDatabase.open(tmp_path / f"db-{resend_s}.sqlite3")
        sc = Scenario()
        hook = WebhookChannel("ops", "generic", SecretStr("http://127.0.0.1:9/x"))
        svc = AlertService(db, _thresholds(resend_s), clock=sc.clock, deliveries=Deliveries(webhooks=[hook]))
        try:
            assert [e.kind for e in await svc.update(sc.tick(risk=risk))] == [EventKind.RAISED]
            for _ in range(4):
                assert await svc.update(sc.tick(risk=risk, advance=400.0)) == []
        finally:
            await db.aclose()


def test_resend_critical_s_is_validated() -> None:
    import pytest
    from pydantic import ValidationError

    assert AlertDelivery().resend_critical_s == 300.0
    with pytest.raises(ValidationError):
        AlertDelivery(resend_critical_s=-1)
    assert AlertThresholds().delivery.resend_critical_s == 300.0
