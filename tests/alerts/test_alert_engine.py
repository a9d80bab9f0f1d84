"""Pure evaluation over snapshots from the real store: levels, hysteresis, re-arm, escalation, ack, snooze,
stale feeds, exchange events, funding, clock skew."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from liqwatch.alert_levels import AlertLevel, AlertRule
from liqwatch.alerts.engine import ack, ack_all, evaluate, snooze
from liqwatch.alerts.model import AlertEvent, AlertKey, AlertState, EventKind
from liqwatch.config.alerts import AlertThresholds
from liqwatch.config.thresholds import EngineOptions, ThresholdMap
from liqwatch.model import Side
from liqwatch.risk_events import FeedNote, RiskEvent, RiskEventKind
from liqwatch.store import MonitorSnapshot
from tests.alerts.alert_scenarios import RISK_ONLY, SYMBOL, Scenario

RISK = AlertKey("main", AlertRule.RISK)
OPTS = EngineOptions(rearm_s=60.0)


def only(**options: object) -> AlertThresholds:
    """``RISK_ONLY`` with ``options`` set: the rules a test is about, and no other."""
    return AlertThresholds.model_validate({**RISK_ONLY.model_dump(), **options})


class Driver:
    """Feeds snapshots to ``evaluate`` and keeps the state, as the service does (minus storage)."""

    def __init__(self, thresholds: AlertThresholds | None = None, options: EngineOptions = OPTS) -> None:
        self.sc = Scenario()
        self.thresholds = ThresholdMap(thresholds or RISK_ONLY)
        self.options = options
        self.state = AlertState(id_prefix="t")
        self.log: list[AlertEvent] = []

    def feed(self, snap: MonitorSnapshot, *, skew_s: Mapping[str, float] | None = None,
             risk_events: Sequence[RiskEvent] = ()) -> list[AlertEvent]:
        self.state, events = evaluate(self.state, snap, self.thresholds, self.sc.clock.now(), skew_s=skew_s,
                                      risk_events=risk_events, options=self.options)
        self.log.extend(events)
        return events

    def risk(self, value: float, advance: float = 1.0) -> list[AlertEvent]:
        return self.feed(self.sc.tick(risk=value, advance=advance))

    def level(self, key: AlertKey = RISK) -> AlertLevel | None:
        alert = self.state.active.get(key)
        return alert.level if alert is not None else None


def kinds(events: Sequence[AlertEvent]) -> list[tuple[str, str, bool]]:
    return [(e.kind.value, e.alert.level.value, e.notify) for e in events]


def test_levels_rise_and_each_worse_level_is_sent() -> None:
    d = Driver()
    assert d.risk(0.3) == []
    assert kinds(d.risk(0.55)) == [("raised", "warning", True)]
    assert kinds(d.risk(0.85)) == [("escalated", "critical", True)]
    assert kinds(d.risk(0.95)) == [("escalated", "liquidation_imminent", True)]
    assert len({e.alert_id for e in d.log}) == 1  # one alert, escalated
    assert d.state.needs_attention(d.sc.clock.now())


def test_hysteresis_holds_inside_the_band_and_clears_past_it() -> None:
    d = Driver()  # warning 0.5, hysteresis 0.05: clears below 0.45
    d.risk(0.55)
    assert d.risk(0.47) == [] and d.level() is AlertLevel.WARNING
    assert d.risk(0.451) == []
    events = d.risk(0.44)
    assert kinds(events) == [("cleared", "warning", False)]
    assert d.level() is None
    # The alert keeps its last active figures; the event carries the value that cleared it.
    assert events[0].value is not None and abs(events[0].value - 0.44) < 1e-9 and "back to normal" in events[0].message
    assert events[0].alert.value is not None and abs(events[0].alert.value - 0.451) < 1e-9
    # Critical held down to 0.75, then downgraded (logged, not sent).
    d.risk(0.85)
    assert d.risk(0.76) == []
    assert kinds(d.risk(0.70)) == [("downgraded", "warning", False)]


def test_flapping_value_notifies_once_then_rearms_after_quiet_time() -> None:
    d = Driver()
    series = [0.55, 0.40, 0.56, 0.41, 0.57, 0.39, 0.55, 0.30]  # crosses the whole band each time
    for value in series:
        d.risk(value)
    sent = [e for e in d.log if e.notify]
    assert [(e.kind.value, e.alert.level.value) for e in sent] == [("raised", "warning")]
    assert {e.kind for e in d.log} == {EventKind.RAISED, EventKind.CLEARED, EventKind.REOPENED}
    assert len({e.alert_id for e in d.log}) == 1  # re-opened, not a new alert each time
    first_id = d.log[0].alert_id
    # Quiet for longer than rearm_s: the next crossing is news again.
    d.risk(0.30, advance=61)
    events = d.risk(0.55)
    assert kinds(events) == [("raised", "warning", True)]
    assert events[0].alert_id != first_id


def test_flapping_between_warning_and_critical_notifies_critical_once_until_rearmed() -> None:
    d = Driver()
    d.risk(0.55)
    for value in (0.85, 0.70, 0.86, 0.69, 0.87):
        d.risk(value)
    escalations = [e for e in d.log if e.kind is EventKind.ESCALATED]
    assert [e.notify for e in escalations] == [True, False, False]
    d.risk(0.70)
    d.risk(0.70, advance=61)  # below critical for longer than rearm_s: re-armed
    assert kinds(d.risk(0.85)) == [("escalated", "critical", True)]


def test_ack_silences_until_worse_and_keeps_the_alert_listed() -> None:
    d = Driver()
    d.risk(0.85)
    alert_id = d.log[-1].alert_id
    now = d.sc.clock.now()
    d.state, events = ack(d.state, alert_id, now)
    assert kinds(events) == [("acknowledged", "critical", False)]
    assert not d.state.needs_attention(now)
    assert d.state.by_id(alert_id) is not None  # still visible
    assert ack(d.state, alert_id, now)[1] == []  # twice is a no-op
    # Worse than what was acknowledged: sent again, and needs attention again.
    events = d.risk(0.95)
    assert kinds(events) == [("escalated", "liquidation_imminent", True)]
    assert not d.state.active[RISK].acknowledged
    assert d.state.needs_attention(d.sc.clock.now())
    # Acknowledged, then it clears: the alert leaves the list.
    d.state, _ = ack(d.state, alert_id, d.sc.clock.now())
    assert kinds(d.risk(0.2)) == [("cleared", "liquidation_imminent", True)]
    assert d.state.by_id(alert_id) is None


def test_ack_all_acknowledges_every_active_alert() -> None:
    d = Driver(only(distance_pct_warning=2.0))
    d.risk(0.85)
    assert len(d.state.active) == 2
    d.state, events = ack_all(d.state, d.sc.clock.now())
    assert [e.kind for e in events] == [EventKind.ACKNOWLEDGED] * 2
    assert all(a.acknowledged for a in d.state.alerts())


def test_snooze_is_quiet_fires_again_when_worse_and_reminds_when_over() -> None:
    d = Driver()
    d.risk(0.55)
    alert_id = d.log[-1].alert_id
    d.state, events = snooze(d.state, alert_id, 120, d.sc.clock.now())
    assert kinds(events) == [("snoozed", "warning", False)]
    assert d.risk(0.56) == []
    events = d.risk(0.85)  # worse than when snoozed
    assert kinds(events) == [("escalated", "critical", True)]
    assert d.state.active[RISK].snoozed_until is None
    d.state, _ = snooze(d.state, alert_id, 30, d.sc.clock.now())
    assert not d.state.needs_attention(d.sc.clock.now())
    assert d.risk(0.84, advance=10) == []
    events = d.risk(0.84, advance=25)
    assert kinds(events) == [("snooze_ended", "critical", True)]
    assert d.state.needs_attention(d.sc.clock.now())


def test_stale_feed_alert_from_the_store_and_frozen_risk_while_blind() -> None:
    d = Driver(only(stale_feed_s=30))
    d.risk(0.55)  # a warning on the account
    snap = d.sc.silence(6)  # channel max age 5 s: STALE, but not for 30 s yet
    assert snap.feeds[0].state.value == "STALE"
    assert d.feed(snap) == []
    assert d.level() is AlertLevel.WARNING  # not cleared by data that is not fresh
    events = d.feed(d.sc.silence(25))
    stale_key = AlertKey("main", AlertRule.STALE_FEED, "mark")
    assert [(e.kind, e.alert.key) for e in events] == [(EventKind.RAISED, stale_key)]
    # Blind on an account already at risk: critical.
    assert events[0].alert.level is AlertLevel.CRITICAL and events[0].notify
    assert "not live for 31 s" in events[0].alert.message
    events = d.feed(d.sc.tick(risk=0.2))
    assert {(e.kind, e.alert.key.rule) for e in events} == {
        (EventKind.CLEARED, AlertRule.STALE_FEED), (EventKind.CLEARED, AlertRule.RISK)}


def test_stale_feed_on_a_calm_account_is_a_warning() -> None:
    d = Driver(only(stale_feed_s=10))
    d.risk(0.1)
    events = d.feed(d.sc.silence(11))
    assert kinds(events) == [("raised", "warning", True)]


def test_position_closed_while_blind_is_a_latched_alert_cleared_by_ack() -> None:
    d = Driver()
    d.risk(0.2)
    events = d.feed(d.sc.close_while_blind())
    assert len(events) == 1
    alert = events[0].alert
    assert alert.key.rule is AlertRule.RISK_EVENT and alert.level is AlertLevel.CRITICAL and events[0].notify
    assert alert.key.subject == f"closed_while_blind {SYMBOL} long"
    assert "closed while the stream was blind" in alert.message
    # The incident stays in the store's list; it is not raised twice.
    assert d.feed(d.sc.silence(0.5)) == []
    d.state, events = ack(d.state, alert.id, d.sc.clock.now())
    assert [e.kind for e in events] == [EventKind.ACKNOWLEDGED, EventKind.CLEARED]
    assert d.state.by_id(alert.id) is None


def test_logged_events_and_pushed_events_become_alerts() -> None:
    d = Driver()
    # A risk event is what its kind says; a feed note is a note about a feed, whatever its words.
    now = d.sc.clock.now()
    d.sc.store.report(RiskEvent(RiskEventKind.MARGIN_CALL, "main",
                                "Binance MARGIN_CALL (risk guidance from the exchange)", now))
    d.sc.store.report(FeedNote("main", "listen key rotation failed: HTTP 503", now))
    events = d.risk(0.2)
    assert [(e.alert.level.value, e.alert.key.subject.split()[0]) for e in events] == [
        ("critical", "margin_call"), ("warning", "feed_error")]
    typed = RiskEvent(RiskEventKind.AUTO_DELEVERAGE, "main", "ADL reduced BTC long", now, symbol=SYMBOL,
                      side=Side.LONG)
    events = d.feed(d.sc.tick(risk=0.2), risk_events=[typed, typed])
    assert len(events) == 1 and events[0].alert.key.subject == f"auto_deleverage {SYMBOL} long"


def test_funding_cost_per_day_alert() -> None:
    # 1 BTC long at ~59k, +0.01 %/8 h: pays ~5.9 a settlement, ~17.7 a day.
    d = Driver(only(funding_cost_per_day=10.0))
    events = d.feed(d.sc.tick(59_000, funding_rate=0.0001))
    assert [(e.alert.key.rule, e.kind) for e in events] == [(AlertRule.FUNDING_COST, EventKind.RAISED)]
    assert events[0].alert.value is not None and abs(events[0].alert.value - 17.7) < 0.01
    events = d.feed(d.sc.tick(59_000, funding_rate=-0.0001))  # now it receives
    assert [e.kind for e in events] == [EventKind.CLEARED]


def test_clock_skew_alert_from_the_typed_input() -> None:
    d = Driver()
    events = d.feed(d.sc.tick(59_000), skew_s={"main": -3.5})
    assert [(e.alert.key.rule, e.alert.level) for e in events] == [(AlertRule.CLOCK_SKEW, AlertLevel.WARNING)]
    assert d.feed(d.sc.tick(59_000)) == []  # no new measurement: held
    assert [e.kind for e in d.feed(d.sc.tick(59_000), skew_s={"main": 0.2})] == [EventKind.CLEARED]


def test_distance_to_liquidation_per_position() -> None:
    d = Driver(only(distance_pct_warning=1.0, distance_pct_critical=0.2, warning=0.99,
                               critical=1.2, liquidation_imminent=1.3))
    events = d.risk(0.5)  # ~0.5 % from liquidation
    key = AlertKey("main", AlertRule.DISTANCE_PCT, f"{SYMBOL} long")
    assert [(e.alert.key, e.alert.level) for e in events] == [(key, AlertLevel.WARNING)]
    assert kinds(d.risk(0.9)) == [("escalated", "critical", True)]


def test_closing_a_position_clears_its_alerts_silently() -> None:
    d = Driver(only(distance_pct_warning=1.0))
    d.risk(0.55)
    assert len(d.state.active) == 2
    from liqwatch.model import PositionUpdate, Stamp

    d.sc.clock.advance(1)
    stamp = Stamp(d.sc.clock.now(), d.sc.clock.now())
    d.sc.store.apply(PositionUpdate("main", (SYMBOL, d.sc.position.side), None, stamp))
    events = d.feed(d.sc.tick(59_000))
    assert sorted((e.kind.value, e.alert.key.rule.value) for e in events) == [
        ("cleared", "distance_pct"), ("cleared", "risk")]


def test_evaluate_is_pure() -> None:
    d = Driver()
    snap = d.sc.tick(risk=0.85)
    before = d.state
    now = d.sc.clock.now()
    a = evaluate(before, snap, d.thresholds, now, options=OPTS)
    b = evaluate(before, snap, d.thresholds, now, options=OPTS)
    assert a == b
    assert before.active == {} and before.next_seq == 1
