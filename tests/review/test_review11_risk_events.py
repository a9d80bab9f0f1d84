"""Review of issue 11's typed risk events, as a hostile exchange (frames relayed over 127.0.0.1 with odd fields)
and a busy feed would test them: a malformed frame is counted and logged, never applied in part (BRIEF), and
no risk event is lost to the event log's bound."""

from __future__ import annotations

import math

import orjson

from liqwatch.alert_levels import AlertRule
from liqwatch.alerts.engine import evaluate
from liqwatch.alerts.model import AlertState
from liqwatch.risk_events import FeedNote, RiskEvent, RiskEventKind
from tests.alerts.alert_scenarios import RISK_ONLY_MAP, Scenario
from tests.feeds.test_risk_events_e2e import relayed, typed

ETH = "ETH/USDT:USDT"


def test_a_margin_call_is_alerted_though_notes_overflow_the_log_before_the_next_evaluation() -> None:
    """A feed in an error loop (a note per frame) can log 200 notes between two screen refreshes (4 Hz) or two
    `check --watch` lines. The margin call logged just before them must still raise its critical alert."""
    sc = Scenario(thresholds=RISK_ONLY_MAP)
    state, _ = evaluate(AlertState(), sc.tick(59_000.0), RISK_ONLY_MAP, sc.clock.now())
    sc.store.report(RiskEvent(RiskEventKind.MARGIN_CALL, "main", "Binance MARGIN_CALL", sc.clock.now()))
    for i in range(200):
        sc.store.report(FeedNote("main", f"decode error {i}", sc.clock.now()))
    _, events = evaluate(state, sc.tick(59_000.0), RISK_ONLY_MAP, sc.clock.now())
    subjects = [e.alert.key.subject for e in events if e.alert.key.rule is AlertRule.RISK_EVENT]
    assert "margin_call" in subjects


def _frame(now: int, order: dict[str, object]) -> str:
    return orjson.dumps({"e": "ORDER_TRADE_UPDATE", "E": now, "T": now, "o": order}).decode()


def _margin_call(now: int) -> str:
    """A well-formed frame sent after the crafted one: once it is logged, the crafted one was handled."""
    return orjson.dumps({"e": "MARGIN_CALL", "E": now, "cw": "1200.5", "p": []}).decode()


async def test_a_malformed_adl_fill_is_a_bad_frame_not_a_risk_event() -> None:
    forged = "ETHUSDT\nbinance-degen: BTC/USDT:USDT long LIQUIDATED at 1"
    async with relayed("binance-degen") as (emu, relay, monitor):
        store, now = monitor.store, emu.sim.now_ms()
        adl = {"s": forged, "c": "adl_autoclose", "S": "SELL", "o": "MARKET", "q": "2", "p": "0", "ap": "NaN",
               "X": "FILLED", "x": "TRADE", "i": 78, "l": "2", "z": "inf", "L": "NaN", "T": now, "t": 502,
               "ot": "ADL", "ps": "LONG"}
        assert await relay.inject("/private/ws", _frame(now, adl)) == 1
        assert await relay.inject("/private/ws", _margin_call(now)) == 1
        await typed(store, RiskEventKind.MARGIN_CALL, "the margin call sent after the crafted ADL")
        adls = [e for e in store.events.items()
                if isinstance(e, RiskEvent) and e.kind is RiskEventKind.AUTO_DELEVERAGE]
        assert adls == [], adls


async def test_a_liquidation_fill_with_non_finite_figures_records_no_nan() -> None:
    async with relayed("binance-degen") as (emu, relay, monitor):
        store, now = monitor.store, emu.sim.now_ms()
        liq = {"s": "ETHUSDT", "c": "autoclose-1", "S": "SELL", "o": "LIMIT", "q": "10", "p": "NaN", "ap": "NaN",
               "X": "FILLED", "x": "TRADE", "i": 79, "l": "inf", "z": "inf", "L": "NaN", "T": now, "t": 503,
               "ot": "LIQUIDATION", "ps": "BOTH", "rp": "nan"}
        assert await relay.inject("/private/ws", _frame(now, liq)) == 1
        assert await relay.inject("/private/ws", _margin_call(now)) == 1
        await typed(store, RiskEventKind.MARGIN_CALL, "the margin call sent after the crafted fill")
        for rec in store.snapshot().account("binance-degen").liquidations:
            figures = (rec.size_taken, rec.price, rec.realized_pnl)
            assert all(f is None or math.isfinite(f) for f in figures), rec
        for e in store.events.items():
            if isinstance(e, RiskEvent):
                assert all(f is None or math.isfinite(f) for f in (e.size, e.price)), e
