"""Risk events are typed (``liqwatch.risk_events``): the alert an event raises follows its kind, never its
words, so a plain close is never alerted as a liquidation, a note about a feed never as anything but a
warning, and a liquidation is never missed for its wording. The store's log of them is bounded."""

from __future__ import annotations

import pytest

from liqwatch.alert_levels import AlertLevel, AlertRule
from liqwatch.alerts.engine import ack, evaluate
from liqwatch.alerts.model import AlertState
from liqwatch.feed_events import ClockOffset
from liqwatch.model import Side
from liqwatch.risk_events import EventLog, FeedNote, RiskEvent, RiskEventKind, events_since
from liqwatch.status import Status
from tests.alerts.alert_scenarios import RISK_ONLY_MAP, Scenario

CASES = [
    (RiskEventKind.LIQUIDATION, "BTC long LIQUIDATED at 54000", AlertLevel.LIQUIDATION_IMMINENT),
    (RiskEventKind.CLOSED_WHILE_BLIND, "BTC long closed while the stream was blind", AlertLevel.CRITICAL),
    (RiskEventKind.CLOSED, "BTC long closed (no liquidation in the exchange's history)", AlertLevel.WARNING),
    (RiskEventKind.LIQUIDATION_UNKNOWN, "BTC long closed; liquidation status unknown", AlertLevel.WARNING),
    (RiskEventKind.AUTO_DELEVERAGE, "BTC long auto-deleveraged", AlertLevel.CRITICAL),
    (RiskEventKind.MARGIN_CALL, "Binance MARGIN_CALL", AlertLevel.CRITICAL),
]


def _raised(sc: Scenario, state: AlertState) -> tuple[AlertState, list[tuple[str, AlertLevel, str]]]:
    state, events = evaluate(state, sc.tick(59_000.0), RISK_ONLY_MAP, sc.clock.now())
    return state, [(e.alert.key.subject, e.alert.level, e.alert.message) for e in events
                   if e.alert.key.rule is AlertRule.RISK_EVENT]


def test_each_kind_raises_its_level_whatever_the_words() -> None:
    for kind, words, level in CASES:
        sc = Scenario(thresholds=RISK_ONLY_MAP)
        state, _ = _raised(sc, AlertState())
        sc.store.report(RiskEvent(kind, "main", words, sc.clock.now(), symbol="BTC", side=Side.LONG))
        # The same words with another kind: the kind decides (a liquidation's words on a plain close).
        _, raised = _raised(sc, state)
        subject = f"{kind.value} BTC long" if kind is not RiskEventKind.MARGIN_CALL else "margin_call BTC long"
        assert raised == [(subject, level, f"main: {words}")], kind


def test_a_feed_note_is_never_taken_for_a_liquidation() -> None:
    sc = Scenario(thresholds=RISK_ONLY_MAP)
    state, _ = _raised(sc, AlertState())
    for words in ("BTC/USDT:USDT long LIQUIDATED at 54000", "no liquidation in the history", "Binance MARGIN_CALL",
                  "BTC/USDT:USDT long closed while the stream was blind"):
        sc.store.report(FeedNote("main", words, sc.clock.now(), symbol="BTC/USDT:USDT"))
    state, raised = _raised(sc, state)
    assert [(s.split()[0], lvl) for s, lvl, _ in raised] == [("feed_error", AlertLevel.WARNING)] * 4
    snap = sc.store.snapshot()
    assert snap.account("main").liquidations == () and snap.account("main").exchange_events == ()
    assert snap.account("main").status is Status.OK  # a note holds nothing


def test_the_event_log_is_bounded_and_what_is_new_survives_an_overflow() -> None:
    sc = Scenario(thresholds=RISK_ONLY_MAP)
    state, _ = _raised(sc, AlertState())
    for i in range(450):
        sc.store.report(FeedNote("main", f"note {i}", sc.clock.now()))
    snap = sc.store.snapshot()
    assert (len(snap.events), snap.events_total) == (200, 450)
    assert snap.incidents[0] == "main: note 250" and snap.incidents[-1] == "main: note 449"
    state, raised = _raised(sc, state)
    assert len(raised) == 200  # what the log still holds, each once
    sc.store.report(RiskEvent(RiskEventKind.MARGIN_CALL, "main", "Binance MARGIN_CALL", sc.clock.now()))
    _, raised = _raised(sc, state)
    assert [s for s, _, _ in raised] == ["margin_call"]  # the 199 older lines are not raised again


