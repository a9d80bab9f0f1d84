"""An account removed from the configuration takes its alerts with it: a stale-feed alert restored from
the record for an account the new run does not watch is closed, not listed forever."""

from __future__ import annotations

from liqwatch.alert_levels import AlertRule
from liqwatch.alerts.engine import evaluate
from liqwatch.alerts.model import AlertKey, AlertState, EventKind
from liqwatch.config.alerts import AlertThresholds
from liqwatch.config.thresholds import EngineOptions, ThresholdMap
from tests.alerts.alert_scenarios import RISK_ONLY, Scenario


def test_a_stale_feed_alert_of_a_removed_account_clears() -> None:
    thresholds = ThresholdMap(AlertThresholds.model_validate({**RISK_ONLY.model_dump(), "stale_feed_s": 10}))
    options = EngineOptions(rearm_s=300)
    old = Scenario(account="gone")
    state, events = evaluate(AlertState(id_prefix="t"), old.silence(11), thresholds, old.clock.now(), options=options)
    stale = AlertKey("gone", AlertRule.STALE_FEED, "mark")
    assert [e.alert.key for e in events] == [stale] and stale in state.active

    # The next run watches another account only; the state carried over from the record still lists it.
    new = Scenario(account="kept", clock=old.clock)
    state, events = evaluate(state, new.tick(risk=0.1), thresholds, new.clock.now(), options=options)
    assert stale not in state.active
    cleared = [e for e in events if e.alert.key == stale]
    assert [e.kind for e in cleared] == [EventKind.CLEARED] and not cleared[0].notify
    assert "no longer present" in (cleared[0].message or "")
