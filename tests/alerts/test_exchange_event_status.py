"""Issue 9 §3, one definition of danger for exchange risk events: a margin call (like a liquidation) holds
its account's status until its alert is acknowledged, released through the same path as a liquidation; a
liquidation supersedes the margin call that announced it."""

from __future__ import annotations

from typing import Any, cast

from liqwatch.alert_levels import AlertRule
from liqwatch.alerts.engine import ack, evaluate
from liqwatch.alerts.liquidation_tracking import LiquidationTracker
from liqwatch.alerts.model import Alert, AlertState, EventKind
from liqwatch.commands.snapshot_output import snapshot_json
from liqwatch.liquidations import LiquidatedPosition
from liqwatch.model import Side
from liqwatch.risk_events import RiskEvent, RiskEventKind
from liqwatch.status import Status
from tests.alerts.alert_scenarios import RISK_ONLY_MAP, SYMBOL, Scenario


def _margin_call(sc: Scenario) -> RiskEvent:
    return RiskEvent(RiskEventKind.MARGIN_CALL, "main", "Binance MARGIN_CALL (risk guidance from the exchange)",
                     sc.clock.now())


def _tracker(sc: Scenario) -> LiquidationTracker:
    # Only the acknowledgement hook is exercised: no database, no service behind it.
    return LiquidationTracker(cast(Any, None), cast(Any, None), sc.store)


def _event_alerts(state: AlertState) -> list[Alert]:
    return [a for a in state.active.values() if a.key.rule is AlertRule.RISK_EVENT]


def test_a_margin_call_holds_its_account_critical_until_its_alert_is_acknowledged() -> None:
    sc = Scenario(thresholds=RISK_ONLY_MAP)
    state, _ = evaluate(AlertState(), sc.tick(59_000.0), RISK_ONLY_MAP, sc.clock.now())
    assert sc.store.snapshot().account("main").status is Status.OK
    sc.store.report(_margin_call(sc))
    snap = sc.tick(59_000.0)
    state, _ = evaluate(state, snap, RISK_ONLY_MAP, sc.clock.now())
    (alert,) = _event_alerts(state)
    assert (snap.account("main").status, snap.status.exit_code) == (Status.CRITICAL, 2)
    assert snap.account("main").exchange_events == (alert.key.subject,)
    assert snapshot_json(snap)["accounts"][0]["exchange_events"] == [alert.key.subject]  # check --json says why
    state, events = ack(state, alert.id, sc.clock.now())
    tracker = _tracker(sc)
    for e in events:
        if e.kind is EventKind.ACKNOWLEDGED:
            tracker._acknowledged(e.alert)
    assert _event_alerts(state) == []
    snap = sc.store.snapshot()
    assert (snap.account("main").status, snap.status.exit_code) == (Status.OK, 0)


def test_a_liquidation_supersedes_the_margin_call_that_announced_it() -> None:
    sc = Scenario(thresholds=RISK_ONLY_MAP)
    state, _ = evaluate(AlertState(), sc.tick(59_000.0), RISK_ONLY_MAP, sc.clock.now())
    sc.store.report(_margin_call(sc))
    state, _ = evaluate(state, sc.tick(59_000.0), RISK_ONLY_MAP, sc.clock.now())
    now = sc.clock.now()
    liq = LiquidatedPosition("main", SYMBOL, Side.LONG, 1.0, 55_000.0, now, 1.0, -5_000.0)
    assert sc.store.record_liquidation(liq)
    state, events = evaluate(state, sc.tick(59_000.0), RISK_ONLY_MAP, sc.clock.now())
    assert [a.key.subject for a in _event_alerts(state)] == [liq.alert_subject]
    closed = [e for e in events if e.kind is EventKind.CLEARED and e.alert.key.subject == "margin_call"]
    assert len(closed) == 1 and not closed[0].notify and "superseded by the liquidation" in (closed[0].note or "")
    # Acknowledging the liquidation alone releases the account.
    state, events = ack(state, _event_alerts(state)[0].id, sc.clock.now())
    tracker = _tracker(sc)
    for e in events:
        if e.kind is EventKind.ACKNOWLEDGED:
            tracker._acknowledged(e.alert)
    assert sc.store.snapshot().account("main").exchange_events == ()
    assert sc.store.liquidations("main") == ()