def test_events_since() -> None:
    log = EventLog(maxlen=3)
    notes = [FeedNote("a", str(i), Scenario().clock.now()) for i in range(5)]
    for n in notes[:2]:
        log.add(n)
    assert events_since(log.items(), log.total, 0) == tuple(notes[:2])
    assert events_since(log.items(), log.total, 2) == ()
    for n in notes[2:]:
        log.add(n)
    assert events_since(log.items(), log.total, 2) == tuple(notes[2:])
    assert events_since(log.items(), log.total, 4) == (notes[4],)
    assert events_since(log.items(), log.total, 9) == tuple(notes[2:])  # another log's count: all of it


def test_a_clock_measurement_is_kept_for_its_rule_not_logged() -> None:
    sc = Scenario(thresholds=RISK_ONLY_MAP)
    sc.store.apply(ClockOffset("main", -3.5))
    snap = sc.tick(59_000.0)
    assert snap.events == () and snap.account("main").clock_offset_s == -3.5
    _, events = evaluate(AlertState(), snap, RISK_ONLY_MAP, sc.clock.now())
    assert [(e.alert.key.rule, e.alert.level, e.alert.value) for e in events] == [
        (AlertRule.CLOCK_SKEW, AlertLevel.WARNING, 3.5)]


def test_an_event_repeated_word_for_word_in_a_full_log_is_still_raised() -> None:
    """DEFECT (before issue 11): the engine found the new incident lines by comparing the store's deque of
    texts with the one it saw last. Once the deque was full of the same line (Binance repeats its margin
    call while the account stays in danger), one more identical line left the deque equal to what was seen:
    after the trader acknowledged the margin call, the next one was never raised.
    EXPECTED: every event the store logs is seen once, whatever its words."""
    sc = Scenario(thresholds=RISK_ONLY_MAP)
    state, _ = _raised(sc, AlertState())
    for _ in range(200):
        sc.store.report(RiskEvent(RiskEventKind.MARGIN_CALL, "main", "Binance MARGIN_CALL", sc.clock.now()))
    state, raised = _raised(sc, state)
    assert [s for s, _, _ in raised] == ["margin_call"]
    (alert,) = [a for a in state.active.values() if a.key.rule is AlertRule.RISK_EVENT]
    state, _ = ack(state, alert.id, sc.clock.now())
    assert state.by_id(alert.id) is None
    sc.store.report(RiskEvent(RiskEventKind.MARGIN_CALL, "main", "Binance MARGIN_CALL", sc.clock.now()))
    _, raised = _raised(sc, state)
    assert [(s, lvl) for s, lvl, _ in raised] == [("margin_call", AlertLevel.CRITICAL)]


def test_feed_notes_never_evict_a_risk_event_and_their_overflow_is_counted_and_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    log = EventLog(maxlen=3, risk_maxlen=2)
    now = Scenario().clock.now()
    call = RiskEvent(RiskEventKind.MARGIN_CALL, "a", "Binance MARGIN_CALL", now)
    log.add(call)
    notes = [FeedNote("a", str(i), now) for i in range(5)]
    with caplog.at_level("WARNING", logger="liqwatch.events"):
        for n in notes:
            log.add(n)
    assert log.items() == (call, *notes[2:]) and log.numbers() == (0, 3, 4, 5)
    assert (log.total, log.notes_dropped, log.risks_dropped) == (6, 2, 0)
    assert events_since(log.items(), log.total, 0, log.numbers()) == (call, *notes[2:])
    assert events_since(log.items(), log.total, 1, log.numbers()) == tuple(notes[2:])
    assert "keeps the last 3 feed notes: 1 older ones dropped" in caplog.text  # said once, when it starts
    assert caplog.text.count("dropped") == 1
