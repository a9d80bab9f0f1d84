"""Issue 11: the funding interval was hard-coded in three places (the store's default for a new market, the
next-settlement time the panes show, the funding-cost alert's settlements per day) although the store knows
each symbol's. Against the emulator, Binance's fundingInfo lists SOLUSDT at 4 h (BTCUSDT keeps the 8 h
default): the 4 h is what the snapshot carries, what the panes count down to and what the alert multiplies."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from liqwatch.alert_levels import AlertRule
from liqwatch.alerts.engine import evaluate
from liqwatch.alerts.model import AlertState
from liqwatch.clock import FakeClock
from liqwatch.config.alerts import AlertThresholds
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.funding import default_interval_hours
from liqwatch.model import Exchange, MarkTick, Stamp
from liqwatch.store import MonitorStore
from tests.feeds.harness import eventually, running
from widgets.funding_view import next_time

SOL, BTC = "SOL/USDT:USDT", "BTC/USDT:USDT"


async def test_a_4h_symbol_is_used_at_4h_everywhere_it_matters() -> None:
    async with running(only=("binance-hedge",)) as env:
        assert await env.monitor.wait_live(15)
        store = env.monitor.store

        def views():  # type: ignore[no-untyped-def]
            return {(p.risk.symbol, p.risk.side): p for p in store.snapshot().account("binance-hedge").positions}

        await eventually(lambda: all(p.next_funding is not None for p in views().values()), 10, "funding rates")
        pos = views()
        sol = next(p for (s, _), p in pos.items() if s == SOL)
        assert store.funding_interval(Exchange.BINANCE, SOL) == 4.0  # from fundingInfo
        assert store.funding_interval(Exchange.BINANCE, BTC) == 8.0  # not listed: the exchange's default
        assert sol.funding_interval_hours == 4.0
        assert {p.funding_interval_hours for (s, _), p in pos.items() if s == BTC} == {8.0}

        # The panes, where the exchange gave no next time: the next 4 h boundary, not the next 8 h one.
        now = datetime(2026, 3, 1, 5, 30, tzinfo=UTC)
        assert next_time(replace(sol, next_funding_time=None), Exchange.BINANCE, now) == datetime(
            2026, 3, 1, 8, 0, tzinfo=UTC)
        now = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
        assert next_time(replace(sol, next_funding_time=None), Exchange.BINANCE, now) == datetime(
            2026, 3, 1, 4, 0, tzinfo=UTC)

        # The funding-cost alert: each position's next payment times its own settlements per day.
        snap = store.snapshot()
        flows = [p for p in snap.account("binance-hedge").positions if p.next_funding is not None]
        expected = -sum(p.next_funding * (24.0 / (4.0 if p.risk.symbol == SOL else 8.0))  # type: ignore[operator]
                        for p in flows)
        thresholds = ThresholdMap(AlertThresholds(funding_cost_per_day=1e-9))
        state, _ = evaluate(AlertState(), snap, thresholds, store.clock.now())
        costs = [a for k, a in state.active.items() if k.rule is AlertRule.FUNDING_COST]
        assert expected > 0  # the demo's rates make this account pay: the alert has a cost to show
        assert len(costs) == 1 and costs[0].value is not None
        # at 3 settlements a day for SOL (the old hard-coded 8 h) the figure would be lower by SOL's share
        assert abs(costs[0].value - expected) <= 1e-9 * max(1.0, abs(expected))


def test_an_interval_told_before_the_first_mark_is_kept_and_a_bad_one_ignored() -> None:
    clock = FakeClock()
    store = MonitorStore(clock)
    store.set_funding_interval(Exchange.BINANCE, SOL, 4.0)  # fundingInfo read before any mark arrived
    store.set_funding_interval(Exchange.BINANCE, BTC, 0.0)  # no schedule can be read from 0 h
    for sym in (SOL, BTC):
        assert store.apply(MarkTick(Exchange.BINANCE, sym, 100.0, Stamp(clock.now(), clock.now())))
    assert store._markets[(Exchange.BINANCE, SOL)].state.funding_interval_hours == 4.0
    assert store._markets[(Exchange.BINANCE, BTC)].state.funding_interval_hours == 8.0
    assert store.funding_interval("binance", SOL) == 4.0  # a plain-string id finds it too
    assert default_interval_hours(Exchange.HYPERLIQUID) == 1.0 and default_interval_hours("krakenfutures") == 8.0
